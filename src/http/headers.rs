//! The header (and trailer) section: field lines as offsets into one frozen buffer.

use super::field::{HeaderName, HeaderValue, InvalidHead};
use bytes::{Bytes, BytesMut};
use core::fmt;

/// Where one field line's name and value sit in the head's bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub name: u32,
    pub name_len: u32,
    pub value: u32,
    pub value_len: u32,
}

/// The header (or trailer) section of a message: field lines in received order,
/// duplicates kept, original case kept.
///
/// A parsed section is one frozen [`Bytes`] plus one exactly sized list of offsets into
/// it, so parsing allocates once per section, never per field. Accessors borrow from it.
///
/// ```
/// use wirestate::http::Headers;
/// let mut h = Headers::new();
/// h.append("Accept", "a").unwrap();
/// h.append("accept", "b").unwrap();
/// assert_eq!(h.get(b"ACCEPT"), Some(&b"a"[..]));
/// assert_eq!(h.get_all(b"accept").count(), 2);
/// assert_eq!(h.len(), 2);
/// assert!(h.append("Bad\r\n", "x").is_err());
/// ```
#[derive(Clone)]
pub struct Headers {
    buf: Bytes,
    spans: alloc::vec::Vec<Span>,
}

impl Default for Headers {
    fn default() -> Self {
        Headers::new()
    }
}

impl Headers {
    /// An empty section (no allocation).
    ///
    /// ```
    /// assert!(wirestate::http::Headers::new().is_empty());
    /// ```
    pub fn new() -> Headers {
        Headers {
            buf: Bytes::new(),
            spans: alloc::vec::Vec::new(),
        }
    }

    /// A section over `buf` with these spans.
    pub(crate) fn from_parts(buf: Bytes, spans: alloc::vec::Vec<Span>) -> Headers {
        Headers { buf, spans }
    }

    pub(crate) fn push_span(&mut self, s: Span) {
        self.spans.push(s);
    }

    fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Appends a field line after validating name and value (copies; for building
    /// messages to send).
    ///
    /// ```
    /// let mut h = wirestate::http::Headers::new();
    /// assert!(h.append("X", "bad\nvalue").is_err());
    /// assert!(h.is_empty());
    /// ```
    pub fn append(
        &mut self,
        name: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), InvalidHead> {
        let name = HeaderName::from_bytes(name.as_ref())?;
        let value = HeaderValue::from_bytes(value.as_ref())?;
        self.append_typed(&name, &value);
        Ok(())
    }

    /// Appends an already validated field line.
    ///
    /// ```
    /// use wirestate::http::{HeaderName, HeaderValue, Headers};
    /// let mut h = Headers::new();
    /// h.append_typed(&HeaderName::from_static("Host").unwrap(), &HeaderValue::from_static("a").unwrap());
    /// assert_eq!(h.get(b"host"), Some(&b"a"[..]));
    /// ```
    pub fn append_typed(&mut self, name: &HeaderName, value: &HeaderValue) {
        let mut b = BytesMut::with_capacity(self.buf.len() + name.0.len() + value.0.len());
        b.extend_from_slice(&self.buf);
        let n = b.len();
        b.extend_from_slice(&name.0);
        b.extend_from_slice(&value.0);
        self.buf = b.freeze();
        self.push_span(Span {
            name: n as u32,
            name_len: name.0.len() as u32,
            value: (n + name.0.len()) as u32,
            value_len: value.0.len() as u32,
        });
    }

    /// Number of field lines.
    ///
    /// ```
    /// assert_eq!(wirestate::http::Headers::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.spans().len()
    }

    /// True when there are no field lines.
    ///
    /// ```
    /// assert!(wirestate::http::Headers::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every field line as `(name, value)`, in received order; the value has its
    /// surrounding whitespace removed (RFC 9112 section 5).
    ///
    /// ```
    /// let mut h = wirestate::http::Headers::new();
    /// h.append("A", "1").unwrap();
    /// let all: Vec<_> = h.iter().collect();
    /// assert_eq!(all, [(&b"A"[..], &b"1"[..])]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let buf = &self.buf[..];
        self.spans().iter().map(move |s| {
            (
                &buf[s.name as usize..(s.name + s.name_len) as usize],
                &buf[s.value as usize..(s.value + s.value_len) as usize],
            )
        })
    }

    /// The first value of the field `name` (compared case-insensitively).
    ///
    /// ```
    /// let mut h = wirestate::http::Headers::new();
    /// h.append("Content-Type", "text/plain").unwrap();
    /// assert_eq!(h.get(b"content-type"), Some(&b"text/plain"[..]));
    /// assert_eq!(h.get(b"x"), None);
    /// ```
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every value of the field `name`, in order.
    ///
    /// ```
    /// let mut h = wirestate::http::Headers::new();
    /// h.append("Via", "a").unwrap();
    /// h.append("Via", "b").unwrap();
    /// assert_eq!(h.get_all(b"via").collect::<Vec<_>>(), [&b"a"[..], &b"b"[..]]);
    /// ```
    pub fn get_all<'a>(&'a self, name: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The value of `name` as a shared [`Bytes`] slice, without copying.
    ///
    /// ```
    /// let mut h = wirestate::http::Headers::new();
    /// h.append("Host", "example.com").unwrap();
    /// assert_eq!(&h.get_bytes(b"host").unwrap()[..], b"example.com");
    /// ```
    pub fn get_bytes(&self, name: &[u8]) -> Option<Bytes> {
        let buf = &self.buf[..];
        self.spans()
            .iter()
            .find(|s| {
                buf[s.name as usize..(s.name + s.name_len) as usize].eq_ignore_ascii_case(name)
            })
            .map(|s| {
                self.buf
                    .slice(s.value as usize..(s.value + s.value_len) as usize)
            })
    }

    /// Whether the comma-separated list field `name` contains `token`
    /// (case-insensitive), e.g. `Connection: keep-alive, Upgrade` contains `upgrade`.
    ///
    /// ```
    /// let mut h = wirestate::http::Headers::new();
    /// h.append("Connection", "keep-alive, Upgrade").unwrap();
    /// assert!(h.has_token(b"connection", b"upgrade"));
    /// assert!(!h.has_token(b"connection", b"close"));
    /// ```
    pub fn has_token(&self, name: &[u8], token: &[u8]) -> bool {
        self.get_all(name).any(|v| {
            v.split(|&c| c == b',')
                .any(|t| trim_ows(t).eq_ignore_ascii_case(token))
        })
    }
}

/// Strips leading and trailing SP / HTAB (OWS, RFC 9110 section 5.6.3).
pub(crate) fn trim_ows(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(n, v)| {
                (
                    core::str::from_utf8(n).unwrap_or("?"),
                    alloc::string::String::from_utf8_lossy(v),
                )
            }))
            .finish()
    }
}

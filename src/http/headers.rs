//! The header (and trailer) section: field lines as offsets into one frozen buffer.

use super::field::{HeaderName, HeaderValue, InvalidHead};
use bytes::{Bytes, BytesMut};
use core::fmt;
use memchr::memchr;

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
/// A received section is the frozen [`Bytes`] of its head and nothing else: its field
/// lines were validated when the head was parsed, so the accessors read them where
/// they are (a `memchr` for each line's colon and end) and parsing a head allocates
/// nothing for its fields. A section built with [`append`](Headers::append) keeps a
/// list of offsets instead. Accessors borrow from it either way.
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
    /// The fields of a built section; empty for a received one.
    spans: alloc::vec::Vec<Span>,
    /// A received section: its `wire_count` field lines start at `buf[wire_start..]`,
    /// each `name ":" OWS value OWS` and a line ending, all validated (RFC 9112 5).
    wire_start: u32,
    wire_count: u32,
}

impl Default for Headers {
    fn default() -> Self {
        Headers::new()
    }
}

/// Where the next validated wire field line from `pos` has its name and value, and
/// where the line after it starts. The parser has checked every byte: the name is a
/// token (so the first colon ends it) and the value holds no CR or LF (so the first LF
/// ends the line, after an optional CR).
#[inline]
fn wire_line(buf: &[u8], pos: usize) -> (Span, usize) {
    let colon = pos + memchr(b':', &buf[pos..]).unwrap_or(buf.len() - pos);
    let rest = buf.get(colon + 1..).unwrap_or_default();
    let lf = colon + 1 + memchr(b'\n', rest).unwrap_or(rest.len());
    let line = &buf[colon + 1..lf];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let value = trim_ows(line);
    // `value` is a subslice of `line`: its offset is how much `trim_ows` cut in front.
    let lead = line.len() - trim_ows_start(line).len();
    (
        Span {
            name: pos as u32,
            name_len: (colon - pos) as u32,
            value: (colon + 1 + lead) as u32,
            value_len: value.len() as u32,
        },
        lf + 1,
    )
}

/// The field lines' offsets, in order, whichever form the section has.
#[derive(Clone)]
struct SpanIter<'a> {
    buf: &'a [u8],
    spans: core::slice::Iter<'a, Span>,
    pos: usize,
    left: u32,
}

impl Iterator for SpanIter<'_> {
    type Item = Span;

    #[inline]
    fn next(&mut self) -> Option<Span> {
        if self.left == 0 {
            return self.spans.next().copied();
        }
        self.left -= 1;
        let (span, next) = wire_line(self.buf, self.pos);
        self.pos = next;
        Some(span)
    }
}

/// The `count` validated field lines of a received head from `start`, as
/// `(name, value)`: what [`Headers::iter`] gives for a received section, read from a
/// borrowed head.
pub(crate) fn wire_fields(
    buf: &[u8],
    start: usize,
    count: usize,
) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
    SpanIter {
        buf,
        spans: [].iter(),
        pos: start,
        left: count as u32,
    }
    .map(move |s| span_parts(buf, s))
}

/// The first value of the field `name` (compared case-insensitively) among `fields`:
/// the lookup of the heads read in place.
pub(crate) fn first_value<'a>(
    mut fields: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    name: &[u8],
) -> Option<&'a [u8]> {
    fields
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Bytes as text, invalid UTF-8 replaced: for `Debug` of heads read in place.
pub(crate) fn lossy(b: &[u8]) -> alloc::string::String {
    alloc::string::String::from_utf8_lossy(b).into_owned()
}

/// `fields` as text pairs, for `Debug` of heads read in place.
pub(crate) fn fields_text<'a>(
    fields: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) -> alloc::vec::Vec<(alloc::string::String, alloc::string::String)> {
    fields.map(|(n, v)| (lossy(n), lossy(v))).collect()
}

/// The name and the value `s` locates in `buf`.
#[inline]
fn span_parts(buf: &[u8], s: Span) -> (&[u8], &[u8]) {
    (
        &buf[s.name as usize..(s.name + s.name_len) as usize],
        &buf[s.value as usize..(s.value + s.value_len) as usize],
    )
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
            wire_start: 0,
            wire_count: 0,
        }
    }

    /// A received section: `count` validated field lines of `buf` from `start`.
    #[inline]
    pub(crate) fn from_wire(buf: Bytes, start: usize, count: usize) -> Headers {
        Headers {
            buf,
            spans: alloc::vec::Vec::new(),
            wire_start: start as u32,
            wire_count: count as u32,
        }
    }

    fn span_iter(&self) -> SpanIter<'_> {
        SpanIter {
            buf: &self.buf,
            spans: self.spans.iter(),
            pos: self.wire_start as usize,
            left: self.wire_count,
        }
    }

    fn push_span(&mut self, s: Span) {
        if self.wire_count > 0 {
            // A received section being added to: its lines become offsets first.
            self.spans = self.span_iter().collect();
            self.wire_count = 0;
        }
        self.spans.push(s);
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
        self.spans.len() + self.wire_count as usize
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
        self.span_iter().map(move |s| span_parts(buf, s))
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
        self.span_iter()
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

/// Strips leading SP / HTAB.
fn trim_ows_start(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    b
}

/// Strips leading and trailing SP / HTAB (OWS, RFC 9110 section 5.6.3).
pub(crate) fn trim_ows(b: &[u8]) -> &[u8] {
    let mut b = trim_ows_start(b);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_received_section_reads_like_a_built_one_and_takes_appends() {
        // As the parser leaves it: validated lines after a start line, OWS kept on the
        // wire, an empty value, a bare LF line ending (allowed by a limit), obs-text.
        let head = Bytes::from_static(
            b"GET / HTTP/1.1\r\nHost:  a \r\nX-Empty:\r\nX-Tab:\tb\tc\t\nX-Obs: \xff\r\n\r\n",
        );
        let received = Headers::from_wire(head, 16, 4);
        let mut built = Headers::new();
        built.append("Host", "a").unwrap();
        built.append("X-Empty", "").unwrap();
        built.append("X-Tab", "b\tc").unwrap();
        built.append_typed(
            &HeaderName::from_bytes(b"X-Obs").unwrap(),
            &HeaderValue::from_bytes(b"\xff").unwrap(),
        );
        assert_eq!(received, built);
        assert_eq!(received.len(), 4);
        assert_eq!(&received.get_bytes(b"x-tab").unwrap()[..], b"b\tc");
        assert_eq!(received.get(b"x-empty"), Some(&b""[..]));
        let mut more = received.clone();
        more.append("Via", "1.1 x").unwrap();
        built.append("Via", "1.1 x").unwrap();
        assert_eq!(more, built);
        assert_eq!(more.len(), 5);
    }
}

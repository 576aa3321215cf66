//! Single values of a head, validated on construction: field names and values
//! (RFC 9110 section 5), and the error a locally built head part reports.

use super::chars::{first_non_token, is_value_byte};
use crate::{SendError, SyntaxError};
use bytes::Bytes;
use core::fmt;

/// A value that failed validation when building a head locally.
///
/// ```
/// use wirestate::http::HeaderValue;
/// assert!(HeaderValue::from_bytes(b"a\r\nb").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidHead {
    /// What was being built.
    pub what: &'static str,
    /// Index of the first offending byte within the value.
    pub at: usize,
}

impl fmt::Display for InvalidHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} (byte {})", self.what, self.at)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for InvalidHead {}

impl InvalidHead {
    /// The rule the value breaks, with its RFC section.
    ///
    /// ```
    /// let e = wirestate::http::HeaderName::from_bytes(b"a b").unwrap_err();
    /// assert_eq!(e.rule(), "RFC 9110 5.1: field-name = token");
    /// ```
    #[must_use]
    pub fn rule(&self) -> &'static str {
        match self.what {
            "method" => "RFC 9110 9.1: method = token",
            "header name" => "RFC 9110 5.1: field-name = token",
            "header value" => {
                "RFC 9110 5.5: field-value has no CR, LF, NUL or controls, and no outer whitespace"
            }
            "request-target" => "RFC 9112 3.2: request-target is VCHARs in one of four forms",
            "status code" => "RFC 9110 15: status-code = 3DIGIT, 100 to 999",
            _ => "RFC 9110 5: invalid head part",
        }
    }
}

/// The head builder's error, in the crate-wide vocabulary.
///
/// ```
/// let e = wirestate::http::HeaderValue::from_bytes(b"a\rb").unwrap_err();
/// let s: wirestate::SyntaxError = e.into();
/// assert_eq!(s.offset, 1);
/// ```
impl From<InvalidHead> for SyntaxError {
    fn from(e: InvalidHead) -> SyntaxError {
        SyntaxError {
            rule: e.rule(),
            offset: e.at,
        }
    }
}

/// `SendError::Invalid`, so `?` works on head building inside a send.
impl From<InvalidHead> for SendError {
    fn from(e: InvalidHead) -> SendError {
        SendError::Invalid(e.into())
    }
}

pub(crate) fn check_token(b: &[u8], what: &'static str) -> Result<(), InvalidHead> {
    if b.is_empty() {
        return Err(InvalidHead { what, at: 0 });
    }
    match first_non_token(b) {
        Some(at) => Err(InvalidHead { what, at }),
        None => Ok(()),
    }
}

/// A field name: a non-empty token (RFC 9110 section 5.1), original case kept.
///
/// ```
/// use wirestate::http::HeaderName;
/// let n = HeaderName::from_bytes(b"X-Trace").unwrap();
/// assert_eq!(n.as_bytes(), b"X-Trace");
/// assert!(HeaderName::from_bytes(b"Bad Name").is_err());
/// assert!(HeaderName::from_bytes(b"").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HeaderName(pub(crate) Bytes);

impl HeaderName {
    /// Validates a field name, copying it.
    ///
    /// ```
    /// assert!(wirestate::http::HeaderName::from_bytes(b"a:b").is_err());
    /// ```
    pub fn from_bytes(b: &[u8]) -> Result<HeaderName, InvalidHead> {
        check_token(b, "header name")?;
        Ok(HeaderName(Bytes::copy_from_slice(b)))
    }

    /// Validates a static field name without copying.
    ///
    /// ```
    /// assert!(wirestate::http::HeaderName::from_static("Host").is_ok());
    /// ```
    pub fn from_static(s: &'static str) -> Result<HeaderName, InvalidHead> {
        check_token(s.as_bytes(), "header name")?;
        Ok(HeaderName(Bytes::from_static(s.as_bytes())))
    }

    /// The name's bytes.
    ///
    /// ```
    /// assert_eq!(wirestate::http::HeaderName::from_static("A").unwrap().as_bytes(), b"A");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A field value: no CR, LF, NUL or other control except HTAB (RFC 9110 section 5.5),
/// and no leading or trailing whitespace, so what is sent is what the peer reads.
///
/// ```
/// use wirestate::http::HeaderValue;
/// assert_eq!(HeaderValue::from_bytes(b"text/html").unwrap().as_bytes(), b"text/html");
/// assert!(HeaderValue::from_bytes(b"a\0b").is_err());
/// assert!(HeaderValue::from_bytes(b" padded").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HeaderValue(pub(crate) Bytes);

impl HeaderValue {
    /// Validates a field value, copying it.
    ///
    /// ```
    /// assert!(wirestate::http::HeaderValue::from_bytes(b"").is_ok());
    /// ```
    pub fn from_bytes(b: &[u8]) -> Result<HeaderValue, InvalidHead> {
        check_value(b)?;
        Ok(HeaderValue(Bytes::copy_from_slice(b)))
    }

    /// Validates a static field value without copying.
    ///
    /// ```
    /// assert!(wirestate::http::HeaderValue::from_static("close").is_ok());
    /// ```
    pub fn from_static(s: &'static str) -> Result<HeaderValue, InvalidHead> {
        check_value(s.as_bytes())?;
        Ok(HeaderValue(Bytes::from_static(s.as_bytes())))
    }

    /// A decimal number, e.g. for `Content-Length`.
    ///
    /// ```
    /// assert_eq!(wirestate::http::HeaderValue::from_u64(42).as_bytes(), b"42");
    /// ```
    pub fn from_u64(n: u64) -> HeaderValue {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        HeaderValue(Bytes::copy_from_slice(&digits[i..]))
    }

    /// The value's bytes.
    ///
    /// ```
    /// assert_eq!(wirestate::http::HeaderValue::from_static("x").unwrap().as_bytes(), b"x");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

fn check_value(b: &[u8]) -> Result<(), InvalidHead> {
    let what = "header value";
    if let Some(at) = b.iter().position(|&c| !is_value_byte(c)) {
        return Err(InvalidHead { what, at });
    }
    if matches!(b.first(), Some(b' ' | b'\t')) {
        return Err(InvalidHead { what, at: 0 });
    }
    if matches!(b.last(), Some(b' ' | b'\t')) {
        return Err(InvalidHead {
            what,
            at: b.len() - 1,
        });
    }
    Ok(())
}

//! Heads for logs: [`Redacted`] shows a request or response head, or a field section,
//! with the values of credential-bearing fields shown the way [`Secret`] shows a secret,
//! so a program that logs traffic cannot leak a password or a session through it.

use super::head::{RequestHead, ResponseHead};
use super::headers::Headers;
use crate::Secret;
use core::fmt;

/// The fields whose values are credentials, compared without regard to case
/// (field names are case-insensitive, RFC 9110 5.1):
/// `Authorization` (RFC 9110 11.6.2) and `Proxy-Authorization` (11.7.2) carry the
/// client's credentials, `Cookie` and `Set-Cookie` (RFC 6265 4) carry session state that
/// is as good as a password to whoever holds it.
pub const SENSITIVE_FIELDS: [&str; 4] = [
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "Set-Cookie",
];

/// Whether `name` is one of [`SENSITIVE_FIELDS`], in any case.
///
/// ```
/// use wirestate::http::is_sensitive;
/// assert!(is_sensitive(b"authorization"));
/// assert!(is_sensitive(b"Set-Cookie"));
/// assert!(!is_sensitive(b"Host"));
/// ```
pub fn is_sensitive(name: &[u8]) -> bool {
    SENSITIVE_FIELDS
        .iter()
        .any(|s| s.as_bytes().eq_ignore_ascii_case(name))
}

/// A head (or a field section) as text for a log: one line per start line and field
/// line, each ended by `\n`, the value of every [sensitive](is_sensitive) field printed
/// as [`Secret`] prints itself, `Secret(<redacted>)`. Other values are shown as they are
/// (bytes that are not UTF-8 as U+FFFD); a value cannot hold CR or LF (the parser and
/// [`Headers`] refuse them), so a line of the log is a line of the head. It is text for
/// people, not for the wire. Build it with [`RequestHead::redacted`],
/// [`ResponseHead::redacted`] or [`Headers::redacted`].
///
/// ```
/// use wirestate::http::{Method, RequestHead};
/// let mut req = RequestHead::new(Method::Get, "/inbox").unwrap();
/// req.headers.append("Host", "example.com").unwrap();
/// req.headers.append("authorization", "Basic dXNlcjpwdw==").unwrap();
/// req.headers.append("Cookie", "sid=31d4d96e407aad42").unwrap();
/// let shown = req.redacted().to_string();
/// assert_eq!(
///     shown,
///     "GET /inbox HTTP/1.1\nHost: example.com\nauthorization: Secret(<redacted>)\n\
///      Cookie: Secret(<redacted>)\n"
/// );
/// assert!(!shown.contains("dXNlcjpwdw") && !shown.contains("31d4d96e"));
/// assert_eq!(format!("{:?}", req.redacted()), format!("{:?}", shown));
/// ```
#[derive(Clone, Copy)]
pub struct Redacted<'a> {
    start: Start<'a>,
    headers: &'a Headers,
}

#[derive(Clone, Copy)]
enum Start<'a> {
    Request(&'a RequestHead),
    Response(&'a ResponseHead),
    None,
}

impl RequestHead {
    /// This head for a log, credentials hidden: see [`Redacted`].
    ///
    /// ```
    /// use wirestate::http::{Method, RequestHead};
    /// let mut req = RequestHead::new(Method::Get, "/").unwrap();
    /// req.headers.append("Proxy-Authorization", "Basic YTpi").unwrap();
    /// assert!(!req.redacted().to_string().contains("YTpi"));
    /// ```
    #[must_use = "redacted() changes nothing; format what it returns"]
    pub fn redacted(&self) -> Redacted<'_> {
        Redacted {
            start: Start::Request(self),
            headers: &self.headers,
        }
    }
}

impl ResponseHead {
    /// This head for a log, credentials hidden: see [`Redacted`].
    ///
    /// ```
    /// use wirestate::http::{ResponseHead, StatusCode};
    /// let mut resp = ResponseHead::new(StatusCode::OK);
    /// resp.headers.append("Set-Cookie", "sid=31d4d96e407aad42; Secure").unwrap();
    /// assert_eq!(
    ///     resp.redacted().to_string(),
    ///     "HTTP/1.1 200 OK\nSet-Cookie: Secret(<redacted>)\n"
    /// );
    /// ```
    #[must_use = "redacted() changes nothing; format what it returns"]
    pub fn redacted(&self) -> Redacted<'_> {
        Redacted {
            start: Start::Response(self),
            headers: &self.headers,
        }
    }
}

impl Headers {
    /// These fields (a trailer section, say) for a log, credentials hidden: see
    /// [`Redacted`].
    ///
    /// ```
    /// let mut h = wirestate::http::Headers::new();
    /// h.append("Cookie", "a=b").unwrap();
    /// assert_eq!(h.redacted().to_string(), "Cookie: Secret(<redacted>)\n");
    /// ```
    #[must_use = "redacted() changes nothing; format what it returns"]
    pub fn redacted(&self) -> Redacted<'_> {
        Redacted {
            start: Start::None,
            headers: self,
        }
    }
}

/// Writes `bytes` as text, invalid UTF-8 as U+FFFD, without allocating.
fn text(f: &mut fmt::Formatter<'_>, mut bytes: &[u8]) -> fmt::Result {
    loop {
        match core::str::from_utf8(bytes) {
            Ok(s) => return f.write_str(s),
            Err(e) => {
                let (good, bad) = bytes.split_at(e.valid_up_to());
                f.write_str(core::str::from_utf8(good).unwrap_or_default())?;
                f.write_str("\u{FFFD}")?;
                bytes = &bad[e.error_len().unwrap_or(bad.len())..];
            }
        }
    }
}

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.start {
            Start::Request(r) => {
                text(f, r.method.as_bytes())?;
                f.write_str(" ")?;
                text(f, r.target.as_bytes())?;
                f.write_str(" ")?;
                text(f, r.version.as_bytes())?;
                f.write_str("\n")?;
            }
            Start::Response(r) => {
                text(f, r.version.as_bytes())?;
                write!(f, " {} ", r.status.as_u16())?;
                text(f, &r.reason)?;
                f.write_str("\n")?;
            }
            Start::None => {}
        }
        for (name, value) in self.headers.iter() {
            text(f, name)?;
            f.write_str(": ")?;
            if is_sensitive(name) {
                // Secret's Display does not depend on the bytes; an empty one costs
                // nothing to build.
                write!(f, "{}", Secret::default())?;
            } else {
                text(f, value)?;
            }
            f.write_str("\n")?;
        }
        Ok(())
    }
}

/// The same text as `Display`, quoted: a `{:?}` in a log is as safe as a `{}`.
impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = alloc::string::String::new();
        fmt::write(&mut s, format_args!("{self}"))?;
        fmt::Debug::fmt(&s, f)
    }
}

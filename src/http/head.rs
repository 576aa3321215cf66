//! Message head types: methods, versions, request targets, status codes, and header
//! fields validated on construction (RFC 9110 section 5, RFC 9112 sections 3 and 4).

use super::field::{check_token, InvalidHead};
use super::headers::Headers;
use bytes::Bytes;

/// A request method (RFC 9110 section 9): the registered ones by name, any other token
/// kept as its bytes. Methods are case-sensitive.
///
/// ```
/// use wirestate::http::Method;
/// assert_eq!(Method::from_bytes(b"GET").unwrap(), Method::Get);
/// assert_eq!(Method::from_bytes(b"PURGE").unwrap().as_bytes(), b"PURGE");
/// assert!(Method::from_bytes(b"G T").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`: the response has no content (RFC 9110 9.3.2).
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `CONNECT`: authority-form target; a 2xx reply turns the connection into a tunnel.
    Connect,
    /// `OPTIONS`: may use the asterisk-form target.
    Options,
    /// `TRACE`
    Trace,
    /// `PATCH` (RFC 5789)
    Patch,
    /// Any other token.
    Other(Bytes),
}

impl Method {
    /// Parses a method token, copying only for an unregistered method.
    ///
    /// ```
    /// assert!(wirestate::http::Method::from_bytes(b"").is_err());
    /// ```
    pub fn from_bytes(b: &[u8]) -> Result<Method, InvalidHead> {
        check_token(b, "method")?;
        Ok(Self::known(b).unwrap_or_else(|| Method::Other(Bytes::copy_from_slice(b))))
    }

    /// A validated token taken from a frozen head (no copy).
    pub(crate) fn from_shared(head: &Bytes, start: usize, end: usize) -> Method {
        Self::known(&head[start..end]).unwrap_or_else(|| Method::Other(head.slice(start..end)))
    }

    fn known(b: &[u8]) -> Option<Method> {
        Some(match b {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"CONNECT" => Method::Connect,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"PATCH" => Method::Patch,
            _ => return None,
        })
    }

    /// The method's bytes as sent on the wire.
    ///
    /// ```
    /// assert_eq!(wirestate::http::Method::Head.as_bytes(), b"HEAD");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Method::Get => b"GET",
            Method::Head => b"HEAD",
            Method::Post => b"POST",
            Method::Put => b"PUT",
            Method::Delete => b"DELETE",
            Method::Connect => b"CONNECT",
            Method::Options => b"OPTIONS",
            Method::Trace => b"TRACE",
            Method::Patch => b"PATCH",
            Method::Other(b) => b,
        }
    }
}

/// The protocol version of a message: `HTTP/1.` and its minor digit, as received. The
/// machines speak HTTP/1.0 and HTTP/1.1; a message with a higher 1.x minor version is
/// treated as 1.1 (RFC 9110 2.5: "as if it were in the highest minor version within
/// that major version to which the recipient is conformant"), but the digit itself is
/// kept, as a proxy must see it.
///
/// ```
/// use wirestate::http::Version;
/// assert_eq!(Version::HTTP_11.as_bytes(), b"HTTP/1.1");
/// let v = Version::http1(2).unwrap();
/// assert_eq!((v.minor(), v.as_bytes()), (2, &b"HTTP/1.2"[..]));
/// assert!(!v.is_http10());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    minor: u8,
}

impl Default for Version {
    fn default() -> Self {
        Version::HTTP_11
    }
}

impl Version {
    /// `HTTP/1.0`: connections close after each message unless `keep-alive` is asked for.
    ///
    /// ```
    /// assert!(wirestate::http::Version::HTTP_10.is_http10());
    /// ```
    pub const HTTP_10: Version = Version { minor: 0 };
    /// `HTTP/1.1`: persistent by default (RFC 9112 section 9.3).
    ///
    /// ```
    /// assert_eq!(wirestate::http::Version::HTTP_11, Default::default());
    /// ```
    pub const HTTP_11: Version = Version { minor: 1 };

    /// `HTTP/1.minor`, for a minor version digit 0 to 9 (RFC 9112 2.3: one DIGIT).
    ///
    /// ```
    /// assert!(wirestate::http::Version::http1(10).is_none());
    /// ```
    #[must_use]
    pub const fn http1(minor: u8) -> Option<Version> {
        if minor <= 9 {
            Some(Version { minor })
        } else {
            None
        }
    }

    /// The minor version digit as received.
    ///
    /// ```
    /// assert_eq!(wirestate::http::Version::HTTP_10.minor(), 0);
    /// ```
    #[must_use]
    pub const fn minor(self) -> u8 {
        self.minor
    }

    /// Whether HTTP/1.0 rules apply; every later 1.x minor follows HTTP/1.1's.
    ///
    /// ```
    /// assert!(wirestate::http::Version::HTTP_10.is_http10());
    /// ```
    #[must_use]
    pub const fn is_http10(self) -> bool {
        self.minor == 0
    }

    /// The version as written in a start line.
    ///
    /// ```
    /// assert_eq!(wirestate::http::Version::HTTP_10.as_bytes(), b"HTTP/1.0");
    /// ```
    #[must_use]
    pub fn as_bytes(self) -> &'static [u8] {
        const NAMES: [&[u8]; 10] = [
            b"HTTP/1.0",
            b"HTTP/1.1",
            b"HTTP/1.2",
            b"HTTP/1.3",
            b"HTTP/1.4",
            b"HTTP/1.5",
            b"HTTP/1.6",
            b"HTTP/1.7",
            b"HTTP/1.8",
            b"HTTP/1.9",
        ];
        NAMES[usize::from(self.minor.min(9))]
    }
}

/// Which of the four request-target forms of RFC 9112 section 3.2 a target has.
///
/// ```
/// use wirestate::http::{RequestTarget, TargetForm};
/// assert_eq!(RequestTarget::new(b"/a?b").unwrap().form(), TargetForm::Origin);
/// assert_eq!(RequestTarget::new(b"*").unwrap().form(), TargetForm::Asterisk);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetForm {
    /// `/path?query` (3.2.1).
    Origin,
    /// `scheme://authority/path` (3.2.2), used towards proxies.
    Absolute,
    /// `host:port`, only with CONNECT (3.2.3).
    Authority,
    /// `*`, only with OPTIONS (3.2.4).
    Asterisk,
}

/// A request-target: its bytes and its form. Bytes are visible US-ASCII only (RFC 9112
/// section 3.2 with RFC 3986): no whitespace, no controls.
///
/// ```
/// use wirestate::http::{RequestTarget, TargetForm};
/// let t = RequestTarget::new(b"http://example.com/x").unwrap();
/// assert_eq!(t.form(), TargetForm::Absolute);
/// assert_eq!(RequestTarget::new(b"example.com:443").unwrap().form(), TargetForm::Authority);
/// assert!(RequestTarget::new(b"/a b").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestTarget {
    raw: Bytes,
    form: TargetForm,
}

impl RequestTarget {
    /// Validates and classifies a target, copying it.
    ///
    /// ```
    /// assert!(wirestate::http::RequestTarget::new(b"").is_err());
    /// ```
    pub fn new(b: &[u8]) -> Result<RequestTarget, InvalidHead> {
        let form = classify_target(b).map_err(|at| InvalidHead {
            what: "request-target",
            at,
        })?;
        Ok(RequestTarget {
            raw: Bytes::copy_from_slice(b),
            form,
        })
    }

    pub(crate) fn from_parts(raw: Bytes, form: TargetForm) -> RequestTarget {
        RequestTarget { raw, form }
    }

    /// The target's bytes.
    ///
    /// ```
    /// assert_eq!(wirestate::http::RequestTarget::new(b"/").unwrap().as_bytes(), b"/");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The target's form.
    ///
    /// ```
    /// use wirestate::http::{RequestTarget, TargetForm};
    /// assert_eq!(RequestTarget::new(b"/").unwrap().form(), TargetForm::Origin);
    /// ```
    pub fn form(&self) -> TargetForm {
        self.form
    }
}

/// Classifies a target, or gives the index of the byte that makes it invalid.
pub(crate) fn classify_target(b: &[u8]) -> Result<TargetForm, usize> {
    if b.is_empty() {
        return Err(0);
    }
    if let Some(at) = b.iter().position(|&c| !(0x21..=0x7e).contains(&c)) {
        return Err(at);
    }
    classify_form(b)
}

/// The form of a non-empty target whose bytes are already known to be VCHARs.
pub(crate) fn classify_form(b: &[u8]) -> Result<TargetForm, usize> {
    if b.first() == Some(&b'/') {
        return Ok(TargetForm::Origin);
    }
    if b == b"*" {
        return Ok(TargetForm::Asterisk);
    }
    // absolute-URI = scheme ":" hier-part; scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    // (RFC 3986 section 3.1). "host:port" has no "//" after the colon.
    if let Some(colon) = b.iter().position(|&c| c == b':') {
        let scheme = &b[..colon];
        let scheme_ok = !scheme.is_empty()
            && scheme[0].is_ascii_alphabetic()
            && scheme
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
        if scheme_ok && b[colon + 1..].starts_with(b"//") {
            return Ok(TargetForm::Absolute);
        }
        let port = &b[colon + 1..];
        if !port.is_empty() && port.iter().all(u8::is_ascii_digit) && colon > 0 {
            return Ok(TargetForm::Authority);
        }
        if scheme_ok {
            return Ok(TargetForm::Absolute);
        }
    }
    Err(0)
}

/// A three-digit status code (RFC 9110 section 15), 100 to 999.
///
/// ```
/// use wirestate::http::StatusCode;
/// let s = StatusCode::new(404).unwrap();
/// assert_eq!(s.reason(), "Not Found");
/// assert!(StatusCode::new(99).is_err());
/// assert!(StatusCode::OK.is_success());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u16);

impl StatusCode {
    /// 100 Continue
    pub const CONTINUE: StatusCode = StatusCode(100);
    /// 101 Switching Protocols
    pub const SWITCHING_PROTOCOLS: StatusCode = StatusCode(101);
    /// 200 OK
    pub const OK: StatusCode = StatusCode(200);
    /// 204 No Content
    pub const NO_CONTENT: StatusCode = StatusCode(204);
    /// 304 Not Modified
    pub const NOT_MODIFIED: StatusCode = StatusCode(304);
    /// 400 Bad Request
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 404 Not Found
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 405 Method Not Allowed
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// 408 Request Timeout
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    /// 413 Content Too Large
    pub const CONTENT_TOO_LARGE: StatusCode = StatusCode(413);
    /// 414 URI Too Long
    pub const URI_TOO_LONG: StatusCode = StatusCode(414);
    /// 417 Expectation Failed
    pub const EXPECTATION_FAILED: StatusCode = StatusCode(417);
    /// 431 Request Header Fields Too Large (RFC 6585)
    pub const HEADER_FIELDS_TOO_LARGE: StatusCode = StatusCode(431);
    /// 500 Internal Server Error
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    /// 501 Not Implemented
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// 505 HTTP Version Not Supported
    pub const VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);

    /// A status code in 100..=999.
    ///
    /// ```
    /// assert!(wirestate::http::StatusCode::new(1000).is_err());
    /// ```
    pub const fn new(code: u16) -> Result<StatusCode, InvalidHead> {
        if code >= 100 && code <= 999 {
            Ok(StatusCode(code))
        } else {
            Err(InvalidHead {
                what: "status code",
                at: 0,
            })
        }
    }

    /// The numeric code.
    ///
    /// ```
    /// assert_eq!(wirestate::http::StatusCode::OK.as_u16(), 200);
    /// ```
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// 1xx: an interim response, followed by the final one.
    ///
    /// ```
    /// assert!(wirestate::http::StatusCode::CONTINUE.is_informational());
    /// ```
    pub const fn is_informational(self) -> bool {
        self.0 < 200
    }

    /// 2xx.
    ///
    /// ```
    /// assert!(!wirestate::http::StatusCode::NOT_FOUND.is_success());
    /// ```
    pub const fn is_success(self) -> bool {
        self.0 >= 200 && self.0 < 300
    }

    /// The canonical reason phrase of RFC 9110 section 15, or `""` for an unknown code.
    ///
    /// ```
    /// assert_eq!(wirestate::http::StatusCode::new(599).unwrap().reason(), "");
    /// ```
    pub fn reason(self) -> &'static str {
        match self.0 {
            100 => "Continue",
            101 => "Switching Protocols",
            200 => "OK",
            201 => "Created",
            202 => "Accepted",
            204 => "No Content",
            206 => "Partial Content",
            301 => "Moved Permanently",
            302 => "Found",
            303 => "See Other",
            304 => "Not Modified",
            307 => "Temporary Redirect",
            308 => "Permanent Redirect",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            411 => "Length Required",
            413 => "Content Too Large",
            414 => "URI Too Long",
            417 => "Expectation Failed",
            431 => "Request Header Fields Too Large",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            505 => "HTTP Version Not Supported",
            _ => "",
        }
    }
}

/// A request head: request line and header section.
///
/// ```
/// use wirestate::http::{Method, RequestHead};
/// let mut req = RequestHead::new(Method::Get, "/index.html").unwrap();
/// req.headers.append("Host", "example.com").unwrap();
/// assert_eq!(req.target.as_bytes(), b"/index.html");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The request-target.
    pub target: RequestTarget,
    /// The version.
    pub version: Version,
    /// The header section.
    pub headers: Headers,
}

impl RequestHead {
    /// An HTTP/1.1 request with no header fields yet.
    ///
    /// ```
    /// use wirestate::http::{Method, RequestHead};
    /// assert!(RequestHead::new(Method::Get, "no spaces allowed").is_err());
    /// ```
    pub fn new(method: Method, target: impl AsRef<[u8]>) -> Result<RequestHead, InvalidHead> {
        Ok(RequestHead {
            method,
            target: RequestTarget::new(target.as_ref())?,
            version: Version::HTTP_11,
            headers: Headers::new(),
        })
    }
}

/// A response head: status line and header section.
///
/// ```
/// use wirestate::http::{ResponseHead, StatusCode};
/// let resp = ResponseHead::new(StatusCode::NOT_FOUND);
/// assert_eq!(&resp.reason[..], b"Not Found");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseHead {
    /// The version.
    pub version: Version,
    /// The status code.
    pub status: StatusCode,
    /// The reason phrase as received or to be sent (may be empty).
    pub reason: Bytes,
    /// The header section.
    pub headers: Headers,
}

impl ResponseHead {
    /// An HTTP/1.1 response with the canonical reason phrase and no header fields.
    ///
    /// ```
    /// use wirestate::http::{ResponseHead, StatusCode};
    /// assert_eq!(ResponseHead::new(StatusCode::OK).status.as_u16(), 200);
    /// ```
    pub fn new(status: StatusCode) -> ResponseHead {
        ResponseHead {
            version: Version::HTTP_11,
            status,
            reason: Bytes::from_static(status.reason().as_bytes()),
            headers: Headers::new(),
        }
    }
}

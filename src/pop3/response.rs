//! POP3 responses: the status line with its RFC 2449 response code, and the typed lines
//! of multi-line bodies (scan listings, unique-id listings, capabilities).

use super::command::put_decimal;
use super::types::{invalid, parse_u64, MessageNumber, ResponseCode, Uid};
use crate::SendError;
use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

/// The status indicator (RFC 1939 section 3: "+OK" or "-ERR", sent in upper case).
///
/// ```
/// use wirestate::pop3::{Response, Status};
/// assert_eq!(Response::parse(bytes::Bytes::from_static(b"-ERR no")).unwrap().status, Status::Err);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`.
    Ok,
    /// `-ERR`.
    Err,
}

impl Status {
    /// The indicator as sent.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Status::Err.as_str(), "-ERR");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "+OK",
            Status::Err => "-ERR",
        }
    }
}

/// A status line: `+OK` or `-ERR`, an optional RFC 2449 response code, and text.
///
/// ```
/// use wirestate::pop3::{Response, ResponseCode, Status};
/// let r = Response::parse(bytes::Bytes::from_static(b"-ERR [IN-USE] Do you have another POP session running?")).unwrap();
/// assert_eq!(r.status, Status::Err);
/// assert_eq!(r.code, Some(ResponseCode::InUse));
/// assert_eq!(&r.text[..], b"Do you have another POP session running?");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// `+OK` or `-ERR`.
    pub status: Status,
    /// The bracketed response code, if the text starts with a valid one.
    pub code: Option<ResponseCode>,
    /// The text after the status and code, exactly as the server sent it.
    pub text: Bytes,
}

/// What made a status line unparseable.
///
/// ```
/// use wirestate::pop3::{Response, ResponseErrorKind};
/// let e = Response::parse(bytes::Bytes::from_static(b"+OKAY")).unwrap_err();
/// assert_eq!(e.kind, ResponseErrorKind::MissingSpace);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseErrorKind {
    /// Neither `+OK` nor `-ERR` (RFC 1939 section 3, which also requires upper case).
    BadStatus,
    /// The status is followed by something other than a space.
    MissingSpace,
    /// A listing line that is not `msg SP size` / `msg SP unique-id`.
    BadListing,
    /// A capability line that does not match RFC 2449 section 9.
    BadCapability,
    /// A `STAT` answer that is not `+OK nn mm` (RFC 1939 section 5).
    BadStat,
}

/// An unparseable response line, with the byte offset in the line.
///
/// ```
/// let e = wirestate::pop3::Response::parse(bytes::Bytes::from_static(b"OK")).unwrap_err();
/// assert_eq!(e.offset, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseError {
    /// What was wrong.
    pub kind: ResponseErrorKind,
    /// Byte offset in the line.
    pub offset: usize,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ResponseErrorKind::BadStatus => "status is neither +OK nor -ERR",
            ResponseErrorKind::MissingSpace => "status not followed by a space",
            ResponseErrorKind::BadListing => "malformed listing line",
            ResponseErrorKind::BadCapability => "malformed capability line",
            ResponseErrorKind::BadStat => "malformed STAT answer",
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ResponseError {}

fn rerr(kind: ResponseErrorKind, offset: usize) -> ResponseError {
    ResponseError { kind, offset }
}

/// Checks text a server or client is about to put on a status line: no CR, LF or NUL.
pub(crate) fn check_text(text: &[u8]) -> Result<(), SendError> {
    match text.iter().position(|&c| matches!(c, 0 | b'\r' | b'\n')) {
        Some(at) => Err(invalid(
            "RFC 1939 section 3: a status line holds no CR, LF or NUL before its end",
            at,
        )),
        None => Ok(()),
    }
}

impl Response {
    /// Parses a status line, CRLF already removed. A `[` that does not open a valid
    /// response code is left in the text (RFC 2449 section 8 codes are optional).
    ///
    /// ```
    /// use wirestate::pop3::{Response, Status};
    /// let r = Response::parse(bytes::Bytes::from_static(b"+OK")).unwrap();
    /// assert_eq!((r.status, r.code, r.text.len()), (Status::Ok, None, 0));
    /// assert!(Response::parse(bytes::Bytes::from_static(b"+ok fine")).is_err());
    /// ```
    pub fn parse(line: Bytes) -> Result<Response, ResponseError> {
        let (status, n) = if line.starts_with(b"+OK") {
            (Status::Ok, 3)
        } else if line.starts_with(b"-ERR") {
            (Status::Err, 4)
        } else {
            return Err(rerr(ResponseErrorKind::BadStatus, 0));
        };
        if line.len() == n {
            return Ok(Response {
                status,
                code: None,
                text: Bytes::new(),
            });
        }
        if line[n] != b' ' {
            return Err(rerr(ResponseErrorKind::MissingSpace, n));
        }
        let mut text = line.slice(n + 1..);
        let mut code = None;
        if text.first() == Some(&b'[') {
            if let Some(close) = memchr::memchr(b']', &text) {
                if let Some(c) = ResponseCode::parse(&text[1..close]) {
                    code = Some(c);
                    let skip = if text.get(close + 1) == Some(&b' ') {
                        2
                    } else {
                        1
                    };
                    text = text.slice(close + skip..);
                }
            }
        }
        Ok(Response { status, code, text })
    }

    /// A `+OK` response; `text` must not hold CR, LF or NUL.
    ///
    /// ```
    /// let r = wirestate::pop3::Response::ok("fine").unwrap();
    /// assert_eq!(r.to_bytes(), &b"+OK fine\r\n"[..]);
    /// ```
    pub fn ok(text: &str) -> Result<Response, SendError> {
        check_text(text.as_bytes())?;
        Ok(Response {
            status: Status::Ok,
            code: None,
            text: Bytes::copy_from_slice(text.as_bytes()),
        })
    }

    /// A `-ERR` response with an optional response code.
    ///
    /// ```
    /// use wirestate::pop3::{Response, ResponseCode};
    /// let r = Response::err(Some(ResponseCode::SysTemp), "try later").unwrap();
    /// assert_eq!(r.to_bytes(), &b"-ERR [SYS/TEMP] try later\r\n"[..]);
    /// ```
    pub fn err(code: Option<ResponseCode>, text: &str) -> Result<Response, SendError> {
        check_text(text.as_bytes())?;
        Ok(Response {
            status: Status::Err,
            code,
            text: Bytes::copy_from_slice(text.as_bytes()),
        })
    }

    /// Appends the line, CRLF included.
    ///
    /// ```
    /// let mut out = bytes::BytesMut::new();
    /// wirestate::pop3::Response::ok("").unwrap().encode(&mut out);
    /// assert_eq!(&out[..], b"+OK\r\n");
    /// ```
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(self.status.as_str().as_bytes());
        if let Some(c) = &self.code {
            out.put_slice(b" [");
            out.put_slice(c.as_str().as_bytes());
            out.put_u8(b']');
        }
        if !self.text.is_empty() {
            out.put_u8(b' ');
            out.put_slice(&self.text);
        }
        out.put_slice(b"\r\n");
    }

    /// The encoded line.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Response::ok("x").unwrap().to_bytes().len(), 7);
    /// ```
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        out.freeze()
    }

    /// Whether this is `+OK`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Response::ok("").unwrap().is_ok());
    /// ```
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }
}

/// `STAT`'s answer, a drop listing: `+OK nn mm` (RFC 1939 section 5). The memo makes no
/// requirement on what follows the size, so anything after it is ignored.
///
/// ```
/// let d = wirestate::pop3::DropListing::parse(b"0 0").unwrap();
/// assert_eq!(d.count, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DropListing {
    /// Messages in the maildrop, not counting those marked deleted.
    pub count: u32,
    /// Their total size in octets.
    pub octets: u64,
}

impl DropListing {
    /// Parses the text after `+OK `.
    ///
    /// ```
    /// let d = wirestate::pop3::DropListing::parse(b"2 320").unwrap();
    /// assert_eq!((d.count, d.octets), (2, 320));
    /// ```
    pub fn parse(text: &[u8]) -> Result<DropListing, ResponseError> {
        let mut it = text.splitn(3, |&c| c == b' ');
        let count = it.next().and_then(super::types::parse_u32);
        let octets = it.next().and_then(parse_u64);
        match (count, octets) {
            (Some(count), Some(octets)) => Ok(DropListing { count, octets }),
            _ => Err(rerr(ResponseErrorKind::BadStat, 0)),
        }
    }
}

/// One scan listing: `msg SP size` (RFC 1939 section 5, LIST). Anything after the size
/// is ignored, as the memo allows.
///
/// ```
/// let l = wirestate::pop3::ScanListing::parse(b"1 120 extra info").unwrap();
/// assert_eq!(l.octets, 120);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanListing {
    /// The message.
    pub msg: MessageNumber,
    /// Its exact size in octets, as it would be sent.
    pub octets: u64,
}

impl ScanListing {
    /// Parses one listing line (or the text after `+OK ` for `LIST msg`).
    ///
    /// ```
    /// let l = wirestate::pop3::ScanListing::parse(b"2 200").unwrap();
    /// assert_eq!((l.msg.get(), l.octets), (2, 200));
    /// assert!(wirestate::pop3::ScanListing::parse(b"0 200").is_err());
    /// ```
    pub fn parse(line: &[u8]) -> Result<ScanListing, ResponseError> {
        let mut it = line.splitn(3, |&c| c == b' ');
        let msg = it.next().and_then(MessageNumber::parse);
        let octets = it.next().and_then(parse_u64);
        match (msg, octets) {
            (Some(msg), Some(octets)) => Ok(ScanListing { msg, octets }),
            _ => Err(rerr(ResponseErrorKind::BadListing, 0)),
        }
    }

    /// Appends `msg SP size` (no CRLF).
    ///
    /// ```
    /// use wirestate::pop3::{MessageNumber, ScanListing};
    /// let mut out = bytes::BytesMut::new();
    /// ScanListing { msg: MessageNumber::new(1).unwrap(), octets: 120 }.encode(&mut out);
    /// assert_eq!(&out[..], b"1 120");
    /// ```
    pub fn encode(&self, out: &mut BytesMut) {
        put_decimal(out, u64::from(self.msg.get()));
        out.put_u8(b' ');
        put_decimal(out, self.octets);
    }
}

/// One unique-id listing: `msg SP unique-id` (RFC 1939 section 7, UIDL).
///
/// ```
/// let l = wirestate::pop3::UidListing::parse(bytes::Bytes::from_static(b"2 QhdPYR:00WBw1Ph7x7")).unwrap();
/// assert_eq!(l.msg.get(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UidListing {
    /// The message.
    pub msg: MessageNumber,
    /// Its unique id.
    pub uid: Uid,
}

impl UidListing {
    /// Parses one listing line (or the text after `+OK ` for `UIDL msg`).
    ///
    /// ```
    /// use bytes::Bytes;
    /// let l = wirestate::pop3::UidListing::parse(Bytes::from_static(b"1 whqtswO00WBw418f9t5JxYwZ")).unwrap();
    /// assert_eq!(l.uid.as_str(), "whqtswO00WBw418f9t5JxYwZ");
    /// ```
    pub fn parse(line: Bytes) -> Result<UidListing, ResponseError> {
        let sp = memchr::memchr(b' ', &line).ok_or(rerr(ResponseErrorKind::BadListing, 0))?;
        let msg =
            MessageNumber::parse(&line[..sp]).ok_or(rerr(ResponseErrorKind::BadListing, 0))?;
        let uid = Uid::from_bytes(line.slice(sp + 1..))
            .map_err(|_| rerr(ResponseErrorKind::BadListing, sp + 1))?;
        Ok(UidListing { msg, uid })
    }

    /// Appends `msg SP unique-id` (no CRLF).
    ///
    /// ```
    /// use wirestate::pop3::{MessageNumber, Uid, UidListing};
    /// let mut out = bytes::BytesMut::new();
    /// UidListing { msg: MessageNumber::new(2).unwrap(), uid: Uid::new("QhdPYR").unwrap() }.encode(&mut out);
    /// assert_eq!(&out[..], b"2 QhdPYR");
    /// ```
    pub fn encode(&self, out: &mut BytesMut) {
        put_decimal(out, u64::from(self.msg.get()));
        out.put_u8(b' ');
        out.put_slice(self.uid.as_bytes());
    }
}

/// One line of a CAPA answer (RFC 2449 section 5): a tag and space-separated parameters.
/// RFC 2449 section 9: `capa-tag = 1*cchar` (printable ASCII except "."),
/// `param = 1*pchar` (printable ASCII).
///
/// ```
/// use bytes::Bytes;
/// let c = wirestate::pop3::Capability::parse(Bytes::from_static(b"SASL CRAM-MD5 KERBEROS_V4")).unwrap();
/// assert_eq!(c.tag(), b"SASL");
/// assert_eq!(c.params().collect::<Vec<_>>(), [&b"CRAM-MD5"[..], b"KERBEROS_V4"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capability(Bytes);

impl Capability {
    /// Validates one capability line.
    ///
    /// ```
    /// use bytes::Bytes;
    /// assert!(wirestate::pop3::Capability::parse(Bytes::from_static(b"TOP")).is_ok());
    /// assert!(wirestate::pop3::Capability::parse(Bytes::from_static(b"")).is_err());
    /// ```
    pub fn parse(line: Bytes) -> Result<Capability, ResponseError> {
        let mut parts = line.split(|&c| c == b' ');
        let tag = parts.next().unwrap_or(&[]);
        if tag.is_empty() || !tag.iter().all(|&c| (0x21..=0x7f).contains(&c) && c != b'.') {
            return Err(rerr(ResponseErrorKind::BadCapability, 0));
        }
        let mut at = tag.len() + 1;
        for p in parts {
            if p.is_empty() || !p.iter().all(|&c| (0x21..=0x7f).contains(&c)) {
                return Err(rerr(ResponseErrorKind::BadCapability, at));
            }
            at += p.len() + 1;
        }
        Ok(Capability(line))
    }

    /// Builds a capability line from a tag and parameters, validating both.
    ///
    /// ```
    /// let c = wirestate::pop3::Capability::new("LOGIN-DELAY", &["900"]).unwrap();
    /// assert_eq!(c.as_bytes(), b"LOGIN-DELAY 900");
    /// ```
    pub fn new(tag: &str, params: &[&str]) -> Result<Capability, SendError> {
        let mut line = BytesMut::from(tag.as_bytes());
        for p in params {
            line.put_u8(b' ');
            line.put_slice(p.as_bytes());
        }
        Capability::parse(line.freeze()).map_err(|e| {
            invalid(
                "RFC 2449 section 9: a capability is capa-tag *(SP param), printable ASCII",
                e.offset,
            )
        })
    }

    /// The tag, e.g. `SASL`.
    ///
    /// ```
    /// let c = wirestate::pop3::Capability::new("UIDL", &[]).unwrap();
    /// assert_eq!(c.tag(), b"UIDL");
    /// ```
    pub fn tag(&self) -> &[u8] {
        let end = memchr::memchr(b' ', &self.0).unwrap_or(self.0.len());
        &self.0[..end]
    }

    /// The parameters after the tag.
    ///
    /// ```
    /// let c = wirestate::pop3::Capability::new("EXPIRE", &["60"]).unwrap();
    /// assert_eq!(c.params().next(), Some(&b"60"[..]));
    /// ```
    pub fn params(&self) -> impl Iterator<Item = &[u8]> {
        self.0.split(|&c| c == b' ').skip(1)
    }

    /// Whether the tag is `tag`, ignoring case (RFC 2449 section 5: tags are
    /// case-insensitive).
    ///
    /// ```
    /// assert!(wirestate::pop3::Capability::new("Pipelining", &[]).unwrap().is("PIPELINING"));
    /// ```
    pub fn is(&self, tag: &str) -> bool {
        self.tag().eq_ignore_ascii_case(tag.as_bytes())
    }

    /// The whole line.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Capability::new("TOP", &[]).unwrap().as_bytes(), b"TOP");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

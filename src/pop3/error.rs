//! The one fatal error type of both POP3 roles: [`Error`] with its [`ErrorKind`].

use super::response::{Response, ResponseErrorKind, Status};
use super::types::ResponseCode;
use crate::dot::DotErrorKind;
use bytes::Bytes;
use core::fmt;

/// What broke the peer's side of the protocol. Every kind is fatal: the machine reports
/// `Error(Error)`, then `Closed(CloseReason::Error)`, and decodes nothing more.
///
/// ```
/// use wirestate::pop3::ErrorKind;
/// assert!(ErrorKind::LineTooLong.rule().starts_with("RFC 2449 section 4"));
/// assert_eq!(&ErrorKind::LineTooLong.response().unwrap().text[..], b"line too long");
/// assert!(ErrorKind::Unsolicited.response().is_none()); // a client-side error
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Both roles: a command line over [`Limits::max_command_line`](super::Limits) (or a
    /// SASL line over `max_auth_line`), or a response line over `max_response_line`.
    LineTooLong,
    /// Both roles: a bare CR or LF in a command, status or listing line.
    BareCrOrLf,
    /// Both roles: more undecoded input than [`Limits::max_buffered`](super::Limits).
    BufferFull,
    /// Client: a status line that is neither `+OK` nor `-ERR`.
    BadStatus,
    /// Client: a status indicator followed by something other than a space.
    MissingSpace,
    /// Client: a scan or unique-id listing that is not `msg SP size` / `msg SP uid`.
    BadListing,
    /// Client: a CAPA line that does not match the RFC 2449 section 9 grammar.
    BadCapability,
    /// Client: a STAT answer that is not `+OK nn mm`.
    BadStat,
    /// Client: an AUTH challenge that is not base64.
    BadChallenge,
    /// Client: a line with no command waiting for it.
    Unsolicited,
    /// Client: a bare LF inside `RETR`/`TOP` data (unless `allow_bare_lf`).
    DataBareLf,
    /// Client: a bare CR inside `RETR`/`TOP` data (unless `allow_bare_lf`).
    DataBareCr,
    /// Client: `<LF>.<CR><LF>`, `<LF>.<LF>` or `<CR><LF>.<LF>` inside data: an end of
    /// data some readers would see and others not.
    DataSmuggling,
    /// Client: bytes after the server's `+OK` to `STLS` that arrived before TLS was
    /// established: they can only be an injection.
    TlsInjection,
    /// Server: logins failed
    /// [`Limits::max_failed_logins`](super::Limits::max_failed_logins) times; the last
    /// was answered `-ERR [AUTH] too many failed logins, closing connection`.
    TooManyFailedLogins,
}

impl ErrorKind {
    /// Every kind, for tests that check each has a conformance row.
    ///
    /// ```
    /// assert!(wirestate::pop3::ErrorKind::ALL.contains(&wirestate::pop3::ErrorKind::BufferFull));
    /// ```
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::LineTooLong,
        ErrorKind::BareCrOrLf,
        ErrorKind::BufferFull,
        ErrorKind::BadStatus,
        ErrorKind::MissingSpace,
        ErrorKind::BadListing,
        ErrorKind::BadCapability,
        ErrorKind::BadStat,
        ErrorKind::BadChallenge,
        ErrorKind::Unsolicited,
        ErrorKind::DataBareLf,
        ErrorKind::DataBareCr,
        ErrorKind::DataSmuggling,
        ErrorKind::TlsInjection,
        ErrorKind::TooManyFailedLogins,
    ];

    /// The rule broken, with its RFC section.
    ///
    /// ```
    /// assert!(wirestate::pop3::ErrorKind::TlsInjection.rule().contains("RFC 2595"));
    /// ```
    pub fn rule(self) -> &'static str {
        match self {
            ErrorKind::LineTooLong => "RFC 2449 section 4: command lines are at most 255 octets and response lines at most 512, CRLF included",
            ErrorKind::BareCrOrLf => "RFC 1939 section 3: commands and responses are lines ending in CRLF",
            ErrorKind::BufferFull => "RFC 1939 section 3: more undecoded input than the receive buffer holds",
            ErrorKind::BadStatus => "RFC 1939 section 3: a response starts with +OK or -ERR, in upper case",
            ErrorKind::MissingSpace => "RFC 1939 section 3: the status indicator is followed by a space or the line end",
            ErrorKind::BadListing => "RFC 1939 sections 5 and 7: a listing is msg SP size or msg SP unique-id",
            ErrorKind::BadCapability => "RFC 2449 section 9: capa-tag *(SP param)",
            ErrorKind::BadStat => "RFC 1939 section 5: STAT answers +OK nn mm",
            ErrorKind::BadChallenge => "RFC 5034 section 4: a challenge is + SP base64",
            ErrorKind::Unsolicited => "RFC 1939 section 3: each response answers a command",
            ErrorKind::DataBareLf | ErrorKind::DataBareCr => "RFC 1939 section 3: multi-line response lines end in CRLF",
            ErrorKind::DataSmuggling => "RFC 1939 section 3: a multi-line response ends only at CRLF.CRLF",
            ErrorKind::TlsInjection => "RFC 2595 section 4: nothing may follow the +OK to STLS before the TLS negotiation",
            ErrorKind::TooManyFailedLogins => "RFC 3206 section 5: too many failed logins ([AUTH]); the server closes",
        }
    }

    /// The `-ERR` the server sends before it closes, for the kinds a server detects;
    /// `None` for the client-side kinds (a client has no answer to give).
    ///
    /// ```
    /// use wirestate::pop3::ErrorKind;
    /// assert_eq!(ErrorKind::BareCrOrLf.response().unwrap().to_bytes(), &b"-ERR lines must end with CRLF\r\n"[..]);
    /// ```
    pub fn response(self) -> Option<Response> {
        if self == ErrorKind::TooManyFailedLogins {
            return Some(Response {
                status: Status::Err,
                code: Some(ResponseCode::Auth),
                text: Bytes::from_static(b"too many failed logins, closing connection"),
            });
        }
        let text: &'static [u8] = match self {
            ErrorKind::LineTooLong => b"line too long",
            ErrorKind::BareCrOrLf => b"lines must end with CRLF",
            ErrorKind::BufferFull => b"too much pipelined input",
            _ => return None,
        };
        Some(Response {
            status: Status::Err,
            code: None,
            text: Bytes::from_static(text),
        })
    }

    pub(crate) fn from_response(kind: ResponseErrorKind) -> ErrorKind {
        match kind {
            ResponseErrorKind::BadStatus => ErrorKind::BadStatus,
            ResponseErrorKind::MissingSpace => ErrorKind::MissingSpace,
            ResponseErrorKind::BadListing => ErrorKind::BadListing,
            ResponseErrorKind::BadCapability => ErrorKind::BadCapability,
            ResponseErrorKind::BadStat => ErrorKind::BadStat,
        }
    }

    pub(crate) fn from_dot(kind: DotErrorKind) -> ErrorKind {
        match kind {
            DotErrorKind::BareLf => ErrorKind::DataBareLf,
            DotErrorKind::BareCr => ErrorKind::DataBareCr,
            DotErrorKind::Smuggling => ErrorKind::DataSmuggling,
        }
    }
}

/// A fatal error in what the peer sent: which rule, and the byte offset in the received
/// stream where it broke.
///
/// ```
/// use wirestate::pop3::{Error, ErrorKind};
/// let e = Error { kind: ErrorKind::BareCrOrLf, offset: 4 };
/// assert_eq!(e.to_string(), "RFC 1939 section 3: commands and responses are lines ending in CRLF (at byte 4)");
/// assert!(e.response().is_some());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    /// What broke.
    pub kind: ErrorKind,
    /// Offset of the offending byte in the received stream (of the line's first byte for
    /// an over-long line).
    pub offset: u64,
}

impl Error {
    /// The rule broken: [`ErrorKind::rule`].
    ///
    /// ```
    /// use wirestate::pop3::{Error, ErrorKind};
    /// assert!(Error { kind: ErrorKind::BadStat, offset: 0 }.rule().contains("STAT"));
    /// ```
    pub fn rule(&self) -> &'static str {
        self.kind.rule()
    }

    /// The `-ERR` a server queued before closing: [`ErrorKind::response`].
    ///
    /// ```
    /// use wirestate::pop3::{Error, ErrorKind};
    /// assert!(Error { kind: ErrorKind::BufferFull, offset: 9 }.response().is_some());
    /// ```
    pub fn response(&self) -> Option<Response> {
        self.kind.response()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.kind.rule(), self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    /// Keeps [`ErrorKind::ALL`] complete: a new kind fails to compile here until listed.
    #[test]
    fn all_lists_every_kind() {
        for k in ErrorKind::ALL {
            match k {
                ErrorKind::LineTooLong
                | ErrorKind::BareCrOrLf
                | ErrorKind::BufferFull
                | ErrorKind::BadStatus
                | ErrorKind::MissingSpace
                | ErrorKind::BadListing
                | ErrorKind::BadCapability
                | ErrorKind::BadStat
                | ErrorKind::BadChallenge
                | ErrorKind::Unsolicited
                | ErrorKind::DataBareLf
                | ErrorKind::DataBareCr
                | ErrorKind::DataSmuggling
                | ErrorKind::TlsInjection
                | ErrorKind::TooManyFailedLogins => {}
            }
        }
        let count = |k: ErrorKind| match k {
            ErrorKind::LineTooLong => 0,
            ErrorKind::BareCrOrLf => 1,
            ErrorKind::BufferFull => 2,
            ErrorKind::BadStatus => 3,
            ErrorKind::MissingSpace => 4,
            ErrorKind::BadListing => 5,
            ErrorKind::BadCapability => 6,
            ErrorKind::BadStat => 7,
            ErrorKind::BadChallenge => 8,
            ErrorKind::Unsolicited => 9,
            ErrorKind::DataBareLf => 10,
            ErrorKind::DataBareCr => 11,
            ErrorKind::DataSmuggling => 12,
            ErrorKind::TlsInjection => 13,
            ErrorKind::TooManyFailedLogins => 14,
        };
        let mut seen = [false; 15];
        for &k in ErrorKind::ALL {
            seen[count(k)] = true;
        }
        assert!(seen.iter().all(|s| *s), "ErrorKind::ALL misses a kind");
    }
}

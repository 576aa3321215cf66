//! [`Error`]: the fatal errors of both SMTP machines, with the RFC rule each breaks.

use super::reply::{Reply, ReplyErrorKind};
use crate::line::LineErrorKind;
use core::fmt;

/// What ended the session. Each kind names its rule ([`rule`](ErrorKind::rule)); a
/// server's kinds come with the reply it sent ([`reply_code`](ErrorKind::reply_code)).
///
/// ```
/// use wirestate::smtp::ErrorKind;
/// assert_eq!(ErrorKind::DataSmuggling.reply_code(), Some(421));
/// assert!(ErrorKind::DataSmuggling.rule().contains("RFC 5321"));
/// assert!(ErrorKind::ALL.contains(&ErrorKind::TlsInjection));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Server: more refused commands than `Limits::max_errors`; `421 4.7.0` sent.
    TooManyErrors,
    /// Both: more undecoded input than `Limits::max_buffered`; a server sends
    /// `421 4.7.0`.
    InputOverflow,
    /// Server: a bare LF in message data (DATA); `421 4.5.2` sent and the connection
    /// closed (RFC 5321 3.8: a closing server says 421).
    DataBareLf,
    /// Server: a bare CR in message data (DATA); `421 4.5.2` sent and the connection
    /// closed.
    DataBareCr,
    /// Server: `<LF>.<CR><LF>`, `<LF>.<LF>` or `<CR><LF>.<LF>` in message data, an end
    /// some parsers would see and others not (SMTP smuggling); `421 4.5.2` sent and the
    /// connection closed.
    DataSmuggling,
    /// Client: the greeting was not `220` (the server's reply is in [`Error::reply`]).
    GreetingRefused,
    /// Client: both EHLO and HELO (or LHLO) were refused.
    HelloRefused,
    /// Client: STARTTLS was refused.
    StartTlsRefused,
    /// Client: AUTH failed.
    AuthRefused,
    /// Client: credentials are configured but no usable mechanism (PLAIN, LOGIN) is
    /// offered, or only without TLS, which the configuration forbids.
    AuthNotOffered,
    /// Client: the server said `421`: it is closing the channel.
    ServiceClosing,
    /// Client: a reply arrived when no command was waiting for one.
    UnexpectedReply,
    /// Client: the server sent plaintext after its `220` to STARTTLS, before the TLS
    /// handshake: it can only be an injection (CVE-2011-0411 on the client side).
    TlsInjection,
    /// Client: a reply line longer than `Limits::max_reply_line`.
    ReplyLineTooLong,
    /// Client: a bare LF in a reply.
    ReplyBareLf,
    /// Client: a bare CR in a reply.
    ReplyBareCr,
    /// Client: a reply line that does not start with a code and a separator.
    ReplyBadCode,
    /// Client: a continuation line with another code than the first line's.
    ReplyCodeMismatch,
    /// Client: a reply of more lines than `Limits::max_reply_lines`.
    ReplyTooManyLines,
    /// Server: the client's logins were refused
    /// [`Limits::max_failed_logins`](super::Limits::max_failed_logins) times; the last
    /// refusal was answered `421 4.7.0` and the connection closes.
    TooManyFailedLogins,
}

impl ErrorKind {
    /// Every kind, for tests that check each has a conformance row.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::TooManyErrors,
        ErrorKind::InputOverflow,
        ErrorKind::DataBareLf,
        ErrorKind::DataBareCr,
        ErrorKind::DataSmuggling,
        ErrorKind::GreetingRefused,
        ErrorKind::HelloRefused,
        ErrorKind::StartTlsRefused,
        ErrorKind::AuthRefused,
        ErrorKind::AuthNotOffered,
        ErrorKind::ServiceClosing,
        ErrorKind::UnexpectedReply,
        ErrorKind::TlsInjection,
        ErrorKind::ReplyLineTooLong,
        ErrorKind::ReplyBareLf,
        ErrorKind::ReplyBareCr,
        ErrorKind::ReplyBadCode,
        ErrorKind::ReplyCodeMismatch,
        ErrorKind::ReplyTooManyLines,
        ErrorKind::TooManyFailedLogins,
    ];

    /// The rule broken, with its RFC section.
    ///
    /// ```
    /// assert!(wirestate::smtp::ErrorKind::TlsInjection.rule().starts_with("RFC 3207"));
    /// ```
    #[must_use]
    pub fn rule(self) -> &'static str {
        match self {
            ErrorKind::TooManyErrors => "RFC 5321 4.5.4.1: too many errors, the server closes",
            ErrorKind::InputOverflow => "RFC 5321 4.5.3.1: input over the receive buffer limit",
            ErrorKind::DataBareLf => "RFC 5321 2.3.8: bare LF in message data",
            ErrorKind::DataBareCr => "RFC 5321 2.3.8: bare CR in message data",
            ErrorKind::DataSmuggling => {
                "RFC 5321 4.1.1.4: ambiguous end-of-data sequence (SMTP smuggling)"
            }
            ErrorKind::GreetingRefused => "RFC 5321 3.1: the server refused the session",
            ErrorKind::HelloRefused => "RFC 5321 4.1.1.1: EHLO and HELO refused",
            ErrorKind::StartTlsRefused => "RFC 3207 4: STARTTLS refused",
            ErrorKind::AuthRefused => "RFC 4954 4: authentication failed",
            ErrorKind::AuthNotOffered => "RFC 4954 4: no usable AUTH mechanism offered",
            ErrorKind::ServiceClosing => "RFC 5321 3.8: 421, the server is closing",
            ErrorKind::UnexpectedReply => "RFC 5321 4.2: a reply no command was waiting for",
            ErrorKind::TlsInjection => {
                "RFC 3207 5: plaintext after the 220 to STARTTLS (injection)"
            }
            ErrorKind::ReplyLineTooLong => "RFC 5321 4.5.3.1.5: reply line too long",
            ErrorKind::ReplyBareLf => "RFC 5321 2.3.8: bare LF in a reply",
            ErrorKind::ReplyBareCr => "RFC 5321 2.3.8: bare CR in a reply",
            ErrorKind::ReplyBadCode => "RFC 5321 4.2: reply line without a valid code",
            ErrorKind::ReplyCodeMismatch => "RFC 5321 4.2.1: reply code changes mid-reply",
            ErrorKind::ReplyTooManyLines => "RFC 5321 4.2.1: reply with too many lines",
            ErrorKind::TooManyFailedLogins => {
                "RFC 4954 4: too many failed authentication attempts, the server closes (RFC 5321 3.8: with 421)"
            }
        }
    }

    /// The reply code a server sends for this kind before it closes; `None` for the
    /// client's kinds (a client sends no reply).
    ///
    /// ```
    /// use wirestate::smtp::ErrorKind;
    /// assert_eq!(ErrorKind::TooManyErrors.reply_code(), Some(421));
    /// assert_eq!(ErrorKind::ReplyBadCode.reply_code(), None);
    /// ```
    #[must_use]
    pub fn reply_code(self) -> Option<u16> {
        match self {
            ErrorKind::TooManyErrors
            | ErrorKind::InputOverflow
            | ErrorKind::DataBareLf
            | ErrorKind::DataBareCr
            | ErrorKind::DataSmuggling
            | ErrorKind::TooManyFailedLogins => Some(421),
            _ => None,
        }
    }

    pub(super) fn from_reply_error(kind: ReplyErrorKind) -> ErrorKind {
        match kind {
            ReplyErrorKind::Line(e) => match e.kind {
                LineErrorKind::TooLong { .. } => ErrorKind::ReplyLineTooLong,
                LineErrorKind::BareLf => ErrorKind::ReplyBareLf,
                LineErrorKind::BareCr => ErrorKind::ReplyBareCr,
            },
            ReplyErrorKind::BadCode => ErrorKind::ReplyBadCode,
            ReplyErrorKind::CodeMismatch => ErrorKind::ReplyCodeMismatch,
            ReplyErrorKind::TooManyLines => ErrorKind::ReplyTooManyLines,
        }
    }
}

/// A fatal error of either machine: what broke, where in the received stream, and the
/// reply that goes with it. The machine reports it as `Error(e)`, then
/// `Closed(CloseReason::Error)`.
///
/// ```
/// use wirestate::smtp::{Client, ClientConfig, ClientEvent, ErrorKind};
/// use wirestate::{Instant, Machine};
/// let mut c = Client::new(ClientConfig::default());
/// c.handle_input(Instant::ZERO, b"554 5.7.1 go away\r\n");
/// let Some(ClientEvent::Error(e)) = c.poll_event() else { panic!() };
/// assert_eq!((e.kind, e.offset), (ErrorKind::GreetingRefused, 0));
/// assert_eq!(e.reply().unwrap().to_string(), "554 5.7.1 go away");
/// assert_eq!(e.to_string(), "RFC 5321 3.1: the server refused the session (at byte 0): 554 5.7.1 go away");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Error {
    /// What broke.
    pub kind: ErrorKind,
    /// Byte offset in the received stream: of the offending byte, or of the reply line
    /// that ended the session.
    pub offset: u64,
    /// Server: the reply it queued before closing. Client: the server's reply that
    /// ended the session, verbatim, code and text (none for framing errors).
    reply: Option<Reply>,
}

impl Error {
    pub(super) fn new(kind: ErrorKind, offset: u64, reply: Option<Reply>) -> Error {
        Error {
            kind,
            offset,
            reply,
        }
    }

    /// The reply that goes with the error: the one the server sent for it, or, on the
    /// client, the server's own reply that ended the session.
    ///
    /// ```
    /// use wirestate::smtp::{Client, ClientConfig, ClientEvent};
    /// use wirestate::{Instant, Machine};
    /// let mut c = Client::new(ClientConfig::default());
    /// c.handle_input(Instant::ZERO, b"421 4.3.2 shutting down\r\n");
    /// let Some(ClientEvent::Error(e)) = c.poll_event() else { panic!() };
    /// assert_eq!(e.reply().unwrap().code().get(), 421);
    /// ```
    #[must_use]
    pub fn reply(&self) -> Option<&Reply> {
        self.reply.as_ref()
    }

    /// The rule broken: [`ErrorKind::rule`].
    ///
    /// ```
    /// use wirestate::smtp::ErrorKind;
    /// assert_eq!(ErrorKind::DataBareLf.rule(), "RFC 5321 2.3.8: bare LF in message data");
    /// ```
    pub fn rule(&self) -> &'static str {
        self.kind.rule()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.kind.rule(), self.offset)?;
        if let Some(r) = &self.reply {
            write!(f, ": {r}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    /// Fails to compile when a kind is added without being listed in `ALL`.
    #[test]
    fn all_is_complete() {
        for k in ErrorKind::ALL {
            match k {
                ErrorKind::TooManyErrors
                | ErrorKind::InputOverflow
                | ErrorKind::DataBareLf
                | ErrorKind::DataBareCr
                | ErrorKind::DataSmuggling
                | ErrorKind::GreetingRefused
                | ErrorKind::HelloRefused
                | ErrorKind::StartTlsRefused
                | ErrorKind::AuthRefused
                | ErrorKind::AuthNotOffered
                | ErrorKind::ServiceClosing
                | ErrorKind::UnexpectedReply
                | ErrorKind::TlsInjection
                | ErrorKind::ReplyLineTooLong
                | ErrorKind::ReplyBareLf
                | ErrorKind::ReplyBareCr
                | ErrorKind::ReplyBadCode
                | ErrorKind::ReplyCodeMismatch
                | ErrorKind::ReplyTooManyLines
                | ErrorKind::TooManyFailedLogins => {}
            }
        }
        assert_eq!(ErrorKind::ALL.len(), 20);
        for (i, a) in ErrorKind::ALL.iter().enumerate() {
            assert!(!ErrorKind::ALL[i + 1..].contains(a), "{a:?} listed twice");
        }
    }
}

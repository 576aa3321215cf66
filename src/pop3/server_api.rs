//! What the server machine is configured with, reports and is answered with: its
//! configuration, events, credentials and errors.

use super::command::{CommandError, CommandKind};
use super::response::Capability;
use super::sasl::PlainCredentials;
use super::types::{Arg, Digest, MessageNumber, Password, Uid};
use super::Limits;
#[cfg(doc)]
use super::{Pop3Server, ResponseCode};
use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;
use core::time::Duration;

/// What the server offers and says.
///
/// ```
/// use wirestate::pop3::ServerConfig;
/// let mut c = ServerConfig::default();
/// c.apop_timestamp = Some("<1896.697170952@dbc.mtview.ca.us>".into());
/// assert!(wirestate::pop3::Pop3Server::new(c).is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Greeting text after `+OK` (the APOP timestamp, if any, is appended).
    pub greeting: String,
    /// The RFC 1939 section 7 timestamp `<...>` that enables APOP. The caller makes it
    /// unique per connection (process id, clock, host name), as the machine has none.
    pub apop_timestamp: Option<String>,
    /// Host name used in the sign-off line (`+OK dewey POP3 server signing off`).
    pub server_name: String,
    /// Offer USER/PASS (CAPA `USER`).
    pub user_pass: bool,
    /// Offer AUTH PLAIN (CAPA `SASL PLAIN`).
    pub sasl_plain: bool,
    /// Offer STLS: the caller can start TLS on the `StartTls` event.
    pub stls: bool,
    /// CAPA `IMPLEMENTATION` text, if any.
    pub implementation: Option<String>,
    /// More CAPA lines, e.g. `EXPIRE 60` or `LOGIN-DELAY 900` for a policy the caller enforces.
    pub extra_capabilities: Vec<Capability>,
    /// Inactivity autologout; RFC 1939 section 3 requires at least 10 minutes.
    pub autologout: Duration,
    /// Size limits.
    pub limits: Limits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            greeting: "POP3 server ready".into(),
            apop_timestamp: None,
            server_name: "localhost".into(),
            user_pass: true,
            sasl_plain: true,
            stls: false,
            implementation: None,
            extra_capabilities: Vec::new(),
            autologout: Duration::from_secs(600),
            limits: Limits::default(),
        }
    }
}

/// One message of the maildrop as the caller lists it at login.
///
/// ```
/// use wirestate::pop3::{MessageInfo, Uid};
/// let m = MessageInfo { octets: 120, uid: Uid::new("whqtswO00WBw418f9t5JxYwZ").unwrap() };
/// assert_eq!(m.octets, 120);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    /// Exact size in octets as it will be sent: CRLF line ends, before dot-stuffing
    /// (RFC 1939 section 11 asks the server to count its local line ends as CRLF).
    pub octets: u64,
    /// The message's unique id, stable across sessions (RFC 1939 section 7).
    pub uid: Uid,
}

/// Credentials to check, from PASS, APOP or AUTH PLAIN.
///
/// ```
/// use wirestate::pop3::{Credentials, Pop3Server, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Pop3Server::new(Default::default()).unwrap();
/// s.handle_input(Instant::ZERO, b"AUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n");
/// let Some(ServerEvent::Authenticate(Credentials::Plain(p))) = s.poll_event() else { panic!() };
/// assert_eq!(&p.authcid[..], b"tim");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// USER then PASS (RFC 1939 section 7).
    User {
        /// The USER name.
        name: Arg,
        /// The PASS string.
        password: Password,
    },
    /// APOP: the caller computes MD5(timestamp + secret) and compares (RFC 1939 section 7).
    Apop {
        /// The mailbox name.
        name: Arg,
        /// The digest the client sent.
        digest: Digest,
        /// The timestamp from this session's greeting.
        timestamp: Bytes,
    },
    /// AUTH PLAIN (RFC 5034, RFC 4616).
    Plain(PlainCredentials),
}

/// What `message_data` tells the caller.
///
/// ```
/// use wirestate::pop3::{Flow, MessageInfo, Pop3Server, Uid};
/// use wirestate::{Instant, Machine};
/// let mut s = Pop3Server::new(Default::default()).unwrap();
/// s.handle_input(Instant::ZERO, b"USER u\r\nPASS p\r\nTOP 1 0\r\n");
/// s.poll_event();
/// s.poll_event();
/// s.accept_login(vec![MessageInfo { octets: 9, uid: Uid::new("a").unwrap() }]).unwrap();
/// s.poll_event(); // Top
/// assert_eq!(s.message_data(b"A: b\r\n\r\nbody\r\n").unwrap(), Flow::Enough);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep streaming.
    More,
    /// TOP has all it needs: call `message_end` without sending the rest.
    Enough,
}

/// Why the session ended.
///
/// ```
/// use wirestate::pop3::{CloseReason, Pop3Server, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Pop3Server::new(Default::default()).unwrap();
/// s.handle_eof(Instant::ZERO);
/// assert_eq!(s.poll_event(), Some(ServerEvent::Closed(CloseReason::PeerClosed)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// QUIT was answered.
    Quit,
    /// The client closed its side without QUIT: nothing was removed (RFC 1939 section 6).
    PeerClosed,
    /// The autologout timer expired: no answer, nothing removed (RFC 1939 section 3).
    Autologout,
    /// A framing error; a final `-ERR` was queued.
    ProtocolError,
}

/// A framing error from the client.
///
/// ```
/// use wirestate::pop3::{Pop3Server, ServerErrorKind, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Pop3Server::new(Default::default()).unwrap();
/// s.handle_input(Instant::ZERO, b"NOOP\n");
/// let Some(ServerEvent::Error(e)) = s.poll_event() else { panic!() };
/// assert_eq!(e.kind, ServerErrorKind::BareCrOrLf);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerErrorKind {
    /// A line over [`Limits::command_line`] (or [`Limits::auth_line`]).
    LineTooLong,
    /// A bare CR or LF in a command line (RFC 1939 section 3: lines end in CRLF).
    BareCrOrLf,
    /// More undecoded input than [`Limits::recv_buffer`].
    BufferFull,
}

/// A client framing error and where it was.
///
/// ```
/// use wirestate::pop3::{Pop3Server, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Pop3Server::new(Default::default()).unwrap();
/// s.handle_input(Instant::ZERO, &[b'x'; 300]);
/// let Some(ServerEvent::Error(e)) = s.poll_event() else { panic!() };
/// assert_eq!(e.to_string(), "command line too long at byte 0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerError {
    /// What broke.
    pub kind: ServerErrorKind,
    /// Stream offset of the offending byte (of the line's start for long lines).
    pub offset: u64,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ServerErrorKind::LineTooLong => "command line too long",
            ServerErrorKind::BareCrOrLf => "bare CR or LF in command line",
            ServerErrorKind::BufferFull => "input buffer limit exceeded",
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ServerError {}

/// What the server machine reports.
///
/// ```
/// use wirestate::pop3::{CommandKind, Pop3Server, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Pop3Server::new(Default::default()).unwrap();
/// s.handle_input(Instant::ZERO, b"CAPA\r\n");
/// assert_eq!(s.poll_event(), Some(ServerEvent::Answered(CommandKind::Capa)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// Check these credentials, take the maildrop lock, then call
    /// [`Pop3Server::accept_login`] or [`Pop3Server::reject_login`] (with
    /// [`ResponseCode::InUse`] if the maildrop is locked).
    Authenticate(Credentials),
    /// A command the machine answered itself (STAT, LIST, UIDL, DELE, RSET, NOOP, CAPA,
    /// USER, or one refused with `-ERR`). For logging; nothing to do.
    Answered(CommandKind),
    /// An unparseable command line, answered with `-ERR` and the reason; the session goes on.
    BadCommand(CommandError),
    /// RETR: stream the message with [`Pop3Server::message_data`] and
    /// [`Pop3Server::message_end`], or refuse with [`Pop3Server::message_unavailable`].
    Retrieve(MessageNumber),
    /// TOP: stream the message the same way; the machine cuts it after `lines` body lines
    /// and `message_data` returns [`Flow::Enough`] once it has.
    Top {
        /// The message.
        msg: MessageNumber,
        /// Body lines wanted.
        lines: u32,
    },
    /// QUIT in TRANSACTION (RFC 1939 section 6, UPDATE): remove these messages, then call
    /// [`Pop3Server::finish_update`]. The list may be empty.
    Update {
        /// The messages marked deleted, in order.
        deleted: Vec<MessageNumber>,
    },
    /// STLS was accepted: `+OK` is queued and input buffered after STLS was discarded
    /// (the STARTTLS injection, CVE-2011-0411). Write the `+OK`, start TLS, and feed
    /// decrypted bytes from now on.
    StartTls,
    /// A framing error; the final `-ERR` is queued.
    Error(ServerError),
    /// The session is over; `is_closed()` is true. Release the maildrop lock.
    Closed(CloseReason),
}

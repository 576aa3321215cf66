//! What the server machine is configured with, reports, and is answered with: its
//! configuration, events, credentials and the questions it asks ([`Decision`]s).

use super::command::{CommandError, CommandKind};
use super::config::{Limits, Timeouts};
use super::error::Error;
use super::response::Capability;
use super::sasl::PlainCredentials;
use super::types::{Arg, Digest, MessageNumber, Text, Timestamp, Uid};
#[cfg(doc)]
use super::{ResponseCode, Server};
use crate::{CloseReason, Decision, Secret};
use alloc::vec::Vec;
use bytes::Bytes;

/// What the server offers and says. Every field holds only valid values, so
/// [`Server::new`] cannot fail.
///
/// ```
/// use wirestate::pop3::{Server, ServerConfig, Timestamp};
/// let mut c = ServerConfig::default();
/// c.apop_timestamp = Some(Timestamp::new("<1896.697170952@dbc.mtview.ca.us>").unwrap());
/// let _server = Server::new(c);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Greeting text after `+OK` (the APOP timestamp, if any, is appended).
    pub greeting: Text,
    /// The RFC 1939 section 7 timestamp that enables APOP.
    pub apop_timestamp: Option<Timestamp>,
    /// Host name used in the sign-off line (`+OK dewey POP3 server signing off`).
    pub server_name: Text,
    /// Offer USER/PASS (CAPA `USER`). Default true.
    pub user_pass: bool,
    /// Offer AUTH PLAIN (CAPA `SASL PLAIN`). Default true.
    pub sasl_plain: bool,
    /// Take a password (USER/PASS, AUTH PLAIN) only once the connection is secure (after
    /// STLS, or on implicit TLS). Before that CAPA lists neither `USER` nor `SASL PLAIN`,
    /// and `USER` or `AUTH PLAIN` get `-ERR [AUTH]` at once, so a password never crosses
    /// the wire in the clear (RFC 2595 section 2.2: a server SHOULD have a configuration
    /// that permits no plaintext password mechanism before TLS). APOP, which sends no
    /// password, is unaffected. Default false.
    pub login_requires_tls: bool,
    /// Offer STLS (RFC 2595 section 4): on `STLS` the server answers `+OK` and then asks
    /// for the switch through [`Machine::wants_tls`](crate::Machine::wants_tls).
    /// Default false.
    pub stls: bool,
    /// More CAPA lines after the built-in ones, e.g. `EXPIRE 60`, `LOGIN-DELAY 900` for a
    /// policy the caller enforces, or `IMPLEMENTATION name`.
    pub extra_capabilities: Vec<Capability>,
    /// Size limits: the server reads `max_command_line`, `max_auth_line` and
    /// `max_buffered`, and keeps its own lines within `max_response_line`.
    pub limits: Limits,
    /// Timers: the server uses `idle`, the autologout.
    pub timeouts: Timeouts,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            greeting: Text::new("POP3 server ready").unwrap_or_default(),
            apop_timestamp: None,
            server_name: Text::new("localhost").unwrap_or_default(),
            user_pass: true,
            sasl_plain: true,
            login_requires_tls: false,
            stls: false,
            extra_capabilities: Vec::new(),
            limits: Limits::default(),
            timeouts: Timeouts::default(),
        }
    }
}

/// One message of the maildrop as the caller lists it at login.
///
/// ```
/// use wirestate::pop3::{MessageInfo, Uid};
/// let m = MessageInfo::new(120, Uid::new("whqtswO00WBw418f9t5JxYwZ").unwrap());
/// assert_eq!(m.octets, 120);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageInfo {
    /// Exact size in octets as it will be sent: CRLF line ends, before dot-stuffing
    /// (RFC 1939 section 11 asks the server to count its local line ends as CRLF).
    pub octets: u64,
    /// The message's unique id, stable across sessions (RFC 1939 section 7).
    pub uid: Uid,
}

impl MessageInfo {
    /// A listing entry.
    ///
    /// ```
    /// let m = wirestate::pop3::MessageInfo::new(1, wirestate::pop3::Uid::new("a").unwrap());
    /// assert_eq!(m.uid.as_str(), "a");
    /// ```
    pub fn new(octets: u64, uid: Uid) -> MessageInfo {
        MessageInfo { octets, uid }
    }
}

/// Credentials to check, from PASS, APOP or AUTH PLAIN. Passwords are [`Secret`]s:
/// `Debug` shows `Secret(<redacted>)`.
///
/// ```
/// use wirestate::pop3::{Credentials, Server, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Server::new(Default::default());
/// s.handle_input(Instant::ZERO, b"AUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n");
/// let Some(ServerEvent::Login { credentials: Credentials::Plain(p), .. }) = s.poll_event() else { panic!() };
/// assert_eq!(&p.authcid[..], b"tim");
/// assert!(!format!("{p:?}").contains("tanstaaf"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// USER then PASS (RFC 1939 section 7).
    User {
        /// The USER name.
        name: Arg,
        /// The PASS string.
        password: Secret,
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

/// What a [`ServerEvent::Login`] decision decides: accept with
/// [`Server::accept_login`] or refuse with [`Server::reject_login`]. A marker type: it
/// has no values, it only names the question, so a `Decision<Login>` cannot be passed
/// to [`Server::start_message`].
///
/// ```
/// fn answer_later(d: wirestate::Decision<wirestate::pop3::Login>) -> u64 { d.id() }
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub enum Login {}

/// What a [`ServerEvent::Retrieve`] or [`ServerEvent::Top`] decision decides: start
/// the message with [`Server::start_message`] or refuse with
/// [`Server::message_unavailable`]. A marker type, like [`Login`].
///
/// ```
/// fn answer_later(d: wirestate::Decision<wirestate::pop3::Retrieval>) -> u64 { d.id() }
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub enum Retrieval {}

/// What a [`ServerEvent::Update`] decision decides: report the removal with
/// [`Server::finish_update`]. A marker type, like [`Login`].
///
/// ```
/// fn answer_later(d: wirestate::Decision<wirestate::pop3::Update>) -> u64 { d.id() }
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub enum Update {}

/// What the server machine reports. The events with a `decision` wait for the caller's
/// answer; until it comes, `poll_event` returns `None` and nothing more is decoded.
///
/// ```
/// use wirestate::pop3::{CommandKind, Server, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Server::new(Default::default());
/// s.handle_input(Instant::ZERO, b"CAPA\r\n");
/// assert_eq!(s.poll_event(), Some(ServerEvent::Answered(CommandKind::Capa)));
/// ```
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// Check these credentials, take the maildrop lock, then call
    /// [`Server::accept_login`] or [`Server::reject_login`] (with
    /// [`ResponseCode::InUse`] if the maildrop is locked, RFC 2449 section 8.1.2).
    Login {
        /// What the client sent.
        credentials: Credentials,
        /// The question to answer.
        decision: Decision<Login>,
    },
    /// A command the machine answered itself (STAT, LIST, UIDL, DELE, RSET, NOOP, CAPA,
    /// USER, STLS, or one refused with `-ERR`). For logging; nothing to do.
    Answered(CommandKind),
    /// An unparseable command line, answered with `-ERR` and the reason; the session
    /// goes on.
    BadCommand(CommandError),
    /// RETR: call [`Server::start_message`], then stream the message with `send_data`
    /// and `send_end` while [`Machine::wants_body`](crate::Machine::wants_body) says so;
    /// or refuse with [`Server::message_unavailable`].
    Retrieve {
        /// The message.
        msg: MessageNumber,
        /// The question to answer.
        decision: Decision<Retrieval>,
    },
    /// TOP: answered the same way; stream the whole message, the machine cuts it after
    /// `lines` body lines, ends the answer itself and then stops wanting body.
    Top {
        /// The message.
        msg: MessageNumber,
        /// Body lines wanted.
        lines: u32,
        /// The question to answer.
        decision: Decision<Retrieval>,
    },
    /// QUIT in TRANSACTION (RFC 1939 section 6, UPDATE): remove these messages, then call
    /// [`Server::finish_update`]. The list may be empty.
    Update {
        /// The messages marked deleted, in order.
        deleted: Vec<MessageNumber>,
        /// The question to answer.
        decision: Decision<Update>,
    },
    /// A framing error; the final `-ERR` is queued. `Closed(CloseReason::Error)` follows.
    Error(Error),
    /// The session is over, always the last event: `Done` after QUIT, `PeerClosed` when
    /// the client went away (nothing removed, RFC 1939 section 6), `Timeout` on
    /// autologout (no answer, nothing removed, section 3), `Error` after `Error`.
    /// Release the maildrop lock.
    Closed(CloseReason),
}

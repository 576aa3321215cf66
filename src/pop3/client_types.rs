//! What the client machine is configured with and reports.

use super::command::CommandKind;
use super::config::{Limits, Timeouts};
use super::error::Error;
use super::response::{Capability, DropListing, Response, ScanListing, UidListing};
#[cfg(doc)]
use super::Client;
use crate::{CloseReason, Decision};
use bytes::Bytes;

/// Client settings.
///
/// ```
/// let c = wirestate::pop3::ClientConfig::default();
/// assert_eq!(c.limits.max_response_line, 512);
/// assert_eq!(c.timeouts.reply.unwrap().as_secs(), 600);
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Size limits: the client reads `max_response_line`, `max_buffered` and
    /// `allow_bare_lf`, and keeps its own lines within `max_command_line` and
    /// `max_auth_line`.
    pub limits: Limits,
    /// Timers: the client uses `reply`.
    pub timeouts: Timeouts,
}

/// What a [`ClientEvent::Challenge`] decision decides: answer with
/// [`Client::auth_response`] or cancel with [`Client::auth_cancel`]. A marker type: it
/// has no values, it only names the question.
///
/// ```
/// fn answer_later(d: wirestate::Decision<wirestate::pop3::Challenge>) -> u64 { d.id() }
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub enum Challenge {}

/// What the client machine reports.
///
/// ```
/// use wirestate::pop3::{Client, ClientEvent, CommandKind};
/// use wirestate::{Instant, Machine};
/// let mut c = Client::new(Default::default());
/// c.handle_input(Instant::ZERO, b"+OK\r\n");
/// let _ = c.poll_event();
/// c.capa().unwrap();
/// c.handle_input(Instant::ZERO, b"+OK\r\nTOP\r\n.\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Ok { command: CommandKind::Capa, .. })));
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Capability(_))));
/// assert_eq!(c.poll_event(), Some(ClientEvent::End { command: CommandKind::Capa }));
/// ```
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server's greeting; `apop_timestamp` is the `<...>` APOP needs (RFC 1939 section 7).
    Greeting {
        /// The greeting line.
        response: Response,
        /// The timestamp, angle brackets included, if the greeting has one.
        apop_timestamp: Option<Bytes>,
    },
    /// `+OK` to `command`. For a multi-line answer the items and then `End` follow; STAT,
    /// `LIST msg` and `UIDL msg` are followed by their one typed item. After the `+OK`
    /// to `STLS` the client asks for TLS through
    /// [`Machine::wants_tls`](crate::Machine::wants_tls).
    Ok {
        /// The command answered.
        command: CommandKind,
        /// The status line, text and code exactly as sent.
        response: Response,
    },
    /// `-ERR` to `command`, with the server's text and response code.
    Err {
        /// The command answered.
        command: CommandKind,
        /// The status line, text and code exactly as sent.
        response: Response,
    },
    /// An AUTH challenge, decoded: answer with [`Client::auth_response`] or
    /// [`Client::auth_cancel`].
    Challenge {
        /// The decoded challenge (empty for PLAIN).
        data: Bytes,
        /// The question to answer.
        decision: Decision<Challenge>,
    },
    /// STAT's drop listing.
    Stat(DropListing),
    /// One scan listing (LIST).
    Listing(ScanListing),
    /// One unique-id listing (UIDL).
    UniqueId(UidListing),
    /// One capability (CAPA).
    Capability(Capability),
    /// A piece of a RETR/TOP message, unstuffed, CRLF line ends as sent.
    Data(Bytes),
    /// The end of a multi-line answer (RETR/TOP data, LIST, UIDL, CAPA).
    End {
        /// The command answered.
        command: CommandKind,
    },
    /// A server protocol error; `Closed(CloseReason::Error)` follows.
    Error(Error),
    /// The session is over, always the last event: `Done` once QUIT is answered,
    /// `PeerClosed` when the server went away (with the bytes of an unfinished line or
    /// message dropped), `Timeout` when the server stayed silent for
    /// [`Timeouts::reply`](super::Timeouts), `Error` after `Error`.
    Closed(CloseReason),
}

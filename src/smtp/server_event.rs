//! What the server machine reports: [`ServerEvent`] and the reasons that go with it.

use super::address::{ForwardPath, Host, ReversePath};
use super::auth::{AuthMechanism, Credentials};
use super::command::{MailParams, RcptParams};
use super::reply::Reply;
use alloc::string::String;
use bytes::Bytes;

/// Which greeting command the client used.
///
/// ```
/// use wirestate::smtp::{HelloVerb, ServerConfig, ServerEvent, SmtpServer};
/// use wirestate::{Instant, Machine};
/// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
/// s.handle_input(Instant::ZERO, b"HELO c\r\n");
/// assert!(matches!(s.poll_event(), Some(ServerEvent::Hello { verb: HelloVerb::Helo, .. })));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelloVerb {
    /// `HELO`: no extensions.
    Helo,
    /// `EHLO`.
    Ehlo,
    /// `LHLO` (LMTP).
    Lhlo,
}

/// Why a transaction's data was dropped before the end; discard what was received.
///
/// ```
/// use wirestate::smtp::{AbortReason, ServerConfig, ServerEvent, SmtpServer};
/// use wirestate::{Instant, Machine};
/// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
/// s.handle_input(Instant::ZERO, b"HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\nhalf");
/// s.handle_eof(Instant::ZERO);
/// let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
/// assert!(events.contains(&ServerEvent::DataAborted(AbortReason::PeerClosed)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortReason {
    /// More than the SIZE limit (`552 5.3.4` follows after the end).
    TooLarge,
    /// A text line over the limit (`500 5.5.2` follows after the end).
    LineTooLong,
    /// The caller rejected a BDAT transaction at its first chunk.
    Rejected,
    /// Framing broke inside the data (bare CR/LF, smuggling pattern); fatal.
    Framing(crate::dot::DotError),
    /// The peer closed the connection mid-data.
    PeerClosed,
    /// The data timeout expired.
    Timeout,
}

/// Why the server closed.
///
/// ```
/// use wirestate::smtp::{CloseReason, ServerConfig, ServerEvent, SmtpServer};
/// use wirestate::{Instant, Machine};
/// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
/// s.handle_input(Instant::ZERO, b"QUIT\r\n");
/// assert_eq!(s.poll_event(), Some(ServerEvent::Closed(CloseReason::Quit)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// QUIT was answered with 221.
    Quit,
    /// The peer closed first.
    PeerClosed,
    /// No input within the timeout; 421 was sent.
    Timeout,
    /// Too many errors; 421 was sent.
    TooManyErrors,
    /// More pipelined input than `recv_buffer`; 421 was sent.
    InputOverflow,
    /// Framing broke inside message data; 500 was sent.
    Framing(crate::dot::DotError),
}

/// What the client said. Events marked *decision* wait for [`SmtpServer::accept`](super::SmtpServer::accept) or
/// [`SmtpServer::reject`](super::SmtpServer::reject); if the caller asks for the next event instead, the default
/// shown is applied.
///
/// ```
/// use wirestate::smtp::{ServerConfig, ServerEvent, SmtpServer};
/// use wirestate::{Instant, Machine};
/// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
/// s.handle_input(Instant::ZERO, b"NOOP\r\nFROB\r\n");
/// assert!(matches!(s.poll_event(), Some(ServerEvent::Rejected { .. })));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// *Decision* (default accept: 250 with the capability list): HELO, EHLO or LHLO.
    Hello {
        /// The verb.
        verb: HelloVerb,
        /// The name the client gave.
        host: Host,
    },
    /// *Decision* (default `250 2.1.0`): a new transaction.
    MailFrom {
        /// Sender.
        from: ReversePath,
        /// Parameters (SIZE, BODY, SMTPUTF8, DSN RET/ENVID, AUTH), already checked
        /// against what the server offers.
        params: MailParams,
    },
    /// *Decision* (default `250 2.1.5`): a recipient.
    RcptTo {
        /// Recipient.
        to: ForwardPath,
        /// Parameters (DSN NOTIFY/ORCPT).
        params: RcptParams,
    },
    /// *Decision* (default: `354` for DATA, nothing for BDAT): message data is about to
    /// start. A rejected BDAT chunk is still read and discarded.
    DataStart {
        /// True for BDAT.
        chunked: bool,
    },
    /// A piece of message data, unstuffed (DATA) or raw (BDAT), in order.
    DataChunk(Bytes),
    /// *Decision* (default `250 2.0.0`; in LMTP one reply per recipient): the data
    /// ended. Deliver, then accept or reject.
    DataEnd {
        /// Octets of message data.
        size: u64,
        /// Accepted recipients (the number of LMTP replies due).
        recipients: usize,
    },
    /// The transaction's data was dropped; discard anything received for it.
    DataAborted(AbortReason),
    /// *Decision* (with no answer: reject `535 5.7.8`; `accept` sends `235 2.7.0`):
    /// AUTH credentials to check.
    Auth {
        /// PLAIN or LOGIN.
        mechanism: AuthMechanism,
        /// What the client sent.
        credentials: Credentials,
    },
    /// *Decision* (default `220 2.0.0`): STARTTLS. On accept, input buffered behind
    /// the command is discarded and a new EHLO is required; start TLS after writing
    /// the reply, and pass only decrypted bytes from then on.
    StartTls,
    /// *Decision* (default `252 2.5.2`): VRFY.
    Verify(String),
    /// The transaction was reset (RSET, or a new HELO/EHLO in the middle of one).
    Reset,
    /// A command was refused by the machine itself; the reply has been queued.
    Rejected {
        /// The reply sent.
        reply: Reply,
        /// What was wrong, with the RFC rule.
        reason: &'static str,
        /// Stream offset of the offending byte: the start of the command line, or the
        /// byte inside it where the syntax broke, or the framing error's own offset.
        offset: u64,
    },
    /// The connection is over; any final reply is queued.
    Closed(CloseReason),
}

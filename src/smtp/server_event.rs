//! What the server machine reports: [`ServerEvent`], the questions it asks
//! ([`question`]) and the reasons that go with them.

use super::address::{ForwardPath, Host, ReversePath};
use super::auth::{AuthMechanism, Credentials};
use super::command::{MailParams, RcptParams};
use super::error::Error;
use super::reply::Reply;
use crate::{CloseReason, Decision};
use alloc::string::String;
use bytes::Bytes;

/// The questions a [`Server`](super::Server) asks, as marker types for [`Decision`]: a
/// `Decision<question::Mail>` can only be answered by a method that takes one, so an
/// answer cannot go to the wrong question.
///
/// ```
/// use wirestate::smtp::{question, Server};
/// use wirestate::Decision;
/// // Only a Decision<question::DataEnd> fits here; a Decision<question::Mail> does not compile.
/// fn deliver(s: &mut Server, d: Decision<question::DataEnd>) {
///     let _ = s.accept(d);
/// }
/// ```
pub mod question {
    /// Answer HELO, EHLO or LHLO: `250` with the capabilities, or a refusal.
    #[derive(Debug, PartialEq, Eq, Hash)]
    pub enum Hello {}
    /// Answer MAIL FROM: a new transaction, or a refusal.
    #[derive(Debug, PartialEq, Eq, Hash)]
    pub enum Mail {}
    /// Answer RCPT TO: one more recipient, or a refusal.
    #[derive(Debug, PartialEq, Eq, Hash)]
    pub enum Rcpt {}
    /// Answer DATA (`354`) or the first BDAT chunk (accept: read it; reject: read and
    /// drop it, then send the refusal).
    #[derive(Debug, PartialEq, Eq, Hash)]
    pub enum DataStart {}
    /// Answer the end of the data: delivered (`250`; LMTP: one reply per recipient).
    #[derive(Debug, PartialEq, Eq, Hash)]
    pub enum DataEnd {}
    /// Answer AUTH credentials: `235`, or a refusal.
    #[derive(Debug, PartialEq, Eq, Hash)]
    pub enum Auth {}
    /// Answer STARTTLS: `220` and the TLS switch, or a refusal.
    #[derive(Debug, PartialEq, Eq, Hash)]
    pub enum StartTls {}
    /// Answer VRFY: `250`/`251`/`252`, or a refusal.
    #[derive(Debug, PartialEq, Eq, Hash)]
    pub enum Verify {}
}

/// Which greeting command the client used.
///
/// ```
/// use wirestate::smtp::{HelloVerb, Server, ServerConfig, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Server::new(ServerConfig::default());
/// s.handle_input(Instant::ZERO, b"HELO c\r\n");
/// assert!(matches!(s.poll_event(), Some(ServerEvent::Hello { verb: HelloVerb::Helo, .. })));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HelloVerb {
    /// `HELO`: no extensions.
    Helo,
    /// `EHLO`.
    Ehlo,
    /// `LHLO` (LMTP).
    Lhlo,
}

/// Why a transaction's data was dropped before its end; discard what was received.
///
/// ```
/// use wirestate::smtp::{AbortReason, Server, ServerConfig, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut config = ServerConfig::default();
/// config.auto_accept_hello = true;
/// config.auto_accept_envelope = true;
/// let mut s = Server::new(config);
/// s.handle_input(Instant::ZERO, b"HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\nhalf");
/// s.handle_eof(Instant::ZERO);
/// let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
/// assert!(events.contains(&ServerEvent::Aborted(AbortReason::PeerClosed)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AbortReason {
    /// More than the SIZE limit (`552 5.3.4` follows after the end).
    TooLarge,
    /// A text line over the limit (`500 5.5.2` follows after the end).
    LineTooLong,
    /// The caller rejected a BDAT transaction at its first chunk.
    Rejected,
    /// Framing broke inside the data; the `Error` event follows.
    Framing,
    /// The peer closed the connection mid-data.
    PeerClosed,
    /// The data block timeout expired.
    Timeout,
    /// A NUL octet in the data under [`NulPolicy::Reject`](super::NulPolicy::Reject)
    /// (`554 5.6.0` follows after the end; the session goes on).
    Nul,
}

/// What the client said. Variants with a `decision` wait for an answer: pass it to
/// [`Server::accept`](super::Server::accept), [`accept_with`](super::Server::accept_with)
/// or [`reject`](super::Server::reject). Until then `poll_event` returns `None` and
/// nothing is answered, unless [`ServerConfig`](super::ServerConfig) opts into a default.
///
/// ```
/// use wirestate::smtp::{Server, ServerConfig, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Server::new(ServerConfig::default());
/// s.handle_input(Instant::ZERO, b"NOOP\r\nFROB\r\n");
/// assert!(matches!(s.poll_event(), Some(ServerEvent::Rejected { .. })));
/// ```
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// HELO, EHLO or LHLO. Accept: `250` with the capability list.
    Hello {
        /// The verb.
        verb: HelloVerb,
        /// The name the client gave.
        host: Host,
        /// The answer the server waits for.
        decision: Decision<question::Hello>,
    },
    /// MAIL FROM: a new transaction. Accept: `250 2.1.0`.
    Mail {
        /// Sender.
        from: ReversePath,
        /// Parameters (SIZE, BODY, SMTPUTF8, DSN RET/ENVID, AUTH), already checked
        /// against what the server offers.
        params: MailParams,
        /// The answer the server waits for.
        decision: Decision<question::Mail>,
    },
    /// RCPT TO: a recipient. Accept: `250 2.1.5`.
    Rcpt {
        /// Recipient.
        to: ForwardPath,
        /// Parameters (DSN NOTIFY/ORCPT).
        params: RcptParams,
        /// The answer the server waits for.
        decision: Decision<question::Rcpt>,
    },
    /// Message data is about to start: DATA (accept: `354`) or the first BDAT chunk
    /// (accept: no reply until the chunk is read). A rejected BDAT chunk is still read
    /// and dropped, never parsed as commands.
    DataStart {
        /// True for BDAT.
        chunked: bool,
        /// The answer the server waits for.
        decision: Decision<question::DataStart>,
    },
    /// A piece of message data, unstuffed (DATA) or raw (BDAT), in order.
    Data(Bytes),
    /// The data ended: deliver, then accept (`250 2.0.0`; in LMTP one reply per
    /// recipient, see [`Server::reply_per_recipient`](super::Server::reply_per_recipient))
    /// or reject.
    End {
        /// Octets of message data.
        size: u64,
        /// Accepted recipients (the number of LMTP replies due).
        recipients: usize,
        /// The answer the server waits for.
        decision: Decision<question::DataEnd>,
    },
    /// The transaction's data was dropped; discard anything received for it.
    Aborted(AbortReason),
    /// AUTH credentials to check. Accept: `235 2.7.0`. The password is a
    /// [`Secret`](crate::Secret): logging this event does not show it.
    Auth {
        /// PLAIN or LOGIN.
        mechanism: AuthMechanism,
        /// What the client sent.
        credentials: Credentials,
        /// The answer the server waits for.
        decision: Decision<question::Auth>,
    },
    /// STARTTLS. Accept: `220 2.0.0`; once it has been written
    /// [`wants_tls`](crate::Machine::wants_tls) is true, input buffered behind the
    /// command is discarded, and a new EHLO is required.
    StartTls {
        /// The answer the server waits for.
        decision: Decision<question::StartTls>,
    },
    /// VRFY. Accept: `252 2.5.2` (cannot verify, will accept a message).
    Verify {
        /// The argument as sent.
        argument: String,
        /// The answer the server waits for.
        decision: Decision<question::Verify>,
    },
    /// The transaction was reset (RSET, a new HELO/EHLO, or QUIT in the middle of one).
    Reset,
    /// A command was refused by the machine itself; the reply has been queued.
    Rejected {
        /// The reply sent.
        reply: Reply,
        /// What was wrong, with the RFC rule.
        reason: &'static str,
        /// Stream offset of the offending byte: the start of the command line, or the
        /// byte inside it where the syntax broke.
        offset: u64,
    },
    /// A fatal error; its reply is queued and `Closed(CloseReason::Error)` follows.
    Error(Error),
    /// The last event, exactly once: the session is over, any final reply is queued.
    Closed(CloseReason),
}

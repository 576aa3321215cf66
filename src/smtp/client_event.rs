//! What the client machine reports: [`ClientEvent`].

use super::error::Error;
use super::reply::Reply;
use crate::CloseReason;
use alloc::vec::Vec;

/// What the server said, decoded into steps of the dialogue. The client asks no
/// questions: every event is information, and the body is paced by
/// [`wants_body`](crate::Machine::wants_body).
///
/// ```
/// use wirestate::smtp::{Client, ClientConfig, ClientEvent};
/// use wirestate::{Instant, Machine};
/// let mut c = Client::new(ClientConfig::default());
/// c.handle_input(Instant::ZERO, b"220 mx\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Greeting(r)) if r.code().get() == 220));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The 220 greeting.
    Greeting(Reply),
    /// The server refused STARTTLS and
    /// [`ClientConfig::continue_without_tls`](super::ClientConfig::continue_without_tls)
    /// is on: the session goes on in plaintext (RFC 3207 4). Without that field a
    /// refusal is an [`Error`](ClientEvent::Error) instead.
    StartTlsRefused(Reply),
    /// AUTH succeeded.
    Authenticated(Reply),
    /// The connection is idle: call [`Client::send_mail`](super::Client::send_mail) or
    /// [`Client::quit`](super::Client::quit).
    Ready,
    /// The answer to MAIL FROM.
    Mail(Reply),
    /// The answer to one RCPT TO (index into the envelope's recipients). A refused
    /// recipient does not fail the transaction while another is accepted.
    Recipient {
        /// Which recipient.
        index: usize,
        /// The server's reply.
        reply: Reply,
    },
    /// The message was accepted (SMTP) or the last LMTP reply arrived.
    Sent {
        /// The final reply (in LMTP, the last recipient's).
        reply: Reply,
        /// Recipients accepted at RCPT (indexes into the envelope).
        accepted: Vec<usize>,
    },
    /// One LMTP per-recipient reply after the data (RFC 2033 4.2).
    Delivery {
        /// Which recipient.
        index: usize,
        /// Its reply.
        reply: Reply,
    },
    /// The transaction failed (MAIL refused, no recipient accepted, DATA or the data
    /// refused); the client sends RSET by itself and the connection stays usable.
    Failed(Reply),
    /// The connection cannot go on; `Closed(CloseReason::Error)` follows.
    Error(Error),
    /// The last event, exactly once: `Done` after the `221` to QUIT.
    Closed(CloseReason),
}

//! The server's configuration: what it offers, which answers it may give by itself, its
//! limits and timeouts.

use super::address::Domain;
use super::auth::AuthMechanism;
use super::limits::{Limits, Timeouts};
use super::nul::NulPolicy;
use alloc::vec::Vec;

/// What the server offers and how it behaves. Every field is checked when its own type
/// is built (a [`Domain`]), so [`Server::new`](super::Server::new) cannot fail.
///
/// ```
/// use wirestate::smtp::{Domain, ServerConfig};
/// let mut c = ServerConfig::default();
/// assert_eq!(c.hostname.as_str(), "localhost");
/// c.hostname = Domain::parse("mx.example.org").unwrap();
/// c.max_message_size = Some(10 << 20);
/// c.limits.max_recipients = 500;
/// assert!(c.pipelining && c.chunking && !c.starttls && !c.auto_accept_hello);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The server's own name, used in the greeting and replies: `localhost`.
    pub hostname: Domain,
    /// Speak LMTP (RFC 2033): LHLO instead of HELO/EHLO, one reply per recipient.
    pub lmtp: bool,
    /// SIZE limit in octets (RFC 1870); `None` for no limit (SIZE is still offered).
    pub max_message_size: Option<u64>,
    /// Offer PIPELINING (RFC 2920): on.
    pub pipelining: bool,
    /// Offer 8BITMIME (RFC 6152): on.
    pub eightbitmime: bool,
    /// Offer SMTPUTF8 (RFC 6531): on.
    pub smtputf8: bool,
    /// Offer ENHANCEDSTATUSCODES (RFC 2034) and put them in the machine's own replies: on.
    pub enhanced_status_codes: bool,
    /// Offer CHUNKING, i.e. BDAT (RFC 3030): on.
    pub chunking: bool,
    /// Offer BINARYMIME (RFC 3030; only with CHUNKING): off.
    pub binarymime: bool,
    /// Offer DSN (RFC 3461) and accept its parameters (passed through in events): on.
    pub dsn: bool,
    /// Offer STARTTLS (RFC 3207): off. The driver must then be able to switch the
    /// transport when [`wants_tls`](crate::Machine::wants_tls) says so.
    pub starttls: bool,
    /// AUTH mechanisms to offer; only PLAIN and LOGIN are decoded by the machine: none.
    pub auth: Vec<AuthMechanism>,
    /// Offer AUTH on a connection without TLS: off (passwords would travel in clear).
    pub auth_without_tls: bool,
    /// Answer every HELO/EHLO/LHLO with its `250` by itself instead of asking: off.
    /// The `Hello` event still comes, with a decision that is already answered (passing
    /// it back is [`SendError::OutOfTurn`](crate::SendError::OutOfTurn)).
    pub auto_accept_hello: bool,
    /// Answer MAIL, RCPT and the start of DATA/BDAT positively by itself: off. For
    /// sinks and tests that take any envelope; the end of the data is always asked.
    pub auto_accept_envelope: bool,
    /// Limits (the server uses the command, text, path, recipient, error and buffer
    /// limits).
    pub limits: Limits,
    /// Timeouts (the server uses `idle` and `data_block`).
    pub timeouts: Timeouts,
    /// NUL in message data: [`NulPolicy::Accept`] (passed through). Set
    /// [`NulPolicy::Reject`] to answer `554 5.6.0` after the data ends while the session
    /// goes on (RFC 5322 2.3 and 3.5 allow no NUL in a body's text; a NUL-stripping
    /// downstream could see an end of data inside the message). A `BODY=BINARYMIME`
    /// transaction (RFC 3030 3) is never refused for it. The reasons in full are on
    /// [`NulPolicy`].
    pub nul: NulPolicy,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            hostname: Domain::default(),
            lmtp: false,
            max_message_size: None,
            pipelining: true,
            eightbitmime: true,
            smtputf8: true,
            enhanced_status_codes: true,
            chunking: true,
            binarymime: false,
            dsn: true,
            starttls: false,
            auth: Vec::new(),
            auth_without_tls: false,
            auto_accept_hello: false,
            auto_accept_envelope: false,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            nul: NulPolicy::default(),
        }
    }
}

impl ServerConfig {
    /// The default configuration with `hostname` as the server's name.
    ///
    /// ```
    /// use wirestate::smtp::{Domain, ServerConfig};
    /// let c = ServerConfig::with_hostname(Domain::parse("mx.example.org").unwrap());
    /// assert_eq!(c.hostname.as_str(), "mx.example.org");
    /// ```
    pub fn with_hostname(hostname: Domain) -> ServerConfig {
        ServerConfig {
            hostname,
            ..ServerConfig::default()
        }
    }
}

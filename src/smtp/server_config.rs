//! The server's configuration: what it offers, its limits and timeouts.

use super::address::Domain;
use super::auth::AuthMechanism;
use super::SyntaxError;
use alloc::vec::Vec;
use core::time::Duration;

/// Limits, all settable (RFC 5321 4.5.3.1 gives the minimums).
///
/// ```
/// let l = wirestate::smtp::ServerLimits::default();
/// assert_eq!((l.command_line, l.text_line, l.recipients), (512, 1000, 100));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Longest command line including CRLF: 512 (4.5.3.1.4).
    pub command_line: usize,
    /// Longest AUTH command or SASL response line including CRLF: 12288 (RFC 4954 4).
    pub auth_line: usize,
    /// Longest line of message text including CRLF: 1000 (4.5.3.1.6). Longer lines
    /// fail the transaction with `500 5.5.2` after the data ends.
    pub text_line: usize,
    /// Most recipients per transaction: 100, the minimum servers must take (4.5.3.1.8);
    /// more get `452 4.5.3`.
    pub recipients: usize,
    /// Most undecoded input held (pipelined commands waiting for the caller); never
    /// less than the longest line. More is a `421 4.7.0` and the end of the connection.
    pub recv_buffer: usize,
    /// Errors (500, 501, 503, ...) before the server says 421 and closes.
    pub errors: usize,
    /// Longest reverse or forward path, brackets included: 256 (4.5.3.1.3); longer
    /// ones get `501` "path too long" (4.5.3.1.10).
    pub path: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            command_line: 512,
            auth_line: 12288,
            text_line: 1000,
            recipients: 100,
            recv_buffer: 256 * 1024,
            errors: 20,
            path: super::address::MAX_PATH,
        }
    }
}

/// Deadlines (RFC 5321 4.5.3.2.7: at least 5 minutes waiting for a command).
///
/// ```
/// assert_eq!(wirestate::smtp::ServerTimeouts::default().command.as_secs(), 300);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerTimeouts {
    /// Idle time allowed while waiting for a command or SASL response.
    pub command: Duration,
    /// Idle time allowed between pieces of message data.
    pub data: Duration,
}

impl Default for ServerTimeouts {
    fn default() -> Self {
        ServerTimeouts {
            command: Duration::from_secs(300),
            data: Duration::from_secs(300),
        }
    }
}

/// What the server offers and how it behaves.
///
/// ```
/// use wirestate::smtp::ServerConfig;
/// let mut c = ServerConfig::new("mx.example.org").unwrap();
/// c.max_message_size = Some(10 << 20);
/// c.lmtp = true;
/// assert!(ServerConfig::new("bad host").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The server's own name, used in the greeting and replies.
    pub hostname: Domain,
    /// Speak LMTP (RFC 2033): LHLO instead of HELO/EHLO, one reply per recipient.
    pub lmtp: bool,
    /// SIZE limit in octets (RFC 1870); `None` for no limit (SIZE still offered).
    pub max_message_size: Option<u64>,
    /// Offer PIPELINING.
    pub pipelining: bool,
    /// Offer 8BITMIME.
    pub eightbitmime: bool,
    /// Offer SMTPUTF8.
    pub smtputf8: bool,
    /// Offer ENHANCEDSTATUSCODES and put them in the machine's own replies.
    pub enhanced_status_codes: bool,
    /// Offer CHUNKING (BDAT).
    pub chunking: bool,
    /// Offer BINARYMIME (only with CHUNKING).
    pub binarymime: bool,
    /// Offer DSN and accept its parameters (passed through in events).
    pub dsn: bool,
    /// Offer STARTTLS (the adapter must then be able to wrap the socket).
    pub starttls: bool,
    /// AUTH mechanisms to offer; only PLAIN and LOGIN are decoded by the machine.
    pub auth: Vec<AuthMechanism>,
    /// Offer AUTH on a connection without TLS (off by default: passwords in clear).
    pub auth_without_tls: bool,
    /// Limits.
    pub limits: ServerLimits,
    /// Timeouts.
    pub timeouts: ServerTimeouts,
}

impl ServerConfig {
    /// Everything on except STARTTLS, AUTH and LMTP; no size limit.
    ///
    /// ```
    /// let c = wirestate::smtp::ServerConfig::new("localhost").unwrap();
    /// assert!(c.pipelining && c.chunking && !c.starttls);
    /// ```
    pub fn new(hostname: &str) -> Result<ServerConfig, SyntaxError> {
        Ok(ServerConfig {
            hostname: Domain::parse(hostname)?,
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
            limits: ServerLimits::default(),
            timeouts: ServerTimeouts::default(),
        })
    }
}

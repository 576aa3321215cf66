//! SMTP (RFC 5321) and LMTP (RFC 2033): reply and command codecs with validated types,
//! and sans-IO [`SmtpServer`] and [`SmtpClient`] machines with the extensions real mail
//! systems negotiate: PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES,
//! CHUNKING (BDAT), DSN, AUTH PLAIN and LOGIN, STARTTLS.
//!
//! Message data is streamed both ways and never held whole. The server's DATA decoder is
//! strict: `<LF>.<CR><LF>`, `<LF>.<LF>`, `<CR><LF>.<LF>`, `\r\r\n`, and any bare CR or LF
//! are framing errors (SMTP smuggling, CVE-2023-51764), and input pipelined behind
//! STARTTLS is discarded (CVE-2011-0411).
//!
//! ```
//! use wirestate::smtp::{ServerConfig, ServerEvent, SmtpServer};
//! use wirestate::{Instant, Machine};
//!
//! let mut server = SmtpServer::new(ServerConfig::new("mx.example.org").unwrap());
//! let greeting = server.poll_transmit().unwrap();
//! assert!(greeting.starts_with(b"220 mx.example.org"));
//! server.handle_input(Instant::ZERO, b"EHLO client.example\r\n");
//! assert!(matches!(server.poll_event(), Some(ServerEvent::Hello { .. })));
//! server.accept().unwrap();
//! let ehlo = server.poll_transmit().unwrap();
//! assert!(ehlo.starts_with(b"250-mx.example.org"));
//! ```

mod address;
/// Example:
///
/// ```
/// assert_eq!(wirestate::smtp::auth::base64_encode(b"hi"), "aGk=");
/// ```
pub mod auth;
mod client;
mod client_flow;
mod command;
mod ext;
mod params;
mod reply;
mod server;
mod server_auth;
mod server_config;
mod server_data;
mod server_event;

pub use address::{AddressLiteral, Domain, ForwardPath, Host, Mailbox, ReversePath};
pub use address::{MAX_DOMAIN, MAX_LOCAL_PART, MAX_PATH};
pub use auth::{base64_decode, base64_encode, AuthMechanism, Credentials};
pub use client::{ClientConfig, ClientError, ClientEvent, ClientTimeouts, Envelope, SmtpClient};
pub use command::MAX_COMMAND_LINE;
pub use command::{Body, Command, CommandError, MailParams, Notify, Param, RcptParams, Ret, XText};
pub use ext::Capabilities;
pub use reply::MAX_REPLY_LINE;
pub use reply::{
    parse_reply_line, EnhancedCode, Reply, ReplyCode, ReplyError, ReplyErrorKind, ReplyParser,
};
pub use server::{AbortReason, CloseReason, HelloVerb, ServerConfig, ServerEvent, SmtpServer};
pub use server::{ServerLimits, ServerTimeouts};

use core::fmt;

/// A value that breaks a grammar rule: which rule (with its RFC section) and the byte
/// offset in the input where it broke.
///
/// ```
/// let e = wirestate::smtp::Mailbox::parse("a@-b").unwrap_err();
/// assert_eq!(e.offset, 2);
/// assert!(e.rule.contains("4.1.2"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// The rule broken, with its RFC section.
    pub rule: &'static str,
    /// Byte offset into the parsed text.
    pub offset: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.rule, self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SyntaxError {}

/// Local misuse of a machine: nothing was queued and the machine's state is unchanged.
///
/// ```
/// use wirestate::smtp::{SendError, ServerConfig, SmtpServer};
/// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
/// assert_eq!(s.accept(), Err(SendError::NothingPending));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// No decision is waiting (the server was asked to answer nothing).
    NothingPending,
    /// The call does not fit the machine's current state.
    WrongState(&'static str),
    /// A reply of the wrong class (e.g. a 250 passed to `reject`).
    WrongReplyClass,
    /// An argument breaks a grammar rule.
    Syntax(SyntaxError),
    /// The message needs an extension the server did not offer (8BITMIME, SMTPUTF8, ...).
    MissingExtension(&'static str),
    /// The machine is closed.
    Closed,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::NothingPending => f.write_str("no event is waiting for an answer"),
            SendError::WrongState(s) => write!(f, "not allowed now: {s}"),
            SendError::WrongReplyClass => f.write_str("reply code class does not fit the call"),
            SendError::Syntax(e) => write!(f, "invalid argument: {e}"),
            SendError::MissingExtension(x) => write!(f, "the server does not offer {x}"),
            SendError::Closed => f.write_str("the connection is closed"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SendError {}

impl From<SyntaxError> for SendError {
    fn from(e: SyntaxError) -> SendError {
        SendError::Syntax(e)
    }
}

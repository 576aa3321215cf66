//! SMTP (RFC 5321) and LMTP (RFC 2033): reply and command codecs with validated types,
//! and sans-IO [`Server`] and [`Client`] machines with the extensions real mail systems
//! negotiate: PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING
//! (BDAT), DSN, AUTH PLAIN and LOGIN, STARTTLS.
//!
//! The module follows the crate's grammar: [`ServerConfig`] / [`ClientConfig`] with one
//! [`Limits`] and one [`Timeouts`]; [`ServerEvent`] / [`ClientEvent`]; one [`Error`]
//! with [`ErrorKind::rule`]; decisions as [`Decision`] tokens; bodies paced by
//! [`Machine::wants_body`](crate::Machine::wants_body); STARTTLS through
//! [`Machine::wants_tls`](crate::Machine::wants_tls).
//!
//! Message data is streamed both ways and never held whole. The server's DATA decoder is
//! strict: `<LF>.<CR><LF>`, `<LF>.<LF>`, `<CR><LF>.<LF>`, `\r\r\n`, and any bare CR or LF
//! are framing errors (SMTP smuggling, CVE-2023-51764), and input pipelined behind
//! STARTTLS is discarded (CVE-2011-0411). With [`NulPolicy::Reject`] a NUL in the data fails
//! the transaction, so no NUL-stripping program downstream can find an end of data
//! inside a message.
//!
//! ```
//! use wirestate::smtp::{Server, ServerConfig, ServerEvent, Domain};
//! use wirestate::{Instant, Machine};
//!
//! let mut server = Server::new(ServerConfig::with_hostname(Domain::parse("mx.example.org").unwrap()));
//! let greeting = server.poll_transmit().unwrap();
//! assert!(greeting.starts_with(b"220 mx.example.org"));
//! server.handle_input(Instant::ZERO, b"EHLO client.example\r\n");
//! let Some(ServerEvent::Hello { decision, .. }) = server.poll_event() else { panic!() };
//! server.accept(decision).unwrap();
//! let ehlo = server.poll_transmit().unwrap();
//! assert!(ehlo.starts_with(b"250-mx.example.org"));
//! ```

mod address;
mod auth;
mod busy;
mod client;
mod client_body;
mod client_config;
mod client_event;
mod command;
mod error;
mod ext;
mod limits;
mod nul;
mod params;
mod reply;
mod server;
mod server_auth;
mod server_check;
mod server_config;
mod server_data;
mod server_event;
mod server_question;

pub use crate::{CloseReason, Decision, SendError, SyntaxError};
pub use address::{AddressLiteral, Domain, ForwardPath, Host, Mailbox, ReversePath};
pub use address::{MAX_DOMAIN, MAX_LOCAL_PART, MAX_PATH};
pub use auth::{AuthMechanism, Credentials};
pub use busy::Busy;
pub use client::{Client, ClientConfig, ClientEvent, Envelope};
pub use command::MAX_COMMAND_LINE;
pub use command::{Body, Command, CommandError, MailParams, Notify, Param, RcptParams, Ret, XText};
pub use error::{Error, ErrorKind};
pub use ext::Capabilities;
pub use limits::{Limits, Timeouts};
pub use nul::NulPolicy;
pub use reply::MAX_REPLY_LINE;
pub use reply::{
    parse_reply_line, EnhancedCode, Reply, ReplyCode, ReplyError, ReplyErrorKind, ReplyParser,
};
pub use server::{question, AbortReason, HelloVerb, Question, Server, ServerConfig, ServerEvent};

//! POP3, client and server: RFC 1939 with the RFC 2449 extension mechanism (CAPA,
//! response codes), STLS (RFC 2595), SASL AUTH (RFC 5034, PLAIN from RFC 4616) and APOP.
//!
//! * [`Server`] walks AUTHORIZATION -> TRANSACTION -> UPDATE exactly as RFC 1939
//!   describes. The caller decides each login, each RETR/TOP and the UPDATE through
//!   [`Decision`]s: it checks credentials, takes the maildrop lock, hands over the
//!   maildrop's listing and streams message bytes with `send_data`/`send_end` paced by
//!   [`Machine::wants_body`]. The machine answers STAT, LIST, UIDL, DELE, RSET, NOOP and
//!   CAPA itself from that listing, dot-stuffs what the caller streams, and asks the
//!   caller to remove messages only after QUIT in TRANSACTION.
//! * [`Client`] sends typed commands and decodes the answers into events; RETR and TOP
//!   arrive as a stream of unstuffed [`ClientEvent::Data`] chunks, never as one buffer.
//!
//! Both follow the crate's grammar: [`ServerConfig`]/[`ClientConfig`] with one
//! [`Limits`] and one [`Timeouts`], one fatal [`Error`] (`kind.rule()`, `response()`),
//! the crate-wide [`SendError`] and [`CloseReason`], `Closed(reason)` as the last event,
//! and STLS through [`Machine::wants_tls`] / [`Machine::handle_tls_established`].
//!
//! Neither does I/O, reads a clock or locks a file: RFC 1939 section 8's exclusive
//! maildrop lock belongs to the caller's store, which answers a busy maildrop with
//! [`Server::reject_login`] and [`ResponseCode::InUse`].
//!
//! ```
//! use wirestate::pop3::{Credentials, MessageInfo, Server, ServerConfig, ServerEvent, Uid};
//! use wirestate::{Instant, Machine};
//!
//! let mut server = Server::new(ServerConfig::default());
//! let greeting = server.poll_transmit().unwrap();
//! assert!(greeting.starts_with(b"+OK"));
//! server.handle_input(Instant::ZERO, b"USER alice\r\nPASS secret\r\nSTAT\r\n");
//! let mut wire = Vec::new();
//! while let Some(event) = server.poll_event() {
//!     if let ServerEvent::Login { credentials: Credentials::User { name, password }, decision } = event {
//!         assert_eq!((name.as_bytes(), password.expose()), (&b"alice"[..], &b"secret"[..]));
//!         let listing = vec![MessageInfo::new(120, Uid::new("a1").unwrap())];
//!         server.accept_login(decision, listing).unwrap();
//!     }
//!     while let Some(b) = server.poll_transmit() {
//!         wire.extend_from_slice(&b);
//!     }
//! }
//! assert!(wire.ends_with(b"+OK 1 120\r\n"));
//! ```

mod busy;
mod client;
mod client_commands;
mod client_types;
mod command;
mod config;
mod error;
mod maildrop;
mod response;
mod sasl;
mod server;
mod server_text;
mod server_types;
mod top;
mod types;

pub use crate::{CloseReason, Decision, Secret, SendError, SyntaxError};
pub use busy::Busy;
pub use client::Client;
pub use client_types::{Challenge, ClientConfig, ClientEvent};
pub use command::{check_password, Command, CommandError, CommandErrorKind, CommandKind};
pub use config::{Autologout, Limits, Timeouts};
pub use error::{Error, ErrorKind};
pub use response::{
    Capability, DropListing, Response, ResponseError, ResponseErrorKind, ScanListing, Status,
    UidListing,
};
pub use sasl::PlainCredentials;
pub use server::Server;
pub use server_types::{
    Credentials, Login, MessageInfo, Retrieval, ServerConfig, ServerEvent, Update,
};
pub use types::{Arg, Digest, MessageNumber, OtherCode, ResponseCode, Text, Timestamp, Uid};

#[cfg(doc)]
use crate::Machine;

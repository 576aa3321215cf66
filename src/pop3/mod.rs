//! POP3, client and server: RFC 1939 with the RFC 2449 extension mechanism (CAPA,
//! response codes), STLS (RFC 2595), SASL AUTH (RFC 5034, PLAIN from RFC 4616) and APOP.
//!
//! * [`Pop3Server`] walks AUTHORIZATION -> TRANSACTION -> UPDATE exactly as RFC 1939
//!   describes. The caller checks credentials, takes the maildrop lock, hands over the
//!   maildrop's listing and streams message bytes; the machine answers STAT, LIST, UIDL,
//!   DELE, RSET, NOOP and CAPA itself from that listing, dot-stuffs what the caller
//!   streams, and asks the caller to remove messages only after QUIT in TRANSACTION.
//! * [`Pop3Client`] sends typed commands and decodes the answers into events; RETR and
//!   TOP arrive as a stream of unstuffed chunks, never as one buffer.
//!
//! Neither does I/O, reads a clock or locks a file: RFC 1939 section 8's exclusive
//! maildrop lock belongs to the caller's store, which answers a busy maildrop with
//! [`Pop3Server::reject_login`] and [`ResponseCode::InUse`].
//!
//! ```
//! use wirestate::pop3::{Credentials, MessageInfo, Pop3Server, ServerConfig, ServerEvent, Uid};
//! use wirestate::{Instant, Machine};
//!
//! let mut server = Pop3Server::new(ServerConfig::default()).unwrap();
//! let greeting = server.poll_transmit().unwrap();
//! assert!(greeting.starts_with(b"+OK"));
//! server.handle_input(Instant::ZERO, b"USER alice\r\nPASS secret\r\nSTAT\r\n");
//! let mut wire = Vec::new();
//! while let Some(event) = server.poll_event() {
//!     if let ServerEvent::Authenticate(Credentials::User { name, password }) = event {
//!         assert_eq!((name.as_bytes(), password.as_bytes()), (&b"alice"[..], &b"secret"[..]));
//!         let listing = vec![MessageInfo { octets: 120, uid: Uid::new("a1").unwrap() }];
//!         server.accept_login(listing).unwrap();
//!     }
//!     while let Some(b) = server.poll_transmit() {
//!         wire.extend_from_slice(&b);
//!     }
//! }
//! assert!(wire.ends_with(b"+OK 1 120\r\n"));
//! ```

mod client;
mod command;
mod response;
pub mod sasl;
mod server;
mod server_api;
mod top;
mod types;

pub use client::{ClientConfig, ClientError, ClientErrorKind, ClientEvent, Pop3Client};
pub use command::{Command, CommandError, CommandErrorKind, CommandKind};
pub use response::{
    Capability, DropListing, Response, ResponseError, ResponseErrorKind, ScanListing, Status,
    UidListing,
};
pub use server::Pop3Server;
pub use server_api::{
    CloseReason, Credentials, Flow, MessageInfo, ServerConfig, ServerError, ServerErrorKind,
    ServerEvent,
};
pub use types::{Arg, Digest, MessageNumber, OtherCode, Password, ResponseCode, Uid};

use core::fmt;

/// Size limits. Every one is enforced whatever way TCP splits the input, and exceeding
/// one is a final `-ERR` (server) or an error event (client), never growth.
///
/// ```
/// let l = wirestate::pop3::Limits::default();
/// assert_eq!((l.command_line, l.response_line), (255, 512));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest command line, CRLF included. RFC 2449 section 4: 255 octets.
    pub command_line: usize,
    /// Longest status line or listing/capability line, CRLF included. RFC 2449 section 4
    /// and section 5: 512 octets.
    pub response_line: usize,
    /// Longest SASL response line a client sends after a `+ ` challenge (RFC 5034 section 4
    /// sends them base64-encoded on a line of their own). Default 2048.
    pub auth_line: usize,
    /// Most undecoded input held at once: a pipelining peer, or a caller that hands in
    /// reads without draining events in between, hits this. Default 256 KiB.
    pub recv_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            command_line: 255,
            response_line: 512,
            auth_line: 2048,
            recv_buffer: 256 * 1024,
        }
    }
}

/// A local mistake: something the caller asked for that would break the protocol.
/// Nothing was queued.
///
/// ```
/// use wirestate::pop3::{Arg, SendError};
/// assert_eq!(Arg::new("two words"), Err(SendError::InvalidArgument));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// A unique-id that is not 1-70 characters 0x21-0x7E (RFC 1939 section 7).
    InvalidUid,
    /// An argument with a space, control character or nothing in it.
    InvalidArgument,
    /// Response text holding CR, LF or NUL, or a malformed timestamp or capability.
    InvalidText,
    /// The line would pass the protocol's length limit.
    LineTooLong {
        /// The limit, CRLF included.
        limit: usize,
    },
    /// The machine is not waiting for this (e.g. `accept_login` with no login pending,
    /// a command not valid in the current state).
    OutOfTurn,
    /// The session is closed.
    Closed,
    /// An autologout timer under 10 minutes (RFC 1939 section 3).
    AutologoutTooShort,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::InvalidUid => f.write_str("unique-id must be 1-70 characters 0x21-0x7E"),
            SendError::InvalidArgument => {
                f.write_str("argument is empty or holds a space or control character")
            }
            SendError::InvalidText => f.write_str("text holds CR, LF or NUL, or is malformed"),
            SendError::LineTooLong { limit } => write!(f, "line longer than {limit} octets"),
            SendError::OutOfTurn => f.write_str("not valid in the current state"),
            SendError::Closed => f.write_str("session is closed"),
            SendError::AutologoutTooShort => {
                f.write_str("autologout timer must be at least 10 minutes")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SendError {}

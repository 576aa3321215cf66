//! The greeting protocol: a server that says `Welcome!` on connect and answers every
//! message `m` with `Hello, m!` until the client says `exit` or closes; its client; and the
//! same greeting over UDP.
//!
//! The module follows the crate's grammar: machines [`Server`] and [`Client`], built from
//! [`ServerConfig`] / [`ClientConfig`] (fields `framing`, `limits: `[`Limits`],
//! `timeouts: `[`Timeouts`]); events [`ServerEvent`] / [`ClientEvent`], always ending with
//! `Closed(`[`CloseReason`]`)`; one fatal [`Error`] with its [`ErrorKind`]; the crate-wide
//! [`SendError`] for local misuse.
//!
//! # Framing
//!
//! The classic peers (a Python threaded server doing `recv(1024)` and a lockstep client)
//! put no delimiter between messages: a message is whatever one read returns, which works
//! only because the client waits for each reply before sending the next name.
//! [`Framing::Chunk`] reproduces that exactly, byte for byte: each `handle_input` call is
//! one message. It therefore depends on how the transport cuts the stream, so a driver
//! must read with the peer's read size (1024) and the client must stay in lockstep.
//!
//! [`Framing::Line`] ends every message with `\n` (a `\r\n` is accepted too; a CR that is
//! not followed by LF is an error, as it could make two peers disagree on where a message
//! ends) and is indifferent to how TCP splits or joins segments. Use it whenever both
//! ends are yours.
//!
//! Both framings bound a message by [`Limits::max_message`]; a longer one is a fatal
//! [`Error`], never growth.
//!
//! # Ends
//!
//! | how | server's last events | client's last events |
//! |---|---|---|
//! | the client's `exit` ([`Client::finish`]) | `Closed(Done)` | `Closed(Done)` |
//! | EOF | `Closed(PeerClosed { unterminated })` | `Closed(PeerClosed { unterminated })` |
//! | [`Timeouts`] ran out | `Closed(Timeout)` | `Closed(Timeout)` |
//! | a broken rule | `Error(e)`, `Closed(Error)` | `Error(e)`, `Closed(Error)` |
//!
//! A timeout is not an error (the peer broke no rule), so no `Error` event precedes it,
//! as in every protocol of the crate. The greeting has no error reply: on an error the
//! server closes without a word, as the classic one does.
//!
//! ```
//! use wirestate::greeting::{Client, ClientConfig, ClientEvent, Framing, Server, ServerConfig};
//! use wirestate::{Instant, Machine};
//!
//! let mut server = Server::new(ServerConfig::new(Framing::Line));
//! let mut client = Client::new(ClientConfig::new(Framing::Line));
//! client.send_name(b"Ada").unwrap();
//! client.finish().unwrap();
//! let now = Instant::ZERO;
//! let mut transcript = Vec::new();
//! while !client.is_closed() {
//!     while let Some(b) = server.poll_transmit() { client.handle_input(now, &b) }
//!     while let Some(e) = server.poll_event() { let _ = e; }
//!     while let Some(e) = client.poll_event() {
//!         if let ClientEvent::Welcome(m) | ClientEvent::Reply { reply: m, .. } = e {
//!             transcript.push(m);
//!         }
//!     }
//!     while let Some(b) = client.poll_transmit() { server.handle_input(now, &b) }
//! }
//! assert_eq!(transcript, ["Welcome!", "Hello, Ada!"]);
//! ```

mod client;
mod config;
mod error;
mod framing;
mod queue;
mod server;
mod state;
mod udp;

pub use crate::{CloseReason, SendError, SyntaxError};
pub use client::{Client, ClientEvent};
pub use config::{ClientConfig, Framing, Limits, ServerConfig, Timeouts};
pub use error::{Error, ErrorKind};
pub use server::{Server, ServerEvent};
pub use udp::{udp_reply, UdpError, MAX_UDP_PAYLOAD};
mod busy;
pub use busy::{Busy, BUSY};

/// The banner the server sends on connect.
///
/// ```
/// assert_eq!(wirestate::greeting::WELCOME, b"Welcome!");
/// ```
pub const WELCOME: &[u8] = b"Welcome!";
/// The message that ends a session.
///
/// ```
/// assert_eq!(wirestate::greeting::EXIT, b"exit");
/// ```
pub const EXIT: &[u8] = b"exit";

/// What the server's reply puts before the message it answers (`Hello, <message>!`).
/// Fixed-size, so that the copy per reply is inline.
pub(crate) const REPLY_BEFORE: &[u8; 7] = b"Hello, ";
/// What the server's reply puts after the message.
pub(crate) const REPLY_AFTER: u8 = b'!';
/// How many bytes a reply adds to the message it answers.
pub(crate) const REPLY_FRAMING: usize = REPLY_BEFORE.len() + 1;

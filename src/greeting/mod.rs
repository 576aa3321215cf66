//! The greeting protocol: a server that says `Welcome!` on connect and answers every
//! message `m` with `Hello, m!` until the client says `exit` or closes; its client; and the
//! same greeting over UDP.
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
//! [`Framing::Line`] ends every message with `\n` (a `\r\n` is accepted too) and is
//! indifferent to how TCP splits or joins segments. Use it whenever both ends are yours.
//!
//! Both framings bound a message by [`Limits::max_message`]; a longer one is a fatal
//! [`GreetingError`], never growth.
//!
//! ```
//! use wirestate::greeting::{ClientEvent, Framing, GreetingClient, GreetingServer};
//! use wirestate::{Instant, Machine};
//!
//! let mut server = GreetingServer::new(Framing::Line);
//! let mut client = GreetingClient::new(Framing::Line);
//! client.send_name(b"Ada").unwrap();
//! client.finish();
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
mod framing;
mod server;
mod udp;

pub use client::{ClientEvent, GreetingClient, SendError};
pub use server::{GreetingServer, ServerEvent};
pub use udp::{udp_reply, UdpError, MAX_UDP_PAYLOAD};

use core::fmt;
use core::time::Duration;

/// The banner the server sends on connect.
pub const WELCOME: &[u8] = b"Welcome!";
/// The message that ends a session.
pub const EXIT: &[u8] = b"exit";

/// How messages are delimited on a TCP stream. See the [module docs](self).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Framing {
    /// One `handle_input` call is one message, as with the classic Python peers.
    #[default]
    Chunk,
    /// Each message ends with `\n` or `\r\n`; robust to any TCP segmentation.
    Line,
}

/// Limits of one greeting connection.
///
/// ```
/// use wirestate::greeting::Limits;
/// let limits = Limits { max_message: 256, ..Limits::default() };
/// assert_eq!(limits.max_message, 256);
/// assert_eq!(Limits::default().idle_timeout, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest message, terminator excluded. Default 1024: the classic peers' `recv(1024)`
    /// size, so nothing we accept or send would be split by them.
    pub max_message: usize,
    /// Most undecoded bytes held at once (messages received but not yet polled).
    /// Default 64 KiB.
    pub max_buffered: usize,
    /// Close a connection silent for this long. Default `None`: the classic server
    /// waits forever.
    pub idle_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 1024,
            max_buffered: 64 * 1024,
            idle_timeout: None,
        }
    }
}

/// What broke a greeting connection. Errors are fatal: the machine closes after one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GreetingError {
    /// What was wrong.
    pub kind: GreetingErrorKind,
    /// Stream offset of the message (or byte) at fault.
    pub offset: u64,
}

/// The kinds of [`GreetingError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GreetingErrorKind {
    /// A message longer than [`Limits::max_message`].
    TooLong {
        /// The limit.
        limit: usize,
    },
    /// A CR not followed by LF under line framing.
    BareCr,
    /// More than [`Limits::max_buffered`] undecoded bytes: the caller is not draining
    /// `poll_event`.
    BufferFull {
        /// The limit.
        limit: usize,
    },
    /// No input for [`Limits::idle_timeout`].
    IdleTimeout,
    /// The server sent a message the client did not ask for (client side).
    Unsolicited,
}

impl fmt::Display for GreetingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            GreetingErrorKind::TooLong { limit } => write!(
                f,
                "message at byte {} is longer than {limit} bytes",
                self.offset
            ),
            GreetingErrorKind::BareCr => write!(f, "bare CR at byte {}", self.offset),
            GreetingErrorKind::BufferFull { limit } => write!(
                f,
                "more than {limit} undecoded bytes at byte {}",
                self.offset
            ),
            GreetingErrorKind::IdleTimeout => {
                write!(f, "idle timeout after byte {}", self.offset)
            }
            GreetingErrorKind::Unsolicited => {
                write!(f, "unsolicited message at byte {}", self.offset)
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for GreetingError {}

//! # wirestate
//!
//! Sans-IO protocol machines: pure parsers, encoders and state machines for the greeting
//! protocol (TCP and UDP), HTTP/1.1 message framing, SMTP (and LMTP) and POP3. Nothing in
//! this crate opens a socket, spawns a thread or reads a clock: the caller owns all I/O
//! and time, the machine owns all protocol knowledge.
//!
//! Every client and server implements [`Machine`]. A complete blocking driver for any of
//! them is a dozen lines:
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use wirestate::greeting::{Server, ServerConfig, ServerEvent};
//! use wirestate::{Instant, Machine};
//!
//! fn serve(mut sock: TcpStream) -> std::io::Result<()> {
//!     let start = std::time::Instant::now();
//!     let now = || Instant::from_millis(start.elapsed().as_millis() as u64);
//!     let mut machine = Server::new(ServerConfig::default());
//!     let mut buf = [0u8; 1024];
//!     loop {
//!         while let Some(event) = machine.poll_event() {
//!             if let ServerEvent::Message(name) = event {
//!                 eprintln!("received {:?}", name);
//!             }
//!         }
//!         while let Some(bytes) = machine.poll_transmit() {
//!             sock.write_all(&bytes)?;
//!         }
//!         if machine.is_closed() {
//!             return Ok(());
//!         }
//!         match sock.read(&mut buf)? {
//!             0 => machine.handle_eof(now()),
//!             n => machine.handle_input(now(), &buf[..n]),
//!         }
//!     }
//! }
//! ```
//!
//! Protocols: [`greeting`] (TCP and UDP), [`http`] (HTTP/1.1 message framing, both roles),
//! [`smtp`] (ESMTP and LMTP client and server), [`pop3`] (client and server).
//!
//! # One grammar for every protocol
//!
//! A user who has driven one machine can drive the other seven without reading anything
//! new: every protocol module has the same shape, and the same idea has the same name.
//!
//! | concept | spelling in every protocol module |
//! |---|---|
//! | machines | `Server` and `Client` (`smtp::Server`, `pop3::Client`, ...), both [`Machine`] |
//! | configuration | `ServerConfig` / `ClientConfig`: `Default`, fields `limits: Limits` and `timeouts: Timeouts`; `Server::new(config)` cannot fail, because values that can be invalid are checked when their types are built (an `smtp::Domain`, a `pop3::Uid`) |
//! | limits | one `Limits` per protocol, shared by both roles; `max_buffered` is always the most undecoded input held, and every line limit is `max_*_line` |
//! | timeouts | one `Timeouts` per protocol; every field an `Option<Duration>` (`None`: wait forever); `idle` is how long a server waits for its peer to speak, `reply` how long a client waits for an answer |
//! | events | `ServerEvent` / `ClientEvent`, `#[non_exhaustive]`; `Data(Bytes)` and `End` for a body or message, `Error(Error)` for a fatal error, and always last, exactly once, `Closed(`[`CloseReason`]`)` |
//! | fatal errors | `Error { kind, offset }`: `kind.rule()` names the RFC section, `offset` the byte in the received stream, and the protocol's answer is queued (HTTP 400/431, SMTP 500/421, POP3 `-ERR`) |
//! | local misuse | one [`SendError`] for every machine: `OutOfTurn`, `Closed`, `Invalid(`[`SyntaxError`]`)`, `Unsupported`; nothing is queued |
//! | decisions | an event that needs an answer carries a [`Decision`]; the answer methods take it by value; until then the machine decodes nothing more, and never answers by itself unless `Config` opts into a default |
//! | body out | `send_data(Bytes)` then `send_end()`, paced by [`Machine::wants_body`] |
//! | flow control | [`Machine::wants_input`] (read more?) and [`Machine::wants_body`] (send more?) |
//! | TLS | [`Machine::wants_tls`] (switch now) and [`Machine::handle_tls_established`] (switched) |
//! | secrets | [`Secret`]: `Debug` and `Display` never show it |
//! | time | every machine honours `now`; every wait has its entry in `Timeouts` and its deadline in [`Machine::poll_timeout`] |
//!
//! Structs that may grow (`*Config`, `Limits`, `Timeouts`) are `#[non_exhaustive]`: build
//! them from `Default` and set the fields you need.
//!
//! ## Features
//!
//! * `std` (default): `std::error::Error` impls. Without it the crate is `#![no_std]` and
//!   needs only `alloc`.
// The optional modules are linked only where they exist, so the docs build with
// `-D warnings` with the features on or off.
#![cfg_attr(
    feature = "rustls",
    doc = "* `rustls` (off by default, implies `std`): [`tls`], a layer that puts any machine"
)]
#![cfg_attr(
    not(feature = "rustls"),
    doc = "* `rustls` (off by default, implies `std`): `tls`, a layer that puts any machine"
)]
//!   behind TLS, from the first byte or at the machine's own STARTTLS/STLS switch.
#![cfg_attr(
    feature = "testing",
    doc = "* `testing` (off by default; works without `std`): [`testing`],"
)]
#![cfg_attr(
    not(feature = "testing"),
    doc = "* `testing` (off by default; works without `std`): `testing`,"
)]
//!   the kit for testing code built on the machines: a client and a server wired back
//!   to back with a virtual clock, split feeders, a chunking-invariance check and a
//!   byte-exact transcript replayer. Reading transcript files needs `std` as well.
#![cfg_attr(
    feature = "arbitrary",
    doc = "* `arbitrary` (off by default, implies `std`): [`generate`], `arbitrary::Arbitrary`"
)]
#![cfg_attr(
    not(feature = "arbitrary"),
    doc = "* `arbitrary` (off by default, implies `std`): `generate`, `arbitrary::Arbitrary`"
)]
//!   for SMTP commands, replies, paths and parameters, POP3 commands and responses, and
//!   HTTP messages, and cases that are invalid as often as a knob says, each with the
//!   error our parser must give: for fuzz targets of code built on the machines.
//! * `proptest` (off by default, implies `arbitrary`): proptest strategies for the same
//!   values, `generate::valid` and `generate::cases`.
//!
//! ## Limits
//!
//! Every buffer is bounded and every limit is public and settable; exceeding one is an
//! error with the protocol's own reply, never unbounded growth. See each protocol's
//! `Limits`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod base64;
pub mod buffer;
mod busy;
pub mod dot;
#[cfg(feature = "arbitrary")]
pub mod generate;
pub mod greeting;
pub mod http;
pub mod line;
mod machine;
pub mod pop3;
pub mod proxy;
pub mod sasl;
mod secret;
pub mod smtp;
#[cfg(test)]
mod test_rand;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "rustls")]
pub mod tls;
mod vocabulary;

pub use machine::{Instant, Machine};
pub use secret::Secret;
pub use vocabulary::{CloseReason, Decision, SendError, SyntaxError};

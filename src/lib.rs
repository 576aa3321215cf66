//! # wirestate
//!
//! Sans-IO protocol machines: pure parsers, encoders and state machines for the greeting
//! protocol (TCP and UDP), HTTP/1.1 message framing, SMTP and POP3. Nothing in this crate
//! opens a socket, spawns a thread or reads a clock: the caller owns all I/O and time,
//! the machine owns all protocol knowledge.
//!
//! Every client and server implements [`Machine`]. A complete blocking driver for any of
//! them is a dozen lines:
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use wirestate::greeting::{Framing, GreetingServer, ServerEvent};
//! use wirestate::{Instant, Machine};
//!
//! fn serve(mut sock: TcpStream) -> std::io::Result<()> {
//!     let start = std::time::Instant::now();
//!     let now = || Instant::from_millis(start.elapsed().as_millis() as u64);
//!     let mut machine = GreetingServer::new(Framing::Chunk);
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
//! ## Features
//!
//! * `std` (default): `std::error::Error` impls. Without it the crate is `#![no_std]` and
//!   needs only `alloc`.
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
pub mod dot;
pub mod greeting;
pub mod http;
pub mod line;
mod machine;
pub mod pop3;
pub mod sasl;
pub mod smtp;

pub use machine::{Instant, Machine};

//! [`Busy`]: the server of a connection the caller cannot take now.

use super::{Server, ServerConfig, ServerEvent};
use crate::busy::{busy_machine, Refusal};
use crate::CloseReason;
use bytes::Bytes;

/// What a busy server answers: RFC 9110 15.6.4 `503`, "the server is currently unable
/// to handle the request due to a temporary overload", with `Connection: close`
/// (RFC 9112 9.6) because the connection ends with it. No body, so the answer frames
/// the same after `HEAD` as after `GET`.
pub const BUSY_RESPONSE: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// The machine for a connection over the caller's limit (too many connections, or too
/// many from one client). HTTP has no greeting, and a response must answer a request,
/// so it waits for the first request head to end (an empty line after a non-empty
/// one; at most [`Limits::max_head`](super::Limits::max_head) bytes, after which it
/// answers anyway), answers [`BUSY_RESPONSE`], and closes.
///
/// Nothing is parsed or kept: the head is only scanned for its end, so a busy
/// connection costs a few bytes of state whatever the client sends. After the answer it
/// goes on reading and dropping input until the client closes, or for 2 seconds:
/// closing a socket with unread input makes TCP send a reset, which can destroy the
/// answer before the client has read it (RFC 9112 9.6). A client that never sends a
/// head is dropped after [`Timeouts::idle`](super::Timeouts::idle). The last and only
/// event is `Closed`: `Local` once answered, `PeerClosed` if the client left first,
/// `Timeout` if it never asked. Build it with [`Server::too_busy`]; it has the same event
/// type as [`Server`].
///
/// ```
/// use wirestate::http::{Server, ServerConfig, ServerEvent, BUSY_RESPONSE};
/// use wirestate::{CloseReason, Instant, Machine};
///
/// let mut m = Server::too_busy(ServerConfig::default());
/// assert_eq!(m.poll_transmit(), None, "nothing before a request");
/// m.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
/// assert_eq!(&m.poll_transmit().unwrap()[..], BUSY_RESPONSE);
/// assert!(!m.is_closed(), "it reads on until the client closes");
/// m.handle_eof(Instant::ZERO);
/// assert!(m.is_closed());
/// assert_eq!(m.poll_event(), Some(ServerEvent::Closed(CloseReason::Local)));
/// ```
#[derive(Debug)]
pub struct Busy {
    refusal: Refusal,
    max_head: u64,
    /// A byte other than CR or LF has been seen: line ends now count.
    started: bool,
    /// LFs since the last byte other than CR or LF.
    newlines: u8,
}

impl Server {
    /// The machine for a connection the caller will not serve now: `503` to the first
    /// request, then close. See [`Busy`].
    ///
    /// ```
    /// use wirestate::{Instant, Machine};
    /// let mut m = wirestate::http::Server::too_busy(Default::default());
    /// m.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\n\r\n");
    /// assert!(m.poll_transmit().unwrap().starts_with(b"HTTP/1.1 503 "));
    /// ```
    #[must_use = "the Busy machine gives the busy answer only when driven"]
    pub fn too_busy(config: ServerConfig) -> Busy {
        Busy {
            refusal: Refusal::later(config.timeouts.idle),
            max_head: config.limits.max_head as u64,
            started: false,
            newlines: 0,
        }
    }
}

impl Busy {
    fn on_input(&mut self, bytes: &[u8]) {
        if self.refusal.queued() {
            return;
        }
        // RFC 9112 2.2: empty lines before the request line are ignored, so only an
        // empty line after something else ends the head. A bare LF counts as a line end
        // here: this machine answers the same whatever the head says.
        for &b in bytes {
            match b {
                b'\n' if self.started => {
                    self.newlines += 1;
                    if self.newlines == 2 {
                        return self.answer();
                    }
                }
                b'\r' | b'\n' => {}
                _ => {
                    self.started = true;
                    self.newlines = 0;
                }
            }
        }
        if self.refusal.discarded > self.max_head {
            self.answer();
        }
    }

    fn answer(&mut self) {
        self.refusal.queue(Bytes::from_static(BUSY_RESPONSE));
    }

    fn on_eof(&mut self) {
        if !self.refusal.queued() {
            let unterminated = self.refusal.discarded as usize;
            self.refusal
                .abandon(CloseReason::PeerClosed { unterminated });
        }
    }
}

busy_machine!(Busy, ServerEvent);

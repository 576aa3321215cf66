//! The greeting server machine.

use super::framing::Inbox;
use super::{Framing, GreetingError, GreetingErrorKind, Limits, EXIT, WELCOME};
use crate::{Instant, Machine};
use alloc::collections::VecDeque;
use bytes::Bytes;

/// What the client did. The server answers by itself; events are for logging and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// A message; `Hello, <message>!` has been queued.
    Message(Bytes),
    /// The client sent `exit`; the connection is closing.
    Exit,
    /// The client closed its side. `unterminated` counts bytes of a last line that had no
    /// terminator (line framing), which were dropped.
    PeerClosed {
        /// Bytes dropped with the unfinished line.
        unterminated: usize,
    },
    /// A fatal error; the connection is closing.
    Error(GreetingError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    /// EOF seen; report it once the buffered messages are out.
    Draining,
    Closed,
}

/// Server side of the greeting protocol.
///
/// Queues `Welcome!` when created, answers each message `m` with `Hello, m!` (the payload
/// is bytes, so any encoding comes back exactly), and closes on `exit`, on peer EOF, on an
/// error, or after [`Limits::idle_timeout`].
///
/// ```
/// use wirestate::greeting::{Framing, GreetingServer, ServerEvent};
/// use wirestate::{Instant, Machine};
///
/// let mut server = GreetingServer::new(Framing::Chunk);
/// assert_eq!(&server.poll_transmit().unwrap()[..], b"Welcome!");
/// server.handle_input(Instant::ZERO, "Zoë".as_bytes());
/// assert_eq!(server.poll_event(), Some(ServerEvent::Message("Zoë".into())));
/// assert_eq!(&server.poll_transmit().unwrap()[..], "Hello, Zoë!".as_bytes());
/// server.handle_input(Instant::ZERO, b"exit");
/// assert_eq!(server.poll_event(), Some(ServerEvent::Exit));
/// assert!(server.is_closed());
/// ```
#[derive(Debug)]
pub struct GreetingServer {
    inbox: Inbox,
    limits: Limits,
    outbox: VecDeque<Bytes>,
    state: State,
    /// Last time seen, so a clock that runs backwards counts as no time passing.
    now: Instant,
    idle_deadline: Option<Instant>,
}

impl GreetingServer {
    /// A server for a newly accepted connection, with default [`Limits`].
    ///
    /// ```
    /// use wirestate::greeting::{Framing, GreetingServer};
    /// let _server = GreetingServer::new(Framing::Line);
    /// ```
    pub fn new(framing: Framing) -> GreetingServer {
        GreetingServer::with_limits(framing, Limits::default())
    }

    /// A server with explicit limits. `Instant::ZERO` is taken as the connection's
    /// start for the idle timer until the first `handle_*` call says otherwise.
    ///
    /// ```
    /// use core::time::Duration;
    /// use wirestate::greeting::{Framing, GreetingServer, Limits};
    /// use wirestate::Machine;
    /// let limits = Limits { idle_timeout: Some(Duration::from_secs(30)), ..Limits::default() };
    /// let server = GreetingServer::with_limits(Framing::Line, limits);
    /// assert_eq!(server.poll_timeout().unwrap().as_millis(), 30_000);
    /// ```
    pub fn with_limits(framing: Framing, limits: Limits) -> GreetingServer {
        let inbox = Inbox::new(framing, limits);
        let mut outbox = VecDeque::new();
        outbox.push_back(inbox.frame(&[WELCOME]));
        GreetingServer {
            inbox,
            limits,
            outbox,
            state: State::Open,
            now: Instant::ZERO,
            idle_deadline: limits.idle_timeout.map(|d| Instant::ZERO + d),
        }
    }

    fn touch(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if let Some(idle) = self.limits.idle_timeout {
            self.idle_deadline = Some(self.now + idle);
        }
    }

    fn close(&mut self) {
        self.state = State::Closed;
        self.idle_deadline = None;
        self.inbox.clear();
    }
}

impl Machine for GreetingServer {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.state != State::Open {
            return;
        }
        self.touch(now);
        self.inbox.push(bytes);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.state == State::Open {
            self.state = State::Draining;
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.state == State::Open && self.idle_deadline.is_some_and(|d| self.now >= d) {
            // Messages already received are still answered; the error comes after them.
            self.idle_deadline = None;
            let offset = self.inbox.offset();
            self.inbox.fail(GreetingError {
                kind: GreetingErrorKind::IdleTimeout,
                offset,
            });
        }
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        if self.state == State::Closed {
            // The terminal event has been given; an error the inbox noticed meanwhile (an
            // idle timeout after `exit`, say) must not follow it as a second one.
            return None;
        }
        match self.inbox.next() {
            Some(Ok(message)) => {
                if message == EXIT {
                    self.close();
                    return Some(ServerEvent::Exit);
                }
                let reply = self.inbox.frame(&[b"Hello, ", &message, b"!"]);
                self.outbox.push_back(reply);
                Some(ServerEvent::Message(message))
            }
            Some(Err(e)) => {
                self.close();
                Some(ServerEvent::Error(e))
            }
            None if self.state == State::Draining => {
                let unterminated = self.inbox.pending_bytes();
                self.close();
                Some(ServerEvent::PeerClosed { unterminated })
            }
            None => None,
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.outbox.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Open {
            self.idle_deadline
        } else {
            None
        }
    }

    fn is_closed(&self) -> bool {
        self.state == State::Closed
    }
}

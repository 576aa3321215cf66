//! The greeting server machine.

use super::framing::Inbox;
use super::queue::Queue;
use super::state::State;
use super::{Error, Framing, ServerConfig, EXIT, WELCOME};
use crate::{CloseReason, Instant, Machine};
use bytes::{Bytes, BytesMut};
use core::time::Duration;

/// What the client did. The server answers by itself (the protocol fixes every reply, so
/// there is nothing to decide); events are for logging and tests.
///
/// ```
/// use wirestate::greeting::{Framing, Server, ServerConfig, ServerEvent};
/// use wirestate::{CloseReason, Instant, Machine};
/// let mut s = Server::new(ServerConfig::new(Framing::Line));
/// s.handle_input(Instant::ZERO, b"Ada\nexit\n");
/// assert_eq!(s.poll_event(), Some(ServerEvent::Message("Ada".into())));
/// assert_eq!(s.poll_event(), Some(ServerEvent::Closed(CloseReason::Done)));
/// assert_eq!(s.poll_event(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A message; `Hello, <message>!` has been queued.
    Message(Bytes),
    /// A fatal error; `Closed(CloseReason::Error)` follows. Nothing is queued for the
    /// peer: the greeting protocol has no error reply.
    Error(Error),
    /// The last event, given exactly once: `Done` after the client's `exit`,
    /// `PeerClosed { unterminated }` at EOF (`unterminated` counts the bytes of a last
    /// line that had no terminator, dropped), `Timeout` when [`Timeouts::idle`] ran out
    /// (with no `Error` before it), `Error` after an `Error` event.
    ///
    /// [`Timeouts::idle`]: super::Timeouts::idle
    Closed(CloseReason),
}

/// Server side of the greeting protocol.
///
/// Queues `Welcome!` when created, answers each message `m` with `Hello, m!` (the payload
/// is bytes, so any encoding comes back exactly), and closes on `exit`, on peer EOF, on an
/// error, or after [`Timeouts::idle`](super::Timeouts::idle) without a whole message.
///
/// How it meets the [`Machine`] trait:
///
/// * [`wants_input`](Machine::wants_input) is false once EOF, the idle timeout or an
///   error has ended the input, once closed, while a whole message waits for
///   [`poll_event`](Machine::poll_event), and while more than [`Limits::max_buffered`]
///   bytes of replies wait in [`poll_transmit`](Machine::poll_transmit). A driver that
///   honours it holds at most one partial line plus one read, so with reads of at most
///   `max_buffered - max_message - 2` bytes it never meets the buffer limit; and a peer
///   that pipelines without reading is slowed by TCP instead of growing the reply queue.
/// * [`wants_body`](Machine::wants_body) is always false: every reply is one short
///   transmit, there is no body to stream.
/// * [`wants_tls`](Machine::wants_tls) is always false and
///   [`handle_tls_established`](Machine::handle_tls_established) is ignored: the protocol
///   has no TLS switch (a TLS layer may still wrap the whole connection).
/// * [`poll_timeout`](Machine::poll_timeout) is the idle deadline while open. The idle
///   clock starts at the first `handle_*` call, with its `now`: until then the machine
///   has not been told the time, so with an idle timer set `poll_timeout` is
///   `Instant::ZERO` (due at once) and the driver's first
///   [`handle_timeout`](Machine::handle_timeout) starts the clock instead of expiring
///   it. So a machine built long after the caller's epoch is not timed out at once.
///
/// [`Limits::max_buffered`]: super::Limits::max_buffered
///
/// ```
/// use wirestate::greeting::{Server, ServerConfig, ServerEvent};
/// use wirestate::{CloseReason, Instant, Machine};
///
/// let mut server = Server::new(ServerConfig::default()); // chunk framing
/// assert_eq!(&server.poll_transmit().unwrap()[..], b"Welcome!");
/// server.handle_input(Instant::ZERO, "Zoë".as_bytes());
/// assert_eq!(server.poll_event(), Some(ServerEvent::Message("Zoë".into())));
/// assert_eq!(&server.poll_transmit().unwrap()[..], "Hello, Zoë!".as_bytes());
/// server.handle_input(Instant::ZERO, b"exit");
/// assert_eq!(server.poll_event(), Some(ServerEvent::Closed(CloseReason::Done)));
/// assert!(server.is_closed());
/// ```
#[derive(Debug)]
pub struct Server {
    inbox: Inbox,
    /// Most reply bytes held for `poll_transmit` before input is refused.
    max_buffered: usize,
    idle: Option<Duration>,
    outbox: Queue<Bytes>,
    /// Bytes in `outbox`, for output flow control.
    unsent: usize,
    /// Where line framing's replies are framed (chunk framing frames them on arrival,
    /// in the inbox): each is split off it, and its allocation is used again
    /// once the driver has written and dropped the last one (no allocation per reply).
    framed: BytesMut,
    state: State,
    /// Last time seen, so a clock that runs backwards counts as no time passing.
    now: Instant,
    idle_deadline: Option<Instant>,
    /// Whether a `handle_*` call has brought the time yet (the idle clock's start).
    started: bool,
    framing: Framing,
}

impl Server {
    /// A server for a newly accepted connection, with the welcome queued. Cannot fail:
    /// every config value is valid. The idle timer starts at the first `handle_*` call;
    /// until then [`poll_timeout`](Machine::poll_timeout) asks for the time at once.
    ///
    /// ```
    /// use core::time::Duration;
    /// use wirestate::greeting::{Framing, Server, ServerConfig};
    /// use wirestate::{Instant, Machine};
    /// let mut config = ServerConfig::new(Framing::Line);
    /// config.timeouts.idle = Some(Duration::from_secs(30));
    /// let mut server = Server::new(config);
    /// assert_eq!(server.poll_timeout(), Some(Instant::ZERO)); // give me the time
    /// server.handle_timeout(Instant::from_millis(5_000)); // starts the clock, expires nothing
    /// assert_eq!(server.poll_timeout().unwrap().as_millis(), 35_000);
    /// ```
    #[must_use]
    pub fn new(config: ServerConfig) -> Server {
        let inbox = Inbox::replying(config.framing, config.limits);
        let welcome = inbox.frame(&[WELCOME]);
        let mut outbox = Queue::new();
        let unsent = welcome.len();
        outbox.push_back(welcome);
        Server {
            inbox,
            max_buffered: config.limits.max_buffered,
            idle: config.timeouts.idle,
            outbox,
            unsent,
            framed: BytesMut::new(),
            state: State::Open,
            now: Instant::ZERO,
            idle_deadline: None,
            started: false,
            framing: config.framing,
        }
    }

    /// Takes `now`; the first call starts the idle clock.
    fn clock(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if !self.started {
            self.started = true;
            self.touch(now);
        }
    }

    fn touch(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if let Some(idle) = self.idle {
            self.idle_deadline = Some(self.now + idle);
        }
    }

    /// Ends the input: nothing more is decoded; `Closed(reason)` is the next event.
    fn close_with(&mut self, reason: CloseReason) {
        self.state = State::Closing(reason);
        self.idle_deadline = None;
        self.inbox.clear();
    }

    /// [`poll_event`](Machine::poll_event) past its quick `None`.
    fn next_event(&mut self) -> Option<ServerEvent> {
        match self.state {
            State::Closed => return None,
            State::Closing(reason) => {
                self.state = State::Closed;
                return Some(ServerEvent::Closed(reason));
            }
            State::Open | State::PeerGone | State::TimedOut => {}
        }
        match self.inbox.next_with_reply(&mut self.framed) {
            Some(Ok((message, reply))) => {
                if message == EXIT {
                    self.close_with(CloseReason::Done);
                    return self.next_event();
                }
                self.unsent += reply.len();
                self.outbox.push_back(reply);
                Some(ServerEvent::Message(message))
            }
            Some(Err(e)) => {
                self.close_with(CloseReason::Error);
                Some(ServerEvent::Error(e))
            }
            None => {
                let reason = self.state.drained(self.inbox.pending_bytes())?;
                self.close_with(reason);
                self.next_event()
            }
        }
    }
}

impl Machine for Server {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.clock(now);
        if self.state != State::Open {
            return;
        }
        // The idle wait restarts at input that ends a message (every read in chunk
        // framing, a line end in line framing), so a peer dripping one line byte by byte
        // is still cut.
        if self.framing == Framing::Chunk || memchr::memchr(b'\n', bytes).is_some() {
            self.touch(now);
        }
        self.inbox.push(bytes);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.clock(now);
        if self.state == State::Open {
            self.state = State::PeerGone;
            self.idle_deadline = None;
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.clock(now);
        if self.state == State::Open && self.idle_deadline.is_some_and(|d| self.now >= d) {
            // A timeout is a close reason, not a protocol error (the peer broke no rule),
            // so no Error event comes before it. Messages already received are still
            // answered; later input is ignored.
            self.idle_deadline = None;
            self.state = State::TimedOut;
        }
    }

    #[inline]
    fn poll_event(&mut self) -> Option<ServerEvent> {
        // The quick `None` of a driver's last poll after each read (nothing decoded
        // waits) is answered inline; the rest is `next_event`, out of line.
        if self.state == State::Open && self.inbox.surely_empty() {
            return None;
        }
        self.next_event()
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        let bytes = self.outbox.pop_front()?;
        self.unsent -= bytes.len();
        Some(bytes)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Open {
            match self.idle {
                // Not told the time yet: ask for it (see the type's docs).
                Some(_) if !self.started => Some(Instant::ZERO),
                _ => self.idle_deadline,
            }
        } else {
            None
        }
    }

    fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    fn wants_input(&self) -> bool {
        self.state == State::Open
            && !self.inbox.failed()
            && !self.inbox.has_message()
            && self.unsent <= self.max_buffered
    }

    /// No body to stream: every reply is one short transmit.
    fn wants_body(&self) -> bool {
        false
    }

    /// No TLS switch in this protocol.
    fn wants_tls(&self) -> bool {
        false
    }

    /// Ignored: nothing in the protocol depends on the channel being private.
    fn handle_tls_established(&mut self, now: Instant) {
        self.clock(now);
    }
}

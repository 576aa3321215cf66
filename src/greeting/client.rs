//! The greeting client machine: lockstep, one name in flight at a time.

use super::framing::Inbox;
use super::state::State;
use super::{ClientConfig, Error, ErrorKind, Framing, EXIT};
use crate::{CloseReason, Instant, Machine, SendError, SyntaxError};
use alloc::collections::VecDeque;
use bytes::Bytes;
use core::time::Duration;

/// What the server said.
///
/// ```
/// use wirestate::greeting::{Client, ClientConfig, ClientEvent};
/// use wirestate::{CloseReason, Instant, Machine};
/// let mut c = Client::new(ClientConfig::default());
/// c.handle_input(Instant::ZERO, b"Welcome!");
/// c.handle_eof(Instant::ZERO);
/// assert_eq!(c.poll_event(), Some(ClientEvent::Welcome("Welcome!".into())));
/// assert_eq!(
///     c.poll_event(),
///     Some(ClientEvent::Closed(CloseReason::PeerClosed { unterminated: 0 }))
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The banner the server sent on connect (`Welcome!` from a conforming server).
    Welcome(Bytes),
    /// The server's answer to `name`.
    Reply {
        /// The name it answers.
        name: Bytes,
        /// What the server sent, exactly.
        reply: Bytes,
    },
    /// A fatal error; `Closed(CloseReason::Error)` follows.
    Error(Error),
    /// The last event, given exactly once: `Done` once `exit` is queued after
    /// [`Client::finish`], `PeerClosed { unterminated }` when the server closed first,
    /// `Timeout` when [`Timeouts::reply`](super::Timeouts::reply) ran out (no `Error`
    /// before it), `Error` after an `Error` event.
    Closed(CloseReason),
}

/// Why [`Client::send_name`] refuses an empty name under chunk framing.
const RULE_EMPTY: &str = "greeting chunk framing: a message is at least one byte";
/// Why it refuses a name over the limit.
const RULE_TOO_LONG: &str =
    "greeting framing: a message is at most max_message bytes, terminator excluded";
/// Why it refuses a CR or LF under line framing.
const RULE_LINE_BREAK: &str = "greeting line framing: no CR or LF inside a message";
/// Why it refuses `exit`.
const RULE_RESERVED: &str = "greeting: `exit` ends the session; send it with finish()";

/// Client side of the greeting protocol, in lockstep as the classic client is: it waits
/// for the welcome, sends one queued name, waits for its reply, sends the next, and after
/// [`finish`](Client::finish) sends `exit` and closes.
///
/// How it meets the [`Machine`] trait:
///
/// * [`wants_input`](Machine::wants_input) is false once EOF, the reply timeout or an
///   error has ended the input, once closed, and while a whole message waits for
///   [`poll_event`](Machine::poll_event).
/// * [`wants_body`](Machine::wants_body) is always false: names are single messages.
/// * [`wants_tls`](Machine::wants_tls) is always false and
///   [`handle_tls_established`](Machine::handle_tls_established) is ignored: the protocol
///   has no TLS switch.
/// * [`poll_timeout`](Machine::poll_timeout) is the reply deadline while the client waits
///   for the welcome or a reply and [`Timeouts::reply`](super::Timeouts::reply) is set;
///   `None` while it waits for the application to send a name.
///
/// ```
/// use wirestate::greeting::{Client, ClientConfig, ClientEvent};
/// use wirestate::{CloseReason, Instant, Machine};
///
/// let mut client = Client::new(ClientConfig::default()); // chunk framing
/// client.send_name(b"Michael").unwrap();
/// client.finish().unwrap();
/// assert!(client.poll_transmit().is_none()); // waits for the welcome
/// client.handle_input(Instant::ZERO, b"Welcome!");
/// assert_eq!(client.poll_event(), Some(ClientEvent::Welcome("Welcome!".into())));
/// assert_eq!(&client.poll_transmit().unwrap()[..], b"Michael");
/// client.handle_input(Instant::ZERO, b"Hello, Michael!");
/// assert!(matches!(client.poll_event(), Some(ClientEvent::Reply { .. })));
/// assert_eq!(client.poll_event(), Some(ClientEvent::Closed(CloseReason::Done)));
/// assert_eq!(&client.poll_transmit().unwrap()[..], b"exit");
/// assert!(client.is_closed());
/// ```
#[derive(Debug)]
pub struct Client {
    framing: Framing,
    max_message: usize,
    reply_timeout: Option<Duration>,
    inbox: Inbox,
    queued: VecDeque<Bytes>,
    in_flight: Option<Bytes>,
    outbox: VecDeque<Bytes>,
    welcomed: bool,
    finishing: bool,
    state: State,
    /// Last time seen, so a clock that runs backwards counts as no time passing.
    now: Instant,
    /// When the current wait for the server began, or its last input arrived.
    waiting_since: Instant,
}

impl Client {
    /// A client for a newly connected socket. Cannot fail: every config value is valid.
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, Framing};
    /// let _client = Client::new(ClientConfig::new(Framing::Line));
    /// ```
    #[must_use]
    pub fn new(config: ClientConfig) -> Client {
        Client {
            framing: config.framing,
            max_message: config.limits.max_message,
            reply_timeout: config.timeouts.reply,
            inbox: Inbox::new(config.framing, config.limits),
            queued: VecDeque::new(),
            in_flight: None,
            outbox: VecDeque::new(),
            welcomed: false,
            finishing: false,
            state: State::Open,
            now: Instant::ZERO,
            waiting_since: Instant::ZERO,
        }
    }

    /// Queues a name to greet; it is sent once the welcome and every earlier reply have
    /// arrived. Refuses, queueing nothing, a name that would not arrive as one message
    /// ([`SendError::Invalid`]: empty under chunk framing, over
    /// [`Limits::max_message`](super::Limits::max_message), a CR or LF under line
    /// framing, or `exit` itself), any name after [`finish`](Client::finish)
    /// ([`SendError::OutOfTurn`]) and any name once closed ([`SendError::Closed`]).
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, Framing};
    /// use wirestate::{SendError, SyntaxError};
    /// let mut c = Client::new(ClientConfig::new(Framing::Line));
    /// assert_eq!(
    ///     c.send_name(b"a\nb"),
    ///     Err(SendError::Invalid(SyntaxError {
    ///         rule: "greeting line framing: no CR or LF inside a message",
    ///         offset: 1,
    ///     }))
    /// );
    /// assert!(matches!(c.send_name(b"exit"), Err(SendError::Invalid(_))));
    /// assert!(c.send_name("Zoë".as_bytes()).is_ok());
    /// ```
    pub fn send_name(&mut self, name: &[u8]) -> Result<(), SendError> {
        if self.state != State::Open {
            return Err(SendError::Closed);
        }
        if self.finishing {
            return Err(SendError::OutOfTurn("finish() was already called"));
        }
        let invalid = |rule, offset| Err(SendError::Invalid(SyntaxError { rule, offset }));
        if name.is_empty() && self.framing == Framing::Chunk {
            return invalid(RULE_EMPTY, 0);
        }
        if name.len() > self.max_message {
            return invalid(RULE_TOO_LONG, 0);
        }
        if self.framing == Framing::Line {
            if let Some(at) = name.iter().position(|&b| b == b'\r' || b == b'\n') {
                return invalid(RULE_LINE_BREAK, at);
            }
        }
        if name == EXIT {
            return invalid(RULE_RESERVED, 0);
        }
        self.queued.push_back(Bytes::copy_from_slice(name));
        self.send_next();
        Ok(())
    }

    /// Sends `exit` after the queued names have been answered; the client then closes
    /// with `Closed(CloseReason::Done)`. A second call is [`SendError::OutOfTurn`], a call
    /// once closed [`SendError::Closed`].
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, ClientEvent};
    /// use wirestate::{CloseReason, Instant, Machine, SendError};
    /// let mut c = Client::new(ClientConfig::default());
    /// c.finish().unwrap();
    /// assert_eq!(c.finish(), Err(SendError::OutOfTurn("finish() was already called")));
    /// c.handle_input(Instant::ZERO, b"Welcome!");
    /// assert!(matches!(c.poll_event(), Some(ClientEvent::Welcome(_))));
    /// assert_eq!(c.poll_event(), Some(ClientEvent::Closed(CloseReason::Done)));
    /// assert_eq!(&c.poll_transmit().unwrap()[..], b"exit");
    /// ```
    pub fn finish(&mut self) -> Result<(), SendError> {
        if self.state != State::Open {
            return Err(SendError::Closed);
        }
        if self.finishing {
            return Err(SendError::OutOfTurn("finish() was already called"));
        }
        self.finishing = true;
        self.send_next();
        Ok(())
    }

    /// Names queued and not yet answered (the one in flight included).
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig};
    /// let mut c = Client::new(ClientConfig::default());
    /// c.send_name(b"x").unwrap();
    /// assert_eq!(c.pending(), 1);
    /// ```
    #[must_use]
    pub fn pending(&self) -> usize {
        self.queued.len() + usize::from(self.in_flight.is_some())
    }

    /// Whether the client waits for the server: for the welcome, or a reply.
    fn awaiting(&self) -> bool {
        self.state == State::Open && (!self.welcomed || self.in_flight.is_some())
    }

    /// Lockstep: the next name goes out only when nothing is in flight.
    fn send_next(&mut self) {
        if !self.welcomed || self.in_flight.is_some() || self.state != State::Open {
            return;
        }
        if let Some(name) = self.queued.pop_front() {
            self.outbox.push_back(self.inbox.frame(&[&name]));
            self.in_flight = Some(name);
            self.waiting_since = self.now;
        } else if self.finishing {
            self.outbox.push_back(self.inbox.frame(&[EXIT]));
            self.close_with(CloseReason::Done);
        }
    }

    /// Ends the input: nothing more is decoded; `Closed(reason)` is the next event.
    fn close_with(&mut self, reason: CloseReason) {
        self.state = State::Closing(reason);
        self.inbox.clear();
    }
}

impl Machine for Client {
    type Event = ClientEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.now = self.now.max(now);
        if self.state == State::Open {
            self.waiting_since = self.now;
            self.inbox.push(bytes);
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.state == State::Open {
            self.state = State::PeerGone;
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.poll_timeout().is_some_and(|d| self.now >= d) {
            // A timeout is a close reason, not a protocol error: no Error event. A reply
            // already received is still reported; nothing more is sent, not even `exit`.
            self.state = State::TimedOut;
        }
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        match self.state {
            State::Closed => return None,
            State::Closing(reason) => {
                self.state = State::Closed;
                return Some(ClientEvent::Closed(reason));
            }
            State::Open | State::PeerGone | State::TimedOut => {}
        }
        match self.inbox.next() {
            Some(Ok(message)) => {
                let event = if !self.welcomed {
                    self.welcomed = true;
                    ClientEvent::Welcome(message)
                } else if let Some(name) = self.in_flight.take() {
                    ClientEvent::Reply {
                        name,
                        reply: message,
                    }
                } else {
                    let offset = self.inbox.last_start();
                    self.close_with(CloseReason::Error);
                    return Some(ClientEvent::Error(Error {
                        kind: ErrorKind::Unsolicited,
                        offset,
                    }));
                };
                self.send_next();
                Some(event)
            }
            Some(Err(e)) => {
                self.close_with(CloseReason::Error);
                Some(ClientEvent::Error(e))
            }
            None => {
                let reason = self.state.drained(self.inbox.pending_bytes())?;
                self.close_with(reason);
                self.poll_event()
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.outbox.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self.reply_timeout {
            Some(d) if self.awaiting() => Some(self.waiting_since + d),
            _ => None,
        }
    }

    fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    fn wants_input(&self) -> bool {
        self.state == State::Open && !self.inbox.failed() && !self.inbox.has_message()
    }

    /// No body to stream: names are single messages.
    fn wants_body(&self) -> bool {
        false
    }

    /// No TLS switch in this protocol.
    fn wants_tls(&self) -> bool {
        false
    }

    /// Ignored: nothing in the protocol depends on the channel being private.
    fn handle_tls_established(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }
}

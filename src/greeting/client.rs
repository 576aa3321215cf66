//! The greeting client machine: lockstep, one name in flight at a time.

use super::framing::Inbox;
use super::{Framing, GreetingError, GreetingErrorKind, Limits, EXIT};
use crate::{Instant, Machine};
use alloc::collections::VecDeque;
use bytes::Bytes;
use core::fmt;

/// What the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The server closed the connection.
    PeerClosed,
    /// A fatal error; the connection is closing.
    Error(GreetingError),
}

/// A name the client refused to queue; nothing was queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Empty names cannot be sent under chunk framing: a zero-length send is no message.
    Empty,
    /// Longer than [`Limits::max_message`].
    TooLong {
        /// The limit.
        limit: usize,
    },
    /// A CR or LF inside a name under line framing would split it into two messages.
    LineBreak,
    /// `exit` is the end-of-session command; use [`GreetingClient::finish`].
    Reserved,
    /// [`GreetingClient::finish`] was already called.
    Finished,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Empty => f.write_str("empty name"),
            SendError::TooLong { limit } => write!(f, "name longer than {limit} bytes"),
            SendError::LineBreak => f.write_str("name contains CR or LF"),
            SendError::Reserved => f.write_str("'exit' ends the session; call finish()"),
            SendError::Finished => f.write_str("finish() was already called"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SendError {}

/// Client side of the greeting protocol, in lockstep as the classic client is: it waits
/// for the welcome, sends one queued name, waits for its reply, sends the next, and after
/// [`finish`](GreetingClient::finish) sends `exit` and closes.
///
/// ```
/// use wirestate::greeting::{ClientEvent, Framing, GreetingClient};
/// use wirestate::{Instant, Machine};
///
/// let mut client = GreetingClient::new(Framing::Chunk);
/// client.send_name(b"Michael").unwrap();
/// client.finish();
/// assert!(client.poll_transmit().is_none()); // waits for the welcome
/// client.handle_input(Instant::ZERO, b"Welcome!");
/// assert_eq!(client.poll_event(), Some(ClientEvent::Welcome("Welcome!".into())));
/// assert_eq!(&client.poll_transmit().unwrap()[..], b"Michael");
/// client.handle_input(Instant::ZERO, b"Hello, Michael!");
/// assert!(matches!(client.poll_event(), Some(ClientEvent::Reply { .. })));
/// assert_eq!(&client.poll_transmit().unwrap()[..], b"exit");
/// assert!(client.is_closed());
/// ```
#[derive(Debug)]
pub struct GreetingClient {
    framing: Framing,
    limits: Limits,
    inbox: Inbox,
    queued: VecDeque<Bytes>,
    in_flight: Option<Bytes>,
    outbox: VecDeque<Bytes>,
    welcomed: bool,
    finishing: bool,
    eof: bool,
    closed: bool,
}

impl GreetingClient {
    /// A client for a newly connected socket, with default [`Limits`].
    ///
    /// ```
    /// use wirestate::greeting::{Framing, GreetingClient};
    /// let _client = GreetingClient::new(Framing::Chunk);
    /// ```
    pub fn new(framing: Framing) -> GreetingClient {
        GreetingClient::with_limits(framing, Limits::default())
    }

    /// A client with explicit limits.
    ///
    /// ```
    /// use wirestate::greeting::{Framing, GreetingClient, Limits, SendError};
    /// let mut c = GreetingClient::with_limits(Framing::Chunk, Limits { max_message: 3, ..Limits::default() });
    /// assert_eq!(c.send_name(b"four"), Err(SendError::TooLong { limit: 3 }));
    /// ```
    pub fn with_limits(framing: Framing, limits: Limits) -> GreetingClient {
        GreetingClient {
            framing,
            limits,
            inbox: Inbox::new(framing, limits),
            queued: VecDeque::new(),
            in_flight: None,
            outbox: VecDeque::new(),
            welcomed: false,
            finishing: false,
            eof: false,
            closed: false,
        }
    }

    /// Queues a name to greet; it is sent once the welcome and every earlier reply have
    /// arrived. Refuses names that would not arrive as one message.
    ///
    /// ```
    /// use wirestate::greeting::{Framing, GreetingClient, SendError};
    /// let mut c = GreetingClient::new(Framing::Line);
    /// assert_eq!(c.send_name(b"a\nb"), Err(SendError::LineBreak));
    /// assert_eq!(c.send_name(b"exit"), Err(SendError::Reserved));
    /// assert!(c.send_name("Zoë".as_bytes()).is_ok());
    /// ```
    pub fn send_name(&mut self, name: &[u8]) -> Result<(), SendError> {
        if self.finishing {
            return Err(SendError::Finished);
        }
        if name.is_empty() && self.framing == Framing::Chunk {
            return Err(SendError::Empty);
        }
        if name.len() > self.limits.max_message {
            return Err(SendError::TooLong {
                limit: self.limits.max_message,
            });
        }
        if self.framing == Framing::Line && name.iter().any(|&b| b == b'\r' || b == b'\n') {
            return Err(SendError::LineBreak);
        }
        if name == EXIT {
            return Err(SendError::Reserved);
        }
        self.queued.push_back(Bytes::copy_from_slice(name));
        self.send_next();
        Ok(())
    }

    /// Sends `exit` after the queued names have been answered, then closes.
    ///
    /// ```
    /// use wirestate::greeting::{Framing, GreetingClient};
    /// use wirestate::{Instant, Machine};
    /// let mut c = GreetingClient::new(Framing::Chunk);
    /// c.finish();
    /// c.handle_input(Instant::ZERO, b"Welcome!");
    /// c.poll_event();
    /// assert_eq!(&c.poll_transmit().unwrap()[..], b"exit");
    /// ```
    pub fn finish(&mut self) {
        self.finishing = true;
        self.send_next();
    }

    /// Names queued and not yet answered (the one in flight included).
    ///
    /// ```
    /// use wirestate::greeting::{Framing, GreetingClient};
    /// let mut c = GreetingClient::new(Framing::Chunk);
    /// c.send_name(b"x").unwrap();
    /// assert_eq!(c.pending(), 1);
    /// ```
    pub fn pending(&self) -> usize {
        self.queued.len() + usize::from(self.in_flight.is_some())
    }

    /// Lockstep: the next name goes out only when nothing is in flight.
    fn send_next(&mut self) {
        if !self.welcomed || self.in_flight.is_some() || self.closed {
            return;
        }
        if let Some(name) = self.queued.pop_front() {
            self.outbox.push_back(self.inbox.frame(&[&name]));
            self.in_flight = Some(name);
        } else if self.finishing {
            self.outbox.push_back(self.inbox.frame(&[EXIT]));
            self.close();
        }
    }

    fn close(&mut self) {
        self.closed = true;
        self.inbox.clear();
    }
}

impl Machine for GreetingClient {
    type Event = ClientEvent;

    fn handle_input(&mut self, _now: Instant, bytes: &[u8]) {
        if !self.closed {
            self.inbox.push(bytes);
        }
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
    }

    /// The client has no timers: the caller decides how long to wait for a server.
    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_event(&mut self) -> Option<ClientEvent> {
        if self.closed {
            return None;
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
                    self.close();
                    return Some(ClientEvent::Error(GreetingError {
                        kind: GreetingErrorKind::Unsolicited,
                        offset,
                    }));
                };
                self.send_next();
                Some(event)
            }
            Some(Err(e)) => {
                self.close();
                Some(ClientEvent::Error(e))
            }
            None if self.eof => {
                self.close();
                Some(ClientEvent::PeerClosed)
            }
            None => None,
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.outbox.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn is_closed(&self) -> bool {
        self.closed
    }
}

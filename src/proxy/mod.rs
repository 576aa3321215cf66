//! The PROXY protocol (HAProxy's `proxy-protocol.txt`, versions 1 and 2): how a load
//! balancer in front of a server tells it the real client's address.
//!
//! [`decode`] reads a header from the first bytes of a connection; [`Proxied`] wraps any
//! [`Machine`] so that the header is read first and the rest of the stream goes to the
//! machine, which is itself unchanged. The wrapped machine's output (an SMTP banner, say)
//! is held back until the header has arrived, so a connection without one is refused
//! without a word of the protocol, as the specification asks.
//!
//! Trust is the caller's decision: a PROXY header lets its sender claim any client
//! address, so wrap only connections that come from your own proxies (by their
//! address, or on a listener only they can reach). The specification requires the
//! receiver to expect a header or not, never to guess, and so does this module.
//!
//! ```
//! use wirestate::proxy::{Config, Proxied};
//! use wirestate::greeting::{Server, ServerConfig};
//! use wirestate::{Instant, Machine};
//!
//! let mut m = Proxied::new(Server::new(ServerConfig::default()), Config::default());
//! assert_eq!(m.poll_transmit(), None, "nothing is said before the header");
//! m.handle_input(Instant::ZERO, b"PROXY TCP4 192.0.2.7 192.0.2.1 40000 9999\r\nAda");
//! assert_eq!(m.header().unwrap().source.unwrap().ip().to_string(), "192.0.2.7");
//! assert_eq!(&m.poll_transmit().unwrap()[..], b"Welcome!");
//! ```

mod header;

pub use header::{decode, Decoded, ProxyHeader, MAX_V1_LINE, MAX_V2_HEADER, V2_SIGNATURE};

use crate::{Instant, Machine};
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;
use core::time::Duration;

/// Which header versions a receiver takes (section 2: the receiver must be configured
/// for what its proxy sends).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Accept {
    /// Only the text form, `PROXY TCP4 ...`.
    V1,
    /// Only the binary form.
    V2,
    /// Either (they cannot be confused: their first bytes differ).
    #[default]
    Any,
}

/// How long to wait for the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// From the start of the connection until the whole header has arrived. Default 10 s:
    /// a proxy sends it at once, so anything slower is not a proxy.
    pub idle: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            idle: Some(Duration::from_secs(10)),
        }
    }
}

/// Configuration of a [`Proxied`] layer.
///
/// ```
/// use wirestate::proxy::{Accept, Config};
/// let mut config = Config::default();
/// config.accept = Accept::V2;
/// assert_eq!(config.timeouts.idle.unwrap().as_secs(), 10);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Which versions to take. Default: either.
    pub accept: Accept,
    /// How long to wait for the header.
    pub timeouts: Timeouts,
}

/// What was wrong with a PROXY header. The connection must be dropped; there is no reply.
///
/// ```
/// use wirestate::proxy::{Error, ErrorKind};
/// let e = Error { kind: ErrorKind::V1Port, offset: 30 };
/// assert_eq!(e.to_string(), "proxy-protocol.txt 2.1: a port is a decimal number 0-65535 without leading zeros, at byte 30");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// What was wrong.
    pub kind: ErrorKind,
    /// Offset from the first byte of the connection.
    pub offset: u64,
}

impl Error {
    pub(crate) fn at(kind: ErrorKind, offset: usize) -> Error {
        Error {
            kind,
            offset: offset as u64,
        }
    }
}

/// The kinds of [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection does not start with a header the configuration accepts.
    NoHeader,
    /// A version 1 line longer than 107 bytes.
    V1TooLong,
    /// A version 1 line that breaks the grammar (protocol, spacing, CRLF).
    V1Syntax,
    /// A version 1 address that is not a valid address of the named family.
    V1Address,
    /// A version 1 port that is not a decimal number 0-65535 without leading zeros.
    V1Port,
    /// A version 2 header whose version is not 2.
    V2Version,
    /// A version 2 command other than LOCAL or PROXY.
    V2Command,
    /// A version 2 address family or transport protocol that does not exist.
    V2Family,
    /// A version 2 length too short for its address family.
    V2Length,
    /// A version 2 TLV that runs past the end of the header.
    V2Tlv,
    /// The header did not arrive within [`Timeouts::idle`].
    Timeout,
    /// The connection closed before the header was complete.
    Truncated,
}

impl ErrorKind {
    /// Every kind, for tables and tests.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::NoHeader,
        ErrorKind::V1TooLong,
        ErrorKind::V1Syntax,
        ErrorKind::V1Address,
        ErrorKind::V1Port,
        ErrorKind::V2Version,
        ErrorKind::V2Command,
        ErrorKind::V2Family,
        ErrorKind::V2Length,
        ErrorKind::V2Tlv,
        ErrorKind::Timeout,
        ErrorKind::Truncated,
    ];

    /// The rule broken, with its section of `proxy-protocol.txt`.
    ///
    /// ```
    /// assert!(wirestate::proxy::ErrorKind::V1TooLong.rule().contains("107"));
    /// ```
    pub fn rule(self) -> &'static str {
        match self {
            ErrorKind::NoHeader => {
                "proxy-protocol.txt 2: a receiver that expects a header must not guess; the connection starts with none"
            }
            ErrorKind::V1TooLong => "proxy-protocol.txt 2.1: a version 1 line is at most 107 bytes",
            ErrorKind::V1Syntax => {
                "proxy-protocol.txt 2.1: PROXY SP (TCP4|TCP6|UNKNOWN) SP src SP dst SP sport SP dport CRLF"
            }
            ErrorKind::V1Address => {
                "proxy-protocol.txt 2.1: addresses are dotted quads for TCP4 and RFC 4291 text for TCP6"
            }
            ErrorKind::V1Port => {
                "proxy-protocol.txt 2.1: a port is a decimal number 0-65535 without leading zeros"
            }
            ErrorKind::V2Version => "proxy-protocol.txt 2.2: the version nibble must be 2",
            ErrorKind::V2Command => "proxy-protocol.txt 2.2: the command must be LOCAL (0) or PROXY (1)",
            ErrorKind::V2Family => {
                "proxy-protocol.txt 2.2: family 0-3 (UNSPEC, INET, INET6, UNIX), transport 0-2"
            }
            ErrorKind::V2Length => {
                "proxy-protocol.txt 2.2: the length must cover the addresses of the family"
            }
            ErrorKind::V2Tlv => "proxy-protocol.txt 2.2.1: a TLV must fit inside the header",
            ErrorKind::Timeout => "proxy-protocol.txt 2: the header did not arrive in time",
            ErrorKind::Truncated => "proxy-protocol.txt 2: the connection closed inside the header",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, at byte {}", self.kind.rule(), self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Any machine behind a PROXY header. See the [module docs](self).
///
/// It dereferences to the wrapped machine, so a handler answers through it unchanged and
/// reads the client's real address with [`Proxied::header`].
#[derive(Debug)]
pub struct Proxied<M> {
    inner: M,
    config: Config,
    /// Bytes of an incomplete header (at most [`MAX_V2_HEADER`]).
    pending: Vec<u8>,
    header: Option<ProxyHeader>,
    error: Option<Error>,
    deadline: Option<Instant>,
    started: bool,
    /// No header is expected: the layer passes everything through.
    transparent: bool,
}

impl<M: Machine> Proxied<M> {
    /// A layer that expects no header: every byte goes to `inner` as it is. With it a
    /// program gives every connection the same machine type whether or not it sits
    /// behind a proxy; which one a listener uses is configuration, never a guess.
    ///
    /// ```
    /// use wirestate::proxy::Proxied;
    /// use wirestate::greeting::{Server, ServerConfig};
    /// use wirestate::Machine;
    /// let mut m = Proxied::transparent(Server::new(ServerConfig::default()));
    /// assert_eq!(&m.poll_transmit().unwrap()[..], b"Welcome!");
    /// assert!(m.header().is_none());
    /// ```
    pub fn transparent(inner: M) -> Proxied<M> {
        let mut m = Proxied::new(inner, Config::default());
        m.transparent = true;
        m
    }

    /// Wraps `inner`, which sees nothing and says nothing until the header has arrived.
    ///
    /// ```
    /// use wirestate::proxy::{Config, Proxied};
    /// use wirestate::greeting::{Server, ServerConfig};
    /// let _m = Proxied::new(Server::new(ServerConfig::default()), Config::default());
    /// ```
    pub fn new(inner: M, config: Config) -> Proxied<M> {
        Proxied {
            inner,
            config,
            pending: Vec::new(),
            header: None,
            error: None,
            deadline: None,
            started: false,
            transparent: false,
        }
    }

    /// The header, once it has arrived.
    ///
    /// ```
    /// # use wirestate::proxy::Proxied;
    /// # fn f(m: &Proxied<wirestate::greeting::Server>) {
    /// if let Some(client) = m.header().and_then(|h| h.source) { println!("client {client}") }
    /// # }
    /// ```
    pub fn header(&self) -> Option<&ProxyHeader> {
        self.header.as_ref()
    }

    /// Why the connection was refused, if it was.
    ///
    /// ```
    /// # use wirestate::proxy::Proxied;
    /// # fn f(m: &Proxied<wirestate::greeting::Server>) {
    /// if let Some(e) = m.error() { eprintln!("dropped: {e}") }
    /// # }
    /// ```
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The wrapped machine.
    ///
    /// ```
    /// # use wirestate::proxy::Proxied;
    /// # fn f(m: Proxied<wirestate::greeting::Server>) -> wirestate::greeting::Server {
    /// m.into_inner()
    /// # }
    /// ```
    pub fn into_inner(self) -> M {
        self.inner
    }

    /// [`Machine::handle_input`] while the header is awaited.
    #[inline(never)]
    fn handle_header_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.start(now);
        // Only an incomplete header is kept here, and a complete one is at most
        // MAX_V2_HEADER bytes, so `pending` stays below that; what follows the header goes
        // to the machine.
        let mut buffered = core::mem::take(&mut self.pending);
        let view: &[u8] = if buffered.is_empty() {
            bytes
        } else {
            buffered.extend_from_slice(bytes);
            &buffered
        };
        match decode(view, self.config.accept) {
            Ok(Decoded::Partial) => self.pending = view.to_vec(),
            Ok(Decoded::Header { header, len }) => {
                self.header = Some(header);
                self.deadline = None;
                if view.len() > len {
                    self.inner.handle_input(now, &view[len..]);
                }
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Whether bytes go to the machine: after the header, or always when transparent.
    fn through(&self) -> bool {
        self.transparent || self.header.is_some()
    }

    fn start(&mut self, now: Instant) {
        if !self.started {
            self.started = true;
            self.deadline = self.config.timeouts.idle.map(|d| now + d);
        }
    }
}

impl<M: Machine> Machine for Proxied<M> {
    type Event = M::Event;

    #[inline]
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.through() {
            return self.inner.handle_input(now, bytes);
        }
        self.handle_header_input(now, bytes);
    }

    fn handle_eof(&mut self, now: Instant) {
        if self.through() {
            return self.inner.handle_eof(now);
        }
        if self.error.is_none() {
            self.error = Some(Error::at(ErrorKind::Truncated, self.pending.len()));
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.through() {
            return self.inner.handle_timeout(now);
        }
        self.start(now);
        if self.error.is_none() && self.deadline.is_some_and(|d| now >= d) {
            self.error = Some(Error::at(ErrorKind::Timeout, self.pending.len()));
        }
    }

    fn poll_event(&mut self) -> Option<M::Event> {
        if self.through() {
            self.inner.poll_event()
        } else {
            None
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.through() {
            self.inner.poll_transmit()
        } else {
            None
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match (&self.header, &self.error) {
            _ if self.transparent => self.inner.poll_timeout(),
            (Some(_), _) => self.inner.poll_timeout(),
            (None, None) => self
                .deadline
                .or(self.config.timeouts.idle.map(|d| Instant::ZERO + d)),
            (None, Some(_)) => None,
        }
    }

    fn is_closed(&self) -> bool {
        self.error.is_some() || (self.through() && self.inner.is_closed())
    }

    fn wants_input(&self) -> bool {
        match (&self.header, &self.error) {
            _ if self.transparent => self.inner.wants_input(),
            (Some(_), _) => self.inner.wants_input(),
            (None, None) => true,
            (None, Some(_)) => false,
        }
    }

    fn wants_body(&self) -> bool {
        self.through() && self.inner.wants_body()
    }

    fn wants_tls(&self) -> bool {
        self.through() && self.inner.wants_tls()
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.inner.handle_tls_established(now);
    }
}

impl<M> core::ops::Deref for Proxied<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.inner
    }
}

impl<M> core::ops::DerefMut for Proxied<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.inner
    }
}

//! What a greeting machine is built from: [`Framing`], [`Limits`], [`Timeouts`] and the
//! two role configs, [`ServerConfig`] and [`ClientConfig`].

use core::time::Duration;

/// How messages are delimited on a TCP stream. See the [module docs](super).
///
/// ```
/// use wirestate::greeting::Framing;
/// assert_eq!(Framing::default(), Framing::Chunk);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Framing {
    /// One `handle_input` call is one message, as with the classic Python peers.
    #[default]
    Chunk,
    /// Each message ends with `\n` or `\r\n`; robust to any TCP segmentation.
    Line,
}

/// Limits of one greeting connection, shared by both roles.
///
/// There is no `allow_bare_lf`: under line framing a bare LF is the protocol's own
/// terminator (`\r\n` is accepted as well), and a CR not followed by LF is always
/// refused ([`ErrorKind::BareCr`](super::ErrorKind::BareCr)), so no two peers can
/// disagree on where a message ends.
///
/// ```
/// use wirestate::greeting::Limits;
/// let mut limits = Limits::default();
/// limits.max_message = 256;
/// assert_eq!(limits.max_message, 256);
/// assert_eq!(limits.max_buffered, 64 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Longest message, both roles, the terminator (`\n` or `\r\n` under line framing)
    /// not counted. Default 1024: the classic peers' `recv(1024)` size, so nothing we
    /// accept or send would be split by them. A longer message received is
    /// [`ErrorKind::TooLong`](super::ErrorKind::TooLong); a longer name to send is refused
    /// by [`Client::send_name`](super::Client::send_name).
    pub max_message: usize,
    /// Most undecoded input held at once, both roles (messages received but not yet
    /// polled, and a partial line). Default 64 KiB. Going over it is
    /// [`ErrorKind::BufferFull`](super::ErrorKind::BufferFull); a driver that honours
    /// [`Machine::wants_input`](crate::Machine::wants_input) never does. The server under
    /// chunk framing stores each message already framed as its reply, so it holds up to
    /// 8 bytes more per message than the limit counts.
    pub max_buffered: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 1024,
            max_buffered: 64 * 1024,
        }
    }
}

/// How long a greeting machine waits, shared by both roles. `None` waits forever, which
/// is what the classic peers do, so both defaults are `None`.
///
/// ```
/// use core::time::Duration;
/// use wirestate::greeting::Timeouts;
/// let mut timeouts = Timeouts::default();
/// assert_eq!(timeouts.idle, None);
/// timeouts.reply = Some(Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Timeouts {
    /// Server: how long it waits for its peer's next whole message, counted from the
    /// last one (or from the first `handle_*` call's `now`); bytes of an unfinished line
    /// do not restart it, so a peer dripping a line byte by byte is still cut. When it runs out the
    /// messages already received are still answered, then the server closes with
    /// `Closed(CloseReason::Timeout)`. Default `None`: the classic server waits forever.
    pub idle: Option<Duration>,
    /// Client: how long it waits for the welcome or for the reply to the name in flight,
    /// counted from when the wait began or the last input arrived. When it runs out the
    /// client closes with `Closed(CloseReason::Timeout)` without sending `exit`. Default
    /// `None`: the classic client waits forever.
    pub reply: Option<Duration>,
}

/// Everything a [`Server`](super::Server) is built from.
///
/// ```
/// use core::time::Duration;
/// use wirestate::greeting::{Framing, Server, ServerConfig};
/// let mut config = ServerConfig::new(Framing::Line);
/// config.timeouts.idle = Some(Duration::from_secs(30));
/// let _server = Server::new(config);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ServerConfig {
    /// How messages are delimited. Default [`Framing::Chunk`], the classic peers' way.
    pub framing: Framing,
    /// Sizes; see [`Limits`].
    pub limits: Limits,
    /// Waits; the server uses [`Timeouts::idle`].
    pub timeouts: Timeouts,
}

impl ServerConfig {
    /// The default config with `framing`, the one field most callers set.
    ///
    /// ```
    /// use wirestate::greeting::{Framing, ServerConfig};
    /// assert_eq!(ServerConfig::new(Framing::Line).framing, Framing::Line);
    /// ```
    #[must_use]
    pub fn new(framing: Framing) -> ServerConfig {
        ServerConfig {
            framing,
            ..ServerConfig::default()
        }
    }
}

/// Everything a [`Client`](super::Client) is built from.
///
/// ```
/// use core::time::Duration;
/// use wirestate::greeting::{Client, ClientConfig, Framing};
/// let mut config = ClientConfig::new(Framing::Chunk);
/// config.timeouts.reply = Some(Duration::from_secs(5));
/// let _client = Client::new(config);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClientConfig {
    /// How messages are delimited. Default [`Framing::Chunk`], the classic peers' way.
    pub framing: Framing,
    /// Sizes; see [`Limits`].
    pub limits: Limits,
    /// Waits; the client uses [`Timeouts::reply`].
    pub timeouts: Timeouts,
}

impl ClientConfig {
    /// The default config with `framing`, the one field most callers set.
    ///
    /// ```
    /// use wirestate::greeting::{ClientConfig, Framing};
    /// assert_eq!(ClientConfig::new(Framing::Line).framing, Framing::Line);
    /// ```
    #[must_use]
    pub fn new(framing: Framing) -> ClientConfig {
        ClientConfig {
            framing,
            ..ClientConfig::default()
        }
    }
}

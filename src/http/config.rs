//! What a connection is configured with: [`Limits`] and [`Timeouts`] (shared by both
//! roles), and each role's config.

use core::time::Duration;

/// Bounds of one HTTP connection, for both roles. Exceeding one is a fatal
/// [`Error`](super::Error) answered with the status its [`ErrorKind`](super::ErrorKind)
/// names.
///
/// ```
/// use wirestate::http::Limits;
/// let mut small = Limits::default();
/// small.max_head = 8 * 1024;
/// small.max_headers = 32;
/// assert_eq!(small.max_request_line, 8 * 1024);
/// assert!(!Limits::default().allow_bare_lf);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Both roles: largest head (start line, fields, empty line), and largest trailer
    /// section, counting every byte received including each CRLF. Default 64 KiB
    /// (RFC 9110 5.4 leaves it to the recipient); over it: 431 (RFC 6585 5).
    pub max_head: usize,
    /// Server: longest request line, its CRLF not counted. Default 8 KiB, the size
    /// RFC 9112 3 recommends supporting at least; over it: 414.
    pub max_request_line: usize,
    /// Both roles: most field lines in a head or trailer section (a response's obs-fold
    /// continuation lines count as lines). Default 100; over it: 431.
    pub max_headers: usize,
    /// Both roles: most hex digits in a chunk-size (RFC 9112 7.1). Default 16 (a `u64`);
    /// over it: 400.
    pub max_chunk_size_digits: usize,
    /// Both roles: longest chunk extension text on one chunk line (RFC 9112 7.1.1).
    /// Default 4 KiB; over it: 400.
    pub max_chunk_ext: usize,
    /// Both roles: most undecoded bytes held, input received but not yet returned as
    /// events. Default 1 MiB. A driver that stops reading while
    /// [`wants_input`](crate::Machine::wants_input) is false, or that drains
    /// `poll_event` after every read, never meets it.
    pub max_buffered: usize,
    /// Server: requests read ahead of their responses (pipelining, RFC 9112 9.3.2).
    /// Default 16; at it, [`wants_input`](crate::Machine::wants_input) is false and
    /// nothing more is decoded until the oldest request is answered.
    pub max_pipeline: usize,
    /// Both roles: accept a bare LF as a head line ending (RFC 9112 2.2 allows it as a
    /// recipient's choice). Default `false`. Chunk-size lines and the CRLF after chunk
    /// data always require CRLF, and a bare CR is always refused, so the opt-in cannot
    /// reopen request smuggling (the CVE-2025-22871 pattern stays refused).
    pub allow_bare_lf: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 64 * 1024,
            max_request_line: 8 * 1024,
            max_headers: 100,
            max_chunk_size_digits: 16,
            max_chunk_ext: 4 * 1024,
            max_buffered: 1024 * 1024,
            max_pipeline: 16,
            allow_bare_lf: false,
        }
    }
}

/// How long a connection waits, for both roles. `None` waits forever.
///
/// ```
/// use core::time::Duration;
/// use wirestate::http::Timeouts;
/// let t = Timeouts::default();
/// assert_eq!(t.idle, Some(Duration::from_secs(30)));
/// assert_eq!(t.reply, Some(Duration::from_secs(30)));
/// assert_eq!(t.expect_continue, Some(Duration::from_secs(1)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Server: how long to wait for a complete request head, idle keep-alive time
    /// included (RFC 9112 9.5 lets a server close an idle connection). Default 30 s.
    /// Then an idle connection closes quietly and a partial head is answered `408`
    /// (RFC 9110 15.5.9); either way the last event is `Closed(CloseReason::Timeout)`.
    pub idle: Option<Duration>,
    /// Client: how long to wait for a complete response head once a request has been
    /// sent whole (and after each interim response). Default 30 s. Then the client
    /// closes with `Closed(CloseReason::Timeout)`: a dead server no longer hangs it.
    pub reply: Option<Duration>,
    /// Client: how long to wait for `100 Continue` after a request with
    /// `Expect: 100-continue` before sending the body anyway (RFC 9110 10.1.1: a client
    /// need not wait for an indefinite period). Default 1 s. `None`: the body waits for
    /// the `100` or a final response.
    pub expect_continue: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            idle: Some(Duration::from_secs(30)),
            reply: Some(Duration::from_secs(30)),
            expect_continue: Some(Duration::from_secs(1)),
        }
    }
}

/// How a [`Server`](super::Server) is set up.
///
/// ```
/// use wirestate::http::{Server, ServerConfig};
/// let mut config = ServerConfig::default();
/// config.limits.max_pipeline = 4;
/// config.auto_continue = true;
/// let server = Server::new(config);
/// assert_eq!(server.config().limits.max_pipeline, 4);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Bounds of the connection.
    pub limits: Limits,
    /// The server's waits: [`Timeouts::idle`].
    pub timeouts: Timeouts,
    /// Answer `Expect: 100-continue` by itself: send `100 Continue` as soon as the
    /// request body is polled, instead of asking with
    /// [`ServerEvent::Continue`](super::ServerEvent::Continue). Default `false`: the
    /// caller decides (RFC 9110 10.1.1 lets a server send a final response instead).
    pub auto_continue: bool,
}

/// How a [`Client`](super::Client) is set up.
///
/// ```
/// use core::time::Duration;
/// use wirestate::http::{Client, ClientConfig};
/// let mut config = ClientConfig::default();
/// config.timeouts.reply = Some(Duration::from_secs(5));
/// let client = Client::new(config);
/// assert_eq!(client.config().timeouts.reply, Some(Duration::from_secs(5)));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Bounds of the connection.
    pub limits: Limits,
    /// The client's waits: [`Timeouts::reply`] and [`Timeouts::expect_continue`].
    pub timeouts: Timeouts,
}

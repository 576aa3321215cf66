//! What each role's peer said, decoded: [`ServerEvent`] and [`ClientEvent`], with what
//! they carry that is not a head ([`Connection`], the [`Continue`] decision).

use super::error::Error;
use super::framing::BodyKind;
use super::head::{RequestHead, ResponseHead};
use super::headers::Headers;
use crate::{CloseReason, Decision};
use bytes::Bytes;

/// The question a request with `Expect: 100-continue` asks: may the body come?
/// Answered with [`Server::send_continue`](super::Server::send_continue), or by a final response.
///
/// ```
/// // A marker type: it names the question in `Decision<Continue>`.
/// fn answer(d: wirestate::Decision<wirestate::http::Continue>) -> u64 { d.id() }
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub enum Continue {}

/// What the server decided the connection does after a request (RFC 9112 9.3, RFC 9110
/// 7.8 and 9.3.6), given with the request so that a caller using the server only to
/// parse (a proxy, a capture tool) knows without answering.
///
/// ```
/// use wirestate::http::{Connection, Server, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = Server::new(Default::default());
/// s.handle_input(Instant::ZERO, b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n");
/// let Some(ServerEvent::Request { connection, .. }) = s.poll_event() else { panic!() };
/// assert_eq!(connection, Connection::Tunnel);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Connection {
    /// Persistent: the next request is read after this one (read ahead up to
    /// `max_pipeline`).
    KeepAlive,
    /// This is the last request (`Connection: close`, or HTTP/1.0 without
    /// `keep-alive`): nothing after it is read, and the connection closes after its
    /// response.
    Close,
    /// The request asks to switch protocols (`Upgrade` with `Connection: upgrade`).
    /// Reading pauses after its body until it is answered: a `101` makes every byte after
    /// the request raw data, given as [`ServerEvent::Tunnel`]; any other final response
    /// keeps the connection HTTP and reading resumes.
    Upgrade,
    /// CONNECT (it has no content, RFC 9110 9.3.6). Reading pauses right after the head
    /// until it is answered: a 2xx makes every byte after the head tunnel data, given as
    /// [`ServerEvent::Tunnel`]; any other response keeps the connection HTTP.
    Tunnel,
}

/// What the client said, decoded.
///
/// ```
/// use wirestate::http::{Server, ServerEvent};
/// use wirestate::{CloseReason, Instant, Machine};
/// let mut s = Server::new(Default::default());
/// s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
/// assert!(matches!(s.poll_event(), Some(ServerEvent::Request { .. })));
/// assert!(matches!(s.poll_event(), Some(ServerEvent::End { trailers }) if trailers.is_empty()));
/// s.handle_eof(Instant::ZERO);
/// assert_eq!(s.poll_event(), None); // the request is owed its response first
/// ```
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A request head. Its body follows as `Data`, then `End`.
    Request {
        /// The request line and header section.
        head: RequestHead,
        /// How its body is framed (RFC 9112 6.3): what `Data` events follow.
        body: BodyKind,
        /// What the connection does after it.
        connection: Connection,
    },
    /// The request said `Expect: 100-continue` and has a body: answer with
    /// [`Server::send_continue`](super::Server::send_continue) to have it sent, or with a final response to refuse it
    /// (RFC 9110 10.1.1). Until then nothing more is decoded. Not given when
    /// [`ServerConfig::auto_continue`](super::ServerConfig::auto_continue) is set, nor when the request was already answered.
    Continue(Decision<Continue>),
    /// Request body bytes (a zero-copy slice of the receive buffer).
    Data(Bytes),
    /// Chunk extensions of the next chunk (`;name=value...`), when present.
    ChunkExtension(Bytes),
    /// The request is complete.
    End {
        /// Its trailer section (usually empty).
        trailers: Headers,
    },
    /// After a `101` or a 2xx to `CONNECT`: raw bytes from the client, no longer HTTP.
    Tunnel(Bytes),
    /// A fatal framing error; the reply (if any) is queued and the connection closes.
    Error(Error),
    /// The last event, given once: why the connection ended.
    Closed(CloseReason),
}

/// What the server said, decoded.
///
/// ```
/// use wirestate::http::{Client, ClientEvent, Method, RequestHead};
/// use wirestate::{Instant, Machine};
/// let mut c = Client::new(Default::default());
/// let mut req = RequestHead::new(Method::Get, "/").unwrap();
/// req.headers.append("Host", "a").unwrap();
/// c.send_request(req).unwrap();
/// c.handle_input(Instant::ZERO, b"HTTP/1.1 204 No Content\r\n\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Response(r)) if r.status.as_u16() == 204));
/// assert!(matches!(c.poll_event(), Some(ClientEvent::End { .. })));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// An interim 1xx response (other than 101); the final one follows.
    Informational(ResponseHead),
    /// The final response head. Its body follows as `Data`, then `End`.
    Response(ResponseHead),
    /// Response body bytes (a zero-copy slice of the receive buffer).
    Data(Bytes),
    /// Chunk extensions of the next chunk, when present.
    ChunkExtension(Bytes),
    /// The response is complete.
    End {
        /// Its trailer section (usually empty).
        trailers: Headers,
    },
    /// After a `101` or a 2xx to `CONNECT`: raw bytes from the server, no longer HTTP.
    /// The first one carries what was already buffered past the head.
    Tunnel(Bytes),
    /// A fatal framing error; the connection closes.
    Error(Error),
    /// The last event, given once: why the connection ended.
    Closed(CloseReason),
}

//! HTTP/1.1 message framing (RFC 9112, with the RFC 9110 semantics framing depends on),
//! both roles: [`ServerConn`] reads requests and writes responses, [`ClientConn`] writes
//! requests and reads responses. Both implement [`Machine`](crate::Machine).
//!
//! What is here: start lines and header sections (validated, order and case kept),
//! Content-Length, chunked (with extensions and trailers) and close-delimited bodies,
//! keep-alive and pipelining, `Expect: 100-continue`, `101` upgrades and `CONNECT`
//! tunnels. What is not: routing, URL parsing beyond the request-target's form, content
//! codings, TLS, HTTP/2.
//!
//! # Strict framing
//!
//! Anything that could make two parsers disagree about where a message ends is a fatal
//! [`HttpError`] naming the rule and the byte offset, answered with the proper status
//! (400, 414, 431, 505) and a close: Content-Length with Transfer-Encoding in a request,
//! differing or malformed Content-Length values, a request whose last transfer coding is
//! not chunked, `chunked` twice, obs-fold in a request, whitespace before the first
//! field line or before a colon, a bare CR anywhere, a bare LF in a chunk line,
//! chunk-size overflow, NUL. A bare LF ending a head line is refused unless
//! [`Limits::allow_bare_lf`] opts in.
//!
//! # Line folding in responses
//!
//! RFC 9112 5.2 makes a user agent replace each obs-fold in a response (a field value
//! continued on a line that starts with SP or HTAB) with SP before interpreting the
//! value, so [`ClientConn`] and [`HeadParser::parse_response`] do: the CR and LF of
//! each fold become SP, the head keeps its length, and the header accessors give the
//! unfolded value (`X: a` CRLF SP `b` reads as `a   b`). Framing fields are checked
//! after unfolding like any other value. Size limits count the bytes received, and
//! [`Limits::max_headers`] counts continuation lines as lines. Trailer sections are not
//! unfolded: a fold there is still [`ErrorKind::ObsFold`]. The read-only
//! [`HeadParser::parse_response_bytes`] cannot rewrite its input and reports a fold as
//! [`ErrorKind::ObsFold`]; [`HeadParser::parse_response_bytes_mut`] unfolds in place.
//!
//! # Parsing without a machine
//!
//! [`HeadParser`] parses one head at a time for callers with their own connection
//! logic: from a [`RecvBuffer`](crate::buffer::RecvBuffer) into owned heads, or from a
//! plain byte slice into offsets ([`RawRequest`], [`RawResponse`],
//! [`HeadParser::fields`]) with nothing copied or allocated per head. Both apply the
//! same rules and make the same framing decision as the machines.
//!
//! # Limits
//!
//! Every bound is a public field of [`Limits`]; the defaults follow common servers.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use wirestate::http::{ClientConn, ClientEvent, Limits, Method, RequestHead, ResponseHead,
//!     ServerConn, ServerEvent, StatusCode};
//! use wirestate::{Instant, Machine};
//!
//! let mut client = ClientConn::new(Limits::default());
//! let mut server = ServerConn::new(Limits::default());
//! let mut req = RequestHead::new(Method::Get, "/hello").unwrap();
//! req.headers.append("Host", "example.com").unwrap();
//! client.send_request(req).unwrap();
//! client.send_end(&Default::default()).unwrap();
//!
//! let now = Instant::ZERO;
//! while let Some(b) = client.poll_transmit() { server.handle_input(now, &b); }
//! while let Some(event) = server.poll_event() {
//!     if let ServerEvent::Request(req) = event {
//!         assert_eq!(req.target.as_bytes(), b"/hello");
//!         server.respond(ResponseHead::new(StatusCode::OK), Bytes::from_static(b"hi")).unwrap();
//!     }
//! }
//! while let Some(b) = server.poll_transmit() { client.handle_input(now, &b); }
//! let mut body = Vec::new();
//! while let Some(event) = client.poll_event() {
//!     match event {
//!         ClientEvent::Response(r) => assert_eq!(r.status, StatusCode::OK),
//!         ClientEvent::Data(d) => body.extend_from_slice(&d),
//!         _ => {}
//!     }
//! }
//! assert_eq!(body, b"hi");
//! ```

mod body;
mod chars;
mod client;
mod encode;
mod error;
mod fold;
mod head;
mod headers;
mod parse;
mod raw;
mod server;

pub use body::{BodyEncoder, BodyEvent, ChunkedDecoder};
pub use client::{ClientConn, ClientEvent};
pub use error::{ErrorKind, HttpError, SendError};
pub use head::{
    HeaderName, HeaderValue, Headers, InvalidHead, Method, RequestHead, RequestTarget,
    ResponseHead, StatusCode, TargetForm, Version,
};
pub use parse::{BodyKind, HeadParser};
pub use raw::{RawRequest, RawResponse};
pub use server::{ServerConn, ServerEvent};

use core::time::Duration;

/// Bounds of one HTTP connection. Exceeding one is a fatal [`HttpError`] answered with
/// the status its [`ErrorKind`] names.
///
/// ```
/// use wirestate::http::Limits;
/// let small = Limits { max_head: 8 * 1024, max_headers: 32, ..Limits::default() };
/// assert_eq!(small.max_request_line, 8 * 1024);
/// assert!(!Limits::default().allow_bare_lf);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest head (start line, fields, empty line), and largest trailer section.
    /// Default 64 KiB; over it: 431.
    pub max_head: usize,
    /// Longest request line, CRLF excluded. Default 8 KiB; over it: 414.
    pub max_request_line: usize,
    /// Most field lines in a head or trailer section. Default 100; over it: 431.
    pub max_headers: usize,
    /// Most hex digits in a chunk-size. Default 16 (a `u64`); over it: 400.
    pub max_chunk_size_digits: usize,
    /// Longest chunk extension text on one chunk line. Default 4 KiB; over it: 400.
    pub max_chunk_ext: usize,
    /// Most undecoded bytes held: input received but not yet returned as events.
    /// Default 1 MiB. A driver that drains `poll_event` after every read never meets it.
    pub max_buffer: usize,
    /// Requests read ahead of their responses (pipelining). Default 16; beyond it the
    /// server stops reading until it has answered.
    pub max_pipeline: usize,
    /// Accept a bare LF as a head line ending (RFC 9112 2.2 allows it as a recipient's
    /// choice). Default `false`. Chunk lines always require CRLF, and a bare CR is
    /// always refused, so the opt-in cannot reopen smuggling.
    pub allow_bare_lf: bool,
    /// Server: how long to wait for a complete request head, idle keep-alive time
    /// included. Default 30 s; then 408 (or a quiet close when nothing was sent).
    pub head_timeout: Duration,
    /// Client: how long to wait for `100 Continue` before sending the body anyway
    /// (RFC 9110 10.1.1). Default 1 s.
    pub expect_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 64 * 1024,
            max_request_line: 8 * 1024,
            max_headers: 100,
            max_chunk_size_digits: 16,
            max_chunk_ext: 4 * 1024,
            max_buffer: 1024 * 1024,
            max_pipeline: 16,
            allow_bare_lf: false,
            head_timeout: Duration::from_secs(30),
            expect_timeout: Duration::from_secs(1),
        }
    }
}

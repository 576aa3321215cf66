//! HTTP/1.1 message framing (RFC 9112, with the RFC 9110 semantics framing depends on),
//! both roles: [`Server`] reads requests and writes responses, [`Client`] writes
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
//! [`Error`] naming the rule and the byte offset, answered with the proper status
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
//! value, so [`Client`] and [`HeadParser::parse_response`] do: the CR and LF of
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
//! # Heads read in place
//!
//! A server that answers a request from its head can take it with
//! [`Server::poll_request_ref`] before calling `poll_event`: a [`RequestRef`] borrowing
//! the receive buffer, with no copy and no allocation, even on a fresh connection. It
//! is given whenever the next event would be a complete, clean request head; anything
//! else (a head split across inputs, an error, a body) still comes from `poll_event`.
//! A client does the same with [`Client::poll_response_ref`] and [`ResponseRef`] for
//! final responses; interim ones (1xx) and the `2xx` that opens a CONNECT tunnel come
//! from `poll_event`.
//!
//! # Limits
//!
//! Every bound is a public field of [`Limits`]; the defaults follow common servers. Every
//! wait is a field of [`Timeouts`]. Both sit in [`ServerConfig`] and [`ClientConfig`].
//!
//! # Flow control
//!
//! [`Machine::wants_input`](crate::Machine::wants_input) is false while the server holds
//! `max_pipeline` unanswered requests or waits on a decision;
//! [`Machine::wants_body`](crate::Machine::wants_body) is true while a body is being sent
//! (`send_data`, then `send_end`) and the peer is ready for it (not while a client waits
//! for `100 Continue`). A driver that streams through them holds one chunk at a time.
//!
//! # Upgrades and tunnels
//!
//! The `Request` event says what the machine decided ([`Connection`]): after a request
//! that asks to upgrade, reading pauses once its body has ended, and after a CONNECT
//! head (CONNECT has no content, RFC 9110 9.3.6) right after the head, until the caller
//! answers. A `101`, or a 2xx to CONNECT, makes every byte after that point raw data
//! (`Tunnel` events, both roles); any other final response keeps the connection HTTP.
//! A client treats a `101` to a request without `Upgrade` as an error (RFC 9110 7.8).
//!
//! # Closing
//!
//! The last event of both machines is `Closed(`[`CloseReason`]`)`, once: `Done` after
//! the last exchange of a connection that is not kept alive, `PeerClosed` when the peer
//! closed between messages (`unterminated` counts a partial request head dropped),
//! `Timeout`, or `Error` right after an `Error` event.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use wirestate::http::{Client, ClientEvent, Method, RequestHead, ResponseHead, Server,
//!     ServerEvent, StatusCode};
//! use wirestate::{Instant, Machine};
//!
//! let mut client = Client::new(Default::default());
//! let mut server = Server::new(Default::default());
//! let mut req = RequestHead::new(Method::Get, "/hello").unwrap();
//! req.headers.append("Host", "example.com").unwrap();
//! client.send_request(req).unwrap();
//! client.send_end().unwrap();
//!
//! let now = Instant::ZERO;
//! while let Some(b) = client.poll_transmit() { server.handle_input(now, &b); }
//! while let Some(event) = server.poll_event() {
//!     if let ServerEvent::Request { head: req, .. } = event {
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
mod config;
mod conn;
mod encode;
mod error;
mod event;
mod fast;
mod field;
mod fold;
mod framing;
mod grammar;
mod head;
mod headers;
mod parser;
mod raw;
mod request_ref;
mod response_ref;
mod scan;
mod server;

pub use self::body::{BodyEncoder, BodyEvent, ChunkedDecoder};
pub use self::client::Client;
pub use self::config::{ClientConfig, Limits, ServerConfig, Timeouts};
pub use self::error::{Error, ErrorKind};
pub use self::event::{ClientEvent, Connection, Continue, ServerEvent};
pub use self::field::{HeaderName, HeaderValue, InvalidHead};
pub use self::framing::BodyKind;
pub use self::head::{
    Method, RequestHead, RequestTarget, ResponseHead, StatusCode, TargetForm, Version,
};
pub use self::headers::Headers;
pub use self::parser::HeadParser;
pub use self::raw::{RawRequest, RawResponse};
pub use self::request_ref::RequestRef;
pub use self::response_ref::ResponseRef;
pub use self::server::Server;
pub use crate::{CloseReason, Decision, SendError, SyntaxError};
mod busy;
pub use self::busy::{Busy, BUSY_RESPONSE};
mod sensitive;
pub use self::sensitive::{is_sensitive, Redacted, SENSITIVE_FIELDS};

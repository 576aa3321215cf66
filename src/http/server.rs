//! The server role: reads requests, writes responses, in order, over one connection.
//! Reading requests (heads and bodies) is in `server_recv.rs`.

use super::body::BodyEncoder;
use super::config::ServerConfig;
use super::conn::{Core, Recv, Send};
use super::encode;
use super::error::rules::{self, invalid};
use super::error::Error;
use super::event::{Continue, ServerEvent};
use super::field::{HeaderName, HeaderValue};
use super::framing::info_of;
use super::head::{ResponseHead, StatusCode, Version};
use super::headers::Headers;
use super::scan::HeadScanner;
use crate::{CloseReason, Decision, Instant, Machine, SendError};
use alloc::collections::VecDeque;
use bytes::Bytes;

#[path = "server_recv.rs"]
mod recv;
pub(super) use recv::FastHead;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    No,
    /// Asked for, not yet decided.
    Waiting,
    /// The caller holds the decision with this id.
    Asked(u64),
    Sent,
    Skipped,
}

/// A request read but not yet answered with a final response.
#[derive(Clone, Debug)]
struct Pending {
    head: bool,
    connect: bool,
    version: Version,
    keep_alive: bool,
    upgrade: bool,
    expect: Expect,
    body_done: bool,
}

/// A server connection: parses requests, serializes responses.
///
/// Requests are read ahead of their responses (pipelining, up to
/// [`Limits::max_pipeline`](super::Limits::max_pipeline)) and must be answered in order:
/// every `send_response` is for the oldest unanswered request. After a request that asks
/// to switch protocols (`Upgrade`) or `CONNECT`, reading pauses until it is answered.
///
/// `Expect: 100-continue` with a body: the [`ServerEvent::Continue`] decision, answered
/// with [`send_continue`](Server::send_continue); or a final response, after which the
/// connection closes (the client may or may not send the body). With
/// [`ServerConfig::auto_continue`] the machine sends `100 Continue` itself when the body
/// is first polled.
///
/// Flow control: [`wants_input`](Machine::wants_input) is false while `max_pipeline`
/// requests wait for their responses, while an upgrade or CONNECT waits for its answer,
/// while a `Continue` decision is outstanding, and once closed.
/// [`wants_body`](Machine::wants_body) is true from a response head with a body (or a
/// tunnel) until [`send_end`](Server::send_end). No TLS switch: `wants_tls` is false
/// (HTTPS is TLS from the first byte, outside this machine).
///
/// Timers: once the first `handle_*` call gives it a clock reading, the machine wants a
/// complete head within [`Timeouts::idle`](super::Timeouts::idle) of starting to wait
/// for it (idle keep-alive time included); an idle connection then closes quietly, a
/// partial head gets `408`, and the last event is `Closed(CloseReason::Timeout)`.
/// Before that first call `poll_timeout` is `Instant::ZERO` (due at once), so the
/// driver's first `handle_timeout(now)` starts the clock rather than expiring it.
///
/// ```
/// use bytes::Bytes;
/// use wirestate::http::{ResponseHead, Server, ServerEvent, StatusCode};
/// use wirestate::{Instant, Machine};
///
/// let mut s = Server::new(Default::default());
/// s.handle_input(Instant::ZERO, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
/// let mut wire = Vec::new();
/// while let Some(e) = s.poll_event() {
///     if let ServerEvent::Request { head: r, .. } = e {
///         let body = Bytes::copy_from_slice(r.target.as_bytes());
///         s.respond(ResponseHead::new(StatusCode::OK), body).unwrap();
///     }
///     while let Some(b) = s.poll_transmit() { wire.extend_from_slice(&b); }
/// }
/// let text = String::from_utf8(wire).unwrap();
/// assert!(text.find("/a").unwrap() < text.find("/b").unwrap());
/// assert!(!s.is_closed());
/// ```
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    core: Core,
    pending: VecDeque<Pending>,
    /// A status to answer once earlier requests are answered, then close.
    error_reply: Option<StatusCode>,
    /// Nothing more is sent: a response was cut short by a fatal error.
    dead: bool,
    head_since: Option<Instant>,
    /// Decisions handed out so far: the next one's id.
    decisions: u64,
}

const NO_REQUEST: SendError = SendError::OutOfTurn("no request is waiting for a response");

impl Server {
    /// A server connection configured by `config`.
    ///
    /// ```
    /// use wirestate::Machine;
    /// let s = wirestate::http::Server::new(Default::default());
    /// assert!(!s.is_closed());
    /// ```
    #[must_use]
    #[inline]
    pub fn new(config: ServerConfig) -> Server {
        Server {
            config,
            core: Core::new(config.limits),
            pending: VecDeque::with_capacity(config.limits.max_pipeline.clamp(1, 4)),
            error_reply: None,
            dead: false,
            head_since: None,
            decisions: 0,
        }
    }

    /// The configuration in force.
    ///
    /// ```
    /// let s = wirestate::http::Server::new(Default::default());
    /// assert_eq!(s.config().limits.max_head, 64 * 1024);
    /// ```
    #[must_use]
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Bytes the client sent that the machine will never read, because it decided to
    /// read no more: after the last request of a connection that is not kept alive,
    /// after a fatal error or a timeout. A proxy learns from it that a client sent more
    /// after `Connection: close`. Zero while the connection is read.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate::http::{ResponseHead, Server, StatusCode};
    /// use wirestate::{Instant, Machine};
    /// let mut s = Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /more");
    /// while s.poll_event().is_some() {}
    /// s.respond(ResponseHead::new(StatusCode::OK), Bytes::new()).unwrap();
    /// assert_eq!(s.unread(), 9);
    /// s.handle_input(Instant::ZERO, b" HTTP/1.1\r\n");
    /// assert_eq!(s.unread(), 20);
    /// ```
    #[must_use]
    pub fn unread(&self) -> u64 {
        self.core.unread()
    }

    fn tick(&mut self, now: Instant) {
        let now = self.core.tick(now);
        if self.head_since.is_none()
            && matches!(self.core.recv, Recv::Head(_))
            && self.pending.is_empty()
        {
            self.head_since = Some(now);
        }
    }

    /// Answers a [`ServerEvent::Continue`]: queues `100 Continue`, and the body is read.
    /// A decision already answered (or by a final response) is
    /// [`SendError::OutOfTurn`].
    ///
    /// ```
    /// use wirestate::http::{Server, ServerEvent};
    /// use wirestate::{Instant, Machine};
    /// let mut s = Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    /// assert!(matches!(s.poll_event(), Some(ServerEvent::Request { .. })));
    /// let Some(ServerEvent::Continue(d)) = s.poll_event() else { panic!() };
    /// assert_eq!(s.poll_event(), None); // nothing more until answered
    /// s.send_continue(d).unwrap();
    /// assert_eq!(&s.poll_transmit().unwrap()[..], b"HTTP/1.1 100 Continue\r\n\r\n");
    /// ```
    pub fn send_continue(&mut self, decision: Decision<Continue>) -> Result<(), SendError> {
        if self.dead {
            return Err(SendError::Closed);
        }
        match self.pending.back_mut() {
            Some(p) if p.expect == Expect::Asked(decision.id()) => {
                p.expect = Expect::Sent;
                self.core
                    .out
                    .push_back(Bytes::from_static(b"HTTP/1.1 100 Continue\r\n\r\n"));
                Ok(())
            }
            _ => Err(SendError::OutOfTurn(
                "this 100-continue decision was already answered",
            )),
        }
    }

    /// Starts the response to the oldest unanswered request. Framing comes from the
    /// head: `Content-Length` (then exactly that many bytes), `Transfer-Encoding:
    /// chunked`, or neither (then chunked is added for an HTTP/1.1 client, and the body
    /// is close-delimited for HTTP/1.0). `Connection: close` or `keep-alive` is added
    /// when the machine's decision needs saying. A 1xx is interim: the final response
    /// still follows. Nothing is queued on error.
    ///
    /// ```
    /// use wirestate::http::{ResponseHead, Server, StatusCode};
    /// use wirestate::{Instant, Machine, SendError};
    /// let mut s = Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    /// while s.poll_event().is_some() {}
    /// let mut bad = ResponseHead::new(StatusCode::OK);
    /// bad.headers.append("Content-Length", "1").unwrap();
    /// bad.headers.append("Transfer-Encoding", "chunked").unwrap();
    /// let Err(SendError::Invalid(e)) = s.send_response(bad) else { panic!() };
    /// assert!(e.rule.starts_with("RFC 9112 6.2"));
    /// assert!(s.poll_transmit().is_none());
    /// ```
    pub fn send_response(&mut self, resp: ResponseHead) -> Result<(), SendError> {
        if self.dead || self.core.send == Send::Tunnel {
            return Err(SendError::Closed);
        }
        if self.core.send != Send::Idle {
            return Err(SendError::OutOfTurn(
                "the previous response's body is not ended",
            ));
        }
        let Some(front) = self.pending.front() else {
            return Err(NO_REQUEST);
        };
        if let Some(at) = resp
            .reason
            .iter()
            .position(|&c| c != b'\t' && (c < 0x20 || c == 0x7f))
        {
            return Err(invalid(rules::REASON, at));
        }
        let info = info_of(&resp.headers).map_err(|_| invalid(rules::BAD_CONTENT_LENGTH, 0))?;
        let code = resp.status.as_u16();
        if resp.status.is_informational() {
            // RFC 9110 15.2: no 1xx to an HTTP/1.0 client; 101 only to an Upgrade request.
            if front.version.is_http10() {
                return Err(SendError::OutOfTurn(
                    "RFC 9110 15.2: no 1xx to an HTTP/1.0 client",
                ));
            }
            if code == 101 && !front.upgrade {
                return Err(SendError::OutOfTurn(
                    "RFC 9110 15.2.2: 101 only to a request with Upgrade",
                ));
            }
            if info.te_present || info.content_length.is_some() {
                return Err(invalid(rules::LENGTH_IN_1XX_204, 0));
            }
            self.core.out.push_back(encode::response_head(&resp, &[]));
            if code == 100 {
                if let Some(f) = self.pending.front_mut() {
                    if matches!(f.expect, Expect::Waiting | Expect::Asked(_)) {
                        f.expect = Expect::Sent;
                    }
                }
            }
            if code == 101 {
                self.switch_to_tunnel();
            }
            return Ok(());
        }
        // RFC 9112 6.2: a sender MUST NOT send Content-Length with Transfer-Encoding;
        // 6.1: no Transfer-Encoding to an HTTP/1.0 client, and chunked only once.
        if info.te_present {
            if info.content_length.is_some() {
                return Err(invalid(rules::CL_WITH_TE, 0));
            }
            if front.version.is_http10() {
                return Err(invalid(rules::TE_TO_HTTP10, 0));
            }
            if info.te_chunked_count > 1 {
                return Err(invalid(rules::CHUNKED_TWICE, 0));
            }
        }
        // RFC 9110 8.6: no Content-Length (nor body) in a 204.
        if code == 204 && (info.te_present || info.content_length.is_some()) {
            return Err(invalid(rules::LENGTH_IN_1XX_204, 0));
        }
        let tunnel = front.connect && resp.status.is_success();
        // RFC 9110 9.3.6: no Content-Length or Transfer-Encoding in a 2xx to CONNECT.
        if tunnel && (info.te_present || info.content_length.is_some()) {
            return Err(invalid(rules::FRAMING_IN_CONNECT_2XX, 0));
        }
        let bodyless = front.head || code == 204 || code == 304 || tunnel;
        let mut extra: [(&[u8], &[u8]); 2] = [(b"", b""); 2];
        let mut n_extra = 0;
        let mut keep_alive = front.keep_alive && !info.conn_close;
        let encoder = if bodyless {
            BodyEncoder::empty()
        } else if info.te_present {
            if info.te_last_chunked {
                BodyEncoder::chunked()
            } else {
                keep_alive = false;
                BodyEncoder::close_delimited()
            }
        } else if let Some(n) = info.content_length {
            BodyEncoder::length(n)
        } else if !front.version.is_http10() {
            extra[n_extra] = (b"Transfer-Encoding", b"chunked");
            n_extra += 1;
            BodyEncoder::chunked()
        } else {
            keep_alive = false;
            BodyEncoder::close_delimited()
        };
        // RFC 9110 10.1.1: a final response instead of 100 Continue; the client may or
        // may not send the body, so the connection cannot be reused.
        if matches!(front.expect, Expect::Waiting | Expect::Asked(_)) && !front.body_done {
            keep_alive = false;
        }
        if tunnel {
            // The connection is no longer HTTP: nothing to say about its persistence.
        } else if !keep_alive && !info.conn_close {
            extra[n_extra] = (b"Connection", b"close");
            n_extra += 1;
        } else if keep_alive && front.version.is_http10() && !info.conn_keep_alive {
            // RFC 9112 9.3 / Appendix C.2.2: an HTTP/1.0 client keeps the connection
            // only if the response says keep-alive.
            extra[n_extra] = (b"Connection", b"keep-alive");
            n_extra += 1;
        }
        self.core
            .out
            .push_back(encode::response_head(&resp, &extra[..n_extra]));
        if let Some(f) = self.pending.front_mut() {
            f.keep_alive = keep_alive;
            if matches!(f.expect, Expect::Waiting | Expect::Asked(_)) {
                // The final response answers the decision: its token is now stale.
                f.expect = Expect::Skipped;
            }
        }
        if tunnel {
            self.switch_to_tunnel();
            return Ok(());
        }
        self.core.send = Send::Body(encoder);
        if encoder == BodyEncoder::empty() {
            self.complete_response();
        }
        Ok(())
    }

    /// Queues response body bytes (no copy), framed as the head declared; in a tunnel,
    /// raw bytes. Pace it with [`wants_body`](Machine::wants_body).
    ///
    /// ```
    /// use wirestate::http::Server;
    /// use wirestate::SendError;
    /// let mut s = Server::new(Default::default());
    /// assert!(matches!(s.send_data(bytes::Bytes::from_static(b"x")), Err(SendError::OutOfTurn(_))));
    /// ```
    pub fn send_data(&mut self, data: Bytes) -> Result<(), SendError> {
        if self.dead {
            return Err(SendError::Closed);
        }
        self.core
            .send_data(data, SendError::OutOfTurn("no response body is being sent"))
    }

    /// Ends the response body.
    ///
    /// ```
    /// use wirestate::http::Server;
    /// use wirestate::SendError;
    /// let mut s = Server::new(Default::default());
    /// assert!(matches!(s.send_end(), Err(SendError::OutOfTurn(_))));
    /// ```
    pub fn send_end(&mut self) -> Result<(), SendError> {
        self.send_end_with_trailers(&Headers::new())
    }

    /// Ends the response body with a trailer section (chunked only; no framing fields,
    /// RFC 9110 6.5.1).
    ///
    /// ```
    /// use wirestate::http::{Headers, Server};
    /// use wirestate::SendError;
    /// let mut s = Server::new(Default::default());
    /// assert!(matches!(s.send_end_with_trailers(&Headers::new()), Err(SendError::OutOfTurn(_))));
    /// ```
    pub fn send_end_with_trailers(&mut self, trailers: &Headers) -> Result<(), SendError> {
        if self.dead {
            return Err(SendError::Closed);
        }
        self.core.send_end(trailers)?;
        self.complete_response();
        Ok(())
    }

    /// A whole response with a `Content-Length` body in one call (the length field is
    /// added unless present or not allowed: 1xx, 204, 304; a HEAD request gets the head
    /// only).
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate::http::{ResponseHead, Server, StatusCode};
    /// use wirestate::{Instant, Machine};
    /// let mut s = Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    /// while s.poll_event().is_some() {}
    /// s.respond(ResponseHead::new(StatusCode::OK), Bytes::from_static(b"abc")).unwrap();
    /// let wire: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    /// assert_eq!(wire, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
    /// ```
    pub fn respond(&mut self, mut resp: ResponseHead, body: Bytes) -> Result<(), SendError> {
        let code = resp.status.as_u16();
        // RFC 9110 8.6: no Content-Length in 1xx or 204, and in a 304 only the length a
        // 200 would have had, which this call cannot know.
        // RFC 9110 9.3.6: nor in a 2xx to CONNECT.
        let tunnel = resp.status.is_success() && self.pending.front().is_some_and(|p| p.connect);
        let may_have_length =
            !resp.status.is_informational() && code != 204 && code != 304 && !tunnel;
        if may_have_length
            && resp.headers.get(b"content-length").is_none()
            && resp.headers.get(b"transfer-encoding").is_none()
        {
            resp.headers.append_typed(
                &HeaderName::from_static("Content-Length")?,
                &HeaderValue::from_u64(body.len() as u64),
            );
        }
        let head_only = self.pending.front().is_some_and(|p| p.head);
        self.send_response(resp)?;
        if let Send::Body(_) = self.core.send {
            if !head_only {
                self.send_data(body)?;
            }
            self.send_end()?;
        }
        Ok(())
    }

    fn switch_to_tunnel(&mut self) {
        self.core.switch_to_tunnel();
        self.pending.clear();
    }

    fn complete_response(&mut self) {
        self.core.send = Send::Idle;
        let Some(done) = self.pending.pop_front() else {
            return;
        };
        if !done.keep_alive {
            // The connection ends with this response: requests read ahead are dropped
            // unanswered, as RFC 9112 9.3.1 lets a client retry them.
            self.pending.clear();
            self.core.recv = Recv::Closed;
            self.core.close_with(CloseReason::Done);
            self.error_reply = None;
            return;
        }
        if matches!(self.core.recv, Recv::Paused) {
            self.core.recv = Recv::Head(HeadScanner::default());
        }
        if self.pending.is_empty() {
            if let Some(status) = self.error_reply.take() {
                self.core.out.push_back(error_response(status));
                self.core.recv = Recv::Closed;
            } else if matches!(self.core.recv, Recv::Head(_)) {
                self.head_since = self.core.now;
            }
        }
    }

    fn fail(&mut self, e: Error, reply: bool) -> Option<ServerEvent> {
        // The request whose body broke is not answered; one being answered is cut short.
        if matches!(self.core.recv, Recv::Body(_) | Recv::End) {
            if self.pending.len() == 1 && self.core.send != Send::Idle {
                self.dead = true;
            }
            if !self.dead {
                self.pending.pop_back();
            }
        }
        self.core.recv = Recv::Closed;
        self.core.close_with(CloseReason::Error);
        if self.dead {
            self.pending.clear();
        } else if reply {
            if self.pending.is_empty() {
                self.core.out.push_back(error_response(e.status()));
            } else {
                self.error_reply = Some(e.status());
            }
        }
        Some(ServerEvent::Error(e))
    }

    /// What `poll_event` says when no message event is ready: an overflow once
    /// everything before it is decoded, then the one `Closed`.
    fn no_event(&mut self) -> Option<ServerEvent> {
        // Input that overflowed is reported once everything before it is decoded.
        if !self.deciding() {
            if let Some(e) = self.core.overflow.take() {
                return self.fail(e, true);
            }
        }
        if matches!(self.core.recv, Recv::Tunnel) && self.core.eof {
            self.core
                .close_with(CloseReason::PeerClosed { unterminated: 0 });
        }
        let closed = self.is_closed();
        self.core.closed_event(closed).map(ServerEvent::Closed)
    }
}

fn error_response(status: StatusCode) -> Bytes {
    let mut resp = ResponseHead::new(status);
    resp.headers = Headers::new();
    encode::response_head(
        &resp,
        &[(b"Content-Length", b"0"), (b"Connection", b"close")],
    )
}

impl Machine for Server {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.tick(now);
        self.core.input(bytes);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.tick(now);
        self.core.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        let Some(deadline) = self.poll_timeout() else {
            return;
        };
        if self.core.now.is_some_and(|n| n >= deadline) {
            self.head_since = None;
            // RFC 9110 15.5.9: 408 for a head that did not arrive in time; an idle
            // keep-alive connection is closed without a word (RFC 9112 9.5).
            if !self.core.buf.is_empty() {
                self.core
                    .out
                    .push_back(error_response(StatusCode::REQUEST_TIMEOUT));
            }
            self.core.recv = Recv::Closed;
            self.core.close_with(CloseReason::Timeout);
        }
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        let event = match &mut self.core.recv {
            Recv::Closed | Recv::Paused => None,
            Recv::Tunnel => self.core.tunnel_data().map(ServerEvent::Tunnel),
            // A head is returned from where it is built: held in `event` first, the
            // whole event was copied once more.
            Recv::Head(_) => {
                return match self.poll_head() {
                    Some(e) => Some(e),
                    None => self.no_event(),
                }
            }
            Recv::Body(_) | Recv::End => self.poll_body(),
        };
        if event.is_some() {
            return event;
        }
        self.no_event()
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        encode::coalesce(&mut self.core.out)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if !matches!(self.core.recv, Recv::Head(_)) || !self.pending.is_empty() {
            return None;
        }
        let idle = self.config.timeouts.idle?;
        if self.core.now.is_none() {
            // Not told the time yet: due at once, so the first `handle_timeout(now)`
            // starts the idle clock (a machine built long after the epoch is not
            // timed out at once, and a silent peer is still timed out).
            return Some(Instant::ZERO);
        }
        self.head_since.map(|t| t + idle)
    }

    fn is_closed(&self) -> bool {
        if self.dead {
            return true;
        }
        match self.core.recv {
            Recv::Closed => self.pending.is_empty() && self.core.send == Send::Idle,
            Recv::Tunnel => self.core.eof && self.core.buf.is_empty(),
            _ => false,
        }
    }

    /// False while `max_pipeline` requests wait for responses, while an upgrade or
    /// CONNECT waits for its answer, while a `Continue` decision is outstanding, after
    /// an overflow, and once nothing more is read.
    fn wants_input(&self) -> bool {
        if self.is_closed() || self.core.overflow.is_some() || self.core.eof {
            return false;
        }
        match self.core.recv {
            Recv::Closed | Recv::Paused => false,
            Recv::Head(_) => self.pending.len() < self.core.limits.max_pipeline,
            Recv::Body(_) | Recv::End => !self.deciding(),
            Recv::Tunnel => true,
        }
    }

    /// True from a response head with a body (or a tunnel) until its end.
    fn wants_body(&self) -> bool {
        !self.dead && self.core.sending()
    }
}

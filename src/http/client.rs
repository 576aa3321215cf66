//! The client role: writes requests, reads their responses, in order.

use super::body::{BodyEncoder, BodyEvent};
use super::config::ClientConfig;
use super::conn::{Core, Lead, Recv, Send};
use super::encode;
use super::error::rules::{self, invalid};
use super::error::{Error, ErrorKind, Fail};
use super::event::ClientEvent;
use super::fast::fast_response;
use super::framing::{info_of, response_body, BodyKind, HeadInfo};
use super::grammar::{build_response, parse_response, Count, StatusLine};
use super::head::{Method, RequestHead, TargetForm, Version};
use super::headers::Headers;
use super::response_ref::ResponseRef;
use super::scan::{HeadScanner, Scan};
use crate::{CloseReason, Instant, Machine, SendError};
use alloc::collections::VecDeque;
use bytes::Bytes;

#[derive(Clone, Debug)]
struct Sent {
    method: Method,
    keep_alive: bool,
    /// The request carried `Upgrade`: only then may a `101` answer it (RFC 9110 7.8).
    upgrade: bool,
}

/// A final response head the one-pass read took: where its parts are in the buffer and
/// how its body is framed.
pub(super) struct FastResponse {
    pub sl: StatusLine,
    pub fields: usize,
    pub len: usize,
    pub body: BodyKind,
}

/// A client connection: serializes requests, parses their responses.
///
/// Requests may be pipelined: each `send_request` after the previous request's
/// `send_end`. Responses are matched to requests in order, which is how the machine
/// knows a response to HEAD has no body. A response with neither Content-Length nor
/// chunked runs to the end of the connection.
///
/// Flow control: [`wants_body`](Machine::wants_body) is true from a request head with a
/// body until [`send_end`](Client::send_end), except while a request with
/// `Expect: 100-continue` waits for `100 Continue` (at most
/// [`Timeouts::expect_continue`](super::Timeouts::expect_continue)); in a tunnel it stays
/// true. [`wants_input`](Machine::wants_input) is false once nothing more is read. No
/// TLS switch: `wants_tls` is false.
///
/// Timers: the wait for `100 Continue`, and the wait for a response head once a request
/// has been sent whole ([`Timeouts::reply`](super::Timeouts::reply)); when that runs out
/// the connection closes with `Closed(CloseReason::Timeout)`.
///
/// ```
/// use wirestate::http::{Client, ClientEvent, Method, RequestHead};
/// use wirestate::{CloseReason, Instant, Machine};
///
/// let mut c = Client::new(Default::default());
/// let mut req = RequestHead::new(Method::Get, "/").unwrap();
/// req.headers.append("Host", "example.com").unwrap();
/// req.headers.append("Connection", "close").unwrap();
/// c.send_request(req).unwrap();
/// c.send_end().unwrap();
/// let wire: Vec<u8> = std::iter::from_fn(|| c.poll_transmit()).flatten().collect();
/// assert_eq!(wire, b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
///
/// c.handle_input(Instant::ZERO, b"HTTP/1.0 200 OK\r\n\r\nall of it");
/// c.handle_eof(Instant::ZERO);
/// let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
/// assert_eq!(events[1], ClientEvent::Data(bytes::Bytes::from_static(b"all of it")));
/// assert!(matches!(events[2], ClientEvent::End { .. }));
/// assert_eq!(events[3], ClientEvent::Closed(CloseReason::Done));
/// assert!(c.is_closed());
/// ```
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    core: Core,
    pending: VecDeque<Sent>,
    /// No more requests: one said `Connection: close`, or a response ended the connection.
    closing: bool,
    dead: bool,
    /// Whether the connection may carry another exchange after the current response.
    reuse: bool,
    /// The request body waits for `100 Continue` (RFC 9110 10.1.1).
    expect_waiting: bool,
    expect_deadline: Option<Instant>,
    /// When the wait for the next response head started.
    reply_since: Option<Instant>,
}

impl Client {
    /// A client connection configured by `config`.
    ///
    /// ```
    /// use wirestate::Machine;
    /// assert!(!wirestate::http::Client::new(Default::default()).is_closed());
    /// ```
    #[must_use]
    pub fn new(config: ClientConfig) -> Client {
        Client {
            config,
            core: Core::new(config.limits),
            pending: VecDeque::with_capacity(4),
            closing: false,
            dead: false,
            reuse: true,
            expect_waiting: false,
            expect_deadline: None,
            reply_since: None,
        }
    }

    /// The configuration in force.
    ///
    /// ```
    /// let c = wirestate::http::Client::new(Default::default());
    /// assert_eq!(c.config().limits.max_head, 64 * 1024);
    /// ```
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Bytes the server sent that the machine will never read, because it decided to
    /// read no more: after the last response of a connection that is not kept alive,
    /// after a fatal error or a timeout. Zero while the connection is read.
    ///
    /// ```
    /// use wirestate::http::{Client, Method, RequestHead};
    /// use wirestate::{Instant, Machine};
    /// let mut c = Client::new(Default::default());
    /// let mut req = RequestHead::new(Method::Get, "/").unwrap();
    /// req.headers.append("Host", "a").unwrap();
    /// c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\nextra");
    /// while c.poll_event().is_some() {}
    /// assert_eq!(c.unread(), 5);
    /// ```
    #[must_use]
    pub fn unread(&self) -> u64 {
        self.core.unread()
    }

    fn now(&self) -> Instant {
        self.core.now.unwrap_or(Instant::ZERO)
    }

    /// Queues a request head. Its framing comes from the head: `Content-Length`,
    /// `Transfer-Encoding: chunked`, or neither (then it has no body). An HTTP/1.1 request
    /// must carry exactly one `Host` (RFC 9112 3.2). Nothing is queued on error.
    ///
    /// With `Expect: 100-continue` and a body, the wait for `100 Continue` is timed from
    /// the latest `now` the machine was given; call
    /// [`handle_timeout`](Machine::handle_timeout) with the current time first if the
    /// machine has been idle.
    ///
    /// ```
    /// use wirestate::http::{Client, Method, RequestHead};
    /// use wirestate::SendError;
    /// let mut c = Client::new(Default::default());
    /// let req = RequestHead::new(Method::Get, "/").unwrap(); // no Host
    /// let Err(SendError::Invalid(e)) = c.send_request(req) else { panic!() };
    /// assert!(e.rule.starts_with("RFC 9112 3.2"));
    /// ```
    pub fn send_request(&mut self, req: RequestHead) -> Result<(), SendError> {
        if self.dead || self.closing || self.core.eof {
            return Err(SendError::Closed);
        }
        if self.core.send != Send::Idle {
            return Err(SendError::OutOfTurn(
                "the previous request's body is not ended",
            ));
        }
        // `Method::Other` can be built directly, so its token is checked here.
        if let Method::Other(m) = &req.method {
            Method::from_bytes(m)?;
        }
        let info = info_of(&req.headers).map_err(|_| invalid(rules::BAD_CONTENT_LENGTH, 0))?;
        let hosts = info.host_count;
        let form_ok = match req.target.form() {
            TargetForm::Authority => req.method == Method::Connect,
            TargetForm::Asterisk => req.method == Method::Options,
            _ => req.method != Method::Connect,
        };
        if hosts > 1 || (!req.version.is_http10() && hosts == 0) {
            return Err(invalid(rules::HOST, 0));
        }
        if !form_ok {
            return Err(invalid(rules::TARGET_FORM, 0));
        }
        // RFC 9110 9.3.6: a CONNECT request message does not have content.
        if req.method == Method::Connect
            && (info.te_present || info.content_length.is_some_and(|n| n > 0))
        {
            return Err(invalid(rules::CONNECT_NO_CONTENT, 0));
        }
        if info.te_present {
            if info.content_length.is_some() {
                return Err(invalid(rules::CL_WITH_TE, 0));
            }
            if req.version.is_http10() {
                return Err(invalid(rules::TE_TO_HTTP10, 0));
            }
            if info.te_chunked_count > 1 {
                return Err(invalid(rules::CHUNKED_TWICE, 0));
            }
            if !info.te_last_chunked {
                return Err(invalid(rules::REQUEST_NOT_CHUNKED, 0));
            }
        }
        let encoder = if info.te_present {
            BodyEncoder::chunked()
        } else {
            match info.content_length {
                Some(n) if n > 0 => BodyEncoder::length(n),
                _ => BodyEncoder::empty(),
            }
        };
        let keep_alive = info.keep_alive(req.version);
        let now = self.now();
        if info.expect_continue && encoder != BodyEncoder::empty() {
            self.expect_waiting = true;
            self.expect_deadline = self.config.timeouts.expect_continue.map(|d| now + d);
        }
        self.core.out.push_back(encode::request_head(&req, &[]));
        self.pending.push_back(Sent {
            method: req.method,
            keep_alive,
            upgrade: info.upgrade,
        });
        if !keep_alive {
            self.closing = true;
        }
        self.core.send = Send::Body(encoder);
        if encoder == BodyEncoder::empty() {
            // Nothing to send after the head: the request is whole.
            self.request_sent();
        }
        Ok(())
    }

    /// Queues request body bytes (no copy), framed as the head declared; in a tunnel,
    /// raw bytes. Pace it with [`wants_body`](Machine::wants_body); sending while it
    /// waits for `100 Continue` sends the body without waiting (RFC 9110 10.1.1 allows
    /// that).
    ///
    /// ```
    /// use wirestate::http::Client;
    /// use wirestate::SendError;
    /// let mut c = Client::new(Default::default());
    /// assert!(matches!(c.send_data(bytes::Bytes::from_static(b"x")), Err(SendError::OutOfTurn(_))));
    /// ```
    pub fn send_data(&mut self, data: Bytes) -> Result<(), SendError> {
        if self.dead {
            return Err(SendError::Closed);
        }
        self.core
            .send_data(data, SendError::OutOfTurn("no request body is being sent"))?;
        self.expect_waiting = false;
        self.expect_deadline = None;
        Ok(())
    }

    /// Ends the request body.
    ///
    /// ```
    /// use wirestate::http::{Client, Method, RequestHead};
    /// let mut c = Client::new(Default::default());
    /// let mut req = RequestHead::new(Method::Post, "/").unwrap();
    /// req.headers.append("Host", "a").unwrap();
    /// req.headers.append("Transfer-Encoding", "chunked").unwrap();
    /// c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// assert!(c.send_end().is_err());
    /// ```
    pub fn send_end(&mut self) -> Result<(), SendError> {
        self.send_end_with_trailers(&Headers::new())
    }

    /// Ends the request body with a trailer section (chunked only; no framing fields,
    /// RFC 9110 6.5.1).
    ///
    /// ```
    /// use wirestate::http::{Client, Headers};
    /// use wirestate::SendError;
    /// let mut c = Client::new(Default::default());
    /// assert!(matches!(c.send_end_with_trailers(&Headers::new()), Err(SendError::OutOfTurn(_))));
    /// ```
    pub fn send_end_with_trailers(&mut self, trailers: &Headers) -> Result<(), SendError> {
        if self.dead {
            return Err(SendError::Closed);
        }
        self.core.send_end(trailers)?;
        self.expect_waiting = false;
        self.expect_deadline = None;
        self.request_sent();
        Ok(())
    }

    /// The request is on its way whole: the wait for its response head starts, unless
    /// an earlier response is still being read.
    fn request_sent(&mut self) {
        if matches!(self.core.recv, Recv::Head(_)) && self.reply_since.is_none() {
            self.reply_since = Some(self.now());
        }
    }

    fn fail(&mut self, kind: ErrorKind, offset: u64) -> Option<ClientEvent> {
        self.core.recv = Recv::Closed;
        self.core.close_with(CloseReason::Error);
        self.dead = true;
        self.pending.clear();
        Some(ClientEvent::Error(Error { kind, offset }))
    }

    /// The fatal error of a head that starts at stream offset `base`, in stream terms
    /// (`Core::head_error`).
    fn head_failed(&mut self, base: u64, f: Fail) -> Option<ClientEvent> {
        let e = self.core.head_error(base, f);
        self.fail(e.kind, e.offset)
    }

    fn poll_head(&mut self) -> Option<ClientEvent> {
        let core = &mut self.core;
        let Recv::Head(scanner) = &mut core.recv else {
            return None;
        };
        // Servers send a stray CRLF after a body, a 304 or a 100 (aiohttp does). A status
        // line cannot start with CR or LF, so skipping them is unambiguous (RFC 9112 2.2
        // allows it before a request-line; the same reasoning holds here).
        if *scanner == HeadScanner::default() {
            match core.skip_empty_lines() {
                Lead::Start => {}
                Lead::More if core.eof => {
                    if self.pending.is_empty() {
                        core.recv = Recv::Closed;
                        core.close_with(CloseReason::PeerClosed { unterminated: 1 });
                        return None;
                    }
                    let end = core.end_offset();
                    return self.fail(ErrorKind::IncompleteMessage, end);
                }
                Lead::More => return None,
                Lead::TooLong(e) => return self.fail(e.kind, e.offset),
            }
        }
        let adjusted = core.head_limits();
        let Recv::Head(scanner) = &mut core.recv else {
            return None;
        };
        let limits = adjusted.as_ref().unwrap_or(&core.limits);
        let base = core.buf.consumed();
        if core.buf.is_empty() {
            if core.eof {
                if self.pending.is_empty() {
                    core.recv = Recv::Closed;
                    core.close_with(CloseReason::PeerClosed { unterminated: 0 });
                    return None;
                }
                return self.fail(ErrorKind::IncompleteMessage, base);
            }
            return None;
        }
        if self.pending.is_empty() {
            // RFC 9112 9.3: bytes from the server with no request outstanding.
            return self.fail(ErrorKind::UnexpectedResponse, base);
        }
        // The one-pass parse first; a partial head, an error or a limit goes to the
        // resumable scan, which gives the exact error.
        let mut fields = Count(0);
        let fast = if *scanner == HeadScanner::default() {
            fast_response(core.buf.as_slice(), limits, &mut fields)
        } else {
            None
        };
        let (resp, info) = if let Some((sl, info, len)) = fast {
            let head = core.buf.take(len);
            (build_response(head, &sl, fields.0), info)
        } else {
            let len = match scanner.scan(core.buf.as_slice(), limits, None) {
                Ok(Scan::Complete { len, .. }) => len,
                Ok(Scan::Partial) if core.eof => {
                    let end = core.end_offset();
                    return self.fail(ErrorKind::IncompleteMessage, end);
                }
                Ok(Scan::Partial) => return None,
                Err(f) => return self.head_failed(base, f),
            };
            let head = core.buf.take(len);
            match parse_response(head, limits) {
                Ok(v) => v,
                Err(f) => return self.head_failed(base, f),
            }
        };
        let Some(sent) = self.pending.front() else {
            return self.fail(ErrorKind::UnexpectedResponse, base);
        };
        let (kind, reuse) = match response_body(resp.version, resp.status, &info, &sent.method) {
            Ok(v) => v,
            Err((kind, at)) => return self.fail(kind, base + at as u64),
        };
        self.core.skipped = 0;
        let code = resp.status.as_u16();
        // RFC 9110 7.8 / 15.2.2: a 101 the request did not ask for would turn the rest of
        // the connection into bytes nobody agreed on.
        if code == 101 && !sent.upgrade {
            return self.fail(ErrorKind::UnrequestedUpgrade, base);
        }
        if resp.status.is_informational() && code != 101 {
            self.core.recv = Recv::Head(HeadScanner::default());
            if code == 100 {
                self.expect_waiting = false;
                self.expect_deadline = None;
            }
            // An interim response restarts the wait for the final one.
            if self.reply_since.is_some() {
                self.reply_since = self.core.now;
            }
            return Some(ClientEvent::Informational(resp));
        }
        let sent_keep_alive = sent.keep_alive;
        self.admit_final(resp.version, &info, kind, reuse && sent_keep_alive);
        Some(ClientEvent::Response(resp))
    }

    /// Records a final response whose head was read and framed as `kind` (`reuse`: the
    /// framing and the request allow the connection to go on) and readies the reader
    /// for its body.
    #[inline(always)]
    fn admit_final(&mut self, version: Version, info: &HeadInfo, kind: BodyKind, reuse: bool) {
        self.expect_waiting = false;
        self.expect_deadline = None;
        self.reply_since = None;
        // The connection survives this exchange only if both ends and the framing allow
        // it (RFC 9112 9.3), and the request body was sent whole.
        self.reuse = reuse
            && info.keep_alive(version)
            && (self.core.send == Send::Idle || self.pending.len() > 1);
        self.core.recv = if kind == BodyKind::Tunnel {
            self.core.switch_to_tunnel();
            self.pending.clear();
            Recv::Tunnel
        } else {
            self.core.body_reader(kind)
        };
    }

    /// Reads the next response head in one pass when it is complete, clean and final
    /// (not 1xx), answers a request sent, and leaves the connection as HTTP; admits
    /// it, and leaves its bytes in the buffer for the caller to discard. `None` in
    /// every other case, and then nothing has changed (but for empty lines skipped
    /// before it, which skipping again leaves as they are), so that `poll_event` reads
    /// the head, or reports its error, as if this had not run.
    #[inline(always)]
    fn read_in_place(&mut self) -> Option<FastResponse> {
        let core = &mut self.core;
        if !matches!(&core.recv, Recv::Head(s) if *s == HeadScanner::default()) {
            return None;
        }
        if !matches!(core.skip_empty_lines(), Lead::Start) {
            return None;
        }
        let sent = self.pending.front()?;
        let adjusted = core.head_limits();
        let limits = adjusted.as_ref().unwrap_or(&core.limits);
        let mut fields = Count(0);
        let (sl, info, len) = fast_response(core.buf.as_slice(), limits, &mut fields)?;
        if sl.status.is_informational() {
            return None;
        }
        let (body, reuse) = response_body(sl.version, sl.status, &info, &sent.method).ok()?;
        if body == BodyKind::Tunnel {
            return None;
        }
        let reuse = reuse && sent.keep_alive;
        self.core.skipped = 0;
        self.admit_final(sl.version, &info, body, reuse);
        Some(FastResponse {
            sl,
            fields: fields.0,
            len,
            body,
        })
    }

    /// The next response head read in place, when the next event would be a final
    /// response whose head is complete in the buffer: a [`ResponseRef`] borrowing it,
    /// instead of the owned head of [`ClientEvent::Response`]. Reading it so copies
    /// nothing, counts no references and allocates nothing; use it where a head is
    /// looked at (or copied out with [`ResponseRef::to_head`]) before the next call.
    ///
    /// `None` otherwise, and then [`poll_event`](crate::Machine::poll_event) gives the
    /// next event as always, which can still be a `Response`: a head split across
    /// inputs, one the full grammar has to read (obs-fold, an error to report, a limit
    /// reached), an interim response (1xx, `101` included), the `2xx` that opens a
    /// CONNECT tunnel, and any head while a body is being read. The response is read
    /// either way: its body, if any, then comes from `poll_event`, and its `End`.
    ///
    /// ```
    /// use wirestate::http::{Client, ClientEvent, Method, RequestHead};
    /// use wirestate::{Instant, Machine};
    ///
    /// let mut c = Client::new(Default::default());
    /// for path in ["/a", "/b"] {
    ///     let mut req = RequestHead::new(Method::Get, path).unwrap();
    ///     req.headers.append("Host", "example.com").unwrap();
    ///     c.send_request(req).unwrap();
    ///     c.send_end().unwrap();
    /// }
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n\r\n");
    /// let mut seen = Vec::new();
    /// loop {
    ///     // What is needed is taken from the borrowed head, which is then dropped: that
    ///     // releases its bytes, and the client can be called again.
    ///     if let Some(status) = c.poll_response_ref().map(|r| r.status().as_u16()) {
    ///         seen.push(status);
    ///         continue;
    ///     }
    ///     match c.poll_event() {
    ///         // The interim 100 is not read in place.
    ///         Some(ClientEvent::Informational(head)) => seen.push(head.status.as_u16()),
    ///         Some(ClientEvent::Response(head)) => seen.push(head.status.as_u16()),
    ///         Some(_) => {}
    ///         None => break,
    ///     }
    /// }
    /// assert_eq!(seen, [200, 100, 404]);
    /// ```
    #[must_use = "a head handed out is already read: drop it only once it is looked at"]
    pub fn poll_response_ref(&mut self) -> Option<ResponseRef<'_>> {
        let head = self.read_in_place()?;
        Some(ResponseRef::new(&mut self.core.buf, head))
    }

    fn end_of_response(&mut self, trailers: Headers) -> Option<ClientEvent> {
        self.pending.pop_front();
        if self.reuse {
            self.core.recv = Recv::Head(HeadScanner::default());
            // A pipelined request already sent whole now waits for its response.
            if !self.pending.is_empty() && (self.pending.len() > 1 || self.core.send == Send::Idle)
            {
                self.reply_since = self.core.now;
            }
        } else {
            self.core.recv = Recv::Closed;
            self.core.close_with(CloseReason::Done);
            self.closing = true;
            self.pending.clear();
        }
        Some(ClientEvent::End { trailers })
    }

    /// What `poll_event` says when no message event is ready: an overflow once
    /// everything before it is decoded, then the one `Closed`.
    fn no_event(&mut self) -> Option<ClientEvent> {
        if let Some(e) = self.core.overflow.take() {
            return self.fail(e.kind, e.offset);
        }
        if matches!(self.core.recv, Recv::Tunnel) && self.core.eof {
            self.core
                .close_with(CloseReason::PeerClosed { unterminated: 0 });
        }
        let closed = self.is_closed();
        self.core.closed_event(closed).map(ClientEvent::Closed)
    }

    fn reply_deadline(&self) -> Option<Instant> {
        if !matches!(self.core.recv, Recv::Head(_)) || self.pending.is_empty() {
            return None;
        }
        let reply = self.config.timeouts.reply?;
        self.reply_since.map(|t| t + reply)
    }
}

impl Machine for Client {
    type Event = ClientEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.core.tick(now);
        self.core.input(bytes);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.core.tick(now);
        self.core.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        let now = self.core.tick(now);
        if self.expect_deadline.is_some_and(|d| now >= d) {
            // RFC 9110 10.1.1: no 100 in time: send the body anyway.
            self.expect_deadline = None;
            self.expect_waiting = false;
        }
        if self.reply_deadline().is_some_and(|d| now >= d) {
            self.reply_since = None;
            self.core.recv = Recv::Closed;
            self.core.close_with(CloseReason::Timeout);
            self.dead = true;
            self.pending.clear();
        }
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        let event = match &mut self.core.recv {
            Recv::Closed | Recv::Paused => None,
            Recv::Tunnel => self.core.tunnel_data().map(ClientEvent::Tunnel),
            // A head is returned from where it is built, not copied into `event`.
            Recv::Head(_) => {
                return match self.poll_head() {
                    Some(e) => Some(e),
                    None => self.no_event(),
                }
            }
            Recv::Body(_) | Recv::End => match self.core.decode_body() {
                None => None,
                Some(Ok(BodyEvent::Data(d))) => Some(ClientEvent::Data(d)),
                Some(Ok(BodyEvent::Extension(x))) => Some(ClientEvent::ChunkExtension(x)),
                Some(Ok(BodyEvent::End(t))) => self.end_of_response(t),
                Some(Err(e)) => self.fail(e.kind, e.offset),
            },
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
        match (self.expect_deadline, self.reply_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn is_closed(&self) -> bool {
        match self.core.recv {
            Recv::Closed => self.dead || self.core.send == Send::Idle,
            Recv::Tunnel => self.core.eof && self.core.buf.is_empty(),
            _ => false,
        }
    }

    /// False once nothing more is read (closed, or the peer has closed), and after an
    /// overflow.
    fn wants_input(&self) -> bool {
        !self.is_closed()
            && !self.core.eof
            && self.core.overflow.is_none()
            && !matches!(self.core.recv, Recv::Closed)
    }

    /// True from a request head with a body (or a tunnel) until its end, except while
    /// the body waits for `100 Continue`.
    fn wants_body(&self) -> bool {
        !self.dead && self.core.sending() && !self.expect_waiting
    }
}

//! The server role: reads requests, writes responses, in order, over one connection.

use super::body::{BodyDecoder, BodyEncoder, BodyEvent, ChunkedDecoder};
use super::encode;
use super::error::{ErrorKind, HttpError, SendError};
use super::head::{Headers, Method, RequestHead, ResponseHead, StatusCode, Version};
use super::headers::Span;
use super::parse::{self, BodyKind, HeadScanner, Scan};
use super::raw;
use super::Limits;
use crate::buffer::RecvBuffer;
use crate::{Instant, Machine};
use alloc::collections::VecDeque;
use bytes::Bytes;

/// What the client said, decoded.
///
/// ```
/// use wirestate::http::{Limits, ServerConn, ServerEvent};
/// use wirestate::{Instant, Machine};
/// let mut s = ServerConn::new(Limits::default());
/// s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
/// assert!(matches!(s.poll_event(), Some(ServerEvent::Request(_))));
/// assert!(matches!(s.poll_event(), Some(ServerEvent::EndOfMessage(t)) if t.is_empty()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// A request head. Its body follows as `Data`, then `EndOfMessage`.
    Request(RequestHead),
    /// Request body bytes (a zero-copy slice of the receive buffer).
    Data(Bytes),
    /// Chunk extensions of the next chunk (`;name=value...`), when present.
    ChunkExtension(Bytes),
    /// The request is complete, with its trailer section (usually empty).
    EndOfMessage(Headers),
    /// After a `101` or a 2xx to `CONNECT`: raw bytes from the client, no longer HTTP.
    Tunnel(Bytes),
    /// A fatal framing error; the reply (if any) is queued and the connection closes.
    Error(HttpError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    No,
    Waiting,
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

#[derive(Debug)]
enum Recv {
    Head(HeadScanner),
    Body(BodyDecoder),
    /// A bodyless request: `EndOfMessage` is next.
    End,
    /// Waiting for the final response to an upgrade or CONNECT request, or for room in
    /// the pipeline.
    Paused,
    Tunnel,
    Closed,
}

#[derive(Debug, PartialEq, Eq)]
enum Send {
    Idle,
    Body(BodyEncoder),
    Tunnel,
}

/// A server connection: parses requests, serializes responses.
///
/// Requests are read ahead of their responses (pipelining, up to
/// [`Limits::max_pipeline`]) and must be answered in order: every `send_response` is for
/// the oldest unanswered request. After a request that asks to switch protocols
/// (`Upgrade`) or `CONNECT`, reading pauses until it is answered.
///
/// `Expect: 100-continue`: if the caller answers the `Request` event with a final
/// response, no `100 Continue` is sent and the connection closes after the response;
/// otherwise the machine sends `100 Continue` when the body is first polled.
///
/// Timers: once the first `handle_*` call gives it a clock reading, the machine wants a
/// complete head within [`Limits::head_timeout`] of starting to wait for it (idle
/// keep-alive time included); an idle connection then closes quietly, a partial head gets
/// `408`.
///
/// ```
/// use bytes::Bytes;
/// use wirestate::http::{Limits, ResponseHead, ServerConn, ServerEvent, StatusCode};
/// use wirestate::{Instant, Machine};
///
/// let mut s = ServerConn::new(Limits::default());
/// s.handle_input(Instant::ZERO, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
/// let mut wire = Vec::new();
/// while let Some(e) = s.poll_event() {
///     if let ServerEvent::Request(r) = e {
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
pub struct ServerConn {
    limits: Limits,
    buf: RecvBuffer,
    recv: Recv,
    pending: VecDeque<Pending>,
    send: Send,
    out: VecDeque<Bytes>,
    eof: bool,
    /// A buffer overflow seen in `handle_input`, reported after what was buffered.
    overflow: Option<HttpError>,
    /// An event produced outside `poll_event` (a timeout), returned by it next.
    stashed: Option<ServerEvent>,
    /// A status to answer once earlier requests are answered, then close.
    error_reply: Option<StatusCode>,
    /// Nothing more is sent: a response was cut short by a fatal error.
    dead: bool,
    now: Option<Instant>,
    head_since: Option<Instant>,
    /// Field offsets of the head being parsed, reused (cleared, capacity kept).
    spans: alloc::vec::Vec<Span>,
}

/// Most field offsets preallocated per connection (16 bytes each): a head within
/// `max_headers` (default 100) never makes the reused list grow.
const SPANS_CAPACITY: usize = 128;

impl ServerConn {
    /// A server connection with `limits`.
    ///
    /// ```
    /// use wirestate::Machine;
    /// let s = wirestate::http::ServerConn::new(wirestate::http::Limits::default());
    /// assert!(!s.is_closed());
    /// ```
    pub fn new(limits: Limits) -> ServerConn {
        ServerConn {
            limits,
            buf: RecvBuffer::new(limits.max_buffer),
            recv: Recv::Head(HeadScanner::default()),
            spans: alloc::vec::Vec::with_capacity(limits.max_headers.min(SPANS_CAPACITY)),
            // Allocated once here so the per-message path does not.
            pending: VecDeque::with_capacity(limits.max_pipeline.clamp(1, 4)),
            send: Send::Idle,
            out: VecDeque::with_capacity(4),
            eof: false,
            overflow: None,
            stashed: None,
            error_reply: None,
            dead: false,
            now: None,
            head_since: None,
        }
    }

    /// The limits in force.
    ///
    /// ```
    /// let s = wirestate::http::ServerConn::new(Default::default());
    /// assert_eq!(s.limits().max_head, 64 * 1024);
    /// ```
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn tick(&mut self, now: Instant) {
        let now = self.now.map_or(now, |t| t.max(now));
        self.now = Some(now);
        if self.head_since.is_none()
            && matches!(self.recv, Recv::Head(_))
            && self.pending.is_empty()
        {
            self.head_since = Some(now);
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
    /// use wirestate::http::{Limits, ResponseHead, SendError, ServerConn, StatusCode};
    /// use wirestate::{Instant, Machine};
    /// let mut s = ServerConn::new(Limits::default());
    /// s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    /// while s.poll_event().is_some() {}
    /// let mut bad = ResponseHead::new(StatusCode::OK);
    /// bad.headers.append("Content-Length", "1").unwrap();
    /// bad.headers.append("Transfer-Encoding", "chunked").unwrap();
    /// assert_eq!(s.send_response(bad), Err(SendError::BadFraming));
    /// assert!(s.poll_transmit().is_none());
    /// ```
    pub fn send_response(&mut self, resp: ResponseHead) -> Result<(), SendError> {
        if self.dead || self.send == Send::Tunnel {
            return Err(SendError::Closed);
        }
        if self.send != Send::Idle {
            return Err(SendError::OutOfTurn);
        }
        let Some(front) = self.pending.front() else {
            return Err(SendError::OutOfTurn);
        };
        if let Some(at) = resp
            .reason
            .iter()
            .position(|&c| c != b'\t' && (c < 0x20 || c == 0x7f))
        {
            return Err(SendError::Invalid(super::head::InvalidHead {
                what: "reason phrase",
                at,
            }));
        }
        let info = parse::info_of(&resp.headers).map_err(|_| SendError::BadFraming)?;
        let code = resp.status.as_u16();
        if resp.status.is_informational() {
            // RFC 9110 15.2: no 1xx to an HTTP/1.0 client; 101 only to an Upgrade request.
            if front.version == Version::Http10 || (code == 101 && !front.upgrade) {
                return Err(SendError::OutOfTurn);
            }
            if info.te_present || info.content_length.is_some() {
                return Err(SendError::BadFraming);
            }
            self.out.push_back(encode::response_head(&resp, &[]));
            if code == 100 {
                if let Some(f) = self.pending.front_mut() {
                    if f.expect == Expect::Waiting {
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
        if info.te_present
            && (info.content_length.is_some()
                || front.version == Version::Http10
                || info.te_chunked_count > 1)
        {
            return Err(SendError::BadFraming);
        }
        // RFC 9110 8.6: no Content-Length (nor body) in a 204.
        if code == 204 && (info.te_present || info.content_length.is_some()) {
            return Err(SendError::BadFraming);
        }
        let tunnel = front.connect && resp.status.is_success();
        // RFC 9110 9.3.6: no Content-Length or Transfer-Encoding in a 2xx to CONNECT.
        if tunnel && (info.te_present || info.content_length.is_some()) {
            return Err(SendError::BadFraming);
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
        } else if front.version == Version::Http11 {
            extra[n_extra] = (b"Transfer-Encoding", b"chunked");
            n_extra += 1;
            BodyEncoder::chunked()
        } else {
            keep_alive = false;
            BodyEncoder::close_delimited()
        };
        // RFC 9110 10.1.1: a final response instead of 100 Continue; the client may or
        // may not send the body, so the connection cannot be reused.
        if front.expect == Expect::Waiting && !front.body_done {
            keep_alive = false;
        }
        if tunnel {
            // The connection is no longer HTTP: nothing to say about its persistence.
        } else if !keep_alive && !info.conn_close {
            extra[n_extra] = (b"Connection", b"close");
            n_extra += 1;
        } else if keep_alive && front.version == Version::Http10 && !info.conn_keep_alive {
            // RFC 9112 9.3 / Appendix C.2.2: an HTTP/1.0 client keeps the connection
            // only if the response says keep-alive.
            extra[n_extra] = (b"Connection", b"keep-alive");
            n_extra += 1;
        }
        self.out
            .push_back(encode::response_head(&resp, &extra[..n_extra]));
        if let Some(f) = self.pending.front_mut() {
            f.keep_alive = keep_alive;
            if f.expect == Expect::Waiting {
                f.expect = Expect::Skipped;
            }
        }
        if tunnel {
            self.switch_to_tunnel();
            return Ok(());
        }
        self.send = Send::Body(encoder);
        if encoder == BodyEncoder::empty() {
            self.complete_response();
        }
        Ok(())
    }

    /// Queues response body bytes (no copy), framed as the head declared.
    ///
    /// ```
    /// use wirestate::http::{SendError, ServerConn};
    /// let mut s = ServerConn::new(Default::default());
    /// assert_eq!(s.send_data(bytes::Bytes::from_static(b"x")), Err(SendError::OutOfTurn));
    /// ```
    pub fn send_data(&mut self, data: Bytes) -> Result<(), SendError> {
        match &mut self.send {
            Send::Body(enc) => enc.encode(data, &mut self.out),
            Send::Tunnel => {
                if !data.is_empty() {
                    self.out.push_back(data);
                }
                Ok(())
            }
            Send::Idle if self.dead => Err(SendError::Closed),
            Send::Idle => Err(SendError::OutOfTurn),
        }
    }

    /// Ends the response body, with trailers (chunked only).
    ///
    /// ```
    /// use wirestate::http::{Headers, SendError, ServerConn};
    /// let mut s = ServerConn::new(Default::default());
    /// assert_eq!(s.send_end(&Headers::new()), Err(SendError::OutOfTurn));
    /// ```
    pub fn send_end(&mut self, trailers: &Headers) -> Result<(), SendError> {
        match &mut self.send {
            Send::Body(enc) => {
                enc.finish(trailers, &mut self.out)?;
                self.complete_response();
                Ok(())
            }
            _ => Err(SendError::OutOfTurn),
        }
    }

    /// A whole response with a `Content-Length` body in one call (the length field is
    /// added unless present or not allowed: 1xx, 204, 304; a HEAD request gets the head
    /// only).
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate::http::{ResponseHead, ServerConn, StatusCode};
    /// use wirestate::{Instant, Machine};
    /// let mut s = ServerConn::new(Default::default());
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
                &super::head::HeaderName::from_static("Content-Length")?,
                &super::head::HeaderValue::from_u64(body.len() as u64),
            );
        }
        let head_only = self.pending.front().is_some_and(|p| p.head);
        self.send_response(resp)?;
        if let Send::Body(_) = self.send {
            if !head_only {
                self.send_data(body)?;
            }
            self.send_end(&Headers::new())?;
        }
        Ok(())
    }

    fn switch_to_tunnel(&mut self) {
        self.send = Send::Tunnel;
        self.recv = Recv::Tunnel;
        self.pending.clear();
    }

    fn complete_response(&mut self) {
        self.send = Send::Idle;
        let Some(done) = self.pending.pop_front() else {
            return;
        };
        if !done.keep_alive {
            // The connection ends with this response: requests read ahead are dropped
            // unanswered, as RFC 9112 9.3.1 lets a client retry them.
            self.pending.clear();
            self.recv = Recv::Closed;
            self.error_reply = None;
            return;
        }
        if matches!(self.recv, Recv::Paused) {
            self.recv = Recv::Head(HeadScanner::default());
        }
        if self.pending.is_empty() {
            if let Some(status) = self.error_reply.take() {
                self.out.push_back(error_response(status));
                self.recv = Recv::Closed;
            } else if matches!(self.recv, Recv::Head(_)) {
                self.head_since = self.now;
            }
        }
    }

    fn fail(&mut self, e: HttpError, reply: bool) -> Option<ServerEvent> {
        // The request whose body broke is not answered; one being answered is cut short.
        if matches!(self.recv, Recv::Body(_) | Recv::End) {
            if self.pending.len() == 1 && self.send != Send::Idle {
                self.dead = true;
            }
            if !self.dead {
                self.pending.pop_back();
            }
        }
        self.recv = Recv::Closed;
        if self.dead {
            self.pending.clear();
        } else if reply {
            if self.pending.is_empty() {
                self.out.push_back(error_response(e.status()));
            } else {
                self.error_reply = Some(e.status());
            }
        }
        Some(ServerEvent::Error(e))
    }

    fn poll_head(&mut self) -> Option<ServerEvent> {
        if self.pending.len() >= self.limits.max_pipeline {
            return None;
        }
        let Recv::Head(scanner) = &mut self.recv else {
            return None;
        };
        // RFC 9112 2.2: a server SHOULD ignore empty lines received before the request-line.
        if *scanner == HeadScanner::default() {
            loop {
                match self.buf.as_slice() {
                    [b'\r', b'\n', ..] => self.buf.discard(2),
                    [b'\n', ..] if self.limits.allow_bare_lf => self.buf.discard(1),
                    [b'\r'] => return self.eof_in_head(),
                    _ => break,
                }
            }
        }
        let base = self.buf.consumed();
        let at = |(kind, at): (ErrorKind, usize)| HttpError {
            kind,
            offset: base + at as u64,
        };
        // The one-pass parse first; a partial head, an error or a limit goes to the
        // resumable scan, which gives the exact error.
        let fast = if *scanner == HeadScanner::default() {
            raw::fast_request(self.buf.as_slice(), &self.limits, &mut self.spans)
        } else {
            None
        };
        let (req, info) = if let Some((rl, info, len)) = fast {
            let head = self.buf.take(len);
            (parse::build_request(head, &rl, self.spans.clone()), info)
        } else {
            let scan = scanner.scan(
                self.buf.as_slice(),
                &self.limits,
                Some(self.limits.max_request_line),
            );
            let (len, lines) = match scan {
                Ok(Scan::Complete { len, lines }) => (len, lines),
                Ok(Scan::Partial) => return self.eof_in_head(),
                Err(e) => return self.fail(at(e), true),
            };
            let head = self.buf.take(len);
            match parse::parse_request(head, lines, &self.limits) {
                Ok(v) => v,
                Err(e) => return self.fail(at(e), true),
            }
        };
        let kind = match parse::request_body(req.version, &info) {
            Ok(k) => k,
            Err(e) => return self.fail(at(e), true),
        };
        let connect = req.method == Method::Connect;
        self.pending.push_back(Pending {
            head: req.method == Method::Head,
            connect,
            version: req.version,
            keep_alive: info.keep_alive(req.version),
            upgrade: info.upgrade && info.conn_upgrade,
            expect: if info.expect_continue
                && req.version == Version::Http11
                && kind != BodyKind::Empty
            {
                Expect::Waiting
            } else {
                Expect::No
            },
            body_done: false,
        });
        self.head_since = None;
        self.recv = match kind {
            BodyKind::Length(n) => Recv::Body(BodyDecoder::Length(n)),
            BodyKind::Chunked => {
                Recv::Body(BodyDecoder::Chunked(ChunkedDecoder::new(&self.limits)))
            }
            _ => Recv::End,
        };
        Some(ServerEvent::Request(req))
    }

    /// More input is needed for a head: unless the peer has gone.
    fn eof_in_head(&mut self) -> Option<ServerEvent> {
        if !self.eof {
            return None;
        }
        if self.buf.is_empty() {
            self.recv = Recv::Closed;
            return None;
        }
        let offset = self.buf.consumed() + self.buf.len() as u64;
        self.fail(
            HttpError {
                kind: ErrorKind::IncompleteMessage,
                offset,
            },
            false,
        )
    }

    fn end_of_request(&mut self, trailers: Headers) -> Option<ServerEvent> {
        let mut next = Recv::Head(HeadScanner::default());
        if let Some(p) = self.pending.back_mut() {
            p.body_done = true;
            if !p.keep_alive {
                next = Recv::Closed;
            } else if p.upgrade || p.connect {
                next = Recv::Paused;
            }
        }
        if matches!(next, Recv::Head(_)) && self.pending.is_empty() {
            self.head_since = self.now;
        }
        self.recv = next;
        Some(ServerEvent::EndOfMessage(trailers))
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

impl Machine for ServerConn {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.tick(now);
        if self.overflow.is_some() || matches!(self.recv, Recv::Closed) {
            return;
        }
        if let Err(o) = self.buf.push(bytes) {
            self.overflow = Some(HttpError {
                kind: ErrorKind::BufferFull { limit: o.limit },
                offset: self.buf.consumed() + self.buf.len() as u64,
            });
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.tick(now);
        self.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        let Some(deadline) = self.poll_timeout() else {
            return;
        };
        if self.now.is_some_and(|n| n >= deadline) {
            self.head_since = None;
            if self.buf.is_empty() {
                self.recv = Recv::Closed;
            } else {
                let offset = self.buf.consumed();
                self.stashed = self.fail(
                    HttpError {
                        kind: ErrorKind::Timeout,
                        offset,
                    },
                    true,
                );
            }
        }
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        if let Some(e) = self.stashed.take() {
            return Some(e);
        }
        let event = match &mut self.recv {
            Recv::Closed | Recv::Paused => None,
            Recv::Tunnel => {
                let n = self.buf.len();
                (n > 0).then(|| ServerEvent::Tunnel(self.buf.take(n)))
            }
            Recv::End => self.end_of_request(Headers::new()),
            Recv::Head(_) => self.poll_head(),
            Recv::Body(dec) => {
                let waiting = self.pending.len() == 1
                    && self.send == Send::Idle
                    && self
                        .pending
                        .back()
                        .is_some_and(|p| p.expect == Expect::Waiting);
                if waiting {
                    // RFC 9110 10.1.1: the caller is reading the body, so ask for it.
                    self.out
                        .push_back(Bytes::from_static(b"HTTP/1.1 100 Continue\r\n\r\n"));
                    if let Some(p) = self.pending.back_mut() {
                        p.expect = Expect::Sent;
                    }
                }
                match dec.decode(&mut self.buf, self.eof) {
                    None => None,
                    Some(Ok(BodyEvent::Data(d))) => Some(ServerEvent::Data(d)),
                    Some(Ok(BodyEvent::Extension(x))) => Some(ServerEvent::ChunkExtension(x)),
                    Some(Ok(BodyEvent::End(t))) => self.end_of_request(t),
                    Some(Err(e)) => {
                        let reply = e.kind != ErrorKind::IncompleteMessage;
                        self.fail(e, reply)
                    }
                }
            }
        };
        if event.is_some() {
            return event;
        }
        // Input that overflowed is reported once everything before it is decoded.
        if let Some(e) = self.overflow.take() {
            return self.fail(e, true);
        }
        None
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        super::encode::coalesce(&mut self.out)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if !matches!(self.recv, Recv::Head(_)) || !self.pending.is_empty() {
            return None;
        }
        self.head_since.map(|t| t + self.limits.head_timeout)
    }

    fn is_closed(&self) -> bool {
        if self.dead {
            return true;
        }
        match self.recv {
            Recv::Closed => self.pending.is_empty() && self.send == Send::Idle,
            Recv::Tunnel => self.eof && self.buf.is_empty(),
            _ => false,
        }
    }
}

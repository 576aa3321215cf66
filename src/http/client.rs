//! The client role: writes requests, reads their responses, in order.

use super::body::{BodyDecoder, BodyEncoder, BodyEvent, ChunkedDecoder};
use super::encode;
use super::error::{ErrorKind, HttpError, SendError};
use super::head::{Headers, Method, RequestHead, ResponseHead, TargetForm, Version};
use super::headers::Span;
use super::parse::{self, BodyKind, HeadScanner, Scan};
use super::raw;
use super::Limits;
use crate::buffer::RecvBuffer;
use crate::{Instant, Machine};
use alloc::collections::VecDeque;
use bytes::Bytes;

/// What the server said, decoded.
///
/// ```
/// use wirestate::http::{ClientConn, ClientEvent, Limits, Method, RequestHead};
/// use wirestate::{Instant, Machine};
/// let mut c = ClientConn::new(Limits::default());
/// let mut req = RequestHead::new(Method::Get, "/").unwrap();
/// req.headers.append("Host", "a").unwrap();
/// c.send_request(req).unwrap();
/// c.handle_input(Instant::ZERO, b"HTTP/1.1 204 No Content\r\n\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Response(r)) if r.status.as_u16() == 204));
/// assert!(matches!(c.poll_event(), Some(ClientEvent::EndOfMessage(_))));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// An interim 1xx response (other than 101); the final one follows.
    Informational(ResponseHead),
    /// `Expect: 100-continue` was sent and no 100 came within
    /// [`Limits::expect_timeout`]: send the body now (RFC 9110 10.1.1).
    ExpectTimeout,
    /// The final response head. Its body follows as `Data`, then `EndOfMessage`.
    Response(ResponseHead),
    /// Response body bytes (a zero-copy slice of the receive buffer).
    Data(Bytes),
    /// Chunk extensions of the next chunk, when present.
    ChunkExtension(Bytes),
    /// The response is complete, with its trailer section (usually empty).
    EndOfMessage(Headers),
    /// After a `101` or a 2xx to `CONNECT`: raw bytes from the server, no longer HTTP.
    /// The first one carries what was already buffered past the head.
    Tunnel(Bytes),
    /// A fatal framing error; the connection closes.
    Error(HttpError),
}

#[derive(Clone, Debug)]
struct Sent {
    method: Method,
    keep_alive: bool,
}

#[derive(Debug)]
enum Recv {
    Head(HeadScanner),
    Body(BodyDecoder),
    End,
    Tunnel,
    Closed,
}

#[derive(Debug, PartialEq, Eq)]
enum Send {
    Idle,
    Body(BodyEncoder),
    Tunnel,
}

/// A client connection: serializes requests, parses their responses.
///
/// Requests may be pipelined: each `send_request` after the previous request's
/// `send_end`. Responses are matched to requests in order, which is how the machine
/// knows a response to HEAD has no body. A response with neither Content-Length nor
/// chunked runs to the end of the connection.
///
/// ```
/// use wirestate::http::{ClientConn, ClientEvent, Limits, Method, RequestHead};
/// use wirestate::{Instant, Machine};
///
/// let mut c = ClientConn::new(Limits::default());
/// let mut req = RequestHead::new(Method::Get, "/").unwrap();
/// req.headers.append("Host", "example.com").unwrap();
/// req.headers.append("Connection", "close").unwrap();
/// c.send_request(req).unwrap();
/// c.send_end(&Default::default()).unwrap();
/// let wire: Vec<u8> = std::iter::from_fn(|| c.poll_transmit()).flatten().collect();
/// assert_eq!(wire, b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
///
/// c.handle_input(Instant::ZERO, b"HTTP/1.0 200 OK\r\n\r\nall of it");
/// c.handle_eof(Instant::ZERO);
/// let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
/// assert_eq!(events[1], ClientEvent::Data(bytes::Bytes::from_static(b"all of it")));
/// assert!(matches!(events[2], ClientEvent::EndOfMessage(_)));
/// assert!(c.is_closed());
/// ```
#[derive(Debug)]
pub struct ClientConn {
    limits: Limits,
    buf: RecvBuffer,
    recv: Recv,
    pending: VecDeque<Sent>,
    send: Send,
    out: VecDeque<Bytes>,
    eof: bool,
    overflow: Option<HttpError>,
    /// No more requests: one said `Connection: close`, or a response ended the connection.
    closing: bool,
    dead: bool,
    /// Whether the connection may carry another exchange after the current response.
    reuse: bool,
    now: Instant,
    expect_deadline: Option<Instant>,
    /// Field offsets of the head being parsed, reused (cleared, capacity kept).
    spans: alloc::vec::Vec<Span>,
}

/// Most field offsets preallocated per connection (16 bytes each): a head within
/// `max_headers` (default 100) never makes the reused list grow.
const SPANS_CAPACITY: usize = 128;

impl ClientConn {
    /// A client connection with `limits`.
    ///
    /// ```
    /// use wirestate::Machine;
    /// assert!(!wirestate::http::ClientConn::new(Default::default()).is_closed());
    /// ```
    pub fn new(limits: Limits) -> ClientConn {
        ClientConn {
            limits,
            buf: RecvBuffer::new(limits.max_buffer),
            recv: Recv::Head(HeadScanner::default()),
            spans: alloc::vec::Vec::with_capacity(limits.max_headers.min(SPANS_CAPACITY)),
            pending: VecDeque::with_capacity(4),
            send: Send::Idle,
            out: VecDeque::with_capacity(4),
            eof: false,
            overflow: None,
            closing: false,
            dead: false,
            reuse: true,
            now: Instant::ZERO,
            expect_deadline: None,
        }
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
    /// use wirestate::http::{ClientConn, Method, RequestHead, SendError};
    /// let mut c = ClientConn::new(Default::default());
    /// let req = RequestHead::new(Method::Get, "/").unwrap(); // no Host
    /// assert_eq!(c.send_request(req), Err(SendError::BadFraming));
    /// ```
    pub fn send_request(&mut self, req: RequestHead) -> Result<(), SendError> {
        if self.dead || self.closing || self.eof {
            return Err(SendError::Closed);
        }
        if self.send != Send::Idle {
            return Err(SendError::OutOfTurn);
        }
        // `Method::Other` can be built directly, so its token is checked here.
        if let Method::Other(m) = &req.method {
            Method::from_bytes(m)?;
        }
        let info = parse::info_of(&req.headers).map_err(|_| SendError::BadFraming)?;
        let hosts = info.host_count;
        let form_ok = match req.target.form() {
            TargetForm::Authority => req.method == Method::Connect,
            TargetForm::Asterisk => req.method == Method::Options,
            _ => req.method != Method::Connect,
        };
        let bad = hosts > 1
            || (req.version == Version::Http11 && hosts == 0)
            || !form_ok
            || (info.te_present
                && (info.content_length.is_some()
                    || req.version == Version::Http10
                    || info.te_chunked_count != 1
                    || !info.te_last_chunked));
        if bad {
            return Err(SendError::BadFraming);
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
        if info.expect_continue && encoder != BodyEncoder::empty() {
            self.expect_deadline = Some(self.now + self.limits.expect_timeout);
        }
        self.out.push_back(encode::request_head(&req, &[]));
        self.pending.push_back(Sent {
            method: req.method,
            keep_alive,
        });
        if !keep_alive {
            self.closing = true;
        }
        self.send = Send::Body(encoder);
        Ok(())
    }

    /// Queues request body bytes (no copy), framed as the head declared. In a tunnel,
    /// sends raw bytes.
    ///
    /// ```
    /// use wirestate::http::{ClientConn, SendError};
    /// let mut c = ClientConn::new(Default::default());
    /// assert_eq!(c.send_data(bytes::Bytes::from_static(b"x")), Err(SendError::OutOfTurn));
    /// ```
    pub fn send_data(&mut self, data: Bytes) -> Result<(), SendError> {
        match &mut self.send {
            Send::Body(enc) => {
                enc.encode(data, &mut self.out)?;
                self.expect_deadline = None;
                Ok(())
            }
            Send::Tunnel => {
                if !data.is_empty() {
                    self.out.push_back(data);
                }
                Ok(())
            }
            Send::Idle => Err(SendError::OutOfTurn),
        }
    }

    /// Ends the request body, with trailers (chunked only).
    ///
    /// ```
    /// use wirestate::http::{ClientConn, Headers, SendError};
    /// let mut c = ClientConn::new(Default::default());
    /// assert_eq!(c.send_end(&Headers::new()), Err(SendError::OutOfTurn));
    /// ```
    pub fn send_end(&mut self, trailers: &Headers) -> Result<(), SendError> {
        match &mut self.send {
            Send::Body(enc) => {
                enc.finish(trailers, &mut self.out)?;
                self.send = Send::Idle;
                Ok(())
            }
            _ => Err(SendError::OutOfTurn),
        }
    }

    fn fail(&mut self, kind: ErrorKind, offset: u64) -> Option<ClientEvent> {
        self.recv = Recv::Closed;
        self.dead = true;
        self.pending.clear();
        Some(ClientEvent::Error(HttpError { kind, offset }))
    }

    fn poll_head(&mut self) -> Option<ClientEvent> {
        let Recv::Head(scanner) = &mut self.recv else {
            return None;
        };
        let base = self.buf.consumed();
        if self.buf.is_empty() {
            if self.eof {
                if self.pending.is_empty() {
                    self.recv = Recv::Closed;
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
        let fast = if *scanner == HeadScanner::default() {
            raw::fast_response(self.buf.as_slice(), &self.limits, &mut self.spans)
        } else {
            None
        };
        let (resp, info) = if let Some((sl, info, len)) = fast {
            let head = self.buf.take(len);
            (parse::build_response(head, &sl, self.spans.clone()), info)
        } else {
            let (len, lines) = match scanner.scan(self.buf.as_slice(), &self.limits, None) {
                Ok(Scan::Complete { len, lines }) => (len, lines),
                Ok(Scan::Partial) if self.eof => {
                    let end = base + self.buf.len() as u64;
                    return self.fail(ErrorKind::IncompleteMessage, end);
                }
                Ok(Scan::Partial) => return None,
                Err((kind, at)) => return self.fail(kind, base + at as u64),
            };
            let head = self.buf.take(len);
            match parse::parse_response(head, lines, &self.limits) {
                Ok(v) => v,
                Err((kind, at)) => return self.fail(kind, base + at as u64),
            }
        };
        let Some(sent) = self.pending.front() else {
            return self.fail(ErrorKind::UnexpectedResponse, base);
        };
        let (kind, reuse) =
            match parse::response_body(resp.version, resp.status, &info, &sent.method) {
                Ok(v) => v,
                Err((kind, at)) => return self.fail(kind, base + at as u64),
            };
        let code = resp.status.as_u16();
        if resp.status.is_informational() && code != 101 {
            self.recv = Recv::Head(HeadScanner::default());
            if code == 100 {
                self.expect_deadline = None;
            }
            return Some(ClientEvent::Informational(resp));
        }
        self.expect_deadline = None;
        // The connection survives this exchange only if both ends and the framing allow
        // it (RFC 9112 9.3), and the request body was sent whole.
        self.reuse = reuse
            && sent.keep_alive
            && info.keep_alive(resp.version)
            && (self.send == Send::Idle || self.pending.len() > 1);
        self.recv = match kind {
            BodyKind::Tunnel => {
                self.send = Send::Tunnel;
                self.pending.clear();
                Recv::Tunnel
            }
            BodyKind::Empty => Recv::End,
            BodyKind::Length(n) => Recv::Body(BodyDecoder::Length(n)),
            BodyKind::Chunked => {
                Recv::Body(BodyDecoder::Chunked(ChunkedDecoder::new(&self.limits)))
            }
            BodyKind::CloseDelimited => Recv::Body(BodyDecoder::Close),
        };
        Some(ClientEvent::Response(resp))
    }

    fn end_of_response(&mut self, trailers: Headers) -> Option<ClientEvent> {
        self.pending.pop_front();
        if self.reuse {
            self.recv = Recv::Head(HeadScanner::default());
        } else {
            self.recv = Recv::Closed;
            self.closing = true;
            self.pending.clear();
        }
        Some(ClientEvent::EndOfMessage(trailers))
    }
}

impl Machine for ClientConn {
    type Event = ClientEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.now = self.now.max(now);
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
        self.now = self.now.max(now);
        self.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        if self.expect_deadline.is_some_and(|d| self.now >= d) {
            self.expect_deadline = None;
            return Some(ClientEvent::ExpectTimeout);
        }
        let event = match &mut self.recv {
            Recv::Closed => None,
            Recv::Tunnel => {
                let n = self.buf.len();
                (n > 0).then(|| ClientEvent::Tunnel(self.buf.take(n)))
            }
            Recv::End => self.end_of_response(Headers::new()),
            Recv::Head(_) => self.poll_head(),
            Recv::Body(dec) => match dec.decode(&mut self.buf, self.eof) {
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
        if let Some(e) = self.overflow.take() {
            return self.fail(e.kind, e.offset);
        }
        None
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        super::encode::coalesce(&mut self.out)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.expect_deadline
    }

    fn is_closed(&self) -> bool {
        match self.recv {
            Recv::Closed => self.dead || self.send == Send::Idle,
            Recv::Tunnel => self.eof && self.buf.is_empty(),
            _ => false,
        }
    }
}

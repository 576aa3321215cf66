//! [`HeadParser`]: the head parser on its own, one resumable head at a time from a
//! [`RecvBuffer`], with the one-pass fast path tried first.

use super::config::Limits;
use super::error::{Error, Fail};
use super::fast::{fast_request, fast_response};
use super::framing::{request_body, response_body, BodyKind};
use super::grammar::{build_request, build_response, parse_request, parse_response, Count};
use super::head::{Method, RequestHead, ResponseHead};
use super::headers::Span;
use super::scan::{HeadScanner, Scan};
use crate::buffer::RecvBuffer;

/// The head parser on its own, for callers that run their own connection logic: one
/// resumable head at a time from a [`RecvBuffer`], validated, with the body framing
/// decided. The machines use exactly this.
///
/// ```
/// use wirestate::buffer::RecvBuffer;
/// use wirestate::http::{BodyKind, HeadParser, Limits};
///
/// let mut buf = RecvBuffer::new(1024);
/// let mut parser = HeadParser::new(&Limits::default());
/// buf.push(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-").unwrap();
/// assert!(parser.parse_request(&mut buf).is_none()); // partial: nothing consumed
/// buf.push(b"Length: 2\r\n\r\nhi").unwrap();
/// let (head, body) = parser.parse_request(&mut buf).unwrap().unwrap();
/// assert_eq!(head.target.as_bytes(), b"/x");
/// assert_eq!(body, BodyKind::Length(2));
/// assert_eq!(buf.as_slice(), b"hi");
/// ```
#[derive(Clone, Debug)]
pub struct HeadParser {
    pub(crate) scanner: HeadScanner,
    pub(crate) limits: Limits,
    /// Field offsets of the last head, reused (cleared, capacity kept) for the next.
    pub(crate) spans: alloc::vec::Vec<Span>,
}

impl HeadParser {
    /// A parser waiting for the first byte of a head.
    ///
    /// ```
    /// let _ = wirestate::http::HeadParser::new(&Default::default());
    /// ```
    pub fn new(limits: &Limits) -> HeadParser {
        HeadParser {
            scanner: HeadScanner::default(),
            limits: *limits,
            spans: alloc::vec::Vec::new(),
        }
    }

    pub(crate) fn scanner_is_fresh(&self) -> bool {
        self.scanner == HeadScanner::default()
    }

    pub(crate) fn reset_scanner(&mut self) {
        self.scanner = HeadScanner::default();
    }

    fn scan(
        &mut self,
        buf: &RecvBuffer,
        first_line: Option<usize>,
    ) -> Option<Result<(usize, usize), Error>> {
        let base = buf.consumed();
        match self.scanner.scan(buf.as_slice(), &self.limits, first_line) {
            Ok(Scan::Complete { len, lines }) => {
                self.scanner = HeadScanner::default();
                Some(Ok((len, lines)))
            }
            Ok(Scan::Partial) => None,
            Err((kind, at)) => Some(Err(Error {
                kind,
                offset: base + at as u64,
            })),
        }
    }

    /// The next request head from the front of `buf` and how its body is framed, or
    /// `None` if the head is not complete yet (the scan resumes where it stopped).
    /// On success the head's bytes are consumed; the body is left in `buf`.
    ///
    /// ```
    /// use wirestate::buffer::RecvBuffer;
    /// use wirestate::http::{ErrorKind, HeadParser, Limits};
    /// let mut buf = RecvBuffer::new(1024);
    /// buf.push(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
    /// let err = HeadParser::new(&Limits::default()).parse_request(&mut buf).unwrap().unwrap_err();
    /// assert_eq!(err.kind, ErrorKind::ContentLengthWithTransferEncoding);
    /// ```
    #[must_use = "the head is consumed from the buffer: handle it"]
    pub fn parse_request(
        &mut self,
        buf: &mut RecvBuffer,
    ) -> Option<Result<(RequestHead, BodyKind), Error>> {
        let base = buf.consumed();
        if self.scanner_is_fresh() {
            let mut fields = Count(0);
            let fast = fast_request(buf.as_slice(), &self.limits, &mut fields);
            if let Some((rl, info, len)) = fast {
                let req = build_request(buf.take(len), &rl, fields.0);
                let body = request_body(rl.version, &info, req.method == Method::Connect).map_err(
                    |(kind, at)| Error {
                        kind,
                        offset: base + at as u64,
                    },
                );
                return Some(body.map(|k| (req, k)));
            }
        }
        let (len, _) = match self.scan(buf, Some(self.limits.max_request_line))? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let at = |(kind, at): Fail| Error {
            kind,
            offset: base + at as u64,
        };
        let head = buf.take(len);
        Some(
            parse_request(head, &self.limits)
                .and_then(|(req, info)| {
                    request_body(req.version, &info, req.method == Method::Connect)
                        .map(|k| (req, k))
                })
                .map_err(at),
        )
    }

    /// The next response head from the front of `buf`, framed for a request made with
    /// `method`, or `None` if it is not complete yet.
    ///
    /// ```
    /// use wirestate::buffer::RecvBuffer;
    /// use wirestate::http::{BodyKind, HeadParser, Limits, Method};
    /// let mut buf = RecvBuffer::new(1024);
    /// buf.push(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n").unwrap();
    /// let (_, body) = HeadParser::new(&Limits::default())
    ///     .parse_response(&mut buf, &Method::Head)
    ///     .unwrap()
    ///     .unwrap();
    /// assert_eq!(body, BodyKind::Empty);
    /// ```
    #[must_use = "the head is consumed from the buffer: handle it"]
    pub fn parse_response(
        &mut self,
        buf: &mut RecvBuffer,
        method: &Method,
    ) -> Option<Result<(ResponseHead, BodyKind), Error>> {
        let base = buf.consumed();
        if self.scanner_is_fresh() {
            let mut fields = Count(0);
            let fast = fast_response(buf.as_slice(), &self.limits, &mut fields);
            if let Some((sl, info, len)) = fast {
                let resp = build_response(buf.take(len), &sl, fields.0);
                let body =
                    response_body(sl.version, sl.status, &info, method).map_err(|(kind, at)| {
                        Error {
                            kind,
                            offset: base + at as u64,
                        }
                    });
                return Some(body.map(|(k, _)| (resp, k)));
            }
        }
        let (len, _) = match self.scan(buf, None)? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let at = |(kind, at): Fail| Error {
            kind,
            offset: base + at as u64,
        };
        let head = buf.take(len);
        Some(
            parse_response(head, &self.limits)
                .and_then(|(resp, info)| {
                    response_body(resp.version, resp.status, &info, method).map(|(k, _)| (resp, k))
                })
                .map_err(at),
        )
    }
}

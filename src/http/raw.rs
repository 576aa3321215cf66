//! Head parsing straight from a byte slice into offsets ([`RawRequest`],
//! [`RawResponse`]), with nothing copied or allocated per head.

use super::error::{Error, Fail};
use super::fast::{fast_request, fast_response};
use super::fold::unfold_fields;
use super::framing::{check_host, request_body, response_body, BodyKind, HeadInfo};
use super::grammar::{fields_into, request_line, status_line, RequestLine, StatusLine};
use super::head::{Method, StatusCode, TargetForm, Version};
use super::parser::HeadParser;
use super::scan::{HeadScanner, Scan};
use core::ops::Range;

/// A request head parsed from a byte slice: offsets into that slice, no copies.
/// Field offsets are read with [`HeadParser::fields`].
///
/// ```
/// use wirestate::http::{BodyKind, HeadParser, Limits, Version};
/// let input = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
/// let mut parser = HeadParser::new(&Limits::default());
/// let req = parser.parse_request_bytes(input).unwrap().unwrap();
/// assert_eq!(&input[req.method.clone()], b"GET");
/// assert_eq!(&input[req.target.clone()], b"/a");
/// assert_eq!((req.version, req.body, req.len), (Version::HTTP_11, BodyKind::Empty, input.len()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawRequest {
    /// Length of the head, empty line included: the body starts here.
    pub len: usize,
    /// Where the method is.
    pub method: Range<usize>,
    /// Where the request-target is.
    pub target: Range<usize>,
    /// The target's form.
    pub form: TargetForm,
    /// The protocol version.
    pub version: Version,
    /// How the body is delimited.
    pub body: BodyKind,
    /// Whether the connection persists after this exchange (RFC 9112 section 9.3).
    pub keep_alive: bool,
}

/// A response head parsed from a byte slice: offsets into that slice, no copies.
/// Field offsets are read with [`HeadParser::fields`].
///
/// ```
/// use wirestate::http::{BodyKind, HeadParser, Limits, Method};
/// let input = b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!";
/// let mut parser = HeadParser::new(&Limits::default());
/// let resp = parser.parse_response_bytes(input, &Method::Get).unwrap().unwrap();
/// assert_eq!(resp.status.as_u16(), 404);
/// assert_eq!(&input[resp.reason.clone()], b"Not Found");
/// assert_eq!(resp.body, BodyKind::Length(3));
/// assert_eq!(&input[resp.len..], b"no!");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawResponse {
    /// Length of the head, empty line included: the body starts here.
    pub len: usize,
    /// The protocol version.
    pub version: Version,
    /// The status code.
    pub status: StatusCode,
    /// Where the reason phrase is (possibly empty).
    pub reason: Range<usize>,
    /// How the body is delimited, given the request method.
    pub body: BodyKind,
    /// Whether the connection can carry another exchange afterwards.
    pub reusable: bool,
}

fn err((kind, at): Fail) -> Error {
    Error {
        kind,
        offset: at as u64,
    }
}

/// The public result of a parsed request head: its framing decided.
#[inline]
fn raw_request(rl: &RequestLine, info: &HeadInfo, len: usize) -> Result<RawRequest, Error> {
    request_body(rl.version, info, rl.form == TargetForm::Authority)
        .map(|body| RawRequest {
            len,
            method: 0..rl.sp1,
            target: rl.sp1 + 1..rl.sp2,
            form: rl.form,
            version: rl.version,
            body,
            keep_alive: info.keep_alive(rl.version),
        })
        .map_err(err)
}

/// The public result of a parsed response head: its framing decided.
#[inline]
fn raw_response(
    sl: &StatusLine,
    info: &HeadInfo,
    len: usize,
    method: &Method,
) -> Result<RawResponse, Error> {
    response_body(sl.version, sl.status, info, method)
        .map(|(body, reusable)| RawResponse {
            len,
            version: sl.version,
            status: sl.status,
            reason: sl.reason..sl.end,
            body,
            reusable: reusable && info.keep_alive(sl.version),
        })
        .map_err(err)
}

impl HeadParser {
    /// Parses the request head at the start of `input`, writing field offsets into the
    /// parser's own list (kept between heads, so steady-state parsing allocates
    /// nothing). `None`: not complete yet; call again with the same bytes and more
    /// after them (the scan resumes where it stopped). Validation and the framing
    /// decision are the same as [`HeadParser::parse_request`]; error offsets count from
    /// the start of `input`.
    ///
    /// ```
    /// use wirestate::http::{BodyKind, ErrorKind, HeadParser, Limits};
    /// let mut parser = HeadParser::new(&Limits::default());
    /// let input = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    /// assert!(parser.parse_request_bytes(&input[..20]).is_none());
    /// let req = parser.parse_request_bytes(input).unwrap().unwrap();
    /// assert_eq!(req.body, BodyKind::Chunked);
    /// let bad = b"GET / HTTP/1.1\r\n\r\n"; // no Host
    /// let e = parser.parse_request_bytes(bad).unwrap().unwrap_err();
    /// assert_eq!(e.kind, ErrorKind::BadHost);
    /// ```
    #[must_use = "the parse result says where the head ends"]
    #[inline]
    pub fn parse_request_bytes(&mut self, input: &[u8]) -> Option<Result<RawRequest, Error>> {
        // Inlined into the caller so the result is built in its frame: returned through
        // memory, the head's fields cost store-forwarding stalls comparable to parsing
        // a short head.
        if self.scanner_is_fresh() {
            if let Some((rl, info, len)) = fast_request(input, &self.limits, &mut self.spans) {
                return Some(raw_request(&rl, &info, len));
            }
        }
        self.request_bytes_resumable(input)
    }

    #[cold]
    #[inline(never)]
    fn request_bytes_resumable(&mut self, input: &[u8]) -> Option<Result<RawRequest, Error>> {
        let limit = Some(self.limits.max_request_line);
        let len = match self.scanner.scan(input, &self.limits, limit) {
            Ok(Scan::Complete { len, .. }) => len,
            Ok(Scan::Partial) => return None,
            Err(e) => {
                self.reset_scanner();
                return Some(Err(err(e)));
            }
        };
        self.reset_scanner();
        Some(match self.slow_request(&input[..len]) {
            Ok((rl, info)) => raw_request(&rl, &info, len),
            Err(e) => Err(err(e)),
        })
    }

    fn slow_request(&mut self, h: &[u8]) -> Result<(RequestLine, HeadInfo), Fail> {
        let rl = request_line(h, &self.limits)?;
        let mut info = HeadInfo::default();
        fields_into(h, rl.next, &self.limits, &mut self.spans, &mut info)?;
        check_host(rl.version, &info)?;
        Ok((rl, info))
    }

    /// Parses the response head at the start of `input`, framed for a request made
    /// with `method`; otherwise as [`HeadParser::parse_request_bytes`].
    ///
    /// A field value continued on a following line (obs-fold) must be unfolded before
    /// it is interpreted (RFC 9112 5.2), which means rewriting bytes this method only
    /// reads: such a head gives [`ErrorKind::ObsFold`](super::ErrorKind::ObsFold) at the
    /// continuation line. [`HeadParser::parse_response_bytes_mut`] unfolds it in place
    /// instead, as the buffered parser and [`Client`](super::Client) do.
    ///
    /// ```
    /// use wirestate::http::{BodyKind, HeadParser, Limits, Method};
    /// let mut parser = HeadParser::new(&Limits::default());
    /// let input = b"HTTP/1.1 200 OK\r\nX: 1\r\n\r\n";
    /// let resp = parser.parse_response_bytes(input, &Method::Get).unwrap().unwrap();
    /// assert_eq!((resp.body, resp.reusable), (BodyKind::CloseDelimited, false));
    /// let (name, value) = parser.fields().next().unwrap();
    /// assert_eq!((&input[name], &input[value]), (&b"X"[..], &b"1"[..]));
    /// ```
    #[must_use = "the parse result says where the head ends"]
    #[inline]
    pub fn parse_response_bytes(
        &mut self,
        input: &[u8],
        method: &Method,
    ) -> Option<Result<RawResponse, Error>> {
        // Inlined for the same reason as `parse_request_bytes`.
        if self.scanner_is_fresh() {
            if let Some((sl, info, len)) = fast_response(input, &self.limits, &mut self.spans) {
                return Some(raw_response(&sl, &info, len, method));
            }
        }
        self.response_bytes_resumable(input, method)
    }

    /// As [`HeadParser::parse_response_bytes`], but a head with obs-fold is accepted:
    /// each fold inside a field value (its CRLF and the SP or HTAB after) has its line
    /// ending overwritten with SP in `input` before the value is interpreted, as RFC
    /// 9112 5.2 requires of a user agent. The head keeps its length, so every offset
    /// (and [`RawResponse::len`]) is the same as in the bytes received, and
    /// [`HeadParser::fields`] points at the unfolded values. A head without folds is not
    /// written to. Whitespace at the start of the first field line continues nothing and
    /// stays an error (RFC 9112 2.2), and framing fields are checked after unfolding.
    ///
    /// ```
    /// use wirestate::http::{BodyKind, ErrorKind, HeadParser, Limits, Method};
    /// let mut input = *b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length:\r\n\t2\r\n\r\nhi";
    /// let mut parser = HeadParser::new(&Limits::default());
    /// let e = parser.parse_response_bytes(&input, &Method::Get).unwrap().unwrap_err();
    /// assert_eq!((e.kind, e.offset), (ErrorKind::ObsFold, 23));
    /// let resp = parser.parse_response_bytes_mut(&mut input, &Method::Get).unwrap().unwrap();
    /// assert_eq!(resp.body, BodyKind::Length(2));
    /// assert_eq!(&input[resp.len..], b"hi");
    /// let values: Vec<_> = parser.fields().map(|(_, v)| &input[v]).collect();
    /// assert_eq!(values, [&b"a   b"[..], &b"2"[..]]);
    /// ```
    #[must_use = "the parse result says where the head ends"]
    pub fn parse_response_bytes_mut(
        &mut self,
        input: &mut [u8],
        method: &Method,
    ) -> Option<Result<RawResponse, Error>> {
        let e = match self.parse_response_bytes(input, method)? {
            Err(e) => e,
            ok => return Some(ok),
        };
        // The field pass stops at a fold, or earlier at a framing value read before its
        // continuation, so any error from a complete head with a readable status line
        // may be a fold. This runs on the error path only; the unfolding stays inside
        // the head, and writes nothing when there is no fold.
        let mut scanner = HeadScanner::default();
        let Ok(Scan::Complete { len, .. }) = scanner.scan(input, &self.limits, None) else {
            return Some(Err(e));
        };
        let head = &mut input[..len];
        let Ok(sl) = status_line(head, &self.limits) else {
            return Some(Err(e));
        };
        if unfold_fields(head, sl.next, &self.limits) == 0 {
            return Some(Err(e));
        }
        self.parse_response_bytes(input, method)
    }

    #[cold]
    #[inline(never)]
    fn response_bytes_resumable(
        &mut self,
        input: &[u8],
        method: &Method,
    ) -> Option<Result<RawResponse, Error>> {
        let len = match self.scanner.scan(input, &self.limits, None) {
            Ok(Scan::Complete { len, .. }) => len,
            Ok(Scan::Partial) => return None,
            Err(e) => {
                self.reset_scanner();
                return Some(Err(err(e)));
            }
        };
        self.reset_scanner();
        let h = &input[..len];
        let mut info = HeadInfo::default();
        let parsed = status_line(h, &self.limits).and_then(|sl| {
            fields_into(h, sl.next, &self.limits, &mut self.spans, &mut info).map(|_| sl)
        });
        Some(match parsed {
            Ok(sl) => raw_response(&sl, &info, len, method),
            Err(e) => Err(err(e)),
        })
    }

    /// The field lines of the head last parsed by [`HeadParser::parse_request_bytes`]
    /// or [`HeadParser::parse_response_bytes`]: (name, value) offsets into its input,
    /// in received order, the value without surrounding whitespace.
    ///
    /// ```
    /// use wirestate::http::{HeadParser, Limits};
    /// let input = b"GET / HTTP/1.1\r\nHost:  a \r\nAccept: */*\r\n\r\n";
    /// let mut parser = HeadParser::new(&Limits::default());
    /// parser.parse_request_bytes(input).unwrap().unwrap();
    /// let fields: Vec<_> = parser.fields().map(|(n, v)| (&input[n], &input[v])).collect();
    /// assert_eq!(fields, [(&b"Host"[..], &b"a"[..]), (&b"Accept"[..], &b"*/*"[..])]);
    /// ```
    pub fn fields(&self) -> impl Iterator<Item = (Range<usize>, Range<usize>)> + '_ {
        self.spans.iter().map(|s| {
            let (n, v) = (s.name as usize, s.value as usize);
            (n..n + s.name_len as usize, v..v + s.value_len as usize)
        })
    }
}

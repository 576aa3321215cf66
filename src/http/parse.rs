//! The head parser: a resumable scan for the end of the head, then one pass over the
//! frozen head that validates every byte, records field offsets, and gathers what the
//! framing decision needs (RFC 9112 sections 2 to 6).
//!
//! Hand-written rather than nom on purpose: the scan remembers how far it got, so a head
//! trickling in a byte at a time is looked at once, not once per read (quadratic under
//! slowloris); the field pass is a memchr for each line end and a table or SWAR check for
//! each byte class.

use super::chars::{first_invalid_value_byte, is_token};
use super::error::{ErrorKind, HttpError};
use super::fold::unfold_fields;
use super::head::{
    classify_form, Method, RequestHead, RequestTarget, ResponseHead, StatusCode, TargetForm,
    Version,
};
use super::headers::{trim_ows, Headers, Span};
use super::Limits;
use crate::buffer::RecvBuffer;
use bytes::{Bytes, BytesMut};
use memchr::memchr;

/// A rule broken at an offset relative to the start of what was being parsed.
pub(crate) type Fail = (ErrorKind, usize);

/// Progress of the search for the empty line that ends a head (or trailer section).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HeadScanner {
    scanned: usize,
    line_start: usize,
    lines: usize,
}

/// What the scanner found.
pub(crate) enum Scan {
    /// The head is the first `len` bytes and has `lines` lines, the empty one included.
    Complete { len: usize, lines: usize },
    /// Not yet: more input is needed.
    Partial,
}

impl HeadScanner {
    /// Continues the scan over `buf` (which starts at the head's first byte and only
    /// ever grows at the end). `first_line_limit` bounds the start line (414).
    pub(crate) fn scan(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        first_line_limit: Option<usize>,
    ) -> Result<Scan, Fail> {
        let max_head = limits.max_head;
        loop {
            let Some(p) = memchr(b'\n', &buf[self.scanned..]) else {
                self.scanned = buf.len();
                let open = buf.len() - self.line_start;
                if let Some(limit) = first_line_limit.filter(|_| self.lines == 0) {
                    // The line so far, less a possible trailing CR, is already too long.
                    if open > limit.saturating_add(1) {
                        return Err((ErrorKind::RequestLineTooLong { limit }, limit));
                    }
                }
                if buf.len() > max_head {
                    return Err((ErrorKind::HeadTooLarge { limit: max_head }, max_head));
                }
                return Ok(Scan::Partial);
            };
            let lf = self.scanned + p;
            let line = &buf[self.line_start..lf];
            let content = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(limit) = first_line_limit.filter(|_| self.lines == 0) {
                if content.len() > limit {
                    return Err((ErrorKind::RequestLineTooLong { limit }, limit));
                }
            }
            if lf + 1 > max_head {
                return Err((ErrorKind::HeadTooLarge { limit: max_head }, max_head));
            }
            self.lines += 1;
            self.scanned = lf + 1;
            if content.is_empty() {
                return Ok(Scan::Complete {
                    len: lf + 1,
                    lines: self.lines,
                });
            }
            // Start line plus fields: refuse as soon as one line too many is seen.
            if self.lines > limits.max_headers + 1 {
                return Err((
                    ErrorKind::TooManyHeaders {
                        limit: limits.max_headers,
                    },
                    self.line_start,
                ));
            }
            self.line_start = lf + 1;
        }
    }
}

/// What the framing and connection decisions need, gathered during the field pass.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HeadInfo {
    pub content_length: Option<u64>,
    pub te_present: bool,
    pub te_chunked_count: u32,
    pub te_last_chunked: bool,
    /// Offset of the first Transfer-Encoding line, for error reports.
    pub te_offset: usize,
    pub host_count: u32,
    pub conn_close: bool,
    pub conn_keep_alive: bool,
    pub conn_upgrade: bool,
    pub upgrade: bool,
    pub expect_continue: bool,
}

impl HeadInfo {
    /// Whether the connection persists after this message (RFC 9112 section 9.3).
    #[inline]
    pub(crate) fn keep_alive(&self, version: Version) -> bool {
        if self.conn_close {
            return false;
        }
        match version {
            Version::Http11 => true,
            Version::Http10 => self.conn_keep_alive,
        }
    }
}

/// How the body of a message is delimited (RFC 9112 section 6.3).
///
/// ```
/// use wirestate::http::BodyKind;
/// assert_ne!(BodyKind::Length(3), BodyKind::Chunked);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No content at all.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the connection closes (responses only).
    CloseDelimited,
    /// No HTTP body: the connection becomes a tunnel after the head.
    Tunnel,
}

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
    ) -> Option<Result<(usize, usize), HttpError>> {
        let base = buf.consumed();
        match self.scanner.scan(buf.as_slice(), &self.limits, first_line) {
            Ok(Scan::Complete { len, lines }) => {
                self.scanner = HeadScanner::default();
                Some(Ok((len, lines)))
            }
            Ok(Scan::Partial) => None,
            Err((kind, at)) => Some(Err(HttpError {
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
    pub fn parse_request(
        &mut self,
        buf: &mut RecvBuffer,
    ) -> Option<Result<(RequestHead, BodyKind), HttpError>> {
        let base = buf.consumed();
        if self.scanner_is_fresh() {
            let fast = super::raw::fast_request(buf.as_slice(), &self.limits, &mut self.spans);
            if let Some((rl, info, len)) = fast {
                let req = build_request(buf.take(len), &rl, self.spans.clone());
                let body = request_body(rl.version, &info).map_err(|(kind, at)| HttpError {
                    kind,
                    offset: base + at as u64,
                });
                return Some(body.map(|k| (req, k)));
            }
        }
        let (len, lines) = match self.scan(buf, Some(self.limits.max_request_line))? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let at = |(kind, at): Fail| HttpError {
            kind,
            offset: base + at as u64,
        };
        let head = buf.take(len);
        Some(
            parse_request(head, lines, &self.limits)
                .and_then(|(req, info)| request_body(req.version, &info).map(|k| (req, k)))
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
    pub fn parse_response(
        &mut self,
        buf: &mut RecvBuffer,
        method: &Method,
    ) -> Option<Result<(ResponseHead, BodyKind), HttpError>> {
        let base = buf.consumed();
        if self.scanner_is_fresh() {
            let fast = super::raw::fast_response(buf.as_slice(), &self.limits, &mut self.spans);
            if let Some((sl, info, len)) = fast {
                let resp = build_response(buf.take(len), &sl, self.spans.clone());
                let body =
                    response_body(sl.version, sl.status, &info, method).map_err(|(kind, at)| {
                        HttpError {
                            kind,
                            offset: base + at as u64,
                        }
                    });
                return Some(body.map(|(k, _)| (resp, k)));
            }
        }
        let (len, lines) = match self.scan(buf, None)? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let at = |(kind, at): Fail| HttpError {
            kind,
            offset: base + at as u64,
        };
        let head = buf.take(len);
        Some(
            parse_response(head, lines, &self.limits)
                .and_then(|(resp, info)| {
                    response_body(resp.version, resp.status, &info, method).map(|(k, _)| (resp, k))
                })
                .map_err(at),
        )
    }
}

/// Where one line's content ends and the next line starts.
#[inline]
fn line_at(head: &[u8], pos: usize, bare_lf: bool) -> Result<(usize, usize), Fail> {
    // After the scanner the LF exists; on the one-pass path a missing LF is "not yet",
    // reported as an error that sends the caller to the resumable path.
    let Some(lf) = head
        .get(pos..)
        .and_then(|r| memchr(b'\n', r))
        .map(|p| pos + p)
    else {
        return Err((ErrorKind::HeadTooLarge { limit: 0 }, head.len()));
    };
    if lf > pos && head[lf - 1] == b'\r' {
        Ok((lf - 1, lf + 1))
    } else if bare_lf {
        Ok((lf, lf + 1))
    } else {
        // RFC 9112 2.2: CRLF ends a line; bare LF only as a documented opt-in.
        Err((ErrorKind::BareLf, lf))
    }
}

/// `HTTP/1.0` or `HTTP/1.1` (a higher 1.x minor is read as 1.1, RFC 9110 2.5).
fn parse_version(b: &[u8], at: usize) -> Result<Version, Fail> {
    match b {
        b"HTTP/1.1" => Ok(Version::Http11),
        b"HTTP/1.0" => Ok(Version::Http10),
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            if *major == b'1' {
                Ok(Version::Http11)
            } else {
                Err((ErrorKind::UnsupportedVersion, at))
            }
        }
        _ => Err((ErrorKind::InvalidVersion, at)),
    }
}

/// A control byte in a start line: a CR is the bare-CR rule, anything else is `other`.
fn bad_byte(line: &[u8], start: usize, other: ErrorKind) -> Fail {
    match memchr(b'\r', line) {
        Some(p) => (ErrorKind::BareCr, start + p),
        None => (other, start),
    }
}

/// A request line's parts as offsets into the head.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestLine {
    /// The method is `..sp1`, the target `sp1 + 1..sp2`.
    pub sp1: usize,
    pub sp2: usize,
    pub form: TargetForm,
    pub version: Version,
    /// Length of the line without its line ending.
    pub end: usize,
    /// Where the first field line starts.
    pub next: usize,
}

/// Reads and checks the request line at the start of `head`.
pub(crate) fn request_line(head: &[u8], limits: &Limits) -> Result<RequestLine, Fail> {
    let (end, next) = line_at(head, 0, limits.allow_bare_lf)?;
    let line = &head[..end];
    // request-line = method SP request-target SP HTTP-version (RFC 9112 3): one SP each.
    // The method is read with the token table, the target as VCHARs, each up to its SP.
    let sp1 = line
        .iter()
        .position(|&c| !is_token(c))
        .unwrap_or(line.len());
    if sp1 == 0 || line.get(sp1) != Some(&b' ') {
        return Err(bad_byte(
            &line[sp1.min(line.len())..],
            sp1,
            ErrorKind::InvalidRequestLine,
        ));
    }
    let sp2 = sp1
        + 1
        + line[sp1 + 1..]
            .iter()
            .position(|&c| !(0x21..=0x7e).contains(&c))
            .unwrap_or(line.len() - sp1 - 1);
    match line.get(sp2) {
        Some(b' ') if sp2 > sp1 + 1 => {}
        Some(b' ') | None => {
            return Err(bad_byte(
                &line[sp1 + 1..],
                sp1 + 1,
                ErrorKind::InvalidRequestLine,
            ))
        }
        Some(_) => return Err(bad_byte(&line[sp2..=sp2], sp2, ErrorKind::InvalidTarget)),
    }
    // The loop above has checked every target byte is a VCHAR.
    let form = classify_form(&line[sp1 + 1..sp2])
        .map_err(|at| bad_byte(&line[sp1 + 1..sp2], sp1 + 1 + at, ErrorKind::InvalidTarget))?;
    let version =
        parse_version(&line[sp2 + 1..], sp2 + 1).map_err(|e| match memchr(b'\r', line) {
            Some(p) => (ErrorKind::BareCr, p),
            None => e,
        })?;
    // The authority form belongs to CONNECT and only to it (3.2.3); the asterisk form
    // only to OPTIONS (3.2.4).
    let method = &line[..sp1];
    let form_ok = match form {
        TargetForm::Authority => method == b"CONNECT",
        TargetForm::Asterisk => method == b"OPTIONS",
        _ => method != b"CONNECT",
    };
    if !form_ok {
        return Err((ErrorKind::InvalidTarget, sp1 + 1));
    }
    Ok(RequestLine {
        sp1,
        sp2,
        form,
        version,
        end,
        next,
    })
}

/// RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host field
/// and to any request with more than one.
pub(crate) fn check_host(version: Version, info: &HeadInfo) -> Result<(), Fail> {
    if info.host_count > 1 || (version == Version::Http11 && info.host_count == 0) {
        return Err((ErrorKind::BadHost, 0));
    }
    Ok(())
}

/// The owned request head over `head`, from offsets already checked.
pub(crate) fn build_request(
    head: Bytes,
    rl: &RequestLine,
    spans: alloc::vec::Vec<Span>,
) -> RequestHead {
    RequestHead {
        method: Method::from_shared(&head, 0, rl.sp1),
        target: RequestTarget::from_parts(head.slice(rl.sp1 + 1..rl.sp2), rl.form),
        version: rl.version,
        headers: Headers::from_parts(head, spans),
    }
}

/// Parses a request head (the first `lines` lines of `head`).
pub(crate) fn parse_request(
    head: Bytes,
    lines: usize,
    limits: &Limits,
) -> Result<(RequestHead, HeadInfo), Fail> {
    let rl = request_line(&head, limits)?;
    let mut spans = alloc::vec::Vec::with_capacity(lines.saturating_sub(2));
    let mut info = HeadInfo::default();
    fields_into(&head, rl.next, limits, &mut spans, &mut info)?;
    check_host(rl.version, &info)?;
    Ok((build_request(head, &rl, spans), info))
}

/// A status line's parts as offsets into the head.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatusLine {
    pub version: Version,
    pub status: StatusCode,
    /// The reason phrase is `reason..end`.
    pub reason: usize,
    pub end: usize,
    /// Where the first field line starts.
    pub next: usize,
}

/// Reads and checks the status line at the start of `head`.
pub(crate) fn status_line(head: &[u8], limits: &Limits) -> Result<StatusLine, Fail> {
    let (end, next) = line_at(head, 0, limits.allow_bare_lf)?;
    let line = &head[..end];
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4). The SP
    // before an empty reason is sometimes left out; that changes no framing, so it is
    // accepted.
    if line.len() < 12 || line[8] != b' ' {
        return Err(bad_byte(line, 0, ErrorKind::InvalidStatusLine));
    }
    let version = parse_version(&line[..8], 0)?;
    let digits = &line[9..12];
    if !digits.iter().all(u8::is_ascii_digit) || (line.len() > 12 && line[12] != b' ') {
        return Err(bad_byte(line, 9, ErrorKind::InvalidStatusLine));
    }
    let code = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let status = StatusCode::new(code).map_err(|_| (ErrorKind::InvalidStatusLine, 9))?;
    let reason = line.len().min(13);
    // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
    if let Some(p) = first_invalid_value_byte(&line[reason..]) {
        let at = reason + p;
        let kind = if line[at] == b'\r' {
            ErrorKind::BareCr
        } else {
            ErrorKind::InvalidStatusLine
        };
        return Err((kind, at));
    }
    Ok(StatusLine {
        version,
        status,
        reason,
        end,
        next,
    })
}

/// The owned response head over `head`, from offsets already checked.
pub(crate) fn build_response(
    head: Bytes,
    sl: &StatusLine,
    spans: alloc::vec::Vec<Span>,
) -> ResponseHead {
    ResponseHead {
        version: sl.version,
        status: sl.status,
        reason: head.slice(sl.reason..sl.end),
        headers: Headers::from_parts(head, spans),
    }
}

/// Parses a response head (the first `lines` lines of `head`), replacing each obs-fold
/// with SP first if it has any (RFC 9112 5.2, see [`unfold_fields`]).
pub(crate) fn parse_response(
    head: Bytes,
    lines: usize,
    limits: &Limits,
) -> Result<(ResponseHead, HeadInfo), Fail> {
    let sl = status_line(&head, limits)?;
    let mut spans = alloc::vec::Vec::with_capacity(lines.saturating_sub(2));
    let mut info = HeadInfo::default();
    let head = match fields_into(&head, sl.next, limits, &mut spans, &mut info) {
        Ok(_) => head,
        // The field pass stops at a fold, or earlier when a value read before its
        // continuation is checked (`Content-Length:` CRLF SP `2` has an empty value on
        // its first line), so any field error may be a fold. Folds are rare and
        // deprecated, so the head is copied and unfolded here, on the error path only,
        // rather than making the receive buffer writable; the copy has the same length,
        // so offsets do not move. Without a fold, the error stands.
        Err(e) => {
            let mut copy = BytesMut::from(&head[..]);
            if unfold_fields(&mut copy, sl.next, limits) == 0 {
                return Err(e);
            }
            let head = copy.freeze();
            info = HeadInfo::default();
            fields_into(&head, sl.next, limits, &mut spans, &mut info)?;
            head
        }
    };
    Ok((build_response(head, &sl, spans), info))
}

/// Parses field lines from `pos` up to the empty line. `n` is how many there are.
pub(crate) fn parse_fields(
    head: Bytes,
    pos: usize,
    n: usize,
    limits: &Limits,
) -> Result<(Headers, HeadInfo), Fail> {
    let mut spans = alloc::vec::Vec::with_capacity(n);
    let mut info = HeadInfo::default();
    fields_into(&head, pos, limits, &mut spans, &mut info)?;
    Ok((Headers::from_parts(head, spans), info))
}

/// Parses field lines of `h` from `pos` up to and including the empty line, appending
/// one span per field to `spans` (cleared first) and what framing needs to `info`
/// (written in place: returned by value it cost a store-forwarding stall per head).
/// Returns where the head ends. Running out of input before the empty line is an error, so a caller
/// that has not scanned for the end first must treat any error as "ask the resumable
/// path".
pub(crate) fn fields_into(
    h: &[u8],
    mut pos: usize,
    limits: &Limits,
    spans: &mut alloc::vec::Vec<Span>,
    info: &mut HeadInfo,
) -> Result<usize, Fail> {
    spans.clear();
    // One pass per line, no delimiter searches: the name is read with the token table up
    // to its colon, the value with the SWAR class check up to the first byte that is
    // not a field-value byte, which must be the CR of the line's CRLF. The scanner has
    // already seen the empty line, so every read below stays inside `h`.
    loop {
        // Past the end reads as NUL, which no rule below accepts.
        let at = |i: usize| h.get(i).copied().unwrap_or(0);
        match at(pos) {
            b'\r' if at(pos + 1) == b'\n' => return Ok(pos + 2),
            b'\n' if limits.allow_bare_lf => return Ok(pos + 1),
            b'\n' => return Err((ErrorKind::BareLf, pos)),
            // RFC 9112 5.2: obs-fold (a line starting with SP or HTAB) is rejected here,
            // so no two parsers can disagree about where a field ends: a request is
            // answered 400 (a server MUST reject or unfold), and a response is unfolded
            // by `parse_response` (a user agent MUST replace it with SP) and read again.
            // RFC 9112 2.2: whitespace before the first field line is rejected too.
            b' ' | b'\t' => return Err((ErrorKind::ObsFold, pos)),
            _ => {}
        }
        let i = pos
            + h[pos..]
                .iter()
                .position(|&c| !is_token(c))
                .unwrap_or(h.len() - pos);
        match at(i) {
            b':' if i > pos => {}
            b' ' | b'\t' if i > pos => {
                let mut k = i;
                while matches!(at(k), b' ' | b'\t') {
                    k += 1;
                }
                // RFC 9112 5.1: no whitespace between field name and colon; a server
                // MUST reject such a request with 400, a proxy MUST remove it.
                let kind = if at(k) == b':' {
                    ErrorKind::WhitespaceBeforeColon
                } else {
                    ErrorKind::InvalidHeaderName
                };
                return Err((kind, if at(k) == b':' { k - 1 } else { i }));
            }
            // RFC 9112 2.2: a CR that does not end the line is a bare CR.
            b'\r' if at(i + 1) != b'\n' => return Err((ErrorKind::BareCr, i)),
            _ => {
                return Err((
                    ErrorKind::InvalidHeaderName,
                    if at(i) == b':' { pos } else { i },
                ))
            }
        }
        let name = &h[pos..i];
        let mut vstart = i + 1;
        while matches!(at(vstart), b' ' | b'\t') {
            vstart += 1;
        }
        // RFC 9110 5.5: CR, LF and NUL MUST be rejected (or replaced); other controls
        // are not field-vchar either. The first such byte must start the line end.
        let end = vstart + first_invalid_value_byte(&h[vstart..]).unwrap_or(h.len() - vstart);
        let next = match (at(end), at(end + 1)) {
            (b'\r', b'\n') => end + 2,
            (b'\n', _) if limits.allow_bare_lf => end + 1,
            (b'\n', _) => return Err((ErrorKind::BareLf, end)),
            (b'\r', _) => return Err((ErrorKind::BareCr, end)),
            _ => return Err((ErrorKind::InvalidHeaderValue, end)),
        };
        let value = trim_ows(&h[vstart..end]);
        note_field(info, name, value, pos)?;
        spans.push(Span {
            name: pos as u32,
            name_len: (i - pos) as u32,
            value: vstart as u32,
            value_len: value.len() as u32,
        });
        pos = next;
    }
}

/// Records what a framing- or connection-relevant field says.
#[inline]
fn note_field(info: &mut HeadInfo, name: &[u8], value: &[u8], at: usize) -> Result<(), Fail> {
    match name.len() {
        4 if name.eq_ignore_ascii_case(b"host") => info.host_count += 1,
        6 if name.eq_ignore_ascii_case(b"expect") => {
            info.expect_continue |= value.eq_ignore_ascii_case(b"100-continue")
        }
        7 if name.eq_ignore_ascii_case(b"upgrade") => info.upgrade = true,
        10 if name.eq_ignore_ascii_case(b"connection") => {
            for t in value.split(|&c| c == b',').map(trim_ows) {
                info.conn_close |= t.eq_ignore_ascii_case(b"close");
                info.conn_keep_alive |= t.eq_ignore_ascii_case(b"keep-alive");
                info.conn_upgrade |= t.eq_ignore_ascii_case(b"upgrade");
            }
        }
        14 if name.eq_ignore_ascii_case(b"content-length") => {
            // RFC 9110 8.6: Content-Length = 1*DIGIT. A list of identical values (from
            // duplicated fields or a comma list) MAY be accepted; anything else is
            // invalid framing (RFC 9112 6.3 item 5).
            for element in value.split(|&c| c == b',') {
                let n = parse_decimal(trim_ows(element))
                    .ok_or((ErrorKind::InvalidContentLength, at))?;
                match info.content_length {
                    Some(m) if m != n => return Err((ErrorKind::ConflictingContentLength, at)),
                    _ => info.content_length = Some(n),
                }
            }
        }
        17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
            if !info.te_present {
                info.te_offset = at;
            }
            info.te_present = true;
            // transfer-coding list, empty elements allowed (RFC 9110 5.6.1); parameters
            // after ";" do not change which coding it is.
            for element in value.split(|&c| c == b',') {
                let element = trim_ows(element);
                if element.is_empty() {
                    continue;
                }
                let coding = trim_ows(element.split(|&c| c == b';').next().unwrap_or(b""));
                let chunked = coding.eq_ignore_ascii_case(b"chunked");
                info.te_chunked_count += u32::from(chunked);
                info.te_last_chunked = chunked;
            }
        }
        _ => {}
    }
    Ok(())
}

/// 1*DIGIT without sign, spaces or overflow.
pub(crate) fn parse_decimal(b: &[u8]) -> Option<u64> {
    if b.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

/// How a request's body is delimited (RFC 9112 section 6.3 items 3, 4, 6).
#[inline]
pub(crate) fn request_body(version: Version, info: &HeadInfo) -> Result<BodyKind, Fail> {
    if info.te_present {
        let at = info.te_offset;
        // 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
        if version == Version::Http10 {
            return Err((ErrorKind::TransferEncodingInHttp10, at));
        }
        // 6.1 and 11.2: both framing fields is the smuggling pattern; rejected outright.
        if info.content_length.is_some() {
            return Err((ErrorKind::ContentLengthWithTransferEncoding, at));
        }
        // 7 / 6.1: chunked MUST NOT be applied more than once.
        if info.te_chunked_count > 1 {
            return Err((ErrorKind::ChunkedTwice, at));
        }
        // 6.3 item 4: a request whose final coding is not chunked MUST get 400.
        if !info.te_last_chunked {
            return Err((ErrorKind::TransferEncodingNotChunked, at));
        }
        return Ok(BodyKind::Chunked);
    }
    Ok(match info.content_length {
        Some(0) | None => BodyKind::Empty,
        Some(n) => BodyKind::Length(n),
    })
}

/// How a response's body is delimited (RFC 9112 section 6.3), given the request method.
/// The second value is false when the connection cannot be reused afterwards.
#[inline]
pub(crate) fn response_body(
    version: Version,
    status: StatusCode,
    info: &HeadInfo,
    method: &Method,
) -> Result<(BodyKind, bool), Fail> {
    let code = status.as_u16();
    // 6.3 item 1: HEAD, 1xx, 204 and 304 responses end at the empty line.
    if code == 101 {
        return Ok((BodyKind::Tunnel, true));
    }
    if status.is_informational() || code == 204 || code == 304 || *method == Method::Head {
        return Ok((BodyKind::Empty, true));
    }
    // 6.3 item 2: a 2xx to CONNECT makes the connection a tunnel.
    if *method == Method::Connect && status.is_success() {
        return Ok((BodyKind::Tunnel, true));
    }
    if info.te_present {
        let at = info.te_offset;
        if version == Version::Http10 {
            return Err((ErrorKind::TransferEncodingInHttp10, at));
        }
        if info.te_chunked_count > 1 {
            return Err((ErrorKind::ChunkedTwice, at));
        }
        // 6.3 item 3: Transfer-Encoding overrides Content-Length, and the connection
        // MUST NOT be reused after such a message; item 4: a final coding other than
        // chunked in a response is read until close.
        let reuse = info.content_length.is_none();
        return Ok(if info.te_last_chunked {
            (BodyKind::Chunked, reuse)
        } else {
            (BodyKind::CloseDelimited, false)
        });
    }
    Ok(match info.content_length {
        Some(0) => (BodyKind::Empty, true),
        Some(n) => (BodyKind::Length(n), true),
        // 6.3 item 8: neither field: the body runs until the connection closes.
        None => (BodyKind::CloseDelimited, false),
    })
}

/// The framing facts of a locally built header section.
pub(crate) fn info_of(headers: &Headers) -> Result<HeadInfo, Fail> {
    let mut info = HeadInfo::default();
    for (n, v) in headers.iter() {
        note_field(&mut info, n, v, 0)?;
    }
    Ok(info)
}

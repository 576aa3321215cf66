//! The framing decision (RFC 9112 section 6.3) and connection persistence (section 9.3):
//! what the framing fields of a head say, and how its body is therefore delimited.

use super::chars::eq_lower;
use super::error::{ErrorKind, Fail};
use super::head::{Method, StatusCode, Version};
use super::headers::{trim_ows, Headers};

/// What the framing and connection decisions need, gathered during the field pass.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HeadInfo {
    pub content_length: Option<u64>,
    pub te_present: bool,
    pub te_chunked_count: u32,
    pub te_last_chunked: bool,
    /// Offset of the first Transfer-Encoding line, for error reports.
    pub te_offset: usize,
    /// Offset of the first Content-Length line, for error reports.
    pub cl_offset: usize,
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
        // 1.0 closes unless asked to keep alive; 1.1 and every later minor persists.
        !version.is_http10() || self.conn_keep_alive
    }
}

/// How the body of a message is delimited (RFC 9112 section 6.3).
///
/// ```
/// use wirestate::http::BodyKind;
/// assert_ne!(BodyKind::Length(3), BodyKind::Chunked);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
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

/// RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host field
/// and to any request with more than one.
pub(crate) fn check_host(version: Version, info: &HeadInfo) -> Result<(), Fail> {
    if info.host_count > 1 || (!version.is_http10() && info.host_count == 0) {
        return Err((ErrorKind::BadHost, 0));
    }
    Ok(())
}

/// Records what a framing- or connection-relevant field says.
///
/// Inlined into the field pass: length and first letter (ASCII-lowercased) pick the one
/// name that can match, so most fields (User-Agent is as long as Connection,
/// Accept-Charset as Content-Length) cost a jump and no compare; only the few fields
/// that matter go on to [`note_framing_field`].
#[inline(always)]
pub(crate) fn note_field(
    info: &mut HeadInfo,
    name: &[u8],
    value: &[u8],
    at: usize,
) -> Result<(), Fail> {
    let first = name.first().map_or(0, |c| c | 0x20);
    match (name.len(), first) {
        (4, b'h') if eq_lower(name, b"host") => info.host_count += 1,
        (6, b'e') | (7, b'u') | (10, b'c') | (14, b'c') | (17, b't') => {
            return note_framing_field(info, name, value, at)
        }
        _ => {}
    }
    Ok(())
}

/// The rest of [`note_field`]: Expect, Upgrade, Connection, Content-Length and
/// Transfer-Encoding.
#[inline(never)]
fn note_framing_field(
    info: &mut HeadInfo,
    name: &[u8],
    value: &[u8],
    at: usize,
) -> Result<(), Fail> {
    if eq_lower(name, b"expect") {
        info.expect_continue |= eq_lower(value, b"100-continue");
    } else if eq_lower(name, b"upgrade") {
        info.upgrade = true;
    } else if eq_lower(name, b"connection") {
        // Nearly every Connection field holds one option: the whole value is compared
        // first, and only a value that is not one known option is walked as a list.
        if !note_connection_option(info, value) {
            for t in value.split(|&c| c == b',').map(trim_ows) {
                note_connection_option(info, t);
            }
        }
    } else if eq_lower(name, b"content-length") {
        // RFC 9110 8.6: Content-Length = 1*DIGIT. A list of identical values (from
        // duplicated fields or a comma list) MAY be accepted; anything else is
        // invalid framing (RFC 9112 6.3 item 5).
        for element in value.split(|&c| c == b',') {
            let n =
                parse_decimal(trim_ows(element)).ok_or((ErrorKind::InvalidContentLength, at))?;
            match info.content_length {
                Some(m) if m != n => return Err((ErrorKind::ConflictingContentLength, at)),
                Some(_) => {}
                None => {
                    info.content_length = Some(n);
                    info.cl_offset = at;
                }
            }
        }
    } else if eq_lower(name, b"transfer-encoding") {
        if !info.te_present {
            info.te_offset = at;
        }
        info.te_present = true;
        // Nearly every Transfer-Encoding field is `chunked` alone: compared whole first.
        if eq_lower(value, b"chunked") {
            info.te_chunked_count += 1;
            info.te_last_chunked = true;
            return Ok(());
        }
        // transfer-coding list, empty elements allowed (RFC 9110 5.6.1); parameters
        // after ";" do not change which coding it is.
        for element in value.split(|&c| c == b',') {
            let element = trim_ows(element);
            if element.is_empty() {
                continue;
            }
            let coding = trim_ows(element.split(|&c| c == b';').next().unwrap_or(b""));
            let chunked = eq_lower(coding, b"chunked");
            info.te_chunked_count += u32::from(chunked);
            info.te_last_chunked = chunked;
        }
    }
    Ok(())
}

/// Records a connection option (RFC 9110 7.6.1) that changes the framing or the
/// connection; whether `t` was one.
#[inline(always)]
fn note_connection_option(info: &mut HeadInfo, t: &[u8]) -> bool {
    match t.len() {
        5 if eq_lower(t, b"close") => info.conn_close = true,
        10 if eq_lower(t, b"keep-alive") => info.conn_keep_alive = true,
        7 if eq_lower(t, b"upgrade") => info.conn_upgrade = true,
        _ => return false,
    }
    true
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

/// How a request's body is delimited (RFC 9112 section 6.3 items 3, 4, 6); `connect`
/// says the method is CONNECT.
#[inline]
pub(crate) fn request_body(
    version: Version,
    info: &HeadInfo,
    connect: bool,
) -> Result<BodyKind, Fail> {
    // RFC 9110 9.3.6: a CONNECT request message does not have content. Reading framing
    // fields on one would start the tunnel after a "body" that another hop sends on as
    // tunnel bytes, so the request is refused (a zero length says no content and is
    // harmless); the bytes after the head are the client's first tunnel bytes, whenever
    // the caller answers.
    if connect {
        if info.te_present {
            return Err((ErrorKind::FramingInConnect, info.te_offset));
        }
        if info.content_length.is_some_and(|n| n > 0) {
            return Err((ErrorKind::FramingInConnect, info.cl_offset));
        }
        return Ok(BodyKind::Empty);
    }
    if info.te_present {
        let at = info.te_offset;
        // 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
        if version.is_http10() {
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
        if version.is_http10() {
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

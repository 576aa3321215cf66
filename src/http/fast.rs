//! The one-pass fast path the buffered parser and the machines try first.
//!
//! It parses a head in a single pass over its bytes, finding the empty line as it goes
//! instead of scanning for it first. It answers only when the head is complete and
//! within every limit; anything else (a partial head, an error, a limit reached) goes to
//! the resumable scanner path, which gives the exact error and offset. So the result
//! never differs from the scanner path, and a slow head is still looked at once per
//! read, not once per byte.

use super::chars::{first_invalid_value_byte, first_non_token, first_non_vchar};
use super::config::Limits;
use super::framing::{check_host, HeadInfo};
use super::grammar::{fields_into, form_fits_method, FieldSink, RequestLine, StatusLine};
use super::head::{classify_form, StatusCode, TargetForm, Version};

/// The request line read straight through, without first searching for its end:
/// accepts exactly what [`request_line`] accepts, and gives up (`None`) on anything
/// else, leaving the error to it.
#[inline]
fn fast_request_line(h: &[u8], limits: &Limits) -> Option<RequestLine> {
    // method = token, then one SP (RFC 9112 3). GET and POST, nearly every request's,
    // are matched as one word; any other method is scanned.
    let sp1 = match h
        .get(..4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    {
        Some(w) if w == u32::from_le_bytes(*b"GET ") => 3,
        Some(w) if w == u32::from_le_bytes(*b"POST") && h.get(4) == Some(&b' ') => 4,
        _ => {
            let sp1 = first_non_token(h)?;
            if sp1 == 0 || h[sp1] != b' ' {
                return None;
            }
            sp1
        }
    };
    // request-target: VCHARs up to the second SP (RFC 9112 3.2).
    let t = sp1 + 1;
    let sp2 = t + first_non_vchar(h.get(t..)?)?;
    if sp2 == t || h[sp2] != b' ' {
        return None;
    }
    // Nearly every target is in origin form; the others are told apart out of line.
    let form = if h[t] == b'/' {
        TargetForm::Origin
    } else {
        classify_form(&h[t..sp2]).ok()?
    };
    let end = sp2 + 9;
    // The version as one 8-byte word.
    let version: [u8; 8] = h.get(sp2 + 1..end)?.try_into().ok()?;
    let version = match u64::from_le_bytes(version) {
        v if v == u64::from_le_bytes(*b"HTTP/1.1") => Version::HTTP_11,
        v if v == u64::from_le_bytes(*b"HTTP/1.0") => Version::HTTP_10,
        _ => return None,
    };
    let next = match h.get(end..end + 2)? {
        b"\r\n" => end + 2,
        [b'\n', _] if limits.allow_bare_lf => end + 1,
        _ => return None,
    };
    form_fits_method(form, &h[..sp1]).then_some(RequestLine {
        sp1,
        sp2,
        form,
        version,
        end,
        next,
    })
}

/// One pass over `h`: a complete request head within every limit, or `None`.
#[inline]
pub(crate) fn fast_request(
    h: &[u8],
    limits: &Limits,
    spans: &mut impl FieldSink,
) -> Option<(RequestLine, HeadInfo, usize)> {
    let rl = fast_request_line(h, limits)?;
    if rl.end > limits.max_request_line {
        return None;
    }
    let mut info = HeadInfo::default();
    let len = fields_into(h, rl.next, limits, spans, &mut info).ok()?;
    if len > limits.max_head || spans.count() > limits.max_headers {
        return None;
    }
    check_host(rl.version, &info).ok()?;
    Some((rl, info, len))
}

/// The status line read straight through; like [`fast_request_line`], it accepts
/// exactly what [`status_line`] accepts or gives up.
#[inline]
fn fast_status_line(h: &[u8], limits: &Limits) -> Option<StatusLine> {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4).
    let (version, code) = match h.get(..12)? {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor, b' ', d1, d2, d3] => {
            let version = match minor {
                b'1' => Version::HTTP_11,
                b'0' => Version::HTTP_10,
                _ => return None,
            };
            if !(d1.is_ascii_digit() && d2.is_ascii_digit() && d3.is_ascii_digit()) {
                return None;
            }
            let code = u16::from(d1 - b'0') * 100 + u16::from(d2 - b'0') * 10;
            (version, code + u16::from(d3 - b'0'))
        }
        _ => return None,
    };
    let status = StatusCode::new(code).ok()?;
    // The SP before an empty reason may be missing: then the line ends right here.
    let reason = match h.get(12)? {
        b' ' => 13,
        b'\r' | b'\n' => 12,
        _ => return None,
    };
    let end = reason + first_invalid_value_byte(h.get(reason..)?)?;
    let next = match h.get(end..end + 2)? {
        b"\r\n" => end + 2,
        [b'\n', _] if limits.allow_bare_lf => end + 1,
        _ => return None,
    };
    Some(StatusLine {
        version,
        status,
        reason,
        end,
        next,
    })
}

/// One pass over `h`: a complete response head within every limit, or `None`.
#[inline]
pub(crate) fn fast_response(
    h: &[u8],
    limits: &Limits,
    spans: &mut impl FieldSink,
) -> Option<(StatusLine, HeadInfo, usize)> {
    let sl = fast_status_line(h, limits)?;
    let mut info = HeadInfo::default();
    let len = fields_into(h, sl.next, limits, spans, &mut info).ok()?;
    if len > limits.max_head || spans.count() > limits.max_headers {
        return None;
    }
    Some((sl, info, len))
}

//! The head grammar: one pass over a complete head that validates every byte, records
//! field offsets, and gathers what the framing decision needs (RFC 9112 sections 2 to 5).
//!
//! Hand-written rather than nom on purpose: the field pass is a memchr for each line end
//! and a 16-byte chunk check for each byte class.

use super::chars::{first_invalid_value_byte, first_non_token};
use super::config::Limits;
use super::error::{ErrorKind, Fail};
use super::fold::unfold_fields;
use super::framing::{check_host, note_field, HeadInfo};
use super::head::{
    classify_form, Method, RequestHead, RequestTarget, ResponseHead, StatusCode, TargetForm,
    Version,
};
use super::headers::{Headers, Span};
use bytes::{Bytes, BytesMut};
use memchr::memchr;

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

/// `HTTP/1.x`, its minor digit kept (a higher minor follows 1.1's rules, RFC 9110 2.5).
fn parse_version(b: &[u8], at: usize) -> Result<Version, Fail> {
    match b {
        b"HTTP/1.1" => Ok(Version::HTTP_11),
        b"HTTP/1.0" => Ok(Version::HTTP_10),
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            if *major == b'1' {
                Version::http1(minor - b'0').ok_or((ErrorKind::InvalidVersion, at))
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

/// The authority form belongs to CONNECT and only to it (RFC 9112 3.2.3); the asterisk
/// form only to OPTIONS (3.2.4).
#[inline]
pub(crate) fn form_fits_method(form: TargetForm, method: &[u8]) -> bool {
    match form {
        TargetForm::Authority => method == b"CONNECT",
        TargetForm::Asterisk => method == b"OPTIONS",
        _ => method != b"CONNECT",
    }
}

/// Reads and checks the request line at the start of `head`.
pub(crate) fn request_line(head: &[u8], limits: &Limits) -> Result<RequestLine, Fail> {
    let (end, next) = line_at(head, 0, limits.allow_bare_lf)?;
    let line = &head[..end];
    // request-line = method SP request-target SP HTTP-version (RFC 9112 3): one SP each.
    // The method is read as a token, the target as VCHARs, each up to its SP.
    let sp1 = first_non_token(line).unwrap_or(line.len());
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
    if !form_fits_method(form, &line[..sp1]) {
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

/// The owned request head over `head`, from offsets already checked; its `fields`
/// validated field lines start at `rl.next` and are read where they are (no list of
/// offsets is built, so this allocates nothing).
#[inline]
pub(crate) fn build_request(head: Bytes, rl: &RequestLine, fields: usize) -> RequestHead {
    RequestHead {
        method: Method::from_shared(&head, 0, rl.sp1),
        target: RequestTarget::from_parts(head.slice(rl.sp1 + 1..rl.sp2), rl.form),
        version: rl.version,
        headers: Headers::from_wire(head, rl.next, fields),
    }
}

/// Parses a request head (all of `head`, as the scanner delimited it).
pub(crate) fn parse_request(head: Bytes, limits: &Limits) -> Result<(RequestHead, HeadInfo), Fail> {
    let rl = request_line(&head, limits)?;
    let mut fields = Count(0);
    let mut info = HeadInfo::default();
    fields_into(&head, rl.next, limits, &mut fields, &mut info)?;
    check_host(rl.version, &info)?;
    Ok((build_request(head, &rl, fields.0), info))
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

/// The owned response head over `head`, from offsets already checked; like
/// [`build_request`], its `fields` field lines are read where they are.
#[inline]
pub(crate) fn build_response(head: Bytes, sl: &StatusLine, fields: usize) -> ResponseHead {
    ResponseHead {
        version: sl.version,
        status: sl.status,
        reason: head.slice(sl.reason..sl.end),
        headers: Headers::from_wire(head, sl.next, fields),
    }
}

/// Parses a response head (all of `head`, as the scanner delimited it), replacing each obs-fold
/// with SP first if it has any (RFC 9112 5.2, see [`unfold_fields`]).
pub(crate) fn parse_response(
    head: Bytes,
    limits: &Limits,
) -> Result<(ResponseHead, HeadInfo), Fail> {
    let sl = status_line(&head, limits)?;
    let mut fields = Count(0);
    let mut info = HeadInfo::default();
    let head = match fields_into(&head, sl.next, limits, &mut fields, &mut info) {
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
            fields_into(&head, sl.next, limits, &mut fields, &mut info)?;
            head
        }
    };
    Ok((build_response(head, &sl, fields.0), info))
}

/// Parses field lines from `pos` up to the empty line. `n` is how many the scanner saw;
/// the field pass counts them itself.
pub(crate) fn parse_fields(
    head: Bytes,
    pos: usize,
    n: usize,
    limits: &Limits,
) -> Result<(Headers, HeadInfo), Fail> {
    let _ = n;
    let mut fields = Count(0);
    let mut info = HeadInfo::default();
    fields_into(&head, pos, limits, &mut fields, &mut info)?;
    Ok((Headers::from_wire(head, pos, fields.0), info))
}

/// Where the field pass puts each field line it has checked.
pub(crate) trait FieldSink {
    /// Forgets what an earlier head left.
    fn clear(&mut self);
    /// One more checked field line.
    fn push(&mut self, span: Span);
    /// Field lines so far.
    fn count(&self) -> usize;
}

/// The slice API keeps every line's offsets, for [`HeadParser::fields`](super::HeadParser).
impl FieldSink for alloc::vec::Vec<Span> {
    #[inline]
    fn clear(&mut self) {
        alloc::vec::Vec::clear(self);
    }
    #[inline]
    fn push(&mut self, span: Span) {
        alloc::vec::Vec::push(self, span);
    }
    #[inline]
    fn count(&self) -> usize {
        self.len()
    }
}

/// An owned head only counts its lines: [`Headers`] reads them where they are.
pub(crate) struct Count(pub usize);

impl FieldSink for Count {
    #[inline]
    fn clear(&mut self) {
        self.0 = 0;
    }
    #[inline]
    fn push(&mut self, _: Span) {
        self.0 += 1;
    }
    #[inline]
    fn count(&self) -> usize {
        self.0
    }
}

/// Parses field lines of `h` from `pos` up to and including the empty line, appending
/// one span per field to `spans` (cleared first) and what framing needs to `info`
/// (written in place: returned by value it cost a store-forwarding stall per head).
/// Returns where the head ends. Running out of input before the empty line is an error, so a caller
/// that has not scanned for the end first must treat any error as "ask the resumable
/// path".
#[inline]
pub(crate) fn fields_into(
    h: &[u8],
    mut pos: usize,
    limits: &Limits,
    spans: &mut impl FieldSink,
    info: &mut HeadInfo,
) -> Result<usize, Fail> {
    spans.clear();
    // One pass per line, no delimiter searches: the name is read with the token check up
    // to its colon, the value with the value-byte check up to the first byte that is
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
        let i = pos + first_non_token(&h[pos..]).unwrap_or(h.len() - pos);
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
        // One SP after the colon is the rule in practice: passed over without a branch,
        // and any further OWS by the loop.
        let mut vstart = i + 1 + usize::from(at(i + 1) == b' ');
        while matches!(at(vstart), b' ' | b'\t') {
            vstart += 1;
        }
        // RFC 9110 5.5: CR, LF and NUL MUST be rejected (or replaced); other controls
        // are not field-vchar either. The first such byte must start the line end.
        let end = vstart + first_invalid_value_byte(&h[vstart..]).unwrap_or(h.len() - vstart);
        // CRLF compared as one two-byte word; anything else is told apart out of line.
        let next = match h
            .get(end..end + 2)
            .map(|w| u16::from_le_bytes([w[0], w[1]]))
        {
            Some(w) if w == u16::from_le_bytes(*b"\r\n") => end + 2,
            _ => match (at(end), at(end + 1)) {
                (b'\n', _) if limits.allow_bare_lf => end + 1,
                (b'\n', _) => return Err((ErrorKind::BareLf, end)),
                (b'\r', _) => return Err((ErrorKind::BareCr, end)),
                _ => return Err((ErrorKind::InvalidHeaderValue, end)),
            },
        };
        // Leading OWS is skipped above; trailing OWS is rare, so it is looked for only
        // when the byte before the line end is at or below SP: in a value that can
        // only be SP or HTAB (or, for an empty value, the SP skipped before it, which
        // the loop stops at).
        let mut vend = end;
        if h.get(end.wrapping_sub(1)).is_some_and(|&c| c <= b' ') {
            while vend > vstart && matches!(h[vend - 1], b' ' | b'\t') {
                vend -= 1;
            }
        }
        let value = &h[vstart..vend];
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

//! Message bodies: the chunked decoder (RFC 9112 section 7.1), the length and
//! close-delimited readers, and the encoder that refuses to send more or fewer bytes
//! than the head declared.

use super::config::Limits;
use super::error::rules::{self, invalid};
use super::error::{Error, ErrorKind};
use super::grammar::parse_fields;
use super::headers::Headers;
use super::scan::{HeadScanner, Scan};
use crate::buffer::RecvBuffer;
use crate::SendError;
use alloc::collections::VecDeque;
use bytes::{Bytes, BytesMut};
use memchr::memchr;

/// One step of a decoded body.
///
/// ```
/// use wirestate::http::BodyEvent;
/// let e = BodyEvent::Data(bytes::Bytes::from_static(b"hi"));
/// assert!(matches!(e, BodyEvent::Data(_)));
/// ```
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyEvent {
    /// Body bytes, a zero-copy slice of the receive buffer.
    Data(Bytes),
    /// The chunk extensions of the next chunk, from the first `;` to the line end
    /// (RFC 9112 7.1.1), bounded by [`Limits::max_chunk_ext`]. Only sent when present.
    Extension(Bytes),
    /// The body is complete; the trailer section (empty unless chunked with trailers).
    End(Headers),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChunkState {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// Streaming decoder of the chunked transfer coding (RFC 9112 section 7.1).
///
/// Strict on every rule that lets two parsers disagree about where a body ends: the
/// chunk-size is 1*HEXDIG (an empty size line is an error, not 0), bounded in digits and
/// checked for overflow; every line ends in CRLF, never a bare LF or CR, extensions
/// included; extensions follow the `;name[=token|quoted-string]` grammar and are bounded;
/// chunk data is followed by exactly CRLF; trailers may not carry framing fields.
///
/// ```
/// use wirestate::buffer::RecvBuffer;
/// use wirestate::http::{BodyEvent, ChunkedDecoder, Limits};
///
/// let mut buf = RecvBuffer::new(1024);
/// buf.push(b"5;sig=abc\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n").unwrap();
/// let mut dec = ChunkedDecoder::new(&Limits::default());
/// let mut events = Vec::new();
/// while let Some(e) = dec.decode(&mut buf) {
///     events.push(e.unwrap());
/// }
/// assert_eq!(events[0], BodyEvent::Extension(bytes::Bytes::from_static(b";sig=abc")));
/// assert_eq!(events[1], BodyEvent::Data(bytes::Bytes::from_static(b"hello")));
/// assert!(matches!(&events[2], BodyEvent::End(t) if t.get(b"x-sum") == Some(&b"1"[..])));
/// assert!(dec.is_done());
/// ```
#[derive(Clone, Debug)]
pub struct ChunkedDecoder {
    state: ChunkState,
    scanner: HeadScanner,
    limits: Limits,
}

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body.
    ///
    /// ```
    /// let d = wirestate::http::ChunkedDecoder::new(&wirestate::http::Limits::default());
    /// assert!(!d.is_done());
    /// ```
    pub fn new(limits: &Limits) -> ChunkedDecoder {
        ChunkedDecoder {
            state: ChunkState::Size,
            scanner: HeadScanner::default(),
            limits: *limits,
        }
    }

    /// True once the last chunk and trailer section have been decoded.
    ///
    /// ```
    /// let d = wirestate::http::ChunkedDecoder::new(&wirestate::http::Limits::default());
    /// assert!(!d.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Decodes the next event from the front of `buf`, consuming what it used.
    /// `None` means more input is needed (or the body is done). After an error the
    /// decoder is stuck: framing is lost.
    ///
    /// ```
    /// use wirestate::buffer::RecvBuffer;
    /// use wirestate::http::{ChunkedDecoder, ErrorKind, Limits};
    /// let mut buf = RecvBuffer::new(64);
    /// buf.push(b"\r\n").unwrap(); // an empty chunk-size line
    /// let err = ChunkedDecoder::new(&Limits::default()).decode(&mut buf).unwrap().unwrap_err();
    /// assert_eq!(err.kind, ErrorKind::InvalidChunkSize);
    /// ```
    #[must_use = "decoded bytes are consumed from the buffer: handle them"]
    pub fn decode(&mut self, buf: &mut RecvBuffer) -> Option<Result<BodyEvent, Error>> {
        // A loop rather than a call per state: a chunk's size line, data and closing
        // CRLF are usually all here, and each state that produces no event falls
        // straight through to the next.
        loop {
            let base = buf.consumed();
            let fail = |(kind, at): (ErrorKind, usize)| {
                Some(Err(Error {
                    kind,
                    offset: base + at as u64,
                }))
            };
            match self.state {
                ChunkState::Done => return None,
                ChunkState::Size => {
                    let (size, ext, line_len) = match self.size_line(buf.as_slice()) {
                        Ok(Some(v)) => v,
                        Ok(None) => return None,
                        Err(e) => {
                            self.state = ChunkState::Done;
                            return fail(e);
                        }
                    };
                    self.state = if size == 0 {
                        ChunkState::Trailers
                    } else {
                        ChunkState::Data(size)
                    };
                    if ext.0 < ext.1 {
                        let line = buf.take(line_len);
                        return Some(Ok(BodyEvent::Extension(line.slice(ext.0..ext.1))));
                    }
                    buf.discard(line_len);
                }
                ChunkState::Data(left) => {
                    if buf.is_empty() {
                        return None;
                    }
                    let n = (buf.len() as u64).min(left);
                    // RFC 9112 7.1: chunk-data CRLF. When the CRLF after the last of the
                    // data is already here it is consumed with the data, so a chunk costs
                    // one call; anything else is left for `DataEnd` to judge after the
                    // data is handed out, as when it arrives later.
                    let crlf_here = n == left
                        && buf.as_slice().get(n as usize..n as usize + 2) == Some(&b"\r\n"[..]);
                    self.state = if crlf_here {
                        ChunkState::Size
                    } else if n == left {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left - n)
                    };
                    let data = buf.take(n as usize);
                    if crlf_here {
                        buf.discard(2);
                    }
                    return Some(Ok(BodyEvent::Data(data)));
                }
                ChunkState::DataEnd => {
                    // RFC 9112 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
                    let b = buf.as_slice();
                    let bad = match b {
                        [] | [b'\r'] => return None,
                        [b'\r', b'\n', ..] => None,
                        [b'\r', ..] => Some(1),
                        _ => Some(0),
                    };
                    if let Some(at) = bad {
                        self.state = ChunkState::Done;
                        return fail((ErrorKind::MissingChunkCrlf, at));
                    }
                    buf.discard(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => return self.trailers(buf),
            }
        }
    }

    /// The trailer section after the last chunk (RFC 9112 7.1.2), which ends the body.
    /// Once per body, so kept out of the per-chunk path.
    #[inline(never)]
    fn trailers(&mut self, buf: &mut RecvBuffer) -> Option<Result<BodyEvent, Error>> {
        let base = buf.consumed();
        let fail = |(kind, at): (ErrorKind, usize)| {
            Some(Err(Error {
                kind,
                offset: base + at as u64,
            }))
        };
        // Nearly every chunked body ends with no trailer fields: the empty line alone
        // ends it, with nothing to scan or keep.
        let empty = match buf.as_slice() {
            [b'\r', b'\n', ..] => 2,
            [b'\n', ..] if self.limits.allow_bare_lf => 1,
            _ => 0,
        };
        if empty > 0 && self.scanner == HeadScanner::default() {
            buf.discard(empty);
            self.state = ChunkState::Done;
            return Some(Ok(BodyEvent::End(Headers::new())));
        }
        let (len, lines) = match self.scanner.scan(buf.as_slice(), &self.limits, None) {
            Ok(Scan::Complete { len, lines }) => (len, lines),
            Ok(Scan::Partial) => return None,
            Err(e) => {
                self.state = ChunkState::Done;
                return fail(e);
            }
        };
        self.state = ChunkState::Done;
        let section = buf.take(len);
        let (trailers, info) = match parse_fields(section, 0, lines - 1, &self.limits) {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        // RFC 9110 6.5.1: fields that frame the message cannot be trailers; a
        // Content-Length or Transfer-Encoding here would be read by a naive
        // merger as framing for the next message.
        if info.te_present || info.content_length.is_some() {
            return fail((ErrorKind::ForbiddenTrailer, 0));
        }
        let forbidden = trailers.iter().any(|(n, _)| {
            n.eq_ignore_ascii_case(b"content-length")
                || n.eq_ignore_ascii_case(b"transfer-encoding")
        });
        if forbidden {
            return fail((ErrorKind::ForbiddenTrailer, 0));
        }
        Some(Ok(BodyEvent::End(trailers)))
    }

    /// Parses a complete chunk-size line: (size, extension span, line length).
    #[allow(clippy::type_complexity)]
    fn size_line(
        &self,
        b: &[u8],
    ) -> Result<Option<(u64, (usize, usize), usize)>, (ErrorKind, usize)> {
        let max_digits = self.limits.max_chunk_size_digits;
        // The common line, hex digits and CRLF, read directly: no search for the LF and
        // no second look at the digits. Up to 15 digits cannot overflow a u64; anything
        // else takes the general path below, which accepts the same lines.
        let mut size: u64 = 0;
        for (i, &c) in b.iter().enumerate().take(max_digits.min(15) + 1) {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                b'\r' if i > 0 && b.get(i + 1) == Some(&b'\n') => {
                    return Ok(Some((size, (i, i), i + 2)));
                }
                _ => break,
            };
            size = size << 4 | u64::from(d);
        }
        self.size_line_checked(b)
    }

    /// [`ChunkedDecoder::size_line`] for any line: extensions, limits, errors. Out of
    /// line, as the common digits-and-CRLF line never comes here.
    #[allow(clippy::type_complexity)]
    #[inline(never)]
    fn size_line_checked(
        &self,
        b: &[u8],
    ) -> Result<Option<(u64, (usize, usize), usize)>, (ErrorKind, usize)> {
        let max_digits = self.limits.max_chunk_size_digits;
        let max_line = max_digits
            .saturating_add(self.limits.max_chunk_ext)
            .saturating_add(2);
        let lf = memchr(b'\n', &b[..b.len().min(max_line)]);
        let Some(lf) = lf else {
            if b.len() < max_line {
                return Ok(None);
            }
            // The same verdict whether the line arrived whole or is still arriving: only
            // the first `max_line` bytes are looked at.
            let digits = b.iter().take_while(|c| c.is_ascii_hexdigit()).count();
            return Err(if digits > max_digits {
                (
                    ErrorKind::ChunkSizeTooLong { limit: max_digits },
                    max_digits,
                )
            } else {
                let limit = self.limits.max_chunk_ext;
                (ErrorKind::ChunkExtensionTooLong { limit }, digits + limit)
            });
        };
        // Every chunk line ends in CRLF; a bare LF here is the CVE-2025-22871 pattern.
        if lf == 0 || b[lf - 1] != b'\r' {
            return Err((ErrorKind::BareLf, lf));
        }
        let line = &b[..lf - 1];
        if let Some(p) = memchr(b'\r', line) {
            return Err((ErrorKind::BareCr, p));
        }
        let digits = line.iter().take_while(|c| c.is_ascii_hexdigit()).count();
        if digits == 0 {
            return Err((ErrorKind::InvalidChunkSize, 0));
        }
        if digits > max_digits {
            return Err((
                ErrorKind::ChunkSizeTooLong { limit: max_digits },
                max_digits,
            ));
        }
        let mut size: u64 = 0;
        for &c in &line[..digits] {
            let d = (c as char).to_digit(16).unwrap_or(0);
            size = size
                .checked_mul(16)
                .and_then(|s| s.checked_add(u64::from(d)))
                .ok_or((ErrorKind::ChunkSizeOverflow, 0))?;
        }
        let ext = &line[digits..];
        if ext.len() > self.limits.max_chunk_ext {
            let limit = self.limits.max_chunk_ext;
            return Err((ErrorKind::ChunkExtensionTooLong { limit }, digits + limit));
        }
        if let Some(at) = check_chunk_ext(ext) {
            // Something other than an extension right after the digits: a bad size.
            let kind = if at == 0 && !matches!(ext[0], b' ' | b'\t' | b';') {
                ErrorKind::InvalidChunkSize
            } else {
                ErrorKind::InvalidChunkExtension
            };
            return Err((kind, digits + at));
        }
        Ok(Some((size, (digits, digits + ext.len()), lf + 1)))
    }
}

/// Checks `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`
/// (RFC 9112 7.1.1); returns the offset of the first byte that breaks it.
fn check_chunk_ext(b: &[u8]) -> Option<usize> {
    use super::chars::is_token;
    let ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| -> bool {
        let s = *i;
        while *i < b.len() && is_token(b[*i]) {
            *i += 1;
        }
        *i > s
    };
    let mut i = 0;
    while i < b.len() {
        ws(&mut i);
        if b.get(i) != Some(&b';') {
            return Some(i);
        }
        i += 1;
        ws(&mut i);
        if !token(&mut i) {
            return Some(i);
        }
        let mark = i;
        ws(&mut i);
        if b.get(i) != Some(&b'=') {
            i = mark;
            continue;
        }
        i += 1;
        ws(&mut i);
        if b.get(i) == Some(&b'"') {
            // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 5.6.4)
            i += 1;
            loop {
                match b.get(i) {
                    None => return Some(i),
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') => match b.get(i + 1) {
                        Some(&c) if c == b'\t' || (c >= 0x20 && c != 0x7f) => i += 2,
                        _ => return Some(i + 1),
                    },
                    Some(&c) if c == b'\t' || (c >= 0x20 && c != 0x7f) => i += 1,
                    Some(_) => return Some(i),
                }
            }
        } else if !token(&mut i) {
            return Some(i);
        }
    }
    None
}

/// Reads a body of a known kind from the receive buffer.
#[derive(Clone, Debug)]
pub(crate) enum BodyDecoder {
    Length(u64),
    Chunked(ChunkedDecoder),
    Close,
}

impl BodyDecoder {
    /// The next body event; `eof` says the peer has closed (which ends a
    /// close-delimited body and truncates any other).
    pub(crate) fn decode(
        &mut self,
        buf: &mut RecvBuffer,
        eof: bool,
    ) -> Option<Result<BodyEvent, Error>> {
        match self {
            BodyDecoder::Length(0) => Some(Ok(BodyEvent::End(Headers::new()))),
            BodyDecoder::Length(left) => {
                if buf.is_empty() {
                    return eof.then(|| Err(incomplete(buf)));
                }
                let n = (buf.len() as u64).min(*left);
                *left -= n;
                Some(Ok(BodyEvent::Data(buf.take(n as usize))))
            }
            BodyDecoder::Close => {
                if !buf.is_empty() {
                    let n = buf.len();
                    return Some(Ok(BodyEvent::Data(buf.take(n))));
                }
                eof.then(|| Ok(BodyEvent::End(Headers::new())))
            }
            BodyDecoder::Chunked(d) => match d.decode(buf) {
                None if eof && !d.is_done() => Some(Err(incomplete(buf))),
                other => other,
            },
        }
    }
}

fn incomplete(buf: &RecvBuffer) -> Error {
    Error {
        kind: ErrorKind::IncompleteMessage,
        offset: buf.consumed() + buf.len() as u64,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Enc {
    Empty,
    Length(u64),
    Chunked,
    Close,
}

/// Frames an outgoing body: counts a Content-Length body, chunks a chunked one, passes a
/// close-delimited one through. It refuses to send more bytes than declared and to end
/// with fewer, so a peer never sees a length that lies.
///
/// ```
/// use std::collections::VecDeque;
/// use bytes::Bytes;
/// use wirestate::http::{BodyEncoder, Headers};
/// use wirestate::SendError;
///
/// let mut out = VecDeque::new();
/// let mut enc = BodyEncoder::length(5);
/// enc.encode(Bytes::from_static(b"hel"), &mut out).unwrap();
/// let Err(SendError::Invalid(e)) = enc.finish(&Headers::new(), &mut out) else { panic!() };
/// assert_eq!(e.rule, "RFC 9112 6.3: less content than the Content-Length declares");
/// let Err(SendError::Invalid(e)) = enc.encode(Bytes::from_static(b"lo!"), &mut out) else { panic!() };
/// assert_eq!((e.rule, e.offset), ("RFC 9112 6.3: more content than the Content-Length declares", 2));
/// enc.encode(Bytes::from_static(b"lo"), &mut out).unwrap();
/// enc.finish(&Headers::new(), &mut out).unwrap();
///
/// let mut chunked = BodyEncoder::chunked();
/// let mut out = VecDeque::new();
/// chunked.encode(Bytes::from_static(b"hello"), &mut out).unwrap();
/// chunked.finish(&Headers::new(), &mut out).unwrap();
/// let wire: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
/// assert_eq!(wire, b"5\r\nhello\r\n0\r\n\r\n");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyEncoder(Enc);

impl BodyEncoder {
    /// No body may be sent (HEAD responses, 204, 304, requests without framing fields).
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// let mut e = wirestate::http::BodyEncoder::empty();
    /// assert!(e.encode(bytes::Bytes::from_static(b"x"), &mut VecDeque::new()).is_err());
    /// ```
    pub fn empty() -> BodyEncoder {
        BodyEncoder(Enc::Empty)
    }

    /// Exactly `n` bytes (`Content-Length: n`).
    ///
    /// ```
    /// assert_eq!(wirestate::http::BodyEncoder::length(3).remaining(), Some(3));
    /// ```
    pub fn length(n: u64) -> BodyEncoder {
        if n == 0 {
            BodyEncoder(Enc::Length(0))
        } else {
            BodyEncoder(Enc::Length(n))
        }
    }

    /// Chunked transfer coding.
    ///
    /// ```
    /// assert_eq!(wirestate::http::BodyEncoder::chunked().remaining(), None);
    /// ```
    pub fn chunked() -> BodyEncoder {
        BodyEncoder(Enc::Chunked)
    }

    /// Until the connection closes (responses only).
    ///
    /// ```
    /// assert_eq!(wirestate::http::BodyEncoder::close_delimited().remaining(), None);
    /// ```
    pub fn close_delimited() -> BodyEncoder {
        BodyEncoder(Enc::Close)
    }

    /// Bytes still owed under a Content-Length, or `None` for other framings.
    ///
    /// ```
    /// assert_eq!(wirestate::http::BodyEncoder::empty().remaining(), Some(0));
    /// ```
    pub fn remaining(&self) -> Option<u64> {
        match self.0 {
            Enc::Empty => Some(0),
            Enc::Length(n) => Some(n),
            _ => None,
        }
    }

    /// Queues `data` framed for the wire onto `out` (no copy of `data`).
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// let mut out = VecDeque::new();
    /// wirestate::http::BodyEncoder::close_delimited()
    ///     .encode(bytes::Bytes::from_static(b"raw"), &mut out)
    ///     .unwrap();
    /// assert_eq!(&out[0][..], b"raw");
    /// ```
    pub fn encode(&mut self, data: Bytes, out: &mut VecDeque<Bytes>) -> Result<(), SendError> {
        if data.is_empty() {
            // An empty chunk would be the last-chunk: never send one for empty data.
            return Ok(());
        }
        match &mut self.0 {
            Enc::Empty => return Err(invalid(rules::NO_CONTENT, 0)),
            Enc::Length(left) => {
                if data.len() as u64 > *left {
                    // The offset is the first byte past the declared length.
                    let at = usize::try_from(*left).unwrap_or(usize::MAX);
                    return Err(invalid(rules::MORE_THAN_DECLARED, at));
                }
                *left -= data.len() as u64;
                out.push_back(data);
            }
            Enc::Chunked => {
                let mut size = BytesMut::with_capacity(18);
                push_hex(&mut size, data.len() as u64);
                size.extend_from_slice(b"\r\n");
                out.push_back(size.freeze());
                out.push_back(data);
                out.push_back(Bytes::from_static(b"\r\n"));
            }
            Enc::Close => out.push_back(data),
        }
        Ok(())
    }

    /// Ends the body: the last chunk and `trailers` for chunked (trailers are refused
    /// for other framings), or a check that every declared byte was sent.
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// use wirestate::http::{BodyEncoder, Headers};
    /// let mut t = Headers::new();
    /// t.append("Content-Length", "1").unwrap();
    /// assert!(BodyEncoder::chunked().finish(&t, &mut VecDeque::new()).is_err());
    /// ```
    pub fn finish(
        &mut self,
        trailers: &Headers,
        out: &mut VecDeque<Bytes>,
    ) -> Result<(), SendError> {
        match self.0 {
            Enc::Chunked => {
                let framing = trailers.iter().any(|(n, _)| {
                    n.eq_ignore_ascii_case(b"content-length")
                        || n.eq_ignore_ascii_case(b"transfer-encoding")
                });
                if framing {
                    return Err(invalid(rules::FRAMING_TRAILER, 0));
                }
                let mut b = BytesMut::with_capacity(5 + trailers.len() * 32);
                b.extend_from_slice(b"0\r\n");
                super::encode::fields(trailers, &mut b);
                b.extend_from_slice(b"\r\n");
                out.push_back(b.freeze());
            }
            _ if !trailers.is_empty() => return Err(invalid(rules::TRAILERS_NEED_CHUNKED, 0)),
            Enc::Length(n) if n > 0 => return Err(invalid(rules::LESS_THAN_DECLARED, 0)),
            _ => {}
        }
        Ok(())
    }
}

fn push_hex(out: &mut BytesMut, n: u64) {
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[(n & 15) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// What a chunked decode yields, with adjacent data merged: the data, the other
    /// events in order, and how it stopped (the error, or whether the body ended).
    type Decoded = (Vec<u8>, Vec<BodyEvent>, Option<Error>, bool);

    fn decode_cut(input: &[u8], cuts: &[usize]) -> Decoded {
        let mut buf = RecvBuffer::new(1 << 16);
        let mut dec = ChunkedDecoder::new(&Limits::default());
        let (mut data, mut other, mut error) = (Vec::new(), Vec::new(), None);
        let mut from = 0;
        for cut in cuts.iter().copied().chain([input.len()]) {
            let cut = cut.clamp(from, input.len());
            buf.push(&input[from..cut]).unwrap();
            from = cut;
            while let Some(e) = dec.decode(&mut buf) {
                match e {
                    Ok(BodyEvent::Data(d)) => data.extend_from_slice(&d),
                    Ok(e) => other.push(e),
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            if error.is_some() {
                break;
            }
        }
        (data, other, error, dec.is_done())
    }

    /// A chunk's closing CRLF taken with its data (or on its own when it comes later)
    /// decodes the same at every split: the data, the extensions and trailers, and the
    /// error with its offset when what follows the data is not CRLF (RFC 9112 7.1).
    #[test]
    fn every_split_decodes_alike() {
        let bodies: [&[u8]; 8] = [
            b"5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
            b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n",
            b"5\r\nhello\n\r\n0\r\n\r\n",
            b"5\r\nhello\rX0\r\n\r\n",
            b"5\r\nhelloXY0\r\n\r\n",
            b"5\r\nhello\r",
            b"3\r\nabc\r\n3\r\ndef\r\n",
            b"a\r\n0123456789\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
        ];
        for body in bodies {
            let whole = decode_cut(body, &[]);
            for a in 0..=body.len() {
                for b in a..=body.len() {
                    assert_eq!(
                        decode_cut(body, &[a, b]),
                        whole,
                        "{:?} cut at {a} and {b}",
                        alloc::string::String::from_utf8_lossy(body)
                    );
                }
            }
        }
        // The verdicts themselves, so agreement is not agreement on nothing.
        let ok = decode_cut(bodies[0], &[]);
        assert_eq!((&ok.0[..], ok.2, ok.3), (&b"helloabc"[..], None, true));
        let bad = decode_cut(bodies[3], &[]);
        assert_eq!(bad.0, b"hello");
        let e = bad.2.unwrap();
        assert_eq!((e.kind, e.offset), (ErrorKind::MissingChunkCrlf, 9));
        let bad = decode_cut(bodies[4], &[]).2.unwrap();
        assert_eq!((bad.kind, bad.offset), (ErrorKind::MissingChunkCrlf, 8));
        let open = decode_cut(bodies[6], &[]);
        assert_eq!((&open.0[..], open.2, open.3), (&b"abcdef"[..], None, false));
    }

    /// Everything a decoder hands out for `input` fed `split` bytes at a time, with a
    /// mark for each end and error.
    fn decoded(
        limits: &Limits,
        input: &[u8],
        split: usize,
    ) -> alloc::vec::Vec<alloc::string::String> {
        use alloc::format;
        let mut d = ChunkedDecoder::new(limits);
        let mut buf = RecvBuffer::new(1 << 16);
        let mut out = alloc::vec::Vec::new();
        for piece in input.chunks(split) {
            buf.push(piece).unwrap();
            while let Some(e) = d.decode(&mut buf) {
                out.push(match e {
                    Ok(BodyEvent::Data(b)) => format!("data {:?}", b),
                    Ok(BodyEvent::Extension(b)) => format!("ext {:?}", b),
                    Ok(BodyEvent::End(t)) => {
                        let t: alloc::vec::Vec<_> = t.iter().collect();
                        format!("end {:?}", t)
                    }
                    Err(e) => format!("error {:?} at {}", e.kind, e.offset),
                });
            }
        }
        out.push(format!("left {:?}", buf.as_slice()));
        out
    }

    /// The empty trailer section read without the scanner ends the body as the scanner
    /// path does, whole or split anywhere, with CRLF or (when allowed) a bare LF, and a
    /// trailer section with fields still goes through the scan.
    #[test]
    fn an_empty_trailer_section_ends_the_body_at_any_split() {
        let bare = Limits {
            allow_bare_lf: true,
            ..Limits::default()
        };
        let cases: [(&Limits, &[u8], &str, &str); 5] = [
            (
                &Limits::default(),
                b"3\r\nabc\r\n0\r\n\r\nNEXT",
                "end []",
                "left [78, 69, 88, 84]",
            ),
            (
                &bare,
                b"3\r\nabc\r\n0\r\n\nNEXT",
                "end []",
                "left [78, 69, 88, 84]",
            ),
            (&Limits::default(), b"0\r\n\nNEXT", "error BareLf", "left"),
            (
                &Limits::default(),
                b"0\r\nX-T: 1\r\n\r\nN",
                "end [([88, 45, 84], [49])]",
                "left [78]",
            ),
            // Not ended yet: the CR alone may start the empty line or a trailer field.
            (&Limits::default(), b"0\r\n\r", "left [13]", ""),
        ];
        for (limits, input, end, left) in cases {
            for split in 1..=input.len() {
                let got = decoded(limits, input, split);
                let ends: alloc::vec::Vec<_> = got
                    .iter()
                    .filter(|e| !e.starts_with("data"))
                    .map(|e| e.as_str())
                    .collect();
                let want: alloc::vec::Vec<_> =
                    [end, left].into_iter().filter(|w| !w.is_empty()).collect();
                assert_eq!(ends.len(), want.len(), "{input:?} split {split}: {got:?}");
                for (g, w) in ends.iter().zip(&want) {
                    assert!(g.starts_with(w), "{input:?} split {split}: {got:?}");
                }
            }
        }
    }

    /// The direct read of a digits-and-CRLF size line gives what the general path
    /// gives, at and around every digit-count limit.
    #[test]
    fn direct_size_line_agrees_with_the_general_path() {
        for max_digits in [0, 1, 3, 15, 16, 17, 20] {
            let limits = Limits {
                max_chunk_size_digits: max_digits,
                ..Limits::default()
            };
            let d = ChunkedDecoder::new(&limits);
            for n in 0..=20 {
                for digits in ["f", "0", "A", "9"] {
                    let mut line = digits.repeat(n).into_bytes();
                    line.extend_from_slice(b"\r\n");
                    for end in 0..=line.len() {
                        let b = &line[..end];
                        assert_eq!(
                            d.size_line(b),
                            d.size_line_checked(b),
                            "{:?} max {max_digits}",
                            alloc::string::String::from_utf8_lossy(b)
                        );
                    }
                }
            }
        }
    }
}

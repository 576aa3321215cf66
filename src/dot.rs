//! Dot-stuffing, both ways, streaming: the end-of-data framing of SMTP DATA
//! (RFC 5321 section 4.5.2) and POP3 multi-line responses (RFC 1939 section 3).
//!
//! The sender doubles a `.` at the start of every line and ends with `CRLF.CRLF`; the
//! receiver removes one leading `.` per line and stops at a line holding only `.`.
//! The receiver here is strict by default because a message end that one parser sees
//! and another does not is how SMTP smuggling works (CVE-2023-51764, CVE-2023-51765,
//! CVE-2023-51766): `<LF>.<CR><LF>`, `<LF>.<LF>`, `<CR><LF>.<LF>` and a bare CR or LF
//! anywhere are errors, never data and never an end.

mod scan;

use crate::buffer::{Overflow, RecvBuffer};
use crate::line::{Canonical, Canonicalizer};
use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;
use scan::LookMap;

/// Sender side: dot-stuffs a message streamed in pieces, normalizing line ends.
///
/// Line ends follow [`Canonicalizer`]: bare LF and bare CR become CRLF (as Python's
/// `smtplib` does), so what goes on the wire always decodes under the strict
/// [`DotUnstuffer`]. Memory is constant: nothing is held back between calls.
///
/// ```
/// use bytes::BytesMut;
/// use wirestate::dot::DotStuffer;
///
/// let mut out = BytesMut::new();
/// let mut stuffer = DotStuffer::new();
/// stuffer.stuff(b"Hi\n.hidden\r", &mut out);
/// stuffer.stuff(b"\nend", &mut out);
/// stuffer.finish(&mut out);
/// assert_eq!(&out[..], b"Hi\r\n..hidden\r\nend\r\n.\r\n");
/// ```
#[derive(Clone, Debug)]
pub struct DotStuffer {
    /// Line ends follow the crate's one canonical rule.
    lines: Canonicalizer,
}

impl Default for DotStuffer {
    fn default() -> Self {
        DotStuffer::new()
    }
}

impl DotStuffer {
    /// A stuffer at the start of a message.
    ///
    /// ```
    /// let _ = wirestate::dot::DotStuffer::new();
    /// ```
    pub fn new() -> DotStuffer {
        DotStuffer {
            lines: Canonicalizer::new(),
        }
    }

    /// Appends the stuffed form of `input` to `out`.
    ///
    /// ```
    /// let mut out = bytes::BytesMut::new();
    /// wirestate::dot::DotStuffer::new().stuff(b".", &mut out);
    /// assert_eq!(&out[..], b"..");
    /// ```
    pub fn stuff(&mut self, input: &[u8], out: &mut BytesMut) {
        out.reserve(input.len() + input.len() / 64 + 4);
        // RFC 5321 4.5.2: a line that starts with "." gets one more.
        let mut line_start = self.lines.at_line_start();
        self.lines.feed(input, |piece| match piece {
            Canonical::Text(t) => {
                if line_start && t[0] == b'.' {
                    out.put_u8(b'.');
                }
                line_start = false;
                out.put_slice(t);
            }
            Canonical::LineEnd => {
                out.put_slice(b"\r\n");
                line_start = true;
            }
        });
    }

    /// Ends the message: a CRLF if the last line lacked one, then `.CRLF`. The stuffer
    /// is ready for a new message afterwards.
    ///
    /// ```
    /// let mut out = bytes::BytesMut::new();
    /// wirestate::dot::DotStuffer::new().finish(&mut out);
    /// assert_eq!(&out[..], b".\r\n");
    /// ```
    pub fn finish(&mut self, out: &mut BytesMut) {
        self.lines.finish_into(out);
        out.put_slice(b".\r\n");
    }
}

/// Dot-stuffs a whole message in one call.
///
/// ```
/// assert_eq!(&wirestate::dot::stuff_all(b".x")[..], b"..x\r\n.\r\n");
/// ```
pub fn stuff_all(message: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    let mut s = DotStuffer::new();
    s.stuff(message, &mut out);
    s.finish(&mut out);
    out.freeze()
}

/// How forgiving the receiver is about line ends inside the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotPolicy {
    /// Only CRLF may appear: a bare CR or LF anywhere is an error (the default, and what
    /// servers should use: Postfix's `smtpd_forbid_bare_newline`).
    Strict,
    /// A bare CR or LF is passed through as data, for reading from peers known to send
    /// them. The smuggling patterns stay errors, and only `CRLF.CRLF` ends the data.
    Lenient,
}

/// One decoded piece.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unstuffed {
    /// Message bytes, unstuffed, a view into the receive buffer. Lines keep their CRLF,
    /// including the last one, whose CRLF is the first two octets of the terminator.
    Data(Bytes),
    /// The terminating `.CRLF` was consumed; the buffer now holds what followed it.
    End,
}

/// What broke the framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotErrorKind {
    /// LF without CR (strict policy).
    BareLf,
    /// CR without LF (strict policy).
    BareCr,
    /// `<LF>.<CR><LF>`, `<LF>.<LF>` or `<CR><LF>.<LF>`: an end some parsers would see.
    Smuggling,
}

/// A framing error inside dot-stuffed data, with its stream offset. It is final: the
/// unstuffer returns nothing more, because where the data ends is no longer known. The
/// data before the offending bytes is handed out first, so what a caller receives does
/// not depend on how the input was split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DotError {
    /// What was wrong.
    pub kind: DotErrorKind,
    /// Stream offset of the offending byte.
    pub offset: u64,
}

impl fmt::Display for DotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DotErrorKind::BareLf => "bare LF without CR",
            DotErrorKind::BareCr => "bare CR without LF",
            DotErrorKind::Smuggling => "ambiguous end-of-data sequence (bare LF near '.')",
        };
        write!(f, "{what} in dot-stuffed data at byte {}", self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DotError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Running,
    Ended,
    Failed,
}

/// Receiver side: unstuffs data from a [`RecvBuffer`] as it arrives, finding the end
/// across any split of the input. Data is handed out as zero-copy [`Bytes`] views; at
/// most three undecided octets (`CR`, `.`, `.CR`) are held back between calls.
///
/// ```
/// use wirestate::buffer::RecvBuffer;
/// use wirestate::dot::{DotPolicy, DotUnstuffer, Unstuffed};
///
/// let mut buf = RecvBuffer::new(1024);
/// let mut data = DotUnstuffer::new(DotPolicy::Strict);
/// buf.push(b"Hi\r\n..dot\r\n.\r\nQUIT\r\n").unwrap();
/// let mut body = Vec::new();
/// while let Some(piece) = data.poll(&mut buf) {
///     match piece.unwrap() {
///         Unstuffed::Data(b) => body.extend_from_slice(&b),
///         Unstuffed::End => break,
///     }
/// }
/// assert_eq!(body, b"Hi\r\n.dot\r\n");
/// assert_eq!(buf.as_slice(), b"QUIT\r\n");
/// ```
#[derive(Clone, Debug)]
pub struct DotUnstuffer {
    policy: DotPolicy,
    at_line_start: bool,
    after_bare_lf: bool,
    state: State,
    /// An error found after data that still had to be handed out.
    pending_error: Option<DotError>,
    /// Where the input copied in by [`DotUnstuffer::push`] may need a look.
    looks: LookMap,
}

impl DotUnstuffer {
    /// An unstuffer at the start of the data (which is a line start).
    ///
    /// ```
    /// use wirestate::dot::{DotPolicy, DotUnstuffer};
    /// assert!(!DotUnstuffer::new(DotPolicy::Strict).is_done());
    /// ```
    pub fn new(policy: DotPolicy) -> DotUnstuffer {
        DotUnstuffer {
            policy,
            at_line_start: true,
            after_bare_lf: false,
            state: State::Running,
            pending_error: None,
            looks: LookMap::default(),
        }
    }

    /// Copies `input` into `buf` as [`RecvBuffer::push`] does (all of it, or none past
    /// the limit), checking it on the way for what [`poll`](Self::poll) has to look
    /// at, so that the bytes are read from memory once instead of twice. What `poll`
    /// returns afterwards is exactly what it returns after a plain `buf.push(input)`.
    /// `buf` must be the buffer this unstuffer is polled with, as for any of its
    /// state: what is noted is tied to that buffer's stream offsets.
    ///
    /// ```
    /// use wirestate::buffer::RecvBuffer;
    /// use wirestate::dot::{DotPolicy, DotUnstuffer, Unstuffed};
    ///
    /// let mut buf = RecvBuffer::new(1024);
    /// let mut data = DotUnstuffer::new(DotPolicy::Strict);
    /// data.push(&mut buf, b"Hi\r\n..dot\r\n.\r\n").unwrap();
    /// let mut body = Vec::new();
    /// while let Some(piece) = data.poll(&mut buf) {
    ///     match piece.unwrap() {
    ///         Unstuffed::Data(b) => body.extend_from_slice(&b),
    ///         Unstuffed::End => break,
    ///     }
    /// }
    /// assert_eq!(body, b"Hi\r\n.dot\r\n");
    /// assert!(data.push(&mut RecvBuffer::new(2), b"abc").is_err()); // over the limit
    /// ```
    pub fn push(&mut self, buf: &mut RecvBuffer, input: &[u8]) -> Result<(), Overflow> {
        if self.policy != DotPolicy::Strict || self.state != State::Running {
            return buf.push(input);
        }
        // The octet before the buffer's first, as `poll_strict` sees it.
        let prev = if self.at_line_start { b'\n' } else { 0 };
        self.looks.fill(buf, input, prev)
    }

    /// True once the end was found or an error reported.
    ///
    /// ```
    /// use wirestate::buffer::RecvBuffer;
    /// use wirestate::dot::{DotPolicy, DotUnstuffer};
    /// let mut buf = RecvBuffer::new(8);
    /// buf.push(b".\r\n").unwrap();
    /// let mut d = DotUnstuffer::new(DotPolicy::Strict);
    /// d.poll(&mut buf);
    /// assert!(d.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.state != State::Running
    }

    /// Reports an error found at `at` (an index into the buffer), handing out the data
    /// before it first, so the bytes delivered do not depend on how input was split.
    fn fail(
        &mut self,
        buf: &mut RecvBuffer,
        kind: DotErrorKind,
        at: usize,
        offset: u64,
    ) -> Option<Result<Unstuffed, DotError>> {
        let error = DotError { kind, offset };
        if at > 0 {
            self.pending_error = Some(error);
            return Some(Ok(Unstuffed::Data(buf.take(at))));
        }
        self.state = State::Failed;
        Some(Err(error))
    }

    /// The next piece of data, the end, an error, or `None` until more input arrives
    /// (and always `None` once done).
    ///
    /// ```
    /// use wirestate::buffer::RecvBuffer;
    /// use wirestate::dot::{DotErrorKind, DotPolicy, DotUnstuffer};
    /// let mut buf = RecvBuffer::new(64);
    /// buf.push(b"x\n.\r\n").unwrap();
    /// let mut d = DotUnstuffer::new(DotPolicy::Lenient);
    /// assert!(d.poll(&mut buf).unwrap().is_ok()); // "x\n": the data before the error
    /// assert_eq!(d.poll(&mut buf).unwrap().unwrap_err().kind, DotErrorKind::Smuggling);
    /// ```
    pub fn poll(&mut self, buf: &mut RecvBuffer) -> Option<Result<Unstuffed, DotError>> {
        if self.state != State::Running {
            return None;
        }
        if let Some(error) = self.pending_error.take() {
            self.state = State::Failed;
            return Some(Err(error));
        }
        match self.policy {
            DotPolicy::Strict => self.poll_strict(buf),
            DotPolicy::Lenient => self.poll_general(buf),
        }
    }

    /// The strict decoder's fast path: one vectorised pass finds the next place that
    /// needs a look (a line start with a dot, a CR or LF out of pair), and everything
    /// before it is handed out as one slice.
    fn poll_strict(&mut self, buf: &mut RecvBuffer) -> Option<Result<Unstuffed, DotError>> {
        let base = buf.consumed();
        let data = buf.as_slice();
        if self.at_line_start {
            // RFC 5321 4.5.2: at a line start a "." is either the end (".CRLF") or a
            // stuffed dot to drop; ".LF" is the `<CR><LF>.<LF>` smuggling pattern.
            match data {
                [] | [b'.'] | [b'.', b'\r'] => return None,
                [b'.', b'\n', ..] => return self.fail(buf, DotErrorKind::Smuggling, 0, base),
                [b'.', b'\r', b'\n', ..] => {
                    buf.discard(3);
                    self.state = State::Ended;
                    return Some(Ok(Unstuffed::End));
                }
                [b'.', b'\r', ..] => return self.fail(buf, DotErrorKind::BareCr, 0, base + 1),
                [b'.', ..] => {
                    buf.discard(1);
                    self.at_line_start = false;
                    return self.poll_strict(buf);
                }
                _ => {}
            }
        }
        // The byte before `data[0]`: an LF at a line start, else something that is
        // neither CR (a trailing CR is always held back) nor LF.
        let prev = if self.at_line_start { b'\n' } else { 0 };
        let at = self.looks.next_look(data, prev, base);
        let run = if at < data.len() {
            let before = if at == 0 { prev } else { data[at - 1] };
            if before == b'\r' && data[at] != b'\n' {
                let cr = at - 1; // `prev` is never CR, so `at` > 0 here
                return self.fail(buf, DotErrorKind::BareCr, cr, base + cr as u64);
            }
            if data[at] == b'\n' && before != b'\r' {
                return self.fail(buf, DotErrorKind::BareLf, at, base + at as u64);
            }
            // A dot right after CRLF: hand out the line ends before it. When the byte
            // after the dot is already here and is neither CR nor LF, the dot is a
            // stuffed one (RFC 5321 4.5.2) and is dropped in this same call; otherwise
            // the next call decides what it is.
            if at > 0 && matches!(data.get(at + 1), Some(&b) if b != b'\r' && b != b'\n') {
                let run = buf.take(at);
                buf.discard(1);
                self.at_line_start = false;
                return Some(Ok(Unstuffed::Data(run)));
            }
            at
        } else if data.last() == Some(&b'\r') {
            data.len() - 1 // hold the CR until its next byte is known
        } else {
            data.len()
        };
        if run == 0 {
            return None;
        }
        self.at_line_start = data[run - 1] == b'\n';
        Some(Ok(Unstuffed::Data(buf.take(run))))
    }

    /// The general decoder, byte pair by byte pair between line ends: any policy.
    fn poll_general(&mut self, buf: &mut RecvBuffer) -> Option<Result<Unstuffed, DotError>> {
        let strict = self.policy == DotPolicy::Strict;
        let base = buf.consumed();
        let data = buf.as_slice();
        let mut pos = 0;
        let mut line_start = self.at_line_start;
        let mut after_lf = self.after_bare_lf;
        loop {
            if line_start {
                let Some(&first) = data.get(pos) else { break };
                if first == b'.' {
                    let Some(&second) = data.get(pos + 1) else {
                        break;
                    };
                    match second {
                        b'\n' => {
                            return self.fail(buf, DotErrorKind::Smuggling, pos, base + pos as u64)
                        }
                        b'\r' => {
                            let Some(&third) = data.get(pos + 2) else {
                                break;
                            };
                            if third == b'\n' {
                                if after_lf {
                                    return self.fail(
                                        buf,
                                        DotErrorKind::Smuggling,
                                        pos,
                                        base + pos as u64,
                                    );
                                }
                                if pos > 0 {
                                    break; // hand out the data first; the end comes next call
                                }
                                buf.discard(3);
                                self.state = State::Ended;
                                return Some(Ok(Unstuffed::End));
                            }
                            if strict {
                                return self.fail(
                                    buf,
                                    DotErrorKind::BareCr,
                                    pos,
                                    base + pos as u64 + 1,
                                );
                            }
                        }
                        _ => {}
                    }
                    // A stuffed dot: drop it, which splits the data around it.
                    if pos > 0 {
                        break;
                    }
                    buf.discard(1);
                    self.at_line_start = false;
                    self.after_bare_lf = false;
                    return self.poll_general(buf);
                }
                line_start = false;
                after_lf = false;
            }
            let Some(k) = memchr::memchr2(b'\r', b'\n', &data[pos..]) else {
                pos = data.len();
                break;
            };
            let p = pos + k;
            if data[p] == b'\n' {
                if strict {
                    return self.fail(buf, DotErrorKind::BareLf, p, base + p as u64);
                }
                pos = p + 1;
                line_start = true;
                after_lf = true;
                continue;
            }
            match data.get(p + 1) {
                None => {
                    pos = p; // hold the CR until its next byte is known
                    break;
                }
                Some(b'\n') => {
                    pos = p + 2;
                    line_start = true;
                    after_lf = false;
                }
                Some(_) if strict => {
                    return self.fail(buf, DotErrorKind::BareCr, p, base + p as u64)
                }
                Some(_) => pos = p + 1,
            }
        }
        self.at_line_start = line_start;
        self.after_bare_lf = after_lf;
        if pos == 0 {
            return None;
        }
        Some(Ok(Unstuffed::Data(buf.take(pos))))
    }
}

/// Width of the blocks [`first_event`] checks at once; a multiple of the vector width.
const BLOCK: usize = 64;

/// Whether the byte pair (`prev`, `cur`) needs a look in strict data: an LF without a CR
/// before it, a CR without an LF after it, or a dot at a line start. Branch-free, so a
/// block of these compiles to vector compares.
#[inline(always)]
fn needs_look(prev: u8, cur: u8) -> u8 {
    ((cur == b'\n') as u8 ^ (prev == b'\r') as u8) | ((cur == b'.') as u8 & (prev == b'\n') as u8)
}

/// The index of the first byte of `data` that [`needs_look`] flags (with `prev` the byte
/// before `data[0]`), or `data.len()` when none is.
fn first_event(data: &[u8], prev: u8) -> usize {
    match scan_flags(data, prev, usize::MAX) {
        Ok(at) | Err(at) => at,
    }
}

/// Searches `data` as [`first_event`] does, but gives up once `stop` bytes are known
/// clean: `Ok` with the index of the first flagged byte, or `Err` with how many bytes
/// from the start are clean (at least `stop`, or all of `data`).
fn scan_flags(data: &[u8], prev: u8, stop: usize) -> Result<usize, usize> {
    let Some(&first) = data.first() else {
        return Err(0);
    };
    if needs_look(prev, first) != 0 {
        return Ok(0);
    }
    let mut j = 1;
    // Whole blocks with one OR each: no branch per byte, which is what lets the
    // compiler use vector compares on the SSE2 baseline. Each block is taken as one
    // fixed-size window holding the byte before it too, so there is one bounds check per
    // block, not one for the bytes and another for the bytes before them.
    while let Some(window) = data.get(j - 1..j + BLOCK) {
        if j >= stop {
            return Err(j);
        }
        let Ok(window) = <&[u8; BLOCK + 1]>::try_from(window) else {
            break; // never: the range is BLOCK + 1 long
        };
        let (before, cur) = (&window[..BLOCK], &window[1..]);
        let flagged = cur
            .iter()
            .zip(before)
            .fold(0u8, |acc, (&c, &p)| acc | needs_look(p, c));
        if flagged != 0 {
            return Ok(j + first_flagged(cur, before));
        }
        j += BLOCK;
    }
    while let Some(&c) = data.get(j) {
        if needs_look(data[j - 1], c) != 0 {
            return Ok(j);
        }
        j += 1;
    }
    Err(data.len())
}

/// Where in a flagged block the first flagged byte is (`cur[i]` with `before[i]` the
/// byte before it), or the block's length if none is. The flags are computed a vector at
/// a time and read back eight to a word, so finding the byte costs a few word tests
/// instead of a branch per byte (which is most of what a dot-stuffed line used to cost).
fn first_flagged(cur: &[u8], before: &[u8]) -> usize {
    let mut flags = [0u8; BLOCK];
    for ((f, &c), &p) in flags.iter_mut().zip(cur).zip(before) {
        *f = needs_look(p, c);
    }
    let mut at = 0;
    for w in flags.chunks_exact(8) {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        if w != 0 {
            // Flags are 0 or 1 per byte and the word is little-endian: the lowest set
            // bit is in the first flagged byte.
            return at + (w.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    cur.len().min(BLOCK)
}

#[cfg(test)]
mod tests;

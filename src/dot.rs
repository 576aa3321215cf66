//! Dot-stuffing, both ways, streaming: the end-of-data framing of SMTP DATA
//! (RFC 5321 section 4.5.2) and POP3 multi-line responses (RFC 1939 section 3).
//!
//! The sender doubles a `.` at the start of every line and ends with `CRLF.CRLF`; the
//! receiver removes one leading `.` per line and stops at a line holding only `.`.
//! The receiver here is strict by default because a message end that one parser sees
//! and another does not is how SMTP smuggling works (CVE-2023-51764, CVE-2023-51765,
//! CVE-2023-51766): `<LF>.<CR><LF>`, `<LF>.<LF>`, `<CR><LF>.<LF>` and a bare CR or LF
//! anywhere are errors, never data and never an end.

use crate::buffer::RecvBuffer;
use crate::line::{Canonical, Canonicalizer};
use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

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
        }
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
                    return self.poll(buf);
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

//! CRLF line framing with a length limit and an explicit bare CR / bare LF policy,
//! shared by the line-based protocols (SMTP, POP3, the greeting protocol's line framing).
//!
//! RFC 5321 section 2.3.8 and RFC 1939 section 3 end every line with CRLF and forbid a
//! bare CR or LF elsewhere; real peers disagree (a bare LF is the classic SMTP
//! smuggling lever, CVE-2023-51764), so what to do with one is a decision the protocol
//! states in its [`LinePolicy`], never a silent default.

use crate::buffer::RecvBuffer;
use bytes::{Bytes, BytesMut};
use core::fmt;

/// What to do with an LF that has no CR before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BareLf {
    /// Report [`LineErrorKind::BareLf`] and drop the line.
    Reject,
    /// End the line there, as many Unix peers expect.
    Terminator,
}

/// What to do with a CR that has no LF after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BareCr {
    /// Report [`LineErrorKind::BareCr`] and drop the line.
    Reject,
    /// Keep it as part of the line's text.
    Allow,
}

/// How lines are cut: the longest line and what counts as a terminator.
///
/// ```
/// use wirestate::line::{BareCr, BareLf, LinePolicy};
/// let smtp_command = LinePolicy::strict(512);
/// assert_eq!(smtp_command.bare_lf, BareLf::Reject);
/// let unix_friendly = LinePolicy { bare_lf: BareLf::Terminator, ..LinePolicy::strict(1024) };
/// assert_eq!(unix_friendly.bare_cr, BareCr::Reject);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinePolicy {
    /// Longest line accepted, counting its terminator (RFC 5321 4.5.3.1.4: 512 for an SMTP
    /// command line). Must be at least 2.
    pub max_len: usize,
    /// Bare LF handling.
    pub bare_lf: BareLf,
    /// Bare CR handling.
    pub bare_cr: BareCr,
}

impl LinePolicy {
    /// CRLF only: a bare CR or bare LF is an error.
    ///
    /// ```
    /// assert_eq!(wirestate::line::LinePolicy::strict(80).max_len, 80);
    /// ```
    pub const fn strict(max_len: usize) -> LinePolicy {
        LinePolicy {
            max_len,
            bare_lf: BareLf::Reject,
            bare_cr: BareCr::Reject,
        }
    }

    /// CRLF or bare LF ends a line; a bare CR is kept as text.
    ///
    /// ```
    /// use wirestate::line::{BareLf, LinePolicy};
    /// assert_eq!(LinePolicy::lenient(80).bare_lf, BareLf::Terminator);
    /// ```
    pub const fn lenient(max_len: usize) -> LinePolicy {
        LinePolicy {
            max_len,
            bare_lf: BareLf::Terminator,
            bare_cr: BareCr::Allow,
        }
    }
}

/// How a line ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminator {
    /// `\r\n`.
    CrLf,
    /// A bare `\n` (only under [`BareLf::Terminator`]).
    Lf,
}

/// One line, without its terminator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The line's bytes, terminator excluded; a view into the receive buffer.
    pub text: Bytes,
    /// How it ended.
    pub terminator: Terminator,
}

/// What was wrong with a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineErrorKind {
    /// Longer than [`LinePolicy::max_len`]; the rest of it is skipped up to its LF.
    TooLong {
        /// The limit that was passed.
        limit: usize,
    },
    /// An LF without CR, under [`BareLf::Reject`].
    BareLf,
    /// A CR without LF, under [`BareCr::Reject`].
    BareCr,
}

/// A rejected line: what was wrong and where. The line has been consumed, so the
/// reader is ready for the next one; whether to go on is the protocol's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineError {
    /// What was wrong.
    pub kind: LineErrorKind,
    /// Stream offset of the offending byte (for `TooLong`, of the line's first byte).
    pub offset: u64,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            LineErrorKind::TooLong { limit } => write!(
                f,
                "line starting at byte {} is longer than {} octets",
                self.offset, limit
            ),
            LineErrorKind::BareLf => write!(f, "bare LF without CR at byte {}", self.offset),
            LineErrorKind::BareCr => write!(f, "bare CR without LF at byte {}", self.offset),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for LineError {}

/// Cuts lines out of a [`RecvBuffer`], resuming where it stopped: a partial line is
/// never rescanned from its start, and memory stays within `max_len` because an
/// over-long line is reported as soon as it passes the limit and then skipped.
///
/// ```
/// use wirestate::buffer::RecvBuffer;
/// use wirestate::line::{LineErrorKind, LinePolicy, LineReader};
///
/// let mut buf = RecvBuffer::new(1024);
/// let mut lines = LineReader::new(LinePolicy::strict(16));
/// buf.push(b"HELO x\r\nNOOP").unwrap();
/// assert_eq!(&lines.poll(&mut buf).unwrap().unwrap().text[..], b"HELO x");
/// assert!(lines.poll(&mut buf).is_none()); // "NOOP" waits for its CRLF
/// buf.push(b"\r\nbad\nQUIT\r\n").unwrap();
/// assert_eq!(&lines.poll(&mut buf).unwrap().unwrap().text[..], b"NOOP");
/// assert_eq!(lines.poll(&mut buf).unwrap().unwrap_err().kind, LineErrorKind::BareLf);
/// assert_eq!(&lines.poll(&mut buf).unwrap().unwrap().text[..], b"QUIT");
/// ```
#[derive(Clone, Debug)]
pub struct LineReader {
    policy: LinePolicy,
    /// Bytes of the current partial line already checked.
    scanned: usize,
    /// An over-long line was reported; drop input up to its LF.
    discarding: bool,
    /// First bare CR seen in the current line, reported when the line ends.
    bare_cr_at: Option<u64>,
}

impl LineReader {
    /// A reader with no partial line.
    ///
    /// ```
    /// use wirestate::line::{LinePolicy, LineReader};
    /// let r = LineReader::new(LinePolicy::strict(512));
    /// assert_eq!(r.policy().max_len, 512);
    /// ```
    pub fn new(policy: LinePolicy) -> LineReader {
        LineReader {
            policy,
            scanned: 0,
            discarding: false,
            bare_cr_at: None,
        }
    }

    /// The policy in force.
    ///
    /// ```
    /// use wirestate::line::{LinePolicy, LineReader};
    /// assert_eq!(LineReader::new(LinePolicy::strict(9)).policy(), LinePolicy::strict(9));
    /// ```
    pub fn policy(&self) -> LinePolicy {
        self.policy
    }

    /// Changes the policy from the next line on (e.g. 512 octets for SMTP commands, 1000
    /// for text lines). The current partial line is rescanned under the new policy.
    ///
    /// ```
    /// use wirestate::line::{LinePolicy, LineReader};
    /// let mut r = LineReader::new(LinePolicy::strict(9));
    /// r.set_policy(LinePolicy::lenient(20));
    /// assert_eq!(r.policy().max_len, 20);
    /// ```
    pub fn set_policy(&mut self, policy: LinePolicy) {
        self.policy = policy;
        self.scanned = 0;
        self.bare_cr_at = None;
    }

    /// Forgets any partial line, for when the caller has cleared the buffer under it
    /// (STARTTLS, STLS) or handed the rest of the stream to another decoder.
    ///
    /// ```
    /// use wirestate::line::{LinePolicy, LineReader};
    /// let mut r = LineReader::new(LinePolicy::strict(9));
    /// r.reset();
    /// ```
    pub fn reset(&mut self) {
        self.scanned = 0;
        self.discarding = false;
        self.bare_cr_at = None;
    }

    /// The next complete line, an error for a rejected one, or `None` until more input
    /// arrives. Consumes what it returns from `buf`.
    ///
    /// ```
    /// use wirestate::buffer::RecvBuffer;
    /// use wirestate::line::{LinePolicy, LineReader, Terminator};
    /// let mut buf = RecvBuffer::new(64);
    /// buf.push(b"a\n").unwrap();
    /// let line = LineReader::new(LinePolicy::lenient(8)).poll(&mut buf).unwrap().unwrap();
    /// assert_eq!(line.terminator, Terminator::Lf);
    /// ```
    pub fn poll(&mut self, buf: &mut RecvBuffer) -> Option<Result<Line, LineError>> {
        if self.discarding {
            match memchr::memchr(b'\n', buf.as_slice()) {
                Some(i) => {
                    buf.discard(i + 1);
                    self.reset();
                }
                None => {
                    buf.clear();
                    return None;
                }
            }
        }
        let mut at = self.scanned;
        loop {
            let data = buf.as_slice();
            let Some(k) = memchr::memchr2(b'\r', b'\n', &data[at..]) else {
                self.scanned = data.len();
                return self.check_partial(buf);
            };
            let p = at + k;
            if data[p] == b'\n' {
                // A CR before this LF would have been consumed with it below: bare LF.
                return Some(self.finish(buf, p, 1, Terminator::Lf));
            }
            match data.get(p + 1) {
                None => {
                    self.scanned = p; // look at this CR again once its next byte arrives
                    return self.check_partial(buf);
                }
                Some(b'\n') => return Some(self.finish(buf, p, 2, Terminator::CrLf)),
                Some(_) => {
                    if self.policy.bare_cr == BareCr::Reject && self.bare_cr_at.is_none() {
                        self.bare_cr_at = Some(buf.consumed() + p as u64);
                    }
                    at = p + 1;
                }
            }
        }
    }

    /// No terminator yet: if the line can no longer fit, report it now and skip the rest.
    fn check_partial(&mut self, buf: &mut RecvBuffer) -> Option<Result<Line, LineError>> {
        // Without its LF the line is already at least `len + 1` octets long.
        if buf.len() < self.policy.max_len {
            return None;
        }
        let offset = buf.consumed();
        buf.clear();
        self.reset();
        self.discarding = true;
        Some(Err(self.too_long(offset)))
    }

    fn too_long(&self, offset: u64) -> LineError {
        LineError {
            kind: LineErrorKind::TooLong {
                limit: self.policy.max_len,
            },
            offset,
        }
    }

    fn finish(
        &mut self,
        buf: &mut RecvBuffer,
        end: usize,
        term_len: usize,
        terminator: Terminator,
    ) -> Result<Line, LineError> {
        let start = buf.consumed();
        let bare_cr_at = self.bare_cr_at;
        self.scanned = 0;
        self.bare_cr_at = None;
        let error = if end + term_len > self.policy.max_len {
            Some(self.too_long(start))
        } else if let Some(offset) = bare_cr_at {
            Some(LineError {
                kind: LineErrorKind::BareCr,
                offset,
            })
        } else if terminator == Terminator::Lf && self.policy.bare_lf == BareLf::Reject {
            Some(LineError {
                kind: LineErrorKind::BareLf,
                offset: start + end as u64,
            })
        } else {
            None
        };
        if let Some(e) = error {
            buf.discard(end + term_len);
            return Err(e);
        }
        let text = buf.take(end);
        buf.discard(term_len);
        Ok(Line { text, terminator })
    }
}

/// One piece of canonical output from [`Canonicalizer::feed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canonical<'a> {
    /// Line text with no CR or LF in it (a line may come in several pieces).
    Text(&'a [u8]),
    /// The end of a line: write CRLF.
    LineEnd,
}

/// The one rule for making a message's line ends canonical before it goes on the wire:
/// CRLF, a bare CR and a bare LF each end a line with CRLF (RFC 5321 2.3.8 allows no
/// other line end; RFC 3030 3 requires canonical text in BDAT chunks). The SMTP DATA
/// stuffer ([`crate::dot::DotStuffer`]), the SMTP client's BDAT chunk sizes and the
/// examples' SIZE scan all go through it, so they agree on every byte, including the
/// final CRLF that [`finish`](Canonicalizer::finish) adds to a message whose last line
/// has none.
///
/// Streaming with no look-ahead: a CR at the end of a piece is written as CRLF at once,
/// and an LF that starts the next piece is then swallowed, so nothing is ever held back
/// and each call's output is final.
///
/// ```
/// use wirestate::line::Canonicalizer;
/// let mut c = Canonicalizer::new();
/// let mut out = bytes::BytesMut::new();
/// c.canonicalize(b"a\nb\r", &mut out);
/// c.canonicalize(b"\nc", &mut out);
/// c.finish_into(&mut out);
/// assert_eq!(&out[..], b"a\r\nb\r\nc\r\n");
/// assert_eq!(Canonicalizer::canonical_len(b"a\nb\r\nc"), 9);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Canonicalizer {
    /// The last piece ended in a CR, already written as CRLF: drop an LF right after it.
    skip_lf: bool,
    /// Text has been written since the last line end.
    mid_line: bool,
}

impl Canonicalizer {
    /// A canonicalizer at the start of a message.
    ///
    /// ```
    /// assert!(wirestate::line::Canonicalizer::new().at_line_start());
    /// ```
    pub const fn new() -> Canonicalizer {
        Canonicalizer {
            skip_lf: false,
            mid_line: false,
        }
    }

    /// Whether the output so far ends at a line start (nothing written yet, or a CRLF).
    ///
    /// ```
    /// let mut c = wirestate::line::Canonicalizer::new();
    /// c.feed(b"x", |_| {});
    /// assert!(!c.at_line_start());
    /// ```
    pub fn at_line_start(&self) -> bool {
        !self.mid_line
    }

    /// Cuts `input` into canonical pieces and hands each to `emit`, in order.
    ///
    /// ```
    /// use wirestate::line::{Canonical, Canonicalizer};
    /// let mut pieces = Vec::new();
    /// Canonicalizer::new().feed(b"a\rb", |p| pieces.push(format!("{p:?}")));
    /// assert_eq!(pieces, ["Text([97])", "LineEnd", "Text([98])"]);
    /// ```
    pub fn feed(&mut self, mut input: &[u8], mut emit: impl FnMut(Canonical<'_>)) {
        if self.skip_lf && !input.is_empty() {
            self.skip_lf = false;
            if input[0] == b'\n' {
                input = &input[1..];
            }
        }
        while !input.is_empty() {
            let Some(p) = memchr::memchr2(b'\r', b'\n', input) else {
                emit(Canonical::Text(input));
                self.mid_line = true;
                return;
            };
            if p > 0 {
                emit(Canonical::Text(&input[..p]));
            }
            emit(Canonical::LineEnd);
            self.mid_line = false;
            if input[p] == b'\r' {
                match input.get(p + 1) {
                    None => {
                        self.skip_lf = true;
                        return;
                    }
                    Some(b'\n') => input = &input[p + 2..],
                    Some(_) => input = &input[p + 1..],
                }
            } else {
                input = &input[p + 1..];
            }
        }
    }

    /// Ends the message: a [`Canonical::LineEnd`] if its last line has none (an empty
    /// message stays empty). The canonicalizer is then ready for a new message.
    ///
    /// ```
    /// let mut c = wirestate::line::Canonicalizer::new();
    /// let mut ends = 0;
    /// c.feed(b"no newline", |_| {});
    /// c.finish(|_| ends += 1);
    /// assert_eq!(ends, 1);
    /// ```
    pub fn finish(&mut self, mut emit: impl FnMut(Canonical<'_>)) {
        if self.mid_line {
            emit(Canonical::LineEnd);
        }
        *self = Canonicalizer::new();
    }

    /// [`feed`](Self::feed) written out into `out`.
    ///
    /// ```
    /// let mut out = bytes::BytesMut::new();
    /// wirestate::line::Canonicalizer::new().canonicalize(b"a\n", &mut out);
    /// assert_eq!(&out[..], b"a\r\n");
    /// ```
    pub fn canonicalize(&mut self, input: &[u8], out: &mut BytesMut) {
        out.reserve(input.len() + 2);
        self.feed(input, |p| write_canonical(p, out));
    }

    /// [`finish`](Self::finish) written out into `out`.
    ///
    /// ```
    /// let mut c = wirestate::line::Canonicalizer::new();
    /// let mut out = bytes::BytesMut::new();
    /// c.canonicalize(b"a", &mut out);
    /// c.finish_into(&mut out);
    /// assert_eq!(&out[..], b"a\r\n");
    /// ```
    pub fn finish_into(&mut self, out: &mut BytesMut) {
        self.finish(|p| write_canonical(p, out));
    }

    /// How many octets the canonical form of `piece` takes (the same count
    /// [`canonicalize`](Self::canonicalize) would write), advancing the state.
    ///
    /// ```
    /// let mut c = wirestate::line::Canonicalizer::new();
    /// assert_eq!(c.count(b"a\n"), 3);
    /// assert_eq!(c.count_finish(), 0);
    /// ```
    #[must_use]
    pub fn count(&mut self, piece: &[u8]) -> u64 {
        let mut n = 0u64;
        self.feed(piece, |p| n += canonical_piece_len(p));
        n
    }

    /// How many octets [`finish`](Self::finish) adds: 2 or 0.
    ///
    /// ```
    /// let mut c = wirestate::line::Canonicalizer::new();
    /// c.count(b"x");
    /// assert_eq!(c.count_finish(), 2);
    /// ```
    #[must_use]
    pub fn count_finish(&mut self) -> u64 {
        let mut n = 0u64;
        self.finish(|p| n += canonical_piece_len(p));
        n
    }

    /// The size of a whole message once canonical, final CRLF included: what
    /// RFC 1870 SIZE must declare for it.
    ///
    /// ```
    /// assert_eq!(wirestate::line::Canonicalizer::canonical_len(b"a\r"), 3);
    /// ```
    #[must_use]
    pub fn canonical_len(message: &[u8]) -> u64 {
        let mut c = Canonicalizer::new();
        c.count(message) + c.count_finish()
    }
}

fn canonical_piece_len(p: Canonical<'_>) -> u64 {
    match p {
        Canonical::Text(t) => t.len() as u64,
        Canonical::LineEnd => 2,
    }
}

fn write_canonical(p: Canonical<'_>, out: &mut BytesMut) {
    match p {
        Canonical::Text(t) => out.extend_from_slice(t),
        Canonical::LineEnd => out.extend_from_slice(b"\r\n"),
    }
}

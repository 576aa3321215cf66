//! The server's message data reader: DATA through the dot unstuffer (RFC 5321 4.1.1.4,
//! 4.5.2; smuggling refused) and BDAT chunks (RFC 3030 2), with the SIZE limit
//! (RFC 1870) and the text-line limit (RFC 5321 4.5.3.1.6) counted while streaming.
//! It only reads and counts; what each step means for the session is decided in
//! `server.rs`.

use super::server_event::AbortReason;
use crate::buffer::{Overflow, RecvBuffer};
use crate::dot::{DotError, DotPolicy, DotUnstuffer, Unstuffed};
use bytes::Bytes;

/// What one call to [`DataReader::poll`] found.
#[derive(Debug)]
pub(super) enum DataStep {
    /// Message data to hand out.
    Data(Bytes),
    /// The transaction is over its size or line limit: hand out nothing more of it;
    /// the data is still read to its end.
    Aborted(AbortReason),
    /// DATA's `.CRLF`, or the end of a `BDAT ... LAST` chunk.
    End,
    /// A BDAT chunk that is not the last was read whole: answer `250`.
    ChunkDone {
        /// Its size, for the reply.
        size: u64,
    },
    /// A refused BDAT chunk was read and dropped: send its refusal now.
    DiscardDone,
    /// Framing broke inside DATA; fatal.
    Framing(DotError),
}

#[derive(Debug)]
enum Mode {
    Idle,
    Dot(DotUnstuffer),
    Chunk {
        remaining: u64,
        last: bool,
        size: u64,
    },
    Discard {
        remaining: u64,
    },
}

/// Reads one transaction's data and counts it against the limits.
#[derive(Debug)]
pub(super) struct DataReader {
    mode: Mode,
    size: u64,
    line_len: usize,
    aborted: Option<AbortReason>,
    max_size: Option<u64>,
    max_line: usize,
    /// The data being read may not hold NUL (`NulPolicy::Reject`, not BINARYMIME).
    refuse_nul: bool,
}

impl DataReader {
    pub(super) fn new(max_size: Option<u64>, max_line: usize) -> DataReader {
        DataReader {
            mode: Mode::Idle,
            size: 0,
            line_len: 0,
            aborted: None,
            max_size,
            max_line,
            refuse_nul: false,
        }
    }

    /// A new transaction's data starts: nothing counted yet.
    pub(super) fn reset(&mut self) {
        self.mode = Mode::Idle;
        self.size = 0;
        self.line_len = 0;
        self.aborted = None;
    }

    /// Reading DATA from here (after the `354`).
    pub(super) fn start_dot(&mut self, allow_bare_lf: bool, refuse_nul: bool) {
        self.refuse_nul = refuse_nul;
        let policy = if allow_bare_lf {
            DotPolicy::Lenient
        } else {
            DotPolicy::Strict
        };
        self.mode = Mode::Dot(DotUnstuffer::new(policy));
    }

    /// Reading a BDAT chunk of `size` octets from here.
    pub(super) fn start_chunk(&mut self, size: u64, last: bool, refuse_nul: bool) {
        self.refuse_nul = refuse_nul;
        self.mode = Mode::Chunk {
            remaining: size,
            last,
            size,
        };
    }

    /// Dropping `size` octets of a refused chunk from here.
    pub(super) fn start_discard(&mut self, size: u64) {
        self.mode = Mode::Discard { remaining: size };
    }

    /// Whether the data is being read into a transaction (not dropped).
    pub(super) fn receiving(&self) -> bool {
        matches!(self.mode, Mode::Dot(_) | Mode::Chunk { .. }) && self.aborted.is_none()
    }

    /// Octets counted so far.
    pub(super) fn size(&self) -> u64 {
        self.size
    }

    /// Why the transaction's data was aborted, if it was.
    pub(super) fn aborted(&self) -> Option<AbortReason> {
        self.aborted
    }

    /// Copies input into `buf`; inside DATA through the unstuffer, which checks it on
    /// the way in (see [`DotUnstuffer::push`]).
    pub(super) fn push(&mut self, buf: &mut RecvBuffer, input: &[u8]) -> Result<(), Overflow> {
        match &mut self.mode {
            Mode::Dot(unstuffer) => unstuffer.push(buf, input),
            _ => buf.push(input),
        }
    }

    /// The next step, or `None` until more input arrives.
    pub(super) fn poll(&mut self, buf: &mut RecvBuffer) -> Option<DataStep> {
        match &mut self.mode {
            Mode::Idle => None,
            Mode::Dot(unstuffer) => match unstuffer.poll(buf)? {
                Ok(Unstuffed::Data(b)) => Some(self.count(b, true)),
                Ok(Unstuffed::End) => {
                    self.mode = Mode::Idle;
                    Some(DataStep::End)
                }
                // The mode stays: the transaction is still being received when the
                // server reports the error (and the unstuffer returns nothing more).
                Err(e) => Some(DataStep::Framing(e)),
            },
            Mode::Chunk {
                remaining: 0,
                last,
                size,
            } => {
                let step = if *last {
                    DataStep::End
                } else {
                    DataStep::ChunkDone { size: *size }
                };
                self.mode = Mode::Idle;
                Some(step)
            }
            Mode::Chunk { remaining, .. } => {
                let n = (*remaining).min(buf.len() as u64) as usize;
                if n == 0 {
                    return None;
                }
                *remaining -= n as u64;
                let piece = buf.take(n);
                Some(self.count(piece, false))
            }
            Mode::Discard { remaining: 0 } => {
                self.mode = Mode::Idle;
                Some(DataStep::DiscardDone)
            }
            Mode::Discard { remaining } => {
                let n = (*remaining).min(buf.len() as u64) as usize;
                if n == 0 {
                    return None;
                }
                *remaining -= n as u64;
                buf.discard(n);
                self.poll(buf)
            }
        }
    }

    /// Counts a piece toward the limits: the piece itself while under them, the abort
    /// once over, and nothing (read on) after that.
    fn count(&mut self, piece: Bytes, text: bool) -> DataStep {
        if self.aborted.is_some() {
            return self.poll_on();
        }
        self.size += piece.len() as u64;
        let mut why = None;
        if self.max_size.is_some_and(|m| self.size > m) {
            why = Some(AbortReason::TooLarge);
        } else if self.refuse_nul && memchr::memchr(0, &piece).is_some() {
            // RFC 5322 2.3 and 3.5: message text holds no NUL; see `NulPolicy`.
            why = Some(AbortReason::Nul);
        } else if text && !self.lines_fit(&piece) {
            why = Some(AbortReason::LineTooLong);
        }
        match why {
            Some(w) => {
                self.aborted = Some(w);
                if let Mode::Chunk { remaining, .. } = self.mode {
                    // RFC 3030 2: over the SIZE limit mid-chunk, the rest of the chunk is
                    // dropped and the transaction ends with the chunk's refusal.
                    self.mode = Mode::Discard { remaining };
                }
                DataStep::Aborted(w)
            }
            None => DataStep::Data(piece),
        }
    }

    /// Whether every line ending in `piece` and the line still open after it fit the
    /// text-line limit (RFC 5321 4.5.3.1.6: at most 1000 octets with CRLF), carrying the
    /// open line's length to the next piece.
    ///
    /// One backward search per window of `max_line` octets instead of one per line:
    /// if the window starting where the open line continues holds an LF, every line
    /// ending inside it is shorter than the window, so only the part after its last LF
    /// is carried on.
    fn lines_fit(&mut self, piece: &[u8]) -> bool {
        let mut rest = piece;
        loop {
            let room = self.max_line.saturating_sub(self.line_len);
            if rest.len() <= room {
                // An open line may reach the limit exactly; one more octet, even its LF,
                // is too long.
                match memchr::memrchr(b'\n', rest) {
                    Some(lf) => self.line_len = rest.len() - lf - 1,
                    None => self.line_len += rest.len(),
                }
                return true;
            }
            match memchr::memrchr(b'\n', &rest[..room]) {
                Some(lf) => {
                    self.line_len = 0;
                    rest = &rest[lf + 1..];
                }
                None => return false,
            }
        }
    }

    /// After an abort: nothing to hand out for this piece. The caller polls again.
    fn poll_on(&mut self) -> DataStep {
        DataStep::Data(Bytes::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// The per-line count the window search replaced: the verdict for each piece and the
    /// open line's length after it.
    fn per_line(line_len: &mut usize, max_line: usize, piece: &[u8]) -> bool {
        let mut fits = true;
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', piece) {
            if *line_len + (nl + 1 - start) > max_line {
                fits = false;
            }
            *line_len = 0;
            start = nl + 1;
        }
        *line_len += piece.len() - start;
        fits && *line_len <= max_line
    }

    #[test]
    fn window_search_agrees_with_a_per_line_count() {
        let mut next = crate::test_rand::xorshift(0x2545_f491_4f6c_dd1du64);
        for _ in 0..20_000 {
            let max_line = (next() % 12) as usize;
            let mut reader = DataReader::new(None, max_line);
            let mut line_len = 0;
            for _ in 0..(next() % 5) {
                let len = (next() % 30) as usize;
                let piece: Vec<u8> = (0..len)
                    .map(|_| if next() % 5 == 0 { b'\n' } else { b'x' })
                    .collect();
                let want = per_line(&mut line_len, max_line, &piece);
                assert_eq!(reader.lines_fit(&piece), want, "{max_line} {piece:?}");
                if !want {
                    break; // the transaction is aborted: nothing is counted after
                }
                assert_eq!(reader.line_len, line_len);
            }
        }
    }
}

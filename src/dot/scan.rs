//! Where strict dot-stuffed input may need a look, noted while the input is copied into
//! the receive buffer, so that each byte is read from memory once on its way through
//! the unstuffer instead of once to copy it and again to check it.
//!
//! The note is a map of marks, one per span of [`SPAN`] octets: a clear mark is a
//! promise that no byte in its span is one [`needs_look`] flags, a set mark only that
//! one may be. [`LookMap::next_look`] gives exactly what [`first_event`] gives; the
//! marks only let it skip the spans that are known to be clean, and the search inside a
//! marked span stops at its end.

use super::{first_event, needs_look, scan_flags};
use crate::buffer::{Overflow, RecvBuffer};

/// Octets per mark: small enough that finding the byte in a marked span is cheap, large
/// enough that one read's marks fit in a few words.
const SPAN: usize = 256;
/// Words of marks: 256 marks, 64 KiB of input, a typical read.
const WORDS: usize = 4;
/// Marks in a map.
const MARKS: usize = 64 * WORDS;
/// Spans checked before they are copied in one piece: 4 KiB, which is still in the
/// nearest cache when it is copied.
const GROUP: usize = 16;

/// The marks for one stretch of the stream, from a [`LookMap::fill`] until the next.
#[derive(Clone, Debug, Default)]
pub(super) struct LookMap {
    /// Stream offset of the first octet covered.
    from: u64,
    /// Stream offset just past the last octet covered (no more than `from` when empty).
    to: u64,
    /// Bit `k`: the span starting at `from + k * SPAN` may hold a flagged octet.
    marks: [u64; WORDS],
}

impl LookMap {
    /// Appends `input` to `buf`, all or (past the limit) none of it, and marks the
    /// spans of what `buf` then holds. `prev` is the octet before `buf`'s first, in the
    /// sense of [`first_event`]. Octets already held are left to be checked by
    /// [`next_look`](Self::next_look) (their span is marked); with a span or more held
    /// nothing is marked.
    pub(super) fn fill(
        &mut self,
        buf: &mut RecvBuffer,
        input: &[u8],
        prev: u8,
    ) -> Result<(), Overflow> {
        let held = buf.len();
        let wanted = held.saturating_add(input.len());
        if wanted > buf.limit() {
            return Err(Overflow {
                limit: buf.limit(),
                wanted,
            });
        }
        // Empty until the end, so the map never claims more than was checked.
        self.from = buf.consumed();
        self.to = self.from;
        self.marks = [0; WORDS];
        if held >= SPAN {
            return buf.push(input); // nothing covered: `next_look` checks it all
        }
        buf.reserve(input.len());
        // With octets held, input piece `k` starts inside span `k` and reaches into
        // span `k + 1`; the held octets themselves (and the pair they make with the
        // input's first) are in span 0, marked for `next_look` to check.
        let shift = usize::from(held > 0);
        if held > 0 {
            self.mark(0);
        }
        let prev = buf.as_slice().last().copied().unwrap_or(prev);
        // The first piece alone: its first pair is made with `prev`.
        let mut pieces = 0;
        if let Some(piece) = input.get(..SPAN) {
            if needs_look(prev, piece[0]) != 0 || any_flagged(&piece[1..], &piece[..SPAN - 1]) {
                self.mark(0);
                self.mark(shift);
            }
            pieces = 1;
        }
        // Then a group of pieces at a time, each checked in a window that holds the octet
        // before it, so every pair is in it; the group is copied in while it is still in
        // the nearest cache.
        let mut copied = 0;
        while pieces > 0 && pieces + GROUP + shift <= MARKS {
            let start = pieces * SPAN;
            let Some(window) = input.get(start - 1..start + GROUP * SPAN) else {
                break;
            };
            let Ok(window) = <&[u8; GROUP * SPAN + 1]>::try_from(window) else {
                break; // never: the range is GROUP * SPAN + 1 long
            };
            let mut flagged = 0u32;
            for (k, piece) in window.windows(SPAN + 1).step_by(SPAN).enumerate() {
                flagged |= u32::from(any_flagged(&piece[1..], &piece[..SPAN])) << k;
            }
            while flagged != 0 {
                let k = pieces + flagged.trailing_zeros() as usize;
                self.mark(k);
                self.mark(k + shift);
                flagged &= flagged - 1;
            }
            pieces += GROUP;
            buf.push(&input[copied..start + GROUP * SPAN])?;
            copied = start + GROUP * SPAN;
        }
        // Whole pieces short of a group, one at a time.
        while pieces > 0 && pieces + shift < MARKS {
            let start = pieces * SPAN;
            let Some(window) = input.get(start - 1..start + SPAN) else {
                break;
            };
            if any_flagged(&window[1..], &window[..SPAN]) {
                self.mark(pieces);
                self.mark(pieces + shift);
            }
            pieces += 1;
        }
        // The rest (a tail shorter than a span, or past the last mark) is checked by
        // `next_look` when it is polled.
        buf.push(&input[copied..])?;
        self.to = self.from + (held + pieces * SPAN) as u64;
        Ok(())
    }

    fn mark(&mut self, span: usize) {
        if let Some(w) = self.marks.get_mut(span / 64) {
            *w |= 1 << (span % 64);
        }
    }

    /// The first marked span in `first..=last`.
    fn first_mark(&self, first: usize, last: usize) -> Option<usize> {
        let mut word = first / 64;
        let mut bits = *self.marks.get(word)? & (u64::MAX << (first % 64));
        loop {
            if bits != 0 {
                let span = word * 64 + bits.trailing_zeros() as usize;
                return (span <= last).then_some(span);
            }
            word += 1;
            if word * 64 > last {
                return None;
            }
            bits = *self.marks.get(word)?;
        }
    }

    /// What `first_event(data, prev)` returns, for `data` starting at stream offset
    /// `base`: the index of the first flagged octet, or `data.len()`.
    pub(super) fn next_look(&self, data: &[u8], prev: u8, base: u64) -> usize {
        let covered = if base >= self.from && base < self.to {
            (self.to - base).min(data.len() as u64) as usize
        } else {
            0
        };
        if covered == 0 {
            return first_event(data, prev);
        }
        let span_of = |at: usize| ((base + at as u64 - self.from) / SPAN as u64) as usize;
        // The start of a span, as an index into `data` (0 for one that began before it).
        let start_of = |span: usize| (self.from + (span * SPAN) as u64).saturating_sub(base);
        let last = span_of(covered - 1);
        // `data[..clean]` is known to hold no flagged octet.
        let mut clean = 0;
        while clean < covered {
            // Every flagged octet of the covered part is in a marked span, so the first
            // is at or after the first marked span from here; a marked span may hold
            // none, and then the search goes on from the next mark.
            let Some(span) = self.first_mark(span_of(clean), last) else {
                clean = covered;
                break;
            };
            let from = (start_of(span) as usize).max(clean);
            let end = (start_of(span + 1) as usize).min(covered);
            let before = if from == 0 { prev } else { data[from - 1] };
            match scan_flags(&data[from..], before, end - from) {
                Ok(at) => return from + at,
                Err(n) => clean = from + n,
            }
        }
        match clean {
            0 => first_event(data, prev),
            _ if clean >= data.len() => data.len(),
            _ => clean + first_event(&data[clean..], data[clean - 1]),
        }
    }
}

/// Whether any pair (`before[i]`, `cur[i]`) is one [`needs_look`] flags; branch-free,
/// so it compiles to vector compares.
#[inline(always)]
fn any_flagged(cur: &[u8], before: &[u8]) -> bool {
    cur.iter()
        .zip(before)
        .fold(0u8, |acc, (&c, &p)| acc | needs_look(p, c))
        != 0
}

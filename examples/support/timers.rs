//! The mio driver's timer queue: every connection's machine deadline, earliest first.
//!
//! A connection's deadline moves often: every SMTP or POP3 command restarts the idle
//! clock. Moving an entry inside a binary heap is not possible, so a move pushes a new
//! entry and leaves the old one stale; a stale entry is skipped when it surfaces
//! (its slot's deadline is no longer that instant). Left alone, stale entries would pile
//! up for as long as the timeout lasts (ten minutes for POP3's autologout), one per
//! command, on every connection: memory that grows with the command rate, without a
//! bound a client cannot push. So [`Timers::sweep`] drops them once they outnumber the
//! live ones, which keeps the queue within `2 * live + SLACK` entries at a cost
//! amortised over the pushes that made them stale.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use wirestate::Instant;

/// Entries allowed beyond twice the live connections before a sweep, so a small queue
/// is never swept on every round.
pub const SLACK: usize = 64;

/// Deadlines by slot, earliest first; see the module docs for stale entries.
#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize)>>,
}

impl Timers {
    /// Queues `slot`'s new deadline. The slot's earlier entry, if any, goes stale.
    pub fn schedule(&mut self, deadline: Instant, slot: usize) {
        self.heap.push(Reverse((deadline, slot)));
    }

    /// The earliest queued deadline. It may be stale, which only wakes the loop early.
    pub fn earliest(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((d, _))| *d)
    }

    /// Takes the earliest entry if it is due at `now`, stale or not: the caller checks
    /// it against the slot's current deadline.
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, usize)> {
        match self.heap.peek() {
            Some(Reverse((d, _))) if *d <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// Drops every stale entry once the queue holds more than `2 * live + SLACK`.
    /// `current(slot)` is the slot's deadline now (`None` for a closed slot); an entry
    /// is kept only if it matches, and only once.
    pub fn sweep(&mut self, live: usize, current: impl Fn(usize) -> Option<Instant>) {
        if self.heap.len() <= 2 * live + SLACK {
            return;
        }
        let mut kept: Vec<_> = std::mem::take(&mut self.heap)
            .into_vec()
            .into_iter()
            .filter(|Reverse((d, slot))| current(*slot) == Some(*d))
            .collect();
        kept.sort_unstable();
        kept.dedup();
        self.heap = BinaryHeap::from(kept);
    }

    /// Entries queued, stale ones included.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

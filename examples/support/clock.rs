//! The drivers' clock: the process clock as the machines' millisecond `Instant`.

use std::cell::Cell;
use std::time::{Duration, Instant as StdInstant};
use wirestate::Instant;

/// Converts the process clock into the machines' millisecond `Instant`.
///
/// It remembers the millisecond it last gave and when the next one begins, so a reading
/// within the same millisecond costs a comparison instead of a subtraction: the mio
/// driver reads the clock once per loop round, a round per message under lockstep load,
/// and `elapsed` + `as_millis` cost 89 instructions of the greeting server's 895 per
/// message (callgrind). The figure is the same either way: whole milliseconds since
/// `new`.
#[derive(Clone, Debug)]
pub struct Clock {
    start: StdInstant,
    /// The last reading's milliseconds, and the instant the next millisecond begins.
    last_ms: Cell<u64>,
    next_ms_at: Cell<StdInstant>,
}

impl Clock {
    pub fn new() -> Clock {
        let start = StdInstant::now();
        Clock {
            start,
            last_ms: Cell::new(0),
            next_ms_at: Cell::new(start + Duration::from_millis(1)),
        }
    }

    pub fn now(&self) -> Instant {
        let t = StdInstant::now();
        // The clock is monotonic, so a reading before the next millisecond's start is
        // still in the last one.
        if t < self.next_ms_at.get() {
            return Instant::from_millis(self.last_ms.get());
        }
        let ms = t.duration_since(self.start).as_millis() as u64;
        self.last_ms.set(ms);
        self.next_ms_at
            .set(self.start + Duration::from_millis(ms.saturating_add(1)));
        Instant::from_millis(ms)
    }

    /// How long from now until `deadline` (zero if it has passed).
    pub fn until(&self, deadline: Instant) -> Duration {
        deadline.saturating_duration_since(self.now())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

//! The drivers' clock (examples/support/clock.rs): every reading is the whole
//! milliseconds since it was made, whether it took the path that only compares with the
//! next millisecond's start or the one that computes it afresh.

#[path = "../examples/support/clock.rs"]
mod clock;

use clock::Clock;
use std::time::{Duration, Instant as StdInstant};

#[test]
fn readings_are_the_whole_milliseconds_since_new_and_never_go_back() {
    let before_new = StdInstant::now();
    let clock = Clock::new();
    let after_new = StdInstant::now();
    let mut last = 0;
    let mut readings = 0u64;
    let mut distinct = 0;
    // Until 20 new milliseconds have been seen (a loaded machine may take longer than
    // 20 ms to see them), with a bound that only a stuck clock reaches.
    while distinct < 20 && before_new.elapsed() < Duration::from_secs(10) {
        let a = StdInstant::now();
        let ms = clock.now().as_millis();
        let b = StdInstant::now();
        // The reading was taken between `a` and `b`, from a start between `before_new`
        // and `after_new`.
        let low = a.saturating_duration_since(after_new).as_millis() as u64;
        let high = b.duration_since(before_new).as_millis() as u64;
        assert!(
            (low..=high).contains(&ms),
            "reading {ms} ms outside {low}..={high}"
        );
        assert!(ms >= last, "went back from {last} to {ms}");
        if ms != last {
            distinct += 1;
        }
        last = ms;
        readings += 1;
    }
    // Both paths ran: many readings within a millisecond, and many new milliseconds.
    assert!(distinct >= 20, "only {distinct} new milliseconds in 10 s");
    assert!(
        readings > 2 * distinct,
        "{readings} readings for {distinct} milliseconds"
    );
}

#[test]
fn until_is_zero_for_a_passed_deadline_and_counts_down_to_a_later_one() {
    let clock = Clock::new();
    assert_eq!(clock.until(wirestate::Instant::ZERO), Duration::ZERO);
    let later = wirestate::Instant::from_millis(clock.now().as_millis() + 500);
    let left = clock.until(later);
    assert!(left <= Duration::from_millis(500) && left >= Duration::from_millis(450));
}

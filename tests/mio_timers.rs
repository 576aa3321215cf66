//! The mio driver's timer queue (examples/support/timers.rs): due entries come out
//! earliest first, and a connection that moves its deadline on every command cannot grow
//! the queue past `2 * live + SLACK` entries, however many moves it makes before the
//! timeout (a POP3 connection restarts its ten-minute autologout on every command).

#[path = "../examples/support/timers.rs"]
mod timers;

use timers::{Timers, SLACK};
use wirestate::Instant;

#[test]
fn due_entries_come_out_earliest_first_and_not_before_due() {
    let mut t = Timers::default();
    t.schedule(Instant::from_millis(30), 3);
    t.schedule(Instant::from_millis(10), 1);
    t.schedule(Instant::from_millis(20), 2);
    assert_eq!(t.earliest(), Some(Instant::from_millis(10)));
    assert_eq!(t.pop_due(Instant::from_millis(5)), None);
    assert_eq!(
        t.pop_due(Instant::from_millis(25)),
        Some((Instant::from_millis(10), 1))
    );
    assert_eq!(
        t.pop_due(Instant::from_millis(25)),
        Some((Instant::from_millis(20), 2))
    );
    assert_eq!(t.pop_due(Instant::from_millis(25)), None);
    assert_eq!(t.len(), 1);
    assert_eq!(
        t.pop_due(Instant::from_millis(30)),
        Some((Instant::from_millis(30), 3))
    );
    assert!(t.is_empty());
}

#[test]
fn a_deadline_moved_on_every_command_keeps_the_queue_bounded() {
    // 100 live connections, each moving its deadline 10,000 times, as a client sending
    // 10,000 commands inside one idle timeout does; the driver sweeps once per round.
    let live = 100;
    let mut current: Vec<Option<Instant>> = vec![None; live];
    let mut t = Timers::default();
    let mut most = 0;
    for step in 0..10_000u64 {
        let d = Instant::from_millis(600_000 + step);
        for (slot, deadline) in current.iter_mut().enumerate() {
            *deadline = Some(d);
            t.schedule(d, slot);
        }
        most = most.max(t.len());
        t.sweep(live, |s| current.get(s).copied().flatten());
    }
    // Without the sweep the queue would hold 1,000,000 entries here.
    assert!(most <= 3 * live + SLACK, "queue reached {most} entries");
    // A sweep with work to do leaves exactly the live deadlines, and they still fire.
    for _ in 0..=(2 * live + SLACK) {
        t.schedule(Instant::from_millis(1), live + 1);
    }
    t.sweep(live, |s| current.get(s).copied().flatten());
    assert_eq!(t.len(), live);
    let due = Instant::from_millis(600_000 + 10_000);
    let mut fired = 0;
    while let Some((d, slot)) = t.pop_due(due) {
        assert_eq!(current[slot], Some(d));
        fired += 1;
    }
    assert_eq!(fired, live);
}

#[test]
fn a_deadline_set_back_and_forth_is_kept_once() {
    let mut t = Timers::default();
    let a = Instant::from_millis(10);
    for _ in 0..=SLACK {
        t.schedule(a, 0);
    }
    t.sweep(0, |_| Some(a));
    assert_eq!(t.len(), 1);
}

//! The group fsync of a Maildir's `new/`: concurrent deliveries share directory fsyncs,
//! up to two run at once, and no delivery is reported durable before a sync that
//! started after its rename has completed.
//!
//! A storage whose directory fsyncs each wait for the test to let that one go (by the
//! order they started in) stands for a slow disk, so the test can see which syncs run,
//! and which deliveries have returned, at every step.

#[path = "common/held_sync.rs"]
mod held_sync;
#[path = "../examples/support/mod.rs"]
mod support;

use held_sync::Held;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::maildir::Maildir;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wirestate-sync-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    Maildir::create(&dir).unwrap();
    dir
}

fn in_new(dir: &Path) -> usize {
    fs::read_dir(dir.join("new")).unwrap().count()
}

/// Starts one delivery on its own thread; its result comes back on the channel.
fn deliver(maildir: &Maildir, tag: &str) -> mpsc::Receiver<io::Result<PathBuf>> {
    let (tx, rx) = mpsc::channel();
    let maildir = maildir.clone();
    let body = format!("Subject: {tag}\r\n\r\n{tag}\r\n");
    std::thread::spawn(move || {
        let r = maildir.begin().and_then(|mut d| {
            d.write(body.as_bytes())?;
            d.commit(&maildir)
        });
        let _ = tx.send(r);
    });
    rx
}

/// Waits until `n` messages have been renamed into `new/`.
fn wait_renamed(dir: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while in_new(dir) < n {
        assert!(Instant::now() < deadline, "no rename into new/");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn pending(rx: &mpsc::Receiver<io::Result<PathBuf>>) -> bool {
    matches!(
        rx.recv_timeout(Duration::from_millis(200)),
        Err(mpsc::RecvTimeoutError::Timeout)
    )
}

fn done(rx: &mpsc::Receiver<io::Result<PathBuf>>) -> PathBuf {
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the delivery did not return")
        .expect("the delivery failed")
}

/// A delivery that finds a sync running starts a second at once rather than waiting
/// for the first to end (which started before its rename, so could not cover it); a
/// third, with two running, waits, and since neither started after its rename it is
/// not released when they end but only by a sync of its own.
#[test]
fn a_second_sync_runs_beside_the_first_and_a_third_waits_for_one_of_its_own() {
    let dir = scratch("second");
    let held = Held::default();
    let gate = held.0.clone();
    let maildir = Maildir::open(&dir, Arc::new(held));

    let a = deliver(&maildir, "a");
    gate.wait_entered(1);
    let b = deliver(&maildir, "b");
    gate.wait_entered(2);
    assert!(pending(&a) && pending(&b), "released before any sync ended");

    let c = deliver(&maildir, "c");
    wait_renamed(&dir, 3);
    assert!(pending(&c), "released before any sync ended");
    assert_eq!(gate.entered(), 2, "a third sync started while two ran");

    gate.release(1);
    gate.release(2);
    assert!(done(&a).exists() && done(&b).exists());
    // The two syncs ended, but both began before c's rename: c needs a third.
    gate.wait_entered(3);
    assert!(
        pending(&c),
        "released by a sync that began before its rename"
    );
    gate.release(3);
    assert!(done(&c).exists());
    assert_eq!(gate.entered(), 3);
    let _ = fs::remove_dir_all(&dir);
}

/// Syncs may end out of order: a delivery waiting for sync 3 is released when sync 4,
/// which started later still, has ended, while sync 3 runs on. (The delivery that runs
/// a sync waits in it, so only one that waits for another's sync can be released so.)
#[test]
fn a_later_sync_releases_a_delivery_waiting_for_an_earlier_one() {
    let dir = scratch("order");
    let held = Held::default();
    let gate = held.0.clone();
    let maildir = Maildir::open(&dir, Arc::new(held));

    let a = deliver(&maildir, "a");
    gate.wait_entered(1);
    let b = deliver(&maildir, "b");
    gate.wait_entered(2);
    // c and d wait with two syncs running; when sync 1 ends, one of them starts
    // sync 3 and the other waits for it.
    let c = deliver(&maildir, "c");
    let d = deliver(&maildir, "d");
    wait_renamed(&dir, 4);
    gate.release(1);
    assert!(done(&a).exists());
    gate.wait_entered(3);
    // e comes after sync 3 began, waits, and starts sync 4 once sync 2 ends.
    let e = deliver(&maildir, "e");
    wait_renamed(&dir, 5);
    gate.release(2);
    assert!(done(&b).exists());
    gate.wait_entered(4);
    assert!(pending(&c) && pending(&d) && pending(&e));

    gate.release(4);
    assert!(done(&e).exists());
    // Whichever of c and d only waited is released by sync 4; the one in sync 3 is not.
    let (waiter, leader) = match c.recv_timeout(Duration::from_secs(2)) {
        Ok(r) => (r, d),
        Err(_) => (
            d.recv_timeout(Duration::from_secs(20)).expect("no release"),
            c,
        ),
    };
    assert!(waiter.expect("the delivery failed").exists());
    assert!(pending(&leader), "a delivery in a running sync returned");
    gate.release(3);
    assert!(done(&leader).exists());
    assert_eq!(gate.entered(), 4);
    let _ = fs::remove_dir_all(&dir);
}

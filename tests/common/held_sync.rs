//! A slow disk for the durability tests: the real disk, with every directory fsync
//! numbered from 1 as it starts and held until the test releases that one (or opens
//! the gate for all), so a test can see which syncs run and what the code under test
//! has (not) done while they wait. Included with `#[path]` beside `examples/support`.

use crate::support::maildir::{Disk, Storage, StoredFile};
use std::collections::HashSet;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The directory fsyncs started so far, and which may finish.
#[derive(Debug, Default)]
pub struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    entered: usize,
    released: HashSet<usize>,
    open: bool,
}

#[allow(dead_code)]
impl Gate {
    /// Lets sync number `sync` (counted from 1 as they start) finish.
    pub fn release(&self, sync: usize) {
        self.state.lock().unwrap().released.insert(sync);
        self.changed.notify_all();
    }

    /// Lets every sync, held or still to come, finish.
    pub fn open(&self) {
        self.state.lock().unwrap().open = true;
        self.changed.notify_all();
    }

    /// Directory fsyncs started so far.
    pub fn entered(&self) -> usize {
        self.state.lock().unwrap().entered
    }

    /// Waits (at most 20 s, then fails the test) until `n` syncs have started.
    pub fn wait_entered(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut s = self.state.lock().unwrap();
        while s.entered < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for directory fsync {n} to start"
            );
            s = self.changed.wait_timeout(s, left).unwrap().0;
        }
    }
}

/// The [`Storage`]: [`Disk`], with its directory fsyncs held by the shared [`Gate`].
#[derive(Debug, Clone, Default)]
pub struct Held(pub Arc<Gate>);

impl Storage for Held {
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn StoredFile>> {
        Disk.create_new(path)
    }
    fn open(&self, path: &Path) -> io::Result<Box<dyn Read + Send>> {
        Disk.open(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        Disk.rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        Disk.remove(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let gate = &self.0;
        let mut s = gate.state.lock().unwrap();
        s.entered += 1;
        let me = s.entered;
        gate.changed.notify_all();
        // Bounded, so code that never lets a sync finish fails the test instead of
        // hanging it.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !(s.open || s.released.contains(&me)) && Instant::now() < deadline {
            s = gate
                .changed
                .wait_timeout(s, Duration::from_secs(1))
                .unwrap()
                .0;
        }
        drop(s);
        Disk.sync_dir(dir)
    }
}

//! Blocking work handed off an event loop: a small pool of threads runs it, and the loop
//! is woken when it is done.
//!
//! The `mio` driver has one thread for every connection. A handler that must block (the
//! SMTP server's fsyncs before its `250`) would stop every connection for as long as the
//! disk takes, and no two fsyncs could overlap, so the disk's group commit never gets
//! more than one delivery to share. Instead the driver gives each handler an [`Offload`]:
//! the handler runs the blocking part with [`Offload::run`], answers nothing until it is
//! done, and says so with `Handler::is_waiting`; the driver then reads nothing more of
//! that connection (so pipelined commands keep their order) and goes on serving the
//! others. When the work is done the pool marks the connection's slot ready and wakes
//! the loop (`mio::Waker`), which calls `Handler::on_wake` and then services the
//! connection again.
//!
//! The pool's threads are started on first use, one more whenever work is queued and
//! none is idle, up to [`MAX_THREADS`]; the queue holds at most one job per waiting
//! connection, so it is bounded by the connections served.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The most threads one pool runs. Each waits on the disk most of the time, so this is
/// how many deliveries can be in flight at once (and share one directory fsync); it is
/// well above the 20 parallel sessions of the load bench.
pub const MAX_THREADS: usize = 64;

type Job = Box<dyn FnOnce() + Send>;

/// What tells the event loop that work finished: `mio::Waker` in the driver, anything in
/// tests.
pub trait Wakeup: Send + Sync {
    /// Interrupts the loop's poll (called from a pool thread).
    fn wake(&self);
}

impl Wakeup for mio::Waker {
    fn wake(&self) {
        // Fails only if the eventfd cannot be written; the loop would then serve this
        // connection late (on its next event) rather than never, and there is no one to
        // tell but the log.
        if let Err(e) = mio::Waker::wake(self) {
            eprintln!("offload: cannot wake the event loop: {e}");
        }
    }
}

/// The pool and the list of slots whose work finished, shared by a loop and its
/// threads.
pub struct Pool {
    state: Mutex<State>,
    work: Condvar,
    wakeup: Box<dyn Wakeup>,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
    /// Slots whose work is done since the loop last looked.
    ready: Vec<usize>,
}

impl Pool {
    /// A pool with no threads yet; `wakeup` interrupts the loop when work is done.
    pub fn new(wakeup: impl Wakeup + 'static) -> Arc<Pool> {
        Arc::new(Pool {
            state: Mutex::default(),
            work: Condvar::new(),
            wakeup: Box::new(wakeup),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Jobs run outside the lock, so a panicking job cannot leave the state half
        // updated: take it as it is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The slots whose work finished since the last call, in the order they finished.
    pub fn take_ready(&self, into: &mut Vec<usize>) {
        into.clear();
        std::mem::swap(into, &mut self.lock().ready);
    }

    /// The offload handle of the connection in `slot`.
    pub fn offload(self: &Arc<Self>, slot: usize) -> Offload {
        Offload {
            pool: self.clone(),
            slot,
        }
    }

    fn submit(self: &Arc<Self>, job: Job) {
        let mut s = self.lock();
        s.queue.push_back(job);
        if s.idle > 0 {
            drop(s);
            self.work.notify_one();
            return;
        }
        if s.threads < MAX_THREADS {
            let pool = self.clone();
            let spawned = std::thread::Builder::new()
                .name("delivery".into())
                .spawn(move || pool.worker());
            match spawned {
                Ok(_) => s.threads += 1,
                // The job stays queued for a thread that exists (if none does, the
                // first job cannot run: say why).
                Err(e) => eprintln!(
                    "offload: cannot start a thread ({e}); {} running",
                    s.threads
                ),
            }
        }
    }

    fn worker(self: Arc<Self>) {
        let mut s = self.lock();
        loop {
            if let Some(job) = s.queue.pop_front() {
                drop(s);
                job();
                s = self.lock();
                continue;
            }
            s.idle += 1;
            s = self.work.wait(s).unwrap_or_else(|e| e.into_inner());
            s.idle -= 1;
        }
    }

    fn done(&self, slot: usize) {
        let mut s = self.lock();
        let first = s.ready.is_empty();
        // Bounded: one entry per finished job, and a connection has at most one.
        s.ready.push(slot);
        drop(s);
        // One wake per batch: the loop takes the whole list when it runs.
        if first {
            self.wakeup.wake();
        }
    }
}

/// One connection's way to run blocking work off the loop. A wake may reach a slot
/// that a newer connection now holds (the old one closed while its work ran): the
/// handler finds its result by its own channel, so such a wake finds nothing and does
/// nothing.
#[derive(Clone)]
pub struct Offload {
    pool: Arc<Pool>,
    slot: usize,
}

impl Offload {
    /// Runs `f` on a pool thread; once it returned (or panicked), its connection is
    /// woken.
    pub fn run(&self, f: impl FnOnce() + Send + 'static) {
        let pool = self.pool.clone();
        let slot = self.slot;
        self.pool.submit(Box::new(move || {
            // A panicking job still wakes its connection (whose handler then finds no
            // result and fails the work), and the thread lives on for the next job.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            pool.done(slot);
        }));
    }
}

impl std::fmt::Debug for Offload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Offload").field("slot", &self.slot).finish()
    }
}

//! The blocking `std::net` driver: one machine per socket, one thread per connection (a
//! thread that has finished one connection may serve a later one).
//! It is the loop from the `Machine` docs and knows nothing of any protocol: bodies are
//! paced by `wants_body`, reading by `wants_input`, timers by `poll_timeout`.

use super::quick_ack::{ack_now, Acks};
use super::{deliver_events, feed_body, Clock, Handler};
use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
use wirestate::Machine;

/// Binds `addr` and prints `listening on ADDR` to stderr, as every example server does.
pub fn bind(addr: &str) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    eprintln!("listening on {}", listener.local_addr()?);
    Ok(listener)
}

/// Writes everything the machine has queued, then lets the handler stream body chunks
/// for as long as the machine wants them. Returns whether the handler was asked for one
/// (see [`feed_body`]).
pub fn flush<M: Machine, H: Handler<M>>(
    stream: &mut TcpStream,
    machine: &mut M,
    handler: &mut H,
) -> io::Result<bool> {
    while let Some(bytes) = machine.poll_transmit() {
        stream.write_all(&bytes)?;
    }
    feed_body(machine, handler, |_, bytes| {
        stream.write_all(&bytes)?;
        Ok(true)
    })
}

/// Runs the driver loop for one machine on one connected stream until the machine is
/// closed or the peer goes away. `read_size` is the size of each `read`: with the
/// greeting protocol's chunk framing it is the classic peers' `recv(1024)`. `acks` is
/// [`Acks::AtOnce`] on the client side (see `quick_ack.rs`).
pub fn drive<M, H>(
    stream: &mut TcpStream,
    machine: &mut M,
    read_size: usize,
    mut handler: H,
    acks: Acks,
) -> io::Result<()>
where
    M: Machine,
    H: Handler<M>,
{
    let clock = Clock::new();
    let mut buf = vec![0u8; read_size.max(1)];
    let mut eof = false;
    loop {
        deliver_events(machine, &mut handler);
        while flush(stream, machine, &mut handler)? && deliver_events(machine, &mut handler) {}
        if machine.is_closed() {
            let _ = stream.shutdown(Shutdown::Write);
            return Ok(());
        }
        if machine.wants_tls() {
            // This driver carries plaintext only; the machine must not go on in the clear.
            eprintln!("the machine asked for TLS, which this driver was not given");
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
        let deadline = machine.poll_timeout();
        if eof || !machine.wants_input() {
            // Nothing to read now (the peer is gone, or the machine is full): only a timer,
            // or the handler's next body chunk, can move the machine.
            match deadline {
                Some(d) => {
                    std::thread::sleep(clock.until(d));
                    machine.handle_timeout(clock.now());
                    continue;
                }
                None if eof => return Ok(()),
                None => {
                    return Err(io::Error::other(
                        "the machine takes no input and has no timer: stalled",
                    ))
                }
            }
        }
        let wait = deadline.map(|d| clock.until(d).max(Duration::from_millis(1)));
        stream.set_read_timeout(wait)?;
        match stream.read(&mut buf) {
            Ok(0) => {
                eof = true;
                machine.handle_eof(clock.now());
            }
            Ok(n) => {
                if acks == Acks::AtOnce {
                    ack_now(stream);
                }
                machine.handle_input(clock.now(), &buf[..n])
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                machine.handle_timeout(clock.now())
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Accepts connections forever, one thread each. `setup` builds the machine and the
/// handler for each new peer from its address.
///
/// A thread that has finished its connection waits a while for the next one instead of
/// exiting (see [`Idle`]), so a connection served by a waiting thread pays for neither
/// the creation of a thread nor its exit.
pub fn serve<M, H, S>(listener: TcpListener, read_size: usize, setup: S) -> io::Result<()>
where
    M: Machine + Send + 'static,
    H: Handler<M> + Send + 'static,
    S: Fn(SocketAddr) -> (M, H) + Send + Sync + 'static,
{
    let setup = Arc::new(setup);
    let idle = Arc::new(Idle::default());
    for conn in listener.incoming() {
        let stream = match conn {
            Ok(s) => s,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Some(stream) = idle.hand_over(stream) else {
            continue;
        };
        let (setup, idle) = (setup.clone(), idle.clone());
        std::thread::spawn(move || {
            let mut next = Some(stream);
            while let Some(mut stream) = next {
                let peer = stream
                    .peer_addr()
                    .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
                let (mut machine, handler) = setup(peer);
                if let Err(e) = drive(&mut stream, &mut machine, read_size, handler, Acks::Delayed)
                {
                    eprintln!("{peer}: {e}");
                }
                drop(stream);
                next = idle.wait_for_next();
            }
        });
    }
    Ok(())
}

/// The most threads that wait for a connection at once; a thread that finishes its
/// connection while this many wait exits.
const MAX_IDLE_THREADS: usize = 64;

/// How long a thread waits for a next connection before it exits.
const IDLE_THREAD_WAIT: Duration = Duration::from_secs(10);

/// Threads that finished their connection and wait for another.
///
/// With a thread created for every connection and ended with it, a server whose clients
/// send one message per connection spent a large share of its time creating and ending
/// threads: each exit unmaps or `madvise`s its stack, which interrupts every core to
/// flush its TLB (12% of the `std` SMTP server's samples under `smtp-source` with one
/// message per connection, by `perf`; reusing threads cut its CPU per message by a
/// quarter). A waiting thread is reused instead; the wait is bounded in both count and
/// time, so a burst of connections leaves no more than [`MAX_IDLE_THREADS`] threads
/// behind, and not for long.
#[derive(Default)]
struct Idle {
    state: Mutex<IdleState>,
    arrived: Condvar,
}

#[derive(Default)]
struct IdleState {
    /// Threads waiting in [`Idle::wait_for_next`].
    waiting: usize,
    /// Connections handed over and not yet taken; never more than `waiting`.
    queued: VecDeque<TcpStream>,
}

impl Idle {
    /// Gives `stream` to a waiting thread, or gives it back when none is free (the caller
    /// then starts a thread for it).
    fn hand_over(&self, stream: TcpStream) -> Option<TcpStream> {
        let mut state = self.lock();
        if state.waiting > state.queued.len() {
            state.queued.push_back(stream);
            drop(state);
            self.arrived.notify_one();
            return None;
        }
        Some(stream)
    }

    /// Waits for the next connection; `None` when the thread should exit instead.
    fn wait_for_next(&self) -> Option<TcpStream> {
        let mut state = self.lock();
        if state.waiting >= MAX_IDLE_THREADS {
            return None;
        }
        state.waiting += 1;
        let deadline = std::time::Instant::now() + IDLE_THREAD_WAIT;
        loop {
            if let Some(stream) = state.queued.pop_front() {
                state.waiting -= 1;
                return Some(stream);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                state.waiting -= 1;
                return None;
            }
            state = match self.arrived.wait_timeout(state, left) {
                Ok((s, _)) => s,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    fn lock(&self) -> MutexGuard<'_, IdleState> {
        // Nothing panics while holding the lock, and the state stays consistent if
        // something did, so a poisoned lock is used as it is.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Connects to `addr` and runs the driver loop for `machine` until it is closed or the
/// peer goes away: the client side of [`serve`].
pub fn connect<M, H>(
    addr: SocketAddr,
    machine: &mut M,
    read_size: usize,
    handler: H,
) -> io::Result<()>
where
    M: Machine,
    H: Handler<M>,
{
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    drive(&mut stream, machine, read_size, handler, Acks::AtOnce)
}

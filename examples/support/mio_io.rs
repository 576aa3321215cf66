//! The `mio` driver: one event loop, many connections, each with its own machine.
//!
//! Write interest is registered only while a connection has unwritten bytes, and the
//! poll timeout is the earliest machine deadline, so an idle server sleeps.

use super::Clock;
use bytes::Bytes;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use wirestate::{Instant, Machine};

const LISTENER: Token = Token(usize::MAX);

struct Conn<M> {
    stream: TcpStream,
    machine: M,
    /// Unwritten transmits; the front one may be partly written.
    pending: VecDeque<Bytes>,
    writable_registered: bool,
    eof: bool,
    deadline: Option<Instant>,
}

enum Step {
    Keep,
    Close,
}

/// Runs the event loop forever. `make` builds a machine per accepted connection;
/// `on_event` handles every event of every connection. `read_size` is the size of each
/// read (the greeting protocol's chunk framing treats each read as one message).
pub fn serve<M, F, H>(
    mut listener: TcpListener,
    read_size: usize,
    mut make: F,
    mut on_event: H,
) -> io::Result<()>
where
    M: Machine,
    F: FnMut() -> M,
    H: FnMut(&mut M, M::Event),
{
    let clock = Clock::new();
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut conns: Vec<Option<Conn<M>>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    // (deadline, slot): stale entries are skipped when the slot's deadline differs.
    let mut timers: BinaryHeap<Reverse<(Instant, usize)>> = BinaryHeap::new();
    let mut buf = vec![0u8; read_size.max(1)];

    loop {
        let timeout = timers
            .peek()
            .map(|Reverse((d, _))| clock.until(*d) + std::time::Duration::from_millis(1));
        if let Err(e) = poll.poll(&mut events, timeout) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_all(&mut listener, &poll, &mut conns, &mut free, &mut make);
                continue;
            }
            let slot = event.token().0;
            let Some(Some(conn)) = conns.get_mut(slot) else {
                continue;
            };
            let mut step = Step::Keep;
            if event.is_readable() || event.is_read_closed() {
                step = read_ready(conn, &clock, &mut buf);
            }
            if matches!(step, Step::Keep) {
                step = pump(conn, &mut on_event, &poll, slot, &mut timers);
            }
            if matches!(step, Step::Close) {
                close(&poll, &mut conns, &mut free, slot);
            }
        }
        let now = clock.now();
        while let Some(Reverse((deadline, slot))) = timers.peek().copied() {
            if deadline > now {
                break;
            }
            timers.pop();
            let Some(Some(conn)) = conns.get_mut(slot) else {
                continue;
            };
            if conn.deadline != Some(deadline) {
                continue;
            }
            conn.deadline = None;
            conn.machine.handle_timeout(now);
            if matches!(
                pump(conn, &mut on_event, &poll, slot, &mut timers),
                Step::Close
            ) {
                close(&poll, &mut conns, &mut free, slot);
            }
        }
    }
}

fn accept_all<M: Machine, F: FnMut() -> M>(
    listener: &mut TcpListener,
    poll: &Poll,
    conns: &mut Vec<Option<Conn<M>>>,
    free: &mut Vec<usize>,
    make: &mut F,
) {
    loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let _ = stream.set_nodelay(true);
                let slot = free.pop().unwrap_or_else(|| {
                    conns.push(None);
                    conns.len() - 1
                });
                if let Err(e) =
                    poll.registry()
                        .register(&mut stream, Token(slot), Interest::READABLE)
                {
                    eprintln!("register: {e}");
                    free.push(slot);
                    continue;
                }
                // A machine may queue bytes at creation (a greeting banner): they go out
                // on the first pump, which the first readable or writable event triggers.
                let mut conn = Conn {
                    stream,
                    machine: make(),
                    pending: VecDeque::new(),
                    writable_registered: false,
                    eof: false,
                    deadline: None,
                };
                queue_transmits(&mut conn);
                if !conn.pending.is_empty() {
                    let _ = poll.registry().reregister(
                        &mut conn.stream,
                        Token(slot),
                        Interest::READABLE | Interest::WRITABLE,
                    );
                    conn.writable_registered = true;
                }
                conns[slot] = Some(conn);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                // Out of file descriptors and the like: keep serving who we have.
                eprintln!("accept: {e}");
                return;
            }
        }
    }
}

/// Reads until the socket would block, feeding each read to the machine.
fn read_ready<M: Machine>(conn: &mut Conn<M>, clock: &Clock, buf: &mut [u8]) -> Step {
    if conn.eof {
        return Step::Keep;
    }
    loop {
        match conn.stream.read(buf) {
            Ok(0) => {
                conn.eof = true;
                conn.machine.handle_eof(clock.now());
                return Step::Keep;
            }
            Ok(n) => conn.machine.handle_input(clock.now(), &buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Keep,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Step::Close,
        }
    }
}

fn queue_transmits<M: Machine>(conn: &mut Conn<M>) {
    while let Some(bytes) = conn.machine.poll_transmit() {
        if !bytes.is_empty() {
            conn.pending.push_back(bytes);
        }
    }
}

/// Drains events and transmits, writes what the socket takes, and updates write
/// interest and the timer.
fn pump<M, H>(
    conn: &mut Conn<M>,
    on_event: &mut H,
    poll: &Poll,
    slot: usize,
    timers: &mut BinaryHeap<Reverse<(Instant, usize)>>,
) -> Step
where
    M: Machine,
    H: FnMut(&mut M, M::Event),
{
    while let Some(event) = conn.machine.poll_event() {
        on_event(&mut conn.machine, event);
    }
    queue_transmits(conn);
    while let Some(front) = conn.pending.front_mut() {
        match conn.stream.write(front) {
            Ok(n) if n == front.len() => {
                conn.pending.pop_front();
            }
            Ok(n) => {
                bytes::Buf::advance(front, n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Step::Close,
        }
    }
    let want_write = !conn.pending.is_empty();
    if conn.pending.is_empty() && conn.machine.is_closed() {
        let _ = conn.stream.shutdown(Shutdown::Write);
        return Step::Close;
    }
    if conn.eof && !want_write && conn.machine.poll_timeout().is_none() {
        // The peer left and the machine has nothing more to do.
        return Step::Close;
    }
    if want_write != conn.writable_registered {
        let interest = if want_write {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if poll
            .registry()
            .reregister(&mut conn.stream, Token(slot), interest)
            .is_err()
        {
            return Step::Close;
        }
        conn.writable_registered = want_write;
    }
    let deadline = conn.machine.poll_timeout();
    if deadline != conn.deadline {
        conn.deadline = deadline;
        if let Some(d) = deadline {
            timers.push(Reverse((d, slot)));
        }
    }
    Step::Keep
}

fn close<M>(poll: &Poll, conns: &mut [Option<Conn<M>>], free: &mut Vec<usize>, slot: usize) {
    if let Some(mut conn) = conns[slot].take() {
        let _ = poll.registry().deregister(&mut conn.stream);
        free.push(slot);
    }
}

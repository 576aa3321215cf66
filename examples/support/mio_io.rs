//! The `mio` driver: one event loop, many connections, each with its own machine.
//!
//! Write interest is registered only while a connection has unwritten bytes, and the
//! poll timeout is the earliest machine deadline, so an idle server sleeps. A handler
//! that must block (a delivery's fsyncs) hands the work to a pool of threads (see
//! `offload`); its connection reads nothing until it is done, the others go on, and the
//! pool's `mio::Waker` brings the loop back to it.

use super::offload::Pool;
use super::quick_ack::ack_now;
use super::timers::Timers;
use super::{deliver_events, feed_body, Clock, Handler};
use bytes::Bytes;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use wirestate::{Instant, Machine};

const LISTENER: Token = Token(usize::MAX);
/// The offload pool's wake-up: some handed-off work finished.
const WAKER: Token = Token(usize::MAX - 1);

/// The driver's fields come first and in this order (`repr(C)`), so the ones every event
/// reads share the slot's first cache line instead of trailing a large machine.
#[repr(C)]
struct Conn<M, H> {
    stream: TcpStream,
    eof: bool,
    /// Reading stopped with bytes possibly left in the socket, because the peer was not
    /// taking our replies or the machine took no more input; resumed once both clear.
    read_paused: bool,
    writable_registered: bool,
    deadline: Option<Instant>,
    /// Unwritten transmits; the front one may be partly written. Empty in the common
    /// case: transmits go straight from the machine to the socket.
    pending: VecDeque<Bytes>,
    machine: M,
    handler: H,
}

impl<M: Machine, H: Handler<M>> Conn<M, H> {
    /// Whether a read may happen now: our replies are out, the machine takes input, and
    /// the handler is not waiting for handed-off work (whose answer must come before
    /// anything the client sent after it).
    fn can_read(&self) -> bool {
        self.pending.is_empty() && self.machine.wants_input() && !self.handler.is_waiting()
    }
}

enum Step {
    Keep,
    Close,
    /// Closed by a socket error, which [`connect`] reports to its caller as the std and
    /// tokio drivers do (a server just closes the connection).
    Failed(io::Error),
}

/// Runs the event loop forever. `setup` builds the machine and the handler for each
/// accepted connection from the peer's address. `read_size` is the size of each read (the
/// greeting protocol's chunk framing treats each read as one message).
pub fn serve<M, H, S>(mut listener: TcpListener, read_size: usize, mut setup: S) -> io::Result<()>
where
    M: Machine,
    H: Handler<M>,
    S: FnMut(SocketAddr) -> (M, H),
{
    let clock = Clock::new();
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let pool = Pool::new(Waker::new(poll.registry(), WAKER)?);
    let mut woken: Vec<usize> = Vec::new();
    let mut conns: Vec<Option<Conn<M, H>>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut timers = Timers::default();
    let mut buf = vec![0u8; read_size.max(1)];

    loop {
        let timeout = timers
            .earliest()
            .map(|d| clock.until(d) + std::time::Duration::from_millis(1));
        if let Err(e) = poll.poll(&mut events, timeout) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        // One clock read per round of events: machines count milliseconds, and a round
        // takes far less.
        let now = clock.now();
        for event in events.iter() {
            if event.token() == LISTENER {
                let mut io = Io {
                    now,
                    buf: &mut buf,
                    poll: &poll,
                    timers: &mut timers,
                };
                accept_all(
                    &mut listener,
                    &mut io,
                    &pool,
                    &mut conns,
                    &mut free,
                    &mut setup,
                );
                continue;
            }
            if event.token() == WAKER {
                pool.take_ready(&mut woken);
                for &slot in &woken {
                    let Some(Some(conn)) = conns.get_mut(slot) else {
                        continue;
                    };
                    conn.handler.on_wake(&mut conn.machine);
                    let mut io = Io {
                        now,
                        buf: &mut buf,
                        poll: &poll,
                        timers: &mut timers,
                    };
                    // The answer goes out, then what the machine still holds, then the
                    // reads that waited (`read_paused`).
                    if matches!(service(conn, slot, false, &mut io), Step::Close) {
                        close(&mut conns, &mut free, slot);
                    }
                }
                continue;
            }
            let slot = event.token().0;
            let Some(Some(conn)) = conns.get_mut(slot) else {
                continue;
            };
            let step = if event.is_writable() && !conn.pending.is_empty() && flush(conn).is_err() {
                Step::Close
            } else {
                let read = event.is_readable() || event.is_read_closed();
                let mut io = Io {
                    now,
                    buf: &mut buf,
                    poll: &poll,
                    timers: &mut timers,
                };
                service(conn, slot, read, &mut io)
            };
            if !matches!(step, Step::Keep) {
                close(&mut conns, &mut free, slot);
            }
        }
        // The round's clock reading serves its timers too: a timer fires late by at
        // most the round's length, never early, and a second reading cost about 80
        // instructions per round (callgrind), a round per message under lockstep load.
        while let Some((deadline, slot)) = timers.pop_due(now) {
            let Some(Some(conn)) = conns.get_mut(slot) else {
                continue;
            };
            if conn.deadline != Some(deadline) {
                continue;
            }
            conn.deadline = None;
            conn.machine.handle_timeout(now);
            let mut io = Io {
                now,
                buf: &mut buf,
                poll: &poll,
                timers: &mut timers,
            };
            if !matches!(service(conn, slot, false, &mut io), Step::Keep) {
                close(&mut conns, &mut free, slot);
            }
        }
        timers.sweep(conns.len() - free.len(), |slot| {
            conns
                .get(slot)
                .and_then(|c| c.as_ref())
                .and_then(|c| c.deadline)
        });
    }
}

/// What servicing a connection needs from the loop.
struct Io<'a> {
    now: Instant,
    buf: &'a mut [u8],
    poll: &'a Poll,
    timers: &'a mut Timers,
}

/// Reads if `read` (or if reading was paused and the replies have since gone out), then
/// pumps; repeats while a pump's writes unpause reading, since no new edge would say the
/// socket still holds the bytes left there.
fn service<M: Machine, H: Handler<M>>(
    conn: &mut Conn<M, H>,
    slot: usize,
    read: bool,
    io: &mut Io<'_>,
) -> Step {
    let mut read = read || (conn.read_paused && conn.can_read());
    loop {
        if read {
            conn.read_paused = false;
            let step = read_ready(conn, io.now, io.buf);
            if !matches!(step, Step::Keep) {
                return step;
            }
        }
        let step = pump(conn, io.poll, slot, io.timers);
        if !(matches!(step, Step::Keep) && conn.read_paused && conn.can_read()) {
            return step;
        }
        read = true;
    }
}

fn accept_all<M, H, S>(
    listener: &mut TcpListener,
    io: &mut Io<'_>,
    pool: &std::sync::Arc<Pool>,
    conns: &mut Vec<Option<Conn<M, H>>>,
    free: &mut Vec<usize>,
    setup: &mut S,
) where
    M: Machine,
    H: Handler<M>,
    S: FnMut(SocketAddr) -> (M, H),
{
    loop {
        match listener.accept() {
            Ok((mut stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let slot = free.pop().unwrap_or_else(|| {
                    conns.push(None);
                    conns.len() - 1
                });
                if let Err(e) =
                    io.poll
                        .registry()
                        .register(&mut stream, Token(slot), Interest::READABLE)
                {
                    eprintln!("register: {e}");
                    free.push(slot);
                    continue;
                }
                let (machine, mut handler) = setup(peer);
                handler.offload(pool.offload(slot));
                let conn = conns[slot].insert(Conn {
                    stream,
                    eof: false,
                    read_paused: false,
                    writable_registered: false,
                    deadline: None,
                    pending: VecDeque::new(),
                    machine,
                    handler,
                });
                // What the machine queued at creation (a greeting banner) goes out now:
                // a new socket's send buffer is empty, so it nearly always takes it, and
                // write interest is registered only if it did not. Waiting for the first
                // writable event instead cost two epoll_ctl calls per connection
                // (interest on, then off again) and a loop round.
                if !matches!(service(conn, slot, false, io), Step::Keep) {
                    close(conns, free, slot);
                }
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

/// Reads until the socket is empty, feeding each read to the machine and answering it
/// before the next read, so the machine holds only what it has not decoded yet (a partial
/// line), never a whole burst. The last read is answered by the `pump` that follows,
/// which the caller always runs. Stops early, with `read_paused` set, while replies wait for
/// the peer to read them or the machine takes no input: a peer that sends without
/// reading is slowed down by TCP instead of making us queue its answers without bound.
fn read_ready<M: Machine, H: Handler<M>>(
    conn: &mut Conn<M, H>,
    now: Instant,
    buf: &mut [u8],
) -> Step {
    loop {
        if conn.eof || conn.machine.is_closed() || conn.machine.wants_tls() {
            return Step::Keep;
        }
        if !conn.can_read() {
            conn.read_paused = true;
            return Step::Keep;
        }
        match conn.stream.read(buf) {
            Ok(0) => {
                conn.eof = true;
                conn.machine.handle_eof(now);
                return Step::Keep;
            }
            Ok(n) => {
                conn.machine.handle_input(now, &buf[..n]);
                // Read on until WouldBlock even after a short read: mio's readiness is
                // edge-triggered, and it promises a new event only after an operation has
                // returned WouldBlock (mio's `Poll` docs; tokio-rs/mio#1611), so stopping
                // at a short read could leave bytes that no event ever reports.
                // The exception is a TCP socket on Linux, where mio is epoll: a read
                // there returns less than asked only once the receive queue is empty
                // (tcp_recvmsg stops when no segment is left), and every segment that
                // arrives later wakes the epoll set again (epoll(7): "multiple events
                // can be generated upon receipt of multiple chunks of data"), so the
                // read that would only say WouldBlock is one syscall per message saved.
                // The `pump` that follows every `read_ready` answers this read.
                if cfg!(target_os = "linux") && n < buf.len() {
                    return Step::Keep;
                }
                deliver_events(&mut conn.machine, &mut conn.handler);
                if let Err(e) = flush(conn) {
                    return Step::Failed(e);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Keep,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Step::Failed(e),
        }
    }
}

/// Writes what the socket takes, in order: queued bytes first, then the machine's new
/// transmits, straight from the machine while nothing is queued, then body chunks while
/// the machine wants them. Whatever the socket does not take waits in `pending` for the
/// next writable event, and no further chunk is asked for until it is written. Returns
/// whether the handler was asked for a chunk (see [`feed_body`]).
// Inlined, as are `write_some` and `deliver_events`: each runs once per message, and as
// calls their register saves and restores were 87 of the greeting server's 754
// instructions per message (callgrind, benches/greeting_callgrind.py).
#[inline(always)]
fn flush<M: Machine, H: Handler<M>>(conn: &mut Conn<M, H>) -> io::Result<bool> {
    while let Some(front) = conn.pending.front_mut() {
        if !write_some(&mut conn.stream, front)? {
            queue_transmits(conn);
            return Ok(false);
        }
        conn.pending.pop_front();
    }
    while let Some(mut bytes) = conn.machine.poll_transmit() {
        if !write_some(&mut conn.stream, &mut bytes)? {
            conn.pending.push_back(bytes);
            queue_transmits(conn);
            return Ok(false);
        }
    }
    let Conn {
        stream,
        pending,
        machine,
        handler,
        ..
    } = conn;
    feed_body(machine, handler, |machine, mut bytes| {
        if !pending.is_empty() || !write_some(stream, &mut bytes)? {
            pending.push_back(bytes);
            while let Some(more) = machine.poll_transmit() {
                pending.push_back(more);
            }
            return Ok(false);
        }
        Ok(true)
    })
}

/// Writes from `bytes`, advancing it; true when all of it went out, false when the
/// socket would block first.
#[inline(always)]
fn write_some(stream: &mut TcpStream, bytes: &mut Bytes) -> io::Result<bool> {
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => bytes::Buf::advance(bytes, n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn queue_transmits<M: Machine, H>(conn: &mut Conn<M, H>) {
    while let Some(bytes) = conn.machine.poll_transmit() {
        if !bytes.is_empty() {
            conn.pending.push_back(bytes);
        }
    }
}

/// Drains events and transmits, writes what the socket takes, and updates write
/// interest and the timer.
fn pump<M: Machine, H: Handler<M>>(
    conn: &mut Conn<M, H>,
    poll: &Poll,
    slot: usize,
    timers: &mut Timers,
) -> Step {
    // Again while a flush that asked the handler for a chunk left events (see `feed_body`).
    deliver_events(&mut conn.machine, &mut conn.handler);
    loop {
        match flush(conn) {
            Ok(true) if deliver_events(&mut conn.machine, &mut conn.handler) => {}
            Ok(_) => break,
            Err(e) => return Step::Failed(e),
        }
    }
    let want_write = !conn.pending.is_empty();
    if conn.pending.is_empty() && conn.machine.is_closed() {
        let _ = conn.stream.shutdown(Shutdown::Write);
        return Step::Close;
    }
    if conn.pending.is_empty() && conn.machine.wants_tls() {
        // This driver carries plaintext only; the machine must not go on in the clear.
        eprintln!("the machine asked for TLS, which this driver was not given");
        let _ = conn.stream.shutdown(Shutdown::Both);
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
            timers.schedule(d, slot);
        }
    }
    Step::Keep
}

/// Drops the connection, which closes its socket. There is no `deregister` first: closing
/// the only descriptor of a socket removes it from every epoll interest list (epoll(7),
/// "Will closing a file descriptor cause it to be removed from all epoll interest
/// lists?"; likewise for kqueue), and this driver never duplicates one, so the
/// `EPOLL_CTL_DEL` was one system call per connection spent on nothing.
fn close<M, H>(conns: &mut [Option<Conn<M, H>>], free: &mut Vec<usize>, slot: usize) {
    if conns[slot].take().is_some() {
        free.push(slot);
    }
}

/// Binds `addr` and prints `listening on ADDR` to stderr, as every example server does.
pub fn bind(addr: &str) -> io::Result<TcpListener> {
    let addr: std::net::SocketAddr = addr
        .parse()
        .map_err(|e| io::Error::new(ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    let listener = TcpListener::bind(addr)?;
    eprintln!("listening on {}", listener.local_addr()?);
    Ok(listener)
}

/// Connects to `addr` and runs the driver loop for `machine` on that one connection,
/// with its own event loop, until the machine is closed or the peer goes away: the
/// client side of [`serve`], the same loop (`service`, `flush`, `pump`) for one slot.
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
    let clock = Clock::new();
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(16);
    let mut stream = TcpStream::connect(addr)?;
    const SLOT: usize = 0;
    poll.registry().register(
        &mut stream,
        Token(SLOT),
        Interest::READABLE | Interest::WRITABLE,
    )?;
    // A non-blocking connect is done when the socket is first writable; whether it
    // worked is the socket error, and a peer address (mio's `TcpStream::connect` docs).
    loop {
        poll.poll(&mut events, None).or_else(interrupted)?;
        if events.iter().any(|e| e.is_writable() || e.is_error()) {
            break;
        }
    }
    if let Some(e) = stream.take_error()? {
        return Err(e);
    }
    stream.peer_addr()?;
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        stream,
        eof: false,
        read_paused: false,
        writable_registered: true,
        deadline: None,
        pending: VecDeque::new(),
        machine: Lent(machine),
        handler: LentHandler(handler),
    };
    let mut timers = Timers::default();
    let mut buf = vec![0u8; read_size.max(1)];
    let mut step = {
        let mut io = Io {
            now: clock.now(),
            buf: &mut buf,
            poll: &poll,
            timers: &mut timers,
        };
        // The socket is writable and may already hold the peer's first bytes.
        service(&mut conn, SLOT, true, &mut io)
    };
    while matches!(step, Step::Keep) {
        let timeout = conn
            .deadline
            .map(|d| clock.until(d) + std::time::Duration::from_millis(1));
        poll.poll(&mut events, timeout).or_else(interrupted)?;
        let now = clock.now();
        let mut io = Io {
            now,
            buf: &mut buf,
            poll: &poll,
            timers: &mut timers,
        };
        for event in events.iter() {
            if !matches!(step, Step::Keep) {
                break;
            }
            let flushed = if event.is_writable() && !conn.pending.is_empty() {
                flush(&mut conn).map(|_| ())
            } else {
                Ok(())
            };
            step = if let Err(e) = flushed {
                Step::Failed(e)
            } else {
                let read = event.is_readable() || event.is_read_closed();
                let step = service(&mut conn, SLOT, read, &mut io);
                if read {
                    // The client side acknowledges what it read at once (`quick_ack.rs`).
                    ack_now(&conn.stream);
                }
                step
            };
        }
        if matches!(step, Step::Keep) && conn.deadline.is_some_and(|d| d <= now) {
            conn.deadline = None;
            conn.machine.handle_timeout(now);
            step = service(&mut conn, SLOT, false, &mut io);
        }
        // This loop reads `conn.deadline` itself; the queue `pump` fills only needs
        // to stay small.
        timers.sweep(1, |_| conn.deadline);
    }
    let _ = poll.registry().deregister(&mut conn.stream);
    match step {
        Step::Failed(e) => Err(e),
        _ => Ok(()),
    }
}

fn interrupted(e: io::Error) -> io::Result<()> {
    if e.kind() == ErrorKind::Interrupted {
        Ok(())
    } else {
        Err(e)
    }
}

/// A borrowed machine, so [`connect`] runs the caller's machine in a `Conn` and the
/// caller reads its state afterwards.
struct Lent<'m, M>(&'m mut M);

impl<M: Machine> Machine for Lent<'_, M> {
    type Event = M::Event;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.0.handle_input(now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        self.0.handle_eof(now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.0.handle_timeout(now)
    }
    fn poll_event(&mut self) -> Option<M::Event> {
        self.0.poll_event()
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.0.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.0.poll_timeout()
    }
    fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
    fn wants_input(&self) -> bool {
        self.0.wants_input()
    }
    fn wants_body(&self) -> bool {
        self.0.wants_body()
    }
    fn wants_tls(&self) -> bool {
        self.0.wants_tls()
    }
    fn handle_tls_established(&mut self, now: Instant) {
        self.0.handle_tls_established(now)
    }
}

/// The caller's handler, given the caller's machine rather than the [`Lent`] wrapper.
struct LentHandler<H>(H);

impl<M: Machine, H: Handler<M>> Handler<Lent<'_, M>> for LentHandler<H> {
    fn on_event(&mut self, machine: &mut Lent<'_, M>, event: M::Event) {
        self.0.on_event(machine.0, event)
    }
    fn on_send_ready(&mut self, machine: &mut Lent<'_, M>) {
        self.0.on_send_ready(machine.0)
    }
    fn is_waiting(&self) -> bool {
        self.0.is_waiting()
    }
    fn on_wake(&mut self, machine: &mut Lent<'_, M>) {
        self.0.on_wake(machine.0)
    }
}

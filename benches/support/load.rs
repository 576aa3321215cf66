//! A lean lockstep load generator for the greeting protocol: one thread, one `mio` poll,
//! many connections. Each connection waits for `Welcome!`, then sends a name and waits for
//! the whole `Hello, name!` before sending the next, as the classic client does, so every
//! server read is exactly one message under chunk framing.
//!
//! The phases are separate calls so the caller can sample the server between them:
//! [`Load::connect`] opens every connection and waits for every welcome (the idle
//! connections are then all open), [`Load::run`] is the timed lockstep traffic, and
//! [`Load::finish`] says `exit` everywhere and waits for the server to close each one.

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const WELCOME: &[u8] = b"Welcome!";
/// Connects in flight at once: below every server's listen backlog (the Python server
/// listens with 1024), so no SYN is dropped and retried a second later.
const CONNECT_WINDOW: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Connecting or waiting for the welcome.
    Opening,
    /// Welcomed, nothing in flight.
    Idle,
    /// A name sent; `got` bytes of its reply received.
    Waiting,
    /// `exit` sent; waiting for the server to close.
    Exiting,
    /// The server closed.
    Done,
}

struct Conn {
    stream: TcpStream,
    phase: Phase,
    /// Bytes of the expected message received so far.
    got: usize,
    /// Messages answered in the current run.
    answered: usize,
    /// Bytes of the current outgoing message not yet written.
    unsent: &'static [u8],
    /// Counted in `Load::outstanding`: the current phase waits for this connection.
    awaited: bool,
}

impl Conn {
    fn await_in(&mut self, outstanding: &mut usize) {
        self.awaited = true;
        *outstanding += 1;
    }

    fn settle(&mut self, outstanding: &mut usize) {
        if std::mem::take(&mut self.awaited) {
            *outstanding -= 1;
        }
    }
}

/// Many lockstep greeting connections to one server.
pub struct Load {
    poll: Poll,
    events: Events,
    conns: Vec<Conn>,
    name: &'static [u8],
    reply: Vec<u8>,
    buf: Vec<u8>,
    /// Connections whose reply or close is still awaited in the current phase.
    outstanding: usize,
    /// Replies received in the current run.
    answered: u64,
    /// Replies that were not byte-exact, and connections the server dropped early.
    pub errors: u64,
}

/// What one [`Load::run`] achieved.
pub struct Run {
    pub wall: Duration,
    /// Replies received, all connections together.
    pub answered: u64,
    /// Whether every connection got all its replies within the limit.
    pub complete: bool,
}

impl Load {
    /// Opens `n` connections to `addr` and waits until each has read `Welcome!`.
    pub fn connect(addr: SocketAddr, n: usize, name: &'static [u8]) -> io::Result<Load> {
        let mut reply = b"Hello, ".to_vec();
        reply.extend_from_slice(name);
        reply.push(b'!');
        let mut load = Load {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            conns: Vec::with_capacity(n),
            name,
            reply,
            buf: vec![0; 1024],
            outstanding: 0,
            answered: 0,
            errors: 0,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while load.conns.len() < n || load.outstanding > 0 {
            while load.conns.len() < n && load.outstanding < CONNECT_WINDOW {
                let mut stream = TcpStream::connect(addr)?;
                let token = Token(load.conns.len());
                load.poll
                    .registry()
                    .register(&mut stream, token, Interest::READABLE)?;
                let mut conn = Conn {
                    stream,
                    phase: Phase::Opening,
                    got: 0,
                    answered: 0,
                    unsent: &[],
                    awaited: false,
                };
                conn.await_in(&mut load.outstanding);
                load.conns.push(conn);
            }
            load.turn(deadline, 0)?;
        }
        Ok(load)
    }

    /// Every connection exchanges `messages` lockstep messages, or as many as fit in
    /// `limit`: a server that collapses under load is measured, not waited for.
    pub fn run(&mut self, messages: usize, limit: Duration) -> io::Result<Run> {
        let start = Instant::now();
        let deadline = start + limit;
        if self.outstanding > 0 {
            return Err(io::Error::other(format!(
                "{} connections still wait for an earlier reply",
                self.outstanding
            )));
        }
        self.answered = 0;
        let name = self.name;
        for i in 0..self.conns.len() {
            let conn = &mut self.conns[i];
            if conn.phase != Phase::Idle || messages == 0 {
                continue;
            }
            conn.answered = 0;
            conn.phase = Phase::Waiting;
            conn.got = 0;
            conn.await_in(&mut self.outstanding);
            send(&self.poll, i, conn, name)?;
        }
        while self.outstanding > 0 && Instant::now() < deadline {
            self.turn(deadline, messages)?;
        }
        Ok(Run {
            wall: start.elapsed(),
            answered: self.answered,
            complete: self.outstanding == 0,
        })
    }

    /// Sends `exit` on every idle connection and waits for the server to close each one;
    /// connections still waiting for a reply are simply dropped.
    pub fn finish(mut self) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        // Connections still waiting from an incomplete run are not waited for.
        self.outstanding = 0;
        for i in 0..self.conns.len() {
            let conn = &mut self.conns[i];
            conn.awaited = false;
            if conn.phase == Phase::Idle {
                conn.phase = Phase::Exiting;
                conn.await_in(&mut self.outstanding);
                send(&self.poll, i, conn, b"exit")?;
            }
        }
        while self.outstanding > 0 {
            self.turn(deadline, 0)?;
        }
        Ok(())
    }

    /// One poll and the reads and writes it allows.
    fn turn(&mut self, deadline: Instant, messages: usize) -> io::Result<()> {
        if Instant::now() > deadline {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                format!("{} connections still waiting", self.outstanding),
            ));
        }
        self.poll
            .poll(&mut self.events, Some(Duration::from_secs(1)))?;
        for event in self.events.iter() {
            let i = event.token().0;
            let conn = &mut self.conns[i];
            if event.is_writable() && !conn.unsent.is_empty() {
                let rest = conn.unsent;
                send(&self.poll, i, conn, rest)?;
            }
            if !(event.is_readable() || event.is_read_closed() || event.is_error()) {
                continue;
            }
            // Edge-triggered: read until the socket is empty.
            loop {
                let n = match conn.stream.read(&mut self.buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => 0,
                };
                if n == 0 {
                    if conn.phase != Phase::Exiting {
                        self.errors += 1;
                    }
                    conn.settle(&mut self.outstanding);
                    conn.phase = Phase::Done;
                    let _ = self.poll.registry().deregister(&mut conn.stream);
                    break;
                }
                let expected: &[u8] = match conn.phase {
                    Phase::Opening => WELCOME,
                    Phase::Waiting => &self.reply,
                    _ => {
                        // Nothing was asked; the server spoke out of turn.
                        self.errors += 1;
                        continue;
                    }
                };
                let data = &self.buf[..n];
                if conn.got + n > expected.len() || expected[conn.got..conn.got + n] != *data {
                    self.errors += 1;
                }
                conn.got += n;
                if conn.got < expected.len() {
                    continue;
                }
                conn.got = 0;
                if conn.phase == Phase::Opening {
                    conn.phase = Phase::Idle;
                    conn.settle(&mut self.outstanding);
                    continue;
                }
                conn.answered += 1;
                self.answered += 1;
                if conn.answered < messages {
                    let name = self.name;
                    send(&self.poll, i, conn, name)?;
                } else {
                    conn.phase = Phase::Idle;
                    conn.settle(&mut self.outstanding);
                }
            }
        }
        Ok(())
    }
}

/// Writes `msg`; if the socket takes only part, the rest goes out on the next writable
/// event (write interest is added only then, so the common case costs one syscall).
fn send(poll: &Poll, i: usize, conn: &mut Conn, msg: &'static [u8]) -> io::Result<()> {
    let mut rest = msg;
    while !rest.is_empty() {
        match conn.stream.write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let had_write_interest = !conn.unsent.is_empty();
    let want_write = !rest.is_empty();
    conn.unsent = rest;
    if want_write != had_write_interest {
        let interest = if want_write {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        poll.registry()
            .reregister(&mut conn.stream, Token(i), interest)?;
    }
    Ok(())
}

//! The exchange: two greeting machines, two fixed-capacity links, one driver loop.
//! No `std`, no `alloc` types: only arrays and the machines.

use bytes::Bytes;
use wirestate::greeting::{Client, ClientConfig, ClientEvent, Framing, Server, ServerConfig};
use wirestate::{CloseReason, Instant, Machine};

/// Bytes one link holds: small on purpose, so a reply does not always fit and the
/// driver has to hold the rest back until the peer has read (backpressure).
pub const LINK_CAPACITY: usize = 32;
/// Bytes taken from a link per `handle_input` call, as a small receive FIFO would.
pub const READ_SIZE: usize = 8;

/// A byte ring of fixed capacity `N`: the transport between the two machines.
pub struct Ring<const N: usize> {
    buf: [u8; N],
    head: usize,
    len: usize,
}

impl<const N: usize> Default for Ring<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Ring<N> {
    /// An empty ring.
    pub const fn new() -> Self {
        Ring {
            buf: [0; N],
            head: 0,
            len: 0,
        }
    }

    /// Bytes waiting to be read.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing waits to be read.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends as much of `bytes` as fits; returns how many were taken.
    pub fn write(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(N - self.len);
        for (i, &b) in bytes[..n].iter().enumerate() {
            self.buf[(self.head + self.len + i) % N] = b;
        }
        self.len += n;
        n
    }

    /// Moves up to `out.len()` bytes out; returns how many.
    pub fn read(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len);
        for (i, slot) in out[..n].iter_mut().enumerate() {
            *slot = self.buf[(self.head + i) % N];
        }
        self.head = (self.head + n) % N;
        self.len -= n;
        n
    }
}

/// Why [`greet`] stopped short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeError {
    /// The client refused a name (empty, too long, a line break, or `exit`).
    BadName,
    /// The log had no room for the next reply.
    LogFull,
    /// A machine ended with a close reason other than `Done`.
    Closed(CloseReason),
    /// Neither side moved for a whole round before both had closed.
    Stalled,
}

/// One end of a link: a machine, the transmit it is part-way through writing, and what it
/// has read.
struct End<M> {
    machine: M,
    /// A transmit the outgoing ring had no room for yet, and how much of it is written.
    unsent: Option<(Bytes, usize)>,
    eof_sent: bool,
}

impl<M: Machine> End<M> {
    fn new(machine: M) -> Self {
        End {
            machine,
            unsent: None,
            eof_sent: false,
        }
    }

    /// Writes pending transmits into `out` until it is full; true if anything moved.
    fn flush<const N: usize>(&mut self, out: &mut Ring<N>) -> bool {
        let mut moved = false;
        loop {
            let (bytes, at) = match self.unsent.take() {
                Some(p) => p,
                None => match self.machine.poll_transmit() {
                    Some(b) => (b, 0),
                    None => return moved,
                },
            };
            let n = out.write(&bytes[at..]);
            moved |= n > 0;
            if at + n < bytes.len() {
                self.unsent = Some((bytes, at + n));
                return moved;
            }
        }
    }

    /// Reads from `inbound` in pieces of `READ_SIZE` while the machine wants input.
    fn read<const N: usize>(&mut self, now: Instant, inbound: &mut Ring<N>) -> bool {
        let mut moved = false;
        let mut piece = [0u8; READ_SIZE];
        while !inbound.is_empty() && self.machine.wants_input() {
            let n = inbound.read(&mut piece);
            self.machine.handle_input(now, &piece[..n]);
            moved = true;
        }
        moved
    }

    /// Everything written and the machine closed: the link may report EOF.
    fn finished(&self) -> bool {
        self.machine.is_closed() && self.unsent.is_none()
    }
}

/// Runs a whole greeting exchange without `std`: a client greets each of `names`, a server
/// answers, each through a [`Ring`] of [`LINK_CAPACITY`] bytes read [`READ_SIZE`] bytes
/// at a time; every reply the client receives is copied into `log`, one per line.
/// Returns how many bytes of `log` were written.
pub fn greet(names: &[&[u8]], log: &mut [u8]) -> Result<usize, ExchangeError> {
    let mut client = Client::new(ClientConfig::new(Framing::Line));
    for name in names {
        client.send_name(name).map_err(|_| ExchangeError::BadName)?;
    }
    client.finish().map_err(|_| ExchangeError::BadName)?;
    let mut client = End::new(client);
    let mut server = End::new(Server::new(ServerConfig::new(Framing::Line)));
    let mut to_server: Ring<LINK_CAPACITY> = Ring::new();
    let mut to_client: Ring<LINK_CAPACITY> = Ring::new();
    let mut logged = 0;
    let mut failure = None;
    // A virtual clock: one millisecond per round.
    for round in 0u64.. {
        let now = Instant::from_millis(round);
        let mut moved = false;
        while let Some(event) = server.machine.poll_event() {
            moved = true;
            if let wirestate::greeting::ServerEvent::Closed(reason) = event {
                if reason != CloseReason::Done {
                    failure = Some(ExchangeError::Closed(reason));
                }
            }
        }
        while let Some(event) = client.machine.poll_event() {
            moved = true;
            match event {
                ClientEvent::Welcome(m) | ClientEvent::Reply { reply: m, .. } => {
                    let end = logged + m.len() + 1;
                    let slot = log.get_mut(logged..end).ok_or(ExchangeError::LogFull)?;
                    slot[..m.len()].copy_from_slice(&m);
                    slot[m.len()] = b'\n';
                    logged = end;
                }
                ClientEvent::Closed(reason) if reason != CloseReason::Done => {
                    failure = Some(ExchangeError::Closed(reason));
                }
                _ => {}
            }
        }
        moved |= client.flush(&mut to_server);
        moved |= server.flush(&mut to_client);
        moved |= server.read(now, &mut to_server);
        moved |= client.read(now, &mut to_client);
        // A closed side's link reports EOF once the reader has drained it.
        if client.finished() && to_server.is_empty() && !client.eof_sent {
            client.eof_sent = true;
            server.machine.handle_eof(now);
            moved = true;
        }
        if server.finished() && to_client.is_empty() && !server.eof_sent {
            server.eof_sent = true;
            client.machine.handle_eof(now);
            moved = true;
        }
        if let Some(e) = failure {
            return Err(e);
        }
        if client.finished() && server.finished() && !moved {
            return Ok(logged);
        }
        if !moved {
            return Err(ExchangeError::Stalled);
        }
    }
    Err(ExchangeError::Stalled)
}

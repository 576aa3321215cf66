//! Connection caps for every server program: `--max-connections N` (served at once) and
//! `--max-per-client N` (served at once from one client address). A connection over a
//! cap is not left in the accept backlog, where a client cannot tell a busy server from
//! a dead one: it gets the protocol's own "too busy" answer from the library's
//! `Server::too_busy` machine (SMTP `421 4.7.0`, POP3 `-ERR [SYS/TEMP]`, HTTP `503`,
//! greeting `Busy!`), then the connection closes.
//!
//! The counting lives here, in each connection's setup, so the drivers are unchanged: a
//! [`Slot`] held by the connection's machine takes a place in the counts, and its `Drop`
//! gives it back when the driver drops the finished connection.
//!
//! With `--proxy-protocol` the per-client count uses the client address from the PROXY
//! header, since every connection comes from the proxy's address: the machine is
//! admitted provisionally at accept time (the total is counted then), and the
//! per-client count is taken as soon as the header has been decoded, before the
//! protocol has said or read a byte. A connection over the cap then switches to the
//! busy machine, which is given the same bytes (the header and whatever followed it),
//! so it answers exactly as if it had been chosen at accept time. A header without an
//! address (a `LOCAL` health check) is counted under the proxy's own address.

use super::cli::{self, Served, ServerArgs};
use super::Handler;
use bytes::Bytes;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use wirestate::proxy::MAX_V2_HEADER;
use wirestate::{Instant, Machine};

/// The caps and the current counts, shared by every connection of a server.
#[derive(Debug, Default)]
pub struct Caps {
    max_total: Option<usize>,
    max_per_client: Option<usize>,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    /// Only addresses with at least one connection: the map is bounded by the total.
    per_client: HashMap<IpAddr, usize>,
}

/// One connection's place in the counts, given back on drop.
#[derive(Debug)]
pub struct Slot {
    caps: Arc<Caps>,
    client: Option<IpAddr>,
}

impl Caps {
    /// Caps from `--max-connections` and `--max-per-client` (none: unlimited).
    pub fn new(max_total: Option<usize>, max_per_client: Option<usize>) -> Caps {
        Caps {
            max_total,
            max_per_client,
            counts: Mutex::default(),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        // A panic elsewhere cannot leave the counts half-updated: each update is one
        // statement.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place among all connections, if one is free.
    pub fn take(self: &Arc<Self>) -> Option<Slot> {
        let mut counts = self.counts();
        if self.max_total.is_some_and(|max| counts.total >= max) {
            return None;
        }
        counts.total += 1;
        Some(Slot {
            caps: self.clone(),
            client: None,
        })
    }

    /// Counts `slot` against `client` too, if that client has a free place.
    pub fn take_client(&self, slot: &mut Slot, client: IpAddr) -> bool {
        if slot.client.is_some() {
            return true;
        }
        let mut counts = self.counts();
        let n = counts.per_client.entry(client).or_insert(0);
        if self.max_per_client.is_some_and(|max| *n >= max) {
            if *n == 0 {
                counts.per_client.remove(&client);
            }
            return false;
        }
        *n += 1;
        slot.client = Some(client);
        true
    }

    /// (connections, connections from `client`) now: for tests and logs.
    pub fn current(&self, client: IpAddr) -> (usize, usize) {
        let counts = self.counts();
        (
            counts.total,
            counts.per_client.get(&client).copied().unwrap_or(0),
        )
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.caps.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(client) = self.client {
            if let Some(n) = counts.per_client.get_mut(&client) {
                *n -= 1;
                if *n == 0 {
                    counts.per_client.remove(&client);
                }
            }
        }
    }
}

/// Where a connection stands.
enum Gate<B> {
    /// Served: the normal machine runs (holding its slot, if there are caps).
    Open,
    /// Admitted by the total; the per-client count waits for the PROXY header. The busy
    /// machine is ready in case the client is over its cap; `seen` is every byte so far
    /// (at most a header and one read).
    AwaitHeader { busy: Box<B>, seen: Vec<u8> },
    /// Over a cap: the busy machine answers.
    Busy(Box<B>),
}

/// One connection's machine: the protocol's machine `M`, or its busy machine `B` when
/// the connection is over a cap. The driver sees one machine either way.
pub struct Capped<M, B> {
    open: Served<M>,
    gate: Gate<Served<B>>,
    caps: Arc<Caps>,
    slot: Option<Slot>,
    peer: SocketAddr,
}

impl<M: Machine, B: Machine> Capped<M, B> {
    /// Admits a connection from `peer`: `open` serves it unless it is over a cap, in
    /// which case `busy()` answers. `proxied` says whether the client's address is still
    /// to come in a PROXY header.
    pub fn admit(
        caps: &Arc<Caps>,
        peer: SocketAddr,
        proxied: bool,
        open: Served<M>,
        busy: impl FnOnce() -> Served<B>,
    ) -> Capped<M, B> {
        let mut slot = caps.take();
        let gate = match &mut slot {
            None => Gate::Busy(Box::new(busy())),
            Some(_) if caps.max_per_client.is_none() => Gate::Open,
            Some(_) if proxied => Gate::AwaitHeader {
                busy: Box::new(busy()),
                seen: Vec::new(),
            },
            Some(s) => {
                if caps.take_client(s, peer.ip()) {
                    Gate::Open
                } else {
                    Gate::Busy(Box::new(busy()))
                }
            }
        };
        let mut capped = Capped {
            open,
            gate,
            caps: caps.clone(),
            slot,
            peer,
        };
        if matches!(capped.gate, Gate::Busy(_)) {
            capped.refused(peer.ip());
        }
        capped
    }

    /// The normal machine (whether or not it is the one running).
    pub fn open(&mut self) -> &mut Served<M> {
        &mut self.open
    }

    /// Whether the connection got the busy answer.
    pub fn is_busy(&self) -> bool {
        matches!(self.gate, Gate::Busy(_))
    }

    fn refused(&mut self, client: IpAddr) {
        self.slot = None;
        let (total, mine) = self.caps.current(client);
        eprintln!(
            "busy: {client}: over the connection caps ({total} open, {mine} from this client)"
        );
    }

    /// [`Machine::handle_input`] for a busy connection or one whose header is awaited.
    #[inline(never)]
    fn handle_input_gated(&mut self, now: Instant, bytes: &[u8]) {
        match &mut self.gate {
            Gate::Busy(b) => b.handle_input(now, bytes),
            Gate::Open => self.open.handle_input(now, bytes),
            Gate::AwaitHeader { seen, .. } => {
                // Bounded: the header is complete or refused within MAX_V2_HEADER bytes,
                // and a read adds at most one buffer to that.
                if seen.len() <= MAX_V2_HEADER {
                    seen.extend_from_slice(bytes);
                }
                self.open.handle_input(now, bytes);
                self.check_header(now);
            }
        }
    }

    /// After input reached the normal machine while the header was awaited: once the
    /// header is there, count the client and switch to the busy machine if it is over.
    fn check_header(&mut self, now: Instant) {
        let Gate::AwaitHeader { .. } = self.gate else {
            return;
        };
        if self.open.error().is_some() {
            // No valid header: the PROXY layer refuses the connection by itself.
            self.gate = Gate::Open;
            return;
        }
        let Some(header) = self.open.header() else {
            return;
        };
        let client = header.source.map_or(self.peer.ip(), |s| s.ip());
        let admitted = match &mut self.slot {
            Some(slot) => self.caps.take_client(slot, client),
            None => false,
        };
        let Gate::AwaitHeader { busy, seen } = std::mem::replace(&mut self.gate, Gate::Open) else {
            return;
        };
        if !admitted {
            let mut busy = busy;
            busy.handle_input(now, &seen);
            self.gate = Gate::Busy(busy);
            self.refused(client);
        }
    }
}

impl<M: Machine, B: Machine> Machine for Capped<M, B> {
    type Event = M::Event;

    #[inline]
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        match &mut self.gate {
            Gate::Open => self.open.handle_input(now, bytes),
            _ => self.handle_input_gated(now, bytes),
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        match &mut self.gate {
            Gate::Busy(b) => b.handle_eof(now),
            _ => self.open.handle_eof(now),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        match &mut self.gate {
            Gate::Busy(b) => b.handle_timeout(now),
            _ => self.open.handle_timeout(now),
        }
    }

    fn poll_event(&mut self) -> Option<M::Event> {
        match &mut self.gate {
            // The busy machine's only event is its `Closed`; the handler is for the
            // normal machine's events, so it never sees this connection.
            Gate::Busy(b) => {
                while b.poll_event().is_some() {}
                None
            }
            _ => self.open.poll_event(),
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        match &mut self.gate {
            Gate::Busy(b) => b.poll_transmit(),
            _ => self.open.poll_transmit(),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match &self.gate {
            Gate::Busy(b) => b.poll_timeout(),
            _ => self.open.poll_timeout(),
        }
    }

    fn is_closed(&self) -> bool {
        match &self.gate {
            Gate::Busy(b) => b.is_closed(),
            _ => self.open.is_closed(),
        }
    }

    fn wants_input(&self) -> bool {
        match &self.gate {
            Gate::Busy(b) => b.wants_input(),
            _ => self.open.wants_input(),
        }
    }

    fn wants_body(&self) -> bool {
        match &self.gate {
            Gate::Busy(b) => b.wants_body(),
            _ => self.open.wants_body(),
        }
    }

    fn wants_tls(&self) -> bool {
        match &self.gate {
            Gate::Busy(b) => b.wants_tls(),
            _ => self.open.wants_tls(),
        }
    }

    fn handle_tls_established(&mut self, now: Instant) {
        match &mut self.gate {
            Gate::Busy(b) => b.handle_tls_established(now),
            _ => self.open.handle_tls_established(now),
        }
    }
}

/// A handler of the normal machine as the handler of a [`Capped`] connection: it is
/// given the normal machine, and is never called while the busy machine answers.
pub struct Admitted<H>(pub H);

impl<M: Machine, B: Machine, H: Handler<Served<M>>> Handler<Capped<M, B>> for Admitted<H> {
    fn on_event(&mut self, machine: &mut Capped<M, B>, event: M::Event) {
        self.0.on_event(machine.open(), event)
    }

    fn on_send_ready(&mut self, machine: &mut Capped<M, B>) {
        if !machine.is_busy() {
            self.0.on_send_ready(machine.open())
        }
    }

    fn offload(&mut self, offload: super::offload::Offload) {
        self.0.offload(offload)
    }

    fn is_waiting(&self) -> bool {
        self.0.is_waiting()
    }

    fn on_wake(&mut self, machine: &mut Capped<M, B>) {
        if !machine.is_busy() {
            self.0.on_wake(machine.open())
        }
    }
}

/// Runs a server as [`cli::serve`] does, with the caps of `args`: `setup` builds each
/// connection's normal machine and handler, `busy` the protocol's busy machine, which
/// is wrapped as `args` says (with `tls`), so it speaks TLS and reads a PROXY header as
/// the normal one would.
pub fn serve<M, B, H, S, F>(
    args: &ServerArgs,
    addr: &str,
    read_size: usize,
    tls: Option<Arc<rustls::ServerConfig>>,
    busy: F,
    setup: S,
) -> io::Result<()>
where
    M: Machine + Send + 'static,
    B: Machine + Send + 'static,
    H: Handler<Served<M>> + Send + 'static,
    S: Fn(SocketAddr) -> (Served<M>, H) + Send + Sync + 'static,
    F: Fn() -> B + Send + Sync + 'static,
{
    let caps = Arc::new(Caps::new(args.max_connections, args.max_per_client));
    let wrap = args.clone();
    cli::serve(args.driver, addr, read_size, move |peer| {
        let (open, handler) = setup(peer);
        let busy = || wrap.wrap(busy(), &tls);
        let machine = Capped::admit(&caps, peer, wrap.proxy_protocol, open, busy);
        (machine, Admitted(handler))
    })
}

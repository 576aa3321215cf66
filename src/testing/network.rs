//! [`Network`]: many client/server pairs on one simulated network under one virtual
//! clock, with seeded faults: random cuts, delays, reordering across connections, and
//! drops of whole connections.

use crate::{Instant, Machine};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;

/// How many body calls in a row may give no bytes before a machine's body is taken as
/// stalled ([`Network::run`], [`Pair::run_with_bodies`](super::Pair::run_with_bodies)).
pub(crate) const IDLE_BODY_CALLS: usize = 64;

/// What the simulated network does to the bytes, drawn from the seed.
///
/// ```
/// use wirestate::testing::Faults;
/// let f = Faults::default();
/// assert_eq!((f.max_piece, f.drop_percent), (64, 10));
/// ```
///
/// It is `#[non_exhaustive]` so that new kinds of fault can be added: build it from
/// `Default` and assign the fields to change.
///
/// ```
/// let mut f = wirestate::testing::Faults::default();
/// f.drop_percent = 0;
/// f.max_piece = 7;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Faults {
    /// Each piece waits 0 to this long after it was sent (but never overtakes an earlier
    /// piece of the same direction of the same connection: TCP keeps order; pieces of
    /// different connections interleave freely).
    pub max_delay: Duration,
    /// What a machine transmits is cut into pieces of 1 to this many bytes, each one
    /// `handle_input` call.
    pub max_piece: usize,
    /// The share of connections, in percent, that are dropped: once a random number of
    /// bytes (0 to [`drop_within`](Faults::drop_within)) has been delivered on one,
    /// everything in flight is lost and both ends get EOF, as when a peer vanishes.
    pub drop_percent: u8,
    /// A dropped connection dies within this many delivered bytes.
    pub drop_within: usize,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            max_delay: Duration::from_millis(50),
            max_piece: 64,
            drop_percent: 10,
            drop_within: 2000,
        }
    }
}

/// What a [`Network::run`] did.
///
/// ```
/// let s = wirestate::testing::NetStats::default();
/// assert_eq!(s.pieces, 0);
/// ```
///
/// `#[non_exhaustive]`: a later release may count more; read the fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetStats {
    /// `handle_input` calls made.
    pub pieces: u64,
    /// Bytes delivered.
    pub bytes: u64,
    /// Connections dropped by the network.
    pub dropped: usize,
    /// Timers fired.
    pub timeouts: u64,
}

/// A small seeded generator (SplitMix64): the same seed gives the same run everywhere.
#[derive(Clone, Debug)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..=hi`.
    fn upto(&mut self, hi: u64) -> u64 {
        match hi.checked_add(1) {
            Some(n) => self.next() % n,
            None => self.next(),
        }
    }
}

/// What travels in one direction: bytes, then perhaps the sender's close.
enum Segment {
    Bytes(Vec<u8>),
    Eof,
}

struct Link<C, S> {
    client: C,
    server: S,
    to_server: VecDeque<(Instant, Segment)>,
    to_client: VecDeque<(Instant, Segment)>,
    client_fin: bool,
    server_fin: bool,
    drop_after: Option<u64>,
    delivered: u64,
    dropped: bool,
}

/// Many client/server connections on one simulated network, under one virtual clock.
///
/// Where a [`Pair`](super::Pair) lets a test move every byte by hand, a network moves
/// them by a seeded plan: what each machine sends is cut into pieces of random size,
/// each delivered after a random delay (in order within its direction, in any order
/// across connections), and a share of connections is dropped at a random point, both
/// ends getting EOF. Between deliveries the clock jumps to the next piece or the next
/// machine's timer. The same seed gives the same run, so a failure found with one seed
/// is replayed by running that seed again.
///
/// The test answers events through closures given the connection's index, as with a
/// pair, and streams bodies when a machine [wants them](Machine::wants_body).
///
/// ```
/// use wirestate::greeting::{Client, ClientConfig, ClientEvent, Framing, Server, ServerConfig};
/// use wirestate::testing::{Faults, Network};
///
/// let mut faults = Faults::default();
/// faults.drop_percent = 0;
/// let mut net = Network::new(7, faults);
/// for i in 0..20 {
///     let mut client = Client::new(ClientConfig::new(Framing::Line));
///     client.send_name(format!("guest{i}").as_bytes()).unwrap();
///     client.finish().unwrap();
///     net.connect(client, Server::new(ServerConfig::new(Framing::Line)));
/// }
/// let mut replies = vec![Vec::new(); 20];
/// let stats = net.run(
///     |id, _, e| if let ClientEvent::Reply { reply, .. } = e { replies[id].push(reply) },
///     |_, _, _| {},
///     |_, _| {},
///     |_, _| {},
/// );
/// for (i, r) in replies.iter().enumerate() {
///     assert_eq!(r, &[format!("Hello, guest{i}!")]);
/// }
/// assert!(net.all_closed());
/// assert!(stats.pieces >= 40); // at least one piece per message and direction
/// ```
pub struct Network<C: Machine, S: Machine> {
    /// The virtual clock.
    pub now: Instant,
    faults: Faults,
    rng: SplitMix,
    links: Vec<Link<C, S>>,
    stats: NetStats,
}

impl<C: Machine, S: Machine> Network<C, S> {
    /// An empty network whose faults are drawn from `seed`.
    ///
    /// ```
    /// use wirestate::greeting::{Client, Server};
    /// use wirestate::testing::{Faults, Network};
    /// let net: Network<Client, Server> = Network::new(1, Faults::default());
    /// assert_eq!(net.len(), 0);
    /// ```
    pub fn new(seed: u64, faults: Faults) -> Self {
        Network {
            now: Instant::ZERO,
            faults,
            rng: SplitMix(seed),
            links: Vec::new(),
            stats: NetStats::default(),
        }
    }

    /// Adds a connection and returns its index; whether (and where) it will be dropped
    /// is drawn now.
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, Server, ServerConfig};
    /// use wirestate::testing::{Faults, Network};
    /// let mut net = Network::new(1, Faults::default());
    /// let id = net.connect(Client::new(ClientConfig::default()), Server::new(ServerConfig::default()));
    /// assert_eq!((id, net.len()), (0, 1));
    /// ```
    pub fn connect(&mut self, client: C, server: S) -> usize {
        let drop = self.rng.upto(99) < u64::from(self.faults.drop_percent);
        let drop_after = drop.then(|| self.rng.upto(self.faults.drop_within as u64));
        self.links.push(Link {
            client,
            server,
            to_server: VecDeque::new(),
            to_client: VecDeque::new(),
            client_fin: false,
            server_fin: false,
            drop_after,
            delivered: 0,
            dropped: false,
        });
        self.links.len() - 1
    }

    /// How many connections there are.
    ///
    /// ```
    /// use wirestate::greeting::{Client, Server};
    /// use wirestate::testing::{Faults, Network};
    /// assert_eq!(Network::<Client, Server>::new(0, Faults::default()).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Whether there are no connections.
    ///
    /// ```
    /// use wirestate::greeting::{Client, Server};
    /// use wirestate::testing::{Faults, Network};
    /// assert!(Network::<Client, Server>::new(0, Faults::default()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Connection `id`'s client.
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, Server, ServerConfig};
    /// use wirestate::testing::{Faults, Network};
    /// use wirestate::Machine;
    /// let mut net = Network::new(1, Faults::default());
    /// net.connect(Client::new(ClientConfig::default()), Server::new(ServerConfig::default()));
    /// assert!(!net.client(0).is_closed());
    /// ```
    pub fn client(&self, id: usize) -> &C {
        &self.links[id].client
    }

    /// Connection `id`'s server.
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, Server, ServerConfig};
    /// use wirestate::testing::{Faults, Network};
    /// use wirestate::Machine;
    /// let mut net = Network::new(1, Faults::default());
    /// net.connect(Client::new(ClientConfig::default()), Server::new(ServerConfig::default()));
    /// assert!(!net.server(0).is_closed());
    /// ```
    pub fn server(&self, id: usize) -> &S {
        &self.links[id].server
    }

    /// Whether the network dropped connection `id` (it may have finished first).
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, Server, ServerConfig};
    /// use wirestate::testing::{Faults, Network};
    /// use wirestate::greeting::ClientEvent;
    /// use wirestate::CloseReason;
    ///
    /// let mut faults = Faults::default();
    /// (faults.drop_percent, faults.drop_within) = (100, 0);
    /// let mut net = Network::new(1, faults);
    /// net.connect(Client::new(ClientConfig::default()), Server::new(ServerConfig::default()));
    /// let mut closed = Vec::new();
    /// net.run(|_, _, e| if let ClientEvent::Closed(r) = e { closed.push(r) }, |_, _, _| {}, |_, _| {}, |_, _| {});
    /// assert!(net.dropped(0));
    /// // The client learns of the loss: the peer closed, not a clean end.
    /// assert!(matches!(closed[..], [CloseReason::PeerClosed { .. }]), "{closed:?}");
    /// ```
    pub fn dropped(&self, id: usize) -> bool {
        self.links[id].dropped
    }

    /// Whether every machine on the network is closed.
    ///
    /// ```
    /// use wirestate::greeting::{Client, Server};
    /// use wirestate::testing::{Faults, Network};
    /// assert!(Network::<Client, Server>::new(0, Faults::default()).all_closed());
    /// ```
    pub fn all_closed(&self) -> bool {
        self.links
            .iter()
            .all(|l| l.client.is_closed() && l.server.is_closed())
    }

    /// Runs until nothing is in flight and no timer is set (or an hour of virtual time
    /// has passed), handing every event to `on_client` / `on_server` with its
    /// connection's index, and calling `client_body` / `server_body` when a machine
    /// wants the next body chunk and has sent everything (a call that gives no bytes is
    /// retried: a piece may be held back until the next one; 64 calls in a row that give
    /// nothing end that machine's body). Returns what it did.
    ///
    /// See [`Network`] for an example.
    pub fn run(
        &mut self,
        mut on_client: impl FnMut(usize, &mut C, C::Event),
        mut on_server: impl FnMut(usize, &mut S, S::Event),
        mut client_body: impl FnMut(usize, &mut C),
        mut server_body: impl FnMut(usize, &mut S),
    ) -> NetStats {
        let limit = self.now + Duration::from_secs(3600);
        // Only connections something happened to need servicing: that keeps a run
        // linear in the traffic, not in connections times moments.
        let mut dirty = alloc::vec![true; self.links.len()];
        loop {
            for (id, d) in dirty.iter_mut().enumerate() {
                if core::mem::take(d) {
                    self.service(
                        id,
                        &mut on_client,
                        &mut on_server,
                        &mut client_body,
                        &mut server_body,
                    );
                }
            }
            let Some(next) = self.next_moment() else {
                break;
            };
            if next > limit {
                break;
            }
            self.now = self.now.max(next);
            self.deliver_due(&mut dirty);
            self.fire_timers(&mut dirty);
        }
        self.stats
    }

    /// Lets connection `id`'s machines speak until they have nothing more to say now.
    fn service(
        &mut self,
        id: usize,
        on_client: &mut impl FnMut(usize, &mut C, C::Event),
        on_server: &mut impl FnMut(usize, &mut S, S::Event),
        client_body: &mut impl FnMut(usize, &mut C),
        server_body: &mut impl FnMut(usize, &mut S),
    ) {
        if self.links[id].dropped {
            // The machines still report the loss (their last events); what they send
            // goes nowhere.
            let link = &mut self.links[id];
            while let Some(e) = link.server.poll_event() {
                on_server(id, &mut link.server, e);
            }
            while let Some(e) = link.client.poll_event() {
                on_client(id, &mut link.client, e);
            }
            while link.server.poll_transmit().is_some() {}
            while link.client.poll_transmit().is_some() {}
            return;
        }
        let mut idle_calls = 0;
        for _ in 0..100_000 {
            let now = self.now;
            let link = &mut self.links[id];
            let mut moved = false;
            while let Some(e) = link.server.poll_event() {
                on_server(id, &mut link.server, e);
                moved = true;
            }
            while let Some(e) = link.client.poll_event() {
                on_client(id, &mut link.client, e);
                moved = true;
            }
            let mut to_server = Vec::new();
            transmit_into(&mut link.client, &mut to_server);
            let mut to_client = Vec::new();
            transmit_into(&mut link.server, &mut to_client);
            // The client's body first; the server's only in a pass where the client's
            // was not asked for (`moved` is then still false).
            let mut body = BodyTurn {
                moved: &mut moved,
                idle_calls: &mut idle_calls,
            };
            body.offer(&mut link.client, &mut to_server, |c| client_body(id, c));
            body.offer(&mut link.server, &mut to_client, |s| server_body(id, s));
            // The wire is simulated: a TLS switch is just the call, as in `Pair`.
            if link.client.wants_tls() {
                link.client.handle_tls_established(now);
                moved = true;
            }
            if link.server.wants_tls() {
                link.server.handle_tls_established(now);
                moved = true;
            }
            moved |= !to_server.is_empty() || !to_client.is_empty();
            self.schedule(id, to_server, true);
            self.schedule(id, to_client, false);
            let link = &mut self.links[id];
            if link.client.is_closed() && !link.client_fin {
                link.client_fin = true;
                self.schedule_eof(id, true);
            }
            let link = &mut self.links[id];
            if link.server.is_closed() && !link.server_fin {
                link.server_fin = true;
                self.schedule_eof(id, false);
            }
            if !moved {
                return;
            }
        }
    }

    /// When the next piece of `id`'s direction may arrive: after a random delay, never
    /// before the piece ahead of it.
    fn arrival(&mut self, id: usize, to_server: bool) -> Instant {
        let delay = self.rng.upto(self.faults.max_delay.as_millis() as u64);
        let at = self.now + Duration::from_millis(delay);
        let link = &self.links[id];
        let queue = if to_server {
            &link.to_server
        } else {
            &link.to_client
        };
        queue.back().map_or(at, |(last, _)| at.max(*last))
    }

    fn schedule(&mut self, id: usize, bytes: Vec<u8>, to_server: bool) {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let n = 1 + self.rng.upto(self.faults.max_piece.max(1) as u64 - 1) as usize;
            let (piece, tail) = rest.split_at(n.min(rest.len()));
            rest = tail;
            let at = self.arrival(id, to_server);
            let link = &mut self.links[id];
            let queue = if to_server {
                &mut link.to_server
            } else {
                &mut link.to_client
            };
            queue.push_back((at, Segment::Bytes(piece.to_vec())));
        }
    }

    fn schedule_eof(&mut self, id: usize, to_server: bool) {
        let at = self.arrival(id, to_server);
        let link = &mut self.links[id];
        let queue = if to_server {
            &mut link.to_server
        } else {
            &mut link.to_client
        };
        queue.push_back((at, Segment::Eof));
    }

    /// The earliest pending arrival or timer.
    fn next_moment(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        for l in self.links.iter().filter(|l| !l.dropped) {
            if let Some((t, _)) = l.to_server.front() {
                consider(*t);
            }
            if let Some((t, _)) = l.to_client.front() {
                consider(*t);
            }
            for t in [l.client.poll_timeout(), l.server.poll_timeout()]
                .into_iter()
                .flatten()
            {
                consider(t);
            }
        }
        next
    }

    fn deliver_due(&mut self, dirty: &mut [bool]) {
        let now = self.now;
        for (link, dirty) in self.links.iter_mut().zip(dirty).filter(|(l, _)| !l.dropped) {
            let due = |q: &VecDeque<(Instant, Segment)>| q.front().is_some_and(|(t, _)| *t <= now);
            *dirty |= due(&link.to_server) || due(&link.to_client);
            let (stats, delivered) = (&mut self.stats, &mut link.delivered);
            deliver(&mut link.server, &mut link.to_server, now, stats, delivered);
            deliver(&mut link.client, &mut link.to_client, now, stats, delivered);
            if link.drop_after.is_some_and(|n| link.delivered >= n) {
                // The connection vanishes: what is in flight is lost, both ends see EOF.
                link.dropped = true;
                *dirty = true;
                link.to_server.clear();
                link.to_client.clear();
                self.stats.dropped += 1;
                if !link.server.is_closed() {
                    link.server.handle_eof(now);
                }
                if !link.client.is_closed() {
                    link.client.handle_eof(now);
                }
            }
        }
    }

    fn fire_timers(&mut self, dirty: &mut [bool]) {
        let now = self.now;
        for (link, dirty) in self.links.iter_mut().zip(dirty).filter(|(l, _)| !l.dropped) {
            if link.client.poll_timeout().is_some_and(|t| t <= now) {
                link.client.handle_timeout(now);
                self.stats.timeouts += 1;
                *dirty = true;
            }
            if link.server.poll_timeout().is_some_and(|t| t <= now) {
                link.server.handle_timeout(now);
                self.stats.timeouts += 1;
                *dirty = true;
            }
        }
    }
}

/// Hands `m` every segment of `queue` due by `now`, in order, counting what it delivers
/// in `stats` and in the link's `n` (which a planned drop is measured against).
fn deliver<M: Machine>(
    m: &mut M,
    queue: &mut VecDeque<(Instant, Segment)>,
    now: Instant,
    stats: &mut NetStats,
    n: &mut u64,
) {
    while queue.front().is_some_and(|(t, _)| *t <= now) {
        let Some((_, seg)) = queue.pop_front() else {
            break;
        };
        match seg {
            Segment::Bytes(b) => {
                stats.pieces += 1;
                stats.bytes += b.len() as u64;
                *n += b.len() as u64;
                m.handle_input(now, &b);
            }
            Segment::Eof => m.handle_eof(now),
        }
    }
}

/// Appends everything `m` has to send to `out`.
fn transmit_into<M: Machine>(m: &mut M, out: &mut Vec<u8>) {
    while let Some(b) = m.poll_transmit() {
        out.extend_from_slice(&b);
    }
}

/// One pass's body requests on a connection: whether anything moved in the pass, and how
/// many body calls in a row have given no bytes.
struct BodyTurn<'a> {
    moved: &'a mut bool,
    idle_calls: &'a mut usize,
}

impl BodyTurn<'_> {
    /// Asks `m` for its next body chunk through `body` when it wants one, has sent
    /// everything (`out` is empty), nothing else moved in this pass and its body has not
    /// stalled; what it sends goes to `out`. A body piece may give no bytes yet (a CR
    /// held back until the next piece says whether LF follows), so a call counts as
    /// progress; only a run of `IDLE_BODY_CALLS` calls that all give nothing ends it.
    fn offer<M: Machine>(&mut self, m: &mut M, out: &mut Vec<u8>, body: impl FnOnce(&mut M)) {
        if !out.is_empty() || *self.moved || !m.wants_body() || *self.idle_calls >= IDLE_BODY_CALLS
        {
            return;
        }
        body(m);
        transmit_into(m, out);
        *self.moved = true;
        *self.idle_calls = if out.is_empty() {
            *self.idle_calls + 1
        } else {
            0
        };
    }
}

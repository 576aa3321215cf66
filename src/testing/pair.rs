//! [`Pair`]: a client machine and a server machine back to back, with a virtual clock.

use super::{deliver, drain, Split};
use crate::{Instant, Machine};
use alloc::vec::Vec;
use core::time::Duration;

/// A client and a server machine connected back to back, with a virtual clock.
///
/// Nothing moves until the test says so: [`run`](Pair::run) carries bytes both ways
/// (cut as [`split`](Pair::split) says) and hands every event to the test's closures
/// until neither side has anything left to say; [`advance`](Pair::advance) moves the
/// clock and fires the timers that are due. Both directions are logged in
/// [`client_wire`](Pair::client_wire) and [`server_wire`](Pair::server_wire), so a test
/// can check the exact bytes on the wire.
///
/// The wire is a test pipe, so a TLS switch ([`Machine::wants_tls`]) is simulated: the
/// machine that asks is told at once that the switch is done
/// ([`Machine::handle_tls_established`]), and the bytes keep flowing in the clear.
///
/// Any client can be paired with any server: the pair knows no protocol.
///
/// ```
/// use wirestate::greeting::{Client, ClientConfig, Framing, Server, ServerConfig};
/// use wirestate::testing::{Pair, Split};
/// use wirestate::Machine;
///
/// let mut client = Client::new(ClientConfig::new(Framing::Line));
/// client.send_name(b"Ada").unwrap();
/// client.finish().unwrap();
/// let server = Server::new(ServerConfig::new(Framing::Line));
/// let mut pair = Pair::new(client, server).with_split(Split::Every(1));
/// pair.run(|_, _| {}, |_, _| {});
/// assert_eq!(pair.client_wire, b"Ada\nexit\n");
/// assert_eq!(pair.server_wire, b"Welcome!\nHello, Ada!\n");
/// assert!(pair.client.is_closed() && pair.server.is_closed());
/// ```
pub struct Pair<C: Machine, S: Machine> {
    /// The client machine; the test may call its typed send methods between runs.
    pub client: C,
    /// The server machine.
    pub server: S,
    /// The virtual clock: the `now` passed to every `handle_*` call.
    pub now: Instant,
    /// How bytes are cut into `handle_input` calls; [`Split::AsSent`] unless set.
    pub split: Split,
    /// Every byte the client sent, in order.
    pub client_wire: Vec<u8>,
    /// Every byte the server sent, in order.
    pub server_wire: Vec<u8>,
    client_eof_sent: bool,
    server_eof_sent: bool,
}

impl<C: Machine, S: Machine> Pair<C, S> {
    /// Wires `client` to `server`, at `Instant::ZERO`, delivering each transmit as it was
    /// produced. Nothing moves yet.
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, Server, ServerConfig};
    /// use wirestate::testing::{Pair, Split};
    /// use wirestate::Instant;
    ///
    /// let pair = Pair::new(
    ///     Client::new(ClientConfig::default()),
    ///     Server::new(ServerConfig::default()),
    /// );
    /// assert_eq!(pair.now, Instant::ZERO);
    /// assert_eq!(pair.split, Split::AsSent);
    /// assert!(pair.server_wire.is_empty());
    /// ```
    pub fn new(client: C, server: S) -> Self {
        Pair {
            client,
            server,
            now: Instant::ZERO,
            split: Split::AsSent,
            client_wire: Vec::new(),
            server_wire: Vec::new(),
            client_eof_sent: false,
            server_eof_sent: false,
        }
    }

    /// The same pair, cutting the bytes it delivers as `split` says.
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, Server, ServerConfig};
    /// use wirestate::testing::{Pair, Split};
    ///
    /// let pair = Pair::new(
    ///     Client::new(ClientConfig::default()),
    ///     Server::new(ServerConfig::default()),
    /// )
    /// .with_split(Split::Every(3));
    /// assert_eq!(pair.split, Split::Every(3));
    /// ```
    #[must_use]
    pub fn with_split(mut self, split: Split) -> Self {
        self.split = split;
        self
    }

    /// Moves bytes and events both ways until neither side has anything left to say, and
    /// returns how many rounds it took.
    ///
    /// Each round drains the server's events into `on_server` and the client's into
    /// `on_client` (each closure gets its machine too, to answer through its typed
    /// methods), then delivers what each side transmitted to the other, switches TLS
    /// where asked, and delivers EOF to the other side once a machine is closed. The
    /// clock does not move. Panics if the pair never goes quiet (100,000 rounds), which
    /// only a machine that keeps producing output can cause.
    ///
    /// ```
    /// use wirestate::greeting::{Client, ClientConfig, ClientEvent, Server, ServerConfig};
    /// use wirestate::testing::Pair;
    ///
    /// let mut client = Client::new(ClientConfig::default());
    /// client.send_name(b"Grace").unwrap();
    /// let mut pair = Pair::new(client, Server::new(ServerConfig::default()));
    /// let mut replies = Vec::new();
    /// pair.run(
    ///     |_, e| {
    ///         if let ClientEvent::Reply { reply, .. } = e {
    ///             replies.push(reply)
    ///         }
    ///     },
    ///     |_, _| {},
    /// );
    /// assert_eq!(replies, ["Hello, Grace!"]);
    /// // Nothing left to say: a second run does nothing.
    /// assert_eq!(pair.run(|_, _| {}, |_, _| {}), 0);
    /// ```
    pub fn run(
        &mut self,
        mut on_client: impl FnMut(&mut C, C::Event),
        mut on_server: impl FnMut(&mut S, S::Event),
    ) -> usize {
        for round in 0..100_000 {
            let mut moved = false;
            while let Some(e) = self.server.poll_event() {
                on_server(&mut self.server, e);
                moved = true;
            }
            while let Some(e) = self.client.poll_event() {
                on_client(&mut self.client, e);
                moved = true;
            }
            let to_server = drain(&mut self.client);
            if !to_server.is_empty() {
                self.client_wire
                    .extend(to_server.iter().flat_map(|b| b.iter()));
                deliver(&mut self.server, self.now, &to_server, self.split);
                moved = true;
            }
            let to_client = drain(&mut self.server);
            if !to_client.is_empty() {
                self.server_wire
                    .extend(to_client.iter().flat_map(|b| b.iter()));
                deliver(&mut self.client, self.now, &to_client, self.split);
                moved = true;
            }
            // Timers already due fire as a driver loop fires them (a server that starts
            // its idle clock at its first call hears the time this way).
            moved |= fire_due(&mut self.client, self.now);
            moved |= fire_due(&mut self.server, self.now);
            // The wire between the two is a test pipe: a TLS switch is just the call.
            if self.client.wants_tls() {
                self.client.handle_tls_established(self.now);
                moved = true;
            }
            if self.server.wants_tls() {
                self.server.handle_tls_established(self.now);
                moved = true;
            }
            if self.client.is_closed() && !self.client_eof_sent {
                self.client_eof_sent = true;
                self.server.handle_eof(self.now);
                moved = true;
            }
            if self.server.is_closed() && !self.server_eof_sent {
                self.server_eof_sent = true;
                self.client.handle_eof(self.now);
                moved = true;
            }
            if !moved {
                return round;
            }
        }
        panic!("the pair never went quiet: a machine keeps producing output");
    }

    /// [`run`](Pair::run), plus bodies: whenever the pair goes quiet while a machine
    /// [wants the next body chunk](Machine::wants_body), `client_body` or `server_body`
    /// is called to give it one (through `send_data`, `send_end`, ...), and the pair runs
    /// on. Returns the rounds taken, when neither machine wants body or the body closures
    /// gave nothing 64 times in a row (one call may give nothing yet: a piece can be
    /// held back until the next one).
    ///
    /// This is how a driver paces a streamed body, so a test of an SMTP client's
    /// message, an HTTP request body or a POP3 server's message needs nothing else.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate::smtp::{Client, ClientConfig, ClientEvent, Envelope, ForwardPath, ReversePath};
    /// use wirestate::smtp::{Server, ServerConfig, ServerEvent};
    /// use wirestate::testing::Pair;
    ///
    /// let mut config = ServerConfig::default();
    /// config.auto_accept_hello = true;
    /// config.auto_accept_envelope = true;
    /// let mut pair = Pair::new(Client::new(ClientConfig::default()), Server::new(config));
    /// let (mut got, mut sent) = (Vec::new(), false);
    /// pair.run_with_bodies(
    ///     |c, e| match e {
    ///         ClientEvent::Ready if !sent => {
    ///             sent = true;
    ///             c.send_mail(Envelope::new(ReversePath::Null, vec![ForwardPath::Postmaster])).unwrap();
    ///         }
    ///         ClientEvent::Ready => c.quit().unwrap(),
    ///         _ => {}
    ///     },
    ///     |s, e| match e {
    ///         ServerEvent::Data(piece) => got.extend_from_slice(&piece),
    ///         ServerEvent::End { decision, .. } => s.accept(decision).unwrap(),
    ///         _ => {}
    ///     },
    ///     |c| c.send_last(Bytes::from_static(b"Hi!\r\n")).unwrap(),
    ///     |_| {},
    /// );
    /// assert_eq!(got, b"Hi!\r\n");
    /// ```
    pub fn run_with_bodies(
        &mut self,
        mut on_client: impl FnMut(&mut C, C::Event),
        mut on_server: impl FnMut(&mut S, S::Event),
        mut client_body: impl FnMut(&mut C),
        mut server_body: impl FnMut(&mut S),
    ) -> usize {
        let mut total = 0;
        let mut idle_calls = 0;
        for step in 0..1_000_000 {
            let rounds = self.run(&mut on_client, &mut on_server);
            total += rounds;
            // A body piece may give no bytes yet (a CR held back until the next piece
            // says whether LF follows); only a run of calls that all give nothing ends.
            if step > 0 && rounds == 0 {
                idle_calls += 1;
                if idle_calls >= super::network::IDLE_BODY_CALLS {
                    return total;
                }
            } else {
                idle_calls = 0;
            }
            let (c, s) = (self.client.wants_body(), self.server.wants_body());
            if !c && !s {
                return total;
            }
            if c {
                client_body(&mut self.client);
            }
            if s {
                server_body(&mut self.server);
            }
        }
        panic!("the body never ended");
    }

    /// Advances the virtual clock by `by`, then fires each side's timer if it is due.
    /// Call [`run`](Pair::run) after it to let the sides react.
    ///
    /// ```
    /// use core::time::Duration;
    /// use wirestate::greeting::{Client, ClientConfig, Framing, Server, ServerConfig};
    /// use wirestate::testing::Pair;
    /// use wirestate::Machine;
    ///
    /// let mut config = ServerConfig::new(Framing::Line);
    /// config.timeouts.idle = Some(Duration::from_secs(30));
    /// let client = Client::new(ClientConfig::new(Framing::Line));
    /// let mut pair = Pair::new(client, Server::new(config));
    /// pair.run(|_, _| {}, |_, _| {});
    /// pair.advance(Duration::from_secs(29));
    /// pair.run(|_, _| {}, |_, _| {});
    /// assert!(!pair.server.is_closed());
    /// pair.advance(Duration::from_secs(1));
    /// pair.run(|_, _| {}, |_, _| {});
    /// assert!(pair.server.is_closed());
    /// assert_eq!(pair.now.as_millis(), 30_000);
    /// ```
    pub fn advance(&mut self, by: Duration) {
        self.now = self.now + by;
        if self.client.poll_timeout().is_some_and(|d| d <= self.now) {
            self.client.handle_timeout(self.now);
        }
        if self.server.poll_timeout().is_some_and(|d| d <= self.now) {
            self.server.handle_timeout(self.now);
        }
    }
}

/// Calls `handle_timeout(now)` if the machine's deadline is due; whether that changed
/// the deadline (a machine that keeps a due deadline is not counted as progress, so a
/// run cannot spin on it).
fn fire_due<M: Machine>(machine: &mut M, now: Instant) -> bool {
    match machine.poll_timeout() {
        Some(due) if due <= now => {
            machine.handle_timeout(now);
            machine.poll_timeout() != Some(due)
        }
        _ => false,
    }
}

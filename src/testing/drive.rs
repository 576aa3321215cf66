//! [`drive`]: the `Machine` driver loop over a scripted peer, for any machine.

use crate::{Instant, Machine};
use alloc::vec::Vec;

/// What [`drive`] saw.
///
/// ```
/// use wirestate::greeting::{Framing, Server, ServerConfig};
/// use wirestate::testing::{drive, Driven};
///
/// let mut server = Server::new(ServerConfig::new(Framing::Line));
/// let driven: Driven = drive(&mut server, b"Ada\nexit\nlate\n", 64, |_, _| {}, |_| {});
/// assert_eq!(driven.wire, b"Welcome!\nHello, Ada!\n");
/// assert!(driven.closed);
/// assert!(driven.tls_at.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Driven {
    /// Every byte the machine transmitted, in order.
    pub wire: Vec<u8>,
    /// Offsets into `wire` at which the machine asked for TLS and was told it had it.
    pub tls_at: Vec<usize>,
    /// Peer bytes never handed over because the machine stopped wanting input (or
    /// closed) before them.
    pub unread: usize,
    /// Whether the machine was closed at the end.
    pub closed: bool,
}

/// The driver loop of the [`Machine`] docs over a scripted peer, for any machine.
///
/// It feeds `peer` in pieces of at most `piece` bytes while the machine
/// [wants input](Machine::wants_input), hands each event to `on_event` (with the machine,
/// to answer through its typed methods), calls `on_send_ready` whenever the machine
/// [wants the next body chunk](Machine::wants_body) and everything is written, switches
/// "TLS" when [asked](Machine::wants_tls) (this pipe needs no handshake), delivers EOF
/// once the script is spent, and then fires timers on a virtual clock that jumps to each
/// [deadline](Machine::poll_timeout), until the machine closes or has nothing left to
/// wait for. Nothing in it knows any protocol: that a machine runs under it is the test
/// that the `Machine` trait is enough to drive it.
///
/// ```
/// use core::time::Duration;
/// use wirestate::greeting::{Framing, Server, ServerConfig, ServerEvent};
/// use wirestate::testing::drive;
/// use wirestate::CloseReason;
///
/// // The peer says one name, byte by byte, and then closes: the server answers the
/// // name and reports the EOF; its idle timer never fires.
/// let mut config = ServerConfig::new(Framing::Line);
/// config.timeouts.idle = Some(Duration::from_secs(5));
/// let mut server = Server::new(config);
/// let mut seen = Vec::new();
/// let driven = drive(&mut server, b"Ada\n", 1, |_, e| seen.push(e), |_| {});
/// assert_eq!(driven.wire, b"Welcome!\nHello, Ada!\n");
/// assert_eq!(seen[0], ServerEvent::Message("Ada".into()));
/// assert!(matches!(seen.last(), Some(ServerEvent::Closed(CloseReason::PeerClosed { .. }))));
/// ```
pub fn drive<M: Machine>(
    machine: &mut M,
    peer: &[u8],
    piece: usize,
    mut on_event: impl FnMut(&mut M, M::Event),
    mut on_send_ready: impl FnMut(&mut M),
) -> Driven {
    let mut out = Driven::default();
    let mut now = Instant::ZERO;
    let mut fed = 0;
    let mut eof = false;
    for _ in 0..1_000_000 {
        while let Some(e) = machine.poll_event() {
            on_event(machine, e);
        }
        let mut wrote = false;
        while let Some(b) = machine.poll_transmit() {
            out.wire.extend_from_slice(&b);
            wrote = true;
        }
        if !wrote && machine.wants_body() {
            let before = out.wire.len();
            on_send_ready(machine);
            while let Some(b) = machine.poll_transmit() {
                out.wire.extend_from_slice(&b);
            }
            if out.wire.len() > before {
                continue;
            }
        }
        if wrote {
            continue;
        }
        if machine.wants_tls() {
            out.tls_at.push(out.wire.len());
            machine.handle_tls_established(now);
            continue;
        }
        if machine.is_closed() {
            break;
        }
        if fed < peer.len() && machine.wants_input() {
            let end = (fed + piece.max(1)).min(peer.len());
            machine.handle_input(now, &peer[fed..end]);
            fed = end;
            continue;
        }
        if fed == peer.len() && !eof {
            eof = true;
            machine.handle_eof(now);
            continue;
        }
        match machine.poll_timeout() {
            Some(deadline) => {
                now = now.max(deadline);
                machine.handle_timeout(now);
            }
            None => break,
        }
    }
    out.unread = peer.len() - fed;
    out.closed = machine.is_closed();
    out
}

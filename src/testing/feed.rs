//! Moving bytes by hand: [`Split`], the drain helpers, the split feeder [`feed_cut`] and
//! [`assert_chunking_invariant`].

use crate::{Instant, Machine};
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt::Debug;

/// How bytes travelling to a machine are cut into `handle_input` calls.
///
/// ```
/// use wirestate::greeting::{Client, ClientConfig, Framing, Server, ServerConfig};
/// use wirestate::testing::{Pair, Split};
///
/// // Whatever the cut, line framing gives the same conversation.
/// for split in [Split::AsSent, Split::Coalesced, Split::Every(1), Split::Every(4)] {
///     let mut client = Client::new(ClientConfig::new(Framing::Line));
///     client.send_name(b"Ada").unwrap();
///     let server = Server::new(ServerConfig::new(Framing::Line));
///     let mut pair = Pair::new(client, server).with_split(split);
///     pair.run(|_, _| {}, |_, _| {});
///     assert_eq!(pair.server_wire, b"Welcome!\nHello, Ada!\n", "{split:?}");
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// Each transmit is delivered as it was produced.
    AsSent,
    /// Everything pending is delivered in one call.
    Coalesced,
    /// Pieces of at most `n` bytes (`0` counts as `1`).
    Every(usize),
}

/// Every pending transmit of `m`, in order.
///
/// ```
/// use wirestate::greeting::{Server, ServerConfig};
/// use wirestate::testing::drain;
///
/// let mut server = Server::new(ServerConfig::default());
/// assert_eq!(drain(&mut server), [&b"Welcome!"[..]]);
/// assert!(drain(&mut server).is_empty());
/// ```
pub fn drain<M: Machine>(m: &mut M) -> Vec<Bytes> {
    core::iter::from_fn(|| m.poll_transmit()).collect()
}

/// Every pending transmit of `m`, concatenated.
///
/// ```
/// use wirestate::greeting::{Framing, Server, ServerConfig};
/// use wirestate::testing::drain_bytes;
/// use wirestate::{Instant, Machine};
///
/// let mut server = Server::new(ServerConfig::new(Framing::Line));
/// server.handle_input(Instant::ZERO, b"Ada\n");
/// while server.poll_event().is_some() {}
/// assert_eq!(drain_bytes(&mut server), b"Welcome!\nHello, Ada!\n");
/// ```
pub fn drain_bytes<M: Machine>(m: &mut M) -> Vec<u8> {
    drain(m).concat()
}

/// Every pending event of `m`, in order.
///
/// ```
/// use wirestate::greeting::{Framing, Server, ServerConfig, ServerEvent};
/// use wirestate::testing::events;
/// use wirestate::{CloseReason, Instant, Machine};
///
/// let mut server = Server::new(ServerConfig::new(Framing::Line));
/// server.handle_input(Instant::ZERO, b"Ada\nexit\n");
/// assert_eq!(
///     events(&mut server),
///     [ServerEvent::Message("Ada".into()), ServerEvent::Closed(CloseReason::Done)]
/// );
/// ```
pub fn events<M: Machine>(m: &mut M) -> Vec<M::Event> {
    core::iter::from_fn(|| m.poll_event()).collect()
}

/// Hands `pieces` to `m` cut as `split` says.
pub(crate) fn deliver<M: Machine>(m: &mut M, now: Instant, pieces: &[Bytes], split: Split) {
    match split {
        Split::AsSent => pieces.iter().for_each(|p| m.handle_input(now, p)),
        Split::Coalesced => m.handle_input(now, &pieces.concat()),
        Split::Every(n) => pieces
            .concat()
            .chunks(n.max(1))
            .for_each(|c| m.handle_input(now, c)),
    }
}

/// Feeds `input` to a fresh machine cut at `cuts` (sorted offsets into `input`; out of
/// range or out of order ones are clamped), draining events and transmits after every
/// piece, then delivers EOF; returns every event and everything the machine transmitted
/// (its first transmits, such as a banner, included). The clock stays at
/// `Instant::ZERO`.
///
/// ```
/// use wirestate::greeting::{Framing, Server, ServerConfig, ServerEvent};
/// use wirestate::testing::feed_cut;
///
/// let server = Server::new(ServerConfig::new(Framing::Line));
/// let (events, out) = feed_cut(server, b"Ada\nGrace\n", &[2, 6]);
/// assert_eq!(events[..2], [ServerEvent::Message("Ada".into()), ServerEvent::Message("Grace".into())]);
/// assert_eq!(out, b"Welcome!\nHello, Ada!\nHello, Grace!\n");
/// ```
pub fn feed_cut<M: Machine>(mut m: M, input: &[u8], cuts: &[usize]) -> (Vec<M::Event>, Vec<u8>) {
    let mut evs = Vec::new();
    let mut out = drain_bytes(&mut m);
    let mut start = 0;
    for &cut in cuts.iter().chain(core::iter::once(&input.len())) {
        let cut = cut.clamp(start, input.len());
        if cut > start {
            m.handle_input(Instant::ZERO, &input[start..cut]);
            evs.extend(events(&mut m));
            out.extend(drain_bytes(&mut m));
        }
        start = cut;
    }
    m.handle_eof(Instant::ZERO);
    evs.extend(events(&mut m));
    out.extend(drain_bytes(&mut m));
    (evs, out)
}

/// Feeds `input` to fresh machines from `make`: whole, then split in two at every
/// position, then byte by byte, and panics, naming the cut, if the events or the output
/// ever differ from the whole feed's. Returns the whole feed's result (see
/// [`feed_cut`]), so a test can go on to check it.
///
/// This is the crate's chunking-invariance rule as a test: however TCP cuts the bytes,
/// a machine must say and do the same. It makes `input.len() + 1` runs, so keep inputs
/// to a few kilobytes.
///
/// ```
/// use wirestate::greeting::{Framing, Server, ServerConfig, ServerEvent};
/// use wirestate::testing::assert_chunking_invariant;
///
/// let (events, out) = assert_chunking_invariant(
///     || Server::new(ServerConfig::new(Framing::Line)),
///     b"Ada\r\nGrace\nexit\n",
/// );
/// assert_eq!(events.len(), 3);
/// assert_eq!(out, b"Welcome!\nHello, Ada!\nHello, Grace!\n");
/// ```
///
/// The greeting protocol's chunk framing (one read is one message) is the crate's one
/// deliberate exception, and the check says so:
///
/// ```should_panic
/// use wirestate::greeting::{Framing, Server, ServerConfig};
/// use wirestate::testing::assert_chunking_invariant;
///
/// assert_chunking_invariant(|| Server::new(ServerConfig::new(Framing::Chunk)), b"Ada");
/// ```
pub fn assert_chunking_invariant<M, F>(make: F, input: &[u8]) -> (Vec<M::Event>, Vec<u8>)
where
    M: Machine,
    M::Event: PartialEq + Debug,
    F: Fn() -> M,
{
    let whole = feed_cut(make(), input, &[]);
    for i in 1..input.len() {
        let split = feed_cut(make(), input, &[i]);
        assert_eq!(split, whole, "split at byte {i} changed the result");
    }
    let every: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        feed_cut(make(), input, &every),
        whole,
        "byte-by-byte feeding changed the result"
    );
    whole
}

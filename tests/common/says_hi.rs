//! A machine for driver and layer tests: it says `hi` first, keeps every byte it is
//! given, and closes when the peer has closed. Included with `#[path]`, so a test that
//! has no other use for `tests/common` need not build it.

use bytes::Bytes;
use wirestate::{Instant, Machine};

/// Says `hi`, keeps what arrives in `got`, closes on EOF.
#[derive(Debug, Default)]
pub struct SaysHi {
    /// Every byte given to `handle_input`, in order.
    pub got: Vec<u8>,
    /// Whether `hi` has been handed out by `poll_transmit`.
    pub said: bool,
    /// Whether `handle_eof` was called.
    pub eof: bool,
}

impl Machine for SaysHi {
    type Event = ();
    fn handle_input(&mut self, _: Instant, bytes: &[u8]) {
        self.got.extend_from_slice(bytes);
    }
    fn handle_eof(&mut self, _: Instant) {
        self.eof = true;
    }
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_event(&mut self) -> Option<()> {
        None
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        (!std::mem::replace(&mut self.said, true)).then(|| Bytes::from_static(b"hi"))
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn is_closed(&self) -> bool {
        self.eof
    }
}

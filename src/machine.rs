//! The shape every stream machine shares: [`Machine`] and the caller's clock, [`Instant`].

use bytes::Bytes;
use core::ops::Add;
use core::time::Duration;

/// A point in time, in milliseconds since an epoch the caller picks.
///
/// Machines never read a clock: the caller passes `now` into every `handle_*` call and
/// gets deadlines back from [`Machine::poll_timeout`]. Any epoch works as long as it is
/// the same for one machine; a `now` earlier than one already seen is treated as no time
/// passing.
///
/// ```
/// use core::time::Duration;
/// use wirestate::Instant;
///
/// let t = Instant::from_millis(1_000);
/// assert_eq!((t + Duration::from_secs(2)).as_millis(), 3_000);
/// assert_eq!(t.saturating_duration_since(Instant::from_millis(4_000)), Duration::ZERO);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The epoch itself.
    pub const ZERO: Instant = Instant(0);

    /// The instant `ms` milliseconds after the epoch.
    ///
    /// ```
    /// assert_eq!(wirestate::Instant::from_millis(5).as_millis(), 5);
    /// ```
    pub const fn from_millis(ms: u64) -> Instant {
        Instant(ms)
    }

    /// Milliseconds since the epoch.
    ///
    /// ```
    /// assert_eq!(wirestate::Instant::ZERO.as_millis(), 0);
    /// ```
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Time from `earlier` to `self`, or zero if `earlier` is later.
    ///
    /// ```
    /// use wirestate::Instant;
    /// let d = Instant::from_millis(9).saturating_duration_since(Instant::from_millis(4));
    /// assert_eq!(d.as_millis(), 5);
    /// ```
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// `self + d`, saturating at the far future instead of overflowing.
    ///
    /// ```
    /// use core::time::Duration;
    /// use wirestate::Instant;
    /// let far = Instant::from_millis(u64::MAX);
    /// assert_eq!(far.saturating_add(Duration::from_secs(1)), far);
    /// ```
    pub fn saturating_add(self, d: Duration) -> Instant {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(ms))
    }

    /// The later of `self` and `other`: how machines keep time from running backwards.
    ///
    /// ```
    /// use wirestate::Instant;
    /// assert_eq!(Instant::from_millis(3).max(Instant::from_millis(2)).as_millis(), 3);
    /// ```
    pub fn max(self, other: Instant) -> Instant {
        if other.0 > self.0 {
            other
        } else {
            self
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturating: see [`Instant::saturating_add`].
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

/// A sans-IO protocol endpoint: bytes and time in, events and bytes out.
///
/// Every client and server machine in this crate implements it, so one driver loop
/// serves every protocol:
///
/// 1. if [`wants_input`](Machine::wants_input), read from the socket and pass the bytes
///    to [`handle_input`](Machine::handle_input) (a read of 0 bytes:
///    [`handle_eof`](Machine::handle_eof));
/// 2. drain [`poll_event`](Machine::poll_event) until `None`, acting on each event, usually
///    by calling the machine's typed send methods (`reply`, `send_request`, ...);
/// 3. drain [`poll_transmit`](Machine::poll_transmit) until `None`, writing every piece in
///    order; once all of it is written and [`wants_body`](Machine::wants_body) is true,
///    let the application send its next body chunk, and repeat;
/// 4. once everything is written and [`wants_tls`](Machine::wants_tls) is true, switch
///    the transport to TLS and call
///    [`handle_tls_established`](Machine::handle_tls_established);
/// 5. sleep until readable or until [`poll_timeout`](Machine::poll_timeout); on the deadline
///    call [`handle_timeout`](Machine::handle_timeout) and go to 2;
/// 6. once [`is_closed`](Machine::is_closed) is true and the transmits are written, close
///    the socket.
///
/// Machines do no I/O and read no clock, so the same calls give the same results.
/// Peer input can never make a machine panic: a framing violation becomes an error
/// event, the protocol's final reply is queued, and the machine closes.
pub trait Machine {
    /// What the peer said, decoded.
    type Event;

    /// Bytes received from the peer, in order. They are copied once into the machine's
    /// bounded receive buffer and decoded lazily by [`poll_event`](Machine::poll_event),
    /// so call `poll_event` until it returns `None` after each call.
    fn handle_input(&mut self, now: Instant, bytes: &[u8]);

    /// The peer will send no more: a read returned 0. Drain events and transmits after.
    fn handle_eof(&mut self, now: Instant);

    /// `now` has reached the deadline [`poll_timeout`](Machine::poll_timeout) returned.
    /// Calling it early is harmless: nothing expires before its deadline.
    fn handle_timeout(&mut self, now: Instant);

    /// The next event decoded from the receive buffer, or `None` when more input (or an
    /// answer to an outstanding decision) is needed.
    #[must_use = "events carry what the peer said; drain them until None"]
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// The next bytes to write to the peer, in order, or `None` when nothing is pending.
    #[must_use = "these bytes must be written to the peer"]
    fn poll_transmit(&mut self) -> Option<Bytes>;

    /// When the machine next wants [`handle_timeout`](Machine::handle_timeout), if ever.
    /// A server machine's clock starts at its first `handle_*` call: until then, with a
    /// timer configured, this is `Instant::ZERO` (due at once), so the driver's first
    /// `handle_timeout(now)` gives it the time and expires nothing.
    #[must_use]
    fn poll_timeout(&self) -> Option<Instant>;

    /// True once nothing more will be sent or received: write what
    /// [`poll_transmit`](Machine::poll_transmit) still returns, then close the socket.
    fn is_closed(&self) -> bool;

    /// Input flow control: whether the machine takes more input now. False while it has
    /// as much undecoded input as it will hold (HTTP requests read ahead up to
    /// `max_pipeline`, a decision outstanding with input buffered), while a TLS switch is
    /// due, and once closed. A driver that stops reading while this is false lets TCP
    /// slow the peer down, and never meets the receive-buffer limit. Re-check it after
    /// draining events and transmits.
    fn wants_input(&self) -> bool {
        !self.is_closed()
    }

    /// Output flow control: whether the machine is ready for the next chunk of a body the
    /// local side is streaming (HTTP request or response content, SMTP `DATA`/`BDAT`
    /// message data, POP3 `RETR`/`TOP` message lines). A driver asks only once everything
    /// [`poll_transmit`](Machine::poll_transmit) returned has been written, and then lets
    /// the application call the machine's `send_data`; so however large the body, at most
    /// one chunk is in memory. False when no body is being sent, and while the machine
    /// waits for the peer before the body may go (HTTP `100 Continue`, the SMTP `354`).
    fn wants_body(&self) -> bool {
        false
    }

    /// TLS handoff: true once the transport must switch to TLS. A server machine sets it
    /// after its last plaintext byte (the `220` to `STARTTLS`, the `+OK` to `STLS`) has
    /// been returned by [`poll_transmit`](Machine::poll_transmit); a client machine sets
    /// it when that reply arrives. The driver writes what is pending, reads nothing more in
    /// plaintext, performs the handshake and calls
    /// [`handle_tls_established`](Machine::handle_tls_established). Plaintext the peer
    /// sent behind the switch is never decoded: a server discards it (CVE-2011-0411) and a
    /// client fails with an error, as it can only be an injection.
    fn wants_tls(&self) -> bool {
        false
    }

    /// The transport is now TLS. Call it after the handshake that
    /// [`wants_tls`](Machine::wants_tls) asked for, and also before the first byte of a
    /// connection that is TLS from the start (implicit TLS, RFC 8314), so the machine
    /// knows the channel is private (an SMTP server then offers AUTH and no longer
    /// STARTTLS). Machines of protocols without a TLS switch ignore it.
    fn handle_tls_established(&mut self, now: Instant) {
        let _ = now;
    }
}

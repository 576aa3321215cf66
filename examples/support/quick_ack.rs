//! Acknowledging what a client receives at once.
//!
//! A receiver may delay its ACK (RFC 1122 4.2.3.2; Linux delays it by 40 ms or more
//! once an exchange looks interactive), and a sender with Nagle's algorithm on (RFC 1122 4.2.3.4) holds
//! a small write back while an earlier one is unacknowledged. When a server answers one
//! of our writes with two of its own, the second waits for our delayed ACK. That is what
//! a TLS 1.3 client meets: it sends its Finished and its first command together, and the
//! server writes its session ticket and then its answer. Against Postfix's smtpd each
//! STARTTLS session waited 41 ms for its EHLO answer (`benches/tls.rs`: 20.9
//! transactions/s over TLS, 707 in plaintext); with the ACK sent at once, 0.2 ms.
//!
//! So the client side of every driver sets `TCP_QUICKACK` after it reads. The flag is
//! not sticky (the kernel goes back to delaying as the traffic goes), hence after every
//! read. Servers leave it alone: they answer what they read, and the answer carries the
//! ACK. Where the option does not exist this does nothing.

/// Asks the kernel to acknowledge what `socket` has received now rather than later.
/// Best effort: a failure changes timing only, so it is not reported.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn ack_now(socket: &impl std::os::fd::AsFd) {
    let _ = socket2::SockRef::from(socket).set_tcp_quickack(true);
}

/// Where `TCP_QUICKACK` does not exist: nothing to do.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn ack_now<S>(_socket: &S) {}

/// How a driver acknowledges what it reads: servers leave ACKs to the kernel, clients
/// send them at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acks {
    /// The kernel's usual delayed ACKs (a server's answer carries them).
    Delayed,
    /// [`ack_now`] after every read (the client side).
    AtOnce,
}

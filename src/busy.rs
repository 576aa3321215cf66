//! The machinery every protocol's `Busy` machine shares: one refusal, said once, then
//! the end of the connection. Each protocol wraps it in its own `Busy` type (built by
//! `Server::too_busy(config)`) so the reply is that protocol's: SMTP `421` (RFC 5321 3.8),
//! POP3 `-ERR [SYS/TEMP]` (RFC 3206 4), HTTP `503` (RFC 9110 15.6.4), the greeting
//! protocol's `Busy!`.

use crate::{CloseReason, Instant};
use bytes::Bytes;
use core::time::Duration;

/// How long an HTTP refusal keeps reading after its reply, for a client that has more
/// request bytes in flight: closing with unread input makes TCP send a reset, which can
/// destroy the reply before the client reads it (RFC 9112 9.6).
pub(crate) const LINGER: Duration = Duration::from_secs(2);

/// One reply, then closed. `after_eof` machines (HTTP) also wait for the peer to finish
/// sending, or for [`LINGER`], before they count as closed.
#[derive(Debug)]
pub(crate) struct Refusal {
    reply: Option<Bytes>,
    /// The reply has been handed to `poll_transmit`.
    sent: bool,
    /// The `Closed` event has been given.
    reported: bool,
    linger: bool,
    eof: bool,
    now: Instant,
    deadline: Option<Instant>,
    reason: CloseReason,
    /// Bytes received and thrown away (a busy machine decodes nothing).
    pub(crate) discarded: u64,
}

impl Refusal {
    /// The reply is queued now, and the machine is closed once it has been taken.
    pub(crate) fn now(reply: Bytes) -> Refusal {
        Refusal {
            reply: Some(reply),
            sent: false,
            reported: false,
            linger: false,
            eof: false,
            now: Instant::ZERO,
            deadline: None,
            reason: CloseReason::Local,
            discarded: 0,
        }
    }

    /// Nothing queued yet: [`queue`](Refusal::queue) gives the reply later. `idle`
    /// closes a connection on which the trigger never comes.
    pub(crate) fn later(idle: Option<Duration>) -> Refusal {
        Refusal {
            reply: None,
            linger: true,
            deadline: idle.map(|d| Instant::ZERO + d),
            ..Refusal::now(Bytes::new())
        }
    }

    pub(crate) fn queued(&self) -> bool {
        self.reply.is_some() || self.sent
    }

    pub(crate) fn queue(&mut self, reply: Bytes) {
        if !self.queued() {
            self.reply = Some(reply);
            self.deadline = Some(self.now + LINGER);
        }
    }

    pub(crate) fn tick(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    pub(crate) fn input(&mut self, now: Instant, len: usize) {
        self.tick(now);
        self.discarded = self.discarded.saturating_add(len as u64);
    }

    pub(crate) fn eof(&mut self, now: Instant) {
        self.tick(now);
        self.eof = true;
    }

    pub(crate) fn timeout(&mut self, now: Instant) {
        self.tick(now);
        if self.deadline.is_some_and(|d| self.now >= d) {
            let reason = if self.queued() {
                CloseReason::Local
            } else {
                CloseReason::Timeout
            };
            self.abandon(reason);
        }
    }

    /// Gives up: nothing (more) is sent and the machine is closed with `reason`.
    pub(crate) fn abandon(&mut self, reason: CloseReason) {
        if !self.sent {
            self.reason = reason;
        }
        self.deadline = None;
        self.eof = true;
        self.sent = true;
        self.reply = None;
    }

    pub(crate) fn transmit(&mut self) -> Option<Bytes> {
        let reply = self.reply.take()?;
        self.sent = true;
        Some(reply)
    }

    pub(crate) fn event(&mut self) -> Option<CloseReason> {
        if self.reported || !self.is_closed() {
            return None;
        }
        self.reported = true;
        Some(self.reason)
    }

    pub(crate) fn timer(&self) -> Option<Instant> {
        if self.is_closed() {
            None
        } else {
            self.deadline
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.sent && (!self.linger || self.eof)
    }

    pub(crate) fn wants_input(&self) -> bool {
        self.linger && !self.eof && !self.is_closed()
    }
}

/// The `Machine` impl of a protocol's `Busy`: a struct with a `refusal: Refusal` field
/// and two hooks, `on_input(now, bytes)` and `on_eof()`, for what the protocol does
/// beyond "reply, then close" (HTTP waits for the request head).
macro_rules! busy_machine {
    ($ty:ty, $event:ty) => {
        impl $crate::Machine for $ty {
            type Event = $event;

            fn handle_input(&mut self, now: $crate::Instant, bytes: &[u8]) {
                self.refusal.input(now, bytes.len());
                self.on_input(bytes);
            }

            fn handle_eof(&mut self, now: $crate::Instant) {
                self.refusal.eof(now);
                self.on_eof();
            }

            fn handle_timeout(&mut self, now: $crate::Instant) {
                self.refusal.timeout(now);
            }

            fn poll_event(&mut self) -> Option<$event> {
                self.refusal.event().map(<$event>::Closed)
            }

            fn poll_transmit(&mut self) -> Option<bytes::Bytes> {
                self.refusal.transmit()
            }

            fn poll_timeout(&self) -> Option<$crate::Instant> {
                self.refusal.timer()
            }

            fn is_closed(&self) -> bool {
                self.refusal.is_closed()
            }

            fn wants_input(&self) -> bool {
                self.refusal.wants_input()
            }
        }
    };
}
pub(crate) use busy_machine;

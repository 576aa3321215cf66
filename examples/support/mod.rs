//! Adapters shared by the example programs: the generic `std::net`, `mio` and `tokio`
//! drivers, and (in `cli`) the command-line flags they share. Each driver is the loop from
//! the `Machine` docs and nothing more, so every protocol reuses them unchanged.
#![allow(dead_code)]

pub mod caps;
pub mod cli;
pub mod clock;
pub mod greeting;
pub mod http;
pub mod maildir;
pub mod maildrop;
pub mod mio_io;
pub mod offload;
pub mod pop3_client;
pub mod quick_ack;
pub mod smtp_io;
pub mod smtp_maildir;
pub mod std_io;
pub mod timers;
pub mod tokio_io;

pub use clock::Clock;
use wirestate::Machine;

/// The application's side of one connection, as every driver calls it. Drivers know
/// nothing of any protocol: they call `on_event` for each event and, when the machine's
/// flow control says it is ready for the next body chunk, `on_send_ready`.
pub trait Handler<M: Machine> {
    /// An event from the machine; answer it with the machine's typed send methods.
    fn on_event(&mut self, machine: &mut M, event: M::Event);

    /// [`Machine::wants_body`] is true and everything queued so far has been written:
    /// give the machine its next body chunk (`send_data`, or `send_end` at the end).
    /// Doing nothing is allowed; the driver asks again after the next event.
    fn on_send_ready(&mut self, machine: &mut M) {
        let _ = machine;
    }

    /// The driver can run blocking work off its thread (the `mio` driver, whose one
    /// thread serves every connection): see [`offload`]. Called once, before the first
    /// event; a handler never given one blocks in `on_event` as before.
    fn offload(&mut self, offload: offload::Offload) {
        let _ = offload;
    }

    /// Whether the handler waits for work it handed off and has not answered the
    /// machine yet. The driver then reads nothing more of this connection, so commands
    /// pipelined behind the one being decided stay unread, in order, until it is done.
    fn is_waiting(&self) -> bool {
        false
    }

    /// Work handed off for this connection may have finished (a wake can also be
    /// stale): answer the machine if it did. The driver then drains events and writes.
    fn on_wake(&mut self, machine: &mut M) {
        let _ = machine;
    }

    /// Asked before each event: take what the machine gives outside its events (the
    /// HTTP server's request heads read in place, `http::Server::poll_request_ref`),
    /// and say whether something was taken; the driver then asks again before it polls
    /// the next event. A handler that takes nothing this way gets every event as before.
    fn take_in_place(&mut self, machine: &mut M) -> bool {
        let _ = machine;
        false
    }
}

/// Lends a handler to a driver that takes one by value, so its results stay with the
/// caller (and one handler can serve several connection attempts).
pub struct Lend<'h, H>(pub &'h mut H);

impl<M: Machine, H: Handler<M>> Handler<M> for Lend<'_, H> {
    fn on_event(&mut self, machine: &mut M, event: M::Event) {
        self.0.on_event(machine, event)
    }
    fn on_send_ready(&mut self, machine: &mut M) {
        self.0.on_send_ready(machine)
    }
    fn offload(&mut self, offload: offload::Offload) {
        self.0.offload(offload)
    }
    fn is_waiting(&self) -> bool {
        self.0.is_waiting()
    }
    fn on_wake(&mut self, machine: &mut M) {
        self.0.on_wake(machine)
    }
}

/// A handler made of one closure, for applications that stream no bodies: see [`events`].
pub struct Events<F>(F);

/// The handler that passes every event to `f` and never streams a body.
pub fn events<M: Machine, F: FnMut(&mut M, M::Event)>(f: F) -> Events<F> {
    Events(f)
}

impl<M: Machine, F: FnMut(&mut M, M::Event)> Handler<M> for Events<F> {
    fn on_event(&mut self, machine: &mut M, event: M::Event) {
        (self.0)(machine, event)
    }
}

/// Hands every event the machine has queued to the handler; whether there was one.
#[inline(always)]
pub fn deliver_events<M: Machine, H: Handler<M>>(machine: &mut M, handler: &mut H) -> bool {
    let mut delivered = false;
    loop {
        if handler.take_in_place(machine) {
            delivered = true;
            continue;
        }
        let Some(event) = machine.poll_event() else {
            return delivered;
        };
        delivered = true;
        handler.on_event(machine, event);
    }
}

/// Lets the handler feed the machine body chunks while it wants them, for as long as each
/// chunk produces bytes to write. `write` takes each transmit and reports whether it went
/// out whole; a driver whose socket is full stops there and resumes on writability.
/// Returns whether the handler was asked: it may have queued events meanwhile (closing
/// the machine on a read error queues `Closed`), which the caller must then deliver, and
/// flush again after, while there are some: no socket event would come for them.
pub fn feed_body<M, H, W>(machine: &mut M, handler: &mut H, mut write: W) -> std::io::Result<bool>
where
    M: Machine,
    H: Handler<M>,
    W: FnMut(&mut M, bytes::Bytes) -> std::io::Result<bool>,
{
    let mut asked = false;
    while machine.wants_body() {
        handler.on_send_ready(machine);
        asked = true;
        let mut produced = false;
        while let Some(bytes) = machine.poll_transmit() {
            produced = true;
            if !write(machine, bytes)? {
                return Ok(true);
            }
        }
        if !produced {
            return Ok(true);
        }
    }
    Ok(asked)
}

//! The life of a greeting connection, the same for server and client.

use crate::CloseReason;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Open,
    /// EOF seen; report it once the buffered messages are out.
    PeerGone,
    /// A timer ran out (the server's idle timer, the client's reply timer); report it
    /// once the buffered messages are out.
    TimedOut,
    /// `Closed(reason)` is the next and last event.
    Closing(CloseReason),
    Closed,
}

impl State {
    /// With every buffered message handed out: why the connection ends, if its input
    /// has ended (`unterminated` bytes of a last line without its terminator are
    /// dropped), or `None` while it is open.
    pub(crate) fn drained(self, unterminated: usize) -> Option<CloseReason> {
        match self {
            State::PeerGone => Some(CloseReason::PeerClosed { unterminated }),
            State::TimedOut => Some(CloseReason::Timeout),
            _ => None,
        }
    }
}

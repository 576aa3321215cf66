//! The words every protocol module shares: [`CloseReason`], [`SendError`],
//! [`SyntaxError`] and [`Decision`]. Each protocol re-exports them, so `smtp::SendError`
//! and `pop3::SendError` are the same type.

use core::fmt;
use core::marker::PhantomData;

/// Why a machine closed. The last event of every machine is `Closed(CloseReason)`,
/// given exactly once; after it `is_closed()` is true once the transmits are written.
///
/// ```
/// use wirestate::CloseReason;
/// let r = CloseReason::PeerClosed { unterminated: 3 };
/// assert_eq!(r.to_string(), "the peer closed the connection (3 bytes of an unfinished unit dropped)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The protocol's own orderly end: the greeting's `exit`, SMTP and POP3 `QUIT`, the
    /// last HTTP message of a connection that is not kept alive.
    Done,
    /// The peer closed its side without the protocol's end. `unterminated` counts the
    /// bytes of an unfinished line, head or message that were dropped with it.
    PeerClosed {
        /// Bytes received after the last complete unit, dropped.
        unterminated: usize,
    },
    /// A wait in the machine's `Timeouts` ran out; the protocol's timeout reply, where it
    /// has one (SMTP 421, HTTP 408), was queued.
    Timeout,
    /// A fatal error, reported by the `Error` event just before this one; the protocol's
    /// final reply, where it has one, was queued.
    Error,
    /// The local side asked the machine to close.
    Local,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Done => f.write_str("the session ended normally"),
            CloseReason::PeerClosed { unterminated: 0 } => {
                f.write_str("the peer closed the connection")
            }
            CloseReason::PeerClosed { unterminated } => write!(
                f,
                "the peer closed the connection ({unterminated} bytes of an unfinished unit dropped)"
            ),
            CloseReason::Timeout => f.write_str("a timeout expired"),
            CloseReason::Error => f.write_str("a protocol error ended the session"),
            CloseReason::Local => f.write_str("closed by the local side"),
        }
    }
}

/// A value that breaks a rule of its protocol: which rule (with its RFC section) and the
/// byte offset within the value where it broke (0 when the value as a whole is at fault,
/// as with a length limit).
///
/// ```
/// let e = wirestate::SyntaxError { rule: "RFC 5321 4.1.2: Domain", offset: 2 };
/// assert_eq!(e.to_string(), "RFC 5321 4.1.2: Domain (at byte 2)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SyntaxError {
    /// The rule broken, with its RFC section.
    pub rule: &'static str,
    /// Byte offset into the value.
    pub offset: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.rule, self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SyntaxError {}

/// Local misuse of a machine, returned at once by a typed send method. Nothing was
/// queued and the machine's state is unchanged.
///
/// ```
/// use wirestate::{SendError, SyntaxError};
/// let e = SendError::Invalid(SyntaxError { rule: "RFC 5321 4.1.1.1: no CR or LF in a domain", offset: 3 });
/// assert_eq!(e.to_string(), "invalid argument: RFC 5321 4.1.1.1: no CR or LF in a domain (at byte 3)");
/// assert_eq!(SendError::OutOfTurn("no request to answer").to_string(), "not now: no request to answer");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendError {
    /// The call does not fit the machine's state now; the text says what it waits for.
    OutOfTurn(&'static str),
    /// The machine is closed or closing.
    Closed,
    /// An argument breaks a rule of the protocol.
    Invalid(SyntaxError),
    /// The call needs an extension the peer did not offer (SMTP `8BITMIME`, `SMTPUTF8`,
    /// `DSN`, ...), named here.
    Unsupported(&'static str),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::OutOfTurn(why) => write!(f, "not now: {why}"),
            SendError::Closed => f.write_str("the connection is closed"),
            SendError::Invalid(e) => write!(f, "invalid argument: {e}"),
            SendError::Unsupported(ext) => write!(f, "the peer does not offer {ext}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SendError {}

impl From<SyntaxError> for SendError {
    fn from(e: SyntaxError) -> SendError {
        SendError::Invalid(e)
    }
}

/// A question the machine waits on. The event that needs an answer carries one; the
/// machine's answer methods take it by value, so an answer is given once, and only to
/// the event it belongs to: a stale token, or one from another machine, is
/// [`SendError::OutOfTurn`]. While a decision is outstanding the machine decodes no
/// further input (`poll_event` returns `None`); nothing is ever answered behind the
/// caller's back. `K` names what is being decided, so the compiler refuses an answer of
/// the wrong kind.
///
/// ```
/// use wirestate::Decision;
/// // Decisions are made by machines; user code only passes them back.
/// fn answer<K>(d: Decision<K>) -> u64 { d.id() }
/// ```
#[must_use = "the machine waits until this decision is answered"]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Decision<K> {
    id: u64,
    kind: PhantomData<fn() -> K>,
}

impl<K> Decision<K> {
    /// A decision with the machine's sequence number `id`.
    #[allow(dead_code)] // until the first machine asks a question
    pub(crate) fn new(id: u64) -> Decision<K> {
        Decision {
            id,
            kind: PhantomData,
        }
    }

    /// The machine's sequence number for this decision: unique within one machine.
    pub fn id(&self) -> u64 {
        self.id
    }
}

//! The one fatal error of the greeting protocol, for both roles: [`Error`] and its
//! [`ErrorKind`].

use core::fmt;

/// What broke a greeting connection, and where. Errors are fatal: the machine reports
/// `Error(e)`, then `Closed(CloseReason::Error)`, and closes. The greeting protocol has no
/// error reply, so nothing is queued for the peer: like the classic server, the machine
/// just closes.
///
/// ```
/// use wirestate::greeting::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::BareCr, 4);
/// assert_eq!(e.to_string(), "greeting line framing: a CR must be followed by LF, at byte 4");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Error {
    /// Which rule the peer broke.
    pub kind: ErrorKind,
    /// Offset in the received stream of the message (or byte) at fault.
    pub offset: u64,
}

impl Error {
    /// An error of `kind` at stream `offset`.
    ///
    /// ```
    /// use wirestate::greeting::{Error, ErrorKind};
    /// assert_eq!(Error::new(ErrorKind::Unsolicited, 9).offset, 9);
    /// ```
    #[must_use]
    pub fn new(kind: ErrorKind, offset: u64) -> Error {
        Error { kind, offset }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, at byte {}", self.kind.rule(), self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// The rules of the greeting protocol a peer can break. The protocol has no RFC: its
/// rules are the classic peers' behaviour and the limits that keep a machine bounded,
/// written down in the [module docs](super).
///
/// ```
/// use wirestate::greeting::ErrorKind;
/// let kind = ErrorKind::TooLong { limit: 1024 };
/// assert!(kind.rule().contains("max_message"));
/// assert!(ErrorKind::ALL.iter().any(|k| k.rule() == kind.rule()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A message longer than [`Limits::max_message`](super::Limits::max_message).
    TooLong {
        /// The limit.
        limit: usize,
    },
    /// A CR not followed by LF under line framing.
    BareCr,
    /// More than [`Limits::max_buffered`](super::Limits::max_buffered) undecoded bytes:
    /// the caller fed input without draining `poll_event` (or ignored `wants_input`).
    BufferFull {
        /// The limit.
        limit: usize,
    },
    /// The server sent a message the client did not ask for (client side): the protocol
    /// is lockstep, so the server speaks only to welcome and to answer a name.
    Unsolicited,
}

impl ErrorKind {
    /// One value of every kind, limits set to 0. Compare kinds by [`rule`](ErrorKind::rule),
    /// which does not depend on a kind's fields.
    ///
    /// ```
    /// use wirestate::greeting::ErrorKind;
    /// assert_eq!(ErrorKind::ALL.len(), 4);
    /// ```
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::TooLong { limit: 0 },
        ErrorKind::BareCr,
        ErrorKind::BufferFull { limit: 0 },
        ErrorKind::Unsolicited,
    ];

    /// The rule that was broken, in words.
    ///
    /// ```
    /// use wirestate::greeting::ErrorKind;
    /// assert_eq!(ErrorKind::BareCr.rule(), "greeting line framing: a CR must be followed by LF");
    /// ```
    #[must_use]
    pub fn rule(self) -> &'static str {
        match self {
            ErrorKind::TooLong { .. } => {
                "greeting framing: a message is at most max_message bytes, terminator excluded"
            }
            ErrorKind::BareCr => "greeting line framing: a CR must be followed by LF",
            ErrorKind::BufferFull { .. } => {
                "greeting: at most max_buffered undecoded bytes are held"
            }
            ErrorKind::Unsolicited => {
                "greeting lockstep: the server sends only the welcome and one reply per name"
            }
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rule())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    /// `ALL` is complete: adding a kind fails to compile here until it is listed.
    #[test]
    fn all_lists_every_kind() {
        fn index(kind: ErrorKind) -> usize {
            match kind {
                ErrorKind::TooLong { .. } => 0,
                ErrorKind::BareCr => 1,
                ErrorKind::BufferFull { .. } => 2,
                ErrorKind::Unsolicited => 3,
            }
        }
        let mut seen = [false; 4];
        for &kind in ErrorKind::ALL {
            seen[index(kind)] = true;
        }
        assert!(seen.iter().all(|&s| s), "ErrorKind::ALL misses a kind");
        assert_eq!(ErrorKind::ALL.len(), seen.len());
        // Rules tell kinds apart.
        for (i, a) in ErrorKind::ALL.iter().enumerate() {
            for b in &ErrorKind::ALL[i + 1..] {
                assert_ne!(a.rule(), b.rule());
            }
        }
    }
}

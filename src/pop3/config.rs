//! What both POP3 roles are configured with: [`Limits`], [`Timeouts`] and the
//! [`Autologout`] timer that cannot be set below RFC 1939's minimum.

use super::types::invalid;
use crate::SendError;
use core::time::Duration;

/// Size limits, one set for both roles. Every one holds however TCP splits the input,
/// and passing one is a fatal [`Error`](super::Error) (the server answers `-ERR` first),
/// never growth.
///
/// ```
/// let l = wirestate::pop3::Limits::default();
/// assert_eq!((l.max_command_line, l.max_response_line), (255, 512));
/// assert!(!l.allow_bare_lf);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest command line, CRLF included: what the server reads and the client may
    /// send. RFC 2449 section 4: 255 octets.
    pub max_command_line: usize,
    /// Longest status, listing or capability line, CRLF included: what the client reads
    /// and the server may send. RFC 2449 sections 4 and 5: 512 octets.
    pub max_response_line: usize,
    /// Longest SASL response line, CRLF included: what the server reads after its `+ `
    /// challenge and the client may send (RFC 5034 section 4 sends them base64-encoded
    /// on a line of their own). Default 2048.
    pub max_auth_line: usize,
    /// Most undecoded input held, both roles: a pipelining peer, or a caller that hands
    /// in reads without draining events in between, hits this. Default 256 KiB.
    pub max_buffered: usize,
    /// Client: pass a bare CR or LF inside `RETR`/`TOP` data through as data instead of
    /// failing (default false: RFC 1939 section 3 ends every line with CRLF). Status and
    /// listing lines stay CRLF-only, and the end of the data is still only `CRLF.CRLF`:
    /// the `<LF>.<CR><LF>` family stays an error either way, so two readers can never
    /// disagree about where a message ends.
    pub allow_bare_lf: bool,
    /// Server: failed logins (a `Login` refused with `[AUTH]` or no code) on one
    /// connection before the last of them is answered
    /// `-ERR [AUTH] too many failed logins, closing connection` and the session closes
    /// with [`ErrorKind::TooManyFailedLogins`](super::ErrorKind::TooManyFailedLogins):
    /// 5. That leaves room for a client that tries APOP, then USER/PASS, and a user who
    /// mistypes, while one connection can test only a handful of passwords (with
    /// [`Timeouts::failed_login_delay`] at most 5 per 10 s). `usize::MAX` turns the limit
    /// off.
    pub max_failed_logins: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_command_line: 255,
            max_response_line: 512,
            max_auth_line: 2048,
            max_buffered: 256 * 1024,
            allow_bare_lf: false,
            max_failed_logins: 5,
        }
    }
}

/// The server's inactivity autologout (RFC 1939 section 3): "Such a timer MUST be of at
/// least 10 minutes' duration", so a shorter one cannot be built and `Server::new`
/// cannot fail on it.
///
/// ```
/// use core::time::Duration;
/// use wirestate::pop3::Autologout;
/// assert_eq!(Autologout::MIN.duration(), Duration::from_secs(600));
/// assert!(Autologout::new(Duration::from_secs(599)).is_err());
/// assert_eq!(Autologout::new(Duration::from_secs(3600)).unwrap().duration().as_secs(), 3600);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Autologout(Duration);

impl Autologout {
    /// Ten minutes, the shortest RFC 1939 section 3 allows.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Autologout::MIN.duration().as_secs(), 600);
    /// ```
    pub const MIN: Autologout = Autologout(Duration::from_secs(600));

    /// `d`, if it is at least [`Autologout::MIN`].
    ///
    /// ```
    /// use core::time::Duration;
    /// assert!(wirestate::pop3::Autologout::new(Duration::from_secs(600)).is_ok());
    /// ```
    pub fn new(d: Duration) -> Result<Autologout, SendError> {
        if d < Autologout::MIN.0 {
            return Err(invalid(
                "RFC 1939 section 3: the autologout timer MUST be of at least 10 minutes",
                0,
            ));
        }
        Ok(Autologout(d))
    }

    /// The timer's length.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Autologout::default().duration().as_secs(), 600);
    /// ```
    pub fn duration(self) -> Duration {
        self.0
    }
}

impl Default for Autologout {
    fn default() -> Self {
        Autologout::MIN
    }
}

/// Timers, one set for both roles. `None` waits forever.
///
/// ```
/// use core::time::Duration;
/// let t = wirestate::pop3::Timeouts::default();
/// assert_eq!(t.idle.map(|a| a.duration()), Some(Duration::from_secs(600)));
/// assert_eq!(t.reply, Some(Duration::from_secs(600)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Server: the RFC 1939 section 3 autologout, how long it waits for the client to
    /// send a command. On expiry the session closes "without removing any messages or
    /// sending any response" (`Closed(CloseReason::Timeout)`). The timer runs only while
    /// the server waits for the client, not while the local side owes an answer or
    /// streams a message. Default [`Autologout::MIN`], 10 minutes; `None` (the RFC's
    /// timer is a MAY) never logs out.
    pub idle: Option<Autologout>,
    /// Client: how long it waits for the server while an answer is due (the greeting, a
    /// status line, the rest of a multi-line answer), restarted by every byte received,
    /// so a long `RETR` that keeps flowing never expires. On expiry the client closes
    /// with `Closed(CloseReason::Timeout)`. Default 10 minutes: RFC 1939 names no client
    /// timer, and a server may itself idle that long (section 3) before it gives up.
    pub reply: Option<Duration>,
    /// Server: how long the `-ERR` to a failed login is held before it is sent: 2
    /// seconds, Dovecot's `auth_failure_delay` default, so a password guesser gets one
    /// try per delay on each connection. It is a deadline through
    /// [`poll_timeout`](crate::Machine::poll_timeout), never a sleep: the answer goes out
    /// at the first [`handle_timeout`](crate::Machine::handle_timeout) at or after it,
    /// and input that arrives meanwhile is buffered (within [`Limits::max_buffered`]) and
    /// decoded after. `None` sends it at once.
    pub failed_login_delay: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            idle: Some(Autologout::MIN),
            reply: Some(Duration::from_secs(600)),
            failed_login_delay: Some(Duration::from_secs(2)),
        }
    }
}

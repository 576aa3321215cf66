//! [`Limits`] and [`Timeouts`]: one of each for both roles (RFC 5321 4.5.3).

use core::time::Duration;

/// Every bound the SMTP machines enforce, for both roles; each field says which role
/// uses it. Build it from `Default` and set what you need.
///
/// ```
/// let mut l = wirestate::smtp::Limits::default();
/// assert_eq!((l.max_command_line, l.max_text_line, l.max_reply_line), (512, 1000, 512));
/// l.max_recipients = 1000;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Server: the longest command line, CRLF included: 512 (RFC 5321 4.5.3.1.4).
    /// Longer lines get `500 5.5.2` and the session goes on.
    pub max_command_line: usize,
    /// Server: the longest AUTH command or SASL response line, CRLF included: 12288
    /// (RFC 4954 4).
    pub max_auth_line: usize,
    /// Server: the longest line of message text, CRLF included: 1000
    /// (RFC 5321 4.5.3.1.6). A longer line fails the transaction with `500 5.5.2` after
    /// the data ends; the data is still read to its end so framing stays in step.
    pub max_text_line: usize,
    /// Client: the longest reply line, CRLF included: 512 (RFC 5321 4.5.3.1.5).
    pub max_reply_line: usize,
    /// Client: the most lines in one reply (bounds a multi-line EHLO reply): 128.
    pub max_reply_lines: usize,
    /// Both: the most undecoded input held (pipelined commands or replies waiting to be
    /// decoded): 256 KiB, never less than the longest line. More is
    /// [`ErrorKind::InputOverflow`](super::ErrorKind::InputOverflow).
    pub max_buffered: usize,
    /// Server: the longest reverse or forward path, brackets included: 256
    /// (RFC 5321 4.5.3.1.3); longer ones get `501` (4.5.3.1.10).
    pub max_path: usize,
    /// Server: the most recipients in one transaction: 100, the least a server must
    /// take (RFC 5321 4.5.3.1.8); more get `452 4.5.3`.
    pub max_recipients: usize,
    /// Server: refused commands (500, 501, 503, ...) before the server says `421` and
    /// closes with [`ErrorKind::TooManyErrors`](super::ErrorKind::TooManyErrors): 20.
    pub max_errors: usize,
    /// Server: take a bare LF as a line end in commands and pass bare CR and LF through
    /// as message data (default `false`: RFC 5321 2.3.8 allows only CRLF, and a bare LF
    /// is a refused command or a fatal framing error). Even when `true`, DATA ends only
    /// at `CRLF.CRLF`, and the smuggling sequences `<LF>.<LF>`, `<LF>.<CR><LF>` and
    /// `<CR><LF>.<LF>` stay fatal errors (CVE-2023-51764).
    pub allow_bare_lf: bool,
    /// Server: refused logins (AUTH answered with a `5yz`, normally `535 5.7.8`) on one
    /// connection before the server answers the last of them with `421 4.7.0` and
    /// closes with [`ErrorKind::TooManyFailedLogins`](super::ErrorKind::TooManyFailedLogins):
    /// 5. That leaves room for a client that tries each offered mechanism once and a
    /// user who mistypes, while one connection can test only a handful of passwords
    /// (with [`Timeouts::failed_login_delay`] at most 5 per 10 s). `usize::MAX` turns
    /// the limit off.
    pub max_failed_logins: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_command_line: super::MAX_COMMAND_LINE,
            max_auth_line: 12288,
            max_text_line: 1000,
            max_reply_line: super::MAX_REPLY_LINE,
            max_reply_lines: 128,
            max_buffered: 256 * 1024,
            max_path: super::MAX_PATH,
            max_recipients: 100,
            max_errors: 20,
            allow_bare_lf: false,
            max_failed_logins: 5,
        }
    }
}

/// Every wait, named as in RFC 5321 4.5.3.2; `None` waits forever. Each field says which
/// role uses it.
///
/// ```
/// use core::time::Duration;
/// let t = wirestate::smtp::Timeouts::default();
/// assert_eq!(t.idle, Some(Duration::from_secs(300)));
/// assert_eq!(t.data_termination, Some(Duration::from_secs(600)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Server: how long it waits for the client's next command or SASL response:
    /// 5 minutes (4.5.3.2.7, "Server Timeout").
    pub idle: Option<Duration>,
    /// Both: how long the server waits for the next piece of message data, and how
    /// long the client waits for the reply to a BDAT chunk that is not the last:
    /// 3 minutes (4.5.3.2.5, "Data Block").
    pub data_block: Option<Duration>,
    /// Client: the initial 220 greeting: 5 minutes (4.5.3.2.1).
    pub greeting: Option<Duration>,
    /// Client: the reply to MAIL: 5 minutes (4.5.3.2.2).
    pub mail: Option<Duration>,
    /// Client: the reply to each RCPT: 5 minutes (4.5.3.2.3).
    pub rcpt: Option<Duration>,
    /// Client: the `354` to DATA: 2 minutes (4.5.3.2.4, "DATA Initiation").
    pub data_initiation: Option<Duration>,
    /// Client: the reply after the end of the data (`.` or `BDAT ... LAST`): 10 minutes
    /// (4.5.3.2.6, "DATA Termination").
    pub data_termination: Option<Duration>,
    /// Client: the reply to any other command (EHLO, STARTTLS, AUTH, RSET, QUIT): 5
    /// minutes.
    pub reply: Option<Duration>,
    /// Server: how long the answer to a refused login (AUTH answered with a `5yz`) is
    /// held before it is sent: 2 seconds, Dovecot's `auth_failure_delay` default, so a
    /// password guesser gets one try per delay on each connection. It is a deadline
    /// through [`poll_timeout`](crate::Machine::poll_timeout), never a sleep: the answer
    /// goes out at the first [`handle_timeout`](crate::Machine::handle_timeout) at or
    /// after it, and input that arrives meanwhile is buffered (within
    /// [`Limits::max_buffered`]) and decoded after. `None` sends it at once.
    pub failed_login_delay: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        let m = |n: u64| Some(Duration::from_secs(60 * n));
        Timeouts {
            idle: m(5),
            data_block: m(3),
            greeting: m(5),
            mail: m(5),
            rcpt: m(5),
            data_initiation: m(2),
            data_termination: m(10),
            reply: m(5),
            failed_login_delay: Some(Duration::from_secs(2)),
        }
    }
}

//! The POP3 server machine: RFC 1939's AUTHORIZATION -> TRANSACTION -> UPDATE states,
//! with CAPA (RFC 2449), STLS (RFC 2595), AUTH PLAIN (RFC 5034) and APOP. The
//! transitions out of AUTHORIZATION, and the failed-login limit, are in its child module
//! `server_auth.rs`; every other transition is in this file; the listing bookkeeping is
//! [`Maildrop`]'s.
//!
//! State table (RFC 1939 sections 4-6; `-ERR` answers leave the state unchanged):
//!
//! | state         | command                  | answer / next state                                   |
//! |---------------|--------------------------|-------------------------------------------------------|
//! | AUTHORIZATION | USER name                | `+OK`, remember name                                  |
//! | AUTHORIZATION | PASS / APOP / AUTH PLAIN | `Login` decision; accepted -> TRANSACTION             |
//! | AUTHORIZATION | STLS                     | `+OK`, buffered input dropped, then `wants_tls`       |
//! | AUTHORIZATION | QUIT                     | `+OK`, closed; nothing is removed                     |
//! | TRANSACTION   | STAT LIST UIDL NOOP DELE RSET | answered from the listing; DELE only marks       |
//! | TRANSACTION   | RETR / TOP               | `Retrieve` / `Top` decision; caller streams           |
//! | TRANSACTION   | QUIT                     | UPDATE: `Update` decision with the marked messages    |
//! | AUTHORIZATION | failed login             | `-ERR` held for the delay; the last closes (`[AUTH]`) |
//! | any           | EOF, autologout, error   | closed; nothing is removed (sections 3 and 6)         |

use super::command::{put_decimal, Command};
use super::error::{Error, ErrorKind};
use super::maildrop::{status, Maildrop};
use super::server_text::{capabilities, greeting, put_reply, signoff};
use super::server_types::{Retrieval, ServerConfig, ServerEvent, Update};
use super::top::TopFilter;
use super::types::{Arg, MessageNumber, ResponseCode, Text};
use crate::buffer::RecvBuffer;
use crate::dot::DotStuffer;
use crate::line::{LineErrorKind, LinePolicy, LineReader};
use crate::{CloseReason, Decision, Instant, Machine, SendError};
use alloc::collections::VecDeque;
use bytes::{BufMut, Bytes, BytesMut};

// A child module, so it reaches the machine's private state without widening it.
#[path = "server_auth.rs"]
mod auth;
use auth::LoginGuard;

#[derive(Debug)]
enum State {
    Authorization {
        user: Option<Arg>,
    },
    /// `AUTH PLAIN` sent without an initial response; the next line is the response.
    SaslPlain,
    Transaction(Maildrop),
    Done,
}

/// The question the caller has not answered yet.
#[derive(Debug)]
enum Question {
    Login {
        id: u64,
        name: Bytes,
    },
    Message {
        id: u64,
        msg: MessageNumber,
        top: Option<u32>,
    },
    Update {
        id: u64,
        left: usize,
    },
}

impl Question {
    fn id(&self) -> u64 {
        match self {
            Question::Login { id, .. }
            | Question::Message { id, .. }
            | Question::Update { id, .. } => *id,
        }
    }
}

/// A RETR or TOP answer being streamed by the caller.
#[derive(Debug)]
struct Streaming {
    top: Option<TopFilter>,
    stuffer: DotStuffer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tls {
    Plain,
    /// The `+OK` to STLS is queued: once it is written the transport must switch.
    Switching,
    Secure,
}

const STALE: SendError =
    SendError::OutOfTurn("no such question: the decision was answered or is from another machine");

/// The POP3 server machine. It queues its greeting at construction.
///
/// * Decisions: a login, a RETR/TOP and the UPDATE after QUIT are [`ServerEvent`]s with a
///   [`Decision`]; until it is answered `poll_event` returns `None`, nothing more is
///   decoded, and nothing is answered by the machine on the caller's behalf.
/// * [`Machine::wants_body`]: true while a started RETR/TOP answer takes more message
///   bytes ([`send_data`](Server::send_data), then [`send_end`](Server::send_end)); a TOP
///   answer ends by itself at its cut, and then it is false.
/// * [`Machine::wants_input`]: false while a decision or a message is outstanding with
///   input already buffered, while a TLS switch is due, and once closed.
/// * [`Machine::wants_tls`]: true once the `+OK` to STLS has been returned by
///   `poll_transmit`; input that arrived before [`Machine::handle_tls_established`] is
///   discarded (RFC 2595 section 4, CVE-2011-0411). Calling `handle_tls_established`
///   before the first byte marks implicit TLS (POP3S, RFC 8314): STLS is then neither
///   listed nor accepted.
/// * [`Machine::poll_timeout`]: the autologout ([`Timeouts::idle`](super::Timeouts)),
///   running only while the server waits for a command, and counted from the first
///   `handle_*` call's `now` (before it, `poll_timeout` is due at once so the driver's
///   first `handle_timeout` brings the time); or, while the answer to a failed login is
///   held, that answer's deadline
///   ([`Timeouts::failed_login_delay`](super::Timeouts::failed_login_delay)). The
///   [`Limits::max_failed_logins`](super::Limits::max_failed_logins)-th failed login is
///   answered `-ERR [AUTH]`, then `Error` ([`ErrorKind::TooManyFailedLogins`]) and
///   `Closed(CloseReason::Error)`.
///
/// ```
/// use wirestate::pop3::{Server, ServerConfig, ServerEvent, CommandKind};
/// use wirestate::{CloseReason, Instant, Machine};
/// let mut s = Server::new(ServerConfig::default());
/// let _greeting = s.poll_transmit();
/// s.handle_input(Instant::ZERO, b"QUIT\r\n");
/// assert_eq!(s.poll_event(), Some(ServerEvent::Answered(CommandKind::Quit)));
/// assert_eq!(s.poll_event(), Some(ServerEvent::Closed(CloseReason::Done)));
/// assert_eq!(&s.poll_transmit().unwrap()[..], b"+OK localhost POP3 server signing off\r\n");
/// assert!(s.is_closed());
/// ```
pub struct Server {
    config: ServerConfig,
    buf: RecvBuffer,
    lines: LineReader,
    out: BytesMut,
    state: State,
    question: Option<Question>,
    streaming: Option<Streaming>,
    next_id: u64,
    tls: Tls,
    now: Instant,
    /// When the autologout started counting; `None` restarts it at the next call.
    idle_from: Option<Instant>,
    events: VecDeque<ServerEvent>,
    closed: bool,
    peer_eof: bool,
    logins: LoginGuard,
}

impl Server {
    /// A server that has just accepted a connection, with its greeting queued.
    ///
    /// ```
    /// use wirestate::Machine;
    /// let mut s = wirestate::pop3::Server::new(Default::default());
    /// assert_eq!(&s.poll_transmit().unwrap()[..], b"+OK POP3 server ready\r\n");
    /// ```
    pub fn new(config: ServerConfig) -> Server {
        let text = greeting(&config);
        let mut s = Server {
            buf: RecvBuffer::new(config.limits.max_buffered),
            lines: LineReader::new(LinePolicy::strict(config.limits.max_command_line)),
            out: BytesMut::new(),
            state: State::Authorization { user: None },
            question: None,
            streaming: None,
            next_id: 0,
            tls: Tls::Plain,
            now: Instant::ZERO,
            idle_from: None,
            events: VecDeque::new(),
            closed: false,
            peer_eof: false,
            logins: LoginGuard::default(),
            config,
        };
        s.reply(true, None, &text);
        s
    }

    /// The configuration in force.
    ///
    /// ```
    /// let s = wirestate::pop3::Server::new(Default::default());
    /// assert!(s.config().user_pass);
    /// ```
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether the session is in TRANSACTION (logged in, maildrop locked).
    ///
    /// ```
    /// assert!(!wirestate::pop3::Server::new(Default::default()).is_transaction());
    /// ```
    pub fn is_transaction(&self) -> bool {
        matches!(self.state, State::Transaction(_))
    }

    /// Whether the transport is TLS (after STLS or implicit TLS).
    ///
    /// ```
    /// assert!(!wirestate::pop3::Server::new(Default::default()).is_secure());
    /// ```
    pub fn is_secure(&self) -> bool {
        self.tls == Tls::Secure
    }

    fn reply(&mut self, ok: bool, code: Option<&ResponseCode>, text: &[u8]) {
        put_reply(
            &mut self.out,
            self.config.limits.max_response_line,
            ok,
            code,
            text,
        );
    }

    fn err(&mut self, text: &str) {
        self.reply(false, None, text.as_bytes());
    }

    fn ask(&mut self, make: impl FnOnce(u64) -> Question) -> u64 {
        self.next_id += 1;
        self.question = Some(make(self.next_id));
        self.next_id
    }

    /// Takes the outstanding question if `id` is its id.
    fn answer(&mut self, id: u64) -> Result<Question, SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        match &self.question {
            Some(q) if q.id() == id => {
                // The client waited on us; its idle time starts again now.
                self.idle_from = None;
                Ok(self.question.take().ok_or(STALE)?)
            }
            _ => Err(STALE),
        }
    }

    /// Starts the answer to a RETR (`+OK N octets`) or TOP (`+OK`); then stream the
    /// message as stored with [`send_data`](Server::send_data) while
    /// [`Machine::wants_body`] is true, and end it with [`send_end`](Server::send_end).
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate::pop3::{MessageInfo, Server, ServerEvent, Uid};
    /// use wirestate::{Instant, Machine};
    /// let mut s = Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"USER u\r\nPASS p\r\nRETR 1\r\n");
    /// let _ = s.poll_event();
    /// let Some(ServerEvent::Login { decision, .. }) = s.poll_event() else { panic!() };
    /// s.accept_login(decision, vec![MessageInfo::new(7, Uid::new("a").unwrap())]).unwrap();
    /// let Some(ServerEvent::Retrieve { decision, .. }) = s.poll_event() else { panic!() };
    /// s.start_message(decision).unwrap();
    /// assert!(s.wants_body());
    /// s.send_data(Bytes::from_static(b".hi\n")).unwrap();
    /// s.send_end().unwrap();
    /// let wire: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    /// assert!(wire.ends_with(b"+OK 7 octets\r\n..hi\r\n.\r\n"));
    /// ```
    pub fn start_message(&mut self, decision: Decision<Retrieval>) -> Result<(), SendError> {
        let Question::Message { msg, top, .. } = self.answer(decision.id())? else {
            return Err(STALE);
        };
        match top {
            // RFC 1939 section 7 TOP example: "S: +OK" then the lines.
            Some(_) => self.reply(true, None, b""),
            None => {
                // RFC 1939 section 10: "+OK 120 octets".
                let octets = match &self.state {
                    State::Transaction(d) => d.lookup(msg, &mut BytesMut::new()).unwrap_or(0),
                    _ => 0,
                };
                let mut t = BytesMut::new();
                put_decimal(&mut t, octets);
                t.put_slice(b" octets");
                self.reply(true, None, &t);
            }
        }
        self.streaming = Some(Streaming {
            top: top.map(TopFilter::new),
            stuffer: DotStuffer::new(),
        });
        Ok(())
    }

    /// Refuses a RETR/TOP, e.g. the message vanished: `-ERR` with an optional code such
    /// as [`ResponseCode::SysTemp`] (RFC 3206).
    ///
    /// ```
    /// use wirestate::pop3::{MessageInfo, ResponseCode, Server, ServerEvent, Text, Uid};
    /// use wirestate::{Instant, Machine};
    /// let mut s = Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"USER u\r\nPASS p\r\nTOP 1 0\r\n");
    /// let _ = s.poll_event();
    /// let Some(ServerEvent::Login { decision, .. }) = s.poll_event() else { panic!() };
    /// s.accept_login(decision, vec![MessageInfo::new(7, Uid::new("a").unwrap())]).unwrap();
    /// let Some(ServerEvent::Top { decision, .. }) = s.poll_event() else { panic!() };
    /// s.message_unavailable(decision, Some(ResponseCode::SysTemp), Text::new("gone").unwrap()).unwrap();
    /// let wire: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    /// assert!(wire.ends_with(b"-ERR [SYS/TEMP] gone\r\n"));
    /// ```
    pub fn message_unavailable(
        &mut self,
        decision: Decision<Retrieval>,
        code: Option<ResponseCode>,
        text: Text,
    ) -> Result<(), SendError> {
        self.answer(decision.id())?;
        self.reply(false, code.as_ref(), text.as_bytes());
        Ok(())
    }

    /// The next piece of the message being sent, as stored: the machine dot-stuffs it
    /// and sends bare LF line ends as CRLF. For TOP it keeps only what the cut allows,
    /// and once the cut is reached ends the answer itself ([`Machine::wants_body`] turns
    /// false; do not call `send_end`).
    ///
    /// ```
    /// use wirestate::pop3::Server;
    /// use wirestate::SendError;
    /// let mut s = Server::new(Default::default());
    /// assert!(matches!(s.send_data(bytes::Bytes::from_static(b"x")), Err(SendError::OutOfTurn(_))));
    /// ```
    pub fn send_data(&mut self, data: Bytes) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        let Some(st) = self.streaming.as_mut() else {
            return Err(SendError::OutOfTurn("no message is being sent"));
        };
        let n = match &mut st.top {
            Some(f) => f.accept(&data),
            None => data.len(),
        };
        st.stuffer.stuff(&data[..n], &mut self.out);
        if st.top.as_ref().is_some_and(TopFilter::is_done) {
            self.end_message();
        }
        Ok(())
    }

    /// Ends the message being sent: the closing `.` line (RFC 1939 section 3).
    ///
    /// ```
    /// use wirestate::pop3::Server;
    /// assert!(Server::new(Default::default()).send_end().is_err());
    /// ```
    pub fn send_end(&mut self) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if self.streaming.is_none() {
            return Err(SendError::OutOfTurn("no message is being sent"));
        }
        self.end_message();
        Ok(())
    }

    fn end_message(&mut self) {
        if let Some(mut st) = self.streaming.take() {
            st.stuffer.finish(&mut self.out);
            self.idle_from = None;
        }
    }

    /// Answers QUIT after the `Update` event: `removed` says whether every marked message
    /// was removed. RFC 1939 section 6: `+OK` with the sign-off, or `-ERR some deleted
    /// messages not removed`. The session then closes with `Closed(CloseReason::Done)`.
    ///
    /// ```
    /// use wirestate::pop3::{Server, ServerEvent};
    /// use wirestate::{CloseReason, Instant, Machine};
    /// let mut s = Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"USER u\r\nPASS p\r\nQUIT\r\n");
    /// let _ = s.poll_event();
    /// let Some(ServerEvent::Login { decision, .. }) = s.poll_event() else { panic!() };
    /// s.accept_login(decision, vec![]).unwrap();
    /// let Some(ServerEvent::Update { deleted, decision }) = s.poll_event() else { panic!() };
    /// assert!(deleted.is_empty());
    /// s.finish_update(decision, true).unwrap();
    /// assert_eq!(s.poll_event(), Some(ServerEvent::Closed(CloseReason::Done)));
    /// ```
    pub fn finish_update(
        &mut self,
        decision: Decision<Update>,
        removed: bool,
    ) -> Result<(), SendError> {
        let Question::Update { left, .. } = self.answer(decision.id())? else {
            return Err(STALE);
        };
        if removed {
            let t = signoff(&self.config, Some(left));
            self.reply(true, None, &t);
        } else {
            self.err("some deleted messages not removed");
        }
        self.shut(CloseReason::Done);
        Ok(())
    }

    /// Closes the session now, from the local side (RFC 1939 section 6: nothing is
    /// removed). Nothing more is decoded or answered and an outstanding decision lapses;
    /// a message being streamed stops where it is, which the client sees as the
    /// connection closing mid-answer: the one honest end when a file cannot be read after
    /// its `+OK`. `Closed(CloseReason::Local)` is the last event; write what
    /// `poll_transmit` still returns, then close the socket.
    ///
    /// ```
    /// use wirestate::pop3::{Server, ServerEvent};
    /// use wirestate::{CloseReason, Machine};
    /// let mut m = Server::new(Default::default());
    /// m.close();
    /// assert_eq!(m.poll_event(), Some(ServerEvent::Closed(CloseReason::Local)));
    /// assert!(m.is_closed());
    /// ```
    pub fn close(&mut self) {
        if !self.closed {
            self.shut(CloseReason::Local);
        }
    }

    fn shut(&mut self, reason: CloseReason) {
        self.closed = true;
        self.question = None;
        self.streaming = None;
        self.state = State::Done;
        self.buf.clear();
        self.events.push_back(ServerEvent::Closed(reason));
    }

    fn fatal(&mut self, kind: ErrorKind, offset: u64) {
        if let Some(r) = kind.response() {
            r.encode(&mut self.out);
        }
        self.events
            .push_back(ServerEvent::Error(Error { kind, offset }));
        self.shut(CloseReason::Error);
    }

    /// Handles one parsed command; returns the event to report.
    fn command(&mut self, cmd: Command) -> ServerEvent {
        if let State::Transaction(_) = self.state {
            return self.transaction(cmd);
        }
        self.authorization(cmd)
    }

    fn capa(&mut self) {
        // RFC 2449 section 5: valid in every state.
        self.reply(true, None, b"Capability list follows");
        capabilities(&self.config, self.tls == Tls::Plain, &mut self.out);
    }

    /// TRANSACTION (RFC 1939 section 5 and section 7's UIDL and TOP).
    fn transaction(&mut self, cmd: Command) -> ServerEvent {
        let kind = cmd.kind();
        let State::Transaction(drop) = &mut self.state else {
            return ServerEvent::Answered(kind);
        };
        let out = &mut self.out;
        match cmd {
            Command::Capa => self.capa(),
            Command::Noop => status(out, true, b""),
            Command::Stat => drop.stat(out),
            Command::List(msg) => drop.list(msg, out),
            Command::Uidl(msg) => drop.uidl(msg, out),
            Command::Dele(msg) => drop.dele(msg, out),
            Command::Rset => drop.rset(out),
            Command::Retr(msg) | Command::Top { msg, .. } => {
                if drop.lookup(msg, out).is_some() {
                    let lines = match cmd {
                        Command::Top { lines, .. } => Some(lines),
                        _ => None,
                    };
                    let id = self.ask(|id| Question::Message {
                        id,
                        msg,
                        top: lines,
                    });
                    let decision = Decision::new(id);
                    return match lines {
                        None => ServerEvent::Retrieve { msg, decision },
                        Some(lines) => ServerEvent::Top {
                            msg,
                            lines,
                            decision,
                        },
                    };
                }
            }
            Command::Quit => {
                // RFC 1939 section 6: QUIT from TRANSACTION enters UPDATE.
                let (deleted, left) = (drop.deleted(), drop.left());
                let id = self.ask(|id| Question::Update { id, left });
                return ServerEvent::Update {
                    deleted,
                    decision: Decision::new(id),
                };
            }
            other => {
                let mut t = BytesMut::from(other.kind().keyword().as_bytes());
                t.put_slice(b" not valid in TRANSACTION state");
                self.reply(false, None, &t);
            }
        }
        ServerEvent::Answered(kind)
    }

    fn busy(&self) -> bool {
        self.question.is_some()
            || self.streaming.is_some()
            || self.tls == Tls::Switching
            || self.logins.holding()
    }

    fn clock(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.idle_from.is_none() {
            self.idle_from = Some(self.now);
        }
    }

    fn decode(&mut self) -> Option<ServerEvent> {
        let line = match self.lines.poll(&mut self.buf) {
            None => {
                if self.peer_eof {
                    // RFC 1939 section 6: a session that ends without QUIT in TRANSACTION
                    // removes nothing.
                    let unterminated = self.buf.len();
                    self.shut(CloseReason::PeerClosed { unterminated });
                    return self.events.pop_front();
                }
                return None;
            }
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                let kind = match e.kind {
                    LineErrorKind::TooLong { .. } => ErrorKind::LineTooLong,
                    LineErrorKind::BareCr | LineErrorKind::BareLf => ErrorKind::BareCrOrLf,
                };
                self.fatal(kind, e.offset);
                return self.events.pop_front();
            }
        };
        self.idle_from = Some(self.now);
        if matches!(self.state, State::SaslPlain) {
            return Some(self.sasl_line(&line.text));
        }
        let event = match Command::parse(&line.text) {
            Ok(cmd) => self.command(cmd),
            Err(e) => {
                // A recoverable mistake: answer -ERR with what was wrong and go on.
                self.err(e.kind.message());
                ServerEvent::BadCommand(e)
            }
        };
        Some(event)
    }
}

impl core::fmt::Debug for Server {
    // The receive buffer holds raw commands (a PASS line not yet decoded), so buffers
    // are summarised by size, never printed.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server")
            .field("state", &self.state)
            .field("question", &self.question)
            .field("streaming", &self.streaming.is_some())
            .field("buffered", &self.buf.len())
            .field("unsent", &self.out.len())
            .field("tls", &self.tls)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Machine for Server {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.clock(now);
        // RFC 2595 section 4, CVE-2011-0411: plaintext sent behind STLS is never read.
        if self.closed || bytes.is_empty() || self.tls == Tls::Switching {
            return;
        }
        if self.buf.push(bytes).is_err() {
            let offset = self.buf.consumed() + self.buf.len() as u64;
            self.fatal(ErrorKind::BufferFull, offset);
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.clock(now);
        // Commands received before the EOF still count (a pipelined QUIT still enters
        // UPDATE), so `poll_event` acts on it once they are all decoded.
        self.peer_eof = true;
        self.drop_login_answer();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.clock(now);
        self.release_login_answer();
        if self.poll_timeout().is_some_and(|d| self.now >= d) {
            // RFC 1939 section 3: close "without removing any messages or sending any
            // response to the client".
            self.shut(CloseReason::Timeout);
        }
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        if let Some(e) = self.events.pop_front() {
            return Some(e);
        }
        if self.closed || self.busy() {
            return None;
        }
        let e = self.decode();
        if e.is_some() {
            return e;
        }
        self.events.pop_front()
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        if let Some(release) = self.logins.deadline() {
            return Some(release);
        }
        // While the caller owes an answer the client is waiting on us, not idle.
        if self.busy() {
            return None;
        }
        let idle = self.config.timeouts.idle?;
        // A restart waits for the next call that brings the time: due at once.
        Some(self.idle_from.map_or(self.now, |t| t + idle.duration()))
    }

    fn is_closed(&self) -> bool {
        self.closed && self.events.is_empty()
    }

    fn wants_input(&self) -> bool {
        !self.closed && self.tls != Tls::Switching && (!self.busy() || self.buf.is_empty())
    }

    fn wants_body(&self) -> bool {
        !self.closed && self.streaming.is_some()
    }

    fn wants_tls(&self) -> bool {
        !self.closed && self.tls == Tls::Switching && self.out.is_empty()
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.clock(now);
        if self.closed {
            return;
        }
        // Whatever arrived in plaintext before the handshake is not a command.
        self.buf.clear();
        self.lines.reset();
        self.tls = Tls::Secure;
        self.idle_from = Some(self.now);
    }
}

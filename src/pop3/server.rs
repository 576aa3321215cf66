//! The POP3 server machine: RFC 1939's AUTHORIZATION -> TRANSACTION -> UPDATE states,
//! with CAPA (RFC 2449), STLS (RFC 2595), AUTH PLAIN (RFC 5034) and APOP.
//!
//! State table (RFC 1939 sections 4-6; `-ERR` answers leave the state unchanged):
//!
//! | state         | command                  | answer / next state                                   |
//! |---------------|--------------------------|-------------------------------------------------------|
//! | AUTHORIZATION | USER name                | `+OK`, remember name                                  |
//! | AUTHORIZATION | PASS / APOP / AUTH PLAIN | `Authenticate` event; caller accepts -> TRANSACTION   |
//! | AUTHORIZATION | STLS                     | `+OK`, buffered input dropped, `StartTls` event       |
//! | AUTHORIZATION | QUIT                     | `+OK`, closed; nothing is removed                     |
//! | TRANSACTION   | STAT LIST UIDL NOOP DELE RSET | answered from the listing; DELE only marks       |
//! | TRANSACTION   | RETR / TOP               | `Retrieve` / `Top` event; caller streams the message  |
//! | TRANSACTION   | QUIT                     | UPDATE: `Update` event with the marked messages       |
//! | any           | EOF, autologout, error   | closed; nothing is removed (sections 3 and 6)         |

use super::command::{put_decimal, Command, CommandKind};
use super::response::{check_text, Capability};
use super::sasl::PlainCredentials;
use super::server_api::{
    CloseReason, Credentials, Flow, MessageInfo, ServerConfig, ServerError, ServerErrorKind,
    ServerEvent,
};
use super::top::TopFilter;
use super::types::{Arg, MessageNumber, ResponseCode, Uid};
use super::SendError;
use crate::buffer::RecvBuffer;
use crate::dot::DotStuffer;
use crate::line::{LineErrorKind, LinePolicy, LineReader};
use crate::{Instant, Machine};
use alloc::vec::Vec;
use bytes::{BufMut, Bytes, BytesMut};

#[path = "server_transaction.rs"]
mod transaction;
use core::time::Duration;

#[derive(Clone, Debug)]
struct Entry {
    octets: u64,
    uid: Uid,
    deleted: bool,
}

#[derive(Debug)]
enum State {
    Authorization {
        user: Option<Arg>,
    },
    /// `AUTH PLAIN` sent without an initial response; the next line is the response.
    SaslPlain,
    Transaction(Vec<Entry>),
    Done,
}

#[derive(Debug)]
enum Pending {
    Login {
        name: Bytes,
    },
    Message {
        msg: MessageNumber,
        top: Option<TopFilter>,
        started: bool,
        stuffer: DotStuffer,
    },
    Update {
        left: usize,
    },
}

/// The POP3 server machine. It queues its greeting at construction.
///
/// ```
/// use wirestate::pop3::{Pop3Server, ServerConfig, ServerEvent, CloseReason};
/// use wirestate::{Instant, Machine};
/// let mut s = Pop3Server::new(ServerConfig::default()).unwrap();
/// s.poll_transmit();
/// s.handle_input(Instant::ZERO, b"QUIT\r\n");
/// assert_eq!(s.poll_event(), Some(ServerEvent::Closed(CloseReason::Quit)));
/// assert_eq!(&s.poll_transmit().unwrap()[..], b"+OK localhost POP3 server signing off\r\n");
/// assert!(s.is_closed());
/// ```
#[derive(Debug)]
pub struct Pop3Server {
    config: ServerConfig,
    buf: RecvBuffer,
    lines: LineReader,
    out: BytesMut,
    state: State,
    pending: Option<Pending>,
    tls_active: bool,
    now: Instant,
    last_activity: Instant,
    queued_events: Vec<ServerEvent>,
    closed: bool,
    peer_eof: bool,
}

impl Pop3Server {
    /// A server that has just accepted a connection, with its greeting queued.
    /// Fails on an autologout under 10 minutes or text with CR/LF.
    ///
    /// ```
    /// use core::time::Duration;
    /// use wirestate::pop3::{Pop3Server, SendError, ServerConfig};
    /// let c = ServerConfig { autologout: Duration::from_secs(60), ..Default::default() };
    /// assert_eq!(Pop3Server::new(c).unwrap_err(), SendError::AutologoutTooShort);
    /// ```
    pub fn new(config: ServerConfig) -> Result<Pop3Server, SendError> {
        // RFC 1939 section 3: "Such a timer MUST be of at least 10 minutes' duration."
        if config.autologout < Duration::from_secs(600) {
            return Err(SendError::AutologoutTooShort);
        }
        check_text(config.greeting.as_bytes())?;
        check_text(config.server_name.as_bytes())?;
        if let Some(t) = &config.apop_timestamp {
            // RFC 1939 section 7: the timestamp is a msg-id, "<" ... ">", in the greeting.
            let b = t.as_bytes();
            if b.len() < 3
                || b[0] != b'<'
                || b[b.len() - 1] != b'>'
                || b[1..b.len() - 1]
                    .iter()
                    .any(|&c| c <= b' ' || c == b'<' || c == b'>' || c == 0x7f)
            {
                return Err(SendError::InvalidText);
            }
        }
        if let Some(i) = &config.implementation {
            Capability::new("IMPLEMENTATION", &[i]).map_err(|_| SendError::InvalidText)?;
        }
        let mut greeting = BytesMut::new();
        greeting.put_slice(b"+OK ");
        greeting.put_slice(config.greeting.as_bytes());
        if let Some(t) = &config.apop_timestamp {
            greeting.put_u8(b' ');
            greeting.put_slice(t.as_bytes());
        }
        if greeting.len() + 2 > config.limits.response_line {
            return Err(SendError::LineTooLong {
                limit: config.limits.response_line,
            });
        }
        greeting.put_slice(b"\r\n");
        Ok(Pop3Server {
            buf: RecvBuffer::new(config.limits.recv_buffer),
            lines: LineReader::new(LinePolicy::strict(config.limits.command_line)),
            out: greeting,
            state: State::Authorization { user: None },
            pending: None,
            tls_active: false,
            now: Instant::ZERO,
            last_activity: Instant::ZERO,
            queued_events: Vec::new(),
            closed: false,
            peer_eof: false,
            config,
        })
    }

    /// The configuration in force.
    ///
    /// ```
    /// let s = wirestate::pop3::Pop3Server::new(Default::default()).unwrap();
    /// assert!(s.config().user_pass);
    /// ```
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether the session is in TRANSACTION (logged in, maildrop locked).
    ///
    /// ```
    /// assert!(!wirestate::pop3::Pop3Server::new(Default::default()).unwrap().is_transaction());
    /// ```
    pub fn is_transaction(&self) -> bool {
        matches!(self.state, State::Transaction(_))
    }

    fn reply(&mut self, ok: bool, code: Option<&ResponseCode>, text: &[u8]) {
        self.out.put_slice(if ok { b"+OK" } else { b"-ERR" });
        if let Some(c) = code {
            self.out.put_slice(b" [");
            self.out.put_slice(c.as_str().as_bytes());
            self.out.put_u8(b']');
        }
        if !text.is_empty() {
            self.out.put_u8(b' ');
            self.out.put_slice(text);
        }
        self.out.put_slice(b"\r\n");
    }

    fn err(&mut self, text: &str) {
        self.reply(false, None, text.as_bytes());
    }

    /// Accepts the pending login: the caller has checked the credentials and holds the
    /// maildrop's exclusive lock (RFC 1939 section 8). `listing` is the maildrop in
    /// message-number order; the machine answers STAT/LIST/UIDL from it.
    ///
    /// ```
    /// use wirestate::pop3::{Pop3Server, SendError};
    /// let mut s = Pop3Server::new(Default::default()).unwrap();
    /// assert_eq!(s.accept_login(Vec::new()), Err(SendError::OutOfTurn));
    /// ```
    pub fn accept_login(&mut self, listing: Vec<MessageInfo>) -> Result<(), SendError> {
        let Some(Pending::Login { name }) = &self.pending else {
            return Err(self.misuse());
        };
        if u32::try_from(listing.len()).is_err() {
            return Err(SendError::InvalidArgument);
        }
        let name = name.clone();
        self.pending = None;
        let entries: Vec<Entry> = listing
            .into_iter()
            .map(|m| Entry {
                octets: m.octets,
                uid: m.uid,
                deleted: false,
            })
            .collect();
        // RFC 1939 section 10: "+OK mrose's maildrop has 2 messages (320 octets)".
        let mut text = BytesMut::new();
        text.put_slice(&name);
        text.put_slice(b"'s maildrop has ");
        Pop3Server::put_summary(&mut text, &entries);
        self.reply(true, None, &text);
        self.state = State::Transaction(entries);
        Ok(())
    }

    /// Refuses the pending login with `-ERR`, an optional response code
    /// ([`ResponseCode::Auth`] for bad credentials, [`ResponseCode::InUse`] for a locked
    /// maildrop, RFC 2449 section 8.1.2) and text. The session stays in AUTHORIZATION.
    ///
    /// ```
    /// use wirestate::pop3::{Pop3Server, ResponseCode, SendError};
    /// let mut s = Pop3Server::new(Default::default()).unwrap();
    /// assert_eq!(s.reject_login(Some(ResponseCode::InUse), "locked"), Err(SendError::OutOfTurn));
    /// ```
    pub fn reject_login(
        &mut self,
        code: Option<ResponseCode>,
        text: &str,
    ) -> Result<(), SendError> {
        if !matches!(self.pending, Some(Pending::Login { .. })) {
            return Err(self.misuse());
        }
        self.check_err_line(code.as_ref(), text)?;
        self.pending = None;
        self.reply(false, code.as_ref(), text.as_bytes());
        self.state = State::Authorization { user: None };
        Ok(())
    }

    /// Caller-supplied `-ERR` text: no CR/LF/NUL, and the line within
    /// [`Limits::response_line`](super::Limits::response_line) (RFC 2449 section 4: 512).
    fn check_err_line(&self, code: Option<&ResponseCode>, text: &str) -> Result<(), SendError> {
        check_text(text.as_bytes())?;
        let len = "-ERR ".len() + code.map_or(0, |c| c.as_str().len() + 3) + text.len() + 2;
        let limit = self.config.limits.response_line;
        if len > limit {
            return Err(SendError::LineTooLong { limit });
        }
        Ok(())
    }

    fn misuse(&self) -> SendError {
        if self.closed {
            SendError::Closed
        } else {
            SendError::OutOfTurn
        }
    }

    fn start_message(&mut self) {
        if let Some(Pending::Message {
            msg, top, started, ..
        }) = &mut self.pending
        {
            if !*started {
                *started = true;
                let (msg, is_top) = (*msg, top.is_some());
                let octets = self.entry(msg.index()).map_or(0, |e| e.octets);
                if is_top {
                    // RFC 1939 section 7 TOP example: "S: +OK" then the lines.
                    self.reply(true, None, b"");
                } else {
                    // RFC 1939 section 10: "+OK 120 octets".
                    let mut t = BytesMut::new();
                    put_decimal(&mut t, octets);
                    t.put_slice(b" octets");
                    self.reply(true, None, &t);
                }
            }
        }
    }

    /// Streams the next piece of the message being retrieved, as stored (bare LF line
    /// ends are sent as CRLF); the machine dot-stuffs it. Returns [`Flow::Enough`] once a
    /// TOP cut is reached. Drain `poll_transmit` between pieces to keep memory bounded.
    ///
    /// ```
    /// use wirestate::pop3::{Pop3Server, SendError};
    /// let mut s = Pop3Server::new(Default::default()).unwrap();
    /// assert_eq!(s.message_data(b"x"), Err(SendError::OutOfTurn));
    /// ```
    pub fn message_data(&mut self, data: &[u8]) -> Result<Flow, SendError> {
        if !matches!(self.pending, Some(Pending::Message { .. })) || self.closed {
            return Err(self.misuse());
        }
        self.start_message();
        let Some(Pending::Message { top, stuffer, .. }) = &mut self.pending else {
            return Err(SendError::OutOfTurn);
        };
        let n = match top {
            Some(f) => f.accept(data),
            None => data.len(),
        };
        stuffer.stuff(&data[..n], &mut self.out);
        Ok(match top {
            Some(f) if f.is_done() => Flow::Enough,
            _ => Flow::More,
        })
    }

    /// Ends the message: the closing `.` line.
    ///
    /// ```
    /// use wirestate::pop3::{Pop3Server, SendError};
    /// assert_eq!(Pop3Server::new(Default::default()).unwrap().message_end(), Err(SendError::OutOfTurn));
    /// ```
    pub fn message_end(&mut self) -> Result<(), SendError> {
        if !matches!(self.pending, Some(Pending::Message { .. })) || self.closed {
            return Err(self.misuse());
        }
        self.start_message();
        if let Some(Pending::Message { mut stuffer, .. }) = self.pending.take() {
            stuffer.finish(&mut self.out);
        }
        Ok(())
    }

    /// Refuses the pending RETR/TOP before any data was sent, e.g. the message vanished:
    /// `-ERR` with an optional code such as [`ResponseCode::SysTemp`] (RFC 3206).
    ///
    /// ```
    /// use wirestate::pop3::{Pop3Server, SendError};
    /// let mut s = Pop3Server::new(Default::default()).unwrap();
    /// assert_eq!(s.message_unavailable(None, "gone"), Err(SendError::OutOfTurn));
    /// ```
    pub fn message_unavailable(
        &mut self,
        code: Option<ResponseCode>,
        text: &str,
    ) -> Result<(), SendError> {
        match &self.pending {
            Some(Pending::Message { started: false, .. }) if !self.closed => {}
            _ => return Err(self.misuse()),
        }
        self.check_err_line(code.as_ref(), text)?;
        self.pending = None;
        self.reply(false, code.as_ref(), text.as_bytes());
        Ok(())
    }

    /// Answers QUIT after the `Update` event: `removed` says whether every marked message
    /// was removed. RFC 1939 section 6: `+OK` with the sign-off, or `-ERR some deleted
    /// messages not removed`. The session then closes.
    ///
    /// ```
    /// use wirestate::pop3::{Pop3Server, SendError};
    /// assert_eq!(Pop3Server::new(Default::default()).unwrap().finish_update(true), Err(SendError::OutOfTurn));
    /// ```
    pub fn finish_update(&mut self, removed: bool) -> Result<(), SendError> {
        let Some(Pending::Update { left }) = self.pending else {
            return Err(self.misuse());
        };
        self.pending = None;
        if removed {
            let mut t = BytesMut::new();
            t.put_slice(self.config.server_name.as_bytes());
            t.put_slice(b" POP3 server signing off");
            if left == 0 {
                t.put_slice(b" (maildrop empty)");
            } else {
                t.put_slice(b" (");
                put_decimal(&mut t, left as u64);
                t.put_slice(if left == 1 {
                    b" message left)"
                } else {
                    b" messages left)"
                });
            }
            self.reply(true, None, &t);
        } else {
            self.err("some deleted messages not removed");
        }
        self.close(CloseReason::Quit);
        Ok(())
    }

    fn close(&mut self, reason: CloseReason) {
        self.closed = true;
        self.pending = None;
        self.state = State::Done;
        self.queued_events.push(ServerEvent::Closed(reason));
    }

    fn fatal(&mut self, kind: ServerErrorKind, offset: u64) -> Option<ServerEvent> {
        let text = match kind {
            ServerErrorKind::LineTooLong => "line too long",
            ServerErrorKind::BareCrOrLf => "lines must end with CRLF",
            ServerErrorKind::BufferFull => "too much pipelined input",
        };
        self.err(text);
        self.buf.clear();
        self.close(CloseReason::ProtocolError);
        Some(ServerEvent::Error(ServerError { kind, offset }))
    }

    fn capabilities(&self, out: &mut BytesMut) {
        let mut line = |s: &[u8]| {
            out.put_slice(s);
            out.put_slice(b"\r\n");
        };
        line(b"TOP");
        line(b"UIDL");
        line(b"RESP-CODES");
        line(b"AUTH-RESP-CODE");
        line(b"PIPELINING");
        // RFC 2449 section 6 lists USER and SASL in both states ("Announced states:
        // both"), like the IANA registry does for STLS (RFC 2595 section 4).
        if self.config.user_pass {
            line(b"USER");
        }
        if self.config.sasl_plain {
            line(b"SASL PLAIN");
        }
        if self.config.stls && !self.tls_active {
            line(b"STLS");
        }
        for c in &self.config.extra_capabilities {
            line(c.as_bytes());
        }
        if let Some(i) = &self.config.implementation {
            out.put_slice(b"IMPLEMENTATION ");
            out.put_slice(i.as_bytes());
            out.put_slice(b"\r\n");
        }
    }

    /// Handles one parsed command; returns the event to report.
    fn command(&mut self, cmd: Command) -> ServerEvent {
        let kind = cmd.kind();
        let in_transaction = self.is_transaction();
        match (&mut self.state, cmd) {
            (_, Command::Capa) => {
                // RFC 2449 section 5: valid in every state.
                self.reply(true, None, b"Capability list follows");
                let mut out = core::mem::take(&mut self.out);
                self.capabilities(&mut out);
                out.put_slice(b".\r\n");
                self.out = out;
            }
            (_, Command::Noop) if in_transaction => self.reply(true, None, b""),
            (State::Authorization { .. }, Command::Quit) => {
                // RFC 1939 section 4: QUIT in AUTHORIZATION ends without UPDATE.
                let mut t = BytesMut::from(self.config.server_name.as_bytes());
                t.put_slice(b" POP3 server signing off");
                self.reply(true, None, &t);
                self.close(CloseReason::Quit);
                return self.queued_events.remove(0);
            }
            (State::Authorization { user }, Command::User(name)) => {
                if !self.config.user_pass {
                    self.err("USER/PASS not offered here");
                } else {
                    *user = Some(name);
                    self.reply(true, None, b"send PASS");
                }
            }
            (State::Authorization { user }, Command::Pass(password)) => {
                // RFC 1939 section 7: PASS only right after a successful USER.
                match user.take() {
                    None => self.err("USER first"),
                    Some(name) => {
                        self.pending = Some(Pending::Login {
                            name: Bytes::copy_from_slice(name.as_bytes()),
                        });
                        return ServerEvent::Authenticate(Credentials::User { name, password });
                    }
                }
            }
            (State::Authorization { user }, Command::Apop { name, digest }) => {
                *user = None;
                match &self.config.apop_timestamp {
                    None => self.err("APOP not offered here"),
                    Some(t) => {
                        let timestamp = Bytes::copy_from_slice(t.as_bytes());
                        self.pending = Some(Pending::Login {
                            name: Bytes::copy_from_slice(name.as_bytes()),
                        });
                        return ServerEvent::Authenticate(Credentials::Apop {
                            name,
                            digest,
                            timestamp,
                        });
                    }
                }
            }
            (
                State::Authorization { user },
                Command::Auth {
                    mechanism,
                    initial_response,
                },
            ) => {
                *user = None;
                if !self.config.sasl_plain || !mechanism.as_bytes().eq_ignore_ascii_case(b"PLAIN") {
                    // RFC 5034 section 4: an unsupported mechanism gets -ERR.
                    self.err("unsupported authentication mechanism");
                } else {
                    match initial_response {
                        // RFC 5034 section 4: no initial response, so an empty challenge.
                        None => {
                            self.out.put_slice(b"+ \r\n");
                            self.state = State::SaslPlain;
                            self.lines
                                .set_policy(LinePolicy::strict(self.config.limits.auth_line));
                        }
                        Some(r) => return self.plain(&r),
                    }
                }
            }
            (State::Authorization { .. }, Command::Stls) => {
                if !self.config.stls || self.tls_active {
                    // RFC 2595 section 4: "-ERR" when TLS is active or not offered.
                    self.err("STLS not available");
                } else {
                    self.reply(true, None, b"Begin TLS negotiation");
                    // RFC 2595 section 4 (and CVE-2011-0411): nothing sent before the
                    // handshake may be read as a command after it.
                    self.buf.clear();
                    self.lines.reset();
                    self.tls_active = true;
                    self.state = State::Authorization { user: None };
                    return ServerEvent::StartTls;
                }
            }
            (State::Transaction(entries), cmd) => {
                let count = entries.len();
                return self.transaction(cmd, count);
            }
            (State::Authorization { .. }, _) => {
                let mut t = BytesMut::from(kind.keyword().as_bytes());
                t.put_slice(b" not valid in AUTHORIZATION state");
                self.reply(false, None, &t);
            }
            (State::SaslPlain | State::Done, _) => {}
        }
        ServerEvent::Answered(kind)
    }

    fn plain(&mut self, message: &[u8]) -> ServerEvent {
        self.state = State::Authorization { user: None };
        match PlainCredentials::parse(message) {
            None => {
                self.err("malformed PLAIN message");
                ServerEvent::Answered(CommandKind::Auth)
            }
            Some(c) => {
                let name = if c.authzid.is_empty() {
                    c.authcid.clone()
                } else {
                    c.authzid.clone()
                };
                self.pending = Some(Pending::Login { name });
                ServerEvent::Authenticate(Credentials::Plain(c))
            }
        }
    }

    fn sasl_line(&mut self, line: &[u8]) -> ServerEvent {
        self.lines
            .set_policy(LinePolicy::strict(self.config.limits.command_line));
        self.state = State::Authorization { user: None };
        // RFC 5034 section 4: "*" cancels, and the server MUST answer -ERR.
        if line == b"*" {
            self.err("authentication cancelled");
            return ServerEvent::Answered(CommandKind::Auth);
        }
        match super::sasl::base64_decode(line) {
            Some(m) => self.plain(&m),
            None => {
                self.err("invalid base64");
                ServerEvent::Answered(CommandKind::Auth)
            }
        }
    }
}

impl Machine for Pop3Server {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.now = self.now.max(now);
        if self.closed || bytes.is_empty() {
            return;
        }
        if self.buf.push(bytes).is_err() {
            let offset = self.buf.consumed() + self.buf.len() as u64;
            if let Some(e) = self.fatal(ServerErrorKind::BufferFull, offset) {
                self.queued_events.insert(0, e);
            }
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.now = self.now.max(now);
        // Commands received before the EOF still count (a pipelined QUIT still enters
        // UPDATE), so `poll_event` acts on it once they are all decoded.
        self.peer_eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if let Some(d) = self.poll_timeout() {
            if self.now >= d {
                // RFC 1939 section 3: close "without removing any messages or sending any
                // response to the client".
                self.buf.clear();
                self.close(CloseReason::Autologout);
            }
        }
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        if !self.queued_events.is_empty() {
            return Some(self.queued_events.remove(0));
        }
        if self.closed || self.pending.is_some() {
            return None;
        }
        let Some(line) = self.lines.poll(&mut self.buf) else {
            if self.peer_eof {
                // RFC 1939 section 6: a session that ends without QUIT in TRANSACTION
                // removes nothing.
                self.close(CloseReason::PeerClosed);
                return Some(self.queued_events.remove(0));
            }
            return None;
        };
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                let kind = match e.kind {
                    LineErrorKind::TooLong { .. } => ServerErrorKind::LineTooLong,
                    LineErrorKind::BareCr | LineErrorKind::BareLf => ServerErrorKind::BareCrOrLf,
                };
                return self.fatal(kind, e.offset);
            }
        };
        self.last_activity = self.now;
        if matches!(self.state, State::SaslPlain) {
            return Some(self.sasl_line(&line.text));
        }
        match Command::parse(&line.text) {
            Ok(cmd) => Some(self.command(cmd)),
            Err(e) => {
                // A recoverable mistake: answer -ERR with what was wrong and go on.
                self.err(e.kind.message());
                Some(ServerEvent::BadCommand(e))
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        // While the caller owes a reply the client is waiting on us, not idle.
        if self.closed || self.pending.is_some() {
            None
        } else {
            Some(self.last_activity + self.config.autologout)
        }
    }

    fn is_closed(&self) -> bool {
        self.closed
    }
}

//! The server machine and its state table, all transitions in this file: RFC 5321 4.1.4
//! sequencing, RFC 2920 pipelining, RFC 3207 STARTTLS, RFC 4954 AUTH, RFC 2033 LMTP,
//! and the answers to the caller's decisions. Checks live in `server_check.rs`, SASL
//! decoding in `server_auth.rs`, data reading in `server_data.rs`.

use super::address::Host;
use super::command::{Body, Command, CommandError};
use super::error::{Error, ErrorKind};
use super::ext::Capabilities;
use super::nul::NulPolicy;
use super::reply::Reply;
use super::server_auth::SaslExchange;
use super::server_check::{self as check, Refusal, Session, Transaction};
pub use super::server_config::ServerConfig;
use super::server_data::{DataReader, DataStep};
pub use super::server_event::{question, AbortReason, HelloVerb, ServerEvent};
pub use super::server_question::Question;
use super::server_question::{Ask, Questions};
use crate::buffer::RecvBuffer;
use crate::dot::DotErrorKind;
use crate::line::{BareLf, LinePolicy, LineReader};
use crate::{CloseReason, Decision, Instant, Machine, SendError, SyntaxError};
use alloc::collections::VecDeque;
use alloc::format;
use bytes::{Bytes, BytesMut};

// Child modules, so they reach the machine's private state without widening it.
#[path = "server_answer.rs"]
mod answer;
#[path = "server_login.rs"]
mod login;
use login::LoginGuard;

#[derive(Debug)]
enum Phase {
    Command,
    Auth(SaslExchange),
    Data,
    Closed,
}

/// The SMTP/LMTP server machine for one connection.
///
/// * Decisions: HELO, MAIL, RCPT, the start and end of data, AUTH, STARTTLS and VRFY
///   come as events carrying a [`Decision`]; answer with [`accept`](Server::accept),
///   [`accept_with`](Server::accept_with) or [`reject`](Server::reject). Until then
///   `poll_event` returns `None`. [`ServerConfig::auto_accept_hello`] and
///   [`ServerConfig::auto_accept_envelope`] opt into positive defaults.
/// * Flow control: [`wants_input`](Machine::wants_input) is false while a decision is
///   outstanding with input buffered, while a TLS switch is due, and once closed. The
///   server streams no body, so [`wants_body`](Machine::wants_body) is always false.
/// * TLS: after the `220` to an accepted STARTTLS has been returned by `poll_transmit`,
///   [`wants_tls`](Machine::wants_tls) is true; everything received before the
///   handshake is discarded (RFC 3207 4.2, CVE-2011-0411) and
///   [`handle_tls_established`](Machine::handle_tls_established) starts the session
///   over (a new EHLO is needed). Called before the first byte, it marks implicit TLS
///   (RFC 8314): AUTH is offered, STARTTLS no longer.
/// * Time: `idle` while waiting for a command (from the last whole line: bytes of an
///   unfinished one do not restart it), `data_block` inside the data; on expiry
///   `421 4.4.2` and `Closed(CloseReason::Timeout)`. No timer runs while the caller
///   holds a decision. The clock starts at the first `handle_*` call, with its `now`:
///   until then `poll_timeout` is `Instant::ZERO` (due at once), so the driver's first
///   `handle_timeout(now)` starts it rather than expiring it.
/// * Failed logins: an `Auth` decision refused with a `5yz` has its answer held for
///   [`Timeouts::failed_login_delay`](super::Timeouts::failed_login_delay) (a deadline
///   through `poll_timeout`, released by `handle_timeout`); the
///   [`Limits::max_failed_logins`](super::Limits::max_failed_logins)-th is answered
///   `421 4.7.0`, then `Error` ([`ErrorKind::TooManyFailedLogins`]) and
///   `Closed(CloseReason::Error)`.
///
/// ```
/// use wirestate::smtp::{Server, ServerConfig, ServerEvent};
/// use wirestate::{Instant, Machine};
///
/// let mut s = Server::new(ServerConfig::default());
/// assert!(s.poll_transmit().unwrap().starts_with(b"220 localhost ESMTP"));
/// s.handle_input(Instant::ZERO, b"EHLO client.example\r\nMAIL FROM:<a@b>\r\n");
/// let Some(ServerEvent::Hello { decision, .. }) = s.poll_event() else { panic!() };
/// assert!(s.poll_event().is_none()); // nothing more until the HELO is answered
/// s.accept(decision).unwrap();
/// assert!(s.poll_transmit().unwrap().starts_with(b"250-localhost"));
/// let Some(ServerEvent::Mail { decision, .. }) = s.poll_event() else { panic!() };
/// s.reject(decision, wirestate::smtp::Reply::new(550, "no").unwrap()).unwrap();
/// assert_eq!(&s.poll_transmit().unwrap()[..], b"550 no\r\n");
/// ```
pub struct Server {
    config: ServerConfig,
    buf: RecvBuffer,
    lines: LineReader,
    data: DataReader,
    out: BytesMut,
    events: VecDeque<ServerEvent>,
    questions: Questions,
    phase: Phase,
    session: Session,
    /// The refusal due once a dropped BDAT chunk has been read.
    discard_reply: Option<(Reply, &'static str)>,
    errors: usize,
    eof: bool,
    tls_due: bool,
    now: Instant,
    /// Whether a `handle_*` call has brought the time yet (the idle clock's start).
    started: bool,
    last_input: Instant,
    logins: LoginGuard,
    /// Stream offset of the command line being handled, for `Rejected`.
    line_start: u64,
    /// Offset of a syntax error inside that line.
    err_within: u64,
}

impl Server {
    /// A server for one connection; the `220` greeting is queued at once.
    ///
    /// ```
    /// use wirestate::Machine;
    /// let mut s = wirestate::smtp::Server::new(wirestate::smtp::ServerConfig::default());
    /// assert!(s.poll_transmit().unwrap().starts_with(b"220 localhost ESMTP"));
    /// ```
    pub fn new(config: ServerConfig) -> Server {
        let l = &config.limits;
        let line_max = l.max_command_line.max(l.max_auth_line).max(8);
        let policy = LinePolicy {
            bare_lf: if l.allow_bare_lf {
                BareLf::Terminator
            } else {
                BareLf::Reject
            },
            ..LinePolicy::strict(line_max)
        };
        let mut s = Server {
            buf: RecvBuffer::new(l.max_buffered.max(line_max)),
            lines: LineReader::new(policy),
            data: DataReader::new(config.max_message_size, l.max_text_line),
            out: BytesMut::new(),
            events: VecDeque::new(),
            questions: Questions::default(),
            phase: Phase::Command,
            session: Session::default(),
            discard_reply: None,
            errors: 0,
            eof: false,
            tls_due: false,
            now: Instant::ZERO,
            started: false,
            last_input: Instant::ZERO,
            logins: LoginGuard::default(),
            line_start: 0,
            err_within: 0,
            config,
        };
        let proto = if s.config.lmtp { "LMTP" } else { "ESMTP" };
        let greeting = format!("{} {proto} ready", s.config.hostname);
        s.send(Reply::fixed(220, None, &greeting));
        s
    }

    /// The configuration in force.
    ///
    /// ```
    /// let s = wirestate::smtp::Server::new(wirestate::smtp::ServerConfig::default());
    /// assert_eq!(s.config().hostname.as_str(), "localhost");
    /// ```
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// True once the channel is TLS (after STARTTLS, or implicit TLS).
    ///
    /// ```
    /// let s = wirestate::smtp::Server::new(wirestate::smtp::ServerConfig::default());
    /// assert!(!s.is_tls());
    /// ```
    pub fn is_tls(&self) -> bool {
        self.session.tls
    }

    /// What EHLO offers right now (AUTH only with TLS unless configured; no STARTTLS
    /// once TLS is on).
    ///
    /// ```
    /// let s = wirestate::smtp::Server::new(wirestate::smtp::ServerConfig::default());
    /// assert!(s.capabilities().chunking);
    /// ```
    #[must_use]
    pub fn capabilities(&self) -> Capabilities {
        check::capabilities(&self.session, &self.config)
    }

    /// A reply with the enhanced code only when ENHANCEDSTATUSCODES is on.
    fn r(&self, code: u16, enh: (u8, u16, u16), text: &str) -> Reply {
        // RFC 2034 2: enhanced codes go on 2xx, 4xx and 5xx replies only.
        let on = self.config.enhanced_status_codes && code / 100 != 3;
        Reply::fixed(code, on.then_some(enh), text)
    }

    fn send(&mut self, reply: Reply) {
        reply.encode(&mut self.out);
    }

    /// Queues a machine-made refusal and reports it; too many end the connection.
    fn refuse(&mut self, reply: Reply, reason: &'static str) {
        let offset = self.line_start + self.err_within;
        self.err_within = 0;
        self.send(reply.clone());
        self.events.push_back(ServerEvent::Rejected {
            reply,
            reason,
            offset,
        });
        self.errors += 1;
        if self.errors >= self.config.limits.max_errors {
            let r = self.r(421, (4, 7, 0), "Too many errors, closing connection");
            self.fail(ErrorKind::TooManyErrors, offset, r);
        }
    }

    fn refuse_with(&mut self, f: Refusal) {
        let r = self.r(f.code, f.enh, f.text);
        self.refuse(r, f.reason);
    }

    /// A fatal error: its reply, `Error`, then `Closed(Error)`.
    fn fail(&mut self, kind: ErrorKind, offset: u64, reply: Reply) {
        self.send(reply.clone());
        if matches!(self.phase, Phase::Data) && self.data.receiving() {
            self.events
                .push_back(ServerEvent::Aborted(AbortReason::Framing));
            self.phase = Phase::Command; // reported once: `shut` must not abort again
        }
        self.events
            .push_back(ServerEvent::Error(Error::new(kind, offset, Some(reply))));
        self.shut(CloseReason::Error);
    }

    fn shut(&mut self, reason: CloseReason) {
        if matches!(self.phase, Phase::Data) && self.data.receiving() {
            let why = match reason {
                CloseReason::Timeout => AbortReason::Timeout,
                _ => AbortReason::PeerClosed,
            };
            self.events.push_back(ServerEvent::Aborted(why));
        }
        self.phase = Phase::Closed;
        self.questions.close();
        self.tls_due = false;
        self.events.push_back(ServerEvent::Closed(reason));
    }

    /// Asks the caller, or answers at once where the configuration opts in.
    fn decide<K: 'static>(
        &mut self,
        ask: Ask,
        event: impl Fn(Decision<K>) -> ServerEvent + Send + 'static,
    ) {
        let auto = match ask {
            Ask::Hello(_) => self.config.auto_accept_hello,
            Ask::Mail { .. } | Ask::Rcpt | Ask::DataStart { .. } => {
                self.config.auto_accept_envelope
            }
            _ => false,
        };
        let ev = self.questions.ask(ask, !auto, event);
        self.events.push_back(ev);
        if auto {
            self.resolve(ask, None);
        }
    }

    /// Applies an answer; `reply` `None` means the default for that question.
    fn resolve(&mut self, ask: Ask, reply: Option<Reply>) {
        let positive = reply.as_ref().map_or(true, |r| !r.code().is_negative());
        match ask {
            Ask::Hello(verb) => {
                if positive {
                    self.session.hello = Some(verb);
                }
                let r =
                    reply.unwrap_or_else(|| check::hello_reply(&self.session, &self.config, verb));
                self.send(r);
            }
            Ask::Mail { smtputf8, binary } => {
                if positive {
                    self.session.tx = Some(Transaction {
                        smtputf8,
                        binary,
                        ..Transaction::default()
                    });
                }
                let r = reply.unwrap_or_else(|| self.r(250, (2, 1, 0), "Ok"));
                self.send(r);
            }
            Ask::Rcpt => {
                if positive {
                    if let Some(t) = &mut self.session.tx {
                        t.recipients += 1;
                    }
                }
                let r = reply.unwrap_or_else(|| self.r(250, (2, 1, 5), "Ok"));
                self.send(r);
            }
            Ask::DataStart { bdat: None } => match reply {
                Some(r) if !positive => self.send(r),
                r => {
                    let r = r.unwrap_or_else(|| {
                        self.r(354, (2, 0, 0), "End data with <CR><LF>.<CR><LF>")
                    });
                    self.send(r);
                    self.data.reset();
                    self.data
                        .start_dot(self.config.limits.allow_bare_lf, self.refuse_nul());
                    self.phase = Phase::Data;
                }
            },
            Ask::DataStart {
                bdat: Some((size, last)),
            } => {
                if positive {
                    if let Some(t) = &mut self.session.tx {
                        t.bdat = true;
                    }
                    self.data.reset();
                    self.data.start_chunk(size, last, self.refuse_nul());
                } else {
                    // The transaction failed at its first chunk: read it, then answer.
                    self.session.tx = None;
                    self.events
                        .push_back(ServerEvent::Aborted(AbortReason::Rejected));
                    let r = reply.unwrap_or_else(|| self.r(554, (5, 0, 0), "Transaction failed"));
                    self.discard_reply = Some((r, "caller rejected the BDAT transaction"));
                    self.data.start_discard(size);
                }
                self.phase = Phase::Data;
            }
            Ask::DataEnd { recipients } => {
                let r = reply.unwrap_or_else(|| self.r(250, (2, 0, 0), "Ok: queued"));
                let n = if self.config.lmtp { recipients } else { 1 };
                for _ in 0..n {
                    self.send(r.clone());
                }
                self.end_transaction();
            }
            Ask::Auth => self.auth_answered(reply),
            Ask::StartTls => {
                let r = reply.unwrap_or_else(|| self.r(220, (2, 0, 0), "Ready to start TLS"));
                self.send(r);
                // RFC 3207 4.2: the switch comes once this 220 is written; nothing more is
                // decoded until then, and what was received before it is discarded.
                self.tls_due = positive;
            }
            Ask::Verify => {
                let r = reply.unwrap_or_else(|| {
                    self.r(252, (2, 5, 2), "Cannot VRFY user, but will accept message")
                });
                self.send(r);
            }
        }
    }

    /// Takes `now` (time never runs backwards); the first call starts the idle clock.
    fn clock(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if !self.started {
            self.started = true;
            self.last_input = self.now;
        }
    }

    fn end_transaction(&mut self) {
        self.session.tx = None;
        self.phase = Phase::Command;
    }

    /// RFC 3207 4.2: the session starts over under TLS; nothing received before the
    /// handshake counts (CVE-2011-0411).
    fn start_tls(&mut self) {
        self.buf.clear();
        self.lines.reset();
        self.session = Session {
            tls: true,
            ..Session::default()
        };
        self.tls_due = false;
        self.last_input = self.now;
    }

    /// Decodes one command line and acts on it. Returns false when more input is needed.
    fn step_command(&mut self) -> bool {
        self.line_start = self.buf.consumed();
        let line = match self.lines.poll(&mut self.buf) {
            None => return false,
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                self.line_start = e.offset;
                self.refuse_with(check::line(e.kind));
                return true;
            }
        };
        if let Phase::Auth(_) = self.phase {
            self.auth_line(&line.text);
            return true;
        }
        let is_auth = line.text.len() >= 5 && line.text[..5].eq_ignore_ascii_case(b"AUTH ");
        if line.text.len() + 2 > self.config.limits.max_command_line && !is_auth {
            let r = self.r(500, (5, 5, 2), "Line too long");
            self.refuse(r, "RFC 5321 4.5.3.1.4: command line too long");
            return true;
        }
        match Command::parse(&line.text) {
            Ok(cmd) => self.command(cmd),
            Err(CommandError::Unknown) => {
                let r = self.r(500, (5, 5, 2), "Command unrecognized");
                self.refuse(r, "RFC 5321 4.2.4: unknown command");
            }
            Err(CommandError::Syntax(e)) => {
                self.err_within = e.offset as u64;
                let text = format!("Syntax error: {} at byte {}", e.rule, e.offset);
                let r = self.r(501, (5, 5, 4), &text);
                self.refuse(r, e.rule);
            }
            Err(CommandError::Parameter(e)) => {
                self.err_within = e.offset as u64;
                let text = format!("Parameter not supported: {}", e.rule);
                let r = self.r(555, (5, 5, 4), &text);
                self.refuse(r, e.rule);
            }
        }
        true
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Helo(host) => self.hello_command(HelloVerb::Helo, host),
            Command::Ehlo(host) => self.hello_command(HelloVerb::Ehlo, host),
            Command::Lhlo(host) => self.hello_command(HelloVerb::Lhlo, host),
            Command::Mail { from, params } => {
                // RFC 5321 4.5.3.1.3 / 4.5.3.1.10: a path over the limit is "501".
                if format!("{from}").len() > self.config.limits.max_path {
                    let r = self.r(501, (5, 1, 7), "Path too long");
                    return self.refuse(r, "RFC 5321 4.5.3.1.3: path longer than the limit");
                }
                if let Some(f) = check::mail(&self.session, &self.config, &params) {
                    return self.refuse_with(f);
                }
                let ask = Ask::Mail {
                    smtputf8: params.smtputf8,
                    binary: params.body == Some(Body::BinaryMime),
                };
                self.decide(ask, move |decision| ServerEvent::Mail {
                    from: from.clone(),
                    params: params.clone(),
                    decision,
                });
            }
            Command::Rcpt { to, params } => {
                if format!("{to}").len() > self.config.limits.max_path {
                    let r = self.r(501, (5, 1, 3), "Path too long");
                    return self.refuse(r, "RFC 5321 4.5.3.1.3: path longer than the limit");
                }
                if let Some(f) = check::rcpt(&self.session, &self.config, &to, &params) {
                    return self.refuse_with(f);
                }
                self.decide(Ask::Rcpt, move |decision| ServerEvent::Rcpt {
                    to: to.clone(),
                    params: params.clone(),
                    decision,
                });
            }
            Command::Data => match check::data(&self.session) {
                Some(f) => self.refuse_with(f),
                None => self.decide(Ask::DataStart { bdat: None }, |decision| {
                    ServerEvent::DataStart {
                        chunked: false,
                        decision,
                    }
                }),
            },
            Command::Bdat { size, last } => self.bdat_command(size, last),
            Command::Rset => {
                if self.session.tx.take().is_some() {
                    self.events.push_back(ServerEvent::Reset);
                }
                let r = self.r(250, (2, 0, 0), "Ok");
                self.send(r);
            }
            Command::Vrfy(argument) => {
                self.decide(Ask::Verify, move |decision| ServerEvent::Verify {
                    argument: argument.clone(),
                    decision,
                })
            }
            Command::Expn(_) => {
                let r = self.r(502, (5, 5, 1), "EXPN not implemented");
                self.refuse(r, "RFC 5321 4.5.1: EXPN is optional");
            }
            Command::Help(_) => {
                let r = self.r(214, (2, 0, 0), "See RFC 5321");
                self.send(r);
            }
            Command::Noop(_) => {
                let r = self.r(250, (2, 0, 0), "Ok");
                self.send(r);
            }
            Command::Quit => {
                if self.session.tx.is_some() {
                    self.events.push_back(ServerEvent::Reset);
                }
                let r = self.r(221, (2, 0, 0), "Bye");
                self.send(r);
                self.shut(CloseReason::Done);
            }
            Command::StartTls => match check::starttls(&self.session, &self.config) {
                Some(f) => self.refuse_with(f),
                None => self.decide(Ask::StartTls, |decision| ServerEvent::StartTls { decision }),
            },
            Command::Auth { mechanism, initial } => self.auth_command(mechanism, initial),
        }
    }

    fn hello_command(&mut self, verb: HelloVerb, host: Host) {
        if let Some(f) = check::hello(&self.config, verb) {
            return self.refuse_with(f);
        }
        // RFC 5321 4.1.4: a new EHLO/HELO is an implicit RSET.
        if self.session.tx.take().is_some() {
            self.events.push_back(ServerEvent::Reset);
        }
        self.decide(Ask::Hello(verb), move |decision| ServerEvent::Hello {
            verb,
            host: host.clone(),
            decision,
        });
    }

    fn bdat_command(&mut self, size: u64, last: bool) {
        // The chunk's octets follow the command whatever we answer, so they are always
        // read and dropped on refusal: never parsed as commands (RFC 3030 2).
        if let Some(f) = check::bdat(&self.session, &self.config) {
            let r = self.r(f.code, f.enh, f.text);
            self.discard_reply = Some((r, f.reason));
            self.data.start_discard(size);
            self.phase = Phase::Data;
            return;
        }
        if self.session.tx.is_some_and(|t| t.bdat) {
            self.data.start_chunk(size, last, self.refuse_nul());
            self.phase = Phase::Data;
        } else {
            let ask = Ask::DataStart {
                bdat: Some((size, last)),
            };
            self.decide(ask, move |decision| ServerEvent::DataStart {
                chunked: true,
                decision,
            });
        }
    }

    /// Whether the data now being read may not hold NUL: [`NulPolicy::Reject`] outside
    /// a BINARYMIME transaction (RFC 3030 3 allows any octet there).
    fn refuse_nul(&self) -> bool {
        self.config.nul == NulPolicy::Reject && !self.session.tx.is_some_and(|t| t.binary)
    }

    fn abort_reply(&self, why: AbortReason) -> (Reply, &'static str) {
        let f = check::abort(why);
        (self.r(f.code, f.enh, f.text), f.reason)
    }

    fn step_data(&mut self) -> bool {
        let Some(step) = self.data.poll(&mut self.buf) else {
            return false;
        };
        match step {
            DataStep::Data(b) => {
                if !b.is_empty() {
                    self.events.push_back(ServerEvent::Data(b));
                }
            }
            DataStep::Aborted(why) => {
                self.events.push_back(ServerEvent::Aborted(why));
                if self.session.tx.is_some_and(|t| t.bdat) {
                    // RFC 3030 2: the rest of this chunk is dropped and refused; later
                    // BDATs find no transaction.
                    self.session.tx = None;
                    self.discard_reply = Some(self.abort_reply(why));
                }
            }
            DataStep::End => {
                self.phase = Phase::Command;
                if let Some(why) = self.data.aborted() {
                    let (r, reason) = self.abort_reply(why);
                    self.end_transaction();
                    self.refuse(r, reason);
                } else if let Some(tx) = self.session.tx {
                    let (size, recipients) = (self.data.size(), tx.recipients);
                    self.decide(Ask::DataEnd { recipients }, move |decision| {
                        ServerEvent::End {
                            size,
                            recipients,
                            decision,
                        }
                    });
                }
            }
            DataStep::ChunkDone { size } => {
                self.phase = Phase::Command;
                let r = self.r(250, (2, 0, 0), &format!("{size} octets received"));
                self.send(r);
            }
            DataStep::DiscardDone => {
                self.phase = Phase::Command;
                if let Some((r, reason)) = self.discard_reply.take() {
                    self.refuse(r, reason);
                }
            }
            DataStep::Framing(e) => {
                // Where the data ends is no longer certain: answer once and close, so a
                // downstream server can never see a different message boundary.
                let (kind, what) = match e.kind {
                    DotErrorKind::BareLf => (ErrorKind::DataBareLf, "bare <LF>"),
                    DotErrorKind::BareCr => (ErrorKind::DataBareCr, "bare <CR>"),
                    DotErrorKind::Smuggling => {
                        (ErrorKind::DataSmuggling, "ambiguous end-of-data sequence")
                    }
                };
                // RFC 5321 3.8 and 4.2.4: a server closes only after QUIT or with a
                // 421, so the client learns that the channel is going away (a 500 and
                // a close reads as a dropped connection). The enhanced code stays the
                // syntax error of RFC 3463 3.6, in the class of the reply.
                let text = format!(
                    "{} Error: {what} received in message data at byte {}; closing connection",
                    self.config.hostname, e.offset
                );
                let r = self.r(421, (4, 5, 2), &text);
                self.fail(kind, e.offset, r);
            }
        }
        true
    }

    /// Decodes input until an event is produced or more input is needed.
    fn step(&mut self) -> bool {
        match self.phase {
            Phase::Closed => false,
            Phase::Command | Phase::Auth(_) => self.step_command(),
            Phase::Data => self.step_data(),
        }
    }
}

/// The state, never the buffers: received and queued bytes may hold credentials
/// (AUTH lines), and `Debug` output ends up in logs.
impl core::fmt::Debug for Server {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .field("phase", &self.phase)
            .field("session", &self.session)
            .field("questions", &self.questions)
            .field("buffered", &self.buf.len())
            .field("queued", &self.out.len())
            .field("errors", &self.errors)
            .field("tls_due", &self.tls_due)
            .finish_non_exhaustive()
    }
}

fn invalid(rule: &'static str) -> SendError {
    SendError::Invalid(SyntaxError { rule, offset: 0 })
}

impl Machine for Server {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.clock(now);
        if matches!(self.phase, Phase::Closed) || self.eof || self.tls_due {
            // Plaintext after an accepted STARTTLS is never decoded (CVE-2011-0411).
            return;
        }
        if matches!(self.phase, Phase::Data) || memchr::memchr(b'\n', bytes).is_some() {
            // RFC 5321 4.5.3.2.5: inside the data every block is progress. Between
            // commands the wait is for the next command (4.5.3.2.7), restarted only by
            // input that ends a line, so a client dripping a line byte by byte is cut.
            self.last_input = self.now;
        }
        if self.data.push(&mut self.buf, bytes).is_err() {
            let offset = self.buf.consumed() + self.buf.len() as u64;
            let r = self.r(
                421,
                (4, 7, 0),
                "Too much pipelined input, closing connection",
            );
            self.fail(ErrorKind::InputOverflow, offset, r);
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.clock(now);
        self.eof = true;
        self.drop_login_answer();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.clock(now);
        self.release_login_answer();
        if self.poll_timeout().is_some_and(|d| d <= self.now) {
            let text = format!("{} Error: timeout exceeded", self.config.hostname);
            let r = self.r(421, (4, 4, 2), &text);
            self.send(r);
            self.shut(CloseReason::Timeout);
        }
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        loop {
            if let Some(ev) = self.events.pop_front() {
                return Some(ev);
            }
            if self.questions.is_open()
                || self.logins.holding()
                || self.tls_due
                || matches!(self.phase, Phase::Closed)
            {
                return None;
            }
            if !self.step() {
                if self.eof {
                    let unterminated = self.buf.len();
                    self.shut(CloseReason::PeerClosed { unterminated });
                    continue;
                }
                return None;
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        (!self.out.is_empty()).then(|| self.out.split().freeze())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.phase, Phase::Closed) || self.questions.is_open() {
            return None;
        }
        if let Some(release) = self.logins.deadline() {
            return Some(release);
        }
        let t = &self.config.timeouts;
        let wait = if matches!(self.phase, Phase::Data) {
            t.data_block
        } else {
            t.idle
        };
        if !self.started {
            // Not told the time yet: ask for it at once (see the type's docs).
            return wait.map(|_| Instant::ZERO);
        }
        wait.map(|d| self.last_input + d)
    }

    fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    fn wants_input(&self) -> bool {
        !matches!(self.phase, Phase::Closed)
            && !self.eof
            && !self.tls_due
            && (!(self.questions.is_open() || self.logins.holding()) || self.buf.is_empty())
    }

    fn wants_tls(&self) -> bool {
        self.tls_due && self.out.is_empty()
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.clock(now);
        if self.tls_due {
            self.start_tls();
        } else if !self.session.tls && self.buf.consumed() == 0 && self.buf.is_empty() {
            // Implicit TLS (RFC 8314): the channel was private from the first byte.
            self.session.tls = true;
        }
    }
}

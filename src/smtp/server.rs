//! The server machine: configuration, events, and the command state table
//! (RFC 5321 4.1.4 sequencing, RFC 2920 pipelining, RFC 3207 STARTTLS, RFC 4954 AUTH,
//! RFC 2033 LMTP). Message data (DATA, BDAT) is in `server_data.rs`.

use super::address::{ForwardPath, Host, ReversePath};
use super::auth::AuthMechanism;
use super::command::{Body, Command, CommandError, MailParams, RcptParams};
use super::ext::Capabilities;
use super::reply::Reply;
pub use super::server_config::{ServerConfig, ServerLimits, ServerTimeouts};
pub use super::server_event::{AbortReason, CloseReason, HelloVerb, ServerEvent};
use super::SendError;
use crate::buffer::RecvBuffer;
use crate::line::{LineErrorKind, LinePolicy, LineReader};
use crate::{Instant, Machine};
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

#[derive(Clone, Debug)]
pub(super) enum Pending {
    Hello(HelloVerb),
    Mail { smtputf8: bool, binary: bool },
    Rcpt,
    DataStart { bdat: Option<(u64, bool)> },
    DataEnd { recipients: usize },
    Auth,
    StartTls,
    Verify,
}

#[derive(Clone, Debug)]
pub(super) enum Phase {
    Command,
    AuthResponse {
        mechanism: AuthMechanism,
        user: Option<String>,
    },
    Data,
    Bdat {
        remaining: u64,
        last: bool,
    },
    BdatDiscard {
        remaining: u64,
        reply: Reply,
    },
    Closed,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Transaction {
    pub(super) smtputf8: bool,
    pub(super) binary: bool,
    pub(super) recipients: usize,
    pub(super) bdat: bool,
    pub(super) size: u64,
    pub(super) line_len: usize,
    pub(super) aborted: Option<AbortReason>,
}

/// The SMTP/LMTP server machine. See the module docs for a whole exchange.
///
/// ```
/// use wirestate::smtp::{ServerConfig, ServerEvent, SmtpServer};
/// use wirestate::{Instant, Machine};
///
/// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
/// s.poll_transmit(); // greeting
/// s.handle_input(Instant::ZERO, b"HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhi\r\n.\r\n");
/// let mut body = Vec::new();
/// while let Some(ev) = s.poll_event() {
///     if let ServerEvent::DataChunk(b) = ev {
///         body.extend_from_slice(&b);
///     }
/// }
/// assert_eq!(body, b"hi\r\n");
/// s.handle_eof(Instant::ZERO);
/// while s.poll_event().is_some() {}
/// let wire = s.poll_transmit().unwrap();
/// assert!(wire.ends_with(b"250 2.0.0 Ok: queued\r\n"));
/// ```
#[derive(Debug)]
pub struct SmtpServer {
    pub(super) config: ServerConfig,
    pub(super) buf: RecvBuffer,
    pub(super) lines: LineReader,
    pub(super) unstuffer: crate::dot::DotUnstuffer,
    pub(super) out: BytesMut,
    pub(super) events: VecDeque<ServerEvent>,
    pub(super) pending: Option<(Pending, bool)>,
    pub(super) phase: Phase,
    pub(super) hello: Option<HelloVerb>,
    pub(super) tls: bool,
    pub(super) authenticated: bool,
    pub(super) tx: Option<Transaction>,
    pub(super) errors: usize,
    pub(super) eof: bool,
    pub(super) now: Instant,
    pub(super) last_input: Instant,
    /// Size of the BDAT chunk being read, for its `250` reply.
    pub(super) chunk_size: u64,
    /// Why the BDAT chunk being discarded is refused.
    pub(super) discard_reason: &'static str,
    /// Stream offset of the command line being handled, for `Rejected`.
    pub(super) line_start: u64,
    /// Offset of a syntax error inside that line.
    pub(super) err_within: u64,
}

impl SmtpServer {
    /// A server for one connection; the `220` greeting is queued at once.
    ///
    /// ```
    /// use wirestate::Machine;
    /// let mut s = wirestate::smtp::SmtpServer::new(wirestate::smtp::ServerConfig::new("mx").unwrap());
    /// assert!(s.poll_transmit().unwrap().starts_with(b"220 mx ESMTP"));
    /// ```
    pub fn new(config: ServerConfig) -> SmtpServer {
        let line_max = config
            .limits
            .command_line
            .max(config.limits.auth_line)
            .max(8);
        let mut s = SmtpServer {
            buf: RecvBuffer::new(config.limits.recv_buffer.max(line_max)),
            lines: LineReader::new(LinePolicy::strict(line_max)),
            unstuffer: crate::dot::DotUnstuffer::new(crate::dot::DotPolicy::Strict),
            out: BytesMut::new(),
            events: VecDeque::new(),
            pending: None,
            phase: Phase::Command,
            hello: None,
            tls: false,
            authenticated: false,
            tx: None,
            errors: 0,
            eof: false,
            now: Instant::ZERO,
            last_input: Instant::ZERO,
            chunk_size: 0,
            discard_reason: "",
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
    /// let s = wirestate::smtp::SmtpServer::new(wirestate::smtp::ServerConfig::new("mx").unwrap());
    /// assert_eq!(s.config().hostname.as_str(), "mx");
    /// ```
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// True after an accepted STARTTLS.
    ///
    /// ```
    /// let s = wirestate::smtp::SmtpServer::new(wirestate::smtp::ServerConfig::new("mx").unwrap());
    /// assert!(!s.is_tls());
    /// ```
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// What EHLO offers right now (AUTH only with TLS unless configured; no STARTTLS
    /// once TLS is on).
    ///
    /// ```
    /// let s = wirestate::smtp::SmtpServer::new(wirestate::smtp::ServerConfig::new("mx").unwrap());
    /// assert!(s.capabilities().chunking);
    /// ```
    pub fn capabilities(&self) -> Capabilities {
        let c = &self.config;
        Capabilities {
            pipelining: c.pipelining,
            size: Some(c.max_message_size.unwrap_or(0)),
            eightbitmime: c.eightbitmime,
            smtputf8: c.smtputf8,
            enhanced_status_codes: c.enhanced_status_codes,
            chunking: c.chunking,
            binarymime: c.binarymime && c.chunking,
            dsn: c.dsn,
            starttls: c.starttls && !self.tls,
            auth: if self.auth_offered() {
                c.auth.clone()
            } else {
                Vec::new()
            },
            other: Vec::new(),
        }
    }

    pub(super) fn auth_offered(&self) -> bool {
        !self.config.auth.is_empty() && (self.tls || self.config.auth_without_tls)
    }

    /// A reply with the enhanced code only when ENHANCEDSTATUSCODES is on.
    pub(super) fn r(&self, code: u16, enh: (u8, u16, u16), text: &str) -> Reply {
        // RFC 2034 2: enhanced codes go on 2xx, 4xx and 5xx replies only.
        let on = self.config.enhanced_status_codes && code / 100 != 3;
        Reply::fixed(code, on.then_some(enh), text)
    }

    pub(super) fn send(&mut self, reply: Reply) {
        reply.encode(&mut self.out);
    }

    /// Queues a machine-made refusal and reports it; too many end the connection.
    pub(super) fn refuse(&mut self, reply: Reply, reason: &'static str) {
        let offset = self.line_start + self.err_within;
        self.err_within = 0;
        self.send(reply.clone());
        self.events.push_back(ServerEvent::Rejected {
            reply,
            reason,
            offset,
        });
        self.errors += 1;
        if self.errors >= self.config.limits.errors {
            let r = self.r(421, (4, 7, 0), "Too many errors, closing connection");
            self.close(r, CloseReason::TooManyErrors);
        }
    }

    pub(super) fn close(&mut self, reply: Reply, reason: CloseReason) {
        self.send(reply);
        self.shut(reason);
    }

    pub(super) fn shut(&mut self, reason: CloseReason) {
        if matches!(self.phase, Phase::Data | Phase::Bdat { .. }) {
            let why = match reason {
                CloseReason::Timeout => AbortReason::Timeout,
                CloseReason::Framing(e) => AbortReason::Framing(e),
                _ => AbortReason::PeerClosed,
            };
            if self.tx.as_ref().is_some_and(|t| t.aborted.is_none()) {
                self.events.push_back(ServerEvent::DataAborted(why));
            }
        }
        self.phase = Phase::Closed;
        self.pending = None;
        self.events.push_back(ServerEvent::Closed(reason));
    }

    /// Accepts the pending decision with its default positive reply.
    ///
    /// ```
    /// use wirestate::smtp::{ServerConfig, SmtpServer};
    /// use wirestate::{Instant, Machine};
    /// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
    /// s.handle_input(Instant::ZERO, b"HELO c\r\n");
    /// s.poll_event();
    /// s.accept().unwrap();
    /// assert!(s.poll_transmit().unwrap().ends_with(b"250 mx\r\n"));
    /// ```
    pub fn accept(&mut self) -> Result<(), SendError> {
        let p = self.take_pending()?;
        self.resolve(p, None);
        Ok(())
    }

    /// Accepts the pending decision with the caller's own positive (2xx) reply, or 3xx
    /// for DATA.
    ///
    /// ```
    /// use wirestate::smtp::{Reply, ServerConfig, SmtpServer};
    /// use wirestate::{Instant, Machine};
    /// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
    /// s.poll_transmit();
    /// s.handle_input(Instant::ZERO, b"HELO c\r\n");
    /// s.poll_event();
    /// s.accept_with(Reply::new(250, "hi there").unwrap()).unwrap();
    /// assert_eq!(&s.poll_transmit().unwrap()[..], b"250 hi there\r\n");
    /// ```
    pub fn accept_with(&mut self, reply: Reply) -> Result<(), SendError> {
        let ok = match &self.pending {
            Some((Pending::DataStart { bdat: None }, true)) => reply.code().is_intermediate(),
            Some(_) => reply.code().is_positive(),
            None => true,
        };
        if !ok {
            return Err(SendError::WrongReplyClass);
        }
        let p = self.take_pending()?;
        self.resolve(p, Some(reply));
        Ok(())
    }

    /// Rejects the pending decision with a 4xx or 5xx reply (in LMTP, a rejected
    /// DataEnd sends it once per recipient).
    ///
    /// ```
    /// use wirestate::smtp::{Reply, ServerConfig, ServerEvent, SmtpServer};
    /// use wirestate::{Instant, Machine};
    /// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
    /// s.poll_transmit();
    /// s.handle_input(Instant::ZERO, b"HELO c\r\nMAIL FROM:<spam@x>\r\n");
    /// s.poll_event();
    /// s.accept().unwrap();
    /// assert!(matches!(s.poll_event(), Some(ServerEvent::MailFrom { .. })));
    /// assert!(s.reject(Reply::new(250, "no").unwrap()).is_err());
    /// s.reject(Reply::new(550, "go away").unwrap()).unwrap();
    /// assert!(s.poll_transmit().unwrap().ends_with(b"550 go away\r\n"));
    /// ```
    pub fn reject(&mut self, reply: Reply) -> Result<(), SendError> {
        if !reply.code().is_negative() {
            return Err(SendError::WrongReplyClass);
        }
        let p = self.take_pending()?;
        self.resolve(p, Some(reply));
        Ok(())
    }

    /// Answers an LMTP DataEnd with one reply per accepted recipient, in RCPT order
    /// (RFC 2033 4.2).
    ///
    /// ```
    /// use wirestate::smtp::{Reply, ServerConfig, SmtpServer};
    /// let mut s = SmtpServer::new(ServerConfig::new("mx").unwrap());
    /// assert!(s.reply_per_recipient(&[Reply::new(250, "ok").unwrap()]).is_err());
    /// ```
    pub fn reply_per_recipient(&mut self, replies: &[Reply]) -> Result<(), SendError> {
        match &self.pending {
            Some((Pending::DataEnd { recipients }, true)) if self.config.lmtp => {
                if *recipients != replies.len() {
                    return Err(SendError::WrongState("one reply per accepted recipient"));
                }
            }
            _ => return Err(SendError::NothingPending),
        }
        self.pending = None;
        for r in replies {
            self.send(r.clone());
        }
        self.end_transaction();
        Ok(())
    }

    fn take_pending(&mut self) -> Result<Pending, SendError> {
        match self.pending.take() {
            Some((p, true)) => Ok(p),
            other => {
                self.pending = other;
                Err(if self.phase_closed() {
                    SendError::Closed
                } else {
                    SendError::NothingPending
                })
            }
        }
    }

    fn phase_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Applies a decision; `reply` `None` means the default for that decision.
    fn resolve(&mut self, p: Pending, reply: Option<Reply>) {
        let positive = reply.as_ref().is_none_or_positive();
        match p {
            Pending::Hello(verb) => {
                if positive {
                    self.hello = Some(verb);
                    let r = reply.unwrap_or_else(|| self.hello_reply(verb));
                    self.send(r);
                } else if let Some(r) = reply {
                    self.send(r);
                }
            }
            Pending::Mail { smtputf8, binary } => {
                if positive {
                    self.tx = Some(Transaction {
                        smtputf8,
                        binary,
                        ..Transaction::default()
                    });
                }
                let r = reply.unwrap_or_else(|| self.r(250, (2, 1, 0), "Ok"));
                self.send(r);
            }
            Pending::Rcpt => {
                if positive {
                    if let Some(t) = &mut self.tx {
                        t.recipients += 1;
                    }
                }
                let r = reply.unwrap_or_else(|| self.r(250, (2, 1, 5), "Ok"));
                self.send(r);
            }
            Pending::DataStart { bdat } => self.resolve_data_start(bdat, reply),
            Pending::DataEnd { recipients } => {
                let r = reply.unwrap_or_else(|| self.r(250, (2, 0, 0), "Ok: queued"));
                let n = if self.config.lmtp { recipients } else { 1 };
                for _ in 0..n {
                    self.send(r.clone());
                }
                self.end_transaction();
            }
            Pending::Auth => {
                self.authenticated = positive;
                let r =
                    reply.unwrap_or_else(|| self.r(235, (2, 7, 0), "Authentication successful"));
                self.send(r);
            }
            Pending::StartTls => {
                let r = reply.unwrap_or_else(|| self.r(220, (2, 0, 0), "Ready to start TLS"));
                self.send(r);
                if positive {
                    // RFC 3207 4.2 / CVE-2011-0411: nothing received before the handshake
                    // may be taken as sent under TLS, and all prior knowledge is dropped.
                    self.buf.clear();
                    self.lines.reset();
                    self.tls = true;
                    self.hello = None;
                    self.authenticated = false;
                    self.tx = None;
                }
            }
            Pending::Verify => {
                let r = reply.unwrap_or_else(|| {
                    self.r(252, (2, 5, 2), "Cannot VRFY user, but will accept message")
                });
                self.send(r);
            }
        }
    }

    fn hello_reply(&self, verb: HelloVerb) -> Reply {
        let name = self.config.hostname.as_str();
        if verb == HelloVerb::Helo {
            return Reply::fixed(250, None, name);
        }
        let mut lines = alloc::vec![String::from(name)];
        lines.extend(self.capabilities().ehlo_lines());
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        Reply::multiline(250, None, &refs).unwrap_or_else(|_| Reply::fixed(250, None, name))
    }

    pub(super) fn end_transaction(&mut self) {
        self.tx = None;
        self.phase = Phase::Command;
    }

    /// Decodes one command line and acts on it. Returns false when more input is needed.
    fn step_command(&mut self) -> bool {
        self.line_start = self.buf.consumed();
        let line = match self.lines.poll(&mut self.buf) {
            None => return false,
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                self.line_start = e.offset;
                let (text, reason) = match e.kind {
                    LineErrorKind::TooLong { .. } => {
                        ("Line too long", "RFC 5321 4.5.3.1.4: command line too long")
                    }
                    LineErrorKind::BareLf => (
                        "Bare <LF> received",
                        "RFC 5321 2.3.8: bare LF in command line",
                    ),
                    LineErrorKind::BareCr => (
                        "Bare <CR> received",
                        "RFC 5321 2.3.8: bare CR in command line",
                    ),
                };
                let r = self.r(500, (5, 5, 2), text);
                self.refuse(r, reason);
                return true;
            }
        };
        if let Phase::AuthResponse { .. } = self.phase {
            self.auth_response(&line.text);
            return true;
        }
        let is_auth = line.text.len() >= 5 && line.text[..5].eq_ignore_ascii_case(b"AUTH ");
        if line.text.len() + 2 > self.config.limits.command_line && !is_auth {
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
                let r = self.r(
                    501,
                    (5, 5, 4),
                    &format!("Syntax error: {} at byte {}", e.rule, e.offset),
                );
                self.refuse(r, e.rule);
            }
            Err(CommandError::Parameter(e)) => {
                self.err_within = e.offset as u64;
                let r = self.r(
                    555,
                    (5, 5, 4),
                    &format!("Parameter not supported: {}", e.rule),
                );
                self.refuse(r, e.rule);
            }
        }
        true
    }

    pub(super) fn decide(&mut self, p: Pending, ev: ServerEvent) {
        self.pending = Some((p, false));
        self.events.push_back(ev);
    }

    pub(super) fn seq(&mut self, text: &str, reason: &'static str) {
        let r = self.r(503, (5, 5, 1), text);
        self.refuse(r, reason);
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Helo(host) => self.hello_command(HelloVerb::Helo, host),
            Command::Ehlo(host) => self.hello_command(HelloVerb::Ehlo, host),
            Command::Lhlo(host) => self.hello_command(HelloVerb::Lhlo, host),
            Command::Mail { from, params } => self.mail(from, params),
            Command::Rcpt { to, params } => self.rcpt(to, params),
            Command::Data => self.data_command(),
            Command::Bdat { size, last } => self.bdat_command(size, last),
            Command::Rset => {
                if self.tx.take().is_some() {
                    self.events.push_back(ServerEvent::Reset);
                }
                let r = self.r(250, (2, 0, 0), "Ok");
                self.send(r);
            }
            Command::Vrfy(s) => self.decide(Pending::Verify, ServerEvent::Verify(s)),
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
                if self.tx.is_some() {
                    self.events.push_back(ServerEvent::Reset);
                }
                let r = self.r(221, (2, 0, 0), "Bye");
                self.close(r, CloseReason::Quit);
            }
            Command::StartTls => {
                if !self.config.starttls {
                    let r = self.r(502, (5, 5, 1), "STARTTLS not offered");
                    self.refuse(r, "RFC 3207 4: STARTTLS not offered");
                } else if self.tls {
                    self.seq("TLS already active", "RFC 3207 4: STARTTLS after TLS");
                } else if self.hello != Some(HelloVerb::Ehlo) && self.hello != Some(HelloVerb::Lhlo)
                {
                    self.seq("Send EHLO first", "RFC 3207 4: STARTTLS follows EHLO");
                } else if self.tx.is_some() {
                    self.seq(
                        "STARTTLS inside a transaction",
                        "RFC 5321 4.1.4: finish or RSET the transaction first",
                    );
                } else {
                    self.decide(Pending::StartTls, ServerEvent::StartTls);
                }
            }
            Command::Auth { mechanism, initial } => self.auth_command(mechanism, initial),
        }
    }

    fn hello_command(&mut self, verb: HelloVerb, host: Host) {
        if self.config.lmtp != (verb == HelloVerb::Lhlo) {
            let r = self.r(
                500,
                (5, 5, 1),
                if self.config.lmtp {
                    "Use LHLO"
                } else {
                    "Command unrecognized"
                },
            );
            return self.refuse(r, "RFC 2033 4.1: LMTP uses LHLO, SMTP uses HELO/EHLO");
        }
        // RFC 5321 4.1.4: a new EHLO/HELO is an implicit RSET.
        if self.tx.take().is_some() {
            self.events.push_back(ServerEvent::Reset);
        }
        self.decide(Pending::Hello(verb), ServerEvent::Hello { verb, host });
    }

    /// RFC 5321 4.5.3.1.3 / 4.5.3.1.10: a path over the limit is "501 Path too long".
    fn path_too_long(&mut self, path: &dyn core::fmt::Display, enh: (u8, u16, u16)) -> bool {
        if format!("{path}").len() <= self.config.limits.path {
            return false;
        }
        let r = self.r(501, enh, "Path too long");
        self.refuse(r, "RFC 5321 4.5.3.1.3: path longer than the limit");
        true
    }

    fn mail(&mut self, from: ReversePath, params: MailParams) {
        if self.path_too_long(&from, (5, 1, 7)) {
            return;
        }
        if self.hello.is_none() {
            return self.seq(
                "Send HELO/EHLO first",
                "RFC 5321 4.1.4: MAIL before HELO/EHLO",
            );
        }
        if self.tx.is_some() {
            return self.seq(
                "Nested MAIL command",
                "RFC 5321 4.1.4: MAIL inside a transaction",
            );
        }
        let c = &self.config;
        let ehlo = self.hello != Some(HelloVerb::Helo);
        let unsupported = if !ehlo && params != MailParams::default() {
            Some("RFC 5321 4.1.1.11: parameters need EHLO")
        } else if params.body == Some(Body::EightBitMime) && !c.eightbitmime {
            Some("RFC 6152: 8BITMIME not offered")
        } else if params.body == Some(Body::BinaryMime) && !(c.binarymime && c.chunking) {
            Some("RFC 3030 3: BINARYMIME not offered")
        } else if params.smtputf8 && !c.smtputf8 {
            Some("RFC 6531: SMTPUTF8 not offered")
        } else if (params.ret.is_some() || params.envid.is_some()) && !c.dsn {
            Some("RFC 3461: DSN not offered")
        } else if params.auth.is_some() && !self.auth_offered() {
            Some("RFC 4954 5: AUTH not offered")
        } else if !params.other.is_empty() {
            Some("RFC 5321 4.1.1.11: unknown MAIL parameter")
        } else {
            None
        };
        if let Some(reason) = unsupported {
            let r = self.r(555, (5, 5, 4), "Unsupported MAIL parameter");
            return self.refuse(r, reason);
        }
        if let (Some(n), Some(max)) = (params.size, self.config.max_message_size) {
            if n > max {
                // RFC 1870 6.1: declared size over the fixed maximum.
                let r = self.r(
                    552,
                    (5, 3, 4),
                    "Message size exceeds fixed maximum message size",
                );
                return self.refuse(r, "RFC 1870 6.1: declared SIZE over the limit");
            }
        }
        let p = Pending::Mail {
            smtputf8: params.smtputf8,
            binary: params.body == Some(Body::BinaryMime),
        };
        self.decide(p, ServerEvent::MailFrom { from, params });
    }

    fn rcpt(&mut self, to: ForwardPath, params: RcptParams) {
        if self.path_too_long(&to, (5, 1, 3)) {
            return;
        }
        let Some(tx) = &self.tx else {
            return self.seq("Need MAIL command", "RFC 5321 4.1.4: RCPT before MAIL");
        };
        if tx.bdat {
            return self.seq("RCPT after BDAT", "RFC 3030 2: no RCPT once BDAT has begun");
        }
        if to.mailbox().is_some_and(|m| m.is_utf8()) && !tx.smtputf8 {
            let r = self.r(553, (5, 6, 7), "Non-ASCII address needs SMTPUTF8");
            return self.refuse(r, "RFC 6531 3.4: UTF-8 recipient without SMTPUTF8");
        }
        if (params.notify.is_some() || params.orcpt.is_some()) && !self.config.dsn {
            let r = self.r(555, (5, 5, 4), "Unsupported RCPT parameter");
            return self.refuse(r, "RFC 3461: DSN not offered");
        }
        if !params.other.is_empty() {
            let r = self.r(555, (5, 5, 4), "Unsupported RCPT parameter");
            return self.refuse(r, "RFC 5321 4.1.1.11: unknown RCPT parameter");
        }
        if tx.recipients >= self.config.limits.recipients {
            let r = self.r(452, (4, 5, 3), "Too many recipients");
            return self.refuse(r, "RFC 5321 4.5.3.1.10: recipient limit reached");
        }
        self.decide(Pending::Rcpt, ServerEvent::RcptTo { to, params });
    }

    /// Decodes input until an event is produced or more input is needed.
    fn step(&mut self) -> bool {
        match self.phase {
            Phase::Closed => false,
            Phase::Command | Phase::AuthResponse { .. } => self.step_command(),
            Phase::Data => self.step_data(),
            Phase::Bdat { .. } | Phase::BdatDiscard { .. } => self.step_bdat(),
        }
    }
}

trait PositiveOrDefault {
    fn is_none_or_positive(&self) -> bool;
}

impl PositiveOrDefault for Option<&Reply> {
    fn is_none_or_positive(&self) -> bool {
        self.map_or(true, |r| !r.code().is_negative())
    }
}

impl Machine for SmtpServer {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.now = self.now.max(now);
        if self.phase_closed() || self.eof {
            return;
        }
        self.last_input = self.now;
        if self.buf.push(bytes).is_err() {
            let r = self.r(
                421,
                (4, 7, 0),
                "Too much pipelined input, closing connection",
            );
            self.close(r, CloseReason::InputOverflow);
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.poll_timeout().is_some_and(|d| d <= self.now) {
            let text = format!("{} Error: timeout exceeded", self.config.hostname);
            let r = self.r(421, (4, 4, 2), &text);
            self.close(r, CloseReason::Timeout);
        }
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        // A decision already handed out and left unanswered gets its default now; one
        // not yet handed out (other events queued before it) stays pending.
        let handed_out = matches!(self.pending, Some((_, true)));
        if let Some((p, _)) = if handed_out {
            self.pending.take()
        } else {
            None
        } {
            // No opinion from the caller: accept, except credentials, which nobody vouched for.
            let default = match p {
                Pending::Auth => Some(self.r(535, (5, 7, 8), "Authentication credentials invalid")),
                _ => None,
            };
            self.resolve(p, default);
        }
        loop {
            if let Some(ev) = self.events.pop_front() {
                if self.events.is_empty() {
                    if let Some((_, seen)) = &mut self.pending {
                        *seen = true;
                    }
                }
                return Some(ev);
            }
            if self.pending.is_some() || self.phase_closed() {
                return None;
            }
            if !self.step() {
                if self.eof && !self.phase_closed() {
                    self.shut(CloseReason::PeerClosed);
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
        let t = &self.config.timeouts;
        match self.phase {
            Phase::Closed => None,
            Phase::Data | Phase::Bdat { .. } | Phase::BdatDiscard { .. } => {
                Some(self.last_input + t.data)
            }
            _ => Some(self.last_input + t.command),
        }
    }

    fn is_closed(&self) -> bool {
        self.phase_closed()
    }
}

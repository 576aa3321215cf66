//! The client machine and all its transitions: greeting, EHLO with HELO fallback
//! (RFC 5321 4.1.1.1, 3.2), STARTTLS (RFC 3207), AUTH PLAIN/LOGIN (RFC 4954),
//! transactions with PIPELINING (RFC 2920) and BDAT (RFC 3030), per-recipient results,
//! LMTP (RFC 2033), and the client timeouts of RFC 5321 4.5.3.2. Each reply is matched,
//! in order, against the command it answers (RFC 2920 3.1). The replies within a
//! transaction (MAIL, RCPT, DATA, BDAT, the end of data) are handled in `client_tx.rs`.

use super::address::ForwardPath;
use super::auth::{AuthMechanism, Credentials};
use super::client_body::BodyEncoder;
pub use super::client_config::{ClientConfig, Envelope};
pub use super::client_event::ClientEvent;
use super::command::{Body, Command, RcptParams};
use super::error::{Error, ErrorKind};
use super::ext::Capabilities;
use super::reply::{Reply, ReplyParser};
use crate::buffer::RecvBuffer;
use crate::{CloseReason, Instant, Machine, SendError};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::{BufMut, Bytes, BytesMut};
use core::time::Duration;

// A child module, so the transaction handlers see the machine's private state as the
// rest of the machine does, with no wider visibility.
#[path = "client_tx.rs"]
mod tx;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    AuthPlain,
    AuthLoginUser,
    AuthLoginPass,
    AuthDone,
    Mail,
    Rcpt(usize),
    Data,
    /// The empty message sent after an unwanted 354 (RFC 2920 3.1).
    DataDiscard,
    Bdat,
    BdatLast,
    DataEnd,
    Rset,
    Quit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyState {
    /// Not yet allowed.
    Waiting,
    /// The caller may send.
    Open,
    /// `send_end` was called.
    Ended,
}

#[derive(Clone, Debug)]
struct Tx {
    recipients: Vec<(ForwardPath, RcptParams)>,
    next_rcpt: usize,
    accepted: Vec<usize>,
    failed: bool,
    body: BodyState,
    encoder: BodyEncoder,
    bdat_outstanding: usize,
    lmtp_pending: usize,
    last_reply: Option<Reply>,
}

/// The SMTP/LMTP client machine.
///
/// * Body: after `send_mail`, [`wants_body`](Machine::wants_body) turns true once the
///   body may go (after the `354`, or after the recipients for BDAT, and for BDAT
///   without PIPELINING again after each chunk's reply); give it
///   [`send_data`](Client::send_data) chunks, then [`send_end`](Client::send_end) (or
///   [`send_last`](Client::send_last) for the last chunk and the end in one).
/// * Flow control: [`wants_input`](Machine::wants_input) is false once closed and
///   while a TLS switch is due.
/// * TLS: with [`ClientConfig::starttls`], when the server's `220` to STARTTLS is
///   decoded [`wants_tls`](Machine::wants_tls) is true; after the handshake
///   [`handle_tls_established`](Machine::handle_tls_established) sends EHLO again.
///   Plaintext the server sent behind its `220` is [`ErrorKind::TlsInjection`].
///   Called before the first byte, it marks implicit TLS (RFC 8314). A refused
///   STARTTLS ends the session ([`ErrorKind::StartTlsRefused`]) unless
///   [`ClientConfig::continue_without_tls`] says to go on in plaintext: then
///   [`ClientEvent::StartTlsRefused`] reports the reply and the session goes on
///   (credentials still only with [`ClientConfig::auth_without_tls`]).
/// * Time: each command's reply has its RFC 5321 4.5.3.2 deadline in
///   [`Timeouts`](super::Timeouts); on expiry the client closes with
///   `Closed(CloseReason::Timeout)`.
///
/// ```
/// use wirestate::smtp::{Client, ClientConfig, ClientEvent, Envelope, ForwardPath, ReversePath};
/// use wirestate::{Instant, Machine};
///
/// let mut c = Client::new(ClientConfig::default());
/// c.handle_input(Instant::ZERO, b"220 mx ready\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Greeting(_))));
/// assert_eq!(&c.poll_transmit().unwrap()[..], b"EHLO localhost\r\n");
/// c.handle_input(Instant::ZERO, b"250-mx\r\n250 PIPELINING\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Ready)));
/// let env = Envelope::new(ReversePath::parse("<a@x.org>").unwrap(), vec![ForwardPath::parse("<b@y.org>").unwrap()]);
/// c.send_mail(env).unwrap();
/// assert_eq!(&c.poll_transmit().unwrap()[..], b"MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nDATA\r\n");
/// assert!(!c.wants_body()); // waiting for the 354
/// ```
pub struct Client {
    config: ClientConfig,
    buf: RecvBuffer,
    parser: ReplyParser,
    out: BytesMut,
    events: VecDeque<ClientEvent>,
    expect: VecDeque<Expect>,
    caps: Capabilities,
    tls: bool,
    tls_due: bool,
    /// The server refused STARTTLS and the config said to go on: not asked again.
    starttls_refused: bool,
    authenticated: bool,
    tx: Option<Tx>,
    idle: bool,
    closed: bool,
    eof: bool,
    now: Instant,
    deadline: Option<Instant>,
    /// Stream offset where the reply being read starts.
    reply_start: u64,
}

impl Client {
    /// A client waiting for the server's greeting.
    ///
    /// ```
    /// use wirestate::Machine;
    /// let mut c = wirestate::smtp::Client::new(wirestate::smtp::ClientConfig::default());
    /// assert!(c.poll_transmit().is_none()); // the server speaks first
    /// ```
    pub fn new(config: ClientConfig) -> Client {
        let l = &config.limits;
        let mut c = Client {
            buf: RecvBuffer::new(l.max_buffered.max(l.max_reply_line).max(1024)),
            parser: ReplyParser::with_limits(l.max_reply_line, l.max_reply_lines),
            out: BytesMut::new(),
            events: VecDeque::new(),
            expect: VecDeque::new(),
            caps: Capabilities::default(),
            tls: false,
            tls_due: false,
            starttls_refused: false,
            authenticated: false,
            tx: None,
            idle: false,
            closed: false,
            eof: false,
            now: Instant::ZERO,
            deadline: None,
            reply_start: 0,
            config,
        };
        c.expect(Expect::Greeting);
        c
    }

    /// What the server offered in its last EHLO reply.
    ///
    /// ```
    /// let c = wirestate::smtp::Client::new(wirestate::smtp::ClientConfig::default());
    /// assert!(!c.capabilities().pipelining);
    /// ```
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// True when idle: a transaction may start.
    ///
    /// ```
    /// let c = wirestate::smtp::Client::new(wirestate::smtp::ClientConfig::default());
    /// assert!(!c.is_ready());
    /// ```
    pub fn is_ready(&self) -> bool {
        self.idle && !self.closed
    }

    /// True once the channel is TLS (after STARTTLS, or implicit TLS).
    ///
    /// ```
    /// let c = wirestate::smtp::Client::new(wirestate::smtp::ClientConfig::default());
    /// assert!(!c.is_tls());
    /// ```
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Starts a transaction. Checks, before anything is queued, that the server offers
    /// what the envelope needs: SMTPUTF8 for UTF-8 addresses (RFC 6531 3.4), 8BITMIME
    /// for `BODY=8BITMIME`, DSN for DSN parameters, and that a declared SIZE fits.
    ///
    /// ```
    /// use wirestate::smtp::{Body, Client, ClientConfig, Envelope, ReversePath, SendError};
    /// use wirestate::{Instant, Machine};
    /// let mut c = Client::new(ClientConfig::default());
    /// c.handle_input(Instant::ZERO, b"220 mx\r\n250 mx\r\n");
    /// while c.poll_event().is_some() {}
    /// let mut env = Envelope::new(ReversePath::Null, vec![]);
    /// env.params.body = Some(Body::EightBitMime);
    /// assert_eq!(c.send_mail(env), Err(SendError::Unsupported("8BITMIME")));
    /// ```
    pub fn send_mail(&mut self, env: Envelope) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if !self.idle {
            return Err(SendError::OutOfTurn(
                "a transaction needs an idle connection (wait for Ready)",
            ));
        }
        let bdat = self.caps.chunking && self.config.chunking;
        let params = env.checked_params(&self.caps, bdat)?;
        // Encode everything first so a bad argument queues nothing.
        let binary = params.body == Some(Body::BinaryMime);
        let mut staged = BytesMut::new();
        Command::Mail {
            from: env.from,
            params,
        }
        .encode(&mut staged)?;
        let mut rcpts = Vec::new();
        for (to, p) in &env.recipients {
            let mut one = BytesMut::new();
            Command::Rcpt {
                to: to.clone(),
                params: p.clone(),
            }
            .encode(&mut one)?;
            rcpts.push(one);
        }
        let pipelining = self.pipelining();
        self.idle = false;
        self.out.put(staged);
        self.expect(Expect::Mail);
        let n = rcpts.len();
        if pipelining {
            // RFC 2920 3.1: MAIL, RCPT... may be grouped; DATA must be last in a group.
            for (i, r) in rcpts.into_iter().enumerate() {
                self.out.put(r);
                self.expect(Expect::Rcpt(i));
            }
            if !bdat {
                self.cmd(&Command::Data, Expect::Data);
            }
        }
        self.tx = Some(Tx {
            recipients: env.recipients,
            next_rcpt: if pipelining { n } else { 0 },
            accepted: Vec::new(),
            failed: false,
            body: BodyState::Waiting,
            encoder: if bdat {
                BodyEncoder::chunks(binary)
            } else {
                BodyEncoder::dot()
            },
            bdat_outstanding: 0,
            lmtp_pending: 0,
            last_reply: None,
        });
        Ok(())
    }

    /// Sends a piece of the body: dot-stuffed for DATA, as one `BDAT n` chunk with
    /// CHUNKING; bare CR and LF become CRLF either way ([`crate::line::Canonicalizer`]).
    /// Only while [`wants_body`](Machine::wants_body) is true; memory stays bounded by
    /// what the caller passes in.
    ///
    /// ```
    /// let mut c = wirestate::smtp::Client::new(wirestate::smtp::ClientConfig::default());
    /// assert!(c.send_data(bytes::Bytes::from_static(b"too early")).is_err());
    /// ```
    pub fn send_data(&mut self, chunk: Bytes) -> Result<(), SendError> {
        self.body(&chunk, false)
    }

    /// Ends the body: `CRLF.CRLF` after DATA, `BDAT 0 LAST` with CHUNKING (with the
    /// final CRLF of a last line that lacks one).
    ///
    /// ```
    /// let mut c = wirestate::smtp::Client::new(wirestate::smtp::ClientConfig::default());
    /// assert!(c.send_end().is_err());
    /// ```
    pub fn send_end(&mut self) -> Result<(), SendError> {
        self.body(&[], true)
    }

    /// Sends the last piece and ends the body in one: stuffed plus `CRLF.CRLF` after
    /// DATA, one `BDAT n LAST` with CHUNKING (saving a round trip, RFC 3030 4.1).
    ///
    /// ```
    /// let mut c = wirestate::smtp::Client::new(wirestate::smtp::ClientConfig::default());
    /// assert!(c.send_last(bytes::Bytes::from_static(b"bye\r\n")).is_err()); // no transaction
    /// ```
    pub fn send_last(&mut self, chunk: Bytes) -> Result<(), SendError> {
        self.body(&chunk, true)
    }

    fn body(&mut self, piece: &[u8], last: bool) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if !self.wants_body() {
            return Err(SendError::OutOfTurn(
                "the body cannot be sent now (wait for wants_body)",
            ));
        }
        let n = if self.config.lmtp {
            self.tx.as_ref().map_or(1, |t| t.accepted.len())
        } else {
            1
        };
        let Some(t) = &mut self.tx else {
            return Err(SendError::OutOfTurn("no transaction"));
        };
        let bdat = t.encoder.is_bdat();
        if t.encoder.write(piece, last, &mut self.out) && !last {
            t.bdat_outstanding += 1;
            self.expect(Expect::Bdat);
        }
        if last {
            let Some(t) = &mut self.tx else {
                return Ok(());
            };
            if bdat {
                t.bdat_outstanding += 1;
            }
            t.body = BodyState::Ended;
            t.lmtp_pending = n;
            for _ in 0..n {
                self.expect(if bdat {
                    Expect::BdatLast
                } else {
                    Expect::DataEnd
                });
            }
        }
        Ok(())
    }

    /// Sends QUIT (when idle, or to give up on a failed connection).
    ///
    /// ```
    /// let mut c = wirestate::smtp::Client::new(wirestate::smtp::ClientConfig::default());
    /// assert!(c.quit().is_err()); // not before the greeting
    /// ```
    pub fn quit(&mut self) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if !self.idle {
            return Err(SendError::OutOfTurn("QUIT waits for an idle connection"));
        }
        self.idle = false;
        self.cmd(&Command::Quit, Expect::Quit);
        Ok(())
    }

    /// Sends RSET when idle (e.g. to check a pooled connection is alive).
    ///
    /// ```
    /// let mut c = wirestate::smtp::Client::new(wirestate::smtp::ClientConfig::default());
    /// assert!(c.reset().is_err());
    /// ```
    pub fn reset(&mut self) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if !self.idle {
            return Err(SendError::OutOfTurn("RSET waits for an idle connection"));
        }
        self.idle = false;
        self.cmd(&Command::Rset, Expect::Rset);
        Ok(())
    }

    fn pipelining(&self) -> bool {
        self.caps.pipelining && self.config.pipelining
    }

    fn timeout_for(&self, e: Expect) -> Option<Duration> {
        let t = &self.config.timeouts;
        match e {
            Expect::Greeting => t.greeting,
            Expect::Mail => t.mail,
            Expect::Rcpt(_) => t.rcpt,
            Expect::Data => t.data_initiation,
            Expect::Bdat => t.data_block,
            Expect::DataEnd | Expect::DataDiscard | Expect::BdatLast => t.data_termination,
            _ => t.reply,
        }
    }

    fn expect(&mut self, e: Expect) {
        if self.expect.is_empty() {
            self.deadline = self.timeout_for(e).map(|d| self.now + d);
        }
        self.expect.push_back(e);
    }

    /// Queues a command the machine builds itself (its arguments are already valid).
    fn cmd(&mut self, c: &Command, e: Expect) {
        if c.encode(&mut self.out).is_ok() {
            self.expect(e);
        }
    }

    fn hello_cmd(&mut self) {
        let h = self.config.hello.clone();
        let c = if self.config.lmtp {
            Command::Lhlo(h)
        } else {
            Command::Ehlo(h)
        };
        self.cmd(&c, Expect::Ehlo);
    }

    fn fail(&mut self, kind: ErrorKind, offset: u64, reply: Option<Reply>) {
        self.events
            .push_back(ClientEvent::Error(Error::new(kind, offset, reply)));
        self.close(CloseReason::Error);
    }

    fn close(&mut self, reason: CloseReason) {
        self.events.push_back(ClientEvent::Closed(reason));
        self.closed = true;
        self.tls_due = false;
        self.expect.clear();
        self.deadline = None;
    }

    /// RFC 5321 3.1: after a refusal the client should still say QUIT; then it fails.
    fn quit_and_fail(&mut self, kind: ErrorKind, offset: u64, reply: Reply) {
        let _ = Command::Quit.encode(&mut self.out);
        self.fail(kind, offset, Some(reply));
    }

    fn ready(&mut self) {
        self.idle = true;
        self.events.push_back(ClientEvent::Ready);
    }

    fn on_reply(&mut self, reply: Reply, at: u64) {
        let code = reply.code().get();
        let Some(e) = self.expect.pop_front() else {
            let kind = if code == 421 {
                ErrorKind::ServiceClosing
            } else {
                ErrorKind::UnexpectedReply
            };
            return self.fail(kind, at, Some(reply));
        };
        self.deadline = self
            .expect
            .front()
            .and_then(|&n| self.timeout_for(n))
            .map(|d| self.now + d);
        // RFC 5321 3.8: 421 may answer any command; the server is closing.
        if code == 421 && e != Expect::Quit {
            return self.fail(ErrorKind::ServiceClosing, at, Some(reply));
        }
        let ok = reply.code().is_positive();
        match e {
            Expect::Greeting if code == 220 => {
                self.events.push_back(ClientEvent::Greeting(reply));
                self.hello_cmd();
            }
            Expect::Ehlo if ok => {
                self.caps = Capabilities::from_ehlo(&reply);
                self.after_hello();
            }
            // RFC 5321 4.1.1.1 / 3.2: a server that does not know EHLO gets HELO.
            Expect::Ehlo if !self.config.lmtp && reply.code().is_permanent() => {
                let h = self.config.hello.clone();
                self.cmd(&Command::Helo(h), Expect::Helo);
            }
            Expect::Helo if ok => {
                self.caps = Capabilities::default();
                self.after_hello();
            }
            Expect::StartTls if code == 220 => {
                // RFC 3207 4.2: nothing more in plaintext; the driver switches now.
                self.tls_due = true;
            }
            Expect::AuthLoginUser | Expect::AuthLoginPass if code == 334 => {
                let creds = self
                    .config
                    .credentials
                    .clone()
                    .unwrap_or_else(|| Credentials::new("", ""));
                let next = if e == Expect::AuthLoginUser {
                    crate::base64::encode_into(creds.username.as_bytes(), &mut self.out);
                    Expect::AuthLoginPass
                } else {
                    crate::base64::encode_into(creds.password.expose(), &mut self.out);
                    Expect::AuthDone
                };
                self.out.extend_from_slice(b"\r\n");
                self.expect(next);
            }
            // RFC 4954 says 235; Postfix's smtp-sink says 250. RFC 5321 4.2.1: the first
            // digit decides, so any 2yz is success.
            Expect::AuthPlain | Expect::AuthDone if ok => {
                self.authenticated = true;
                self.events.push_back(ClientEvent::Authenticated(reply));
                self.ready();
            }
            Expect::Greeting => self.quit_and_fail(ErrorKind::GreetingRefused, at, reply),
            Expect::Ehlo | Expect::Helo => self.quit_and_fail(ErrorKind::HelloRefused, at, reply),
            // RFC 3207 4: after a refusal "the client must decide whether or not to
            // continue"; the session is still where EHLO left it, so it can go on.
            Expect::StartTls if self.config.continue_without_tls => {
                self.starttls_refused = true;
                self.events.push_back(ClientEvent::StartTlsRefused(reply));
                self.after_hello();
            }
            Expect::StartTls => self.quit_and_fail(ErrorKind::StartTlsRefused, at, reply),
            Expect::AuthPlain
            | Expect::AuthLoginUser
            | Expect::AuthLoginPass
            | Expect::AuthDone => self.quit_and_fail(ErrorKind::AuthRefused, at, reply),
            Expect::Mail => self.mail_reply(reply),
            Expect::Rcpt(i) => self.rcpt_reply(i, reply),
            Expect::Data => self.data_reply(reply),
            Expect::DataDiscard => {
                let first = self.first_failure().unwrap_or(reply);
                self.tx_failed(first);
            }
            Expect::Bdat => self.bdat_reply(reply),
            Expect::DataEnd | Expect::BdatLast => self.end_reply(reply),
            Expect::Rset => {
                self.tx = None;
                self.ready();
            }
            Expect::Quit => self.close(CloseReason::Done),
        }
    }

    fn after_hello(&mut self) {
        if self.config.starttls && self.caps.starttls && !self.tls && !self.starttls_refused {
            return self.cmd(&Command::StartTls, Expect::StartTls);
        }
        let Some(creds) = self.config.credentials.clone() else {
            return self.ready();
        };
        if self.authenticated {
            return self.ready();
        }
        let allowed = self.tls || self.config.auth_without_tls;
        if allowed && self.caps.auth.contains(&AuthMechanism::Plain) {
            // RFC 4954 4: the initial response saves a round trip. Written directly so
            // the secret never passes through a `Command` that might be logged.
            self.out.extend_from_slice(b"AUTH PLAIN ");
            self.out.extend_from_slice(creds.plain_response().expose());
            self.out.extend_from_slice(b"\r\n");
            self.expect(Expect::AuthPlain);
        } else if allowed && self.caps.auth.contains(&AuthMechanism::Login) {
            let c = Command::Auth {
                mechanism: AuthMechanism::Login,
                initial: None,
            };
            self.cmd(&c, Expect::AuthLoginUser);
        } else {
            let _ = Command::Quit.encode(&mut self.out);
            let at = self.reply_start;
            self.fail(ErrorKind::AuthNotOffered, at, None);
        }
    }
}

/// The state, never the buffers: queued bytes may hold the AUTH response, and `Debug`
/// output ends up in logs.
impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("expect", &self.expect)
            .field("caps", &self.caps)
            .field("tls", &self.tls)
            .field("tls_due", &self.tls_due)
            .field("starttls_refused", &self.starttls_refused)
            .field("idle", &self.idle)
            .field("closed", &self.closed)
            .field("buffered", &self.buf.len())
            .field("queued", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Machine for Client {
    type Event = ClientEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.now = self.now.max(now);
        if self.closed || bytes.is_empty() {
            return;
        }
        if self.tls_due {
            // RFC 3207 5: nothing may arrive between the 220 and the handshake.
            let at = self.buf.consumed() + self.buf.len() as u64;
            return self.fail(ErrorKind::TlsInjection, at, None);
        }
        if self.buf.push(bytes).is_err() {
            let at = self.buf.consumed() + self.buf.len() as u64;
            self.fail(ErrorKind::InputOverflow, at, None);
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.closed {
            return;
        }
        if self.deadline.is_some_and(|d| d <= self.now) && !self.expect.is_empty() {
            self.close(CloseReason::Timeout);
        }
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        loop {
            if let Some(ev) = self.events.pop_front() {
                return Some(ev);
            }
            if self.closed || self.tls_due {
                return None;
            }
            match self.parser.poll(&mut self.buf) {
                Some(Ok(r)) => {
                    let at = self.reply_start;
                    self.reply_start = self.buf.consumed();
                    self.on_reply(r, at);
                    if self.tls_due && !self.buf.is_empty() {
                        // Pipelined plaintext behind the 220 to STARTTLS: an injection.
                        let at = self.buf.consumed();
                        self.fail(ErrorKind::TlsInjection, at, None);
                    }
                }
                Some(Err(e)) => self.fail(ErrorKind::from_reply_error(e.kind), e.offset, None),
                None if self.eof => {
                    let unterminated = self.buf.len();
                    self.close(CloseReason::PeerClosed { unterminated });
                }
                None => return None,
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        (!self.out.is_empty()).then(|| self.out.split().freeze())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.closed || self.expect.is_empty() {
            None
        } else {
            self.deadline
        }
    }

    fn is_closed(&self) -> bool {
        self.closed
    }

    fn wants_input(&self) -> bool {
        !self.closed && !self.tls_due && !self.eof
    }

    fn wants_body(&self) -> bool {
        let Some(tx) = &self.tx else { return false };
        !self.closed
            && tx.body == BodyState::Open
            && !tx.failed
            && (!tx.encoder.is_bdat() || self.pipelining() || tx.bdat_outstanding == 0)
    }

    fn wants_tls(&self) -> bool {
        self.tls_due && !self.closed
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.tls_due {
            // RFC 3207 4.2: all knowledge from before TLS is dropped; EHLO again.
            self.tls_due = false;
            self.tls = true;
            self.buf.clear();
            self.parser.reset();
            self.caps = Capabilities::default();
            self.reply_start = self.buf.consumed();
            self.hello_cmd();
        } else if !self.tls && self.buf.consumed() == 0 && self.buf.is_empty() {
            // Implicit TLS (RFC 8314): private from the first byte.
            self.tls = true;
        }
    }
}

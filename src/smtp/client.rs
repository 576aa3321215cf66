//! The client machine: greeting, EHLO with HELO fallback (RFC 5321 4.1.1.1, 3.2),
//! STARTTLS handoff (RFC 3207), AUTH PLAIN/LOGIN (RFC 4954), transactions with
//! PIPELINING (RFC 2920) and BDAT (RFC 3030), per-recipient results, LMTP (RFC 2033),
//! and the client timeouts of RFC 5321 4.5.3.2.

use super::address::{ForwardPath, Host, ReversePath};
use super::auth::Credentials;
use super::command::{Body, Command, MailParams, RcptParams};
use super::ext::Capabilities;
use super::reply::{Reply, ReplyError, ReplyParser};
use super::SendError;
use crate::buffer::RecvBuffer;
use crate::dot::DotStuffer;
use crate::Instant;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::{BufMut, BytesMut};
use core::fmt;
use core::time::Duration;

/// Client deadlines from RFC 5321 4.5.3.2 (each is how long to wait for a reply).
///
/// ```
/// let t = wirestate::smtp::ClientTimeouts::default();
/// assert_eq!(t.data_end.as_secs(), 600);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTimeouts {
    /// Initial 220 greeting: 5 minutes (4.5.3.2.1).
    pub greeting: Duration,
    /// MAIL: 5 minutes (4.5.3.2.2).
    pub mail: Duration,
    /// RCPT: 5 minutes (4.5.3.2.3).
    pub rcpt: Duration,
    /// DATA initiation (the 354): 2 minutes (4.5.3.2.4).
    pub data_init: Duration,
    /// A BDAT chunk's reply: 3 minutes, the data block timeout (4.5.3.2.5).
    pub data_block: Duration,
    /// The reply after the end of data: 10 minutes (4.5.3.2.6).
    pub data_end: Duration,
    /// Any other command: 5 minutes.
    pub other: Duration,
}

impl Default for ClientTimeouts {
    fn default() -> Self {
        let m = |n: u64| Duration::from_secs(60 * n);
        ClientTimeouts {
            greeting: m(5),
            mail: m(5),
            rcpt: m(5),
            data_init: m(2),
            data_block: m(3),
            data_end: m(10),
            other: m(5),
        }
    }
}

/// How the client introduces itself and what it uses when offered.
///
/// ```
/// use wirestate::smtp::{ClientConfig, Credentials};
/// let mut c = ClientConfig::new("client.example").unwrap();
/// c.credentials = Some(Credentials::new("user", "secret"));
/// assert!(c.pipelining && c.chunking);
/// ```
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The name sent with EHLO/HELO/LHLO.
    pub hello: Host,
    /// Speak LMTP (LHLO, one final reply per accepted recipient).
    pub lmtp: bool,
    /// Pipeline MAIL/RCPT/DATA and BDAT when the server offers PIPELINING.
    pub pipelining: bool,
    /// Send the body with BDAT when the server offers CHUNKING.
    pub chunking: bool,
    /// Ask for STARTTLS when offered (the caller must then wrap the socket).
    pub starttls: bool,
    /// Log in after EHLO (PLAIN preferred, then LOGIN) when offered.
    pub credentials: Option<Credentials>,
    /// Send credentials without TLS (off by default).
    pub auth_without_tls: bool,
    /// Reply deadlines.
    pub timeouts: ClientTimeouts,
    /// Most undecoded reply bytes held.
    pub recv_buffer: usize,
    /// Longest reply line including CRLF: 512 (RFC 5321 4.5.3.1.5).
    pub reply_line: usize,
    /// Most lines in one reply (bounds a multi-line EHLO reply): 128.
    pub reply_lines: usize,
}

impl ClientConfig {
    /// Defaults: pipelining and chunking used when offered, no TLS, no AUTH.
    ///
    /// ```
    /// assert!(wirestate::smtp::ClientConfig::new("[127.0.0.1]").is_ok());
    /// ```
    pub fn new(hello: &str) -> Result<ClientConfig, super::SyntaxError> {
        Ok(ClientConfig {
            hello: Host::parse(hello, false)?,
            lmtp: false,
            pipelining: true,
            chunking: true,
            starttls: false,
            credentials: None,
            auth_without_tls: false,
            timeouts: ClientTimeouts::default(),
            recv_buffer: 64 * 1024,
            reply_line: super::reply::MAX_REPLY_LINE,
            reply_lines: 128,
        })
    }
}

/// One message's envelope.
///
/// ```
/// use wirestate::smtp::{Envelope, ForwardPath, ReversePath};
/// let env = Envelope::new(
///     ReversePath::parse("<a@example.org>").unwrap(),
///     vec![ForwardPath::parse("<b@example.net>").unwrap()],
/// );
/// assert_eq!(env.recipients.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Sender.
    pub from: ReversePath,
    /// MAIL parameters. SIZE is sent only if offered; BODY=8BITMIME and SMTPUTF8 are
    /// checked against the server's offer before anything is sent.
    pub params: MailParams,
    /// Recipients with their parameters.
    pub recipients: Vec<(ForwardPath, RcptParams)>,
}

impl Envelope {
    /// An envelope with no parameters.
    ///
    /// ```
    /// use wirestate::smtp::{Envelope, ReversePath};
    /// assert!(Envelope::new(ReversePath::Null, vec![]).recipients.is_empty());
    /// ```
    pub fn new(from: ReversePath, to: Vec<ForwardPath>) -> Envelope {
        Envelope {
            from,
            params: MailParams::default(),
            recipients: to.into_iter().map(|t| (t, RcptParams::default())).collect(),
        }
    }

    fn needs_utf8(&self) -> bool {
        self.from.mailbox().is_some_and(|m| m.is_utf8())
            || self
                .recipients
                .iter()
                .any(|(t, _)| t.mailbox().is_some_and(|m| m.is_utf8()))
    }
}

/// What went wrong on the connection. The client is closed after each of these.
///
/// ```
/// use wirestate::smtp::{ClientConfig, ClientError, ClientEvent, SmtpClient};
/// use wirestate::{Instant, Machine};
/// let mut c = SmtpClient::new(ClientConfig::new("c").unwrap());
/// c.handle_input(Instant::ZERO, b"554 go away\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Error(ClientError::Refused { .. }))));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// The server refused something the connection cannot go on without (greeting,
    /// EHLO and HELO, STARTTLS, AUTH) or said 421; its exact reply is kept.
    Refused {
        /// What the client was doing.
        during: &'static str,
        /// The server's reply, verbatim.
        reply: Reply,
    },
    /// A reply that could not be parsed.
    BadReply(ReplyError),
    /// A reply arrived when none was expected.
    Unexpected(Reply),
    /// Credentials were configured but no usable AUTH mechanism was offered (or only
    /// without TLS, which the configuration forbids).
    AuthNotOffered,
    /// The server sent more than the receive buffer holds without completing a reply.
    InputOverflow,
    /// No reply within the RFC 5321 4.5.3.2 timeout.
    Timeout(&'static str),
    /// The server closed the connection.
    PeerClosed,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Refused { during, reply } => write!(f, "server refused {during}: {reply}"),
            ClientError::BadReply(e) => write!(f, "{e}"),
            ClientError::Unexpected(r) => write!(f, "unexpected reply: {r}"),
            ClientError::Timeout(w) => {
                write!(f, "RFC 5321 4.5.3.2: timed out waiting for {w} reply")
            }
            ClientError::PeerClosed => f.write_str("server closed the connection"),
            ClientError::AuthNotOffered => {
                f.write_str("RFC 4954: no usable AUTH mechanism offered")
            }
            ClientError::InputOverflow => f.write_str("reply input over the receive buffer limit"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ClientError {}

/// What the server said, decoded into steps of the dialogue.
///
/// ```
/// use wirestate::smtp::{ClientConfig, ClientEvent, SmtpClient};
/// use wirestate::{Instant, Machine};
/// let mut c = SmtpClient::new(ClientConfig::new("c").unwrap());
/// c.handle_input(Instant::ZERO, b"220 mx\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Greeting(r)) if r.code().get() == 220));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The 220 greeting.
    Greeting(Reply),
    /// The server answered STARTTLS with 220: write pending bytes, wrap the socket in
    /// TLS, then call [`SmtpClient::tls_established`].
    StartTls,
    /// AUTH succeeded.
    Authenticated(Reply),
    /// The connection is idle: call [`SmtpClient::send_mail`] or [`SmtpClient::quit`].
    Ready,
    /// The answer to MAIL FROM.
    MailFrom(Reply),
    /// The answer to one RCPT TO (index into the envelope's recipients). A refused
    /// recipient does not fail the transaction while another is accepted.
    Recipient {
        /// Which recipient.
        index: usize,
        /// The server's reply.
        reply: Reply,
    },
    /// The body may be sent now: call [`SmtpClient::send_body`] while
    /// [`SmtpClient::can_send_body`] is true, then [`SmtpClient::end_body`]. With BDAT
    /// and no PIPELINING it comes again after each chunk's reply.
    SendBody,
    /// The message was accepted (SMTP) or the last LMTP reply arrived.
    Sent {
        /// The final reply (in LMTP, the last recipient's).
        reply: Reply,
        /// Recipients accepted at RCPT (indexes into the envelope).
        accepted: Vec<usize>,
    },
    /// One LMTP per-recipient reply after the data (RFC 2033 4.2).
    Delivery {
        /// Which recipient.
        index: usize,
        /// Its reply.
        reply: Reply,
    },
    /// The transaction failed (MAIL refused, no recipient accepted, DATA or the data
    /// refused); the client sends RSET by itself and the connection stays usable.
    Failed(Reply),
    /// QUIT was answered; the connection is done.
    Closed(Reply),
    /// The connection cannot go on; the client is closed.
    Error(ClientError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Expect {
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum BodyState {
    /// Not yet allowed.
    Waiting,
    /// The caller may send.
    Open,
    /// `end_body` was called.
    Ended,
}

#[derive(Clone, Debug)]
pub(super) struct Tx {
    pub(super) recipients: Vec<ForwardPath>,
    pub(super) rcpt_params: Vec<RcptParams>,
    pub(super) next_rcpt: usize,
    pub(super) accepted: Vec<usize>,
    pub(super) failed: bool,
    pub(super) bdat: bool,
    pub(super) binary: bool,
    pub(super) body: BodyState,
    pub(super) bdat_outstanding: usize,
    pub(super) lmtp_pending: usize,
    pub(super) last_reply: Option<Reply>,
}

/// The SMTP/LMTP client machine.
///
/// ```
/// use wirestate::smtp::{ClientConfig, ClientEvent, Envelope, ForwardPath, ReversePath, SmtpClient};
/// use wirestate::{Instant, Machine};
///
/// let mut c = SmtpClient::new(ClientConfig::new("client.example").unwrap());
/// c.handle_input(Instant::ZERO, b"220 mx ready\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Greeting(_))));
/// assert_eq!(&c.poll_transmit().unwrap()[..], b"EHLO client.example\r\n");
/// c.handle_input(Instant::ZERO, b"250-mx\r\n250 PIPELINING\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Ready)));
/// let env = Envelope::new(ReversePath::parse("<a@x.org>").unwrap(), vec![ForwardPath::parse("<b@y.org>").unwrap()]);
/// c.send_mail(env).unwrap();
/// assert_eq!(&c.poll_transmit().unwrap()[..], b"MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nDATA\r\n");
/// ```
#[derive(Debug)]
pub struct SmtpClient {
    pub(super) config: ClientConfig,
    pub(super) buf: RecvBuffer,
    pub(super) parser: ReplyParser,
    pub(super) out: BytesMut,
    pub(super) events: VecDeque<ClientEvent>,
    pub(super) expect: VecDeque<Expect>,
    pub(super) caps: Capabilities,
    pub(super) tls: bool,
    pub(super) authenticated: bool,
    pub(super) tx: Option<Tx>,
    pub(super) stuffer: DotStuffer,
    pub(super) line_ends: LineEnds,
    pub(super) idle: bool,
    pub(super) closed: bool,
    pub(super) eof: bool,
    pub(super) tls_pending: bool,
    pub(super) now: Instant,
    pub(super) deadline: Option<Instant>,
}

impl SmtpClient {
    /// A client waiting for the server's greeting.
    ///
    /// ```
    /// use wirestate::Machine;
    /// let mut c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(c.poll_transmit().is_none()); // the server speaks first
    /// ```
    pub fn new(config: ClientConfig) -> SmtpClient {
        let mut c = SmtpClient {
            buf: RecvBuffer::new(config.recv_buffer.max(1024)),
            parser: ReplyParser::with_limits(config.reply_line, config.reply_lines),
            out: BytesMut::new(),
            events: VecDeque::new(),
            expect: VecDeque::new(),
            caps: Capabilities::default(),
            tls: false,
            authenticated: false,
            tx: None,
            stuffer: DotStuffer::new(),
            line_ends: LineEnds::default(),
            idle: false,
            closed: false,
            eof: false,
            tls_pending: false,
            now: Instant::ZERO,
            deadline: None,
            config,
        };
        c.expect(Expect::Greeting);
        c
    }

    /// What the server offered in its last EHLO reply.
    ///
    /// ```
    /// let c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(!c.capabilities().pipelining);
    /// ```
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// True when idle: a transaction may start.
    ///
    /// ```
    /// let c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(!c.is_ready());
    /// ```
    pub fn is_ready(&self) -> bool {
        self.idle && !self.closed
    }

    pub(super) fn timeout_for(&self, e: Expect) -> Duration {
        let t = &self.config.timeouts;
        match e {
            Expect::Greeting => t.greeting,
            Expect::Mail => t.mail,
            Expect::Rcpt(_) => t.rcpt,
            Expect::Data => t.data_init,
            Expect::Bdat => t.data_block,
            Expect::DataEnd | Expect::DataDiscard | Expect::BdatLast => t.data_end,
            _ => t.other,
        }
    }

    pub(super) fn expect(&mut self, e: Expect) {
        if self.expect.is_empty() {
            self.deadline = Some(self.now + self.timeout_for(e));
        }
        self.expect.push_back(e);
    }

    pub(super) fn cmd(&mut self, c: &Command, e: Expect) -> Result<(), SendError> {
        c.encode(&mut self.out)?;
        self.expect(e);
        Ok(())
    }

    pub(super) fn hello_cmd(&mut self) {
        let h = self.config.hello.clone();
        let (c, e) = if self.config.lmtp {
            (Command::Lhlo(h), Expect::Ehlo)
        } else {
            (Command::Ehlo(h), Expect::Ehlo)
        };
        let _ = self.cmd(&c, e);
    }

    pub(super) fn fail(&mut self, e: ClientError) {
        self.events.push_back(ClientEvent::Error(e));
        self.closed = true;
        self.expect.clear();
        self.deadline = None;
    }

    pub(super) fn ready(&mut self) {
        self.idle = true;
        self.events.push_back(ClientEvent::Ready);
    }

    /// Starts a transaction. Checks, before anything is queued, that the server offers
    /// what the envelope needs: SMTPUTF8 for UTF-8 addresses (RFC 6531 3.4), 8BITMIME
    /// for `BODY=8BITMIME`, DSN for DSN parameters, and that a declared SIZE fits.
    ///
    /// ```
    /// use wirestate::smtp::{Body, ClientConfig, Envelope, ReversePath, SendError, SmtpClient};
    /// use wirestate::{Instant, Machine};
    /// let mut c = SmtpClient::new(ClientConfig::new("c").unwrap());
    /// c.handle_input(Instant::ZERO, b"220 mx\r\n250 mx\r\n");
    /// while c.poll_event().is_some() {}
    /// let mut env = Envelope::new(ReversePath::Null, vec![]);
    /// env.params.body = Some(Body::EightBitMime);
    /// assert_eq!(c.send_mail(env), Err(SendError::MissingExtension("8BITMIME")));
    /// ```
    pub fn send_mail(&mut self, env: Envelope) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if !self.idle {
            return Err(SendError::WrongState(
                "a transaction needs an idle connection",
            ));
        }
        let caps = &self.caps;
        let mut params = env.params.clone();
        if params.body == Some(Body::EightBitMime) && !caps.eightbitmime {
            return Err(SendError::MissingExtension("8BITMIME"));
        }
        if params.body == Some(Body::BinaryMime)
            && !(caps.binarymime && caps.chunking && self.config.chunking)
        {
            return Err(SendError::MissingExtension("BINARYMIME"));
        }
        if env.needs_utf8() || params.smtputf8 {
            if !caps.smtputf8 {
                return Err(SendError::MissingExtension("SMTPUTF8"));
            }
            params.smtputf8 = true;
        }
        let dsn = params.ret.is_some()
            || params.envid.is_some()
            || env
                .recipients
                .iter()
                .any(|(_, p)| p.notify.is_some() || p.orcpt.is_some());
        if dsn && !caps.dsn {
            return Err(SendError::MissingExtension("DSN"));
        }
        if params.auth.is_some() && caps.auth.is_empty() {
            return Err(SendError::MissingExtension("AUTH"));
        }
        match (params.size, caps.size) {
            (Some(n), Some(max)) if max > 0 && n > max => {
                return Err(SendError::WrongState(
                    "message larger than the server's SIZE limit",
                ))
            }
            (Some(_), None) => params.size = None, // RFC 1870 4: only if offered
            _ => {}
        }
        if env.recipients.is_empty() {
            return Err(SendError::WrongState(
                "a transaction needs at least one recipient",
            ));
        }
        // Encode everything first so a bad argument queues nothing.
        let mail = Command::Mail {
            from: env.from,
            params,
        };
        let mut staged = BytesMut::new();
        mail.encode(&mut staged)?;
        let mut rcpts = Vec::new();
        for (to, p) in &env.recipients {
            let c = Command::Rcpt {
                to: to.clone(),
                params: p.clone(),
            };
            let mut one = BytesMut::new();
            c.encode(&mut one)?;
            rcpts.push(one);
        }
        let pipelining = caps.pipelining && self.config.pipelining;
        let bdat = caps.chunking && self.config.chunking;
        let binary_body = env.params.body == Some(Body::BinaryMime);
        self.line_ends = LineEnds::default();
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
                let _ = self.cmd(&Command::Data, Expect::Data);
            }
        }
        self.tx = Some(Tx {
            recipients: env.recipients.iter().map(|(t, _)| t.clone()).collect(),
            rcpt_params: env.recipients.into_iter().map(|(_, p)| p).collect(),
            next_rcpt: if pipelining { n } else { 0 },
            accepted: Vec::new(),
            failed: false,
            bdat,
            binary: binary_body,
            body: BodyState::Waiting,
            bdat_outstanding: 0,
            lmtp_pending: 0,
            last_reply: None,
        });
        Ok(())
    }

    /// True while the body may be sent: after [`ClientEvent::SendBody`], until
    /// [`end_body`](Self::end_body), and for BDAT without PIPELINING only once the
    /// previous chunk was answered.
    ///
    /// ```
    /// let c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(!c.can_send_body());
    /// ```
    pub fn can_send_body(&self) -> bool {
        let Some(tx) = &self.tx else { return false };
        let pipelining = self.caps.pipelining && self.config.pipelining;
        tx.body == BodyState::Open
            && !tx.failed
            && (!tx.bdat || pipelining || tx.bdat_outstanding == 0)
    }

    /// Sends a piece of the body: dot-stuffed for DATA (bare CR/LF become CRLF), as one
    /// `BDAT n` chunk for CHUNKING. Memory stays bounded by what the caller passes in.
    ///
    /// ```
    /// let mut c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(c.send_body(b"too early").is_err());
    /// ```
    pub fn send_body(&mut self, chunk: &[u8]) -> Result<(), SendError> {
        if !self.can_send_body() {
            return Err(SendError::WrongState("the body cannot be sent now"));
        }
        if chunk.is_empty() {
            return Ok(());
        }
        let bdat = self.tx.as_ref().is_some_and(|t| t.bdat);
        if bdat {
            let piece = self.canonical(chunk, false);
            if piece.is_empty() {
                return Ok(()); // only a CR held back: nothing to send yet
            }
            let c = Command::Bdat {
                size: piece.len() as u64,
                last: false,
            };
            self.cmd(&c, Expect::Bdat)?;
            self.out.put(piece);
            if let Some(t) = &mut self.tx {
                t.bdat_outstanding += 1;
            }
        } else {
            self.stuffer.stuff(chunk, &mut self.out);
        }
        Ok(())
    }

    /// Ends the body: `CRLF.CRLF` after DATA, `BDAT 0 LAST` with CHUNKING.
    ///
    /// ```
    /// let mut c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(c.end_body().is_err());
    /// ```
    pub fn end_body(&mut self) -> Result<(), SendError> {
        self.end_body_with(&[])
    }

    /// Sends the last piece of the body and ends it: stuffed plus `CRLF.CRLF` after
    /// DATA, one `BDAT n LAST` with CHUNKING (saving a round trip, RFC 3030 4.1).
    ///
    /// ```
    /// let mut c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(c.end_body_with(b"bye\r\n").is_err()); // no transaction yet
    /// ```
    pub fn end_body_with(&mut self, last: &[u8]) -> Result<(), SendError> {
        if !self.can_send_body() {
            return Err(SendError::WrongState("the body cannot be ended now"));
        }
        let (bdat, n) = match &self.tx {
            Some(t) => (
                t.bdat,
                if self.config.lmtp {
                    t.accepted.len()
                } else {
                    1
                },
            ),
            None => return Err(SendError::WrongState("no transaction")),
        };
        if bdat {
            let piece = self.canonical(last, true);
            let c = Command::Bdat {
                size: piece.len() as u64,
                last: true,
            };
            c.encode(&mut self.out)?;
            self.out.put(piece);
            if let Some(t) = &mut self.tx {
                t.bdat_outstanding += 1;
            }
        } else {
            self.stuffer.stuff(last, &mut self.out);
            self.stuffer.finish(&mut self.out);
        }
        for _ in 0..n {
            self.expect(if bdat {
                Expect::BdatLast
            } else {
                Expect::DataEnd
            });
        }
        if let Some(t) = &mut self.tx {
            t.body = BodyState::Ended;
            t.lmtp_pending = n;
        }
        Ok(())
    }

    /// The BDAT form of a piece: line ends made CRLF and a final CRLF added, as DATA's
    /// stuffer does, so the server sees the same message either way (RFC 3030 3: text
    /// must be canonical); BINARYMIME octets are sent untouched.
    fn canonical(&mut self, piece: &[u8], end: bool) -> BytesMut {
        let mut out = BytesMut::with_capacity(piece.len() + 2);
        if self.tx.as_ref().is_some_and(|t| t.binary) {
            out.put_slice(piece);
            return out;
        }
        self.line_ends.normalize(piece, &mut out);
        if end {
            self.line_ends.finish(&mut out);
        }
        out
    }

    /// Sends QUIT (when idle, or to give up on a failed connection).
    ///
    /// ```
    /// let mut c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(c.quit().is_err()); // not before the greeting
    /// ```
    pub fn quit(&mut self) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if !self.idle {
            return Err(SendError::WrongState("QUIT waits for an idle connection"));
        }
        self.idle = false;
        self.cmd(&Command::Quit, Expect::Quit)
    }

    /// Sends RSET when idle (e.g. to check a pooled connection is alive).
    ///
    /// ```
    /// let mut c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(c.reset().is_err());
    /// ```
    pub fn reset(&mut self) -> Result<(), SendError> {
        if !self.idle || self.closed {
            return Err(SendError::WrongState("RSET waits for an idle connection"));
        }
        self.idle = false;
        self.cmd(&Command::Rset, Expect::Rset)
    }

    /// Call once TLS is up after [`ClientEvent::StartTls`]: everything received before
    /// is dropped and EHLO is sent again (RFC 3207 4.2).
    ///
    /// ```
    /// let mut c = wirestate::smtp::SmtpClient::new(wirestate::smtp::ClientConfig::new("c").unwrap());
    /// assert!(c.tls_established().is_err());
    /// ```
    pub fn tls_established(&mut self) -> Result<(), SendError> {
        if !self.awaiting_tls() {
            return Err(SendError::WrongState("no STARTTLS was accepted"));
        }
        self.tls = true;
        self.tls_pending = false;
        self.buf.clear();
        self.parser.reset();
        self.caps = Capabilities::default();
        self.hello_cmd();
        Ok(())
    }

    fn awaiting_tls(&self) -> bool {
        self.tls_pending
    }
}

/// Streaming line-end canonicalization for BDAT: CRLF, bare CR and bare LF all become
/// CRLF, and a message not ending in one gets one.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LineEnds {
    pending_cr: bool,
    mid_line: bool,
}

impl LineEnds {
    fn normalize(&mut self, mut input: &[u8], out: &mut BytesMut) {
        if self.pending_cr && !input.is_empty() {
            self.pending_cr = false;
            out.put_slice(b"\r\n");
            self.mid_line = false;
            if input[0] == b'\n' {
                input = &input[1..];
            }
        }
        while !input.is_empty() {
            let Some(p) = memchr::memchr2(b'\r', b'\n', input) else {
                out.put_slice(input);
                self.mid_line = true;
                return;
            };
            out.put_slice(&input[..p]);
            if input[p] == b'\r' && p + 1 == input.len() {
                self.pending_cr = true;
                return;
            }
            let skip = if input[p] == b'\r' && input[p + 1] == b'\n' {
                2
            } else {
                1
            };
            out.put_slice(b"\r\n");
            self.mid_line = false;
            input = &input[p + skip..];
        }
    }

    fn finish(&mut self, out: &mut BytesMut) {
        if self.pending_cr || self.mid_line {
            out.put_slice(b"\r\n");
        }
        *self = LineEnds::default();
    }
}

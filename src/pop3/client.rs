//! The POP3 client machine: typed commands out, typed events in, RETR and TOP streamed
//! as unstuffed chunks (RFC 1939 section 3 multi-line responses through `dot.rs`).
//!
//! Commands are sent one at a time, each after the previous answer, unless the server
//! listed `PIPELINING` in its CAPA answer (RFC 2449 section 6.6); AUTH and STLS are never
//! pipelined because what follows them depends on their outcome.

use super::command::{Command, CommandKind};
use super::response::{
    Capability, DropListing, Response, ResponseErrorKind, ScanListing, UidListing,
};
use super::sasl::{base64_decode, base64_encode, PlainCredentials};
use super::types::Arg;
use super::{Limits, SendError};
use crate::buffer::RecvBuffer;
use crate::dot::{DotErrorKind, DotPolicy, DotUnstuffer, Unstuffed};
use crate::line::{LineErrorKind, LinePolicy, LineReader};
use crate::{Instant, Machine};
use alloc::collections::VecDeque;
use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

/// Client settings.
///
/// ```
/// let c = wirestate::pop3::ClientConfig::default();
/// assert_eq!(c.limits.response_line, 512);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ClientConfig {
    /// Size limits.
    pub limits: Limits,
    /// How RETR/TOP data is unstuffed: [`DotPolicy::Strict`] (the default) makes a bare CR
    /// or LF an error; [`DotPolicy::Lenient`] passes them through as data.
    pub dot_policy: DotPolicy,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            limits: Limits::default(),
            dot_policy: DotPolicy::Strict,
        }
    }
}

/// What broke the server's side of the protocol. Every one is final.
///
/// ```
/// use wirestate::pop3::{ClientErrorKind, ClientEvent, Pop3Client};
/// use wirestate::{Instant, Machine};
/// let mut c = Pop3Client::new(Default::default());
/// c.handle_input(Instant::ZERO, b"HELLO\r\n");
/// let Some(ClientEvent::Error(e)) = c.poll_event() else { panic!() };
/// assert!(matches!(e.kind, ClientErrorKind::BadResponse(_)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientErrorKind {
    /// A status or listing line over [`Limits::response_line`].
    LineTooLong,
    /// A bare CR or LF in a status or listing line.
    BareCrOrLf,
    /// A line that is not a valid status, listing, capability or STAT answer.
    BadResponse(ResponseErrorKind),
    /// A bad AUTH challenge (not base64).
    BadChallenge,
    /// A line with no command waiting for it.
    Unsolicited,
    /// Broken dot-stuffing inside RETR/TOP data.
    BadData(DotErrorKind),
    /// More undecoded input than [`Limits::recv_buffer`]: drain events between reads.
    BufferFull,
    /// The server closed the connection while an answer was still due.
    UnexpectedEof,
}

/// A server protocol error and its stream offset.
///
/// ```
/// use wirestate::pop3::{ClientEvent, Pop3Client};
/// use wirestate::{Instant, Machine};
/// let mut c = Pop3Client::new(Default::default());
/// c.handle_input(Instant::ZERO, b"+OK\r\n+OK unasked\r\n");
/// c.poll_event();
/// let Some(ClientEvent::Error(e)) = c.poll_event() else { panic!() };
/// assert_eq!(e.offset, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientError {
    /// What broke.
    pub kind: ClientErrorKind,
    /// Stream offset of the offending byte (of the line for line errors).
    pub offset: u64,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} at byte {}", self.kind, self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ClientError {}

/// What the client machine reports.
///
/// ```
/// use wirestate::pop3::{ClientEvent, CommandKind, Pop3Client};
/// use wirestate::{Instant, Machine};
/// let mut c = Pop3Client::new(Default::default());
/// c.handle_input(Instant::ZERO, b"+OK\r\n");
/// c.poll_event();
/// c.capa().unwrap();
/// c.handle_input(Instant::ZERO, b"+OK\r\nTOP\r\n.\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Ok { command: CommandKind::Capa, .. })));
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Capability(_))));
/// assert_eq!(c.poll_event(), Some(ClientEvent::End(CommandKind::Capa)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The server's greeting; `apop_timestamp` is the `<...>` APOP needs (RFC 1939 section 7).
    Greeting {
        /// The greeting line.
        response: Response,
        /// The timestamp, angle brackets included, if the greeting has one.
        apop_timestamp: Option<Bytes>,
    },
    /// `+OK` to `command`. For a multi-line answer the items and then `End` follow; STAT,
    /// `LIST msg` and `UIDL msg` are followed by their one typed item.
    Ok {
        /// The command answered.
        command: CommandKind,
        /// The status line, text and code exactly as sent.
        response: Response,
    },
    /// `-ERR` to `command`, with the server's text and response code.
    Err {
        /// The command answered.
        command: CommandKind,
        /// The status line, text and code exactly as sent.
        response: Response,
    },
    /// An AUTH challenge (decoded); answer with `auth_response` or `auth_cancel`.
    Challenge(Bytes),
    /// STAT's drop listing.
    Stat(DropListing),
    /// One scan listing (LIST).
    Listing(ScanListing),
    /// One unique-id listing (UIDL).
    UniqueId(UidListing),
    /// One capability (CAPA).
    Capability(Capability),
    /// A piece of a RETR/TOP message, unstuffed, CRLF line ends as sent.
    Data(Bytes),
    /// The end of a multi-line answer.
    End(CommandKind),
    /// A server protocol error; the machine is closed.
    Error(ClientError),
}

#[derive(Clone, Debug)]
struct Expect {
    kind: CommandKind,
    multiline: bool,
    /// For AUTH PLAIN whose initial response did not fit: the answer to the first challenge.
    auto_response: Option<Bytes>,
}

#[derive(Debug)]
enum Reading {
    Greeting,
    Status,
    Lines(CommandKind),
    Data(CommandKind, DotUnstuffer),
}

/// The POP3 client machine.
///
/// ```
/// use wirestate::pop3::{ClientEvent, Pop3Client, Status};
/// use wirestate::{Instant, Machine};
/// let mut c = Pop3Client::new(Default::default());
/// c.handle_input(Instant::ZERO, b"+OK ready <1.2@host>\r\n");
/// let Some(ClientEvent::Greeting { apop_timestamp, .. }) = c.poll_event() else { panic!() };
/// assert_eq!(apop_timestamp.as_deref(), Some(&b"<1.2@host>"[..]));
/// c.stat().unwrap();
/// assert_eq!(&c.poll_transmit().unwrap()[..], b"STAT\r\n");
/// c.handle_input(Instant::ZERO, b"+OK 2 320\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Ok { .. })));
/// let Some(ClientEvent::Stat(d)) = c.poll_event() else { panic!() };
/// assert_eq!((d.count, d.octets), (2, 320));
/// ```
#[derive(Debug)]
pub struct Pop3Client {
    config: ClientConfig,
    buf: RecvBuffer,
    lines: LineReader,
    out: BytesMut,
    reading: Reading,
    queue: VecDeque<(Command, Option<Bytes>)>,
    in_flight: VecDeque<Expect>,
    events: VecDeque<ClientEvent>,
    pipelining: bool,
    quit_sent: bool,
    closed: bool,
    awaiting_challenge_answer: bool,
    peer_eof: bool,
}

impl Pop3Client {
    /// A client that has just connected and waits for the greeting.
    ///
    /// ```
    /// let c = wirestate::pop3::Pop3Client::new(Default::default());
    /// assert!(!wirestate::Machine::is_closed(&c));
    /// ```
    pub fn new(config: ClientConfig) -> Pop3Client {
        Pop3Client {
            buf: RecvBuffer::new(config.limits.recv_buffer),
            lines: LineReader::new(LinePolicy::strict(config.limits.response_line)),
            out: BytesMut::new(),
            reading: Reading::Greeting,
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            events: VecDeque::new(),
            pipelining: false,
            quit_sent: false,
            closed: false,
            awaiting_challenge_answer: false,
            peer_eof: false,
            config,
        }
    }

    /// Whether commands are pipelined (the server listed PIPELINING in CAPA).
    ///
    /// ```
    /// assert!(!wirestate::pop3::Pop3Client::new(Default::default()).pipelining());
    /// ```
    pub fn pipelining(&self) -> bool {
        self.pipelining
    }

    /// Commands sent or queued whose answer has not finished.
    ///
    /// ```
    /// let mut c = wirestate::pop3::Pop3Client::new(Default::default());
    /// c.noop().unwrap();
    /// assert_eq!(c.outstanding(), 1);
    /// ```
    pub fn outstanding(&self) -> usize {
        self.queue.len() + self.in_flight.len()
    }

    /// Queues any command; it goes out once the greeting is in and the previous answer
    /// is complete (or at once when pipelining). Fails without queueing on a line over
    /// 255 octets, after QUIT, or once closed.
    ///
    /// ```
    /// use wirestate::pop3::{Command, Pop3Client, SendError};
    /// let mut c = Pop3Client::new(Default::default());
    /// c.send(Command::Quit).unwrap();
    /// assert_eq!(c.send(Command::Noop), Err(SendError::OutOfTurn));
    /// ```
    pub fn send(&mut self, cmd: Command) -> Result<(), SendError> {
        self.enqueue(cmd, None)
    }

    fn enqueue(&mut self, cmd: Command, auto: Option<Bytes>) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if self.quit_sent {
            return Err(SendError::OutOfTurn);
        }
        let limit = self.config.limits.command_line;
        if cmd.encoded_len() > limit {
            return Err(SendError::LineTooLong { limit });
        }
        if cmd == Command::Quit {
            self.quit_sent = true;
        }
        self.queue.push_back((cmd, auto));
        self.pump();
        Ok(())
    }

    /// Sends queued commands the protocol allows out now.
    fn pump(&mut self) {
        if matches!(self.reading, Reading::Greeting) || self.closed {
            return;
        }
        while let Some((cmd, _)) = self.queue.front() {
            let barrier = |k: CommandKind| matches!(k, CommandKind::Auth | CommandKind::Stls);
            let can = self.in_flight.is_empty()
                || (self.pipelining
                    && !barrier(cmd.kind())
                    && !self.in_flight.iter().any(|e| barrier(e.kind)));
            if !can {
                return;
            }
            let Some((cmd, auto)) = self.queue.pop_front() else {
                return;
            };
            cmd.encode(&mut self.out);
            self.in_flight.push_back(Expect {
                kind: cmd.kind(),
                multiline: cmd.is_multiline(),
                auto_response: auto,
            });
        }
    }

    /// `USER name`.
    ///
    /// ```
    /// let mut c = wirestate::pop3::Pop3Client::new(Default::default());
    /// assert!(c.user("has space").is_err());
    /// ```
    pub fn user(&mut self, name: &str) -> Result<(), SendError> {
        self.send(Command::User(Arg::new(name)?))
    }

    /// `PASS string`.
    ///
    /// ```
    /// let mut c = wirestate::pop3::Pop3Client::new(Default::default());
    /// assert!(c.pass("pw\r\nDELE 1").is_err());
    /// ```
    pub fn pass(&mut self, password: &str) -> Result<(), SendError> {
        self.send(Command::Pass(super::Password::new(password)?))
    }

    /// `AUTH PLAIN` with the RFC 4616 message as initial response, or, when that line
    /// would pass 255 octets (RFC 5034 section 4), after the server's empty challenge.
    ///
    /// ```
    /// use wirestate::{Instant, Machine};
    /// let mut c = wirestate::pop3::Pop3Client::new(Default::default());
    /// c.handle_input(Instant::ZERO, b"+OK\r\n");
    /// c.poll_event();
    /// c.auth_plain("", "tim", "tanstaaftanstaaf").unwrap();
    /// assert_eq!(&c.poll_transmit().unwrap()[..], b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    /// ```
    pub fn auth_plain(
        &mut self,
        authzid: &str,
        authcid: &str,
        password: &str,
    ) -> Result<(), SendError> {
        let bad = |s: &str| s.as_bytes().contains(&0) || s.len() > 255;
        if bad(authzid)
            || bad(authcid)
            || bad(password)
            || authcid.is_empty()
            || password.is_empty()
        {
            return Err(SendError::InvalidArgument);
        }
        let message = Bytes::from(
            PlainCredentials {
                authzid: Bytes::copy_from_slice(authzid.as_bytes()),
                authcid: Bytes::copy_from_slice(authcid.as_bytes()),
                password: Bytes::copy_from_slice(password.as_bytes()),
            }
            .encode(),
        );
        let mechanism = Arg::new("PLAIN")?;
        let with_initial = Command::Auth {
            mechanism: mechanism.clone(),
            initial_response: Some(message.clone()),
        };
        if with_initial.encoded_len() <= self.config.limits.command_line {
            self.send(with_initial)
        } else {
            self.enqueue(
                Command::Auth {
                    mechanism,
                    initial_response: None,
                },
                Some(message),
            )
        }
    }

    /// Answers a [`ClientEvent::Challenge`] with `data` (sent base64-encoded).
    ///
    /// ```
    /// let mut c = wirestate::pop3::Pop3Client::new(Default::default());
    /// assert!(c.auth_response(b"x").is_err()); // no challenge pending
    /// ```
    pub fn auth_response(&mut self, data: &[u8]) -> Result<(), SendError> {
        if !self.awaiting_challenge_answer || self.closed {
            return Err(SendError::OutOfTurn);
        }
        let mut line = BytesMut::new();
        base64_encode(data, &mut line);
        if line.len() + 2 > self.config.limits.auth_line {
            return Err(SendError::LineTooLong {
                limit: self.config.limits.auth_line,
            });
        }
        self.awaiting_challenge_answer = false;
        self.out.put_slice(&line);
        self.out.put_slice(b"\r\n");
        Ok(())
    }

    /// Cancels the AUTH exchange with `*`; the server answers `-ERR` (RFC 5034 section 4).
    ///
    /// ```
    /// let mut c = wirestate::pop3::Pop3Client::new(Default::default());
    /// assert!(c.auth_cancel().is_err());
    /// ```
    pub fn auth_cancel(&mut self) -> Result<(), SendError> {
        if !self.awaiting_challenge_answer || self.closed {
            return Err(SendError::OutOfTurn);
        }
        self.awaiting_challenge_answer = false;
        self.out.put_slice(b"*\r\n");
        Ok(())
    }

    /// `APOP name digest`; compute the digest from the greeting's timestamp.
    ///
    /// ```
    /// let mut c = wirestate::pop3::Pop3Client::new(Default::default());
    /// assert!(c.apop("mrose", "c4c9334bac560ecc979e58001b3e22fb").is_ok());
    /// ```
    pub fn apop(&mut self, name: &str, digest_hex: &str) -> Result<(), SendError> {
        self.send(Command::Apop {
            name: Arg::new(name)?,
            digest: super::Digest::new(digest_hex)?,
        })
    }

    /// `STAT`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).stat().is_ok());
    /// ```
    pub fn stat(&mut self) -> Result<(), SendError> {
        self.send(Command::Stat)
    }

    /// `LIST` or `LIST msg`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).list(None).is_ok());
    /// ```
    pub fn list(&mut self, msg: Option<super::MessageNumber>) -> Result<(), SendError> {
        self.send(Command::List(msg))
    }

    /// `UIDL` or `UIDL msg`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).uidl(None).is_ok());
    /// ```
    pub fn uidl(&mut self, msg: Option<super::MessageNumber>) -> Result<(), SendError> {
        self.send(Command::Uidl(msg))
    }

    /// `RETR msg`: the message arrives as [`ClientEvent::Data`] pieces, then `End`.
    ///
    /// ```
    /// use wirestate::pop3::MessageNumber;
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).retr(MessageNumber::new(1).unwrap()).is_ok());
    /// ```
    pub fn retr(&mut self, msg: super::MessageNumber) -> Result<(), SendError> {
        self.send(Command::Retr(msg))
    }

    /// `TOP msg lines`.
    ///
    /// ```
    /// use wirestate::pop3::MessageNumber;
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).top(MessageNumber::new(1).unwrap(), 0).is_ok());
    /// ```
    pub fn top(&mut self, msg: super::MessageNumber, lines: u32) -> Result<(), SendError> {
        self.send(Command::Top { msg, lines })
    }

    /// `DELE msg`.
    ///
    /// ```
    /// use wirestate::pop3::MessageNumber;
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).dele(MessageNumber::new(1).unwrap()).is_ok());
    /// ```
    pub fn dele(&mut self, msg: super::MessageNumber) -> Result<(), SendError> {
        self.send(Command::Dele(msg))
    }

    /// `RSET`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).rset().is_ok());
    /// ```
    pub fn rset(&mut self) -> Result<(), SendError> {
        self.send(Command::Rset)
    }

    /// `NOOP`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).noop().is_ok());
    /// ```
    pub fn noop(&mut self) -> Result<(), SendError> {
        self.send(Command::Noop)
    }

    /// `CAPA`; a `PIPELINING` line in the answer turns pipelining on.
    ///
    /// ```
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).capa().is_ok());
    /// ```
    pub fn capa(&mut self) -> Result<(), SendError> {
        self.send(Command::Capa)
    }

    /// `STLS`. On its `+OK` the machine drops anything the server sent after it and
    /// forgets the capabilities (RFC 2595 section 4); start TLS, then feed decrypted bytes.
    ///
    /// ```
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).stls().is_ok());
    /// ```
    pub fn stls(&mut self) -> Result<(), SendError> {
        self.send(Command::Stls)
    }

    /// `QUIT`; the machine closes once it is answered.
    ///
    /// ```
    /// assert!(wirestate::pop3::Pop3Client::new(Default::default()).quit().is_ok());
    /// ```
    pub fn quit(&mut self) -> Result<(), SendError> {
        self.send(Command::Quit)
    }

    fn fail(&mut self, kind: ClientErrorKind, offset: u64) -> Option<ClientEvent> {
        self.closed = true;
        self.buf.clear();
        self.queue.clear();
        self.in_flight.clear();
        Some(ClientEvent::Error(ClientError { kind, offset }))
    }

    /// The current answer is complete: send what waits behind it.
    fn done(&mut self) {
        self.reading = Reading::Status;
        if let Some(e) = self.in_flight.pop_front() {
            if e.kind == CommandKind::Quit {
                self.closed = true;
            }
        }
        self.pump();
    }

    fn status_line(&mut self, line: Bytes, offset: u64) -> Option<ClientEvent> {
        if matches!(self.reading, Reading::Greeting) {
            let response = match Response::parse(line) {
                Ok(r) => r,
                Err(e) => {
                    return self.fail(
                        ClientErrorKind::BadResponse(e.kind),
                        offset + e.offset as u64,
                    )
                }
            };
            // RFC 1939 section 7: the timestamp is a msg-id in the greeting.
            let apop_timestamp = memchr::memchr(b'<', &response.text).and_then(|s| {
                memchr::memchr(b'>', &response.text[s..]).map(|e| response.text.slice(s..s + e + 1))
            });
            self.reading = Reading::Status;
            self.pump();
            return Some(ClientEvent::Greeting {
                response,
                apop_timestamp,
            });
        }
        let Some(expect) = self.in_flight.front_mut() else {
            return self.fail(ClientErrorKind::Unsolicited, offset);
        };
        let kind = expect.kind;
        // RFC 5034 section 4: a challenge is "+" SP base64 (the SP may be all there is).
        if kind == CommandKind::Auth && (line.as_ref() == b"+" || line.starts_with(b"+ ")) {
            let b64 = if line.len() > 2 { &line[2..] } else { &[][..] };
            let Some(data) = base64_decode(b64) else {
                return self.fail(ClientErrorKind::BadChallenge, offset + 2);
            };
            if let Some(auto) = expect.auto_response.take() {
                let mut l = BytesMut::new();
                base64_encode(&auto, &mut l);
                self.out.put_slice(&l);
                self.out.put_slice(b"\r\n");
                return self.decode();
            }
            self.awaiting_challenge_answer = true;
            return Some(ClientEvent::Challenge(Bytes::from(data)));
        }
        let response = match Response::parse(line) {
            Ok(r) => r,
            Err(e) => {
                return self.fail(
                    ClientErrorKind::BadResponse(e.kind),
                    offset + e.offset as u64,
                )
            }
        };
        self.awaiting_challenge_answer = false;
        if !response.is_ok() {
            self.done();
            return Some(ClientEvent::Err {
                command: kind,
                response,
            });
        }
        let multiline = expect.multiline;
        let item = match kind {
            CommandKind::Stat => Some(DropListing::parse(&response.text).map(ClientEvent::Stat)),
            CommandKind::List if !multiline => {
                Some(ScanListing::parse(&response.text).map(ClientEvent::Listing))
            }
            CommandKind::Uidl if !multiline => {
                Some(UidListing::parse(response.text.clone()).map(ClientEvent::UniqueId))
            }
            _ => None,
        };
        match item {
            Some(Ok(ev)) => self.events.push_back(ev),
            Some(Err(e)) => {
                return self.fail(
                    ClientErrorKind::BadResponse(e.kind),
                    offset + 4 + e.offset as u64,
                );
            }
            None => {}
        }
        if kind == CommandKind::Stls {
            // RFC 2595 section 4: the client MUST discard cached capabilities, and nothing
            // the server sent before the handshake may be read after it.
            self.buf.clear();
            self.lines.reset();
            self.pipelining = false;
        }
        if multiline {
            self.reading = match kind {
                CommandKind::Retr | CommandKind::Top => {
                    Reading::Data(kind, DotUnstuffer::new(self.config.dot_policy))
                }
                _ => Reading::Lines(kind),
            };
        } else {
            self.done();
        }
        Some(ClientEvent::Ok {
            command: kind,
            response,
        })
    }

    fn body_line(&mut self, kind: CommandKind, line: Bytes, offset: u64) -> Option<ClientEvent> {
        // RFC 1939 section 3: "." alone ends the answer; a leading "." is otherwise stuffed.
        if line.as_ref() == b"." {
            self.done();
            return Some(ClientEvent::End(kind));
        }
        let line = if line.first() == Some(&b'.') {
            line.slice(1..)
        } else {
            line
        };
        let ev = match kind {
            CommandKind::List => ScanListing::parse(&line).map(ClientEvent::Listing),
            CommandKind::Uidl => UidListing::parse(line).map(ClientEvent::UniqueId),
            _ => Capability::parse(line).map(|c| {
                if c.is("PIPELINING") {
                    self.pipelining = true;
                }
                ClientEvent::Capability(c)
            }),
        };
        match ev {
            Ok(ev) => Some(ev),
            Err(e) => self.fail(
                ClientErrorKind::BadResponse(e.kind),
                offset + e.offset as u64,
            ),
        }
    }
}

impl Machine for Pop3Client {
    type Event = ClientEvent;

    fn handle_input(&mut self, _now: Instant, bytes: &[u8]) {
        if self.closed || bytes.is_empty() {
            return;
        }
        if self.buf.push(bytes).is_err() {
            let offset = self.buf.consumed() + self.buf.len() as u64;
            if let Some(e) = self.fail(ClientErrorKind::BufferFull, offset) {
                self.events.push_back(e);
            }
        }
    }

    fn handle_eof(&mut self, _now: Instant) {
        // Acted on by `poll_event` once everything received before it is decoded.
        self.peer_eof = true;
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_event(&mut self) -> Option<ClientEvent> {
        if let Some(e) = self.events.pop_front() {
            return Some(e);
        }
        if self.closed {
            return None;
        }
        if let Some(e) = self.decode() {
            return Some(e);
        }
        if self.peer_eof && !self.closed {
            let due = !self.in_flight.is_empty() || !matches!(self.reading, Reading::Status);
            let offset = self.buf.consumed() + self.buf.len() as u64;
            self.closed = true;
            if due {
                return self.fail(ClientErrorKind::UnexpectedEof, offset);
            }
        }
        None
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn is_closed(&self) -> bool {
        self.closed && self.events.is_empty()
    }
}

impl Pop3Client {
    /// The next event decoded from the receive buffer.
    fn decode(&mut self) -> Option<ClientEvent> {
        if self.closed {
            return None;
        }
        if let Reading::Data(kind, dot) = &mut self.reading {
            let kind = *kind;
            return match dot.poll(&mut self.buf)? {
                Ok(Unstuffed::Data(b)) => Some(ClientEvent::Data(b)),
                Ok(Unstuffed::End) => {
                    self.done();
                    Some(ClientEvent::End(kind))
                }
                Err(e) => self.fail(ClientErrorKind::BadData(e.kind), e.offset),
            };
        }
        let offset = self.buf.consumed();
        let line = match self.lines.poll(&mut self.buf)? {
            Ok(l) => l.text,
            Err(e) => {
                let kind = match e.kind {
                    LineErrorKind::TooLong { .. } => ClientErrorKind::LineTooLong,
                    _ => ClientErrorKind::BareCrOrLf,
                };
                return self.fail(kind, e.offset);
            }
        };
        match self.reading {
            Reading::Lines(kind) => self.body_line(kind, line, offset),
            _ => self.status_line(line, offset),
        }
    }
}

//! The POP3 client machine: typed commands out, typed events in, RETR and TOP streamed
//! as unstuffed chunks (RFC 1939 section 3 multi-line responses through `dot.rs`). Every
//! state transition of the client is in this file.
//!
//! Commands are sent one at a time, each after the previous answer, unless the server
//! listed `PIPELINING` in its CAPA answer (RFC 2449 section 6.6); AUTH and STLS are never
//! pipelined because what follows them depends on their outcome.

use super::client_types::{Challenge, ClientConfig, ClientEvent};
use super::command::{check_password, Command, CommandKind};
use super::error::{Error, ErrorKind};
use super::response::{Capability, DropListing, Response, ScanListing, UidListing};
use super::sasl::PlainCredentials;
use super::types::{invalid, Arg};
use crate::base64::{decode as base64_decode, encode_into as base64_encode};
use crate::buffer::RecvBuffer;
use crate::dot::{DotPolicy, DotUnstuffer, Unstuffed};
use crate::line::{LineErrorKind, LinePolicy, LineReader};
use crate::{CloseReason, Decision, Instant, Machine, Secret, SendError};
use alloc::collections::VecDeque;
use bytes::{BufMut, Bytes, BytesMut};

#[derive(Clone, Debug)]
struct Expect {
    kind: CommandKind,
    multiline: bool,
    /// For AUTH PLAIN whose initial response did not fit: the answer to the first challenge.
    auto_response: Option<Secret>,
}

#[derive(Debug)]
enum Reading {
    Greeting,
    Status,
    Lines(CommandKind),
    Data(CommandKind, DotUnstuffer),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tls {
    Plain,
    /// The `+OK` to STLS was decoded: the transport must switch before anything else.
    Switching,
    Secure,
}

/// An AUTH challenge the caller has not answered.
#[derive(Debug)]
struct Asked {
    id: u64,
    data: Bytes,
    /// The last answer was refused locally: ask again with a fresh decision.
    again: bool,
}

const STALE: SendError =
    SendError::OutOfTurn("no such question: the decision was answered or is from another machine");

/// The POP3 client machine.
///
/// * Commands are typed methods; each is checked before it is queued, and goes out once
///   the greeting is in and the previous answer is complete (or at once when the server
///   offers `PIPELINING`).
/// * Decisions: an AUTH challenge is a [`ClientEvent::Challenge`] with a [`Decision`];
///   until it is answered `poll_event` returns `None`.
/// * [`Machine::wants_input`]: false while a challenge is outstanding with input
///   buffered, while a TLS switch is due, and once closed. [`Machine::wants_body`] is
///   always false: a POP3 client streams no bodies.
/// * [`Machine::wants_tls`]: true once the `+OK` to STLS is decoded; the next command
///   waits for [`Machine::handle_tls_established`]. Bytes the server sent after that
///   `+OK` in plaintext are an injection: [`ErrorKind::TlsInjection`]. Calling
///   `handle_tls_established` before the first byte marks implicit TLS (POP3S, RFC 8314).
/// * [`Machine::poll_timeout`]: [`Timeouts::reply`](super::Timeouts) while an answer is
///   due, restarted by every byte received.
///
/// ```
/// use wirestate::pop3::{Client, ClientEvent};
/// use wirestate::{Instant, Machine};
/// let mut c = Client::new(Default::default());
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
pub struct Client {
    config: ClientConfig,
    buf: RecvBuffer,
    lines: LineReader,
    out: BytesMut,
    reading: Reading,
    queue: VecDeque<(Command, Option<Secret>)>,
    in_flight: VecDeque<Expect>,
    events: VecDeque<ClientEvent>,
    pipelining: bool,
    quit_sent: bool,
    closed: bool,
    asked: Option<Asked>,
    next_id: u64,
    tls: Tls,
    peer_eof: bool,
    now: Instant,
    /// When the current wait for the server started; `None` restarts it at the next call.
    wait_from: Option<Instant>,
}

impl Client {
    /// A client that has just connected and waits for the greeting.
    ///
    /// ```
    /// let c = wirestate::pop3::Client::new(Default::default());
    /// assert!(!wirestate::Machine::is_closed(&c));
    /// ```
    pub fn new(config: ClientConfig) -> Client {
        Client {
            buf: RecvBuffer::new(config.limits.max_buffered),
            lines: LineReader::new(LinePolicy::strict(config.limits.max_response_line)),
            out: BytesMut::new(),
            reading: Reading::Greeting,
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            events: VecDeque::new(),
            pipelining: false,
            quit_sent: false,
            closed: false,
            asked: None,
            next_id: 0,
            tls: Tls::Plain,
            peer_eof: false,
            now: Instant::ZERO,
            wait_from: None,
            config,
        }
    }

    /// Whether commands are pipelined (the server listed PIPELINING in CAPA).
    ///
    /// ```
    /// assert!(!wirestate::pop3::Client::new(Default::default()).pipelining());
    /// ```
    pub fn pipelining(&self) -> bool {
        self.pipelining
    }

    /// Whether the transport is TLS (after STLS or implicit TLS).
    ///
    /// ```
    /// assert!(!wirestate::pop3::Client::new(Default::default()).is_secure());
    /// ```
    pub fn is_secure(&self) -> bool {
        self.tls == Tls::Secure
    }

    /// Commands sent or queued whose answer has not finished.
    ///
    /// ```
    /// let mut c = wirestate::pop3::Client::new(Default::default());
    /// c.noop().unwrap();
    /// assert_eq!(c.outstanding(), 1);
    /// ```
    pub fn outstanding(&self) -> usize {
        self.queue.len() + self.in_flight.len()
    }

    /// Queues any command; it goes out once the greeting is in and the previous answer
    /// is complete (or at once when pipelining). Fails without queueing on a line over
    /// [`Limits::max_command_line`](super::Limits), a `PASS` string with CR, LF or NUL,
    /// after QUIT, or once closed.
    ///
    /// ```
    /// use wirestate::pop3::{Client, Command};
    /// use wirestate::SendError;
    /// let mut c = Client::new(Default::default());
    /// c.send(Command::Quit).unwrap();
    /// assert!(matches!(c.send(Command::Noop), Err(SendError::OutOfTurn(_))));
    /// ```
    pub fn send(&mut self, cmd: Command) -> Result<(), SendError> {
        self.enqueue(cmd, None)
    }

    fn enqueue(&mut self, cmd: Command, auto: Option<Secret>) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if self.quit_sent {
            return Err(SendError::OutOfTurn("QUIT was sent"));
        }
        if let Command::Pass(p) = &cmd {
            check_password(p.expose())?;
        }
        if cmd == Command::Stls && self.tls != Tls::Plain {
            // RFC 2595 section 4: STLS only on a plaintext connection.
            return Err(SendError::OutOfTurn("TLS is already active"));
        }
        let limit = self.config.limits.max_command_line;
        if cmd.encoded_len() > limit {
            return Err(invalid(
                "RFC 2449 section 4: a command line is at most 255 octets, CRLF included",
                limit,
            ));
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
        if matches!(self.reading, Reading::Greeting) || self.closed || self.tls == Tls::Switching {
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
            if self.in_flight.is_empty() {
                // A new wait for the server starts with this command.
                self.wait_from = None;
            }
            cmd.encode(&mut self.out);
            self.in_flight.push_back(Expect {
                kind: cmd.kind(),
                multiline: cmd.is_multiline(),
                auto_response: auto,
            });
        }
    }

    /// `AUTH PLAIN` with the RFC 4616 message as initial response, or, when that line
    /// would pass 255 octets (RFC 5034 section 4), after the server's empty challenge.
    ///
    /// ```
    /// use wirestate::{Instant, Machine};
    /// let mut c = wirestate::pop3::Client::new(Default::default());
    /// c.handle_input(Instant::ZERO, b"+OK\r\n");
    /// let _ = c.poll_event();
    /// c.auth_plain("", "tim", "tanstaaftanstaaf").unwrap();
    /// assert_eq!(&c.poll_transmit().unwrap()[..], b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    /// assert!(c.auth_plain("", "", "pw").is_err()); // RFC 4616: authcid is required
    /// ```
    pub fn auth_plain(
        &mut self,
        authzid: &str,
        authcid: &str,
        password: impl Into<Secret>,
    ) -> Result<(), SendError> {
        let message = PlainCredentials::new(authzid, authcid, password)
            .encode()
            .ok_or(invalid(
                "RFC 4616 section 2: authcid and passwd are 1 to 255 octets of UTF-8 without NUL",
                0,
            ))?;
        let mechanism = Arg::new("PLAIN")?;
        let with_initial = Command::Auth {
            mechanism: mechanism.clone(),
            initial_response: Some(message.clone()),
        };
        if with_initial.encoded_len() <= self.config.limits.max_command_line {
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

    fn take_challenge(&mut self, decision: &Decision<Challenge>) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        match &self.asked {
            Some(a) if a.id == decision.id() && !a.again => Ok(()),
            _ => Err(STALE),
        }
    }

    /// Answers a [`ClientEvent::Challenge`] with `data` (sent base64-encoded, RFC 5034
    /// section 4). A line over [`Limits::max_auth_line`](super::Limits) is refused, and
    /// then the challenge is asked again with a fresh decision, so the exchange can still
    /// be answered or cancelled.
    ///
    /// ```
    /// use wirestate::pop3::{Client, ClientEvent};
    /// use wirestate::{Instant, Machine};
    /// let mut c = Client::new(Default::default());
    /// c.handle_input(Instant::ZERO, b"+OK\r\n");
    /// let _ = c.poll_event();
    /// c.send(wirestate::pop3::Command::Auth { mechanism: wirestate::pop3::Arg::new("X").unwrap(), initial_response: None }).unwrap();
    /// let _ = c.poll_transmit();
    /// c.handle_input(Instant::ZERO, b"+ aGk=\r\n");
    /// let Some(ClientEvent::Challenge { data, decision }) = c.poll_event() else { panic!() };
    /// assert_eq!(&data[..], b"hi");
    /// c.auth_response(decision, "answer").unwrap();
    /// assert_eq!(&c.poll_transmit().unwrap()[..], b"YW5zd2Vy\r\n");
    /// ```
    pub fn auth_response(
        &mut self,
        decision: Decision<Challenge>,
        data: impl Into<Secret>,
    ) -> Result<(), SendError> {
        self.take_challenge(&decision)?;
        let data = data.into();
        let mut line = BytesMut::new();
        base64_encode(data.expose(), &mut line);
        let limit = self.config.limits.max_auth_line;
        if line.len() + 2 > limit {
            if let Some(a) = &mut self.asked {
                a.again = true;
            }
            return Err(invalid(
                "RFC 5034 section 4: a SASL response line is within the server's limit",
                limit,
            ));
        }
        self.asked = None;
        self.wait_from = None;
        self.out.put_slice(&line);
        self.out.put_slice(b"\r\n");
        Ok(())
    }

    /// Cancels the AUTH exchange with `*`; the server answers `-ERR` (RFC 5034 section 4).
    ///
    /// ```
    /// use wirestate::pop3::{Arg, Client, ClientEvent, Command};
    /// use wirestate::{Instant, Machine};
    /// let mut c = Client::new(Default::default());
    /// c.handle_input(Instant::ZERO, b"+OK\r\n");
    /// let _ = c.poll_event();
    /// c.send(Command::Auth { mechanism: Arg::new("X").unwrap(), initial_response: None }).unwrap();
    /// let _ = c.poll_transmit();
    /// c.handle_input(Instant::ZERO, b"+ \r\n");
    /// let Some(ClientEvent::Challenge { decision, .. }) = c.poll_event() else { panic!() };
    /// c.auth_cancel(decision).unwrap();
    /// assert_eq!(&c.poll_transmit().unwrap()[..], b"*\r\n");
    /// ```
    pub fn auth_cancel(&mut self, decision: Decision<Challenge>) -> Result<(), SendError> {
        self.take_challenge(&decision)?;
        self.asked = None;
        self.wait_from = None;
        self.out.put_slice(b"*\r\n");
        Ok(())
    }

    /// Closes the session now, from the local side: without QUIT, so the server removes
    /// nothing (RFC 1939 section 6). `Closed(CloseReason::Local)` is the last event;
    /// write what `poll_transmit` still returns, then close the socket.
    ///
    /// ```
    /// use wirestate::pop3::{Client, ClientEvent};
    /// use wirestate::{CloseReason, Machine};
    /// let mut m = Client::new(Default::default());
    /// m.close();
    /// assert_eq!(m.poll_event(), Some(ClientEvent::Closed(CloseReason::Local)));
    /// assert!(m.is_closed());
    /// ```
    pub fn close(&mut self) {
        if !self.closed {
            self.shut(CloseReason::Local);
        }
    }

    fn shut(&mut self, reason: CloseReason) {
        self.closed = true;
        self.buf.clear();
        self.queue.clear();
        self.in_flight.clear();
        self.asked = None;
        self.events.push_back(ClientEvent::Closed(reason));
    }

    /// Queues `Error` then `Closed(Error)` and returns the next event in order.
    fn fatal(&mut self, kind: ErrorKind, offset: u64) -> Option<ClientEvent> {
        self.events
            .push_back(ClientEvent::Error(Error { kind, offset }));
        self.shut(CloseReason::Error);
        self.events.pop_front()
    }

    /// The current answer is complete: send what waits behind it.
    fn done(&mut self) {
        self.reading = Reading::Status;
        if let Some(e) = self.in_flight.pop_front() {
            if e.kind == CommandKind::Quit {
                self.shut(CloseReason::Done);
                return;
            }
        }
        self.pump();
    }

    fn bad_response(
        &mut self,
        kind: super::response::ResponseErrorKind,
        at: u64,
    ) -> Option<ClientEvent> {
        self.fatal(ErrorKind::from_response(kind), at)
    }

    fn greeting(&mut self, line: Bytes, offset: u64) -> Option<ClientEvent> {
        let response = match Response::parse(line) {
            Ok(r) => r,
            Err(e) => return self.bad_response(e.kind, offset + e.offset as u64),
        };
        // RFC 1939 section 7: the timestamp is a msg-id in the greeting.
        let apop_timestamp = memchr::memchr(b'<', &response.text).and_then(|s| {
            memchr::memchr(b'>', &response.text[s..]).map(|e| response.text.slice(s..s + e + 1))
        });
        self.reading = Reading::Status;
        self.pump();
        Some(ClientEvent::Greeting {
            response,
            apop_timestamp,
        })
    }

    fn challenge(&mut self, line: &[u8], offset: u64) -> Option<ClientEvent> {
        // RFC 5034 section 4: a challenge is "+" SP base64 (the SP may be all there is).
        let b64 = if line.len() > 2 { &line[2..] } else { &[][..] };
        let Some(data) = base64_decode(b64) else {
            return self.fatal(ErrorKind::BadChallenge, offset + 2);
        };
        if let Some(auto) = self
            .in_flight
            .front_mut()
            .and_then(|e| e.auto_response.take())
        {
            let mut l = BytesMut::new();
            base64_encode(auto.expose(), &mut l);
            self.out.put_slice(&l);
            self.out.put_slice(b"\r\n");
            return self.decode();
        }
        self.next_id += 1;
        let data = Bytes::from(data);
        self.asked = Some(Asked {
            id: self.next_id,
            data: data.clone(),
            again: false,
        });
        Some(ClientEvent::Challenge {
            data,
            decision: Decision::new(self.next_id),
        })
    }

    fn status_line(&mut self, line: Bytes, offset: u64) -> Option<ClientEvent> {
        if matches!(self.reading, Reading::Greeting) {
            return self.greeting(line, offset);
        }
        let Some(expect) = self.in_flight.front() else {
            return self.fatal(ErrorKind::Unsolicited, offset);
        };
        let (kind, multiline) = (expect.kind, expect.multiline);
        if kind == CommandKind::Auth && (line.as_ref() == b"+" || line.starts_with(b"+ ")) {
            return self.challenge(&line, offset);
        }
        let response = match Response::parse(line) {
            Ok(r) => r,
            Err(e) => return self.bad_response(e.kind, offset + e.offset as u64),
        };
        if !response.is_ok() {
            self.done();
            return Some(ClientEvent::Err {
                command: kind,
                response,
            });
        }
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
            Some(Err(e)) => return self.bad_response(e.kind, offset + 4 + e.offset as u64),
            None => {}
        }
        if kind == CommandKind::Stls {
            self.tls = Tls::Switching;
            self.done();
            if !self.buf.is_empty() {
                // RFC 2595 section 4: the server sends nothing after its +OK before the
                // negotiation; bytes here were injected (the CVE-2011-0411 pattern).
                let at = self.buf.consumed();
                self.events.push_back(ClientEvent::Error(Error {
                    kind: ErrorKind::TlsInjection,
                    offset: at,
                }));
                self.shut(CloseReason::Error);
            }
        } else if multiline {
            self.reading = match kind {
                CommandKind::Retr | CommandKind::Top => {
                    let policy = if self.config.limits.allow_bare_lf {
                        DotPolicy::Lenient
                    } else {
                        DotPolicy::Strict
                    };
                    Reading::Data(kind, DotUnstuffer::new(policy))
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
            return Some(ClientEvent::End { command: kind });
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
            Err(e) => self.bad_response(e.kind, offset + e.offset as u64),
        }
    }

    /// The next event decoded from the receive buffer.
    fn decode(&mut self) -> Option<ClientEvent> {
        if self.closed || self.tls == Tls::Switching {
            return None;
        }
        if let Reading::Data(kind, dot) = &mut self.reading {
            let kind = *kind;
            return match dot.poll(&mut self.buf)? {
                Ok(Unstuffed::Data(b)) => Some(ClientEvent::Data(b)),
                Ok(Unstuffed::End) => {
                    self.done();
                    Some(ClientEvent::End { command: kind })
                }
                Err(e) => self.fatal(ErrorKind::from_dot(e.kind), e.offset),
            };
        }
        let offset = self.buf.consumed();
        let line = match self.lines.poll(&mut self.buf)? {
            Ok(l) => l.text,
            Err(e) => {
                let kind = match e.kind {
                    LineErrorKind::TooLong { .. } => ErrorKind::LineTooLong,
                    _ => ErrorKind::BareCrOrLf,
                };
                return self.fatal(kind, e.offset);
            }
        };
        match self.reading {
            Reading::Lines(kind) => self.body_line(kind, line, offset),
            _ => self.status_line(line, offset),
        }
    }

    /// Whether the client waits for the server (so the reply timer runs).
    fn answer_due(&self) -> bool {
        !self.closed
            && self.asked.is_none()
            && self.tls != Tls::Switching
            && (matches!(self.reading, Reading::Greeting) || !self.in_flight.is_empty())
    }

    fn clock(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.wait_from.is_none() {
            self.wait_from = Some(self.now);
        }
    }
}

impl core::fmt::Debug for Client {
    // The buffers hold raw protocol bytes (a PASS line on its way out), so they are
    // summarised by size, never printed.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("reading", &self.reading)
            .field("in_flight", &self.in_flight)
            .field("queued", &self.queue.len())
            .field("buffered", &self.buf.len())
            .field("unsent", &self.out.len())
            .field("pipelining", &self.pipelining)
            .field("tls", &self.tls)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Machine for Client {
    type Event = ClientEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.clock(now);
        if self.closed || bytes.is_empty() {
            return;
        }
        self.wait_from = Some(self.now);
        if self.tls == Tls::Switching {
            // Plaintext between the +OK to STLS and the handshake can only be injected.
            let at = self.buf.consumed() + self.buf.len() as u64;
            self.events.push_back(ClientEvent::Error(Error {
                kind: ErrorKind::TlsInjection,
                offset: at,
            }));
            self.shut(CloseReason::Error);
            return;
        }
        // Inside a message the unstuffer copies the input in, checking it on the way.
        let pushed = match &mut self.reading {
            Reading::Data(_, dot) => dot.push(&mut self.buf, bytes),
            _ => self.buf.push(bytes),
        };
        if pushed.is_err() {
            let offset = self.buf.consumed() + self.buf.len() as u64;
            self.events.push_back(ClientEvent::Error(Error {
                kind: ErrorKind::BufferFull,
                offset,
            }));
            self.shut(CloseReason::Error);
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.clock(now);
        // Acted on by `poll_event` once everything received before it is decoded.
        self.peer_eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.clock(now);
        if self.poll_timeout().is_some_and(|d| self.now >= d) {
            self.shut(CloseReason::Timeout);
        }
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        if let Some(e) = self.events.pop_front() {
            return Some(e);
        }
        if self.closed {
            return None;
        }
        if let Some(a) = &mut self.asked {
            if !a.again {
                return None;
            }
            // The last answer was refused locally: the same question, a fresh token.
            self.next_id += 1;
            a.id = self.next_id;
            a.again = false;
            return Some(ClientEvent::Challenge {
                data: a.data.clone(),
                decision: Decision::new(self.next_id),
            });
        }
        if let Some(e) = self.decode() {
            return Some(e);
        }
        if self.peer_eof && !self.closed && self.tls != Tls::Switching {
            let unterminated = self.buf.len();
            self.shut(CloseReason::PeerClosed { unterminated });
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
        if !self.answer_due() {
            return None;
        }
        let reply = self.config.timeouts.reply?;
        // A restart waits for the next call that brings the time: due at once.
        Some(self.wait_from.map_or(self.now, |t| t + reply))
    }

    fn is_closed(&self) -> bool {
        self.closed && self.events.is_empty()
    }

    fn wants_input(&self) -> bool {
        !self.closed && self.tls != Tls::Switching && (self.asked.is_none() || self.buf.is_empty())
    }

    fn wants_tls(&self) -> bool {
        !self.closed && self.tls == Tls::Switching
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.clock(now);
        if self.closed || self.tls == Tls::Secure {
            return;
        }
        // RFC 2595 section 4: the client MUST discard cached capabilities.
        self.tls = Tls::Secure;
        self.lines.reset();
        self.pipelining = false;
        self.wait_from = Some(self.now);
        self.pump();
    }
}

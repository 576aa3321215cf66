//! AUTHORIZATION on the server: USER/PASS, APOP, AUTH PLAIN and STLS (RFC 1939
//! sections 4 and 7, RFC 5034, RFC 2595), the answers to a `Login` decision, and the
//! failed-login limit. A child module of `server`, so the machine's state stays private.
//!
//! A login refused with [`ResponseCode::Auth`] or no code is a failed login. Its
//! `-ERR` is held for [`Timeouts::failed_login_delay`] as a deadline through
//! `poll_timeout` (never a sleep), so one connection can test at most one password per
//! delay; meanwhile nothing more is decoded and input waits in the bounded receive
//! buffer. The [`Limits::max_failed_logins`]-th failure is answered
//! `-ERR [AUTH] too many failed logins, closing connection` instead, then
//! `Error` ([`ErrorKind::TooManyFailedLogins`]) and `Closed(CloseReason::Error)`.
//! `[AUTH]` because RFC 3206 section 5 gives it to exactly this, a login that failed
//! on its credentials ("the client SHOULD NOT retry with the same credentials"), while
//! `[SYS/PERM]` (section 4) says the server itself is broken, which would send a user to
//! the wrong fix. RFC 1939 has no closing status, so the text says it; a POP3 client
//! reads one status line per command, and this one ends the session. An EOF while an
//! answer is held ends the session at once (`Closed(PeerClosed)`), the answer and any
//! input behind it dropped: the peer has gone, and a half-closed peer must not get the
//! answer early.
//!
//! [`Timeouts::failed_login_delay`]: crate::pop3::Timeouts::failed_login_delay
//! [`Limits::max_failed_logins`]: crate::pop3::Limits::max_failed_logins

use super::{Question, Server, State, Tls, STALE};
use crate::line::LinePolicy;
use crate::pop3::command::{Command, CommandKind};
use crate::pop3::error::ErrorKind;
use crate::pop3::maildrop::Maildrop;
use crate::pop3::sasl::PlainCredentials;
use crate::pop3::server_text::{put_reply, signoff};
use crate::pop3::server_types::{Credentials, Login, MessageInfo, ServerEvent};
use crate::pop3::types::{ResponseCode, Text};
#[cfg(doc)]
use crate::pop3::{Limits, Timeouts};
use crate::{CloseReason, Decision, Instant, SendError};
use bytes::{BufMut, Bytes, BytesMut};

/// The failed-login count of one connection and the answer being held.
#[derive(Debug, Default)]
pub(super) struct LoginGuard {
    /// Logins refused as failed so far. STLS does not reset it: the count belongs to the
    /// connection, so a guesser cannot buy a fresh allowance with a handshake.
    failed: usize,
    held: Option<Held>,
}

/// The answer to a failed login, waiting for its deadline.
#[derive(Debug)]
struct Held {
    /// The `-ERR` line; empty when `last` (the closing answer is the error's own).
    answer: BytesMut,
    until: Instant,
    last: bool,
    /// Stream offset after the login command, for the `Error`.
    offset: u64,
}

impl LoginGuard {
    /// Whether an answer is being held (nothing is decoded meanwhile).
    pub(super) fn holding(&self) -> bool {
        self.held.is_some()
    }

    /// When the held answer goes out.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.held.as_ref().map(|h| h.until)
    }
}

impl Server {
    /// Accepts a login: the caller has checked the credentials and holds the maildrop's
    /// exclusive lock (RFC 1939 section 8). `listing` is the maildrop in message-number
    /// order; the machine answers STAT/LIST/UIDL/DELE/RSET from it.
    ///
    /// ```
    /// use wirestate::pop3::{Credentials, MessageInfo, Server, ServerEvent, Uid};
    /// use wirestate::{Instant, Machine};
    /// let mut s = Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"USER alice\r\nPASS secret\r\nSTAT\r\n");
    /// assert!(s.poll_event().is_some()); // USER answered
    /// let Some(ServerEvent::Login { credentials, decision }) = s.poll_event() else { panic!() };
    /// assert!(matches!(credentials, Credentials::User { .. }));
    /// assert_eq!(s.poll_event(), None, "STAT waits for the answer");
    /// s.accept_login(decision, vec![MessageInfo::new(120, Uid::new("a1").unwrap())]).unwrap();
    /// let _ = s.poll_event(); // STAT answered
    /// let wire: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    /// assert!(wire.ends_with(b"+OK 1 120\r\n"));
    /// ```
    pub fn accept_login(
        &mut self,
        decision: Decision<Login>,
        listing: alloc::vec::Vec<MessageInfo>,
    ) -> Result<(), SendError> {
        let Question::Login { name, .. } = self.answer(decision.id())? else {
            return Err(STALE);
        };
        let drop = Maildrop::new(listing);
        // RFC 1939 section 10: "+OK mrose's maildrop has 2 messages (320 octets)".
        let mut text = BytesMut::from(&name[..]);
        text.put_slice(b"'s maildrop has ");
        drop.put_summary(&mut text);
        self.reply(true, None, &text);
        self.state = State::Transaction(drop);
        Ok(())
    }

    /// Refuses a login with `-ERR`, an optional response code ([`ResponseCode::Auth`]
    /// for bad credentials, [`ResponseCode::InUse`] for a locked maildrop, RFC 2449
    /// section 8.1.2) and text. The session stays in AUTHORIZATION.
    ///
    /// With [`ResponseCode::Auth`] or no code it is a failed login (see the module's
    /// docs): the answer is held for [`Timeouts::failed_login_delay`] and goes out at
    /// the first [`handle_timeout`](crate::Machine::handle_timeout) at or after that deadline
    /// (the example below refuses with `[IN-USE]`, which goes out at once), and the
    /// [`Limits::max_failed_logins`]-th closes the session.
    ///
    /// ```
    /// use wirestate::pop3::{ResponseCode, Server, ServerEvent, Text};
    /// use wirestate::{Instant, Machine};
    /// let mut s = Server::new(Default::default());
    /// let _ = s.poll_transmit();
    /// s.handle_input(Instant::ZERO, b"AUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n");
    /// let Some(ServerEvent::Login { decision, .. }) = s.poll_event() else { panic!() };
    /// s.reject_login(decision, Some(ResponseCode::InUse), Text::new("locked").unwrap()).unwrap();
    /// assert_eq!(&s.poll_transmit().unwrap()[..], b"-ERR [IN-USE] locked\r\n");
    /// ```
    pub fn reject_login(
        &mut self,
        decision: Decision<Login>,
        code: Option<ResponseCode>,
        text: Text,
    ) -> Result<(), SendError> {
        self.answer(decision.id())?;
        self.state = State::Authorization { user: None };
        // RFC 3206: [AUTH] (or no code) is a credential failure; [IN-USE], [SYS/TEMP],
        // [SYS/PERM] and [LOGIN-DELAY] are the server's reasons, not the client's guess.
        if !matches!(code, None | Some(ResponseCode::Auth)) {
            self.reply(false, code.as_ref(), text.as_bytes());
            return Ok(());
        }
        self.logins.failed = self.logins.failed.saturating_add(1);
        let last = self.logins.failed >= self.config.limits.max_failed_logins;
        let mut answer = BytesMut::new();
        if !last {
            put_reply(
                &mut answer,
                self.config.limits.max_response_line,
                false,
                code.as_ref(),
                text.as_bytes(),
            );
        }
        let held = Held {
            answer,
            until: self.now,
            last,
            offset: self.buf.consumed(),
        };
        match self.config.timeouts.failed_login_delay {
            Some(d) if !d.is_zero() => {
                self.logins.held = Some(Held {
                    until: self.now + d,
                    ..held
                });
            }
            _ => self.login_failed(held),
        }
        Ok(())
    }

    /// AUTHORIZATION (RFC 1939 section 4, section 7's APOP, RFC 5034 AUTH, RFC 2595 STLS).
    pub(super) fn authorization(&mut self, cmd: Command) -> ServerEvent {
        let kind = cmd.kind();
        let refuse_password = self.password_refused();
        let State::Authorization { user } = &mut self.state else {
            return ServerEvent::Answered(kind);
        };
        match cmd {
            Command::Capa => self.capa(),
            Command::Quit => {
                // RFC 1939 section 4: QUIT in AUTHORIZATION ends without UPDATE.
                let t = signoff(&self.config, None);
                self.reply(true, None, &t);
                self.shut(CloseReason::Done);
            }
            Command::User(name) => {
                if !self.config.user_pass {
                    self.err("USER/PASS not offered here");
                } else if refuse_password {
                    self.refuse_plaintext();
                } else {
                    *user = Some(name);
                    self.reply(true, None, b"send PASS");
                }
            }
            // RFC 1939 section 7: PASS only right after a successful USER.
            Command::Pass(password) => match user.take() {
                None => self.err("USER first"),
                Some(name) => {
                    let n = Bytes::copy_from_slice(name.as_bytes());
                    let id = self.ask(|id| Question::Login { id, name: n });
                    return ServerEvent::Login {
                        credentials: Credentials::User { name, password },
                        decision: Decision::new(id),
                    };
                }
            },
            Command::Apop { name, digest } => {
                *user = None;
                match &self.config.apop_timestamp {
                    None => self.err("APOP not offered here"),
                    Some(t) => {
                        let timestamp = Bytes::copy_from_slice(t.as_bytes());
                        let n = Bytes::copy_from_slice(name.as_bytes());
                        let id = self.ask(|id| Question::Login { id, name: n });
                        return ServerEvent::Login {
                            credentials: Credentials::Apop {
                                name,
                                digest,
                                timestamp,
                            },
                            decision: Decision::new(id),
                        };
                    }
                }
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                *user = None;
                if !self.config.sasl_plain || !mechanism.as_bytes().eq_ignore_ascii_case(b"PLAIN") {
                    // RFC 5034 section 4: an unsupported mechanism gets -ERR.
                    self.err("unsupported authentication mechanism");
                } else if refuse_password {
                    // An initial response already on this line has crossed the wire; it
                    // is dropped unread, and nothing more is asked for in the clear.
                    self.refuse_plaintext();
                } else if let Some(r) = initial_response {
                    return self.plain(r.expose());
                } else {
                    // RFC 5034 section 4: no initial response, so an empty challenge.
                    self.out.put_slice(b"+ \r\n");
                    self.state = State::SaslPlain;
                    self.lines
                        .set_policy(LinePolicy::strict(self.config.limits.max_auth_line));
                }
            }
            Command::Stls => {
                if !self.config.stls || self.tls != Tls::Plain {
                    // RFC 2595 section 4: "-ERR" when TLS is active or not offered.
                    self.err("STLS not available");
                } else {
                    *user = None;
                    self.reply(true, None, b"Begin TLS negotiation");
                    // RFC 2595 section 4 (and CVE-2011-0411): nothing sent before the
                    // handshake may be read as a command after it.
                    self.buf.clear();
                    self.lines.reset();
                    self.tls = Tls::Switching;
                }
            }
            other => {
                let mut t = BytesMut::from(other.kind().keyword().as_bytes());
                t.put_slice(b" not valid in AUTHORIZATION state");
                self.reply(false, None, &t);
            }
        }
        ServerEvent::Answered(kind)
    }

    /// Whether a password must be refused now: `login_requires_tls` before TLS.
    fn password_refused(&self) -> bool {
        self.config.login_requires_tls && self.tls == Tls::Plain
    }

    /// RFC 2595 section 2.2: no plaintext password before TLS. `[AUTH]` (RFC 3206) says
    /// the refusal is about authentication, as Dovecot answers it.
    fn refuse_plaintext(&mut self) {
        self.reply(
            false,
            Some(&ResponseCode::Auth),
            b"plaintext authentication disallowed without TLS; use STLS",
        );
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
                let id = self.ask(|id| Question::Login { id, name });
                ServerEvent::Login {
                    credentials: Credentials::Plain(c),
                    decision: Decision::new(id),
                }
            }
        }
    }

    pub(super) fn sasl_line(&mut self, line: &[u8]) -> ServerEvent {
        self.lines
            .set_policy(LinePolicy::strict(self.config.limits.max_command_line));
        self.state = State::Authorization { user: None };
        // RFC 5034 section 4: "*" cancels, and the server MUST answer -ERR.
        if line == b"*" {
            self.err("authentication cancelled");
            return ServerEvent::Answered(CommandKind::Auth);
        }
        match crate::base64::decode(line) {
            Some(m) => self.plain(&m),
            None => {
                self.err("invalid base64");
                ServerEvent::Answered(CommandKind::Auth)
            }
        }
    }

    /// The peer closed while an answer is held: the session ends at once, the answer and
    /// any input behind it dropped. The peer has gone, and a half-closed peer must not
    /// get its answer before the delay.
    pub(super) fn drop_login_answer(&mut self) {
        if self.logins.held.take().is_some() && !self.closed {
            let unterminated = self.buf.len();
            self.shut(CloseReason::PeerClosed { unterminated });
        }
    }

    /// Sends the held answer once `now` has reached its deadline.
    pub(super) fn release_login_answer(&mut self) {
        match self.logins.held.take() {
            Some(h) if h.until > self.now => self.logins.held = Some(h),
            Some(_) if self.closed => {}
            Some(h) => {
                // The client waited on us: its autologout starts again now.
                self.idle_from = Some(self.now);
                self.login_failed(h);
            }
            None => {}
        }
    }

    fn login_failed(&mut self, h: Held) {
        if h.last {
            self.fatal(ErrorKind::TooManyFailedLogins, h.offset);
        } else {
            self.out.put_slice(&h.answer);
        }
    }
}

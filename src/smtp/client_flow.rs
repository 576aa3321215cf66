//! The client's reply handling: each reply is matched, in order, against the command
//! it answers (RFC 2920 3.1: replies come back in command order), and the connection
//! moves on. Also the [`Machine`] impl.

use super::auth::{base64_encode, AuthMechanism};
use super::client::{BodyState, ClientError, ClientEvent, Expect, SmtpClient};
use super::command::Command;
use super::ext::Capabilities;
use super::reply::Reply;
use crate::dot::DotStuffer;
use crate::{Instant, Machine};
use bytes::Bytes;

impl SmtpClient {
    fn pipelining(&self) -> bool {
        self.caps.pipelining && self.config.pipelining
    }

    fn on_reply(&mut self, reply: Reply) {
        let Some(e) = self.expect.pop_front() else {
            let err = if reply.code().get() == 421 {
                ClientError::Refused {
                    during: "the connection",
                    reply,
                }
            } else {
                ClientError::Unexpected(reply)
            };
            return self.fail(err);
        };
        self.deadline = self.expect.front().map(|&n| self.now + self.timeout_for(n));
        // RFC 5321 3.8: 421 may answer any command; the server is closing.
        if reply.code().get() == 421 && e != Expect::Quit {
            return self.fail(ClientError::Refused {
                during: name(e),
                reply,
            });
        }
        let ok = reply.code().is_positive();
        match e {
            Expect::Greeting if reply.code().get() == 220 => {
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
                let _ = self.cmd(&Command::Helo(h), Expect::Helo);
            }
            Expect::Helo if ok => {
                self.caps = Capabilities::default();
                self.after_hello();
            }
            Expect::StartTls if reply.code().get() == 220 => {
                self.tls_pending = true;
                self.events.push_back(ClientEvent::StartTls);
            }
            Expect::AuthLoginUser | Expect::AuthLoginPass if reply.code().get() == 334 => {
                let creds = self
                    .config
                    .credentials
                    .clone()
                    .unwrap_or_else(|| super::Credentials::new("", ""));
                let (text, next) = if e == Expect::AuthLoginUser {
                    (creds.username, Expect::AuthLoginPass)
                } else {
                    (creds.password, Expect::AuthDone)
                };
                self.out
                    .extend_from_slice(base64_encode(text.as_bytes()).as_bytes());
                self.out.extend_from_slice(b"\r\n");
                self.expect(next);
            }
            // RFC 4954 says 235; Postfix's smtp-sink says 250. RFC 5321 4.2.1: the first
            // digit decides, so any 2yz is success.
            Expect::AuthPlain | Expect::AuthDone if reply.code().is_positive() => {
                self.authenticated = true;
                self.events.push_back(ClientEvent::Authenticated(reply));
                self.ready();
            }
            Expect::Greeting | Expect::Ehlo | Expect::Helo | Expect::StartTls => {
                // RFC 5321 3.1: after a refusal the client should still say QUIT.
                let _ = Command::Quit.encode(&mut self.out);
                self.fail(ClientError::Refused {
                    during: name(e),
                    reply,
                });
            }
            Expect::AuthPlain
            | Expect::AuthLoginUser
            | Expect::AuthLoginPass
            | Expect::AuthDone => {
                let _ = Command::Quit.encode(&mut self.out);
                self.fail(ClientError::Refused {
                    during: "AUTH",
                    reply,
                });
            }
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
            Expect::Quit => {
                self.events.push_back(ClientEvent::Closed(reply));
                self.closed = true;
                self.deadline = None;
            }
        }
    }

    fn after_hello(&mut self) {
        if self.config.starttls && self.caps.starttls && !self.tls {
            let _ = self.cmd(&Command::StartTls, Expect::StartTls);
            return;
        }
        let Some(creds) = self.config.credentials.clone() else {
            return self.ready();
        };
        if self.authenticated {
            return self.ready();
        }
        let allowed = self.tls || self.config.auth_without_tls;
        if allowed && self.caps.auth.contains(&AuthMechanism::Plain) {
            // RFC 4954 4: the initial response saves a round trip.
            let c = Command::Auth {
                mechanism: AuthMechanism::Plain,
                initial: Some(creds.plain_response()),
            };
            let _ = self.cmd(&c, Expect::AuthPlain);
        } else if allowed && self.caps.auth.contains(&AuthMechanism::Login) {
            let c = Command::Auth {
                mechanism: AuthMechanism::Login,
                initial: None,
            };
            let _ = self.cmd(&c, Expect::AuthLoginUser);
        } else {
            let _ = Command::Quit.encode(&mut self.out);
            self.fail(ClientError::AuthNotOffered);
        }
    }

    fn first_failure(&self) -> Option<Reply> {
        self.tx.as_ref().and_then(|t| t.last_reply.clone())
    }

    fn note_failure(&mut self, reply: &Reply) {
        if let Some(t) = &mut self.tx {
            t.failed = true;
            if t.last_reply.is_none() {
                t.last_reply = Some(reply.clone());
            }
        }
    }

    /// The transaction is over without delivery; RSET puts the connection back to idle
    /// (RFC 5321 4.1.1.5) so another transaction can follow.
    fn tx_failed(&mut self, reply: Reply) {
        self.events.push_back(ClientEvent::Failed(reply));
        self.tx = None;
        self.stuffer = DotStuffer::new();
        let _ = self.cmd(&Command::Rset, Expect::Rset);
    }

    fn mail_reply(&mut self, reply: Reply) {
        self.events.push_back(ClientEvent::MailFrom(reply.clone()));
        if !reply.code().is_positive() {
            self.note_failure(&reply);
            if !self.pipelining() {
                self.tx_failed(reply);
            }
            return;
        }
        if !self.pipelining() {
            self.next_rcpt();
        }
    }

    fn next_rcpt(&mut self) {
        let Some(t) = &mut self.tx else { return };
        let i = t.next_rcpt;
        if i >= t.recipients.len() {
            return self.after_rcpts();
        }
        t.next_rcpt += 1;
        let c = Command::Rcpt {
            to: t.recipients[i].clone(),
            params: t.rcpt_params[i].clone(),
        };
        let _ = self.cmd(&c, Expect::Rcpt(i));
    }

    fn rcpt_reply(&mut self, index: usize, reply: Reply) {
        let positive = reply.code().is_positive();
        self.events.push_back(ClientEvent::Recipient {
            index,
            reply: reply.clone(),
        });
        let Some(t) = &mut self.tx else { return };
        if positive {
            t.accepted.push(index);
        } else if t.last_reply.is_none() {
            // Reported only if no recipient is accepted at all.
            t.last_reply = Some(reply);
        }
        let last = index + 1 == t.recipients.len();
        let bdat = t.bdat;
        if !self.pipelining() {
            self.next_rcpt();
        } else if last && bdat {
            self.after_rcpts();
        }
    }

    fn after_rcpts(&mut self) {
        let Some(t) = &mut self.tx else { return };
        if t.failed || t.accepted.is_empty() {
            let r = t
                .last_reply
                .clone()
                .unwrap_or_else(|| Reply::fixed(554, None, "No valid recipients"));
            return self.tx_failed(r);
        }
        t.last_reply = None;
        if t.bdat {
            t.body = BodyState::Open;
            self.events.push_back(ClientEvent::SendBody);
        } else {
            let _ = self.cmd(&Command::Data, Expect::Data);
        }
    }

    fn data_reply(&mut self, reply: Reply) {
        let Some(t) = &mut self.tx else { return };
        let doomed = t.failed || t.accepted.is_empty();
        if reply.code().get() == 354 {
            if doomed {
                // RFC 2920 3.1: DATA was accepted although no recipient was; end the
                // empty message at once.
                self.out.extend_from_slice(b".\r\n");
                self.expect(Expect::DataDiscard);
                return;
            }
            t.last_reply = None;
            t.body = BodyState::Open;
            self.stuffer = DotStuffer::new();
            self.events.push_back(ClientEvent::SendBody);
            return;
        }
        let first = if doomed { t.last_reply.clone() } else { None };
        self.tx_failed(first.unwrap_or(reply));
    }

    fn bdat_reply(&mut self, reply: Reply) {
        let Some(t) = &mut self.tx else { return };
        t.bdat_outstanding = t.bdat_outstanding.saturating_sub(1);
        if !reply.code().is_positive() {
            self.note_failure(&reply);
        }
        let Some(t) = &self.tx else { return };
        // RFC 3030 2: after a refused chunk send no more; once every chunk sent so far
        // is answered (and no LAST is outstanding) the transaction is over.
        if t.failed && t.bdat_outstanding == 0 && t.body != BodyState::Ended {
            let r = t.last_reply.clone().unwrap_or(reply);
            self.tx_failed(r);
        } else if !t.failed
            && t.body == BodyState::Open
            && t.bdat_outstanding == 0
            && !self.pipelining()
        {
            // Without PIPELINING each chunk waits for its reply (RFC 3030 4.2): say when.
            self.events.push_back(ClientEvent::SendBody);
        }
    }

    fn end_reply(&mut self, reply: Reply) {
        let lmtp = self.config.lmtp;
        let Some(t) = &mut self.tx else { return };
        if t.bdat {
            t.bdat_outstanding = t.bdat_outstanding.saturating_sub(1);
        }
        if t.failed {
            t.lmtp_pending = t.lmtp_pending.saturating_sub(1);
            if t.lmtp_pending == 0 {
                let r = t.last_reply.clone().unwrap_or(reply);
                self.tx_failed(r);
            }
            return;
        }
        if lmtp {
            let k = t.accepted.len() - t.lmtp_pending.min(t.accepted.len());
            let index = t.accepted.get(k).copied().unwrap_or(0);
            t.lmtp_pending = t.lmtp_pending.saturating_sub(1);
            self.events.push_back(ClientEvent::Delivery {
                index,
                reply: reply.clone(),
            });
            if t.lmtp_pending > 0 {
                return;
            }
        } else if !reply.code().is_positive() {
            return self.tx_failed(reply);
        }
        let accepted = core::mem::take(&mut t.accepted);
        self.tx = None;
        self.events.push_back(ClientEvent::Sent { reply, accepted });
        self.ready();
    }
}

fn name(e: Expect) -> &'static str {
    match e {
        Expect::Greeting => "greeting",
        Expect::Ehlo => "EHLO",
        Expect::Helo => "HELO",
        Expect::StartTls => "STARTTLS",
        Expect::AuthPlain | Expect::AuthLoginUser | Expect::AuthLoginPass | Expect::AuthDone => {
            "AUTH"
        }
        Expect::Mail => "MAIL",
        Expect::Rcpt(_) => "RCPT",
        Expect::Data => "DATA",
        Expect::DataDiscard | Expect::DataEnd => "end of data",
        Expect::Bdat | Expect::BdatLast => "BDAT",
        Expect::Rset => "RSET",
        Expect::Quit => "QUIT",
    }
}

impl Machine for SmtpClient {
    type Event = ClientEvent;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.now = self.now.max(now);
        if self.closed {
            return;
        }
        if self.buf.push(bytes).is_err() {
            self.fail(ClientError::InputOverflow);
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
        if let (Some(d), Some(&e)) = (self.deadline, self.expect.front()) {
            if d <= self.now {
                self.fail(ClientError::Timeout(name(e)));
            }
        }
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        loop {
            if let Some(ev) = self.events.pop_front() {
                return Some(ev);
            }
            if self.closed || self.tls_pending {
                return None;
            }
            match self.parser.poll(&mut self.buf) {
                Some(Ok(r)) => self.on_reply(r),
                Some(Err(e)) => self.fail(ClientError::BadReply(e)),
                None if self.eof => self.fail(ClientError::PeerClosed),
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
}

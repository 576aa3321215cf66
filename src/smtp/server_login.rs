//! Logins on the server: the AUTH command and its SASL lines (RFC 4954 4), the answer to
//! an `Auth` decision, and the failed-login limit. A child module of `server`, so the
//! machine's state stays private to it.
//!
//! A login the caller refuses with a `5yz` (normally `535 5.7.8`, RFC 4954 6) is a
//! failed login. Its answer is held for [`Timeouts::failed_login_delay`] as a deadline
//! through `poll_timeout` (never a sleep), so one connection can test at most one
//! password per delay; meanwhile nothing more is decoded and input waits in the bounded
//! receive buffer. The [`Limits::max_failed_logins`]-th failure is answered
//! `421 4.7.0` instead, and the connection closes with
//! [`ErrorKind::TooManyFailedLogins`]: RFC 5321 3.8 lets a server that must close answer
//! any command with 421, and one reply per command keeps a client in step. A `4yz`
//! refusal (`454 4.7.0`, a temporary failure on the server's side, RFC 4954 6) is not
//! the client's failure: it is sent at once and not counted. An EOF while an answer is
//! held ends the session at once (`Closed(PeerClosed)`), the answer and any input
//! behind it dropped: the peer has gone, and a half-closed peer must not get the answer
//! early.
//!
//! [`Timeouts::failed_login_delay`]: crate::smtp::Timeouts::failed_login_delay
//! [`Limits::max_failed_logins`]: crate::smtp::Limits::max_failed_logins

use super::{Ask, Phase, Server, ServerEvent};
use crate::smtp::auth::AuthMechanism;
use crate::smtp::error::ErrorKind;
use crate::smtp::reply::Reply;
use crate::smtp::server_auth::{AuthStep, SaslExchange};
use crate::smtp::server_check as check;
use crate::{CloseReason, Instant};
use alloc::format;
use alloc::string::String;

/// The failed-login count of one connection and the answer being held.
#[derive(Debug, Default)]
pub(super) struct LoginGuard {
    /// Logins refused with a `5yz` so far. STARTTLS does not reset it: the count belongs
    /// to the connection, so a guesser cannot buy a fresh allowance with a handshake.
    failed: usize,
    held: Option<Held>,
}

/// The answer to a failed login, waiting for its deadline.
#[derive(Debug)]
struct Held {
    reply: Reply,
    until: Instant,
    /// The limit was reached: the reply is the closing 421.
    last: bool,
    /// Stream offset of the line that ended the AUTH exchange, for the `Error`.
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
    /// `AUTH mechanism [initial-response]`: checked, then the SASL exchange starts.
    pub(super) fn auth_command(&mut self, mechanism: AuthMechanism, initial: Option<String>) {
        if let Some(f) = check::auth(&self.session, &self.config, &mechanism) {
            return self.refuse_with(f);
        }
        let (exchange, step) = SaslExchange::start(mechanism.clone(), initial.as_deref());
        self.auth_step(mechanism, exchange, step);
    }

    /// One SASL response line (RFC 4954 4).
    pub(super) fn auth_line(&mut self, line: &[u8]) {
        let Phase::Auth(mut exchange) = core::mem::replace(&mut self.phase, Phase::Command) else {
            return;
        };
        let step = exchange.response(line);
        let mechanism = exchange.mechanism().clone();
        self.auth_step(mechanism, Some(exchange), step);
    }

    fn auth_step(
        &mut self,
        mechanism: AuthMechanism,
        exchange: Option<SaslExchange>,
        step: AuthStep,
    ) {
        match step {
            AuthStep::Prompt(p) => {
                self.send(Reply::fixed(334, None, p));
                if let Some(x) = exchange {
                    self.phase = Phase::Auth(x);
                }
            }
            AuthStep::Done(credentials) => {
                self.decide(Ask::Auth, move |decision| ServerEvent::Auth {
                    mechanism: mechanism.clone(),
                    credentials: credentials.clone(),
                    decision,
                })
            }
            AuthStep::Cancelled => {
                let r = self.r(501, (5, 7, 0), "Authentication cancelled");
                self.refuse(r, "RFC 4954 4: client cancelled AUTH");
            }
            AuthStep::Undecodable => {
                let r = self.r(501, (5, 5, 2), "Cannot decode response");
                self.refuse(r, "RFC 4954 4: response is not valid base64");
            }
        }
    }

    /// The caller answered the `Auth` decision; `None` is the default `235`.
    pub(super) fn auth_answered(&mut self, reply: Option<Reply>) {
        let reply = match reply {
            Some(r) if r.code().is_negative() => r,
            r => {
                self.session.authenticated = true;
                let r = r.unwrap_or_else(|| self.r(235, (2, 7, 0), "Authentication successful"));
                return self.send(r);
            }
        };
        self.session.authenticated = false;
        if !reply.code().is_permanent() {
            return self.send(reply);
        }
        self.logins.failed = self.logins.failed.saturating_add(1);
        let last = self.logins.failed >= self.config.limits.max_failed_logins;
        let reply = if last {
            let text = format!(
                "{} Error: too many failed authentication attempts, closing connection",
                self.config.hostname
            );
            self.r(421, (4, 7, 0), &text)
        } else {
            reply
        };
        let offset = self.line_start;
        match self.config.timeouts.failed_login_delay {
            Some(d) if !d.is_zero() => {
                self.logins.held = Some(Held {
                    reply,
                    until: self.now + d,
                    last,
                    offset,
                });
            }
            _ => self.login_failed(reply, last, offset),
        }
    }

    /// The peer closed while an answer is held: the session ends at once, the answer and
    /// any input behind it dropped. The peer has gone, and a half-closed peer must not
    /// get its answer before the delay.
    pub(super) fn drop_login_answer(&mut self) {
        if self.logins.held.take().is_some() && !matches!(self.phase, Phase::Closed) {
            let unterminated = self.buf.len();
            self.buf.clear();
            self.shut(CloseReason::PeerClosed { unterminated });
        }
    }

    /// Sends the held answer once `now` has reached its deadline.
    pub(super) fn release_login_answer(&mut self) {
        let Some(h) = self.logins.held.take() else {
            return;
        };
        if h.until > self.now {
            self.logins.held = Some(h);
            return;
        }
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        // The client waited on us: its idle time starts now.
        self.last_input = self.now;
        self.login_failed(h.reply, h.last, h.offset);
    }

    fn login_failed(&mut self, reply: Reply, last: bool, offset: u64) {
        if last {
            self.fail(ErrorKind::TooManyFailedLogins, offset, reply);
        } else {
            self.send(reply);
        }
    }
}

//! The server's AUTH exchange (RFC 4954 section 4): PLAIN (RFC 4616) with or without an
//! initial response, and LOGIN's two prompts; `*` cancels.

use super::auth::{base64_decode, AuthMechanism, Credentials};
use super::reply::Reply;
use super::server::{HelloVerb, Pending, Phase, ServerEvent, SmtpServer};
use alloc::string::String;

impl SmtpServer {
    pub(super) fn auth_command(&mut self, mechanism: AuthMechanism, initial: Option<String>) {
        if self.config.auth.is_empty() {
            let r = self.r(502, (5, 5, 1), "AUTH not offered");
            return self.refuse(r, "RFC 4954 4: AUTH not offered");
        }
        if !self.auth_offered() {
            let r = self.r(
                538,
                (5, 7, 11),
                "Encryption required for requested authentication mechanism",
            );
            return self.refuse(r, "RFC 4954 6: AUTH needs TLS here");
        }
        if !matches!(self.hello, Some(HelloVerb::Ehlo | HelloVerb::Lhlo)) {
            return self.seq("Send EHLO first", "RFC 4954 4: AUTH follows EHLO");
        }
        if self.authenticated {
            return self.seq(
                "Already authenticated",
                "RFC 4954 4: only one successful AUTH",
            );
        }
        if self.tx.is_some() {
            return self.seq(
                "AUTH inside a transaction",
                "RFC 4954 4: AUTH not allowed during a mail transaction",
            );
        }
        if !self.config.auth.contains(&mechanism)
            || !matches!(mechanism, AuthMechanism::Plain | AuthMechanism::Login)
        {
            let r = self.r(504, (5, 5, 4), "Unrecognized authentication type");
            return self.refuse(r, "RFC 4954 4: mechanism not offered");
        }
        match initial {
            Some(i) => {
                let raw = if i == "=" { String::new() } else { i };
                self.phase = Phase::AuthResponse {
                    mechanism,
                    user: None,
                };
                self.auth_response(raw.as_bytes());
            }
            None => {
                let prompt = if mechanism == AuthMechanism::Login {
                    "VXNlcm5hbWU6"
                } else {
                    ""
                };
                self.send(Reply::fixed(334, None, prompt));
                self.phase = Phase::AuthResponse {
                    mechanism,
                    user: None,
                };
            }
        }
    }

    /// One SASL response line (RFC 4954 4): base64, or `*` to cancel.
    pub(super) fn auth_response(&mut self, line: &[u8]) {
        let Phase::AuthResponse { mechanism, user } =
            core::mem::replace(&mut self.phase, Phase::Command)
        else {
            return;
        };
        if line == b"*" {
            let r = self.r(501, (5, 7, 0), "Authentication cancelled");
            return self.refuse(r, "RFC 4954 4: client cancelled AUTH");
        }
        let bad = |s: &mut Self| {
            let r = s.r(501, (5, 5, 2), "Cannot decode response");
            s.refuse(r, "RFC 4954 4: response is not valid base64");
        };
        let Some(raw) = base64_decode(line) else {
            return bad(self);
        };
        let credentials = match (&mechanism, user) {
            (AuthMechanism::Plain, _) => match core::str::from_utf8(line)
                .ok()
                .and_then(Credentials::from_plain)
            {
                Some(c) => c,
                None => return bad(self),
            },
            (_, None) => {
                let Ok(u) = String::from_utf8(raw) else {
                    return bad(self);
                };
                self.send(Reply::fixed(334, None, "UGFzc3dvcmQ6"));
                self.phase = Phase::AuthResponse {
                    mechanism,
                    user: Some(u),
                };
                return;
            }
            (_, Some(u)) => {
                let Ok(p) = String::from_utf8(raw) else {
                    return bad(self);
                };
                Credentials {
                    authzid: String::new(),
                    username: u,
                    password: p,
                }
            }
        };
        self.decide(
            Pending::Auth,
            ServerEvent::Auth {
                mechanism,
                credentials,
            },
        );
    }
}

//! The server's side of the AUTH exchange (RFC 4954 4): PLAIN (RFC 4616) with or without
//! an initial response, and LOGIN's two prompts; `*` cancels. It only decodes; the
//! session's state moves in `server.rs`.

use super::auth::{AuthMechanism, Credentials};
use crate::Secret;
use alloc::string::String;

/// What the next SASL line did.
#[derive(Debug)]
pub(super) enum AuthStep {
    /// Send `334 <prompt>` and wait for another line.
    Prompt(&'static str),
    /// The credentials are complete: ask the caller.
    Done(Credentials),
    /// The client sent `*` (RFC 4954 4): `501`.
    Cancelled,
    /// Not base64, or not a valid PLAIN message: `501`.
    Undecodable,
}

/// One AUTH exchange in progress.
#[derive(Debug)]
pub(super) struct SaslExchange {
    mechanism: AuthMechanism,
    user: Option<String>,
}

impl SaslExchange {
    /// Starts PLAIN or LOGIN; the first step answers the command itself.
    pub(super) fn start(
        mechanism: AuthMechanism,
        initial: Option<&str>,
    ) -> (Option<SaslExchange>, AuthStep) {
        let mut x = SaslExchange {
            mechanism,
            user: None,
        };
        match initial {
            // RFC 4954 4: "=" is an empty initial response.
            Some(i) => {
                let step = x.response(if i == "=" { b"" } else { i.as_bytes() });
                let more = matches!(step, AuthStep::Prompt(_));
                (more.then_some(x), step)
            }
            None => {
                let prompt = if x.mechanism == AuthMechanism::Login {
                    "VXNlcm5hbWU6" // "Username:"
                } else {
                    ""
                };
                (Some(x), AuthStep::Prompt(prompt))
            }
        }
    }

    /// The mechanism being used.
    pub(super) fn mechanism(&self) -> &AuthMechanism {
        &self.mechanism
    }

    /// One response line.
    pub(super) fn response(&mut self, line: &[u8]) -> AuthStep {
        if line == b"*" {
            return AuthStep::Cancelled;
        }
        if self.mechanism == AuthMechanism::Plain {
            return match Credentials::from_plain(line) {
                Some(c) => AuthStep::Done(c),
                None => AuthStep::Undecodable,
            };
        }
        let Some(raw) = crate::base64::decode(line) else {
            return AuthStep::Undecodable;
        };
        match self.user.take() {
            None => match String::from_utf8(raw) {
                Ok(u) => {
                    self.user = Some(u);
                    AuthStep::Prompt("UGFzc3dvcmQ6") // "Password:"
                }
                Err(_) => AuthStep::Undecodable,
            },
            Some(username) => {
                if core::str::from_utf8(&raw).is_err() {
                    return AuthStep::Undecodable;
                }
                let mut c = Credentials::new(&username, Secret::new(raw));
                c.authzid = String::new();
                AuthStep::Done(c)
            }
        }
    }
}

//! The client's configuration and the envelope of one message.

use super::address::{Domain, ForwardPath, Host, ReversePath};
use super::auth::Credentials;
use super::command::{Body, MailParams, RcptParams};
use super::ext::Capabilities;
use super::limits::{Limits, Timeouts};
use crate::{SendError, SyntaxError};
use alloc::vec::Vec;

/// How the client introduces itself and what it uses when offered. Every field is
/// checked when its own type is built (a [`Host`]), so
/// [`Client::new`](super::Client::new) cannot fail. `Debug` does not show the password.
///
/// ```
/// use wirestate::smtp::{ClientConfig, Credentials, Host};
/// let mut c = ClientConfig::default();
/// c.hello = Host::parse("client.example", false).unwrap();
/// c.credentials = Some(Credentials::new("user", "secret"));
/// assert!(c.pipelining && c.chunking);
/// assert!(!format!("{c:?}").contains("secret"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The name sent with EHLO/HELO/LHLO: `localhost`.
    pub hello: Host,
    /// Speak LMTP (LHLO, one final reply per accepted recipient): off.
    pub lmtp: bool,
    /// Pipeline MAIL/RCPT/DATA and BDAT when the server offers PIPELINING: on.
    pub pipelining: bool,
    /// Send the body with BDAT when the server offers CHUNKING: on.
    pub chunking: bool,
    /// Ask for STARTTLS when offered: off. The driver must then switch the transport
    /// when [`wants_tls`](crate::Machine::wants_tls) says so.
    pub starttls: bool,
    /// When the server refuses STARTTLS (RFC 3207 4: `454`, or any other refusal but
    /// `421`), go on without TLS instead of ending the session: off. The refusal is
    /// reported as [`ClientEvent::StartTlsRefused`](super::ClientEvent::StartTlsRefused)
    /// and STARTTLS is not asked again; credentials are still sent only with
    /// `auth_without_tls`. This is opportunistic TLS; leave it off to require TLS.
    ///
    /// ```
    /// use wirestate::smtp::{Client, ClientConfig, ClientEvent};
    /// use wirestate::{Instant, Machine};
    /// let mut cfg = ClientConfig::default();
    /// cfg.starttls = true;
    /// cfg.continue_without_tls = true;
    /// let mut c = Client::new(cfg);
    /// c.handle_input(Instant::ZERO, b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n");
    /// while c.poll_event().is_some() {}
    /// assert_eq!(&c.poll_transmit().unwrap()[..], b"EHLO localhost\r\nSTARTTLS\r\n");
    /// c.handle_input(Instant::ZERO, b"454 4.7.0 TLS not available\r\n");
    /// assert!(matches!(c.poll_event(), Some(ClientEvent::StartTlsRefused(r)) if r.code().get() == 454));
    /// assert!(matches!(c.poll_event(), Some(ClientEvent::Ready)));
    /// assert!(c.is_ready() && !c.is_tls());
    /// ```
    pub continue_without_tls: bool,
    /// Log in after EHLO (PLAIN preferred, then LOGIN) when offered: none.
    pub credentials: Option<Credentials>,
    /// Send credentials without TLS: off.
    pub auth_without_tls: bool,
    /// Limits (the client uses `max_reply_line`, `max_reply_lines`, `max_buffered`).
    pub limits: Limits,
    /// Timeouts (the client uses `greeting`, `mail`, `rcpt`, `data_initiation`,
    /// `data_block`, `data_termination` and `reply`).
    pub timeouts: Timeouts,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            hello: Host::Domain(Domain::default()),
            lmtp: false,
            pipelining: true,
            chunking: true,
            starttls: false,
            continue_without_tls: false,
            credentials: None,
            auth_without_tls: false,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
        }
    }
}

impl ClientConfig {
    /// The default configuration introducing itself as `hello`.
    ///
    /// ```
    /// use wirestate::smtp::{ClientConfig, Host};
    /// let c = ClientConfig::with_hello(Host::parse("[127.0.0.1]", false).unwrap());
    /// assert_eq!(c.hello.as_str(), "[127.0.0.1]");
    /// ```
    pub fn with_hello(hello: Host) -> ClientConfig {
        ClientConfig {
            hello,
            ..ClientConfig::default()
        }
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
#[non_exhaustive]
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

    /// An envelope with MAIL parameters and per-recipient parameters.
    ///
    /// ```
    /// use wirestate::smtp::{Envelope, MailParams, ReversePath};
    /// let e = Envelope::with_params(ReversePath::Null, MailParams::default(), vec![]);
    /// assert!(e.recipients.is_empty());
    /// ```
    pub fn with_params(
        from: ReversePath,
        params: MailParams,
        recipients: Vec<(ForwardPath, RcptParams)>,
    ) -> Envelope {
        Envelope {
            from,
            params,
            recipients,
        }
    }

    /// The MAIL parameters to send, checked against what the server offers (RFC 6531
    /// 3.4, RFC 6152, RFC 3030 3, RFC 3461, RFC 4954 5, RFC 1870 4 and 6.1); `bdat` is
    /// whether the body will go as BDAT.
    pub(super) fn checked_params(
        &self,
        caps: &Capabilities,
        bdat: bool,
    ) -> Result<MailParams, SendError> {
        let mut params = self.params.clone();
        if params.body == Some(Body::EightBitMime) && !caps.eightbitmime {
            return Err(SendError::Unsupported("8BITMIME"));
        }
        if params.body == Some(Body::BinaryMime) && !(caps.binarymime && bdat) {
            return Err(SendError::Unsupported("BINARYMIME"));
        }
        if self.needs_utf8() || params.smtputf8 {
            if !caps.smtputf8 {
                return Err(SendError::Unsupported("SMTPUTF8"));
            }
            params.smtputf8 = true;
        }
        let dsn = params.ret.is_some()
            || params.envid.is_some()
            || self
                .recipients
                .iter()
                .any(|(_, p)| p.notify.is_some() || p.orcpt.is_some());
        if dsn && !caps.dsn {
            return Err(SendError::Unsupported("DSN"));
        }
        if params.auth.is_some() && caps.auth.is_empty() {
            return Err(SendError::Unsupported("AUTH"));
        }
        match (params.size, caps.size) {
            (Some(n), Some(max)) if max > 0 && n > max => {
                return Err(invalid(
                    "RFC 1870 6.1: message larger than the server's SIZE limit",
                ))
            }
            (Some(_), None) => params.size = None, // RFC 1870 4: only if offered
            _ => {}
        }
        if self.recipients.is_empty() {
            return Err(invalid(
                "RFC 5321 3.3: a transaction needs at least one recipient",
            ));
        }
        Ok(params)
    }

    fn needs_utf8(&self) -> bool {
        self.from.mailbox().is_some_and(|m| m.is_utf8())
            || self
                .recipients
                .iter()
                .any(|(t, _)| t.mailbox().is_some_and(|m| m.is_utf8()))
    }
}

fn invalid(rule: &'static str) -> SendError {
    SendError::Invalid(SyntaxError { rule, offset: 0 })
}

//! The server's command checks: given the session so far and what the server offers,
//! whether a command may go on or which reply refuses it (RFC 5321 4.1.4 sequencing and
//! the extensions' own rules). Pure functions of their arguments; the state moves in
//! `server.rs`.

use super::address::ForwardPath;
use super::command::{Body, MailParams, RcptParams};
use super::ext::Capabilities;
use super::reply::Reply;
use super::server_config::ServerConfig;
use super::server_event::{AbortReason, HelloVerb};
use crate::line::LineErrorKind;
use alloc::string::String;
use alloc::vec::Vec;

/// What the session has established so far (read by the checks, changed only by the
/// server's transitions).
#[derive(Clone, Debug, Default)]
pub(super) struct Session {
    pub(super) hello: Option<HelloVerb>,
    pub(super) tls: bool,
    pub(super) authenticated: bool,
    pub(super) tx: Option<Transaction>,
}

/// One mail transaction's facts.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Transaction {
    pub(super) smtputf8: bool,
    pub(super) binary: bool,
    pub(super) recipients: usize,
    pub(super) bdat: bool,
}

/// A refusal: the reply's code, enhanced code and text, and the rule it enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Refusal {
    pub(super) code: u16,
    pub(super) enh: (u8, u16, u16),
    pub(super) text: &'static str,
    pub(super) reason: &'static str,
}

const fn refusal(
    code: u16,
    enh: (u8, u16, u16),
    text: &'static str,
    reason: &'static str,
) -> Refusal {
    Refusal {
        code,
        enh,
        text,
        reason,
    }
}

/// `503 5.5.1`: a command out of sequence (RFC 5321 4.1.4).
const fn seq(text: &'static str, reason: &'static str) -> Refusal {
    refusal(503, (5, 5, 1), text, reason)
}

impl Session {
    fn ehlo(&self) -> bool {
        matches!(self.hello, Some(HelloVerb::Ehlo | HelloVerb::Lhlo))
    }

    /// Whether AUTH is offered now: configured, and under TLS unless allowed without.
    pub(super) fn auth_offered(&self, c: &ServerConfig) -> bool {
        !c.auth.is_empty() && (self.tls || c.auth_without_tls)
    }
}

pub(super) fn hello(c: &ServerConfig, verb: HelloVerb) -> Option<Refusal> {
    if c.lmtp == (verb == HelloVerb::Lhlo) {
        return None;
    }
    let text = if c.lmtp {
        "Use LHLO"
    } else {
        "Command unrecognized"
    };
    Some(refusal(
        500,
        (5, 5, 1),
        text,
        "RFC 2033 4.1: LMTP uses LHLO, SMTP uses HELO/EHLO",
    ))
}

pub(super) fn mail(s: &Session, c: &ServerConfig, params: &MailParams) -> Option<Refusal> {
    if s.hello.is_none() {
        return Some(seq(
            "Send HELO/EHLO first",
            "RFC 5321 4.1.4: MAIL before HELO/EHLO",
        ));
    }
    if s.tx.is_some() {
        return Some(seq(
            "Nested MAIL command",
            "RFC 5321 4.1.4: MAIL inside a transaction",
        ));
    }
    let unsupported = if !s.ehlo() && *params != MailParams::default() {
        Some("RFC 5321 4.1.1.11: parameters need EHLO")
    } else if params.body == Some(Body::EightBitMime) && !c.eightbitmime {
        Some("RFC 6152: 8BITMIME not offered")
    } else if params.body == Some(Body::BinaryMime) && !(c.binarymime && c.chunking) {
        Some("RFC 3030 3: BINARYMIME not offered")
    } else if params.smtputf8 && !c.smtputf8 {
        Some("RFC 6531: SMTPUTF8 not offered")
    } else if (params.ret.is_some() || params.envid.is_some()) && !c.dsn {
        Some("RFC 3461: DSN not offered")
    } else if params.auth.is_some() && !s.auth_offered(c) {
        Some("RFC 4954 5: AUTH not offered")
    } else if !params.other.is_empty() {
        Some("RFC 5321 4.1.1.11: unknown MAIL parameter")
    } else {
        None
    };
    if let Some(reason) = unsupported {
        return Some(refusal(
            555,
            (5, 5, 4),
            "Unsupported MAIL parameter",
            reason,
        ));
    }
    if let (Some(n), Some(max)) = (params.size, c.max_message_size) {
        if n > max {
            return Some(refusal(
                552,
                (5, 3, 4),
                "Message size exceeds fixed maximum message size",
                "RFC 1870 6.1: declared SIZE over the limit",
            ));
        }
    }
    None
}

pub(super) fn rcpt(
    s: &Session,
    c: &ServerConfig,
    to: &ForwardPath,
    params: &RcptParams,
) -> Option<Refusal> {
    let Some(tx) = &s.tx else {
        return Some(seq("Need MAIL command", "RFC 5321 4.1.4: RCPT before MAIL"));
    };
    if tx.bdat {
        return Some(seq(
            "RCPT after BDAT",
            "RFC 3030 2: no RCPT once BDAT has begun",
        ));
    }
    if to.mailbox().is_some_and(|m| m.is_utf8()) && !tx.smtputf8 {
        return Some(refusal(
            553,
            (5, 6, 7),
            "Non-ASCII address needs SMTPUTF8",
            "RFC 6531 3.4: UTF-8 recipient without SMTPUTF8",
        ));
    }
    if (params.notify.is_some() || params.orcpt.is_some()) && !c.dsn {
        return Some(refusal(
            555,
            (5, 5, 4),
            "Unsupported RCPT parameter",
            "RFC 3461: DSN not offered",
        ));
    }
    if !params.other.is_empty() {
        return Some(refusal(
            555,
            (5, 5, 4),
            "Unsupported RCPT parameter",
            "RFC 5321 4.1.1.11: unknown RCPT parameter",
        ));
    }
    if tx.recipients >= c.limits.max_recipients {
        return Some(refusal(
            452,
            (4, 5, 3),
            "Too many recipients",
            "RFC 5321 4.5.3.1.10: recipient limit reached",
        ));
    }
    None
}

pub(super) fn data(s: &Session) -> Option<Refusal> {
    if s.hello.is_none() {
        return Some(seq(
            "Send HELO/EHLO first",
            "RFC 5321 4.1.4: DATA before HELO/EHLO",
        ));
    }
    let Some(tx) = &s.tx else {
        return Some(seq("Need MAIL command", "RFC 5321 4.1.4: DATA before MAIL"));
    };
    if tx.bdat {
        return Some(seq(
            "DATA after BDAT",
            "RFC 3030 2: DATA cannot follow BDAT in a transaction",
        ));
    }
    if tx.binary {
        return Some(seq(
            "BINARYMIME needs BDAT",
            "RFC 3030 3: BODY=BINARYMIME must be sent with BDAT",
        ));
    }
    if tx.recipients == 0 {
        // RFC 5321 3.3: all RCPTs failed (or none given): 554 "no valid recipients".
        return Some(refusal(
            554,
            (5, 5, 1),
            "No valid recipients",
            "RFC 5321 3.3: DATA without an accepted recipient",
        ));
    }
    None
}

pub(super) fn bdat(s: &Session, c: &ServerConfig) -> Option<Refusal> {
    if !c.chunking {
        return Some(refusal(
            502,
            (5, 5, 1),
            "CHUNKING not offered",
            "RFC 3030: BDAT without CHUNKING",
        ));
    }
    if s.hello.is_none() {
        return Some(seq(
            "Send HELO/EHLO first",
            "RFC 5321 4.1.4: BDAT before EHLO",
        ));
    }
    match &s.tx {
        None => Some(seq(
            "Need MAIL command",
            "RFC 3030 2: BDAT without a transaction",
        )),
        Some(t) if t.recipients == 0 => Some(refusal(
            554,
            (5, 5, 1),
            "No valid recipients",
            "RFC 5321 3.3: BDAT without an accepted recipient",
        )),
        _ => None,
    }
}

pub(super) fn starttls(s: &Session, c: &ServerConfig) -> Option<Refusal> {
    if !c.starttls {
        Some(refusal(
            502,
            (5, 5, 1),
            "STARTTLS not offered",
            "RFC 3207 4: STARTTLS not offered",
        ))
    } else if s.tls {
        Some(seq("TLS already active", "RFC 3207 4: STARTTLS after TLS"))
    } else if !s.ehlo() {
        Some(seq("Send EHLO first", "RFC 3207 4: STARTTLS follows EHLO"))
    } else if s.tx.is_some() {
        Some(seq(
            "STARTTLS inside a transaction",
            "RFC 5321 4.1.4: finish or RSET the transaction first",
        ))
    } else {
        None
    }
}

pub(super) fn auth(
    s: &Session,
    c: &ServerConfig,
    mechanism: &super::auth::AuthMechanism,
) -> Option<Refusal> {
    use super::auth::AuthMechanism;
    if c.auth.is_empty() {
        return Some(refusal(
            502,
            (5, 5, 1),
            "AUTH not offered",
            "RFC 4954 4: AUTH not offered",
        ));
    }
    if !s.auth_offered(c) {
        return Some(refusal(
            538,
            (5, 7, 11),
            "Encryption required for requested authentication mechanism",
            "RFC 4954 6: AUTH needs TLS here",
        ));
    }
    if !s.ehlo() {
        return Some(seq("Send EHLO first", "RFC 4954 4: AUTH follows EHLO"));
    }
    if s.authenticated {
        return Some(seq(
            "Already authenticated",
            "RFC 4954 4: only one successful AUTH",
        ));
    }
    if s.tx.is_some() {
        return Some(seq(
            "AUTH inside a transaction",
            "RFC 4954 4: AUTH not allowed during a mail transaction",
        ));
    }
    if !c.auth.contains(mechanism)
        || !matches!(mechanism, AuthMechanism::Plain | AuthMechanism::Login)
    {
        return Some(refusal(
            504,
            (5, 5, 4),
            "Unrecognized authentication type",
            "RFC 4954 4: mechanism not offered",
        ));
    }
    None
}

/// What EHLO offers now: AUTH only under TLS unless allowed without, STARTTLS only
/// before TLS.
pub(super) fn capabilities(s: &Session, c: &ServerConfig) -> Capabilities {
    let mut caps = Capabilities {
        pipelining: c.pipelining,
        size: Some(c.max_message_size.unwrap_or(0)),
        eightbitmime: c.eightbitmime,
        smtputf8: c.smtputf8,
        enhanced_status_codes: c.enhanced_status_codes,
        chunking: c.chunking,
        binarymime: c.binarymime && c.chunking,
        dsn: c.dsn,
        starttls: c.starttls && !s.tls,
        ..Capabilities::default()
    };
    if s.auth_offered(c) {
        caps.auth = c.auth.clone();
    }
    caps
}

/// The default `250` to HELO (the name) or EHLO/LHLO (the name and the capabilities).
pub(super) fn hello_reply(s: &Session, c: &ServerConfig, verb: HelloVerb) -> Reply {
    let name = c.hostname.as_str();
    if verb == HelloVerb::Helo {
        return Reply::fixed(250, None, name);
    }
    let mut lines = alloc::vec![String::from(name)];
    lines.extend(capabilities(s, c).ehlo_lines());
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    Reply::multiline(250, None, &refs).unwrap_or_else(|_| Reply::fixed(250, None, name))
}

/// A command line the line reader refused: `500 5.5.2`, the session goes on.
pub(super) fn line(kind: LineErrorKind) -> Refusal {
    match kind {
        LineErrorKind::TooLong { .. } => refusal(
            500,
            (5, 5, 2),
            "Line too long",
            "RFC 5321 4.5.3.1.4: command line too long",
        ),
        LineErrorKind::BareLf => refusal(
            500,
            (5, 5, 2),
            "Bare <LF> received",
            "RFC 5321 2.3.8: bare LF in command line",
        ),
        LineErrorKind::BareCr => refusal(
            500,
            (5, 5, 2),
            "Bare <CR> received",
            "RFC 5321 2.3.8: bare CR in command line",
        ),
    }
}

/// The refusal after data that went over a limit.
pub(super) fn abort(why: AbortReason) -> Refusal {
    match why {
        AbortReason::TooLarge => refusal(
            552,
            (5, 3, 4),
            "Message size exceeds fixed maximum message size",
            "RFC 1870 6.3: message larger than SIZE limit",
        ),
        AbortReason::Nul => refusal(
            554,
            (5, 6, 0),
            "NUL octet in message data refused",
            "RFC 5322 2.3, 3.5: NUL is not message text (NulPolicy::Reject)",
        ),
        _ => refusal(
            500,
            (5, 5, 2),
            "Line too long",
            "RFC 5321 4.5.3.1.6: text line longer than the limit",
        ),
    }
}

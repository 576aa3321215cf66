//! Commands: the [`Command`] type, its parser (one line without CRLF) and encoder
//! (RFC 5321 section 4.1, with the parameters of RFC 1870 SIZE, RFC 6152 8BITMIME,
//! RFC 6531 SMTPUTF8, RFC 3461 DSN, RFC 4954 AUTH and RFC 3030 BDAT).

use super::address::{ForwardPath, Host, ReversePath};
use super::auth::AuthMechanism;
use super::SyntaxError;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::{BufMut, BytesMut};
use core::fmt::Write as _;

pub use super::params::{Body, MailParams, Notify, Param, RcptParams, Ret, XText};

/// Longest command line including CRLF (RFC 5321 4.5.3.1.4).
///
/// ```
/// assert_eq!(wirestate::smtp::MAX_COMMAND_LINE, 512);
/// ```
pub const MAX_COMMAND_LINE: usize = 512;

/// One SMTP command.
///
/// ```
/// use wirestate::smtp::Command;
/// let c = Command::parse(b"MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME").unwrap();
/// let Command::Mail { from, params } = &c else { panic!() };
/// assert_eq!(from.to_string(), "<a@b.example>");
/// assert_eq!(params.size, Some(1000));
/// assert_eq!(&c.to_bytes().unwrap()[..], b"MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME\r\n");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// `HELO domain` (RFC 5321 4.1.1.1).
    Helo(Host),
    /// `EHLO domain-or-literal` (RFC 5321 4.1.1.1).
    Ehlo(Host),
    /// `LHLO domain` (RFC 2033 4.1).
    Lhlo(Host),
    /// `MAIL FROM:<path> [params]` (RFC 5321 4.1.1.2).
    Mail {
        /// Sender.
        from: ReversePath,
        /// Parameters.
        params: MailParams,
    },
    /// `RCPT TO:<path> [params]` (RFC 5321 4.1.1.3).
    Rcpt {
        /// Recipient.
        to: ForwardPath,
        /// Parameters.
        params: RcptParams,
    },
    /// `DATA` (RFC 5321 4.1.1.4).
    Data,
    /// `BDAT size [LAST]` (RFC 3030 2).
    Bdat {
        /// Octets of chunk data following the command line.
        size: u64,
        /// Last chunk of the message.
        last: bool,
    },
    /// `RSET` (RFC 5321 4.1.1.5).
    Rset,
    /// `VRFY string` (RFC 5321 4.1.1.6).
    Vrfy(String),
    /// `EXPN string` (RFC 5321 4.1.1.7).
    Expn(String),
    /// `HELP [string]` (RFC 5321 4.1.1.8).
    Help(Option<String>),
    /// `NOOP [string]` (RFC 5321 4.1.1.9).
    Noop(Option<String>),
    /// `QUIT` (RFC 5321 4.1.1.10).
    Quit,
    /// `STARTTLS` (RFC 3207 4).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954 4); the response is base64 or `=`.
    Auth {
        /// The SASL mechanism.
        mechanism: AuthMechanism,
        /// The initial response as sent (base64 text, or `=` for empty).
        initial: Option<String>,
    },
}

/// Why a command line was refused, with the reply a server should give.
///
/// ```
/// use wirestate::smtp::{Command, CommandError};
/// assert_eq!(Command::parse(b"XYZZY"), Err(CommandError::Unknown));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// Unknown verb: `500` (RFC 5321 4.2.4).
    Unknown,
    /// Bad arguments: `501` (RFC 5321 4.3.2), with the rule and byte offset.
    Syntax(SyntaxError),
    /// A parameter the server does not know or cannot take: `555` (RFC 5321 4.1.1.11).
    Parameter(SyntaxError),
}

impl core::fmt::Display for CommandError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CommandError::Unknown => f.write_str("RFC 5321 4.2.4: command not recognized"),
            CommandError::Syntax(e) => write!(f, "syntax error: {e}"),
            CommandError::Parameter(e) => write!(f, "parameter error: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for CommandError {}

fn syn(rule: &'static str, offset: usize) -> CommandError {
    CommandError::Syntax(SyntaxError { rule, offset })
}

fn shift(e: SyntaxError, by: usize) -> CommandError {
    CommandError::Syntax(SyntaxError {
        rule: e.rule,
        offset: e.offset + by,
    })
}

/// `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")` (RFC 5321 4.1.2).
fn keyword_ok(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// `esmtp-value = 1*(%d33-60 / %d62-126)`, plus UTF-8 (RFC 6531 3.3).
fn value_ok(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|c| matches!(c, 33..=60 | 62..=126) || c >= 0x80)
}

/// Splits `SP param *(SP param)` into (keyword, value, offset) triples.
/// One `keyword[=value]` and its byte offset in the line.
type RawParam<'a> = (&'a str, Option<&'a str>, usize);

fn split_params(rest: &str, base: usize) -> Result<Vec<RawParam<'_>>, CommandError> {
    let mut out = Vec::new();
    if rest.is_empty() {
        return Ok(out);
    }
    let Some(rest) = rest.strip_prefix(' ') else {
        return Err(syn("RFC 5321 4.1.2: expected SP before parameters", base));
    };
    let mut off = base + 1;
    for p in rest.split(' ') {
        // Postfix and others tolerate repeated spaces; an empty piece is just skipped.
        if !p.is_empty() {
            let (k, v) = match p.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (p, None),
            };
            if !keyword_ok(k) || v.is_some_and(|v| !value_ok(v)) {
                return Err(syn("RFC 5321 4.1.2: malformed esmtp-param", off));
            }
            out.push((k, v, off));
        }
        off += p.len() + 1;
    }
    Ok(out)
}

fn param_err(rule: &'static str, offset: usize) -> CommandError {
    CommandError::Parameter(SyntaxError { rule, offset })
}

fn parse_mail_params(rest: &str, base: usize) -> Result<MailParams, CommandError> {
    let mut p = MailParams::default();
    for (k, v, off) in split_params(rest, base)? {
        let dup = || param_err("RFC 5321 4.1.2: parameter given twice", off);
        if k.eq_ignore_ascii_case("SIZE") {
            // size-value = 1*20DIGIT (RFC 1870 3)
            let v = v.filter(|v| v.len() <= 20 && v.bytes().all(|c| c.is_ascii_digit()));
            let n = v
                .and_then(|v| v.parse().ok())
                .ok_or(syn("RFC 1870 3: SIZE needs 1*20DIGIT", off))?;
            if p.size.replace(n).is_some() {
                return Err(dup());
            }
        } else if k.eq_ignore_ascii_case("BODY") {
            let b = match v {
                Some(v) if v.eq_ignore_ascii_case("7BIT") => Body::SevenBit,
                Some(v) if v.eq_ignore_ascii_case("8BITMIME") => Body::EightBitMime,
                Some(v) if v.eq_ignore_ascii_case("BINARYMIME") => Body::BinaryMime,
                _ => return Err(param_err("RFC 6152 2: BODY must be 7BIT or 8BITMIME", off)),
            };
            if p.body.replace(b).is_some() {
                return Err(dup());
            }
        } else if k.eq_ignore_ascii_case("SMTPUTF8") {
            if v.is_some() {
                return Err(syn("RFC 6531 3.4: SMTPUTF8 takes no value", off));
            }
            if core::mem::replace(&mut p.smtputf8, true) {
                return Err(dup());
            }
        } else if k.eq_ignore_ascii_case("RET") {
            let r = match v {
                Some(v) if v.eq_ignore_ascii_case("FULL") => Ret::Full,
                Some(v) if v.eq_ignore_ascii_case("HDRS") => Ret::Hdrs,
                _ => return Err(syn("RFC 3461 4.3: RET must be FULL or HDRS", off)),
            };
            if p.ret.replace(r).is_some() {
                return Err(dup());
            }
        } else if k.eq_ignore_ascii_case("ENVID") {
            let x = XText::parse(v.unwrap_or("")).map_err(|e| shift(e, off + 6))?;
            // RFC 3461 4.4: at most 100 characters.
            if x.as_str().len() > 100 || x.as_str().is_empty() || p.envid.replace(x).is_some() {
                return Err(syn(
                    "RFC 3461 4.4: ENVID must be 1-100 xtext characters, once",
                    off,
                ));
            }
        } else if k.eq_ignore_ascii_case("AUTH") {
            let x = XText::parse(v.unwrap_or("")).map_err(|e| shift(e, off + 5))?;
            if x.as_str().is_empty() || p.auth.replace(x).is_some() {
                return Err(syn(
                    "RFC 4954 5: AUTH= needs an xtext mailbox or <>, once",
                    off,
                ));
            }
        } else {
            p.other.push(Param {
                keyword: String::from(k),
                value: v.map(String::from),
            });
        }
    }
    Ok(p)
}

fn parse_rcpt_params(rest: &str, base: usize) -> Result<RcptParams, CommandError> {
    let mut p = RcptParams::default();
    for (k, v, off) in split_params(rest, base)? {
        if k.eq_ignore_ascii_case("NOTIFY") {
            let v = v.unwrap_or("");
            let mut n = Notify::default();
            let mut never = false;
            for word in v.split(',') {
                let flag = match word.to_ascii_uppercase().as_str() {
                    "NEVER" => &mut never,
                    "SUCCESS" => &mut n.success,
                    "FAILURE" => &mut n.failure,
                    "DELAY" => &mut n.delay,
                    _ => {
                        return Err(syn(
                            "RFC 3461 4.1: NOTIFY is NEVER or SUCCESS,FAILURE,DELAY",
                            off,
                        ))
                    }
                };
                *flag = true;
            }
            // RFC 3461 4.1: NEVER must appear alone.
            if never && !n.is_never() || p.notify.replace(n).is_some() {
                return Err(syn(
                    "RFC 3461 4.1: NEVER cannot be combined, NOTIFY once",
                    off,
                ));
            }
        } else if k.eq_ignore_ascii_case("ORCPT") {
            // orcpt-parameter = "ORCPT=" addr-type ";" xtext
            let (ty, x) = v
                .and_then(|v| v.split_once(';'))
                .ok_or(syn("RFC 3461 4.2: ORCPT needs addr-type;xtext", off))?;
            if !keyword_ok(ty) {
                return Err(syn("RFC 3461 4.2: invalid addr-type", off + 6));
            }
            let x = XText::parse(x).map_err(|e| shift(e, off + 7 + ty.len()))?;
            if p.orcpt.replace((String::from(ty), x)).is_some() {
                return Err(param_err("RFC 5321 4.1.2: parameter given twice", off));
            }
        } else {
            p.other.push(Param {
                keyword: String::from(k),
                value: v.map(String::from),
            });
        }
    }
    Ok(p)
}

/// Strips `keyword:` (case-insensitive) and any spaces after the colon. RFC 5321 4.1.1.2
/// has no space there, but the space-tolerant form is universal and cannot change where
/// a path ends.
fn strip_keyword<'a>(arg: &'a str, kw: &str) -> Option<(&'a str, usize)> {
    let head = arg.get(..kw.len())?;
    if !head.eq_ignore_ascii_case(kw) {
        return None;
    }
    let rest = &arg[kw.len()..];
    let trimmed = rest.trim_start_matches(' ');
    Some((trimmed, kw.len() + rest.len() - trimmed.len()))
}

impl Command {
    /// Parses one command line without its CRLF. Paths may contain UTF-8; whether that
    /// is allowed (SMTPUTF8) is for the server's state to decide.
    ///
    /// ```
    /// use wirestate::smtp::{Command, CommandError};
    /// assert_eq!(Command::parse(b"quit").unwrap(), Command::Quit);
    /// assert_eq!(Command::parse(b"BDAT 10 LAST").unwrap(), Command::Bdat { size: 10, last: true });
    /// assert_eq!(Command::parse(b"FROB"), Err(CommandError::Unknown));
    /// assert!(matches!(Command::parse(b"RCPT TO:bad"), Err(CommandError::Syntax(_))));
    /// ```
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        let Ok(line) = core::str::from_utf8(line) else {
            let at = core::str::from_utf8(line)
                .map_err(|e| e.valid_up_to())
                .err()
                .unwrap_or(0);
            return Err(syn("RFC 6531 3.3: command line is not valid UTF-8", at));
        };
        let (verb, arg) = match line.find(' ') {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        };
        let base = verb.len() + 1;
        let upper = verb.to_ascii_uppercase();
        let no_arg = |c: Command| match arg {
            None => Ok(c),
            Some(_) => Err(syn(
                "RFC 5321 4.1.1: this command takes no argument",
                verb.len(),
            )),
        };
        let need_arg = || {
            arg.filter(|a| !a.is_empty())
                .ok_or(syn("RFC 5321 4.1.1: argument required", verb.len()))
        };
        let host = |utf8: bool| -> Result<Host, CommandError> {
            let a = need_arg()?;
            Host::parse(a, utf8).map_err(|e| shift(e, base))
        };
        match upper.as_str() {
            "HELO" => host(false).map(Command::Helo),
            "EHLO" => host(false).map(Command::Ehlo),
            "LHLO" => host(false).map(Command::Lhlo),
            "MAIL" => {
                let a = need_arg()?;
                let (path, skip) = strip_keyword(a, "FROM:")
                    .ok_or(syn("RFC 5321 4.1.1.2: expected FROM:", base))?;
                let (from, rest) =
                    ReversePath::parse_prefix(path, true).map_err(|e| shift(e, base + skip))?;
                let params = parse_mail_params(rest, base + a.len() - rest.len())?;
                if from.mailbox().is_some_and(|m| m.is_utf8()) && !params.smtputf8 {
                    return Err(syn(
                        "RFC 6531 3.4: UTF-8 address needs SMTPUTF8",
                        base + skip,
                    ));
                }
                Ok(Command::Mail { from, params })
            }
            "RCPT" => {
                let a = need_arg()?;
                let (path, skip) =
                    strip_keyword(a, "TO:").ok_or(syn("RFC 5321 4.1.1.3: expected TO:", base))?;
                let (to, rest) =
                    ForwardPath::parse_prefix(path, true).map_err(|e| shift(e, base + skip))?;
                let params = parse_rcpt_params(rest, base + a.len() - rest.len())?;
                Ok(Command::Rcpt { to, params })
            }
            "DATA" => no_arg(Command::Data),
            "BDAT" => {
                let a = need_arg()?;
                let (n, last) = match a.split_once(' ') {
                    Some((n, l)) if l.eq_ignore_ascii_case("LAST") => (n, true),
                    Some(_) => return Err(syn("RFC 3030 2: BDAT size [LAST]", base)),
                    None => (a, false),
                };
                if n.is_empty() || n.len() > 19 || !n.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(syn("RFC 3030 2: chunk-size = 1*DIGIT", base));
                }
                let size = n
                    .parse()
                    .map_err(|_| syn("RFC 3030 2: chunk-size = 1*DIGIT", base))?;
                Ok(Command::Bdat { size, last })
            }
            "RSET" => no_arg(Command::Rset),
            "VRFY" => need_arg().map(|a| Command::Vrfy(String::from(a))),
            "EXPN" => need_arg().map(|a| Command::Expn(String::from(a))),
            "HELP" => Ok(Command::Help(arg.map(String::from))),
            "NOOP" => Ok(Command::Noop(arg.map(String::from))),
            "QUIT" => no_arg(Command::Quit),
            "STARTTLS" => no_arg(Command::StartTls),
            "AUTH" => {
                let a = need_arg()?;
                let (mech, init) = match a.split_once(' ') {
                    Some((m, i)) => (m, Some(i)),
                    None => (a, None),
                };
                let mechanism = AuthMechanism::parse(mech).map_err(|e| shift(e, base))?;
                if let Some(i) = init {
                    if i != "=" && crate::base64::decode(i.as_bytes()).is_none() {
                        return Err(syn(
                            "RFC 4954 4: initial-response must be base64 or '='",
                            base + mech.len() + 1,
                        ));
                    }
                }
                Ok(Command::Auth {
                    mechanism,
                    initial: init.map(String::from),
                })
            }
            _ => Err(CommandError::Unknown),
        }
    }

    /// Appends the wire form. Free-text arguments with CR, LF or other controls, and a
    /// line over 512 octets, are refused and nothing is written.
    ///
    /// ```
    /// use wirestate::smtp::Command;
    /// let mut out = bytes::BytesMut::new();
    /// assert!(Command::Vrfy("a\r\nRSET".into()).encode(&mut out).is_err());
    /// assert!(out.is_empty());
    /// ```
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), SyntaxError> {
        let mut s = String::new();
        let text_ok = |t: &str| -> Result<(), SyntaxError> {
            match t.bytes().position(|c| c < 32 || c == 127) {
                Some(k) => Err(SyntaxError {
                    rule: "RFC 5321 2.3.8: CR, LF and controls cannot appear in a command argument",
                    offset: k,
                }),
                None => Ok(()),
            }
        };
        match self {
            Command::Helo(h) => s = alloc::format!("HELO {h}"),
            Command::Ehlo(h) => s = alloc::format!("EHLO {h}"),
            Command::Lhlo(h) => s = alloc::format!("LHLO {h}"),
            Command::Mail { from, params } => {
                let _ = write!(s, "MAIL FROM:{from}");
                write_mail_params(&mut s, params)?;
            }
            Command::Rcpt { to, params } => {
                let _ = write!(s, "RCPT TO:{to}");
                if let Some(n) = params.notify {
                    let mut words = Vec::new();
                    if n.is_never() {
                        words.push("NEVER");
                    }
                    for (on, w) in [
                        (n.success, "SUCCESS"),
                        (n.failure, "FAILURE"),
                        (n.delay, "DELAY"),
                    ] {
                        if on {
                            words.push(w);
                        }
                    }
                    let _ = write!(s, " NOTIFY={}", words.join(","));
                }
                if let Some((ty, x)) = &params.orcpt {
                    if !keyword_ok(ty) {
                        return Err(SyntaxError {
                            rule: "RFC 3461 4.2: invalid addr-type",
                            offset: 0,
                        });
                    }
                    let _ = write!(s, " ORCPT={ty};{}", x.as_str());
                }
                write_other(&mut s, &params.other)?;
            }
            Command::Data => s.push_str("DATA"),
            Command::Bdat { size, last } => {
                let _ = write!(s, "BDAT {size}{}", if *last { " LAST" } else { "" });
            }
            Command::Rset => s.push_str("RSET"),
            Command::Vrfy(a) | Command::Expn(a) => {
                text_ok(a)?;
                if a.is_empty() {
                    return Err(SyntaxError {
                        rule: "RFC 5321 4.1.1.6: argument required",
                        offset: 0,
                    });
                }
                let verb = if matches!(self, Command::Vrfy(_)) {
                    "VRFY"
                } else {
                    "EXPN"
                };
                let _ = write!(s, "{verb} {a}");
            }
            Command::Help(a) | Command::Noop(a) => {
                s.push_str(if matches!(self, Command::Help(_)) {
                    "HELP"
                } else {
                    "NOOP"
                });
                if let Some(a) = a {
                    text_ok(a)?;
                    let _ = write!(s, " {a}");
                }
            }
            Command::Quit => s.push_str("QUIT"),
            Command::StartTls => s.push_str("STARTTLS"),
            Command::Auth { mechanism, initial } => {
                let _ = write!(s, "AUTH {}", mechanism.as_str());
                if let Some(i) = initial {
                    if i != "=" && crate::base64::decode(i.as_bytes()).is_none() {
                        return Err(SyntaxError {
                            rule: "RFC 4954 4: initial-response must be base64 or '='",
                            offset: 0,
                        });
                    }
                    let _ = write!(s, " {i}");
                }
            }
        }
        if s.len() + 2 > MAX_COMMAND_LINE && !matches!(self, Command::Auth { .. }) {
            return Err(SyntaxError {
                rule: "RFC 5321 4.5.3.1.4: command line longer than 512 octets",
                offset: MAX_COMMAND_LINE - 2,
            });
        }
        out.put_slice(s.as_bytes());
        out.put_slice(b"\r\n");
        Ok(())
    }

    /// The wire form, or the rule an argument breaks.
    ///
    /// ```
    /// assert_eq!(&wirestate::smtp::Command::Data.to_bytes().unwrap()[..], b"DATA\r\n");
    /// ```
    pub fn to_bytes(&self) -> Result<bytes::Bytes, SyntaxError> {
        let mut out = BytesMut::new();
        self.encode(&mut out)?;
        Ok(out.freeze())
    }
}

fn write_other(s: &mut String, other: &[Param]) -> Result<(), SyntaxError> {
    for p in other {
        if !keyword_ok(&p.keyword) || p.value.as_deref().is_some_and(|v| !value_ok(v)) {
            return Err(SyntaxError {
                rule: "RFC 5321 4.1.2: malformed esmtp-param",
                offset: 0,
            });
        }
        let _ = write!(s, " {}", p.keyword);
        if let Some(v) = &p.value {
            let _ = write!(s, "={v}");
        }
    }
    Ok(())
}

fn write_mail_params(s: &mut String, p: &MailParams) -> Result<(), SyntaxError> {
    if let Some(n) = p.size {
        let _ = write!(s, " SIZE={n}");
    }
    match p.body {
        Some(Body::SevenBit) => s.push_str(" BODY=7BIT"),
        Some(Body::EightBitMime) => s.push_str(" BODY=8BITMIME"),
        Some(Body::BinaryMime) => s.push_str(" BODY=BINARYMIME"),
        None => {}
    }
    if p.smtputf8 {
        s.push_str(" SMTPUTF8");
    }
    match p.ret {
        Some(Ret::Full) => s.push_str(" RET=FULL"),
        Some(Ret::Hdrs) => s.push_str(" RET=HDRS"),
        None => {}
    }
    if let Some(x) = &p.envid {
        let _ = write!(s, " ENVID={}", x.as_str());
    }
    if let Some(x) = &p.auth {
        let _ = write!(s, " AUTH={}", x.as_str());
    }
    write_other(s, &p.other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_params_roundtrip() {
        let line = "RCPT TO:<a@b.c> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+2Bx@b.c";
        let c = Command::parse(line.as_bytes()).unwrap();
        let Command::Rcpt { params, .. } = &c else {
            panic!()
        };
        assert_eq!(params.orcpt.as_ref().unwrap().1.decode(), b"a+x@b.c");
        assert_eq!(
            &c.to_bytes().unwrap()[..],
            alloc::format!("{line}\r\n").as_bytes()
        );
    }

    #[test]
    fn never_cannot_combine() {
        assert!(Command::parse(b"RCPT TO:<a@b> NOTIFY=NEVER,SUCCESS").is_err());
    }

    #[test]
    fn utf8_sender_needs_smtputf8() {
        assert!(Command::parse("MAIL FROM:<jö@b.c>".as_bytes()).is_err());
        assert!(Command::parse("MAIL FROM:<jö@b.c> SMTPUTF8".as_bytes()).is_ok());
    }
}

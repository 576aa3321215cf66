//! SMTP generators: domains, mailboxes and paths (RFC 5321 4.1.2, with RFC 6531 UTF-8
//! local parts under SMTPUTF8), ESMTP parameters (RFC 1870, 6152, 6531, 3461, 4954),
//! commands (RFC 5321 4.1.1, RFC 3030 BDAT, RFC 2033 LHLO) and replies (RFC 5321 4.2,
//! RFC 3463 enhanced codes), and their near-valid invalid wire forms.
//!
//! ```
//! use arbitrary::{Arbitrary, Unstructured};
//! use wirestate::smtp::{Command, ForwardPath};
//!
//! let mut u = Unstructured::new(b"\x03\x07\x01\x09\x04\x02\x08\x05\x06\x00\x0b\x0c");
//! let to = ForwardPath::arbitrary(&mut u).unwrap();
//! assert_eq!(ForwardPath::parse_prefix(&to.to_string(), true).unwrap().0, to);
//! let cmd = Command::arbitrary(&mut u).unwrap();
//! let wire = cmd.to_bytes().unwrap();
//! assert_eq!(Command::parse(&wire[..wire.len() - 2]).unwrap(), cmd);
//! ```

use super::{
    arbitrary_via_generate, between, one_of, raw_bytes, sometimes, text_of, Generate, Invalid,
    ALNUM, BASE64, PRINTABLE,
};
use crate::buffer::RecvBuffer;
use crate::smtp::{
    AuthMechanism, Body, Command, CommandError, Domain, EnhancedCode, ForwardPath, Host,
    MailParams, Mailbox, Notify, Param, RcptParams, Reply, ReplyErrorKind, ReplyParser, Ret,
    ReversePath, XText,
};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use arbitrary::{Error, Result, Unstructured};

/// What [`Command::parse`] must answer an invalid command line with: the class of
/// [`CommandError`] and the RFC section its rule cites.
///
/// ```
/// use wirestate::generate::smtp::CommandRefusal;
/// use wirestate::smtp::Command;
///
/// let e = Command::parse(b"MAIL FROM:<> SIZE=ten").unwrap_err();
/// assert!(CommandRefusal::Syntax("RFC 1870 3").matches(&e));
/// assert!(!CommandRefusal::Unknown.matches(&e));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandRefusal {
    /// [`CommandError::Unknown`]: `500`.
    Unknown,
    /// [`CommandError::Syntax`] whose rule starts with this text: `501`.
    Syntax(&'static str),
    /// [`CommandError::Parameter`] whose rule starts with this text: `555`.
    Parameter(&'static str),
}

impl CommandRefusal {
    /// Whether `e` is this refusal.
    ///
    /// ```
    /// use wirestate::generate::smtp::CommandRefusal;
    /// use wirestate::smtp::CommandError;
    /// assert!(CommandRefusal::Unknown.matches(&CommandError::Unknown));
    /// ```
    pub fn matches(&self, e: &CommandError) -> bool {
        match (self, e) {
            (CommandRefusal::Unknown, CommandError::Unknown) => true,
            (CommandRefusal::Syntax(r), CommandError::Syntax(s))
            | (CommandRefusal::Parameter(r), CommandError::Parameter(s)) => s.rule.starts_with(r),
            _ => false,
        }
    }
}

const ATEXT: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~";
/// qtextSMTP (RFC 5321 4.1.2) without `"` and `\`, which are drawn as quoted pairs.
const QTEXT: &[u8] = b" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";
const LDH: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// esmtp-value (RFC 5321 4.1.2): `%d33-60 / %d62-126`.
const ESMTP_VALUE: &[u8] = b"!\"#$%&'()*+,-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
/// Non-ASCII words for SMTPUTF8 local parts (RFC 6531 3.3).
const UTF8_WORDS: &[&str] = &["jörg", "δοκιμή", "用户", "ñandú", "θ"];

fn label(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = text_of(u, LOWER_ALNUM, 1, 1)?;
    if sometimes(u, 2)? {
        s += &text_of(u, LDH, 0, 8)?;
        s += &text_of(u, LOWER_ALNUM, 1, 1)?;
    }
    Ok(s)
}

fn domain_text(u: &mut Unstructured<'_>) -> Result<String> {
    let n = between(u, 1, 4)?;
    let labels: Result<Vec<String>> = (0..n).map(|_| label(u)).collect();
    Ok(labels?.join("."))
}

fn literal_text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(if sometimes(u, 2)? {
        let o: Vec<u8> = (0..4).map(|_| u.arbitrary::<u8>()).collect::<Result<_>>()?;
        format!("[{}.{}.{}.{}]", o[0], o[1], o[2], o[3])
    } else {
        let g: Vec<u16> = (0..3)
            .map(|_| u.arbitrary::<u16>())
            .collect::<Result<_>>()?;
        format!("[IPv6:2001:db8::{:x}:{:x}:{:x}]", g[0], g[1], g[2])
    })
}

fn host_text(u: &mut Unstructured<'_>) -> Result<String> {
    if sometimes(u, 6)? {
        literal_text(u)
    } else {
        domain_text(u)
    }
}

fn local_part(u: &mut Unstructured<'_>, utf8: bool) -> Result<String> {
    if sometimes(u, 4)? {
        // Quoted-string, with quoted pairs for `"` and `\` (RFC 5321 4.1.2).
        let mut s = String::from("\"");
        for _ in 0..between(u, 0, 12)? {
            match between(u, 0, 9)? {
                0 => s.push_str("\\\""),
                1 => s.push_str("\\\\"),
                _ => s.push(char::from(one_of(u, QTEXT)?)),
            }
        }
        s.push('"');
        return Ok(s);
    }
    let n = between(u, 1, 3)?;
    let mut atoms = Vec::new();
    for _ in 0..n {
        let mut a = text_of(u, ATEXT, 1, 10)?;
        if utf8 && sometimes(u, 2)? {
            a += UTF8_WORDS[u.choose_index(UTF8_WORDS.len())?];
        }
        atoms.push(a);
    }
    Ok(atoms.join("."))
}

fn mailbox(u: &mut Unstructured<'_>, utf8: bool) -> Result<Mailbox> {
    let text = format!("{}@{}", local_part(u, utf8)?, host_text(u)?);
    Mailbox::parse_with(&text, utf8).map_err(|_| Error::IncorrectFormat)
}

fn xtext(u: &mut Unstructured<'_>, lo: usize, hi: usize) -> Result<XText> {
    let raw = raw_bytes(u, lo, hi)?;
    Ok(XText::encode(&raw))
}

/// Extension parameters no field of their own takes: `X-` keywords, never one the
/// parser knows (`SIZE`, `NOTIFY`, ...).
fn other_params(u: &mut Unstructured<'_>) -> Result<Vec<Param>> {
    let n = if sometimes(u, 4)? {
        between(u, 1, 2)?
    } else {
        0
    };
    (0..n)
        .map(|_| {
            Ok(Param {
                keyword: format!("X-{}", text_of(u, ALNUM, 1, 8)?),
                value: if sometimes(u, 2)? {
                    Some(text_of(u, ESMTP_VALUE, 1, 10)?)
                } else {
                    None
                },
            })
        })
        .collect()
}

fn mail_params(u: &mut Unstructured<'_>, smtputf8: bool) -> Result<MailParams> {
    let envid = if sometimes(u, 4)? {
        // ENVID is 1-100 xtext characters (RFC 3461 4.4); 33 octets encode to at most 99.
        Some(xtext(u, 1, 33)?)
    } else {
        None
    };
    Ok(MailParams {
        size: if sometimes(u, 2)? {
            Some(u.int_in_range(0..=u64::MAX)?)
        } else {
            None
        },
        body: match between(u, 0, 5)? {
            0 => Some(Body::SevenBit),
            1 => Some(Body::EightBitMime),
            2 => Some(Body::BinaryMime),
            _ => None,
        },
        smtputf8,
        ret: match between(u, 0, 5)? {
            0 => Some(Ret::Full),
            1 => Some(Ret::Hdrs),
            _ => None,
        },
        envid,
        auth: match between(u, 0, 7)? {
            0 => Some(XText::parse("<>").map_err(|_| Error::IncorrectFormat)?),
            1 => Some(xtext(u, 1, 20)?),
            _ => None,
        },
        other: other_params(u)?,
    })
}

fn rcpt_params(u: &mut Unstructured<'_>) -> Result<RcptParams> {
    Ok(RcptParams {
        notify: if sometimes(u, 3)? {
            Some(Notify {
                success: u.arbitrary()?,
                failure: u.arbitrary()?,
                delay: u.arbitrary()?,
            })
        } else {
            None
        },
        orcpt: if sometimes(u, 3)? {
            Some((String::from("rfc822"), xtext(u, 1, 30)?))
        } else {
            None
        },
        other: other_params(u)?,
    })
}

fn free_text(u: &mut Unstructured<'_>, lo: usize) -> Result<String> {
    let mut s = text_of(u, &PRINTABLE[1..], lo.min(1), lo.min(1))?;
    s += &text_of(u, PRINTABLE, 0, 30)?;
    Ok(s)
}

impl Generate for Domain {
    type Expect = ();

    fn valid(u: &mut Unstructured<'_>) -> Result<Domain> {
        Domain::parse(&domain_text(u)?).map_err(|_| Error::IncorrectFormat)
    }

    /// A label that starts with a hyphen or is empty (RFC 5321 4.1.2): `wire` is the
    /// text [`Domain::parse`] must refuse.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<()>> {
        let d = domain_text(u)?;
        let (wire, flaw) = if sometimes(u, 2)? {
            (format!("-{d}"), "label starts with a hyphen")
        } else {
            (format!("{d}..x"), "empty label")
        };
        Ok(Invalid {
            wire: wire.into_bytes(),
            flaw,
            expect: (),
        })
    }
}

impl Generate for Mailbox {
    type Expect = ();

    /// ASCII, or UTF-8 (SMTPUTF8) one time in four: parse it with
    /// [`Mailbox::parse_with`]`(_, true)`.
    fn valid(u: &mut Unstructured<'_>) -> Result<Mailbox> {
        let utf8 = sometimes(u, 4)?;
        mailbox(u, utf8)
    }

    /// No `@`, a space in the local part, or a domain with an empty label: `wire` is
    /// the text [`Mailbox::parse_with`] must refuse.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<()>> {
        let local = text_of(u, ATEXT, 1, 10)?;
        let host = domain_text(u)?;
        let (wire, flaw) = match between(u, 0, 2)? {
            0 => (format!("{local}{host}"), "no @"),
            1 => (format!("{local} x@{host}"), "space in the local part"),
            _ => (format!("{local}@{host}..x"), "empty domain label"),
        };
        Ok(Invalid {
            wire: wire.into_bytes(),
            flaw,
            expect: (),
        })
    }
}

impl Generate for ReversePath {
    type Expect = ();

    fn valid(u: &mut Unstructured<'_>) -> Result<ReversePath> {
        Ok(if sometimes(u, 5)? {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(Mailbox::valid(u)?)
        })
    }

    /// A mailbox without its angle brackets, or with only one.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<()>> {
        let m = mailbox(u, false)?;
        let (wire, flaw) = if sometimes(u, 2)? {
            (format!("{m}"), "no angle brackets")
        } else {
            (format!("<{m}"), "no closing angle bracket")
        };
        Ok(Invalid {
            wire: wire.into_bytes(),
            flaw,
            expect: (),
        })
    }
}

impl Generate for ForwardPath {
    type Expect = ();

    fn valid(u: &mut Unstructured<'_>) -> Result<ForwardPath> {
        Ok(if sometimes(u, 8)? {
            ForwardPath::Postmaster
        } else {
            ForwardPath::Mailbox(Mailbox::valid(u)?)
        })
    }

    /// `<>`, which names no recipient (RFC 5321 4.1.1.3), or no angle brackets.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<()>> {
        let (wire, flaw) = if sometimes(u, 2)? {
            (String::from("<>"), "the null path as a recipient")
        } else {
            (format!("{}", mailbox(u, false)?), "no angle brackets")
        };
        Ok(Invalid {
            wire: wire.into_bytes(),
            flaw,
            expect: (),
        })
    }
}

impl Generate for MailParams {
    type Expect = CommandRefusal;

    fn valid(u: &mut Unstructured<'_>) -> Result<MailParams> {
        let utf8 = sometimes(u, 4)?;
        mail_params(u, utf8)
    }

    /// `MAIL FROM:<>` with one bad parameter: `wire` is the command line.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<CommandRefusal>> {
        let (param, flaw, expect) = bad_mail_param(u)?;
        Ok(Invalid {
            wire: format!("MAIL FROM:<>{param}").into_bytes(),
            flaw,
            expect,
        })
    }
}

fn bad_mail_param(u: &mut Unstructured<'_>) -> Result<(String, &'static str, CommandRefusal)> {
    let n: u32 = u.arbitrary()?;
    Ok(match between(u, 0, 5)? {
        0 => (
            format!(" SIZE={n}x"),
            "SIZE not all digits",
            CommandRefusal::Syntax("RFC 1870 3"),
        ),
        1 => (
            format!(" SIZE={n} SIZE={n}"),
            "SIZE twice",
            CommandRefusal::Parameter("RFC 5321 4.1.2"),
        ),
        2 => (
            format!(" BODY={}BIT", n % 7 + 9),
            "unknown BODY",
            CommandRefusal::Parameter("RFC 6152 2"),
        ),
        3 => (
            String::from(" RET=ALL"),
            "unknown RET",
            CommandRefusal::Syntax("RFC 3461 4.3"),
        ),
        4 => (
            String::from(" SMTPUTF8=yes"),
            "SMTPUTF8 with a value",
            CommandRefusal::Syntax("RFC 6531 3.4"),
        ),
        _ => (
            String::from(" ENVID=+zz"),
            "bad xtext in ENVID",
            CommandRefusal::Syntax("RFC 3461 4"),
        ),
    })
}

impl Generate for RcptParams {
    type Expect = CommandRefusal;

    fn valid(u: &mut Unstructured<'_>) -> Result<RcptParams> {
        rcpt_params(u)
    }

    /// `RCPT TO:<Postmaster>` with one bad parameter: `wire` is the command line.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<CommandRefusal>> {
        let (param, flaw, expect) = match between(u, 0, 2)? {
            0 => (
                " NOTIFY=NEVER,SUCCESS",
                "NEVER combined",
                CommandRefusal::Syntax("RFC 3461 4.1"),
            ),
            1 => (
                " NOTIFY=SOMETIMES",
                "unknown NOTIFY word",
                CommandRefusal::Syntax("RFC 3461 4.1"),
            ),
            _ => (
                " ORCPT=rfc822",
                "ORCPT without ';'",
                CommandRefusal::Syntax("RFC 3461 4.2"),
            ),
        };
        Ok(Invalid {
            wire: format!("RCPT TO:<Postmaster>{param}").into_bytes(),
            flaw,
            expect,
        })
    }
}

impl Generate for Command {
    type Expect = CommandRefusal;

    /// Every command the crate encodes, each argument drawn from its grammar; the line
    /// always fits the 512 octets of RFC 5321 4.5.3.1.4.
    fn valid(u: &mut Unstructured<'_>) -> Result<Command> {
        let host = |u: &mut Unstructured<'_>| {
            Host::parse(&host_text(u)?, false).map_err(|_| Error::IncorrectFormat)
        };
        Ok(match between(u, 0, 15)? {
            0 => Command::Ehlo(host(u)?),
            1 => Command::Helo(host(u)?),
            2 => Command::Lhlo(host(u)?),
            3 | 4 => {
                let utf8 = sometimes(u, 4)?;
                let from = if sometimes(u, 5)? {
                    ReversePath::Null
                } else {
                    ReversePath::Mailbox(mailbox(u, utf8)?)
                };
                Command::Mail {
                    from,
                    params: mail_params(u, utf8)?,
                }
            }
            5 | 6 => Command::Rcpt {
                to: ForwardPath::valid(u)?,
                params: rcpt_params(u)?,
            },
            7 => Command::Data,
            // chunk-size = 1*DIGIT, which the parser bounds at 19 digits.
            8 => Command::Bdat {
                size: u.int_in_range(0..=9_999_999_999_999_999_999)?,
                last: u.arbitrary()?,
            },
            9 => Command::Rset,
            10 => {
                if u.arbitrary()? {
                    Command::Vrfy(free_text(u, 1)?)
                } else {
                    Command::Expn(free_text(u, 1)?)
                }
            }
            11 => {
                let arg = if u.arbitrary()? {
                    Some(text_of(u, PRINTABLE, 0, 30)?)
                } else {
                    None
                };
                if u.arbitrary()? {
                    Command::Noop(arg)
                } else {
                    Command::Help(arg)
                }
            }
            12 => Command::Quit,
            13 => Command::StartTls,
            _ => {
                let mechanism = match between(u, 0, 2)? {
                    0 => AuthMechanism::Plain,
                    1 => AuthMechanism::Login,
                    _ => AuthMechanism::parse(&format!("X-{}", text_of(u, ALNUM, 1, 10)?))
                        .map_err(|_| Error::IncorrectFormat)?,
                };
                let initial = match between(u, 0, 2)? {
                    0 => None,
                    1 => Some(String::from("=")),
                    _ => Some(crate::base64::encode(&raw_bytes(u, 1, 60)?)),
                };
                Command::Auth { mechanism, initial }
            }
        })
    }

    /// A command line (no CRLF) with one flaw, and the refusal it must get.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<CommandRefusal>> {
        use CommandRefusal::{Parameter, Syntax, Unknown};
        let (wire, flaw, expect): (Vec<u8>, &'static str, CommandRefusal) = match between(u, 0, 10)?
        {
            0 => {
                let verb = text_of(u, b"QWXYZJK", 3, 8)?;
                (format!("{verb} x").into_bytes(), "unknown verb", Unknown)
            }
            1 => {
                let verb = ["DATA", "RSET", "QUIT", "STARTTLS"][u.choose_index(4)?];
                (
                    format!("{verb} {}", text_of(u, ALNUM, 1, 8)?).into_bytes(),
                    "an argument to a command that takes none",
                    Syntax("RFC 5321 4.1.1"),
                )
            }
            2 => (
                format!("MAIL FROM <{}>", mailbox(u, false)?).into_bytes(),
                "MAIL without FROM:",
                Syntax("RFC 5321 4.1.1.2"),
            ),
            3 => (
                format!("RCPT <{}>", mailbox(u, false)?).into_bytes(),
                "RCPT without TO:",
                Syntax("RFC 5321 4.1.1.3"),
            ),
            4 => {
                let (p, flaw, expect) = bad_mail_param(u)?;
                let from = ReversePath::valid(u)?;
                let utf8 = if from.mailbox().is_some_and(Mailbox::is_utf8) {
                    " SMTPUTF8"
                } else {
                    ""
                };
                (
                    format!("MAIL FROM:{from}{utf8}{p}").into_bytes(),
                    flaw,
                    expect,
                )
            }
            5 => {
                let Invalid { wire, flaw, expect } = RcptParams::invalid(u)?;
                (wire, flaw, expect)
            }
            6 => (
                format!(
                    "BDAT {}{}",
                    u.arbitrary::<u16>()?,
                    text_of(u, b"x-.", 1, 2)?
                )
                .into_bytes(),
                "BDAT size not all digits",
                Syntax("RFC 3030 2"),
            ),
            7 => {
                let mut line = format!("VRFY {}", text_of(u, ALNUM, 0, 5)?).into_bytes();
                line.push(one_of(u, &[0x80, 0xc3, 0xff, 0xfe])?);
                (line, "not UTF-8", Syntax("RFC 6531 3.3"))
            }
            8 => (
                format!("AUTH PLAIN {}!", text_of(u, BASE64, 0, 8)?).into_bytes(),
                "AUTH initial response not base64",
                Syntax("RFC 4954 4"),
            ),
            9 => (
                format!(
                    "MAIL FROM:<{}{}@{}>",
                    text_of(u, ATEXT, 0, 8)?,
                    UTF8_WORDS[u.choose_index(UTF8_WORDS.len())?],
                    domain_text(u)?
                )
                .into_bytes(),
                "UTF-8 sender without SMTPUTF8",
                Syntax("RFC 6531 3.4"),
            ),
            _ => (
                format!(
                    "MAIL FROM:<>{} BODY=8BITMIME BODY=7BIT",
                    " X-P=1".repeat(between(u, 0, 3)?)
                )
                .into_bytes(),
                "BODY twice",
                Parameter("RFC 5321 4.1.2"),
            ),
        };
        Ok(Invalid { wire, flaw, expect })
    }
}

impl Generate for Reply {
    type Expect = ReplyErrorKind;

    /// Codes of RFC 5321 4.2 (first digit 2-5, second 0-5), 1 to 4 lines of printable
    /// text, and an RFC 3463 enhanced code where the class allows one.
    fn valid(u: &mut Unstructured<'_>) -> Result<Reply> {
        let (a, b, c) = (between(u, 2, 5)?, between(u, 0, 5)?, between(u, 0, 9)?);
        let code = (a * 100 + b * 10 + c) as u16;
        let enhanced = if a != 3 && u.arbitrary()? {
            EnhancedCode::new(a as u8, u.int_in_range(0..=999)?, u.int_in_range(0..=999)?)
        } else {
            None
        };
        let n = between(u, 1, 4)?;
        let mut lines = Vec::new();
        for _ in 0..n {
            // A line that starts with a digit could read as an enhanced code: begin
            // with a letter (or nothing) so the text comes back as it went out.
            let mut l = text_of(
                u,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                0,
                1,
            )?;
            if !l.is_empty() {
                l += &text_of(u, PRINTABLE, 0, 60)?;
            }
            lines.push(l);
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        Reply::multiline(code, enhanced, &refs).map_err(|_| Error::IncorrectFormat)
    }

    /// Reply lines, CRLF included, that [`ReplyParser`] must refuse.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<ReplyErrorKind>> {
        let reply = Reply::valid(u)?;
        let code = reply.code().get();
        let text = text_of(u, ALNUM, 0, 10)?;
        let (wire, flaw, expect) = match between(u, 0, 4)? {
            0 => (
                format!("{}{:02} {text}\r\n", one_of(u, b"0169")? - b'0', code % 100),
                "first digit out of 2-5",
                ReplyErrorKind::BadCode,
            ),
            1 => (
                format!(
                    "{}{}{} {text}\r\n",
                    code / 100,
                    between(u, 6, 9)?,
                    code % 10
                ),
                "second digit out of 0-5",
                ReplyErrorKind::BadCode,
            ),
            2 => {
                // Another valid code: the last digit moved by one.
                let other = if code % 10 == 9 { code - 1 } else { code + 1 };
                (
                    format!("{code}-{text}\r\n{other} {text}\r\n"),
                    "a continuation line with another code",
                    ReplyErrorKind::CodeMismatch,
                )
            }
            3 => (
                format!("{code}{} {text}\r\n", char::from(one_of(u, b"x.=_")?)),
                "no SP or '-' after the code",
                ReplyErrorKind::BadCode,
            ),
            _ => (
                format!("{} {text}\r\n", code / 10),
                "a two-digit code",
                ReplyErrorKind::BadCode,
            ),
        };
        let wire = wire.into_bytes();
        Ok(Invalid { wire, flaw, expect })
    }
}

/// What a reply parser gives for `wire` (complete lines, CRLF included): the first
/// reply or error. A helper for checking [`Reply`] cases.
///
/// ```
/// use wirestate::generate::smtp::parse_reply;
/// use wirestate::smtp::{Reply, ReplyErrorKind};
///
/// assert_eq!(parse_reply(b"250 ok\r\n").unwrap().unwrap(), Reply::new(250, "ok").unwrap());
/// assert_eq!(parse_reply(b"hello\r\n").unwrap().unwrap_err().kind, ReplyErrorKind::BadCode);
/// assert!(parse_reply(b"250-more to come\r\n").is_none());
/// ```
pub fn parse_reply(wire: &[u8]) -> Option<core::result::Result<Reply, crate::smtp::ReplyError>> {
    let mut buf = RecvBuffer::new(wire.len().max(1));
    buf.push(wire).ok()?;
    ReplyParser::new().poll(&mut buf)
}

arbitrary_via_generate!(
    Domain,
    Mailbox,
    ReversePath,
    ForwardPath,
    MailParams,
    RcptParams,
    Command,
    Reply
);

//! POP3 generators: commands (RFC 1939 sections 5-7, RFC 2449 CAPA, RFC 2595 STLS,
//! RFC 5034 AUTH) and status lines (RFC 1939 section 3, RFC 2449 section 8 response
//! codes), and their near-valid invalid lines.
//!
//! ```
//! use arbitrary::{Arbitrary, Unstructured};
//! use wirestate::pop3::{Command, Response};
//!
//! let mut u = Unstructured::new(b"\x05\x01\x02\x07\x03\x09\x04\x08\x06");
//! let r = Response::arbitrary(&mut u).unwrap();
//! let line = r.to_bytes();
//! assert_eq!(Response::parse(line.slice(..line.len() - 2)).unwrap(), r);
//! let _cmd = Command::arbitrary(&mut u).unwrap();
//! ```

use super::{
    arbitrary_via_generate, between, one_of, raw_bytes, run_of, sometimes, text_of, Generate,
    Invalid, ALNUM, PRINTABLE, VISIBLE,
};
use crate::pop3::{
    Arg, Command, CommandErrorKind, Digest, MessageNumber, Response, ResponseCode,
    ResponseErrorKind, Status,
};
use crate::Secret;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use arbitrary::{Error, Result, Unstructured};
use bytes::Bytes;

fn msg(u: &mut Unstructured<'_>) -> Result<MessageNumber> {
    // Small numbers most of the time (real maildrops), any u32 sometimes.
    let n = if sometimes(u, 4)? {
        u.int_in_range(1..=u32::MAX)?
    } else {
        u.int_in_range(1..=50)?
    };
    MessageNumber::new(n).ok_or(Error::IncorrectFormat)
}

fn arg(u: &mut Unstructured<'_>) -> Result<Arg> {
    let mut b = run_of(u, VISIBLE, 1, 40)?;
    if sometimes(u, 8)? {
        // RFC 6856: UTF-8 user names.
        b.extend_from_slice("ü".as_bytes());
    }
    Arg::from_bytes(Bytes::from(b)).map_err(|_| Error::IncorrectFormat)
}

fn code(u: &mut Unstructured<'_>) -> Result<Option<ResponseCode>> {
    Ok(match between(u, 0, 7)? {
        0 => Some(ResponseCode::InUse),
        1 => Some(ResponseCode::LoginDelay),
        2 => Some(ResponseCode::SysTemp),
        3 => Some(ResponseCode::SysPerm),
        4 => Some(ResponseCode::Auth),
        5 => {
            // resp-code = resp-level *("/" resp-level) (RFC 2449 section 9).
            let mut c = text_of(u, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", 1, 8)?;
            for _ in 0..between(u, 0, 2)? {
                c.push('/');
                c += &text_of(u, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", 1, 8)?;
            }
            Some(ResponseCode::parse(c.as_bytes()).ok_or(Error::IncorrectFormat)?)
        }
        _ => None,
    })
}

impl Generate for Command {
    type Expect = CommandErrorKind;

    /// Every command, arguments drawn from their grammar.
    fn valid(u: &mut Unstructured<'_>) -> Result<Command> {
        Ok(match between(u, 0, 14)? {
            0 => Command::User(arg(u)?),
            1 => {
                // The rest of the line, spaces included: no CR, LF or NUL.
                Command::Pass(Secret::new(run_of(u, PRINTABLE, 1, 60)?))
            }
            2 => Command::Apop {
                name: arg(u)?,
                digest: Digest::new(&text_of(u, b"0123456789abcdef", 32, 32)?)
                    .map_err(|_| Error::IncorrectFormat)?,
            },
            3 => Command::Auth {
                mechanism: Arg::new(&text_of(
                    u,
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789",
                    1,
                    20,
                )?)
                .map_err(|_| Error::IncorrectFormat)?,
                initial_response: if u.arbitrary()? {
                    Some(Secret::new(raw_bytes(u, 0, 100)?))
                } else {
                    None
                },
            },
            4 => Command::Quit,
            5 => Command::Stat,
            6 => Command::List(if u.arbitrary()? { Some(msg(u)?) } else { None }),
            7 => Command::Retr(msg(u)?),
            8 => Command::Dele(msg(u)?),
            9 => Command::Noop,
            10 => Command::Rset,
            11 => Command::Top {
                msg: msg(u)?,
                lines: u.arbitrary()?,
            },
            12 => Command::Uidl(if u.arbitrary()? { Some(msg(u)?) } else { None }),
            13 => Command::Capa,
            _ => Command::Stls,
        })
    }

    /// A command line (no CRLF) with one flaw, and the kind of error it must get.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<CommandErrorKind>> {
        use CommandErrorKind as K;
        let n = msg(u)?.get();
        let (wire, flaw, expect) = match between(u, 0, 8)? {
            0 => (Vec::new(), "an empty line", K::Empty),
            1 => (
                format!("{} {n}", text_of(u, b"QWXYZJK", 3, 6)?).into_bytes(),
                "unknown keyword",
                K::UnknownCommand,
            ),
            2 => {
                let kw = ["RETR", "DELE", "USER", "TOP", "APOP", "AUTH"][u.choose_index(6)?];
                (
                    kw.as_bytes().to_vec(),
                    "argument missing",
                    K::MissingArgument,
                )
            }
            3 => {
                let kw = ["STAT", "NOOP", "RSET", "QUIT", "CAPA", "STLS"][u.choose_index(6)?];
                (
                    format!("{kw} {n}").into_bytes(),
                    "an argument too many",
                    K::TooManyArguments,
                )
            }
            4 => {
                let kw = ["LIST", "RETR", "DELE", "UIDL"][u.choose_index(4)?];
                (
                    format!("{kw}  {n}").into_bytes(),
                    "two spaces",
                    K::BadSpacing,
                )
            }
            5 => {
                let kw = ["RETR", "DELE", "LIST"][u.choose_index(3)?];
                let bad = match between(u, 0, 2)? {
                    0 => String::from("0"),
                    1 => format!("{n}{}", text_of(u, b"x-+.", 1, 2)?),
                    _ => format!("{}", u64::from(u32::MAX) + 1 + u64::from(n)),
                };
                (
                    format!("{kw} {bad}").into_bytes(),
                    "not a message number",
                    K::BadNumber,
                )
            }
            6 => (
                format!(
                    "APOP {} {}",
                    text_of(u, ALNUM, 1, 8)?,
                    text_of(u, b"0123456789abcdef", 1, 31)?
                )
                .into_bytes(),
                "digest shorter than 32 hex digits",
                K::BadArgument,
            ),
            7 => (
                format!("AUTH PLAIN {}*", text_of(u, ALNUM, 0, 6)?).into_bytes(),
                "initial response not base64",
                K::BadBase64,
            ),
            _ => {
                let mut line = b"PASS ".to_vec();
                line.extend(run_of(u, ALNUM, 0, 4)?);
                line.push(0);
                (line, "NUL in the password", K::BadArgument)
            }
        };
        Ok(Invalid { wire, flaw, expect })
    }
}

impl Generate for Response {
    type Expect = ResponseErrorKind;

    /// `+OK` or `-ERR`, a response code sometimes (on `-ERR`, where RFC 2449 section 8
    /// puts them), and text that cannot be read as one.
    fn valid(u: &mut Unstructured<'_>) -> Result<Response> {
        let ok = u.arbitrary::<bool>()?;
        let code = if ok { None } else { code(u)? };
        // Text that starts with `[` would be read back as a response code: start with
        // any other visible character, or be empty.
        let mut text = Vec::new();
        if !sometimes(u, 5)? {
            let first: Vec<u8> = VISIBLE.iter().copied().filter(|&c| c != b'[').collect();
            text.push(one_of(u, &first)?);
            text.extend(run_of(u, PRINTABLE, 0, 80)?);
        }
        Ok(Response {
            status: if ok { Status::Ok } else { Status::Err },
            code,
            text: Bytes::from(text),
        })
    }

    /// A status line (no CRLF) with a bad status word, and the error it must get.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<ResponseErrorKind>> {
        let text = text_of(u, ALNUM, 0, 12)?;
        let (wire, flaw, expect) = match between(u, 0, 3)? {
            0 => (
                format!("+ok {text}"),
                "lower-case +ok",
                ResponseErrorKind::BadStatus,
            ),
            1 => (format!("OK {text}"), "no +", ResponseErrorKind::BadStatus),
            2 => (format!("-ER {text}"), "-ER", ResponseErrorKind::BadStatus),
            _ => (
                format!(
                    "{}{}",
                    ["+OK", "-ERR"][u.choose_index(2)?],
                    one_of(u, b"AY:-")? as char
                ),
                "status not followed by a space",
                ResponseErrorKind::MissingSpace,
            ),
        };
        Ok(Invalid {
            wire: wire.into_bytes(),
            flaw,
            expect,
        })
    }
}

arbitrary_via_generate!(Command, Response);

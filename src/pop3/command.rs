//! POP3 commands: the typed form, the parser the server uses and the encoder the client
//! uses (RFC 1939 sections 3-7, RFC 2449 section 5, RFC 2595 section 4, RFC 5034 section 4).

use super::types::{invalid, parse_u32, Arg, Digest, MessageNumber};
use crate::base64::{decode as base64_decode, encode_into as base64_encode};
use crate::{Secret, SendError};
use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

/// A command with its arguments, each of a type that only holds valid values. The
/// password of `PASS` and the SASL response of `AUTH` are [`Secret`]s: `Debug` never
/// shows them.
///
/// ```
/// use wirestate::pop3::{Command, MessageNumber};
/// let cmd = Command::parse(b"top 1 10").unwrap();
/// assert_eq!(cmd, Command::Top { msg: MessageNumber::new(1).unwrap(), lines: 10 });
/// let mut wire = bytes::BytesMut::new();
/// cmd.encode(&mut wire);
/// assert_eq!(&wire[..], b"TOP 1 10\r\n");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `USER name` (RFC 1939 section 7).
    User(Arg),
    /// `PASS string` (RFC 1939 section 7); the rest of the line, spaces included:
    /// 1 or more octets, no CR, LF or NUL (see [`check_password`]).
    Pass(Secret),
    /// `APOP name digest` (RFC 1939 section 7).
    Apop {
        /// The mailbox name.
        name: Arg,
        /// MD5 of the greeting's timestamp followed by the shared secret.
        digest: Digest,
    },
    /// `AUTH mechanism [initial-response]` (RFC 5034 section 4).
    Auth {
        /// SASL mechanism name, e.g. `PLAIN`.
        mechanism: Arg,
        /// The decoded initial response; `Some(empty)` is sent as `=`.
        initial_response: Option<Secret>,
    },
    /// `QUIT` (RFC 1939 sections 4 and 6).
    Quit,
    /// `STAT` (RFC 1939 section 5).
    Stat,
    /// `LIST [msg]` (RFC 1939 section 5).
    List(Option<MessageNumber>),
    /// `RETR msg` (RFC 1939 section 5).
    Retr(MessageNumber),
    /// `DELE msg` (RFC 1939 section 5).
    Dele(MessageNumber),
    /// `NOOP` (RFC 1939 section 5).
    Noop,
    /// `RSET` (RFC 1939 section 5).
    Rset,
    /// `TOP msg n` (RFC 1939 section 7).
    Top {
        /// The message.
        msg: MessageNumber,
        /// How many body lines after the headers and the blank line.
        lines: u32,
    },
    /// `UIDL [msg]` (RFC 1939 section 7).
    Uidl(Option<MessageNumber>),
    /// `CAPA` (RFC 2449 section 5).
    Capa,
    /// `STLS` (RFC 2595 section 4).
    Stls,
}

/// A command's keyword alone, used to say which command a response answers.
///
/// ```
/// use wirestate::pop3::{Command, CommandKind};
/// assert_eq!(Command::parse(b"capa").unwrap().kind(), CommandKind::Capa);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandKind {
    /// `USER`.
    User,
    /// `PASS`.
    Pass,
    /// `APOP`.
    Apop,
    /// `AUTH`.
    Auth,
    /// `QUIT`.
    Quit,
    /// `STAT`.
    Stat,
    /// `LIST` with or without an argument.
    List,
    /// `RETR`.
    Retr,
    /// `DELE`.
    Dele,
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `TOP`.
    Top,
    /// `UIDL` with or without an argument.
    Uidl,
    /// `CAPA`.
    Capa,
    /// `STLS`.
    Stls,
}

impl CommandKind {
    /// The keyword as sent.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::CommandKind::Uidl.keyword(), "UIDL");
    /// ```
    pub fn keyword(self) -> &'static str {
        match self {
            CommandKind::User => "USER",
            CommandKind::Pass => "PASS",
            CommandKind::Apop => "APOP",
            CommandKind::Auth => "AUTH",
            CommandKind::Quit => "QUIT",
            CommandKind::Stat => "STAT",
            CommandKind::List => "LIST",
            CommandKind::Retr => "RETR",
            CommandKind::Dele => "DELE",
            CommandKind::Noop => "NOOP",
            CommandKind::Rset => "RSET",
            CommandKind::Top => "TOP",
            CommandKind::Uidl => "UIDL",
            CommandKind::Capa => "CAPA",
            CommandKind::Stls => "STLS",
        }
    }

    fn from_keyword(k: &[u8]) -> Option<CommandKind> {
        // RFC 1939 section 3: keywords are case-insensitive.
        let mut up = [0u8; 4];
        if k.len() > 4 {
            return None;
        }
        for (u, c) in up.iter_mut().zip(k) {
            *u = c.to_ascii_uppercase();
        }
        Some(match &up[..k.len()] {
            b"USER" => CommandKind::User,
            b"PASS" => CommandKind::Pass,
            b"APOP" => CommandKind::Apop,
            b"AUTH" => CommandKind::Auth,
            b"QUIT" => CommandKind::Quit,
            b"STAT" => CommandKind::Stat,
            b"LIST" => CommandKind::List,
            b"RETR" => CommandKind::Retr,
            b"DELE" => CommandKind::Dele,
            b"NOOP" => CommandKind::Noop,
            b"RSET" => CommandKind::Rset,
            b"TOP" => CommandKind::Top,
            b"UIDL" => CommandKind::Uidl,
            b"CAPA" => CommandKind::Capa,
            b"STLS" => CommandKind::Stls,
            _ => return None,
        })
    }

    /// Whether a `+OK` to this command is followed by a dot-terminated multi-line body.
    /// `LIST` and `UIDL` are multi-line only without an argument, so the caller says.
    ///
    /// ```
    /// use wirestate::pop3::CommandKind;
    /// assert!(CommandKind::Retr.is_multiline(false));
    /// assert!(!CommandKind::List.is_multiline(true));
    /// ```
    pub fn is_multiline(self, has_argument: bool) -> bool {
        match self {
            CommandKind::Retr | CommandKind::Top | CommandKind::Capa => true,
            CommandKind::List | CommandKind::Uidl => !has_argument,
            _ => false,
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// What made a command line unparseable.
///
/// ```
/// use wirestate::pop3::{Command, CommandErrorKind};
/// assert_eq!(Command::parse(b"LIST 1 2").unwrap_err().kind, CommandErrorKind::TooManyArguments);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandErrorKind {
    /// The line is empty.
    Empty,
    /// The keyword is not one this crate knows.
    UnknownCommand,
    /// A required argument is missing.
    MissingArgument,
    /// More arguments than the command takes.
    TooManyArguments,
    /// Arguments not separated by exactly one space (RFC 1939 section 3).
    BadSpacing,
    /// A message number that is not 1 to 4294967295, or a line count that is not a number.
    BadNumber,
    /// A digest that is not 32 hex digits, or a control character in an argument.
    BadArgument,
    /// An AUTH initial response that is not base64 or `=`.
    BadBase64,
}

impl CommandErrorKind {
    /// The text for the `-ERR` line answering it.
    ///
    /// ```
    /// use wirestate::pop3::CommandErrorKind;
    /// assert_eq!(CommandErrorKind::UnknownCommand.message(), "unknown command");
    /// ```
    pub fn message(self) -> &'static str {
        match self {
            CommandErrorKind::Empty => "empty command",
            CommandErrorKind::UnknownCommand => "unknown command",
            CommandErrorKind::MissingArgument => "missing argument",
            CommandErrorKind::TooManyArguments => "too many arguments",
            CommandErrorKind::BadSpacing => "arguments must be separated by one space",
            CommandErrorKind::BadNumber => "invalid number",
            CommandErrorKind::BadArgument => "invalid argument",
            CommandErrorKind::BadBase64 => "invalid base64",
        }
    }
}

/// An unparseable command: what was wrong, and at which byte of the line.
///
/// ```
/// let e = wirestate::pop3::Command::parse(b"DELE x").unwrap_err();
/// assert_eq!(e.to_string(), "invalid number at byte 5");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandError {
    /// What was wrong.
    pub kind: CommandErrorKind,
    /// Byte offset in the line (without its CRLF).
    pub offset: usize,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.message(), self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for CommandError {}

fn err(kind: CommandErrorKind, offset: usize) -> CommandError {
    CommandError { kind, offset }
}

/// Splits the arguments after the keyword on single spaces, recording offsets.
struct Args<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Args<'a> {
    fn next(&mut self) -> Result<Option<(&'a [u8], usize)>, CommandError> {
        if self.pos >= self.line.len() {
            return Ok(None);
        }
        // RFC 1939 section 3: "Keywords and arguments are each separated by a single SPACE".
        if self.line[self.pos] != b' ' {
            return Err(err(CommandErrorKind::BadSpacing, self.pos));
        }
        let start = self.pos + 1;
        let end = memchr::memchr(b' ', &self.line[start..]).map_or(self.line.len(), |i| start + i);
        if end == start {
            return Err(err(CommandErrorKind::BadSpacing, start));
        }
        self.pos = end;
        Ok(Some((&self.line[start..end], start)))
    }

    fn required(&mut self) -> Result<(&'a [u8], usize), CommandError> {
        self.next()?
            .ok_or(err(CommandErrorKind::MissingArgument, self.line.len()))
    }

    fn end(&mut self) -> Result<(), CommandError> {
        match self.next()? {
            None => Ok(()),
            Some((_, at)) => Err(err(CommandErrorKind::TooManyArguments, at)),
        }
    }

    /// Everything after the single space, spaces included (PASS).
    fn rest(&mut self) -> Result<(&'a [u8], usize), CommandError> {
        if self.pos >= self.line.len() {
            return Err(err(CommandErrorKind::MissingArgument, self.line.len()));
        }
        if self.line[self.pos] != b' ' {
            return Err(err(CommandErrorKind::BadSpacing, self.pos));
        }
        let start = self.pos + 1;
        self.pos = self.line.len();
        if start == self.line.len() {
            return Err(err(CommandErrorKind::MissingArgument, start));
        }
        Ok((&self.line[start..], start))
    }
}

fn msg_number(a: (&[u8], usize)) -> Result<MessageNumber, CommandError> {
    MessageNumber::parse(a.0).ok_or(err(CommandErrorKind::BadNumber, a.1))
}

fn arg(a: (&[u8], usize)) -> Result<Arg, CommandError> {
    Arg::from_bytes(Bytes::copy_from_slice(a.0))
        .map_err(|_| err(CommandErrorKind::BadArgument, a.1))
}

impl Command {
    /// Parses one command line, CRLF already removed.
    ///
    /// ```
    /// use wirestate::pop3::{Command, CommandErrorKind};
    /// assert_eq!(Command::parse(b"STAT"), Ok(Command::Stat));
    /// assert_eq!(Command::parse(b"RETR 0").unwrap_err().kind, CommandErrorKind::BadNumber);
    /// assert_eq!(Command::parse(b"LIST  1").unwrap_err().offset, 5);
    /// ```
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        if line.is_empty() {
            return Err(err(CommandErrorKind::Empty, 0));
        }
        let kw_end = memchr::memchr(b' ', line).unwrap_or(line.len());
        let kind = CommandKind::from_keyword(&line[..kw_end])
            .ok_or(err(CommandErrorKind::UnknownCommand, 0))?;
        let mut args = Args { line, pos: kw_end };
        let cmd = match kind {
            CommandKind::User => Command::User(arg(args.required()?)?),
            CommandKind::Pass => {
                let (p, at) = args.rest()?;
                check_password(p).map_err(|_| err(CommandErrorKind::BadArgument, at))?;
                Command::Pass(Secret::new(p))
            }
            CommandKind::Apop => {
                let name = arg(args.required()?)?;
                let (d, at) = args.required()?;
                let digest = Digest::from_bytes(d).ok_or(err(CommandErrorKind::BadArgument, at))?;
                Command::Apop { name, digest }
            }
            CommandKind::Auth => {
                let mechanism = arg(args.required()?)?;
                let initial_response = match args.next()? {
                    None => None,
                    // RFC 5034 section 4: a zero-length initial response is sent as "=".
                    Some((b"=", _)) => Some(Secret::default()),
                    Some((b64, at)) => Some(Secret::new(
                        base64_decode(b64).ok_or(err(CommandErrorKind::BadBase64, at))?,
                    )),
                };
                Command::Auth {
                    mechanism,
                    initial_response,
                }
            }
            CommandKind::Quit => Command::Quit,
            CommandKind::Stat => Command::Stat,
            CommandKind::List => Command::List(args.next()?.map(msg_number).transpose()?),
            CommandKind::Retr => Command::Retr(msg_number(args.required()?)?),
            CommandKind::Dele => Command::Dele(msg_number(args.required()?)?),
            CommandKind::Noop => Command::Noop,
            CommandKind::Rset => Command::Rset,
            CommandKind::Top => {
                let msg = msg_number(args.required()?)?;
                // RFC 1939 section 7: "n ... a non-negative number (required)".
                let (n, at) = args.required()?;
                let lines = parse_u32(n).ok_or(err(CommandErrorKind::BadNumber, at))?;
                Command::Top { msg, lines }
            }
            CommandKind::Uidl => Command::Uidl(args.next()?.map(msg_number).transpose()?),
            CommandKind::Capa => Command::Capa,
            CommandKind::Stls => Command::Stls,
        };
        args.end()?;
        Ok(cmd)
    }

    /// The command's keyword.
    ///
    /// ```
    /// use wirestate::pop3::{Command, CommandKind};
    /// assert_eq!(Command::Noop.kind(), CommandKind::Noop);
    /// ```
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::User(_) => CommandKind::User,
            Command::Pass(_) => CommandKind::Pass,
            Command::Apop { .. } => CommandKind::Apop,
            Command::Auth { .. } => CommandKind::Auth,
            Command::Quit => CommandKind::Quit,
            Command::Stat => CommandKind::Stat,
            Command::List(_) => CommandKind::List,
            Command::Retr(_) => CommandKind::Retr,
            Command::Dele(_) => CommandKind::Dele,
            Command::Noop => CommandKind::Noop,
            Command::Rset => CommandKind::Rset,
            Command::Top { .. } => CommandKind::Top,
            Command::Uidl(_) => CommandKind::Uidl,
            Command::Capa => CommandKind::Capa,
            Command::Stls => CommandKind::Stls,
        }
    }

    /// Whether a `+OK` to this command is followed by a multi-line body.
    ///
    /// ```
    /// use wirestate::pop3::{Command, MessageNumber};
    /// assert!(Command::List(None).is_multiline());
    /// assert!(!Command::List(MessageNumber::new(1)).is_multiline());
    /// ```
    pub fn is_multiline(&self) -> bool {
        let has_arg = matches!(self, Command::List(Some(_)) | Command::Uidl(Some(_)));
        self.kind().is_multiline(has_arg)
    }

    /// Appends the command line, CRLF included, to `out`.
    ///
    /// ```
    /// use wirestate::pop3::{Arg, Command};
    /// let mut out = bytes::BytesMut::new();
    /// Command::Auth { mechanism: Arg::new("PLAIN").unwrap(), initial_response: Some(wirestate::Secret::default()) }
    ///     .encode(&mut out);
    /// assert_eq!(&out[..], b"AUTH PLAIN =\r\n");
    /// ```
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(self.kind().keyword().as_bytes());
        let num = |out: &mut BytesMut, n: u32| {
            out.put_u8(b' ');
            put_decimal(out, u64::from(n));
        };
        match self {
            Command::User(a) => {
                out.put_u8(b' ');
                out.put_slice(a.as_bytes());
            }
            Command::Pass(p) => {
                out.put_u8(b' ');
                out.put_slice(p.expose());
            }
            Command::Apop { name, digest } => {
                out.put_u8(b' ');
                out.put_slice(name.as_bytes());
                out.put_u8(b' ');
                out.put_slice(digest.as_str().as_bytes());
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                out.put_u8(b' ');
                out.put_slice(mechanism.as_bytes());
                match initial_response {
                    None => {}
                    Some(r) if r.is_empty() => out.put_slice(b" ="),
                    Some(r) => {
                        out.put_u8(b' ');
                        base64_encode(r.expose(), out);
                    }
                }
            }
            Command::List(Some(n))
            | Command::Uidl(Some(n))
            | Command::Retr(n)
            | Command::Dele(n) => num(out, n.get()),
            Command::Top { msg, lines } => {
                num(out, msg.get());
                num(out, *lines);
            }
            _ => {}
        }
        out.put_slice(b"\r\n");
    }

    /// The encoded length, CRLF included, to check against the 255-octet limit.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Command::Quit.encoded_len(), 6);
    /// ```
    pub fn encoded_len(&self) -> usize {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        out.len()
    }
}

/// Checks a `PASS` argument: RFC 1939 section 7 lets it hold spaces, so it is 1 or
/// more octets with no CR, LF or NUL (which would end the line or truncate it).
///
/// ```
/// use wirestate::pop3::check_password;
/// assert!(check_password(b"secret with spaces").is_ok());
/// assert!(check_password(b"x\r\nDELE 1").is_err());
/// assert!(check_password(b"").is_err());
/// ```
pub fn check_password(p: &[u8]) -> Result<(), SendError> {
    const RULE: &str = "RFC 1939 section 7: a PASS string is 1 or more octets, no CR, LF or NUL";
    if p.is_empty() {
        return Err(invalid(RULE, 0));
    }
    match p.iter().position(|&c| matches!(c, 0 | b'\r' | b'\n')) {
        Some(at) => Err(invalid(RULE, at)),
        None => Ok(()),
    }
}

/// Appends `n` in decimal.
pub(crate) fn put_decimal(out: &mut BytesMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[i..]);
}

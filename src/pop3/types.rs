//! Value types that cannot hold an invalid value: message numbers, unique ids, command
//! arguments, APOP digests and RFC 2449 response codes.

use crate::{SendError, SyntaxError};
use bytes::Bytes;
use core::fmt;
use core::num::NonZeroU32;

/// A message number: RFC 1939 section 5 numbers messages from 1, so 0 cannot be held.
///
/// ```
/// use wirestate::pop3::MessageNumber;
/// assert!(MessageNumber::new(0).is_none());
/// assert_eq!(MessageNumber::new(3).unwrap().get(), 3);
/// assert_eq!(MessageNumber::parse(b"12").unwrap().get(), 12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageNumber(NonZeroU32);

impl MessageNumber {
    /// `n` as a message number, or `None` for 0.
    ///
    /// ```
    /// assert!(wirestate::pop3::MessageNumber::new(1).is_some());
    /// ```
    pub const fn new(n: u32) -> Option<MessageNumber> {
        match NonZeroU32::new(n) {
            Some(v) => Some(MessageNumber(v)),
            None => None,
        }
    }

    /// The number.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::MessageNumber::new(7).unwrap().get(), 7);
    /// ```
    pub const fn get(self) -> u32 {
        self.0.get()
    }

    /// The 0-based position in a listing (`get() - 1`).
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::MessageNumber::new(1).unwrap().index(), 0);
    /// ```
    pub const fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }

    /// The message number of the 0-based listing position `i`, if it fits in 32 bits.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::MessageNumber::from_index(0).unwrap().get(), 1);
    /// ```
    pub fn from_index(i: usize) -> Option<MessageNumber> {
        u32::try_from(i.checked_add(1)?)
            .ok()
            .and_then(MessageNumber::new)
    }

    /// Parses decimal digits (RFC 1939 section 3: `msg` is a number; leading zeros allowed,
    /// no sign, 0 is not a message number).
    ///
    /// ```
    /// use wirestate::pop3::MessageNumber;
    /// assert!(MessageNumber::parse(b"0").is_none());
    /// assert!(MessageNumber::parse(b"+1").is_none());
    /// assert!(MessageNumber::parse(b"99999999999").is_none());
    /// ```
    pub fn parse(digits: &[u8]) -> Option<MessageNumber> {
        parse_u32(digits).and_then(MessageNumber::new)
    }
}

impl fmt::Display for MessageNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The error for a value that breaks `rule`, at `offset` within it.
pub(crate) fn invalid(rule: &'static str, offset: usize) -> SendError {
    SendError::Invalid(SyntaxError { rule, offset })
}

/// Parses 1 or more ASCII digits into a `u32`, refusing signs, spaces and overflow.
pub(crate) fn parse_u32(digits: &[u8]) -> Option<u32> {
    let v = parse_u64(digits)?;
    u32::try_from(v).ok()
}

/// Parses 1 or more ASCII digits into a `u64`, refusing signs, spaces and overflow.
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    let r: nom::IResult<&[u8], &[u8]> = nom::character::complete::digit1(digits);
    let (rest, ds) = r.ok()?;
    if !rest.is_empty() {
        return None;
    }
    ds.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// A unique-id (RFC 1939 section 7, UIDL): 1 to 70 characters in the range 0x21 to 0x7E.
///
/// ```
/// use wirestate::pop3::Uid;
/// let uid = Uid::new("QhdPYR:00WBw1Ph7x7").unwrap();
/// assert_eq!(uid.as_bytes(), b"QhdPYR:00WBw1Ph7x7");
/// assert!(Uid::new("has space").is_err());
/// assert!(Uid::new("").is_err());
/// assert!(Uid::new(&"x".repeat(71)).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(Bytes);

impl Uid {
    /// The longest unique-id, RFC 1939 section 7.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Uid::MAX_LEN, 70);
    /// ```
    pub const MAX_LEN: usize = 70;

    /// Validates and copies `s`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Uid::new("abc").is_ok());
    /// ```
    pub fn new(s: &str) -> Result<Uid, SendError> {
        Uid::from_bytes(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// Validates `b` without copying.
    ///
    /// ```
    /// use bytes::Bytes;
    /// assert!(wirestate::pop3::Uid::from_bytes(Bytes::from_static(b"a\x7f")).is_err());
    /// ```
    pub fn from_bytes(b: Bytes) -> Result<Uid, SendError> {
        // RFC 1939 section 7: "consisting of one to 70 characters in the range 0x21 to 0x7E"
        const RULE: &str = "RFC 1939 section 7: a unique-id is 1 to 70 characters 0x21-0x7E";
        if b.is_empty() || b.len() > Uid::MAX_LEN {
            return Err(invalid(RULE, 0));
        }
        if let Some(at) = b.iter().position(|&c| !(0x21..=0x7e).contains(&c)) {
            return Err(invalid(RULE, at));
        }
        Ok(Uid(b))
    }

    /// The id's bytes.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Uid::new("a").unwrap().as_bytes(), b"a");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The id as text (it is always ASCII).
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Uid::new("a").unwrap().as_str(), "a");
    /// ```
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A command argument without spaces (a USER name, an APOP name, a SASL mechanism):
/// 1 or more octets, none of them SP, CR, LF, NUL or another control character.
/// Octets above 0x7F are allowed for RFC 6856 UTF-8 names.
///
/// ```
/// use wirestate::pop3::Arg;
/// assert!(Arg::new("mrose").is_ok());
/// assert!(Arg::new("two words").is_err());
/// assert!(Arg::new("a\r\nQUIT").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arg(Bytes);

impl Arg {
    /// Validates and copies `s`.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Arg::new("x").unwrap().as_bytes(), b"x");
    /// ```
    pub fn new(s: &str) -> Result<Arg, SendError> {
        Arg::from_bytes(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// Validates `b` without copying.
    ///
    /// ```
    /// assert!(wirestate::pop3::Arg::from_bytes(bytes::Bytes::new()).is_err());
    /// ```
    pub fn from_bytes(b: Bytes) -> Result<Arg, SendError> {
        // RFC 1939 section 3: "Keywords and arguments are each separated by a single SPACE".
        const RULE: &str =
            "RFC 1939 section 3: an argument is 1 or more octets with no space or control character";
        if b.is_empty() {
            return Err(invalid(RULE, 0));
        }
        if let Some(at) = b.iter().position(|&c| c <= b' ' || c == 0x7f) {
            return Err(invalid(RULE, at));
        }
        Ok(Arg(b))
    }

    /// The argument's bytes.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Arg::new("y").unwrap().as_bytes(), b"y");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// An APOP digest: the MD5 of timestamp and secret as 32 lower-case hex digits
/// (RFC 1939 section 7). Upper-case input is accepted and lower-cased.
///
/// ```
/// use wirestate::pop3::Digest;
/// let d = Digest::new("C4C9334BAC560ECC979E58001B3E22FB").unwrap();
/// assert_eq!(d.as_str(), "c4c9334bac560ecc979e58001b3e22fb");
/// assert!(Digest::new("c4c9").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// Validates hex text.
    ///
    /// ```
    /// assert!(wirestate::pop3::Digest::new(&"0".repeat(32)).is_ok());
    /// ```
    pub fn new(hex: &str) -> Result<Digest, SendError> {
        Digest::from_bytes(hex.as_bytes()).ok_or(invalid(
            "RFC 1939 section 7: an APOP digest is 32 hex digits",
            0,
        ))
    }

    /// Validates hex octets; `None` unless exactly 32 hex digits.
    ///
    /// ```
    /// assert!(wirestate::pop3::Digest::from_bytes(b"zz").is_none());
    /// ```
    pub fn from_bytes(hex: &[u8]) -> Option<Digest> {
        if hex.len() != 32 || !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let mut d = [0u8; 32];
        for (o, &c) in d.iter_mut().zip(hex) {
            *o = c.to_ascii_lowercase();
        }
        Some(Digest(d))
    }

    /// The digest of the 16 raw MD5 octets, for callers that computed it themselves.
    ///
    /// ```
    /// let d = wirestate::pop3::Digest::from_md5([0xab; 16]);
    /// assert!(d.as_str().starts_with("abab"));
    /// ```
    pub fn from_md5(raw: [u8; 16]) -> Digest {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut d = [0u8; 32];
        for (i, b) in raw.iter().enumerate() {
            d[2 * i] = HEX[usize::from(b >> 4)];
            d[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        Digest(d)
    }

    /// The lower-case hex text.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Digest::new(&"a".repeat(32)).unwrap().as_str().len(), 32);
    /// ```
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.as_str())
    }
}

/// An RFC 2449 section 8 extended response code, the bracketed word after the status
/// (`-ERR [IN-USE] ...`).
///
/// ```
/// use wirestate::pop3::ResponseCode;
/// assert_eq!(ResponseCode::parse(b"IN-USE"), Some(ResponseCode::InUse));
/// assert_eq!(ResponseCode::parse(b"SYS/TEMP"), Some(ResponseCode::SysTemp));
/// assert_eq!(ResponseCode::InUse.as_str(), "IN-USE");
/// let other = ResponseCode::parse(b"X-VENDOR/THING").unwrap();
/// assert_eq!(other.as_str(), "X-VENDOR/THING");
/// assert!(ResponseCode::parse(b"BAD]CODE").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `[IN-USE]`: the maildrop is locked by another session (RFC 2449 section 8.1.2).
    InUse,
    /// `[LOGIN-DELAY]`: logged in too recently (RFC 2449 section 8.1.1).
    LoginDelay,
    /// `[SYS/TEMP]`: a temporary system problem (RFC 3206 section 4).
    SysTemp,
    /// `[SYS/PERM]`: a permanent system problem (RFC 3206 section 4).
    SysPerm,
    /// `[AUTH]`: the credentials were wrong (RFC 3206 section 5).
    Auth,
    /// Any other code that matches the RFC 2449 section 9 grammar.
    Other(OtherCode),
}

/// The text of a response code this crate has no name for; always grammar-valid.
///
/// ```
/// use wirestate::pop3::ResponseCode;
/// assert!(matches!(ResponseCode::parse(b"UTF8"), Some(ResponseCode::Other(_))));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OtherCode(Bytes);

impl OtherCode {
    /// The code's text.
    ///
    /// ```
    /// use wirestate::pop3::ResponseCode;
    /// let ResponseCode::Other(c) = ResponseCode::parse(b"UTF8").unwrap() else { panic!() };
    /// assert_eq!(c.as_str(), "UTF8");
    /// ```
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl ResponseCode {
    /// Parses the text between the brackets. RFC 2449 section 9:
    /// `resp-code = "[" resp-level *("/" resp-level) "]"`, `resp-level = 1*rchar`,
    /// `rchar = %x21-2E / %x30-5C / %x5E-7F` (printable ASCII except "/" and "]").
    ///
    /// ```
    /// assert!(wirestate::pop3::ResponseCode::parse(b"A//B").is_none());
    /// ```
    pub fn parse(code: &[u8]) -> Option<ResponseCode> {
        let rchar = |c: &u8| matches!(c, 0x21..=0x2e | 0x30..=0x5c | 0x5e..=0x7f);
        if code
            .split(|&c| c == b'/')
            .any(|l| l.is_empty() || !l.iter().all(rchar))
        {
            return None;
        }
        Some(match code {
            b"IN-USE" => ResponseCode::InUse,
            b"LOGIN-DELAY" => ResponseCode::LoginDelay,
            b"SYS/TEMP" => ResponseCode::SysTemp,
            b"SYS/PERM" => ResponseCode::SysPerm,
            b"AUTH" => ResponseCode::Auth,
            _ => ResponseCode::Other(OtherCode(Bytes::copy_from_slice(code))),
        })
    }

    /// The code's text, without brackets.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::ResponseCode::Auth.as_str(), "AUTH");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            ResponseCode::InUse => "IN-USE",
            ResponseCode::LoginDelay => "LOGIN-DELAY",
            ResponseCode::SysTemp => "SYS/TEMP",
            ResponseCode::SysPerm => "SYS/PERM",
            ResponseCode::Auth => "AUTH",
            ResponseCode::Other(o) => o.as_str(),
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text for a status line the local side sends (a greeting, a `-ERR` reason): at most
/// [`Text::MAX_LEN`] octets and no CR, LF or NUL, so it can never end the line early or
/// smuggle a second response (RFC 1939 section 3: a status line is one line).
///
/// ```
/// use wirestate::pop3::Text;
/// assert_eq!(Text::new("maildrop locked").unwrap().as_str(), "maildrop locked");
/// assert!(Text::new("bad\r\n+OK forged").is_err());
/// assert!(Text::new(&"x".repeat(256)).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Text(Bytes);

impl Text {
    /// The longest text: half of RFC 2449 section 4's 512-octet response line, leaving
    /// room for the status, a response code and an APOP timestamp.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Text::MAX_LEN, 255);
    /// ```
    pub const MAX_LEN: usize = 255;

    /// Validates and copies `s`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Text::new("").is_ok());
    /// ```
    pub fn new(s: &str) -> Result<Text, SendError> {
        Text::from_bytes(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// Validates `b` without copying.
    ///
    /// ```
    /// use bytes::Bytes;
    /// assert!(wirestate::pop3::Text::from_bytes(Bytes::from_static(b"a\0b")).is_err());
    /// ```
    pub fn from_bytes(b: Bytes) -> Result<Text, SendError> {
        const RULE: &str =
            "RFC 1939 section 3: status text is one line of at most 255 octets, no CR, LF or NUL";
        if b.len() > Text::MAX_LEN {
            return Err(invalid(RULE, Text::MAX_LEN));
        }
        if let Some(at) = b.iter().position(|&c| matches!(c, 0 | b'\r' | b'\n')) {
            return Err(invalid(RULE, at));
        }
        Ok(Text(b))
    }

    /// The text's bytes.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Text::new("hi").unwrap().as_bytes(), b"hi");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text as a string (lossy only if it was built from non-UTF-8 bytes).
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Text::new("hi").unwrap().as_str(), "hi");
    /// ```
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The APOP timestamp a server puts in its greeting (RFC 1939 section 7): a msg-id,
/// `<` then 1 to 200 printable octets with no space, `<` or `>`, then `>`. The caller makes
/// it unique per connection (process id, clock, host name), as the machine has none.
///
/// ```
/// use wirestate::pop3::Timestamp;
/// let t = Timestamp::new("<1896.697170952@dbc.mtview.ca.us>").unwrap();
/// assert_eq!(t.as_bytes(), b"<1896.697170952@dbc.mtview.ca.us>");
/// assert!(Timestamp::new("no brackets").is_err());
/// assert!(Timestamp::new("<a b>").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp(Bytes);

impl Timestamp {
    /// Validates and copies `s`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Timestamp::new("<>").is_err());
    /// ```
    pub fn new(s: &str) -> Result<Timestamp, SendError> {
        const RULE: &str = "RFC 1939 section 7: an APOP timestamp is a msg-id, <...>";
        let b = s.as_bytes();
        if b.len() < 3 || b.len() > 202 || b[0] != b'<' || b[b.len() - 1] != b'>' {
            return Err(invalid(RULE, 0));
        }
        if let Some(at) = b[1..b.len() - 1]
            .iter()
            .position(|&c| c <= b' ' || c == b'<' || c == b'>' || c >= 0x7f)
        {
            return Err(invalid(RULE, at + 1));
        }
        Ok(Timestamp(Bytes::copy_from_slice(b)))
    }

    /// The timestamp, angle brackets included.
    ///
    /// ```
    /// assert_eq!(wirestate::pop3::Timestamp::new("<1@x>").unwrap().as_bytes(), b"<1@x>");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

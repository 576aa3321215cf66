//! ESMTP parameter values: `BODY=` (RFC 6152, RFC 3030), `RET=`, `ENVID=`, `NOTIFY=`,
//! `ORCPT=` (RFC 3461) with their `xtext` encoding, and the MAIL and RCPT parameter sets.
//! Parsing and encoding them is part of the command codec in `command.rs`.

use super::SyntaxError;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

/// `BODY=` (RFC 6152 2; RFC 3030 3 adds BINARYMIME).
///
/// ```
/// use wirestate::smtp::{Body, Command};
/// let Command::Mail { params, .. } = Command::parse(b"MAIL FROM:<> BODY=8BITMIME").unwrap() else { panic!() };
/// assert_eq!(params.body, Some(Body::EightBitMime));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// `7BIT`.
    SevenBit,
    /// `8BITMIME`.
    EightBitMime,
    /// `BINARYMIME` (needs BDAT).
    BinaryMime,
}

/// `RET=` (RFC 3461 4.3): what a bounce should include.
///
/// ```
/// use wirestate::smtp::{Command, Ret};
/// let Command::Mail { params, .. } = Command::parse(b"MAIL FROM:<> RET=HDRS").unwrap() else { panic!() };
/// assert_eq!(params.ret, Some(Ret::Hdrs));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `FULL`: the whole message.
    Full,
    /// `HDRS`: headers only.
    Hdrs,
}

/// `NOTIFY=` (RFC 3461 4.1): `NEVER`, or any of `SUCCESS`, `FAILURE`, `DELAY`.
///
/// ```
/// use wirestate::smtp::Command;
/// let Command::Rcpt { params, .. } = Command::parse(b"RCPT TO:<a@b> NOTIFY=FAILURE").unwrap() else { panic!() };
/// assert!(params.notify.unwrap().failure);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Notify {
    /// SUCCESS.
    pub success: bool,
    /// FAILURE.
    pub failure: bool,
    /// DELAY.
    pub delay: bool,
}

impl Notify {
    /// True for `NEVER` (no flag set).
    ///
    /// ```
    /// assert!(wirestate::smtp::Notify::default().is_never());
    /// ```
    pub fn is_never(&self) -> bool {
        !(self.success || self.failure || self.delay)
    }
}

/// `xtext` (RFC 3461 4): printable ASCII except `+` and `=`, which are written `+XX`.
/// Holds the encoded form; [`XText::decode`] gives the octets.
///
/// ```
/// use wirestate::smtp::XText;
/// let x = XText::encode(b"a+b=c");
/// assert_eq!(x.as_str(), "a+2Bb+3Dc");
/// assert_eq!(x.decode(), b"a+b=c");
/// assert!(XText::parse("bad+zz").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct XText(String);

impl XText {
    /// Validates an encoded xtext.
    ///
    /// ```
    /// assert!(wirestate::smtp::XText::parse("abc+2B").is_ok());
    /// ```
    pub fn parse(s: &str) -> Result<XText, SyntaxError> {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => {
                    // hexchar = "+" 2(%x30-39 / %x41-46): upper-case hex only
                    let hex = |c: u8| c.is_ascii_digit() || (b'A'..=b'F').contains(&c);
                    if !(b.len() > i + 2 && hex(b[i + 1]) && hex(b[i + 2])) {
                        return Err(SyntaxError {
                            rule: "RFC 3461 4: '+' must be followed by two upper-case hex digits",
                            offset: i,
                        });
                    }
                    i += 3;
                }
                33..=60 | 62..=126 => i += 1,
                _ => {
                    return Err(SyntaxError {
                        rule: "RFC 3461 4: invalid xtext character",
                        offset: i,
                    })
                }
            }
        }
        Ok(XText(String::from(s)))
    }

    /// Encodes raw octets.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::XText::encode(b"a b").as_str(), "a+20b");
    /// ```
    pub fn encode(raw: &[u8]) -> XText {
        let mut s = String::with_capacity(raw.len());
        for &c in raw {
            if matches!(c, 33..=42 | 44..=60 | 62..=126) {
                s.push(c as char);
            } else {
                let _ = write!(s, "+{c:02X}");
            }
        }
        XText(s)
    }

    /// The encoded text.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::XText::encode(b"x").as_str(), "x");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The decoded octets.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::XText::parse("+41").unwrap().decode(), b"A");
    /// ```
    pub fn decode(&self) -> Vec<u8> {
        let b = self.0.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'+' {
                let h = |c: u8| {
                    if c.is_ascii_digit() {
                        c - b'0'
                    } else {
                        c - b'A' + 10
                    }
                };
                if let (Some(&x), Some(&y)) = (b.get(i + 1), b.get(i + 2)) {
                    out.push(h(x) << 4 | h(y));
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        out
    }
}

/// An ESMTP parameter without a field of its own: `esmtp-keyword["=" esmtp-value]`
/// (RFC 5321 4.1.2). Kept so the caller can decide (servers answer 555 by default).
///
/// ```
/// use wirestate::smtp::Command;
/// let Command::Mail { params, .. } = Command::parse(b"MAIL FROM:<> X-FOO=1").unwrap() else { panic!() };
/// assert_eq!(params.other[0].keyword, "X-FOO");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    /// The keyword as sent.
    pub keyword: String,
    /// The value, if any.
    pub value: Option<String>,
}

/// Parameters of `MAIL FROM`.
///
/// ```
/// let p = wirestate::smtp::MailParams { size: Some(10), ..Default::default() };
/// assert!(!p.smtputf8);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct MailParams {
    /// `SIZE=` declared message size (RFC 1870 3).
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531 3.4).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461 4.3).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461 4.4).
    pub envid: Option<XText>,
    /// `AUTH=` (RFC 4954 5): `<>` is `XText("<>")`.
    pub auth: Option<XText>,
    /// Anything else, in order.
    pub other: Vec<Param>,
}

/// Parameters of `RCPT TO`.
///
/// ```
/// let p = wirestate::smtp::RcptParams::default();
/// assert!(p.notify.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct RcptParams {
    /// `NOTIFY=` (RFC 3461 4.1).
    pub notify: Option<Notify>,
    /// `ORCPT=addr-type;xtext` (RFC 3461 4.2).
    pub orcpt: Option<(String, XText)>,
    /// Anything else, in order.
    pub other: Vec<Param>,
}

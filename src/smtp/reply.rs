//! Replies: [`ReplyCode`], [`EnhancedCode`] (RFC 3463), [`Reply`] with its exact text,
//! the streaming [`ReplyParser`] and the encoder (RFC 5321 section 4.2).

use super::SyntaxError;
use crate::buffer::RecvBuffer;
use crate::line::{LineError, LinePolicy, LineReader};
use alloc::string::String;
use alloc::vec::Vec;
use bytes::{BufMut, BytesMut};
use core::fmt;

/// Longest reply line including the code and CRLF (RFC 5321 4.5.3.1.5).
///
/// ```
/// assert_eq!(wirestate::smtp::MAX_REPLY_LINE, 512);
/// ```
pub const MAX_REPLY_LINE: usize = 512;

/// A three-digit reply code: `Reply-code = %x32-35 %x30-35 %x30-39` (RFC 5321 4.2).
///
/// ```
/// use wirestate::smtp::ReplyCode;
/// let c = ReplyCode::new(354).unwrap();
/// assert!(c.is_intermediate());
/// assert!(ReplyCode::new(199).is_err());
/// assert!(ReplyCode::new(260).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `220` service ready.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyCode::SERVICE_READY.get(), 220);
    /// ```
    pub const SERVICE_READY: ReplyCode = ReplyCode(220);
    /// `221` closing.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyCode::CLOSING.get(), 221);
    /// ```
    pub const CLOSING: ReplyCode = ReplyCode(221);
    /// `250` OK.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyCode::OK.get(), 250);
    /// ```
    pub const OK: ReplyCode = ReplyCode(250);
    /// `354` start mail input.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyCode::START_INPUT.get(), 354);
    /// ```
    pub const START_INPUT: ReplyCode = ReplyCode(354);
    /// `421` service not available, closing.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyCode::NOT_AVAILABLE.get(), 421);
    /// ```
    pub const NOT_AVAILABLE: ReplyCode = ReplyCode(421);

    /// Validates a code.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyCode::new(250).unwrap().get(), 250);
    /// ```
    pub fn new(code: u16) -> Result<ReplyCode, SyntaxError> {
        let (a, b) = (code / 100, code / 10 % 10);
        if (2..=5).contains(&a) && b <= 5 {
            Ok(ReplyCode(code))
        } else {
            Err(SyntaxError {
                rule: "RFC 5321 4.2: reply code must be 2xx-5xx with second digit 0-5",
                offset: 0,
            })
        }
    }

    /// The number.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyCode::OK.get(), 250);
    /// ```
    pub fn get(self) -> u16 {
        self.0
    }

    /// 2yz.
    ///
    /// ```
    /// assert!(wirestate::smtp::ReplyCode::OK.is_positive());
    /// ```
    pub fn is_positive(self) -> bool {
        self.0 / 100 == 2
    }

    /// 3yz.
    ///
    /// ```
    /// assert!(wirestate::smtp::ReplyCode::START_INPUT.is_intermediate());
    /// ```
    pub fn is_intermediate(self) -> bool {
        self.0 / 100 == 3
    }

    /// 4yz or 5yz.
    ///
    /// ```
    /// assert!(wirestate::smtp::ReplyCode::NOT_AVAILABLE.is_negative());
    /// ```
    pub fn is_negative(self) -> bool {
        self.0 >= 400
    }

    /// 5yz.
    ///
    /// ```
    /// assert!(!wirestate::smtp::ReplyCode::NOT_AVAILABLE.is_permanent());
    /// ```
    pub fn is_permanent(self) -> bool {
        self.0 / 100 == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced status code `class.subject.detail` (RFC 3463 section 2; RFC 2034 puts it
/// at the start of each reply line's text): class 2, 4 or 5, subject and detail 0-999
/// written with 1-3 digits.
///
/// ```
/// use wirestate::smtp::EnhancedCode;
/// let e = EnhancedCode::parse("5.7.8").unwrap();
/// assert_eq!((e.class, e.subject, e.detail), (5, 7, 8));
/// assert!(EnhancedCode::parse("3.1.1").is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2 success, 4 persistent transient failure, 5 permanent failure.
    pub class: u8,
    /// Subject, 0-999.
    pub subject: u16,
    /// Detail, 0-999.
    pub detail: u16,
}

impl EnhancedCode {
    /// A code, if the parts are in range.
    ///
    /// ```
    /// assert!(wirestate::smtp::EnhancedCode::new(2, 0, 0).is_some());
    /// ```
    pub fn new(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
        (matches!(class, 2 | 4 | 5) && subject <= 999 && detail <= 999).then_some(EnhancedCode {
            class,
            subject,
            detail,
        })
    }

    /// Parses exactly `class.subject.detail`.
    ///
    /// ```
    /// assert!(wirestate::smtp::EnhancedCode::parse("2.1.5").is_some());
    /// ```
    pub fn parse(s: &str) -> Option<EnhancedCode> {
        let mut it = s.split('.');
        let num = |p: Option<&str>| -> Option<u16> {
            let p = p?;
            (!p.is_empty() && p.len() <= 3 && p.bytes().all(|c| c.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        let class = num(it.next())?;
        let subject = num(it.next())?;
        let detail = num(it.next())?;
        if it.next().is_some() || class > 9 {
            return None;
        }
        EnhancedCode::new(class as u8, subject, detail)
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A whole reply: code, optional enhanced code and every line's text exactly as sent
/// (the enhanced code, if any, is still at the start of each line; errors quote the
/// server's own words). Text that is not UTF-8 is decoded with U+FFFD in place of the
/// invalid octets.
///
/// ```
/// use wirestate::smtp::{EnhancedCode, Reply};
/// let r = Reply::enhanced(550, EnhancedCode::new(5, 1, 1).unwrap(), "No such user").unwrap();
/// assert_eq!(&r.to_bytes()[..], b"550 5.1.1 No such user\r\n");
/// assert_eq!(r.message(), "No such user");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reply {
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
    lines: Vec<String>,
}

/// Encoding a reply whose text would break framing or limits: a local error.
fn check_text(line: &str) -> Result<(), SyntaxError> {
    // textstring = 1*(%d09 / %d32-126); UTF-8 is tolerated, CR and LF never (framing).
    if let Some(k) = line
        .bytes()
        .position(|c| c == b'\r' || c == b'\n' || (c < 32 && c != 9))
    {
        return Err(SyntaxError {
            rule: "RFC 5321 4.2: reply text may not contain CR, LF or controls",
            offset: k,
        });
    }
    if line.len() + 6 > MAX_REPLY_LINE {
        return Err(SyntaxError {
            rule: "RFC 5321 4.5.3.1.5: reply line longer than 512 octets",
            offset: MAX_REPLY_LINE - 6,
        });
    }
    Ok(())
}

impl Reply {
    /// A one-line reply.
    ///
    /// ```
    /// let r = wirestate::smtp::Reply::new(250, "OK").unwrap();
    /// assert_eq!(&r.to_bytes()[..], b"250 OK\r\n");
    /// ```
    pub fn new(code: u16, text: &str) -> Result<Reply, SyntaxError> {
        Reply::multiline(code, None, &[text])
    }

    /// A one-line reply with an enhanced status code before the text (RFC 2034 3).
    ///
    /// ```
    /// use wirestate::smtp::{EnhancedCode, Reply};
    /// let r = Reply::enhanced(250, EnhancedCode::new(2, 0, 0).unwrap(), "OK").unwrap();
    /// assert_eq!(r.enhanced_code().unwrap().to_string(), "2.0.0");
    /// ```
    pub fn enhanced(code: u16, enhanced: EnhancedCode, text: &str) -> Result<Reply, SyntaxError> {
        Reply::multiline(code, Some(enhanced), &[text])
    }

    /// A reply of one or more lines; with `enhanced`, every line starts with it (RFC 2034 3).
    /// The enhanced class must match the reply's first digit.
    ///
    /// ```
    /// let r = wirestate::smtp::Reply::multiline(250, None, &["mx.example", "PIPELINING"]).unwrap();
    /// assert_eq!(&r.to_bytes()[..], b"250-mx.example\r\n250 PIPELINING\r\n");
    /// ```
    pub fn multiline(
        code: u16,
        enhanced: Option<EnhancedCode>,
        lines: &[&str],
    ) -> Result<Reply, SyntaxError> {
        let code = ReplyCode::new(code)?;
        if let Some(e) = enhanced {
            if u16::from(e.class) != code.get() / 100 {
                return Err(SyntaxError {
                    rule: "RFC 3463 2: enhanced code class must match the reply code",
                    offset: 0,
                });
            }
        }
        if lines.is_empty() {
            return Err(SyntaxError {
                rule: "RFC 5321 4.2: a reply has at least one line",
                offset: 0,
            });
        }
        let mut out = Vec::with_capacity(lines.len());
        for l in lines {
            check_text(l)?;
            out.push(match enhanced {
                Some(e) if l.is_empty() => alloc::format!("{e}"),
                Some(e) => alloc::format!("{e} {l}"),
                None => String::from(*l),
            });
        }
        Ok(Reply {
            code,
            enhanced,
            lines: out,
        })
    }

    /// Builds a reply from parts the caller knows to be valid; used for the machines'
    /// own fixed replies.
    pub(crate) fn fixed(code: u16, enhanced: Option<(u8, u16, u16)>, text: &str) -> Reply {
        let enhanced = enhanced.and_then(|(c, s, d)| EnhancedCode::new(c, s, d));
        Reply::multiline(code, enhanced, &[text]).unwrap_or(Reply {
            code: ReplyCode(code),
            enhanced: None,
            lines: alloc::vec![String::new()],
        })
    }

    /// The code.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::Reply::new(221, "bye").unwrap().code().get(), 221);
    /// ```
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code, if the first line starts with one.
    ///
    /// ```
    /// assert!(wirestate::smtp::Reply::new(250, "OK").unwrap().enhanced_code().is_none());
    /// ```
    pub fn enhanced_code(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// Every line's text exactly as sent (after `code-` / `code `).
    ///
    /// ```
    /// let r = wirestate::smtp::Reply::new(250, "OK").unwrap();
    /// assert_eq!(r.lines(), &["OK".to_string()]);
    /// ```
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The text without enhanced codes, lines joined with a space.
    ///
    /// ```
    /// let r = wirestate::smtp::Reply::multiline(250, None, &["a", "b"]).unwrap();
    /// assert_eq!(r.message(), "a b");
    /// ```
    pub fn message(&self) -> String {
        let mut s = String::new();
        for (i, l) in self.lines.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(strip_enhanced(l, self.enhanced).1);
        }
        s
    }

    /// Appends the wire form.
    ///
    /// ```
    /// let mut out = bytes::BytesMut::new();
    /// wirestate::smtp::Reply::new(354, "go ahead").unwrap().encode(&mut out);
    /// assert_eq!(&out[..], b"354 go ahead\r\n");
    /// ```
    pub fn encode(&self, out: &mut BytesMut) {
        let last = self.lines.len().saturating_sub(1);
        for (i, l) in self.lines.iter().enumerate() {
            let mut num = [0u8; 3];
            let c = self.code.0;
            num[0] = b'0' + (c / 100) as u8;
            num[1] = b'0' + (c / 10 % 10) as u8;
            num[2] = b'0' + (c % 10) as u8;
            out.put_slice(&num);
            out.put_u8(if i == last { b' ' } else { b'-' });
            out.put_slice(l.as_bytes());
            out.put_slice(b"\r\n");
        }
    }

    /// The wire form.
    ///
    /// ```
    /// assert_eq!(&wirestate::smtp::Reply::new(250, "x").unwrap().to_bytes()[..], b"250 x\r\n");
    /// ```
    pub fn to_bytes(&self) -> bytes::Bytes {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        out.freeze()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.lines.iter().enumerate() {
            if i > 0 {
                f.write_str(" / ")?;
            }
            write!(f, "{} {}", self.code, l)?;
        }
        Ok(())
    }
}

/// Splits a leading enhanced code off a line's text.
fn strip_enhanced(line: &str, known: Option<EnhancedCode>) -> (Option<EnhancedCode>, &str) {
    let word_end = line.find(' ').unwrap_or(line.len());
    match EnhancedCode::parse(&line[..word_end]) {
        Some(e) if known.map_or(true, |k| k == e) => {
            (Some(e), line[word_end..].trim_start_matches(' '))
        }
        _ => (None, line),
    }
}

/// What was wrong with a reply.
///
/// ```
/// use wirestate::buffer::RecvBuffer;
/// use wirestate::smtp::{ReplyErrorKind, ReplyParser};
/// let mut buf = RecvBuffer::new(64);
/// buf.push(b"hello\r\n").unwrap();
/// assert_eq!(ReplyParser::new().poll(&mut buf).unwrap().unwrap_err().kind, ReplyErrorKind::BadCode);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyErrorKind {
    /// The line framing broke (too long, bare CR or LF).
    Line(LineError),
    /// The line does not start with a valid code and separator.
    BadCode,
    /// A continuation line's code differs from the first line's (RFC 5321 4.2.1).
    CodeMismatch,
    /// More lines than [`ReplyParser::max_lines`].
    TooManyLines,
}

/// A reply the parser could not accept, with the stream offset of the line.
///
/// ```
/// use wirestate::buffer::RecvBuffer;
/// use wirestate::smtp::ReplyParser;
/// let mut buf = RecvBuffer::new(64);
/// buf.push(b"OK\r\n250 x\r\n").unwrap();
/// assert_eq!(ReplyParser::new().poll(&mut buf).unwrap().unwrap_err().offset, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyError {
    /// What was wrong.
    pub kind: ReplyErrorKind,
    /// Stream offset of the line (or the offending byte for framing errors).
    pub offset: u64,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ReplyErrorKind::Line(e) => write!(f, "reply framing: {e}"),
            ReplyErrorKind::BadCode => write!(
                f,
                "RFC 5321 4.2: reply line at byte {} does not start with a valid code",
                self.offset
            ),
            ReplyErrorKind::CodeMismatch => write!(
                f,
                "RFC 5321 4.2.1: reply line at byte {} changes the code mid-reply",
                self.offset
            ),
            ReplyErrorKind::TooManyLines => {
                write!(f, "reply at byte {} has too many lines", self.offset)
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ReplyError {}

/// Parses one reply line (without CRLF) into code, whether it is the last line, text.
/// A bare code with no separator is a last line with empty text (Postfix's smtp-sink
/// sends `250`; RFC 5321 4.2 allows the text to be omitted).
///
/// ```
/// let (code, last, text) = wirestate::smtp::parse_reply_line(b"250-PIPELINING").unwrap();
/// assert_eq!((code.get(), last, text), (250, false, &b"PIPELINING"[..]));
/// assert!(wirestate::smtp::parse_reply_line(b"250x").is_none());
/// ```
pub fn parse_reply_line(line: &[u8]) -> Option<(ReplyCode, bool, &[u8])> {
    let (_, (digits, after)) = reply_line_grammar(line).ok()?;
    let n = digits
        .iter()
        .fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
    let code = ReplyCode::new(n).ok()?;
    match after {
        None => Some((code, true, &[])),
        Some((sep, text)) => Some((code, sep == b" ", text)),
    }
}

/// The text after the code, split from its separator.
type AfterCode<'a> = Option<(&'a [u8], &'a [u8])>;

/// RFC 5321 4.2: `Reply-code [ ( SP / "-" ) textstring ]`; the digit ranges
/// (%x32-35 %x30-35 %x30-39) are checked by [`ReplyCode::new`].
fn reply_line_grammar(line: &[u8]) -> nom::IResult<&[u8], (&[u8], AfterCode<'_>), ()> {
    use nom::branch::alt;
    use nom::bytes::complete::{tag, take_while_m_n};
    use nom::combinator::{eof, rest};
    use nom::Parser;
    let digits = take_while_m_n(3, 3, |c: u8| c.is_ascii_digit());
    let separator = alt((tag(&b" "[..]), tag(&b"-"[..])));
    let after = alt(((separator, rest).map(Some), eof.map(|_| None)));
    (digits, after).parse(line)
}

/// Decodes replies from a receive buffer, line by line, across any split of the input.
///
/// ```
/// use wirestate::buffer::RecvBuffer;
/// use wirestate::smtp::ReplyParser;
/// let mut buf = RecvBuffer::new(4096);
/// let mut p = ReplyParser::new();
/// buf.push(b"250-mx.example greets you\r\n250-SIZE 1000\r\n250 8BITMIME\r\n").unwrap();
/// let r = p.poll(&mut buf).unwrap().unwrap();
/// assert_eq!(r.code().get(), 250);
/// assert_eq!(r.lines().len(), 3);
/// assert!(p.poll(&mut buf).is_none());
/// ```
#[derive(Clone, Debug)]
pub struct ReplyParser {
    lines: LineReader,
    pending: Option<(ReplyCode, Vec<String>, u64)>,
    max_lines: usize,
}

impl Default for ReplyParser {
    fn default() -> Self {
        ReplyParser::new()
    }
}

impl ReplyParser {
    /// A parser with the RFC limits: 512-octet lines, at most 128 lines per reply.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyParser::new().max_lines(), 128);
    /// ```
    pub fn new() -> ReplyParser {
        ReplyParser::with_limits(MAX_REPLY_LINE, 128)
    }

    /// A parser with other limits (line length including CRLF, lines per reply).
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyParser::with_limits(1000, 8).max_lines(), 8);
    /// ```
    pub fn with_limits(max_line: usize, max_lines: usize) -> ReplyParser {
        ReplyParser {
            lines: LineReader::new(LinePolicy::strict(max_line.max(6))),
            pending: None,
            max_lines: max_lines.max(1),
        }
    }

    /// Most lines accepted in one reply.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::ReplyParser::new().max_lines(), 128);
    /// ```
    pub fn max_lines(&self) -> usize {
        self.max_lines
    }

    /// Forgets a partial reply (after STARTTLS the stream starts over).
    ///
    /// ```
    /// wirestate::smtp::ReplyParser::new().reset();
    /// ```
    pub fn reset(&mut self) {
        self.lines.reset();
        self.pending = None;
    }

    /// The next complete reply, an error, or `None` until more input arrives. After an
    /// error the partial reply is dropped; the stream is best treated as broken.
    ///
    /// ```
    /// use wirestate::buffer::RecvBuffer;
    /// use wirestate::smtp::ReplyParser;
    /// let mut buf = RecvBuffer::new(64);
    /// buf.push(b"250\r\n").unwrap(); // a bare code, as smtp-sink sends
    /// let r = ReplyParser::new().poll(&mut buf).unwrap().unwrap();
    /// assert_eq!(r.lines(), &["".to_string()]);
    /// ```
    pub fn poll(&mut self, buf: &mut RecvBuffer) -> Option<Result<Reply, ReplyError>> {
        loop {
            let offset = buf.consumed();
            let line = match self.lines.poll(buf)? {
                Ok(l) => l,
                Err(e) => {
                    self.pending = None;
                    return Some(Err(ReplyError {
                        kind: ReplyErrorKind::Line(e),
                        offset: e.offset,
                    }));
                }
            };
            let fail = |kind| Some(Err(ReplyError { kind, offset }));
            let Some((code, last, text)) = parse_reply_line(&line.text) else {
                self.pending = None;
                return fail(ReplyErrorKind::BadCode);
            };
            let text = String::from_utf8_lossy(text).into_owned();
            let (first_code, mut lines, start) = match self.pending.take() {
                Some((c, _, _)) if c != code => return fail(ReplyErrorKind::CodeMismatch),
                Some(p) => p,
                None => (code, Vec::new(), offset),
            };
            if lines.len() >= self.max_lines {
                return Some(Err(ReplyError {
                    kind: ReplyErrorKind::TooManyLines,
                    offset: start,
                }));
            }
            lines.push(text);
            if !last {
                self.pending = Some((first_code, lines, start));
                continue;
            }
            let enhanced = lines.first().and_then(|l| strip_enhanced(l, None).0);
            // RFC 3463 2: the class must agree with the reply code to count.
            let enhanced = enhanced.filter(|e| u16::from(e.class) == code.get() / 100);
            return Some(Ok(Reply {
                code,
                enhanced,
                lines,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(wire: &[u8]) -> Vec<Result<Reply, ReplyError>> {
        let mut buf = RecvBuffer::new(1 << 16);
        buf.push(wire).unwrap();
        let mut p = ReplyParser::new();
        core::iter::from_fn(|| p.poll(&mut buf)).collect()
    }

    #[test]
    fn code_mismatch_is_an_error() {
        let r = parse_all(b"250-a\r\n251 b\r\n");
        assert_eq!(
            r[0].as_ref().unwrap_err().kind,
            ReplyErrorKind::CodeMismatch
        );
    }

    #[test]
    fn enhanced_is_split_out_but_text_kept() {
        let r = parse_all(b"550 5.1.1 <x@y>: Recipient address rejected\r\n");
        let r = r[0].as_ref().unwrap();
        assert_eq!(r.enhanced_code(), EnhancedCode::new(5, 1, 1));
        assert_eq!(r.lines()[0], "5.1.1 <x@y>: Recipient address rejected");
        assert_eq!(r.message(), "<x@y>: Recipient address rejected");
    }

    /// Found by the smtp_reply fuzz target: invalid UTF-8 text grows when decoded, so
    /// the re-encoding of a 512-octet line may be longer; it must still roundtrip.
    #[test]
    fn invalid_utf8_text_roundtrips() {
        let mut wire = b"220 ".to_vec();
        wire.extend(core::iter::repeat(0xff).take(400));
        wire.extend_from_slice(b"\x01\0end\r\n");
        let r = parse_all(&wire).pop().unwrap().unwrap();
        assert!(r.lines()[0].starts_with('\u{fffd}'));
        let mut buf = RecvBuffer::new(1 << 16);
        buf.push(&r.to_bytes()).unwrap();
        let again = ReplyParser::with_limits(4096, 8)
            .poll(&mut buf)
            .unwrap()
            .unwrap();
        assert_eq!(again, r);
    }

    #[test]
    fn encode_rejects_crlf() {
        assert!(Reply::new(250, "a\r\nb").is_err());
        assert!(Reply::new(250, "ok\n").is_err());
    }
}

//! Envelope addresses that cannot hold an invalid value: [`Domain`], [`AddressLiteral`],
//! [`Mailbox`], [`ReversePath`] and [`ForwardPath`] (RFC 5321 section 4.1.2, with the
//! UTF-8 extensions of RFC 6531 section 3.3 allowed only when asked for).

use super::SyntaxError;
use alloc::string::String;
use core::fmt;

/// Longest local-part, in octets (RFC 5321 4.5.3.1.1).
///
/// ```
/// assert_eq!(wirestate::smtp::MAX_LOCAL_PART, 64);
/// ```
pub const MAX_LOCAL_PART: usize = 64;
/// Longest domain name, in octets (RFC 5321 4.5.3.1.2).
///
/// ```
/// assert_eq!(wirestate::smtp::MAX_DOMAIN, 255);
/// ```
pub const MAX_DOMAIN: usize = 255;
/// Longest path, including the angle brackets, in octets (RFC 5321 4.5.3.1.3): the
/// default of the server's settable `ServerLimits::path`. The parsers themselves are
/// bounded by the local-part and domain limits and the command line.
///
/// ```
/// assert_eq!(wirestate::smtp::MAX_PATH, 256);
/// ```
pub const MAX_PATH: usize = 256;

fn err(rule: &'static str, offset: usize) -> SyntaxError {
    SyntaxError { rule, offset }
}

/// `Let-dig = ALPHA / DIGIT`, plus any non-ASCII octet when UTF-8 (U-labels) is allowed.
fn let_dig(b: u8, utf8: bool) -> bool {
    b.is_ascii_alphanumeric() || (utf8 && b >= 0x80)
}

/// A domain name: `sub-domain *("." sub-domain)` (RFC 5321 4.1.2), each label at most 63
/// octets (RFC 1035 2.3.4), the whole at most 255 (4.5.3.1.2). Non-ASCII labels only
/// when parsed with `utf8` (RFC 6531 3.3: U-labels under SMTPUTF8).
///
/// ```
/// use wirestate::smtp::Domain;
/// assert_eq!(Domain::parse("mail.example.org").unwrap().as_str(), "mail.example.org");
/// assert!(Domain::parse("-bad.example").is_err());
/// assert!(Domain::parse("a..b").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain(String);

impl Default for Domain {
    /// `localhost`.
    fn default() -> Domain {
        Domain(String::from("localhost"))
    }
}

impl Domain {
    /// Parses an ASCII domain.
    ///
    /// ```
    /// assert!(wirestate::smtp::Domain::parse("localhost").is_ok());
    /// ```
    pub fn parse(s: &str) -> Result<Domain, SyntaxError> {
        Domain::parse_with(s, false)
    }

    /// Parses a domain, allowing UTF-8 labels when `utf8` is true.
    ///
    /// ```
    /// use wirestate::smtp::Domain;
    /// assert!(Domain::parse_with("bücher.example", true).is_ok());
    /// assert!(Domain::parse_with("bücher.example", false).is_err());
    /// ```
    pub fn parse_with(s: &str, utf8: bool) -> Result<Domain, SyntaxError> {
        check_domain(s.as_bytes(), utf8)?;
        Ok(Domain(String::from(s)))
    }

    /// The domain's text.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::Domain::parse("a.b").unwrap().as_str(), "a.b");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True if any label is non-ASCII (needs SMTPUTF8 on the wire).
    ///
    /// ```
    /// assert!(!wirestate::smtp::Domain::parse("a.b").unwrap().is_utf8());
    /// ```
    pub fn is_utf8(&self) -> bool {
        !self.0.is_ascii()
    }
}

fn check_domain(b: &[u8], utf8: bool) -> Result<(), SyntaxError> {
    if b.is_empty() {
        return Err(err("RFC 5321 4.1.2: empty domain", 0));
    }
    if b.len() > MAX_DOMAIN {
        return Err(err("RFC 5321 4.5.3.1.2: domain longer than 255 octets", 0));
    }
    let mut start = 0;
    for label in b.split(|&c| c == b'.') {
        if label.is_empty() {
            return Err(err("RFC 5321 4.1.2: empty domain label", start));
        }
        if label.len() > 63 {
            return Err(err(
                "RFC 1035 2.3.4: domain label longer than 63 octets",
                start,
            ));
        }
        // sub-domain = Let-dig [Ldh-str]; Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
        if !let_dig(label[0], utf8) {
            return Err(err(
                "RFC 5321 4.1.2: label must start with a letter or digit",
                start,
            ));
        }
        if !let_dig(label[label.len() - 1], utf8) {
            let at = start + label.len() - 1;
            return Err(err(
                "RFC 5321 4.1.2: label must end with a letter or digit",
                at,
            ));
        }
        if let Some(k) = label.iter().position(|&c| !(let_dig(c, utf8) || c == b'-')) {
            return Err(err(
                "RFC 5321 4.1.2: invalid character in domain",
                start + k,
            ));
        }
        start += label.len() + 1;
    }
    Ok(())
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An address literal in square brackets (RFC 5321 4.1.3): IPv4, `IPv6:` or a
/// `General-address-literal` (`tag:content`).
///
/// ```
/// use wirestate::smtp::AddressLiteral;
/// assert!(AddressLiteral::parse("[192.0.2.1]").is_ok());
/// assert!(AddressLiteral::parse("[IPv6:2001:db8::1]").is_ok());
/// assert!(AddressLiteral::parse("[300.0.0.1]").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AddressLiteral(String);

impl AddressLiteral {
    /// Parses `[...]`.
    ///
    /// ```
    /// let lit = wirestate::smtp::AddressLiteral::parse("[127.0.0.1]").unwrap();
    /// assert_eq!(lit.as_str(), "[127.0.0.1]");
    /// ```
    pub fn parse(s: &str) -> Result<AddressLiteral, SyntaxError> {
        check_literal(s.as_bytes())?;
        Ok(AddressLiteral(String::from(s)))
    }

    /// The literal with its brackets.
    ///
    /// ```
    /// let lit = wirestate::smtp::AddressLiteral::parse("[IPv6:::1]").unwrap();
    /// assert_eq!(lit.as_str(), "[IPv6:::1]");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AddressLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_literal(b: &[u8]) -> Result<(), SyntaxError> {
    let inner = b
        .strip_prefix(b"[")
        .and_then(|r| r.strip_suffix(b"]"))
        .ok_or(err(
            "RFC 5321 4.1.3: address literal must be in brackets",
            0,
        ))?;
    if inner.len() > 6 && inner[..5].eq_ignore_ascii_case(b"IPv6:") {
        return if ipv6_ok(&inner[5..]) {
            Ok(())
        } else {
            Err(err("RFC 5321 4.1.3: invalid IPv6 address literal", 6))
        };
    }
    if inner.first().is_some_and(|c| c.is_ascii_digit()) {
        return if ipv4_ok(inner) {
            Ok(())
        } else {
            Err(err("RFC 5321 4.1.3: invalid IPv4 address literal", 1))
        };
    }
    // General-address-literal = Standardized-tag ":" 1*dcontent, dcontent = %d33-90 / %d94-126
    let colon = inner
        .iter()
        .position(|&c| c == b':')
        .ok_or(err("RFC 5321 4.1.3: address literal needs a tag", 1))?;
    let (tag, content) = (&inner[..colon], &inner[colon + 1..]);
    let ldh = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-';
    if tag.is_empty() || !tag.iter().all(ldh) || tag.ends_with(b"-") {
        return Err(err("RFC 5321 4.1.3: invalid address literal tag", 1));
    }
    if content.is_empty() || !content.iter().all(|&c| matches!(c, 33..=90 | 94..=126)) {
        return Err(err(
            "RFC 5321 4.1.3: invalid address literal content",
            colon + 2,
        ));
    }
    Ok(())
}

fn ipv4_ok(s: &[u8]) -> bool {
    let mut n = 0;
    for part in s.split(|&c| c == b'.') {
        n += 1;
        if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
        let v = part.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
        if v > 255 {
            return false;
        }
    }
    n == 4
}

/// RFC 5321 4.1.3 IPv6-addr: full, compressed (`::`), and either with a trailing IPv4.
fn ipv6_ok(s: &[u8]) -> bool {
    let groups = |part: &[u8], allow_v4: bool| -> Option<usize> {
        if part.is_empty() {
            return Some(0);
        }
        let pieces: alloc::vec::Vec<&[u8]> = part.split(|&c| c == b':').collect();
        let mut count = 0;
        for (i, p) in pieces.iter().enumerate() {
            if allow_v4 && i == pieces.len() - 1 && p.contains(&b'.') {
                if !ipv4_ok(p) {
                    return None;
                }
                count += 2;
            } else if p.is_empty() || p.len() > 4 || !p.iter().all(u8::is_ascii_hexdigit) {
                return None;
            } else {
                count += 1;
            }
        }
        Some(count)
    };
    match s.windows(2).position(|w| w == b"::") {
        Some(p) => {
            let (head, tail) = (&s[..p], &s[p + 2..]);
            if tail.windows(2).any(|w| w == b"::") {
                return false;
            }
            match (groups(head, false), groups(tail, true)) {
                // "No more than 6 groups in addition to the '::' may be present."
                (Some(a), Some(b)) => a + b <= 6,
                _ => false,
            }
        }
        None => groups(s, true) == Some(8),
    }
}

/// The part after `@`: a domain name or an address literal.
///
/// ```
/// use wirestate::smtp::Host;
/// assert!(matches!(Host::parse("[192.0.2.1]", false).unwrap(), Host::Literal(_)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name.
    Domain(Domain),
    /// An address literal such as `[192.0.2.1]`.
    Literal(AddressLiteral),
}

impl Host {
    /// Parses a domain or, if it starts with `[`, an address literal.
    ///
    /// ```
    /// use wirestate::smtp::Host;
    /// assert!(matches!(Host::parse("[10.0.0.1]", false), Ok(Host::Literal(_))));
    /// assert!(matches!(Host::parse("example.com", false), Ok(Host::Domain(_))));
    /// ```
    pub fn parse(s: &str, utf8: bool) -> Result<Host, SyntaxError> {
        if s.starts_with('[') {
            AddressLiteral::parse(s).map(Host::Literal)
        } else {
            Domain::parse_with(s, utf8).map(Host::Domain)
        }
    }

    /// The text as sent.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::Host::parse("a.b", false).unwrap().as_str(), "a.b");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Host::Domain(d) => d.as_str(),
            Host::Literal(l) => l.as_str(),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `atext` (RFC 5322 3.2.3), plus UTF-8 octets under SMTPUTF8 (RFC 6531 3.3).
fn atext(c: u8, utf8: bool) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&c) || (utf8 && c >= 0x80)
}

/// Length of a valid local-part at the start of `b` (RFC 5321 4.1.2): a Dot-string or
/// a Quoted-string.
fn local_part_len(b: &[u8], utf8: bool) -> Result<usize, SyntaxError> {
    if b.first() == Some(&b'"') {
        let mut i = 1;
        loop {
            match b.get(i) {
                None => return Err(err("RFC 5321 4.1.2: unterminated quoted local-part", i)),
                Some(b'"') => return Ok(i + 1),
                // quoted-pairSMTP = %d92 %d32-126
                Some(b'\\') => match b.get(i + 1) {
                    Some(32..=126) => i += 2,
                    _ => return Err(err("RFC 5321 4.1.2: invalid quoted-pair", i)),
                },
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126
                Some(32..=33 | 35..=91 | 93..=126) => i += 1,
                Some(&c) if utf8 && c >= 0x80 => i += 1,
                Some(_) => {
                    return Err(err(
                        "RFC 5321 4.1.2: invalid character in quoted local-part",
                        i,
                    ))
                }
            }
        }
    }
    // Dot-string = Atom *("." Atom)
    let mut i = 0;
    let mut atom_len = 0;
    while let Some(&c) = b.get(i) {
        if atext(c, utf8) {
            atom_len += 1;
        } else if c == b'.' {
            if atom_len == 0 {
                return Err(err("RFC 5321 4.1.2: empty atom in local-part", i));
            }
            atom_len = 0;
        } else {
            break;
        }
        i += 1;
    }
    if atom_len == 0 {
        return Err(err("RFC 5321 4.1.2: empty atom in local-part", i));
    }
    Ok(i)
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )` (RFC 5321 4.1.2), at most 64
/// octets of local-part (4.5.3.1.1). UTF-8 only when parsed with `utf8` (RFC 6531).
///
/// ```
/// use wirestate::smtp::Mailbox;
/// let m = Mailbox::parse("\"john doe\"@example.org").unwrap();
/// assert_eq!(m.local_part(), "\"john doe\"");
/// assert_eq!(m.host().as_str(), "example.org");
/// assert!(Mailbox::parse("no-at-sign").is_err());
/// assert!(Mailbox::parse("a b@example.org").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mailbox {
    text: String,
    at: usize,
    host: Host,
}

impl Mailbox {
    /// Parses an ASCII mailbox.
    ///
    /// ```
    /// assert!(wirestate::smtp::Mailbox::parse("user@[192.0.2.7]").is_ok());
    /// ```
    pub fn parse(s: &str) -> Result<Mailbox, SyntaxError> {
        Mailbox::parse_with(s, false)
    }

    /// Parses a mailbox, allowing UTF-8 when `utf8` is true (SMTPUTF8).
    ///
    /// ```
    /// use wirestate::smtp::Mailbox;
    /// assert!(Mailbox::parse_with("jörg@example.org", true).is_ok());
    /// assert!(Mailbox::parse_with("jörg@example.org", false).is_err());
    /// ```
    pub fn parse_with(s: &str, utf8: bool) -> Result<Mailbox, SyntaxError> {
        let b = s.as_bytes();
        let at = local_part_len(b, utf8)?;
        if at > MAX_LOCAL_PART {
            return Err(err(
                "RFC 5321 4.5.3.1.1: local-part longer than 64 octets",
                0,
            ));
        }
        if b.get(at) != Some(&b'@') {
            return Err(err("RFC 5321 4.1.2: expected '@' after local-part", at));
        }
        let host = Host::parse(&s[at + 1..], utf8).map_err(|e| err(e.rule, e.offset + at + 1))?;
        Ok(Mailbox {
            text: String::from(s),
            at,
            host,
        })
    }

    /// The local-part as sent (quotes included).
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::Mailbox::parse("a.b@c").unwrap().local_part(), "a.b");
    /// ```
    pub fn local_part(&self) -> &str {
        &self.text[..self.at]
    }

    /// The domain or address literal.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::Mailbox::parse("a@c").unwrap().host().as_str(), "c");
    /// ```
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The whole mailbox.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::Mailbox::parse("a@c").unwrap().as_str(), "a@c");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True if it contains non-ASCII octets (needs SMTPUTF8, RFC 6531 3.4).
    ///
    /// ```
    /// assert!(!wirestate::smtp::Mailbox::parse("a@c").unwrap().is_utf8());
    /// ```
    pub fn is_utf8(&self) -> bool {
        !self.text.is_ascii()
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Splits `<...>` off the front of `s` (after an optional source route, which RFC 5321
/// 4.1.2 and appendix C say must be accepted and ignored), returning the inside and the
/// rest of the line.
fn split_path(s: &str) -> Result<(&str, &str), SyntaxError> {
    if !s.starts_with('<') {
        return Err(err("RFC 5321 4.1.2: path must start with '<'", 0));
    }
    let end = s
        .find('>')
        .ok_or(err("RFC 5321 4.1.2: path must end with '>'", s.len()))?;
    // A quoted local-part may contain '>': find the '>' after the closing quote.
    let end = match s[1..].find('"') {
        Some(q) if q + 1 < end => {
            let b = s.as_bytes();
            let mut i = q + 2;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            s.get(i..)
                .and_then(|r| r.find('>'))
                .map(|k| i + k)
                .ok_or(err("RFC 5321 4.1.2: path must end with '>'", s.len()))?
        }
        _ => end,
    };
    let mut inner = &s[1..end];
    if inner.starts_with('@') {
        // A-d-l = At-domain *( "," At-domain ) ":"
        let colon = inner
            .find(':')
            .ok_or(err("RFC 5321 4.1.2: source route without ':'", 1))?;
        for (k, hop) in inner[..colon].split(',').enumerate() {
            let d = hop.strip_prefix('@').ok_or(err(
                "RFC 5321 4.1.2: source route hop must start with '@'",
                1 + k,
            ))?;
            Host::parse(d, false).map_err(|e| err(e.rule, 1))?;
        }
        inner = &inner[colon + 1..];
    }
    Ok((inner, &s[end + 1..]))
}

/// `Reverse-path = Path / "<>"` (RFC 5321 4.1.2): the sender, or the null sender of
/// bounces.
///
/// ```
/// use wirestate::smtp::ReversePath;
/// assert_eq!(ReversePath::parse("<>").unwrap(), ReversePath::Null);
/// assert_eq!(ReversePath::parse("<a@b.c>").unwrap().to_string(), "<a@b.c>");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// `<>`: no bounces (RFC 5321 4.5.5).
    Null,
    /// A sender mailbox.
    Mailbox(Mailbox),
}

impl ReversePath {
    /// Parses a whole `<...>` path (ASCII).
    ///
    /// ```
    /// assert!(wirestate::smtp::ReversePath::parse("a@b").is_err()); // brackets are required
    /// ```
    pub fn parse(s: &str) -> Result<ReversePath, SyntaxError> {
        let (p, rest) = ReversePath::parse_prefix(s, false)?;
        if !rest.is_empty() {
            return Err(err("RFC 5321 4.1.2: text after path", s.len() - rest.len()));
        }
        Ok(p)
    }

    /// Parses a path at the start of `s`, returning it and the rest of `s`.
    ///
    /// ```
    /// let (p, rest) = wirestate::smtp::ReversePath::parse_prefix("<> SIZE=1", false).unwrap();
    /// assert_eq!(rest, " SIZE=1");
    /// ```
    pub fn parse_prefix(s: &str, utf8: bool) -> Result<(ReversePath, &str), SyntaxError> {
        let (inner, rest) = split_path(s)?;
        if inner.is_empty() {
            return Ok((ReversePath::Null, rest));
        }
        let m = Mailbox::parse_with(inner, utf8).map_err(|e| err(e.rule, e.offset + 1))?;
        Ok((ReversePath::Mailbox(m), rest))
    }

    /// The mailbox, unless null.
    ///
    /// ```
    /// assert!(wirestate::smtp::ReversePath::Null.mailbox().is_none());
    /// ```
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ReversePath::Null => None,
            ReversePath::Mailbox(m) => Some(m),
        }
    }
}

impl fmt::Display for ReversePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// `Forward-path = Path`, or the special `<Postmaster>` every server must accept without
/// a domain (RFC 5321 4.1.1.3, 4.5.1).
///
/// ```
/// use wirestate::smtp::ForwardPath;
/// assert_eq!(ForwardPath::parse("<postmaster>").unwrap(), ForwardPath::Postmaster);
/// assert!(ForwardPath::parse("<>").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// `<Postmaster>` with no domain (case-insensitive).
    Postmaster,
    /// A recipient mailbox.
    Mailbox(Mailbox),
}

impl ForwardPath {
    /// Parses a whole `<...>` path (ASCII).
    ///
    /// ```
    /// assert!(wirestate::smtp::ForwardPath::parse("<a@b>").is_ok());
    /// ```
    pub fn parse(s: &str) -> Result<ForwardPath, SyntaxError> {
        let (p, rest) = ForwardPath::parse_prefix(s, false)?;
        if !rest.is_empty() {
            return Err(err("RFC 5321 4.1.2: text after path", s.len() - rest.len()));
        }
        Ok(p)
    }

    /// Parses a path at the start of `s`, returning it and the rest of `s`.
    ///
    /// ```
    /// let (p, rest) = wirestate::smtp::ForwardPath::parse_prefix("<a@b> NOTIFY=NEVER", false).unwrap();
    /// assert_eq!(p.to_string(), "<a@b>");
    /// assert_eq!(rest, " NOTIFY=NEVER");
    /// ```
    pub fn parse_prefix(s: &str, utf8: bool) -> Result<(ForwardPath, &str), SyntaxError> {
        let (inner, rest) = split_path(s)?;
        if inner.eq_ignore_ascii_case("postmaster") {
            return Ok((ForwardPath::Postmaster, rest));
        }
        if inner.is_empty() {
            return Err(err("RFC 5321 4.1.1.3: a recipient cannot be '<>'", 1));
        }
        let m = Mailbox::parse_with(inner, utf8).map_err(|e| err(e.rule, e.offset + 1))?;
        Ok((ForwardPath::Mailbox(m), rest))
    }

    /// The mailbox, unless `<Postmaster>`.
    ///
    /// ```
    /// assert!(wirestate::smtp::ForwardPath::Postmaster.mailbox().is_none());
    /// ```
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ForwardPath::Postmaster => None,
            ForwardPath::Mailbox(m) => Some(m),
        }
    }
}

impl fmt::Display for ForwardPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn ipv6_forms() {
        for ok in [
            "::1",
            "2001:db8::1",
            "1:2:3:4:5:6:7:8",
            "::ffff:192.0.2.1",
            "1::",
        ] {
            assert!(ipv6_ok(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "1:2:3:4:5:6:7",
            "1::2::3",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "g::",
        ] {
            assert!(!ipv6_ok(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn source_route_is_ignored() {
        let p = ForwardPath::parse("<@hosta.int,@jkl.org:userc@d.bar.org>").unwrap();
        assert_eq!(p.to_string(), "<userc@d.bar.org>");
    }

    #[test]
    fn quoted_local_part_with_angle() {
        let (p, rest) = ForwardPath::parse_prefix("<\"a>b\"@c.d> X", false).unwrap();
        assert_eq!(p.mailbox().unwrap().local_part(), "\"a>b\"");
        assert_eq!(rest, " X");
    }
}

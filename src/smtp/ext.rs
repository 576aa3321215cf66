//! Service extensions: what an EHLO reply offers (RFC 5321 4.1.1.1), parsed by the
//! client and written by the server.

use super::auth::AuthMechanism;
use super::reply::Reply;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The extensions one side offers, as listed in the EHLO reply after its first line.
///
/// ```
/// use wirestate::smtp::{Capabilities, Reply};
/// let r = Reply::multiline(250, None, &["mx", "PIPELINING", "SIZE 1000", "AUTH PLAIN LOGIN", "X-FOO"]).unwrap();
/// let caps = Capabilities::from_ehlo(&r);
/// assert!(caps.pipelining);
/// assert_eq!(caps.size, Some(1000));
/// assert_eq!(caps.auth.len(), 2);
/// assert_eq!(caps.other, vec!["X-FOO".to_string()]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// SIZE (RFC 1870): `Some(0)` means offered without a fixed limit.
    pub size: Option<u64>,
    /// 8BITMIME (RFC 6152).
    pub eightbitmime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// CHUNKING, i.e. BDAT (RFC 3030).
    pub chunking: bool,
    /// BINARYMIME (RFC 3030).
    pub binarymime: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// AUTH mechanisms offered (RFC 4954).
    pub auth: Vec<AuthMechanism>,
    /// Any other lines, as sent.
    pub other: Vec<String>,
}

impl Capabilities {
    /// Reads the extension lines of an EHLO (or LHLO) reply; the first line is the
    /// greeting and is skipped. Keywords are case-insensitive (RFC 5321 2.4).
    ///
    /// ```
    /// use wirestate::smtp::{Capabilities, Reply};
    /// let caps = Capabilities::from_ehlo(&Reply::new(250, "only.greeting").unwrap());
    /// assert_eq!(caps, Capabilities::default());
    /// ```
    pub fn from_ehlo(reply: &Reply) -> Capabilities {
        let mut c = Capabilities::default();
        for line in reply.lines().iter().skip(1) {
            let mut words = line.split(' ').filter(|w| !w.is_empty());
            let Some(kw) = words.next() else { continue };
            match kw.to_ascii_uppercase().as_str() {
                "PIPELINING" => c.pipelining = true,
                "SIZE" => c.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0)),
                "8BITMIME" => c.eightbitmime = true,
                "SMTPUTF8" => c.smtputf8 = true,
                "ENHANCEDSTATUSCODES" => c.enhanced_status_codes = true,
                "CHUNKING" => c.chunking = true,
                "BINARYMIME" => c.binarymime = true,
                "DSN" => c.dsn = true,
                "STARTTLS" => c.starttls = true,
                "AUTH" => {
                    for m in words {
                        if let Ok(m) = AuthMechanism::parse(m) {
                            if !c.auth.contains(&m) {
                                c.auth.push(m);
                            }
                        }
                    }
                }
                _ => c.other.push(line.clone()),
            }
        }
        c
    }

    /// The extension lines to send after the EHLO greeting line.
    ///
    /// ```
    /// let caps = wirestate::smtp::Capabilities { pipelining: true, size: Some(10), ..Default::default() };
    /// assert_eq!(caps.ehlo_lines(), vec!["PIPELINING".to_string(), "SIZE 10".to_string()]);
    /// ```
    pub fn ehlo_lines(&self) -> Vec<String> {
        let mut v = Vec::new();
        let flags = [
            (self.pipelining, "PIPELINING"),
            (self.eightbitmime, "8BITMIME"),
            (self.smtputf8, "SMTPUTF8"),
            (self.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
            (self.chunking, "CHUNKING"),
            (self.binarymime, "BINARYMIME"),
            (self.dsn, "DSN"),
            (self.starttls, "STARTTLS"),
        ];
        if self.pipelining {
            v.push(String::from("PIPELINING"));
        }
        if let Some(n) = self.size {
            v.push(if n == 0 {
                String::from("SIZE")
            } else {
                format!("SIZE {n}")
            });
        }
        for (on, name) in flags.iter().skip(1) {
            if *on {
                v.push(String::from(*name));
            }
        }
        if !self.auth.is_empty() {
            let names: Vec<&str> = self.auth.iter().map(AuthMechanism::as_str).collect();
            v.push(format!("AUTH {}", names.join(" ")));
        }
        v.extend(self.other.iter().cloned());
        v
    }
}

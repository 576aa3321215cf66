//! SMTP AUTH (RFC 4954): mechanism names, base64 (RFC 4648 section 4, which RFC 4954
//! section 4 requires), and the PLAIN (RFC 4616) and LOGIN exchanges' messages.

use super::SyntaxError;
use alloc::string::String;
use alloc::vec::Vec;

/// A SASL mechanism name: `1*20 (UPPER-ALPHA / DIGIT / "-" / "_")` (RFC 4422 3.1),
/// compared case-insensitively and stored upper-case.
///
/// ```
/// use wirestate::smtp::AuthMechanism;
/// assert_eq!(AuthMechanism::parse("plain").unwrap(), AuthMechanism::Plain);
/// assert_eq!(AuthMechanism::parse("CRAM-MD5").unwrap().as_str(), "CRAM-MD5");
/// assert!(AuthMechanism::parse("bad mech").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuthMechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login).
    Login,
    /// Any other registered-looking name, upper-case.
    Other(String),
}

impl AuthMechanism {
    /// Validates a mechanism name.
    ///
    /// ```
    /// assert!(wirestate::smtp::AuthMechanism::parse("LOGIN").is_ok());
    /// ```
    pub fn parse(s: &str) -> Result<AuthMechanism, SyntaxError> {
        let ok = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
        if s.is_empty() || s.len() > 20 || !s.bytes().all(ok) {
            return Err(SyntaxError {
                rule: "RFC 4422 3.1: mechanism name is 1-20 of A-Z 0-9 - _",
                offset: 0,
            });
        }
        let up = s.to_ascii_uppercase();
        Ok(match up.as_str() {
            "PLAIN" => AuthMechanism::Plain,
            "LOGIN" => AuthMechanism::Login,
            _ => AuthMechanism::Other(up),
        })
    }

    /// The name.
    ///
    /// ```
    /// assert_eq!(wirestate::smtp::AuthMechanism::Login.as_str(), "LOGIN");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            AuthMechanism::Plain => "PLAIN",
            AuthMechanism::Login => "LOGIN",
            AuthMechanism::Other(s) => s,
        }
    }
}

/// What a client proved it knows, decoded from PLAIN or LOGIN.
///
/// ```
/// let c = wirestate::smtp::Credentials::new("tim", "secret");
/// assert!(c.authzid.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Authorization identity (PLAIN only; empty when not given).
    pub authzid: String,
    /// Authentication identity (user name).
    pub username: String,
    /// Password.
    pub password: String,
}

impl Credentials {
    /// Credentials with no authorization identity.
    ///
    /// ```
    /// let c = wirestate::smtp::Credentials::new("user", "secret");
    /// assert_eq!(c.username, "user");
    /// ```
    pub fn new(username: &str, password: &str) -> Credentials {
        Credentials {
            authzid: String::new(),
            username: String::from(username),
            password: String::from(password),
        }
    }

    /// The PLAIN message `authzid NUL authcid NUL passwd` (RFC 4616 2), base64.
    ///
    /// ```
    /// let c = wirestate::smtp::Credentials::new("tim", "tanstaaftanstaaf");
    /// assert_eq!(c.plain_response(), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    /// ```
    pub fn plain_response(&self) -> String {
        let mut raw = Vec::new();
        raw.extend_from_slice(self.authzid.as_bytes());
        raw.push(0);
        raw.extend_from_slice(self.username.as_bytes());
        raw.push(0);
        raw.extend_from_slice(self.password.as_bytes());
        base64_encode(&raw)
    }

    /// Decodes a base64 PLAIN message; `None` if it is not `a NUL b NUL c` in UTF-8
    /// with non-empty authcid (RFC 4616 2).
    ///
    /// ```
    /// let c = wirestate::smtp::Credentials::from_plain("AHRpbQB0YW5zdGFhZnRhbnN0YWFm").unwrap();
    /// assert_eq!((c.username.as_str(), c.password.as_str()), ("tim", "tanstaaftanstaaf"));
    /// ```
    pub fn from_plain(b64: &str) -> Option<Credentials> {
        let raw = base64_decode(b64.as_bytes())?;
        let mut parts = raw.split(|&c| c == 0);
        let z = core::str::from_utf8(parts.next()?).ok()?;
        let u = core::str::from_utf8(parts.next()?).ok()?;
        let p = core::str::from_utf8(parts.next()?).ok()?;
        if parts.next().is_some() || u.is_empty() {
            return None;
        }
        Some(Credentials {
            authzid: String::from(z),
            username: String::from(u),
            password: String::from(p),
        })
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 with padding (RFC 4648 4).
///
/// ```
/// assert_eq!(wirestate::smtp::base64_encode(b"Username:"), "VXNlcm5hbWU6");
/// ```
pub fn base64_encode(raw: &[u8]) -> String {
    let mut s = String::with_capacity(raw.len().div_ceil(3) * 4);
    for chunk in raw.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn sextet(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// True if `s` is canonical padded base64 (RFC 4648 4), the only form RFC 4954 4 allows.
///
/// ```
/// assert!(wirestate::smtp::auth::is_base64(b"AGEAYg=="));
/// assert!(!wirestate::smtp::auth::is_base64(b"AGEAYg="));
/// ```
pub fn is_base64(s: &[u8]) -> bool {
    base64_decode(s).is_some()
}

/// Decodes padded base64; `None` on any deviation (bad length, alphabet, padding).
///
/// ```
/// assert_eq!(wirestate::smtp::base64_decode(b"UGFzc3dvcmQ6").unwrap(), b"Password:");
/// assert!(wirestate::smtp::base64_decode(b"abc").is_none());
/// ```
pub fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let quads = s.len() / 4;
    for (qi, q) in s.chunks(4).enumerate() {
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && qi + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = n << 6 | sextet(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Canonical: the bits dropped by padding must be zero.
        if (pad == 1 && bytes[2] != 0) || (pad == 2 && bytes[1] != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_roundtrip_all_lengths() {
        let data: Vec<u8> = (0..=255).collect();
        for n in 0..40 {
            let e = base64_encode(&data[..n]);
            assert_eq!(base64_decode(e.as_bytes()).unwrap(), &data[..n]);
        }
    }
}

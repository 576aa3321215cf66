//! SMTP AUTH (RFC 4954): mechanism names, base64 (RFC 4648 section 4, which RFC 4954
//! section 4 requires), and the PLAIN (RFC 4616) and LOGIN exchanges' messages.

use super::SyntaxError;
use alloc::string::String;

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
        base64_encode(&crate::sasl::plain_message(
            self.authzid.as_bytes(),
            self.username.as_bytes(),
            self.password.as_bytes(),
        ))
    }

    /// Decodes a base64 PLAIN message; `None` unless it is `authzid NUL authcid NUL
    /// passwd` in UTF-8 with non-empty authcid and passwd of at most 255 octets each
    /// (RFC 4616 2, [`crate::sasl::split_plain`]).
    ///
    /// ```
    /// let c = wirestate::smtp::Credentials::from_plain("AHRpbQB0YW5zdGFhZnRhbnN0YWFm").unwrap();
    /// assert_eq!((c.username.as_str(), c.password.as_str()), ("tim", "tanstaaftanstaaf"));
    /// ```
    pub fn from_plain(b64: &str) -> Option<Credentials> {
        let raw = base64_decode(b64.as_bytes())?;
        let (z, u, p) = crate::sasl::split_plain(&raw)?;
        // split_plain has checked that every field is UTF-8.
        let text = |f: &[u8]| String::from(core::str::from_utf8(f).unwrap_or_default());
        Some(Credentials {
            authzid: text(z),
            username: text(u),
            password: text(p),
        })
    }
}

pub use crate::base64::{decode as base64_decode, encode as base64_encode};

/// True if `s` is canonical padded base64 (RFC 4648 4), the only form RFC 4954 4 allows.
///
/// ```
/// assert!(wirestate::smtp::auth::is_base64(b"AGEAYg=="));
/// assert!(!wirestate::smtp::auth::is_base64(b"AGEAYg="));
/// ```
pub fn is_base64(s: &[u8]) -> bool {
    crate::base64::decode(s).is_some()
}

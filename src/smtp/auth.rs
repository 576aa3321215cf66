//! SMTP AUTH (RFC 4954): mechanism names and the credentials of the PLAIN (RFC 4616) and
//! LOGIN exchanges. Their base64 (RFC 4648 section 4) is [`crate::base64`].

use super::SyntaxError;
use crate::Secret;
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
#[non_exhaustive]
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

/// What a client proved it knows, decoded from PLAIN or LOGIN, or what a client
/// will send. The password is a [`Secret`]: `Debug` shows it as `<redacted>`.
///
/// ```
/// let c = wirestate::smtp::Credentials::new("tim", "secret");
/// assert!(c.authzid.is_empty());
/// assert!(!format!("{c:?}").contains("secret"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// Authorization identity (PLAIN only; empty when not given).
    pub authzid: String,
    /// Authentication identity (user name).
    pub username: String,
    /// Password.
    pub password: Secret,
}

impl Credentials {
    /// Credentials with no authorization identity.
    ///
    /// ```
    /// let c = wirestate::smtp::Credentials::new("user", "secret");
    /// assert_eq!((c.username.as_str(), c.password.expose()), ("user", &b"secret"[..]));
    /// ```
    pub fn new(username: &str, password: impl Into<Secret>) -> Credentials {
        Credentials {
            authzid: String::new(),
            username: String::from(username),
            password: password.into(),
        }
    }

    /// Whether `username` and `password` match these credentials (the password compared
    /// without an early exit, so its timing does not show how much of it matched).
    ///
    /// ```
    /// let c = wirestate::smtp::Credentials::new("tim", "pw");
    /// assert!(c.matches("tim", b"pw") && !c.matches("tim", b"px"));
    /// ```
    #[must_use]
    pub fn matches(&self, username: &str, password: &[u8]) -> bool {
        let a = self.password.expose();
        let same_len = a.len() == password.len();
        let diff = a
            .iter()
            .zip(password)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        self.username == username && same_len && diff == 0
    }

    /// The PLAIN message `authzid NUL authcid NUL passwd` (RFC 4616 2), base64. It holds
    /// the password: it goes on the wire and nowhere else.
    ///
    /// ```
    /// let c = wirestate::smtp::Credentials::new("tim", "tanstaaftanstaaf");
    /// assert_eq!(c.plain_response().expose(), b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    /// ```
    #[must_use]
    pub fn plain_response(&self) -> Secret {
        Secret::from(crate::base64::encode(&crate::sasl::plain_message(
            self.authzid.as_bytes(),
            self.username.as_bytes(),
            self.password.expose(),
        )))
    }

    /// Decodes a base64 PLAIN message; `None` unless it is `authzid NUL authcid NUL
    /// passwd` in UTF-8 with non-empty authcid and passwd of at most 255 octets each
    /// (RFC 4616 2, [`crate::sasl::split_plain`]).
    ///
    /// ```
    /// let c = wirestate::smtp::Credentials::from_plain(b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm").unwrap();
    /// assert!(c.matches("tim", b"tanstaaftanstaaf"));
    /// ```
    #[must_use]
    pub fn from_plain(b64: &[u8]) -> Option<Credentials> {
        let raw = crate::base64::decode(b64)?;
        let (z, u, p) = crate::sasl::split_plain(&raw)?;
        // split_plain has checked that every field is UTF-8.
        let text = |f: &[u8]| String::from(core::str::from_utf8(f).unwrap_or_default());
        Some(Credentials {
            authzid: text(z),
            username: text(u),
            password: Secret::new(p),
        })
    }
}

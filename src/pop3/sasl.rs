//! The SASL PLAIN message POP3 AUTH carries (RFC 5034, the message from RFC 4616
//! section 2, split by the crate-wide [`crate::sasl`]).

use crate::Secret;
use bytes::Bytes;

/// The three fields of a SASL PLAIN message (RFC 4616 section 2):
/// `[authzid] NUL authcid NUL passwd`. The password is a [`Secret`], so `Debug` of the
/// credentials (and of every event holding them) never shows it.
///
/// ```
/// use wirestate::pop3::PlainCredentials;
/// let c = PlainCredentials::parse(b"admin\0tim\0pw").unwrap();
/// assert_eq!(&c.authzid[..], b"admin");
/// assert!(!format!("{c:?}").contains("pw"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlainCredentials {
    /// Identity to act as; empty means the same as `authcid`.
    pub authzid: Bytes,
    /// Identity whose password is checked.
    pub authcid: Bytes,
    /// The password.
    pub password: Secret,
}

impl PlainCredentials {
    /// Builds the fields the client sends.
    ///
    /// ```
    /// use wirestate::pop3::PlainCredentials;
    /// let c = PlainCredentials::new("", "tim", "tanstaaf");
    /// assert_eq!(c.password.expose(), b"tanstaaf");
    /// ```
    pub fn new(authzid: &str, authcid: &str, password: impl Into<Secret>) -> PlainCredentials {
        PlainCredentials {
            authzid: Bytes::copy_from_slice(authzid.as_bytes()),
            authcid: Bytes::copy_from_slice(authcid.as_bytes()),
            password: password.into(),
        }
    }

    /// Splits a decoded PLAIN message. RFC 4616 section 2: exactly two NULs, `authcid`
    /// and `passwd` non-empty, each field UTF-8 and at most 255 octets
    /// ([`crate::sasl::split_plain`]).
    ///
    /// ```
    /// use wirestate::pop3::PlainCredentials;
    /// let c = PlainCredentials::parse(b"\0tim\0tanstaaf").unwrap();
    /// assert_eq!(&c.authcid[..], b"tim");
    /// assert!(PlainCredentials::parse(b"tim\0pw").is_none());
    /// ```
    pub fn parse(message: &[u8]) -> Option<PlainCredentials> {
        let (z, c, p) = crate::sasl::split_plain(message)?;
        Some(PlainCredentials {
            authzid: Bytes::copy_from_slice(z),
            authcid: Bytes::copy_from_slice(c),
            password: Secret::new(p),
        })
    }

    /// The message to send, `authzid NUL authcid NUL password`, itself a secret; `None`
    /// when RFC 4616 section 2 forbids the fields (a NUL in one, an empty `authcid` or
    /// password, a field over 255 octets or not UTF-8).
    ///
    /// ```
    /// use wirestate::pop3::PlainCredentials;
    /// let m = PlainCredentials::new("", "u", "p").encode().unwrap();
    /// assert_eq!(m.expose(), b"\0u\0p");
    /// assert!(PlainCredentials::new("", "", "p").encode().is_none());
    /// ```
    pub fn encode(&self) -> Option<Secret> {
        let m = crate::sasl::plain_message(&self.authzid, &self.authcid, self.password.expose());
        // The fields are valid exactly when the message splits back into them.
        crate::sasl::split_plain(&m)
            .is_some_and(|(z, c, _)| z == &self.authzid[..] && c == &self.authcid[..])
            .then(|| Secret::new(m))
    }
}

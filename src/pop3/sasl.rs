//! The SASL pieces POP3 AUTH needs (RFC 5034): base64 (RFC 4648 section 4, padded, no
//! line breaks) and the PLAIN mechanism's message (RFC 4616 section 2).
//!
//! ```
//! use wirestate::pop3::sasl::{base64_decode, PlainCredentials};
//! let c = PlainCredentials::parse(&base64_decode(b"AHRpbQB0YW5zdGFhZg==").unwrap()).unwrap();
//! assert_eq!(&c.password[..], b"tanstaaf");
//! ```

use alloc::vec::Vec;
use bytes::Bytes;

pub use crate::base64::{decode as base64_decode, encode_into as base64_encode};

/// The three fields of a SASL PLAIN message (RFC 4616 section 2):
/// `[authzid] NUL authcid NUL passwd`.
///
/// ```
/// use wirestate::pop3::sasl::PlainCredentials;
/// let c = PlainCredentials::parse(b"admin\0tim\0pw").unwrap();
/// assert_eq!(&c.authzid[..], b"admin");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PlainCredentials {
    /// Identity to act as; empty means the same as `authcid`.
    pub authzid: Bytes,
    /// Identity whose password is checked.
    pub authcid: Bytes,
    /// The password.
    pub password: Bytes,
}

impl core::fmt::Debug for PlainCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PlainCredentials")
            .field("authzid", &self.authzid)
            .field("authcid", &self.authcid)
            .finish_non_exhaustive()
    }
}

impl PlainCredentials {
    /// Splits a decoded PLAIN message. RFC 4616 section 2: exactly two NULs, `authcid`
    /// and `passwd` non-empty, each field UTF-8 and at most 255 octets
    /// ([`crate::sasl::split_plain`]).
    ///
    /// ```
    /// use wirestate::pop3::sasl::PlainCredentials;
    /// let c = PlainCredentials::parse(b"\0tim\0tanstaaf").unwrap();
    /// assert_eq!(&c.authcid[..], b"tim");
    /// assert!(PlainCredentials::parse(b"tim\0pw").is_none());
    /// ```
    pub fn parse(message: &[u8]) -> Option<PlainCredentials> {
        let (z, c, p) = crate::sasl::split_plain(message)?;
        Some(PlainCredentials {
            authzid: Bytes::copy_from_slice(z),
            authcid: Bytes::copy_from_slice(c),
            password: Bytes::copy_from_slice(p),
        })
    }

    /// The message to send: `authzid NUL authcid NUL password`.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate::pop3::sasl::PlainCredentials;
    /// let c = PlainCredentials {
    ///     authzid: Bytes::new(),
    ///     authcid: Bytes::from_static(b"u"),
    ///     password: Bytes::from_static(b"p"),
    /// };
    /// assert_eq!(c.encode(), b"\0u\0p");
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        crate::sasl::plain_message(&self.authzid, &self.authcid, &self.password)
    }
}

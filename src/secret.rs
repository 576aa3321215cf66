//! [`Secret`]: the one type for passwords and SASL responses.

use alloc::vec::Vec;
use core::fmt;

/// A password, SASL response or other credential. Its `Debug` and `Display` print
/// `Secret(<redacted>)` and never the bytes, so logging an event or a config that holds
/// one cannot leak it; [`expose`](Secret::expose) is the one way to read it, and is easy
/// to find in review.
///
/// ```
/// use wirestate::Secret;
/// let pw = Secret::new("hunter2");
/// assert_eq!(format!("{pw:?} {pw}"), "Secret(<redacted>) Secret(<redacted>)");
/// assert_eq!(pw.expose(), b"hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps `bytes`.
    ///
    /// ```
    /// assert_eq!(wirestate::Secret::new(b"pw".as_slice()).len(), 2);
    /// ```
    pub fn new(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(bytes.into())
    }

    /// The secret itself. Call it only where the bytes go on the wire or into a check.
    ///
    /// ```
    /// assert_eq!(wirestate::Secret::new("x").expose(), b"x");
    /// ```
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes (not secret: it is visible on the wire anyway).
    ///
    /// ```
    /// assert_eq!(wirestate::Secret::new("abc").len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    ///
    /// ```
    /// assert!(wirestate::Secret::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret::new(s)
    }
}

impl From<&[u8]> for Secret {
    fn from(s: &[u8]) -> Secret {
        Secret::new(s)
    }
}

impl From<Vec<u8>> for Secret {
    fn from(s: Vec<u8>) -> Secret {
        Secret(s)
    }
}

impl From<alloc::string::String> for Secret {
    fn from(s: alloc::string::String) -> Secret {
        Secret(s.into_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

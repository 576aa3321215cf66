//! The SASL pieces POP3 AUTH needs (RFC 5034): base64 (RFC 4648 section 4, padded, no
//! line breaks) and the PLAIN mechanism's message (RFC 4616 section 2).
//!
//! ```
//! use wirestate::pop3::sasl::{base64_decode, PlainCredentials};
//! let c = PlainCredentials::parse(&base64_decode(b"AHRpbQB0YW5zdGFhZg==").unwrap()).unwrap();
//! assert_eq!(&c.password[..], b"tanstaaf");
//! ```

use alloc::vec::Vec;
use bytes::{BufMut, Bytes, BytesMut};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends the padded base64 form of `data` to `out`.
///
/// ```
/// let mut out = bytes::BytesMut::new();
/// wirestate::pop3::sasl::base64_encode(b"\0tim\0tanstaaftanstaaf", &mut out);
/// assert_eq!(&out[..], b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
/// ```
pub fn base64_encode(data: &[u8], out: &mut BytesMut) {
    out.reserve(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.put_u8(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]);
            } else {
                out.put_u8(b'=');
            }
        }
    }
}

fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes padded base64; `None` for anything else (wrong length, stray octets, bits
/// set in the padding: RFC 4648 section 3.5 lets a decoder refuse those, and refusing
/// keeps one meaning per string).
///
/// ```
/// use wirestate::pop3::sasl::base64_decode;
/// assert_eq!(base64_decode(b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm").unwrap(), b"\0tim\0tanstaaftanstaaf");
/// assert!(base64_decode(b"abc").is_none());
/// assert!(base64_decode(b"").unwrap().is_empty());
/// ```
pub fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let quads = text.len() / 4;
    for (qi, q) in text.chunks(4).enumerate() {
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && qi + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Non-zero bits under the padding would give a second spelling of the same data.
        if (pad == 1 && bytes[2] != 0) || (pad == 2 && (bytes[1] != 0 || bytes[2] != 0)) {
            return None;
        }
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

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
    /// and `passwd` non-empty, each field at most 255 octets.
    ///
    /// ```
    /// use wirestate::pop3::sasl::PlainCredentials;
    /// let c = PlainCredentials::parse(b"\0tim\0tanstaaf").unwrap();
    /// assert_eq!(&c.authcid[..], b"tim");
    /// assert!(PlainCredentials::parse(b"tim\0pw").is_none());
    /// ```
    pub fn parse(message: &[u8]) -> Option<PlainCredentials> {
        let mut parts = message.split(|&c| c == 0);
        let (z, c, p) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || c.is_empty() || p.is_empty() {
            return None;
        }
        if z.len() > 255 || c.len() > 255 || p.len() > 255 {
            return None;
        }
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
        let mut v =
            Vec::with_capacity(self.authzid.len() + self.authcid.len() + self.password.len() + 2);
        v.extend_from_slice(&self.authzid);
        v.push(0);
        v.extend_from_slice(&self.authcid);
        v.push(0);
        v.extend_from_slice(&self.password);
        v
    }
}

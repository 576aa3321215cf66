//! The SASL PLAIN message (RFC 4616 section 2), shared by SMTP AUTH (RFC 4954) and POP3
//! AUTH (RFC 5034): `[authzid] NUL authcid NUL passwd`.

use alloc::vec::Vec;

/// Longest field RFC 4616 section 2 allows, in octets.
pub const MAX_PLAIN_FIELD: usize = 255;

/// Splits a decoded PLAIN message into `(authzid, authcid, passwd)`.
///
/// RFC 4616 section 2: exactly two NULs; `authcid` and `passwd` non-empty; each field
/// UTF-8 and at most 255 octets. Anything else is `None`.
///
/// ```
/// use wirestate::sasl::split_plain;
/// assert_eq!(split_plain(b"\0tim\0tanstaaf"), Some((&b""[..], &b"tim"[..], &b"tanstaaf"[..])));
/// assert!(split_plain(b"tim\0pw").is_none());       // one NUL
/// assert!(split_plain(b"\0tim\0").is_none());       // empty password
/// assert!(split_plain(b"\0t\xffm\0pw").is_none());  // not UTF-8
/// ```
pub fn split_plain(message: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let mut parts = message.split(|&c| c == 0);
    let (authzid, authcid, passwd) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || authcid.is_empty() || passwd.is_empty() {
        return None;
    }
    let fits = |f: &[u8]| f.len() <= MAX_PLAIN_FIELD && core::str::from_utf8(f).is_ok();
    (fits(authzid) && fits(authcid) && fits(passwd)).then_some((authzid, authcid, passwd))
}

/// The PLAIN message for these fields: `authzid NUL authcid NUL passwd`.
///
/// ```
/// assert_eq!(wirestate::sasl::plain_message(b"", b"tim", b"pw"), b"\0tim\0pw");
/// ```
pub fn plain_message(authzid: &[u8], authcid: &[u8], passwd: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(authzid.len() + authcid.len() + passwd.len() + 2);
    v.extend_from_slice(authzid);
    v.push(0);
    v.extend_from_slice(authcid);
    v.push(0);
    v.extend_from_slice(passwd);
    v
}

//! Padded base64 (RFC 4648 section 4), the only form SASL exchanges use (SMTP AUTH,
//! RFC 4954 section 4; POP3 AUTH, RFC 5034 section 4). Shared by both protocols.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::{BufMut, BytesMut};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Calls `emit` with each output octet of the padded base64 form of `data`.
fn encode_each(data: &[u8], mut emit: impl FnMut(u8)) {
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                emit(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]);
            } else {
                emit(b'=');
            }
        }
    }
}

/// The padded base64 form of `data`.
///
/// ```
/// assert_eq!(wirestate::base64::encode(b"Username:"), "VXNlcm5hbWU6");
/// assert_eq!(wirestate::base64::encode(b"hi"), "aGk=");
/// ```
pub fn encode(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    encode_each(data, |c| s.push(char::from(c)));
    s
}

/// Appends the padded base64 form of `data` to `out`.
///
/// ```
/// let mut out = bytes::BytesMut::new();
/// wirestate::base64::encode_into(b"\0tim\0tanstaaftanstaaf", &mut out);
/// assert_eq!(&out[..], b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
/// ```
pub fn encode_into(data: &[u8], out: &mut BytesMut) {
    out.reserve(data.len().div_ceil(3) * 4);
    encode_each(data, |c| out.put_u8(c));
}

fn sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes padded base64; `None` for anything else: a length that is not a multiple of
/// four, octets outside the alphabet, misplaced padding, or bits set under the padding
/// (RFC 4648 section 3.5 lets a decoder refuse those; refusing keeps one spelling per
/// value).
///
/// ```
/// use wirestate::base64::decode;
/// assert_eq!(decode(b"UGFzc3dvcmQ6").unwrap(), b"Password:");
/// assert!(decode(b"abc").is_none());
/// assert!(decode(b"AGEAYh==").is_none()); // non-zero bits under the padding
/// assert!(decode(b"").unwrap().is_empty());
/// ```
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 != 0 {
        return None;
    }
    let quads = text.len() / 4;
    let mut out = Vec::with_capacity(quads * 3);
    for (qi, q) in text.chunks(4).enumerate() {
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && qi + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = (n << 6) | sextet(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        if bytes[3 - pad..].iter().any(|&b| b != 0) {
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
    fn roundtrip_all_lengths_both_encoders() {
        let data: Vec<u8> = (0..=255).collect();
        for n in 0..40 {
            let e = encode(&data[..n]);
            let mut into = BytesMut::new();
            encode_into(&data[..n], &mut into);
            assert_eq!(e.as_bytes(), &into[..]);
            assert_eq!(decode(e.as_bytes()).unwrap(), &data[..n]);
        }
    }
}

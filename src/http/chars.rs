//! Byte classes of RFC 9110 section 5.6.2 (tokens) and 5.5 (field values), as lookup
//! tables plus an 8-bytes-at-a-time check for the common all-printable case.

const fn token_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_"
        //       / "`" / "|" / "~" / DIGIT / ALPHA   (RFC 9110 section 5.6.2)
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        c += 1;
    }
    t
}

static TOKEN: [bool; 256] = token_table();

/// `tchar` (RFC 9110 section 5.6.2).
#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN[b as usize]
}

/// field-vchar / SP / HTAB (RFC 9110 section 5.5): VCHAR, obs-text, SP and HTAB.
/// CR, LF, NUL and every other control are refused.
#[inline]
pub(crate) fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Index of the first byte that is not a field-value byte, if any.
///
/// Eight bytes at a time: a word with no byte below 0x20 and no 0x7F is all valid
/// (bytes >= 0x80 are obs-text, also valid); only a word that fails is looked at byte
/// by byte, which is where an HTAB or an error lives.
#[inline]
pub(crate) fn first_invalid_value_byte(v: &[u8]) -> Option<usize> {
    first_miss(
        v,
        |x| {
            // Some byte < 0x20: (x - 0x20..) & !x & 0x80.. is non-zero (Bit Twiddling
            // Hacks "hasless"), exact as a yes/no answer.
            let low = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
            let y = x ^ (ONES * 0x7f);
            let del = y.wrapping_sub(ONES) & !y & HIGHS;
            low | del != 0
        },
        is_value_byte,
    )
}

/// Index of the first byte of `v` that fails `ok`, eight bytes at a time: a word that
/// `suspect` clears holds no failing byte, so only suspect words (and the tail) are
/// looked at byte by byte. `suspect` must be true for every word holding a failing byte.
#[inline(always)]
fn first_miss(v: &[u8], suspect: impl Fn(u64) -> bool, ok: impl Fn(u8) -> bool) -> Option<usize> {
    let mut i = 0;
    let mut chunks = v.chunks_exact(8);
    for c in chunks.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        if suspect(u64::from_le_bytes(w)) {
            if let Some(p) = c.iter().position(|&b| !ok(b)) {
                return Some(i + p);
            }
        }
        i += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| !ok(b))
        .map(|p| i + p)
}

/// `VCHAR` (RFC 5234 B.1): the bytes of a request-target.
#[inline]
pub(crate) fn is_vchar(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

/// Index of the first byte that is not a VCHAR, if any; eight bytes at a time.
#[inline]
pub(crate) fn first_non_vchar(v: &[u8]) -> Option<usize> {
    first_miss(
        v,
        |x| {
            // Some byte < 0x21 ("hasless"), or some byte > 0x7e: adding 0x01 sets the
            // high bit of a byte >= 0x7f, and `| x` catches the bytes >= 0x80 (Bit
            // Twiddling Hacks "hasmore"; a carry out of such a byte only ever follows a
            // hit).
            let low = x.wrapping_sub(ONES * 0x21) & !x & HIGHS;
            let high = (x.wrapping_add(ONES) | x) & HIGHS;
            low | high != 0
        },
        is_vchar,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_matches_the_table_for_every_byte_at_every_position() {
        for b in 0..=255u8 {
            for pos in 0..17 {
                let mut v = [b'a'; 17];
                v[pos] = b;
                let want = if is_value_byte(b) { None } else { Some(pos) };
                assert_eq!(first_invalid_value_byte(&v), want, "byte {b:#x} at {pos}");
                let want = if is_vchar(b) { None } else { Some(pos) };
                assert_eq!(first_non_vchar(&v), want, "vchar {b:#x} at {pos}");
            }
        }
    }
}

//! Byte classes of RFC 9110 section 5.6.2 (tokens) and 5.5 (field values), as lookup
//! tables plus a 16-bytes-at-a-time check for the common all-printable case.

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

/// Bytes checked at once: one SSE2 register. Each chunk's check is a fixed-width,
/// branch-free OR of byte comparisons gathered into a bit mask, which the compiler turns
/// into a few vector compares and a `pmovmskb` on the x86-64 baseline (and the like on
/// other targets), with no `unsafe` and no target feature.
const CHUNK: usize = 16;

/// Bit `j` set where `bad(c[j])`: written so that it vectorises.
#[inline(always)]
fn mask(c: &[u8; CHUNK], bad: impl Fn(u8) -> bool) -> u32 {
    let mut m = 0u32;
    for (j, &b) in c.iter().enumerate() {
        m |= u32::from(bad(b)) << j;
    }
    m
}

/// Index of the first byte of `v` for which `bad` holds, a chunk at a time; the last
/// partial chunk byte by byte.
#[inline(always)]
fn first_bad(v: &[u8], bad: impl Fn(u8) -> bool + Copy) -> Option<usize> {
    let mut chunks = v.chunks_exact(CHUNK);
    let mut i = 0;
    for c in chunks.by_ref() {
        let c: &[u8; CHUNK] = c.try_into().unwrap_or(&[0; CHUNK]);
        let m = mask(c, bad);
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += CHUNK;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| bad(b))
        .map(|p| i + p)
}

/// Index of the first byte that is not a field-value byte, if any.
///
/// A byte is refused when it is a control other than HTAB, or DEL; bytes >= 0x80 are
/// obs-text and accepted.
#[inline]
pub(crate) fn first_invalid_value_byte(v: &[u8]) -> Option<usize> {
    first_bad(v, |b| !is_value_byte(b))
}

/// `VCHAR` (RFC 5234 B.1): the bytes of a request-target.
#[inline]
pub(crate) fn is_vchar(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

/// Index of the first byte that is not a VCHAR, if any; a chunk at a time.
#[inline]
pub(crate) fn first_non_vchar(v: &[u8]) -> Option<usize> {
    first_bad(v, |b| !is_vchar(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_checks_match_the_table_for_every_byte_at_every_position() {
        for b in 0..=255u8 {
            for pos in 0..40 {
                let mut v = [b'a'; 40];
                v[pos] = b;
                let want = if is_value_byte(b) { None } else { Some(pos) };
                assert_eq!(first_invalid_value_byte(&v), want, "byte {b:#x} at {pos}");
                let want = if is_vchar(b) { None } else { Some(pos) };
                assert_eq!(first_non_vchar(&v), want, "vchar {b:#x} at {pos}");
            }
        }
    }
}

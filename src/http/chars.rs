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
/// branch-free OR of byte comparisons, which the compiler turns into a few vector
/// compares and one `pmovmskb` on the x86-64 baseline (and the like elsewhere), with no
/// `unsafe` and no target feature.
const CHUNK: usize = 16;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether `bad` holds for any byte of `c`. `bad` must be branch-free (`&` and `|` on
/// comparisons, not `&&` and `||`), or the loop does not vectorise.
#[inline(always)]
fn any(c: &[u8; CHUNK], bad: impl Fn(u8) -> bool) -> bool {
    let mut hit = 0u8;
    for &b in c {
        hit |= u8::from(bad(b));
    }
    hit != 0
}

/// Where the first chunk of `v` that holds a byte failing `bad` starts (or where the
/// last partial chunk starts).
#[inline(always)]
fn skip_clean(v: &[u8], bad: impl Fn(u8) -> bool + Copy) -> usize {
    let mut i = 0;
    while let Some(c) = v.get(i..i + CHUNK) {
        let c: &[u8; CHUNK] = c.try_into().unwrap_or(&[0; CHUNK]);
        if any(c, bad) {
            break;
        }
        i += CHUNK;
    }
    i
}

/// The eight bytes of `v` at `i`, little-endian.
#[inline(always)]
fn word(v: &[u8], i: usize) -> Option<u64> {
    let w: [u8; 8] = v.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(w))
}

/// Index of the first byte that is not a field-value byte, if any.
///
/// A byte is refused when it is a control other than HTAB, or DEL; bytes >= 0x80 are
/// obs-text and accepted. Clean chunks are skipped 16 bytes at a time; the chunk with
/// the hit is read eight bytes at a time, where the lowest flagged byte of the Bit
/// Twiddling Hacks "hasless" and "haszero" words is exact (a borrow only ever runs
/// upwards from a true hit), so its index is one `trailing_zeros`.
#[inline]
pub(crate) fn first_invalid_value_byte(v: &[u8]) -> Option<usize> {
    let bad = |b: u8| (b < 0x20) & (b != b'\t') | (b == 0x7f);
    let mut i = skip_clean(v, bad);
    while let Some(x) = word(v, i) {
        let low = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let y = x ^ (ONES * 0x7f);
        let del = y.wrapping_sub(ONES) & !y & HIGHS;
        let m = low | del;
        if m == 0 {
            i += 8;
            continue;
        }
        let p = i + (m.trailing_zeros() / 8) as usize;
        if v[p] != b'\t' {
            return Some(p);
        }
        // An HTAB is a value byte: go on after it.
        i = p + 1;
    }
    v[i..].iter().position(|&b| bad(b)).map(|p| i + p)
}

#[cfg(test)]
/// `VCHAR` (RFC 5234 B.1): the bytes of a request-target.
fn is_vchar(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

/// Index of the first byte that is not a VCHAR, if any; like
/// [`first_invalid_value_byte`], 16 bytes at a time, then eight.
#[inline]
pub(crate) fn first_non_vchar(v: &[u8]) -> Option<usize> {
    // Two comparisons joined by `|`, not `!contains` (`&&`): the branch-free form is
    // what `any` needs to vectorise, and it is the form that was measured.
    #[allow(clippy::manual_range_contains)]
    let bad = |b: u8| (b < 0x21) | (b > 0x7e);
    let mut i = skip_clean(v, bad);
    while let Some(x) = word(v, i) {
        // Some byte < 0x21 ("hasless"), or some byte > 0x7e: adding 0x01 sets the high
        // bit of a byte >= 0x7f, and `| x` catches the bytes >= 0x80 ("hasmore"); a
        // carry out of such a byte only ever follows a hit.
        let low = x.wrapping_sub(ONES * 0x21) & !x & HIGHS;
        let high = (x.wrapping_add(ONES) | x) & HIGHS;
        let m = low | high;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    v[i..].iter().position(|&b| bad(b)).map(|p| i + p)
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

    #[test]
    fn the_first_of_several_hits_is_found_past_tabs_and_obs_text() {
        // A tab (valid in values), obs-text and a later hit; every pair of positions.
        for first in 0..40 {
            for second in first + 1..40 {
                for (a, b) in [(b'\t', 0x00), (b'\t', 0x7f), (0xff, b'\r'), (0x80, 0x1f)] {
                    let mut v = [b'a'; 40];
                    v[first] = a;
                    v[second] = b;
                    assert_eq!(
                        first_invalid_value_byte(&v),
                        Some(second),
                        "{first} {second}"
                    );
                    let want = if is_vchar(a) { second } else { first };
                    assert_eq!(first_non_vchar(&v), Some(want), "{first} {second}");
                }
            }
        }
    }
}

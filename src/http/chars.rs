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
/// compares on the x86-64 baseline (and the like elsewhere), with no `unsafe` and no
/// target feature.
const CHUNK: usize = 16;

/// The bytes of `c` for which `bad` holds, as a mask (0xff for a hit, 0 otherwise)
/// read as one little-endian number, so the first hit is byte `trailing_zeros / 8`.
/// `bad` must be branch-free (`&` and `|` on comparisons, not `&&` and `||`): then the
/// loop is a few vector compares whose result is read out whole (two `movq` on the
/// x86-64 baseline), with no per-byte branch.
#[inline(always)]
fn hits(c: &[u8; CHUNK], bad: impl Fn(u8) -> bool) -> u128 {
    let mut m = [0u8; CHUNK];
    for (m, &b) in m.iter_mut().zip(c) {
        *m = 0u8.wrapping_sub(u8::from(bad(b)));
    }
    u128::from_le_bytes(m)
}

/// Whether `bad` holds for any byte of `c`: the vector compares OR-ed into one test,
/// cheaper than reading out the whole mask, for the chunks that hold no hit.
#[inline(always)]
fn any(c: &[u8; CHUNK], bad: impl Fn(u8) -> bool) -> bool {
    let mut hit = 0u8;
    for &b in c {
        hit |= u8::from(bad(b));
    }
    hit != 0
}

/// Index of the first byte of `v` at or after `i` for which `bad` holds, if any:
/// 16 bytes at a time, and the last partial chunk as the 16 bytes that end `v`
/// (overlapping what was checked, whose hits are shifted out), so only an input
/// shorter than one chunk is read a byte at a time.
///
/// `flags` is the same check on a little-endian word, exact per byte, each hit flagged
/// in its high bit: it finds the hit inside the chunk the vector check picked, from the
/// chunk's two words as they lie in memory. Reading the vector's mask out instead
/// (`hits(c, bad).trailing_zeros()`) goes through the stack and a chain of shuffles:
/// 15% fewer instructions per head (REQ read in place: 2,477 against 2,914), but the
/// slice parse 20-40% slower in time, the readout being on each line's critical path.
/// The other safe ways of writing the readout that were tried (the two words picked
/// by a select, a packed nibble mask, an OR of shifted bits) made the compiler split
/// the vector check into halves or build the mask with a chain of shuffles. Only
/// `pmovmskb` reads the mask cheaply, and safe code cannot ask for it.
#[inline(always)]
fn first_hit(
    v: &[u8],
    mut i: usize,
    bad: impl Fn(u8) -> bool + Copy,
    flags: impl Fn(u64) -> u64,
) -> Option<usize> {
    while let Some(c) = v.get(i..i + CHUNK) {
        let c: &[u8; CHUNK] = c.try_into().unwrap_or(&[0; CHUNK]);
        if any(c, bad) {
            return Some(i + first_flagged(c, flags));
        }
        i += CHUNK;
    }
    if i >= v.len() {
        return None;
    }
    match v.len().checked_sub(CHUNK) {
        Some(start) => {
            let c: &[u8; CHUNK] = v[start..].try_into().unwrap_or(&[0; CHUNK]);
            // `i - start` is below CHUNK: the bytes before `i` were checked already.
            let m = hits(c, bad) >> (8 * (i - start));
            (m != 0).then(|| i + (m.trailing_zeros() / 8) as usize)
        }
        None => v[i..].iter().position(|&b| bad(b)).map(|p| i + p),
    }
}

/// The index of the first byte of `c` that `flags` marks, given that one is marked.
#[inline(always)]
fn first_flagged(c: &[u8; CHUNK], flags: impl Fn(u64) -> u64) -> usize {
    let lo = flags(word(c, 0));
    if lo != 0 {
        return (lo.trailing_zeros() / 8) as usize;
    }
    8 + (flags(word(c, 8)).trailing_zeros() / 8) as usize
}

/// The little-endian word of `c` at `at` (`at + 8 <= CHUNK`).
#[inline(always)]
fn word(c: &[u8; CHUNK], at: usize) -> u64 {
    let w: [u8; 8] = c[at..at + 8].try_into().unwrap_or([0; 8]);
    u64::from_le_bytes(w)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The bytes of `x` that are not field-value bytes (controls other than HTAB, and DEL),
/// flagged in their high bit; exact per byte, like [`in_range`]. Bytes >= 0x80 are
/// obs-text and never flagged.
#[inline(always)]
fn invalid_value_word(x: u64) -> u64 {
    let y = x & !HIGHS;
    let control = ONES * 0x9f - y; // high bit set where y <= 0x1f
    let tab = in_range(y, b'\t', b'\t');
    let del = y + ONES; // high bit set where y == 0x7f
    ((control & !tab) | del) & !x & HIGHS
}

/// The bytes of `x` that are not VCHARs (0x21-0x7e), flagged in their high bit; exact
/// per byte.
#[inline(always)]
fn non_vchar_word(x: u64) -> u64 {
    let y = x & !HIGHS;
    let low = ONES * 0xa0 - y; // high bit set where y <= 0x20
    let del = y + ONES; // high bit set where y == 0x7f
    (low | del | x) & HIGHS
}

/// The high bit of each byte of `y` (whose bytes are all below 0x80) that lies in
/// `lo..=hi`: `y + (0x80 - lo)` reaches 0x80 exactly from `lo` up, and `(0x80 + hi) - y`
/// stays at 0x80 or above exactly up to `hi`. Neither sum leaves its byte (7-bit
/// operands), so no carry or borrow crosses into the next byte and every flag is exact.
#[inline(always)]
fn in_range(y: u64, lo: u8, hi: u8) -> u64 {
    let ge = y + ONES * u64::from(0x80 - lo);
    let le = ONES * (0x80 + u64::from(hi)) - y;
    ge & le & HIGHS
}

/// The bytes of `x` that are not ALPHA, DIGIT or "-", flagged in their high bit.
#[inline(always)]
fn uncommon_word(x: u64) -> u64 {
    let y = x & !HIGHS;
    let alpha = in_range(y | (ONES * 0x20), b'a', b'z');
    let digit = in_range(y, b'0', b'9');
    let dash = in_range(y, b'-', b'-');
    // A byte >= 0x80 is never a token: its own high bit in `x` clears `good`.
    let good = (alpha | digit | dash) & !x;
    !good & HIGHS
}

/// The bytes of `x` that are not ALPHA or "-", flagged in their high bit: exact per
/// byte, and cheaper than [`uncommon_word`] by the digit range. Digits are rare in field
/// names, so a name with one goes to the exact word loop.
#[inline(always)]
fn non_letter_word(x: u64) -> u64 {
    let y = x & !HIGHS;
    let alpha = in_range(y | (ONES * 0x20), b'a', b'z');
    let dash = in_range(y, b'-', b'-');
    !((alpha | dash) & !x) & HIGHS
}

/// Whether `b` is not ALPHA or "-", the bytes field names and methods are almost always
/// made of; branch-free, so a chunk of such checks vectorises. A digit is flagged too,
/// and then found to be a token byte, so a name with one is read by the exact word loop.
#[inline(always)]
fn uncommon_name_byte(b: u8) -> bool {
    let lower = b | 0x20;
    !((lower.wrapping_sub(b'a') < 26) | (b == b'-'))
}

/// Index of the first byte that is not a `tchar` (RFC 9110 section 5.6.2), if any.
///
/// The bytes field names and methods are almost always made of are ALPHA and "-". The
/// first sixteen bytes are checked for any other byte as one chunk, and the first such
/// byte is found from the chunk's words; past that, or when a digit or a rarer tchar
/// comes first, eight bytes at a time with exact per-byte arithmetic
/// ([`in_range`]). A flagged byte is looked up in the token table, and if it is one of
/// the rarer tchars the scan goes on after it, so the answer is exactly the table's.
/// The last few bytes of `v` are read one at a time.
#[inline(always)]
pub(crate) fn first_non_token(v: &[u8]) -> Option<usize> {
    // The common case first: a name and the colon after it within sixteen bytes, one
    // vector check (the head goes on after a name, so a whole chunk is there to read).
    // A rarer tchar or a longer name goes to the word loop, from the start.
    if let Some(c) = v.get(..CHUNK) {
        let c: &[u8; CHUNK] = c.try_into().unwrap_or(&[0; CHUNK]);
        if any(c, uncommon_name_byte) {
            // The word check flags digits too (a digit or a rarer tchar found first is a
            // token byte, and the word loop below then reads the name exactly).
            let p = first_flagged(c, non_letter_word);
            if !is_token(c[p & (CHUNK - 1)]) {
                return Some(p);
            }
        }
    }
    let mut i = 0;
    while let Some(w) = v.get(i..i + 8) {
        let w: [u8; 8] = w.try_into().unwrap_or([0; 8]);
        let m = uncommon_word(u64::from_le_bytes(w));
        if m == 0 {
            i += 8;
            continue;
        }
        let p = i + (m.trailing_zeros() / 8) as usize;
        if !is_token(v[p]) {
            return Some(p);
        }
        i = p + 1;
    }
    v[i..].iter().position(|&b| !is_token(b)).map(|p| i + p)
}

/// Index of the first byte that is not a field-value byte, if any.
///
/// A byte is refused when it is a control other than HTAB, or DEL; bytes >= 0x80 are
/// obs-text and accepted. The check is exact per chunk, so the first hit is the answer.
#[inline]
pub(crate) fn first_invalid_value_byte(v: &[u8]) -> Option<usize> {
    first_hit(
        v,
        0,
        |b: u8| (b < 0x20) & (b != b'\t') | (b == 0x7f),
        invalid_value_word,
    )
}

/// Whether `b` equals `lower` ignoring ASCII case, where `lower` is lowercase letters,
/// digits and "-", and `b` is a validated token or field value (as every name and value
/// the field pass hands on is).
///
/// A word at a time with every byte OR-ed with 0x20: for such bytes that is exact. Only
/// a letter's two cases OR to a lowercase letter, and the bytes that OR to a digit or
/// to "-" besides themselves (0x10-0x19, CR) are controls, which neither a token nor a
/// value holds.
#[inline(always)]
pub(crate) fn eq_lower(b: &[u8], lower: &[u8]) -> bool {
    const LOWER: u64 = 0x2020_2020_2020_2020;
    let n = lower.len();
    if b.len() != n {
        return false;
    }
    let word = |v: &[u8], i: usize| {
        let w: [u8; 8] = v
            .get(i..i + 8)
            .and_then(|w| w.try_into().ok())
            .unwrap_or([0; 8]);
        u64::from_le_bytes(w)
    };
    let half = |v: &[u8], i: usize| {
        let w: [u8; 4] = v
            .get(i..i + 4)
            .and_then(|w| w.try_into().ok())
            .unwrap_or([0; 4]);
        u32::from_le_bytes(w)
    };
    match n {
        // The first and the last word, overlapping when `n` is not a multiple of 8;
        // every name and token compared here is at most 24 bytes.
        8.. => {
            let mut i = 0;
            while i + 8 < n {
                if word(b, i) | LOWER != word(lower, i) {
                    return false;
                }
                i += 8;
            }
            word(b, n - 8) | LOWER == word(lower, n - 8)
        }
        4..=7 => {
            half(b, 0) | 0x2020_2020 == half(lower, 0)
                && half(b, n - 4) | 0x2020_2020 == half(lower, n - 4)
        }
        _ => b.iter().zip(lower).all(|(&c, &l)| c | 0x20 == l),
    }
}

#[cfg(test)]
/// `VCHAR` (RFC 5234 B.1): the bytes of a request-target.
fn is_vchar(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

/// Index of the first byte that is not a VCHAR, if any; like
/// [`first_invalid_value_byte`], 16 bytes at a time.
#[inline]
pub(crate) fn first_non_vchar(v: &[u8]) -> Option<usize> {
    // Two comparisons joined by `|`, not `!contains` (`&&`): the branch-free form is
    // what `hits` needs to vectorise.
    #[allow(clippy::manual_range_contains)]
    first_hit(v, 0, |b: u8| (b < 0x21) | (b > 0x7e), non_vchar_word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_checks_match_the_table_for_every_byte_at_every_position() {
        // Every length up to three chunks, so the whole-chunk loop, the overlapping last
        // chunk and the short input are all crossed at every position.
        for len in 1..100 {
            for b in 0..=255u8 {
                for pos in 0..len {
                    let mut v = [b'a'; 100];
                    v[pos] = b;
                    let v = &v[..len];
                    let want = if is_value_byte(b) { None } else { Some(pos) };
                    assert_eq!(
                        first_invalid_value_byte(v),
                        want,
                        "byte {b:#x} at {pos}/{len}"
                    );
                    let want = if is_vchar(b) { None } else { Some(pos) };
                    assert_eq!(first_non_vchar(v), want, "vchar {b:#x} at {pos}/{len}");
                    let want = if is_token(b) { None } else { Some(pos) };
                    assert_eq!(first_non_token(v), want, "token {b:#x} at {pos}/{len}");
                }
            }
        }
    }

    #[test]
    fn the_token_scan_passes_the_rarer_tchars_and_stops_at_the_first_other_byte() {
        // "_", "." and "~" leave the common-byte check and are looked up; the scan goes on.
        for first in 0..90 {
            for second in first + 1..90 {
                for (a, b) in [(b'_', b':'), (b'~', b' '), (b'.', 0x80), (b'!', b'\r')] {
                    let mut v = [b'x'; 90];
                    v[first] = a;
                    v[second] = b;
                    assert_eq!(first_non_token(&v), Some(second), "{first} {second}");
                }
            }
        }
        assert_eq!(first_non_token(b""), None);
    }

    #[test]
    fn eq_lower_matches_eq_ignore_ascii_case_on_token_and_value_bytes() {
        // Every name and token the framing compares, and each with one byte changed to
        // every token or value byte, at every position.
        let targets: [&[u8]; 10] = [
            b"host",
            b"expect",
            b"upgrade",
            b"connection",
            b"content-length",
            b"transfer-encoding",
            b"close",
            b"keep-alive",
            b"chunked",
            b"100-continue",
        ];
        for t in targets {
            assert!(eq_lower(t, t));
            assert!(eq_lower(&t.to_ascii_uppercase(), t));
            assert!(!eq_lower(&t[1..], t));
            for pos in 0..t.len() {
                for c in (0..=255u8).filter(|&c| is_value_byte(c)) {
                    let mut v = t.to_vec();
                    v[pos] = c;
                    assert_eq!(
                        eq_lower(&v, t),
                        v.eq_ignore_ascii_case(t),
                        "{c:#x} at {pos}"
                    );
                }
            }
        }
        assert!(eq_lower(b"", b""));
        assert!(eq_lower(b"Te", b"te"));
    }

    #[test]
    fn the_first_of_several_hits_is_found_past_tabs_and_obs_text() {
        // A tab (valid in values), obs-text and a later hit; every pair of positions.
        for first in 0..90 {
            for second in first + 1..90 {
                for (a, b) in [(b'\t', 0x00), (b'\t', 0x7f), (0xff, b'\r'), (0x80, 0x1f)] {
                    let mut v = [b'a'; 90];
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

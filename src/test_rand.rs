//! Reproducible pseudo-random numbers for the differential unit tests: xorshift64, so a
//! failing case is the same on every run and every machine.

/// The numbers of xorshift64 from `seed` (which must not be 0).
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

//! Generators for the protocols' values (feature `arbitrary`, and `proptest` for
//! strategies): [`arbitrary::Arbitrary`] for every value a test of protocol code wants
//! to vary, and [`Case`]s that are mostly valid values with a tunable share of
//! near-valid invalid wire forms, each carrying the error our parser must give.
//!
//! | protocol | valid values (`Arbitrary`; `valid` with `proptest`) | cases ([`Case`]; `cases` with `proptest`) |
//! |---|---|---|
//! | SMTP | [`smtp::Command`](crate::smtp::Command), [`Reply`](crate::smtp::Reply), [`Mailbox`](crate::smtp::Mailbox), [`ReversePath`](crate::smtp::ReversePath), [`ForwardPath`](crate::smtp::ForwardPath), [`Domain`](crate::smtp::Domain), [`MailParams`](crate::smtp::MailParams), [`RcptParams`](crate::smtp::RcptParams) | command lines, reply lines |
//! | POP3 | [`pop3::Command`](crate::pop3::Command), [`Response`](crate::pop3::Response) | command lines, status lines |
//! | HTTP | [`http::Request`], [`http::Response`]: a head with its body pieces and trailers | requests, responses |
//!
//! A valid value round-trips: it encodes, and our parser gives it back. An invalid case
//! is a valid value's wire form with one flaw put in (an unknown verb, a missing colon,
//! a bad parameter value, a bare LF, two Content-Lengths, ...), and our parser must
//! refuse it with the error [`Invalid::expect`] names. The crate's own property tests
//! and fuzz targets prove both on every generated value.
//!
//! # The knob: how many are invalid
//!
//! [`Mix::invalid_percent`] is the share of invalid cases, 0 to 100; the default is 10.
//! `Case`'s `Arbitrary` impl uses the default; [`Case::arbitrary_with`] and `cases`
//! take a [`Mix`].
//!
//! ```
//! use arbitrary::Unstructured;
//! use wirestate::generate::{Case, Mix};
//! use wirestate::smtp::Command;
//!
//! let seed: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
//! let mut u = Unstructured::new(&seed);
//! let mut invalid = 0;
//! for _ in 0..50 {
//!     match Case::<Command>::arbitrary_with(&mut u, Mix::invalid_percent(50)).unwrap() {
//!         Case::Valid(cmd) => {
//!             let wire = cmd.to_bytes().unwrap();
//!             assert_eq!(Command::parse(&wire[..wire.len() - 2]).unwrap(), cmd);
//!         }
//!         Case::Invalid(bad) => {
//!             invalid += 1;
//!             let err = Command::parse(&bad.wire).unwrap_err();
//!             assert!(bad.expect.matches(&err), "{bad:?} gave {err:?}");
//!         }
//!     }
//! }
//! assert!(invalid > 0);
//! ```
//!
//! # In a fuzz target
//!
//! With cargo-fuzz, take the value itself and test your code on it:
//!
//! ```ignore
//! #![no_main]
//! use wirestate::generate::Case;
//! use wirestate::smtp::Command;
//!
//! libfuzzer_sys::fuzz_target!(|case: Case<Command>| {
//!     my_policy::check(&case); // your handler, on valid and near-valid commands
//! });
//! ```
//!
//! # In a proptest (feature `proptest`)
//!
//! `valid` and `cases` are strategies. They draw a byte seed and read it through
//! the same generators, so a failing case shrinks toward shorter, simpler values.
//!
//! ```
//! # #[cfg(feature = "proptest")] {
//! use proptest::prelude::*;
//! use wirestate::generate::valid;
//! use wirestate::pop3::Command;
//!
//! proptest!(|(cmd in valid::<Command>())| {
//!     let mut wire = bytes::BytesMut::new();
//!     cmd.encode(&mut wire);
//!     prop_assert_eq!(Command::parse(&wire[..wire.len() - 2]).unwrap(), cmd);
//! });
//! # }
//! ```

pub mod http;
pub mod pop3;
pub mod smtp;
#[cfg(feature = "proptest")]
mod strategy;

#[cfg(feature = "proptest")]
pub use strategy::{cases, valid};

use alloc::string::String;
use alloc::vec::Vec;
use arbitrary::{Arbitrary, Result, Unstructured};
use core::fmt;

/// How many generated cases are invalid: the knob of every [`Case`] generator.
///
/// ```
/// use wirestate::generate::Mix;
/// assert_eq!(Mix::default().invalid_percent, 10);
/// assert_eq!(Mix::VALID.invalid_percent, 0);
/// assert_eq!(Mix::invalid_percent(150).invalid_percent, 100);
/// ```
///
/// `#[non_exhaustive]`, so later knobs can be added: build it with
/// [`Mix::invalid_percent`], [`Mix::VALID`] or `Default`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Mix {
    /// The share of invalid cases, in percent (0: all valid, 100: all invalid).
    pub invalid_percent: u8,
}

impl Mix {
    /// Only valid values.
    pub const VALID: Mix = Mix { invalid_percent: 0 };

    /// `percent` invalid cases (clamped to 100).
    ///
    /// ```
    /// assert_eq!(wirestate::generate::Mix::invalid_percent(25).invalid_percent, 25);
    /// ```
    pub fn invalid_percent(percent: u8) -> Mix {
        Mix {
            invalid_percent: percent.min(100),
        }
    }
}

impl Default for Mix {
    /// One case in ten is invalid: mostly valid traffic, with enough near misses that
    /// the error paths are covered too.
    fn default() -> Mix {
        Mix {
            invalid_percent: 10,
        }
    }
}

/// A value type with a generator of valid values and of near-valid invalid wire forms.
///
/// Implemented for each value in the table of the [module docs](self); [`Case`],
/// `valid` and `cases` work for any of them.
///
/// ```
/// use arbitrary::Unstructured;
/// use wirestate::generate::Generate;
/// use wirestate::pop3::Response;
///
/// let mut u = Unstructured::new(b"some bytes to draw from");
/// let bad = Response::invalid(&mut u).unwrap();
/// let err = Response::parse(bytes::Bytes::from(bad.wire.clone())).unwrap_err();
/// assert_eq!(err.kind, bad.expect);
/// ```
pub trait Generate: Sized {
    /// The error the parser must give for an invalid case.
    type Expect: fmt::Debug + Clone + PartialEq;

    /// A valid value.
    fn valid(u: &mut Unstructured<'_>) -> Result<Self>;

    /// The wire form of a valid value with one flaw put in, and the error it must give.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<Self::Expect>>;
}

/// An invalid wire form: what to feed our parser, and what it must say.
///
/// What `wire` is depends on the value: one line without its CRLF for SMTP and POP3
/// commands and POP3 status lines, whole reply lines with CRLF for SMTP replies, a whole
/// message for HTTP (see each type's [`Generate`] impl).
///
/// ```
/// use arbitrary::Unstructured;
/// use wirestate::generate::Generate;
/// use wirestate::pop3::Command;
///
/// let bad = Command::invalid(&mut Unstructured::new(&[3, 1, 4, 1, 5])).unwrap();
/// assert_eq!(Command::parse(&bad.wire).unwrap_err().kind, bad.expect);
/// assert!(!bad.flaw.is_empty());
/// ```
///
/// `#[non_exhaustive]`, so it can carry more later: a [`Generate`] impl outside this
/// crate builds it with [`Invalid::new`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Invalid<E> {
    /// The bytes, as they would arrive.
    pub wire: Vec<u8>,
    /// What was broken, in words (for failure messages).
    pub flaw: &'static str,
    /// The error our parser must give.
    pub expect: E,
}

impl<E> Invalid<E> {
    /// The invalid wire form `wire`, broken as `flaw` says, that must give `expect`.
    ///
    /// ```
    /// use wirestate::generate::Invalid;
    /// let bad = Invalid::new(b"NOOP extra".to_vec(), "an argument where none is allowed", ());
    /// assert_eq!(bad.flaw, "an argument where none is allowed");
    /// ```
    pub fn new(wire: Vec<u8>, flaw: &'static str, expect: E) -> Invalid<E> {
        Invalid { wire, flaw, expect }
    }
}

impl<E: fmt::Debug> fmt::Debug for Invalid<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invalid")
            .field("wire", &String::from_utf8_lossy(&self.wire))
            .field("flaw", &self.flaw)
            .field("expect", &self.expect)
            .finish()
    }
}

/// One generated case: a valid value, or an invalid wire form with its expected error.
///
/// Its [`Arbitrary`] impl uses [`Mix::default`] (10% invalid).
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use wirestate::generate::Case;
/// use wirestate::smtp::Reply;
///
/// let case = Case::<Reply>::arbitrary(&mut Unstructured::new(&[0; 64])).unwrap();
/// assert!(case.is_valid()); // all-zero input draws the first, valid, branch
/// ```
pub enum Case<T: Generate> {
    /// A valid value.
    Valid(T),
    /// An invalid wire form.
    Invalid(Invalid<T::Expect>),
}

impl<T: Generate> Case<T> {
    /// A case drawn from `u`, invalid with the probability `mix` gives.
    ///
    /// ```
    /// use arbitrary::Unstructured;
    /// use wirestate::generate::{Case, Mix};
    /// use wirestate::pop3::Command;
    ///
    /// let mut u = Unstructured::new(&[9; 32]);
    /// assert!(!Case::<Command>::arbitrary_with(&mut u, Mix::invalid_percent(100)).unwrap().is_valid());
    /// let mut u = Unstructured::new(&[9; 32]);
    /// assert!(Case::<Command>::arbitrary_with(&mut u, Mix::VALID).unwrap().is_valid());
    /// ```
    pub fn arbitrary_with(u: &mut Unstructured<'_>, mix: Mix) -> Result<Self> {
        let p = mix.invalid_percent.min(100);
        // Counted from the top, so an all-zero (or exhausted) input draws a valid value
        // and a shrinking seed moves toward valid ones.
        let invalid = p > 0 && u.int_in_range(0u8..=99)? >= 100 - p;
        if invalid {
            T::invalid(u).map(Case::Invalid)
        } else {
            T::valid(u).map(Case::Valid)
        }
    }

    /// Whether this is a valid value.
    ///
    /// ```
    /// use wirestate::generate::Case;
    /// assert!(Case::Valid(wirestate::pop3::Command::Quit).is_valid());
    /// ```
    pub fn is_valid(&self) -> bool {
        matches!(self, Case::Valid(_))
    }
}

impl<T: Generate + Clone> Clone for Case<T> {
    fn clone(&self) -> Self {
        match self {
            Case::Valid(v) => Case::Valid(v.clone()),
            Case::Invalid(i) => Case::Invalid(i.clone()),
        }
    }
}

impl<T: Generate + fmt::Debug> fmt::Debug for Case<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Case::Valid(v) => f.debug_tuple("Valid").field(v).finish(),
            Case::Invalid(i) => f.debug_tuple("Invalid").field(i).finish(),
        }
    }
}

impl<'a, T: Generate> Arbitrary<'a> for Case<T> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Case::arbitrary_with(u, Mix::default())
    }
}

/// `impl Arbitrary` (valid values only) for types that implement [`Generate`].
macro_rules! arbitrary_via_generate {
    ($($t:ty),* $(,)?) => {$(
        impl<'a> arbitrary::Arbitrary<'a> for $t {
            fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
                <$t as $crate::generate::Generate>::valid(u)
            }
        }
    )*};
}
pub(crate) use arbitrary_via_generate;

// Shared drawing helpers: small, total (an exhausted `Unstructured` gives the first
// choice and the shortest length, never an error), so generation never fails for lack
// of input.

/// `n` in `lo..=hi`.
pub(crate) fn between(u: &mut Unstructured<'_>, lo: usize, hi: usize) -> Result<usize> {
    u.int_in_range(lo..=hi)
}

/// One byte of `set`.
pub(crate) fn one_of(u: &mut Unstructured<'_>, set: &[u8]) -> Result<u8> {
    Ok(set[u.choose_index(set.len())?])
}

/// `lo..=hi` bytes, each from `set`.
pub(crate) fn run_of(
    u: &mut Unstructured<'_>,
    set: &[u8],
    lo: usize,
    hi: usize,
) -> Result<Vec<u8>> {
    let n = between(u, lo, hi)?;
    (0..n).map(|_| one_of(u, set)).collect()
}

/// As [`run_of`], as a `String`; `set` must be ASCII.
pub(crate) fn text_of(
    u: &mut Unstructured<'_>,
    set: &[u8],
    lo: usize,
    hi: usize,
) -> Result<String> {
    Ok(run_of(u, set, lo, hi)?
        .into_iter()
        .map(char::from)
        .collect())
}

/// `lo..=hi` arbitrary bytes.
pub(crate) fn raw_bytes(u: &mut Unstructured<'_>, lo: usize, hi: usize) -> Result<Vec<u8>> {
    let n = between(u, lo, hi)?;
    (0..n).map(|_| u8::arbitrary(u)).collect()
}

/// A flag that is set one time in `one_in`.
pub(crate) fn sometimes(u: &mut Unstructured<'_>, one_in: u8) -> Result<bool> {
    Ok(u.int_in_range(1..=one_in.max(1))? == 1)
}

/// Printable ASCII, SP to `~` (RFC 5234 VCHAR plus SP).
pub(crate) const PRINTABLE: &[u8] =
    b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
/// Visible ASCII, `!` to `~` (RFC 5234 VCHAR).
pub(crate) const VISIBLE: &[u8] = PRINTABLE.split_at(1).1;
/// Letters and digits.
pub(crate) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// RFC 4648 base64 alphabet.
pub(crate) const BASE64: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

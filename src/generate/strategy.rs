//! The proptest front end (feature `proptest`): strategies built from the same
//! generators as the `Arbitrary` impls, so both kinds of test draw the same values.

use super::{Case, Generate, Mix};
use alloc::vec::Vec;
use arbitrary::Unstructured;
use core::fmt::Debug;
use proptest::prelude::*;

/// The most seed bytes a strategy draws: enough for the largest value (an HTTP message
/// with its body pieces) with room to spare.
const SEED: usize = 2048;

/// Seed bytes: proptest shrinks a vector by dropping elements and lowering bytes, and
/// fewer, smaller bytes read through `Unstructured` give shorter, earlier-listed values.
fn seed() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..SEED)
}

/// A strategy of valid values of `T`.
///
/// ```
/// use proptest::prelude::*;
/// use wirestate::generate::valid;
/// use wirestate::smtp::Mailbox;
///
/// proptest!(|(m in valid::<Mailbox>())| {
///     prop_assert_eq!(Mailbox::parse_with(m.as_str(), true).unwrap(), m);
/// });
/// ```
pub fn valid<T: Generate + Debug>() -> impl Strategy<Value = T> {
    seed().prop_filter_map("the generator refused its input", |b| {
        T::valid(&mut Unstructured::new(&b)).ok()
    })
}

/// A strategy of [`Case`]s of `T`, invalid as often as `mix` says.
///
/// ```
/// use proptest::prelude::*;
/// use wirestate::generate::{cases, Case, Mix};
/// use wirestate::pop3::Command;
///
/// proptest!(|(case in cases::<Command>(Mix::invalid_percent(30)))| {
///     match case {
///         Case::Valid(cmd) => {
///             let mut wire = bytes::BytesMut::new();
///             cmd.encode(&mut wire);
///             prop_assert_eq!(Command::parse(&wire[..wire.len() - 2]).unwrap(), cmd);
///         }
///         Case::Invalid(bad) => {
///             prop_assert_eq!(Command::parse(&bad.wire).unwrap_err().kind, bad.expect);
///         }
///     }
/// });
/// ```
pub fn cases<T: Generate + Debug>(mix: Mix) -> impl Strategy<Value = Case<T>>
where
    T::Expect: Debug,
{
    seed().prop_filter_map("the generator refused its input", move |b| {
        Case::arbitrary_with(&mut Unstructured::new(&b), mix).ok()
    })
}

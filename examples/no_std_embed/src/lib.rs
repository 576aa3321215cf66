//! Embedding wirestate without `std`: the greeting protocol's client and server machines,
//! each behind a transport of fixed capacity (a ring buffer of `N` bytes, as a UART or a
//! DMA buffer would be), driven by the loop of the `Machine` docs. Nothing here allocates
//! except the machines themselves (through `alloc`, which the target's allocator serves);
//! the transport, the read buffer and the log are arrays of fixed size.
//!
//! [`greet`] runs a whole exchange and is the one entry point; the pieces it is built from
//! live in `exchange.rs`, which the host test in `tests/no_std_embed.rs` includes and runs.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod exchange;

pub use exchange::{greet, ExchangeError, Ring, LINK_CAPACITY, READ_SIZE};

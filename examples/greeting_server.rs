//! The greeting server over TCP, on any driver (default: `std::net`, one thread per
//! connection).
//!
//! `cargo run --example greeting_server -- [--addr 127.0.0.1:9999] [--framing chunk|line]
//! [--driver std|mio|tokio] [--tls-cert FILE --tls-key FILE [--implicit-tls]]
//! [--proxy-protocol] [--max-connections N] [--max-per-client N] [--verbose]`
mod support;

use support::cli::Driver;
use support::greeting::{self, ServerCli};

fn main() {
    let cli: ServerCli = greeting::parse_with_driver(Driver::Std);
    if let Err(e) = greeting::run_server(&cli) {
        eprintln!("greeting_server: {e}");
        std::process::exit(1);
    }
}

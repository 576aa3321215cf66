//! The greeting server, the same program as `greeting_server` but on one `mio` event
//! loop by default, for many concurrent connections (`--driver` still chooses).
//!
//! `cargo run --example greeting_mio_server -- [--addr 127.0.0.1:9999] [--framing chunk|line]
//! [--driver std|mio|tokio] [--tls-cert FILE --tls-key FILE [--implicit-tls]]
//! [--proxy-protocol] [--max-connections N] [--max-per-client N] [--verbose]`
mod support;

use support::cli::Driver;
use support::greeting::{self, ServerCli};

fn main() {
    let cli: ServerCli = greeting::parse_with_driver(Driver::Mio);
    if let Err(e) = greeting::run_server(&cli) {
        eprintln!("greeting_mio_server: {e}");
        std::process::exit(1);
    }
}

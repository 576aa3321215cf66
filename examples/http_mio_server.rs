//! The load target: `cargo run --release --example http_mio_server [-- --addr ADDR]`.
//! The same server as `http_server`, defaulting to one mio event loop and to answering
//! `GET /` with a small fixed body (`--respond files --root DIR` serves files instead);
//! keep-alive and pipelining included, every `http_server` flag accepted.
mod support;

use support::cli::Driver;
use support::http::{self, Respond, ServerCli};

fn main() {
    let cli = ServerCli::parse_with(Driver::Mio, Respond::Hello);
    if let Err(e) = http::run_server(&cli) {
        eprintln!("http_mio_server: {e}");
        std::process::exit(1);
    }
}

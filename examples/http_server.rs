//! A static file server on any driver (default: `std::net`, one thread per connection):
//! `cargo run --example http_server -- --root DIR [--addr ADDR] [--driver std|mio|tokio]
//! [--tls-cert FILE --tls-key FILE --implicit-tls] [--proxy-protocol]
//! [--max-connections N] [--max-per-client N] [--verbose]`.
//! GET and HEAD, 404, 405 with `Allow`, keep-alive and pipelining come from the machine;
//! with a certificate and `--implicit-tls` it is HTTPS.
mod support;

use support::cli::Driver;
use support::http::{self, Respond, ServerCli};

fn main() {
    let cli = ServerCli::parse_with(Driver::Std, Respond::Files);
    if let Err(e) = http::run_server(&cli) {
        eprintln!("http_server: {e}");
        std::process::exit(1);
    }
}

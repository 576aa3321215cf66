//! The lockstep greeting client: prints the welcome and each reply, one per line.
//!
//! `cargo run --example greeting_client -- [--addr 127.0.0.1:9999] [--framing chunk|line]
//! [--reply-timeout SECONDS] [NAME...]`
mod support;

use std::net::ToSocketAddrs;

fn main() -> std::io::Result<()> {
    let args = support::Args::parse(&[]);
    let config = support::greeting::client_config(&args);
    let addr = args
        .addr("127.0.0.1:9999")
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address"))?;
    let names = support::greeting::names(&args);
    support::greeting::run_client(addr, config, &names, &mut std::io::stdout().lock())
}

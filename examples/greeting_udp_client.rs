//! Sends each name as a datagram and prints each reply on its own line.
//!
//! `cargo run --example greeting_udp_client -- [--addr 127.0.0.1:9999] [NAME...]`
mod support;

use std::net::ToSocketAddrs;

fn main() -> std::io::Result<()> {
    let args = support::Args::parse(&[]);
    let addr = args
        .addr("127.0.0.1:9999")
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address"))?;
    let names = support::greeting::names(&args);
    support::greeting::run_udp_client(addr, &names, &mut std::io::stdout().lock())
}

//! Sends each name as a datagram and prints each reply on its own line.
//!
//! `cargo run --example greeting_udp_client -- [--addr 127.0.0.1:9999] [NAME...]`
mod support;

use clap::Parser;
use std::net::ToSocketAddrs;
use support::greeting::{self, UdpClientCli};

fn main() {
    let cli = UdpClientCli::parse();
    let run = || -> std::io::Result<()> {
        let addr = cli
            .addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address"))?;
        let names = greeting::names(&cli.names);
        greeting::run_udp_client(addr, &names, &mut std::io::stdout().lock())
    };
    if let Err(e) = run() {
        eprintln!("greeting_udp_client: {e}");
        std::process::exit(1);
    }
}

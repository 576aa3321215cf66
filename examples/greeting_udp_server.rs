//! The greeting over UDP: one datagram in, `Hello, <datagram>!` out.
//!
//! `cargo run --example greeting_udp_server -- [--addr 127.0.0.1:9999]`
mod support;

use clap::Parser;
use support::greeting::{self, UdpServerCli};

fn main() {
    let cli = UdpServerCli::parse();
    let run = || greeting::serve_udp(&greeting::bind_udp(&cli.addr)?);
    if let Err(e) = run() {
        eprintln!("greeting_udp_server: {e}");
        std::process::exit(1);
    }
}

//! The lockstep greeting client: prints the welcome and each reply, one per line.
//!
//! `cargo run --example greeting_client -- [--addr 127.0.0.1:9999] [--framing chunk|line]
//! [--reply-timeout SECONDS] [NAME...]`
mod support;

use clap::Parser;
use std::net::ToSocketAddrs;
use support::greeting::{self, ClientCli};

fn main() {
    let cli = ClientCli::parse();
    let run = || -> std::io::Result<()> {
        let addr = cli
            .addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address"))?;
        let names = greeting::names(&cli.names);
        greeting::run_client(addr, cli.config(), &names, &mut std::io::stdout().lock())
    };
    if let Err(e) = run() {
        eprintln!("greeting_client: {e}");
        std::process::exit(1);
    }
}

//! The lockstep greeting client: prints the welcome and each reply, one per line.
//!
//! `cargo run --example greeting_client -- [--addr 127.0.0.1:9999] [--framing chunk|line]
//! [--reply-timeout SECONDS] [--driver std|mio|tokio] [NAME...]`
mod support;

use clap::Parser;
use support::greeting::{self, ClientCli};

fn main() {
    let cli = ClientCli::parse();
    let run = || -> std::io::Result<()> {
        let names = greeting::names(&cli.names);
        let out = &mut std::io::stdout().lock();
        greeting::run_client(cli.driver.driver, &cli.addr, cli.config(), &names, out)
    };
    if let Err(e) = run() {
        eprintln!("greeting_client: {e}");
        std::process::exit(1);
    }
}

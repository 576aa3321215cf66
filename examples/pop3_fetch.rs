//! Downloads every message from a POP3 server:
//! `cargo run --example pop3_fetch -- --addr HOST:PORT --user U --pass P --out DIR
//! [--tls | --stls require|opportunistic] [--ca FILE] [--allow-plaintext-auth] [--delete]
//! [--driver std|mio|tokio] [--verbose]`
//!
//! The password is sent only over TLS (implicit with `--tls`, RFC 8314; or after STLS,
//! RFC 2595) unless `--allow-plaintext-auth`; the server's certificate is verified
//! against the system roots or `--ca`, for the host name in `--addr`.

mod support;

use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use support::cli::{ClientDriverArgs, ClientTlsArgs};
use support::pop3_client::{fetch_all, FetchOptions, TlsMode};
use wirestate::Secret;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Stls {
    /// Fail before any credential is sent if STLS is not offered or fails.
    Require,
    /// Use STLS when the server offers it.
    Opportunistic,
}

/// Downloads every message of a POP3 maildrop into a directory.
#[derive(Parser, Debug)]
#[command(name = "pop3_fetch")]
struct Cli {
    /// Server address (HOST:PORT); HOST is also the name its certificate must carry.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:110")]
    addr: String,
    /// User name.
    #[arg(long, value_name = "NAME")]
    user: String,
    /// Password.
    #[arg(long, value_name = "PASSWORD", value_parser = secret)]
    pass: Secret,
    /// Directory the messages are written to, as `<unique-id>.eml`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Delete each message on the server once retrieved (at QUIT).
    #[arg(long)]
    delete: bool,
    /// Print the dialogue, password and message bodies hidden.
    #[arg(long)]
    verbose: bool,
    /// TLS from the first byte (POP3S, usually port 995).
    #[arg(long, conflicts_with = "stls")]
    tls: bool,
    /// Switch to TLS with STLS.
    #[arg(long, value_enum, value_name = "POLICY")]
    stls: Option<Stls>,
    #[command(flatten)]
    ca: ClientTlsArgs,
    /// Send the password even over a connection that is not TLS.
    #[arg(long)]
    allow_plaintext_auth: bool,
    #[command(flatten)]
    driver: ClientDriverArgs,
}

fn secret(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::from(s))
}

fn main() {
    let cli = Cli::parse();
    let tls = match tls_mode(&cli) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("pop3_fetch: {e}");
            std::process::exit(2)
        }
    };
    let opts = FetchOptions {
        user: &cli.user,
        pass: &cli.pass,
        tls,
        allow_plaintext_auth: cli.allow_plaintext_auth,
        out_dir: cli.out.as_ref(),
        delete: cli.delete,
        verbose: cli.verbose,
        driver: cli.driver.driver,
    };
    let addr = &cli.addr;
    match fetch_all(addr, &opts) {
        Ok(fetched) => {
            let octets: u64 = fetched.iter().map(|f| f.octets).sum();
            for f in &fetched {
                println!(
                    "{} {} {}",
                    f.msg,
                    f.uid.as_deref().unwrap_or("-"),
                    f.path.display()
                );
            }
            println!(
                "fetched {} messages ({} octets) from {}{}",
                fetched.len(),
                octets,
                addr,
                if opts.delete {
                    ", deleted on the server"
                } else {
                    ""
                }
            );
        }
        Err(e) => {
            eprintln!("pop3_fetch: {e}");
            std::process::exit(1)
        }
    }
}

fn tls_mode(cli: &Cli) -> std::io::Result<TlsMode> {
    if !cli.tls && cli.stls.is_none() {
        return Ok(TlsMode::None);
    }
    let config = cli.ca.config()?;
    let name = ClientTlsArgs::server_name(&cli.addr)?;
    Ok(match cli.stls {
        None => TlsMode::Implicit(config, name),
        Some(policy) => TlsMode::Stls {
            config,
            name,
            required: policy == Stls::Require,
        },
    })
}

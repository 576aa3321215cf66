//! POP3 server for one Maildir:
//! `cargo run --example pop3_server -- --maildir DIR --user U --pass P [--addr 127.0.0.1:1110]
//! [--driver std|mio|tokio] [--tls-cert FILE --tls-key FILE [--implicit-tls]]
//! [--proxy-protocol] [--max-connections N] [--max-per-client N]`
//!
//! Unique ids stay the same across sessions (the Maildir file name before `:2,`);
//! deletions happen only at QUIT; one session per maildrop (`-ERR [IN-USE]`). With a
//! certificate, STLS is offered in CAPA (RFC 2595) or, with `--implicit-tls`, the whole
//! connection is TLS (POP3S, RFC 8314); logins then need TLS unless
//! `--allow-plaintext-auth`.

mod support;

use clap::Parser;
use std::path::PathBuf;
use std::sync::Arc;
use support::cli::ServerArgs;
use support::maildrop::{ensure_maildir, serve_with, DiskFiles, Settings};
use wirestate::Secret;

/// POP3 server for one Maildir and one user.
#[derive(Parser, Debug)]
#[command(name = "pop3_server")]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// The Maildir to serve (tmp/, new/, cur/ are created if missing).
    #[arg(long, value_name = "DIR")]
    maildir: PathBuf,
    /// The one user name accepted.
    #[arg(long, value_name = "NAME")]
    user: String,
    /// Its password.
    #[arg(long, value_name = "PASSWORD", value_parser = secret)]
    pass: Secret,
    /// Host name in the sign-off line.
    #[arg(long, value_name = "HOST", default_value = "localhost")]
    name: String,
    /// Take USER/PASS and AUTH PLAIN before STLS even though TLS is configured.
    #[arg(long)]
    allow_plaintext_auth: bool,
}

fn secret(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::from(s))
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    if cli.server.idle_timeout.is_some() {
        // RFC 1939 section 3: the autologout timer MUST be of at least 10 minutes, and
        // the machine's `Autologout` cannot be built shorter.
        eprintln!("pop3_server: --idle-timeout is not supported: POP3's autologout is RFC 1939's 10 minutes");
        std::process::exit(2);
    }
    let tls = cli.server.tls_cert.is_some();
    let settings = Settings {
        maildir: cli.maildir,
        user: cli.user,
        pass: cli.pass,
        server_name: cli.name,
        stls: tls && !cli.server.implicit_tls,
        // Without a certificate there is no TLS to wait for.
        plaintext_auth: cli.allow_plaintext_auth || !tls,
        proxy_protocol: cli.server.proxy_protocol,
        verbose: cli.server.verbose,
        files: Arc::new(DiskFiles),
    };
    ensure_maildir(&settings.maildir)?;
    let addr = cli.server.addr_or("127.0.0.1:1110");
    serve_with(&cli.server, &addr, settings)
}

//! An SMTP (or LMTP) server delivering every accepted message into a Maildir.
//!
//! `cargo run --example smtp_server -- --addr 127.0.0.1:2525 --maildir DIR
//!  [--driver std|mio|tokio] [--hostname NAME] [--max-size OCTETS] [--no-pipelining]
//!  [--no-chunking] [--lmtp] [--nul reject|accept] [--auth USER:PASSWORD] [--allow-plaintext-auth]
//!  [--tls-cert FILE --tls-key FILE [--implicit-tls]] [--proxy-protocol]
//!  [--max-connections N] [--max-per-client N] [--verbose]`
//!
//! Any of the three generic drivers runs the connections. With a certificate the server
//! offers STARTTLS (RFC 3207), or with `--implicit-tls` speaks TLS from the first byte
//! (RFC 8314, port 465). AUTH is offered only once the connection is TLS unless
//! `--allow-plaintext-auth` is given. Each message is spooled in `DIR/tmp/`; then one
//! copy per recipient, starting with its trace fields (`Return-Path`, `Delivered-To`,
//! `Received`: RFC 5321 4.4), is written to `DIR/tmp/`, fsynced and renamed into
//! `DIR/new/` (and `new/` fsynced) before the 250; a client that disconnects mid-DATA
//! leaves nothing behind. A storage failure is a temporary failure (`452 4.3.1` for a
//! full disk, `451 4.3.0` otherwise) and the server goes on serving. At start, files in
//! `DIR/tmp/` left by a killed `smtp_server` of this host are removed, and any others
//! once untouched for 36 hours. A message holding a NUL octet is refused with
//! `554 5.6.0` and the session goes on (`--nul accept` delivers it instead): see
//! `wirestate::smtp::NulPolicy` for why a delivering server refuses it.
//! `--verbose` prints every event; passwords show as `<redacted>`.

mod support;

use clap::Parser;
use support::cli::ServerArgs;
use support::smtp_io::{server_setup, ServerOptions};
use wirestate::smtp::{Credentials, Domain, NulPolicy, Server};

/// `--nul`: what to do with a NUL octet in message data.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
enum Nul {
    /// Refuse the message with `554 5.6.0`; the session goes on (RFC 5322 2.3: NUL is
    /// not message text, and software that strips it can be led to a false end of data).
    #[default]
    Reject,
    /// Deliver it as sent: only for a Maildir read by programs that keep every octet.
    Accept,
}

/// An SMTP or LMTP server delivering every accepted message into a Maildir.
#[derive(Parser, Debug)]
#[command(name = "smtp_server", version)]
struct Cli {
    #[command(flatten)]
    net: ServerArgs,
    /// Maildir to deliver into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "Maildir")]
    maildir: std::path::PathBuf,
    /// The server's name in the greeting and in `Received:` lines.
    #[arg(long, value_name = "NAME", value_parser = parse_domain)]
    hostname: Option<Domain>,
    /// SIZE limit in octets (RFC 1870).
    #[arg(long, value_name = "OCTETS", default_value_t = 64 << 20)]
    max_size: u64,
    /// Do not offer PIPELINING (RFC 2920).
    #[arg(long)]
    no_pipelining: bool,
    /// Do not offer CHUNKING/BDAT (RFC 3030).
    #[arg(long)]
    no_chunking: bool,
    /// Speak LMTP (RFC 2033): LHLO, and one reply per recipient after the data.
    #[arg(long)]
    lmtp: bool,
    /// A NUL octet in DATA or BDAT (not BODY=BINARYMIME): refuse the message (554 5.6.0)
    /// or deliver it.
    #[arg(long, value_enum, default_value_t = Nul::Reject)]
    nul: Nul,
    /// Accept these credentials with AUTH PLAIN and LOGIN (RFC 4954).
    #[arg(long, value_name = "USER:PASSWORD", value_parser = parse_credentials)]
    auth: Option<Credentials>,
    /// Offer AUTH on connections without TLS too (passwords in the clear: loopback
    /// tests only).
    #[arg(long, requires = "auth")]
    allow_plaintext_auth: bool,
    /// Never fsync: 250 is then said before the message is durable, and a crash of the
    /// machine can lose acknowledged mail. For measuring the protocol path only.
    #[arg(long)]
    no_fsync: bool,
}

fn parse_domain(s: &str) -> Result<Domain, String> {
    Domain::parse(s).map_err(|e| e.to_string())
}

fn parse_credentials(s: &str) -> Result<Credentials, String> {
    let (u, p) = s.split_once(':').ok_or("needs USER:PASSWORD")?;
    Ok(Credentials::new(u, p))
}

fn main() -> std::io::Result<()> {
    let args = Cli::parse();
    let mut opts = ServerOptions::new(&args.maildir);
    if let Some(h) = args.hostname {
        opts.hostname = h;
    }
    opts.max_size = Some(args.max_size);
    opts.pipelining = !args.no_pipelining;
    opts.chunking = !args.no_chunking;
    opts.lmtp = args.lmtp;
    opts.nul = match args.nul {
        Nul::Reject => NulPolicy::Reject,
        Nul::Accept => NulPolicy::Accept,
    };
    opts.verbose = args.net.verbose;
    opts.auth = args.auth;
    opts.auth_without_tls = args.allow_plaintext_auth;
    opts.tls = args.net.tls_config()?;
    opts.net = args.net.clone();
    if args.no_fsync {
        eprintln!("smtp_server: --no-fsync: 250 does not mean the message is on disk");
        opts.storage = std::sync::Arc::new(support::maildir::NoSync);
    }
    // Fail early on an unwritable Maildir rather than per connection; it is not
    // created again later (a Maildir that vanishes is a 451 until it is back).
    let maildir = support::maildir::Maildir::create(&opts.maildir)?;
    // What killed deliveries of this host left in tmp/ (never anything that got a 250:
    // only files in new/ did), and anything untouched for 36 hours (maildir(5)).
    let cleaned = maildir.clean_tmp()?;
    if cleaned.dead_process + cleaned.stale > 0 {
        eprintln!(
            "maildir {}: removed {} leftover file(s) from tmp/ ({} of a dead process, {} stale)",
            opts.maildir.display(),
            cleaned.dead_process + cleaned.stale,
            cleaned.dead_process,
            cleaned.stale
        );
    }
    let addr = args.net.addr_or("127.0.0.1:2525");
    let busy_config = opts.config();
    support::caps::serve(
        &args.net,
        &addr,
        64 * 1024,
        opts.tls.clone(),
        move || Server::too_busy(busy_config.clone()),
        server_setup(opts),
    )
}

//! Sends one message, like Python's `smtplib.sendmail`, printing each server reply.
//!
//! `cargo run --example smtp_send -- --addr HOST:PORT --from A --to B [--to C] [FILE]
//!  [--helo NAME] [--lmtp] [--no-pipelining] [--no-chunking] [--auth USER:PASSWORD]
//!  [--tls implicit | --starttls require|opportunistic | --no-tls] [--ca FILE]
//!  [--allow-plaintext-auth] [--driver std|mio|tokio] [--count N] [--quiet]`
//!
//! TLS: the default is `--starttls opportunistic` (STARTTLS whenever the server offers
//! it, RFC 3207); `--starttls require` sends no credential and no mail unless STARTTLS
//! succeeds; `--tls implicit` is TLS from the first byte (RFC 8314, port 465);
//! `--no-tls` never asks. The server's certificate is always verified, against the
//! system roots or `--ca FILE`, with the host name of `--addr` (or `--tls-name`):
//! a certificate that fails verification ends the connection, it is never used
//! unverified. AUTH is never sent on a plaintext connection unless
//! `--allow-plaintext-auth`.
//!
//! The message (FILE, or stdin) is sent as it is: bare LF and CR become CRLF on the wire
//! and lines starting with '.' are dot-stuffed, streamed in constant memory. A message
//! with 8-bit octets is declared `BODY=8BITMIME`; if the server does not offer it, that
//! is an error before anything is sent. The exit status is 0 only if the message was
//! accepted for every recipient given (in LMTP: delivered for every recipient); 1 if it
//! was refused or not sent; 75 (EX_TEMPFAIL) if the connection was lost after the end of
//! the data and before its reply, when it may or may not have been delivered. On a
//! failure each recipient's reply (or "no reply") is printed to stderr.
//!
//! `--count N` sends the message N times, one transaction after another in the one
//! session, each as soon as the last one's reply is in: a load generator that pipelines
//! (with PIPELINING and CHUNKING, a transaction is one write and one round trip;
//! `benches/smtp_load.sh` runs 20 at once). The exit status is then 0 only if every copy
//! was accepted for every recipient; otherwise the first that was not is reported.

mod support;

use clap::{Parser, ValueEnum};
use std::io::{Read, Seek};
use std::path::PathBuf;
use support::cli::{ClientDriverArgs, ClientTlsArgs};
use support::smtp_io::{scan, send_messages_on, ClientTls, Dir, TlsPolicy};
use wirestate::smtp::{Body, ClientConfig, Credentials, Envelope, ForwardPath, Host, ReversePath};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Implicit {
    /// TLS from the first byte (SMTPS, port 465).
    Implicit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StartTls {
    /// Fail, before any credential or mail is sent, unless STARTTLS succeeds.
    Require,
    /// Use STARTTLS when offered, plaintext otherwise.
    Opportunistic,
}

/// Sends one message over SMTP or LMTP, printing each server reply.
#[derive(Parser, Debug)]
#[command(name = "smtp_send", version)]
struct Cli {
    /// Server to connect to.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:25")]
    addr: String,
    /// Envelope sender, bare (`a@example.org`); empty for the null path `<>`.
    #[arg(long, value_name = "ADDRESS")]
    from: String,
    /// Envelope recipient, bare; repeat for more.
    #[arg(long, value_name = "ADDRESS", required = true)]
    to: Vec<String>,
    /// The message; stdin if not given.
    file: Option<PathBuf>,
    /// Name to send with EHLO/LHLO.
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    helo: String,
    /// Speak LMTP (RFC 2033): LHLO, and one reply per recipient after the data.
    #[arg(long)]
    lmtp: bool,
    /// Do not pipeline even if PIPELINING is offered.
    #[arg(long)]
    no_pipelining: bool,
    /// Do not use BDAT even if CHUNKING is offered.
    #[arg(long)]
    no_chunking: bool,
    /// Log in with AUTH PLAIN (or LOGIN) after EHLO.
    #[arg(long, value_name = "USER:PASSWORD")]
    auth: Option<String>,
    /// Send --auth credentials even on a connection without TLS.
    #[arg(long, requires = "auth")]
    allow_plaintext_auth: bool,
    /// `implicit`: TLS from the first byte.
    #[arg(long, value_enum, conflicts_with_all = ["starttls", "no_tls"])]
    tls: Option<Implicit>,
    /// STARTTLS policy [default: opportunistic].
    #[arg(long, value_enum, conflicts_with = "no_tls")]
    starttls: Option<StartTls>,
    /// Never use TLS.
    #[arg(long)]
    no_tls: bool,
    /// Name to verify the server's certificate against [default: the host of --addr].
    #[arg(long, value_name = "NAME")]
    tls_name: Option<String>,
    #[command(flatten)]
    ca: ClientTlsArgs,
    #[command(flatten)]
    driver: ClientDriverArgs,
    /// Send the message N times, one transaction after another in this session (a load
    /// generator); every copy must be accepted.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    count: u32,
    /// Print nothing but errors.
    #[arg(long)]
    quiet: bool,
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("smtp_send: {msg}");
    std::process::exit(1)
}

fn main() {
    let args = Cli::parse();
    let from = &args.from;
    let to = &args.to;
    // Addresses are given bare, as to sendmail; UTF-8 is allowed and then needs SMTPUTF8.
    let from = if from.is_empty() {
        ReversePath::Null
    } else {
        ReversePath::parse_prefix(&format!("<{from}>"), true)
            .unwrap_or_else(|e| fail(format!("--from {from}: {e}")))
            .0
    };
    let recipients: Vec<ForwardPath> = to
        .iter()
        .map(|t| {
            ForwardPath::parse_prefix(&format!("<{t}>"), true)
                .unwrap_or_else(|e| fail(format!("--to {t}: {e}")))
                .0
        })
        .collect();

    // A file is scanned for 8-bit octets first and then streamed; stdin is read into
    // memory because it cannot be read twice.
    let (body, (eight_bit, size)): (Box<dyn Read>, (bool, u64)) = match &args.file {
        Some(path) => {
            let shown = path.display();
            let mut f = std::fs::File::open(path).unwrap_or_else(|e| fail(format!("{shown}: {e}")));
            let found = scan(&mut f).unwrap_or_else(|e| fail(format!("{shown}: {e}")));
            f.rewind().unwrap_or_else(|e| fail(format!("{shown}: {e}")));
            (Box::new(std::io::BufReader::new(f)), found)
        }
        None => {
            let mut all = Vec::new();
            std::io::stdin()
                .read_to_end(&mut all)
                .unwrap_or_else(|e| fail(format!("stdin: {e}")));
            let found = scan(&mut all.as_slice()).unwrap_or_else(|e| fail(format!("stdin: {e}")));
            (Box::new(std::io::Cursor::new(all)), found)
        }
    };
    let mut env = Envelope::new(from, recipients);
    if eight_bit {
        env.params.body = Some(Body::EightBitMime);
    }
    // Sent only if the server offers SIZE; one over its limit fails before sending.
    env.params.size = Some(size);

    let helo = Host::parse(&args.helo, false).unwrap_or_else(|e| fail(format!("--helo: {e}")));
    let mut cfg = ClientConfig::with_hello(helo);
    cfg.lmtp = args.lmtp;
    cfg.pipelining = !args.no_pipelining;
    cfg.chunking = !args.no_chunking;
    if let Some(a) = &args.auth {
        let (u, p) = a
            .split_once(':')
            .unwrap_or_else(|| fail("--auth needs USER:PASSWORD"));
        cfg.credentials = Some(Credentials::new(u, p));
        cfg.auth_without_tls = args.allow_plaintext_auth;
    }
    let policy = match (args.tls, args.starttls, args.no_tls) {
        (Some(Implicit::Implicit), _, _) => TlsPolicy::Implicit,
        (_, _, true) => TlsPolicy::None,
        (_, Some(StartTls::Require), _) => TlsPolicy::Require,
        (_, Some(StartTls::Opportunistic), _) | (None, None, false) => TlsPolicy::Opportunistic,
    };
    let tls = if policy == TlsPolicy::None {
        None
    } else {
        let config = args.ca.config().unwrap_or_else(|e| fail(e));
        let name = ClientTlsArgs::server_name(args.tls_name.as_deref().unwrap_or(&args.addr))
            .unwrap_or_else(|e| fail(format!("TLS name: {e}")));
        Some(ClientTls {
            policy,
            config,
            name,
        })
    };
    let quiet = args.quiet;
    let addr = &args.addr;
    let mut print = |dir: Dir, line: &str| {
        if dir == Dir::Server && !quiet {
            println!("{line}");
        }
    };
    // The body streams through the generic driver, paced by the machine's wants_body.
    let driver = args.driver.driver;
    if args.count > 1 {
        send_copies(driver, addr, cfg, tls, env, body, args.count, &mut print);
        return;
    }
    let (reports, result) =
        send_messages_on(driver, addr, cfg, tls, vec![(env, body)], Some(&mut print));
    let Some(report) = reports.into_iter().next() else {
        match result {
            Err(e) => fail(format!("{addr}: {e}; the message was not sent")),
            Ok(()) => fail("no transaction took place"),
        }
    };
    // What each recipient was told, when anything went wrong.
    let recipients = || {
        for (i, t) in to.iter().enumerate() {
            let rcpt = report.recipients.iter().find(|(n, _)| *n == i);
            let lmtp = report.deliveries.iter().find(|(n, _)| *n == i);
            match (rcpt, lmtp) {
                (_, Some((_, r))) => eprintln!("smtp_send: {t}: after the data: {r}"),
                (Some((_, r)), None) => eprintln!("smtp_send: {t}: {r}"),
                (None, None) => eprintln!("smtp_send: {t}: no reply"),
            }
        }
    };
    if let Some(r) = &report.failed {
        recipients();
        fail(format!("message refused: {r}"));
    }
    let refused: Vec<String> = report
        .recipients
        .iter()
        .chain(report.deliveries.iter())
        .filter(|(_, r)| !r.code().is_positive())
        .map(|(i, r)| format!("{}: {r}", to[*i]))
        .collect();
    match (&report.sent, result) {
        (Some(_), Err(e)) => {
            // Accepted first: the lost QUIT changes nothing about the message.
            eprintln!("smtp_send: the message was accepted; then: {e}");
        }
        (None, Err(e)) if report.data_ended => {
            recipients();
            eprintln!(
                "smtp_send: {e} after the end of the data and before its reply: the message \
                 may or may not have been delivered (RFC 5321 6.1: resending may duplicate it)"
            );
            std::process::exit(75)
        }
        (None, Err(e)) => {
            recipients();
            fail(format!("{e}; the message was not sent"));
        }
        _ => {}
    }
    if !refused.is_empty() {
        fail(format!("some recipients refused: {}", refused.join("; ")));
    }
    if report.sent.is_none() {
        fail("message not accepted");
    }
}

/// `--count`: the body read once into memory and sent `count` times in one session;
/// exits 1 at the first copy that was not accepted for every recipient.
#[allow(clippy::too_many_arguments)]
fn send_copies(
    driver: support::cli::Driver,
    addr: &str,
    cfg: ClientConfig,
    tls: Option<ClientTls>,
    env: Envelope,
    mut body: Box<dyn Read>,
    count: u32,
    print: &mut dyn FnMut(Dir, &str),
) {
    let mut all = Vec::new();
    body.read_to_end(&mut all)
        .unwrap_or_else(|e| fail(format!("reading the message: {e}")));
    let all = bytes::Bytes::from(all);
    let copies = (0..count)
        .map(|_| {
            let body: Box<dyn Read> = Box::new(std::io::Cursor::new(all.clone()));
            (env.clone(), body)
        })
        .collect();
    let (reports, result) = send_messages_on(driver, addr, cfg, tls, copies, Some(print));
    let refusal = |r: &support::smtp_io::SendReport| {
        r.failed.clone().or_else(|| {
            r.recipients
                .iter()
                .chain(r.deliveries.iter())
                .find(|(_, reply)| !reply.code().is_positive())
                .map(|(_, reply)| reply.clone())
        })
    };
    let accepted = reports
        .iter()
        .take_while(|r| r.sent.is_some() && refusal(r).is_none())
        .count();
    if accepted == count as usize {
        if let Err(e) = result {
            // Every copy accepted: the lost QUIT changes nothing about them.
            eprintln!("smtp_send: all {count} copies were accepted; then: {e}");
        }
        return;
    }
    let copy = accepted + 1;
    match reports.get(accepted).and_then(refusal) {
        Some(r) => fail(format!("copy {copy} of {count} refused: {r}")),
        None => fail(format!(
            "{addr}: {}; copy {copy} of {count} was not accepted",
            result
                .err()
                .map_or("the session ended".to_string(), |e| e.to_string())
        )),
    }
}

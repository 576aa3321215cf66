//! Sends one message, like Python's `smtplib.sendmail`, printing each server reply.
//!
//! `cargo run --example smtp_send -- --addr HOST:PORT --from A --to B [--to C] [FILE]
//!  [--helo NAME] [--no-pipelining] [--no-chunking] [--auth USER:PASSWORD] [--quiet]`
//!
//! The message (FILE, or stdin) is sent as it is: bare LF and CR become CRLF on the wire
//! and lines starting with '.' are dot-stuffed, streamed in constant memory. A message
//! with 8-bit octets is declared `BODY=8BITMIME`; if the server does not offer it, that
//! is an error before anything is sent. The exit status is 0 only if the message was
//! accepted for every recipient given.

mod support;

use std::io::{Read, Seek};
use support::smtp_io::{scan, send_messages, Dir};
use support::Args;
use wirestate::smtp::{Body, ClientConfig, Credentials, Envelope, ForwardPath, Host, ReversePath};

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("smtp_send: {msg}");
    std::process::exit(1)
}

fn main() {
    let args = Args::parse(&["no-pipelining", "no-chunking", "quiet"]);
    let addr = args.addr("127.0.0.1:25");
    let from = args
        .get("from")
        .unwrap_or_else(|| fail("--from is required"));
    let to = args.get_all("to");
    if to.is_empty() {
        fail("at least one --to is required");
    }
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
    let (body, (eight_bit, size)): (Box<dyn Read>, (bool, u64)) = match args.positional.first() {
        Some(path) => {
            let mut f = std::fs::File::open(path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
            let found = scan(&mut f).unwrap_or_else(|e| fail(format!("{path}: {e}")));
            f.rewind().unwrap_or_else(|e| fail(format!("{path}: {e}")));
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

    let helo = Host::parse(args.get("helo").unwrap_or("localhost"), false)
        .unwrap_or_else(|e| fail(format!("--helo: {e}")));
    let mut cfg = ClientConfig::with_hello(helo);
    cfg.pipelining = !args.has("no-pipelining");
    cfg.chunking = !args.has("no-chunking");
    if let Some(a) = args.get("auth") {
        let (u, p) = a
            .split_once(':')
            .unwrap_or_else(|| fail("--auth needs USER:PASSWORD"));
        cfg.credentials = Some(Credentials::new(u, p));
        cfg.auth_without_tls = true;
    }
    let quiet = args.has("quiet");
    let mut stream = std::net::TcpStream::connect(&addr)
        .unwrap_or_else(|e| fail(format!("connect {addr}: {e}")));
    let mut print = |dir: Dir, line: &str| {
        if dir == Dir::Server && !quiet {
            println!("{line}");
        }
    };
    // The body streams through the generic driver, paced by the machine's wants_body.
    let reports = send_messages(&mut stream, cfg, vec![(env, body)], Some(&mut print))
        .unwrap_or_else(|e| fail(e));
    let report = reports
        .into_iter()
        .next()
        .unwrap_or_else(|| fail("no transaction took place"));
    if let Some(r) = &report.failed {
        fail(format!("message refused: {r}"));
    }
    let refused: Vec<String> = report
        .recipients
        .iter()
        .filter(|(_, r)| !r.code().is_positive())
        .map(|(i, r)| format!("{}: {r}", to[*i]))
        .collect();
    if !refused.is_empty() {
        fail(format!("some recipients refused: {}", refused.join("; ")));
    }
    if report.sent.is_none() {
        fail("message not accepted");
    }
}

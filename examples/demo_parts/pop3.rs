//! The POP3 part of `cargo run --example demo`: serve the Maildir the SMTP part delivered
//! into, fetch every message with the client machine, print the dialogue and the headers
//! of each message retrieved.

use crate::support::maildrop::{deliver, ensure_maildir, scan, serve, DiskFiles, Settings};
use crate::support::pop3_client::{fetch_all, FetchOptions};
use std::io::{self, BufRead};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

const SAMPLE: &[u8] = b"From: demo <demo@localhost>\n\
To: demo <demo@localhost>\n\
Subject: a sample message for the POP3 demo\n\
Message-ID: <pop3-demo@localhost>\n\
\n\
Nothing had been delivered yet, so the POP3 part put this here itself.\n\
.A line starting with a dot travels dot-stuffed.\n";

pub fn run(work_dir: &Path) -> io::Result<()> {
    let maildir = work_dir.join("Maildir");
    ensure_maildir(&maildir)?;
    if scan(&maildir)?.is_empty() {
        deliver(&maildir, SAMPLE)?;
        println!("(the Maildir was empty: delivered a sample message)");
    }
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let settings = Settings {
        maildir: maildir.clone(),
        user: "demo".into(),
        pass: "demo".into(),
        server_name: "localhost".into(),
        stls: false,
        plaintext_auth: true,
        proxy_protocol: false,
        verbose: false,
        files: Arc::new(DiskFiles),
    };
    // The server thread runs until the demo process exits.
    std::thread::spawn(move || serve(listener, settings));
    println!("POP3 server on {addr} serving {}", maildir.display());

    let out_dir = work_dir.join("pop3-fetched");
    let fetched = fetch_all(
        &addr,
        &FetchOptions {
            user: "demo",
            pass: &"demo".into(),
            tls: crate::support::pop3_client::TlsMode::None,
            // The demo talks to its own server on loopback.
            allow_plaintext_auth: true,
            out_dir: &out_dir,
            delete: false,
            verbose: true,
            driver: crate::support::cli::Driver::Std,
        },
    )?;
    println!();
    for f in &fetched {
        println!(
            "message {} (unique-id {}, {} octets), headers:",
            f.msg,
            f.uid.as_deref().unwrap_or("-"),
            f.octets
        );
        let file = io::BufReader::new(std::fs::File::open(&f.path)?);
        for line in file.lines() {
            let line = line?;
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                break;
            }
            println!("  {line}");
        }
    }
    println!(
        "fetched {} message(s) into {}",
        fetched.len(),
        out_dir.display()
    );
    Ok(())
}

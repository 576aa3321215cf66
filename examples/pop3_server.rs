//! POP3 server for one Maildir:
//! `cargo run --example pop3_server -- --addr 127.0.0.1:1110 --maildir DIR --user U --pass P`
//!
//! Thread per connection; unique ids stay the same across sessions (the Maildir file name
//! before `:2,`); deletions happen only at QUIT; one session per maildrop (`-ERR [IN-USE]`).

mod support;

use support::maildrop::{ensure_maildir, serve, Settings};
use support::{std_io, Args};

fn main() -> std::io::Result<()> {
    let args = Args::parse(&[]);
    let need = |name: &str| {
        args.get(name).map(str::to_string).unwrap_or_else(|| {
            eprintln!(
                "usage: pop3_server --addr HOST:PORT --maildir DIR --user U --pass P [--name HOST]"
            );
            std::process::exit(2)
        })
    };
    let settings = Settings {
        maildir: need("maildir").into(),
        user: need("user"),
        pass: need("pass"),
        server_name: args.get("name").unwrap_or("localhost").to_string(),
    };
    ensure_maildir(&settings.maildir)?;
    let listener = std_io::bind(&args.addr("127.0.0.1:1110"))?;
    serve(listener, settings)
}

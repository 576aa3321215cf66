//! An SMTP server delivering every accepted message into a Maildir.
//!
//! `cargo run --example smtp_server -- --addr 127.0.0.1:2525 --maildir DIR
//!  [--hostname NAME] [--max-size OCTETS] [--no-pipelining] [--no-chunking]
//!  [--auth USER:PASSWORD] [--verbose]`
//!
//! One thread per connection (the std driver). A message is written to `DIR/tmp/`,
//! fsynced and renamed into `DIR/new/` before the 250; a client that disconnects
//! mid-DATA leaves nothing behind. `--verbose` prints every event; passwords show as
//! `<redacted>`.

mod support;

use support::smtp_io::{server_setup, ServerOptions};
use support::{std_io, Args};

fn main() -> std::io::Result<()> {
    let args = Args::parse(&["no-pipelining", "no-chunking", "verbose"]);
    let maildir = args.get("maildir").unwrap_or("Maildir");
    let mut opts = ServerOptions::new(maildir);
    if let Some(h) = args.get("hostname") {
        opts.hostname = wirestate::smtp::Domain::parse(h)
            .map_err(|e| std::io::Error::other(format!("--hostname: {e}")))?;
    }
    if let Some(n) = args.get("max-size") {
        opts.max_size = Some(
            n.parse()
                .map_err(|_| std::io::Error::other("--max-size needs a number"))?,
        );
    }
    opts.pipelining = !args.has("no-pipelining");
    opts.chunking = !args.has("no-chunking");
    opts.verbose = args.has("verbose");
    if let Some(a) = args.get("auth") {
        let (u, p) = a
            .split_once(':')
            .ok_or_else(|| std::io::Error::other("--auth needs USER:PASSWORD"))?;
        opts.auth = Some(wirestate::smtp::Credentials::new(u, p));
    }
    // Fail early on an unwritable Maildir rather than per connection.
    support::maildir::Maildir::create(&opts.maildir)?;
    let listener = std_io::bind(&args.addr("127.0.0.1:2525"))?;
    std_io::serve(listener, 64 * 1024, server_setup(opts))
}

//! SMTP part of the demo: our server on a loopback port delivering into
//! `work_dir/Maildir`, and our client sending it one message; the dialogue is printed
//! as `C:` / `S:` lines, then the delivered file's path.

use crate::support::smtp_io::{send_messages, server_setup, Dir, ServerOptions};
use crate::support::std_io;
use std::io;
use std::path::Path;
use wirestate::smtp::{ClientConfig, Envelope, ForwardPath, Host, ReversePath};

pub fn run(work_dir: &Path) -> io::Result<()> {
    let maildir = work_dir.join("Maildir");
    // Made once at start, as smtp_server does: a Maildir that vanishes later is a 451.
    crate::support::maildir::Maildir::create(&maildir)?;
    let opts = ServerOptions::new(&maildir);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    // The server thread ends with the demo process.
    std::thread::spawn(move || std_io::serve(listener, 64 * 1024, server_setup(opts)));
    println!(
        "== SMTP: client -> server on {addr}, delivering into {}",
        maildir.display()
    );

    let from = ReversePath::parse("<alice@example.org>").map_err(io::Error::other)?;
    let to = ForwardPath::parse("<bob@example.org>").map_err(io::Error::other)?;
    let body: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.org>\r\n\
Subject: Hello from wirestate\r\n\
\r\n\
Hi Bob,\r\n\
.this line starts with a dot and travels stuffed.\r\n\
Bye.\r\n";
    let mut stream = std::net::TcpStream::connect(addr)?;
    let mut config =
        ClientConfig::with_hello(Host::parse("client.example", false).map_err(io::Error::other)?);
    // DATA rather than BDAT, to show dot-stuffing on the wire.
    config.chunking = false;
    let mut print = |dir: Dir, line: &str| match dir {
        Dir::Client => println!("C: {line}"),
        Dir::Server => println!("S: {line}"),
    };
    let reports = send_messages(
        &mut stream,
        config,
        vec![(Envelope::new(from, vec![to]), Box::new(body))],
        Some(&mut print),
    )?;
    let reply = reports
        .first()
        .and_then(|r| r.sent.clone())
        .ok_or_else(|| io::Error::other("the message was not accepted"))?;
    // The 250 names the file: "Ok: queued as NAME".
    let name = reply
        .message()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    let path = maildir.join("new").join(&name);
    if !path.is_file() {
        return Err(io::Error::other(format!(
            "{} was not delivered",
            path.display()
        )));
    }
    println!("delivered: {}", path.display());
    Ok(())
}

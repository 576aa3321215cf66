//! The `mio` driver's delivery pool: a delivery's fsyncs run on a pool thread while the
//! event loop serves everyone else, and the connection whose delivery runs reads
//! nothing more until its `250` is out, so commands pipelined behind the data (RFC
//! 2920) are answered in order and only after that message is durable.
//!
//! A storage whose directory fsync blocks until the test lets it go stands for a slow
//! disk: while one delivery is held there, the test checks what the server has (not)
//! done.

#[path = "common/held_sync.rs"]
mod held_sync;
#[path = "../examples/support/mod.rs"]
mod support;

use held_sync::Held;
use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::maildir::Maildir;
use support::smtp_io::{server_setup, ServerOptions};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wirestate-offload-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    Maildir::create(&dir).unwrap();
    dir
}

/// Starts the Maildir server on the mio driver in this process.
fn mio_server(maildir: &Path, storage: Held) -> std::net::SocketAddr {
    let mut opts = ServerOptions::new(maildir);
    opts.storage = Arc::new(storage);
    let listener = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || support::mio_io::serve(listener, 64 * 1024, server_setup(opts)));
    addr
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn connect(addr: std::net::SocketAddr) -> Client {
        let w = TcpStream::connect(addr).unwrap();
        w.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Client {
            r: BufReader::new(w.try_clone().unwrap()),
            w,
        }
    }

    /// One reply's code (the code of its last line).
    fn reply(&mut self) -> u16 {
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line).unwrap();
            assert!(line.len() >= 4, "short reply line {line:?}");
            if line.as_bytes()[3] == b' ' {
                return line[..3].parse().unwrap();
            }
        }
    }

    /// Whether any reply byte arrives within `wait`.
    fn silent_for(&mut self, wait: Duration) -> bool {
        if !self.r.buffer().is_empty() {
            return false;
        }
        self.w.set_read_timeout(Some(wait)).unwrap();
        let got = self.r.fill_buf().map(|b| b.len());
        self.w
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        match got {
            Ok(_) => false,
            Err(e) => matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
        }
    }
}

fn transaction(tag: &str) -> String {
    format!(
        "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n\
         Subject: {tag}\r\n\r\n{tag} body\r\n.\r\n"
    )
}

/// Two transactions and QUIT in one write: the first delivery is held in its directory
/// fsync. Meanwhile another connection is served (on the old driver the one loop sat in
/// that fsync, and this failed), the held connection's second transaction is not even
/// started (no file of it in `tmp/`: the pipelined commands were not read), and no
/// reply after the first 354 comes out. Once the fsync is let go, every reply comes, in
/// order, and both messages are in `new/`.
#[test]
fn pipelined_commands_after_data_wait_for_the_delivery_on_mio() {
    let dir = scratch("pipelined");
    let held = Held::default();
    let gate = held.0.clone();
    let addr = mio_server(&dir, held);

    let mut a = Client::connect(addr);
    assert_eq!(a.reply(), 220);
    write!(a.w, "EHLO a\r\n").unwrap();
    assert_eq!(a.reply(), 250);
    let burst = format!("{}{}QUIT\r\n", transaction("first"), transaction("second"));
    a.w.write_all(burst.as_bytes()).unwrap();
    assert_eq!([a.reply(), a.reply(), a.reply()], [250, 250, 354]);
    gate.wait_entered(1);

    // Another connection is served while the delivery is held.
    let mut b = Client::connect(addr);
    assert_eq!(b.reply(), 220, "a second connection waited for a delivery");
    write!(b.w, "EHLO b\r\nNOOP\r\n").unwrap();
    assert_eq!([b.reply(), b.reply()], [250, 250]);

    // The held connection: no 250 before the fsync, and nothing after the data read.
    assert!(
        a.silent_for(Duration::from_millis(300)),
        "a reply came before the fsync"
    );
    assert_eq!(
        files(&dir.join("new")).len(),
        1,
        "the first message is renamed"
    );
    assert_eq!(
        files(&dir.join("tmp")),
        Vec::<PathBuf>::new(),
        "the second transaction was started while the first delivery was pending"
    );

    gate.open();
    let rest: Vec<u16> = (0..6).map(|_| a.reply()).collect();
    assert_eq!(rest, [250, 250, 250, 354, 250, 221]);
    let new = files(&dir.join("new"));
    assert_eq!(new.len(), 2);
    let bodies: Vec<String> = new.iter().map(|p| fs::read_to_string(p).unwrap()).collect();
    assert!(bodies.iter().any(|b| b.contains("first body")));
    assert!(bodies.iter().any(|b| b.contains("second body")));
    assert_eq!(files(&dir.join("tmp")), Vec::<PathBuf>::new());
    let _ = fs::remove_dir_all(&dir);
}

/// A client that leaves while its delivery is held: the server goes on serving, the
/// delivery still finishes (the message is in `new/`, whole: a client that saw no 250
/// resends it, a duplicate and never a loss), its answer to the closed connection is
/// dropped, and the next connection sees only its own replies.
#[test]
fn a_client_gone_during_its_delivery_leaves_the_server_serving() {
    let dir = scratch("gone");
    let held = Held::default();
    let gate = held.0.clone();
    let addr = mio_server(&dir, held);

    let mut a = Client::connect(addr);
    assert_eq!(a.reply(), 220);
    write!(a.w, "EHLO a\r\n{}", transaction("left")).unwrap();
    assert_eq!(
        [a.reply(), a.reply(), a.reply(), a.reply()],
        [250, 250, 250, 354]
    );
    gate.wait_entered(1);
    drop(a);

    let mut c = Client::connect(addr);
    assert_eq!(c.reply(), 220);
    write!(c.w, "EHLO c\r\nNOOP\r\n").unwrap();
    assert_eq!([c.reply(), c.reply()], [250, 250]);
    gate.open();
    write!(c.w, "{}QUIT\r\n", transaction("after")).unwrap();
    let replies: Vec<u16> = (0..5).map(|_| c.reply()).collect();
    assert_eq!(replies, [250, 250, 354, 250, 221]);
    assert_eq!(files(&dir.join("new")).len(), 2);
    assert_eq!(files(&dir.join("tmp")), Vec::<PathBuf>::new());
    let _ = fs::remove_dir_all(&dir);
}

//! `pop3_server --proxy-protocol` behind a load balancer, played by a raw socket: the
//! client address from a PROXY v1 header reaches the log line, and a connection without
//! a header is refused without a word of POP3.

mod common;

use common::{example_bin, ChildGuard};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn read_line(s: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        match s.read(&mut b) {
            Ok(1) => line.push(b[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// Starts the server and returns it, its port and its stderr lines as they come.
fn start(dir: &std::path::Path, driver: &str) -> (ChildGuard, u16, mpsc::Receiver<String>) {
    let mut child = Command::new(example_bin("pop3_server"))
        .arg("--maildir")
        .arg(dir)
        .args(["--user", "alice", "--pass", "s3cret", "--proxy-protocol"])
        .args(["--driver", driver, "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("server: {line}");
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    let addr: std::net::SocketAddr = first
        .strip_prefix("listening on ")
        .expect("listening line")
        .parse()
        .unwrap();
    (ChildGuard(child), addr.port(), rx)
}

fn wait_for(rx: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no log line with {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

#[test]
fn proxy_v1_client_address_is_logged_and_headerless_connections_are_refused() {
    for driver in ["std", "mio", "tokio"] {
        let dir = std::env::temp_dir().join(format!(
            "wirestate-pop3-proxy-{driver}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("new")).unwrap();
        std::fs::write(
            dir.join("new/1700000001.M1P1.test"),
            b"Subject: x\n\nbody\n",
        )
        .unwrap();
        let (_server, port, log) = start(&dir, driver);

        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 110\r\n")
            .unwrap();
        assert!(read_line(&mut s).starts_with("+OK"), "{driver}: greeting");
        s.write_all(b"USER alice\r\nPASS s3cret\r\n").unwrap();
        assert!(read_line(&mut s).starts_with("+OK"), "{driver}");
        assert!(read_line(&mut s).starts_with("+OK alice's maildrop has 1"));
        s.write_all(b"STAT\r\nQUIT\r\n").unwrap();
        assert!(read_line(&mut s).starts_with("+OK 1 "), "{driver}");
        assert!(read_line(&mut s).contains("signing off"), "{driver}");
        let line = wait_for(&log, "logged in");
        assert!(
            line.contains("pop3: 192.0.2.7:40000 logged in as alice"),
            "{driver}: {line}"
        );

        // No header: no greeting, the connection is closed.
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"USER alice\r\n").unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap_or(0);
        assert_eq!(
            n,
            0,
            "{driver}: got {:?}",
            String::from_utf8_lossy(&buf[..n])
        );
        let line = wait_for(&log, "refused");
        assert!(line.contains("127.0.0.1"), "{driver}: {line}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

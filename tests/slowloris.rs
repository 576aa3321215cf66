//! Slow clients (slowloris): many connections that each send one byte per second and
//! never finish a command, against every server program on the mio and tokio drivers,
//! while a normal client keeps doing whole transactions.
//!
//! Checked: every normal transaction completes; the slow connections are cut by the
//! protocol's idle timeout with the protocol's reply (greeting: closed after its
//! welcome; HTTP `408`; SMTP `421 4.4.2`); the server's RSS per held connection stays
//! under the protocol's bound (`max_rss_per_conn`). POP3's autologout cannot be shorter than RFC 1939's 10
//! minutes, so its slow connections are held for the run and the normal client must
//! still be served; that the autologout cuts a dripping client is shown on the virtual
//! clock (`*_drip_is_cut_on_the_virtual_clock`), as it is for every protocol.
//!
//! Reported (stderr, `--nocapture`): the normal client's latency (median, max), how many
//! slow connections were cut and with what, and RSS before and while holding them.
//!
//! Short form (in `cargo test`): 200 slow connections, `--idle-timeout 2`. Full length:
//! `WIRESTATE_SLOW=5000` (connections) and `WIRESTATE_SLOW_IDLE=30` (seconds; default 2,
//! or 30 when `WIRESTATE_SLOW` is over 1000, so connecting them all takes less than the
//! timeout).

mod common;

use common::{drain_bytes, example_bin, spawn_server};
use core::time::Duration;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Instant as Clock;
use wirestate::{Instant, Machine};

/// The loose bound on server memory per held slow connection: every machine's buffers
/// are bounded and grow only with input, so a connection that sent a few bytes costs a
/// few KiB (a tokio task and its read buffer, a socket, a machine, its small buffers).
const MAX_BYTES_PER_CONN: u64 = 64 * 1024;

fn slow_count() -> usize {
    std::env::var("WIRESTATE_SLOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

fn idle_secs(n: usize) -> u64 {
    std::env::var("WIRESTATE_SLOW_IDLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if n > 1000 { 30 } else { 2 })
}

/// One server program and how to talk to it.
struct Proto {
    name: &'static str,
    program: &'static str,
    /// Extra arguments, given a scratch directory.
    args: fn(&Path) -> Vec<String>,
    /// What a slow client sends first, a byte a second; then `a` forever. Never a line end.
    slow: &'static [u8],
    /// What a cut slow connection must have received, or `None` when the protocol's
    /// timeout is longer than the run (POP3).
    cut_reply: Option<&'static str>,
    /// One whole transaction of a normal client.
    transaction: fn(SocketAddr),
    /// The bound on the server's RSS per held slow connection.
    max_rss_per_conn: u64,
}

fn stream(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn read_line(r: &mut BufReader<TcpStream>) -> String {
    let mut l = String::new();
    r.read_line(&mut l).expect("a line from the server");
    assert!(l.ends_with('\n'), "the server closed mid-line: {l:?}");
    l
}

/// An SMTP reply: lines until one with a space after the code.
fn smtp_reply(r: &mut BufReader<TcpStream>) -> String {
    loop {
        let l = read_line(r);
        if l.as_bytes().get(3) != Some(&b'-') {
            return l;
        }
    }
}

fn greeting_transaction(addr: SocketAddr) {
    let s = stream(addr);
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    assert_eq!(read_line(&mut r), "Welcome!\n");
    w.write_all(b"Ada\n").unwrap();
    assert_eq!(read_line(&mut r), "Hello, Ada!\n");
    w.write_all(b"exit\n").unwrap();
}

fn http_transaction(addr: SocketAddr) {
    let mut s = stream(addr);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    assert!(
        all.starts_with(b"HTTP/1.1 "),
        "{:?}",
        String::from_utf8_lossy(&all)
    );
}

fn smtp_transaction(addr: SocketAddr) {
    let s = stream(addr);
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    assert!(smtp_reply(&mut r).starts_with("220 "));
    for (cmd, code) in [
        ("EHLO normal.example\r\n", "250"),
        ("MAIL FROM:<a@example.org>\r\n", "250"),
        ("RCPT TO:<b@example.org>\r\n", "250"),
        ("DATA\r\n", "354"),
        ("Subject: hi\r\n\r\nbody\r\n.\r\n", "250"),
        ("QUIT\r\n", "221"),
    ] {
        w.write_all(cmd.as_bytes()).unwrap();
        let reply = smtp_reply(&mut r);
        assert!(reply.starts_with(code), "{cmd:?} -> {reply:?}");
    }
}

fn pop3_transaction(addr: SocketAddr) {
    let s = stream(addr);
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    assert!(read_line(&mut r).starts_with("+OK"));
    for cmd in ["USER u\r\n", "PASS p\r\n", "STAT\r\n", "QUIT\r\n"] {
        w.write_all(cmd.as_bytes()).unwrap();
        let l = read_line(&mut r);
        assert!(l.starts_with("+OK"), "{cmd:?} -> {l:?}");
    }
}

const GREETING: Proto = Proto {
    name: "greeting",
    program: "greeting_server",
    args: |_| vec!["--framing".into(), "line".into()],
    slow: b"Zo",
    cut_reply: Some("Welcome!\n"),
    transaction: greeting_transaction,
    max_rss_per_conn: MAX_BYTES_PER_CONN,
};

const HTTP: Proto = Proto {
    name: "http",
    program: "http_server",
    args: |dir| vec!["--root".into(), dir.display().to_string()],
    slow: b"GET /",
    cut_reply: Some("HTTP/1.1 408"),
    transaction: http_transaction,
    max_rss_per_conn: MAX_BYTES_PER_CONN,
};

const SMTP: Proto = Proto {
    name: "smtp",
    program: "smtp_server",
    args: |dir| {
        vec![
            "--maildir".into(),
            dir.join("Maildir").display().to_string(),
        ]
    },
    slow: b"EHLO ",
    cut_reply: Some("421 4.4.2"),
    transaction: smtp_transaction,
    max_rss_per_conn: MAX_BYTES_PER_CONN,
};

const POP3: Proto = Proto {
    name: "pop3",
    program: "pop3_server",
    args: |dir| {
        let md = dir.join("Maildir").display().to_string();
        ["--maildir", &md, "--user", "u", "--pass", "p"]
            .map(String::from)
            .to_vec()
    },
    slow: b"USER ",
    cut_reply: None,
    transaction: pop3_transaction,
    // The session's 64 KiB message-file buffer is made at the first RETR or TOP, so a
    // connection held before login costs what the others do.
    max_rss_per_conn: MAX_BYTES_PER_CONN,
};

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

struct Slow {
    s: TcpStream,
    sent: usize,
    got: Vec<u8>,
    /// Closed by the server (EOF or reset).
    cut: bool,
}

impl Slow {
    /// Reads what has arrived without blocking; notes EOF.
    fn read(&mut self) {
        let mut buf = [0u8; 1024];
        loop {
            match self.s.read(&mut buf) {
                Ok(0) => {
                    self.cut = true;
                    return;
                }
                Ok(n) => self.got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.cut = true;
                    return;
                }
            }
        }
    }

    fn drip(&mut self, prefix: &[u8]) {
        if self.cut {
            return;
        }
        let b = prefix.get(self.sent).copied().unwrap_or(b'a');
        match self.s.write(&[b]) {
            Ok(_) => self.sent += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => self.cut = true,
        }
    }
}

fn median_max(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], *v.last().unwrap())
}

fn run(p: &Proto, driver: &str) {
    let n = slow_count();
    let idle = idle_secs(n);
    let dir = std::env::temp_dir().join(format!(
        "wirestate-slowloris-{}-{driver}-{}",
        p.name,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("Maildir")).unwrap();
    let mut args = (p.args)(&dir);
    args.extend(["--driver".into(), driver.into()]);
    if p.cut_reply.is_some() {
        args.extend(["--idle-timeout".into(), idle.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (server, addr) = spawn_server(&example_bin(p.program), &args);
    let pid = server.0.id();
    (p.transaction)(addr); // warm up before the baseline
    let base = rss_bytes(pid);

    let start = Clock::now();
    let mut slow: Vec<Slow> = (0..n)
        .map(|_| {
            let s = TcpStream::connect(addr).expect("slow connect");
            s.set_nonblocking(true).unwrap();
            Slow {
                s,
                sent: 0,
                got: Vec::new(),
                cut: false,
            }
        })
        .collect();
    let connected = start.elapsed();

    // The normal client, meanwhile, until the slow phase ends.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let normal = {
        let done = done.clone();
        let t = p.transaction;
        std::thread::spawn(move || {
            let mut lat = Vec::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) || lat.is_empty() {
                let t0 = Clock::now();
                t(addr);
                lat.push(t0.elapsed());
                std::thread::sleep(Duration::from_millis(50));
            }
            lat
        })
    };

    // Drip a byte a second into every slow connection; sample RSS once all are
    // connected and have sent a byte, before any timeout can fire.
    let hold = match p.cut_reply {
        Some(_) => Duration::from_secs(idle + 8),
        None => Duration::from_secs(idle + 2),
    };
    let mut held_rss = 0;
    let mut tick = 0u32;
    while start.elapsed() < connected + hold {
        for c in slow.iter_mut() {
            c.drip(p.slow);
            c.read();
        }
        if tick == 0 {
            std::thread::sleep(Duration::from_millis(300));
            held_rss = rss_bytes(pid);
        }
        tick += 1;
        if p.cut_reply.is_some() && slow.iter().all(|c| c.cut) {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    for c in slow.iter_mut() {
        c.read();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let lat = normal.join().expect("every normal transaction completed");
    let (med, max) = median_max(lat.clone());
    let cut = slow.iter().filter(|c| c.cut).count();
    let per_conn = held_rss.saturating_sub(base) / n as u64;
    eprintln!(
        "slowloris {} on {driver}: {n} slow connections (connected in {connected:?}, idle \
         timeout {idle} s): {cut} cut; normal client {} transactions, latency median \
         {med:?}, max {max:?}; server RSS {} KiB before, {} KiB holding them: {per_conn} \
         bytes per connection",
        p.name,
        lat.len(),
        base / 1024,
        held_rss / 1024
    );
    match p.cut_reply {
        Some(reply) => {
            assert_eq!(
                cut, n,
                "{}: every slow connection is cut by the idle timeout",
                p.name
            );
            for c in &slow {
                let got = String::from_utf8_lossy(&c.got);
                assert!(got.contains(reply), "{}: a slow client got {got:?}", p.name);
            }
        }
        None => assert_eq!(
            cut, 0,
            "{}: held for the run (autologout is 10 min)",
            p.name
        ),
    }
    assert!(
        per_conn <= p.max_rss_per_conn,
        "{}: {per_conn} bytes of RSS per held connection",
        p.name
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn greeting_mio() {
    run(&GREETING, "mio");
}
#[test]
fn greeting_tokio() {
    run(&GREETING, "tokio");
}
#[test]
fn http_mio() {
    run(&HTTP, "mio");
}
#[test]
fn http_tokio() {
    run(&HTTP, "tokio");
}
#[test]
fn smtp_mio() {
    run(&SMTP, "mio");
}
#[test]
fn smtp_tokio() {
    run(&SMTP, "tokio");
}
#[test]
fn pop3_mio() {
    run(&POP3, "mio");
}
#[test]
fn pop3_tokio() {
    run(&POP3, "tokio");
}

// The same drip on the virtual clock, for each machine: one byte a second of a line
// that never ends is cut when the idle wait runs out, counted from the last whole line.

/// Feeds `first` (whole lines), then one byte every `every` virtual seconds; returns the
/// virtual time at which the machine closed and what it sent after `first`'s answers.
fn drip<M: Machine>(mut m: M, first: &[u8], every: u64, limit_secs: u64) -> (u64, Vec<u8>) {
    drain_bytes(&mut m);
    m.handle_input(Instant::ZERO, first);
    while m.poll_event().is_some() {}
    drain_bytes(&mut m);
    for t in (every..=limit_secs).step_by(every as usize) {
        let now = Instant::from_millis(t * 1000);
        m.handle_input(now, b"a");
        if m.poll_timeout().is_some_and(|d| d <= now) {
            m.handle_timeout(now);
        }
        while m.poll_event().is_some() {}
        if m.is_closed() {
            return (t, drain_bytes(&mut m));
        }
    }
    panic!("still open after {limit_secs} s of dripping");
}

#[test]
fn greeting_drip_is_cut_on_the_virtual_clock() {
    let mut c = wirestate::greeting::ServerConfig::new(wirestate::greeting::Framing::Line);
    c.timeouts.idle = Some(Duration::from_secs(10));
    let (t, _) = drip(wirestate::greeting::Server::new(c), b"Ada\n", 1, 60);
    assert_eq!(t, 10);
}

#[test]
fn http_drip_is_cut_on_the_virtual_clock() {
    let (t, out) = drip(
        wirestate::http::Server::new(Default::default()),
        b"GET /",
        1,
        120,
    );
    assert_eq!(t, 30);
    assert!(out.starts_with(b"HTTP/1.1 408"));
}

#[test]
fn smtp_drip_is_cut_on_the_virtual_clock() {
    let mut c = wirestate::smtp::ServerConfig::default();
    c.auto_accept_hello = true;
    let (t, out) = drip(wirestate::smtp::Server::new(c), b"EHLO c\r\nNOOP ", 1, 600);
    assert_eq!(
        t, 300,
        "RFC 5321 4.5.3.2.7: 5 minutes from the last command"
    );
    assert!(String::from_utf8_lossy(&out).starts_with("421 4.4.2"));
}

#[test]
fn pop3_drip_is_cut_on_the_virtual_clock() {
    let (t, out) = drip(
        wirestate::pop3::Server::new(Default::default()),
        // One byte every 3 s, so the line stays under RFC 2449's 255 octets.
        b"CAPA\r\nUSER ",
        3,
        1200,
    );
    assert_eq!(
        t, 600,
        "RFC 1939 section 3: 10 minutes from the last command"
    );
    assert!(out.is_empty(), "the autologout sends nothing");
}

//! Crash safety of `smtp_server`'s delivery, by test: several clients send messages
//! without pause while the server is killed with SIGKILL at random moments (seeded; the
//! seed is printed) and restarted, on the std, mio and tokio drivers in turn.
//!
//! What must hold, and how each message is counted from the client's side:
//! - **accepted** (the client read `250` after the final dot): in `new/` exactly once,
//!   byte for byte (after the trace fields the server prepends);
//! - **refused** (a reply other than 250 after the dot) or **not sent** (the connection
//!   broke before the final dot had been written): not in `new/`;
//! - **ambiguous** (the final dot was written but no reply came: the server was killed
//!   between reading the dot and the client reading the reply): at most once in `new/`,
//!   byte for byte if there. RFC 5321 6.1 lets a client resend such a message, so a
//!   duplicate is permitted there and a loss never is; these clients do not resend, so
//!   zero or one copy is what the server may leave.
//! - `tmp/` is empty at the end: what a kill leaves there is removed by the next start
//!   (files of a dead `smtp_server` of this host, see `Maildir::clean_tmp`).
//!
//! `WIRESTATE_KILLS=50` runs the full length (default 3 kills, seconds);
//! `WIRESTATE_SEED=N` repeats a run.

mod common;

use common::run::{env_u64, Rng};
use common::{example_bin, spawn_server, ChildGuard};
use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Outcome {
    Accepted,
    Refused,
    NotSent,
    Ambiguous,
}

/// A message body: a Message-ID to find it by, lines of random length, some starting
/// with a dot (so the unstuffing is checked too), CRLF ends as on the wire.
fn message(id: &str, rng: &mut Rng) -> String {
    let mut s = format!("Message-ID: <{id}@crash.test>\r\nSubject: {id}\r\n\r\n");
    for i in 0..rng.below(80) {
        if rng.below(8) == 0 {
            s.push('.');
        }
        let len = rng.below(120) as usize;
        let c = (b'a' + (i % 26) as u8) as char;
        s.push_str(&c.to_string().repeat(len));
        s.push_str("\r\n");
    }
    s
}

/// Dot-stuffing (RFC 5321 4.5.2).
fn stuffed(body: &str) -> String {
    body.split_inclusive("\r\n")
        .map(|l| {
            if l.starts_with('.') {
                format!(".{l}")
            } else {
                l.to_string()
            }
        })
        .collect()
}

struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let w = TcpStream::connect(addr)?;
        w.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut c = Conn {
            r: BufReader::new(w.try_clone()?),
            w,
        };
        c.expect(220)?;
        c.w.write_all(b"EHLO crash.test\r\n")?;
        c.expect(250)?;
        Ok(c)
    }

    fn reply(&mut self) -> std::io::Result<u16> {
        loop {
            let mut line = String::new();
            if self.r.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line.len() < 4 {
                return Err(std::io::Error::other(format!("bad reply {line:?}")));
            }
            if line.as_bytes()[3] == b' ' {
                return line[..3]
                    .parse()
                    .map_err(|_| std::io::Error::other(format!("bad reply {line:?}")));
            }
        }
    }

    fn expect(&mut self, code: u16) -> std::io::Result<()> {
        match self.reply()? {
            c if c == code => Ok(()),
            c => Err(std::io::Error::other(format!("got {c}, wanted {code}"))),
        }
    }

    /// One transaction; the outcome as the client can know it.
    fn send(&mut self, body: &str) -> Outcome {
        let before_dot = (|| -> std::io::Result<()> {
            self.w.write_all(b"MAIL FROM:<load@crash.test>\r\n")?;
            self.expect(250)?;
            self.w.write_all(b"RCPT TO:<box@crash.test>\r\n")?;
            self.expect(250)?;
            self.w.write_all(b"DATA\r\n")?;
            self.expect(354)?;
            self.w.write_all(stuffed(body).as_bytes())
        })();
        if before_dot.is_err() {
            return Outcome::NotSent;
        }
        if self.w.write_all(b".\r\n").is_err() {
            // Some of the dot may be out: the server may have the whole message.
            return Outcome::Ambiguous;
        }
        match self.reply() {
            Ok(250) => Outcome::Accepted,
            Ok(_) => Outcome::Refused,
            Err(_) => Outcome::Ambiguous,
        }
    }
}

/// One client: sends messages on one connection after another, reconnecting to
/// whichever server is up, until told to stop. Returns every message with its outcome.
fn client(
    n: usize,
    seed: u64,
    addr: Arc<Mutex<Option<SocketAddr>>>,
    stop: Arc<AtomicBool>,
) -> Vec<(String, String, Outcome)> {
    let mut rng = Rng(seed ^ (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut sent = Vec::new();
    let mut seq = 0;
    while !stop.load(Ordering::SeqCst) {
        let Some(a) = *addr.lock().unwrap() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        let Ok(mut conn) = Conn::open(a) else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        while !stop.load(Ordering::SeqCst) {
            let id = format!("c{n}-{seq}");
            seq += 1;
            let body = message(&id, &mut rng);
            let outcome = conn.send(&body);
            sent.push((id, body, outcome));
            if outcome != Outcome::Accepted && outcome != Outcome::Refused {
                break;
            }
        }
        if stop.load(Ordering::SeqCst) {
            let _ = conn.w.write_all(b"QUIT\r\n");
            let _ = conn.reply();
        }
    }
    sent
}

/// The message part of a delivered file: what follows the trace fields we prepend
/// (`Return-Path`, `Delivered-To`, `Received` and its continuation lines).
fn message_part(text: &str) -> &str {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let trace = ["Return-Path:", "Delivered-To:", "Received:", "\t"]
            .iter()
            .any(|p| line.starts_with(p));
        if !trace {
            break;
        }
        at += line.len();
    }
    &text[at..]
}

fn files(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn killed_at_random_moments_loses_nothing_that_got_250() {
    let kills = env_u64("WIRESTATE_KILLS").unwrap_or(3);
    let seed = env_u64("WIRESTATE_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1
    });
    eprintln!("crash_smtp: {kills} kills, seed {seed} (WIRESTATE_SEED={seed} repeats it)");
    let mut rng = Rng(seed);
    let bin = example_bin("smtp_server");
    let dir = std::env::temp_dir().join(format!("wirestate-crash-smtp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let maildir = dir.to_str().unwrap().to_string();
    let addr = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|n| {
            let (addr, stop) = (addr.clone(), stop.clone());
            std::thread::spawn(move || client(n, seed, addr, stop))
        })
        .collect();
    let drivers = ["std", "mio", "tokio"];
    let start = |i: u64| -> ChildGuard {
        let driver = drivers[i as usize % drivers.len()];
        let (child, a) = spawn_server(&bin, &["--maildir", &maildir, "--driver", driver]);
        *addr.lock().unwrap() = Some(a);
        child
    };
    for k in 0..kills {
        let mut server = start(k);
        std::thread::sleep(Duration::from_millis(30 + rng.below(400)));
        // SIGKILL: no destructor, no flush, no reply; only what is on disk counts.
        server.0.kill().unwrap();
        server.0.wait().unwrap();
        *addr.lock().unwrap() = None;
    }
    // One more start: its clean-up of tmp/, and a last stretch of mail with no kill.
    let server = start(kills);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let sent: Vec<(String, String, Outcome)> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();

    let mut found: HashMap<String, Vec<String>> = HashMap::new();
    for path in files(&dir.join("new")) {
        let text = fs::read_to_string(&path).unwrap();
        let part = message_part(&text).to_string();
        let id = part
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("Message-ID: <"))
            .and_then(|l| l.strip_suffix("@crash.test>"))
            .unwrap_or_else(|| panic!("{}: no Message-ID first: {part:?}", path.display()))
            .to_string();
        found.entry(id).or_default().push(part);
    }
    let mut count: HashMap<Outcome, usize> = HashMap::new();
    let mut ambiguous_delivered = 0;
    for (id, body, outcome) in &sent {
        *count.entry(*outcome).or_default() += 1;
        let copies = found.remove(id).unwrap_or_default();
        let want = body.replace("\r\n", "\n");
        match outcome {
            Outcome::Accepted => {
                assert_eq!(
                    copies.len(),
                    1,
                    "{id} got 250 and is in new/ {} times",
                    copies.len()
                );
                assert_eq!(copies[0], want, "{id} got 250 but differs in new/");
            }
            Outcome::Ambiguous => {
                assert!(copies.len() <= 1, "{id} is in new/ {} times", copies.len());
                if let Some(c) = copies.first() {
                    assert_eq!(*c, want, "{id} differs in new/");
                    ambiguous_delivered += 1;
                }
            }
            Outcome::Refused | Outcome::NotSent => {
                assert!(copies.is_empty(), "{id} ({outcome:?}) is in new/");
            }
        }
    }
    assert!(
        found.is_empty(),
        "in new/ but never sent: {:?}",
        found.keys()
    );
    let leftovers = files(&dir.join("tmp"));
    assert!(leftovers.is_empty(), "tmp/ not cleaned: {leftovers:?}");
    let accepted = count.get(&Outcome::Accepted).copied().unwrap_or(0);
    eprintln!(
        "crash_smtp: {kills} kills survived; {} messages: {accepted} accepted (all in new/ once), \
         {} ambiguous ({ambiguous_delivered} of them in new/), {} refused, {} not sent",
        sent.len(),
        count.get(&Outcome::Ambiguous).copied().unwrap_or(0),
        count.get(&Outcome::Refused).copied().unwrap_or(0),
        count.get(&Outcome::NotSent).copied().unwrap_or(0),
    );
    assert!(
        accepted as u64 > kills,
        "too little mail went through to judge"
    );
    drop(server);
    let _ = fs::remove_dir_all(&dir);
}

//! Read faults in `pop3_server`'s maildrop, injected through the `MessageFiles` seam of
//! `examples/support/maildrop.rs`, on every driver:
//!
//! - a message file that fails (EIO) to open, or on its first read, is answered
//!   `-ERR [SYS/TEMP]` (RFC 3206 section 4) and the session goes on: the next commands
//!   work and QUIT removes exactly what the client marked (RFC 1939 section 6);
//! - a file that fails after its `+OK` went out can no longer be answered `-ERR`: the
//!   connection is dropped, the partial message never ends with the terminating dot, so
//!   no client takes it as whole, and nothing is deleted (no UPDATE without QUIT).

#[path = "../examples/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::cli::{Driver, ServerArgs};
use support::maildrop::{serve_with, DiskFiles, MessageFiles, Settings};

const EIO: i32 = 5;

/// What goes wrong with which file (by file name), once each.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// `open` fails.
    Open,
    /// Reads fail once this many bytes have been read.
    ReadAfter(u64),
}

#[derive(Debug, Default)]
struct Faults(Mutex<HashMap<String, Fault>>);

impl Faults {
    fn set(&self, name: &str, fault: Fault) {
        self.0.lock().unwrap().insert(name.to_string(), fault);
    }
}

#[derive(Debug)]
struct FaultyFiles(Arc<Faults>);

impl MessageFiles for FaultyFiles {
    fn open(&self, path: &Path) -> io::Result<(Box<dyn Read + Send>, u64)> {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let fault = self.0 .0.lock().unwrap().remove(&name);
        let (file, len) = match fault {
            Some(Fault::Open) => return Err(io::Error::from_raw_os_error(EIO)),
            _ => DiskFiles.open(path)?,
        };
        match fault {
            Some(Fault::ReadAfter(left)) => Ok((Box::new(Failing { file, left }), len)),
            _ => Ok((file, len)),
        }
    }
}

/// A file whose reads fail with EIO after `left` more bytes.
struct Failing {
    file: Box<dyn Read + Send>,
    left: u64,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::from_raw_os_error(EIO));
        }
        let cap = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.file.read(&mut buf[..cap])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Two small messages and one of 200 KB, several of the session's 64 KiB reads.
const NAMES: [&str; 3] = [
    "1700000001.M1P1.test",
    "1700000002.M2P1.test",
    "1700000003.M3P1.test",
];

fn big_body() -> String {
    let line = format!("{}\r\n", "z".repeat(78));
    format!("Subject: big\r\n\r\n{}", line.repeat(2_500))
}

fn maildir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wirestate-storage-pop3-{tag}-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    support::maildrop::ensure_maildir(&dir).unwrap();
    fs::write(
        dir.join("new").join(NAMES[0]),
        "Subject: one\r\n\r\nfirst\r\n",
    )
    .unwrap();
    fs::write(
        dir.join("new").join(NAMES[1]),
        "Subject: two\r\n\r\nsecond\r\n",
    )
    .unwrap();
    fs::write(dir.join("new").join(NAMES[2]), big_body()).unwrap();
    dir
}

fn exists(dir: &Path, i: usize) -> bool {
    dir.join("new").join(NAMES[i]).exists()
}

/// Starts the maildrop server in this process on `driver`; returns its address.
fn server(dir: &Path, driver: Driver, faults: &Arc<Faults>) -> String {
    let settings = Settings {
        maildir: dir.to_path_buf(),
        user: "u".into(),
        pass: "p".into(),
        server_name: "test".into(),
        stls: false,
        plaintext_auth: true,
        proxy_protocol: false,
        verbose: false,
        files: Arc::new(FaultyFiles(faults.clone())),
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let args = ServerArgs {
        driver,
        ..ServerArgs::default()
    };
    let bind = addr.clone();
    std::thread::spawn(move || serve_with(&args, &bind, settings));
    addr
}

struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn login(addr: &str) -> Client {
        let start = Instant::now();
        let w = loop {
            match TcpStream::connect(addr) {
                Ok(s) => break s,
                Err(_) if start.elapsed() < Duration::from_secs(20) => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => panic!("connect {addr}: {e}"),
            }
        };
        w.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut c = Client {
            r: BufReader::new(w.try_clone().unwrap()),
            w,
        };
        assert!(c.line().starts_with("+OK"));
        assert!(c.cmd("USER u").starts_with("+OK"));
        assert!(c.cmd("PASS p").starts_with("+OK"));
        c
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }

    fn cmd(&mut self, cmd: &str) -> String {
        write!(self.w, "{cmd}\r\n").unwrap();
        self.line()
    }

    /// A multi-line body up to its terminating dot.
    fn body(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let mut line = Vec::new();
            self.r.read_until(b'\n', &mut line).unwrap();
            assert!(!line.is_empty(), "closed inside a multi-line answer");
            if line == b".\r\n" {
                return body;
            }
            body.extend_from_slice(&line);
        }
    }
}

const ERR: &str = "-ERR [SYS/TEMP] message cannot be read now";

fn unreadable_at_open_gets_err_and_the_session_goes_on(driver: Driver) {
    let dir = maildir(&format!("open-{driver:?}"));
    let faults = Arc::new(Faults::default());
    let addr = server(&dir, driver, &faults);
    let mut c = Client::login(&addr);
    faults.set(NAMES[0], Fault::Open);
    faults.set(NAMES[1], Fault::ReadAfter(0));
    assert_eq!(c.cmd("RETR 1"), ERR, "{driver:?}: EIO at open");
    assert_eq!(c.cmd("RETR 2"), ERR, "{driver:?}: EIO at the first read");
    let top = c.cmd("TOP 1 0");
    assert!(
        top.starts_with("+OK"),
        "{driver:?}: the fault was once: {top}"
    );
    assert_eq!(c.body(), b"Subject: one\r\n\r\n");
    assert!(c.cmd("RETR 2").starts_with("+OK"), "{driver:?}");
    assert_eq!(c.body(), b"Subject: two\r\n\r\nsecond\r\n");
    assert!(c.cmd("DELE 2").starts_with("+OK"), "{driver:?}");
    assert!(c.cmd("QUIT").starts_with("+OK"), "{driver:?}");
    assert!(
        exists(&dir, 0) && exists(&dir, 2),
        "{driver:?}: unmarked files kept"
    );
    assert!(!exists(&dir, 1), "{driver:?}: the marked file removed");
    let _ = fs::remove_dir_all(&dir);
}

fn unreadable_after_ok_drops_the_connection_and_deletes_nothing(driver: Driver) {
    let dir = maildir(&format!("mid-{driver:?}"));
    let faults = Arc::new(Faults::default());
    let addr = server(&dir, driver, &faults);
    let mut c = Client::login(&addr);
    assert!(c.cmd("DELE 1").starts_with("+OK"), "{driver:?}");
    // The first 64 KiB piece is read before the +OK; this fails the second.
    faults.set(NAMES[2], Fault::ReadAfter(100_000));
    let ok = c.cmd("RETR 3");
    assert!(ok.starts_with("+OK"), "{driver:?}: {ok}");
    let mut rest = Vec::new();
    c.r.read_to_end(&mut rest)
        .unwrap_or_else(|e| panic!("{driver:?}: the server did not close: {e}"));
    assert!(
        !rest.ends_with(b"\r\n.\r\n") && !rest.is_empty(),
        "{driver:?}: {} bytes, ending {:?}",
        rest.len(),
        String::from_utf8_lossy(&rest[rest.len().saturating_sub(10)..])
    );
    assert!(
        rest.len() < big_body().len(),
        "{driver:?}: got {}",
        rest.len()
    );
    // Nothing deleted: the DELE'd message stays without a QUIT, and the one cut short.
    for (i, name) in NAMES.iter().enumerate() {
        assert!(exists(&dir, i), "{driver:?}: {name} removed");
    }
    // And the maildrop is free again for the next session.
    let mut again = Client::login(&addr);
    assert!(again.cmd("STAT").starts_with("+OK 3 "), "{driver:?}");
    assert!(again.cmd("QUIT").starts_with("+OK"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_at_open_std() {
    unreadable_at_open_gets_err_and_the_session_goes_on(Driver::Std);
}

#[test]
fn unreadable_at_open_mio() {
    unreadable_at_open_gets_err_and_the_session_goes_on(Driver::Mio);
}

#[test]
fn unreadable_at_open_tokio() {
    unreadable_at_open_gets_err_and_the_session_goes_on(Driver::Tokio);
}

#[test]
fn unreadable_after_ok_std() {
    unreadable_after_ok_drops_the_connection_and_deletes_nothing(Driver::Std);
}

#[test]
fn unreadable_after_ok_mio() {
    unreadable_after_ok_drops_the_connection_and_deletes_nothing(Driver::Mio);
}

#[test]
fn unreadable_after_ok_tokio() {
    unreadable_after_ok_drops_the_connection_and_deletes_nothing(Driver::Tokio);
}

//! Storage faults in `smtp_server`'s Maildir delivery, injected through the `Storage`
//! seam of `examples/support/maildir.rs`: a full disk at each step, EIO, a failing file
//! or directory fsync, a read-only `new/`, a Maildir that disappears. Each must give a
//! temporary failure (RFC 5321 4.2.2, RFC 3463: `452 4.3.1` for no space, `451 4.3.0`
//! otherwise), leave nothing in `new/` that was not answered 250 and nothing in `tmp/`,
//! and leave the connection usable: the next transaction succeeds once the fault clears.
//! LMTP answers each recipient on its own (RFC 2033 4.2).

#[path = "../examples/support/mod.rs"]
mod support;

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::maildir::{Disk, Maildir, Storage, StoredFile};
use support::smtp_io::{server_setup, ServerOptions};

const ENOSPC: i32 = 28;
const EIO: i32 = 5;
const EACCES: i32 = 13;
const EROFS: i32 = 30;

/// The file operations a fault can be put on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Create,
    Write,
    Sync,
    Open,
    Rename,
    SyncDir,
}

/// `op` fails with `errno` after `skip` calls that succeed, `times` times.
#[derive(Clone, Copy, Debug)]
struct Rule {
    op: Op,
    errno: i32,
    skip: u32,
    times: u32,
}

/// The real disk, with the faults the test sets.
#[derive(Debug, Default)]
struct Faulty {
    rules: Mutex<Vec<Rule>>,
}

impl Faulty {
    fn set(&self, rules: &[Rule]) {
        *self.rules.lock().unwrap() = rules.to_vec();
    }

    fn check(&self, op: Op) -> io::Result<()> {
        let mut rules = self.rules.lock().unwrap();
        for r in rules.iter_mut().filter(|r| r.op == op) {
            if r.skip > 0 {
                r.skip -= 1;
            } else if r.times > 0 {
                r.times -= 1;
                return Err(io::Error::from_raw_os_error(r.errno));
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
struct FaultyFile {
    file: Box<dyn StoredFile>,
    faults: Arc<Faulty>,
}

impl Write for FaultyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.faults.check(Op::Write)?;
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl StoredFile for FaultyFile {
    fn sync(&mut self) -> io::Result<()> {
        self.faults.check(Op::Sync)?;
        self.file.sync()
    }
}

/// The seam's fault-injecting implementation.
#[derive(Debug, Clone, Default)]
struct FaultyDisk(Arc<Faulty>);

impl Storage for FaultyDisk {
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn StoredFile>> {
        self.0.check(Op::Create)?;
        let file = Disk.create_new(path)?;
        Ok(Box::new(FaultyFile {
            file,
            faults: self.0.clone(),
        }))
    }
    fn open(&self, path: &Path) -> io::Result<Box<dyn Read + Send>> {
        self.0.check(Op::Open)?;
        Disk.open(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.0.check(Op::Rename)?;
        Disk.rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        Disk.remove(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.0.check(Op::SyncDir)?;
        Disk.sync_dir(dir)
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wirestate-storage-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

/// Which driver runs the server: the std driver delivers on the connection's thread,
/// the mio driver on its delivery pool (a fault's result then comes back by a wake).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Driver {
    Std,
    Mio,
}

/// Starts the Maildir server in this process, on `driver`, writing through `disk`;
/// returns its address.
fn server(maildir: &Path, disk: &FaultyDisk, lmtp: bool, driver: Driver) -> std::net::SocketAddr {
    server_on(maildir, Arc::new(disk.clone()), lmtp, driver)
}

fn server_on(
    maildir: &Path,
    storage: Arc<dyn Storage>,
    lmtp: bool,
    driver: Driver,
) -> std::net::SocketAddr {
    Maildir::create(maildir).unwrap();
    let mut opts = ServerOptions::new(maildir);
    opts.storage = storage;
    opts.lmtp = lmtp;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    match driver {
        Driver::Std => std::thread::spawn(move || {
            support::std_io::serve(listener, 64 * 1024, server_setup(opts))
        }),
        Driver::Mio => {
            listener.set_nonblocking(true).unwrap();
            let listener = mio::net::TcpListener::from_std(listener);
            std::thread::spawn(move || {
                support::mio_io::serve(listener, 64 * 1024, server_setup(opts))
            })
        }
    };
    addr
}

/// A line-at-a-time SMTP/LMTP client that shows every reply as it is.
struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn connect(addr: std::net::SocketAddr, lmtp: bool) -> Client {
        let w = TcpStream::connect(addr).unwrap();
        w.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut c = Client {
            r: BufReader::new(w.try_clone().unwrap()),
            w,
        };
        assert_eq!(c.reply().0, 220);
        let hello = if lmtp { "LHLO test" } else { "EHLO test" };
        assert_eq!(c.cmd(hello).0, 250);
        c
    }

    /// One reply: its code and its last line.
    fn reply(&mut self) -> (u16, String) {
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line).unwrap();
            assert!(line.len() >= 4, "short reply line {line:?}");
            if line.as_bytes()[3] == b' ' {
                return (line[..3].parse().unwrap(), line.trim_end().to_string());
            }
        }
    }

    fn cmd(&mut self, line: &str) -> (u16, String) {
        write!(self.w, "{line}\r\n").unwrap();
        self.reply()
    }

    /// One transaction; the replies after the data (one, or one per recipient in
    /// LMTP), or the refusal of DATA itself.
    fn send(&mut self, rcpts: &[&str], body: &str, lmtp: bool) -> Vec<(u16, String)> {
        assert_eq!(self.cmd("MAIL FROM:<a@example.org>").0, 250);
        for r in rcpts {
            assert_eq!(self.cmd(&format!("RCPT TO:<{r}>")).0, 250);
        }
        let data = self.cmd("DATA");
        if data.0 != 354 {
            // The transaction is still open after a refused DATA (RFC 5321 4.1.1.4):
            // end it, as clients do, before the next.
            assert_eq!(self.cmd("RSET").0, 250);
            return vec![data];
        }
        self.w.write_all(body.as_bytes()).unwrap();
        self.w.write_all(b".\r\n").unwrap();
        let n = if lmtp { rcpts.len() } else { 1 };
        (0..n).map(|_| self.reply()).collect()
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// A message of `lines` lines of 80 octets (so over 64 KiB from 820 lines on, past the
/// write buffer, the fault lands in the middle of the data).
fn body(tag: &str, lines: usize) -> String {
    let mut s = format!("Subject: {tag}\r\n\r\n");
    for i in 0..lines {
        s.push_str(&format!("{tag} line {i:05} {}\r\n", "x".repeat(60)));
    }
    s
}

/// The message part of a delivered file: what follows our trace fields.
fn message_part(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let mut out = String::new();
    let mut in_trace = true;
    for line in text.split_inclusive('\n') {
        if in_trace
            && (line.starts_with("Return-Path:")
                || line.starts_with("Delivered-To:")
                || line.starts_with("Received:")
                || line.starts_with('\t'))
        {
            continue;
        }
        in_trace = false;
        out.push_str(line);
    }
    out
}

fn rule(op: Op, errno: i32, skip: u32) -> Rule {
    Rule {
        op,
        errno,
        skip,
        times: 1,
    }
}

/// One row of a fault table: the fault, the message it hits (`lines` long), the reply it
/// must draw, and the state it must leave: `new` files in new/ (what was answered 250
/// before, nothing of this message) and nothing in tmp/.
struct Case {
    what: &'static str,
    fault: Rule,
    lines: usize,
    reply: &'static str,
    new: usize,
}

fn case(what: &'static str, fault: Rule, lines: usize, reply: &'static str, new: usize) -> Case {
    Case {
        what,
        fault,
        lines,
        reply,
        new,
    }
}

/// Runs the table on each driver: on the std driver the delivery fails on the
/// connection's thread, on the mio driver on its delivery pool.
fn run_fault_table(name: &str, rcpts: &[&str], cases: &[Case]) {
    for driver in [Driver::Std, Driver::Mio] {
        run_fault_table_on(&format!("{name}-{driver:?}"), rcpts, cases, driver);
    }
}

/// Runs each row on one SMTP connection to a fresh Maildir server: the message with the
/// row's fault set must draw one reply, the row's, and leave the row's state; then the
/// same connection, the fault gone, must deliver a message to each of `rcpts` (one copy
/// each, byte for byte), leaving tmp/ empty again.
fn run_fault_table_on(name: &str, rcpts: &[&str], cases: &[Case], driver: Driver) {
    let dir = scratch(name);
    let disk = FaultyDisk::default();
    let addr = server(&dir, &disk, false, driver);
    let mut c = Client::connect(addr, false);
    for Case {
        what,
        fault,
        lines,
        reply,
        new,
    } in cases
    {
        disk.0.set(&[*fault]);
        let replies = c.send(rcpts, &body(what, *lines), false);
        assert_eq!(replies.len(), 1, "{what}: {replies:?}");
        assert!(
            replies[0].1.starts_with(reply),
            "{what}: expected {reply}, got {:?}",
            replies[0].1
        );
        assert_eq!(files(&dir.join("new")).len(), *new, "{what}: new/ changed");
        assert_eq!(
            files(&dir.join("tmp")),
            Vec::<PathBuf>::new(),
            "{what}: tmp/"
        );
        // The fault is gone: the same connection delivers.
        disk.0.set(&[]);
        let text = body(&format!("after {what}"), *lines);
        let replies = c.send(rcpts, &text, false);
        assert!(replies[0].1.starts_with("250 2.0.0"), "{what}: {replies:?}");
        let delivered = files(&dir.join("new"));
        assert_eq!(delivered.len(), new + rcpts.len(), "{what}: new/");
        assert!(
            delivered
                .iter()
                .any(|p| message_part(p) == text.replace("\r\n", "\n")),
            "{what}: the retried message is not in new/ byte for byte"
        );
        assert_eq!(
            files(&dir.join("tmp")),
            Vec::<PathBuf>::new(),
            "{what}: tmp/"
        );
    }
    assert_eq!(c.cmd("QUIT").0, 221);
}

/// Each fault, then the same connection again with the fault gone.
#[test]
fn each_fault_is_a_temporary_failure_that_leaves_nothing_behind() {
    let (space, other) = ("452 4.3.1", "451 4.3.0");
    // (what, fault, message lines, expected reply, files in new/ after the fault)
    #[rustfmt::skip]
    let cases = [
        case("no space mid-data",          rule(Op::Write, ENOSPC, 0),    2000, space, 0),
        case("no space at flush",          rule(Op::Write, ENOSPC, 0),    3,    space, 1),
        case("no space creating the file", rule(Op::Create, ENOSPC, 0),   3,    space, 2),
        case("EIO writing",                rule(Op::Write, EIO, 1),       2000, other, 3),
        case("fsync of the file fails",    rule(Op::Sync, EIO, 0),        3,    other, 4),
        case("fsync of new/ fails",        rule(Op::SyncDir, EIO, 0),     3,    other, 5),
        case("read-only new/ (EACCES)",    rule(Op::Rename, EACCES, 0),   3,    other, 6),
        case("read-only file system",      rule(Op::Rename, EROFS, 0),    3,    other, 7),
    ];
    run_fault_table("smtp", &["b@example.org"], &cases);
}

/// Several recipients, one reply (SMTP): a failure of any copy fails the message and
/// takes the copies already made out again, so a retry delivers each recipient once.
#[test]
fn smtp_with_several_recipients_is_all_or_nothing() {
    let (space, other) = ("452 4.3.1", "451 4.3.0");
    // Creates: the spool, then one copy per recipient; the third copy fails.
    #[rustfmt::skip]
    let cases = [
        case("third copy: no space", rule(Op::Create, ENOSPC, 3),  5, space, 0),
        case("second copy: fsync",   rule(Op::Sync, EIO, 1),       5, other, 3),
        case("third rename",         rule(Op::Rename, EACCES, 2),  5, other, 6),
        case("spool unreadable",     rule(Op::Open, EIO, 1),       5, other, 9),
        case("fsync of new/",        rule(Op::SyncDir, EIO, 0),    5, other, 12),
    ];
    let rcpts = ["b@example.org", "c@example.org", "d@example.org"];
    run_fault_table("smtp-rcpts", &rcpts, &cases);
}

/// LMTP: each recipient is answered on its own (RFC 2033 4.2); the failed one is not in
/// new/, the others are, and nothing is left in tmp/.
#[test]
fn lmtp_answers_each_recipient_on_its_own() {
    for driver in [Driver::Std, Driver::Mio] {
        lmtp_on(driver);
    }
}

fn lmtp_on(driver: Driver) {
    let dir = scratch(&format!("lmtp-{driver:?}"));
    let disk = FaultyDisk::default();
    let addr = server(&dir, &disk, true, driver);
    let mut c = Client::connect(addr, true);
    let rcpts = ["b@example.org", "c@example.org", "d@example.org"];
    // The second recipient's copy (creates: spool, b, c) hits a full disk.
    disk.0.set(&[rule(Op::Create, ENOSPC, 2)]);
    let replies = c.send(&rcpts, &body("lmtp", 5), true);
    let codes: Vec<&str> = replies.iter().map(|r| &r.1[..9]).collect();
    assert_eq!(
        codes,
        ["250 2.0.0", "452 4.3.1", "250 2.0.0"],
        "{replies:?}"
    );
    let new = files(&dir.join("new"));
    assert_eq!(new.len(), 2);
    let to: Vec<String> = new
        .iter()
        .map(|p| {
            let t = fs::read_to_string(p).unwrap();
            t.lines().nth(1).unwrap().to_string()
        })
        .collect();
    assert!(
        to.contains(&"Delivered-To: b@example.org".to_string()),
        "{to:?}"
    );
    assert!(
        to.contains(&"Delivered-To: d@example.org".to_string()),
        "{to:?}"
    );
    assert_eq!(files(&dir.join("tmp")), Vec::<PathBuf>::new());
    // A failing fsync of new/ fails every recipient whose copy it was to make durable.
    disk.0.set(&[rule(Op::SyncDir, EIO, 0)]);
    let replies = c.send(&rcpts, &body("lmtp2", 5), true);
    assert!(
        replies.iter().all(|r| r.1.starts_with("451 4.3.0")),
        "{replies:?}"
    );
    assert_eq!(files(&dir.join("new")).len(), 2);
    assert_eq!(files(&dir.join("tmp")), Vec::<PathBuf>::new());
    disk.0.set(&[]);
    let replies = c.send(&rcpts, &body("lmtp3", 5), true);
    assert!(
        replies.iter().all(|r| r.1.starts_with("250")),
        "{replies:?}"
    );
    assert_eq!(files(&dir.join("new")).len(), 5);
}

/// A Maildir that disappears while the server runs (an unmounted volume, a removed
/// user) is a 451, not re-created behind the operator's back; once it is back, mail
/// flows again on the same connection.
#[test]
fn a_missing_maildir_is_a_temporary_failure_until_it_is_back() {
    let dir = scratch("missing");
    let disk = FaultyDisk::default();
    let addr = server(&dir, &disk, false, Driver::Std);
    let mut c = Client::connect(addr, false);
    fs::remove_dir_all(&dir).unwrap();
    let replies = c.send(&["b@example.org"], &body("missing", 3), false);
    assert!(replies[0].1.starts_with("451 4.3.0"), "{replies:?}");
    assert!(!dir.exists(), "the server re-created the Maildir");
    // Only new/ gone: the file is written to tmp/, the rename fails, tmp/ is cleaned.
    Maildir::create(&dir).unwrap();
    fs::remove_dir(dir.join("new")).unwrap();
    let replies = c.send(&["b@example.org"], &body("no new", 3), false);
    assert!(replies[0].1.starts_with("451 4.3.0"), "{replies:?}");
    assert_eq!(files(&dir.join("tmp")), Vec::<PathBuf>::new());
    fs::create_dir(dir.join("new")).unwrap();
    let replies = c.send(&["b@example.org"], &body("back", 3), false);
    assert!(replies[0].1.starts_with("250"), "{replies:?}");
    assert_eq!(files(&dir.join("new")).len(), 1);
    // A new connection works too.
    let mut d = Client::connect(addr, false);
    assert!(d.send(&["b@example.org"], "hi\r\n", false)[0]
        .1
        .starts_with("250"));
}

/// Start-up cleaning of tmp/: a leftover of a dead delivery process of this host goes
/// at once; another writer's file stays until it is 36 hours old.
#[test]
fn start_up_cleans_dead_deliveries_and_stale_files_only() {
    let dir = scratch("clean");
    let m = Maildir::create(&dir).unwrap();
    let host = fs::read_to_string("/etc/hostname").unwrap_or_default();
    let host = host.trim().replace(['/', ':'], "_");
    let host = if host.is_empty() {
        "localhost".into()
    } else {
        host
    };
    let pid_max: u64 = fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4_194_304);
    let tmp = dir.join("tmp");
    let dead = tmp.join(format!("1700000000.M000001P{}Q7.{host}", pid_max + 1));
    let live = tmp.join(format!(
        "1700000000.M000002P{}Q8.{host}",
        std::process::id()
    ));
    let foreign = tmp.join("1700000000.M3P1Q1.otherhost");
    let old_foreign = tmp.join("1600000000.M4P1Q1.otherhost");
    for f in [&dead, &live, &foreign, &old_foreign] {
        fs::write(f, "partial").unwrap();
    }
    let status = std::process::Command::new("touch")
        .args(["-d", "3 days ago"])
        .arg(&old_foreign)
        .status()
        .unwrap();
    assert!(status.success());
    let cleaned = m.clean_tmp().unwrap();
    assert_eq!(cleaned.dead_process, 1, "{cleaned:?}");
    assert_eq!(cleaned.stale, 1, "{cleaned:?}");
    assert_eq!(cleaned.kept, 2, "{cleaned:?}");
    assert!(!dead.exists() && !old_foreign.exists());
    assert!(live.exists() && foreign.exists());
}

/// A real small file system: a 512 KiB tmpfs (mounting needs root, or CAP_SYS_ADMIN),
/// filled until the server answers 452, then freed; then remounted read-only (451) and
/// read-write again. Unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, opts: &str) -> Option<Tmpfs> {
        fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr).into_owned();
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("cannot mount a tmpfs under CI=true (runs as root): {why}");
            }
            eprintln!("skipping the tmpfs test: cannot mount a tmpfs here: {why}");
            return None;
        }
        Some(Tmpfs(dir.to_path_buf()))
    }

    fn remount(&self, opts: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {opts}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn a_real_full_disk_and_a_read_only_remount() {
    let mnt = scratch("tmpfs");
    let Some(tmpfs) = Tmpfs::mount(&mnt, "size=512k") else {
        return;
    };
    let dir = mnt.join("Maildir");
    let addr = server_on(&dir, Arc::new(Disk), false, Driver::Std);
    let mut c = Client::connect(addr, false);
    // 100 KiB messages: four or five fit.
    let mut accepted = 0;
    let full = loop {
        let replies = c.send(
            &["b@example.org"],
            &body(&format!("m{accepted}"), 1250),
            false,
        );
        if replies[0].0 == 250 {
            accepted += 1;
            assert!(
                accepted < 20,
                "a 512 KiB tmpfs took {accepted} 100 KiB messages"
            );
            continue;
        }
        break replies[0].1.clone();
    };
    assert!(full.starts_with("452 4.3.1"), "{full}");
    assert!(accepted >= 2, "only {accepted} messages fitted");
    assert_eq!(
        files(&dir.join("tmp")),
        Vec::<PathBuf>::new(),
        "tmp/ after ENOSPC"
    );
    let new = files(&dir.join("new"));
    assert_eq!(new.len(), accepted);
    for (i, p) in new.iter().enumerate() {
        assert_eq!(
            message_part(p),
            body(&format!("m{i}"), 1250).replace("\r\n", "\n"),
            "{} is not whole",
            p.display()
        );
    }
    // Space again: the same connection delivers.
    for p in &new {
        fs::remove_file(p).unwrap();
    }
    let replies = c.send(&["b@example.org"], &body("after", 1250), false);
    assert!(replies[0].1.starts_with("250"), "{replies:?}");
    // A read-only file system: 451, and mail again once it is writable.
    tmpfs.remount("ro");
    let replies = c.send(&["b@example.org"], &body("ro", 10), false);
    tmpfs.remount("rw");
    assert!(replies[0].1.starts_with("451 4.3.0"), "{replies:?}");
    assert_eq!(files(&dir.join("tmp")), Vec::<PathBuf>::new());
    let replies = c.send(&["b@example.org"], &body("rw", 10), false);
    assert!(replies[0].1.starts_with("250"), "{replies:?}");
    assert_eq!(files(&dir.join("new")).len(), 2);
    assert_eq!(c.cmd("QUIT").0, 221);
}

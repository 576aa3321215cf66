//! Python's `poplib` against the `pop3_server` example: the RFC 1939 commands, the error
//! cases, the [IN-USE] lock, stable unique ids and crash safety; and `pop3_fetch` against
//! the same server.

mod common;

use common::{example_bin, require_peer, spawn_server};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Messages as stored: LF line ends, a line starting with a dot, a CRLF file in `cur/`
/// with flags, and one without a final newline.
const MESSAGES: &[(&str, &[u8])] = &[
    (
        "new/1700000001.M1P1.test",
        b"From: a@example.com\nSubject: one\n\nfirst body\n.leading dot\nlast\n",
    ),
    (
        "cur/1700000002.M2P2.test:2,S",
        b"From: b@example.com\r\nSubject: two\r\n\r\nsecond body\r\n",
    ),
    (
        "new/1700000003.M3P3.test",
        b"Subject: three\n\nno final newline",
    ),
];

/// What a message is on the wire (and what poplib's octet counts refer to).
fn crlf(m: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in m.split(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.extend_from_slice(b"\r\n");
    }
    if m.ends_with(b"\n") {
        out.truncate(out.len() - 2);
    }
    out
}

fn maildir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wirestate-pop3-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for (name, body) in MESSAGES {
        std::fs::write(dir.join(name), body).unwrap();
    }
    dir
}

fn python(script: &str, port: u16) -> String {
    let prelude = format!(
        "import poplib\nPORT={port}\n\
         def conn():\n    return poplib.POP3('127.0.0.1', PORT, timeout=10)\n"
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!("{prelude}{script}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn start(dir: &Path, driver: &str) -> (common::ChildGuard, u16) {
    let bin = example_bin("pop3_server");
    let dir = dir.to_str().unwrap();
    let (child, addr) = spawn_server(
        &bin,
        &[
            "--maildir",
            dir,
            "--user",
            "alice",
            "--pass",
            "s3cret",
            "--name",
            "dewey",
            "--driver",
            driver,
        ],
    );
    (child, addr.port())
}

#[test]
fn poplib_session_against_pop3_server_std() {
    session("std")
}

#[test]
fn poplib_session_against_pop3_server_mio() {
    session("mio")
}

#[test]
fn poplib_session_against_pop3_server_tokio() {
    session("tokio")
}

/// The same session on every driver: the handler streams files from `on_send_ready`,
/// which each driver calls on its own terms.
fn session(driver: &str) {
    if !require_peer("python3") {
        return;
    }
    let dir = maildir(&format!("session-{driver}"));
    let (_server, port) = start(&dir, driver);
    let out = python(
        r#"
p = conn()
print(p.getwelcome())
print(p.user('alice'))
print(p.pass_('s3cret'))
print(p.stat())
print(p.list())
print(p.list(2))
print(p.uidl())
for i in (1, 2, 3):
    print(p.retr(i))
print(p.top(1, 1))
print(p.dele(2))
print(p.stat())
for bad in (lambda: p.retr(2), lambda: p.dele(2), lambda: p.retr(9), lambda: p._shortcmd('XYZZY')):
    try:
        bad(); print('no error')
    except poplib.error_proto as e:
        print('error', e)
print(p.rset())
print(p.dele(2))
print(p.quit())
"#,
        port,
    );
    let wire: Vec<Vec<u8>> = MESSAGES.iter().map(|(_, m)| crlf(m)).collect();
    let sizes: Vec<usize> = wire.iter().map(Vec::len).collect();
    let total: usize = sizes.iter().sum();
    let lines = |m: &[u8]| -> String {
        let v: Vec<String> = m
            .strip_suffix(b"\r\n")
            .unwrap_or(m)
            .split(|&b| b == b'\n')
            .map(|l| {
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                format!("b{:?}", String::from_utf8_lossy(l))
                    .replace("b\"", "b'")
                    .replace("\"", "'")
            })
            .collect();
        v.join(", ")
    };
    // poplib returns (status, lines, octets), octets counting each line with its CRLF.
    let multi = |status: &str, lines: &[&str]| {
        let octets: usize = lines.iter().map(|l| l.len() + 2).sum();
        let shown: Vec<String> = lines.iter().map(|l| format!("b'{l}'")).collect();
        format!("({status}, [{}], {octets})", shown.join(", "))
    };
    let expected = [
        "b'+OK wirestate POP3 server ready'".to_string(),
        "b'+OK send PASS'".into(),
        format!("b\"+OK alice's maildrop has 3 messages ({total} octets)\""),
        format!("(3, {total})"),
        format!(
            "(b'+OK 3 messages ({total} octets)', [b'1 {}', b'2 {}', b'3 {}'], {})",
            sizes[0],
            sizes[1],
            sizes[2],
            format!("1 {}", sizes[0]).len()
                + format!("2 {}", sizes[1]).len()
                + format!("3 {}", sizes[2]).len()
                + 6
        ),
        format!("b'+OK 2 {}'", sizes[1]),
        multi(
            "b'+OK'",
            &[
                "1 1700000001.M1P1.test",
                "2 1700000002.M2P2.test",
                "3 1700000003.M3P3.test",
            ],
        ),
        format!(
            "(b'+OK {} octets', [{}], {})",
            sizes[0],
            lines(&wire[0]),
            sizes[0]
        ),
        format!(
            "(b'+OK {} octets', [{}], {})",
            sizes[1],
            lines(&wire[1]),
            sizes[1]
        ),
        format!(
            "(b'+OK {} octets', [{}], {})",
            sizes[2],
            lines(&wire[2]),
            sizes[2]
        ),
        multi(
            "b'+OK'",
            &["From: a@example.com", "Subject: one", "", "first body"],
        ),
        "b'+OK message 2 deleted'".into(),
        format!("(2, {})", sizes[0] + sizes[2]),
        "error b'-ERR message 2 already deleted'".into(),
        "error b'-ERR message 2 already deleted'".into(),
        "error b'-ERR no such message, only 3 messages in maildrop'".into(),
        "error b'-ERR unknown command'".into(),
        format!("b'+OK maildrop has 3 messages ({total} octets)'"),
        "b'+OK message 2 deleted'".into(),
        "b'+OK dewey POP3 server signing off (2 messages left)'".into(),
    ];
    let got: Vec<&str> = out.lines().collect();
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(
            got.get(i).copied(),
            Some(want.as_str()),
            "line {i} of\n{out}"
        );
    }
    assert_eq!(got.len(), expected.len(), "{out}");
    // Only the message deleted before QUIT is gone.
    assert!(dir.join(MESSAGES[0].0).exists());
    assert!(!dir.join(MESSAGES[1].0).exists());
    assert!(dir.join(MESSAGES[2].0).exists());
    // The unique ids are the same in the next session.
    let out = python(
        "p = conn(); p.user('alice'); p.pass_('s3cret'); print(p.uidl()[1]); p.quit()",
        port,
    );
    assert_eq!(
        out.trim(),
        "[b'1 1700000001.M1P1.test', b'2 1700000003.M3P3.test']"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn poplib_error_cases_lock_and_crash_safety_std() {
    error_cases("std")
}

#[test]
fn poplib_error_cases_lock_and_crash_safety_mio() {
    error_cases("mio")
}

#[test]
fn poplib_error_cases_lock_and_crash_safety_tokio() {
    error_cases("tokio")
}

fn error_cases(driver: &str) {
    if !require_peer("python3") {
        return;
    }
    let dir = maildir(&format!("errors-{driver}"));
    let (server, port) = start(&dir, driver);
    let out = python(
        r#"
p = conn()
p.user('alice')
try:
    p.pass_('wrong'); print('no error')
except poplib.error_proto as e:
    print('error', e)
p.user('alice')
print(p.pass_('s3cret'))
q = conn()
q.user('alice')
try:
    q.pass_('s3cret'); print('no error')
except poplib.error_proto as e:
    print('error', e)
print(q.quit())
print(p.dele(1))
p.file.close(); p.sock.close()  # both: the makefile keeps the socket open
import time
for attempt in range(50):
    # The server notices the closed socket a moment later; until then the lock is held.
    r = conn()
    r.user('alice')
    try:
        print(r.pass_('s3cret'))
        break
    except poplib.error_proto as e:
        assert b'[IN-USE]' in e.args[0], e
        r.quit()
        time.sleep(0.1)
print(r.stat()[0])
print(r.dele(1))
"#,
        port,
    );
    let got: Vec<&str> = out.lines().collect();
    assert_eq!(got[0], "error b'-ERR [AUTH] invalid user name or password'");
    assert!(
        got[1].starts_with("b\"+OK alice's maildrop has 3 messages"),
        "{out}"
    );
    assert_eq!(
        got[2],
        "error b'-ERR [IN-USE] maildrop already locked by another session'"
    );
    assert_eq!(got[3], "b'+OK dewey POP3 server signing off'");
    assert_eq!(got[4], "b'+OK message 1 deleted'");
    // The first session closed without QUIT: the lock is free and nothing was removed.
    assert!(
        got[5].starts_with("b\"+OK alice's maildrop has 3 messages"),
        "{out}"
    );
    assert_eq!(got[6], "3");
    assert_eq!(got[7], "b'+OK message 1 deleted'");
    // A session marks message 1 and stays open while the server is killed.
    let script = format!(
        "import poplib, sys, time\np = poplib.POP3('127.0.0.1', {port}, timeout=10)\n\
         p.user('alice'); p.pass_('s3cret'); print(p.dele(1)); sys.stdout.flush(); time.sleep(30)\n"
    );
    let mut py = common::ChildGuard(
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(py.0.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "b'+OK message 1 deleted'");
    drop(server); // SIGKILL, mid-session
    drop(py);
    assert!(
        dir.join(MESSAGES[0].0).exists(),
        "a killed server loses nothing"
    );
    assert!(
        dir.join(".pop3.lock").exists(),
        "its lock file is left behind"
    );
    let (_server, port) = start(&dir, driver);
    let out = python(
        "p = conn(); p.user('alice'); print(p.pass_('s3cret')); print(p.stat()[0]); p.quit()",
        port,
    );
    assert!(
        out.starts_with("b\"+OK alice's maildrop has 3 messages"),
        "stale lock taken over: {out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn command_lines_help_and_unknown_options() {
    for bin in ["pop3_server", "pop3_fetch"] {
        let bin = example_bin(bin);
        let help = Command::new(&bin).arg("--help").output().unwrap();
        assert_eq!(help.status.code(), Some(0), "{}", bin.display());
        assert!(String::from_utf8_lossy(&help.stdout).contains("--user"));
        let bad = Command::new(&bin).arg("--no-such-flag").output().unwrap();
        assert_eq!(bad.status.code(), Some(2), "{}", bin.display());
    }
    // Without TLS, pop3_fetch refuses to send the password unless told it may.
    let dir = maildir("cleartext");
    let (_server, port) = start(&dir, "std");
    let out = Command::new(example_bin("pop3_fetch"))
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args(["--user", "alice", "--pass", "s3cret", "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in the clear"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pop3_fetch_against_pop3_server_downloads_and_deletes() {
    let dir = maildir("fetch");
    let (_server, port) = start(&dir, "std");
    let out_dir = dir.with_extension("out");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = Command::new(example_bin("pop3_fetch"))
        .args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--user",
            "alice",
            "--pass",
            "s3cret",
            // Loopback to a server without a certificate: the password may go in the clear.
            "--allow-plaintext-auth",
        ])
        .args(["--out", out_dir.to_str().unwrap(), "--delete"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("fetched 3 messages"), "{stdout}");
    for (name, body) in MESSAGES {
        let uid = name[4..].split(":2,").next().unwrap();
        let got = std::fs::read(out_dir.join(format!("{uid}.eml"))).unwrap();
        let mut want = crlf(body);
        if !want.ends_with(b"\r\n") {
            want.extend_from_slice(b"\r\n");
        }
        assert_eq!(got, want, "{name}");
        assert!(!dir.join(name).exists(), "{name} deleted at QUIT");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&out_dir);
}

/// Issue 14: a message file removed, rewritten or made unreadable after the listing gets
/// `-ERR [SYS/TEMP]`; the session goes on, and nothing is deleted.
#[test]
fn vanished_or_unreadable_message_gets_err_and_the_session_goes_on() {
    if !require_peer("python3") {
        return;
    }
    for driver in ["std", "mio", "tokio"] {
        let dir = maildir(&format!("vanish-{driver}"));
        let (_server, port) = start(&dir, driver);
        let script = format!(
            r#"
import os, shutil
p = conn()
p.user('alice'); p.pass_('s3cret')
d = {dir:?}
os.remove(os.path.join(d, {m1:?}))
os.remove(os.path.join(d, {m2:?})); os.mkdir(os.path.join(d, {m2:?}))
with open(os.path.join(d, {m3:?}), 'ab') as f: f.write(b'grown\n')
for i in (1, 2, 3):
    try:
        p.retr(i); print('no error')
    except poplib.error_proto as e:
        print('error', e)
print(p.stat())
try:
    p.top(3, 0); print('no error')
except poplib.error_proto as e:
    print('error', e)
os.rmdir(os.path.join(d, {m2:?}))
print(p.quit())
"#,
            dir = dir.to_str().unwrap(),
            m1 = MESSAGES[0].0,
            m2 = MESSAGES[1].0,
            m3 = MESSAGES[2].0,
        );
        let out = python(&script, port);
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(
            got[0], "error b'-ERR [SYS/TEMP] message is no longer there'",
            "{driver}\n{out}"
        );
        assert_eq!(
            got[1], "error b'-ERR [SYS/TEMP] message cannot be read now'",
            "{driver}\n{out}"
        );
        assert_eq!(
            got[2], "error b'-ERR [SYS/TEMP] message cannot be read now'",
            "{driver}: a rewritten file is not sent under its old size\n{out}"
        );
        assert!(got[3].starts_with("(3, "), "{driver}\n{out}");
        assert_eq!(
            got[4], "error b'-ERR [SYS/TEMP] message cannot be read now'",
            "{driver}\n{out}"
        );
        assert!(
            got[5].starts_with("b'+OK dewey POP3 server signing off"),
            "{driver}\n{out}"
        );
        assert!(dir.join(MESSAGES[2].0).exists(), "nothing deleted");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

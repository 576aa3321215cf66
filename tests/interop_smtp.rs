//! Interop with real, independent SMTP peers on 127.0.0.1:
//! Python's smtplib and raw-socket pipelining/BDAT -> `smtp_server`; swaks ->
//! `smtp_server` (each on the std, mio and tokio drivers); `smtp_send` -> Postfix's
//! smtp-sink (each extension switched off in turn) and -> aiosmtpd.

mod common;

use common::run::is_root;
use common::{
    delivered_bytes, example_bin, free_port, python, require_peer, smtp_send, spawn_server,
    wait_port, ChildGuard,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    common::scratch("interop-smtp", name)
}

fn our_server(maildir: &Path, extra: &[&str]) -> (ChildGuard, SocketAddr) {
    let mut args = vec!["--maildir", maildir.to_str().unwrap()];
    args.extend_from_slice(extra);
    spawn_server(&example_bin("smtp_server"), &args)
}

/// The drivers every server test runs on.
const DRIVERS: [&str; 3] = ["std", "mio", "tokio"];

/// A delivered file without the trace fields the server prepends (`Return-Path`,
/// `Delivered-To`, `Received` and its continuation lines).
fn body(msg: &[u8]) -> Vec<u8> {
    let mut rest = msg;
    loop {
        let line_end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let line = &rest[..line_end];
        let trace = line.starts_with(b"Return-Path:")
            || line.starts_with(b"Delivered-To:")
            || line.starts_with(b"Received:")
            || line.starts_with(b"\t");
        if !trace || line.is_empty() {
            return rest.to_vec();
        }
        rest = &rest[line_end..];
    }
}

/// The bodies of `msgs`, sorted (file names do not sort in delivery order).
fn bodies(msgs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut b: Vec<Vec<u8>> = msgs.iter().map(|m| body(m)).collect();
    b.sort();
    b
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

const SMTPLIB: &str = r#"
import smtplib, sys
port = int(sys.argv[1])
s = smtplib.SMTP('127.0.0.1', port, local_hostname='client.example')
s.ehlo()
print('pipelining' if s.has_extn('pipelining') else 'no-pipelining')
# 1: plain 7-bit message with a leading-dot line
refused = s.sendmail('a@example.org', ['b@example.org', 'c@example.org'],
                     b'Subject: one\r\n\r\nline\r\n.leading dot\r\n')
assert refused == {}, refused
# 2: 8-bit body declared BODY=8BITMIME
s.sendmail('a@example.org', ['b@example.org'],
           'Subject: zwei\r\n\r\nGr\u00fc\u00dfe\r\n'.encode('utf-8'), mail_options=['BODY=8BITMIME'])
# 3: a refused recipient does not fail the rest
try:
    s.sendmail('a@example.org', ['b@example.org', 'bad address'], b'Subject: three\r\n\r\nx\r\n')
except smtplib.SMTPException as e:
    print('refused', type(e).__name__)
s.quit()
"#;

#[test]
fn python_smtplib_with_and_without_pipelining() {
    if !require_peer("python3") {
        return;
    }
    for driver in DRIVERS {
        for flags in [&[][..], &["--no-pipelining"][..]] {
            let dir = scratch(&format!("smtplib-{driver}-{}", flags.len()));
            let mut args = vec!["--driver", driver];
            args.extend_from_slice(flags);
            let (_guard, addr) = our_server(&dir, &args);
            let out = python(SMTPLIB, &[&addr.port().to_string()]);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let offered = if flags.is_empty() {
                "pipelining"
            } else {
                "no-pipelining"
            };
            assert!(stdout.lines().next() == Some(offered), "{stdout}");
            // The first message had two recipients: one copy each.
            let msgs = delivered_bytes(&dir, 4);
            assert_eq!(msgs.len(), 4, "{driver} {flags:?}");
            let mut want: Vec<Vec<u8>> = vec![
                b"Subject: one\n\nline\n.leading dot\n".to_vec(),
                b"Subject: one\n\nline\n.leading dot\n".to_vec(),
                "Subject: zwei\n\nGr\u{fc}\u{df}e\n".as_bytes().to_vec(),
                b"Subject: three\n\nx\n".to_vec(),
            ];
            want.sort();
            assert_eq!(bodies(&msgs), want, "{driver} {flags:?}");
            assert_eq!(count(&dir.join("tmp")), 0);
        }
    }
}

const BIG: &str = r#"
import smtplib, sys
port, size = int(sys.argv[1]), int(sys.argv[2])
line = b'0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ .,;:!?-_\r\n'
body = b'Subject: big\r\n\r\n' + line * (size // len(line))
s = smtplib.SMTP('127.0.0.1', port)
s.sendmail('a@example.org', ['b@example.org'], body)
s.quit()
print(len(body), body.count(b'\r\n'))
"#;

#[test]
fn python_smtplib_20_mb_message() {
    if !require_peer("python3") {
        return;
    }
    let dir = scratch("smtplib-20mb");
    let (_guard, addr) = our_server(&dir, &[]);
    let out = python(BIG, &[&addr.port().to_string(), &(20 << 20).to_string()]);
    let nums: Vec<usize> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let (sent, lines) = (nums[0], nums[1]);
    assert!(sent >= (20 << 20) - 100);
    let msgs = delivered_bytes(&dir, 1);
    assert_eq!(msgs.len(), 1);
    // Stored with LF line ends: one octet less per line.
    let msg = body(&msgs[0]);
    assert_eq!(msg.len(), sent - lines);
    assert!(msg.starts_with(b"Subject: big\n\n0123456789"));
    assert!(msg.ends_with(b".,;:!?-_\n"));
}

const RAW: &str = r#"
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(('127.0.0.1', port))
f = s.makefile('rb')
def reply():
    lines = []
    while True:
        l = f.readline()
        lines.append(l.decode().rstrip())
        if l[3:4] != b'-':
            return lines
reply()
s.sendall(b'EHLO raw.example\r\n'); reply()
if mode == 'pipelined':
    # RFC 2920: one write for the whole envelope; replies in order.
    s.sendall(b'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<>\r\nDATA\r\n')
    print([reply()[0][:3] for _ in range(4)])
    s.sendall(b'Subject: piped\r\n\r\nhello\r\n.\r\nQUIT\r\n')
    print(reply()[0][:3], reply()[0][:3])
elif mode == 'bdat':
    # RFC 3030 4.2: envelope and chunks pipelined, smuggling bytes inside a chunk.
    chunk1 = b'Subject: chunked\r\n\r\n'
    chunk2 = b'a\n.\r\nMAIL FROM:<evil@x>\r\n'
    s.sendall(b'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n'
              + b'BDAT %d\r\n' % len(chunk1) + chunk1 + b'BDAT %d LAST\r\n' % len(chunk2) + chunk2)
    print([reply()[0][:3] for _ in range(4)])
    s.sendall(b'QUIT\r\n'); reply()
elif mode == 'drop':
    s.sendall(b'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n')
    reply(); reply(); reply()
    s.sendall(b'Subject: never\r\n\r\n' + b'x' * 200000)
    time.sleep(0.3)
    s.close()
    print('dropped')
"#;

#[test]
fn raw_pipelining_bdat_and_drop_mid_data() {
    if !require_peer("python3") {
        return;
    }
    for driver in DRIVERS {
        let dir = scratch(&format!("raw-{driver}"));
        let (_guard, addr) = our_server(&dir, &["--driver", driver]);
        let port = addr.port().to_string();
        let out = python(RAW, &[&port, "pipelined"]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "['250', '250', '501', '354']\n250 221\n",
            "{driver}"
        );
        let out = python(RAW, &[&port, "bdat"]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "['250', '250', '250', '250']\n",
            "{driver}"
        );
        python(RAW, &[&port, "drop"]);
        std::thread::sleep(Duration::from_millis(300));
        let msgs = delivered_bytes(&dir, 2);
        assert_eq!(
            msgs.len(),
            2,
            "{driver}: the dropped message must not be delivered"
        );
        let all: Vec<String> = bodies(&msgs)
            .iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect();
        assert!(
            all.contains(&"Subject: piped\n\nhello\n".to_string()),
            "{all:?}"
        );
        assert!(
            all.contains(&"Subject: chunked\n\na\n.\nMAIL FROM:<evil@x>\n".to_string()),
            "{all:?}"
        );
        assert_eq!(
            count(&dir.join("tmp")),
            0,
            "{driver}: a dropped DATA left a file in tmp/"
        );
    }
}

fn swaks(addr: SocketAddr, extra: &[&str]) -> Output {
    let server = format!("{}:{}", addr.ip(), addr.port());
    Command::new("swaks")
        .args([
            "--server",
            &server,
            "--from",
            "a@example.org",
            "--to",
            "b@example.org",
            "--helo",
            "swaks.example",
        ])
        .args([
            "--header",
            "Subject: from swaks",
            "--body",
            "hello from swaks\n.dot line\n",
        ])
        .args(extra)
        .output()
        .expect("run swaks")
}

#[test]
fn swaks_pipelining_and_auth() {
    if !require_peer("swaks") {
        return;
    }
    for driver in DRIVERS {
        swaks_on(driver);
    }
}

fn swaks_on(driver: &str) {
    let dir = scratch(&format!("swaks-{driver}"));
    let (_guard, addr) = our_server(
        &dir,
        &[
            "--driver",
            driver,
            "--auth",
            "user:secret",
            "--allow-plaintext-auth",
        ],
    );
    let runs: [&[&str]; 4] = [
        &["--pipeline"],
        &[
            "--auth",
            "PLAIN",
            "--auth-user",
            "user",
            "--auth-password",
            "secret",
        ],
        &[
            "--auth",
            "LOGIN",
            "--auth-user",
            "user",
            "--auth-password",
            "secret",
        ],
        &[
            "--pipeline",
            "--auth",
            "PLAIN",
            "--auth-user",
            "user",
            "--auth-password",
            "secret",
        ],
    ];
    for extra in runs {
        let out = swaks(addr, extra);
        let text = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "swaks {extra:?}:\n{text}\n{err}");
        if extra.contains(&"--auth") {
            assert!(
                text.contains("235 2.7.0 Authentication successful"),
                "{text}"
            );
        }
        if extra.contains(&"--pipeline") {
            assert!(!text.contains("not supported"), "{text}");
        }
    }
    // Wrong password: swaks reports failure, nothing delivered for it.
    let out = swaks(
        addr,
        &[
            "--auth",
            "PLAIN",
            "--auth-user",
            "user",
            "--auth-password",
            "wrong",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("535 5.7.8"));
    let msgs = delivered_bytes(&dir, 4);
    assert_eq!(msgs.len(), 4);
    for m in msgs {
        let m = String::from_utf8_lossy(&m);
        // Authenticated submissions say so (RFC 3848): two of the four.
        assert!(m.starts_with("Return-Path: <a@example.org>\n"), "{m}");
        // swaks ends the body with blank lines of its own; the dot line arrives unstuffed.
        assert!(
            m.contains("Subject: from swaks\n") && m.contains("\n\nhello from swaks\n.dot line\n"),
            "{m}"
        );
    }
}

#[test]
fn smtp_send_to_smtp_sink_with_extensions_switched_off() {
    if !require_peer("/usr/sbin/smtp-sink") {
        return;
    }
    let dir = scratch("sink");
    let seven = dir.join("seven.eml");
    std::fs::write(&seven, b"Subject: seven\n\n.dot\nplain\n").unwrap();
    let eight = dir.join("eight.eml");
    std::fs::write(&eight, "Subject: eight\n\nGrüße\n").unwrap();
    // (smtp-sink flag, what the client must still manage, or refuse locally)
    let rows: &[(&str, &Path, &[&str], bool, &str)] = &[
        ("", &seven, &[], true, "all extensions on"),
        (
            "-p",
            &seven,
            &[],
            true,
            "no PIPELINING: one command at a time",
        ),
        ("-8", &seven, &[], true, "no 8BITMIME, 7-bit message"),
        (
            "-8",
            &eight,
            &[],
            false,
            "no 8BITMIME, 8-bit message: local error",
        ),
        ("-e", &seven, &[], true, "no ESMTP: HELO fallback"),
        ("-E", &seven, &[], true, "no ENHANCEDSTATUSCODES"),
        ("-N", &seven, &[], true, "no DSN"),
        (
            "",
            &seven,
            &["--auth", "u:p", "--allow-plaintext-auth"],
            true,
            "AUTH offered",
        ),
        (
            "",
            &seven,
            &["--auth", "u:p"],
            false,
            "AUTH offered, but not without TLS: local error",
        ),
        (
            "-a",
            &seven,
            &["--auth", "u:p", "--allow-plaintext-auth"],
            false,
            "no AUTH with credentials: local error",
        ),
    ];
    for (flag, file, extra, ok, what) in rows {
        let port = free_port();
        let mut cmd = Command::new("/usr/sbin/smtp-sink");
        // smtp-sink drops root privileges itself and needs a user to drop to.
        if is_root() {
            cmd.args(["-u", "nobody"]);
        }
        if !flag.is_empty() {
            cmd.arg(flag);
        }
        cmd.args([&format!("127.0.0.1:{port}"), "16"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let guard = ChildGuard(cmd.spawn().expect("start smtp-sink"));
        wait_port(port, "smtp-sink");
        let out = smtp_send(&format!("127.0.0.1:{port}"), file, extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.success(), *ok, "{what}: {stdout}{stderr}");
        drop(guard);
        if *ok {
            assert!(stdout.contains("250 2.0.0"), "{what}: {stdout}");
            if *flag == "-e" {
                // RFC 5321 3.2: EHLO refused, HELO accepted.
                assert!(
                    stdout.contains("500 5.5.1") && stdout.contains("250 smtp-sink\n"),
                    "{what}: {stdout}"
                );
            }
        } else {
            let why = match *flag {
                "-8" => "8BITMIME",
                _ if extra.contains(&"--auth") => "AUTH",
                _ => "SMTPUTF8",
            };
            assert!(stderr.contains(why), "{what}: {stderr}");
            assert!(
                !stdout.contains("2.1.0"),
                "{what}: MAIL was sent anyway: {stdout}"
            );
        }
    }
}

#[test]
fn smtp_send_to_aiosmtpd() {
    let dir = scratch("aiosmtpd");
    let Some(aiosmtpd) = common::aiosmtpd::start(&dir) else {
        return;
    };
    let port = aiosmtpd.port;
    let msg = dir.join("m.txt");
    std::fs::write(
        &msg,
        "Subject: to aiosmtpd\n\n..two dots\n.one dot\nÜmlaut\n",
    )
    .unwrap();
    let out = smtp_send(&format!("127.0.0.1:{port}"), &msg, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("250 2.0.0 saved 1"), "{stdout}");
    let got = std::fs::read(dir.join("1.eml")).unwrap();
    assert_eq!(
        got,
        "Subject: to aiosmtpd\r\n\r\n..two dots\r\n.one dot\r\nÜmlaut\r\n".as_bytes()
    );
    // UTF-8 addresses need SMTPUTF8, which aiosmtpd offers here.
    let out = Command::new(example_bin("smtp_send"))
        .args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--from",
            "jörg@example.org",
            "--to",
            "b@example.org",
        ])
        .arg(&msg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `smtp_send --count N`, the pipelined load generator of `benches/smtp_load.sh`: N
/// transactions in one session, each copy saved whole by an independent server; and a
/// count of zero is a usage error, not a silent success.
#[test]
fn smtp_send_count_delivers_every_copy() {
    let dir = scratch("aiosmtpd-count");
    let Some(aiosmtpd) = common::aiosmtpd::start(&dir) else {
        return;
    };
    let addr = format!("127.0.0.1:{}", aiosmtpd.port);
    let msg = dir.join("m.txt");
    std::fs::write(&msg, "Subject: copies\n\n.dot line\nbody\n").unwrap();
    let out = smtp_send(&addr, &msg, &["--count", "5"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One greeting, so one session, and five transactions in it.
    assert_eq!(stdout.matches("220 ").count(), 1, "{stdout}");
    for n in 1..=5 {
        assert!(stdout.contains(&format!("250 2.0.0 saved {n}")), "{stdout}");
        let got = std::fs::read(dir.join(format!("{n}.eml"))).unwrap();
        assert_eq!(
            got, b"Subject: copies\r\n\r\n.dot line\r\nbody\r\n",
            "copy {n}"
        );
    }
    assert!(!dir.join("6.eml").exists(), "a sixth copy was sent");
    let out = smtp_send(&addr, &msg, &["--count", "0"]);
    assert_eq!(out.status.code(), Some(2), "--count 0 must be refused");
    assert!(!dir.join("6.eml").exists());
}

/// `smtp_server --auth u:p --verbose` prints every event, and never a password: not in
/// the clear, not in base64 (the AUTH event holds it as a `Secret`).
#[test]
fn verbose_server_never_prints_passwords() {
    if !require_peer("swaks") {
        return;
    }
    use std::io::BufRead;
    let dir = scratch("verbose");
    let password = "pw-Zq8xK3vL";
    let child = Command::new(example_bin("smtp_server"))
        .args([
            "--maildir",
            dir.to_str().unwrap(),
            "--verbose",
            "--allow-plaintext-auth",
        ])
        .args([
            "--auth",
            &format!("user:{password}"),
            "--addr",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = ChildGuard(child);
    let stderr = guard.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let first = rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
    let addr: SocketAddr = first
        .strip_prefix("listening on ")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    for mech in ["PLAIN", "LOGIN"] {
        let out = swaks(
            addr,
            &[
                "--auth",
                mech,
                "--auth-user",
                "user",
                "--auth-password",
                password,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    drop(guard);
    // The reader ends once the killed server's stderr closes: every line is in.
    let logged: Vec<String> = rx.iter().collect();
    let all = logged.join("\n");
    assert!(
        all.contains("Auth {"),
        "the AUTH events were printed: {all}"
    );
    assert!(all.contains("<redacted>"), "{all}");
    let plain = wirestate::base64::encode(&wirestate::sasl::plain_message(
        b"",
        b"user",
        password.as_bytes(),
    ));
    let login = wirestate::base64::encode(password.as_bytes());
    for secret in [password, plain.as_str(), login.as_str()] {
        assert!(!all.contains(secret), "{secret} printed:\n{all}");
    }
}

/// Read by the dialogue scripts below (before their own lines): `reply()` reads one
/// reply from the socket file `f` and gives its last line.
const LAST_REPLY: &str = r#"
def reply():
    while True:
        l = f.readline()
        if l[3:4] != b'-':
            return l.decode().rstrip()
"#;

const PROXIED: &str = r#"
import socket, sys
port = int(sys.argv[1])
s = socket.create_connection(('127.0.0.1', port))
# A trusted load balancer's PROXY v1 header, then the client's own dialogue.
s.sendall(b'PROXY TCP4 203.0.113.7 127.0.0.1 40000 25\r\n')
f = s.makefile('rb')
reply()
for cmd in [b'EHLO far.example', b'MAIL FROM:<a@example.org>', b'RCPT TO:<b@example.org>', b'DATA']:
    s.sendall(cmd + b'\r\n'); reply()
s.sendall(b'Subject: proxied\r\n\r\nx\r\n.\r\n'); print(reply()[:3])
# Bare LF inside DATA: the server closes, and says so with 421 (RFC 5321 3.8).
for cmd in [b'MAIL FROM:<a@example.org>', b'RCPT TO:<b@example.org>', b'DATA']:
    s.sendall(cmd + b'\r\n'); reply()
s.sendall(b'Subject: bare\r\n\r\nbare\nlf\r\n.\r\n')
print(reply()[:9])
print(repr(f.read()))
"#;

const CHECK_TRACE: &str = r#"
import email, email.utils, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read())
rcvd = m['Received']
stamp, date = rcvd.rsplit(';', 1)
d = email.utils.parsedate_to_datetime(date.strip())
assert d.utcoffset().total_seconds() == 0, date
print(m['Return-Path'], m['Delivered-To'], ' '.join(stamp.split()))
"#;

/// Behind a PROXY header the `Received:` line names the real client; its date parses as
const NUL: &str = r#"
import socket, sys
port = int(sys.argv[1])
s = socket.create_connection(('127.0.0.1', port))
f = s.makefile('rb')
reply()
s.sendall(b'EHLO nul.example\r\n'); reply()
for body in (b'Subject: nul\r\n\r\na\x00b\r\n', b'Subject: clean\r\n\r\nok\r\n'):
    s.sendall(b'MAIL FROM:<a@example.org>\r\n'); reply()
    s.sendall(b'RCPT TO:<b@example.org>\r\n'); reply()
    s.sendall(b'DATA\r\n'); reply()
    s.sendall(body + b'.\r\n')
    print(reply()[:9])
s.sendall(b'QUIT\r\n'); print(reply()[:3])
"#;

/// smtp_server delivers into a Maildir, so by default it refuses a message holding NUL
/// (`smtp::NulPolicy::Reject`): `554 5.6.0`, nothing delivered, and the next message on
/// the same session goes through. `--nul accept` delivers it as sent.
#[test]
fn nul_in_data_is_refused_by_default_and_the_session_goes_on() {
    if !require_peer("python3") {
        return;
    }
    for (flag, first) in [(None, "554 5.6.0"), (Some("accept"), "250 2.0.0")] {
        let dir = scratch(&format!("nul-{}", flag.unwrap_or("default")));
        let extra: Vec<&str> = flag.map(|f| vec!["--nul", f]).unwrap_or_default();
        let (_guard, addr) = our_server(&dir, &extra);
        let out = python(&[LAST_REPLY, NUL].concat(), &[&addr.port().to_string()]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{first}\n250 2.0.0\n221\n"),
            "{flag:?}"
        );
        let want = if flag.is_some() { 2 } else { 1 };
        let msgs = delivered_bytes(&dir, want);
        let mut got = bodies(&msgs);
        got.sort();
        let mut expected = vec![b"Subject: clean\n\nok\n".to_vec()];
        if flag.is_some() {
            expected.push(b"Subject: nul\n\na\x00b\n".to_vec());
        }
        expected.sort();
        assert_eq!(got, expected, "{flag:?}");
        assert_eq!(count(&dir.join("tmp")), 0, "{flag:?}");
    }
}

/// RFC 5322 with Python's `email`; a bare LF in DATA is answered `421` and the close.
#[test]
fn proxied_client_in_received_and_421_on_bare_lf() {
    if !require_peer("python3") {
        return;
    }
    for driver in DRIVERS {
        let dir = scratch(&format!("proxied-{driver}"));
        let (_guard, addr) = our_server(
            &dir,
            &[
                "--driver",
                driver,
                "--proxy-protocol",
                "--hostname",
                "mx.example",
            ],
        );
        let out = python(&[LAST_REPLY, PROXIED].concat(), &[&addr.port().to_string()]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "250\n421 4.5.2\nb''\n",
            "{driver}"
        );
        let msgs = delivered_bytes(&dir, 1);
        assert_eq!(
            msgs.len(),
            1,
            "{driver}: the broken message must not be delivered"
        );
        let path = std::fs::read_dir(dir.join("new"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let out = python(CHECK_TRACE, &[path.to_str().unwrap()]);
        let line = String::from_utf8_lossy(&out.stdout);
        assert!(
            line.starts_with(
                "<a@example.org> b@example.org from far.example ([203.0.113.7]) \
                 by mx.example (wirestate) with ESMTP id "
            ),
            "{driver}: {line}"
        );
        assert!(line.trim_end().ends_with("for <b@example.org>"), "{line}");
        assert_eq!(count(&dir.join("tmp")), 0, "{driver}");
    }
}

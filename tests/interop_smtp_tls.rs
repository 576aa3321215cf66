//! SMTP over TLS with real, independent TLS stacks on 127.0.0.1, every certificate
//! generated at test time (a CA and a `localhost` leaf signed by it; nothing committed):
//! Python's `smtplib` (`starttls()`, `SMTP_SSL`, OpenSSL, verifying against the test
//! CA), swaks `--tls --tls-verify`, `openssl s_client -starttls smtp`, curl `smtp://
//! --ssl-reqd` and `smtps://` -> `smtp_server` (STARTTLS on each driver, implicit TLS);
//! `smtp_send --starttls require` and `--tls implicit` -> aiosmtpd with Python's TLS;
//! and the STARTTLS injection class (CVE-2011-0411) both ways with raw sockets.

mod common;

use common::{
    delivered, example_bin, free_port, pki, python, require_peer, smtp_send, spawn_server, text,
    ChildGuard, Pki,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    common::scratch("interop-smtp-tls", name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `smtp_server` with the test certificate, delivering into `dir/Maildir`.
fn tls_server(dir: &Path, pki: &Pki, extra: &[&str]) -> (ChildGuard, SocketAddr) {
    let maildir = dir.join("Maildir");
    let mut args = vec![
        "--maildir",
        s(&maildir),
        "--tls-cert",
        s(&pki.cert),
        "--tls-key",
        s(&pki.key),
    ];
    args.extend_from_slice(extra);
    spawn_server(&example_bin("smtp_server"), &args)
}

/// The `Received:` stamp says ESMTPS (or ESMTPSA) and the TLS version and cipher, as
/// Postfix writes them (RFC 3848; `(using TLSv1.3 with cipher ...)`).
fn assert_tls_stamp(msg: &str, with: &str) {
    assert!(msg.contains(&format!(" with {with} id ")), "{with}: {msg}");
    assert!(
        msg.contains("\t(using TLSv1.3 with cipher TLS13_"),
        "no TLS clause: {msg}"
    );
}

const SMTPLIB_STARTTLS: &str = r#"
import smtplib, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = smtplib.SMTP('localhost', port, local_hostname='client.example')
s.ehlo()
assert s.has_extn('starttls'), s.esmtp_features
# RFC 4954 4 / RFC 8314: no AUTH on the plaintext channel.
assert not s.has_extn('auth'), s.esmtp_features
s.starttls(context=ctx)
s.ehlo()
assert not s.has_extn('starttls'), 'STARTTLS offered again inside TLS'
assert s.has_extn('auth'), s.esmtp_features
s.login('user', 'secret')
s.sendmail('a@example.org', ['b@example.org'], b'Subject: over starttls\r\n\r\nhello\r\n')
print(s.sock.version(), s.sock.cipher()[0])
s.quit()
"#;

#[test]
fn python_smtplib_starttls_on_each_driver() {
    if !require_peer("python3") {
        return;
    }
    for driver in ["std", "mio", "tokio"] {
        let dir = scratch(&format!("starttls-{driver}"));
        let pki = pki(&dir);
        let (_guard, addr) = tls_server(&dir, &pki, &["--driver", driver, "--auth", "user:secret"]);
        let out = python(SMTPLIB_STARTTLS, &[&addr.port().to_string(), s(&pki.ca)]);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.starts_with("TLSv1.3 "), "{said}");
        let msgs = delivered(&dir.join("Maildir"), 1);
        assert_eq!(msgs.len(), 1, "{driver}");
        let m = &msgs[0];
        assert_tls_stamp(m, "ESMTPSA");
        assert!(
            m.contains("Received: from client.example ([127.0.0.1])\n"),
            "{m}"
        );
        assert!(m.ends_with("Subject: over starttls\n\nhello\n"), "{m}");
    }
}

const SMTPLIB_SSL: &str = r#"
import smtplib, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = smtplib.SMTP_SSL('localhost', port, local_hostname='client.example', context=ctx)
s.ehlo()
assert not s.has_extn('starttls'), 'STARTTLS offered on implicit TLS'
assert s.has_extn('auth'), s.esmtp_features
s.sendmail('a@example.org', ['b@example.org', 'c@example.org'], b'Subject: over smtps\r\n\r\nhi\r\n')
s.quit()
# Verification is on: a client trusting only the system roots must refuse us.
try:
    smtplib.SMTP_SSL('localhost', port, context=ssl.create_default_context())
    print('accepted an unknown CA')
except ssl.SSLCertVerificationError:
    print('refused unknown CA')
"#;

#[test]
fn python_smtplib_smtp_ssl_implicit_tls() {
    if !require_peer("python3") {
        return;
    }
    let dir = scratch("smtps");
    let pki = pki(&dir);
    let (_guard, addr) = tls_server(&dir, &pki, &["--implicit-tls", "--auth", "u:p"]);
    let out = python(SMTPLIB_SSL, &[&addr.port().to_string(), s(&pki.ca)]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "refused unknown CA\n");
    let msgs = delivered(&dir.join("Maildir"), 2);
    assert_eq!(msgs.len(), 2);
    for (m, rcpt) in msgs.iter().zip(["b@example.org", "c@example.org"]) {
        assert_tls_stamp(m, "ESMTPS");
        assert!(m.contains(&format!("Delivered-To: {rcpt}\n")), "{m}");
        assert!(m.contains(&format!("\tfor <{rcpt}>; ")), "{m}");
        assert!(m.starts_with("Return-Path: <a@example.org>\n"), "{m}");
    }
}

#[test]
fn swaks_tls_verified() {
    if !require_peer("swaks") {
        return;
    }
    // swaks does TLS with Perl's Net::SSLeay (Debian libnet-ssleay-perl).
    let ssl = Command::new("perl")
        .args(["-MNet::SSLeay", "-e", "1"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ssl {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Net::SSLeay (libnet-ssleay-perl) missing under CI=true"
        );
        eprintln!("skipping: swaks has no TLS without Net::SSLeay");
        return;
    }
    let dir = scratch("swaks");
    let pki = pki(&dir);
    let (_guard, addr) = tls_server(&dir, &pki, &["--auth", "user:secret"]);
    let out = Command::new("swaks")
        .args(["--server", "localhost", "--port", &addr.port().to_string()])
        .args(["--from", "a@example.org", "--to", "b@example.org"])
        .args(["--helo", "swaks.example", "--tls", "--tls-verify"])
        .args(["--tls-ca-path", s(&pki.ca)])
        .args([
            "--auth",
            "PLAIN",
            "--auth-user",
            "user",
            "--auth-password",
            "secret",
        ])
        .output()
        .expect("run swaks");
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("235 2.7.0"), "{t}");
    let msgs = delivered(&dir.join("Maildir"), 1);
    assert_eq!(msgs.len(), 1);
    assert_tls_stamp(&msgs[0], "ESMTPSA");
}

#[test]
fn openssl_s_client_starttls_smtp() {
    if !require_peer("openssl") {
        return;
    }
    let dir = scratch("openssl");
    let pki = pki(&dir);
    let (_guard, addr) = tls_server(&dir, &pki, &[]);
    let mut child = Command::new("openssl")
        .args(["s_client", "-starttls", "smtp", "-crlf", "-ign_eof"])
        .args(["-connect", &format!("127.0.0.1:{}", addr.port())])
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .args(["-CAfile", s(&pki.ca), "-verify_return_error"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        // The dialogue inside TLS, from a second EHLO on (RFC 3207 4.2).
        stdin
            .write_all(
                b"EHLO openssl.example\nMAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\n\
                  DATA\nSubject: openssl\n\nbody\n.\nQUIT\n",
            )
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let t = text(&out);
    assert!(t.contains("Verify return code: 0 (ok)"), "{t}");
    assert!(t.contains("250 2.0.0 Ok: queued as"), "{t}");
    assert!(t.contains("221"), "{t}");
    let msgs = delivered(&dir.join("Maildir"), 1);
    assert_eq!(msgs.len(), 1);
    assert_tls_stamp(&msgs[0], "ESMTPS");
}

#[test]
fn curl_smtp_ssl_reqd_and_smtps() {
    if !require_peer("curl") {
        return;
    }
    let dir = scratch("curl");
    let pki = pki(&dir);
    let mail = dir.join("mail.txt");
    std::fs::write(&mail, "Subject: from curl\r\n\r\ncurl body\r\n").unwrap();
    let (_g1, starttls) = tls_server(&dir, &pki, &["--auth", "user:secret"]);
    let (_g2, implicit) = tls_server(&dir, &pki, &["--implicit-tls"]);
    for url in [
        format!("smtp://localhost:{}", starttls.port()),
        format!("smtps://localhost:{}", implicit.port()),
    ] {
        let mut cmd = Command::new("curl");
        cmd.args(["--silent", "--show-error", "--url", &url])
            .args(["--cacert", s(&pki.ca)])
            .args([
                "--mail-from",
                "a@example.org",
                "--mail-rcpt",
                "b@example.org",
            ])
            .args(["--upload-file", s(&mail)]);
        if url.starts_with("smtp:") {
            cmd.args(["--ssl-reqd", "--user", "user:secret"]);
        }
        let out = cmd.output().expect("run curl");
        assert!(out.status.success(), "{url}: {}", text(&out));
    }
    let msgs = delivered(&dir.join("Maildir"), 2);
    assert_eq!(msgs.len(), 2);
    let withs: Vec<bool> = ["ESMTPSA", "ESMTPS"]
        .iter()
        .map(|w| msgs.iter().any(|m| m.contains(&format!(" with {w} id "))))
        .collect();
    assert_eq!(withs, [true, true], "{msgs:?}");
    for m in &msgs {
        assert!(m.ends_with("Subject: from curl\n\ncurl body\n"), "{m}");
    }
}

// ---------------------------------------------------------------------------------------
// smtp_send against aiosmtpd with Python's TLS (an independent server and TLS stack).

const AIOSMTPD_TLS: &str = r#"
import sys, time, os, ssl
from aiosmtpd.controller import Controller
port, out, cert, key, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
def tls(server, session):
    # session.ssl is set by STARTTLS; implicit TLS shows on the transport.
    return int(session.ssl is not None
               or server.transport.get_extra_info('ssl_object') is not None)
class Save:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Save.n += 1
        with open(os.path.join(out, '%d.eml' % Save.n), 'wb') as f:
            f.write(b'TLS=%d\n' % tls(server, session) + envelope.original_content)
        return '250 2.0.0 saved %d' % Save.n
    async def handle_MAIL(self, server, session, envelope, address, options):
        with open(os.path.join(out, 'commands'), 'a') as f:
            f.write('MAIL tls=%d\n' % tls(server, session))
        envelope.mail_from = address
        return '250 OK'
def auth(mech, login, password):
    with open(os.path.join(out, 'commands'), 'a') as f:
        f.write('AUTH\n')
    return True
kw = dict(hostname='127.0.0.1', port=port, decode_data=False, auth_callback=auth,
          auth_require_tls=False)
if mode == 'starttls':
    kw.update(tls_context=ctx, require_starttls=True)
elif mode == 'implicit':
    kw.update(ssl_context=ctx)
c = Controller(Save(), **kw)
c.start()
print('ready', flush=True)
time.sleep(120)
"#;

fn aiosmtpd_available() -> bool {
    if !require_peer("python3") {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "aiosmtpd missing under CI=true"
        );
        eprintln!("skipping: python module aiosmtpd is not installed");
    }
    ok
}

/// aiosmtpd in `mode` (`starttls`, `implicit` or `plain`) writing into `out`.
fn aiosmtpd(out: &Path, pki: &Pki, mode: &str) -> (ChildGuard, u16) {
    use std::io::BufRead;
    let port = free_port();
    let mut child = Command::new("python3")
        .args(["-c", AIOSMTPD_TLS, &port.to_string(), s(out)])
        .args([s(&pki.cert), s(&pki.key), mode])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    (ChildGuard(child), port)
}

fn commands(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("commands")).unwrap_or_default()
}

#[test]
fn smtp_send_starttls_require_and_implicit_to_aiosmtpd() {
    if !aiosmtpd_available() {
        return;
    }
    let dir = scratch("send-aiosmtpd");
    let pki = pki(&dir);
    let msg = dir.join("m.txt");
    std::fs::write(&msg, "Subject: tls\n\nsecret stuff\n").unwrap();
    let ca = ["--ca", s(&pki.ca)];

    // STARTTLS required and offered: the mail and the credentials go inside TLS.
    let out_dir = dir.join("starttls");
    std::fs::create_dir_all(&out_dir).unwrap();
    let (_g, port) = aiosmtpd(&out_dir, &pki, "starttls");
    let addr = format!("localhost:{port}");
    let mut args = vec!["--starttls", "require", "--auth", "u:p"];
    args.extend_from_slice(&ca);
    let out = smtp_send(&addr, &msg, &args);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(commands(&out_dir), "AUTH\nMAIL tls=1\n");
    let got = std::fs::read_to_string(out_dir.join("1.eml")).unwrap();
    assert_eq!(got, "TLS=1\nSubject: tls\r\n\r\nsecret stuff\r\n");
    // The default (opportunistic) takes STARTTLS too.
    let out = smtp_send(&addr, &msg, &ca);
    assert!(out.status.success(), "{}", text(&out));
    assert!(std::fs::read_to_string(out_dir.join("2.eml"))
        .unwrap()
        .starts_with("TLS=1\n"));
    // The name in --addr is checked against the certificate.
    let out = smtp_send(
        &addr,
        &msg,
        &[&ca[..], &["--tls-name", "other.example"]].concat(),
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).to_lowercase().contains("certificate"),
        "{}",
        text(&out)
    );
    // Without the test CA (system roots only) verification fails: no mail.
    let out = smtp_send(&addr, &msg, &["--starttls", "require"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(!out_dir.join("3.eml").exists());

    // Implicit TLS (aiosmtpd's ssl_context: TLS from the first byte).
    let out_dir = dir.join("implicit");
    std::fs::create_dir_all(&out_dir).unwrap();
    let (_g2, port) = aiosmtpd(&out_dir, &pki, "implicit");
    let mut args = vec!["--tls", "implicit"];
    args.extend_from_slice(&ca);
    let out = smtp_send(&format!("localhost:{port}"), &msg, &args);
    assert!(out.status.success(), "{}", text(&out));
    let got = std::fs::read_to_string(out_dir.join("1.eml")).unwrap();
    assert_eq!(got, "TLS=1\nSubject: tls\r\n\r\nsecret stuff\r\n");
}

#[test]
fn smtp_send_starttls_require_fails_before_credentials_or_mail() {
    if !aiosmtpd_available() {
        return;
    }
    let dir = scratch("send-require-plain");
    let pki = pki(&dir);
    let msg = dir.join("m.txt");
    std::fs::write(&msg, "Subject: never\n\nx\n").unwrap();
    // A server without STARTTLS: nothing but EHLO and QUIT may reach it.
    let (_g, port) = aiosmtpd(&dir, &pki, "plain");
    let addr = format!("127.0.0.1:{port}");
    for extra in [
        &["--starttls", "require"][..],
        &["--starttls", "require", "--auth", "u:p"][..],
        &[
            "--starttls",
            "require",
            "--auth",
            "u:p",
            "--allow-plaintext-auth",
        ][..],
        // No TLS policy given at all: credentials still never go in the clear.
        &["--auth", "u:p"][..],
        &["--no-tls", "--auth", "u:p"][..],
    ] {
        let out = smtp_send(&addr, &msg, extra);
        assert!(!out.status.success(), "{extra:?}: {}", text(&out));
        if extra.contains(&"require") {
            assert!(text(&out).contains("STARTTLS"), "{extra:?}: {}", text(&out));
        }
        assert_eq!(commands(&dir), "", "{extra:?}: sent before TLS");
    }
    assert!(!dir.join("1.eml").exists());
    // Plaintext AUTH only when asked for explicitly.
    let out = smtp_send(&addr, &msg, &["--auth", "u:p", "--allow-plaintext-auth"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(commands(&dir), "AUTH\nMAIL tls=0\n");
}

// ---------------------------------------------------------------------------------------
// STARTTLS injection (CVE-2011-0411; "NO STARTTLS", USENIX Security 2021).

const CLIENT_INJECTS: &str = r#"
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(('127.0.0.1', port))
def reply(sock):
    data = b''
    while True:
        c = sock.recv(1)
        if not c:
            return data.decode()
        data += c
        if data.endswith(b'\r\n'):
            last = data.split(b'\r\n')[-2]
            if last[3:4] != b'-':
                return data.decode()
reply(s)
s.sendall(b'EHLO evil.example\r\n'); reply(s)
# Plaintext pipelined behind STARTTLS, in the same segment: it must be discarded.
s.sendall(b'STARTTLS\r\nVRFY injected\r\nMAIL FROM:<injected@evil.example>\r\n')
r = reply(s)
assert r.startswith('220'), r
t = ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname='localhost')
t.sendall(b'EHLO evil.example\r\n')
first = reply(t)
print(first.splitlines()[0][:4])
t.sendall(b'RCPT TO:<b@example.org>\r\n')
print(reply(t)[:3])
t.sendall(b'QUIT\r\n')
print(reply(t)[:3])
"#;

#[test]
fn client_plaintext_pipelined_after_starttls_is_discarded() {
    if !require_peer("python3") {
        return;
    }
    let dir = scratch("inject-client");
    let pki = pki(&dir);
    for driver in ["std", "mio", "tokio"] {
        let (_guard, addr) = tls_server(&dir, &pki, &["--driver", driver]);
        let out = python(CLIENT_INJECTS, &[&addr.port().to_string(), s(&pki.ca)]);
        // The first reply inside TLS is the EHLO's (not a 252 to the injected VRFY), and
        // RCPT is out of sequence (503): the injected MAIL was never executed.
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "250-\n503\n221\n",
            "{driver}"
        );
    }
}

const SERVER_INJECTS: &str = r#"
import socket, sys, threading
srv = socket.socket()
srv.bind(('127.0.0.1', 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
mode = sys.argv[1]
c, _ = srv.accept()
f = c.makefile('rb')
c.sendall(b'220 evil.example ESMTP\r\n')
seen = []
while True:
    line = f.readline()
    if not line:
        break
    if not (line.isascii() and line.endswith(b'\r\n')):
        # TLS records (the ClientHello): not a command.
        continue
    seen.append(line.split()[0].decode() if line.split() else '')
    cmd = line.upper()
    if cmd.startswith(b'EHLO'):
        c.sendall(b'250-evil.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n')
    elif cmd.startswith(b'STARTTLS'):
        if mode == 'same-segment':
            # The 220 and a forged reply in one write: the forgery must not be read
            # as if it came inside TLS.
            c.sendall(b'220 2.0.0 go ahead\r\n250 2.0.0 forged\r\n')
        else:
            c.sendall(b'220 2.0.0 go ahead\r\n')
            c.sendall(b'250 2.0.0 plaintext where TLS is due\r\n')
    else:
        c.sendall(b'250 ok\r\n')
print(' '.join(seen), flush=True)
"#;

#[test]
fn server_plaintext_after_its_220_fails_smtp_send() {
    if !require_peer("python3") {
        return;
    }
    use std::io::BufRead;
    let dir = scratch("inject-server");
    let msg = dir.join("m.txt");
    std::fs::write(&msg, "Subject: x\n\nx\n").unwrap();
    for mode in ["same-segment", "later"] {
        let mut child = Command::new("python3")
            .args(["-c", SERVER_INJECTS, mode])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let port = lines.next().unwrap().unwrap();
        let _guard = ChildGuard(child);
        let out = smtp_send(
            &format!("localhost:{port}"),
            &msg,
            &["--starttls", "require", "--auth", "u:p"],
        );
        assert!(!out.status.success(), "{mode}: {}", text(&out));
        let seen = lines.next().map(|l| l.unwrap()).unwrap_or_default();
        // EHLO and STARTTLS, then the client gave up: no AUTH, no MAIL in the clear.
        assert_eq!(seen, "EHLO STARTTLS", "{mode}: {}", text(&out));
    }
}

// ---------------------------------------------------------------------------------------
// A refused STARTTLS (RFC 3207 4: `454 TLS not available due to temporary reason`).

/// A raw-socket server that offers STARTTLS and AUTH, answers STARTTLS with `454`, and
/// takes one session otherwise as a plain server would. Returns its port and, when the
/// session is over, every line the client sent (message lines included).
fn refusing_starttls_server() -> (u16, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut w = sock.try_clone().unwrap();
        let mut r = BufReader::new(sock);
        let mut seen = Vec::new();
        let mut in_data = false;
        w.write_all(b"220 refuser.example ESMTP\r\n").unwrap();
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            let l = line.trim_end_matches("\r\n").to_string();
            line.clear();
            seen.push(l.clone());
            let reply: &[u8] = if in_data {
                if l != "." {
                    continue;
                }
                in_data = false;
                b"250 2.0.0 queued in the clear\r\n"
            } else {
                match l
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase()
                    .as_str()
                {
                    "EHLO" => b"250-refuser.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n",
                    "STARTTLS" => b"454 4.7.0 TLS not available due to temporary reason\r\n",
                    "AUTH" => b"235 2.7.0 ok\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        let _ = w.write_all(b"221 bye\r\n");
                        break;
                    }
                    _ => b"250 ok\r\n",
                }
            };
            if w.write_all(reply).is_err() {
                break;
            }
        }
        seen
    });
    (port, server)
}

/// `--starttls opportunistic` (the default) goes on in plaintext after a `454` and the
/// message is delivered; AUTH still stays home without `--allow-plaintext-auth`.
/// `--starttls require` ends the session with a clear error and sends nothing.
#[test]
fn smtp_send_after_starttls_454_goes_on_only_when_opportunistic() {
    let dir = scratch("starttls-454");
    let pki = pki(&dir);
    let msg = dir.join("m.txt");
    std::fs::write(&msg, "Subject: clear\n\nplaintext body\n").unwrap();
    let ca = ["--ca", s(&pki.ca)];
    let run = |extra: &[&str]| {
        let (port, server) = refusing_starttls_server();
        let out = smtp_send(
            &format!("localhost:{port}"),
            &msg,
            &[&ca[..], extra].concat(),
        );
        (out, server.join().unwrap())
    };

    for extra in [&["--starttls", "opportunistic"][..], &[][..]] {
        let (out, seen) = run(extra);
        assert!(out.status.success(), "{extra:?}: {}", text(&out));
        assert!(
            text(&out).contains("454 4.7.0 TLS not available"),
            "{}",
            text(&out)
        );
        assert_eq!(
            seen,
            [
                "EHLO localhost",
                "STARTTLS",
                "MAIL FROM:<a@example.org>",
                "RCPT TO:<b@example.org>",
                "DATA",
                "Subject: clear",
                "",
                "plaintext body",
                ".",
                "QUIT"
            ],
            "{extra:?}"
        );
    }

    let (out, seen) = run(&["--starttls", "require"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("STARTTLS is required") && err.contains("454"),
        "{err}"
    );
    assert_eq!(seen, ["EHLO localhost", "STARTTLS", "QUIT"]);

    // Opportunistic with credentials: no AUTH and no mail in the clear, and it says why.
    let (out, seen) = run(&["--auth", "u:p"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refused STARTTLS") && err.contains("454"),
        "{err}"
    );
    assert_eq!(seen, ["EHLO localhost", "STARTTLS", "QUIT"]);

    // Unless plaintext AUTH is explicitly allowed.
    let (out, seen) = run(&["--auth", "u:p", "--allow-plaintext-auth"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(seen[2].starts_with("AUTH PLAIN "), "{seen:?}");
    assert!(seen.contains(&"plaintext body".to_string()), "{seen:?}");
}

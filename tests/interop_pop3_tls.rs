//! `pop3_server` and `pop3_fetch` over TLS against real TLS peers: Python `poplib`
//! (`stls()`, `POP3_SSL`, verifying against the test CA), `openssl s_client -starttls
//! pop3`, curl (`pop3://` with `--ssl-reqd`, `pop3s://`), fetchmail with `--ssl`; and the
//! STLS injection class with a raw socket in both directions. The certificate is
//! generated here, at test time, and never written outside a temporary directory.

mod common;

use common::{example_bin, pki, python_stdout, require_peer, spawn_server, ChildGuard};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const MESSAGES: &[(&str, &[u8])] = &[
    (
        "new/1700000001.M1P1.test",
        b"From: a@example.com\nSubject: one\n\nfirst body\n.leading dot\n",
    ),
    (
        "cur/1700000002.M2P2.test:2,S",
        b"From: b@example.com\r\nSubject: two\r\n\r\nsecond body\r\n",
    ),
];

/// A temporary directory with a Maildir and the test PKI ([`common::pki`]): `ca.pem`,
/// the CA the clients trust, and the server's `cert.pem` and `key.pem`.
struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn new(tag: &str) -> Fixture {
        let root =
            std::env::temp_dir().join(format!("wirestate-pop3tls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(root.join("Maildir").join(sub)).unwrap();
        }
        for (name, body) in MESSAGES {
            std::fs::write(root.join("Maildir").join(name), body).unwrap();
        }
        pki(&root);
        Fixture { root }
    }

    fn path(&self, name: &str) -> String {
        self.root.join(name).to_str().unwrap().to_string()
    }

    fn ca(&self) -> String {
        self.path("ca.pem")
    }

    /// Starts `pop3_server` with the certificate and `extra` flags.
    fn server(&self, extra: &[&str]) -> (ChildGuard, u16) {
        let (maildir, cert, key) = (
            self.path("Maildir"),
            self.path("cert.pem"),
            self.path("key.pem"),
        );
        let mut args = vec![
            "--maildir",
            &maildir,
            "--user",
            "alice",
            "--pass",
            "s3cret",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ];
        args.extend_from_slice(extra);
        let (child, addr) = spawn_server(&example_bin("pop3_server"), &args);
        (child, addr.port())
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[test]
fn poplib_stls_with_verification_on_every_driver() {
    if !require_peer("python3") {
        return;
    }
    for driver in ["std", "mio", "tokio"] {
        let fx = Fixture::new(&format!("stls-{driver}"));
        let (_server, port) = fx.server(&["--driver", driver]);
        let out = python_stdout(
            &format!(
                r#"
import poplib, ssl
ctx = ssl.create_default_context(cafile={ca:?})
p = poplib.POP3('localhost', {port}, timeout=10)
caps = p.capa()
print('STLS' in caps, 'USER' in caps)
try:
    p.user('alice'); print('no error')
except poplib.error_proto as e:
    print('error', e)
print(p.stls(context=ctx))
print('STLS' in p.capa())
print(p.sock.version())
p.user('alice')
print(p.pass_('s3cret'))
print(p.retr(1)[1][:2])
print(p.quit())
"#,
                ca = fx.ca()
            ),
            &[],
        );
        let got: Vec<&str> = out.lines().collect();
        // STLS is offered and USER is not: no password is asked for in the clear.
        assert_eq!(got[0], "True False", "{driver}: CAPA before TLS\n{out}");
        assert_eq!(
            got[1],
            "error b'-ERR [AUTH] plaintext authentication disallowed without TLS; use STLS'",
            "{driver}\n{out}"
        );
        assert_eq!(got[2], "b'+OK Begin TLS negotiation'", "{driver}\n{out}");
        assert_eq!(got[3], "False", "{driver}: no STLS once TLS is on\n{out}");
        assert_eq!(got[4], "TLSv1.3", "{driver}\n{out}");
        assert!(
            got[5].starts_with("b\"+OK alice's maildrop has 2"),
            "{driver}\n{out}"
        );
        assert_eq!(
            got[6], "[b'From: a@example.com', b'Subject: one']",
            "{driver}\n{out}"
        );
        assert!(got[7].starts_with("b'+OK"), "{driver}\n{out}");
    }
}

#[test]
fn poplib_pop3_ssl_implicit_tls() {
    if !require_peer("python3") {
        return;
    }
    for driver in ["std", "mio", "tokio"] {
        let fx = Fixture::new(&format!("pop3s-{driver}"));
        let (_server, port) = fx.server(&["--implicit-tls", "--driver", driver]);
        let out = python_stdout(
            &format!(
                r#"
import poplib, ssl
ctx = ssl.create_default_context(cafile={ca:?})
p = poplib.POP3_SSL('localhost', {port}, context=ctx, timeout=10)
print(p.getwelcome())
print('STLS' in p.capa())
p.user('alice')
print(p.pass_('s3cret'))
print(p.uidl()[1])
print(p.quit())
"#,
                ca = fx.ca()
            ),
            &[],
        );
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(
            got[0], "b'+OK wirestate POP3 server ready'",
            "{driver}\n{out}"
        );
        assert_eq!(
            got[1], "False",
            "{driver}: RFC 8314 has no STLS inside TLS\n{out}"
        );
        assert!(
            got[2].starts_with("b\"+OK alice's maildrop has 2"),
            "{driver}\n{out}"
        );
        assert_eq!(
            got[3], "[b'1 1700000001.M1P1.test', b'2 1700000002.M2P2.test']",
            "{driver}\n{out}"
        );
    }
}

#[test]
fn poplib_refuses_a_certificate_it_cannot_verify() {
    if !require_peer("python3") {
        return;
    }
    let fx = Fixture::new("noverify");
    let (_server, port) = fx.server(&["--implicit-tls"]);
    // The system roots do not know the test CA.
    let out = python_stdout(
        &format!(
            r#"
import poplib, ssl
try:
    poplib.POP3_SSL('localhost', {port}, context=ssl.create_default_context(), timeout=10)
    print('connected')
except ssl.SSLCertVerificationError:
    print('refused')
"#
        ),
        &[],
    );
    assert_eq!(out.trim(), "refused");
}

#[test]
fn openssl_s_client_starttls_pop3() {
    if !require_peer("openssl") {
        return;
    }
    let fx = Fixture::new("sclient");
    let (_server, port) = fx.server(&["--driver", "mio"]);
    let mut child = Command::new("openssl")
        .args(["s_client", "-quiet", "-crlf", "-starttls", "pop3"])
        .args(["-connect", &format!("127.0.0.1:{port}")])
        .args([
            "-CAfile",
            &fx.ca(),
            "-verify_return_error",
            "-verify_hostname",
            "localhost",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.contains("signing off");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    // s_client has sent STLS and finished the handshake before it reads stdin.
    for cmd in ["USER alice", "PASS s3cret", "STAT", "QUIT"] {
        writeln!(stdin, "{cmd}").unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let lines = reader.join().unwrap();
    drop(stdin);
    let _ = child.wait();
    let text = lines.join("\n");
    assert!(text.contains("+OK send PASS"), "{text}");
    assert!(
        text.contains("+OK alice's maildrop has 2 messages"),
        "{text}"
    );
    assert!(text.contains("+OK 2 "), "{text}");
    assert!(text.contains("signing off"), "{text}");
}

#[test]
fn curl_pop3_ssl_reqd_and_pop3s() {
    if !require_peer("curl") {
        return;
    }
    let fx = Fixture::new("curl");
    let (_stls, stls_port) = fx.server(&["--driver", "tokio"]);
    let fx2 = Fixture::new("curls");
    let (_implicit, implicit_port) = fx2.server(&["--implicit-tls"]);
    for (url, ca) in [
        (format!("pop3://localhost:{stls_port}/1"), fx.ca()),
        (format!("pop3s://localhost:{implicit_port}/1"), fx2.ca()),
    ] {
        let out = Command::new("curl")
            .args([
                "-sS",
                "--ssl-reqd",
                "--cacert",
                &ca,
                "-u",
                "alice:s3cret",
                &url,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let body = String::from_utf8_lossy(&out.stdout);
        assert!(
            body.starts_with("From: a@example.com\r\nSubject: one"),
            "{url}: {body}"
        );
        assert!(body.contains("\r\n.leading dot\r\n"), "{url}: {body}");
    }
}

#[test]
fn fetchmail_ssl_against_pop3_server() {
    if !require_peer("fetchmail") {
        return;
    }
    let fx = Fixture::new("fetchmail");
    let (_server, port) = fx.server(&["--implicit-tls", "--driver", "mio"]);
    let mbox = fx.root.join("mbox");
    let rc = fx.root.join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "poll localhost service {port} protocol pop3 user alice password s3cret \
             ssl sslcertck sslcertfile {ca} keep mda \"/bin/sh -c 'cat >> {mbox}'\"\n",
            ca = fx.ca(),
            mbox = mbox.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&rc).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
    std::fs::set_permissions(&rc, perms).unwrap();
    let out = Command::new("fetchmail")
        .args(["-f"])
        .arg(&rc)
        .args(["--nodetach", "--nosyslog", "-v"])
        .env("HOME", &fx.root)
        .env("FETCHMAILHOME", &fx.root)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");
    let got = std::fs::read_to_string(&mbox).unwrap_or_default();
    assert!(got.contains("first body"), "{log}\n{got}");
    assert!(got.contains("second body"), "{log}\n{got}");
}

fn pop3_fetch(args: &[&str], out_dir: &Path) -> std::process::Output {
    Command::new(example_bin("pop3_fetch"))
        .args(["--user", "alice", "--pass", "s3cret"])
        .args(args)
        .arg("--out")
        .arg(out_dir)
        .output()
        .unwrap()
}

#[test]
fn pop3_fetch_stls_require_and_tls_against_pop3_server() {
    let fx = Fixture::new("fetch");
    let (_stls, stls_port) = fx.server(&[]);
    let out = pop3_fetch(
        &[
            "--addr",
            &format!("localhost:{stls_port}"),
            "--stls",
            "require",
            "--ca",
            &fx.ca(),
        ],
        &fx.root.join("out1"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("fetched 2 messages"));
    let fx2 = Fixture::new("fetch2");
    let (_implicit, implicit_port) = fx2.server(&["--implicit-tls", "--driver", "tokio"]);
    let out = pop3_fetch(
        &[
            "--addr",
            &format!("localhost:{implicit_port}"),
            "--tls",
            "--ca",
            &fx2.ca(),
        ],
        &fx2.root.join("out2"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("fetched 2 messages"));
    // The wrong CA: the certificate does not verify and nothing is fetched.
    let out = pop3_fetch(
        &[
            "--addr",
            &format!("localhost:{implicit_port}"),
            "--tls",
            "--ca",
            &fx.ca(),
        ],
        &fx2.root.join("out3"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("certificate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Reads one CRLF-terminated line from a raw socket, byte by byte, so nothing after it
/// is consumed.
fn read_line(s: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if s.read(&mut b).unwrap() == 0 {
            break;
        }
        line.push(b[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}

fn client_config(ca: &str) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_file(ca).unwrap())
        .unwrap();
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

#[test]
fn plaintext_pipelined_after_stls_is_discarded() {
    let fx = Fixture::new("inject-client");
    let (_server, port) = fx.server(&["--allow-plaintext-auth"]);
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert!(read_line(&mut sock).starts_with("+OK"));
    // The attacker's bytes ride behind STLS in the same segment.
    sock.write_all(b"STLS\r\nUSER alice\r\nPASS s3cret\r\nDELE 1\r\n")
        .unwrap();
    assert_eq!(read_line(&mut sock), "+OK Begin TLS negotiation\r\n");
    let conn =
        rustls::ClientConnection::new(client_config(&fx.ca()), "localhost".try_into().unwrap())
            .unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    // Inside TLS the session is still in AUTHORIZATION: the pipelined USER/PASS never ran.
    tls.write_all(b"STAT\r\n").unwrap();
    let mut reader = BufReader::new(tls);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("-ERR"), "{line}");
    reader.get_mut().write_all(b"PASS s3cret\r\n").unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("-ERR"),
        "PASS without USER inside TLS: {line}"
    );
    reader.get_mut().write_all(b"QUIT\r\n").unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("+OK"), "{line}");
    // And nothing was deleted.
    assert!(fx.root.join("Maildir").join(MESSAGES[0].0).exists());
}

/// A server that answers STLS with `+OK` and then plaintext in the same segment: the
/// client must fail, never take it for a reply inside TLS, and never send the password.
#[test]
fn pop3_fetch_fails_on_plaintext_after_stls_ok() {
    for split in [false, true] {
        let fx = Fixture::new(&format!("inject-server-{split}"));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let evil = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(b"+OK evil POP3\r\n").unwrap();
            let mut seen = read_line(&mut s);
            s.write_all(b"+OK\r\nSTLS\r\nUSER\r\n.\r\n").unwrap();
            seen += &read_line(&mut s);
            if split {
                s.write_all(b"+OK begin TLS\r\n").unwrap();
                std::thread::sleep(Duration::from_millis(200));
                s.write_all(b"+OK injected\r\n").unwrap();
            } else {
                s.write_all(b"+OK begin TLS\r\n+OK injected\r\n").unwrap();
            }
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
            seen + &String::from_utf8_lossy(&rest)
        });
        let out = pop3_fetch(
            &[
                "--addr",
                &format!("localhost:{port}"),
                "--stls",
                "require",
                "--ca",
                &fx.ca(),
            ],
            &fx.root.join("out"),
        );
        let seen = evil.join().unwrap();
        assert_eq!(out.status.code(), Some(1), "split={split}");
        assert!(seen.starts_with("CAPA\r\nSTLS\r\n"), "{seen:?}");
        assert!(!seen.contains("USER") && !seen.contains("PASS"), "{seen:?}");
        eprintln!("split={split}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// `--stls require` against a server that does not offer STLS: no credential is sent.
#[test]
fn pop3_fetch_stls_require_fails_when_not_offered() {
    let fx = Fixture::new("nostls");
    let maildir = fx.path("Maildir");
    let (_server, addr) = spawn_server(
        &example_bin("pop3_server"),
        &["--maildir", &maildir, "--user", "alice", "--pass", "s3cret"],
    );
    let out = pop3_fetch(
        &[
            "--addr",
            &format!("localhost:{}", addr.port()),
            "--stls",
            "require",
            "--ca",
            &fx.ca(),
        ],
        &fx.root.join("out"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not offer STLS"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    ); // Opportunistic: no STLS, so no TLS, so the password stays home.
    let out = pop3_fetch(
        &[
            "--addr",
            &format!("localhost:{}", addr.port()),
            "--stls",
            "opportunistic",
            "--ca",
            &fx.ca(),
        ],
        &fx.root.join("out"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in the clear"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A raw-socket POP3 server that lists STLS in CAPA but answers it `-ERR`, and serves
/// one message otherwise. Returns its port and, when the session is over, every line
/// the client sent.
fn refusing_stls_server() -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(b"+OK refuser POP3\r\n").unwrap();
        let mut seen = Vec::new();
        loop {
            let line = read_line(&mut s);
            if line.is_empty() {
                break;
            }
            let l = line.trim_end().to_string();
            seen.push(l.clone());
            let verb = l.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "CAPA" => b"+OK\r\nSTLS\r\nUSER\r\nUIDL\r\n.\r\n",
                "STLS" => b"-ERR TLS not available now\r\n",
                "UIDL" => b"+OK\r\n1 only-one\r\n.\r\n",
                "LIST" => b"+OK\r\n1 27\r\n.\r\n",
                "RETR" => b"+OK\r\nSubject: clear\r\n\r\nplain body\r\n.\r\n",
                "QUIT" => {
                    let _ = s.write_all(b"+OK bye\r\n");
                    break;
                }
                _ => b"+OK\r\n",
            };
            if s.write_all(reply).is_err() {
                break;
            }
        }
        seen
    });
    (port, server)
}

/// RFC 2595 section 4 leaves the client to decide after `-ERR` to STLS:
/// `--stls opportunistic` goes on without TLS (and the password only with
/// `--allow-plaintext-auth`); `--stls require` ends the session before any credential.
#[test]
fn pop3_fetch_after_stls_err_goes_on_only_when_opportunistic() {
    let fx = Fixture::new("stls-err");
    let run = |extra: &[&str], out: &str| {
        let (port, server) = refusing_stls_server();
        let mut args = vec!["--addr".to_string(), format!("localhost:{port}")];
        args.extend(["--ca".to_string(), fx.ca()]);
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = pop3_fetch(&args, &fx.root.join(out));
        (result, server.join().unwrap())
    };
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();

    // Opportunistic, plaintext login allowed: the message is fetched in the clear.
    let (out, seen) = run(
        &["--stls", "opportunistic", "--allow-plaintext-auth"],
        "out1",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("fetched 1 messages"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        seen,
        [
            "CAPA",
            "STLS",
            "USER alice",
            "PASS s3cret",
            "UIDL",
            "LIST",
            "RETR 1",
            "QUIT"
        ]
    );
    let got = std::fs::read_to_string(fx.root.join("out1").join("only-one.eml")).unwrap();
    assert_eq!(got, "Subject: clear\r\n\r\nplain body\r\n");

    // Opportunistic without that permission: the password stays home.
    let (out, seen) = run(&["--stls", "opportunistic"], "out2");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("in the clear"), "{}", stderr(&out));
    assert_eq!(seen, ["CAPA", "STLS", "QUIT"]);

    // Required: a clear error, nothing sent after the refusal but QUIT.
    let (out, seen) = run(&["--stls", "require", "--allow-plaintext-auth"], "out3");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("refused STLS"), "{}", stderr(&out));
    assert_eq!(seen, ["CAPA", "STLS", "QUIT"]);
}

//! `pop3_fetch` against Dovecot's POP3 server (Debian `dovecot-pop3d`), started by the
//! test on a loopback port with a passwd-file and a Maildir in a temporary directory.

mod common;

use common::dovecot::{mail_owner, Dovecot};
use common::{example_bin, free_port, pki, require_peer};
use std::path::Path;
use std::process::Command;

const MESSAGES: &[(&str, &[u8])] = &[
    (
        "1700000001.M1P1.test",
        b"From: a@example.com\nSubject: one\n\nfirst body\n.leading dot\n",
    ),
    (
        "1700000002.M2P2.test",
        b"From: b@example.com\nSubject: two\n\nsecond body\n",
    ),
];

fn crlf(m: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in m.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// What this test adds to the shared Dovecot configuration. `tls`: the certificate and
/// key for `ssl = required` with a POP3S listener on `pop3s_port`; otherwise plaintext
/// with plaintext logins allowed.
fn service_config(
    root: &Path,
    port: u16,
    uid: u32,
    gid: u32,
    tls: Option<(&Path, &Path, u16)>,
) -> String {
    let r = root.display();
    let (ssl, pop3s) = match tls {
        None => (
            "ssl = no\ndisable_plaintext_auth = no\n".to_string(),
            String::new(),
        ),
        Some((cert, key, pop3s_port)) => (
            format!(
                "ssl = required\nssl_cert = <{}\nssl_key = <{}\ndisable_plaintext_auth = yes\n",
                cert.display(),
                key.display()
            ),
            format!("  inet_listener pop3s {{\n    port = {pop3s_port}\n    ssl = yes\n  }}\n"),
        ),
    };
    // Dovecot 2.3 (`dovecot --version`): `disable_plaintext_auth`; 2.4 renamed it
    // `auth_allow_cleartext`, which this file would then need instead.
    format!(
        "protocols = pop3\n\
         {ssl}\
         auth_mechanisms = plain\n\
         service pop3-login {{\n  chroot =\n  inet_listener pop3 {{\n    port = {port}\n  }}\n{pop3s}}}\n\
         passdb {{\n  driver = passwd-file\n  args = {r}/passwd\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={r}/home\n}}\n\
         mail_location = maildir:{r}/home/Maildir\n"
    )
}

#[test]
fn pop3_fetch_against_dovecot() {
    fetch_from_dovecot(false, "plain")
}

/// Dovecot with `ssl = required`: `pop3_fetch --stls require` on the POP3 port, and
/// `--tls` on the POP3S port, both verifying a certificate generated here.
#[test]
fn pop3_fetch_stls_require_and_tls_against_dovecot_ssl_required() {
    fetch_from_dovecot(true, "stls");
    fetch_from_dovecot(true, "tls");
}

fn fetch_from_dovecot(tls: bool, mode: &str) {
    if !require_peer("dovecot") {
        return;
    }
    let root = common::scratch("dovecot", mode);
    let maildir = root.join("home/Maildir");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for (name, body) in MESSAGES {
        std::fs::write(maildir.join("new").join(name), body).unwrap();
    }
    std::fs::write(root.join("passwd"), "tester:{PLAIN}secret::::::\n").unwrap();
    // As root the Maildir goes to `nobody` (Dovecot serves no mail as root).
    let messages: Vec<String> = MESSAGES
        .iter()
        .map(|(name, _)| format!("home/Maildir/new/{name}"))
        .collect();
    let mut owned = vec![
        "home",
        "home/Maildir",
        "home/Maildir/tmp",
        "home/Maildir/new",
        "home/Maildir/cur",
    ];
    owned.extend(messages.iter().map(String::as_str));
    let (uid, gid) = mail_owner(&root, &owned);
    let port = free_port();
    let pop3s_port = free_port();
    let pki = pki(&root);
    let conf = service_config(
        &root,
        port,
        uid,
        gid,
        tls.then_some((pki.cert.as_path(), pki.key.as_path(), pop3s_port)),
    );
    let ports = if tls {
        vec![port, pop3s_port]
    } else {
        vec![port]
    };
    let _dovecot = Dovecot::start(&root, &conf, &ports);

    let out_dir = root.join("fetched");
    let mut cmd = Command::new(example_bin("pop3_fetch"));
    cmd.args(["--user", "tester", "--pass", "secret"]);
    match mode {
        "stls" => cmd
            .args([
                "--addr",
                &format!("localhost:{port}"),
                "--stls",
                "require",
                "--ca",
            ])
            .arg(&pki.ca),
        "tls" => cmd
            .args([
                "--addr",
                &format!("localhost:{pop3s_port}"),
                "--tls",
                "--ca",
            ])
            .arg(&pki.ca),
        _ => cmd.args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--allow-plaintext-auth",
        ]),
    };
    let out = cmd
        .arg("--out")
        .arg(&out_dir)
        .args(["--delete", "--verbose"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "{stdout}{}\ndovecot log:\n{log}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("S: +OK Dovecot"), "{stdout}");
    if mode == "stls" {
        assert!(stdout.contains("C: STLS"), "{stdout}");
        // Dovecot lists USER and SASL only once TLS is on; the second CAPA shows it.
        let after = stdout.split("C: STLS").nth(1).unwrap();
        assert!(after.contains("S: USER"), "{stdout}");
    }
    assert!(stdout.contains("fetched 2 messages"), "{stdout}");
    // Dovecot's unique ids are its own; the messages are matched by content, in order.
    let mut files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
    let mut got: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    got.sort();
    let mut want: Vec<Vec<u8>> = MESSAGES.iter().map(|(_, m)| crlf(m)).collect();
    want.sort();
    assert_eq!(got, want, "{stdout}");
    // --delete: Dovecot expunged them at QUIT.
    let left: usize = ["new", "cur"]
        .iter()
        .map(|d| std::fs::read_dir(maildir.join(d)).unwrap().count())
        .sum();
    assert_eq!(left, 0, "{stdout}\n{log}");
    println!("{stdout}");
    let _ = std::fs::remove_dir_all(&root);
}

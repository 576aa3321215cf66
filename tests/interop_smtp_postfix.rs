//! A private Postfix instance (Debian `postfix`) on loopback, with a certificate
//! generated at test time: `smtp_send --starttls require` -> Postfix smtpd with
//! `smtpd_tls_security_level = encrypt`; then Postfix's own `smtp` client (with
//! `smtp_tls_security_level = verify` against the test CA) relays the message to
//! `smtp_server`, and Postfix's `lmtp` client delivers to `smtp_server --lmtp`.

mod common;

use common::maildir::delivered_text_within;
use common::postfix::{self, Postfix};
use common::{example_bin, free_port, require_peer, smtp_send, spawn_server, text};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    common::scratch("interop-postfix", name)
}

/// Starts Postfix listening on `port`, handing every message to `transport`.
fn postfix(root: &Path, port: u16, transport: &str) -> Postfix {
    let (ca, cert, key) = (
        root.join("ca.pem"),
        root.join("cert.pem"),
        root.join("key.pem"),
    );
    let main = format!(
        "myhostname = relay.example\n\
         default_transport = {transport}\n\
         relay_transport = {transport}\n\
         smtpd_tls_security_level = encrypt\n\
         smtpd_tls_cert_file = {cert}\n\
         smtpd_tls_key_file = {key}\n\
         smtp_tls_security_level = verify\n\
         smtp_tls_CAfile = {ca}\n\
         smtp_tls_policy_maps = inline:{{ {{ {transport_host} = verify match=localhost }} }}\n\
         lmtp_tls_security_level = none\n\
         smtp_host_lookup = native\n\
         lmtp_host_lookup = native\n\
         syslog_name = wirestate-test\n",
        cert = cert.display(),
        key = key.display(),
        ca = ca.display(),
        transport_host = transport.trim_start_matches("smtp:"),
    );
    let listener = format!("127.0.0.1:{port} inet n - n - - smtpd\n");
    Postfix::start(root, &main, &listener, &[port]).unwrap_or_else(|e| panic!("{e}"))
}

fn delivered(maildir: &Path, n: usize, root: &Path) -> Vec<String> {
    let all = delivered_text_within(maildir, n, Duration::from_secs(30));
    assert!(
        all.len() >= n,
        "nothing delivered; postfix log:\n{}",
        postfix::log(root)
    );
    all
}

fn available() -> bool {
    if !require_peer("/usr/sbin/postfix") {
        return false;
    }
    // Postfix's master needs root to bind and to drop to its own user.
    if !common::run::is_root() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the Postfix tests need root under CI=true"
        );
        eprintln!("skipping: a private Postfix instance needs root");
        return false;
    }
    true
}

/// `smtp_send` to Postfix by the certificate's name, trusting the test CA.
fn send(port: u16, ca: &Path, msg: &Path, extra: &[&str]) -> Output {
    let ca = ca.to_str().unwrap();
    let args = [&["--ca", ca], extra].concat();
    smtp_send(&format!("localhost:{port}"), msg, &args)
}

#[test]
fn smtp_send_starttls_to_postfix_then_postfix_relays_over_tls_to_smtp_server() {
    if !available() {
        return;
    }
    let root = scratch("relay");
    let common::Pki { ca, cert, key } = common::pki(&root);
    let maildir = root.join("Maildir");
    let (_ours, ours) = spawn_server(
        &example_bin("smtp_server"),
        &[
            "--maildir",
            maildir.to_str().unwrap(),
            "--hostname",
            "mx.example",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let port = free_port();
    // The next hop by address (Postfix's smtp client runs chrooted, without
    // /etc/hosts); its TLS policy verifies the certificate's name `localhost`.
    let _pf = postfix(&root, port, &format!("smtp:[127.0.0.1]:{}", ours.port()));
    let msg = root.join("m.txt");
    std::fs::write(&msg, "Subject: via postfix\n\n.dot\nhello\n").unwrap();

    // Postfix refuses mail in the clear (encrypt): smtp_send --no-tls fails, and
    // --starttls require goes through.
    let out = send(port, &ca, &msg, &["--no-tls"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("530 5.7.0"), "{}", text(&out));
    let out = send(port, &ca, &msg, &["--starttls", "require"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("220 2.0.0 Ready to start TLS"),
        "{}",
        text(&out)
    );

    let got = delivered(&maildir, 1, &root);
    let m = &got[0];
    assert!(m.starts_with("Return-Path: <a@example.org>\n"), "{m}");
    assert!(m.contains("Delivered-To: b@example.org\n"), "{m}");
    // Our stamp: from Postfix (its HELO name), over TLS, with ESMTPS.
    assert!(
        m.contains("Received: from relay.example ([127.0.0.1])\n"),
        "{m}"
    );
    assert!(m.contains("\t(using TLSv1.3 with cipher TLS13_"), "{m}");
    assert!(
        m.contains("\tby mx.example (wirestate) with ESMTPS id "),
        "{m}"
    );
    // Postfix's own stamp below ours, for the hop from smtp_send, also over TLS.
    assert!(
        m.contains("by relay.example (Postfix) with ESMTPS id"),
        "{m}"
    );
    // Postfix adds Message-Id, Date and From of its own to the header.
    assert!(m.contains("\nSubject: via postfix\n"), "{m}");
    assert!(m.ends_with("\n\n.dot\nhello\n"), "{m}");
}

#[test]
fn postfix_lmtp_client_delivers_to_smtp_server_lmtp() {
    if !available() {
        return;
    }
    let root = scratch("lmtp");
    let ca = common::pki(&root).ca;
    let maildir = root.join("Maildir");
    let (_ours, ours) = spawn_server(
        &example_bin("smtp_server"),
        &["--lmtp", "--maildir", maildir.to_str().unwrap()],
    );
    let port = free_port();
    let _pf = postfix(&root, port, &format!("lmtp:inet:127.0.0.1:{}", ours.port()));
    let msg = root.join("m.txt");
    std::fs::write(&msg, "Subject: via postfix lmtp\n\nhello\n").unwrap();
    let out = send(
        port,
        &ca,
        &msg,
        &["--to", "c@example.org", "--starttls", "require"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let got = delivered(&maildir, 2, &root);
    for (m, rcpt) in got.iter().zip(["b@example.org", "c@example.org"]) {
        assert!(m.contains(&format!("Delivered-To: {rcpt}\n")), "{m}");
        assert!(m.contains(" with LMTP id "), "{m}");
        assert!(m.contains("\nSubject: via postfix lmtp\n"), "{m}");
        assert!(m.ends_with("\n\nhello\n"), "{m}");
    }
}

//! LMTP (RFC 2033) with real peers on 127.0.0.1: Python's `smtplib.LMTP` ->
//! `smtp_server --lmtp` (on each driver); `smtp_send --lmtp` -> `smtp_server --lmtp`;
//! `smtp_send --lmtp` -> Dovecot's LMTP server (Debian `dovecot-lmtpd`) delivering into
//! a Maildir.

mod common;

use common::dovecot::{mail_owner, Dovecot};
use common::{delivered, example_bin, free_port, python, require_peer, spawn_server, text};
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    common::scratch("interop-lmtp", name)
}

const SMTPLIB_LMTP: &str = r#"
import smtplib, sys
port = int(sys.argv[1])
s = smtplib.LMTP('127.0.0.1', port, local_hostname='mta.example')
# LMTP answers after the data once per recipient (RFC 2033 4.2); smtplib raises if
# any failed, so an empty dict means every recipient got its own 250.
refused = s.sendmail('a@example.org', ['b@example.org', 'c@example.org', 'bad address'],
                     b'Subject: lmtp\r\n\r\nper recipient\r\n')
print(sorted(refused))
s.quit()
"#;

#[test]
fn python_smtplib_lmtp_on_each_driver() {
    if !require_peer("python3") {
        return;
    }
    for driver in ["std", "mio", "tokio"] {
        let dir = scratch(&format!("smtplib-{driver}"));
        let (_guard, addr) = spawn_server(
            &example_bin("smtp_server"),
            &[
                "--lmtp",
                "--driver",
                driver,
                "--maildir",
                dir.to_str().unwrap(),
            ],
        );
        let out = python(SMTPLIB_LMTP, &[&addr.port().to_string()]);
        // The malformed recipient is refused at RCPT; the other two are delivered.
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "['bad address']\n",
            "{driver}"
        );
        let msgs = delivered(&dir, 2);
        assert_eq!(msgs.len(), 2, "{driver}");
        for (m, rcpt) in msgs.iter().zip(["b@example.org", "c@example.org"]) {
            assert!(m.starts_with("Return-Path: <a@example.org>\n"), "{m}");
            assert!(m.contains(&format!("Delivered-To: {rcpt}\n")), "{m}");
            assert!(
                m.contains("Received: from mta.example ([127.0.0.1])\n"),
                "{m}"
            );
            // RFC 3848: LMTP.
            assert!(m.contains(" with LMTP id "), "{m}");
            assert!(m.contains(&format!("\tfor <{rcpt}>; ")), "{m}");
            assert!(m.ends_with("Subject: lmtp\n\nper recipient\n"), "{m}");
        }
    }
}

#[test]
fn smtp_send_lmtp_to_smtp_server_lmtp() {
    let dir = scratch("send");
    let (_guard, addr) = spawn_server(
        &example_bin("smtp_server"),
        &["--lmtp", "--maildir", dir.join("md").to_str().unwrap()],
    );
    let msg = dir.join("m.txt");
    std::fs::write(&msg, "Subject: ours\n\nbody\n").unwrap();
    let out = Command::new(example_bin("smtp_send"))
        .args(["--lmtp", "--no-tls", "--addr", &addr.to_string()])
        .args(["--from", "a@example.org", "--to", "b@example.org"])
        .args(["--to", "c@example.org"])
        .arg(&msg)
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    // One reply per recipient after the data.
    assert_eq!(t.matches("250 2.0.0 Ok: delivered as").count(), 2, "{t}");
    assert_eq!(delivered(&dir.join("md"), 2).len(), 2);
    // Without --lmtp, LHLO is not spoken and an LMTP server refuses EHLO/HELO.
    let out = Command::new(example_bin("smtp_send"))
        .args(["--no-tls", "--addr", &addr.to_string()])
        .args(["--from", "a@example.org", "--to", "b@example.org"])
        .arg(&msg)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
}

#[test]
fn smtp_send_lmtp_to_dovecot() {
    if !require_peer("dovecot") {
        return;
    }
    let lmtp = ["/usr/lib/dovecot/lmtp", "/usr/libexec/dovecot/lmtp"];
    if !lmtp.iter().any(|p| Path::new(p).exists()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "dovecot-lmtpd missing under CI=true: .ci/run should install it"
        );
        eprintln!("skipping: Dovecot's LMTP server (dovecot-lmtpd) is not installed");
        return;
    }
    let root = scratch("dovecot");
    std::fs::create_dir_all(root.join("home")).unwrap();
    // Dovecot refuses to deliver as root (first_valid_uid): as root, as `nobody`.
    let (uid, gid) = mail_owner(&root, &["home"]);
    let port = free_port();
    let r = root.display();
    let conf = format!(
        "protocols = lmtp\n\
         ssl = no\n\
         service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n}}\n\
         passdb {{\n  driver = static\n  args = nopassword=y\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={r}/home/%n\n}}\n\
         mail_location = maildir:~/Maildir\n\
         lmtp_save_to_detail_mailbox = no\n"
    );
    let dovecot = Dovecot::start(&root, &conf, &[port]);
    let log = || dovecot.log();
    let msg = root.join("m.txt");
    std::fs::write(&msg, "Subject: to dovecot\n\n.dot line\nbody\n").unwrap();
    let out = Command::new(example_bin("smtp_send"))
        .args(["--lmtp", "--no-tls", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--from", "a@example.org", "--to", "alice@example.org"])
        .args(["--to", "bob@example.org"])
        .arg(&msg)
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}\ndovecot log:\n{}", log());
    // Dovecot answers each recipient after the data (RFC 2033 4.2).
    assert_eq!(t.matches("250 2.0.0 <").count(), 2, "{t}");
    for user in ["alice", "bob"] {
        let md = root.join("home").join(user).join("Maildir");
        let got = delivered(&md, 1);
        assert_eq!(got.len(), 1, "{user}: {}", log());
        assert!(
            got[0].contains("Subject: to dovecot\n\n.dot line\nbody\n"),
            "{user}: {}",
            got[0]
        );
        // Dovecot adds its own trace fields at final delivery.
        assert!(
            got[0].starts_with("Return-Path: <a@example.org>\n"),
            "{}",
            got[0]
        );
        assert!(got[0].contains(" with LMTP\n"), "{}", got[0]);
    }
}

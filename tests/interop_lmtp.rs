//! LMTP (RFC 2033) with real peers on 127.0.0.1: Python's `smtplib.LMTP` ->
//! `smtp_server --lmtp` (on each driver); `smtp_send --lmtp` -> `smtp_server --lmtp`;
//! `smtp_send --lmtp` -> Dovecot's LMTP server (Debian `dovecot-lmtpd`) delivering into
//! a Maildir.

mod common;

use common::{example_bin, require_peer, spawn_server};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wirestate-interop-lmtp-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn delivered(maildir: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let names: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        if names.len() >= n || Instant::now() > deadline {
            let mut all: Vec<String> = names
                .iter()
                .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
                .collect();
            all.sort();
            return all;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
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
        let out = Command::new("python3")
            .args(["-c", SMTPLIB_LMTP, &addr.port().to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
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

/// Stops Dovecot with SIGTERM so its master shuts its children down too.
struct Dovecot(std::process::Child);

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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
    for d in ["run", "state", "home"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Dovecot refuses to deliver as root (first_valid_uid): as root, as `nobody`.
    let me = std::fs::metadata(&root).unwrap();
    let (uid, gid) = if me.uid() == 0 {
        (65534, 65534)
    } else {
        (me.uid(), me.gid())
    };
    if me.uid() == 0 {
        std::os::unix::fs::chown(root.join("home"), Some(uid), Some(gid)).unwrap();
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = root.display();
    let conf = format!(
        "listen = 127.0.0.1\n\
         base_dir = {r}/run\n\
         state_dir = {r}/state\n\
         log_path = {r}/dovecot.log\n\
         info_log_path = {r}/dovecot.log\n\
         protocols = lmtp\n\
         ssl = no\n\
         service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n}}\n\
         service anvil {{\n  chroot =\n}}\n\
         passdb {{\n  driver = static\n  args = nopassword=y\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={r}/home/%n\n}}\n\
         mail_location = maildir:~/Maildir\n\
         lmtp_save_to_detail_mailbox = no\n"
    );
    let conf_path = root.join("dovecot.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new("dovecot")
        .args(["-F", "-c"])
        .arg(&conf_path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _dovecot = Dovecot(child);
    let log = || std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "dovecot never listened: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
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

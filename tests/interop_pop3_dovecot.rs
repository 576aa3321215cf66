//! `pop3_fetch` against Dovecot's POP3 server (Debian `dovecot-pop3d`), started by the
//! test on a loopback port with a passwd-file and a Maildir in a temporary directory.

mod common;

use common::{example_bin, require_peer};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// `tls`: the certificate and key for `ssl = required` with a POP3S listener on
/// `pop3s_port`; otherwise plaintext with plaintext logins allowed.
fn write_config(
    root: &Path,
    port: u16,
    uid: u32,
    gid: u32,
    tls: Option<(&Path, &Path, u16)>,
) -> std::path::PathBuf {
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
    let conf = format!(
        "listen = 127.0.0.1\n\
         base_dir = {r}/run\n\
         state_dir = {r}/state\n\
         log_path = {r}/dovecot.log\n\
         info_log_path = {r}/dovecot.log\n\
         protocols = pop3\n\
         {ssl}\
         auth_mechanisms = plain\n\
         service pop3-login {{\n  chroot =\n  inet_listener pop3 {{\n    port = {port}\n  }}\n{pop3s}}}\n\
         service anvil {{\n  chroot =\n}}\n\
         passdb {{\n  driver = passwd-file\n  args = {r}/passwd\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={r}/home\n}}\n\
         mail_location = maildir:{r}/home/Maildir\n"
    );
    let path = root.join("dovecot.conf");
    std::fs::write(&path, conf).unwrap();
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
    let version = Command::new("dovecot").arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let root =
        std::env::temp_dir().join(format!("wirestate-dovecot-{mode}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let maildir = root.join("home/Maildir");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for d in ["run", "state"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    for (name, body) in MESSAGES {
        std::fs::write(maildir.join("new").join(name), body).unwrap();
    }
    // Dovecot's auth process runs as the `dovecot` user and must read the passwd-file.
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(root.join("passwd"), "tester:{PLAIN}secret::::::\n").unwrap();
    // Dovecot refuses to serve mail as root (first_valid_uid), so as root the Maildir
    // goes to `nobody`; otherwise it is served as the current user.
    let me = std::fs::metadata(&root).unwrap();
    let (uid, gid) = if me.uid() == 0 {
        (65534, 65534)
    } else {
        (me.uid(), me.gid())
    };
    if me.uid() == 0 {
        for entry in [
            "home",
            "home/Maildir",
            "home/Maildir/tmp",
            "home/Maildir/new",
            "home/Maildir/cur",
        ] {
            std::os::unix::fs::chown(root.join(entry), Some(uid), Some(gid)).unwrap();
        }
        for (name, _) in MESSAGES {
            std::os::unix::fs::chown(maildir.join("new").join(name), Some(uid), Some(gid)).unwrap();
        }
    }
    let port = free_port();
    let pop3s_port = free_port();
    let (cert, key) = (root.join("cert.pem"), root.join("key.pem"));
    if tls {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(&cert, c.cert.pem()).unwrap();
        std::fs::write(&key, c.signing_key.serialize_pem()).unwrap();
    }
    let conf = write_config(
        &root,
        port,
        uid,
        gid,
        tls.then_some((cert.as_path(), key.as_path(), pop3s_port)),
    );
    let child = Command::new("dovecot")
        .args(["-F", "-c"])
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _dovecot = Dovecot(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let last = if tls { pop3s_port } else { port };
    while TcpStream::connect(("127.0.0.1", port)).is_err()
        || TcpStream::connect(("127.0.0.1", last)).is_err()
    {
        assert!(
            Instant::now() < deadline,
            "dovecot {version} did not listen on {port}; its log:\n{}",
            std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

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
            .arg(&cert),
        "tls" => cmd
            .args([
                "--addr",
                &format!("localhost:{pop3s_port}"),
                "--tls",
                "--ca",
            ])
            .arg(&cert),
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

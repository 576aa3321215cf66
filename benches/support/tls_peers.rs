//! The servers `benches/tls.rs` compares, started as child processes on loopback: our
//! `smtp_server` and `pop3_server` (release build) with and without TLS, a private
//! Postfix (its own `main.cf`, `master.cf` and queue in a temporary directory, mail to
//! the `discard` transport) and a private Dovecot POP3 (its own config, passwd-file and
//! Maildir). Each is stopped when dropped.

use crate::dovecot::{mail_owner, Dovecot};
use crate::postfix;
use crate::run::{free_port, listening_addr, stop};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process stopped with SIGTERM (so a master process stops its children, and
/// valgrind writes its profile), then killed if it is still there after 10 s.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        stop(&mut self.0, Duration::from_secs(10));
    }
}

/// `target/release`, found from this bench binary's own path (`target/release/deps/`).
pub fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("bench binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/release/deps")
        .to_path_buf()
}

/// Builds (or confirms up to date) the release servers.
pub fn build_servers() {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release", "--example", "smtp_server"])
        .args(["--example", "pop3_server"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(status.success(), "building the example servers failed");
}

/// Starts one of our example servers (`prefix` is e.g. `valgrind --tool=callgrind`) with
/// `--addr 127.0.0.1:0` and waits for its `listening on ADDR` line.
pub fn ours(prefix: &[String], example: &str, args: &[String]) -> (Proc, SocketAddr) {
    let program = release_dir().join("examples").join(example);
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&program);
            c
        }
        None => Command::new(&program),
    };
    let mut child = cmd
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
    let label = example.to_string();
    let addr = listening_addr(&mut child, Duration::from_secs(120), move |line| {
        // valgrind's own lines start with "==".
        if !line.starts_with("==") && !line.starts_with("listening on ") {
            eprintln!("{label}: {line}");
        }
    });
    let proc = Proc(child);
    let addr = addr.unwrap_or_else(|| panic!("{example} never printed 'listening on'"));
    (proc, addr)
}

/// A private Postfix (the shared launcher in `tests/common/postfix.rs`) and its ports;
/// `postfix stop` when dropped.
pub struct Postfix {
    _running: postfix::Postfix,
    /// smtpd with STARTTLS offered (`smtpd_tls_security_level = may`).
    pub starttls_port: u16,
    /// smtpd with `smtpd_tls_wrappermode = yes` (SMTPS).
    pub implicit_port: u16,
}

/// Starts Postfix in `root` (which holds `cert.pem`/`key.pem`), or says why not. Every
/// message goes to the `discard` transport after it is queued (and fsynced), so what is
/// measured is smtpd plus cleanup, as our server's measure is its Maildir write.
pub fn postfix(root: &Path) -> Result<Postfix, String> {
    if !Path::new("/usr/sbin/postfix").exists() {
        return Err("postfix is not installed".into());
    }
    let r = root.display();
    let (starttls_port, implicit_port) = (free_port(), free_port());
    // No DNS: the client's name is not looked up (our server does not look it up either).
    let main = format!(
        "myhostname = bench.example\n\
         smtpd_peername_lookup = no\n\
         default_transport = discard\n\
         relay_transport = discard\n\
         smtpd_tls_security_level = may\n\
         smtpd_tls_cert_file = {r}/cert.pem\n\
         smtpd_tls_key_file = {r}/key.pem\n\
         syslog_name = wirestate-bench\n"
    );
    let listeners = format!(
        "127.0.0.1:{starttls_port} inet n - n - - smtpd\n\
         127.0.0.1:{implicit_port} inet n - n - - smtpd\n  \
         -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_security_level=encrypt\n"
    );
    let running =
        postfix::Postfix::start(root, &main, &listeners, &[starttls_port, implicit_port])?;
    Ok(Postfix {
        _running: running,
        starttls_port,
        implicit_port,
    })
}

/// A private Dovecot POP3 with `ssl = required` on `port` (STLS), serving `message` to
/// user `bench` with password `bench`, started by the tests' own launcher.
pub fn dovecot(root: &Path, message: &[u8]) -> Result<(Dovecot, u16), String> {
    if Command::new("dovecot").arg("--version").output().is_err() {
        return Err("dovecot is not installed".into());
    }
    let maildir = root.join("home/Maildir");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let name = "home/Maildir/cur/1700000001.M1P1.bench:2,S";
    std::fs::write(root.join(name), message).unwrap();
    std::fs::write(root.join("passwd"), "bench:{PLAIN}bench::::::\n").unwrap();
    let (uid, gid) = mail_owner(
        root,
        &[
            "home",
            "home/Maildir",
            "home/Maildir/tmp",
            "home/Maildir/new",
            "home/Maildir/cur",
            name,
        ],
    );
    let port = free_port();
    let r = root.display();
    let conf = format!(
        "protocols = pop3\n\
         ssl = required\n\
         ssl_cert = <{r}/cert.pem\n\
         ssl_key = <{r}/key.pem\n\
         disable_plaintext_auth = yes\n\
         auth_mechanisms = plain\n\
         service pop3-login {{\n  chroot =\n  inet_listener pop3 {{\n    port = {port}\n  }}\n}}\n\
         passdb {{\n  driver = passwd-file\n  args = {r}/passwd\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={r}/home\n}}\n\
         mail_location = maildir:{r}/home/Maildir\n"
    );
    Ok((Dovecot::start(root, &conf, &[port]), port))
}

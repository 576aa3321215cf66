//! Every client program on every driver (`--driver std|mio|tokio`) against the real peers
//! the other interop tests use, with the same assertions on each driver:
//! `greeting_client` against the classic Python server (byte-exact output),
//! `http_get` against `python3 -m http.server` (a 300 KB file, byte-exact, so the body
//! spans many reads), `smtp_send` against aiosmtpd (the message as saved, byte-exact)
//! and `pop3_fetch` against a private Dovecot (every message, byte-exact, deleted).

mod common;

use common::{example_bin, require_peer, spawn_server, ChildGuard};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DRIVERS: [&str; 3] = ["std", "mio", "tokio"];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wirestate-client-drivers-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} never listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs an example program; panics with its output unless it exits 0.
fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(example_bin(program))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn greeting_client_on_every_driver_against_the_python_server() {
    if !require_peer("python3") {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/greeting_server.py");
    let (_server, addr) = spawn_server(Path::new("python3"), &["-u", script.to_str().unwrap()]);
    let names = ["Michael", "Tracy", "Zoë", "Mary Ann"];
    let mut want = String::from("Welcome!\n");
    for n in names {
        want += &format!("Hello, {n}!\n");
    }
    for driver in DRIVERS {
        let mut args = vec!["--driver", driver, "--addr"];
        let addr = addr.to_string();
        args.push(&addr);
        args.extend(names);
        let out = run("greeting_client", &args);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            want,
            "--driver {driver}"
        );
    }
}

#[test]
fn http_get_on_every_driver_against_python_http_server() {
    if !require_peer("python3") {
        return;
    }
    let dir = scratch("http");
    let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.join("big.bin"), &body).unwrap();
    let port = free_port();
    let _server = ChildGuard(
        Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
            ])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(port, "python http.server");
    for driver in DRIVERS {
        let saved = dir.join(format!("saved-{driver}"));
        let url = format!("http://127.0.0.1:{port}/big.bin");
        let out = run(
            "http_get",
            &["--driver", driver, &url, "-o", saved.to_str().unwrap()],
        );
        let head = String::from_utf8_lossy(&out.stderr);
        assert!(
            head.starts_with("HTTP/1.0 200 "),
            "--driver {driver}: {head}"
        );
        assert!(
            head.contains("saved 300000 bytes"),
            "--driver {driver}: {head}"
        );
        assert!(
            std::fs::read(&saved).unwrap() == body,
            "--driver {driver}: body differs"
        );
    }
}

#[test]
fn smtp_send_on_every_driver_against_aiosmtpd() {
    let dir = scratch("smtp");
    let Some(aiosmtpd) = common::aiosmtpd::start(&dir) else {
        return;
    };
    let port = aiosmtpd.port;
    // A body of many 64 KiB pieces, with lines that need dot-stuffing.
    let mut text = String::from("Subject: drivers\n\n");
    for i in 0..20_000 {
        text += &format!(".line {i} of the body\n");
    }
    let msg = dir.join("m.txt");
    std::fs::write(&msg, &text).unwrap();
    let want = text.replace('\n', "\r\n");
    for (n, driver) in DRIVERS.iter().enumerate() {
        let addr = format!("127.0.0.1:{port}");
        let out = run(
            "smtp_send",
            &[
                "--driver",
                driver,
                "--addr",
                &addr,
                "--from",
                "a@example.org",
                "--to",
                "b@example.org",
                msg.to_str().unwrap(),
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let saved = format!("250 2.0.0 saved {}", n + 1);
        assert!(stdout.contains(&saved), "--driver {driver}: {stdout}");
        assert!(stdout.contains("221"), "--driver {driver}: {stdout}");
        let got = std::fs::read(dir.join(format!("{}.eml", n + 1))).unwrap();
        assert!(got == want.as_bytes(), "--driver {driver}: message differs");
    }
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

/// A private plaintext Dovecot POP3 server for `tester`/`secret` on `port`, serving the
/// Maildir `root/home/Maildir` (the same set-up as `interop_pop3_dovecot`).
fn start_dovecot(root: &Path, port: u16) -> Dovecot {
    for d in [
        "run",
        "state",
        "home/Maildir/tmp",
        "home/Maildir/new",
        "home/Maildir/cur",
    ] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    // Dovecot's auth process runs as the `dovecot` user and must read the passwd-file.
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(root.join("passwd"), "tester:{PLAIN}secret::::::\n").unwrap();
    let r = root.display();
    let conf = format!(
        "listen = 127.0.0.1\nbase_dir = {r}/run\nstate_dir = {r}/state\n\
         log_path = {r}/dovecot.log\ninfo_log_path = {r}/dovecot.log\nprotocols = pop3\n\
         ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain\n\
         service pop3-login {{\n  chroot =\n  inet_listener pop3 {{\n    port = {port}\n  }}\n}}\n\
         service anvil {{\n  chroot =\n}}\n\
         passdb {{\n  driver = passwd-file\n  args = {r}/passwd\n}}\n\
         userdb {{\n  driver = static\n  args = uid=UID gid=GID home={r}/home\n}}\n\
         mail_location = maildir:{r}/home/Maildir\n"
    );
    // Dovecot refuses to serve mail as root (first_valid_uid): as root the Maildir goes
    // to `nobody`.
    let me = std::fs::metadata(root).unwrap();
    let (uid, gid) = if me.uid() == 0 {
        (65534, 65534)
    } else {
        (me.uid(), me.gid())
    };
    let conf = conf
        .replace("UID", &uid.to_string())
        .replace("GID", &gid.to_string());
    std::fs::write(root.join("dovecot.conf"), conf).unwrap();
    let child = Command::new("dovecot")
        .args(["-F", "-c"])
        .arg(root.join("dovecot.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = Dovecot(child);
    wait_port(port, "dovecot");
    guard
}

/// Puts `messages` into the Maildir, owned as Dovecot will serve them.
fn fill_maildir(root: &Path, messages: &[(String, Vec<u8>)]) {
    let me = std::fs::metadata(root).unwrap();
    for (name, body) in messages {
        let path = root.join("home/Maildir/new").join(name);
        std::fs::write(&path, body).unwrap();
        if me.uid() == 0 {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        }
    }
    if me.uid() == 0 {
        for d in [
            "home",
            "home/Maildir",
            "home/Maildir/tmp",
            "home/Maildir/new",
            "home/Maildir/cur",
        ] {
            std::os::unix::fs::chown(root.join(d), Some(65534), Some(65534)).unwrap();
        }
    }
}

#[test]
fn pop3_fetch_on_every_driver_against_dovecot() {
    if !require_peer("dovecot") {
        return;
    }
    let root = scratch("dovecot");
    let port = free_port();
    let _dovecot = start_dovecot(&root, port);
    for driver in DRIVERS {
        // Two messages per run, the second large enough to span many reads; each run
        // deletes what it fetched, so the next driver starts from its own two.
        let mut big = format!("Subject: two {driver}\n\n").into_bytes();
        big.extend((0..5_000).flat_map(|i| format!(".dotted line {i}\n").into_bytes()));
        let messages = vec![
            (
                format!("1700000001.M1P1.{driver}"),
                format!("Subject: one {driver}\n\nfirst\n").into_bytes(),
            ),
            (format!("1700000002.M2P2.{driver}"), big),
        ];
        fill_maildir(&root, &messages);
        let out_dir = root.join(format!("fetched-{driver}"));
        let addr = format!("127.0.0.1:{port}");
        let out = run(
            "pop3_fetch",
            &[
                "--driver",
                driver,
                "--addr",
                &addr,
                "--user",
                "tester",
                "--pass",
                "secret",
                "--allow-plaintext-auth",
                "--delete",
                "--out",
                out_dir.to_str().unwrap(),
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("fetched 2 messages") && stdout.contains("deleted on the server"),
            "--driver {driver}: {stdout}"
        );
        let mut got: Vec<Vec<u8>> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        got.sort_by_key(|m| m.len());
        let mut want: Vec<Vec<u8>> = messages
            .iter()
            .map(|(_, m)| {
                String::from_utf8_lossy(m)
                    .replace('\n', "\r\n")
                    .into_bytes()
            })
            .collect();
        want.sort_by_key(|m| m.len());
        assert!(got == want, "--driver {driver}: fetched messages differ");
        let left = ["new", "cur"]
            .iter()
            .map(|d| {
                std::fs::read_dir(root.join("home/Maildir").join(d))
                    .unwrap()
                    .count()
            })
            .sum::<usize>();
        assert_eq!(left, 0, "--driver {driver}: deleted on the server");
    }
}

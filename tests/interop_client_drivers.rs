//! Every client program on every driver (`--driver std|mio|tokio`) against the real peers
//! the other interop tests use, with the same assertions on each driver:
//! `greeting_client` against the classic Python server (byte-exact output),
//! `http_get` against `python3 -m http.server` (a 300 KB file, byte-exact, so the body
//! spans many reads), `smtp_send` against aiosmtpd (the message as saved, byte-exact)
//! and `pop3_fetch` against a private Dovecot (every message, byte-exact, deleted).

mod common;

use common::dovecot::{mail_owner, Dovecot};
use common::{example_bin, free_port, require_peer, spawn_server, wait_port, ChildGuard};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const DRIVERS: [&str; 3] = ["std", "mio", "tokio"];

fn scratch(name: &str) -> PathBuf {
    common::scratch("client-drivers", name)
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

/// The Maildir Dovecot serves, and its directories, relative to the test directory.
const MAILDIR_DIRS: [&str; 5] = [
    "home",
    "home/Maildir",
    "home/Maildir/tmp",
    "home/Maildir/new",
    "home/Maildir/cur",
];

/// A private plaintext Dovecot POP3 server for `tester`/`secret` on `port`, serving the
/// Maildir `root/home/Maildir` (the same set-up as `interop_pop3_dovecot`).
fn start_dovecot(root: &Path, port: u16) -> Dovecot {
    for d in MAILDIR_DIRS {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("passwd"), "tester:{PLAIN}secret::::::\n").unwrap();
    let (uid, gid) = mail_owner(root, &MAILDIR_DIRS);
    let r = root.display();
    let conf = format!(
        "protocols = pop3\n\
         ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain\n\
         service pop3-login {{\n  chroot =\n  inet_listener pop3 {{\n    port = {port}\n  }}\n}}\n\
         passdb {{\n  driver = passwd-file\n  args = {r}/passwd\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={r}/home\n}}\n\
         mail_location = maildir:{r}/home/Maildir\n"
    );
    Dovecot::start(root, &conf, &[port])
}

/// Puts `messages` into the Maildir, owned as Dovecot will serve them.
fn fill_maildir(root: &Path, messages: &[(String, Vec<u8>)]) {
    let mut owned: Vec<String> = MAILDIR_DIRS.iter().map(|d| d.to_string()).collect();
    for (name, body) in messages {
        let path = format!("home/Maildir/new/{name}");
        std::fs::write(root.join(&path), body).unwrap();
        owned.push(path);
    }
    let owned: Vec<&str> = owned.iter().map(String::as_str).collect();
    mail_owner(root, &owned);
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

//! Behind a load balancer: a real HAProxy on loopback sends PROXY protocol v2 headers to
//! two instances (one on mio, one on tokio) of `http_server --proxy-protocol` and of
//! `smtp_server --proxy-protocol`; curl's requests and smtplib's mail through it are
//! spread over both, each server logs the real client's address (the client's own port,
//! not HAProxy's), every delivered message's `Received:` line names the real client, and
//! a direct connection without a header is refused without a word. The greeting server
//! takes a v1 header the same way.

mod common;

use common::{eventually, require_peer, start_logged, ChildGuard, Logged};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A private HAProxy in `dir`: PROXY v2 (`send-proxy-v2`), round robin over
/// `backends`, listening on the returned loopback port.
fn haproxy(dir: &Path, backends: &[SocketAddr]) -> (ChildGuard, u16) {
    let front = free_port();
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, a)| format!("  server s{i} {a} send-proxy-v2\n"))
        .collect();
    let config = format!(
        "global\n  maxconn 256\n\
         defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 10s\n  timeout server 10s\n\
         frontend fe\n  bind 127.0.0.1:{front}\n  default_backend be\n\
         backend be\n  balance roundrobin\n{servers}"
    );
    let config_path = dir.join("haproxy.cfg");
    std::fs::write(&config_path, config).unwrap();
    let haproxy = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start haproxy");
    let guard = ChildGuard(haproxy);
    wait_listening(front, "haproxy");
    (guard, front)
}

fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wirestate-haproxy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Two instances of `program --proxy-protocol --verbose`, one on mio and one on tokio.
fn two_servers(program: &str, args: impl Fn(usize) -> Vec<String>) -> Vec<Logged> {
    ["mio", "tokio"]
        .iter()
        .enumerate()
        .map(|(i, driver)| {
            let mut all = args(i);
            all.extend(["--driver", driver, "--proxy-protocol", "--verbose"].map(String::from));
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            start_logged(program, &all)
        })
        .collect()
}

/// Each server's log lines that `matches` picks; asserts that `want` of them arrive in
/// all, spread over both servers as round robin does.
fn spread(servers: &[Logged], want: usize, matches: impl Fn(&str) -> bool) -> Vec<String> {
    let picked = |s: &Logged| {
        s.lines()
            .into_iter()
            .filter(|l| matches(l))
            .collect::<Vec<_>>()
    };
    assert!(
        eventually(|| servers.iter().map(|s| picked(s).len()).sum::<usize>() == want),
        "every connection logged once: {:?} {:?}",
        servers[0].lines(),
        servers[1].lines()
    );
    let counts: Vec<usize> = servers.iter().map(|s| picked(s).len()).collect();
    assert!(
        counts.iter().all(|&n| n >= want / 2 - 1),
        "round robin spreads the load: {counts:?}"
    );
    servers.iter().flat_map(picked).collect()
}

/// A direct connection, without a header, is refused: no word of the protocol (not even
/// a greeting), just a close.
fn refuses_without_header(servers: &[Logged], first: &[u8]) {
    for s in servers {
        let mut direct = TcpStream::connect(s.addr).unwrap();
        direct
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        direct.write_all(first).unwrap();
        let mut got = Vec::new();
        let _ = direct.read_to_end(&mut got);
        assert!(
            got.is_empty(),
            "no answer without a header: {:?}",
            String::from_utf8_lossy(&got)
        );
    }
}

#[test]
fn haproxy_send_proxy_v2_to_two_http_servers() {
    if !require_peer("haproxy") || !require_peer("curl") {
        return;
    }
    let dir = fresh_dir("http");
    std::fs::write(dir.join("index.html"), "<h1>balanced</h1>\n").unwrap();
    let root = dir.to_str().unwrap().to_string();
    let servers = two_servers("http_server", |_| vec!["--root".into(), root.clone()]);
    let (_haproxy, front) = haproxy(&dir, &[servers[0].addr, servers[1].addr]);

    const REQUESTS: usize = 10;
    let mut client_ports = Vec::new();
    for _ in 0..REQUESTS {
        let out = Command::new("curl")
            .args([
                "-s",
                "--http1.1",
                "-w",
                "\n%{local_port}",
                &format!("http://127.0.0.1:{front}/"),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "curl through haproxy");
        let text = String::from_utf8_lossy(&out.stdout);
        let (body, port) = text.rsplit_once('\n').unwrap();
        assert_eq!(body, "<h1>balanced</h1>\n");
        client_ports.push(port.trim().to_string());
    }
    // Each request logged once, by one server, with curl's own address and port: the
    // address from the PROXY header, not HAProxy's connection.
    let all = spread(&servers, REQUESTS, |l| {
        l.starts_with("http: ") && l.ends_with(": GET / HTTP/1.1")
    });
    for port in &client_ports {
        let want = format!("http: 127.0.0.1:{port}: GET / HTTP/1.1");
        assert!(all.contains(&want), "{want} not in {all:?}");
    }
    refuses_without_header(&servers, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Mail through HAProxy: smtplib connects from 127.0.0.2 (HAProxy reaches the servers
/// from 127.0.0.1), so the client address in each server's log and in the `Received:`
/// line of each delivered file can only have come from the PROXY header.
#[test]
fn haproxy_send_proxy_v2_to_two_smtp_servers() {
    if !require_peer("haproxy") || !require_peer("python3") {
        return;
    }
    let dir = fresh_dir("smtp");
    let maildir = |i: usize| dir.join(format!("Maildir{i}"));
    let servers = two_servers("smtp_server", |i| {
        vec!["--maildir".into(), maildir(i).to_str().unwrap().to_string()]
    });
    let (_haproxy, front) = haproxy(&dir, &[servers[0].addr, servers[1].addr]);

    const MESSAGES: usize = 8;
    let script = format!(
        r#"
import smtplib
for i in range({MESSAGES}):
    s = smtplib.SMTP("127.0.0.1", {front}, source_address=("127.0.0.2", 0), timeout=20)
    port = s.sock.getsockname()[1]
    s.sendmail("a@example.org", ["b@example.org"], "Subject: %d\r\n\r\nport %d\r\n" % (i, port))
    s.quit()
    print(port)
"#
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "smtplib through haproxy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ports: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ports.len(), MESSAGES);

    // One EHLO logged per session, each with smtplib's own address and port.
    let all = spread(&servers, MESSAGES, |l| l.contains(": Hello {"));
    for port in &ports {
        let want = format!("127.0.0.2:{port}: Hello {{");
        assert!(
            all.iter().any(|l| l.starts_with(&want)),
            "{want} not in {all:?}"
        );
    }
    // Every message delivered once, spread over both Maildirs, stamped with the client.
    let files: Vec<String> = (0..2)
        .flat_map(|i| std::fs::read_dir(maildir(i).join("new")).unwrap())
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files.len(), MESSAGES, "{files:?}");
    for i in 0..2 {
        let n = std::fs::read_dir(maildir(i).join("new")).unwrap().count();
        assert!(n >= MESSAGES / 2 - 1, "Maildir{i} has {n} of {MESSAGES}");
    }
    for port in &ports {
        let file = files
            .iter()
            .find(|f| {
                f.contains(&format!("\nport {port}\n")) || f.contains(&format!("\nport {port}\r\n"))
            })
            .unwrap_or_else(|| panic!("no message from port {port}: {files:?}"));
        let received = file
            .lines()
            .find(|l| l.starts_with("Received: from "))
            .unwrap_or_else(|| panic!("no Received line: {file}"));
        assert!(received.contains("([127.0.0.2])"), "{received}");
    }
    refuses_without_header(&servers, b"");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The greeting server with `--proxy-protocol`: a v1 header's client address reaches
/// the log, and the protocol runs after it; without a header, nothing is said.
#[test]
fn greeting_server_takes_a_proxy_v1_header_on_every_driver() {
    for driver in ["std", "mio", "tokio"] {
        let server = start_logged(
            "greeting_server",
            &["--driver", driver, "--proxy-protocol", "--verbose"],
        );
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"PROXY TCP4 192.0.2.7 192.0.2.1 40000 9999\r\n")
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"Welcome!", "--driver {driver}");
        s.write_all(b"Ada").unwrap();
        let n = s.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"Hello, Ada!");
        s.write_all(b"exit").unwrap();
        assert!(
            eventually(|| server
                .lines()
                .iter()
                .any(|l| l.starts_with("greeting: 192.0.2.7:40000: "))),
            "--driver {driver}: {:?}",
            server.lines()
        );

        let mut direct = TcpStream::connect(server.addr).unwrap();
        direct
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        direct.write_all(b"Ada").unwrap();
        let mut got = Vec::new();
        let _ = direct.read_to_end(&mut got);
        assert!(got.is_empty(), "--driver {driver}: {got:?}");
    }
}

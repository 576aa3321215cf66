//! Behind a load balancer: a real HAProxy on loopback sends PROXY protocol v2 headers to
//! two instances of `http_server --proxy-protocol`; curl's requests through it are
//! spread over both, each server logs the real client's address (curl's own port, not
//! HAProxy's), and a direct connection without a header is refused without a word. The
//! greeting server takes a v1 header the same way.

mod common;

use common::{example_bin, require_peer, ChildGuard};
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A server program started on a free port, its stderr collected line by line.
struct Logged {
    _guard: ChildGuard,
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
}

fn start_logged(program: &str, args: &[&str]) -> Logged {
    let mut child = Command::new(example_bin(program))
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start server");
    let stderr = child.stderr.take().unwrap();
    let guard = ChildGuard(child);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(addr) = line.strip_prefix("listening on ") {
                let _ = tx.send(addr.trim().to_string());
            }
            sink.lock().unwrap().push(line);
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("listening line")
        .parse()
        .unwrap();
    Logged {
        _guard: guard,
        addr,
        lines,
    }
}

impl Logged {
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

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

/// Waits until `f` holds, for at most 10 s (log lines arrive through a pipe).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

#[test]
fn haproxy_send_proxy_v2_to_two_http_servers() {
    if !require_peer("haproxy") || !require_peer("curl") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("wirestate-haproxy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>balanced</h1>\n").unwrap();
    let root = dir.to_str().unwrap();
    let drivers = ["mio", "tokio"];
    let servers: Vec<Logged> = drivers
        .iter()
        .map(|d| {
            start_logged(
                "http_server",
                &[
                    "--root",
                    root,
                    "--driver",
                    d,
                    "--proxy-protocol",
                    "--verbose",
                ],
            )
        })
        .collect();
    let front = free_port();
    let config = format!(
        "global\n  maxconn 256\n\
         defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 10s\n  timeout server 10s\n\
         frontend fe\n  bind 127.0.0.1:{front}\n  default_backend be\n\
         backend be\n  balance roundrobin\n\
           server s0 {} send-proxy-v2\n  server s1 {} send-proxy-v2\n",
        servers[0].addr, servers[1].addr
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
    let _haproxy = ChildGuard(haproxy);
    wait_listening(front, "haproxy");

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
    let logged = |s: &Logged| {
        s.lines()
            .into_iter()
            .filter(|l| l.starts_with("http: ") && l.ends_with(": GET /"))
            .collect::<Vec<_>>()
    };
    assert!(
        eventually(|| servers.iter().map(|s| logged(s).len()).sum::<usize>() == REQUESTS),
        "every request logged: {:?} {:?}",
        servers[0].lines(),
        servers[1].lines()
    );
    let counts: Vec<usize> = servers.iter().map(|s| logged(s).len()).collect();
    assert!(
        counts.iter().all(|&n| n >= REQUESTS / 2 - 1),
        "round robin spreads the load: {counts:?}"
    );
    let all: Vec<String> = servers.iter().flat_map(logged).collect();
    for port in &client_ports {
        let want = format!("http: 127.0.0.1:{port}: GET /");
        assert!(all.contains(&want), "{want} not in {all:?}");
    }

    // A direct connection, without a header, is refused: no response, just a close.
    for s in &servers {
        let mut direct = TcpStream::connect(s.addr).unwrap();
        direct
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        direct
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut got = Vec::new();
        let _ = direct.read_to_end(&mut got);
        assert!(
            got.is_empty(),
            "no answer without a header: {:?}",
            String::from_utf8_lossy(&got)
        );
    }
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

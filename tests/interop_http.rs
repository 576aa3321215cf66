//! The HTTP examples against real, independent peers on 127.0.0.1: curl and Python's
//! `http.client` against `http_server` on each of its drivers (std, mio, tokio); `http_get` against `python3 -m http.server` and
//! against Python servers sending chunked and close-delimited responses; `http.client`
//! parsing `http_mio_server`'s answers to pipelined requests.

mod common;

use common::{example_bin, require_peer, spawn_server, ChildGuard};
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn site() -> tempdir::Dir {
    let dir = tempdir::Dir::new("site");
    std::fs::write(dir.path().join("index.html"), "<h1>index</h1>\n").unwrap();
    std::fs::write(dir.path().join("a.txt"), "file a\n").unwrap();
    dir
}

/// A throwaway directory removed on drop.
mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let p = std::env::temp_dir().join(format!(
                "wirestate-http-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().expect("run peer");
    if !out.status.success() {
        panic!(
            "{cmd:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// Every driver `--driver` names.
const DRIVERS: [&str; 3] = ["std", "mio", "tokio"];

fn file_server(root: &std::path::Path, driver: &str) -> (ChildGuard, SocketAddr) {
    spawn_server(
        &example_bin("http_server"),
        &["--root", root.to_str().unwrap(), "--driver", driver],
    )
}

#[test]
fn curl_keeps_the_connection_alive_across_two_urls() {
    if !require_peer("curl") {
        return;
    }
    for driver in DRIVERS {
        let dir = site();
        let (_server, addr) = file_server(dir.path(), driver);
        let out = run(Command::new("curl").args([
            "-sv",
            "--http1.1",
            &format!("http://{addr}/a.txt"),
            &format!("http://{addr}/"),
        ]));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "file a\n<h1>index</h1>\n"
        );
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(log.contains("Re-using existing connection"), "{log}");
        assert!(
            log.contains("< Content-Type: text/html; charset=utf-8"),
            "{log}"
        );
    }
}

/// A file larger than one chunk is streamed by the handler through `on_send_ready`
/// (64 KiB at a time, paced by `wants_body`), and curl gets every byte.
#[test]
fn curl_gets_a_large_file_streamed_a_chunk_at_a_time() {
    if !require_peer("curl") {
        return;
    }
    for driver in DRIVERS {
        let dir = site();
        let big: Vec<u8> = (0..3 * 1024 * 1024 + 17)
            .map(|i: u32| (i % 253) as u8)
            .collect();
        std::fs::write(dir.path().join("big.bin"), &big).unwrap();
        let (_server, addr) = file_server(dir.path(), driver);
        let out = run(Command::new("curl").args([
            "-s",
            "--http1.1",
            &format!("http://{addr}/big.bin"),
            &format!("http://{addr}/a.txt"),
        ]));
        assert_eq!(out.stdout.len(), big.len() + 7);
        assert!(out.stdout[..big.len()] == big[..], "the body differs");
        assert_eq!(&out.stdout[big.len()..], b"file a\n");
    }
}

#[test]
fn curl_head_gets_the_length_and_no_body() {
    if !require_peer("curl") {
        return;
    }
    for driver in DRIVERS {
        let dir = site();
        let (_server, addr) = file_server(dir.path(), driver);
        let out = run(Command::new("curl").args([
            "-s",
            "--http1.1",
            "--head",
            &format!("http://{addr}/a.txt"),
        ]));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("Content-Length: 7\r\n"), "{text}");
        assert!(
            text.ends_with("\r\n\r\n"),
            "no body after a HEAD head: {text:?}"
        );
    }
}

#[test]
fn curl_chunked_upload_is_drained_and_the_connection_reused() {
    if !require_peer("curl") {
        return;
    }
    for driver in DRIVERS {
        let dir = site();
        let (_server, addr) = file_server(dir.path(), driver);
        let upload = dir.path().join("upload.bin");
        std::fs::write(&upload, vec![b'x'; 100_000]).unwrap();
        let out = run(Command::new("curl").args([
            "-sv",
            "--http1.1",
            "-T",
            upload.to_str().unwrap(),
            "-H",
            "Transfer-Encoding: chunked",
            &format!("http://{addr}/upload"),
            "--next",
            "--http1.1",
            &format!("http://{addr}/a.txt"),
        ]));
        let log = String::from_utf8_lossy(&out.stderr);
        // curl asks for 100-continue; the machine sends it when the handler reads the body.
        assert!(log.contains("< HTTP/1.1 100 Continue"), "{log}");
        assert!(log.contains("< HTTP/1.1 405 Method Not Allowed"), "{log}");
        assert!(log.contains("< Allow: GET, HEAD"), "{log}");
        assert!(log.contains("Re-using existing connection"), "{log}");
        assert!(String::from_utf8_lossy(&out.stdout).ends_with("file a\n"));
    }
}

const PY_CLIENT: &str = r#"
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
out = []
for method, path in [("GET", "/a.txt"), ("HEAD", "/a.txt"), ("GET", "/missing"), ("POST", "/a.txt"), ("GET", "/")]:
    body = b"data" if method == "POST" else None
    c.request(method, path, body=body)
    r = c.getresponse()
    data = r.read()
    out.append("%s %s %d %s %r allow=%s" % (method, path, r.status, r.getheader("Content-Length"), data, r.getheader("Allow")))
    # One connection for all five: http.client reconnects silently, so check the socket.
    out.append("sock=%d" % id(c.sock))
print("\n".join(out))
"#;

#[test]
fn python_http_client_against_the_file_server() {
    if !require_peer("python3") {
        return;
    }
    for driver in DRIVERS {
        let dir = site();
        let (_server, addr) = file_server(dir.path(), driver);
        let out = run(Command::new("python3").args([
            "-c",
            PY_CLIENT,
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ]));
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "GET /a.txt 200 7 b'file a\\n' allow=None");
        assert_eq!(lines[2], "HEAD /a.txt 200 7 b'' allow=None");
        assert_eq!(lines[4], "GET /missing 404 10 b'not found\\n' allow=None");
        assert_eq!(
            lines[6],
            "POST /a.txt 405 19 b'method not allowed\\n' allow=GET, HEAD"
        );
        assert_eq!(lines[8], "GET / 200 15 b'<h1>index</h1>\\n' allow=None");
        let socks: std::collections::HashSet<&&str> = lines.iter().skip(1).step_by(2).collect();
        assert_eq!(
            socks.len(),
            1,
            "keep-alive: one socket for every request: {text}"
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a Python server on a free port and waits until it accepts connections.
fn python_server(args: &[&str], dir: &std::path::Path) -> (ChildGuard, u16) {
    let port = free_port();
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args.push(port.to_string());
    let child = Command::new("python3")
        .args(&args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3");
    let guard = ChildGuard(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "python server never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, port)
}

fn http_get(url: &str, out: &std::path::Path) -> String {
    let res = run(Command::new(example_bin("http_get")).args([url, "-o", out.to_str().unwrap()]));
    String::from_utf8_lossy(&res.stderr).into_owned()
}

#[test]
fn http_get_against_python_http_server() {
    if !require_peer("python3") {
        return;
    }
    let dir = site();
    let (_server, port) = python_server(&["-m", "http.server", "--bind", "127.0.0.1"], dir.path());
    let saved = dir.path().join("saved.html");
    let head = http_get(&format!("http://127.0.0.1:{port}/index.html"), &saved);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 15\r\n"), "{head}");
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), "<h1>index</h1>\n");
}

const PY_FRAMING_SERVER: &str = r#"
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/chunked":
            self.protocol_version = "HTTP/1.1"
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in [b"first ", b"second ", b"x" * 5000]:
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
            self.close_connection = True
        else:
            # HTTP/1.0 style: no length, the body ends when the connection closes.
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"until close " * 1000)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[-1])), H).serve_forever()
"#;

#[test]
fn http_get_reads_chunked_and_close_delimited_python_responses() {
    if !require_peer("python3") {
        return;
    }
    let dir = site();
    let (_server, port) = python_server(&["-c", PY_FRAMING_SERVER], dir.path());
    let saved = dir.path().join("chunked.bin");
    let head = http_get(&format!("http://127.0.0.1:{port}/chunked"), &saved);
    assert!(head.contains("Transfer-Encoding: chunked\r\n"), "{head}");
    let mut want = b"first second ".to_vec();
    want.extend(std::iter::repeat(b'x').take(5000));
    assert_eq!(std::fs::read(&saved).unwrap(), want);

    let saved = dir.path().join("close.bin");
    let head = http_get(&format!("http://127.0.0.1:{port}/close"), &saved);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    assert_eq!(std::fs::read(&saved).unwrap(), b"until close ".repeat(1000));
}

const PY_PIPELINED: &str = r#"
import http.client, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
s.sendall(req + b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" + b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + req)
# One buffered reader for all four responses, which arrive together: each
# HTTPResponse must stop exactly at its own end for the next one to parse.
class NoClose:
    def __init__(self, f): self.f = f
    def close(self): pass
    def __getattr__(self, n): return getattr(self.f, n)
shared = NoClose(s.makefile("rb"))
class Sock:
    def makefile(self, *a, **k): return shared
for method in ["GET", "GET", "HEAD", "GET"]:
    r = http.client.HTTPResponse(Sock(), method=method)
    r.begin()
    print(r.status, r.getheader("Content-Length"), repr(r.read()), r.will_close)
"#;

#[test]
fn python_http_client_parses_pipelined_answers_from_the_mio_server() {
    if !require_peer("python3") {
        return;
    }
    // `http_mio_server` defaults to mio; the same fixed-body server on every driver.
    for driver in [None, Some("std"), Some("mio"), Some("tokio")] {
        let args: Vec<&str> = driver.map(|d| vec!["--driver", d]).unwrap_or_default();
        let (_server, addr) = spawn_server(&example_bin("http_mio_server"), &args);
        let out = run(Command::new("python3").args([
            "-c",
            PY_PIPELINED,
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ]));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "200 14 b'Hello, World!\\n' False\n\
             404 10 b'not found\\n' False\n\
             200 14 b'' False\n\
             200 14 b'Hello, World!\\n' False\n",
            "--driver {driver:?}"
        );
    }
}

//! HTTPS with real TLS peers, certificates generated at test time (never committed):
//! curl and Python's `ssl` + `http.client` against `http_server --implicit-tls` on every
//! driver; `http_get https://` against an independent Python HTTPS server and against
//! nginx when it is installed; verification refuses an unknown CA and a wrong name.

mod common;

use common::{example_bin, pki_for, require_peer, spawn_server, ChildGuard, Pki};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DRIVERS: [&str; 3] = ["std", "mio", "tokio"];

/// A temporary directory with the test PKI ([`common::pki_for`], a leaf for
/// `localhost` only, so `127.0.0.1` is a name it does not carry) and a small site,
/// removed on drop.
struct Site {
    dir: PathBuf,
    pki: Pki,
}

impl Site {
    fn new(tag: &str) -> Site {
        let dir = std::env::temp_dir().join(format!(
            "wirestate-https-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("site")).unwrap();
        let pki = pki_for(&dir, &["localhost"]);
        std::fs::write(dir.join("site/index.html"), "<h1>secure</h1>\n").unwrap();
        std::fs::write(dir.join("site/a.txt"), "file a\n").unwrap();
        Site { dir, pki }
    }
    /// The CA the clients trust.
    fn ca(&self) -> String {
        self.pki.ca.to_str().unwrap().to_string()
    }
    fn cert(&self) -> String {
        self.pki.cert.to_str().unwrap().to_string()
    }
    fn key(&self) -> String {
        self.pki.key.to_str().unwrap().to_string()
    }
    fn site(&self) -> String {
        self.dir.join("site").to_str().unwrap().to_string()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn https_server(pki: &Site, driver: &str) -> (ChildGuard, SocketAddr) {
    spawn_server(
        &example_bin("http_server"),
        &[
            "--root",
            &pki.site(),
            "--driver",
            driver,
            "--tls-cert",
            &pki.cert(),
            "--tls-key",
            &pki.key(),
            "--implicit-tls",
        ],
    )
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().expect("run peer");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn curl_fetches_over_https_with_the_test_ca_on_every_driver() {
    if !require_peer("curl") {
        return;
    }
    let pki = Site::new("curl");
    for driver in DRIVERS {
        let (_server, addr) = https_server(&pki, driver);
        let port = addr.port();
        let out = run(Command::new("curl").args([
            "-sv",
            "--http1.1",
            "--cacert",
            &pki.ca(),
            &format!("https://localhost:{port}/a.txt"),
            &format!("https://localhost:{port}/"),
        ]));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "file a\n<h1>secure</h1>\n",
            "--driver {driver}"
        );
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(log.contains("Re-using existing connection"), "{log}");
        // Without the CA curl refuses: the server is not trusted by default.
        let refused = Command::new("curl")
            .args(["-s", &format!("https://localhost:{port}/")])
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(60), "curl without --cacert");
    }
}

const PY_HTTPS_CLIENT: &str = r#"
import http.client, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
c = http.client.HTTPSConnection("localhost", int(sys.argv[2]), context=ctx, timeout=10)
for path in ["/a.txt", "/missing", "/"]:
    c.request("GET", path)
    r = c.getresponse()
    print(r.status, repr(r.read()), c.sock.version())
"#;

#[test]
fn python_ssl_http_client_over_https_on_every_driver() {
    if !require_peer("python3") {
        return;
    }
    let pki = Site::new("python");
    for driver in DRIVERS {
        let (_server, addr) = https_server(&pki, driver);
        let out = run(Command::new("python3").args([
            "-c",
            PY_HTTPS_CLIENT,
            &pki.ca(),
            &addr.port().to_string(),
        ]));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "200 b'file a\\n' TLSv1.3\n404 b'not found\\n' TLSv1.3\n200 b'<h1>secure</h1>\\n' TLSv1.3\n",
            "--driver {driver}"
        );
    }
}

fn http_get(args: &[&str]) -> Output {
    Command::new(example_bin("http_get"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `http_get https://` fetches from `port` with the test CA, and refuses the same server
/// without it (system roots) and under a name the certificate does not carry.
fn check_http_get(pki: &Site, port: u16, peer: &str) {
    let saved = pki.dir.join(format!("saved-{peer}.html"));
    let out = http_get(&[
        &format!("https://localhost:{port}/index.html"),
        "--ca",
        &pki.ca(),
        "-o",
        saved.to_str().unwrap(),
    ]);
    let head = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{peer}: {head}");
    assert!(head.contains(" 200 OK\r\n"), "{peer}: {head}");
    assert_eq!(
        std::fs::read_to_string(&saved).unwrap(),
        "<h1>secure</h1>\n",
        "{peer}"
    );
    let untrusted = http_get(&[&format!("https://localhost:{port}/")]);
    assert_eq!(untrusted.status.code(), Some(1), "{peer}: system roots");
    let err = String::from_utf8_lossy(&untrusted.stderr);
    assert!(err.contains("certificate"), "{peer}: {err}");
    let wrong_name = http_get(&[&format!("https://127.0.0.1:{port}/"), "--ca", &pki.ca()]);
    assert_eq!(wrong_name.status.code(), Some(1), "{peer}: wrong name");
    let err = String::from_utf8_lossy(&wrong_name.stderr);
    assert!(err.contains("certificate"), "{peer}: {err}");
}

#[test]
fn http_get_against_a_python_https_server() {
    if !require_peer("python3") {
        return;
    }
    let pki = Site::new("pyserver");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/https_server.py");
    let (_server, addr) = spawn_server(
        Path::new("python3"),
        &[
            "-u",
            script.to_str().unwrap(),
            "--cert",
            &pki.cert(),
            "--key",
            &pki.key(),
            "--root",
            &pki.site(),
        ],
    );
    check_http_get(&pki, addr.port(), "python");
}

#[test]
fn http_get_against_our_own_https_server() {
    let pki = Site::new("ours");
    let (_server, addr) = https_server(&pki, "tokio");
    check_http_get(&pki, addr.port(), "http_server");
}

fn nginx_path() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn http_get_against_nginx() {
    let Some(nginx) = nginx_path() else {
        if require_peer("nginx") {
            panic!("nginx is on PATH but not in /usr/sbin");
        }
        return;
    };
    let pki = Site::new("nginx");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = pki.dir.to_str().unwrap();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n\
         fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n\
           server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name localhost;\n\
             ssl_certificate {cert};\n    ssl_certificate_key {key};\n    root {site};\n  }}\n}}\n",
        cert = pki.cert(),
        key = pki.key(),
        site = pki.site(),
    );
    std::fs::create_dir_all(pki.dir.join("tmp")).unwrap();
    let conf_path = pki.dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(nginx)
        .args(["-p", d, "-e", &format!("{d}/error.log"), "-c"])
        .arg(&conf_path)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start nginx");
    let _guard = ChildGuard(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    check_http_get(&pki, port, "nginx");
}

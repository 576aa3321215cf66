//! Connection caps (`--max-connections`, `--max-per-client`) on every server program,
//! with raw sockets: N connections are served, the one over the cap gets the protocol's
//! "too busy" answer from `Server::too_busy` (SMTP `421 4.7.0`, POP3 `-ERR [SYS/TEMP]`,
//! HTTP `503` with `Connection: close`, greeting `Busy!`) and is closed, and once a served
//! connection ends its place is free again. The per-client cap counts the socket's
//! address, or with `--proxy-protocol` the client address in the PROXY header.

mod common;

use common::{example_bin, spawn_server, ChildGuard};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One server program and what its served and busy answers look like.
struct Proto {
    program: &'static str,
    args: Vec<String>,
    /// Sent right after connecting (and after a PROXY header): HTTP's request.
    first: &'static [u8],
    served: &'static str,
    busy: &'static str,
    /// Ends a served session the protocol's way.
    bye: &'static [u8],
}

fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wirestate-caps-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn protocols() -> Vec<Proto> {
    let maildir = work_dir("maildir");
    let maildir = maildir.to_str().unwrap().to_string();
    vec![
        Proto {
            program: "greeting_server",
            args: vec![],
            first: b"",
            served: "Welcome!",
            busy: "Busy!",
            bye: b"exit",
        },
        Proto {
            program: "smtp_server",
            args: vec!["--maildir".into(), maildir.clone()],
            first: b"",
            served: "220 ",
            busy: "421 4.7.0 ",
            bye: b"QUIT\r\n",
        },
        Proto {
            program: "pop3_server",
            args: ["--maildir", &maildir, "--user", "u", "--pass", "p"]
                .map(String::from)
                .to_vec(),
            first: b"",
            served: "+OK",
            busy: "-ERR [SYS/TEMP] ",
            bye: b"QUIT\r\n",
        },
        Proto {
            program: "http_server",
            args: ["--respond", "hello"].map(String::from).to_vec(),
            first: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            served: "HTTP/1.1 200 ",
            busy: "HTTP/1.1 503 ",
            bye: b"",
        },
    ]
}

fn start(p: &Proto, extra: &[&str]) -> (ChildGuard, SocketAddr) {
    let mut args: Vec<&str> = p.args.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    spawn_server(&example_bin(p.program), &args)
}

/// A connection that has had its first answer.
struct Conn {
    stream: TcpStream,
    answer: String,
}

/// Connects (from `local`, a loopback address, when given), sends `header` and the
/// protocol's first bytes, and reads the first answer.
fn connect(p: &Proto, addr: SocketAddr, local: Option<&str>, header: &str) -> Conn {
    let mut stream = match local {
        None => TcpStream::connect(addr).unwrap(),
        Some(local) => connect_from(local, addr),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut first = header.as_bytes().to_vec();
    first.extend_from_slice(p.first);
    if !first.is_empty() {
        stream.write_all(&first).unwrap();
    }
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).unwrap_or(0);
    Conn {
        stream,
        answer: String::from_utf8_lossy(&buf[..n]).into_owned(),
    }
}

/// A socket bound to `local` (any 127.x.y.z works on Linux loopback) connected to `addr`:
/// a second client address without a second machine.
fn connect_from(local: &str, addr: SocketAddr) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        let stream = stream.into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        stream
    })
}

impl Conn {
    fn assert_served(&self, p: &Proto, what: &str) {
        assert!(
            self.answer.starts_with(p.served),
            "{} {what}: expected {:?}, got {:?}",
            p.program,
            p.served,
            self.answer
        );
    }

    /// The busy answer, and then the server closes (HTTP: says it will, and does once
    /// the client has read the answer).
    fn assert_busy(mut self, p: &Proto, what: &str) {
        assert!(
            self.answer.starts_with(p.busy),
            "{} {what}: expected {:?}, got {:?}",
            p.program,
            p.busy,
            self.answer
        );
        if p.program == "http_server" {
            assert!(
                self.answer.contains("\r\nConnection: close\r\n"),
                "{}",
                self.answer
            );
            let _ = self.stream.shutdown(std::net::Shutdown::Write);
        }
        let mut rest = Vec::new();
        let _ = self.stream.read_to_end(&mut rest);
        assert!(
            rest.is_empty() || p.program == "http_server",
            "{} {what}: nothing after the busy answer: {:?}",
            p.program,
            String::from_utf8_lossy(&rest)
        );
    }

    /// Ends the session; the server then drops the connection and frees its place.
    fn close(mut self, p: &Proto) {
        if !p.bye.is_empty() {
            let _ = self.stream.write_all(p.bye);
        }
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        let mut rest = Vec::new();
        let _ = self.stream.read_to_end(&mut rest);
    }
}

/// Connects until a connection is served (its place freed by a connection that ended;
/// the server notices the end asynchronously), for at most 10 s; busy answers on the way
/// are expected.
fn eventually_served(p: &Proto, addr: SocketAddr, local: Option<&str>, header: &str) -> Conn {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let c = connect(p, addr, local, header);
        if c.answer.starts_with(p.served) || Instant::now() > deadline {
            return c;
        }
        c.close(p);
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn max_connections_gets_the_busy_answer_on_every_protocol_and_driver() {
    const N: usize = 2;
    for p in protocols() {
        for driver in ["std", "mio", "tokio"] {
            let what = format!("--driver {driver}");
            let (_server, addr) = start(&p, &["--driver", driver, "--max-connections", "2"]);
            let held: Vec<Conn> = (0..N).map(|_| connect(&p, addr, None, "")).collect();
            for c in &held {
                c.assert_served(&p, &what);
            }
            connect(&p, addr, None, "").assert_busy(&p, &what);
            let mut held = held.into_iter();
            held.next().unwrap().close(&p);
            let again = eventually_served(&p, addr, None, "");
            again.assert_served(&p, &format!("{what}, after one closed"));
            // Still capped: the new one took the freed place.
            connect(&p, addr, None, "").assert_busy(&p, &format!("{what}, full again"));
            again.close(&p);
            for c in held {
                c.close(&p);
            }
        }
    }
}

#[test]
fn max_per_client_counts_each_client_address() {
    for p in protocols() {
        let (_server, addr) = start(&p, &["--max-per-client", "1"]);
        let first = connect(&p, addr, Some("127.0.0.1"), "");
        first.assert_served(&p, "first from 127.0.0.1");
        connect(&p, addr, Some("127.0.0.1"), "").assert_busy(&p, "second from 127.0.0.1");
        let other = connect(&p, addr, Some("127.0.0.2"), "");
        other.assert_served(&p, "first from 127.0.0.2");
        first.close(&p);
        let again = eventually_served(&p, addr, Some("127.0.0.1"), "");
        again.assert_served(&p, "127.0.0.1 after its first closed");
        again.close(&p);
        other.close(&p);
    }
}

/// Behind a proxy every connection comes from the proxy's address: the per-client count
/// is the PROXY header's source address, taken before the protocol says a word.
#[test]
fn max_per_client_uses_the_proxied_address() {
    let header = |ip: &str| format!("PROXY TCP4 {ip} 192.0.2.1 40000 9999\r\n");
    for p in protocols() {
        for driver in ["std", "mio", "tokio"] {
            let what = format!("--driver {driver}");
            let (_server, addr) = start(
                &p,
                &[
                    "--driver",
                    driver,
                    "--proxy-protocol",
                    "--max-per-client",
                    "1",
                ],
            );
            let a = connect(&p, addr, None, &header("192.0.2.7"));
            a.assert_served(&p, &format!("{what}: first from 192.0.2.7"));
            connect(&p, addr, None, &header("192.0.2.7"))
                .assert_busy(&p, &format!("{what}: second from 192.0.2.7"));
            let b = connect(&p, addr, None, &header("192.0.2.8"));
            b.assert_served(&p, &format!("{what}: first from 192.0.2.8"));
            a.close(&p);
            let again = eventually_served(&p, addr, None, &header("192.0.2.7"));
            again.assert_served(&p, &format!("{what}: 192.0.2.7 after its first closed"));
            again.close(&p);
            b.close(&p);
        }
    }
}

//! The greeting examples against the classic Python peers (tests/fixtures/*.py), in all
//! four directions, byte-exact, with our TCP server on each of its three drivers (std,
//! mio, tokio); line framing across TCP splits; 200 concurrent clients and a 4 MB
//! pipelined flood against the mio and tokio drivers.

mod common;

use common::{example_bin, require_peer, spawn_server, ChildGuard};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// Every driver `--driver` names.
const DRIVERS: [&str; 3] = ["std", "mio", "tokio"];

const NAMES: [&str; 5] = ["Michael", "Tracy", "Sarah", "Zoë", "Mary Ann"];

fn expected_output() -> String {
    let mut s = String::from("Welcome!\n");
    for n in NAMES {
        s += &format!("Hello, {n}!\n");
    }
    s
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn python_server(script: &str) -> (ChildGuard, SocketAddr) {
    // `-u` keeps the listening line unbuffered; the script flushes it too.
    let python = PathBuf::from("python3");
    let script = fixture(script);
    let (guard, addr) = spawn_server(&python, &["-u", script.to_str().unwrap()]);
    (guard, addr)
}

fn run_client(program: &str, args: &[&str], addr: SocketAddr) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .args(["--addr", &addr.to_string()])
        .args(NAMES);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn our_client(example: &str, addr: SocketAddr) -> String {
    run_client(example_bin(example).to_str().unwrap(), &[], addr)
}

fn python_client(script: &str, addr: SocketAddr) -> String {
    run_client("python3", &[fixture(script).to_str().unwrap()], addr)
}

#[test]
fn our_tcp_client_against_python_server() {
    if !require_peer("python3") {
        return;
    }
    let (_server, addr) = python_server("greeting_server.py");
    assert_eq!(our_client("greeting_client", addr), expected_output());
}

#[test]
fn python_tcp_client_against_our_server_on_every_driver() {
    if !require_peer("python3") {
        return;
    }
    for driver in DRIVERS {
        let (_server, addr) = spawn_server(&example_bin("greeting_server"), &["--driver", driver]);
        assert_eq!(
            python_client("greeting_client.py", addr),
            expected_output(),
            "--driver {driver}"
        );
    }
}

/// `greeting_mio_server` is the same server with mio as its default driver.
#[test]
fn python_tcp_client_against_greeting_mio_server() {
    if !require_peer("python3") {
        return;
    }
    let (_server, addr) = spawn_server(&example_bin("greeting_mio_server"), &[]);
    assert_eq!(python_client("greeting_client.py", addr), expected_output());
}

#[test]
fn our_udp_client_against_python_udp_server() {
    if !require_peer("python3") {
        return;
    }
    let (_server, addr) = python_server("greeting_udp_server.py");
    let want: String = NAMES.iter().map(|n| format!("Hello, {n}!\n")).collect();
    assert_eq!(our_client("greeting_udp_client", addr), want);
}

#[test]
fn python_udp_client_against_our_udp_server() {
    if !require_peer("python3") {
        return;
    }
    let (_server, addr) = spawn_server(&example_bin("greeting_udp_server"), &[]);
    let want: String = NAMES.iter().map(|n| format!("Hello, {n}!\n")).collect();
    assert_eq!(python_client("greeting_udp_client.py", addr), want);
}

/// Reads until `want` bytes arrived or the peer closed.
fn read_exact_or_eof(stream: &mut TcpStream, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < want {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("read: {e}"),
        }
    }
    got
}

/// Line framing does not care how TCP cuts the stream: all lines in one write, then
/// every line a byte at a time, give the same bytes back, on both servers.
#[test]
fn line_framing_survives_any_segmentation() {
    for server in DRIVERS {
        let (_guard, addr) = spawn_server(
            &example_bin("greeting_server"),
            &["--framing", "line", "--driver", server],
        );
        let input: String = NAMES.iter().map(|n| format!("{n}\r\n")).collect::<String>() + "exit\n";
        let want = "Welcome!\n".to_string()
            + &NAMES
                .iter()
                .map(|n| format!("Hello, {n}!\n"))
                .collect::<String>();
        for bytewise in [false, true] {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.set_nodelay(true).unwrap();
            if bytewise {
                for b in input.as_bytes() {
                    s.write_all(&[*b]).unwrap();
                }
            } else {
                s.write_all(input.as_bytes()).unwrap();
            }
            let got = read_exact_or_eof(&mut s, want.len() + 1);
            assert_eq!(
                String::from_utf8_lossy(&got),
                want,
                "{server}, bytewise={bytewise}"
            );
        }
    }
}

/// 200 clients connected at once, each greeted in lockstep by the one-thread mio server.
#[test]
fn mio_server_handles_200_concurrent_clients() {
    concurrent_clients("mio");
}

/// The same 200 clients on the tokio driver, one task each.
#[test]
fn tokio_server_handles_200_concurrent_clients() {
    concurrent_clients("tokio");
}

fn concurrent_clients(driver: &str) {
    const CLIENTS: usize = 200;
    let (_guard, addr) = spawn_server(&example_bin("greeting_server"), &["--driver", driver]);
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let handles: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).expect("connect");
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                let mut buf = [0u8; 1024];
                let n = s.read(&mut buf).unwrap();
                assert_eq!(&buf[..n], b"Welcome!");
                // Every client is connected before any of them talks.
                barrier.wait();
                for round in 0..5 {
                    let name = format!("client-{i}-{round}");
                    s.write_all(name.as_bytes()).unwrap();
                    let n = s.read(&mut buf).unwrap();
                    assert_eq!(&buf[..n], format!("Hello, {name}!").as_bytes());
                }
                s.write_all(b"exit").unwrap();
                assert_eq!(s.read(&mut buf).unwrap(), 0, "server closes after exit");
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
}

/// A client that pipelines far more than the machine's 64 KiB buffer before reading a
/// single reply: the mio driver answers each read before the next and stops reading while
/// replies wait, so nothing overflows and nothing queues without bound. It used to read
/// the whole burst into the machine first and fail with "more than 65536 undecoded bytes".
#[test]
fn mio_server_survives_a_pipelined_flood() {
    pipelined_flood("mio");
}

/// The same flood on the tokio driver, which stops reading while more than its
/// `MAX_PENDING` bytes of replies wait for the peer.
#[test]
fn tokio_server_survives_a_pipelined_flood() {
    pipelined_flood("tokio");
}

fn pipelined_flood(driver: &str) {
    const LINES: usize = 4000;
    let (_guard, addr) = spawn_server(
        &example_bin("greeting_server"),
        &["--framing", "line", "--driver", driver],
    );
    let name = "x".repeat(1000);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = s.try_clone().unwrap();
    let line = format!("{name}\n");
    // 4 MB of input, written before anything is read.
    let sender = std::thread::spawn(move || {
        for _ in 0..LINES {
            writer.write_all(line.as_bytes()).unwrap();
        }
        writer.write_all(b"exit\n").unwrap();
    });
    let reply = format!("Hello, {name}!\n");
    let want = "Welcome!\n".len() + LINES * reply.len();
    let got = read_exact_or_eof(&mut s, want + 1);
    sender.join().expect("sender");
    assert_eq!(
        got.len(),
        want,
        "every line answered, then the server closed"
    );
    assert!(got.starts_with(b"Welcome!\n"));
    assert!(got[9..].chunks(reply.len()).all(|r| r == reply.as_bytes()));
}

/// A server that accepts and never speaks: our client, given `--reply-timeout`, gives up
/// on the welcome through the machine's `poll_timeout` instead of waiting forever, as
/// the classic client (and ours without the option) would.
#[test]
fn our_client_gives_up_on_a_silent_server_after_its_reply_timeout() {
    let program = example_bin("greeting_client");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(6));
        drop(conn);
    });
    let started = std::time::Instant::now();
    let out = Command::new(program)
        .args(["--reply-timeout", "0.5", "--addr", &addr.to_string(), "Ada"])
        .output()
        .expect("run greeting_client");
    let took = started.elapsed();
    assert!(!out.status.success(), "a silent server is a failure");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not answer in time"), "{stderr}");
    assert!(out.stdout.is_empty());
    // The server holds the connection for 6 s; giving up before that is the timeout's
    // doing (a loaded machine may add to the 0.5 s, never remove from it).
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(6),
        "gave up after {took:?}"
    );
    holder.join().unwrap();
}

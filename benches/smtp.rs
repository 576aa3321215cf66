//! SMTP benches, each beside its anchor in the same run:
//! * DATA unstuffing (and the whole server DATA path) against a `memcpy` of the same
//!   bytes, as bytes/s;
//! * messages/s over loopback: the client machine to the server machine, beside Python
//!   smtplib to aiosmtpd (both servers discard the message, so neither is disk-bound).
//!
//! `cargo bench --bench smtp`

#[path = "../examples/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant as StdInstant};
use wirestate::buffer::RecvBuffer;
use wirestate::dot::{DotPolicy, DotUnstuffer, Unstuffed};
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

/// A 4 MiB message of 76-octet lines, one in 16 starting with a stuffed dot.
fn stuffed_message() -> Vec<u8> {
    let mut m = Vec::with_capacity(4 << 20);
    let mut i = 0u32;
    while m.len() < 4 << 20 {
        if i % 16 == 0 {
            m.extend_from_slice(b"..");
        }
        m.extend_from_slice(
            b"The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnop\r\n",
        );
        i += 1;
    }
    m.extend_from_slice(b".\r\n");
    m
}

fn unstuffing(c: &mut Criterion) {
    let msg = stuffed_message();
    let mut g = c.benchmark_group("smtp_data");
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.bench_function("memcpy", |b| {
        let mut dst = vec![0u8; msg.len()];
        b.iter(|| {
            dst.copy_from_slice(black_box(&msg));
            black_box(&dst);
        })
    });
    // The unstuffer as the server uses it: 64 KiB reads copied into the receive buffer,
    // then decoded into zero-copy chunks.
    g.bench_function("unstuff", |b| {
        b.iter(|| {
            let mut buf = RecvBuffer::new(1 << 17);
            let mut d = DotUnstuffer::new(DotPolicy::Strict);
            let mut n = 0;
            for piece in msg.chunks(64 * 1024) {
                buf.push(piece).unwrap();
                while let Some(r) = d.poll(&mut buf) {
                    match r.unwrap() {
                        Unstuffed::Data(bytes) => n += bytes.len(),
                        Unstuffed::End => break,
                    }
                }
            }
            black_box(n)
        })
    });
    // The whole server path: machine, size and line accounting, events.
    g.bench_function("server_data_path", |b| {
        b.iter(|| {
            let mut s = Server::new(sink_config());
            s.handle_input(
                Instant::ZERO,
                b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
            );
            while s.poll_event().is_some() {}
            let mut n = 0;
            for piece in msg.chunks(64 * 1024) {
                s.handle_input(Instant::ZERO, piece);
                while let Some(ev) = s.poll_event() {
                    if let ServerEvent::Data(bytes) = ev {
                        n += bytes.len();
                    }
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

/// A server that takes any envelope by itself; the end of the data is answered by the
/// caller.
fn sink_config() -> ServerConfig {
    let mut cfg = ServerConfig::default();
    cfg.auto_accept_hello = true;
    cfg.auto_accept_envelope = true;
    cfg
}

/// A server on loopback that runs the machine and discards message data.
fn sink_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        support::std_io::serve(listener, 64 * 1024, |_| {
            let mut cfg = sink_config();
            // Same offer as aiosmtpd, so both sides speak the same protocol.
            cfg.chunking = false;
            cfg.pipelining = false;
            (
                Server::new(cfg),
                support::events(|s: &mut Server, ev: ServerEvent| {
                    if let ServerEvent::End { decision, .. } = ev {
                        let _ = s.accept(decision);
                    }
                }),
            )
        })
    });
    addr
}

const BODY: &[u8] = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\nHello, this is a short message body.\r\n.dot line\r\n";

const SMTPLIB_AIOSMTPD: &str = r#"
import asyncio, smtplib, sys, time, threading
from aiosmtpd.controller import Controller
port, n = int(sys.argv[1]), int(sys.argv[2])
class Sink:
    async def handle_DATA(self, server, conn, envelope):
        return '250 OK'
c = Controller(Sink(), hostname='127.0.0.1', port=port)
c.start()
body = b'From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\nHello, this is a short message body.\r\n.dot line\r\n'
s = smtplib.SMTP('127.0.0.1', port)
t = time.perf_counter()
for _ in range(n):
    s.sendmail('a@example.org', ['b@example.org'], body)
el = time.perf_counter() - t
s.quit()
c.stop()
print(el)
"#;

fn aiosmtpd_available() -> bool {
    Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn loopback(c: &mut Criterion) {
    let addr = sink_server();
    let mut g = c.benchmark_group("smtp_loopback_messages");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function(
        BenchmarkId::new("wirestate_client_to_wirestate_server", "one connection"),
        |b| {
            b.iter_custom(|iters| {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let from = ReversePath::parse("<a@example.org>").unwrap();
                let to = ForwardPath::parse("<b@example.org>").unwrap();
                let msgs: Vec<(Envelope, Box<dyn std::io::Read>)> = (0..iters)
                    .map(|_| {
                        (
                            Envelope::new(from.clone(), vec![to.clone()]),
                            Box::new(BODY) as Box<dyn std::io::Read>,
                        )
                    })
                    .collect();
                let start = StdInstant::now();
                let r = support::smtp_io::send_messages(
                    &mut stream,
                    ClientConfig::default(),
                    msgs,
                    None,
                )
                .unwrap();
                let el = start.elapsed();
                assert!(r.iter().all(|r| r.sent.is_some()));
                el
            })
        },
    );
    if aiosmtpd_available() {
        g.bench_function(
            BenchmarkId::new("smtplib_to_aiosmtpd", "one connection"),
            |b| {
                b.iter_custom(|iters| {
                    let port = TcpListener::bind("127.0.0.1:0")
                        .unwrap()
                        .local_addr()
                        .unwrap()
                        .port();
                    let out = Command::new("python3")
                        .args([
                            "-c",
                            SMTPLIB_AIOSMTPD,
                            &port.to_string(),
                            &iters.to_string(),
                        ])
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
                    Duration::from_secs_f64(secs)
                })
            },
        );
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "aiosmtpd not installed: smtplib_to_aiosmtpd skipped"
        );
    }
    g.finish();
}

criterion_group!(benches, unstuffing, loopback);
criterion_main!(benches);

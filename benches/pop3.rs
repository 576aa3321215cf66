//! POP3 benches, each with its anchor in the same run:
//!
//! * `retr_10mb`: a 10 MB RETR answer decoded by the client machine (64 KiB reads,
//!   unstuffed, every data piece touched) against `memcpy` of the same 10 MB.
//! * `loopback_retr`: messages per second retrieving 1 KB messages from the
//!   `pop3_server` example code over loopback, our client machine against Python's
//!   `poplib` (time measured inside Python around the RETR loop, startup excluded).

#[path = "../examples/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant as StdInstant};
use wirestate::pop3::{Client, ClientConfig, ClientEvent, CommandKind, MessageNumber};
use wirestate::{Instant, Machine};

const TEN_MB: usize = 10 * 1024 * 1024;

fn ten_mb_message() -> Vec<u8> {
    let line =
        b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n";
    let mut m: Vec<u8> = line.iter().copied().cycle().take(TEN_MB).collect();
    // Every 100th line starts with a dot, so unstuffing has work to do.
    for i in (0..m.len()).step_by(line.len() * 100) {
        m[i] = b'.';
    }
    let n = m.len() - m.len() % line.len();
    m.truncate(n);
    m
}

fn retr_10mb(c: &mut Criterion) {
    let message = ten_mb_message();
    let mut wire = b"+OK POP3 server ready\r\n+OK 10 MB follow\r\n".to_vec();
    wire.extend_from_slice(&wirestate::dot::stuff_all(&message));
    let decode = |wire: &[u8]| {
        let mut client = Client::new(ClientConfig::default());
        client.retr(MessageNumber::new(1).unwrap()).unwrap();
        let (mut octets, mut touched, mut ended) = (0usize, 0u8, false);
        for chunk in wire.chunks(64 * 1024) {
            client.handle_input(Instant::ZERO, chunk);
            while let Some(e) = client.poll_event() {
                match e {
                    ClientEvent::Data(d) => {
                        octets += d.len();
                        touched ^= d[d.len() - 1];
                    }
                    ClientEvent::End { .. } => ended = true,
                    ClientEvent::Error(e) => panic!("{e}"),
                    _ => {}
                }
            }
        }
        assert!(ended);
        (octets, touched)
    };
    // Checked once outside the timing: the whole message came through.
    assert_eq!(decode(&wire).0, message.len());
    let mut g = c.benchmark_group("pop3_retr_10mb");
    g.throughput(Throughput::Bytes(message.len() as u64));
    g.sample_size(20);
    g.bench_function("client_machine", |b| {
        b.iter(|| black_box(decode(black_box(&wire))))
    });
    let mut dst = vec![0u8; message.len()];
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&message));
            black_box(dst[dst.len() - 1])
        })
    });
    g.finish();
}

/// A maildir of `n` 1 KB messages served by the example server code on a loopback port.
fn start_server(n: usize) -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("wirestate-pop3-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    support::maildrop::ensure_maildir(&dir).unwrap();
    let body = "x".repeat(62) + "\n";
    for i in 0..n {
        let m = format!("Subject: message {i}\n\n{}", body.repeat(16));
        std::fs::write(dir.join("new").join(format!("17000{i:05}.M1P1.bench")), m).unwrap();
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let settings = support::maildrop::Settings {
        maildir: dir.clone(),
        user: "bench".into(),
        pass: "bench".into(),
        server_name: "localhost".into(),
        stls: false,
        plaintext_auth: true,
        proxy_protocol: false,
        verbose: false,
        files: std::sync::Arc::new(support::maildrop::DiskFiles),
    };
    std::thread::spawn(move || support::maildrop::serve(listener, settings));
    (addr, dir)
}

/// One logged-in session driven by the client machine over a blocking socket.
struct Session {
    sock: TcpStream,
    client: Client,
    buf: Vec<u8>,
}

impl Session {
    fn open(addr: &str) -> Session {
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_nodelay(true).unwrap();
        let mut s = Session {
            sock,
            client: Client::new(ClientConfig::default()),
            buf: vec![0; 64 * 1024],
        };
        s.client.user("bench").unwrap();
        s.client.pass("bench").unwrap();
        s.until(CommandKind::Pass, false);
        s
    }

    /// Runs the machine until `kind` is answered (or its multi-line answer ends).
    fn until(&mut self, kind: CommandKind, multiline: bool) -> usize {
        let mut octets = 0;
        loop {
            while let Some(e) = self.client.poll_event() {
                match e {
                    ClientEvent::Data(d) => octets += d.len(),
                    ClientEvent::End { command } if command == kind => return octets,
                    ClientEvent::Ok { command, .. } if command == kind && !multiline => {
                        return octets
                    }
                    ClientEvent::Err { response, .. } => panic!("{response:?}"),
                    ClientEvent::Error(e) => panic!("{e}"),
                    _ => {}
                }
            }
            while let Some(b) = self.client.poll_transmit() {
                self.sock.write_all(&b).unwrap();
            }
            let n = self.sock.read(&mut self.buf).unwrap();
            assert!(n > 0, "server closed");
            self.client.handle_input(Instant::ZERO, &self.buf[..n]);
        }
    }
}

const POPLIB: &str = r#"
import poplib, sys, time
host, port, n, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
p = poplib.POP3(host, port)
p.user('bench'); p.pass_('bench')
t = time.perf_counter()
for i in range(count):
    p.retr(i % n + 1)
print(time.perf_counter() - t)
p.quit()
"#;

fn loopback_retr(c: &mut Criterion) {
    let n = 100;
    let (addr, dir) = start_server(n);
    let (host, port) = addr.split_once(':').unwrap();
    let mut g = c.benchmark_group("pop3_loopback_retr_1kb");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function(BenchmarkId::new("client_machine", "pop3_server"), |b| {
        b.iter_custom(|iters| {
            let mut s = Session::open(&addr);
            let start = StdInstant::now();
            for i in 0..iters {
                let msg = MessageNumber::new((i % n as u64) as u32 + 1).unwrap();
                s.client.retr(msg).unwrap();
                black_box(s.until(CommandKind::Retr, true));
            }
            let took = start.elapsed();
            s.client.quit().unwrap();
            s.until(CommandKind::Quit, false);
            took
        })
    });
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok();
    if python {
        g.bench_function(BenchmarkId::new("poplib", "pop3_server"), |b| {
            b.iter_custom(|iters| {
                let out = std::process::Command::new("python3")
                    .args(["-c", POPLIB, host, port, &n.to_string(), &iters.to_string()])
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
        });
    } else {
        eprintln!("python3 missing: poplib anchor skipped");
    }
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, retr_10mb, loopback_retr);
criterion_main!(benches);

//! Stream decoding beside `memcpy` of the same bytes, in one process, interleaved round by
//! round (the machine's speed drifts, so only ratios taken in the same round count):
//!
//! * `chunked_4k`: 256 KiB of HTTP body in 4 KiB chunks, pushed into a `RecvBuffer` and
//!   decoded by `ChunkedDecoder` (the one copy into the receive buffer included);
//! * `smtp_unstuff`: a 4 MiB message of 76-octet lines, one in 16 dot-stuffed, through
//!   `DotUnstuffer` in 64 KiB reads (each copied in by `DotUnstuffer::push`);
//! * `smtp_server_data`: the same bytes through the SMTP server machine's DATA path
//!   (size and line-length accounting, events);
//! * `pop3_retr`: a 10 MB RETR answer, one line in 100 dot-stuffed, through the POP3
//!   client machine in 64 KiB reads.
//!
//! Times are the thread's on-CPU time where Linux reports it (`/proc/thread-self/schedstat`),
//! so waiting for a CPU on a busy machine is not counted; else wall time.
//! Each case's memcpy copies exactly the bytes the case reads, into a preallocated buffer.
//! Every data piece handed out is touched, so nothing is optimised away.
//!
//! ```text
//! cargo bench --bench streams                       # times: median and min-max ratios
//! STREAMS_ROUNDS=9 cargo bench --bench streams      # more rounds (default 7)
//! STREAMS_CALLGRIND=1 cargo bench --bench streams   # also instructions per byte
//! ```
//!
//! With `STREAMS_CALLGRIND=1` the bench reruns itself under
//! `valgrind --tool=callgrind` once per case with one pass and once with none, and
//! reports the difference divided by the bytes: the instructions one pass costs, set-up
//! excluded.

use bytes::Bytes;
use std::collections::VecDeque;
use std::hint::black_box;
use std::process::Command;
use std::time::Instant as StdInstant;
use wirestate::buffer::RecvBuffer;
use wirestate::dot::{DotPolicy, DotUnstuffer, Unstuffed};
use wirestate::http::{BodyEncoder, BodyEvent, ChunkedDecoder, Headers, Limits};
use wirestate::{Instant, Machine};

const READ: usize = 64 * 1024;

/// One contender: its name, its input and what one pass over it does.
struct Case {
    name: &'static str,
    wire: Vec<u8>,
    run: fn(&[u8]) -> usize,
}

fn chunked_wire() -> Vec<u8> {
    let data: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
    let mut enc = BodyEncoder::chunked();
    let mut out = VecDeque::new();
    for piece in data.chunks(4096) {
        enc.encode(Bytes::copy_from_slice(piece), &mut out).unwrap();
    }
    enc.finish(&Headers::new(), &mut out).unwrap();
    out.iter().flat_map(|b| b.iter().copied()).collect()
}

fn chunked_run(wire: &[u8]) -> usize {
    let mut buf = RecvBuffer::new(wire.len() + 1);
    buf.push(black_box(wire)).unwrap();
    let mut dec = ChunkedDecoder::new(&Limits::default());
    let (mut n, mut touched) = (0usize, 0u8);
    while let Some(e) = dec.decode(&mut buf) {
        if let BodyEvent::Data(d) = e.unwrap() {
            n += d.len();
            touched ^= d[d.len() - 1];
        }
    }
    assert!(dec.is_done());
    n + touched as usize
}

/// 4 MiB of 76-octet lines, one in 16 starting with a stuffed dot, then `.CRLF`.
fn smtp_wire() -> Vec<u8> {
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

fn unstuff_run(wire: &[u8]) -> usize {
    let mut buf = RecvBuffer::new(1 << 17);
    let mut d = DotUnstuffer::new(DotPolicy::Strict);
    let (mut n, mut touched, mut ended) = (0usize, 0u8, false);
    for piece in wire.chunks(READ) {
        d.push(&mut buf, piece).unwrap();
        while let Some(r) = d.poll(&mut buf) {
            match r.unwrap() {
                Unstuffed::Data(b) => {
                    n += b.len();
                    touched ^= b[b.len() - 1];
                }
                Unstuffed::End => ended = true,
            }
        }
    }
    assert!(ended);
    n + touched as usize
}

fn smtp_server_run(wire: &[u8]) -> usize {
    use wirestate::smtp::{Server, ServerConfig, ServerEvent};
    let mut cfg = ServerConfig::default();
    cfg.auto_accept_hello = true;
    cfg.auto_accept_envelope = true;
    let mut s = Server::new(cfg);
    s.handle_input(
        Instant::ZERO,
        b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
    );
    while s.poll_event().is_some() {}
    let (mut n, mut touched, mut ended) = (0usize, 0u8, false);
    for piece in wire.chunks(READ) {
        s.handle_input(Instant::ZERO, piece);
        while let Some(ev) = s.poll_event() {
            match ev {
                ServerEvent::Data(b) if !b.is_empty() => {
                    n += b.len();
                    touched ^= b[b.len() - 1];
                }
                ServerEvent::End { .. } => ended = true,
                _ => {}
            }
        }
    }
    assert!(ended);
    n + touched as usize
}

/// `+OK` lines, then a 10 MB message, one line in 100 starting with a dot, stuffed.
fn pop3_wire() -> Vec<u8> {
    let line =
        b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n";
    let ten_mb = 10 * 1024 * 1024;
    let mut m: Vec<u8> = line.iter().copied().cycle().take(ten_mb).collect();
    for i in (0..m.len()).step_by(line.len() * 100) {
        m[i] = b'.';
    }
    m.truncate(m.len() - m.len() % line.len());
    let mut wire = b"+OK POP3 server ready\r\n+OK 10 MB follow\r\n".to_vec();
    wire.extend_from_slice(&wirestate::dot::stuff_all(&m));
    wire
}

fn pop3_run(wire: &[u8]) -> usize {
    use wirestate::pop3::{Client, ClientConfig, ClientEvent, MessageNumber};
    let mut client = Client::new(ClientConfig::default());
    client.retr(MessageNumber::new(1).unwrap()).unwrap();
    let (mut n, mut touched, mut ended) = (0usize, 0u8, false);
    for chunk in wire.chunks(READ) {
        client.handle_input(Instant::ZERO, chunk);
        while let Some(e) = client.poll_event() {
            match e {
                ClientEvent::Data(d) => {
                    n += d.len();
                    touched ^= d[d.len() - 1];
                }
                ClientEvent::End { .. } => ended = true,
                ClientEvent::Error(e) => panic!("{e}"),
                _ => {}
            }
        }
    }
    assert!(ended);
    n + touched as usize
}

fn cases() -> Vec<Case> {
    let smtp = smtp_wire();
    vec![
        Case {
            name: "chunked_4k",
            wire: chunked_wire(),
            run: chunked_run,
        },
        Case {
            name: "smtp_unstuff",
            wire: smtp.clone(),
            run: unstuff_run,
        },
        Case {
            name: "smtp_server_data",
            wire: smtp,
            run: smtp_server_run,
        },
        Case {
            name: "pop3_retr",
            wire: pop3_wire(),
            run: pop3_run,
        },
    ]
}

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`, first
/// field), so time spent waiting for a CPU on a shared machine is not counted; `None`
/// where the kernel does not provide it.
fn on_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Seconds per pass of `f`: on-CPU time where the kernel reports it, else wall time,
/// over enough passes to fill about `budget` seconds of it.
fn time_per_pass(budget: f64, mut f: impl FnMut()) -> f64 {
    f(); // warm: caches, allocator
    let clock = || match on_cpu_ns() {
        Some(ns) => ns as f64 / 1e9,
        None => WALL.with(|w| w.elapsed().as_secs_f64()),
    };
    let start = clock();
    let mut passes = 0u32;
    while clock() - start < budget || passes < 3 {
        f();
        passes += 1;
    }
    (clock() - start) / f64::from(passes)
}

thread_local! {
    static WALL: StdInstant = StdInstant::now();
}

fn memcpy_pass(src: &[u8], dst: &mut [u8]) {
    dst.copy_from_slice(black_box(src));
    black_box(dst[dst.len() - 1]);
}

fn median_min_max(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// Instructions for `passes` passes of case `name` (set-up included), counted by
/// callgrind running this same binary.
fn callgrind(name: &str, passes: u32) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            exe.to_str()?,
        ])
        .env("STREAMS_ONE", name)
        .env("STREAMS_PASSES", passes.to_string())
        .env_remove("STREAMS_CALLGRIND")
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(':').next()?.trim().parse().ok()
}

fn main() {
    let cases = cases();
    // Child mode for callgrind: run one case a given number of times and exit.
    if let Ok(one) = std::env::var("STREAMS_ONE") {
        let passes: u32 = std::env::var("STREAMS_PASSES")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let mut dst = Vec::new();
        for c in &cases {
            let (name, memcpy) = match one.strip_suffix("/memcpy") {
                Some(n) => (n, true),
                None => (one.as_str(), false),
            };
            if c.name == name {
                dst.resize(c.wire.len(), 0);
                for _ in 0..passes {
                    if memcpy {
                        memcpy_pass(&c.wire, &mut dst);
                    } else {
                        black_box((c.run)(&c.wire));
                    }
                }
            }
        }
        return;
    }
    let rounds: usize = std::env::var("STREAMS_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7)
        .max(5);
    // Sanity outside the timing: every case hands out its bytes.
    for c in &cases {
        assert!((c.run)(&c.wire) > 0, "{} decoded nothing", c.name);
    }
    let mut ratios = vec![Vec::new(); cases.len()];
    let mut speeds = vec![(Vec::new(), Vec::new()); cases.len()];
    let mut dsts: Vec<Vec<u8>> = cases.iter().map(|c| vec![0u8; c.wire.len()]).collect();
    for _ in 0..rounds {
        for (i, c) in cases.iter().enumerate() {
            // The case and its memcpy back to back, so both see the same machine.
            let t_case = time_per_pass(0.15, || {
                black_box((c.run)(&c.wire));
            });
            let dst = &mut dsts[i];
            let t_copy = time_per_pass(0.15, || memcpy_pass(&c.wire, dst));
            let mb = c.wire.len() as f64 / 1e6;
            speeds[i].0.push(mb / t_case);
            speeds[i].1.push(mb / t_copy);
            ratios[i].push(t_copy / t_case);
        }
    }
    let clock = if on_cpu_ns().is_some() {
        "on-CPU time of this thread (/proc/thread-self/schedstat)"
    } else {
        "wall time"
    };
    println!("{rounds} rounds, timed by {clock}; ratio = case throughput / memcpy throughput in the same round");
    println!(
        "{:<18} {:>10} {:>22} {:>14} {:>14}",
        "case", "bytes", "ratio median (min-max)", "case MB/s", "memcpy MB/s"
    );
    for (i, c) in cases.iter().enumerate() {
        let (m, lo, hi) = median_min_max(ratios[i].clone());
        let (s, _, _) = median_min_max(speeds[i].0.clone());
        let (k, _, _) = median_min_max(speeds[i].1.clone());
        println!(
            "{:<18} {:>10} {:>8.2}x ({:.2}-{:.2}) {:>14.0} {:>14.0}",
            c.name,
            c.wire.len(),
            m,
            lo,
            hi,
            s,
            k
        );
    }
    if std::env::var_os("STREAMS_CALLGRIND").is_some() {
        println!("instructions per byte, callgrind (one pass minus none):");
        for c in &cases {
            let bytes = c.wire.len() as f64;
            let per_byte = |name: &str| -> Option<f64> {
                let one = callgrind(name, 1)?;
                let none = callgrind(name, 0)?;
                Some(one.saturating_sub(none) as f64 / bytes)
            };
            match (per_byte(c.name), per_byte(&format!("{}/memcpy", c.name))) {
                (Some(a), Some(b)) => println!(
                    "{:<18} {:>8.3} Ir/B   memcpy {:.3} Ir/B   ({:.0} Ir per pass)",
                    c.name,
                    a,
                    b,
                    a * bytes
                ),
                _ => println!("{:<18} valgrind not available or failed", c.name),
            }
        }
    }
}

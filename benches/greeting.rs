//! Greeting protocol speed.
//!
//! `cargo bench --bench greeting` measures the server machine alone: messages per second
//! through `GreetingServer` under chunk and line framing, from pre-built input, no I/O.
//!
//! `WIRESTATE_LOAD=1 cargo bench --bench greeting` adds the loopback load run: it builds
//! and starts `greeting_mio_server` (release), a minimal C epoll server
//! (`benches/peers/epoll_greeting.c`, compiled with `cc -O2`) and the classic Python
//! threaded server (`tests/fixtures/greeting_server.py`), drives each with N lockstep
//! connections from a single-threaded compiled load generator, and prints messages/s,
//! server CPU per message (utime + stime from `/proc/PID/stat`), server memory with every
//! connection open (VmRSS), and our ratios to the C and Python servers.
//!
//! Knobs: `WIRESTATE_LOAD_CONNS` (default `1000,10000`), `WIRESTATE_LOAD_MESSAGES` (total
//! messages per server and connection count, default 200000, at least 20 per connection),
//! `WIRESTATE_LOAD_SERVERS` (comma-separated label words to keep, e.g. `mio,C`),
//! `WIRESTATE_LOAD_EXTRA` (`label=/path/to/server,...`: more servers in the same turns),
//! `WIRESTATE_LOAD_ROUNDS` (default 5: the machine may be shared, so our server and the C
//! server take turns this many times and the summary gives medians and the spread; the
//! Python server runs once).
//! Every connection is a file descriptor in the load generator and one in the server, so
//! the open-files limit must exceed the largest N: `bash -c 'ulimit -n 20000; ...'`.

#[path = "support/load.rs"]
mod load;
#[path = "support/servers.rs"]
mod servers;

use criterion::{BatchSize, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wirestate::greeting::{Framing, GreetingServer};
use wirestate::{Instant, Machine};

/// Messages per benchmark iteration.
const MESSAGES: usize = 1000;

fn names() -> Vec<Vec<u8>> {
    (0..MESSAGES)
        .map(|i| format!("name-{i:04}").into_bytes())
        .collect()
}

/// One server handles a whole session of `MESSAGES` messages: every event polled, every
/// reply taken, as a driver does.
fn session(framing: Framing, reads: &[Vec<u8>]) -> usize {
    let mut server = GreetingServer::new(framing);
    let mut out = 0;
    while let Some(b) = server.poll_transmit() {
        out += b.len();
    }
    for read in reads {
        server.handle_input(Instant::ZERO, read);
        while let Some(e) = server.poll_event() {
            black_box(e);
        }
        while let Some(b) = server.poll_transmit() {
            out += b.len();
        }
    }
    out
}

fn machine(c: &mut Criterion) {
    let mut group = c.benchmark_group("greeting_server_machine");
    group.throughput(Throughput::Elements(MESSAGES as u64));
    // Chunk framing: one read per message, as a lockstep client produces them.
    let chunk_reads = names();
    group.bench_function("chunk", |b| {
        b.iter(|| session(Framing::Chunk, black_box(&chunk_reads)))
    });
    // Line framing: the same names as one stream, cut into the driver's 1024-byte reads,
    // so lines straddle reads as they do under pipelining.
    let stream: Vec<u8> = names()
        .into_iter()
        .flat_map(|mut n| {
            n.push(b'\n');
            n
        })
        .collect();
    let line_reads: Vec<Vec<u8>> = stream.chunks(1024).map(<[u8]>::to_vec).collect();
    group.bench_function("line", |b| {
        b.iter(|| session(Framing::Line, black_box(&line_reads)))
    });
    // Opening a connection: creating the machine and taking its welcome.
    group.throughput(Throughput::Elements(1));
    group.bench_function("open", |b| {
        b.iter_batched(
            || (),
            |_| {
                let mut s = GreetingServer::new(Framing::Chunk);
                black_box(s.poll_transmit())
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

use servers::{OURS, PYTHON};

/// One server's figures at one connection count.
#[derive(Clone)]
struct Row {
    label: &'static str,
    conns: usize,
    per_conn: usize,
    msgs_per_sec: f64,
    cpu_us_per_msg: f64,
    rss_start: u64,
    rss_idle: u64,
    rss_busy: u64,
    client_cpu_pct: f64,
    errors: u64,
    /// False when the timed run hit [`RUN_LIMIT`] before every reply came back.
    complete: bool,
}

/// The longest a timed run may take; a server that has not answered everything by then
/// is measured on what it did answer, and marked.
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn measure(program: &servers::Program, conns: usize, total: usize) -> std::io::Result<Row> {
    let per_conn = (total / conns).max(20);
    let server = servers::start(program);
    std::thread::sleep(Duration::from_millis(300));
    let rss_start = server.rss();
    let mut load = load::Load::connect(server.addr, conns, b"Ada")?;
    // Let the server settle (the Python server starts a thread per connection).
    std::thread::sleep(Duration::from_millis(500));
    let rss_idle = server.rss();
    // One warm-up exchange per connection, so first-message allocations are not timed.
    let warm = load.run(1, RUN_LIMIT)?;
    if !warm.complete {
        return Err(std::io::Error::other(format!(
            "only {} of {conns} connections got a reply to their first message within {} s",
            warm.answered,
            RUN_LIMIT.as_secs()
        )));
    }
    let cpu0 = server.cpu();
    let client0 = servers::cpu_time("/proc/self/stat");
    let run = load.run(per_conn, RUN_LIMIT)?;
    let wall = run.wall;
    let client_cpu = servers::cpu_time("/proc/self/stat") - client0;
    let cpu = server.cpu() - cpu0;
    let rss_busy = server.rss();
    let errors = load.errors;
    load.finish()?;
    let messages = run.answered as f64;
    Ok(Row {
        complete: run.complete,
        label: program.label,
        conns,
        per_conn,
        msgs_per_sec: messages / wall.as_secs_f64(),
        cpu_us_per_msg: cpu.as_secs_f64() * 1e6 / messages,
        rss_start,
        rss_idle,
        rss_busy,
        client_cpu_pct: 100.0 * client_cpu.as_secs_f64() / wall.as_secs_f64(),
        errors,
    })
}

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|v| v.trim().parse().unwrap_or_else(|_| panic!("{name}: {v:?}")))
        .collect()
}

fn print_header() {
    println!(
        "{:<11} {:>6} {:>9} {:>11} {:>11} {:>10} {:>10} {:>10} {:>9} {:>7} {:>6}",
        "server",
        "conns",
        "msgs/conn",
        "messages/s",
        "cpu us/msg",
        "RSS0 KiB",
        "idle KiB",
        "busy KiB",
        "B/conn",
        "client%",
        "errors"
    );
}

fn print_row(row: &Row) {
    println!(
        "{:<11} {:>6} {:>9} {:>11.0} {:>11.2} {:>10} {:>10} {:>10} {:>9.0} {:>7.0} {:>6}{}",
        row.label,
        row.conns,
        row.per_conn,
        row.msgs_per_sec,
        row.cpu_us_per_msg,
        row.rss_start / 1024,
        row.rss_idle / 1024,
        row.rss_busy / 1024,
        (row.rss_idle as f64 - row.rss_start as f64) / row.conns as f64,
        row.client_cpu_pct,
        row.errors,
        if row.complete { "" } else { "  INCOMPLETE" },
    );
}

/// The median of `f` over `rows` (the upper one of an even count).
fn median(rows: &[&Row], f: impl Fn(&Row) -> f64) -> f64 {
    let mut v: Vec<f64> = rows.iter().map(|r| f(r)).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `WIRESTATE_LOAD_EXTRA=label=/path/to/server,...`: more servers to take turns with the
/// others (say, a build of an earlier version), started with `--addr` only.
fn extra_programs() -> Vec<servers::Program> {
    let Ok(list) = std::env::var("WIRESTATE_LOAD_EXTRA") else {
        return Vec::new();
    };
    list.split(',')
        .filter_map(|entry| entry.split_once('='))
        .map(|(label, path)| servers::Program {
            // Labels live as long as the run; leaking a few bytes keeps them `&'static`.
            label: Box::leak(label.to_string().into_boxed_str()),
            cmd: path.into(),
            args: Vec::new(),
        })
        .collect()
}

/// The smallest and largest value of `f` over `rows`.
fn spread(rows: &[&Row], f: impl Fn(&Row) -> f64) -> (f64, f64) {
    rows.iter()
        .map(|r| f(r))
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

fn load_run() {
    let counts = env_list("WIRESTATE_LOAD_CONNS", "1000,10000");
    let total = env_list("WIRESTATE_LOAD_MESSAGES", "200000")[0];
    let rounds = env_list("WIRESTATE_LOAD_ROUNDS", "5")[0].max(1);
    let only = std::env::var("WIRESTATE_LOAD_SERVERS").ok();
    let programs: Vec<_> = servers::programs()
        .into_iter()
        .chain(extra_programs())
        .filter(|p| {
            only.as_deref()
                .map_or(true, |o| o.split(',').any(|w| p.label.contains(w)))
        })
        .collect();
    let fd_limit = servers::open_files_limit().unwrap_or(1024);
    println!(
        "\nsize_of::<GreetingServer>() = {} bytes",
        std::mem::size_of::<GreetingServer>()
    );
    println!(
        "\nEvery run, in order (the machine is shared, so the servers take turns and the \
         summary takes medians over {rounds} rounds; the Python server runs once):"
    );
    print_header();
    let mut rows = Vec::new();
    for &conns in &counts {
        if conns as u64 + 64 > fd_limit {
            println!(
                "skipping {conns} connections: open-files limit is {fd_limit}; \
                 run under `bash -c 'ulimit -n {}; ...'`",
                conns + 1024
            );
            continue;
        }
        for round in 0..rounds {
            for program in &programs {
                // Its figures are an order of magnitude away; one run says enough, and
                // thousands of its threads slow everyone else on the machine.
                if program.label == PYTHON && round > 0 {
                    continue;
                }
                match measure(program, conns, total) {
                    Ok(row) => {
                        print_row(&row);
                        rows.push(row);
                    }
                    Err(e) => println!("{:<11} {:>6} failed: {e}", program.label, conns),
                }
            }
        }
    }
    println!(
        "\nB/conn = (RSS with every connection open and idle - RSS before any) / connections; \
         kernel socket memory is not in RSS.\nINCOMPLETE = not every reply arrived within {} s; \
         figures are for the replies that did.",
        RUN_LIMIT.as_secs()
    );
    println!("\nSummary (medians):");
    print_header();
    let mut summary = Vec::new();
    for &conns in &counts {
        for program in &programs {
            let runs: Vec<&Row> = rows
                .iter()
                .filter(|r| r.conns == conns && r.label == program.label)
                .collect();
            let Some(first) = runs.first() else { continue };
            let row = Row {
                msgs_per_sec: median(&runs, |r| r.msgs_per_sec),
                cpu_us_per_msg: median(&runs, |r| r.cpu_us_per_msg),
                rss_start: median(&runs, |r| r.rss_start as f64) as u64,
                rss_idle: median(&runs, |r| r.rss_idle as f64) as u64,
                rss_busy: median(&runs, |r| r.rss_busy as f64) as u64,
                client_cpu_pct: median(&runs, |r| r.client_cpu_pct),
                errors: runs.iter().map(|r| r.errors).sum(),
                complete: runs.iter().all(|r| r.complete),
                ..**first
            };
            print_row(&row);
            if runs.len() > 1 {
                let (lo, hi) = spread(&runs, |r| r.msgs_per_sec);
                let (clo, chi) = spread(&runs, |r| r.cpu_us_per_msg);
                println!(
                    "{:>18} {} runs: messages/s {lo:.0}..{hi:.0}, cpu us/msg {clo:.2}..{chi:.2}",
                    "",
                    runs.len()
                );
            }
            summary.push(row);
        }
    }
    println!("\nRatios (messages/s: higher is better for ours; cpu/msg: lower is better for ours)");
    for &conns in &counts {
        let find = |label: &str| {
            summary
                .iter()
                .find(|r| r.conns == conns && r.label == label)
        };
        let Some(ours) = find(OURS) else {
            continue;
        };
        for other in programs.iter().map(|p| p.label).filter(|l| *l != OURS) {
            if let Some(o) = find(other) {
                println!(
                    "{conns:>6} conns  ours/{other:<10} messages/s {:>6.2}x   cpu/msg {:>6.2}x",
                    ours.msgs_per_sec / o.msgs_per_sec,
                    ours.cpu_us_per_msg / o.cpu_us_per_msg
                );
            }
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    machine(&mut c);
    c.final_summary();
    let testing = std::env::args().any(|a| a == "--test" || a == "--list");
    if testing {
        return;
    }
    if std::env::var("WIRESTATE_LOAD").as_deref() == Ok("1") {
        load_run();
    } else {
        println!(
            "loopback load run against greeting_mio_server, a C epoll server and the Python \
             server skipped: set WIRESTATE_LOAD=1 to run it"
        );
    }
}

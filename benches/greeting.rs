//! Greeting protocol speed.
//!
//! `cargo bench --bench greeting` measures the server machine alone: messages per second
//! through `greeting::Server` under chunk and line framing, from pre-built input, no I/O.
//!
//! `WIRESTATE_LOAD=1 cargo bench --bench greeting` adds the loopback load run: it builds
//! and starts `greeting_mio_server` (release) on its mio and on its tokio driver, a minimal C epoll server
//! (`benches/peers/epoll_greeting.c`, compiled with `cc -O2`) and the classic Python
//! threaded server (`tests/fixtures/greeting_server.py`), drives each with N lockstep
//! connections from a single-threaded compiled load generator, and prints messages/s,
//! server CPU per message (on-CPU time of every server thread, from
//! `/proc/PID/task/*/schedstat`), server memory with every connection open (VmRSS), and
//! our ratios to the C and Python servers: of the totals, and paired slice by slice with
//! their quartiles and a bootstrap interval of the median.
//!
//! Knobs: `WIRESTATE_LOAD_CONNS` (default `1000,10000`), `WIRESTATE_LOAD_MESSAGES` (total
//! messages per server and connection count, default 200000),
//! `WIRESTATE_LOAD_SERVERS` (comma-separated label words to keep, e.g. `mio,C`),
//! `WIRESTATE_LOAD_EXTRA` (`label=/path/to/server,...`: more servers in the same turns),
//! `WIRESTATE_LOAD_SLICES` (default 10: the machine may be shared, so the compiled servers
//! hold their connections at once and take turns slice by slice, or, when the open-files
//! limit does not allow that, reconnect for every slice; the table gives the median slice
//! and the spread; the Python server runs alone, in one slice).
//! Every connection is a file descriptor in the load generator (for every compiled server
//! at once) and one in its server. The bench raises its open-files limit with `prlimit`
//! when it may (as root); otherwise run it under `bash -c 'ulimit -n 40000; ...'`.

#[path = "support/load.rs"]
mod load;
#[path = "../tests/common/run.rs"]
#[allow(dead_code)]
mod run;
#[path = "support/servers.rs"]
mod servers;

use criterion::{BatchSize, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wirestate::greeting::{Framing, Server, ServerConfig};
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
    let mut server = Server::new(ServerConfig::new(framing));
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
                let mut s = Server::new(ServerConfig::new(Framing::Chunk));
                black_box(s.poll_transmit())
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

use servers::{OURS, OURS_TOKIO, PYTHON};

/// The longest one timed run may take; a server that has not answered everything by then
/// is measured on what it did answer, and marked.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// One server with its connections open, and what it has done so far.
struct Contender {
    label: &'static str,
    server: servers::Server,
    load: load::Load,
    rss_start: u64,
    rss_idle: u64,
    cpu: Duration,
    client_cpu: Duration,
    wall: Duration,
    answered: u64,
    /// messages/s of each timed slice.
    rates: Vec<f64>,
    /// Server CPU microseconds per message of each timed slice, in slice order.
    slice_cpu: Vec<f64>,
    complete: bool,
}

/// Starts `program`, opens `conns` connections, samples memory before and after, and
/// exchanges one untimed message per connection so first-message allocations are not
/// timed.
fn open(program: &servers::Program, conns: usize) -> std::io::Result<Contender> {
    let server = servers::start(program);
    std::thread::sleep(Duration::from_millis(300));
    let rss_start = server.rss();
    let mut load = load::Load::connect(server.addr, conns, b"Ada")?;
    // Let the server settle (the Python server starts a thread per connection).
    std::thread::sleep(Duration::from_millis(500));
    let rss_idle = server.rss();
    let warm = load.run(1, RUN_LIMIT)?;
    if !warm.complete {
        return Err(std::io::Error::other(format!(
            "only {} of {conns} connections got a reply to their first message within {} s",
            warm.answered,
            RUN_LIMIT.as_secs()
        )));
    }
    Ok(Contender {
        label: program.label,
        server,
        load,
        rss_start,
        rss_idle,
        cpu: Duration::ZERO,
        client_cpu: Duration::ZERO,
        wall: Duration::ZERO,
        answered: 0,
        rates: Vec::new(),
        slice_cpu: Vec::new(),
        complete: true,
    })
}

/// One timed slice: `per_conn` lockstep messages on every connection, with the server's
/// CPU time (on-CPU nanoseconds) and ours (utime + stime) read before and after.
fn slice(c: &mut Contender, per_conn: usize) -> std::io::Result<()> {
    let cpu0 = c.server.cpu();
    let client0 = servers::cpu_time("/proc/self/stat");
    let run = c.load.run(per_conn, RUN_LIMIT)?;
    c.client_cpu += servers::cpu_time("/proc/self/stat") - client0;
    let cpu = c.server.cpu() - cpu0;
    c.cpu += cpu;
    c.slice_cpu
        .push(cpu.as_secs_f64() * 1e6 / run.answered.max(1) as f64);
    c.wall += run.wall;
    c.answered += run.answered;
    c.rates.push(run.answered as f64 / run.wall.as_secs_f64());
    c.complete &= run.complete;
    Ok(())
}

/// One server's figures at one connection count.
struct Row {
    label: &'static str,
    conns: usize,
    per_conn: usize,
    /// Median over the slices.
    msgs_per_sec: f64,
    /// Slowest and fastest slice.
    spread: (f64, f64),
    slices: usize,
    /// All server CPU over all timed messages.
    cpu_us_per_msg: f64,
    /// Server CPU per message of each slice, in slice order (see [`paired`]).
    slice_cpu: Vec<f64>,
    rss_start: u64,
    rss_idle: u64,
    rss_busy: u64,
    client_cpu_pct: f64,
    errors: u64,
    /// False when a timed run hit [`RUN_LIMIT`] before every reply came back.
    complete: bool,
}

/// Samples memory with every connection still open, says `exit` everywhere, and sums up.
fn close(c: Contender, conns: usize) -> Row {
    let rss_busy = c.server.rss();
    let errors = c.load.errors;
    let complete = c.complete && c.load.finish().is_ok();
    let mut rates = c.rates.clone();
    rates.sort_by(f64::total_cmp);
    let messages = c.answered.max(1) as f64;
    Row {
        label: c.label,
        conns,
        per_conn: c.answered as usize / conns,
        msgs_per_sec: rates.get(rates.len() / 2).copied().unwrap_or(0.0),
        spread: (
            rates.first().copied().unwrap_or(0.0),
            rates.last().copied().unwrap_or(0.0),
        ),
        slices: rates.len(),
        cpu_us_per_msg: c.cpu.as_secs_f64() * 1e6 / messages,
        slice_cpu: c.slice_cpu.clone(),
        rss_start: c.rss_start,
        rss_idle: c.rss_idle,
        rss_busy,
        client_cpu_pct: 100.0 * c.client_cpu.as_secs_f64() / c.wall.as_secs_f64(),
        errors,
        complete,
    }
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
        "{:<11} {:>6} {:>6} {:>6} {:>10} {:>17} {:>7} {:>8} {:>8} {:>8} {:>6} {:>7} {:>6}",
        "server",
        "conns",
        "msg/c",
        "slices",
        "messages/s",
        "slowest..fastest",
        "us/msg",
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
        "{:<11} {:>6} {:>6} {:>6} {:>10.0} {:>17} {:>7.2} {:>8} {:>8} {:>8} {:>6.0} {:>7.0} {:>6}{}",
        row.label,
        row.conns,
        row.per_conn,
        row.slices,
        row.msgs_per_sec,
        format!("{:.0}..{:.0}", row.spread.0, row.spread.1),
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

/// Measures the compiled servers together at one connection count: all of them hold
/// their connections at once and take turns, one slice each, so a burst of other work on
/// a shared machine hits every server alike instead of whichever ran then.
fn interleaved(
    programs: &[&servers::Program],
    conns: usize,
    total: usize,
    slices: usize,
) -> Vec<Row> {
    let per_conn = (total / conns / slices).max(1);
    let mut contenders = Vec::new();
    for program in programs {
        match open(program, conns) {
            Ok(c) => contenders.push(c),
            Err(e) => println!("{:<11} {:>6} failed: {e}", program.label, conns),
        }
    }
    let n = contenders.len();
    for s in 0..slices {
        // Rotate who goes first, so none always follows the same neighbour.
        for i in 0..n {
            let c = &mut contenders[(s + i) % n];
            if let Err(e) = slice(c, per_conn) {
                println!("{:<11} {:>6} slice failed: {e}", c.label, conns);
                c.complete = false;
            }
        }
    }
    contenders.into_iter().map(|c| close(c, conns)).collect()
}

/// The fallback when this process may not hold every compiled server's connections at
/// once: each slice starts a server afresh, opens its connections, runs, and closes, the
/// servers still taking turns slice by slice. Slower (each slice pays for its
/// connections), but a burst of other work still hits every server alike.
fn rotating(programs: &[&servers::Program], conns: usize, total: usize, slices: usize) -> Vec<Row> {
    let per_conn = (total / conns / slices).max(1);
    let mut runs: Vec<Vec<Row>> = programs.iter().map(|_| Vec::new()).collect();
    for s in 0..slices {
        for i in 0..programs.len() {
            let k = (s + i) % programs.len();
            let result = open(programs[k], conns).and_then(|mut c| {
                slice(&mut c, per_conn)?;
                Ok(close(c, conns))
            });
            match result {
                Ok(row) => runs[k].push(row),
                Err(e) => println!("{:<11} {:>6} slice failed: {e}", programs[k].label, conns),
            }
        }
    }
    runs.into_iter()
        .filter(|r| !r.is_empty())
        .map(combine)
        .collect()
}

/// One row from single-slice rows of the same server: the median slice and the spread,
/// CPU over all messages, median memory figures.
fn combine(rows: Vec<Row>) -> Row {
    let median = |f: &dyn Fn(&Row) -> f64| {
        let mut v: Vec<f64> = rows.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let messages = |r: &Row| (r.per_conn * r.conns) as f64;
    let total: f64 = rows.iter().map(messages).sum();
    let cpu: f64 = rows.iter().map(|r| r.cpu_us_per_msg * messages(r)).sum();
    let rates = || rows.iter().map(|r| r.msgs_per_sec);
    Row {
        label: rows[0].label,
        conns: rows[0].conns,
        per_conn: rows.iter().map(|r| r.per_conn).sum(),
        msgs_per_sec: median(&|r| r.msgs_per_sec),
        spread: (
            rates().fold(f64::MAX, f64::min),
            rates().fold(f64::MIN, f64::max),
        ),
        slices: rows.len(),
        cpu_us_per_msg: cpu / total.max(1.0),
        slice_cpu: rows
            .iter()
            .flat_map(|r| r.slice_cpu.iter().copied())
            .collect(),
        rss_start: median(&|r| r.rss_start as f64) as u64,
        rss_idle: median(&|r| r.rss_idle as f64) as u64,
        rss_busy: median(&|r| r.rss_busy as f64) as u64,
        client_cpu_pct: median(&|r| r.client_cpu_pct),
        errors: rows.iter().map(|r| r.errors).sum(),
        complete: rows.iter().all(|r| r.complete),
    }
}

/// The ratios of two servers' CPU per message slice by slice, paired by slice: the
/// servers ran slice `i` one right after the other, so a burst of other work on the
/// machine mostly hits both, and the pair's ratio cancels it where the ratio of two
/// totals does not.
struct Paired {
    n: usize,
    median: f64,
    quartiles: (f64, f64),
    /// A 95% bootstrap interval of the median (resampling the slices' ratios): how
    /// finely this run tells the two servers apart.
    interval: (f64, f64),
}

/// [`Paired`] for `a` over `b`, or `None` unless both have the same slices (four or
/// more; a failed slice leaves nothing to pair).
fn paired(a: &[f64], b: &[f64]) -> Option<Paired> {
    if a.len() != b.len() || a.len() < 4 {
        return None;
    }
    let mut r: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        (v[(n - 1) / 2] + v[n / 2]) / 2.0
    };
    let m = median(&mut r);
    let at = |q: f64| r[((r.len() - 1) as f64 * q).round() as usize];
    let quartiles = (at(0.25), at(0.75));
    // A fixed-seed xorshift, so a run's interval can be reproduced from its slices.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut medians: Vec<f64> = (0..2000)
        .map(|_| {
            let mut sample: Vec<f64> = (0..r.len())
                .map(|_| r[(next() % r.len() as u64) as usize])
                .collect();
            median(&mut sample)
        })
        .collect();
    medians.sort_by(f64::total_cmp);
    Some(Paired {
        n: r.len(),
        median: m,
        quartiles,
        interval: (medians[50], medians[1949]),
    })
}

/// Raises this process's open-files limit to `needed` (children inherit it) with the
/// `prlimit` program, so the bench needs no libc; returns the limit in force afterwards.
fn raise_fd_limit(needed: u64) -> u64 {
    let now = servers::open_files_limit().unwrap_or(1024);
    if now >= needed {
        return now;
    }
    let _ = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={needed}:{needed}"))
        .status();
    servers::open_files_limit().unwrap_or(now)
}

fn load_run() {
    let counts = env_list("WIRESTATE_LOAD_CONNS", "1000,10000");
    let total = env_list("WIRESTATE_LOAD_MESSAGES", "200000")[0];
    let slices = env_list("WIRESTATE_LOAD_SLICES", "10")[0].max(1);
    let only = std::env::var("WIRESTATE_LOAD_SERVERS").ok();
    let programs: Vec<_> = servers::programs()
        .into_iter()
        .chain(extra_programs())
        .filter(|p| {
            only.as_deref()
                .map_or(true, |o| o.split(',').any(|w| p.label.contains(w)))
        })
        .collect();
    let compiled: Vec<&servers::Program> = programs.iter().filter(|p| p.label != PYTHON).collect();
    let python = programs.iter().find(|p| p.label == PYTHON);
    println!(
        "\nsize_of::<greeting::Server>() = {} bytes",
        std::mem::size_of::<Server>()
    );
    println!(
        "\nCompiled servers hold their connections together and take turns, {slices} timed \
         slices each;\nmessages/s is the median slice, us/msg is server CPU (on-CPU time) over \
         all slices.\nThe Python server runs alone, one slice, afterwards.\n"
    );
    print_header();
    let mut rows = Vec::new();
    for &conns in &counts {
        // Each connection is a descriptor here (for every compiled server at once) and
        // one in its server.
        let together = (conns * compiled.len().max(1) + 256) as u64;
        let alone = (conns + 256) as u64;
        let limit = raise_fd_limit(together);
        let measured = if limit >= together {
            interleaved(&compiled, conns, total, slices)
        } else if limit >= alone {
            println!(
                "({conns} connections: open-files limit {limit} < {together} to hold every \
                 server's at once; each slice reconnects)"
            );
            rotating(&compiled, conns, total, slices)
        } else {
            println!(
                "skipping {conns} connections: the open-files limit is {limit}, {alone} needed; \
                 run under `bash -c 'ulimit -n {together}; ...'`"
            );
            continue;
        };
        for row in measured {
            print_row(&row);
            rows.push(row);
        }
        if let Some(py) = python {
            let per_conn = (total / conns).max(20);
            let result = open(py, conns).and_then(|mut c| {
                slice(&mut c, per_conn)?;
                Ok(close(c, conns))
            });
            match result {
                Ok(row) => {
                    print_row(&row);
                    rows.push(row);
                }
                Err(e) => println!("{:<11} {:>6} failed: {e}", py.label, conns),
            }
        }
    }
    println!(
        "\nB/conn = (RSS with every connection open and idle - RSS before any) / connections; \
         kernel socket memory is not in RSS.\nINCOMPLETE = not every reply arrived within {} s; \
         figures are for the replies that did.",
        RUN_LIMIT.as_secs()
    );
    println!("\nRatios (messages/s: higher is better for ours; cpu/msg: lower is better for ours)");
    for &conns in &counts {
        let find = |label: &str| rows.iter().find(|r| r.conns == conns && r.label == label);
        for mine in [OURS, OURS_TOKIO] {
            let Some(ours) = find(mine) else {
                continue;
            };
            for other in programs
                .iter()
                .map(|p| p.label)
                .filter(|l| *l != OURS && *l != OURS_TOKIO)
            {
                if let Some(o) = find(other) {
                    println!(
                        "{conns:>6} conns  {mine:<11}/{other:<10} messages/s {:>7.2}x   cpu/msg {:>7.3}x{}",
                        ours.msgs_per_sec / o.msgs_per_sec,
                        ours.cpu_us_per_msg / o.cpu_us_per_msg,
                        paired(&ours.slice_cpu, &o.slice_cpu)
                            .map(|p| format!(
                                "   paired by slice: median {:.3}x, quartiles {:.3}-{:.3}, \
                                 95% interval of the median {:.3}-{:.3} ({} slices)",
                                p.median, p.quartiles.0, p.quartiles.1, p.interval.0,
                                p.interval.1, p.n
                            ))
                            .unwrap_or_default()
                    );
                }
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
            "loopback load run against greeting_mio_server (mio and tokio drivers), a C epoll \
             server and the Python server skipped: set WIRESTATE_LOAD=1 to run it"
        );
    }
}

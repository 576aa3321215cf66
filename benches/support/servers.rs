//! The greeting servers the load run compares (ours on the mio and on the tokio driver,
//! a C epoll server, the classic Python server), built and started as child
//! processes, and the `/proc` figures read from them: CPU time and resident memory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::run::listening_addr;

/// Labels of the servers.
pub const OURS: &str = "mio (ours)";
pub const OURS_TOKIO: &str = "tokio(ours)";
pub const C_EPOLL: &str = "C epoll";
pub const PYTHON: &str = "Python";

/// Which server, and how to start it.
#[derive(Clone, Debug)]
pub struct Program {
    /// Short name for the table.
    pub label: &'static str,
    pub cmd: PathBuf,
    pub args: Vec<String>,
}

/// A running server, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Time on a CPU so far, all threads included, to the nanosecond: the first field
    /// of every `/proc/PID/task/*/schedstat`. Exact where utime + stime count 10 ms
    /// ticks, so a short slice's figure is not a multiple of the tick. A thread that has
    /// exited is no longer counted; the servers compared keep theirs for their lifetime.
    pub fn cpu(&self) -> Duration {
        let tasks =
            std::fs::read_dir(format!("/proc/{}/task", self.pid())).expect("read /proc/PID/task");
        let ns: u64 = tasks
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
            .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .sum();
        Duration::from_nanos(ns)
    }

    /// Resident set size in bytes.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS in /proc/PID/status")
            * 1024
    }
}

/// utime + stime (fields 14 and 15 of `/proc/PID/stat`, counted after the `)` that ends
/// the command name, which may itself hold spaces).
pub fn cpu_time(stat_path: &str) -> Duration {
    let stat = std::fs::read_to_string(stat_path).expect("read /proc stat");
    let after_name = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    // after_name starts at field 3 (state), so field N is at index N - 3.
    let ticks: u64 =
        fields[14 - 3].parse::<u64>().unwrap() + fields[15 - 3].parse::<u64>().unwrap();
    Duration::from_micros(ticks * 1_000_000 / clock_ticks())
}

/// `sysconf(_SC_CLK_TCK)` without libc: the unit of the `/proc` CPU times.
fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// The soft limit on open files of this process (children inherit it).
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Starts `program` on `127.0.0.1:0` and waits for its `listening on ADDR` line.
pub fn start(program: &Program) -> Server {
    let mut child = Command::new(&program.cmd)
        .args(&program.args)
        .args(["--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.cmd.display()));
    let label = program.label;
    let addr = listening_addr(&mut child, Duration::from_secs(30), move |line| {
        if !line.starts_with("listening on ") {
            eprintln!("{label}: {line}");
        }
    });
    let Some(addr) = addr else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{} never printed 'listening on'", program.label);
    };
    Server { child, addr }
}

fn run(cmd: &mut Command) {
    let status = cmd.status().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(status.success(), "{cmd:?} failed");
}

/// `target/release`, found from this bench binary's own path (`target/release/deps/`).
fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("bench binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/release/deps")
        .to_path_buf()
}

/// Builds (or confirms up to date) the servers and says how to start each.
pub fn programs() -> Vec<Program> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = release_dir();
    run(Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            // The bench profile (release with debug info) writes to `target/release` as
            // well, and shares the dependencies `cargo bench` has just built.
            "--profile",
            "bench",
            "--example",
            "greeting_mio_server",
        ])
        .current_dir(root));
    let c_server = dir.join("epoll_greeting");
    run(
        Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-O2", "-o"])
            .arg(&c_server)
            .arg(root.join("benches/peers/epoll_greeting.c")),
    );
    vec![
        Program {
            label: OURS,
            cmd: dir.join("examples/greeting_mio_server"),
            args: vec!["--framing".into(), "chunk".into()],
        },
        Program {
            label: OURS_TOKIO,
            cmd: dir.join("examples/greeting_mio_server"),
            args: vec![
                "--framing".into(),
                "chunk".into(),
                "--driver".into(),
                "tokio".into(),
            ],
        },
        Program {
            label: C_EPOLL,
            cmd: c_server,
            args: vec![],
        },
        Program {
            label: PYTHON,
            cmd: "python3".into(),
            args: vec![root
                .join("tests/fixtures/greeting_server.py")
                .display()
                .to_string()],
        },
    ]
}

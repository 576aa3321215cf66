//! Test harness shared by every protocol. The harness itself is the public kit,
//! `wirestate::testing` (two machines wired back to back with a virtual clock, the split
//! feeders, the chunking-invariance check, the generic driver, transcripts and their
//! replayer, conformance rows), re-exported here; what stays here is specific to this
//! test process: finding this package's transcripts, and running example programs and
//! external peers.
#![allow(dead_code)]

use std::time::Duration;

// Not every test binary uses the kit (the interop tests only run programs).
#[allow(unused_imports)]
pub use wirestate::testing::*;

/// Path of a compiled example program, built (or confirmed up to date) first with the
/// same profile as this test binary. Examples live in `target/<profile>/examples/`, two
/// levels above the test binary in `target/<profile>/deps/`.
pub fn example_bin(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let mut cmd = std::process::Command::new(env!("CARGO"));
    cmd.args(["build", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "building example {name} failed");
    profile_dir.join("examples").join(name)
}

/// A child process killed when dropped, so a failing test leaves no server behind.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a server program with `--addr 127.0.0.1:0` appended and waits (at most 60 s)
/// for the `listening on ADDR` line it prints on stderr; returns it and its address.
/// The rest of its stderr is passed through to the test's stderr.
pub fn spawn_server(
    program: &std::path::Path,
    args: &[&str],
) -> (ChildGuard, std::net::SocketAddr) {
    let mut child = std::process::Command::new(program)
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
    let addr = run::listening_addr(&mut child, Duration::from_secs(60), |line| {
        if !line.starts_with("listening on ") {
            eprintln!("server: {line}");
        }
    });
    let guard = ChildGuard(child);
    let addr = addr.unwrap_or_else(|| panic!("{} never printed 'listening on'", program.display()));
    (guard, addr)
}

/// Runs the `smtp_send` example: `file` to `addr` (`host:port`) from `a@example.org` to
/// `b@example.org`, with `extra` options; its output, whatever its exit status.
pub fn smtp_send(addr: &str, file: &std::path::Path, extra: &[&str]) -> std::process::Output {
    std::process::Command::new(example_bin("smtp_send"))
        .args([
            "--addr",
            addr,
            "--from",
            "a@example.org",
            "--to",
            "b@example.org",
        ])
        .args(extra)
        .arg(file)
        .output()
        .expect("run smtp_send")
}

/// Whether an external peer program exists. Missing peers skip a test locally but fail
/// it under `CI=true`, where `.ci/run` has installed them.
pub fn require_peer(program: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("peer {program} is missing under CI=true: .ci/run should install it");
        }
        eprintln!("skipping: peer {program} is not installed");
    }
    found
}

// ---------------------------------------------------------------------------------------
// This package's transcripts: `tests/transcripts/<protocol>/<name>.txt`.

/// The directory of `protocol`'s transcripts in this package.
pub fn transcript_dir(protocol: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/transcripts")
        .join(protocol)
}

/// Loads `tests/transcripts/<protocol>/<name>.txt`, panicking on a missing file or a bad
/// line: transcripts are fixtures.
pub fn transcript(protocol: &str, name: &str) -> Transcript {
    let path = transcript_dir(protocol).join(format!("{name}.txt"));
    Transcript::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The kit's [`wirestate::testing::Transcript`] with the loaders that know where this
/// package keeps its transcripts (the library cannot know a test's manifest directory).
/// It dereferences to the kit's type, so `.lines`, `.side()`, `.writes()` and the
/// replayers take it as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript(pub wirestate::testing::Transcript);

impl Transcript {
    /// Loads `tests/transcripts/<protocol>/<name>.txt`.
    pub fn load(protocol: &str, name: &str) -> Transcript {
        transcript(protocol, name)
    }

    /// The names of every transcript of `protocol`, sorted.
    pub fn names(protocol: &str) -> Vec<String> {
        let dir = transcript_dir(protocol);
        wirestate::testing::Transcript::names_in(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
    }

    /// Parses transcript text; panics on a line without a known tag.
    pub fn parse(text: &str) -> Transcript {
        Transcript(wirestate::testing::Transcript::parse(text))
    }

    /// Reads and parses the transcript file at `path`.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> std::io::Result<Transcript> {
        wirestate::testing::Transcript::from_file(path).map(Transcript)
    }
}

impl From<wirestate::testing::Transcript> for Transcript {
    fn from(t: wirestate::testing::Transcript) -> Transcript {
        Transcript(t)
    }
}

impl std::ops::Deref for Transcript {
    type Target = wirestate::testing::Transcript;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Transcript {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

pub mod aiosmtpd;
pub mod dovecot;
pub mod maildir;
pub mod pki;
pub mod postfix;
pub mod run;
// Not every test binary uses each of these.
#[allow(unused_imports)]
pub use maildir::{delivered, delivered_bytes};
#[allow(unused_imports)]
pub use pki::{pki, pki_for, Pki};
#[allow(unused_imports)]
pub use run::{free_port, python, python_stdout, scratch, text, wait_port};

/// A server program started on a free port, its stderr collected line by line (for
/// tests that look at its log).
pub struct Logged {
    _guard: ChildGuard,
    pub addr: std::net::SocketAddr,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// Starts `program` (an example) with `args` and `--addr 127.0.0.1:0`, collecting its
/// stderr; waits at most 60 s for its `listening on ADDR` line.
pub fn start_logged(program: &str, args: &[&str]) -> Logged {
    let mut child = std::process::Command::new(example_bin(program))
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start server");
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = lines.clone();
    let addr = run::listening_addr(&mut child, Duration::from_secs(60), move |line| {
        sink.lock().unwrap().push(line);
    });
    Logged {
        _guard: ChildGuard(child),
        addr: addr.expect("listening line"),
        lines,
    }
}

impl Logged {
    /// Every stderr line so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

/// Waits until `f` holds, for at most 10 s (log lines arrive through a pipe).
pub fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

//! Test harness shared by every protocol: two machines wired back to back with a
//! virtual clock, and feeders that split input at chosen or arbitrary points.
#![allow(dead_code)]

use bytes::Bytes;
use std::time::Duration;
use wirestate::{Instant, Machine};

/// How bytes travelling between the two machines are cut into `handle_input` calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Each transmit is delivered as it was produced.
    AsSent,
    /// Everything pending is delivered in one call.
    Coalesced,
    /// Pieces of at most `n` bytes.
    Every(usize),
}

/// A client and a server machine connected back to back, with a virtual clock.
/// Both directions are logged, so a test can check the exact bytes on the wire.
pub struct Pair<C: Machine, S: Machine> {
    pub client: C,
    pub server: S,
    pub now: Instant,
    pub split: Split,
    /// Every byte the client sent, in order.
    pub client_wire: Vec<u8>,
    /// Every byte the server sent, in order.
    pub server_wire: Vec<u8>,
    client_eof_sent: bool,
    server_eof_sent: bool,
}

impl<C: Machine, S: Machine> Pair<C, S> {
    pub fn new(client: C, server: S) -> Self {
        Pair {
            client,
            server,
            now: Instant::ZERO,
            split: Split::AsSent,
            client_wire: Vec::new(),
            server_wire: Vec::new(),
            client_eof_sent: false,
            server_eof_sent: false,
        }
    }

    pub fn with_split(mut self, split: Split) -> Self {
        self.split = split;
        self
    }

    /// Moves bytes and events both ways until neither side has anything left to say.
    /// A side that closes delivers EOF to the other. Returns how many rounds it took.
    pub fn run(
        &mut self,
        mut on_client: impl FnMut(&mut C, C::Event),
        mut on_server: impl FnMut(&mut S, S::Event),
    ) -> usize {
        for round in 0..100_000 {
            let mut moved = false;
            while let Some(e) = self.server.poll_event() {
                on_server(&mut self.server, e);
                moved = true;
            }
            while let Some(e) = self.client.poll_event() {
                on_client(&mut self.client, e);
                moved = true;
            }
            let to_server = drain(&mut self.client);
            if !to_server.is_empty() {
                self.client_wire
                    .extend(to_server.iter().flat_map(|b| b.iter()));
                deliver(&mut self.server, self.now, &to_server, self.split);
                moved = true;
            }
            let to_client = drain(&mut self.server);
            if !to_client.is_empty() {
                self.server_wire
                    .extend(to_client.iter().flat_map(|b| b.iter()));
                deliver(&mut self.client, self.now, &to_client, self.split);
                moved = true;
            }
            if self.client.is_closed() && !self.client_eof_sent {
                self.client_eof_sent = true;
                self.server.handle_eof(self.now);
                moved = true;
            }
            if self.server.is_closed() && !self.server_eof_sent {
                self.server_eof_sent = true;
                self.client.handle_eof(self.now);
                moved = true;
            }
            if !moved {
                return round;
            }
        }
        panic!("the pair never went quiet: a machine keeps producing output");
    }

    /// Advances the virtual clock, firing each side's timer if it is due.
    pub fn advance(&mut self, by: Duration) {
        self.now = self.now + by;
        if self.client.poll_timeout().is_some_and(|d| d <= self.now) {
            self.client.handle_timeout(self.now);
        }
        if self.server.poll_timeout().is_some_and(|d| d <= self.now) {
            self.server.handle_timeout(self.now);
        }
    }
}

/// Every pending transmit of `m`, in order.
pub fn drain<M: Machine>(m: &mut M) -> Vec<Bytes> {
    std::iter::from_fn(|| m.poll_transmit()).collect()
}

/// Every pending transmit of `m`, concatenated.
pub fn drain_bytes<M: Machine>(m: &mut M) -> Vec<u8> {
    drain(m).concat()
}

/// Every pending event of `m`.
pub fn events<M: Machine>(m: &mut M) -> Vec<M::Event> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

fn deliver<M: Machine>(m: &mut M, now: Instant, pieces: &[Bytes], split: Split) {
    match split {
        Split::AsSent => pieces.iter().for_each(|p| m.handle_input(now, p)),
        Split::Coalesced => m.handle_input(now, &pieces.concat()),
        Split::Every(n) => pieces
            .concat()
            .chunks(n.max(1))
            .for_each(|c| m.handle_input(now, c)),
    }
}

/// Feeds `input` to a fresh machine cut at `cuts` (sorted offsets), draining events
/// after every piece; returns the events and everything the machine transmitted.
pub fn feed_cut<M: Machine>(mut m: M, input: &[u8], cuts: &[usize]) -> (Vec<M::Event>, Vec<u8>) {
    let mut evs = Vec::new();
    let mut out = drain_bytes(&mut m);
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(start, input.len());
        if cut > start {
            m.handle_input(Instant::ZERO, &input[start..cut]);
            evs.extend(events(&mut m));
            out.extend(drain_bytes(&mut m));
        }
        start = cut;
    }
    m.handle_eof(Instant::ZERO);
    evs.extend(events(&mut m));
    out.extend(drain_bytes(&mut m));
    (evs, out)
}

/// Feeds `input` whole, then split at every single position and byte by byte, and
/// asserts that events and output never change. Returns the reference result.
pub fn assert_chunking_invariant<M, F>(make: F, input: &[u8]) -> (Vec<M::Event>, Vec<u8>)
where
    M: Machine,
    M::Event: PartialEq + std::fmt::Debug,
    F: Fn() -> M,
{
    let whole = feed_cut(make(), input, &[]);
    for i in 1..input.len() {
        let split = feed_cut(make(), input, &[i]);
        assert_eq!(split, whole, "split at byte {i} changed the result");
    }
    let every: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        feed_cut(make(), input, &every),
        whole,
        "byte-by-byte feeding changed the result"
    );
    whole
}

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
    use std::io::BufRead;
    let mut child = std::process::Command::new(program)
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
    let stderr = child.stderr.take().expect("piped stderr");
    let guard = ChildGuard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stderr).lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("listening on ") {
                let _ = tx.send(addr.trim().to_string());
                break;
            }
            eprintln!("server: {line}");
        }
        for line in lines.map_while(Result::ok) {
            eprintln!("server: {line}");
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{} never printed 'listening on'", program.display()));
    (guard, addr.parse().expect("listening address"))
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

//! Test harness shared by every protocol: two machines wired back to back with a
//! virtual clock, feeders that split input at chosen or arbitrary points, the one
//! generic driver every machine runs under ([`drive`]), the one transcript loader and
//! the one conformance row type.
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
            // The wire between the two is a test pipe: a TLS switch is just the call.
            if self.client.wants_tls() {
                self.client.handle_tls_established(self.now);
                moved = true;
            }
            if self.server.wants_tls() {
                self.server.handle_tls_established(self.now);
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

// ---------------------------------------------------------------------------------------
// The generic driver.

/// What [`drive`] saw.
#[derive(Debug, Default)]
pub struct Driven {
    /// Every byte the machine transmitted, in order.
    pub wire: Vec<u8>,
    /// Offsets into `wire` at which the machine asked for TLS and was told it had it.
    pub tls_at: Vec<usize>,
    /// Peer bytes never handed over because the machine stopped wanting input (or
    /// closed) before them.
    pub unread: usize,
    /// Whether the machine was closed at the end.
    pub closed: bool,
}

/// The driver loop of the `Machine` docs over a scripted peer, for any machine: feeds
/// `peer` in pieces of at most `piece` bytes while the machine wants input, hands each
/// event to `on_event`, calls `on_send_ready` whenever the machine wants the next body
/// chunk and everything is written, switches "TLS" (this pipe needs no handshake) when
/// asked, fires timers on a virtual clock that jumps to each deadline once the script is
/// spent, and delivers EOF after the script. Nothing in it knows any protocol: that every
/// machine runs under it is the test that the `Machine` trait is enough.
pub fn drive<M: Machine>(
    machine: &mut M,
    peer: &[u8],
    piece: usize,
    mut on_event: impl FnMut(&mut M, M::Event),
    mut on_send_ready: impl FnMut(&mut M),
) -> Driven {
    let mut out = Driven::default();
    let mut now = Instant::ZERO;
    let mut fed = 0;
    let mut eof = false;
    for _ in 0..1_000_000 {
        while let Some(e) = machine.poll_event() {
            on_event(machine, e);
        }
        let mut wrote = false;
        while let Some(b) = machine.poll_transmit() {
            out.wire.extend_from_slice(&b);
            wrote = true;
        }
        if !wrote && machine.wants_body() {
            let before = out.wire.len();
            on_send_ready(machine);
            while let Some(b) = machine.poll_transmit() {
                out.wire.extend_from_slice(&b);
            }
            if out.wire.len() > before {
                continue;
            }
        }
        if wrote {
            continue;
        }
        if machine.wants_tls() {
            out.tls_at.push(out.wire.len());
            machine.handle_tls_established(now);
            continue;
        }
        if machine.is_closed() {
            break;
        }
        if fed < peer.len() && machine.wants_input() {
            let end = (fed + piece.max(1)).min(peer.len());
            machine.handle_input(now, &peer[fed..end]);
            fed = end;
            continue;
        }
        if fed == peer.len() && !eof {
            eof = true;
            machine.handle_eof(now);
            continue;
        }
        match machine.poll_timeout() {
            Some(deadline) => {
                now = now.max(deadline);
                machine.handle_timeout(now);
            }
            None => break,
        }
    }
    out.unread = peer.len() - fed;
    out.closed = machine.is_closed();
    out
}

// ---------------------------------------------------------------------------------------
// Transcripts.

/// Who sent a transcript line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The client.
    C,
    /// The server.
    S,
}

/// A `C:`/`S:` transcript, the one format every protocol's transcripts use:
///
/// * `C: text` / `S: text`: `text` followed by CRLF, sent by the client / server;
/// * `c: text` / `s: text`: `text` exactly, with no line ending (a message of the
///   greeting protocol, a body without a final CRLF);
/// * `#` lines and empty lines are comments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The lines in order, each with its terminator (if any) already appended.
    pub lines: Vec<(Side, Vec<u8>)>,
}

impl Transcript {
    /// Parses transcript text. Panics on a line without a known tag: transcripts are
    /// test fixtures, and a typo must not silently drop a line.
    pub fn parse(text: &str) -> Transcript {
        let mut lines = Vec::new();
        for line in text.lines() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (tag, rest) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("transcript line without a tag: {line:?}"));
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let (side, crlf) = match tag {
                "C" => (Side::C, true),
                "S" => (Side::S, true),
                "c" => (Side::C, false),
                "s" => (Side::S, false),
                _ => panic!("unknown transcript tag {tag:?} in {line:?}"),
            };
            let mut bytes = rest.as_bytes().to_vec();
            if crlf {
                bytes.extend_from_slice(b"\r\n");
            }
            lines.push((side, bytes));
        }
        Transcript { lines }
    }

    /// Loads `tests/transcripts/<protocol>/<name>.txt`.
    pub fn load(protocol: &str, name: &str) -> Transcript {
        let path = format!(
            "{}/tests/transcripts/{protocol}/{name}.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Transcript::parse(&text)
    }

    /// The names of every transcript of `protocol`, sorted.
    pub fn names(protocol: &str) -> Vec<String> {
        let dir = format!(
            "{}/tests/transcripts/{protocol}",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".txt").map(str::to_string))
            .collect();
        names.sort();
        names
    }

    /// Everything one side sent, concatenated.
    pub fn side(&self, side: Side) -> Vec<u8> {
        self.lines
            .iter()
            .filter(|(s, _)| *s == side)
            .flat_map(|(_, b)| b.iter().copied())
            .collect()
    }

    /// The transcript as writes: consecutive lines of one side joined into one.
    pub fn writes(&self) -> Vec<(Side, Vec<u8>)> {
        let mut out: Vec<(Side, Vec<u8>)> = Vec::new();
        for (side, bytes) in &self.lines {
            match out.last_mut() {
                Some((s, b)) if s == side => b.extend_from_slice(bytes),
                _ => out.push((*side, bytes.clone())),
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Conformance rows.

/// One row of a conformance table: one RFC rule, the input that tests it, and what the
/// machine must do. Every `*_conformance.rs` file is a list of these.
#[derive(Clone, Debug)]
pub struct Row<E> {
    /// The RFC, e.g. `"RFC 5321"`.
    pub rfc: &'static str,
    /// Its section, e.g. `"4.5.3.1.4"`.
    pub section: &'static str,
    /// The rule in the RFC's words (MUST / MUST NOT ...).
    pub rule: &'static str,
    /// The bytes fed to the machine.
    pub input: &'static [u8],
    /// What must come out.
    pub expect: E,
}

impl<E> Row<E> {
    /// `RFC 5321 4.5.3.1.4: rule`, for assertion messages.
    pub fn cite(&self) -> String {
        format!("{} {}: {}", self.rfc, self.section, self.rule)
    }
}

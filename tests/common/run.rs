//! Running peers and keeping their traces: a scratch directory per test, a free
//! loopback port, the Python runner, and a process's output as one text. `benches/tls.rs`
//! includes it with `#[path]` too, so it uses nothing else from `tests/common`.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh, empty `wirestate-<suite>-<name>-<pid>` directory under the system temp dir.
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wirestate-{suite}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback port that was free a moment ago, for peers that cannot be told to pick
/// their own (port 0) and print it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (at most 20 s) until a peer that prints nothing useful accepts connections on
/// loopback `port`; `what` names it in the failure.
pub fn wait_port(port: u16, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} never listened on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Stops `child` with SIGTERM (so a master process stops its children, and valgrind
/// writes its profile), then kills it if it is still there after `grace`.
pub fn stop(child: &mut std::process::Child, grace: std::time::Duration) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads `child`'s stderr on a thread of its own until the `listening on ADDR` line that
/// our example servers print, and gives that address, or `None` if it has not come
/// within `timeout`. Every line, that one too, goes to `each`, and the thread reads on
/// to the end, so the child never blocks on a full pipe.
pub fn listening_addr(
    child: &mut std::process::Child,
    timeout: std::time::Duration,
    mut each: impl FnMut(String) + Send + 'static,
) -> Option<std::net::SocketAddr> {
    use std::io::BufRead;
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(addr) = line.strip_prefix("listening on ") {
                let _ = tx.send(addr.trim().parse().ok());
            }
            each(line);
        }
    });
    rx.recv_timeout(timeout).ok().flatten()
}

/// Whether this process runs as root (uid 0), read from /proc so no libc call is needed.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs `python3 -c script args...` and fails the test, with both streams, unless it
/// exits 0.
pub fn python(script: &str, args: &[&str]) -> Output {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// [`python`], returning what it printed.
pub fn python_stdout(script: &str, args: &[&str]) -> String {
    String::from_utf8(python(script, args).stdout).expect("python printed UTF-8")
}

/// stdout then stderr, for assertion messages and searches.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// xorshift64*: a seeded generator for the kill loops, so a failing run can be repeated
/// from the seed it prints.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The environment variable `name` as a number, if set and valid.
pub fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

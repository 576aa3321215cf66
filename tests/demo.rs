//! The README's first command: `cargo run --example demo` runs the whole journey
//! (greeting, HTTP and HTTPS, SMTP, POP3 over real loopback sockets) and exits 0.

mod common;

#[test]
fn demo_runs_the_whole_journey() {
    let out = std::process::Command::new(common::example_bin("demo"))
        .output()
        .expect("run the demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo failed: {}\n{stdout}\n{stderr}",
        out.status
    );
    for part in ["== greeting", "== http", "== smtp", "== pop3"] {
        assert!(stdout.contains(part), "no {part} part:\n{stdout}");
    }
    assert!(!stdout.contains(" failed"), "a part failed:\n{stdout}");
}

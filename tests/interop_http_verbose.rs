//! `http_server --verbose` logs each request head, every field, with credentials hidden
//! by the library's `RequestHead::redacted` (the program never decides what is secret):
//! curl's `-u user:pw` (an `Authorization: Basic` field) and a Cookie reach the log as
//! `Secret(<redacted>)` and their bytes appear nowhere in it, on every driver.

mod common;

use common::{eventually, require_peer, start_logged};
use std::process::Command;

#[test]
fn verbose_log_shows_the_head_without_credentials_on_every_driver() {
    if !require_peer("curl") {
        return;
    }
    // base64("wirestate-user:hunter2-pw") as curl sends it, and the cookie's value.
    const BASIC: &str = "d2lyZXN0YXRlLXVzZXI6aHVudGVyMi1wdw==";
    const COOKIE: &str = "sid=31d4d96e407aad42";
    for driver in ["std", "mio", "tokio"] {
        let server = start_logged(
            "http_server",
            &["--respond", "hello", "--driver", driver, "--verbose"],
        );
        let out = Command::new("curl")
            .args(["-s", "--http1.1", "-u", "wirestate-user:hunter2-pw"])
            .args([
                "-H",
                &format!("Cookie: {COOKIE}"),
                "-H",
                "X-Trace: visible-42",
            ])
            .arg(format!("http://{}/", server.addr))
            .output()
            .unwrap();
        assert!(out.status.success(), "curl --driver {driver}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, World!\n");
        let logged = |want: &str| server.lines().iter().any(|l| l.ends_with(want));
        assert!(
            eventually(|| logged(": X-Trace: visible-42")),
            "--driver {driver}: {:?}",
            server.lines()
        );
        let log = server.lines().join("\n");
        for want in [
            ": GET / HTTP/1.1",
            &format!(": Host: {}", server.addr),
            ": Authorization: Secret(<redacted>)",
            ": Cookie: Secret(<redacted>)",
            ": Accept: */*",
        ] {
            assert!(log.contains(want), "--driver {driver}: {want} not in {log}");
        }
        assert!(log.contains(": User-Agent: curl/"), "{log}");
        for secret in [BASIC, "hunter2", "wirestate-user", COOKIE, "31d4d96e"] {
            assert!(
                !log.contains(secret),
                "--driver {driver}: {secret} leaked: {log}"
            );
        }
    }
}

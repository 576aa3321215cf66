//! The programs' command lines: `--help` prints usage and exits 0, an unknown option is
//! an error with exit 2 (clap's convention), and the shared flags parse: every server
//! takes the driver, TLS, PROXY and connection-cap flags, every TCP client `--driver`.

mod common;

use common::example_bin;
use std::process::Command;

const PROGRAMS: [&str; 12] = [
    "greeting_server",
    "greeting_mio_server",
    "greeting_client",
    "greeting_udp_server",
    "greeting_udp_client",
    "http_server",
    "http_mio_server",
    "http_get",
    "smtp_server",
    "smtp_send",
    "pop3_server",
    "pop3_fetch",
];

const SERVERS: [&str; 6] = [
    "greeting_server",
    "greeting_mio_server",
    "http_server",
    "http_mio_server",
    "smtp_server",
    "pop3_server",
];

const CLIENTS: [&str; 4] = ["greeting_client", "http_get", "smtp_send", "pop3_fetch"];

#[test]
fn help_exits_0_and_an_unknown_option_exits_2() {
    for program in PROGRAMS {
        let bin = example_bin(program);
        let help = Command::new(&bin).arg("--help").output().unwrap();
        assert_eq!(help.status.code(), Some(0), "{program} --help");
        let usage = String::from_utf8_lossy(&help.stdout);
        assert!(usage.contains("Usage:"), "{program} --help: {usage}");
        assert!(
            usage.contains("--addr") || program == "http_get",
            "{program} --help: {usage}"
        );
        let bogus = Command::new(&bin).arg("--bogus").output().unwrap();
        assert_eq!(bogus.status.code(), Some(2), "{program} --bogus");
        let err = String::from_utf8_lossy(&bogus.stderr);
        assert!(err.contains("--bogus"), "{program} --bogus: {err}");
    }
}

/// The server programs share `--driver`, TLS and PROXY flags; a bad value is exit 2 too.
#[test]
fn servers_take_the_shared_flags() {
    for program in SERVERS {
        let bin = example_bin(program);
        let help = Command::new(&bin).arg("--help").output().unwrap();
        let usage = String::from_utf8_lossy(&help.stdout);
        for flag in [
            "--driver",
            "--verbose",
            "--tls-cert",
            "--tls-key",
            "--implicit-tls",
            "--proxy-protocol",
            "--max-connections",
            "--max-per-client",
        ] {
            assert!(usage.contains(flag), "{program} lacks {flag}: {usage}");
        }
        let bad = Command::new(&bin)
            .args(["--driver", "threads"])
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(2), "{program} --driver threads");
        // A key without its certificate is a usage error, not a plaintext server.
        let half = Command::new(&bin)
            .args(["--tls-key", "/nonexistent"])
            .output()
            .unwrap();
        assert_eq!(half.status.code(), Some(2), "{program} --tls-key alone");
        let cap = Command::new(&bin)
            .args(["--max-connections", "many"])
            .output()
            .unwrap();
        assert_eq!(
            cap.status.code(),
            Some(2),
            "{program} --max-connections many"
        );
    }
    let mio = Command::new(example_bin("greeting_mio_server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&mio.stdout).contains("[default: mio]"));
}

#[test]
fn http_get_refuses_a_url_it_cannot_fetch() {
    let out = Command::new(example_bin("http_get"))
        .arg("ftp://example.org/")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Every TCP client program runs on the driver `--driver` names; a bad one is exit 2.
#[test]
fn clients_take_driver() {
    for program in CLIENTS {
        let bin = example_bin(program);
        let help = Command::new(&bin).arg("--help").output().unwrap();
        let usage = String::from_utf8_lossy(&help.stdout);
        assert!(
            usage.contains("--driver"),
            "{program} lacks --driver: {usage}"
        );
        assert!(usage.contains("[default: std]"), "{program}: {usage}");
        let bad = Command::new(&bin)
            .args(["--driver", "threads"])
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(2), "{program} --driver threads");
    }
}

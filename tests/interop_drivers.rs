//! The greeting and HTTP programs' command lines: `--help` prints usage and exits 0, an
//! unknown option is an error with exit 2 (clap's convention), and the shared flags parse.

mod common;

use common::example_bin;
use std::process::Command;

const PROGRAMS: [&str; 8] = [
    "greeting_server",
    "greeting_mio_server",
    "greeting_client",
    "greeting_udp_server",
    "greeting_udp_client",
    "http_server",
    "http_mio_server",
    "http_get",
];

#[test]
fn help_exits_0_and_an_unknown_option_exits_2() {
    for program in PROGRAMS {
        let bin = example_bin(program);
        let help = Command::new(&bin).arg("--help").output().unwrap();
        assert_eq!(help.status.code(), Some(0), "{program} --help");
        let usage = String::from_utf8_lossy(&help.stdout);
        assert!(usage.contains("Usage:"), "{program} --help: {usage}");
        assert!(usage.contains("--addr"), "{program} --help: {usage}");
        let bogus = Command::new(&bin).arg("--bogus").output().unwrap();
        assert_eq!(bogus.status.code(), Some(2), "{program} --bogus");
        let err = String::from_utf8_lossy(&bogus.stderr);
        assert!(err.contains("--bogus"), "{program} --bogus: {err}");
    }
}

/// The server programs share `--driver`, TLS and PROXY flags; a bad value is exit 2 too.
#[test]
fn servers_take_the_shared_flags() {
    for program in [
        "greeting_server",
        "greeting_mio_server",
        "http_server",
        "http_mio_server",
    ] {
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

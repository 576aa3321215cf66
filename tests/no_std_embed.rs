//! The `no_std` embedding example (`examples/no_std_embed/`) shows the claim by code: it
//! builds without `std`, for the host and, where the target is installed, for a bare-metal
//! one, and the exchange it runs through fixed-capacity links is checked here on the host.

use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code)]
#[path = "../examples/no_std_embed/src/exchange.rs"]
mod exchange;

const BARE_METAL: &str = "thumbv7em-none-eabihf";

#[test]
fn the_exchange_runs_through_fixed_capacity_links() {
    let long = b"a name longer than one link of thirty-two bytes";
    let mut log = [0u8; 256];
    let n = exchange::greet(&[b"Ada", "Zoë".as_bytes(), long], &mut log).unwrap();
    let expected = format!(
        "Welcome!\nHello, Ada!\nHello, Zoë!\nHello, {}!\n",
        String::from_utf8_lossy(long)
    );
    assert_eq!(String::from_utf8_lossy(&log[..n]), expected);
    assert!(
        expected.len() > 2 * exchange::LINK_CAPACITY,
        "replies must not fit a link"
    );
}

#[test]
fn the_exchange_reports_a_full_log_and_a_refused_name() {
    let mut small = [0u8; 12];
    assert_eq!(
        exchange::greet(&[b"Ada"], &mut small),
        Err(exchange::ExchangeError::LogFull)
    );
    let mut log = [0u8; 64];
    assert_eq!(
        exchange::greet(&[b"exit"], &mut log),
        Err(exchange::ExchangeError::BadName)
    );
}

#[test]
fn the_ring_keeps_order_across_wraps_and_refuses_overflow() {
    let mut ring: exchange::Ring<4> = exchange::Ring::new();
    assert_eq!(ring.write(b"abc"), 3);
    let mut out = [0u8; 2];
    assert_eq!(ring.read(&mut out), 2);
    assert_eq!(&out, b"ab");
    assert_eq!(ring.write(b"defg"), 3, "one byte of room was left");
    let mut all = [0u8; 8];
    assert_eq!(ring.read(&mut all), 4);
    assert_eq!(&all[..4], b"cdef");
    assert!(ring.is_empty());
}

fn manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/no_std_embed/Cargo.toml")
}

/// Cargo, or `None` (with a message) when there is none to run.
fn cargo() -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO")));
    let works = Command::new(&cargo)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !works {
        eprintln!("skipping: cargo ({}) is not available", cargo.display());
        return None;
    }
    Some(cargo)
}

fn build(cargo: &Path, target: Option<&str>) {
    let target_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/no_std_embed");
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(manifest())
        .arg("--target-dir")
        .arg(target_dir);
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    let status = cmd.status().expect("run cargo build");
    assert!(
        status.success(),
        "building examples/no_std_embed for {} failed",
        target.unwrap_or("the host")
    );
}

#[test]
fn builds_without_std() {
    if let Some(cargo) = cargo() {
        build(&cargo, None);
    }
}

/// The bare-metal target has no `std` at all, so a build there cannot lean on it by
/// accident. Skipped, with a message, where the target's library is not installed.
#[test]
fn builds_for_a_bare_metal_target() {
    let Some(cargo) = cargo() else { return };
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let libdir = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", BARE_METAL])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = libdir.is_some_and(|d| {
        std::fs::read_dir(d).is_ok_and(|mut entries| {
            entries
                .any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcore-")))
        })
    });
    if !installed {
        eprintln!(
            "skipping: target {BARE_METAL} is not installed (rustup target add {BARE_METAL})"
        );
        return;
    }
    build(&cargo, Some(BARE_METAL));
}

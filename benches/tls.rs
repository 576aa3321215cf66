//! The TLS handshake-and-transfer bench: every contender in ONE run, interleaved round by
//! round (the order rotates each round), medians with min-max over the rounds, and the
//! ratios taken within each round so machine drift cancels.
//!
//! (a) SMTP transactions per second, each a fresh connection: connect, EHLO, STARTTLS
//!     and a full TLS 1.3 handshake (the client keeps no session cache, so nothing is
//!     resumed), EHLO again, MAIL, RCPT, DATA of a 1 KB message, QUIT; also implicit
//!     TLS (RFC 8314) and plaintext. Servers: our `smtp_server` (release, std driver,
//!     writing to a Maildir with fsync) with TLS, with implicit TLS and without TLS;
//!     a private Postfix smtpd (STARTTLS offered, an SMTPS listener, mail queued with
//!     fsync then discarded), with and without TLS. One client for all: `smtp_send`'s
//!     own machinery (`examples/support/smtp_io.rs`, the SMTP machine in the rustls
//!     layer, ring provider), TLS 1.3 only, verifying a CA made for the run.
//! (b) 10 MB RETR throughput (a whole session: CAPA, STLS and handshake, USER/PASS,
//!     UIDL, LIST, RETR of one 10 MB message written to a file, QUIT): our
//!     `pop3_server` with STLS, without TLS, and a private Dovecot POP3 with
//!     `ssl = required` (STLS), all fetched by `pop3_fetch`'s own loop
//!     (`examples/support/pop3_client.rs`).
//!
//! Run: `cargo bench --bench tls`. As root (Postfix and Dovecot run as their own users
//! in private directories; a contender that cannot start is reported and left out).
//! Environment: `TLS_BENCH_ROUNDS` (default 5), `TLS_BENCH_TX` (SMTP transactions per
//! contender per round, default 40), `TLS_BENCH_RETR` (10 MB fetches per contender per
//! round, default 3). `TLS_BENCH_CALLGRIND=1` adds where the time goes on our side: our
//! servers under `valgrind --tool=callgrind`, for 0 and for K transactions (and 0 and 1
//! fetches), giving instructions per transaction (the difference, so start-up is out)
//! and the share of them in ring (crypto), rustls, wirestate and the rest.

#[path = "../tests/common/dovecot.rs"]
mod dovecot;
#[path = "support/tls_peers.rs"]
mod peers;
#[allow(dead_code)]
#[path = "../tests/common/pki.rs"]
mod pki;
#[path = "../tests/common/postfix.rs"]
mod postfix;
#[allow(dead_code)]
#[path = "../tests/common/run.rs"]
mod run;
#[path = "../examples/support/mod.rs"]
mod support;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{self, Cursor};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;
use support::pop3_client::{fetch_all, FetchOptions, TlsMode};
use support::smtp_io::{send_messages_tls, ClientTls, TlsPolicy};
use wirestate::smtp::{ClientConfig, Envelope, ForwardPath, ReversePath};
use wirestate::Secret;

const TEN_MB: usize = 10 * 1024 * 1024;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// TLS 1.3 only, the run's CA, and no resumption: every transaction is a full handshake.
fn client_config(ca: &Path) -> Arc<rustls::ClientConfig> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(ca).expect("CA file"))
        .expect("CA");
    let mut c = rustls::ClientConfig::builder_with_protocol_versions(&[&rustls::version::TLS13])
        .with_root_certificates(roots)
        .with_no_client_auth();
    c.resumption = rustls::client::Resumption::disabled();
    Arc::new(c)
}

fn message() -> Vec<u8> {
    let mut m = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n".to_vec();
    while m.len() < 1000 {
        m.extend_from_slice(b"The quick brown fox jumps over the lazy dog, again and again.\r\n");
    }
    m
}

/// 10 MB of 80-octet lines (LF, as a Maildir stores them), every 100th starting with a
/// dot so the servers have stuffing to do.
fn ten_mb_message() -> Vec<u8> {
    let line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempo.\n";
    let mut m: Vec<u8> = line.iter().copied().cycle().take(TEN_MB).collect();
    for i in (0..m.len()).step_by(line.len() * 100) {
        m[i] = b'.';
    }
    let n = m.len() - m.len() % line.len();
    m.truncate(n);
    m
}

/// One SMTP transaction on a fresh connection, checked: the message was accepted.
fn smtp_tx(addr: SocketAddr, tls: Option<(TlsPolicy, &Arc<rustls::ClientConfig>)>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let env = Envelope::new(
        ReversePath::parse("<a@example.org>").unwrap(),
        vec![ForwardPath::parse("<b@example.org>").unwrap()],
    );
    let body: Box<dyn io::Read> = Box::new(Cursor::new(message()));
    let tls = tls.map(|(policy, config)| ClientTls {
        policy,
        config: config.clone(),
        name: ServerName::try_from("localhost").unwrap(),
    });
    let reports = send_messages_tls(
        &mut stream,
        ClientConfig::default(),
        tls,
        vec![(env, body)],
        None,
    )
    .unwrap_or_else(|e| panic!("SMTP transaction to {addr}: {e}"));
    assert!(
        reports.first().is_some_and(|r| r.sent.is_some()),
        "not accepted by {addr}"
    );
}

/// One POP3 session fetching the 10 MB message; returns the octets fetched.
fn pop3_fetch(
    addr: SocketAddr,
    user: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
    out: &Path,
) -> u64 {
    let pass = Secret::from(user);
    let opts = FetchOptions {
        user,
        pass: &pass,
        tls: match tls {
            Some(config) => TlsMode::Stls {
                config: config.clone(),
                name: ServerName::try_from("localhost").unwrap(),
                required: true,
            },
            None => TlsMode::None,
        },
        allow_plaintext_auth: tls.is_none(),
        out_dir: out,
        delete: false,
        driver: support::cli::Driver::Std,
        verbose: false,
    };
    let got = fetch_all(&addr.to_string(), &opts)
        .unwrap_or_else(|e| panic!("POP3 fetch from {addr}: {e}"));
    let octets: u64 = got.iter().map(|f| f.octets).sum();
    assert!(
        octets as usize >= TEN_MB - 100,
        "fetched {octets} octets from {addr}"
    );
    for f in got {
        let _ = std::fs::remove_file(f.path);
    }
    octets
}

/// A contender: its label and one unit of work.
struct Contender<'a> {
    label: &'static str,
    work: Box<dyn Fn() + 'a>,
}

/// Runs every contender `per_round` times per round, interleaved and rotated, and
/// returns units per second, per contender, per round.
fn measure(rounds: usize, per_round: usize, contenders: &[Contender]) -> Vec<Vec<f64>> {
    let mut rates = vec![Vec::new(); contenders.len()];
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let start = Instant::now();
            for _ in 0..per_round {
                (contenders[i].work)();
            }
            rates[i].push(per_round as f64 / start.elapsed().as_secs_f64());
        }
        eprintln!("round {} of {rounds} done", round + 1);
    }
    rates
}

fn median_range(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    (s[s.len() / 2], s[0], s[s.len() - 1])
}

fn index(contenders: &[Contender], label: &str) -> Option<usize> {
    contenders.iter().position(|c| c.label == label)
}

/// Prints each contender's median [min-max] and the per-round ratios asked for.
fn report(
    title: &str,
    unit: &str,
    scale: f64,
    contenders: &[Contender],
    rates: &[Vec<f64>],
    ratios: &[(&str, &str)],
) {
    println!("\n{title}");
    for (c, r) in contenders.iter().zip(rates) {
        let (m, lo, hi) = median_range(r);
        println!(
            "  {:<34} {:>9.1} {unit}  [{:.1} - {:.1}]",
            c.label,
            m * scale,
            lo * scale,
            hi * scale
        );
    }
    for (a, b) in ratios {
        let (Some(i), Some(j)) = (index(contenders, a), index(contenders, b)) else {
            continue;
        };
        let per_round: Vec<f64> = rates[i].iter().zip(&rates[j]).map(|(x, y)| x / y).collect();
        let (m, lo, hi) = median_range(&per_round);
        println!("  ratio {a} / {b}: {m:.3}  [{lo:.3} - {hi:.3}]");
    }
}

const OURS_STARTTLS: &str = "ours STARTTLS";
const OURS_IMPLICIT: &str = "ours implicit TLS";
const OURS_PLAIN: &str = "ours plaintext";
const PF_STARTTLS: &str = "Postfix STARTTLS";
const PF_IMPLICIT: &str = "Postfix implicit TLS";
const PF_PLAIN: &str = "Postfix plaintext";
const POP_TLS: &str = "ours STLS";
const POP_PLAIN: &str = "ours plaintext";
const DOVECOT_TLS: &str = "Dovecot STLS";

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn main() {
    let rounds = env_or("TLS_BENCH_ROUNDS", 5).max(3);
    let per_tx = env_or("TLS_BENCH_TX", 40).max(1);
    let per_retr = env_or("TLS_BENCH_RETR", 3).max(1);
    peers::build_servers();
    let root = std::env::temp_dir().join(format!("wirestate-bench-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let pki = pki::pki(&root);
    let tls_config = client_config(&pki.ca);
    let tls = &tls_config;
    let (cert, key) = (s(&pki.cert).to_string(), s(&pki.key).to_string());

    // (a) SMTP.
    let maildir = |name: &str| {
        let d = root.join(name);
        std::fs::create_dir_all(&d).unwrap();
        d.to_str().unwrap().to_string()
    };
    let (m1, m2, m3) = (
        maildir("md-starttls"),
        maildir("md-implicit"),
        maildir("md-plain"),
    );
    let tls_args = |md: &str, extra: &[&str]| {
        let mut a = strings(&["--maildir", md, "--tls-cert", &cert, "--tls-key", &key]);
        a.extend(strings(extra));
        a
    };
    let (_s1, a_starttls) = peers::ours(&[], "smtp_server", &tls_args(&m1, &[]));
    let (_s2, a_implicit) = peers::ours(&[], "smtp_server", &tls_args(&m2, &["--implicit-tls"]));
    let (_s3, a_plain) = peers::ours(&[], "smtp_server", &strings(&["--maildir", &m3]));
    let postfix = peers::postfix(&root)
        .map_err(|e| eprintln!("Postfix left out: {e}"))
        .ok();
    let mut smtp: Vec<Contender> = vec![
        Contender {
            label: OURS_STARTTLS,
            work: Box::new(|| smtp_tx(a_starttls, Some((TlsPolicy::Require, tls)))),
        },
        Contender {
            label: OURS_IMPLICIT,
            work: Box::new(|| smtp_tx(a_implicit, Some((TlsPolicy::Implicit, tls)))),
        },
        Contender {
            label: OURS_PLAIN,
            work: Box::new(|| smtp_tx(a_plain, None)),
        },
    ];
    if let Some(pf) = &postfix {
        let p_starttls: SocketAddr = ([127, 0, 0, 1], pf.starttls_port).into();
        let p_implicit: SocketAddr = ([127, 0, 0, 1], pf.implicit_port).into();
        smtp.push(Contender {
            label: PF_STARTTLS,
            work: Box::new(move || smtp_tx(p_starttls, Some((TlsPolicy::Require, tls)))),
        });
        smtp.push(Contender {
            label: PF_IMPLICIT,
            work: Box::new(move || smtp_tx(p_implicit, Some((TlsPolicy::Implicit, tls)))),
        });
        smtp.push(Contender {
            label: PF_PLAIN,
            work: Box::new(move || smtp_tx(p_starttls, None)),
        });
    }
    // Warm-up: one of each, outside the timing (also checks every contender works).
    for c in &smtp {
        (c.work)();
    }
    let rates = measure(rounds, per_tx, &smtp);
    report(
        &format!("(a) SMTP transactions/s, {per_tx} per contender per round, {rounds} rounds: median [min - max]"),
        "tx/s",
        1.0,
        &smtp,
        &rates,
        &[
            (OURS_STARTTLS, OURS_PLAIN),
            (OURS_IMPLICIT, OURS_PLAIN),
            (PF_STARTTLS, PF_PLAIN),
            (PF_IMPLICIT, PF_PLAIN),
            (OURS_STARTTLS, PF_STARTTLS),
            (OURS_IMPLICIT, PF_IMPLICIT),
            (OURS_PLAIN, PF_PLAIN),
        ],
    );
    drop(smtp);
    drop(postfix);

    // (b) POP3 10 MB RETR.
    let big = ten_mb_message();
    let pop_dir = |name: &str| {
        let d = root.join(name);
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("cur/1700000001.M1P1.bench:2,S"), &big).unwrap();
        d.to_str().unwrap().to_string()
    };
    let (p1, p2) = (pop_dir("pop-tls"), pop_dir("pop-plain"));
    let pop_args = |md: &str| strings(&["--maildir", md, "--user", "bench", "--pass", "bench"]);
    let mut with_tls = pop_args(&p1);
    with_tls.extend(strings(&["--tls-cert", &cert, "--tls-key", &key]));
    let (_p1, a_pop_tls) = peers::ours(&[], "pop3_server", &with_tls);
    let (_p2, a_pop_plain) = peers::ours(&[], "pop3_server", &pop_args(&p2));
    let dovecot_root = root.join("dovecot");
    std::fs::create_dir_all(&dovecot_root).unwrap();
    for f in ["cert.pem", "key.pem"] {
        std::fs::copy(root.join(f), dovecot_root.join(f)).unwrap();
    }
    let dovecot = peers::dovecot(&dovecot_root, &big)
        .map_err(|e| eprintln!("Dovecot left out: {e}"))
        .ok();
    let out_dir: PathBuf = root.join("fetched");
    let out = &out_dir;
    let mut pop: Vec<Contender> = vec![
        Contender {
            label: POP_TLS,
            work: Box::new(|| {
                pop3_fetch(a_pop_tls, "bench", Some(tls), out);
            }),
        },
        Contender {
            label: POP_PLAIN,
            work: Box::new(|| {
                pop3_fetch(a_pop_plain, "bench", None, out);
            }),
        },
    ];
    if let Some((_, port)) = &dovecot {
        let a: SocketAddr = ([127, 0, 0, 1], *port).into();
        pop.push(Contender {
            label: DOVECOT_TLS,
            work: Box::new(move || {
                pop3_fetch(a, "bench", Some(tls), out);
            }),
        });
    }
    for c in &pop {
        (c.work)();
    }
    let rates = measure(rounds, per_retr, &pop);
    report(
        &format!("(b) 10 MB RETR sessions, MB/s (10 MiB = 10.49 MB per session), {per_retr} per contender per round, {rounds} rounds: median [min - max]"),
        "MB/s",
        TEN_MB as f64 / 1e6,
        &pop,
        &rates,
        &[(POP_TLS, POP_PLAIN), (POP_TLS, DOVECOT_TLS)],
    );
    drop(pop);
    drop(dovecot);

    if std::env::var("TLS_BENCH_CALLGRIND").as_deref() == Ok("1") {
        profile(&root, tls, &cert, &key);
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// Total instructions of a callgrind output file (its `summary:` or `totals:` line).
fn total_ir(file: &Path) -> u64 {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("summary: ")
                .or_else(|| l.strip_prefix("totals: "))
        })
        .filter_map(|v| v.split_whitespace().next()?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// Runs `example` under callgrind, does `work` `k` times, stops it; returns the output.
fn callgrind_run(
    root: &Path,
    tag: &str,
    example: &str,
    args: &[String],
    k: usize,
    work: &dyn Fn(SocketAddr),
) -> PathBuf {
    let file = root.join(format!("callgrind.{tag}.{k}"));
    let prefix = strings(&[
        "valgrind",
        "--tool=callgrind",
        &format!("--callgrind-out-file={}", file.display()),
    ]);
    let (proc, addr) = peers::ours(&prefix, example, args);
    for _ in 0..k {
        work(addr);
    }
    drop(proc); // SIGTERM: callgrind writes the profile as the server exits.
    file
}

/// Where our server's instructions go for one unit of work: the per-unit count, and its
/// self cost split by where each function comes from.
fn profile(root: &Path, tls: &Arc<rustls::ClientConfig>, cert: &str, key: &str) {
    let k = env_or("TLS_BENCH_CALLGRIND_TX", 10).max(1);
    let md = root.join("md-profile");
    std::fs::create_dir_all(&md).unwrap();
    let args = strings(&["--maildir", s(&md), "--tls-cert", cert, "--tls-key", key]);
    let tx = |a: SocketAddr| smtp_tx(a, Some((TlsPolicy::Require, tls)));
    let base = callgrind_run(root, "smtp", "smtp_server", &args, 0, &tx);
    let run = callgrind_run(root, "smtp", "smtp_server", &args, k, &tx);
    let plain_args = strings(&["--maildir", s(&md)]);
    let ptx = |a: SocketAddr| smtp_tx(a, None);
    let pbase = callgrind_run(root, "smtp-plain", "smtp_server", &plain_args, 0, &ptx);
    let prun = callgrind_run(root, "smtp-plain", "smtp_server", &plain_args, k, &ptx);
    println!(
        "\nWhere our side's instructions go (valgrind --tool=callgrind on the release server)"
    );
    let per = |base: &Path, run: &Path, n: usize| {
        (total_ir(run).saturating_sub(total_ir(base))) / n as u64
    };
    println!(
        "  smtp_server, one STARTTLS transaction: {} Ir; one plaintext transaction: {} Ir ({k} of each, start-up subtracted)",
        per(&base, &run, k),
        per(&pbase, &prun, k)
    );
    breakdown(&run);

    let pd = root.join("pop-tls");
    let out = root.join("fetched");
    let args = strings(&[
        "--maildir",
        s(&pd),
        "--user",
        "bench",
        "--pass",
        "bench",
        "--tls-cert",
        cert,
        "--tls-key",
        key,
    ]);
    let fetch = |a: SocketAddr| {
        pop3_fetch(a, "bench", Some(tls), &out);
    };
    let base = callgrind_run(root, "pop3", "pop3_server", &args, 0, &fetch);
    let run = callgrind_run(root, "pop3", "pop3_server", &args, 1, &fetch);
    println!(
        "  pop3_server, one 10 MB RETR session over TLS: {} Ir ({:.1} Ir per octet)",
        per(&base, &run, 1),
        per(&base, &run, 1) as f64 / TEN_MB as f64
    );
    breakdown(&run);
}

/// Self instructions grouped by origin, from `callgrind_annotate`, and the top functions.
fn breakdown(file: &Path) {
    let out = Command::new("callgrind_annotate")
        .args(["--threshold=100", "--inclusive=no"])
        .arg(file)
        .output();
    let Ok(out) = out else {
        println!("  (callgrind_annotate not found)");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut groups: Vec<(&str, u64)> = [
        "ring (crypto)",
        "rustls",
        "wirestate and the example servers",
        "libc (memset, memcpy, malloc)",
        "other",
    ]
    .iter()
    .map(|g| (*g, 0))
    .collect();
    let mut top: Vec<(u64, String)> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let Some((num, rest)) = t.split_once(' ') else {
            continue;
        };
        let Ok(ir) = num.replace(',', "").parse::<u64>() else {
            continue;
        };
        let Some(func) = rest
            .split_once(')')
            .map(|(_, f)| f.trim())
            .or(Some(rest.trim()))
        else {
            continue;
        };
        if func.is_empty() || func.starts_with("PROGRAM TOTALS") || func.contains("file:function") {
            continue;
        }
        // `file:function [object]`: classify by the function, and by the object only for
        // the C library.
        let (name, object) = func.split_once(" [").unwrap_or((func, ""));
        let f = name.to_ascii_lowercase();
        let ring_c = [
            "ring_core",
            "ring::",
            "fe_",
            "ge_",
            "x25519",
            "table_select",
            "nistz",
            "aesni",
            "aes_hw",
            "gcm",
            "ghash",
            "sha256",
            "sha512",
            "chacha",
            "poly1305",
            "bn_",
            "limbs",
            "p256",
            "ecp_",
        ];
        let g = if ring_c.iter().any(|k| f.contains(k)) {
            0
        } else if f.contains("rustls") {
            1
        } else if f.contains("wirestate::") || f.contains("support::") || f.contains("_server::") {
            2
        } else if object.contains("libc.so") || object.contains("ld-linux") {
            3
        } else {
            4
        };
        groups[g].1 += ir;
        top.push((ir, func.to_string()));
    }
    let total: u64 = groups.iter().map(|g| g.1).sum::<u64>().max(1);
    let shares: Vec<String> = groups
        .iter()
        .map(|(g, ir)| format!("{g} {:.1}%", 100.0 * *ir as f64 / total as f64))
        .collect();
    println!("    self cost by origin: {}", shares.join(", "));
    top.sort_by_key(|t| std::cmp::Reverse(t.0));
    for (ir, f) in top.iter().take(12) {
        let f: String = f.chars().take(110).collect();
        println!("    {:>5.1}%  {f}", 100.0 * *ir as f64 / total as f64);
    }
}

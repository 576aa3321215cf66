//! Failed-login limits (issue 14), on the virtual clock: the answer to a refused login
//! is held for `failed_login_delay` as a `poll_timeout` deadline and released only by
//! `handle_timeout` at or after it; input meanwhile waits in the buffer; the
//! `max_failed_logins`-th failure closes the connection (SMTP `421 4.7.0`, POP3
//! `-ERR [AUTH]`). Also the idle clock of every server machine: it starts at the first
//! `handle_*` call, not at `Instant::ZERO`.

mod common;
mod smtp_common;

use common::{drain_bytes, Pair};
use core::time::Duration;
use wirestate::pop3::{self, ResponseCode, Text};
use wirestate::smtp::{self, AuthMechanism, EnhancedCode, Reply};
use wirestate::{CloseReason, Instant, Machine};

const SECOND: Duration = Duration::from_secs(1);

fn smtp_config() -> smtp::ServerConfig {
    let mut c = smtp_common::named("mx.example");
    c.auth = vec![AuthMechanism::Plain];
    c.auth_without_tls = true;
    c.auto_accept_hello = true;
    c
}

fn bad_credentials() -> Reply {
    Reply::enhanced(
        535,
        EnhancedCode::new(5, 7, 8).unwrap(),
        "Authentication credentials invalid",
    )
    .unwrap()
}

/// `AUTH PLAIN` of `\0u\0wrong`.
const AUTH_WRONG: &[u8] = b"AUTH PLAIN AHUAd3Jvbmc=\r\n";

/// Drains the server's events, refusing every login with `535 5.7.8`; returns the
/// Debug forms of the events.
fn smtp_drain(s: &mut smtp::Server) -> Vec<String> {
    let mut seen = Vec::new();
    while let Some(ev) = s.poll_event() {
        seen.push(format!("{ev:?}"));
        if let smtp::ServerEvent::Auth { decision, .. } = ev {
            s.reject(decision, bad_credentials()).unwrap();
        }
    }
    seen
}

/// A server past its greeting and an `EHLO c` at `now`, with nothing left to send.
fn smtp_after_ehlo(cfg: smtp::ServerConfig, now: Instant) -> smtp::Server {
    let mut s = smtp::Server::new(cfg);
    drain_bytes(&mut s);
    s.handle_input(now, b"EHLO c\r\n");
    smtp_drain(&mut s);
    drain_bytes(&mut s);
    s
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn smtp_failed_login_answer_waits_for_the_deadline() {
    let t0 = Instant::from_millis(1_000_000);
    let mut s = smtp_after_ehlo(smtp_config(), t0);
    s.handle_input(t0, AUTH_WRONG);
    smtp_drain(&mut s);
    // The refusal is held: nothing on the wire, the deadline is the delay.
    assert!(drain_bytes(&mut s).is_empty());
    assert_eq!(s.poll_timeout(), Some(t0 + 2 * SECOND));
    // Input meanwhile is buffered, not decoded; a full buffer stops reading.
    s.handle_input(t0 + SECOND, b"NOOP\r\n");
    assert!(s.poll_event().is_none());
    assert!(!s.wants_input(), "input waits while the answer is held");
    // Early timeouts change nothing.
    s.handle_timeout(t0 + Duration::from_millis(1_999));
    assert!(drain_bytes(&mut s).is_empty());
    s.handle_timeout(t0 + 2 * SECOND);
    assert_eq!(
        text(&drain_bytes(&mut s)),
        "535 5.7.8 Authentication credentials invalid\r\n"
    );
    // Then the buffered NOOP is decoded and answered, and the idle timer runs again
    // from the release.
    smtp_drain(&mut s);
    assert_eq!(text(&drain_bytes(&mut s)), "250 2.0.0 Ok\r\n");
    assert_eq!(s.poll_timeout(), Some(t0 + 2 * SECOND + 300 * SECOND));
}

#[test]
fn smtp_closes_with_421_after_max_failed_logins() {
    let mut cfg = smtp_config();
    cfg.limits.max_failed_logins = 3;
    let mut now = Instant::ZERO;
    let mut s = smtp_after_ehlo(cfg, now);
    let mut answers = Vec::new();
    let mut events = Vec::new();
    for _ in 0..3 {
        s.handle_input(now, AUTH_WRONG);
        events.extend(smtp_drain(&mut s));
        let deadline = s.poll_timeout().expect("the held answer's deadline");
        assert_eq!(deadline, now + 2 * SECOND);
        now = deadline;
        s.handle_timeout(now);
        events.extend(smtp_drain(&mut s));
        answers.push(text(&drain_bytes(&mut s)));
    }
    assert_cut_after_three(
        &answers,
        &events,
        "535 5.7.8 Authentication credentials invalid\r\n",
        "421 4.7.0 mx.example Error: too many failed authentication attempts, closing connection\r\n",
    );
    assert!(s.is_closed());
}

/// Three failed logins with the limit at three: the first two answers are `refusal`, the
/// third is `closing`, and the last events are the `TooManyFailedLogins` error and then
/// `Closed(Error)`.
fn assert_cut_after_three(answers: &[String], events: &[String], refusal: &str, closing: &str) {
    assert_eq!(answers[0], refusal);
    assert_eq!(answers[1], answers[0]);
    assert_eq!(answers[2], closing);
    let n = events.len();
    assert!(
        events[n - 2].starts_with("Error(Error { kind: TooManyFailedLogins"),
        "{events:?}"
    );
    assert_eq!(events[n - 1], "Closed(Error)");
}

#[test]
fn smtp_temporary_refusal_is_neither_delayed_nor_counted() {
    let mut cfg = smtp_config();
    cfg.limits.max_failed_logins = 1;
    let mut s = smtp_after_ehlo(cfg, Instant::ZERO);
    for _ in 0..3 {
        s.handle_input(Instant::ZERO, AUTH_WRONG);
        let Some(smtp::ServerEvent::Auth { decision, .. }) = s.poll_event() else {
            panic!("an Auth decision")
        };
        let temp = Reply::enhanced(454, EnhancedCode::new(4, 7, 0).unwrap(), "try later").unwrap();
        s.reject(decision, temp).unwrap();
        assert_eq!(text(&drain_bytes(&mut s)), "454 4.7.0 try later\r\n");
    }
    assert!(!s.is_closed());
}

#[test]
fn smtp_starttls_does_not_reset_the_count() {
    let mut cfg = smtp_config();
    cfg.starttls = true;
    cfg.limits.max_failed_logins = 2;
    cfg.timeouts.failed_login_delay = None;
    let mut s = smtp::Server::new(cfg);
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"EHLO c\r\n");
    smtp_drain(&mut s);
    s.handle_input(Instant::ZERO, AUTH_WRONG);
    smtp_drain(&mut s);
    assert!(
        text(&drain_bytes(&mut s)).ends_with("535 5.7.8 Authentication credentials invalid\r\n")
    );
    s.handle_input(Instant::ZERO, b"STARTTLS\r\n");
    while let Some(ev) = s.poll_event() {
        if let smtp::ServerEvent::StartTls { decision } = ev {
            s.accept(decision).unwrap();
        }
    }
    drain_bytes(&mut s);
    assert!(s.wants_tls());
    s.handle_tls_established(Instant::ZERO);
    s.handle_input(Instant::ZERO, b"EHLO c\r\n");
    smtp_drain(&mut s);
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, AUTH_WRONG);
    smtp_drain(&mut s);
    assert!(text(&drain_bytes(&mut s)).starts_with("421 4.7.0"));
    assert!(s.is_closed());
}

/// The delay seen from a real client machine through the kit's `Pair`: the client
/// learns of the refusal only once the virtual clock passes the delay.
#[test]
fn smtp_client_sees_the_refusal_only_after_the_delay() {
    let mut ccfg = smtp::ClientConfig::default();
    ccfg.credentials = Some(smtp::Credentials::new("u", "wrong"));
    ccfg.auth_without_tls = true;
    let mut pair = Pair::new(smtp::Client::new(ccfg), smtp::Server::new(smtp_config()));
    let mut client_events = Vec::new();
    let on_server = |s: &mut smtp::Server, ev: smtp::ServerEvent| {
        if let smtp::ServerEvent::Auth { decision, .. } = ev {
            s.reject(decision, bad_credentials()).unwrap();
        }
    };
    pair.run(|_, ev| client_events.push(format!("{ev:?}")), on_server);
    assert!(
        !client_events.iter().any(|e| e.contains("AuthRefused")),
        "{client_events:?}"
    );
    pair.advance(SECOND);
    pair.run(|_, ev| client_events.push(format!("{ev:?}")), on_server);
    assert!(
        !client_events.iter().any(|e| e.contains("AuthRefused")),
        "{client_events:?}"
    );
    pair.advance(SECOND);
    pair.run(|_, ev| client_events.push(format!("{ev:?}")), on_server);
    assert!(
        client_events.iter().any(|e| e.contains("AuthRefused")),
        "{client_events:?}"
    );
}

fn pop3_config() -> pop3::ServerConfig {
    let mut c = pop3::ServerConfig::default();
    c.limits.max_failed_logins = 3;
    c
}

fn pop3_drain(s: &mut pop3::Server, code: Option<ResponseCode>) -> Vec<String> {
    let mut seen = Vec::new();
    while let Some(ev) = s.poll_event() {
        seen.push(format!("{ev:?}"));
        if let pop3::ServerEvent::Login { decision, .. } = ev {
            s.reject_login(decision, code.clone(), Text::new("wrong password").unwrap())
                .unwrap();
        }
    }
    seen
}

/// Every way to log in: USER/PASS, APOP and AUTH PLAIN count against one limit.
#[test]
fn pop3_user_pass_apop_and_auth_failures_are_delayed_then_cut() {
    let mut cfg = pop3_config();
    cfg.apop_timestamp = Some(pop3::Timestamp::new("<1.2@example>").unwrap());
    let mut s = pop3::Server::new(cfg);
    drain_bytes(&mut s);
    let attempts: [&[u8]; 3] = [
        b"USER u\r\nPASS wrong\r\n",
        b"APOP u c4c9334bac560ecc979e58001b3e22fb\r\n",
        b"AUTH PLAIN AHUAd3Jvbmc=\r\n",
    ];
    let mut now = Instant::from_millis(7_000_000);
    let mut answers = Vec::new();
    let mut events = Vec::new();
    for a in attempts {
        s.handle_input(now, a);
        events.extend(pop3_drain(&mut s, Some(ResponseCode::Auth)));
        let wire = text(&drain_bytes(&mut s));
        assert!(!wire.contains("-ERR"), "answered before the delay: {wire}");
        assert_eq!(s.poll_timeout(), Some(now + 2 * SECOND));
        s.handle_timeout(now + SECOND);
        assert!(drain_bytes(&mut s).is_empty());
        now = now + 2 * SECOND;
        s.handle_timeout(now);
        events.extend(pop3_drain(&mut s, Some(ResponseCode::Auth)));
        answers.push(text(&drain_bytes(&mut s)));
    }
    assert_cut_after_three(
        &answers,
        &events,
        "-ERR [AUTH] wrong password\r\n",
        "-ERR [AUTH] too many failed logins, closing connection\r\n",
    );
    assert!(s.is_closed());
}

#[test]
fn pop3_input_during_the_delay_is_buffered_and_answered_after() {
    let mut s = pop3::Server::new(pop3_config());
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"USER u\r\nPASS wrong\r\n");
    pop3_drain(&mut s, None);
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"CAPA\r\n");
    assert!(pop3_drain(&mut s, None).is_empty());
    assert!(!s.wants_input());
    s.handle_timeout(Instant::ZERO + 2 * SECOND);
    pop3_drain(&mut s, None);
    let wire = text(&drain_bytes(&mut s));
    assert!(
        wire.starts_with("-ERR wrong password\r\n+OK Capability list follows\r\n"),
        "{wire}"
    );
    // The autologout restarts from the release.
    assert_eq!(
        s.poll_timeout(),
        Some(Instant::ZERO + 2 * SECOND + 600 * SECOND)
    );
}

#[test]
fn pop3_in_use_and_system_refusals_are_not_failed_logins() {
    let mut cfg = pop3_config();
    cfg.limits.max_failed_logins = 1;
    let mut s = pop3::Server::new(cfg);
    drain_bytes(&mut s);
    for code in [
        ResponseCode::InUse,
        ResponseCode::SysTemp,
        ResponseCode::SysPerm,
    ] {
        s.handle_input(Instant::ZERO, b"USER u\r\nPASS p\r\n");
        pop3_drain(&mut s, Some(code));
        assert!(text(&drain_bytes(&mut s)).ends_with("wrong password\r\n"));
    }
    assert!(!s.is_closed());
}

/// Through the kit's `Pair` with the POP3 client machine, which retries USER/PASS on
/// every `-ERR`: the refusals come one per delay, then the server closes.
#[test]
fn pop3_client_pair_sees_one_refusal_per_delay_then_the_close() {
    let mut pair = Pair::new(
        pop3::Client::new(pop3::ClientConfig::default()),
        pop3::Server::new(pop3_config()),
    );
    let mut refusals: Vec<(u64, String)> = Vec::new();
    let mut closed = None;
    for _ in 0..20 {
        let now = pair.now;
        pair.run(
            |c, ev| match ev {
                pop3::ClientEvent::Greeting { .. } => c.user("u").unwrap(),
                pop3::ClientEvent::Ok { .. } => c.pass("wrong").unwrap(),
                pop3::ClientEvent::Err { response, .. } => {
                    refusals.push((
                        now.as_millis(),
                        String::from_utf8_lossy(&response.text).into(),
                    ));
                    let _ = c.user("u");
                }
                pop3::ClientEvent::Closed(r) => closed = Some(r),
                _ => {}
            },
            |s, ev| {
                if let pop3::ServerEvent::Login { decision, .. } = ev {
                    s.reject_login(decision, Some(ResponseCode::Auth), Text::new("no").unwrap())
                        .unwrap();
                }
            },
        );
        pair.advance(SECOND);
    }
    let times: Vec<u64> = refusals.iter().map(|r| r.0).collect();
    assert_eq!(times, [2_000, 4_000, 6_000], "{refusals:?}");
    assert!(
        refusals[2].1.contains("too many failed logins"),
        "{refusals:?}"
    );
    assert!(closed.is_some(), "the client saw the server close");
    assert!(pair.server.is_closed());
}

// The idle clock: a machine made long after the caller's epoch is not timed out at
// once, and the wait counts from the first call that brings the time.

const LATE: Instant = Instant::from_millis(86_400_000);

fn assert_idle_clock<M: Machine>(mut m: M, idle: Duration) {
    assert_eq!(
        m.poll_timeout(),
        Some(Instant::ZERO),
        "asks for the time at once"
    );
    m.handle_timeout(LATE);
    assert!(!m.is_closed());
    assert_eq!(
        m.poll_timeout(),
        Some(LATE + idle),
        "the wait counts from the first call"
    );
    m.handle_timeout(LATE + idle.saturating_sub(Duration::from_millis(1)));
    assert!(m.poll_event().is_none(), "nothing expired early");
    m.handle_timeout(LATE + idle);
    let mut last = None;
    while let Some(e) = m.poll_event() {
        last = Some(e);
    }
    assert!(last.is_some(), "the idle timeout ended the session");
    assert!(m.poll_timeout().is_none());
}

/// The first call may also be the first input: the wait then starts there.
fn assert_first_input_starts_clock<M: Machine>(mut m: M, input: &[u8], idle: Duration) {
    drain_bytes(&mut m);
    m.handle_input(LATE, input);
    while m.poll_event().is_some() {}
    assert_eq!(m.poll_timeout(), Some(LATE + idle));
}

#[test]
fn greeting_idle_clock_starts_at_the_first_call() {
    let mut cfg = wirestate::greeting::ServerConfig::new(wirestate::greeting::Framing::Line);
    cfg.timeouts.idle = Some(30 * SECOND);
    assert_idle_clock(wirestate::greeting::Server::new(cfg), 30 * SECOND);
    assert_first_input_starts_clock(wirestate::greeting::Server::new(cfg), b"hi\n", 30 * SECOND);
}

#[test]
fn http_idle_clock_starts_at_the_first_call() {
    let cfg = wirestate::http::ServerConfig::default();
    let idle = cfg.timeouts.idle.expect("an idle timeout by default");
    assert_idle_clock(wirestate::http::Server::new(cfg), idle);
    assert_first_input_starts_clock(wirestate::http::Server::new(cfg), b"GET / HTT", idle);
}

#[test]
fn smtp_idle_clock_starts_at_the_first_call() {
    let idle = 300 * SECOND;
    let mut s = smtp::Server::new(smtp_config());
    drain_bytes(&mut s);
    assert_idle_clock(s, idle);
    assert_first_input_starts_clock(smtp::Server::new(smtp_config()), b"NOOP\r\n", idle);
    // The timeout's reply is the protocol's.
    let mut s = smtp::Server::new(smtp_config());
    drain_bytes(&mut s);
    s.handle_timeout(LATE);
    s.handle_timeout(LATE + idle);
    assert!(text(&drain_bytes(&mut s)).starts_with("421 4.4.2"));
}

#[test]
fn pop3_idle_clock_starts_at_the_first_call() {
    let idle = 600 * SECOND;
    assert_idle_clock(pop3::Server::new(pop3_config()), idle);
    assert_first_input_starts_clock(pop3::Server::new(pop3_config()), b"NOOP\r\n", idle);
    let mut s = pop3::Server::new(pop3_config());
    drain_bytes(&mut s);
    s.handle_timeout(LATE);
    s.handle_timeout(LATE + idle);
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(events, [pop3::ServerEvent::Closed(CloseReason::Timeout)]);
    // RFC 1939 section 3: the autologout sends nothing.
    assert!(drain_bytes(&mut s).is_empty());
}

/// An EOF while an answer is held closes at once and drops the answer: a half-closed
/// peer learns nothing before the delay.
#[test]
fn eof_during_the_delay_closes_without_the_answer() {
    let mut s = smtp_after_ehlo(smtp_config(), Instant::ZERO);
    s.handle_input(Instant::ZERO, AUTH_WRONG);
    smtp_drain(&mut s);
    s.handle_input(Instant::ZERO, b"QUIT\r\n");
    s.handle_eof(Instant::ZERO);
    assert_eq!(
        smtp_drain(&mut s),
        ["Closed(PeerClosed { unterminated: 6 })"]
    );
    assert!(drain_bytes(&mut s).is_empty());
    assert!(s.is_closed());

    let mut p = pop3::Server::new(pop3_config());
    drain_bytes(&mut p);
    p.handle_input(Instant::ZERO, b"USER u\r\nPASS wrong\r\nQUIT\r\n");
    pop3_drain(&mut p, None);
    drain_bytes(&mut p);
    p.handle_eof(Instant::ZERO);
    assert_eq!(
        pop3_drain(&mut p, None),
        ["Closed(PeerClosed { unterminated: 6 })"]
    );
    assert!(drain_bytes(&mut p).is_empty());
    assert!(p.is_closed());
}

// End to end: the example servers on every driver, with Python's smtplib and poplib as
// the clients. Each refusal is observed to take at least the delay (a lower bound only:
// a loaded machine can only make it later), and the fifth failure on one connection ends
// it: SMTP with 421 4.7.0, POP3 with -ERR [AUTH] ... closing connection.

const SMTPLIB_GUESSER: &str = r#"
import base64, smtplib, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = smtplib.SMTP(host, int(port), timeout=30)
s.ehlo("guesser.example")
for i in range(6):
    token = base64.b64encode(b"\0u\0guess%d" % i).decode()
    t0 = time.monotonic()
    try:
        code, msg = s.docmd("AUTH", "PLAIN " + token)
    except smtplib.SMTPServerDisconnected:
        print("disconnected", flush=True)
        break
    print("%d %.3f %s" % (code, time.monotonic() - t0, msg.decode()), flush=True)
"#;

const POPLIB_GUESSER: &str = r#"
import poplib, sys, time
host, port = sys.argv[1].rsplit(":", 1)
p = poplib.POP3(host, int(port), timeout=30)
for i in range(6):
    t0 = time.monotonic()
    try:
        p.user("u")
        p.pass_("guess%d" % i)
        print("accepted", flush=True)
    except poplib.error_proto as e:
        msg = e.args[0].decode() if isinstance(e.args[0], bytes) else e.args[0]
        if msg == "-ERR EOF":  # poplib's word for a closed connection
            print("disconnected", flush=True)
            break
        print("ERR %.3f %s" % (time.monotonic() - t0, msg), flush=True)
    except (EOFError, OSError) as e:
        print("disconnected", flush=True)
        break
"#;

/// Each line: status, seconds, text. Checks the first four are refusals held for the
/// delay and the fifth is the closing one; returns the observed delays.
fn check_guesses(lines: &[&str], refusal: &str, closing: &str) -> Vec<f64> {
    assert!(lines.len() >= 5, "{lines:?}");
    let mut delays = Vec::new();
    for (i, l) in lines[..5].iter().enumerate() {
        let mut parts = l.splitn(3, ' ');
        let status = parts.next().unwrap();
        let secs: f64 = parts.next().unwrap().parse().unwrap();
        let text = parts.next().unwrap_or("");
        let want = if i < 4 { refusal } else { closing };
        assert!(
            format!("{status} {text}").contains(want),
            "attempt {}: {l:?}",
            i + 1
        );
        assert!(
            secs >= 1.9,
            "attempt {} answered after {secs} s: {l:?}",
            i + 1
        );
        delays.push(secs);
    }
    assert!(
        lines[5..].iter().all(|l| *l == "disconnected"),
        "the connection is gone after the fifth failure: {lines:?}"
    );
    delays
}

/// The drivers every example server runs on.
const DRIVERS: [&str; 3] = ["std", "mio", "tokio"];

/// One end-to-end run: `example` on each driver, with a fresh Maildir and `args`, guessed
/// at by the Python `script`; each answer is checked by [`check_guesses`].
fn end_to_end(example: &str, args: &[&str], script: &str, refusal: &str, closing: &str) {
    if !common::require_peer("python3") {
        return;
    }
    for driver in DRIVERS {
        let dir = std::env::temp_dir().join(format!(
            "wirestate-auth-{example}-{driver}-{}",
            std::process::id()
        ));
        let md = dir.join("Maildir");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(md.join(sub)).unwrap();
        }
        let md = md.display().to_string();
        let mut argv = vec!["--maildir", &md];
        argv.extend_from_slice(args);
        argv.extend(["--driver", driver]);
        let (_server, addr) = common::spawn_server(&common::example_bin(example), &argv);
        let out = common::python_stdout(script, &[&addr.to_string()]);
        let lines: Vec<&str> = out.lines().collect();
        let delays = check_guesses(&lines, refusal, closing);
        eprintln!("{example} on {driver}: refusals after {delays:?} s, then disconnected");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn smtp_server_delays_and_cuts_smtplib_on_every_driver() {
    end_to_end(
        "smtp_server",
        &["--auth", "u:secret", "--allow-plaintext-auth"],
        SMTPLIB_GUESSER,
        "535 5.7.8",
        "421 4.7.0",
    );
}

#[test]
fn pop3_server_delays_and_cuts_poplib_on_every_driver() {
    end_to_end(
        "pop3_server",
        &["--user", "u", "--pass", "secret"],
        POPLIB_GUESSER,
        "-ERR [AUTH]",
        "-ERR [AUTH] too many failed logins",
    );
}

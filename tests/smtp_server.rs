//! The server machine beyond reply codes: decisions and their tokens, STARTTLS and
//! implicit TLS, AUTH and secrets, timeouts, flow control, limits and offsets.

mod common;
mod smtp_common;

use common::{drain_bytes, events};
use smtp_common::*;
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

fn config() -> ServerConfig {
    named("mx.example")
}

fn run(cfg: ServerConfig, input: &[u8]) -> (Vec<u16>, Vec<Seen>) {
    let (seen, out) = feed_answered(cfg, input, &[]);
    (codes(&out), seen)
}

#[test]
fn overlong_command_line_500_then_connection_goes_on() {
    // RFC 5321 4.5.3.1.4 / aiosmtpd #285: repeated over-long lines never desync.
    let long = format!("NOOP {}\r\n", "x".repeat(600));
    let input = format!("{long}{long}NOOP\r\n{}NOOP\r\n", "y".repeat(5000));
    let (got, _) = run(config(), input.as_bytes());
    assert_eq!(got, vec![500, 500, 250, 500]);
}

#[test]
fn bare_lf_allowed_ends_command_lines_when_opted_in() {
    let mut cfg = config();
    cfg.limits.allow_bare_lf = true;
    let (got, _) = run(cfg.clone(), b"NOOP\nNOOP\r\n");
    assert_eq!(got, vec![250, 250]);
    // Bare LF inside DATA is data then, but only CRLF.CRLF ends it.
    let (got, seen) = run(
        cfg,
        b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nx\ny\r\n.\r\n",
    );
    assert_eq!(got, vec![250, 250, 250, 354, 250]);
    assert!(seen.contains(&Seen::Data(b"x\ny\r\n".to_vec())), "{seen:?}");
}

#[test]
fn starttls_requires_new_ehlo_and_forgets_state() {
    let mut cfg = config();
    cfg.starttls = true;
    cfg.auth = vec![AuthMechanism::Plain];
    cfg.auto_accept_hello = true;
    let mut s = wirestate::smtp::Server::new(cfg);
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"EHLO c\r\n");
    events(&mut s);
    let ehlo = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(
        ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    s.handle_input(Instant::ZERO, b"STARTTLS\r\nMAIL FROM:<evil@x.y>\r\n");
    let Some(ServerEvent::StartTls { decision }) = s.poll_event() else {
        panic!()
    };
    assert!(!s.wants_tls());
    s.accept(decision).unwrap();
    assert!(!s.wants_tls(), "the switch waits until the 220 is written");
    assert!(!s.wants_input());
    let reply = drain_bytes(&mut s);
    assert!(reply.starts_with(b"220 2.0.0"), "{reply:?}");
    assert!(s.wants_tls());
    assert!(s.poll_event().is_none(), "injected MAIL was read");
    s.handle_tls_established(Instant::ZERO);
    assert!(s.is_tls() && !s.wants_tls());
    assert!(events(&mut s).is_empty(), "injected MAIL was read");
    // Decrypted input from here on: MAIL needs a fresh EHLO (RFC 3207 4.2).
    s.handle_input(Instant::ZERO, b"MAIL FROM:<a@b.c>\r\nEHLO c\r\n");
    events(&mut s);
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(out.starts_with("503 5.5.1"), "{out}");
    assert!(
        out.contains("AUTH PLAIN") && !out.contains("STARTTLS"),
        "{out}"
    );
}

#[test]
fn implicit_tls_offers_auth_and_not_starttls() {
    let mut cfg = config();
    cfg.starttls = true;
    cfg.auth = vec![AuthMechanism::Plain];
    let mut s = wirestate::smtp::Server::new(cfg);
    s.handle_tls_established(Instant::ZERO);
    assert!(s.is_tls());
    let caps = s.capabilities();
    assert!(!caps.starttls && caps.auth == vec![AuthMechanism::Plain]);
}

#[test]
fn auth_plain_and_login_decoded_and_accepted() {
    let mut cfg = config();
    cfg.auth = vec![AuthMechanism::Plain, AuthMechanism::Login];
    cfg.auth_without_tls = true;
    cfg.auto_accept_hello = true;
    for input in [
        &b"EHLO c\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"[..],
        b"EHLO c\r\nAUTH PLAIN\r\nAHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n",
        b"EHLO c\r\nAUTH LOGIN\r\ndGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\n",
        b"EHLO c\r\nAUTH LOGIN dGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\n",
    ] {
        let mut s = wirestate::smtp::Server::new(cfg.clone());
        drain_bytes(&mut s);
        s.handle_input(Instant::ZERO, input);
        let mut seen = None;
        while let Some(ev) = s.poll_event() {
            if let ServerEvent::Auth {
                credentials,
                decision,
                ..
            } = ev
            {
                // The password never shows in the event's Debug form.
                assert!(!format!("{credentials:?}").contains("tanstaaf"));
                seen = Some(credentials);
                s.accept(decision).unwrap();
            }
        }
        let c = seen.expect("Auth event");
        assert_eq!(
            (c.username.as_str(), c.password.expose()),
            ("tim", &b"tanstaaftanstaaf"[..])
        );
        let got = codes(&drain_bytes(&mut s));
        assert_eq!(got.last(), Some(&235), "{}", String::from_utf8_lossy(input));
        s.handle_input(
            Instant::ZERO,
            b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n",
        );
        events(&mut s);
        assert_eq!(
            codes(&drain_bytes(&mut s)),
            vec![503],
            "RFC 4954 4: a second AUTH"
        );
    }
}

/// Every type that holds a secret: `Debug` and `Display` never show it.
#[test]
fn secrets_never_show_in_debug_or_display() {
    let pw = "hunter2-secret";
    let creds = Credentials::new("tim", pw);
    assert!(!format!("{creds:?}").contains(pw));
    assert!(!format!("{} {:?}", creds.password, creds.password).contains(pw));
    assert!(!format!("{:?}", creds.plain_response()).contains("aHVudGVy"));
    let mut ccfg = ClientConfig::default();
    ccfg.credentials = Some(creds.clone());
    ccfg.auth_without_tls = true;
    assert!(!format!("{ccfg:?}").contains(pw));
    // A client with the AUTH PLAIN response queued, not yet written.
    let mut client = Client::new(ccfg);
    client.handle_input(Instant::ZERO, b"220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n");
    events(&mut client);
    let plain = creds.plain_response();
    let plain = std::str::from_utf8(plain.expose()).unwrap().to_string();
    assert!(!format!("{client:?}").contains(pw));
    assert!(!format!("{client:?}").contains(&plain));
    assert!(String::from_utf8(drain_bytes(&mut client))
        .unwrap()
        .contains(&plain));
    // The server's AUTH event, and the server holding a LOGIN exchange half-way.
    let mut scfg = config();
    scfg.auth = vec![AuthMechanism::Plain, AuthMechanism::Login];
    scfg.auth_without_tls = true;
    scfg.auto_accept_hello = true;
    let mut s = wirestate::smtp::Server::new(scfg);
    let b64 =
        wirestate::base64::encode(&wirestate::sasl::plain_message(b"", b"tim", pw.as_bytes()));
    s.handle_input(
        Instant::ZERO,
        format!("EHLO c\r\nAUTH PLAIN {b64}\r\n").as_bytes(),
    );
    let _ = s.poll_event();
    let ev = s.poll_event().expect("Auth event");
    assert!(matches!(ev, ServerEvent::Auth { .. }));
    assert!(!format!("{ev:?}").contains(pw));
    assert!(!format!("{s:?}").contains(pw));
    // A server with an AUTH line still in its receive buffer.
    let mut buffered = wirestate::smtp::Server::new(config());
    buffered.handle_input(Instant::ZERO, format!("AUTH PLAIN {b64}\r\n").as_bytes());
    assert!(!format!("{buffered:?}").contains(&b64));
}

#[test]
fn dsn_and_size_params_are_passed_through() {
    let mut s = wirestate::smtp::Server::new(config());
    s.handle_input(Instant::ZERO, b"EHLO c\r\nMAIL FROM:<a@b.c> SIZE=42 RET=FULL ENVID=a+2Bb\r\nRCPT TO:<x@y.z> NOTIFY=NEVER ORCPT=rfc822;x@y.z\r\n");
    let mut mail = None;
    let mut rcpt = None;
    while let Some(ev) = s.poll_event() {
        match ev {
            ServerEvent::Hello { decision, .. } => s.accept(decision).unwrap(),
            ServerEvent::Mail {
                params, decision, ..
            } => {
                mail = Some(params);
                s.accept(decision).unwrap();
            }
            ServerEvent::Rcpt {
                params, decision, ..
            } => {
                rcpt = Some(params);
                s.accept(decision).unwrap();
            }
            _ => {}
        }
    }
    let params = mail.unwrap();
    assert_eq!(params.size, Some(42));
    assert_eq!(params.ret, Some(Ret::Full));
    assert_eq!(params.envid.as_ref().unwrap().decode(), b"a+b");
    let params = rcpt.unwrap();
    assert!(params.notify.unwrap().is_never());
    assert_eq!(params.orcpt.as_ref().unwrap().0, "rfc822");
}

#[test]
fn size_overflow_aborts_streaming_then_552() {
    let mut cfg = config();
    cfg.max_message_size = Some(10);
    let (got, ev) = run(
        cfg,
        b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\n0123456789abc\r\nmore\r\n.\r\n",
    );
    assert_eq!(got.last(), Some(&552));
    assert!(ev.contains(&Seen::Event("Aborted(TooLarge)".into())));
    assert!(!ev.iter().any(|e| e.is("End {")));
}

#[test]
fn enhanced_codes_follow_configuration() {
    let mut s = wirestate::smtp::Server::new(config());
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"FROB\r\n");
    events(&mut s);
    assert_eq!(drain_bytes(&mut s), b"500 5.5.2 Command unrecognized\r\n");
    let mut cfg = config();
    cfg.enhanced_status_codes = false;
    cfg.auto_accept_hello = true;
    let mut s = wirestate::smtp::Server::new(cfg);
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"EHLO c\r\nFROB\r\n");
    events(&mut s);
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(!out.contains("ENHANCEDSTATUSCODES"));
    assert!(out.ends_with("500 Command unrecognized\r\n"), "{out}");
}

#[test]
fn command_timeout_sends_421_and_closes() {
    let mut s = wirestate::smtp::Server::new(config());
    drain_bytes(&mut s);
    // Not told the time yet: due at once, and the first call starts the clock.
    assert_eq!(s.poll_timeout(), Some(Instant::ZERO));
    s.handle_timeout(Instant::ZERO);
    // RFC 5321 4.5.3.2.7: at least 5 minutes.
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(300_000)));
    s.handle_timeout(Instant::from_millis(299_999));
    assert!(!s.is_closed());
    s.handle_input(Instant::from_millis(200_000), b"NOOP\r\n"); // earlier than seen: no time passes
    events(&mut s);
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(599_999)));
    s.handle_timeout(Instant::from_millis(599_999));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::Timeout)]
    );
    let out = drain_bytes(&mut s);
    assert!(out.ends_with(b"421 4.4.2 mx.example Error: timeout exceeded\r\n"));
    assert!(s.is_closed());
}

#[test]
fn no_timer_runs_while_the_caller_decides() {
    let mut s = wirestate::smtp::Server::new(config());
    s.handle_input(Instant::ZERO, b"HELO c\r\n");
    let Some(ServerEvent::Hello { decision, .. }) = s.poll_event() else {
        panic!()
    };
    assert_eq!(s.poll_timeout(), None);
    s.handle_input(Instant::ZERO, b"NOOP\r\n");
    assert!(!s.wants_input(), "input buffered behind an open decision");
    s.accept(decision).unwrap();
    assert!(s.wants_input());
    assert!(s.poll_timeout().is_some());
}

#[test]
fn disconnect_mid_data_aborts() {
    let mut cfg = config();
    cfg.auto_accept_hello = true;
    cfg.auto_accept_envelope = true;
    let mut s = wirestate::smtp::Server::new(cfg);
    s.handle_input(
        Instant::ZERO,
        b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\npartial",
    );
    s.handle_eof(Instant::ZERO);
    let ev = events(&mut s);
    assert!(
        ev.contains(&ServerEvent::Aborted(AbortReason::PeerClosed)),
        "{ev:?}"
    );
    // "partial" was handed out as data; a line still open at EOF is 0 undecoded bytes.
    assert_eq!(
        ev.last(),
        Some(&ServerEvent::Closed(CloseReason::PeerClosed {
            unterminated: 0
        }))
    );
}

#[test]
fn local_misuse_returns_err_and_queues_nothing() {
    let mut s = wirestate::smtp::Server::new(config());
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"HELO c\r\n");
    let Some(ServerEvent::Hello { decision, .. }) = s.poll_event() else {
        panic!()
    };
    // A stale or foreign decision (another id: ids are a per-machine sequence, so
    // machines stay deterministic) is refused and changes nothing.
    let mut other = wirestate::smtp::Server::new(config());
    other.handle_input(Instant::ZERO, b"HELO c\r\nHELO d\r\n");
    let Some(ServerEvent::Hello {
        decision: first, ..
    }) = other.poll_event()
    else {
        panic!()
    };
    other.accept(first).unwrap();
    let Some(ServerEvent::Hello {
        decision: foreign, ..
    }) = other.poll_event()
    else {
        panic!()
    };
    assert_ne!(foreign.id(), decision.id());
    assert!(matches!(s.accept(foreign), Err(SendError::OutOfTurn(_))));
    assert!(s.poll_transmit().is_none());
    assert!(
        s.poll_event().is_none(),
        "nothing is answered behind the caller's back"
    );
    s.accept(decision).unwrap();
    assert_eq!(drain_bytes(&mut s), b"250 mx.example\r\n");
}

#[test]
fn an_invalid_answer_asks_the_question_again() {
    let mut s = wirestate::smtp::Server::new(config());
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"HELO c\r\n");
    let Some(ServerEvent::Hello { decision, .. }) = s.poll_event() else {
        panic!()
    };
    let err = s.reject(decision, Reply::new(250, "ok").unwrap());
    assert!(
        matches!(err, Err(SendError::Invalid(e)) if e.rule.starts_with("RFC 5321 4.2")),
        "{err:?}"
    );
    assert!(s.poll_transmit().is_none(), "nothing queued");
    // The same question, with a new token.
    let Some(ServerEvent::Hello { host, decision, .. }) = s.poll_event() else {
        panic!()
    };
    assert_eq!(host.as_str(), "c");
    assert_eq!(decision.id(), 1);
    let err = s.accept_with(decision, Reply::new(550, "no").unwrap());
    assert!(matches!(err, Err(SendError::Invalid(_))));
    let Some(ServerEvent::Hello { decision, .. }) = s.poll_event() else {
        panic!()
    };
    s.accept(decision).unwrap();
    assert_eq!(drain_bytes(&mut s), b"250 mx.example\r\n");
    // DATA takes a 3yz, BDAT no reply at all before its chunk.
    let mut cfg = config();
    cfg.auto_accept_hello = true;
    cfg.auto_accept_envelope = false;
    let mut s = wirestate::smtp::Server::new(cfg);
    s.handle_input(Instant::ZERO, b"HELO c\r\nMAIL FROM:<a@b.c>\r\n");
    let _ = s.poll_event();
    let Some(ServerEvent::Mail { decision, .. }) = s.poll_event() else {
        panic!()
    };
    s.accept(decision).unwrap();
    s.handle_input(Instant::ZERO, b"RCPT TO:<x@y.z>\r\nDATA\r\n");
    let Some(ServerEvent::Rcpt { decision, .. }) = s.poll_event() else {
        panic!()
    };
    s.accept(decision).unwrap();
    let Some(ServerEvent::DataStart { decision, .. }) = s.poll_event() else {
        panic!()
    };
    assert!(s
        .accept_with(decision, Reply::new(250, "ok").unwrap())
        .is_err());
    let Some(ServerEvent::DataStart { decision, .. }) = s.poll_event() else {
        panic!()
    };
    s.accept_with(decision, Reply::new(354, "go on").unwrap())
        .unwrap();
    assert!(drain_bytes(&mut s).ends_with(b"354 go on\r\n"));
}

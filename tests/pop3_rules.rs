//! POP3 rules that take more than one row to show: UPDATE only after QUIT, decisions
//! that block decoding, TOP's own cut, [IN-USE], the autologout, the STLS handoff on both
//! sides, framing limits at their exact edges, and local misuse. The one-row rules are
//! in `pop3_conformance.rs`.

mod common;
mod pop3_common;

use bytes::Bytes;
use common::{drain_bytes, Pair};
use pop3_common::*;
use std::time::Duration;
use wirestate::pop3::*;
use wirestate::{CloseReason, Instant, Machine};

fn server() -> Server {
    Server::new(s10_config())
}

fn client() -> Client {
    Client::new(ClientConfig::default())
}

fn one() -> MessageNumber {
    MessageNumber::new(1).unwrap()
}

#[test]
fn conformance_update_only_after_quit_in_transaction() {
    // RFC 1939 section 6: DELE marks; removal only when QUIT is given in TRANSACTION.
    let (_, store) = after_login(b"DELE 1\r\nQUIT\r\n");
    assert_eq!(store.removed, Some(vec![one()]));
    // A session that ends any other way removes nothing: EOF after DELE.
    let mut store = tx_store();
    let mut s = server();
    s.handle_input(Instant::ZERO, b"USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\n");
    while let Some(e) = s.poll_event() {
        store.handle(&mut s, e);
    }
    s.handle_eof(Instant::ZERO);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::PeerClosed {
            unterminated: 0
        }))
    );
    assert_eq!(s.poll_event(), None);
    assert!(s.is_closed());
    assert_eq!(store.removed, None, "no UPDATE without QUIT");
    // RFC 1939 section 6: a failed removal is "-ERR some deleted messages not removed".
    let mut s = server();
    drain_bytes(&mut s);
    s.handle_input(
        Instant::ZERO,
        b"USER mrose\r\nPASS tanstaaf\r\nDELE 2\r\nQUIT\r\n",
    );
    let mut deleted = None;
    let mut last = None;
    while let Some(e) = s.poll_event() {
        match e {
            ServerEvent::Update {
                deleted: d,
                decision,
            } => {
                deleted = Some(d);
                s.finish_update(decision, false).unwrap();
            }
            ServerEvent::Closed(r) => last = Some(r),
            e => tx_store().handle(&mut s, e),
        }
    }
    assert_eq!(deleted, Some(vec![MessageNumber::new(2).unwrap()]));
    assert_eq!(last, Some(CloseReason::Done));
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(
        out.ends_with("+OK message 2 deleted\r\n-ERR some deleted messages not removed\r\n"),
        "{out}"
    );
    assert!(s.is_closed());
}

#[test]
fn decisions_block_decoding_and_nothing_is_answered_behind_the_callers_back() {
    let mut s = server();
    drain_bytes(&mut s);
    s.handle_input(
        Instant::ZERO,
        b"USER mrose\r\nPASS tanstaaf\r\nSTAT\r\nNOOP\r\n",
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::User))
    );
    let Some(ServerEvent::Login { decision, .. }) = s.poll_event() else {
        panic!("login decision")
    };
    drain_bytes(&mut s);
    for _ in 0..3 {
        assert_eq!(s.poll_event(), None, "STAT waits for the login decision");
    }
    assert!(drain_bytes(&mut s).is_empty(), "nothing answered by itself");
    assert!(!s.wants_input(), "input is buffered behind the decision");
    assert_eq!(
        s.poll_timeout(),
        None,
        "no autologout while the caller decides"
    );
    let stale_id = decision.id();
    s.accept_login(decision, tx_store().listing()).unwrap();
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::Stat))
    );
    // RETR: refusing, and a decision that no longer exists.
    s.handle_input(Instant::ZERO, b"RETR 1\r\nRETR 2\r\n");
    let _ = s.poll_event(); // NOOP
    let Some(ServerEvent::Retrieve { msg, decision }) = s.poll_event() else {
        panic!("retrieve decision")
    };
    assert_eq!(msg, one());
    assert_ne!(decision.id(), stale_id);
    s.message_unavailable(
        decision,
        Some(ResponseCode::SysTemp),
        Text::new("gone").unwrap(),
    )
    .unwrap();
    let Some(ServerEvent::Retrieve { decision, .. }) = s.poll_event() else {
        panic!("retrieve decision")
    };
    // While a message streams, nothing else is decoded.
    s.start_message(decision).unwrap();
    assert!(s.wants_body());
    s.handle_input(Instant::ZERO, b"NOOP\r\n");
    assert_eq!(s.poll_event(), None);
    s.send_data(Bytes::from_static(M2)).unwrap();
    s.send_end().unwrap();
    assert!(!s.wants_body());
    assert!(matches!(s.send_end(), Err(SendError::OutOfTurn(_))));
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::Noop))
    );
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(
        out.contains("-ERR [SYS/TEMP] gone\r\n+OK 27 octets\r\nSubject: two\r\n"),
        "{out}"
    );
}

#[test]
fn rfc1939_s7_top_cuts_by_itself_and_then_stops_wanting_body() {
    let mut s = server();
    s.handle_input(Instant::ZERO, b"USER mrose\r\nPASS tanstaaf\r\nTOP 1 1\r\n");
    let _ = s.poll_event();
    let Some(ServerEvent::Login { decision, .. }) = s.poll_event() else {
        panic!()
    };
    s.accept_login(decision, tx_store().listing()).unwrap();
    let Some(ServerEvent::Top {
        lines: 1, decision, ..
    }) = s.poll_event()
    else {
        panic!()
    };
    drain_bytes(&mut s);
    s.start_message(decision).unwrap();
    s.send_data(Bytes::from_static(
        b"Subject: one\r\n\r\nline 1\r\nline 2\r\n",
    ))
    .unwrap();
    assert!(!s.wants_body(), "the cut is reached: no more body wanted");
    assert!(matches!(
        s.send_data(Bytes::from_static(b"more")),
        Err(SendError::OutOfTurn(_))
    ));
    assert_eq!(
        drain_bytes(&mut s),
        b"+OK\r\nSubject: one\r\n\r\nline 1\r\n.\r\n"
    );
}

#[test]
fn rfc2449_in_use_when_the_maildrop_is_locked_and_the_client_keeps_the_code() {
    let mut store = tx_store();
    store.locked = true;
    let mut pair = Pair::new(client(), server());
    pair.client.user("mrose").unwrap();
    pair.client.pass("tanstaaf").unwrap();
    let mut seen = Vec::new();
    pair.run(|_, e| seen.push(e), |s, e| store.handle(s, e));
    let err = seen.iter().find_map(|e| match e {
        ClientEvent::Err {
            command: CommandKind::Pass,
            response,
        } => Some(response.clone()),
        _ => None,
    });
    let err = err.expect("PASS refused");
    assert_eq!(err.code, Some(ResponseCode::InUse));
    assert_eq!(&err.text[..], b"maildrop already locked");
    assert!(String::from_utf8_lossy(&pair.server_wire)
        .contains("-ERR [IN-USE] maildrop already locked\r\n"));
    assert!(
        !pair.server.is_transaction(),
        "RFC 1939 s4: no TRANSACTION without the lock"
    );
}

#[test]
fn rfc1939_s3_autologout_is_a_deadline_of_at_least_ten_minutes_and_removes_nothing() {
    let mut store = tx_store();
    let mut s = server();
    drain_bytes(&mut s);
    s.handle_input(
        Instant::from_millis(1_000),
        b"USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\n",
    );
    while let Some(e) = s.poll_event() {
        store.handle(&mut s, e);
    }
    drain_bytes(&mut s);
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(deadline, Instant::from_millis(1_000 + 600_000));
    s.handle_timeout(Instant::from_millis(600_999)); // early: nothing happens
    assert!(!s.is_closed());
    s.handle_timeout(deadline);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::Timeout))
    );
    assert!(s.is_closed());
    assert!(drain_bytes(&mut s).is_empty(), "no response on autologout");
    assert_eq!(store.removed, None);
    // RFC 1939 section 3: "at least 10 minutes": a shorter timer cannot even be built.
    assert!(matches!(
        Autologout::new(Duration::from_secs(599)),
        Err(SendError::Invalid(e)) if e.rule.starts_with("RFC 1939 section 3")
    ));
    let mut long = s10_config();
    long.timeouts.idle = Some(Autologout::new(Duration::from_secs(3600)).unwrap());
    let mut s = Server::new(long);
    s.handle_timeout(Instant::ZERO);
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(3_600_000)));
    let mut never = s10_config();
    never.timeouts.idle = None;
    assert_eq!(Server::new(never).poll_timeout(), None);
}

#[test]
fn rfc2595_stls_discards_pipelined_input_on_both_sides() {
    let mut config = s10_config();
    config.stls = true;
    let mut s = Server::new(config.clone());
    drain_bytes(&mut s);
    // An attacker appends a command to STLS in the same packet (CVE-2011-0411 pattern).
    s.handle_input(Instant::ZERO, b"STLS\r\nUSER injected\r\n");
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::Stls))
    );
    assert!(!s.wants_tls(), "not before the +OK is written");
    assert!(!s.wants_input());
    assert_eq!(drain_bytes(&mut s), b"+OK Begin TLS negotiation\r\n");
    assert!(s.wants_tls());
    // More plaintext before the handshake is dropped too.
    s.handle_input(Instant::ZERO, b"PASS also-injected\r\n");
    assert_eq!(s.poll_event(), None);
    s.handle_tls_established(Instant::ZERO);
    assert!(!s.wants_tls() && s.is_secure());
    assert_eq!(
        s.poll_event(),
        None,
        "the injected USER and PASS were dropped"
    );
    s.handle_input(Instant::ZERO, b"STLS\r\nCAPA\r\n");
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::Stls))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::Capa))
    );
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(out.starts_with("-ERR STLS not available\r\n"), "{out}");
    assert!(
        !out.contains("\r\nSTLS\r\n"),
        "STLS no longer listed after TLS: {out}"
    );
    // Implicit TLS (RFC 8314): established before the first byte, STLS never offered.
    let mut implicit = Server::new(config);
    implicit.handle_tls_established(Instant::ZERO);
    implicit.handle_input(Instant::ZERO, b"CAPA\r\n");
    let _ = implicit.poll_event();
    assert!(!String::from_utf8(drain_bytes(&mut implicit))
        .unwrap()
        .contains("STLS"));

    let mut c = client();
    c.handle_input(Instant::ZERO, b"+OK hi\r\n");
    let _ = c.poll_event();
    c.stls().unwrap();
    c.noop().unwrap();
    assert_eq!(drain_bytes(&mut c), b"STLS\r\n", "NOOP waits behind STLS");
    c.handle_input(Instant::ZERO, b"+OK Begin TLS\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Ok {
            command: CommandKind::Stls,
            ..
        })
    ));
    assert!(c.wants_tls() && !c.wants_input());
    assert!(
        drain_bytes(&mut c).is_empty(),
        "NOOP waits for the handshake"
    );
    c.handle_tls_established(Instant::ZERO);
    assert_eq!(drain_bytes(&mut c), b"NOOP\r\n");
    assert!(matches!(c.stls(), Err(SendError::OutOfTurn(_))));
    // A server's plaintext behind its +OK is an injection, however it is split.
    for split in [false, true] {
        let mut c = client();
        c.handle_input(Instant::ZERO, b"+OK hi\r\n");
        let _ = c.poll_event();
        c.stls().unwrap();
        let wire: &[u8] = b"+OK Begin TLS\r\n+OK injected\r\n";
        if split {
            c.handle_input(Instant::ZERO, &wire[..15]);
            c.handle_input(Instant::ZERO, &wire[15..]);
        } else {
            c.handle_input(Instant::ZERO, wire);
        }
        let evs = common::events(&mut c);
        assert!(matches!(
            evs[0],
            ClientEvent::Ok {
                command: CommandKind::Stls,
                ..
            }
        ));
        assert_eq!(
            evs[1..],
            [
                ClientEvent::Error(Error {
                    kind: ErrorKind::TlsInjection,
                    offset: 23
                }),
                ClientEvent::Closed(CloseReason::Error)
            ],
            "split {split}"
        );
        assert!(c.is_closed() && !c.wants_tls());
    }
}

#[test]
fn framing_errors_are_final_with_offset_and_err_reply() {
    // RFC 2449 section 4: command lines up to 255 octets, CRLF included.
    let mut s = server();
    drain_bytes(&mut s);
    let mut line = vec![b'N'; 254];
    line.extend_from_slice(b"\r\n");
    s.handle_input(Instant::ZERO, b"NOOP\r\n");
    s.handle_input(Instant::ZERO, &line);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::Noop))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Error(Error {
            kind: ErrorKind::LineTooLong,
            offset: 6
        }))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::Error))
    );
    let out = drain_bytes(&mut s);
    assert!(out.ends_with(b"-ERR line too long\r\n"));
    assert!(s.is_closed());
    // Exactly 255 is fine.
    let mut s = server();
    let mut ok = b"USER ".to_vec();
    ok.extend(vec![b'u'; 248]);
    ok.extend_from_slice(b"\r\n");
    assert_eq!(ok.len(), 255);
    s.handle_input(Instant::ZERO, &ok);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::User))
    );
    // Client: a 515-octet status line; exactly 512 is fine.
    let mut c = client();
    let mut long = b"+OK ".to_vec();
    long.extend(vec![b'x'; 509]);
    long.extend_from_slice(b"\r\n");
    c.handle_input(Instant::ZERO, &long);
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Error(Error {
            kind: ErrorKind::LineTooLong,
            offset: 0
        }))
    );
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Closed(CloseReason::Error))
    );
    assert!(c.is_closed());
    let mut c = client();
    long.drain(4..7);
    assert_eq!(long.len(), 512);
    c.handle_input(Instant::ZERO, &long);
    assert!(matches!(c.poll_event(), Some(ClientEvent::Greeting { .. })));
}

#[test]
fn client_errors_keep_the_servers_text_and_code() {
    let mut c = client();
    c.handle_input(Instant::ZERO, b"+OK\r\n");
    let _ = c.poll_event();
    c.user("x").unwrap();
    c.handle_input(Instant::ZERO, b"-ERR [SYS/TEMP] Disk full, try later\r\n");
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Err {
            command: CommandKind::User,
            response: Response {
                status: Status::Err,
                code: Some(ResponseCode::SysTemp),
                text: Bytes::from_static(b"Disk full, try later"),
            }
        })
    );
    // A line nothing asked for is a protocol error.
    c.handle_input(Instant::ZERO, b"+OK surprise\r\n");
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Error(Error {
            kind: ErrorKind::Unsolicited,
            offset: 43
        }))
    );
}

#[test]
fn client_auth_plain_falls_back_to_a_challenge_when_too_long() {
    let long = "p".repeat(200);
    let mut store = tx_store();
    let mut pair = Pair::new(client(), server());
    pair.client.auth_plain("", "mrose", long.as_str()).unwrap();
    let mut seen = Vec::new();
    pair.run(|_, e| seen.push(e), |s, e| store.handle(s, e));
    assert!(
        pair.client_wire.starts_with(b"AUTH PLAIN\r\n"),
        "{:?}",
        String::from_utf8_lossy(&pair.client_wire)
    );
    assert!(String::from_utf8_lossy(&pair.server_wire).contains("+ \r\n-ERR [AUTH]"));
}

#[test]
fn client_challenge_is_a_decision_asked_again_after_a_refused_answer() {
    let mut cfg = ClientConfig::default();
    cfg.limits.max_auth_line = 16;
    let mut c = Client::new(cfg);
    c.handle_input(Instant::ZERO, b"+OK\r\n");
    let _ = c.poll_event();
    c.send(Command::Auth {
        mechanism: Arg::new("X").unwrap(),
        initial_response: None,
    })
    .unwrap();
    drain_bytes(&mut c);
    c.handle_input(Instant::ZERO, b"+ aGk=\r\n");
    let Some(ClientEvent::Challenge { data, decision }) = c.poll_event() else {
        panic!()
    };
    assert_eq!(&data[..], b"hi");
    assert_eq!(c.poll_event(), None, "waits for the answer");
    assert_eq!(
        c.poll_timeout(),
        None,
        "the server waits for us: no reply timer"
    );
    // RFC 5034 section 4: a line over the limit is refused and nothing is sent...
    assert!(matches!(
        c.auth_response(decision, "a response far too long"),
        Err(SendError::Invalid(_))
    ));
    assert!(drain_bytes(&mut c).is_empty());
    // ...and the challenge is asked again, so the exchange can still be finished.
    let Some(ClientEvent::Challenge { data, decision }) = c.poll_event() else {
        panic!("asked again")
    };
    assert_eq!(&data[..], b"hi");
    c.auth_cancel(decision).unwrap();
    assert_eq!(drain_bytes(&mut c), b"*\r\n");
}

#[test]
fn local_misuse_is_an_error_and_queues_nothing() {
    let mut s = server();
    drain_bytes(&mut s);
    assert!(matches!(
        s.send_data(Bytes::from_static(b"x")),
        Err(SendError::OutOfTurn(_))
    ));
    assert!(matches!(s.send_end(), Err(SendError::OutOfTurn(_))));
    s.handle_input(Instant::ZERO, b"USER mrose\r\nPASS x\r\n");
    let _ = s.poll_event();
    let Some(ServerEvent::Login { decision, .. }) = s.poll_event() else {
        panic!()
    };
    drain_bytes(&mut s);
    // Text that could end the line or forge a response cannot be built at all.
    assert!(matches!(
        Text::new("bad\r\nDELE 1"),
        Err(SendError::Invalid(e)) if e.offset == 3
    ));
    // RFC 2449 section 4: a status line is at most 512 octets, CRLF included; text is
    // capped well below it, so every answer fits.
    assert!(Text::new(&"x".repeat(256)).is_err());
    s.reject_login(
        decision,
        Some(ResponseCode::Auth),
        Text::new(&"x".repeat(255)).unwrap(),
    )
    .unwrap();
    let line = drain_bytes(&mut s);
    assert_eq!(line.len(), "-ERR [AUTH] ".len() + 255 + 2);
    assert!(line.len() <= 512);
    // A smaller max_response_line cuts the text, never the CRLF.
    let mut cfg = s10_config();
    cfg.limits.max_response_line = 40;
    let mut small = Server::new(cfg);
    let greeting = drain_bytes(&mut small);
    assert!(
        greeting.len() <= 40 && greeting.ends_with(b"\r\n"),
        "{greeting:?}"
    );
    // A stale decision (answered already) is OutOfTurn, and queues nothing.
    s.handle_input(Instant::ZERO, b"USER mrose\r\nPASS y\r\n");
    let _ = s.poll_event();
    let Some(ServerEvent::Login { decision, .. }) = s.poll_event() else {
        panic!()
    };
    // One from another machine, with the id this machine's first login had.
    let mut other = server();
    other.handle_input(Instant::ZERO, b"USER mrose\r\nPASS x\r\n");
    let _ = other.poll_event();
    let Some(ServerEvent::Login {
        decision: foreign, ..
    }) = other.poll_event()
    else {
        panic!()
    };
    assert_ne!(foreign.id(), decision.id());
    drain_bytes(&mut s);
    assert!(matches!(
        s.accept_login(foreign, vec![]),
        Err(SendError::OutOfTurn(_))
    ));
    assert!(s.poll_transmit().is_none());
    s.reject_login(decision, None, Text::new("no").unwrap())
        .unwrap();
    let mut c = client();
    assert!(matches!(
        c.user(&"u".repeat(250)),
        Err(SendError::Invalid(e)) if e.rule.starts_with("RFC 2449 section 4")
    ));
    assert_eq!(c.outstanding(), 0);
    assert!(matches!(c.pass("x\r\nDELE 1"), Err(SendError::Invalid(_))));
    assert!(matches!(
        c.send(Command::Pass("".into())),
        Err(SendError::Invalid(_))
    ));
    assert_eq!(c.outstanding(), 0);
    assert!(matches!(
        Uid::new(&"u".repeat(71)),
        Err(SendError::Invalid(e)) if e.rule.starts_with("RFC 1939 section 7")
    ));
}

#[test]
fn rfc2595_no_password_is_taken_or_advertised_before_tls_when_configured() {
    // RFC 2595 section 2.2: a server SHOULD have a configuration that permits no
    // plaintext password mechanism before STLS has been negotiated.
    let mut config = s10_config();
    config.stls = true;
    config.login_requires_tls = true;
    let mut s = Server::new(config);
    let _ = drain_bytes(&mut s);
    s.handle_input(
        Instant::ZERO,
        b"CAPA\r\nUSER mrose\r\nAUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\n",
    );
    while s.poll_event().is_some() {}
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    let capa: Vec<&str> = out.lines().take_while(|l| *l != ".").collect();
    assert!(capa.contains(&"STLS"), "{out}");
    assert!(
        !capa.contains(&"USER") && !capa.contains(&"SASL PLAIN"),
        "{out}"
    );
    let refusals = out
        .lines()
        .filter(|l| l.starts_with("-ERR [AUTH] plaintext authentication disallowed"))
        .count();
    assert_eq!(
        refusals, 2,
        "USER and AUTH PLAIN are both refused at once: {out}"
    );
    assert!(!out.contains("send PASS"), "{out}");
    // After the switch the same commands are offered and taken.
    s.handle_input(Instant::ZERO, b"STLS\r\n");
    while s.poll_event().is_some() {}
    assert!(drain_bytes(&mut s).starts_with(b"+OK"));
    assert!(s.wants_tls());
    s.handle_tls_established(Instant::ZERO);
    s.handle_input(Instant::ZERO, b"CAPA\r\nUSER mrose\r\n");
    while s.poll_event().is_some() {}
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(
        out.lines().any(|l| l == "USER") && out.lines().any(|l| l == "SASL PLAIN"),
        "{out}"
    );
    assert!(!out.lines().any(|l| l == "STLS"), "{out}");
    assert!(out.ends_with("+OK send PASS\r\n"), "{out}");
}

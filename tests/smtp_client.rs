//! The client machine: fallbacks, local refusals, the server's words kept, RSET after a
//! failure, RFC 5321 4.5.3.2 timeouts, STARTTLS through `wants_tls`, AUTH and LMTP
//! against the server, and timers on a virtual clock.

mod common;
mod smtp_common;

use bytes::Bytes;
use common::{drain_bytes, events, Pair};
use smtp_common::*;
use std::time::Duration;
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

fn config() -> ServerConfig {
    named("mx.example")
}

fn run(cfg: ServerConfig, input: &[u8]) -> (Vec<u16>, Vec<Seen>) {
    let (seen, out) = feed_answered(cfg, input, &[]);
    (codes(&out), seen)
}

fn client_after(replies: &[u8]) -> Client {
    let mut c = Client::new(ClientConfig::with_hello(
        Host::parse("c.example", false).unwrap(),
    ));
    c.handle_input(Instant::ZERO, replies);
    events(&mut c);
    drain_bytes(&mut c);
    c
}

#[test]
fn client_falls_back_to_helo() {
    // RFC 5321 3.2: a server that rejects EHLO gets HELO.
    let mut c = Client::new(ClientConfig::with_hello(
        Host::parse("c.example", false).unwrap(),
    ));
    c.handle_input(Instant::ZERO, b"220 old\r\n502 what?\r\n250 old\r\n");
    let ev = events(&mut c);
    assert_eq!(ev.last(), Some(&ClientEvent::Ready));
    assert_eq!(drain_bytes(&mut c), b"EHLO c.example\r\nHELO c.example\r\n");
}

#[test]
fn client_refuses_locally_what_the_server_lacks() {
    let mut c = client_after(b"220 mx\r\n250-mx\r\n250 SIZE 100\r\n");
    let mut e = env("<a@b.c>", &["<x@y.z>"]);
    e.params.body = Some(Body::EightBitMime);
    assert_eq!(c.send_mail(e), Err(SendError::Unsupported("8BITMIME")));
    let e = Envelope::new(
        ReversePath::parse_prefix("<jö@b.c>", true).unwrap().0,
        vec![ForwardPath::parse("<x@y.z>").unwrap()],
    );
    assert_eq!(c.send_mail(e), Err(SendError::Unsupported("SMTPUTF8")));
    let mut e = env("<a@b.c>", &["<x@y.z>"]);
    e.params.size = Some(101);
    assert!(
        matches!(c.send_mail(e), Err(SendError::Invalid(e)) if e.rule.contains("RFC 1870")),
        "RFC 1870: declared size over the server's limit"
    );
    assert!(
        c.poll_transmit().is_none(),
        "nothing may be sent for a refused envelope"
    );
    assert!(c.is_ready());
}

#[test]
fn client_keeps_server_words_and_survives_partial_refusal() {
    let mut c = client_after(b"220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
    c.send_mail(env("<a@b.c>", &["<x@y.z>", "<nobody@y.z>"]))
        .unwrap();
    drain_bytes(&mut c);
    assert!(!c.wants_body(), "no body before the 354");
    c.handle_input(
        Instant::ZERO,
        b"250 ok\r\n250 ok\r\n550 5.1.1 <nobody@y.z>: Recipient address rejected\r\n354 go\r\n",
    );
    let ev = events(&mut c);
    let refused = ev.iter().find_map(|e| match e {
        ClientEvent::Recipient { index: 1, reply } => Some(reply.clone()),
        _ => None,
    });
    let r = refused.expect("per-recipient result");
    assert_eq!(
        r.lines()[0],
        "5.1.1 <nobody@y.z>: Recipient address rejected"
    );
    assert_eq!(r.enhanced_code(), EnhancedCode::new(5, 1, 1));
    assert!(c.wants_body());
    c.send_last(Bytes::from_static(b"hi\n")).unwrap();
    assert!(!c.wants_body());
    assert_eq!(drain_bytes(&mut c), b"hi\r\n.\r\n");
    c.handle_input(Instant::ZERO, b"250 queued as X\r\n");
    let ev = events(&mut c);
    assert!(ev
        .iter()
        .any(|e| matches!(e, ClientEvent::Sent { accepted, .. } if accepted == &vec![0])));
    assert_eq!(ev.last(), Some(&ClientEvent::Ready));
}

#[test]
fn client_errors_keep_the_servers_reply() {
    let mut c = Client::new(ClientConfig::default());
    c.handle_input(Instant::ZERO, b"220 mx\r\n250 mx\r\n");
    events(&mut c);
    c.handle_input(
        Instant::ZERO,
        b"421-4.3.2 going down\r\n421 4.3.2 try again later\r\n",
    );
    let ev = events(&mut c);
    let Some(ClientEvent::Error(e)) = ev.first() else {
        panic!("{ev:?}")
    };
    assert_eq!(e.kind, ErrorKind::ServiceClosing);
    assert_eq!(
        e.offset, 16,
        "the 421 starts after '220 mx\\r\\n250 mx\\r\\n'"
    );
    let r = e.reply().unwrap();
    assert_eq!(r.code().get(), 421);
    assert_eq!(r.lines(), ["4.3.2 going down", "4.3.2 try again later"]);
    assert_eq!(ev.last(), Some(&ClientEvent::Closed(CloseReason::Error)));
}

#[test]
fn client_rsets_after_failure_and_sends_again() {
    let mut c = client_after(b"220 mx\r\n250 mx\r\n");
    c.send_mail(env("<a@b.c>", &["<x@y.z>"])).unwrap();
    assert_eq!(drain_bytes(&mut c), b"MAIL FROM:<a@b.c>\r\n");
    c.handle_input(Instant::ZERO, b"451 4.3.0 try later\r\n");
    let ev = events(&mut c);
    assert!(ev
        .iter()
        .any(|e| matches!(e, ClientEvent::Failed(r) if r.message() == "try later")));
    assert_eq!(drain_bytes(&mut c), b"RSET\r\n");
    c.handle_input(Instant::ZERO, b"250 ok\r\n");
    assert_eq!(events(&mut c), vec![ClientEvent::Ready]);
    c.send_mail(env("<a@b.c>", &["<x@y.z>"])).unwrap();
    assert_eq!(drain_bytes(&mut c), b"MAIL FROM:<a@b.c>\r\n");
}

#[test]
fn client_timeouts_follow_rfc5321_4_5_3_2() {
    let mut c = Client::new(ClientConfig::default());
    assert_eq!(
        c.poll_timeout(),
        Some(Instant::from_millis(300_000)),
        "4.5.3.2.1 greeting: 5 min"
    );
    c.handle_input(Instant::ZERO, b"220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
    events(&mut c);
    c.send_mail(env("<a@b.c>", &["<x@y.z>"])).unwrap();
    c.handle_input(Instant::from_millis(1000), b"250 ok\r\n250 ok\r\n");
    events(&mut c);
    assert_eq!(
        c.poll_timeout(),
        Some(Instant::from_millis(121_000)),
        "4.5.3.2.4 DATA initiation: 2 min"
    );
    c.handle_timeout(Instant::from_millis(120_999));
    assert!(!c.is_closed());
    c.handle_timeout(Instant::from_millis(121_000));
    assert_eq!(
        events(&mut c),
        vec![ClientEvent::Closed(CloseReason::Timeout)]
    );
    assert!(c.is_closed());
    // And `None` waits forever.
    let mut cfg = ClientConfig::default();
    cfg.timeouts.greeting = None;
    assert_eq!(Client::new(cfg).poll_timeout(), None);
}

#[test]
fn client_starttls_switches_through_wants_tls() {
    let mut cfg = ClientConfig::with_hello(Host::parse("c", false).unwrap());
    cfg.starttls = true;
    let mut c = Client::new(cfg);
    c.handle_input(
        Instant::ZERO,
        b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n",
    );
    assert_eq!(
        events(&mut c),
        vec![ClientEvent::Greeting(Reply::new(220, "mx").unwrap())]
    );
    assert_eq!(drain_bytes(&mut c), b"EHLO c\r\nSTARTTLS\r\n");
    assert!(c.wants_tls() && !c.wants_input());
    c.handle_tls_established(Instant::ZERO);
    assert!(c.is_tls() && !c.wants_tls());
    assert_eq!(drain_bytes(&mut c), b"EHLO c\r\n");
    c.handle_input(Instant::ZERO, b"250 mx\r\n");
    assert_eq!(events(&mut c), vec![ClientEvent::Ready]);
}

#[test]
fn client_starttls_refuses_injected_replies() {
    let mut cfg = ClientConfig::default();
    cfg.starttls = true;
    // Pipelined behind the 220 in the same read, and arriving later before the switch.
    for (first, later) in [
        (
            &b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n250 injected\r\n"[..],
            &b""[..],
        ),
        (
            b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n",
            b"250 injected\r\n",
        ),
    ] {
        let mut c = Client::new(cfg.clone());
        c.handle_input(Instant::ZERO, first);
        let mut ev = events(&mut c);
        c.handle_input(Instant::ZERO, later);
        ev.extend(events(&mut c));
        ev.retain(|e| !matches!(e, ClientEvent::Greeting(_)));
        assert!(
            matches!(ev.first(), Some(ClientEvent::Error(e)) if e.kind == ErrorKind::TlsInjection),
            "{ev:?}"
        );
        assert!(c.is_closed() && !c.wants_tls());
    }
}

/// RFC 3207 4: after a `454` "the client must decide whether or not to continue".
/// Without `continue_without_tls` the session ends (QUIT, `StartTlsRefused`); with it
/// the refusal is an event, the transaction goes on in plaintext, STARTTLS is not asked
/// again, and configured credentials are still held back without `auth_without_tls`.
#[test]
fn client_refused_starttls_ends_or_continues_as_configured() {
    // A client that was offered STARTTLS, asked for it, and got a 454: its events.
    let refused = |cfg: &ClientConfig| {
        let mut c = Client::new(cfg.clone());
        c.handle_input(
            Instant::ZERO,
            b"220 mx\r\n250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n",
        );
        events(&mut c);
        assert_eq!(drain_bytes(&mut c), b"EHLO c\r\nSTARTTLS\r\n");
        c.handle_input(
            Instant::ZERO,
            b"454 4.7.0 TLS not available due to temporary reason\r\n",
        );
        let ev = events(&mut c);
        (c, ev)
    };
    let mut cfg = ClientConfig::with_hello(Host::parse("c", false).unwrap());
    cfg.starttls = true;

    // Off (the default): the refusal ends the session, politely.
    let (mut c, ev) = refused(&cfg);
    assert!(
        matches!(ev.first(), Some(ClientEvent::Error(e)) if e.kind == ErrorKind::StartTlsRefused
            && e.reply().map(|r| r.code().get()) == Some(454)),
        "{ev:?}"
    );
    assert_eq!(ev.last(), Some(&ClientEvent::Closed(CloseReason::Error)));
    assert_eq!(drain_bytes(&mut c), b"QUIT\r\n");
    assert!(c.is_closed() && !c.wants_tls());

    // On: the session goes on in plaintext and a message is sent.
    cfg.continue_without_tls = true;
    let (mut c, ev) = refused(&cfg);
    assert!(
        matches!(&ev[..], [ClientEvent::StartTlsRefused(r), ClientEvent::Ready]
            if r.code().get() == 454 && r.to_string().contains("TLS not available")),
        "{ev:?}"
    );
    assert!(c.is_ready() && !c.is_tls() && !c.wants_tls() && c.wants_input());
    assert!(
        drain_bytes(&mut c).is_empty(),
        "STARTTLS is not asked again"
    );
    let env = Envelope::new(
        ReversePath::parse("<a@x.org>").unwrap(),
        vec![ForwardPath::parse("<b@y.org>").unwrap()],
    );
    c.send_mail(env).unwrap();
    assert_eq!(drain_bytes(&mut c), b"MAIL FROM:<a@x.org>\r\n");
    c.handle_input(Instant::ZERO, b"250 ok\r\n");
    events(&mut c);
    assert_eq!(drain_bytes(&mut c), b"RCPT TO:<b@y.org>\r\n");
    c.handle_input(Instant::ZERO, b"250 ok\r\n");
    events(&mut c);
    assert_eq!(drain_bytes(&mut c), b"DATA\r\n");
    c.handle_input(Instant::ZERO, b"354 go\r\n");
    events(&mut c);
    assert!(c.wants_body());
    c.send_last(Bytes::from_static(b"Subject: x\r\n\r\nhi\r\n"))
        .unwrap();
    assert_eq!(drain_bytes(&mut c), b"Subject: x\r\n\r\nhi\r\n.\r\n");
    c.handle_input(Instant::ZERO, b"250 queued\r\n");
    let ev = events(&mut c);
    assert!(
        matches!(ev.first(), Some(ClientEvent::Sent { .. })),
        "{ev:?}"
    );

    // On, with credentials: AUTH is not sent in the clear; the client says QUIT.
    cfg.credentials = Some(Credentials::new("tim", "secret"));
    let (mut c, ev) = refused(&cfg);
    assert!(
        matches!(ev.first(), Some(ClientEvent::StartTlsRefused(_))),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, ClientEvent::Error(e) if e.kind == ErrorKind::AuthNotOffered)),
        "{ev:?}"
    );
    let sent = drain_bytes(&mut c);
    assert_eq!(sent, b"QUIT\r\n");

    // And with `auth_without_tls` too, AUTH follows the refusal in plaintext.
    cfg.auth_without_tls = true;
    let (mut c, ev) = refused(&cfg);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(drain_bytes(&mut c).starts_with(b"AUTH PLAIN "));
}

#[test]
fn client_server_auth_pair() {
    for mech in [AuthMechanism::Plain, AuthMechanism::Login] {
        let mut ccfg = ClientConfig::default();
        ccfg.credentials = Some(Credentials::new("tim", "secret"));
        ccfg.auth_without_tls = true;
        let mut scfg = config();
        scfg.auth = vec![mech.clone()];
        scfg.auth_without_tls = true;
        let mut pair = Pair::new(Client::new(ccfg), wirestate::smtp::Server::new(scfg));
        let mut ok = false;
        pair.run(
            |c, ev| match ev {
                ClientEvent::Authenticated(_) => ok = true,
                ClientEvent::Ready => c.quit().unwrap(),
                ClientEvent::Error(e) => panic!("{e}"),
                _ => {}
            },
            |s, ev| match ev {
                ServerEvent::Auth {
                    credentials,
                    decision,
                    ..
                } if credentials.matches("tim", b"secret") => s.accept(decision).unwrap(),
                ev => {
                    answer(s, ev);
                }
            },
        );
        assert!(ok, "{mech:?}");
        assert!(pair.client.is_closed());
    }
}

#[test]
fn lmtp_pair_reports_each_recipient() {
    let mut ccfg = ClientConfig::default();
    ccfg.lmtp = true;
    let mut scfg = config();
    scfg.lmtp = true;
    let mut pair = Pair::new(Client::new(ccfg), wirestate::smtp::Server::new(scfg));
    let mut deliveries = Vec::new();
    let mut done = false;
    run_pair(
        &mut pair,
        |c, ev| match ev {
            ClientEvent::Ready if !done => {
                done = true;
                c.send_mail(env("<a@b.c>", &["<x@y.z>", "<y@y.z>", "<z@y.z>"]))
                    .unwrap();
            }
            ClientEvent::Ready => c.quit().unwrap(),
            ClientEvent::Delivery { index, reply } => deliveries.push((index, reply.code().get())),
            ClientEvent::Error(e) => panic!("{e}"),
            _ => {}
        },
        |s, ev| match ev {
            ServerEvent::Rcpt { to, decision, .. } if to.to_string().starts_with("<y") => s
                .reject(decision, Reply::new(550, "no y").unwrap())
                .unwrap(),
            ServerEvent::End {
                recipients,
                decision,
                ..
            } => {
                assert_eq!(recipients, 2);
                let r = [
                    Reply::new(250, "ok x").unwrap(),
                    Reply::new(452, "z is full").unwrap(),
                ];
                s.reply_per_recipient(decision, &r).unwrap();
            }
            ev => {
                answer(s, ev);
            }
        },
        |c| c.send_last(Bytes::from_static(b"hello\r\n")).unwrap(),
    );
    assert_eq!(deliveries, vec![(0, 250), (2, 452)]);
}

#[test]
fn client_timeout_on_pair_with_virtual_clock() {
    let mut pair = Pair::new(
        Client::new(ClientConfig::default()),
        wirestate::smtp::Server::new(config()),
    );
    pair.run(
        |_, _| {},
        |s, ev| {
            answer(s, ev);
        },
    );
    // Client idle after Ready: no deadline; the server's 5-minute command timer fires.
    assert_eq!(pair.client.poll_timeout(), None);
    pair.advance(Duration::from_secs(301));
    let mut evs = Vec::new();
    pair.run(|_, ev| evs.push(ev), |_, _| {});
    assert!(pair.server.is_closed());
    assert!(
        evs.iter().any(|e| matches!(e, ClientEvent::Error(e) if e.kind == ErrorKind::ServiceClosing && e.reply().unwrap().code().get() == 421)),
        "{evs:?}"
    );
}

#[test]
fn data_timeout_aborts_and_sends_421() {
    let mut cfg = config();
    cfg.auto_accept_hello = true;
    cfg.auto_accept_envelope = true;
    let mut s = wirestate::smtp::Server::new(cfg);
    s.handle_input(
        Instant::ZERO,
        b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nsome data\r\n",
    );
    events(&mut s);
    drain_bytes(&mut s);
    let deadline = s.poll_timeout().unwrap();
    // RFC 5321 4.5.3.2.5: the data block timeout, 3 minutes.
    assert_eq!(deadline, Instant::from_millis(180_000));
    s.handle_timeout(deadline);
    let ev = events(&mut s);
    assert_eq!(
        ev,
        vec![
            ServerEvent::Aborted(AbortReason::Timeout),
            ServerEvent::Closed(CloseReason::Timeout)
        ]
    );
    assert_eq!(codes(&drain_bytes(&mut s)), vec![421]);
}

/// Principle 3 of the design: a large message streams through a small receive buffer,
/// handed out in pieces no larger than what was fed.
#[test]
fn large_data_streams_through_bounded_buffer() {
    let mut cfg = config();
    cfg.limits.max_buffered = 64 * 1024;
    cfg.auto_accept_hello = true;
    cfg.auto_accept_envelope = true;
    let mut s = wirestate::smtp::Server::new(cfg);
    s.handle_input(
        Instant::ZERO,
        b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\n",
    );
    events(&mut s);
    let line = b"0123456789012345678901234567890123456789012345678901234567890123456789\r\n";
    let chunk: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 800)
        .collect();
    let mut total = 0usize;
    let mut biggest = 0usize;
    for _ in 0..150 {
        assert!(s.wants_input());
        s.handle_input(Instant::ZERO, &chunk);
        for ev in events(&mut s) {
            if let ServerEvent::Data(b) = ev {
                total += b.len();
                biggest = biggest.max(b.len());
            }
        }
    }
    s.handle_input(Instant::ZERO, b".\r\n");
    let ev = events(&mut s);
    assert!(ev
        .iter()
        .any(|e| matches!(e, ServerEvent::End { size, .. } if *size == total as u64)));
    assert_eq!(total, chunk.len() * 150);
    assert!(biggest <= chunk.len());
    assert!(!s.is_closed());
}

#[test]
fn rejections_carry_rule_and_stream_offset() {
    let (_, ev) = run(config(), b"EHLO c\r\nMAIL FROM:a@b.c\r\nFROB\r\n");
    let rejected: Vec<&Seen> = ev.iter().filter(|e| e.is("Rejected")).collect();
    // "MAIL FROM:" starts at byte 8; the path should start at byte 8 + 10.
    assert_eq!(rejected.len(), 2);
    assert!(
        matches!(rejected[0], Seen::Event(s) if s.contains("reason: \"RFC 5321 4.1.2: path must start with '<'\", offset: 18")),
        "{rejected:?}"
    );
    assert!(
        matches!(rejected[1], Seen::Event(s) if s.contains("reason: \"RFC 5321 4.2.4: unknown command\", offset: 25")),
        "{rejected:?}"
    );
}

#[test]
fn unread_pipelined_input_over_the_limit_is_421() {
    let mut cfg = config();
    cfg.limits.max_buffered = 1024;
    let mut s = wirestate::smtp::Server::new(cfg);
    drain_bytes(&mut s);
    // The caller never drains events, so nothing is decoded: the buffer fills. (It
    // always holds at least one longest line, here the 12288-octet AUTH line.)
    s.handle_input(Instant::ZERO, &b"NOOP\r\n".repeat(1500));
    assert!(!s.is_closed());
    s.handle_input(Instant::ZERO, &b"NOOP\r\n".repeat(1500));
    assert!(s.is_closed());
    let ev = events(&mut s);
    assert!(
        matches!(&ev[0], ServerEvent::Error(e) if e.kind == ErrorKind::InputOverflow && e.offset == 9000),
        "{ev:?}"
    );
    assert_eq!(ev[1], ServerEvent::Closed(CloseReason::Error));
    assert_eq!(codes(&drain_bytes(&mut s)), vec![421]);
}

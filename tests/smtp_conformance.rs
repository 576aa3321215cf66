//! Conformance rows: one per RFC rule, each with its section, checked against the
//! server (reply codes for a client input) and the client (what it sends or refuses).

mod common;

use common::{drain_bytes, events, Pair};
use std::time::Duration;
use wirestate::buffer::RecvBuffer;
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

fn codes(wire: &[u8]) -> Vec<u16> {
    let mut buf = RecvBuffer::new(1 << 20);
    buf.push(wire).unwrap();
    let mut p = ReplyParser::new();
    std::iter::from_fn(|| p.poll(&mut buf))
        .map(|r| r.unwrap().code().get())
        .collect()
}

fn config() -> ServerConfig {
    ServerConfig::new("mx.example").unwrap()
}

/// Runs `input` through a server with default decisions; returns reply codes after the
/// greeting, and the events.
fn run(cfg: ServerConfig, input: &[u8]) -> (Vec<u16>, Vec<ServerEvent>) {
    let mut s = SmtpServer::new(cfg);
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, input);
    let ev = events(&mut s);
    (codes(&drain_bytes(&mut s)), ev)
}

type Tweak = fn(&mut ServerConfig);

const PLAIN: Tweak = |_| {};

/// (rule, config tweak, client input, expected reply codes)
const ROWS: &[(&str, Tweak, &str, &[u16])] = &[
    ("RFC 5321 4.1.4: MAIL before EHLO is out of sequence", PLAIN, "MAIL FROM:<a@b.c>\r\n", &[503]),
    ("RFC 5321 4.1.4: RCPT before MAIL", PLAIN, "EHLO c\r\nRCPT TO:<a@b.c>\r\n", &[250, 503]),
    ("RFC 5321 4.1.4: DATA before MAIL", PLAIN, "EHLO c\r\nDATA\r\n", &[250, 503]),
    ("RFC 5321 3.3: DATA with no accepted recipient: 554", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nDATA\r\n", &[250, 250, 554]),
    ("RFC 5321 4.1.4: nested MAIL", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nMAIL FROM:<a@b.c>\r\n", &[250, 250, 503]),
    ("RFC 5321 4.2.4: unknown command: 500", PLAIN, "FROB\r\n", &[500]),
    ("RFC 5321 4.3.2: bad syntax: 501", PLAIN, "EHLO c\r\nMAIL FROM:a@b.c\r\n", &[250, 501]),
    ("RFC 5321 4.1.1.1: EHLO needs a domain: 501", PLAIN, "EHLO\r\n", &[501]),
    ("RFC 5321 4.1.1.1: EHLO with an address literal", PLAIN, "EHLO [192.0.2.1]\r\n", &[250]),
    ("RFC 5321 2.3.8: a line ended by bare LF is refused, not run", PLAIN, "NOOP\nNOOP\r\n", &[500, 250]),
    ("RFC 5321 4.1.1.5: RSET clears the transaction", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRSET\r\nRCPT TO:<a@b.c>\r\n", &[250, 250, 250, 503]),
    ("RFC 5321 4.1.4: EHLO mid-transaction resets it", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nEHLO c\r\nRCPT TO:<a@b.c>\r\n", &[250, 250, 250, 503]),
    ("RFC 5321 4.5.1: <Postmaster> without domain is accepted", PLAIN, "HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\n", &[250, 250, 250]),
    ("RFC 5321 4.1.1.3: <> is not a recipient", PLAIN, "HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<>\r\n", &[250, 250, 501]),
    ("RFC 5321 4.1.1.9: NOOP", PLAIN, "NOOP\r\nNOOP hi\r\n", &[250, 250]),
    ("RFC 5321 4.1.1.8: HELP", PLAIN, "HELP\r\n", &[214]),
    ("RFC 5321 4.1.1.6: VRFY answered 252 by default", PLAIN, "VRFY joe\r\n", &[252]),
    ("RFC 5321 4.5.1: EXPN unimplemented: 502", PLAIN, "EXPN list\r\n", &[502]),
    ("RFC 5321 4.1.1.10: QUIT: 221", PLAIN, "QUIT\r\nNOOP\r\n", &[221]),
    ("RFC 5321 4.1.1.11: unknown MAIL parameter: 555", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c> FOO=1\r\n", &[250, 555]),
    ("RFC 5321 4.1.1.11: parameters need EHLO", PLAIN, "HELO c\r\nMAIL FROM:<a@b.c> SIZE=10\r\n", &[250, 555]),
    ("RFC 5321 4.1.2: source route accepted and ignored", PLAIN, "HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<@h.int,@j.org:u@d.bar.org>\r\n", &[250, 250, 250]),
    ("RFC 5321 4.1.2: quoted local-part", PLAIN, "HELO c\r\nMAIL FROM:<\"a b\"@c.d>\r\n", &[250, 250]),
    ("RFC 5321 4.5.3.1.1: local-part over 64 octets: 501", PLAIN, "HELO c\r\nMAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.c>\r\n", &[250, 501]),
    ("RFC 5321 4.5.3.1.3: path over the limit: 501", |c| c.limits.path = 12, "HELO c\r\nMAIL FROM:<abc@def.gh>\r\nMAIL FROM:<abcd@def.gh>\r\n", &[250, 250, 501]),
    ("RFC 5321 4.5.3.1.8: recipients over the limit: 452", |c| c.limits.recipients = 2, "HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<a@b.c>\r\nRCPT TO:<b@b.c>\r\nRCPT TO:<c@b.c>\r\n", &[250, 250, 250, 250, 452]),
    ("RFC 1870 6.1: declared SIZE over the limit: 552", |c| c.max_message_size = Some(100), "EHLO c\r\nMAIL FROM:<a@b.c> SIZE=101\r\n", &[250, 552]),
    ("RFC 1870 6.3: actual size over the limit: 552 after the end", |c| c.max_message_size = Some(10), "EHLO c\r\nMAIL FROM:<a@b.c> SIZE=5\r\nRCPT TO:<x@y.z>\r\nDATA\r\n0123456789abc\r\n.\r\nNOOP\r\n", &[250, 250, 250, 354, 552, 250]),
    ("RFC 5321 4.5.3.1.6: text line over the limit fails the transaction", |c| c.limits.text_line = 10, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nshort\r\n0123456789abc\r\n.\r\n", &[250, 250, 250, 354, 500]),
    ("RFC 6152 2: BODY=8BITMIME when offered", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c> BODY=8BITMIME\r\n", &[250, 250]),
    ("RFC 6152 2: BODY=8BITMIME not offered: 555", |c| c.eightbitmime = false, "EHLO c\r\nMAIL FROM:<a@b.c> BODY=8BITMIME\r\n", &[250, 555]),
    ("RFC 3030 3: BINARYMIME not offered: 555", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\n", &[250, 555]),
    ("RFC 6531 3.4: UTF-8 sender without SMTPUTF8: 501", PLAIN, "EHLO c\r\nMAIL FROM:<jö@b.c>\r\n", &[250, 501]),
    ("RFC 6531 3.4: UTF-8 addresses under SMTPUTF8", PLAIN, "EHLO c\r\nMAIL FROM:<jö@b.c> SMTPUTF8\r\nRCPT TO:<ü@bücher.example>\r\n", &[250, 250, 250]),
    ("RFC 6531 3.4: UTF-8 recipient without SMTPUTF8: 553", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<ü@b.c>\r\n", &[250, 250, 553]),
    ("RFC 6531: SMTPUTF8 not offered: 555", |c| c.smtputf8 = false, "EHLO c\r\nMAIL FROM:<a@b.c> SMTPUTF8\r\n", &[250, 555]),
    ("RFC 3461 4: DSN parameters accepted when offered", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c> RET=HDRS ENVID=QQ314159\r\nRCPT TO:<x@y.z> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y.z\r\n", &[250, 250, 250]),
    ("RFC 3461 4: DSN parameters without DSN: 555", |c| c.dsn = false, "EHLO c\r\nMAIL FROM:<a@b.c> RET=HDRS\r\n", &[250, 555]),
    ("RFC 3030 2: BDAT without a transaction: chunk consumed, 503", PLAIN, "EHLO c\r\nBDAT 6\r\nNOOP\r\nNOOP\r\n", &[250, 503, 250]),
    ("RFC 3030 2: BDAT when CHUNKING is off: chunk consumed, 502", |c| c.chunking = false, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 6\r\nRSET\r\nNOOP\r\n", &[250, 250, 250, 502, 250]),
    ("RFC 3030 2: DATA after BDAT: 503", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 2\r\nhiDATA\r\n", &[250, 250, 250, 250, 503]),
    ("RFC 3030 2: BDAT 0 LAST ends an empty message", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 0 LAST\r\n", &[250, 250, 250, 250]),
    ("RFC 3030 2 / RFC 1870: BDAT over SIZE: 552 after the chunk, then 503", |c| c.max_message_size = Some(4), "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 6\r\n123456BDAT 1 LAST\r\nx", &[250, 250, 250, 552, 503]),
    ("RFC 3030 3: BINARYMIME with DATA: 503", |c| c.binarymime = true, "EHLO c\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\nRCPT TO:<x@y.z>\r\nDATA\r\n", &[250, 250, 250, 503]),
    ("RFC 4954 4: AUTH not offered: 502", PLAIN, "EHLO c\r\nAUTH PLAIN AGEAYg==\r\n", &[250, 502]),
    ("RFC 4954 4: AUTH without TLS when TLS is required: 538", |c| c.auth = vec![AuthMechanism::Plain], "EHLO c\r\nAUTH PLAIN AGEAYg==\r\n", &[250, 538]),
    ("RFC 4954 4: AUTH before EHLO: 503", |c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, "AUTH PLAIN AGEAYg==\r\n", &[503]),
    ("RFC 4954 4: unknown mechanism: 504", |c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, "EHLO c\r\nAUTH CRAM-MD5\r\n", &[250, 504]),
    ("RFC 4954 4: '*' cancels: 501", |c| { c.auth = vec![AuthMechanism::Login]; c.auth_without_tls = true }, "EHLO c\r\nAUTH LOGIN\r\n*\r\n", &[250, 334, 501]),
    ("RFC 4954 4: response not base64: 501", |c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, "EHLO c\r\nAUTH PLAIN\r\n!!!\r\n", &[250, 334, 501]),
    ("RFC 4954 4: credentials refused by default: 535", |c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, "EHLO c\r\nAUTH PLAIN AHUAcA==\r\n", &[250, 535]),
    ("RFC 4954 4: AUTH inside a transaction: 503", |c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nAUTH PLAIN AHUAcA==\r\n", &[250, 250, 503]),
    ("RFC 3207 4: STARTTLS not offered: 502", PLAIN, "EHLO c\r\nSTARTTLS\r\n", &[250, 502]),
    ("RFC 3207 4: STARTTLS before EHLO: 503", |c| c.starttls = true, "STARTTLS\r\n", &[503]),
    ("RFC 3207 4.2 / CVE-2011-0411: input pipelined after STARTTLS is discarded", |c| c.starttls = true, "EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@x.y>\r\nRCPT TO:<evil@x.y>\r\n", &[250, 220]),
    ("RFC 2033 4.1: HELO in LMTP: 500", |c| c.lmtp = true, "HELO c\r\nLHLO c\r\n", &[500, 250]),
    ("RFC 2033 4.1: LHLO in SMTP is unknown: 500", PLAIN, "LHLO c\r\n", &[500]),
    ("RFC 2033 4.2: one reply per accepted recipient after DATA", |c| c.lmtp = true, "LHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nRCPT TO:<y@y.z>\r\nDATA\r\nhi\r\n.\r\n", &[250, 250, 250, 250, 354, 250, 250]),
    ("RFC 2920 3.1: pipelined replies come back in order", PLAIN, "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nRCPT TO:<>\r\nNOOP\r\nFROB\r\nRSET\r\n", &[250, 250, 250, 501, 250, 500, 250]),
];

#[test]
fn server_conformance_rows() {
    for (rule, tweak, input, want) in ROWS {
        let mut cfg = config();
        tweak(&mut cfg);
        let (got, _) = run(cfg, input.as_bytes());
        assert_eq!(&got, want, "{rule}");
    }
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
fn starttls_requires_new_ehlo_and_forgets_state() {
    let mut cfg = config();
    cfg.starttls = true;
    cfg.auth = vec![AuthMechanism::Plain];
    let mut s = SmtpServer::new(cfg);
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"EHLO c\r\n");
    events(&mut s);
    let ehlo = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(
        ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    s.handle_input(Instant::ZERO, b"STARTTLS\r\nMAIL FROM:<evil@x.y>\r\n");
    assert_eq!(s.poll_event(), Some(ServerEvent::StartTls));
    s.accept().unwrap();
    assert!(s.is_tls());
    assert!(events(&mut s).is_empty(), "injected MAIL was read");
    // Decrypted input from here on: MAIL needs a fresh EHLO (RFC 3207 4.2).
    s.handle_input(Instant::ZERO, b"MAIL FROM:<a@b.c>\r\nEHLO c\r\n");
    events(&mut s);
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(out.starts_with("220 2.0.0"), "{out}");
    assert!(out.contains("503 5.5.1"), "{out}");
    assert!(
        out.contains("AUTH PLAIN") && !out.contains("STARTTLS"),
        "{out}"
    );
}

#[test]
fn auth_plain_and_login_decoded_and_accepted() {
    let mut cfg = config();
    cfg.auth = vec![AuthMechanism::Plain, AuthMechanism::Login];
    cfg.auth_without_tls = true;
    for input in [
        &b"EHLO c\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"[..],
        b"EHLO c\r\nAUTH PLAIN\r\nAHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n",
        b"EHLO c\r\nAUTH LOGIN\r\ndGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\n",
        b"EHLO c\r\nAUTH LOGIN dGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\n",
    ] {
        let mut s = SmtpServer::new(cfg.clone());
        drain_bytes(&mut s);
        s.handle_input(Instant::ZERO, input);
        let mut seen = None;
        while let Some(ev) = s.poll_event() {
            if let ServerEvent::Auth { credentials, .. } = ev {
                seen = Some(credentials.clone());
                s.accept().unwrap();
            }
        }
        let c = seen.expect("Auth event");
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("tim", "tanstaaftanstaaf")
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

#[test]
fn dsn_and_size_params_are_passed_through() {
    let (_, ev) = run(config(), b"EHLO c\r\nMAIL FROM:<a@b.c> SIZE=42 RET=FULL ENVID=a+2Bb\r\nRCPT TO:<x@y.z> NOTIFY=NEVER ORCPT=rfc822;x@y.z\r\n");
    let Some(ServerEvent::MailFrom { params, .. }) = ev
        .iter()
        .find(|e| matches!(e, ServerEvent::MailFrom { .. }))
    else {
        panic!("{ev:?}")
    };
    assert_eq!(params.size, Some(42));
    assert_eq!(params.ret, Some(Ret::Full));
    assert_eq!(params.envid.as_ref().unwrap().decode(), b"a+b");
    let Some(ServerEvent::RcptTo { params, .. }) =
        ev.iter().find(|e| matches!(e, ServerEvent::RcptTo { .. }))
    else {
        panic!("{ev:?}")
    };
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
    assert!(ev.contains(&ServerEvent::DataAborted(AbortReason::TooLarge)));
    assert!(!ev.iter().any(|e| matches!(e, ServerEvent::DataEnd { .. })));
}

#[test]
fn enhanced_codes_follow_configuration() {
    let (_, _) = run(config(), b"");
    let mut s = SmtpServer::new(config());
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"FROB\r\n");
    events(&mut s);
    assert_eq!(drain_bytes(&mut s), b"500 5.5.2 Command unrecognized\r\n");
    let mut cfg = config();
    cfg.enhanced_status_codes = false;
    let mut s = SmtpServer::new(cfg);
    drain_bytes(&mut s);
    s.handle_input(Instant::ZERO, b"EHLO c\r\nFROB\r\n");
    events(&mut s);
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(!out.contains("ENHANCEDSTATUSCODES"));
    assert!(out.ends_with("500 Command unrecognized\r\n"), "{out}");
}

#[test]
fn command_timeout_sends_421_and_closes() {
    let mut s = SmtpServer::new(config());
    drain_bytes(&mut s);
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
fn disconnect_mid_data_aborts() {
    let mut s = SmtpServer::new(config());
    s.handle_input(
        Instant::ZERO,
        b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\npartial",
    );
    s.handle_eof(Instant::ZERO);
    let ev = events(&mut s);
    assert!(
        ev.contains(&ServerEvent::DataAborted(AbortReason::PeerClosed)),
        "{ev:?}"
    );
    assert_eq!(
        ev.last(),
        Some(&ServerEvent::Closed(CloseReason::PeerClosed))
    );
}

#[test]
fn too_many_errors_close_with_421() {
    let mut cfg = config();
    cfg.limits.errors = 3;
    let (got, ev) = run(cfg, b"A\r\nB\r\nC\r\nNOOP\r\n");
    assert_eq!(got, vec![500, 500, 500, 421]);
    assert_eq!(
        ev.last(),
        Some(&ServerEvent::Closed(CloseReason::TooManyErrors))
    );
}

#[test]
fn local_misuse_returns_err_and_queues_nothing() {
    let mut s = SmtpServer::new(config());
    drain_bytes(&mut s);
    assert_eq!(s.accept(), Err(SendError::NothingPending));
    s.handle_input(Instant::ZERO, b"HELO c\r\n");
    assert!(matches!(s.poll_event(), Some(ServerEvent::Hello { .. })));
    assert_eq!(
        s.reject(Reply::new(250, "ok").unwrap()),
        Err(SendError::WrongReplyClass)
    );
    assert_eq!(
        s.accept_with(Reply::new(550, "no").unwrap()),
        Err(SendError::WrongReplyClass)
    );
    assert!(s.poll_transmit().is_none());
    s.accept().unwrap();
    assert_eq!(drain_bytes(&mut s), b"250 mx.example\r\n");
}

// ---- client rows ----

fn env(from: &str, to: &[&str]) -> Envelope {
    Envelope::new(
        ReversePath::parse(from).unwrap(),
        to.iter().map(|t| ForwardPath::parse(t).unwrap()).collect(),
    )
}

fn client_after(replies: &[u8]) -> SmtpClient {
    let mut c = SmtpClient::new(ClientConfig::new("c.example").unwrap());
    c.handle_input(Instant::ZERO, replies);
    events(&mut c);
    drain_bytes(&mut c);
    c
}

#[test]
fn client_falls_back_to_helo() {
    // RFC 5321 3.2: a server that rejects EHLO gets HELO.
    let mut c = SmtpClient::new(ClientConfig::new("c.example").unwrap());
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
    assert_eq!(c.send_mail(e), Err(SendError::MissingExtension("8BITMIME")));
    let e = Envelope::new(
        ReversePath::parse_prefix("<jö@b.c>", true).unwrap().0,
        vec![ForwardPath::parse("<x@y.z>").unwrap()],
    );
    assert_eq!(c.send_mail(e), Err(SendError::MissingExtension("SMTPUTF8")));
    let mut e = env("<a@b.c>", &["<x@y.z>"]);
    e.params.size = Some(101);
    assert!(
        c.send_mail(e).is_err(),
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
    assert_eq!(ev.last(), Some(&ClientEvent::SendBody));
    c.end_body_with(b"hi\n").unwrap();
    assert_eq!(drain_bytes(&mut c), b"hi\r\n.\r\n");
    c.handle_input(Instant::ZERO, b"250 queued as X\r\n");
    let ev = events(&mut c);
    assert!(ev
        .iter()
        .any(|e| matches!(e, ClientEvent::Sent { accepted, .. } if accepted == &vec![0])));
    assert_eq!(ev.last(), Some(&ClientEvent::Ready));
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
    let mut c = SmtpClient::new(ClientConfig::new("c").unwrap());
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
    c.handle_timeout(Instant::from_millis(121_000));
    assert_eq!(
        events(&mut c),
        vec![ClientEvent::Error(ClientError::Timeout("DATA"))]
    );
    assert!(c.is_closed());
}

#[test]
fn client_starttls_drops_injected_replies() {
    let mut cfg = ClientConfig::new("c").unwrap();
    cfg.starttls = true;
    let mut c = SmtpClient::new(cfg);
    c.handle_input(
        Instant::ZERO,
        b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n250 injected\r\n",
    );
    assert_eq!(
        events(&mut c),
        vec![
            ClientEvent::Greeting(Reply::new(220, "mx").unwrap()),
            ClientEvent::StartTls
        ]
    );
    assert_eq!(drain_bytes(&mut c), b"EHLO c\r\nSTARTTLS\r\n");
    c.tls_established().unwrap();
    assert!(
        events(&mut c).is_empty(),
        "the injected 250 was taken as an EHLO reply"
    );
    assert_eq!(drain_bytes(&mut c), b"EHLO c\r\n");
}

#[test]
fn client_server_auth_pair() {
    for mech in [AuthMechanism::Plain, AuthMechanism::Login] {
        let mut ccfg = ClientConfig::new("c").unwrap();
        ccfg.credentials = Some(Credentials::new("tim", "secret"));
        ccfg.auth_without_tls = true;
        let mut scfg = config();
        scfg.auth = vec![mech.clone()];
        scfg.auth_without_tls = true;
        let mut pair = Pair::new(SmtpClient::new(ccfg), SmtpServer::new(scfg));
        let mut ok = false;
        pair.run(
            |c, ev| match ev {
                ClientEvent::Authenticated(_) => ok = true,
                ClientEvent::Ready => c.quit().unwrap(),
                ClientEvent::Error(e) => panic!("{e}"),
                _ => {}
            },
            |s, ev| {
                if let ServerEvent::Auth { credentials, .. } = ev {
                    if credentials.password == "secret" {
                        s.accept().unwrap();
                    }
                }
            },
        );
        assert!(ok, "{mech:?}");
        assert!(pair.client.is_closed());
    }
}

#[test]
fn lmtp_pair_reports_each_recipient() {
    let mut ccfg = ClientConfig::new("c").unwrap();
    ccfg.lmtp = true;
    let mut scfg = config();
    scfg.lmtp = true;
    let mut pair = Pair::new(SmtpClient::new(ccfg), SmtpServer::new(scfg));
    let mut deliveries = Vec::new();
    let mut done = false;
    pair.run(
        |c, ev| match ev {
            ClientEvent::Ready if !done => {
                done = true;
                c.send_mail(env("<a@b.c>", &["<x@y.z>", "<y@y.z>", "<z@y.z>"]))
                    .unwrap();
            }
            ClientEvent::Ready => c.quit().unwrap(),
            ClientEvent::SendBody => c.end_body_with(b"hello\r\n").unwrap(),
            ClientEvent::Delivery { index, reply } => deliveries.push((index, reply.code().get())),
            ClientEvent::Error(e) => panic!("{e}"),
            _ => {}
        },
        |s, ev| match ev {
            ServerEvent::RcptTo { to, .. } if to.to_string().starts_with("<y") => {
                s.reject(Reply::new(550, "no y").unwrap()).unwrap()
            }
            ServerEvent::DataEnd { recipients, .. } => {
                assert_eq!(recipients, 2);
                let r = [
                    Reply::new(250, "ok x").unwrap(),
                    Reply::new(452, "z is full").unwrap(),
                ];
                s.reply_per_recipient(&r).unwrap();
            }
            _ => {}
        },
    );
    assert_eq!(deliveries, vec![(0, 250), (2, 452)]);
}

#[test]
fn client_timeout_on_pair_with_virtual_clock() {
    let mut pair = Pair::new(
        SmtpClient::new(ClientConfig::new("c").unwrap()),
        SmtpServer::new(config()),
    );
    pair.run(|_, _| {}, |_, _| {});
    // Client idle after Ready: no deadline; the server's 5-minute command timer fires.
    assert_eq!(pair.client.poll_timeout(), None);
    pair.advance(Duration::from_secs(301));
    let mut errs = Vec::new();
    pair.run(|_, ev| errs.push(ev), |_, _| {});
    assert!(pair.server.is_closed());
    assert!(errs.iter().any(|e| matches!(e, ClientEvent::Error(ClientError::Refused { reply, .. }) if reply.code().get() == 421)), "{errs:?}");
}

#[test]
fn data_timeout_aborts_and_sends_421() {
    let mut s = SmtpServer::new(config());
    s.handle_input(
        Instant::ZERO,
        b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nsome data\r\n",
    );
    events(&mut s);
    drain_bytes(&mut s);
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(deadline, Instant::from_millis(300_000));
    s.handle_timeout(deadline);
    let ev = events(&mut s);
    assert_eq!(
        ev,
        vec![
            ServerEvent::DataAborted(AbortReason::Timeout),
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
    cfg.limits.recv_buffer = 64 * 1024;
    let mut s = SmtpServer::new(cfg);
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
        s.handle_input(Instant::ZERO, &chunk);
        for ev in events(&mut s) {
            if let ServerEvent::DataChunk(b) = ev {
                total += b.len();
                biggest = biggest.max(b.len());
            }
        }
    }
    s.handle_input(Instant::ZERO, b".\r\n");
    let ev = events(&mut s);
    assert!(ev
        .iter()
        .any(|e| matches!(e, ServerEvent::DataEnd { size, .. } if *size == total as u64)));
    assert_eq!(total, chunk.len() * 150);
    assert!(biggest <= chunk.len());
    assert!(!s.is_closed());
}

#[test]
fn rejections_carry_rule_and_stream_offset() {
    let (_, ev) = run(config(), b"EHLO c\r\nMAIL FROM:a@b.c\r\nFROB\r\n");
    let rejected: Vec<(&str, u64)> = ev
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Rejected { reason, offset, .. } => Some((*reason, *offset)),
            _ => None,
        })
        .collect();
    // "MAIL FROM:" starts at byte 8; the path should start at byte 8 + 10.
    assert_eq!(
        rejected,
        vec![
            ("RFC 5321 4.1.2: path must start with '<'", 18),
            ("RFC 5321 4.2.4: unknown command", 25)
        ]
    );
}

#[test]
fn unread_pipelined_input_over_the_limit_is_421() {
    let mut cfg = config();
    cfg.limits.recv_buffer = 1024;
    let mut s = SmtpServer::new(cfg);
    drain_bytes(&mut s);
    // The caller never drains events, so nothing is decoded: the buffer fills. (It
    // always holds at least one longest line, here the 12288-octet AUTH line.)
    s.handle_input(Instant::ZERO, &b"NOOP\r\n".repeat(1500));
    assert!(!s.is_closed());
    s.handle_input(Instant::ZERO, &b"NOOP\r\n".repeat(1500));
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::InputOverflow)]
    );
    assert_eq!(codes(&drain_bytes(&mut s)), vec![421]);
}

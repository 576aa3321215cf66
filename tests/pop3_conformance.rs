//! POP3 conformance: one row per RFC rule (MUST / MUST NOT), each with its section.

mod common;
mod pop3_common;

use bytes::Bytes;
use common::{drain_bytes, Pair};
use pop3_common::*;
use std::time::Duration;
use wirestate::pop3::*;
use wirestate::{Instant, Machine};

#[test]
fn conformance_transaction_rows() {
    // M2 is 27 octets on disk with bare LFs; a real store counts them as CRLF (30), but
    // this store reports raw lengths, so the sizes below are 38 and 27.
    let rows: &[(&str, &str, &str, &str)] = &[
        (
            "1939 s5",
            "STAT answers +OK nn mm",
            "STAT\r\n",
            "+OK 2 65\r\n",
        ),
        (
            "1939 s5",
            "LIST gives a scan listing per message",
            "LIST\r\n",
            "+OK 2 messages (65 octets)\r\n1 38\r\n2 27\r\n.\r\n",
        ),
        (
            "1939 s5",
            "LIST msg is single-line",
            "LIST 2\r\n",
            "+OK 2 27\r\n",
        ),
        (
            "1939 s5",
            "LIST of a missing message is -ERR",
            "LIST 3\r\n",
            "-ERR no such message, only 2 messages in maildrop\r\n",
        ),
        (
            "1939 s5",
            "DELE marks; STAT and LIST stop counting it",
            "DELE 1\r\nSTAT\r\nLIST\r\n",
            "+OK message 1 deleted\r\n+OK 1 27\r\n+OK 1 message (27 octets)\r\n2 27\r\n.\r\n",
        ),
        (
            "1939 s5",
            "DELE of a deleted message is -ERR",
            "DELE 1\r\nDELE 1\r\n",
            "+OK message 1 deleted\r\n-ERR message 1 already deleted\r\n",
        ),
        (
            "1939 s5",
            "RETR of a deleted message is -ERR",
            "DELE 2\r\nRETR 2\r\n",
            "+OK message 2 deleted\r\n-ERR message 2 already deleted\r\n",
        ),
        (
            "1939 s5",
            "RSET unmarks every deleted message",
            "DELE 1\r\nRSET\r\nSTAT\r\n",
            "+OK message 1 deleted\r\n+OK maildrop has 2 messages (65 octets)\r\n+OK 2 65\r\n",
        ),
        ("1939 s5", "NOOP answers +OK", "NOOP\r\n", "+OK\r\n"),
        (
            "1939 s5",
            "RETR sends the message dot-stuffed, then .",
            "RETR 1\r\n",
            "+OK 38 octets\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\n..dot\r\n.\r\n",
        ),
        (
            "1939 s3",
            "bare LF line ends in a stored message go out as CRLF",
            "RETR 2\r\n",
            "+OK 27 octets\r\nSubject: two\r\n\r\nbare LF body\r\n.\r\n",
        ),
        (
            "1939 s7",
            "TOP n 0 sends the headers and the blank line",
            "TOP 1 0\r\n",
            "+OK\r\nSubject: one\r\n\r\n.\r\n",
        ),
        (
            "1939 s7",
            "TOP n 2 adds two body lines",
            "TOP 1 2\r\n",
            "+OK\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\n.\r\n",
        ),
        (
            "1939 s7",
            "TOP past the end sends the whole message",
            "TOP 1 99\r\n",
            "+OK\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\n..dot\r\n.\r\n",
        ),
        (
            "1939 s7",
            "UIDL lists unique-ids",
            "UIDL\r\n",
            "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
        ),
        (
            "1939 s7",
            "UIDL msg is single-line",
            "UIDL 2\r\n",
            "+OK 2 QhdPYR:00WBw1Ph7x7\r\n",
        ),
        (
            "1939 s7",
            "UIDL skips deleted messages",
            "DELE 1\r\nUIDL\r\n",
            "+OK message 1 deleted\r\n+OK\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
        ),
        (
            "1939 s3",
            "keywords are case-insensitive",
            "stat\r\nnoOp\r\n",
            "+OK 2 65\r\n+OK\r\n",
        ),
        (
            "1939 s3",
            "an unknown command is -ERR and the session goes on",
            "XYZZY\r\nNOOP\r\n",
            "-ERR unknown command\r\n+OK\r\n",
        ),
        (
            "1939 s3",
            "arguments are separated by one space",
            "LIST  1\r\n",
            "-ERR arguments must be separated by one space\r\n",
        ),
        (
            "1939 s5",
            "message numbers start at 1",
            "RETR 0\r\n",
            "-ERR invalid number\r\n",
        ),
        (
            "1939 s5",
            "RETR needs a message number",
            "RETR\r\n",
            "-ERR missing argument\r\n",
        ),
        (
            "1939 s4",
            "USER is not valid in TRANSACTION",
            "USER x\r\n",
            "-ERR USER not valid in TRANSACTION state\r\n",
        ),
        (
            "2595 s4",
            "STLS is not valid in TRANSACTION",
            "STLS\r\n",
            "-ERR STLS not valid in TRANSACTION state\r\n",
        ),
        (
            "1939 s6",
            "QUIT in TRANSACTION enters UPDATE and signs off",
            "DELE 1\r\nQUIT\r\n",
            "+OK message 1 deleted\r\n+OK dewey POP3 server signing off (1 message left)\r\n",
        ),
    ];
    for (section, rule, input, expected) in rows {
        let (out, _) = after_login(input.as_bytes());
        assert_eq!(&out, expected, "RFC {section}: {rule}");
    }
}

#[test]
fn conformance_update_only_after_quit_in_transaction() {
    // RFC 1939 section 6: DELE marks; removal only when QUIT is given in TRANSACTION.
    let (_, store) = after_login(b"DELE 1\r\nQUIT\r\n");
    assert_eq!(store.removed, Some(vec![MessageNumber::new(1).unwrap()]));
    // A session that ends any other way removes nothing: EOF after DELE.
    let mut store = tx_store();
    let mut s = Pop3Server::new(s10_config()).unwrap();
    s.handle_input(Instant::ZERO, b"USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\n");
    while let Some(e) = s.poll_event() {
        store.handle(&mut s, e);
    }
    s.handle_eof(Instant::ZERO);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::PeerClosed))
    );
    assert_eq!(s.poll_event(), None);
    assert!(s.is_closed());
    assert_eq!(store.removed, None, "no UPDATE without QUIT");
    // RFC 1939 section 6: a failed removal is "-ERR some deleted messages not removed".
    let mut s = Pop3Server::new(s10_config()).unwrap();
    drain_bytes(&mut s);
    s.handle_input(
        Instant::ZERO,
        b"USER mrose\r\nPASS tanstaaf\r\nDELE 2\r\nQUIT\r\n",
    );
    let mut deleted = None;
    while let Some(e) = s.poll_event() {
        match e {
            ServerEvent::Update { deleted: d } => {
                deleted = Some(d);
                s.finish_update(false).unwrap();
            }
            e => tx_store().handle(&mut s, e),
        }
    }
    assert_eq!(deleted, Some(vec![MessageNumber::new(2).unwrap()]));
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(
        out.ends_with("+OK message 2 deleted\r\n-ERR some deleted messages not removed\r\n"),
        "{out}"
    );
    assert!(s.is_closed());
}

#[test]
fn conformance_authorization_rows() {
    let rows: &[(&str, &str, &str, &str)] = &[
        ("1939 s4", "QUIT in AUTHORIZATION signs off without UPDATE", "QUIT\r\n",
         "+OK dewey POP3 server signing off\r\n"),
        ("1939 s7", "PASS without USER is -ERR", "PASS x\r\n", "-ERR USER first\r\n"),
        ("1939 s7", "PASS keeps spaces in the password", "USER mrose\r\nPASS tans taaf\r\n",
         "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n"),
        ("1939 s4", "a failed login returns to AUTHORIZATION", "USER mrose\r\nPASS no\r\nUSER mrose\r\nPASS tanstaaf\r\nSTAT\r\n",
         "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n+OK send PASS\r\n\
          +OK mrose's maildrop has 2 messages (65 octets)\r\n+OK 2 65\r\n"),
        ("1939 s5", "TRANSACTION commands are -ERR in AUTHORIZATION", "STAT\r\nNOOP\r\n",
         "-ERR STAT not valid in AUTHORIZATION state\r\n-ERR NOOP not valid in AUTHORIZATION state\r\n"),
        ("1939 s7", "an APOP digest is 32 hex digits", "APOP mrose c4c9\r\n", "-ERR invalid argument\r\n"),
        ("1939 s7", "APOP with a wrong digest is refused", "APOP mrose 00000000000000000000000000000000\r\n",
         "-ERR [AUTH] invalid user name or password\r\n"),
        ("5034 s4", "AUTH PLAIN with an initial response", "AUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\n",
         "+OK mrose's maildrop has 2 messages (65 octets)\r\n"),
        ("5034 s4", "AUTH PLAIN without one gets an empty challenge", "AUTH PLAIN\r\nAG1yb3NlAHRhbnN0YWFm\r\n",
         "+ \r\n+OK mrose's maildrop has 2 messages (65 octets)\r\n"),
        ("5034 s4", "\"*\" cancels the exchange with -ERR", "AUTH PLAIN\r\n*\r\nNOOP\r\n",
         "+ \r\n-ERR authentication cancelled\r\n-ERR NOOP not valid in AUTHORIZATION state\r\n"),
        ("5034 s4", "a response that is not base64 is -ERR", "AUTH PLAIN\r\n!!!!\r\n",
         "+ \r\n-ERR invalid base64\r\n"),
        ("5034 s4", "an unsupported mechanism is -ERR", "AUTH CRAM-MD5\r\n",
         "-ERR unsupported authentication mechanism\r\n"),
        ("4616 s2", "a PLAIN message needs two NULs", "AUTH PLAIN bXJvc2U=\r\n",
         "-ERR malformed PLAIN message\r\n"),
        ("5034 s4", "an initial response \"=\" is empty", "AUTH PLAIN =\r\n",
         "-ERR malformed PLAIN message\r\n"),
        ("2595 s4", "STLS not offered is -ERR", "STLS\r\n", "-ERR STLS not available\r\n"),
    ];
    for (section, rule, input, expected) in rows {
        let mut store = tx_store();
        let out = run_server(s10_config(), &mut store, input.as_bytes(), input.len());
        let greeting = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n";
        let out = String::from_utf8(out).unwrap();
        assert_eq!(&out[greeting.len()..], *expected, "RFC {section}: {rule}");
    }
}

#[test]
fn rfc2449_in_use_when_the_maildrop_is_locked_and_the_client_keeps_the_code() {
    let mut store = tx_store();
    store.locked = true;
    let mut pair = Pair::new(
        Pop3Client::new(ClientConfig::default()),
        Pop3Server::new(s10_config()).unwrap(),
    );
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
    let mut s = Pop3Server::new(s10_config()).unwrap();
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
        Some(ServerEvent::Closed(CloseReason::Autologout))
    );
    assert!(s.is_closed());
    assert!(drain_bytes(&mut s).is_empty(), "no response on autologout");
    assert_eq!(store.removed, None);
    let short = ServerConfig {
        autologout: Duration::from_secs(599),
        ..ServerConfig::default()
    };
    assert_eq!(
        Pop3Server::new(short).unwrap_err(),
        SendError::AutologoutTooShort
    );
}

#[test]
fn rfc2595_stls_discards_pipelined_input_on_both_sides() {
    let config = ServerConfig {
        stls: true,
        ..s10_config()
    };
    let mut s = Pop3Server::new(config).unwrap();
    drain_bytes(&mut s);
    // An attacker appends a command to STLS in the same packet (CVE-2011-0411 pattern).
    s.handle_input(Instant::ZERO, b"STLS\r\nUSER injected\r\n");
    assert_eq!(s.poll_event(), Some(ServerEvent::StartTls));
    assert_eq!(drain_bytes(&mut s), b"+OK Begin TLS negotiation\r\n");
    assert_eq!(s.poll_event(), None, "the injected USER was dropped");
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

    let mut c = Pop3Client::new(ClientConfig::default());
    c.handle_input(Instant::ZERO, b"+OK hi\r\n");
    c.poll_event();
    c.stls().unwrap();
    c.noop().unwrap();
    assert_eq!(drain_bytes(&mut c), b"STLS\r\n", "NOOP waits behind STLS");
    c.handle_input(Instant::ZERO, b"+OK Begin TLS\r\n+OK injected\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Ok {
            command: CommandKind::Stls,
            ..
        })
    ));
    assert_eq!(drain_bytes(&mut c), b"NOOP\r\n");
    assert_eq!(
        c.poll_event(),
        None,
        "the injected +OK was dropped, NOOP still waits"
    );
    c.handle_input(Instant::ZERO, b"+OK\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Ok {
            command: CommandKind::Noop,
            ..
        })
    ));
}

#[test]
fn framing_errors_are_final_with_offset_and_err_reply() {
    // RFC 2449 section 4: command lines up to 255 octets, CRLF included.
    let mut s = Pop3Server::new(s10_config()).unwrap();
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
        Some(ServerEvent::Error(ServerError {
            kind: ServerErrorKind::LineTooLong,
            offset: 6
        }))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::ProtocolError))
    );
    let out = drain_bytes(&mut s);
    assert!(out.ends_with(b"-ERR line too long\r\n"));
    assert!(s.is_closed());
    // Exactly 255 is fine.
    let mut s = Pop3Server::new(s10_config()).unwrap();
    let mut ok = b"USER ".to_vec();
    ok.extend(vec![b'u'; 248]);
    ok.extend_from_slice(b"\r\n");
    assert_eq!(ok.len(), 255);
    s.handle_input(Instant::ZERO, &ok);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::User))
    );
    // Bare LF.
    let mut s = Pop3Server::new(s10_config()).unwrap();
    s.handle_input(Instant::ZERO, b"NOOP\nQUIT\r\n");
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Error(ServerError {
            kind: ServerErrorKind::BareCrOrLf,
            offset: 4
        }))
    );
    // Client: a 513-octet status line.
    let mut c = Pop3Client::new(ClientConfig::default());
    let mut long = b"+OK ".to_vec();
    long.extend(vec![b'x'; 509]);
    long.extend_from_slice(b"\r\n");
    c.handle_input(Instant::ZERO, &long);
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Error(ClientError {
            kind: ClientErrorKind::LineTooLong,
            offset: 0
        }))
    ));
    assert!(c.is_closed());
}

#[test]
fn client_errors_keep_the_servers_text_and_code() {
    let mut c = Pop3Client::new(ClientConfig::default());
    c.handle_input(Instant::ZERO, b"+OK\r\n");
    c.poll_event();
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
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Error(ClientError {
            kind: ClientErrorKind::Unsolicited,
            offset: 43
        }))
    ));
}

#[test]
fn client_auth_plain_falls_back_to_a_challenge_when_too_long() {
    let long = "p".repeat(200);
    let mut store = tx_store();
    let mut pair = Pair::new(
        Pop3Client::new(ClientConfig::default()),
        Pop3Server::new(s10_config()).unwrap(),
    );
    pair.client.auth_plain("", "mrose", &long).unwrap();
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
fn local_misuse_is_an_error_and_queues_nothing() {
    let mut s = Pop3Server::new(s10_config()).unwrap();
    drain_bytes(&mut s);
    assert_eq!(s.accept_login(vec![]), Err(SendError::OutOfTurn));
    assert_eq!(s.message_data(b"x"), Err(SendError::OutOfTurn));
    assert_eq!(s.finish_update(true), Err(SendError::OutOfTurn));
    s.handle_input(Instant::ZERO, b"USER mrose\r\nPASS x\r\n");
    s.poll_event();
    assert!(matches!(s.poll_event(), Some(ServerEvent::Authenticate(_))));
    drain_bytes(&mut s);
    assert_eq!(
        s.reject_login(None, "bad\r\nDELE 1"),
        Err(SendError::InvalidText)
    );
    // RFC 2449 section 4: a status line is at most 512 octets, CRLF included.
    assert_eq!(
        s.reject_login(Some(ResponseCode::Auth), &"x".repeat(499)),
        Err(SendError::LineTooLong { limit: 512 })
    );
    assert!(s.poll_transmit().is_none());
    s.reject_login(Some(ResponseCode::Auth), &"x".repeat(498))
        .unwrap();
    assert_eq!(drain_bytes(&mut s).len(), 512);
    let mut c = Pop3Client::new(ClientConfig::default());
    assert_eq!(
        c.user(&"u".repeat(250)),
        Err(SendError::LineTooLong { limit: 255 })
    );
    assert_eq!(c.outstanding(), 0);
    assert_eq!(Uid::new(&"u".repeat(71)), Err(SendError::InvalidUid));
}

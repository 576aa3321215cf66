//! POP3 conformance, fatal errors and closing: a `common::Row` for every fatal
//! `ErrorKind` and every `CloseReason` the two machines produce, each with its RFC
//! section, and a test that fails when one has none. The per-rule rows of each state are
//! in `pop3_conformance.rs`.

mod common;
mod pop3_common;

use common::{drain_bytes, Row};
use pop3_common::*;
use wirestate::pop3::*;
use wirestate::{CloseReason, Instant, Machine};

/// Which machine a row feeds, built fresh (with whatever it must have asked first).
#[derive(Clone, Copy)]
enum Peer {
    Server(fn() -> Server),
    Client(fn() -> Client),
}

/// How the input ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    /// Nothing more: the machine must already have closed.
    Nothing,
    /// The peer closes its side.
    Eof,
    /// The peer goes silent until every timer fires.
    Silence,
}

/// What a fatal row must produce: `Error(Error { kind, offset })`, then
/// `Closed(CloseReason::Error)` last, and, for the server, its `-ERR` as the last bytes.
#[derive(Clone, Copy)]
struct Fatal {
    peer: Peer,
    kind: ErrorKind,
    offset: u64,
}

/// What a closing row must produce: `Closed(reason)` as the last event, exactly once.
#[derive(Clone, Copy)]
struct Closing {
    peer: Peer,
    end: End,
    reason: CloseReason,
}

/// The two events every machine shares, read out of either event type.
#[derive(Debug, PartialEq)]
enum Seen {
    Error(Error),
    Closed(CloseReason),
    Other,
}

/// Also refuses every login with `[AUTH]`, so the failed-login limit can be reached.
fn seen_server(s: &mut Server, e: ServerEvent) -> Seen {
    match e {
        ServerEvent::Login { decision, .. } => {
            let no = Text::new("invalid credentials").unwrap();
            s.reject_login(decision, Some(ResponseCode::Auth), no)
                .unwrap();
            Seen::Other
        }
        ServerEvent::Error(e) => Seen::Error(e),
        ServerEvent::Closed(r) => Seen::Closed(r),
        _ => Seen::Other,
    }
}

fn seen_client(_: &mut Client, e: ClientEvent) -> Seen {
    match e {
        ClientEvent::Error(e) => Seen::Error(e),
        ClientEvent::Closed(r) => Seen::Closed(r),
        _ => Seen::Other,
    }
}

/// Feeds `input` in one piece, ends it as `end` says, and returns what was seen, the
/// bytes sent after the greeting/commands already queued, and whether it closed.
fn feed<M: Machine>(
    mut m: M,
    input: &[u8],
    end: End,
    seen: fn(&mut M, M::Event) -> Seen,
) -> (Vec<Seen>, Vec<u8>, bool) {
    let mut now = Instant::ZERO;
    let mut out = Vec::new();
    let mut evs = Vec::new();
    let drain = |m: &mut M, evs: &mut Vec<Seen>, out: &mut Vec<u8>| {
        while let Some(e) = m.poll_event() {
            evs.push(seen(m, e));
        }
        out.extend(drain_bytes(m));
    };
    drain(&mut m, &mut evs, &mut out);
    out.clear();
    m.handle_input(now, input);
    drain(&mut m, &mut evs, &mut out);
    match end {
        End::Nothing => {}
        End::Eof => m.handle_eof(now),
        End::Silence => {
            for _ in 0..4 {
                if let Some(d) = m.poll_timeout() {
                    now = now.max(d);
                    m.handle_timeout(now);
                }
            }
        }
    }
    drain(&mut m, &mut evs, &mut out);
    (evs, out, m.is_closed())
}

fn run(peer: Peer, input: &[u8], end: End) -> (Vec<Seen>, Vec<u8>, bool) {
    match peer {
        Peer::Server(make) => feed(make(), input, end, seen_server),
        Peer::Client(make) => feed(make(), input, end, seen_client),
    }
}

fn server() -> Server {
    Server::new(s10_config())
}

/// One failed login allowed, answered at once.
fn login_limited_server() -> Server {
    let mut c = s10_config();
    c.limits.max_failed_logins = 1;
    c.timeouts.failed_login_delay = None;
    Server::new(c)
}

fn small_server() -> Server {
    let mut c = s10_config();
    c.limits.max_buffered = 1024;
    Server::new(c)
}

fn client() -> Client {
    Client::new(ClientConfig::default())
}

fn small_client() -> Client {
    let mut c = ClientConfig::default();
    c.limits.max_buffered = 1024;
    Client::new(c)
}

fn client_with(send: fn(&mut Client)) -> Client {
    let mut c = client();
    send(&mut c);
    c
}

fn one() -> MessageNumber {
    MessageNumber::new(1).unwrap()
}

const LONG_COMMAND: &[u8] = &[b'N'; 300];
const FLOOD: &[u8] = &[b'x'; 1100];

fn fatal_rows() -> Vec<Row<Fatal>> {
    let s = |make: fn() -> Server, kind, offset| Fatal {
        peer: Peer::Server(make),
        kind,
        offset,
    };
    let c = |make: fn() -> Client, kind, offset| Fatal {
        peer: Peer::Client(make),
        kind,
        offset,
    };
    vec![
        Row {
            rfc: "RFC 3206",
            section: "5",
            rule: "the max_failed_logins-th failed login is answered -ERR [AUTH] and closes",
            input: b"USER u\r\nPASS p\r\nNOOP\r\n",
            expect: s(login_limited_server, ErrorKind::TooManyFailedLogins, 16),
        },
        Row {
            rfc: "RFC 2449",
            section: "4",
            rule: "command lines are at most 255 octets, CRLF included",
            input: LONG_COMMAND,
            expect: s(server, ErrorKind::LineTooLong, 0),
        },
        Row {
            rfc: "RFC 2449",
            section: "4",
            rule: "response lines are at most 512 octets, CRLF included",
            input: &[b'+'; 600],
            expect: c(client, ErrorKind::LineTooLong, 0),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "commands are terminated by CRLF; a bare LF is refused",
            input: b"NOOP\nQUIT\r\n",
            expect: s(server, ErrorKind::BareCrOrLf, 4),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "responses are terminated by CRLF; a bare LF is refused",
            input: b"+OK\n",
            expect: c(client, ErrorKind::BareCrOrLf, 3),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "the server holds a bounded amount of pipelined input",
            input: FLOOD,
            expect: s(small_server, ErrorKind::BufferFull, 0),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "the client holds a bounded amount of undecoded input",
            input: FLOOD,
            expect: c(small_client, ErrorKind::BufferFull, 0),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "a response starts with +OK or -ERR",
            input: b"HELLO\r\n",
            expect: c(client, ErrorKind::BadStatus, 0),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "the status indicator is followed by a space",
            input: b"+OKAY\r\n",
            expect: c(client, ErrorKind::MissingSpace, 3),
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "a scan listing is msg SP size",
            input: b"+OK\r\n+OK\r\nx y\r\n",
            expect: c(
                || client_with(|c| c.list(None).unwrap()),
                ErrorKind::BadListing,
                10,
            ),
        },
        Row {
            rfc: "RFC 2449",
            section: "9",
            rule: "a capability line is printable ASCII",
            input: b"+OK\r\n+OK\r\nT\x01P\r\n",
            expect: c(
                || client_with(|c| c.capa().unwrap()),
                ErrorKind::BadCapability,
                10,
            ),
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "STAT answers +OK nn mm",
            input: b"+OK\r\n+OK x\r\n",
            expect: c(|| client_with(|c| c.stat().unwrap()), ErrorKind::BadStat, 9),
        },
        Row {
            rfc: "RFC 5034",
            section: "4",
            rule: "a challenge is + SP base64",
            input: b"+OK\r\n+ !!!!\r\n",
            expect: c(
                || {
                    client_with(|c| {
                        c.send(Command::Auth {
                            mechanism: Arg::new("X").unwrap(),
                            initial_response: None,
                        })
                        .unwrap()
                    })
                },
                ErrorKind::BadChallenge,
                7,
            ),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "every response answers a command",
            input: b"+OK\r\n+OK\r\n",
            expect: c(client, ErrorKind::Unsolicited, 5),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "multi-line response lines end in CRLF: no bare LF",
            input: b"+OK\r\n+OK\r\nab\ncd\r\n.\r\n",
            expect: c(
                || client_with(|c| c.retr(one()).unwrap()),
                ErrorKind::DataBareLf,
                12,
            ),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "multi-line response lines end in CRLF: no bare CR",
            input: b"+OK\r\n+OK\r\nab\rcd\r\n.\r\n",
            expect: c(
                || client_with(|c| c.retr(one()).unwrap()),
                ErrorKind::DataBareCr,
                12,
            ),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "only CRLF.CRLF ends a multi-line response, even with allow_bare_lf",
            input: b"+OK\r\n+OK\r\nab\n.\r\n",
            expect: c(
                || {
                    let mut cfg = ClientConfig::default();
                    cfg.limits.allow_bare_lf = true;
                    let mut c = Client::new(cfg);
                    c.retr(one()).unwrap();
                    c
                },
                ErrorKind::DataSmuggling,
                SMUGGLING_AT,
            ),
        },
        Row {
            rfc: "RFC 2595",
            section: "4",
            rule: "nothing the server sends after +OK to STLS is read before TLS",
            input: b"+OK\r\n+OK go\r\n+OK injected\r\n",
            expect: c(
                || client_with(|c| c.stls().unwrap()),
                ErrorKind::TlsInjection,
                13,
            ),
        },
    ]
}

/// Where `ab<LF>.<CR><LF>` breaks: at the `.` after the bare LF, where the ambiguous
/// end would begin.
const SMUGGLING_AT: u64 = 13;

#[test]
fn conformance_fatal_error_rows() {
    for row in fatal_rows() {
        let f = row.expect;
        let (seen, out, closed) = run(f.peer, row.input, End::Nothing);
        let error = Error {
            kind: f.kind,
            offset: f.offset,
        };
        assert_eq!(
            &seen[seen.len().saturating_sub(2)..],
            [Seen::Error(error), Seen::Closed(CloseReason::Error)],
            "{}",
            row.cite()
        );
        assert!(closed, "{}", row.cite());
        if let Peer::Server(_) = f.peer {
            let reply = f
                .kind
                .response()
                .expect("a server error has its -ERR")
                .to_bytes();
            assert!(
                out.ends_with(&reply),
                "{}: {:?}",
                row.cite(),
                String::from_utf8_lossy(&out)
            );
        }
        // Display names the rule and the offset, never the Debug form.
        assert_eq!(
            error.to_string(),
            format!("{} (at byte {})", f.kind.rule(), f.offset)
        );
    }
}

fn closing_rows() -> Vec<Row<Closing>> {
    let s = |end, reason| Closing {
        peer: Peer::Server(server),
        end,
        reason,
    };
    let c = |make: fn() -> Client, end, reason| Closing {
        peer: Peer::Client(make),
        end,
        reason,
    };
    vec![
        Row {
            rfc: "RFC 1939",
            section: "4",
            rule: "QUIT in AUTHORIZATION ends the session",
            input: b"QUIT\r\n",
            expect: s(End::Nothing, CloseReason::Done),
        },
        Row {
            rfc: "RFC 1939",
            section: "6",
            rule: "a session that ends without QUIT removes nothing",
            input: b"NOOP",
            expect: s(End::Eof, CloseReason::PeerClosed { unterminated: 4 }),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "the autologout timer closes without a response",
            input: b"",
            expect: s(End::Silence, CloseReason::Timeout),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "a framing error closes the session after -ERR",
            input: b"NOOP\n",
            expect: s(End::Nothing, CloseReason::Error),
        },
        Row {
            rfc: "RFC 1939",
            section: "6",
            rule: "the client is done once QUIT is answered",
            input: b"+OK\r\n+OK bye\r\n",
            expect: c(
                || client_with(|c| c.quit().unwrap()),
                End::Nothing,
                CloseReason::Done,
            ),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "a server that closes mid-response drops the unfinished line",
            input: b"+OK\r\n+O",
            expect: c(
                || client_with(|c| c.noop().unwrap()),
                End::Eof,
                CloseReason::PeerClosed { unterminated: 2 },
            ),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "a silent server does not hang the client (Timeouts::reply)",
            input: b"+OK\r\n",
            expect: c(
                || client_with(|c| c.noop().unwrap()),
                End::Silence,
                CloseReason::Timeout,
            ),
        },
        Row {
            rfc: "RFC 1939",
            section: "8",
            rule: "the server may drop a session it cannot serve (a message it cannot read)",
            input: b"NOOP\r\n",
            expect: Closing {
                peer: Peer::Server(|| {
                    let mut s = server();
                    s.close();
                    s
                }),
                end: End::Nothing,
                reason: CloseReason::Local,
            },
        },
        Row {
            rfc: "RFC 1939",
            section: "6",
            rule: "a client that drops the session without QUIT removes nothing",
            input: b"+OK\r\n",
            expect: c(
                || {
                    let mut c = client();
                    c.close();
                    c
                },
                End::Nothing,
                CloseReason::Local,
            ),
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "a malformed response closes the client",
            input: b"HELLO\r\n",
            expect: c(client, End::Nothing, CloseReason::Error),
        },
    ]
}

#[test]
fn conformance_closing_rows() {
    for row in closing_rows() {
        let c = row.expect;
        let (seen, out, closed) = run(c.peer, row.input, c.end);
        assert_eq!(seen.last(), Some(&Seen::Closed(c.reason)), "{}", row.cite());
        let closes = seen.iter().filter(|s| matches!(s, Seen::Closed(_))).count();
        assert_eq!(closes, 1, "{}: Closed exactly once", row.cite());
        assert!(closed, "{}", row.cite());
        if c.reason == CloseReason::Timeout && matches!(c.peer, Peer::Server(_)) {
            assert!(out.is_empty(), "{}: no response on a timeout", row.cite());
        }
    }
}

/// The close reasons the POP3 machines produce: all of them (`Local` from `close()`).
const PRODUCED: &[CloseReason] = &[
    CloseReason::Local,
    CloseReason::Done,
    CloseReason::PeerClosed { unterminated: 0 },
    CloseReason::Timeout,
    CloseReason::Error,
];

#[test]
fn every_error_kind_and_close_reason_has_a_row() {
    let fatal = fatal_rows();
    for kind in ErrorKind::ALL {
        assert!(
            fatal.iter().any(|r| r.expect.kind == *kind),
            "ErrorKind::{kind:?} has no conformance row"
        );
    }
    let closing = closing_rows();
    let same =
        |a: &CloseReason, b: &CloseReason| std::mem::discriminant(a) == std::mem::discriminant(b);
    for reason in PRODUCED {
        for server_side in [true, false] {
            assert!(
                closing.iter().any(|r| same(&r.expect.reason, reason)
                    && matches!(r.expect.peer, Peer::Server(_)) == server_side),
                "CloseReason::{reason:?} has no row for the {} machine",
                if server_side { "server" } else { "client" }
            );
        }
    }
}

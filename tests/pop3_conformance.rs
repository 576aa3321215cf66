//! POP3 conformance: one `common::Row` per RFC rule (MUST / MUST NOT), each with its
//! section; a row for every fatal `ErrorKind` and every `CloseReason` the two machines
//! produce, and a test that fails when one has none.

mod common;
mod pop3_common;

use bytes::Bytes;
use common::{drain_bytes, Pair, Row};
use pop3_common::*;
use std::time::Duration;
use wirestate::pop3::*;
use wirestate::{CloseReason, Instant, Machine};

/// TRANSACTION rows: the input follows a USER/PASS login, `expect` is everything the
/// server sent after the login reply.
fn transaction_rows() -> Vec<Row<&'static str>> {
    // M2 is 27 octets on disk with bare LFs; a real store counts them as CRLF (30), but
    // this store reports raw lengths, so the sizes below are 38 and 27.
    vec![
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "STAT answers +OK nn mm",
            input: b"STAT\r\n",
            expect: "+OK 2 65\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "LIST gives a scan listing per message",
            input: b"LIST\r\n",
            expect: "+OK 2 messages (65 octets)\r\n1 38\r\n2 27\r\n.\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "LIST msg is single-line",
            input: b"LIST 2\r\n",
            expect: "+OK 2 27\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "LIST of a missing message is -ERR",
            input: b"LIST 3\r\n",
            expect: "-ERR no such message, only 2 messages in maildrop\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "DELE marks; STAT and LIST stop counting it",
            input: b"DELE 1\r\nSTAT\r\nLIST\r\n",
            expect:
                "+OK message 1 deleted\r\n+OK 1 27\r\n+OK 1 message (27 octets)\r\n2 27\r\n.\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "DELE of a deleted message is -ERR",
            input: b"DELE 1\r\nDELE 1\r\n",
            expect: "+OK message 1 deleted\r\n-ERR message 1 already deleted\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "RETR of a deleted message is -ERR",
            input: b"DELE 2\r\nRETR 2\r\n",
            expect: "+OK message 2 deleted\r\n-ERR message 2 already deleted\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "RSET unmarks every deleted message",
            input: b"DELE 1\r\nRSET\r\nSTAT\r\n",
            expect:
                "+OK message 1 deleted\r\n+OK maildrop has 2 messages (65 octets)\r\n+OK 2 65\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "NOOP answers +OK",
            input: b"NOOP\r\n",
            expect: "+OK\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "RETR sends the message dot-stuffed, then .",
            input: b"RETR 1\r\n",
            expect: "+OK 38 octets\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\n..dot\r\n.\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "bare LF line ends in a stored message go out as CRLF",
            input: b"RETR 2\r\n",
            expect: "+OK 27 octets\r\nSubject: two\r\n\r\nbare LF body\r\n.\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "TOP n 0 sends the headers and the blank line",
            input: b"TOP 1 0\r\n",
            expect: "+OK\r\nSubject: one\r\n\r\n.\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "TOP n 2 adds two body lines",
            input: b"TOP 1 2\r\n",
            expect: "+OK\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\n.\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "TOP past the end sends the whole message",
            input: b"TOP 1 99\r\n",
            expect: "+OK\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\n..dot\r\n.\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "UIDL lists unique-ids",
            input: b"UIDL\r\n",
            expect: "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "UIDL msg is single-line",
            input: b"UIDL 2\r\n",
            expect: "+OK 2 QhdPYR:00WBw1Ph7x7\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "UIDL skips deleted messages",
            input: b"DELE 1\r\nUIDL\r\n",
            expect: "+OK message 1 deleted\r\n+OK\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "keywords are case-insensitive",
            input: b"stat\r\nnoOp\r\n",
            expect: "+OK 2 65\r\n+OK\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "an unknown command is -ERR and the session goes on",
            input: b"XYZZY\r\nNOOP\r\n",
            expect: "-ERR unknown command\r\n+OK\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "3",
            rule: "arguments are separated by one space",
            input: b"LIST  1\r\n",
            expect: "-ERR arguments must be separated by one space\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "message numbers start at 1",
            input: b"RETR 0\r\n",
            expect: "-ERR invalid number\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "RETR needs a message number",
            input: b"RETR\r\n",
            expect: "-ERR missing argument\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "4",
            rule: "USER is not valid in TRANSACTION",
            input: b"USER x\r\n",
            expect: "-ERR USER not valid in TRANSACTION state\r\n",
        },
        Row {
            rfc: "RFC 2595",
            section: "4",
            rule: "STLS is not valid in TRANSACTION",
            input: b"STLS\r\n",
            expect: "-ERR STLS not valid in TRANSACTION state\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "6",
            rule: "QUIT in TRANSACTION enters UPDATE and signs off",
            input: b"DELE 1\r\nQUIT\r\n",
            expect:
                "+OK message 1 deleted\r\n+OK dewey POP3 server signing off (1 message left)\r\n",
        },
    ]
}

#[test]
fn conformance_transaction_rows() {
    for row in transaction_rows() {
        let (out, _) = after_login(row.input);
        assert_eq!(out, row.expect, "{}", row.cite());
    }
}

/// AUTHORIZATION rows: `expect` is everything after the greeting.
fn authorization_rows() -> Vec<Row<&'static str>> {
    vec![
        Row {
            rfc: "RFC 1939",
            section: "4",
            rule: "QUIT in AUTHORIZATION signs off without UPDATE",
            input: b"QUIT\r\n",
            expect: "+OK dewey POP3 server signing off\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "PASS without USER is -ERR",
            input: b"PASS x\r\n",
            expect: "-ERR USER first\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "PASS keeps spaces in the password",
            input: b"USER mrose\r\nPASS tans taaf\r\n",
            expect: "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "4",
            rule: "a failed login returns to AUTHORIZATION",
            input: b"USER mrose\r\nPASS no\r\nUSER mrose\r\nPASS tanstaaf\r\nSTAT\r\n",
            expect: "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n+OK send PASS\r\n\
          +OK mrose's maildrop has 2 messages (65 octets)\r\n+OK 2 65\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "5",
            rule: "TRANSACTION commands are -ERR in AUTHORIZATION",
            input: b"STAT\r\nNOOP\r\n",
            expect: "-ERR STAT not valid in AUTHORIZATION state\r\n-ERR NOOP not valid in AUTHORIZATION state\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "an APOP digest is 32 hex digits",
            input: b"APOP mrose c4c9\r\n",
            expect: "-ERR invalid argument\r\n",
        },
        Row {
            rfc: "RFC 1939",
            section: "7",
            rule: "APOP with a wrong digest is refused",
            input: b"APOP mrose 00000000000000000000000000000000\r\n",
            expect: "-ERR [AUTH] invalid user name or password\r\n",
        },
        Row {
            rfc: "RFC 5034",
            section: "4",
            rule: "AUTH PLAIN with an initial response",
            input: b"AUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\n",
            expect: "+OK mrose's maildrop has 2 messages (65 octets)\r\n",
        },
        Row {
            rfc: "RFC 5034",
            section: "4",
            rule: "AUTH PLAIN without one gets an empty challenge",
            input: b"AUTH PLAIN\r\nAG1yb3NlAHRhbnN0YWFm\r\n",
            expect: "+ \r\n+OK mrose's maildrop has 2 messages (65 octets)\r\n",
        },
        Row {
            rfc: "RFC 5034",
            section: "4",
            rule: "\"*\" cancels the exchange with -ERR",
            input: b"AUTH PLAIN\r\n*\r\nNOOP\r\n",
            expect: "+ \r\n-ERR authentication cancelled\r\n-ERR NOOP not valid in AUTHORIZATION state\r\n",
        },
        Row {
            rfc: "RFC 5034",
            section: "4",
            rule: "a response that is not base64 is -ERR",
            input: b"AUTH PLAIN\r\n!!!!\r\n",
            expect: "+ \r\n-ERR invalid base64\r\n",
        },
        Row {
            rfc: "RFC 5034",
            section: "4",
            rule: "an unsupported mechanism is -ERR",
            input: b"AUTH CRAM-MD5\r\n",
            expect: "-ERR unsupported authentication mechanism\r\n",
        },
        Row {
            rfc: "RFC 4616",
            section: "2",
            rule: "a PLAIN message needs two NULs",
            input: b"AUTH PLAIN bXJvc2U=\r\n",
            expect: "-ERR malformed PLAIN message\r\n",
        },
        Row {
            rfc: "RFC 5034",
            section: "4",
            rule: "an initial response \"=\" is empty",
            input: b"AUTH PLAIN =\r\n",
            expect: "-ERR malformed PLAIN message\r\n",
        },
        Row {
            rfc: "RFC 2595",
            section: "4",
            rule: "STLS not offered is -ERR",
            input: b"STLS\r\n",
            expect: "-ERR STLS not available\r\n",
        },
    ]
}

#[test]
fn conformance_authorization_rows() {
    for row in authorization_rows() {
        let mut store = tx_store();
        let out = run_server(s10_config(), &mut store, row.input, row.input.len());
        let greeting = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n";
        let out = String::from_utf8(out).unwrap();
        assert_eq!(&out[greeting.len()..], row.expect, "{}", row.cite());
    }
}

// ---------------------------------------------------------------------------------------
// Fatal errors and closing: one row per ErrorKind and per CloseReason.

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

fn seen_server(e: ServerEvent) -> Seen {
    match e {
        ServerEvent::Error(e) => Seen::Error(e),
        ServerEvent::Closed(r) => Seen::Closed(r),
        _ => Seen::Other,
    }
}

fn seen_client(e: ClientEvent) -> Seen {
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
    seen: fn(M::Event) -> Seen,
) -> (Vec<Seen>, Vec<u8>, bool) {
    let mut now = Instant::ZERO;
    let mut out = Vec::new();
    let mut evs = Vec::new();
    let drain = |m: &mut M, evs: &mut Vec<Seen>, out: &mut Vec<u8>| {
        evs.extend(std::iter::from_fn(|| m.poll_event()).map(seen));
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

//! POP3 conformance: one `common::Row` per RFC rule (MUST / MUST NOT), each with its
//! section: the TRANSACTION and AUTHORIZATION rules and the failed-login limits. The
//! rows for every fatal `ErrorKind` and every `CloseReason` the two machines produce are
//! in `pop3_conformance_fatal.rs`.

mod common;
mod pop3_common;

use common::Row;
use pop3_common::*;
use wirestate::pop3::*;

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

/// The server's output for `input` in one piece, on the RFC 1939 section 10 maildrop,
/// after its greeting (which must be the section 10 one, with its APOP timestamp).
fn after_greeting(config: ServerConfig, input: &[u8]) -> String {
    let mut store = tx_store();
    let out = run_server(config, &mut store, input, input.len());
    let out = String::from_utf8(out).unwrap();
    let greeting = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n";
    let rest = out.strip_prefix(greeting);
    assert!(rest.is_some(), "not the section 10 greeting: {out:?}");
    rest.unwrap_or_default().to_string()
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
        let out = after_greeting(s10_config(), row.input);
        assert_eq!(out, row.expect, "{}", row.cite());
    }
}

/// Failed-login rows: a configuration tweak and the exact output after the greeting.
/// The feeder never calls `handle_timeout`, so an answer held for the delay is absent.
type LoginRow = Row<(fn(&mut ServerConfig), &'static str)>;

fn login_limit_rows() -> Vec<LoginRow> {
    vec![
        Row {
            rfc: "RFC 3206",
            section: "5",
            rule: "a failed login's -ERR [AUTH] is held for failed_login_delay; nothing after it is decoded meanwhile",
            input: b"USER mrose\r\nPASS no\r\nSTAT\r\n",
            expect: (
                |c| c.timeouts.failed_login_delay = Some(core::time::Duration::from_secs(2)),
                "+OK send PASS\r\n",
            ),
        },
        Row {
            rfc: "RFC 3206",
            section: "5",
            rule: "failed logins below max_failed_logins leave AUTHORIZATION usable",
            input: b"USER mrose\r\nPASS no\r\nUSER mrose\r\nPASS no\r\nNOOP\r\n",
            expect: (
                |c| {
                    c.timeouts.failed_login_delay = None;
                    c.limits.max_failed_logins = 3;
                },
                "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n+OK send PASS\r\n\
                 -ERR [AUTH] invalid user name or password\r\n-ERR NOOP not valid in AUTHORIZATION state\r\n",
            ),
        },
        Row {
            rfc: "RFC 3206",
            section: "5",
            rule: "the max_failed_logins-th failure is -ERR [AUTH] and the session closes",
            input: b"APOP mrose 00000000000000000000000000000000\r\nNOOP\r\n",
            expect: (
                |c| {
                    c.timeouts.failed_login_delay = None;
                    c.limits.max_failed_logins = 1;
                },
                "-ERR [AUTH] too many failed logins, closing connection\r\n",
            ),
        },
    ]
}

#[test]
fn conformance_login_limit_rows() {
    for row in login_limit_rows() {
        let (tweak, expect) = row.expect;
        let mut cfg = s10_config();
        tweak(&mut cfg);
        let out = after_greeting(cfg, row.input);
        assert_eq!(out, expect, "{}", row.cite());
    }
}

//! Conformance rows: one per RFC rule, each a `common::Row` with its section, checked
//! against the server (reply codes for a client input) and the client (what it sends or
//! refuses). Every `ErrorKind` and every `CloseReason` the machines produce has a row,
//! and a test fails when one is missing.

mod common;
mod smtp_common;

use bytes::Bytes;
use common::{drain_bytes, events, Pair, Row};
use smtp_common::*;
use std::time::Duration;
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

fn config() -> ServerConfig {
    named("mx.example")
}

/// Runs `input` through a server answering every decision by default (AUTH refused);
/// returns reply codes after the greeting, and the record of events.
fn run(cfg: ServerConfig, input: &[u8]) -> (Vec<u16>, Vec<Seen>) {
    let (seen, out) = feed_answered(cfg, input, &[]);
    (codes(&out), seen)
}

type Tweak = fn(&mut ServerConfig);
type ClientTweak = fn(&mut ClientConfig);

const PLAIN: Tweak = |_| {};
const CLIENT: ClientTweak = |_| {};

/// What a server row expects: the configuration tweak and the reply codes.
#[derive(Clone, Copy, Debug)]
struct Server(Tweak, &'static [u16]);

const ROWS: &[Row<Server>] = &[
    Row { rfc: "RFC 5321", section: "4.1.4", rule: "MAIL before EHLO is out of sequence", input: "MAIL FROM:<a@b.c>\r\n".as_bytes(), expect: Server(PLAIN, &[503]) },
    Row { rfc: "RFC 5321", section: "4.1.4", rule: "RCPT before MAIL", input: "EHLO c\r\nRCPT TO:<a@b.c>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 503]) },
    Row { rfc: "RFC 5321", section: "4.1.4", rule: "DATA before MAIL", input: "EHLO c\r\nDATA\r\n".as_bytes(), expect: Server(PLAIN, &[250, 503]) },
    Row { rfc: "RFC 5321", section: "3.3", rule: "DATA with no accepted recipient: 554", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nDATA\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 554]) },
    Row { rfc: "RFC 5321", section: "4.1.4", rule: "nested MAIL", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nMAIL FROM:<a@b.c>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 503]) },
    Row { rfc: "RFC 5321", section: "4.2.4", rule: "unknown command: 500", input: "FROB\r\n".as_bytes(), expect: Server(PLAIN, &[500]) },
    Row { rfc: "RFC 5321", section: "4.3.2", rule: "bad syntax: 501", input: "EHLO c\r\nMAIL FROM:a@b.c\r\n".as_bytes(), expect: Server(PLAIN, &[250, 501]) },
    Row { rfc: "RFC 5321", section: "4.1.1.1", rule: "EHLO needs a domain: 501", input: "EHLO\r\n".as_bytes(), expect: Server(PLAIN, &[501]) },
    Row { rfc: "RFC 5321", section: "4.1.1.1", rule: "EHLO with an address literal", input: "EHLO [192.0.2.1]\r\n".as_bytes(), expect: Server(PLAIN, &[250]) },
    Row { rfc: "RFC 5321", section: "2.3.8", rule: "a line ended by bare LF is refused, not run", input: "NOOP\nNOOP\r\n".as_bytes(), expect: Server(PLAIN, &[500, 250]) },
    Row { rfc: "RFC 5321", section: "4.1.1.5", rule: "RSET clears the transaction", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRSET\r\nRCPT TO:<a@b.c>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250, 503]) },
    Row { rfc: "RFC 5321", section: "4.1.4", rule: "EHLO mid-transaction resets it", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nEHLO c\r\nRCPT TO:<a@b.c>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250, 503]) },
    Row { rfc: "RFC 5321", section: "4.5.1", rule: "<Postmaster> without domain is accepted", input: "HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250]) },
    Row { rfc: "RFC 5321", section: "4.1.1.3", rule: "<> is not a recipient", input: "HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 501]) },
    Row { rfc: "RFC 5321", section: "4.1.1.9", rule: "NOOP", input: "NOOP\r\nNOOP hi\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250]) },
    Row { rfc: "RFC 5321", section: "4.1.1.8", rule: "HELP", input: "HELP\r\n".as_bytes(), expect: Server(PLAIN, &[214]) },
    Row { rfc: "RFC 5321", section: "4.1.1.6", rule: "VRFY answered 252 by default", input: "VRFY joe\r\n".as_bytes(), expect: Server(PLAIN, &[252]) },
    Row { rfc: "RFC 5321", section: "4.5.1", rule: "EXPN unimplemented: 502", input: "EXPN list\r\n".as_bytes(), expect: Server(PLAIN, &[502]) },
    Row { rfc: "RFC 5321", section: "4.1.1.10", rule: "QUIT: 221", input: "QUIT\r\nNOOP\r\n".as_bytes(), expect: Server(PLAIN, &[221]) },
    Row { rfc: "RFC 5321", section: "4.1.1.11", rule: "unknown MAIL parameter: 555", input: "EHLO c\r\nMAIL FROM:<a@b.c> FOO=1\r\n".as_bytes(), expect: Server(PLAIN, &[250, 555]) },
    Row { rfc: "RFC 5321", section: "4.1.1.11", rule: "parameters need EHLO", input: "HELO c\r\nMAIL FROM:<a@b.c> SIZE=10\r\n".as_bytes(), expect: Server(PLAIN, &[250, 555]) },
    Row { rfc: "RFC 5321", section: "4.1.2", rule: "source route accepted and ignored", input: "HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<@h.int,@j.org:u@d.bar.org>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250]) },
    Row { rfc: "RFC 5321", section: "4.1.2", rule: "quoted local-part", input: "HELO c\r\nMAIL FROM:<\"a b\"@c.d>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250]) },
    Row { rfc: "RFC 5321", section: "4.5.3.1.1", rule: "local-part over 64 octets: 501", input: "HELO c\r\nMAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.c>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 501]) },
    Row { rfc: "RFC 5321", section: "4.5.3.1.3", rule: "path over the limit: 501", input: "HELO c\r\nMAIL FROM:<abc@def.gh>\r\nMAIL FROM:<abcd@def.gh>\r\n".as_bytes(), expect: Server(|c| c.limits.max_path = 12, &[250, 250, 501]) },
    Row { rfc: "RFC 5321", section: "4.5.3.1.8", rule: "recipients over the limit: 452", input: "HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<a@b.c>\r\nRCPT TO:<b@b.c>\r\nRCPT TO:<c@b.c>\r\n".as_bytes(), expect: Server(|c| c.limits.max_recipients = 2, &[250, 250, 250, 250, 452]) },
    Row { rfc: "RFC 1870", section: "6.1", rule: "declared SIZE over the limit: 552", input: "EHLO c\r\nMAIL FROM:<a@b.c> SIZE=101\r\n".as_bytes(), expect: Server(|c| c.max_message_size = Some(100), &[250, 552]) },
    Row { rfc: "RFC 1870", section: "6.3", rule: "actual size over the limit: 552 after the end", input: "EHLO c\r\nMAIL FROM:<a@b.c> SIZE=5\r\nRCPT TO:<x@y.z>\r\nDATA\r\n0123456789abc\r\n.\r\nNOOP\r\n".as_bytes(), expect: Server(|c| c.max_message_size = Some(10), &[250, 250, 250, 354, 552, 250]) },
    Row { rfc: "RFC 5321", section: "4.5.3.1.6", rule: "text line over the limit fails the transaction", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nshort\r\n0123456789abc\r\n.\r\n".as_bytes(), expect: Server(|c| c.limits.max_text_line = 10, &[250, 250, 250, 354, 500]) },
    Row { rfc: "RFC 6152", section: "2", rule: "BODY=8BITMIME when offered", input: "EHLO c\r\nMAIL FROM:<a@b.c> BODY=8BITMIME\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250]) },
    Row { rfc: "RFC 6152", section: "2", rule: "BODY=8BITMIME not offered: 555", input: "EHLO c\r\nMAIL FROM:<a@b.c> BODY=8BITMIME\r\n".as_bytes(), expect: Server(|c| c.eightbitmime = false, &[250, 555]) },
    Row { rfc: "RFC 3030", section: "3", rule: "BINARYMIME not offered: 555", input: "EHLO c\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\n".as_bytes(), expect: Server(PLAIN, &[250, 555]) },
    Row { rfc: "RFC 6531", section: "3.4", rule: "UTF-8 sender without SMTPUTF8: 501", input: "EHLO c\r\nMAIL FROM:<jö@b.c>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 501]) },
    Row { rfc: "RFC 6531", section: "3.4", rule: "UTF-8 addresses under SMTPUTF8", input: "EHLO c\r\nMAIL FROM:<jö@b.c> SMTPUTF8\r\nRCPT TO:<ü@bücher.example>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250]) },
    Row { rfc: "RFC 6531", section: "3.4", rule: "UTF-8 recipient without SMTPUTF8: 553", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<ü@b.c>\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 553]) },
    Row { rfc: "RFC 6531", section: "", rule: "SMTPUTF8 not offered: 555", input: "EHLO c\r\nMAIL FROM:<a@b.c> SMTPUTF8\r\n".as_bytes(), expect: Server(|c| c.smtputf8 = false, &[250, 555]) },
    Row { rfc: "RFC 3461", section: "4", rule: "DSN parameters accepted when offered", input: "EHLO c\r\nMAIL FROM:<a@b.c> RET=HDRS ENVID=QQ314159\r\nRCPT TO:<x@y.z> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y.z\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250]) },
    Row { rfc: "RFC 3461", section: "4", rule: "DSN parameters without DSN: 555", input: "EHLO c\r\nMAIL FROM:<a@b.c> RET=HDRS\r\n".as_bytes(), expect: Server(|c| c.dsn = false, &[250, 555]) },
    Row { rfc: "RFC 3030", section: "2", rule: "BDAT without a transaction: chunk consumed, 503", input: "EHLO c\r\nBDAT 6\r\nNOOP\r\nNOOP\r\n".as_bytes(), expect: Server(PLAIN, &[250, 503, 250]) },
    Row { rfc: "RFC 3030", section: "2", rule: "BDAT when CHUNKING is off: chunk consumed, 502", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 6\r\nRSET\r\nNOOP\r\n".as_bytes(), expect: Server(|c| c.chunking = false, &[250, 250, 250, 502, 250]) },
    Row { rfc: "RFC 3030", section: "2", rule: "DATA after BDAT: 503", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 2\r\nhiDATA\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250, 250, 503]) },
    Row { rfc: "RFC 3030", section: "2", rule: "BDAT 0 LAST ends an empty message", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 0 LAST\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250, 250]) },
    Row { rfc: "RFC 3030", section: "2", rule: "BDAT over SIZE: 552 after the chunk, then 503 (RFC 1870)", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 6\r\n123456BDAT 1 LAST\r\nx".as_bytes(), expect: Server(|c| c.max_message_size = Some(4), &[250, 250, 250, 552, 503]) },
    Row { rfc: "RFC 3030", section: "3", rule: "BINARYMIME with DATA: 503", input: "EHLO c\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\nRCPT TO:<x@y.z>\r\nDATA\r\n".as_bytes(), expect: Server(|c| c.binarymime = true, &[250, 250, 250, 503]) },
    Row { rfc: "RFC 4954", section: "4", rule: "AUTH not offered: 502", input: "EHLO c\r\nAUTH PLAIN AGEAYg==\r\n".as_bytes(), expect: Server(PLAIN, &[250, 502]) },
    Row { rfc: "RFC 4954", section: "4", rule: "AUTH without TLS when TLS is required: 538", input: "EHLO c\r\nAUTH PLAIN AGEAYg==\r\n".as_bytes(), expect: Server(|c| c.auth = vec![AuthMechanism::Plain], &[250, 538]) },
    Row { rfc: "RFC 4954", section: "4", rule: "AUTH before EHLO: 503", input: "AUTH PLAIN AGEAYg==\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, &[503]) },
    Row { rfc: "RFC 4954", section: "4", rule: "unknown mechanism: 504", input: "EHLO c\r\nAUTH CRAM-MD5\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, &[250, 504]) },
    Row { rfc: "RFC 4954", section: "4", rule: "'*' cancels: 501", input: "EHLO c\r\nAUTH LOGIN\r\n*\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Login]; c.auth_without_tls = true }, &[250, 334, 501]) },
    Row { rfc: "RFC 4954", section: "4", rule: "response not base64: 501", input: "EHLO c\r\nAUTH PLAIN\r\n!!!\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, &[250, 334, 501]) },
    Row { rfc: "RFC 4954", section: "4", rule: "credentials refused by default: 535", input: "EHLO c\r\nAUTH PLAIN AHUAcA==\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, &[250, 535]) },
    Row { rfc: "RFC 4954", section: "4", rule: "AUTH inside a transaction: 503", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nAUTH PLAIN AHUAcA==\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, &[250, 250, 503]) },
    Row { rfc: "RFC 3207", section: "4", rule: "STARTTLS not offered: 502", input: "EHLO c\r\nSTARTTLS\r\n".as_bytes(), expect: Server(PLAIN, &[250, 502]) },
    Row { rfc: "RFC 3207", section: "4", rule: "STARTTLS before EHLO: 503", input: "STARTTLS\r\n".as_bytes(), expect: Server(|c| c.starttls = true, &[503]) },
    Row { rfc: "RFC 3207", section: "4.2", rule: "input pipelined after STARTTLS is discarded (CVE-2011-0411)", input: "EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@x.y>\r\nRCPT TO:<evil@x.y>\r\n".as_bytes(), expect: Server(|c| c.starttls = true, &[250, 220]) },
    Row { rfc: "RFC 2033", section: "4.1", rule: "HELO in LMTP: 500", input: "HELO c\r\nLHLO c\r\n".as_bytes(), expect: Server(|c| c.lmtp = true, &[500, 250]) },
    Row { rfc: "RFC 2033", section: "4.1", rule: "LHLO in SMTP is unknown: 500", input: "LHLO c\r\n".as_bytes(), expect: Server(PLAIN, &[500]) },
    Row { rfc: "RFC 2033", section: "4.2", rule: "one reply per accepted recipient after DATA", input: "LHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nRCPT TO:<y@y.z>\r\nDATA\r\nhi\r\n.\r\n".as_bytes(), expect: Server(|c| c.lmtp = true, &[250, 250, 250, 250, 354, 250, 250]) },
    Row { rfc: "RFC 2920", section: "3.1", rule: "pipelined replies come back in order", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nRCPT TO:<>\r\nNOOP\r\nFROB\r\nRSET\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250, 501, 250, 500, 250]) },
];

#[test]
fn server_conformance_rows() {
    for row in ROWS {
        let Server(tweak, want) = row.expect;
        let mut cfg = config();
        tweak(&mut cfg);
        let (got, _) = run(cfg, row.input);
        assert_eq!(got, want, "{}", row.cite());
    }
}

// ---- every fatal error and every close reason: one row each ----

/// Which machine a row drives, with its configuration tweak.
#[derive(Clone, Copy, Debug)]
enum Role {
    Server(Tweak),
    Client(ClientTweak),
}

/// What happens after the input: nothing, the peer's EOF, or time running out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    Nothing,
    Eof,
    Timeout,
}

/// The machine must end with `Error(kind)` (if given) then `Closed(reason)`, and a
/// server must have sent `code` last.
#[derive(Clone, Copy, Debug)]
struct Ends {
    role: Role,
    then: Then,
    error: Option<ErrorKind>,
    closed: CloseReason,
    code: Option<u16>,
}

const fn ends(role: Role, error: ErrorKind, code: Option<u16>) -> Ends {
    Ends {
        role,
        then: Then::Nothing,
        error: Some(error),
        closed: CloseReason::Error,
        code,
    }
}

const OVERFLOW: &[u8] = &[b'x'; 2000];

const END_ROWS: &[Row<Ends>] = &[
    Row { rfc: "RFC 5321", section: "4.5.4.1", rule: "a server may close after too many errors, with 421", input: b"A\r\nB\r\nC\r\n", expect: ends(Role::Server(|c| c.limits.max_errors = 3), ErrorKind::TooManyErrors, Some(421)) },
    Row { rfc: "RFC 5321", section: "4.5.3.1", rule: "input over the server's buffer limit: 421", input: OVERFLOW, expect: ends(Role::Server(|c| { c.limits.max_buffered = 1024; c.limits.max_auth_line = 512 }), ErrorKind::InputOverflow, Some(421)) },
    Row { rfc: "RFC 5321", section: "4.5.3.1", rule: "input over the client's buffer limit", input: OVERFLOW, expect: ends(Role::Client(|c| c.limits.max_buffered = 1024), ErrorKind::InputOverflow, None) },
    Row { rfc: "RFC 5321", section: "2.3.8", rule: "bare LF in DATA is fatal: 500 5.5.2", input: b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nbare\nlf\r\n.\r\n", expect: ends(Role::Server(PLAIN), ErrorKind::DataBareLf, Some(500)) },
    Row { rfc: "RFC 5321", section: "2.3.8", rule: "bare CR in DATA is fatal: 500 5.5.2", input: b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nbare\rcr\r\n.\r\n", expect: ends(Role::Server(PLAIN), ErrorKind::DataBareCr, Some(500)) },
    Row { rfc: "RFC 5321", section: "4.1.1.4", rule: "<CR><LF>.<LF> is an ambiguous end: fatal even with allow_bare_lf", input: b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nx\r\n.\nMAIL FROM:<e@v.il>\r\n", expect: ends(Role::Server(|c| c.limits.allow_bare_lf = true), ErrorKind::DataSmuggling, Some(500)) },
    Row { rfc: "RFC 5321", section: "3.1", rule: "a greeting other than 220 ends the session (QUIT is still sent)", input: b"554 5.7.1 no\r\n", expect: ends(Role::Client(CLIENT), ErrorKind::GreetingRefused, None) },
    Row { rfc: "RFC 5321", section: "4.1.1.1", rule: "EHLO refused, then HELO refused", input: b"220 mx\r\n502 no\r\n502 no\r\n", expect: ends(Role::Client(CLIENT), ErrorKind::HelloRefused, None) },
    Row { rfc: "RFC 3207", section: "4", rule: "STARTTLS refused", input: b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 no\r\n", expect: ends(Role::Client(|c| c.starttls = true), ErrorKind::StartTlsRefused, None) },
    Row { rfc: "RFC 4954", section: "4", rule: "AUTH refused", input: b"220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n535 5.7.8 no\r\n", expect: ends(Role::Client(|c| { c.credentials = Some(Credentials::new("u", "p")); c.auth_without_tls = true }), ErrorKind::AuthRefused, None) },
    Row { rfc: "RFC 4954", section: "4", rule: "credentials but no usable mechanism offered", input: b"220 mx\r\n250 mx\r\n", expect: ends(Role::Client(|c| c.credentials = Some(Credentials::new("u", "p"))), ErrorKind::AuthNotOffered, None) },
    Row { rfc: "RFC 5321", section: "3.8", rule: "421 may answer any command: the server is closing", input: b"220 mx\r\n421 4.3.2 bye\r\n", expect: ends(Role::Client(CLIENT), ErrorKind::ServiceClosing, None) },
    Row { rfc: "RFC 5321", section: "4.2", rule: "a reply no command waits for", input: b"220 mx\r\n250 mx\r\n250 extra\r\n", expect: ends(Role::Client(CLIENT), ErrorKind::UnexpectedReply, None) },
    Row { rfc: "RFC 3207", section: "5", rule: "plaintext pipelined behind the 220 to STARTTLS is an injection", input: b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n250 injected\r\n", expect: ends(Role::Client(|c| c.starttls = true), ErrorKind::TlsInjection, None) },
    Row { rfc: "RFC 5321", section: "4.5.3.1.5", rule: "a reply line over the limit", input: b"220 this line is too long\r\n", expect: ends(Role::Client(|c| c.limits.max_reply_line = 16), ErrorKind::ReplyLineTooLong, None) },
    Row { rfc: "RFC 5321", section: "2.3.8", rule: "a bare LF in a reply", input: b"220 mx\n", expect: ends(Role::Client(CLIENT), ErrorKind::ReplyBareLf, None) },
    Row { rfc: "RFC 5321", section: "2.3.8", rule: "a bare CR in a reply", input: b"220 m\rx\r\n", expect: ends(Role::Client(CLIENT), ErrorKind::ReplyBareCr, None) },
    Row { rfc: "RFC 5321", section: "4.2", rule: "a reply line starts with a three-digit code", input: b"hello\r\n", expect: ends(Role::Client(CLIENT), ErrorKind::ReplyBadCode, None) },
    Row { rfc: "RFC 5321", section: "4.2.1", rule: "every line of a reply has the same code", input: b"220-mx\r\n250 x\r\n", expect: ends(Role::Client(CLIENT), ErrorKind::ReplyCodeMismatch, None) },
    Row { rfc: "RFC 5321", section: "4.2.1", rule: "a reply of more lines than the limit", input: b"220-a\r\n220-b\r\n220 c\r\n", expect: ends(Role::Client(|c| c.limits.max_reply_lines = 2), ErrorKind::ReplyTooManyLines, None) },
    Row { rfc: "RFC 5321", section: "4.1.1.10", rule: "QUIT: 221 and the orderly end (server)", input: b"QUIT\r\nNOOP\r\n", expect: Ends { role: Role::Server(PLAIN), then: Then::Nothing, error: None, closed: CloseReason::Done, code: Some(221) } },
    Row { rfc: "RFC 5321", section: "4.1.1.10", rule: "QUIT answered with 221: the orderly end (client)", input: b"220 mx\r\n250 mx\r\n221 bye\r\n", expect: Ends { role: Role::Client(CLIENT), then: Then::Nothing, error: None, closed: CloseReason::Done, code: None } },
    Row { rfc: "RFC 5321", section: "3.8", rule: "the client closed mid-line (server)", input: b"NOOP\r\nNOO", expect: Ends { role: Role::Server(PLAIN), then: Then::Eof, error: None, closed: CloseReason::PeerClosed { unterminated: 3 }, code: Some(250) } },
    Row { rfc: "RFC 5321", section: "3.8", rule: "the server closed without 221 (client)", input: b"220 mx\r\n25", expect: Ends { role: Role::Client(CLIENT), then: Then::Eof, error: None, closed: CloseReason::PeerClosed { unterminated: 2 }, code: None } },
    Row { rfc: "RFC 5321", section: "4.5.3.2.7", rule: "the server's idle timeout: 421 4.4.2", input: b"NOOP\r\n", expect: Ends { role: Role::Server(PLAIN), then: Then::Timeout, error: None, closed: CloseReason::Timeout, code: Some(421) } },
    Row { rfc: "RFC 5321", section: "4.5.3.2.1", rule: "the client's greeting timeout", input: b"", expect: Ends { role: Role::Client(CLIENT), then: Then::Timeout, error: None, closed: CloseReason::Timeout, code: None } },
];

/// Runs a row; returns the Debug forms of the events and the machine's output.
fn run_end_row(row: &Row<Ends>) -> (Vec<String>, Vec<u8>) {
    let e = row.expect;
    let mut names = Vec::new();
    let mut out = Vec::new();
    match e.role {
        Role::Server(tweak) => {
            let mut cfg = config();
            tweak(&mut cfg);
            let mut s = wirestate::smtp::Server::new(cfg);
            drain_bytes(&mut s);
            s.handle_input(Instant::ZERO, row.input);
            let finish = |s: &mut wirestate::smtp::Server, names: &mut Vec<String>| {
                while let Some(ev) = s.poll_event() {
                    names.push(format!("{ev:?}"));
                    answer(s, ev);
                }
            };
            finish(&mut s, &mut names);
            match e.then {
                Then::Eof => s.handle_eof(Instant::ZERO),
                Then::Timeout => s.handle_timeout(s.poll_timeout().expect("a deadline")),
                Then::Nothing => {}
            }
            finish(&mut s, &mut names);
            out = drain_bytes(&mut s);
            assert!(s.is_closed(), "{}", row.cite());
        }
        Role::Client(tweak) => {
            let mut cfg = ClientConfig::default();
            tweak(&mut cfg);
            let mut c = Client::new(cfg);
            c.handle_input(Instant::ZERO, row.input);
            // The client says QUIT when idle only where the script answers it.
            let quit = row.input.windows(4).any(|w| w == b"221 ");
            let finish = |c: &mut Client, names: &mut Vec<String>| {
                while let Some(ev) = c.poll_event() {
                    if ev == ClientEvent::Ready && quit {
                        c.quit().unwrap();
                    }
                    names.push(format!("{ev:?}"));
                }
            };
            finish(&mut c, &mut names);
            match e.then {
                Then::Eof => c.handle_eof(Instant::ZERO),
                Then::Timeout => c.handle_timeout(c.poll_timeout().expect("a deadline")),
                Then::Nothing => {}
            }
            finish(&mut c, &mut names);
            assert!(c.is_closed(), "{}", row.cite());
        }
    }
    (names, out)
}

#[test]
fn end_rows() {
    for row in END_ROWS {
        let e = row.expect;
        let (names, out) = run_end_row(row);
        let last = names.last().cloned().unwrap_or_default();
        assert_eq!(
            last,
            format!("Closed({:?})", e.closed),
            "{}: {names:?}",
            row.cite()
        );
        assert_eq!(
            names.iter().filter(|n| n.starts_with("Closed(")).count(),
            1,
            "{}",
            row.cite()
        );
        match e.error {
            Some(kind) => {
                let err = &names[names.len() - 2];
                assert!(
                    err.starts_with(&format!("Error(Error {{ kind: {kind:?},")),
                    "{}: {names:?}",
                    row.cite()
                );
            }
            None => assert!(
                !names.iter().any(|n| n.starts_with("Error(")),
                "{}: {names:?}",
                row.cite()
            ),
        }
        if let Some(code) = e.code {
            assert_eq!(codes(&out).last(), Some(&code), "{}", row.cite());
            if let Some(kind) = e.error {
                assert_eq!(kind.reply_code(), Some(code), "{}", row.cite());
            }
        }
    }
}

/// Every error kind and every close reason the machines produce has a row above.
/// `CloseReason::Local` is the one they never produce: neither machine has a local
/// close (QUIT is `Done`).
#[test]
fn every_error_kind_and_close_reason_has_a_row() {
    for kind in ErrorKind::ALL {
        assert!(
            END_ROWS.iter().any(|r| r.expect.error == Some(*kind)),
            "no row for {kind:?}"
        );
    }
    let reasons = [
        CloseReason::Done,
        CloseReason::PeerClosed { unterminated: 0 },
        CloseReason::Timeout,
        CloseReason::Error,
    ];
    for reason in reasons {
        let same = |r: &CloseReason| std::mem::discriminant(r) == std::mem::discriminant(&reason);
        for role in ["server", "client"] {
            let found = END_ROWS.iter().any(|r| {
                same(&r.expect.closed)
                    && matches!(
                        (role, r.expect.role),
                        ("server", Role::Server(_)) | ("client", Role::Client(_))
                    )
            });
            assert!(found, "no {role} row for {reason:?}");
        }
    }
}

// ---- server behaviour beyond reply codes ----

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
    assert!(!format!("{ccfg:?}").contains(pw));
    let client = Client::new(ccfg);
    assert!(!format!("{client:?}").contains(pw));
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

// ---- client rows ----

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

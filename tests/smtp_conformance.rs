//! Conformance rows: one per RFC rule, each a `common::Row` with its section, checked
//! against the server (reply codes for a client input) and the client (what it sends or
//! refuses). Every `ErrorKind` and every `CloseReason` the machines produce has a row,
//! and a test fails when one is missing.

mod common;
mod smtp_common;

use common::{drain_bytes, Row};
use smtp_common::*;
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
    Row { rfc: "RFC 4954", section: "4", rule: "credentials refused by default: 535", input: "EHLO c\r\nAUTH PLAIN AHUAcA==\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true; c.timeouts.failed_login_delay = None }, &[250, 535]) },
    Row { rfc: "RFC 4954", section: "6", rule: "a failed login's 535 is held for failed_login_delay, and nothing after it is decoded meanwhile", input: "EHLO c\r\nAUTH PLAIN AHUAcA==\r\nNOOP\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, &[250]) },
    Row { rfc: "RFC 4954", section: "6", rule: "a failed login below max_failed_logins leaves the session usable", input: "EHLO c\r\nAUTH PLAIN AHUAcA==\r\nAUTH PLAIN AHUAcA==\r\nNOOP\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true; c.timeouts.failed_login_delay = None; c.limits.max_failed_logins = 3 }, &[250, 535, 535, 250]) },
    Row { rfc: "RFC 4954", section: "4", rule: "AUTH inside a transaction: 503", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nAUTH PLAIN AHUAcA==\r\n".as_bytes(), expect: Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true }, &[250, 250, 503]) },
    Row { rfc: "RFC 3207", section: "4", rule: "STARTTLS not offered: 502", input: "EHLO c\r\nSTARTTLS\r\n".as_bytes(), expect: Server(PLAIN, &[250, 502]) },
    Row { rfc: "RFC 3207", section: "4", rule: "STARTTLS before EHLO: 503", input: "STARTTLS\r\n".as_bytes(), expect: Server(|c| c.starttls = true, &[503]) },
    Row { rfc: "RFC 3207", section: "4.2", rule: "input pipelined after STARTTLS is discarded (CVE-2011-0411)", input: "EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@x.y>\r\nRCPT TO:<evil@x.y>\r\n".as_bytes(), expect: Server(|c| c.starttls = true, &[250, 220]) },
    Row { rfc: "RFC 2033", section: "4.1", rule: "HELO in LMTP: 500", input: "HELO c\r\nLHLO c\r\n".as_bytes(), expect: Server(|c| c.lmtp = true, &[500, 250]) },
    Row { rfc: "RFC 2033", section: "4.1", rule: "LHLO in SMTP is unknown: 500", input: "LHLO c\r\n".as_bytes(), expect: Server(PLAIN, &[500]) },
    Row { rfc: "RFC 2033", section: "4.2", rule: "one reply per accepted recipient after DATA", input: "LHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nRCPT TO:<y@y.z>\r\nDATA\r\nhi\r\n.\r\n".as_bytes(), expect: Server(|c| c.lmtp = true, &[250, 250, 250, 250, 354, 250, 250]) },
    Row { rfc: "RFC 2920", section: "3.1", rule: "pipelined replies come back in order", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nRCPT TO:<>\r\nNOOP\r\nFROB\r\nRSET\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250, 501, 250, 500, 250]) },
    Row { rfc: "RFC 5322", section: "2.3, 3.5", rule: "NUL in DATA under NulPolicy::Reject: 554 5.6.0 after the end, the session goes on", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\none\x00\r\n.\r\nNOOP\r\n".as_bytes(), expect: Server(|c| c.nul = NulPolicy::Reject, &[250, 250, 250, 354, 554, 250]) },
    Row { rfc: "RFC 5321", section: "4.5.2", rule: "<CR><LF><NUL>.<CR><LF> is no end of data; the message is refused, the next one taken", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\none\r\n\x00.\r\nRCPT TO:<evil@y.z>\r\n.\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nok\r\n.\r\n".as_bytes(), expect: Server(|c| c.nul = NulPolicy::Reject, &[250, 250, 250, 354, 554, 250, 250, 354, 250]) },
    Row { rfc: "RFC 5322", section: "4.1", rule: "NulPolicy::Accept (the default) passes NUL through as data", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\none\x00\r\n.\r\n".as_bytes(), expect: Server(PLAIN, &[250, 250, 250, 354, 250]) },
    Row { rfc: "RFC 5322", section: "2.3", rule: "NUL in a BDAT chunk without BINARYMIME under NulPolicy::Reject: chunk dropped, 554 5.6.0", input: "EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 5 LAST\r\na\x00b\r\nNOOP\r\n".as_bytes(), expect: Server(|c| c.nul = NulPolicy::Reject, &[250, 250, 250, 554, 250]) },
    Row { rfc: "RFC 3030", section: "3", rule: "NUL under BODY=BINARYMIME is data even under NulPolicy::Reject", input: "EHLO c\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\nRCPT TO:<x@y.z>\r\nBDAT 5 LAST\r\na\x00b\r\n".as_bytes(), expect: Server(|c| { c.binarymime = true; c.nul = NulPolicy::Reject }, &[250, 250, 250, 250]) },
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
    Row { rfc: "RFC 5321", section: "3.8", rule: "the max_failed_logins-th failed login is answered 421 4.7.0 and closes (RFC 4954 6)", input: b"EHLO c\r\nAUTH PLAIN AHUAcA==\r\nAUTH PLAIN AHUAcA==\r\nNOOP\r\n", expect: ends(Role::Server(|c| { c.auth = vec![AuthMechanism::Plain]; c.auth_without_tls = true; c.timeouts.failed_login_delay = None; c.limits.max_failed_logins = 2 }), ErrorKind::TooManyFailedLogins, Some(421)) },
    Row { rfc: "RFC 5321", section: "4.5.3.1", rule: "input over the server's buffer limit: 421", input: OVERFLOW, expect: ends(Role::Server(|c| { c.limits.max_buffered = 1024; c.limits.max_auth_line = 512 }), ErrorKind::InputOverflow, Some(421)) },
    Row { rfc: "RFC 5321", section: "4.5.3.1", rule: "input over the client's buffer limit", input: OVERFLOW, expect: ends(Role::Client(|c| c.limits.max_buffered = 1024), ErrorKind::InputOverflow, None) },
    Row { rfc: "RFC 5321", section: "2.3.8", rule: "bare LF in DATA is fatal: 421 4.5.2 and close", input: b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nbare\nlf\r\n.\r\n", expect: ends(Role::Server(PLAIN), ErrorKind::DataBareLf, Some(421)) },
    Row { rfc: "RFC 5321", section: "2.3.8", rule: "bare CR in DATA is fatal: 421 4.5.2 and close", input: b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nbare\rcr\r\n.\r\n", expect: ends(Role::Server(PLAIN), ErrorKind::DataBareCr, Some(421)) },
    Row { rfc: "RFC 5321", section: "3.8", rule: "a server that closes on broken DATA framing says so with 421 (4.2.4: it closes only after QUIT or 421)", input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\na\n.\r\nMAIL FROM:<e@v.il>\r\n", expect: ends(Role::Server(PLAIN), ErrorKind::DataBareLf, Some(421)) },
    Row { rfc: "RFC 5321", section: "4.1.1.4", rule: "<CR><LF>.<LF> is an ambiguous end: fatal even with allow_bare_lf", input: b"HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nx\r\n.\nMAIL FROM:<e@v.il>\r\n", expect: ends(Role::Server(|c| c.limits.allow_bare_lf = true), ErrorKind::DataSmuggling, Some(421)) },
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

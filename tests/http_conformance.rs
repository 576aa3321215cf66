//! Conformance tables: one `common::Row` per RFC 9112 / RFC 9110 framing rule, each
//! citing its section. Every row is also fed in every split (chunking invariance), and a
//! rejected request must get the status its rule names, then a close. Every
//! `ErrorKind`, every local-send rule and every `CloseReason` the machines produce has a
//! row, checked by the `every_*` tests at the end.

mod common;
#[path = "http_support/mod.rs"]
mod http_support;

use bytes::Bytes;
use common::{assert_chunking_invariant, drain_bytes, events, Row};
use http_support::*;
use std::mem::discriminant;
use wirestate::http::{
    BodyKind, Client, ClientConfig, Connection, ErrorKind, Headers, Limits, Method, RequestHead,
    ResponseHead, Server, ServerConfig, ServerEvent, StatusCode,
};
use wirestate::{CloseReason, Instant, Machine, SendError};

/// The expected outcome of a row.
#[derive(Debug)]
enum Want {
    /// Accepted: the request completes with this body.
    Body(&'static [u8]),
    /// Rejected with this rule and status.
    Reject(ErrorKind, u16),
    /// A fatal error with no answer (nobody is left to read one).
    Dropped(ErrorKind),
}

/// A row from the tables' compact form: `"9112 6.1"` is RFC 9112 section 6.1. The input
/// lives for the whole test run.
fn row<E>(cite: &'static str, rule: &'static str, input: String, expect: E) -> Row<E> {
    let (rfc, section) = cite.split_once(' ').expect("RFC number, then section");
    let rfc = match rfc {
        "9112" => "RFC 9112",
        "9110" => "RFC 9110",
        "6585" => "RFC 6585",
        other => panic!("unknown RFC {other}"),
    };
    Row {
        rfc,
        section,
        rule,
        input: Box::leak(input.into_bytes().into_boxed_slice()),
        expect,
    }
}

use ErrorKind as K;
use Want::{Body, Dropped, Reject};

const POST: &str = "POST / HTTP/1.1\r\nHost: a\r\n";

/// Requests with the default limits: (section, rule, request bytes, expected outcome).
fn request_rows() -> Vec<Row<Want>> {
    request_table()
        .into_iter()
        .map(|(c, rule, input, want)| row(c, rule, input, want))
        .collect()
}

fn request_table() -> Vec<(&'static str, &'static str, String, Want)> {
    let chunked = |body: &str| format!("{POST}Transfer-Encoding: chunked\r\n\r\n{body}");
    vec![
        (
            "9112 6.1, 11.2",
            "Content-Length with Transfer-Encoding is rejected",
            format!("{POST}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            Reject(K::ContentLengthWithTransferEncoding, 400),
        ),
        (
            "9112 6.1, 11.2",
            "Transfer-Encoding before Content-Length is rejected too",
            format!("{POST}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"),
            Reject(K::ContentLengthWithTransferEncoding, 400),
        ),
        (
            "9112 6.3 item 5",
            "differing Content-Length fields are rejected",
            format!("{POST}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
            Reject(K::ConflictingContentLength, 400),
        ),
        (
            "9112 6.3 item 5",
            "a Content-Length list with differing values is rejected",
            format!("{POST}Content-Length: 3, 4\r\n\r\nabcd"),
            Reject(K::ConflictingContentLength, 400),
        ),
        (
            "9110 8.6",
            "identical repeated Content-Length values may be accepted",
            format!("{POST}Content-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc"),
            Body(b"abc"),
        ),
        (
            "9110 8.6",
            "Content-Length with a plus sign is invalid",
            format!("{POST}Content-Length: +3\r\n\r\nabc"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "Content-Length with a minus sign is invalid",
            format!("{POST}Content-Length: -1\r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "Content-Length with a space inside is invalid",
            format!("{POST}Content-Length: 1 2\r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "Content-Length with non-digits is invalid",
            format!("{POST}Content-Length: 0x10\r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "an empty Content-Length is invalid",
            format!("{POST}Content-Length: \r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "a Content-Length above u64 is invalid",
            format!("{POST}Content-Length: 99999999999999999999\r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9112 6.3 item 4",
            "a request whose only coding is not chunked gets 400",
            format!("{POST}Transfer-Encoding: gzip\r\n\r\n"),
            Reject(K::TransferEncodingNotChunked, 400),
        ),
        (
            "9112 6.3 item 4",
            "a request whose final coding is not chunked gets 400",
            format!("{POST}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
            Reject(K::TransferEncodingNotChunked, 400),
        ),
        (
            "9112 6.1",
            "chunked listed twice is rejected",
            format!("{POST}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
            Reject(K::ChunkedTwice, 400),
        ),
        (
            "9112 6.1",
            "chunked twice across two fields is rejected",
            format!(
                "{POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            ),
            Reject(K::ChunkedTwice, 400),
        ),
        (
            "9112 6.1, 9110 5.6.1",
            "codings before a final chunked, empty list elements, any case",
            format!("{POST}Transfer-Encoding: gzip, , CHUNKED\r\n\r\n2\r\nab\r\n0\r\n\r\n"),
            Body(b"ab"),
        ),
        (
            "9112 6.1",
            "Transfer-Encoding in an HTTP/1.0 request is faulty framing",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(),
            Reject(K::TransferEncodingInHttp10, 400),
        ),
        (
            "9112 5.2",
            "obs-fold in a request is rejected",
            format!("{POST}X-A: 1\r\n 2\r\n\r\n"),
            Reject(K::ObsFold, 400),
        ),
        (
            "9112 5.2",
            "obs-fold with HTAB is rejected",
            format!("{POST}X-A: 1\r\n\tTransfer-Encoding: chunked\r\n\r\n"),
            Reject(K::ObsFold, 400),
        ),
        (
            "9112 5.1",
            "whitespace between field name and colon is rejected",
            format!("{POST}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
            Reject(K::WhitespaceBeforeColon, 400),
        ),
        (
            "9112 2.2",
            "a bare CR in a field value is rejected (llhttp #174 pattern)",
            format!("{POST}X-Abc: \rxTransfer-Encoding: chunked\r\n\r\n"),
            Reject(K::BareCr, 400),
        ),
        (
            "9112 2.2",
            "a bare CR in a field name is rejected",
            format!("{POST}X\rY: a\r\n\r\n"),
            Reject(K::BareCr, 400),
        ),
        (
            "9112 2.2",
            "a bare CR in the request line is rejected",
            "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::BareCr, 400),
        ),
        (
            "9112 2.2",
            "a bare LF ending a head line is rejected by default",
            format!("{POST}X: 1\nContent-Length: 0\r\n\r\n"),
            Reject(K::BareLf, 400),
        ),
        (
            "9112 7.1",
            "a bare LF ending a chunk-size line is rejected",
            chunked("1\nx\r\n0\r\n\r\n"),
            Reject(K::BareLf, 400),
        ),
        (
            "9112 7.1.1",
            "a bare LF inside a chunk extension is rejected (CVE-2025-22871)",
            chunked("1;a=b\nx\r\n0\r\n\r\n"),
            Reject(K::BareLf, 400),
        ),
        (
            "9112 7.1.1",
            "a bare CR inside a chunk extension is rejected",
            chunked("1;a\r=b\r\nx\r\n0\r\n\r\n"),
            Reject(K::BareCr, 400),
        ),
        (
            "9112 7.1",
            "a chunk-size longer than the digit limit is rejected",
            chunked("10000000000000000\r\n"),
            Reject(K::ChunkSizeTooLong { limit: 16 }, 400),
        ),
        (
            "9112 7.1",
            "an empty chunk-size line is not zero (httparse hole)",
            chunked("\r\n\r\n"),
            Reject(K::InvalidChunkSize, 400),
        ),
        (
            "9112 7.1",
            "a chunk-size with 0x is invalid",
            chunked("0x1\r\nx\r\n0\r\n\r\n"),
            Reject(K::InvalidChunkSize, 400),
        ),
        (
            "9112 7.1",
            "a negative chunk-size is invalid",
            chunked("-1\r\nx\r\n0\r\n\r\n"),
            Reject(K::InvalidChunkSize, 400),
        ),
        (
            "9112 7.1",
            "chunk data must be followed by CRLF",
            chunked("1\r\nxy\r\n0\r\n\r\n"),
            Reject(K::MissingChunkCrlf, 400),
        ),
        (
            "9112 7.1.1",
            "a chunk extension needs a name",
            chunked("1;=x\r\nx\r\n0\r\n\r\n"),
            Reject(K::InvalidChunkExtension, 400),
        ),
        (
            "9112 7.1.1",
            "chunk extensions with BWS, tokens and quoted strings are fine",
            chunked("1 ; a = b ;c=\"d \\\" e\";f\r\nx\r\n0\r\n\r\n"),
            Body(b"x"),
        ),
        (
            "9112 7.1.1",
            "an unterminated quoted extension value is invalid",
            chunked("1;a=\"b\r\nx\r\n0\r\n\r\n"),
            Reject(K::InvalidChunkExtension, 400),
        ),
        (
            "9112 7.1, 9110 6.5.1",
            "trailers are delivered; framing fields in them are refused",
            chunked("1\r\nx\r\n0\r\nContent-Length: 5\r\n\r\n"),
            Reject(K::ForbiddenTrailer, 400),
        ),
        (
            "9110 6.5.1",
            "Transfer-Encoding is refused as a trailer",
            chunked("1\r\nx\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Reject(K::ForbiddenTrailer, 400),
        ),
        (
            "9110 5.5",
            "a NUL in a field value is rejected",
            format!("{POST}X: a\0b\r\n\r\n"),
            Reject(K::InvalidHeaderValue, 400),
        ),
        (
            "9110 5.5",
            "other controls in a field value are rejected",
            format!("{POST}X: a\x01b\r\n\r\n"),
            Reject(K::InvalidHeaderValue, 400),
        ),
        (
            "9110 5.5",
            "obs-text and HTAB in a field value are allowed",
            format!("{POST}X: caf\u{e9}\tok\r\nContent-Length: 1\r\n\r\nz"),
            Body(b"z"),
        ),
        (
            "9112 3.2",
            "a NUL in the request-target is rejected",
            "GET /a\0 HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidTarget, 400),
        ),
        (
            "9112 3.2",
            "an HTTP/1.1 request without Host gets 400",
            "GET / HTTP/1.1\r\n\r\n".into(),
            Reject(K::BadHost, 400),
        ),
        (
            "9112 3.2",
            "a request with two Host fields gets 400",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".into(),
            Reject(K::BadHost, 400),
        ),
        (
            "9112 3.2",
            "an HTTP/1.0 request may omit Host",
            "GET / HTTP/1.0\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 3.2.3",
            "CONNECT needs the authority form",
            "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidTarget, 400),
        ),
        (
            "9112 3.2.3",
            "the authority form is for CONNECT only",
            "GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidTarget, 400),
        ),
        (
            "9112 3.2.4",
            "the asterisk form is for OPTIONS only",
            "GET * HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidTarget, 400),
        ),
        (
            "9112 3.2.4",
            "OPTIONS * is fine",
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 3.2.2",
            "the absolute form is accepted",
            "GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 2.3, 9110 2.5",
            "a major version other than 1 gets 505",
            "GET / HTTP/2.0\r\nHost: a\r\n\r\n".into(),
            Reject(K::UnsupportedVersion, 505),
        ),
        (
            "9112 2.3",
            "HTTP-version is case-sensitive",
            "GET / http/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidVersion, 400),
        ),
        (
            "9110 2.5",
            "a higher 1.x minor version is read as 1.1",
            "GET / HTTP/1.7\r\nHost: a\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 3",
            "exactly one SP between request-line parts",
            "GET  / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidRequestLine, 400),
        ),
        (
            "9112 3",
            "the method is a token",
            "G(T / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidRequestLine, 400),
        ),
        (
            "9112 5",
            "a field line needs a colon",
            format!("{POST}NoColon\r\n\r\n"),
            Reject(K::InvalidHeaderName, 400),
        ),
        (
            "9112 5, 9110 5.1",
            "a field name is a non-empty token",
            format!("{POST}: empty\r\n\r\n"),
            Reject(K::InvalidHeaderName, 400),
        ),
        (
            "9110 5.1",
            "a field name with a delimiter is rejected",
            format!("{POST}X(a): 1\r\n\r\n"),
            Reject(K::InvalidHeaderName, 400),
        ),
        (
            "9110 9.3.6",
            "a CONNECT request with a Content-Length is refused: it has no content",
            "CONNECT foo.bar.com:443 HTTP/1.0\r\nContent-Length: 10\r\n\r\nblarfcicle\"".into(),
            Reject(K::FramingInConnect, 400),
        ),
        (
            "9110 9.3.6",
            "a CONNECT request with Transfer-Encoding is refused: it has no content",
            "CONNECT a:443 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                .into(),
            Reject(K::FramingInConnect, 400),
        ),
        (
            "9110 9.3.6",
            "a CONNECT request with Content-Length: 0 says no content and is read",
            "CONNECT a:443 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 6.3 item 6",
            "a request without framing fields has no body",
            format!("{POST}\r\n"),
            Body(b""),
        ),
        (
            "9112 6.3 item 5",
            "a Content-Length body is exactly that long",
            format!("{POST}Content-Length: 2\r\n\r\nab"),
            Body(b"ab"),
        ),
    ]
}

/// Requests under limits smaller than the defaults, and truncated requests.
fn limit_rows() -> Vec<Row<(Limits, Want)>> {
    let chunked = |size: &str| format!("{POST}Transfer-Encoding: chunked\r\n\r\n{size}");
    vec![
        row(
            "6585 5",
            "a head over the size limit gets 431",
            format!("{POST}X-Pad: {}\r\n\r\n", "a".repeat(100)),
            (
                limits(|l| l.max_head = 64),
                Reject(K::HeadTooLarge { limit: 64 }, 431),
            ),
        ),
        row(
            "9112 2.2",
            "empty lines before a request-line count against the head limit",
            format!("{}GET / HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n".repeat(40)),
            (
                limits(|l| l.max_head = 64),
                Reject(K::HeadTooLarge { limit: 64 }, 431),
            ),
        ),
        row(
            "9112 3",
            "a request-line over the length limit gets 414",
            format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(40)),
            (
                limits(|l| l.max_request_line = 32),
                Reject(K::RequestLineTooLong { limit: 32 }, 414),
            ),
        ),
        row(
            "6585 5",
            "more field lines than the limit gets 431",
            format!("{POST}A: 1\r\nB: 2\r\n\r\n"),
            (
                limits(|l| l.max_headers = 2),
                Reject(K::TooManyHeaders { limit: 2 }, 431),
            ),
        ),
        row(
            "9112 7.1",
            "a chunk-size that overflows 64 bits is rejected",
            chunked("10000000000000000\r\n"),
            (
                limits(|l| l.max_chunk_size_digits = 32),
                Reject(K::ChunkSizeOverflow, 400),
            ),
        ),
        row(
            "9112 7.1.1",
            "chunk extensions over the length limit are rejected",
            chunked(&format!("1;{}\r\nx\r\n0\r\n\r\n", "a".repeat(40))),
            (
                limits(|l| l.max_chunk_ext = 16),
                Reject(K::ChunkExtensionTooLong { limit: 16 }, 400),
            ),
        ),
        row(
            "9112 8",
            "a connection closed inside a body is an incomplete message",
            format!("{POST}Content-Length: 5\r\n\r\nab"),
            (Limits::default(), Dropped(K::IncompleteMessage)),
        ),
    ]
}

/// Checks one server row fed whole and at every split.
fn check_request(cite: String, limits: Limits, input: &[u8], want: &Want) {
    {
        let (evs, out) = assert_chunking_invariant(|| Echo::new(limits), input);
        let section = &cite;
        let errors: Vec<_> = evs
            .iter()
            .filter_map(|e| match e {
                Ev::Error(e) => Some(e),
                _ => None,
            })
            .collect();
        match want {
            Body(body) => {
                assert!(errors.is_empty(), "{section}: {errors:?}");
                let ends = evs.iter().filter(|e| matches!(e, Ev::End(_))).count();
                assert_eq!(ends, 1, "{section}: {evs:?}");
                let data: Vec<u8> = evs
                    .iter()
                    .filter_map(|e| match e {
                        Ev::Data(d) => Some(d.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                assert_eq!(data, *body, "{section}");
                assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"), "{section}");
            }
            Reject(kind, status) => {
                assert_eq!(
                    errors.iter().map(|e| e.kind).collect::<Vec<_>>(),
                    [*kind],
                    "{section}"
                );
                let line = format!("HTTP/1.1 {status} ");
                let text = String::from_utf8_lossy(&out);
                assert!(text.starts_with(&line), "{section}: {text}");
                assert!(text.contains("Connection: close\r\n"), "{section}");
                // The error says where: inside the input.
                assert!(errors[0].offset <= input.len() as u64, "{section}");
                assert_eq!(
                    evs.last(),
                    Some(&Ev::Closed(CloseReason::Error)),
                    "{section}: Closed last"
                );
            }
            Dropped(kind) => {
                assert_eq!(
                    errors.iter().map(|e| e.kind).collect::<Vec<_>>(),
                    [*kind],
                    "{section}"
                );
                assert!(
                    !String::from_utf8_lossy(&out).contains("HTTP/1.1 4"),
                    "{section}"
                );
                assert_eq!(evs.last(), Some(&Ev::Closed(CloseReason::Error)));
            }
        }
    }
}

#[test]
fn request_framing_conformance_table() {
    for r in request_rows() {
        check_request(r.cite(), Limits::default(), r.input, &r.expect);
    }
}

#[test]
fn request_limits_conformance_table() {
    for r in limit_rows() {
        check_request(r.cite(), r.expect.0, r.input, &r.expect.1);
    }
}

/// RFC 9112 6.3 / 9110 8.6: the undecoded-input bound holds when a peer sends more than
/// the caller drains (fed whole: fed in pieces and drained, it never fills).
#[test]
fn undrained_input_over_the_buffer_limit_gets_413() {
    let mut s = server(limits(|l| l.max_buffered = 32));
    s.handle_input(
        Instant::ZERO,
        format!("{POST}Content-Length: 40\r\n\r\n").as_bytes(),
    );
    s.handle_input(Instant::ZERO, &[b'x'; 40]);
    let evs = events(&mut s);
    assert!(
        evs.iter()
            .any(|e| matches!(e, ServerEvent::Error(e) if e.kind == K::BufferFull { limit: 32 })),
        "{evs:?}"
    );
    assert!(String::from_utf8_lossy(&drain_bytes(&mut s)).starts_with("HTTP/1.1 413 "));
}

/// Responses to a GET: expected outcome, and whether the connection is reusable after.
fn response_rows() -> Vec<Row<(Want, bool)>> {
    response_table()
        .into_iter()
        .map(|(c, rule, input, want, reusable)| row(c, rule, input.into(), (want, reusable)))
        .collect()
}

/// (section, rule, response bytes after a GET, expected outcome, connection reusable)
fn response_table() -> Vec<(&'static str, &'static str, &'static str, Want, bool)> {
    vec![
        ("9112 6.3 item 3", "Transfer-Encoding overrides Content-Length; no reuse after",
            "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            Body(b"ok"), false),
        ("9112 6.3 item 4", "a response whose final coding is not chunked runs to close",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzipped",
            Body(b"zipped"), false),
        ("9112 6.3 item 5", "differing Content-Length values are invalid",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
            Reject(K::ConflictingContentLength, 0), false),
        ("9110 8.6", "Content-Length with a sign is invalid",
            "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nab",
            Reject(K::InvalidContentLength, 0), false),
        ("9112 6.3 item 8", "neither length nor chunked: close-delimited",
            "HTTP/1.1 200 OK\r\n\r\nto the end",
            Body(b"to the end"), false),
        ("9112 6.1", "chunked twice is faulty in a response too",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
            Reject(K::ChunkedTwice, 0), false),
        ("9112 6.1", "Transfer-Encoding in an HTTP/1.0 response is faulty framing",
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            Reject(K::TransferEncodingInHttp10, 0), false),
        ("9112 5.2", "a user agent MUST replace obs-fold in a response with SP",
            "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
            Body(b"ok"), true),
        ("9112 5.2", "HTAB folds and several folds in one value are replaced too",
            "HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\n  c\r\nContent-Length: 1\r\n\r\nx",
            Body(b"x"), true),
        ("9112 5.2", "a folded Content-Length is interpreted after unfolding",
            "HTTP/1.1 200 OK\r\nContent-Length:\r\n 3\r\n\r\nabc",
            Body(b"abc"), true),
        ("9112 5.2", "a folded Transfer-Encoding is interpreted after unfolding",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            Body(b"ok"), true),
        ("9112 5.2, 9110 8.6", "digits split by a fold are not a Content-Length",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 2\r\n\r\n12",
            Reject(K::InvalidContentLength, 0), false),
        ("9112 5.2, 6.1", "chunked twice across a fold is still chunked twice",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n chunked\r\n\r\n0\r\n\r\n",
            Reject(K::ChunkedTwice, 0), false),
        ("9112 2.2", "whitespace before the first field line is rejected, not unfolded",
            "HTTP/1.1 200 OK\r\n X: a\r\nContent-Length: 0\r\n\r\n",
            Reject(K::ObsFold, 0), false),
        ("9112 2.2, 5.2", "a bare CR before a fold stays a bare CR",
            "HTTP/1.1 200 OK\r\nX: a\r\r\n b\r\nContent-Length: 0\r\n\r\n",
            Reject(K::BareCr, 0), false),
        ("9112 2.2, 5.2", "a fold after a bare LF stays a bare LF unless opted in",
            "HTTP/1.1 200 OK\r\nX: a\n b\r\nContent-Length: 0\r\n\r\n",
            Reject(K::BareLf, 0), false),
        ("9112 4", "the status code is three digits",
            "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
            Reject(K::InvalidStatusLine, 0), false),
        ("9112 2.2", "a bare CR in the reason phrase is rejected",
            "HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n",
            Reject(K::BareCr, 0), false),
        ("9112 4", "an empty reason phrase is fine, with or without its SP",
            "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",
            Body(b"x"), true),
        ("9112 9.3", "an HTTP/1.0 response without keep-alive ends the connection",
            "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
            Body(b"x"), false),
        ("9112 9.3", "Connection: close ends the connection",
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
            Body(b"x"), false),
        ("9112 2.2", "empty lines before a status line are skipped",
            "\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Body(b"ok"), true),
        ("9112 2.2", "empty lines after an interim response are skipped",
            "HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
            Body(b"x"), true),
        ("9112 7.1.3", "chunked response with trailers",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: 1\r\n\r\n",
            Body(b"x"), true),
    ]
}

#[test]
fn response_framing_conformance_table() {
    for r in response_rows() {
        let (section, input) = (r.cite(), r.input);
        let (want, reusable) = r.expect;
        let make = || {
            let mut c = Client::new(Default::default());
            c.send_request(get("/")).unwrap();
            c.send_end().unwrap();
            let _ = common::drain_bytes(&mut c);
            Merged::new(c)
        };
        let (evs, _) = assert_chunking_invariant(make, input);
        let mut m = make();
        m.handle_input(wirestate::Instant::ZERO, input);
        let _ = common::events(&mut m);
        match want {
            Body(body) => {
                assert!(
                    !evs.iter().any(|e| matches!(e, Cv::Error(_))),
                    "{section}: {evs:?}"
                );
                let data: Vec<u8> = evs
                    .iter()
                    .filter_map(|e| match e {
                        Cv::Data(d) => Some(d.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                assert_eq!(data, body, "{section}");
                let closed = if reusable {
                    CloseReason::PeerClosed { unterminated: 0 }
                } else {
                    CloseReason::Done
                };
                assert!(
                    matches!(&evs[..], [.., Cv::End(_), Cv::Closed(c)] if *c == closed),
                    "{section}: {evs:?}"
                );
                if reusable {
                    assert!(!m.is_closed(), "{section}");
                    assert!(m.conn.send_request(get("/again")).is_ok(), "{section}");
                } else {
                    // Close-delimited bodies end at EOF; after it, nothing more is sent.
                    m.handle_eof(wirestate::Instant::ZERO);
                    let _ = common::events(&mut m);
                    assert!(m.is_closed(), "{section}");
                    assert!(m.conn.send_request(get("/again")).is_err(), "{section}");
                }
            }
            Reject(kind, _) | Dropped(kind) => {
                assert!(
                    matches!(&evs[..], [.., Cv::Error(e), Cv::Closed(CloseReason::Error)] if e.kind == kind),
                    "{section}: {evs:?}"
                );
                assert!(m.is_closed(), "{section}");
            }
        }
    }
}

/// Client rows the response table cannot hold: other limits, nothing asked.
fn client_rows() -> Vec<Row<(Limits, bool, ErrorKind)>> {
    vec![
        row(
            "6585 5",
            "a response head over the size limit is rejected",
            format!("HTTP/1.1 200 OK\r\nX-Pad: {}\r\n\r\n", "a".repeat(100)),
            (
                limits(|l| l.max_head = 64),
                true,
                K::HeadTooLarge { limit: 64 },
            ),
        ),
        row(
            "6585 5",
            "more response field lines than the limit are rejected",
            "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n".into(),
            (
                limits(|l| l.max_headers = 2),
                true,
                K::TooManyHeaders { limit: 2 },
            ),
        ),
        row(
            "9112 2.2",
            "empty lines before a status line count against the head limit",
            format!("{}HTTP/1.1 200 OK\r\n\r\n", "\r\n".repeat(40)),
            (
                limits(|l| l.max_head = 64),
                true,
                K::HeadTooLarge { limit: 64 },
            ),
        ),
        row(
            "9112 2.2",
            "a head that fits only without the empty lines before it is too large",
            "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".into(),
            (
                limits(|l| l.max_head = 38),
                true,
                K::HeadTooLarge { limit: 38 },
            ),
        ),
        row(
            "9110 7.8",
            "a 101 to a request without Upgrade is an error",
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n\x00\x01"
                .into(),
            (Limits::default(), true, K::UnrequestedUpgrade),
        ),
        row(
            "9112 9.3",
            "a response with no request outstanding is an error",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".into(),
            (Limits::default(), false, K::UnexpectedResponse),
        ),
        row(
            "9112 8",
            "a response head cut short by the close is incomplete",
            "HTTP/1.1 200 OK\r\nContent-Le".into(),
            (Limits::default(), true, K::IncompleteMessage),
        ),
    ]
}

#[test]
fn client_conformance_table() {
    for r in client_rows() {
        let (limits, asked, kind) = r.expect;
        let make = || {
            let mut c = client(limits);
            if asked {
                c.send_request(get("/")).unwrap();
                c.send_end().unwrap();
            }
            let _ = drain_bytes(&mut c);
            Merged::new(c)
        };
        let (evs, _) = assert_chunking_invariant(make, r.input);
        assert!(
            matches!(&evs[..], [.., Cv::Error(e), Cv::Closed(CloseReason::Error)] if e.kind == kind),
            "{}: {evs:?}",
            r.cite()
        );
    }
}

/// How a close row ends its input: the peer closes, or time runs out.
#[derive(Clone, Copy, Debug)]
enum Then {
    Eof,
    Wait,
}

/// Server rows: what the client sends, then how it stops, and the reason `Closed` gives.
fn server_close_rows() -> Vec<Row<(Then, CloseReason)>> {
    vec![
        row(
            "9112 9.3",
            "an HTTP/1.0 exchange without keep-alive ends the connection: Done",
            "GET / HTTP/1.0\r\n\r\n".into(),
            (Then::Eof, CloseReason::Done),
        ),
        row(
            "9112 9.6",
            "Connection: close ends the connection after the response: Done",
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".into(),
            (Then::Eof, CloseReason::Done),
        ),
        row(
            "9112 9.6",
            "a client closing between requests: PeerClosed",
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            (Then::Eof, CloseReason::PeerClosed { unterminated: 0 }),
        ),
        row(
            "9112 9.6",
            "a client closing inside a head: PeerClosed, the partial head counted",
            "GET / HTTP/1.1\r\nHo".into(),
            (Then::Eof, CloseReason::PeerClosed { unterminated: 18 }),
        ),
        row(
            "9110 15.5.9",
            "a head not received in time: 408, Timeout",
            "GET / HT".into(),
            (Then::Wait, CloseReason::Timeout),
        ),
        row(
            "9112 9.5",
            "an idle keep-alive connection times out: Timeout",
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            (Then::Wait, CloseReason::Timeout),
        ),
        row(
            "9112 3.2",
            "a fatal error: Error, right after the Error event",
            "GET / HTTP/1.1\r\n\r\n".into(),
            (Then::Eof, CloseReason::Error),
        ),
    ]
}

/// Client rows, after one GET.
fn client_close_rows() -> Vec<Row<(Then, CloseReason)>> {
    vec![
        row(
            "9112 9.3",
            "Connection: close in the response: Done",
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".into(),
            (Then::Eof, CloseReason::Done),
        ),
        row(
            "9112 6.3 item 8",
            "a close-delimited body ends the connection: Done",
            "HTTP/1.1 200 OK\r\n\r\nbody".into(),
            (Then::Eof, CloseReason::Done),
        ),
        row(
            "9112 9.6",
            "the server closing between responses: PeerClosed",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".into(),
            (Then::Eof, CloseReason::PeerClosed { unterminated: 0 }),
        ),
        row(
            "9110 15.5.9",
            "no response head within the reply timeout: Timeout",
            "HTTP/1.1 2".into(),
            (Then::Wait, CloseReason::Timeout),
        ),
        row(
            "9112 4",
            "a fatal error: Error, right after the Error event",
            "HTTP/1.1 20 OK\r\n\r\n".into(),
            (Then::Eof, CloseReason::Error),
        ),
    ]
}

/// Feeds `input` cut at `cut`, then ends it as `then` says; returns the events.
fn close_run<M: Machine>(mut m: M, input: &[u8], cut: usize, then: Then) -> Vec<M::Event> {
    let mut evs = Vec::new();
    for piece in [&input[..cut], &input[cut..]] {
        if !piece.is_empty() {
            m.handle_input(Instant::ZERO, piece);
        }
        evs.extend(events(&mut m));
        let _ = drain_bytes(&mut m);
    }
    match then {
        Then::Eof => m.handle_eof(Instant::ZERO),
        Then::Wait => m.handle_timeout(Instant::from_millis(24 * 3600 * 1000)),
    }
    evs.extend(events(&mut m));
    assert!(m.is_closed());
    evs
}

#[test]
fn close_reasons_conformance_table() {
    for r in server_close_rows() {
        let (then, reason) = r.expect;
        for cut in 0..=r.input.len() {
            let evs = close_run(Echo::new(Limits::default()), r.input, cut, then);
            let closed: Vec<_> = evs.iter().filter(|e| matches!(e, Ev::Closed(_))).collect();
            assert_eq!(
                closed,
                [&Ev::Closed(reason)],
                "{} at {cut}: {evs:?}",
                r.cite()
            );
            assert_eq!(evs.last(), Some(&Ev::Closed(reason)), "{}", r.cite());
        }
    }
    for r in client_close_rows() {
        let (then, reason) = r.expect;
        for cut in 0..=r.input.len() {
            let mut c = Client::new(ClientConfig::default());
            c.send_request(get("/")).unwrap();
            c.send_end().unwrap();
            let evs = close_run(Merged::new(c), r.input, cut, then);
            let closed: Vec<_> = evs.iter().filter(|e| matches!(e, Cv::Closed(_))).collect();
            assert_eq!(
                closed,
                [&Cv::Closed(reason)],
                "{} at {cut}: {evs:?}",
                r.cite()
            );
            assert_eq!(evs.last(), Some(&Cv::Closed(reason)), "{}", r.cite());
        }
    }
}

/// Local sends that break a rule: each is refused with the rule it breaks, and nothing
/// is queued. `input` is the request the server has read (empty for the client rows).
/// A local call on a server that has read the row's input, or on a fresh client.
type SendCase = fn(&mut Server, &mut Client) -> Result<(), SendError>;

fn send_rows() -> Vec<Row<(SendCase, &'static str)>> {
    fn head(status: StatusCode, fields: &[(&str, &str)]) -> ResponseHead {
        let mut h = ResponseHead::new(status);
        for (n, v) in fields {
            h.headers.append(n, v).unwrap();
        }
        h
    }
    fn req(method: Method, target: &str, fields: &[(&str, &str)]) -> RequestHead {
        let mut r = RequestHead::new(method, target).unwrap();
        for (n, v) in fields {
            r.headers.append(n, v).unwrap();
        }
        r
    }
    const GET: &str = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    let rows: Vec<(&str, &str, &str, SendCase, &str)> = vec![
        (
            "9112 6.3",
            "no more content than the Content-Length declares",
            GET,
            |s, _| {
                s.send_response(head(StatusCode::OK, &[("Content-Length", "1")]))?;
                s.send_data(Bytes::from_static(b"ab"))
            },
            "RFC 9112 6.3: more content than the Content-Length declares",
        ),
        (
            "9112 6.3",
            "no less content than the Content-Length declares",
            GET,
            |s, _| {
                s.send_response(head(StatusCode::OK, &[("Content-Length", "1")]))?;
                s.send_end()
            },
            "RFC 9112 6.3: less content than the Content-Length declares",
        ),
        (
            "9112 6.3",
            "no content in a request without framing fields",
            "",
            |_, c| {
                c.send_request(req(Method::Get, "/", &[("Host", "a")]))?;
                let _ = drain_bytes(c);
                c.send_data(Bytes::from_static(b"abc"))
            },
            "RFC 9112 6.3: this message has no content (HEAD, 1xx, 204, 304, no framing fields)",
        ),
        (
            "9112 6.2",
            "a sender MUST NOT send Content-Length with Transfer-Encoding",
            GET,
            |s, _| {
                s.send_response(head(
                    StatusCode::OK,
                    &[("Content-Length", "1"), ("Transfer-Encoding", "chunked")],
                ))
            },
            "RFC 9112 6.2: a sender MUST NOT send Content-Length with Transfer-Encoding",
        ),
        (
            "9112 6.1",
            "no Transfer-Encoding to an HTTP/1.0 client",
            "GET / HTTP/1.0\r\n\r\n",
            |s, _| s.send_response(head(StatusCode::OK, &[("Transfer-Encoding", "chunked")])),
            "RFC 9112 6.1: no Transfer-Encoding to or from an HTTP/1.0 peer",
        ),
        (
            "9112 6.1",
            "chunked MUST NOT be applied twice",
            GET,
            |s, _| {
                s.send_response(head(
                    StatusCode::OK,
                    &[("Transfer-Encoding", "chunked, chunked")],
                ))
            },
            "RFC 9112 6.1: chunked MUST NOT be applied twice",
        ),
        (
            "9112 6.1",
            "a request's final transfer coding MUST be chunked",
            "",
            |_, c| {
                c.send_request(req(
                    Method::Post,
                    "/",
                    &[("Host", "a"), ("Transfer-Encoding", "chunked, gzip")],
                ))
            },
            "RFC 9112 6.1: a request's final transfer coding MUST be chunked",
        ),
        (
            "9112 3.2",
            "exactly one Host in an HTTP/1.1 request",
            "",
            |_, c| c.send_request(req(Method::Get, "/", &[])),
            "RFC 9112 3.2: exactly one Host in an HTTP/1.1 request",
        ),
        (
            "9112 3.2",
            "the authority form belongs to CONNECT",
            "",
            |_, c| c.send_request(req(Method::Get, "a:1", &[("Host", "a")])),
            "RFC 9112 3.2: authority form only with CONNECT, asterisk only with OPTIONS",
        ),
        (
            "9110 8.6",
            "Content-Length = 1*DIGIT",
            GET,
            |s, _| s.send_response(head(StatusCode::OK, &[("Content-Length", "+1")])),
            "RFC 9110 8.6: Content-Length = 1*DIGIT, all values equal",
        ),
        (
            "9110 8.6",
            "no Content-Length in a 204",
            GET,
            |s, _| s.send_response(head(StatusCode::NO_CONTENT, &[("Content-Length", "0")])),
            "RFC 9110 8.6: no Content-Length or Transfer-Encoding in a 1xx or 204",
        ),
        (
            "9110 9.3.6",
            "a CONNECT request message does not have content",
            "",
            |_, c| {
                c.send_request(req(
                    Method::Connect,
                    "a:443",
                    &[("Host", "a"), ("Content-Length", "3")],
                ))
            },
            "RFC 9110 9.3.6: a CONNECT request message does not have content",
        ),
        (
            "9110 9.3.6",
            "no framing fields in a 2xx to CONNECT",
            "CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n",
            |s, _| s.send_response(head(StatusCode::OK, &[("Transfer-Encoding", "chunked")])),
            "RFC 9110 9.3.6: no Content-Length or Transfer-Encoding in a 2xx to CONNECT",
        ),
        (
            "9110 6.5.1",
            "no framing fields in trailers",
            GET,
            |s, _| {
                s.send_response(head(StatusCode::OK, &[("Transfer-Encoding", "chunked")]))?;
                let mut t = Headers::new();
                t.append("Content-Length", "1").unwrap();
                s.send_end_with_trailers(&t)
            },
            "RFC 9110 6.5.1: no Content-Length or Transfer-Encoding in trailers",
        ),
        (
            "9110 6.5",
            "trailers only with chunked",
            GET,
            |s, _| {
                s.send_response(head(StatusCode::OK, &[("Content-Length", "0")]))?;
                let mut t = Headers::new();
                t.append("X-Sum", "1").unwrap();
                s.send_end_with_trailers(&t)
            },
            "RFC 9110 6.5: trailers only with the chunked transfer coding",
        ),
        (
            "9112 4",
            "the reason phrase has no controls",
            GET,
            |s, _| {
                let mut h = ResponseHead::new(StatusCode::OK);
                h.reason = Bytes::from_static(b"O\x01K");
                s.send_response(h)
            },
            "RFC 9112 4: reason-phrase = *( HTAB / SP / VCHAR / obs-text )",
        ),
    ];
    rows.into_iter()
        .map(|(c, rule, input, f, want)| row(c, rule, input.into(), (f, want)))
        .collect()
}

#[test]
fn local_send_rules_conformance_table() {
    for r in send_rows() {
        let (f, want) = r.expect;
        let mut s = Server::new(ServerConfig::default());
        s.handle_input(Instant::ZERO, r.input);
        let _ = events(&mut s);
        let mut c = Client::new(ClientConfig::default());
        let before = (drain_bytes(&mut s), drain_bytes(&mut c));
        let got = f(&mut s, &mut c);
        assert!(
            matches!(got, Err(SendError::Invalid(e)) if e.rule == want),
            "{}: {got:?}",
            r.cite()
        );
        // Nothing of the refused call was queued (a head accepted before it may be).
        let after_c = drain_bytes(&mut c);
        assert!(after_c.is_empty(), "{}", r.cite());
        let _ = before;
    }
}

/// Every `ErrorKind` has a row: a kind added without one fails here.
#[test]
fn every_error_kind_has_a_row() {
    let mut covered: Vec<ErrorKind> = Vec::new();
    for r in request_rows() {
        if let Reject(k, _) | Dropped(k) = r.expect {
            covered.push(k);
        }
    }
    for r in limit_rows() {
        if let Reject(k, _) | Dropped(k) = r.expect.1 {
            covered.push(k);
        }
    }
    for r in response_rows() {
        if let Reject(k, _) | Dropped(k) = r.expect.0 {
            covered.push(k);
        }
    }
    for r in client_rows() {
        covered.push(r.expect.2);
    }
    // BufferFull depends on how the caller drains, so it has its own test above.
    covered.push(K::BufferFull { limit: 0 });
    for kind in ErrorKind::ALL {
        assert!(
            covered
                .iter()
                .any(|k| discriminant(k) == discriminant(kind)),
            "{kind:?} has no conformance row"
        );
    }
}

/// Every `CloseReason` the machines produce has a row, for each role. (`Local` is not
/// produced: the HTTP machines have no local close call; a caller just stops.)
#[test]
fn every_close_reason_has_a_row() {
    let produced = [
        CloseReason::Done,
        CloseReason::PeerClosed { unterminated: 0 },
        CloseReason::Timeout,
        CloseReason::Error,
    ];
    for rows in [server_close_rows(), client_close_rows()] {
        for reason in &produced {
            assert!(
                rows.iter()
                    .any(|r| discriminant(&r.expect.1) == discriminant(reason)),
                "{reason:?} has no close row"
            );
        }
    }
}

/// Every rule a local send can be refused with has a row.
#[test]
fn every_send_rule_has_a_row() {
    let rules: Vec<&str> = send_rows().iter().map(|r| r.expect.1).collect();
    assert_eq!(rules.len(), 16);
    let mut unique = rules.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), rules.len(), "one row per rule");
}

/// RFC 9110 9.3.6: "A client MUST ignore any Content-Length or Transfer-Encoding header
/// fields received in a successful response to CONNECT": the bytes after the head are
/// tunnel bytes, fed whole or at any split.
#[test]
fn connect_2xx_framing_fields_are_ignored_by_the_client() {
    for input in [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, tunnel"[..],
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello"[..],
    ] {
        let make = || {
            let mut c = Client::new(ClientConfig::default());
            let mut r = RequestHead::new(Method::Connect, "a:443").unwrap();
            r.headers.append("Host", "a").unwrap();
            c.send_request(r).unwrap();
            c.send_end().unwrap();
            let _ = drain_bytes(&mut c);
            Merged::new(c)
        };
        let (evs, _) = assert_chunking_invariant(make, input);
        let head_len = input.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert!(
            matches!(&evs[0], Cv::Response(r) if r.status == StatusCode::OK),
            "{evs:?}"
        );
        assert_eq!(evs[1], Cv::Tunnel(input[head_len..].to_vec()), "{evs:?}");
        assert_eq!(
            evs[2],
            Cv::Closed(CloseReason::PeerClosed { unterminated: 0 })
        );
    }
}

/// RFC 9110 2.5: a higher 1.x minor version is treated as the highest the recipient
/// supports (1.1 here: persistent, Host required), but the digit itself is kept, as a
/// proxy must see it. Fed whole and at every split.
#[test]
fn a_higher_minor_version_is_kept_and_treated_as_1_1() {
    use wirestate::http::Version;
    let (evs, out) = assert_chunking_invariant(
        || Echo::new(Limits::default()),
        b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
    );
    assert!(
        matches!(&evs[0], Ev::Request(r) if r.version == Version::http1(2).unwrap() && r.version.as_bytes() == b"HTTP/1.2"),
        "{evs:?}"
    );
    // Answered as a 1.1 client: persistent, in HTTP/1.1.
    assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(!String::from_utf8_lossy(&out).contains("Connection: close"));
    assert_eq!(
        evs.last(),
        Some(&Ev::Closed(CloseReason::PeerClosed { unterminated: 0 }))
    );
    // 1.1 rules: a Host is required.
    let (evs, _) =
        assert_chunking_invariant(|| Echo::new(Limits::default()), b"GET / HTTP/1.9\r\n\r\n");
    assert!(
        matches!(&evs[..], [Ev::Error(e), Ev::Closed(CloseReason::Error)] if e.kind == K::BadHost),
        "{evs:?}"
    );
    // The client keeps a response's minor digit too, and the connection persists.
    let make = || {
        let mut c = Client::new(ClientConfig::default());
        c.send_request(get("/")).unwrap();
        c.send_end().unwrap();
        let _ = drain_bytes(&mut c);
        Merged::new(c)
    };
    let (evs, _) =
        assert_chunking_invariant(make, b"HTTP/1.3 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert!(
        matches!(&evs[0], Cv::Response(r) if r.version.minor() == 3),
        "{evs:?}"
    );
    assert_eq!(
        evs.last(),
        Some(&Cv::Closed(CloseReason::PeerClosed { unterminated: 0 }))
    );
}

/// What the machine decided, said in the `Request` event, so a caller can use the server
/// only to parse: each row fed whole and at every split, with no responder.
fn decision_rows() -> Vec<Row<(BodyKind, Connection)>> {
    vec![
        row(
            "9112 9.3",
            "HTTP/1.1 persists by default",
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            (BodyKind::Empty, Connection::KeepAlive),
        ),
        row(
            "9112 9.3",
            "HTTP/1.0 without keep-alive is the last request",
            "GET / HTTP/1.0\r\n\r\n".into(),
            (BodyKind::Empty, Connection::Close),
        ),
        row(
            "9112 9.6",
            "Connection: close makes it the last request",
            "POST / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 2\r\n\r\nab".into(),
            (BodyKind::Length(2), Connection::Close),
        ),
        row(
            "9112 6.3 item 4",
            "chunked framing is said",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(),
            (BodyKind::Chunked, Connection::KeepAlive),
        ),
        row(
            "9110 7.8",
            "Upgrade listed in Connection asks to switch protocols",
            "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"
                .into(),
            (BodyKind::Empty, Connection::Upgrade),
        ),
        row(
            "9110 7.8",
            "Upgrade not listed in Connection asks nothing",
            "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n".into(),
            (BodyKind::Empty, Connection::KeepAlive),
        ),
        row(
            "9110 9.3.6",
            "CONNECT becomes a tunnel if answered 2xx",
            "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            (BodyKind::Empty, Connection::Tunnel),
        ),
    ]
}

#[test]
fn request_event_says_what_the_machine_decided() {
    for r in decision_rows() {
        let (want_body, want_connection) = r.expect;
        // Body data may come in more pieces when the input does: the rest may not.
        for cut in 0..=r.input.len() {
            let (evs, out) =
                common::feed_cut(Server::new(ServerConfig::default()), r.input, &[cut]);
            assert!(
                matches!(&evs[0], ServerEvent::Request { body, connection, .. } if *body == want_body && *connection == want_connection),
                "{}: {evs:?}",
                r.cite()
            );
            assert!(
                matches!(evs.last(), Some(ServerEvent::End { .. })),
                "{}: {evs:?}",
                r.cite()
            );
            assert!(
                out.is_empty(),
                "{}: nothing is answered by itself",
                r.cite()
            );
        }
    }
    // The bytes after an upgrade request, and after a CONNECT head, are the tunnel's
    // once it is accepted.
    for (input, status) in [
        (
            &b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nraw"[..],
            StatusCode::SWITCHING_PROTOCOLS,
        ),
        (
            &b"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\nraw"[..],
            StatusCode::OK,
        ),
    ] {
        let mut s = Server::new(ServerConfig::default());
        s.handle_input(Instant::ZERO, input);
        let evs = events(&mut s);
        assert_eq!(evs.len(), 2, "paused after the request: {evs:?}");
        let mut h = ResponseHead::new(status);
        if status == StatusCode::SWITCHING_PROTOCOLS {
            h.headers.append("Upgrade", "echo").unwrap();
            h.headers.append("Connection", "upgrade").unwrap();
        }
        s.send_response(h).unwrap();
        assert_eq!(
            events(&mut s),
            [ServerEvent::Tunnel(Bytes::from_static(b"raw"))]
        );
    }
}

/// Bytes after the machine decided to close are counted, not dropped without a word:
/// server rows (the echo server answers), fed whole and at every split.
fn unread_rows() -> Vec<Row<u64>> {
    vec![
        row("9112 9.6", "requests after Connection: close are counted unread",
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n".into(), 28),
        row("9112 9.3", "bytes after an HTTP/1.0 request without keep-alive are counted",
            "GET / HTTP/1.0\r\n\r\nxyz".into(), 3),
        row("9112 6.1, 11.2", "bytes after a rejected request are counted",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nSMUGGLED".into(), 13),
        row("9112 9.3", "nothing is unread on a connection kept alive",
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n".into(), 0),
    ]
}

#[test]
fn unread_bytes_after_close_are_reported() {
    for r in unread_rows() {
        for cut in 0..=r.input.len() {
            let mut s = Echo::new(Limits::default());
            for piece in [&r.input[..cut], &r.input[cut..]] {
                s.handle_input(Instant::ZERO, piece);
                let _ = events(&mut s);
                let _ = drain_bytes(&mut s);
            }
            s.handle_eof(Instant::ZERO);
            let _ = events(&mut s);
            assert_eq!(s.conn.unread(), r.expect, "{} at {cut}", r.cite());
        }
    }
    // The client counts what the server sent after the last response.
    let input = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nokEXTRA";
    for cut in 0..=input.len() {
        let mut c = Client::new(ClientConfig::default());
        c.send_request(get("/")).unwrap();
        c.send_end().unwrap();
        for piece in [&input[..cut], &input[cut..]] {
            c.handle_input(Instant::ZERO, piece);
            let _ = events(&mut c);
        }
        assert_eq!(c.unread(), 5, "at {cut}");
    }
}

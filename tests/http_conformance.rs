//! Conformance tables: one row per RFC 9112 / RFC 9110 framing rule, each citing its
//! section. Every row is also fed in every split (chunking invariance), and a rejected
//! request must get the status its rule names, then a close.

mod common;
#[path = "http_support/mod.rs"]
mod http_support;

use common::assert_chunking_invariant;
use http_support::*;
use wirestate::http::{ClientConn, ErrorKind, Limits};
use wirestate::Machine;

/// The expected outcome of a row.
#[derive(Debug)]
enum Want {
    /// Accepted: the request completes with this body.
    Body(&'static [u8]),
    /// Rejected with this rule and status.
    Reject(ErrorKind, u16),
}

use ErrorKind as K;
use Want::{Body, Reject};

const POST: &str = "POST / HTTP/1.1\r\nHost: a\r\n";

/// (section, rule, request bytes, expected outcome)
fn request_rows() -> Vec<(&'static str, &'static str, String, Want)> {
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

#[test]
fn request_framing_conformance_table() {
    for (section, rule, input, want) in request_rows() {
        let (evs, out) =
            assert_chunking_invariant(|| Echo::new(Limits::default()), input.as_bytes());
        let errors: Vec<_> = evs
            .iter()
            .filter_map(|e| match e {
                Ev::Error(e) => Some(e),
                _ => None,
            })
            .collect();
        match want {
            Body(body) => {
                assert!(errors.is_empty(), "RFC {section}: {rule}: {errors:?}");
                let ends = evs.iter().filter(|e| matches!(e, Ev::End(_))).count();
                assert_eq!(ends, 1, "RFC {section}: {rule}: {evs:?}");
                let data: Vec<u8> = evs
                    .iter()
                    .filter_map(|e| match e {
                        Ev::Data(d) => Some(d.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                assert_eq!(data, body, "RFC {section}: {rule}");
                assert!(
                    out.starts_with(b"HTTP/1.1 200 OK\r\n"),
                    "RFC {section}: {rule}"
                );
            }
            Reject(kind, status) => {
                assert_eq!(
                    errors.iter().map(|e| e.kind).collect::<Vec<_>>(),
                    [kind],
                    "RFC {section}: {rule}"
                );
                let line = format!("HTTP/1.1 {status} ");
                let text = String::from_utf8_lossy(&out);
                assert!(text.starts_with(&line), "RFC {section}: {rule}: {text}");
                assert!(
                    text.contains("Connection: close\r\n"),
                    "RFC {section}: {rule}"
                );
                // The error says where: inside the input.
                assert!(
                    errors[0].offset <= input.len() as u64,
                    "RFC {section}: {rule}"
                );
            }
        }
    }
}

#[test]
fn chunk_size_overflow_is_detected_when_digits_allow_it() {
    let limits = Limits {
        max_chunk_size_digits: 32,
        ..Limits::default()
    };
    let input = format!("{POST}Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n");
    let (evs, out) = assert_chunking_invariant(|| Echo::new(limits), input.as_bytes());
    assert!(
        matches!(evs.last(), Some(Ev::Error(e)) if e.kind == K::ChunkSizeOverflow),
        "RFC 9112 7.1: {evs:?}"
    );
    assert!(out.starts_with(b"HTTP/1.1 400 "));
}

#[test]
fn chunk_extension_length_is_bounded() {
    let limits = Limits {
        max_chunk_ext: 16,
        ..Limits::default()
    };
    let input = format!(
        "{POST}Transfer-Encoding: chunked\r\n\r\n1;{}\r\nx\r\n0\r\n\r\n",
        "a".repeat(40)
    );
    let (evs, _) = assert_chunking_invariant(|| Echo::new(limits), input.as_bytes());
    assert!(
        matches!(evs.last(), Some(Ev::Error(e)) if e.kind == K::ChunkExtensionTooLong { limit: 16 }),
        "RFC 9112 7.1.1: {evs:?}"
    );
}

/// (section, rule, response bytes after a GET, expected outcome, connection reusable)
fn response_rows() -> Vec<(&'static str, &'static str, &'static str, Want, bool)> {
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
        ("9112 7.1.3", "chunked response with trailers",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: 1\r\n\r\n",
            Body(b"x"), true),
    ]
}

#[test]
fn response_framing_conformance_table() {
    for (section, rule, input, want, reusable) in response_rows() {
        let make = || {
            let mut c = ClientConn::new(Limits::default());
            c.send_request(get("/")).unwrap();
            c.send_end(&Default::default()).unwrap();
            let _ = common::drain_bytes(&mut c);
            Merged::new(c)
        };
        let (evs, _) = assert_chunking_invariant(make, input.as_bytes());
        let mut m = make();
        m.handle_input(wirestate::Instant::ZERO, input.as_bytes());
        let _ = common::events(&mut m);
        match want {
            Body(body) => {
                assert!(
                    !evs.iter().any(|e| matches!(e, Cv::Error(_))),
                    "RFC {section}: {rule}: {evs:?}"
                );
                let data: Vec<u8> = evs
                    .iter()
                    .filter_map(|e| match e {
                        Cv::Data(d) => Some(d.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                assert_eq!(data, body, "RFC {section}: {rule}");
                assert!(
                    matches!(evs.last(), Some(Cv::End(_))),
                    "RFC {section}: {rule}: {evs:?}"
                );
                if reusable {
                    assert!(!m.is_closed(), "RFC {section}: {rule}");
                    assert!(
                        m.conn.send_request(get("/again")).is_ok(),
                        "RFC {section}: {rule}"
                    );
                } else {
                    // Close-delimited bodies end at EOF; after it, nothing more is sent.
                    m.handle_eof(wirestate::Instant::ZERO);
                    let _ = common::events(&mut m);
                    assert!(m.is_closed(), "RFC {section}: {rule}");
                    assert!(
                        m.conn.send_request(get("/again")).is_err(),
                        "RFC {section}: {rule}"
                    );
                }
            }
            Reject(kind, _) => {
                assert!(
                    matches!(evs.last(), Some(Cv::Error(e)) if e.kind == kind),
                    "RFC {section}: {rule}: {evs:?}"
                );
                assert!(m.is_closed(), "RFC {section}: {rule}");
            }
        }
    }
}

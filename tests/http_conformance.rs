//! Conformance tables: one `common::Row` per RFC 9112 / RFC 9110 framing rule, each
//! citing its section. Every row is also fed in every split (chunking invariance), and a
//! rejected request must get the status its rule names, then a close. Every
//! `ErrorKind` has a row, checked by `every_error_kind_has_a_row`; close reasons, the
//! request decision and local-send rules are in `http_conformance_connection.rs`. The
//! request framing rows themselves are in `http_support/request_table.rs`.

mod common;
#[path = "http_support/mod.rs"]
mod http_support;
#[path = "http_support/request_table.rs"]
mod request_table;

use common::{assert_chunking_invariant, drain_bytes, events, Row};
use http_support::*;
use std::mem::discriminant;
use wirestate::http::{Client, ErrorKind, Limits, ServerEvent};
use wirestate::{CloseReason, Instant, Machine};

use request_table::{request_table, Want, POST};
use ErrorKind as K;
use Want::{Body, Dropped, Reject};

/// Requests with the default limits: (section, rule, request bytes, expected outcome).
fn request_rows() -> Vec<Row<Want>> {
    request_table()
        .into_iter()
        .map(|(c, rule, input, want)| row(c, rule, input, want))
        .collect()
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

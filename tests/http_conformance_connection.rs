//! Connection-level conformance: one `common::Row` per rule on how a connection moves on
//! and ends: every `CloseReason` the machines produce, the decision the `Request` event
//! reports, unread bytes after close, CONNECT and version handling, and every rule a
//! local send is refused with. Rows are fed whole and at every split; the `every_*`
//! tests fail when a close reason or a send rule has no row.

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

use ErrorKind as K;

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

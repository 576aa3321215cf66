//! The HTTP machines: transcripts replayed byte-exact in both roles, chunking invariance,
//! limits that hold however TCP splits, pipelining, 100-continue, upgrades and tunnels,
//! close-delimited bodies, timers, and local misuse.

mod common;
#[path = "http_support/mod.rs"]
mod http_support;

use bytes::Bytes;
use common::{assert_chunking_invariant, drain_bytes, events, feed_cut, Pair, Side, Transcript};
use http_support::*;
use std::time::Duration;
use wirestate::http::{
    Client, ClientConfig, ClientEvent, ErrorKind, Headers, Limits, Method, RequestHead,
    ResponseHead, SendError, Server, ServerConfig, ServerEvent, StatusCode,
};
use wirestate::{CloseReason, Instant, Machine};

/// Every HTTP transcript, loaded with the one loader.
fn transcripts() -> Vec<(String, Transcript)> {
    let names = Transcript::names("http");
    assert!(names.len() >= 6, "{names:?}");
    names
        .into_iter()
        .map(|n| {
            let t = Transcript::load("http", &n);
            (n, t)
        })
        .collect()
}

#[test]
fn server_replays_transcripts_byte_exact_write_by_write() {
    for (name, t) in transcripts() {
        let segments = t.writes();
        let mut server = Echo::new(Limits::default());
        let mut i = 0;
        while i < segments.len() {
            let (who, bytes) = &segments[i];
            assert_eq!(
                *who,
                Side::C,
                "{name}: transcript must start each exchange with C"
            );
            server.handle_input(Instant::ZERO, bytes);
            let _ = events(&mut server);
            let got = drain_bytes(&mut server);
            // Everything the server says before the client's next write.
            let mut want = Vec::new();
            i += 1;
            while i < segments.len() && segments[i].0 == Side::S {
                want.extend_from_slice(&segments[i].1);
                i += 1;
            }
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{name}: server output after client write differs"
            );
        }
    }
}

#[test]
fn server_transcripts_are_chunking_invariant() {
    for (name, t) in transcripts() {
        let input = t.side(Side::C);
        let (_, out) = assert_chunking_invariant(|| Echo::new(Limits::default()), &input);
        // 100 Continue is asked for when the body is first polled, before any body byte
        // is decoded, so it is in the output whatever the split.
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&t.side(Side::S)),
            "{name}"
        );
    }
}

/// The client sends the requests the server saw and parses the server's bytes.
#[test]
fn client_reads_every_transcript_response() {
    for (name, t) in transcripts() {
        let mut server = Echo::new(Limits::default());
        let (_, _) = (
            server.handle_input(Instant::ZERO, &t.side(Side::C)),
            events(&mut server),
        );
        let seen = server.seen.clone();
        let make = || {
            let mut c = Client::new(Default::default());
            for (req, body, trailers) in &seen {
                c.send_request(req.clone()).unwrap();
                c.send_data(Bytes::from(body.clone())).unwrap();
                c.send_end_with_trailers(trailers).unwrap();
            }
            if seen.is_empty() {
                // The request the server refused or never finished: send its head only.
                let mut r = get("/");
                r.headers.append("Content-Length", "5").unwrap();
                c.send_request(r).unwrap();
            }
            let _ = drain_bytes(&mut c);
            Merged::new(c)
        };
        let (evs, _) = assert_chunking_invariant(make, &t.side(Side::S));
        let finals: Vec<&ResponseHead> = evs
            .iter()
            .filter_map(|e| match e {
                Cv::Response(r) => Some(r),
                _ => None,
            })
            .collect();
        let ends = evs.iter().filter(|e| matches!(e, Cv::End(_))).count();
        assert_eq!(finals.len(), ends, "{name}: every response ends: {evs:?}");
        assert!(
            !evs.iter().any(|e| matches!(e, Cv::Error(_))),
            "{name}: {evs:?}"
        );
        // Each echoed body is exactly what that request carried.
        let bodies: Vec<&Vec<u8>> = evs
            .iter()
            .filter_map(|e| match e {
                Cv::Data(d) => Some(d),
                _ => None,
            })
            .collect();
        for (body, (req, sent, _)) in bodies
            .iter()
            .zip(seen.iter().filter(|(r, ..)| r.method != Method::Head))
        {
            assert!(body.starts_with(req.method.as_bytes()), "{name}");
            assert!(body.ends_with(sent), "{name}");
        }
    }
}

#[test]
fn expect_continue_is_interim_for_the_client() {
    let segments = Transcript::load("http", "expect_continue").writes();
    let mut c = Client::new(Default::default());
    let mut req = RequestHead::new(Method::Put, "/doc").unwrap();
    req.headers.append("Host", "example.com").unwrap();
    req.headers.append("Content-Length", "5").unwrap();
    req.headers.append("Expect", "100-continue").unwrap();
    c.send_request(req).unwrap();
    assert_eq!(drain_bytes(&mut c), segments[0].1);
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(1000)));
    assert!(!c.wants_body(), "the body waits for 100 Continue");
    c.handle_input(Instant::ZERO, &segments[1].1);
    assert!(
        matches!(c.poll_event(), Some(ClientEvent::Informational(r)) if r.status == StatusCode::CONTINUE)
    );
    assert!(c.wants_body(), "100 Continue: send the body");
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn client_expect_timeout_says_send_the_body() {
    let mut c = Client::new(Default::default());
    let mut req = get("/");
    req.headers.append("Content-Length", "1").unwrap();
    req.headers.append("Expect", "100-continue").unwrap();
    c.send_request(req).unwrap();
    c.handle_timeout(Instant::from_millis(999));
    assert_eq!(c.poll_event(), None);
    assert!(!c.wants_body());
    c.handle_timeout(Instant::from_millis(1000));
    assert_eq!(c.poll_event(), None);
    assert!(
        c.wants_body(),
        "no 100 in time: RFC 9110 10.1.1 says send the body"
    );
    c.send_data(Bytes::from_static(b"x")).unwrap();
    c.send_end().unwrap();
    // The request is whole: now the wait for the response head runs.
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(31_000)));
}

#[test]
fn head_limit_holds_however_the_bytes_arrive() {
    let limits = limits(|l| l.max_head = 200);
    let mut input = b"GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ".to_vec();
    input.extend(std::iter::repeat(b'a').take(300));
    input.extend_from_slice(b"\r\n\r\n");
    let (evs, out) = assert_chunking_invariant(|| Echo::new(limits), &input);
    assert!(
        matches!(&evs[..], [Ev::Error(e), Ev::Closed(CloseReason::Error)] if e.kind == ErrorKind::HeadTooLarge { limit: 200 } && e.offset == 200),
        "{evs:?}"
    );
    assert!(out.starts_with(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
}

#[test]
fn request_line_limit_answers_414() {
    let limits = limits(|l| l.max_request_line = 32);
    let mut input = b"GET /".to_vec();
    input.extend(std::iter::repeat(b'a').take(40));
    input.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
    let (evs, out) = assert_chunking_invariant(|| Echo::new(limits), &input);
    assert!(
        matches!(&evs[..], [Ev::Error(e), Ev::Closed(CloseReason::Error)] if e.kind == ErrorKind::RequestLineTooLong { limit: 32 })
    );
    assert!(out.starts_with(b"HTTP/1.1 414 URI Too Long\r\n"));
}

#[test]
fn header_count_limit_answers_431() {
    let limits = limits(|l| l.max_headers = 3);
    let ok = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
    let (evs, _) = feed_cut(Echo::new(limits), ok, &[]);
    assert!(matches!(evs[0], Ev::Request(_)));
    let over = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    let (evs, out) = assert_chunking_invariant(|| Echo::new(limits), over);
    assert!(
        matches!(&evs[..], [Ev::Error(e), Ev::Closed(CloseReason::Error)] if e.kind == ErrorKind::TooManyHeaders { limit: 3 })
    );
    assert!(out.starts_with(b"HTTP/1.1 431 "));
}

#[test]
fn pipelined_requests_in_one_read_are_answered_in_order() {
    let mut input = Vec::new();
    for i in 0..40 {
        input.extend_from_slice(format!("GET /{i} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes());
    }
    let (evs, out) = feed_cut(Echo::new(Limits::default()), &input, &[]);
    assert_eq!(evs.iter().filter(|e| matches!(e, Ev::End(_))).count(), 40);
    let text = String::from_utf8(out).unwrap();
    let mut last = 0;
    for i in 0..40 {
        let at = text.find(&format!("GET /{i}\r\n")).expect("every answer");
        assert!(at >= last, "answer {i} out of order");
        last = at;
    }
}

#[test]
fn reading_pauses_when_the_pipeline_is_full() {
    let limits = limits(|l| l.max_pipeline = 2);
    let mut s = server(limits);
    let req = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    s.handle_input(Instant::ZERO, &req.repeat(3));
    let evs = events(&mut s);
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e, ServerEvent::Request { .. }))
            .count(),
        2
    );
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
        .unwrap();
    let evs = events(&mut s);
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e, ServerEvent::Request { .. }))
            .count(),
        1
    );
}

#[test]
fn connection_close_request_ends_the_connection_after_its_response() {
    let mut s = Server::new(Default::default());
    s.handle_input(
        Instant::ZERO,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    let evs = events(&mut s);
    assert_eq!(evs.len(), 2, "the second request is not read: {evs:?}");
    assert!(!s.is_closed());
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::from_static(b"x"))
        .unwrap();
    assert_eq!(
        drain_bytes(&mut s),
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"
    );
    assert!(s.is_closed());
}

#[test]
fn http10_keep_alive_is_honoured_and_said() {
    let mut s = Server::new(Default::default());
    s.handle_input(
        Instant::ZERO,
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    );
    let _ = events(&mut s);
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
        .unwrap();
    assert_eq!(
        drain_bytes(&mut s),
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
    );
    assert!(!s.is_closed());
}

#[test]
fn response_without_length_is_chunked_for_11_and_close_delimited_for_10() {
    let mut s = Server::new(Default::default());
    s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let _ = events(&mut s);
    s.send_response(ResponseHead::new(StatusCode::OK)).unwrap();
    s.send_data(Bytes::from_static(b"abc")).unwrap();
    let mut t = Headers::new();
    t.append("X-Sum", "7").unwrap();
    s.send_end_with_trailers(&t).unwrap();
    assert_eq!(
        drain_bytes(&mut s),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 7\r\n\r\n"
    );
    let mut s = Server::new(Default::default());
    s.handle_input(Instant::ZERO, b"GET / HTTP/1.0\r\n\r\n");
    let _ = events(&mut s);
    s.send_response(ResponseHead::new(StatusCode::OK)).unwrap();
    s.send_data(Bytes::from_static(b"abc")).unwrap();
    s.send_end().unwrap();
    assert_eq!(
        drain_bytes(&mut s),
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc"
    );
    assert!(s.is_closed());
}

#[test]
fn encoder_refuses_more_or_fewer_bytes_than_declared_and_queues_nothing() {
    let mut s = Server::new(Default::default());
    s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let _ = events(&mut s);
    let mut r = ResponseHead::new(StatusCode::OK);
    r.headers.append("Content-Length", "3").unwrap();
    s.send_response(r).unwrap();
    let head = drain_bytes(&mut s);
    assert!(head.ends_with(b"\r\n\r\n"));
    let more = "RFC 9112 6.3: more content than the Content-Length declares";
    let less = "RFC 9112 6.3: less content than the Content-Length declares";
    assert!(matches!(
        s.send_data(Bytes::from_static(b"abcd")),
        Err(SendError::Invalid(e)) if e.rule == more && e.offset == 3
    ));
    assert!(matches!(s.send_end(), Err(SendError::Invalid(e)) if e.rule == less));
    assert!(drain_bytes(&mut s).is_empty());
    assert!(s.wants_body());
    s.send_data(Bytes::from_static(b"abc")).unwrap();
    assert!(matches!(
        s.send_data(Bytes::from_static(b"d")),
        Err(SendError::Invalid(e)) if e.rule == more && e.offset == 0
    ));
    s.send_end().unwrap();
    assert_eq!(drain_bytes(&mut s), b"abc");
}

#[test]
fn local_misuse_is_an_error_and_queues_nothing() {
    let mut c = Client::new(Default::default());
    let mut both = get("/");
    both.headers.append("Content-Length", "1").unwrap();
    both.headers.append("Transfer-Encoding", "chunked").unwrap();
    assert!(
        matches!(c.send_request(both), Err(SendError::Invalid(e)) if e.rule.starts_with("RFC 9112 6.2"))
    );
    let mut gzip_last = get("/");
    gzip_last
        .headers
        .append("Transfer-Encoding", "chunked, gzip")
        .unwrap();
    assert!(
        matches!(c.send_request(gzip_last), Err(SendError::Invalid(e)) if e.rule.starts_with("RFC 9112 6.1: a request's final"))
    );
    let mut connect_origin = RequestHead::new(Method::Connect, "/x").unwrap();
    connect_origin.headers.append("Host", "a").unwrap();
    assert!(
        matches!(c.send_request(connect_origin), Err(SendError::Invalid(e)) if e.rule.starts_with("RFC 9112 3.2: authority"))
    );
    let mut injected = get("/");
    injected.method = Method::Other(Bytes::from_static(b"GET / HTTP/1.1\r\nX:"));
    assert!(matches!(
        c.send_request(injected),
        Err(SendError::Invalid(_))
    ));
    assert_eq!(c.poll_transmit(), None);
    c.send_request(get("/")).unwrap();
    assert!(matches!(
        c.send_request(get("/")),
        Err(SendError::OutOfTurn(_))
    ));
    c.send_end().unwrap();
    let mut s = Server::new(Default::default());
    assert!(matches!(
        s.send_response(ResponseHead::new(StatusCode::OK)),
        Err(SendError::OutOfTurn(_))
    ));
    assert_eq!(s.poll_transmit(), None);
}

fn client_after(method: Method, target: &str) -> Client {
    let mut c = Client::new(Default::default());
    let mut r = RequestHead::new(method, target).unwrap();
    r.headers.append("Host", "a").unwrap();
    if matches!(r.method, Method::Get | Method::Head | Method::Connect) {
        c.send_request(r).unwrap();
    } else {
        r.headers.append("Upgrade", "echo").unwrap();
        r.headers.append("Connection", "upgrade").unwrap();
        c.send_request(r).unwrap();
    }
    c.send_end().unwrap();
    let _ = drain_bytes(&mut c);
    c
}

#[test]
fn responses_without_a_body_per_rfc_9112_6_3_item_1() {
    // HEAD with a Content-Length, 204, 304: the next response starts right after.
    for (method, status_line) in [
        (
            Method::Head,
            "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
        ),
        (Method::Get, "HTTP/1.1 204 No Content\r\n\r\n"),
        (
            Method::Get,
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
        ),
    ] {
        let mut c = client_after(method.clone(), "/");
        c.send_request(get("/next")).unwrap();
        c.send_end().unwrap();
        let input = format!("{status_line}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        c.handle_input(Instant::ZERO, input.as_bytes());
        let evs = events(&mut c);
        assert!(
            matches!(evs[1], ClientEvent::End { .. }),
            "{method:?}: {evs:?}"
        );
        assert!(matches!(&evs[2], ClientEvent::Response(r) if r.status == StatusCode::OK));
        assert_eq!(evs[3], ClientEvent::Data(Bytes::from_static(b"ok")));
    }
}

#[test]
fn informational_responses_precede_the_final_one() {
    let mut c = client_after(Method::Get, "/");
    c.handle_input(
        Instant::ZERO,
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    let evs = events(&mut c);
    assert!(matches!(&evs[0], ClientEvent::Informational(r) if r.status.as_u16() == 103));
    assert!(matches!(&evs[1], ClientEvent::Response(r) if r.status == StatusCode::OK));
    assert!(matches!(&evs[2], ClientEvent::End { .. }));
}

#[test]
fn switching_protocols_hands_back_the_bytes_past_the_head() {
    let make = || Merged::new(client_after(Method::Post, "/chat"));
    let input = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n\x00\x01raw bytes";
    let (evs, _) = assert_chunking_invariant(make, input);
    assert!(matches!(&evs[0], Cv::Response(r) if r.status == StatusCode::SWITCHING_PROTOCOLS));
    assert_eq!(evs[1], Cv::Tunnel(b"\x00\x01raw bytes".to_vec()));
}

#[test]
fn connect_2xx_becomes_a_tunnel_both_ways() {
    let mut pair = Pair::new(
        client_after(Method::Connect, "example.com:443"),
        Server::new(Default::default()),
    );
    // Re-send: client_after drained the request; give the server its bytes directly.
    pair.server.handle_input(
        Instant::ZERO,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n\x16\x03tls",
    );
    let mut server_got = Vec::new();
    let mut client_got = Vec::new();
    pair.run(
        |c, e| {
            if let ClientEvent::Tunnel(b) = &e {
                client_got.extend_from_slice(b);
            }
            if let ClientEvent::Response(_) = e {
                c.send_data(Bytes::from_static(b"\x16\x03hello")).unwrap();
            }
        },
        |s, e| match e {
            ServerEvent::Request { .. } => {
                s.send_response(ResponseHead::new(StatusCode::OK)).unwrap();
                s.send_data(Bytes::from_static(b"from server")).unwrap();
            }
            ServerEvent::Tunnel(b) => server_got.extend_from_slice(&b),
            _ => {}
        },
    );
    assert_eq!(server_got, b"\x16\x03tls\x16\x03hello");
    assert_eq!(client_got, b"from server");
}

#[test]
fn close_delimited_response_ends_at_eof_and_truncation_is_an_error() {
    let (evs, _) = assert_chunking_invariant(
        || Merged::new(client_after(Method::Get, "/")),
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",
    );
    assert_eq!(evs[1], Cv::Data(b"until the end".to_vec()));
    assert!(matches!(evs[2], Cv::End(_)));
    let (evs, _) = feed_cut(
        Merged::new(client_after(Method::Get, "/")),
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        &[],
    );
    assert!(
        matches!(&evs[..], [.., Cv::Error(e), Cv::Closed(CloseReason::Error)] if e.kind == ErrorKind::IncompleteMessage && e.offset == 44),
        "{evs:?}"
    );
}

#[test]
fn idle_keep_alive_closes_quietly_and_a_slow_head_gets_408() {
    let mut config = ServerConfig::default();
    config.timeouts.idle = Some(Duration::from_secs(5));
    let mut pair = Pair::new(Client::new(ClientConfig::default()), Server::new(config));
    pair.server.handle_input(Instant::ZERO, b"");
    assert_eq!(pair.server.poll_timeout(), Some(Instant::from_millis(5000)));
    pair.advance(Duration::from_secs(5));
    assert!(pair.server.is_closed());
    assert_eq!(pair.server.poll_transmit(), None);
    assert_eq!(
        pair.server.poll_event(),
        Some(ServerEvent::Closed(CloseReason::Timeout))
    );
    assert_eq!(pair.server.poll_event(), None, "Closed is given once");

    let mut s = Server::new(config);
    s.handle_input(Instant::ZERO, b"GET / HT");
    s.handle_input(Instant::from_millis(4000), b"TP/1.1\r\n");
    assert_eq!(s.poll_event(), None);
    s.handle_timeout(Instant::from_millis(4999));
    assert_eq!(s.poll_event(), None);
    s.handle_timeout(Instant::from_millis(5000));
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::Timeout))
    );
    assert!(drain_bytes(&mut s).starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
    assert!(s.is_closed());
}

#[test]
fn leading_empty_lines_before_a_request_are_ignored() {
    let (evs, _) = assert_chunking_invariant(
        || Echo::new(Limits::default()),
        b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert!(matches!(&evs[0], Ev::Request(r) if r.target.as_bytes() == b"/"));
}

#[test]
fn bare_lf_is_an_opt_in_for_head_lines_only() {
    let input = b"GET / HTTP/1.1\nHost: a\n\n";
    let (evs, _) = feed_cut(Echo::new(Limits::default()), input, &[]);
    assert!(
        matches!(&evs[..], [Ev::Error(e), Ev::Closed(CloseReason::Error)] if e.kind == ErrorKind::BareLf && e.offset == 14)
    );
    let lenient = limits(|l| l.allow_bare_lf = true);
    let (evs, _) = assert_chunking_invariant(|| Echo::new(lenient), input);
    assert!(matches!(&evs[0], Ev::Request(_)));
    // Even with the opt-in, a chunk line needs CRLF.
    let chunked = b"POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n1\nx\r\n0\r\n\r\n";
    let (evs, _) = feed_cut(Echo::new(lenient), chunked, &[]);
    assert!(
        matches!(&evs[..], [.., Ev::Error(e), Ev::Closed(CloseReason::Error)] if e.kind == ErrorKind::BareLf)
    );
}

#[test]
fn client_and_server_pair_keep_alive_over_many_exchanges() {
    let mut pair = Pair::new(
        Client::new(Default::default()),
        Server::new(Default::default()),
    )
    .with_split(common::Split::Every(3));
    let mut got = Vec::new();
    let mut sent = 0;
    pair.client.send_request(get("/0")).unwrap();
    pair.client.send_end().unwrap();
    pair.run(
        |c, e| match e {
            ClientEvent::Data(d) => got.extend_from_slice(&d),
            ClientEvent::End { .. } => {
                sent += 1;
                if sent < 5 {
                    c.send_request(get(&format!("/{sent}"))).unwrap();
                    c.send_end().unwrap();
                }
            }
            _ => {}
        },
        |s, e| {
            if let ServerEvent::Request { head: r, .. } = e {
                let body = Bytes::copy_from_slice(r.target.as_bytes());
                s.respond(ResponseHead::new(StatusCode::OK), body).unwrap();
            }
        },
    );
    assert_eq!(got, b"/0/1/2/3/4");
    assert!(!pair.server.is_closed());
}

/// Found by the http_request fuzz target: `respond` added a Content-Length (and a
/// Connection field) to a 2xx CONNECT response, which RFC 9110 9.3.6 forbids.
#[test]
fn connect_2xx_carries_no_framing_fields() {
    let mut s = Server::new(Default::default());
    s.handle_input(Instant::ZERO, b"CONNECT a:1 HTTP/1.0\r\n\r\n");
    let _ = events(&mut s);
    let mut with_length = ResponseHead::new(StatusCode::OK);
    with_length.headers.append("Content-Length", "0").unwrap();
    assert!(
        matches!(s.send_response(with_length), Err(SendError::Invalid(e)) if e.rule.starts_with("RFC 9110 9.3.6"))
    );
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
        .unwrap();
    assert_eq!(drain_bytes(&mut s), b"HTTP/1.1 200 OK\r\n\r\n");
}

#[test]
fn undrained_input_past_the_buffer_limit_is_an_error_after_what_fits() {
    let limits = limits(|l| l.max_buffered = 64);
    let mut s = server(limits);
    let req = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    s.handle_input(Instant::ZERO, req);
    // A second read before the first was decoded: 27 + 40 > 64, refused whole.
    s.handle_input(Instant::ZERO, &[b'x'; 40]);
    let evs = events(&mut s);
    assert!(matches!(evs[0], ServerEvent::Request { .. }));
    assert!(matches!(evs[1], ServerEvent::End { .. }));
    assert!(
        matches!(&evs[2], ServerEvent::Error(e) if e.kind == ErrorKind::BufferFull { limit: 64 } && e.offset == 27),
        "{evs:?}"
    );
    assert_eq!(evs.len(), 3, "Closed waits for the owed response: {evs:?}");
    // The request before the overflow is still answered, then the 413 and a close.
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
        .unwrap();
    let wire = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(wire.starts_with("HTTP/1.1 200 OK\r\n"), "{wire}");
    assert!(
        wire.contains("HTTP/1.1 413 Content Too Large\r\n"),
        "{wire}"
    );
    assert!(s.is_closed());
    assert_eq!(events(&mut s), [ServerEvent::Closed(CloseReason::Error)]);
}

/// Both machines through the one generic driver, `common::drive`: the server streams a
/// 64 KiB response in 4 KiB chunks and the client streams a chunked upload, each paced
/// only by `wants_body`, the peer's bytes fed in 7-byte pieces.
#[test]
fn both_machines_run_under_the_generic_driver() {
    use common::drive;
    const CHUNK: usize = 4096;
    let body: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();

    // Server: two pipelined requests, each answered with the whole body streamed.
    let peer = b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    let mut server = Server::new(ServerConfig::default());
    let mut requests = 0;
    let mut closed = Vec::new();
    let sent = std::cell::Cell::new(0);
    let mut most_queued = 0;
    let driven = drive(
        &mut server,
        peer,
        7,
        |s, e| match e {
            ServerEvent::Request { .. } => requests += 1,
            ServerEvent::End { .. } => {
                s.send_response(ResponseHead::new(StatusCode::OK)).unwrap();
                sent.set(0);
            }
            ServerEvent::Closed(r) => closed.push(r),
            other => panic!("{other:?}"),
        },
        |s| {
            let at = sent.get();
            let end = (at + CHUNK).min(body.len());
            most_queued = most_queued.max(end - at);
            if at < body.len() {
                s.send_data(Bytes::copy_from_slice(&body[at..end])).unwrap();
                sent.set(end);
            } else {
                s.send_end().unwrap();
            }
        },
    );
    assert_eq!(requests, 2);
    assert_eq!(closed, [CloseReason::Done]);
    assert!(driven.closed);
    assert_eq!(driven.unread, 0);
    assert!(most_queued <= CHUNK);
    // The client machine reads back what the server wrote: two whole bodies.
    let mut c = Client::new(ClientConfig::default());
    for t in ["/a", "/b"] {
        c.send_request(get(t)).unwrap();
        c.send_end().unwrap();
    }
    let _ = drain_bytes(&mut c);
    let (evs, _) = feed_cut(Merged::new(c), &driven.wire, &[]);
    let bodies: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Cv::Data(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, [body.clone(), body.clone()]);

    // Client: a chunked upload paced by wants_body, then the server's answer.
    let mut client = Client::new(ClientConfig::default());
    let mut req = RequestHead::new(Method::Post, "/up").unwrap();
    req.headers.append("Host", "a").unwrap();
    req.headers.append("Transfer-Encoding", "chunked").unwrap();
    req.headers.append("Connection", "close").unwrap();
    client.send_request(req).unwrap();
    let mut up = 0;
    let mut got = Vec::new();
    let mut closed = Vec::new();
    let driven = drive(
        &mut client,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        5,
        |_, e| match e {
            ClientEvent::Response(r) => assert_eq!(r.status, StatusCode::OK),
            ClientEvent::Data(d) => got.extend_from_slice(&d),
            ClientEvent::End { .. } => {}
            ClientEvent::Closed(r) => closed.push(r),
            other => panic!("{other:?}"),
        },
        |c| {
            if up < body.len() {
                let end = (up + CHUNK).min(body.len());
                c.send_data(Bytes::copy_from_slice(&body[up..end])).unwrap();
                up = end;
            } else {
                c.send_end().unwrap();
            }
        },
    );
    assert_eq!(got, b"ok");
    assert_eq!(closed, [CloseReason::Done]);
    assert!(driven.closed);
    // The server machine reads the upload back whole.
    let (evs, _) = feed_cut(Echo::new(Limits::default()), &driven.wire, &[]);
    assert!(matches!(&evs[0], Ev::Request(r) if r.target.as_bytes() == b"/up"));
    assert_eq!(evs[1], Ev::Data(body));
}

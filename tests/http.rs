//! The HTTP machines: transcripts replayed byte-exact in both roles, chunking invariance,
//! limits that hold however TCP splits, pipelining, 100-continue, upgrades and tunnels,
//! close-delimited bodies, timers, and local misuse.

mod common;
#[path = "http_support/mod.rs"]
mod http_support;

use bytes::Bytes;
use common::{assert_chunking_invariant, drain_bytes, events, feed_cut, Pair};
use http_support::*;
use std::time::Duration;
use wirestate::http::{
    ClientConn, ClientEvent, ErrorKind, Headers, Limits, Method, RequestHead, ResponseHead,
    SendError, ServerConn, ServerEvent, StatusCode,
};
use wirestate::{Instant, Machine};

#[test]
fn server_replays_transcripts_byte_exact_write_by_write() {
    for (name, text) in TRANSCRIPTS {
        let segments = transcript(text);
        let mut server = Echo::new(Limits::default());
        let mut i = 0;
        while i < segments.len() {
            let (who, bytes) = &segments[i];
            assert_eq!(
                *who, 'C',
                "{name}: transcript must start each exchange with C"
            );
            server.handle_input(Instant::ZERO, bytes);
            let _ = events(&mut server);
            let got = drain_bytes(&mut server);
            // Everything the server says before the client's next write.
            let mut want = Vec::new();
            i += 1;
            while i < segments.len() && segments[i].0 == 'S' {
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
    for (name, text) in TRANSCRIPTS {
        let segments = transcript(text);
        let input = side(&segments, 'C');
        let (_, out) = assert_chunking_invariant(|| Echo::new(Limits::default()), &input);
        // 100 Continue is sent when the body is first polled, before any body byte is
        // decoded, so it is in the output whatever the split.
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&side(&segments, 'S')),
            "{name}"
        );
    }
}

/// The client sends the requests the server saw and parses the server's bytes.
#[test]
fn client_reads_every_transcript_response() {
    for (name, text) in TRANSCRIPTS {
        let segments = transcript(text);
        let mut server = Echo::new(Limits::default());
        let (_, _) = (
            server.handle_input(Instant::ZERO, &side(&segments, 'C')),
            events(&mut server),
        );
        let seen = server.seen.clone();
        let make = || {
            let mut c = ClientConn::new(Limits::default());
            for (req, body, trailers) in &seen {
                c.send_request(req.clone()).unwrap();
                c.send_data(Bytes::from(body.clone())).unwrap();
                c.send_end(trailers).unwrap();
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
        let (evs, _) = assert_chunking_invariant(make, &side(&segments, 'S'));
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
    let segments = transcript(TRANSCRIPTS[2].1);
    let mut c = ClientConn::new(Limits::default());
    let mut req = RequestHead::new(Method::Put, "/doc").unwrap();
    req.headers.append("Host", "example.com").unwrap();
    req.headers.append("Content-Length", "5").unwrap();
    req.headers.append("Expect", "100-continue").unwrap();
    c.send_request(req).unwrap();
    assert_eq!(drain_bytes(&mut c), segments[0].1);
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(1000)));
    c.handle_input(Instant::ZERO, &segments[1].1);
    assert!(
        matches!(c.poll_event(), Some(ClientEvent::Informational(r)) if r.status == StatusCode::CONTINUE)
    );
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn client_expect_timeout_says_send_the_body() {
    let mut c = ClientConn::new(Limits::default());
    let mut req = get("/");
    req.headers.append("Content-Length", "1").unwrap();
    req.headers.append("Expect", "100-continue").unwrap();
    c.send_request(req).unwrap();
    c.handle_timeout(Instant::from_millis(999));
    assert_eq!(c.poll_event(), None);
    c.handle_timeout(Instant::from_millis(1000));
    assert_eq!(c.poll_event(), Some(ClientEvent::ExpectTimeout));
    c.send_data(Bytes::from_static(b"x")).unwrap();
}

#[test]
fn head_limit_holds_however_the_bytes_arrive() {
    let limits = Limits {
        max_head: 200,
        ..Limits::default()
    };
    let mut input = b"GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ".to_vec();
    input.extend(std::iter::repeat(b'a').take(300));
    input.extend_from_slice(b"\r\n\r\n");
    let (evs, out) = assert_chunking_invariant(|| Echo::new(limits), &input);
    assert!(
        matches!(&evs[..], [Ev::Error(e)] if e.kind == ErrorKind::HeadTooLarge { limit: 200 } && e.offset == 200),
        "{evs:?}"
    );
    assert!(out.starts_with(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
}

#[test]
fn request_line_limit_answers_414() {
    let limits = Limits {
        max_request_line: 32,
        ..Limits::default()
    };
    let mut input = b"GET /".to_vec();
    input.extend(std::iter::repeat(b'a').take(40));
    input.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
    let (evs, out) = assert_chunking_invariant(|| Echo::new(limits), &input);
    assert!(
        matches!(&evs[..], [Ev::Error(e)] if e.kind == ErrorKind::RequestLineTooLong { limit: 32 })
    );
    assert!(out.starts_with(b"HTTP/1.1 414 URI Too Long\r\n"));
}

#[test]
fn header_count_limit_answers_431() {
    let limits = Limits {
        max_headers: 3,
        ..Limits::default()
    };
    let ok = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
    let (evs, _) = feed_cut(Echo::new(limits), ok, &[]);
    assert!(matches!(evs[0], Ev::Request(_)));
    let over = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    let (evs, out) = assert_chunking_invariant(|| Echo::new(limits), over);
    assert!(matches!(&evs[..], [Ev::Error(e)] if e.kind == ErrorKind::TooManyHeaders { limit: 3 }));
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
    let limits = Limits {
        max_pipeline: 2,
        ..Limits::default()
    };
    let mut s = ServerConn::new(limits);
    let req = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    s.handle_input(Instant::ZERO, &req.repeat(3));
    let evs = events(&mut s);
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e, ServerEvent::Request(_)))
            .count(),
        2
    );
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
        .unwrap();
    let evs = events(&mut s);
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e, ServerEvent::Request(_)))
            .count(),
        1
    );
}

#[test]
fn connection_close_request_ends_the_connection_after_its_response() {
    let mut s = ServerConn::new(Limits::default());
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
    let mut s = ServerConn::new(Limits::default());
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
    let mut s = ServerConn::new(Limits::default());
    s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let _ = events(&mut s);
    s.send_response(ResponseHead::new(StatusCode::OK)).unwrap();
    s.send_data(Bytes::from_static(b"abc")).unwrap();
    let mut t = Headers::new();
    t.append("X-Sum", "7").unwrap();
    s.send_end(&t).unwrap();
    assert_eq!(
        drain_bytes(&mut s),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 7\r\n\r\n"
    );
    let mut s = ServerConn::new(Limits::default());
    s.handle_input(Instant::ZERO, b"GET / HTTP/1.0\r\n\r\n");
    let _ = events(&mut s);
    s.send_response(ResponseHead::new(StatusCode::OK)).unwrap();
    s.send_data(Bytes::from_static(b"abc")).unwrap();
    s.send_end(&Headers::new()).unwrap();
    assert_eq!(
        drain_bytes(&mut s),
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc"
    );
    assert!(s.is_closed());
}

#[test]
fn encoder_refuses_more_or_fewer_bytes_than_declared_and_queues_nothing() {
    let mut s = ServerConn::new(Limits::default());
    s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let _ = events(&mut s);
    let mut r = ResponseHead::new(StatusCode::OK);
    r.headers.append("Content-Length", "3").unwrap();
    s.send_response(r).unwrap();
    let head = drain_bytes(&mut s);
    assert!(head.ends_with(b"\r\n\r\n"));
    assert_eq!(
        s.send_data(Bytes::from_static(b"abcd")),
        Err(SendError::TooMuchData)
    );
    assert_eq!(s.send_end(&Headers::new()), Err(SendError::TooLittleData));
    assert!(drain_bytes(&mut s).is_empty());
    s.send_data(Bytes::from_static(b"abc")).unwrap();
    assert_eq!(
        s.send_data(Bytes::from_static(b"d")),
        Err(SendError::TooMuchData)
    );
    s.send_end(&Headers::new()).unwrap();
    assert_eq!(drain_bytes(&mut s), b"abc");
}

#[test]
fn local_misuse_is_an_error_and_queues_nothing() {
    let mut c = ClientConn::new(Limits::default());
    let mut both = get("/");
    both.headers.append("Content-Length", "1").unwrap();
    both.headers.append("Transfer-Encoding", "chunked").unwrap();
    assert_eq!(c.send_request(both), Err(SendError::BadFraming));
    let mut gzip_last = get("/");
    gzip_last
        .headers
        .append("Transfer-Encoding", "chunked, gzip")
        .unwrap();
    assert_eq!(c.send_request(gzip_last), Err(SendError::BadFraming));
    let mut connect_origin = RequestHead::new(Method::Connect, "/x").unwrap();
    connect_origin.headers.append("Host", "a").unwrap();
    assert_eq!(c.send_request(connect_origin), Err(SendError::BadFraming));
    let mut injected = get("/");
    injected.method = Method::Other(Bytes::from_static(b"GET / HTTP/1.1\r\nX:"));
    assert!(matches!(
        c.send_request(injected),
        Err(SendError::Invalid(_))
    ));
    assert_eq!(c.poll_transmit(), None);
    c.send_request(get("/")).unwrap();
    assert_eq!(c.send_request(get("/")), Err(SendError::OutOfTurn));
    c.send_end(&Headers::new()).unwrap();
    let mut s = ServerConn::new(Limits::default());
    assert_eq!(
        s.send_response(ResponseHead::new(StatusCode::OK)),
        Err(SendError::OutOfTurn)
    );
    assert_eq!(s.poll_transmit(), None);
}

fn client_after(method: Method, target: &str) -> ClientConn {
    let mut c = ClientConn::new(Limits::default());
    let mut r = RequestHead::new(method, target).unwrap();
    r.headers.append("Host", "a").unwrap();
    if matches!(r.method, Method::Get | Method::Head | Method::Connect) {
        c.send_request(r).unwrap();
    } else {
        r.headers.append("Upgrade", "echo").unwrap();
        r.headers.append("Connection", "upgrade").unwrap();
        c.send_request(r).unwrap();
    }
    c.send_end(&Headers::new()).unwrap();
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
        c.send_end(&Headers::new()).unwrap();
        let input = format!("{status_line}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        c.handle_input(Instant::ZERO, input.as_bytes());
        let evs = events(&mut c);
        assert!(
            matches!(evs[1], ClientEvent::EndOfMessage(_)),
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
    assert!(matches!(&evs[2], ClientEvent::EndOfMessage(_)));
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
        ServerConn::new(Limits::default()),
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
            ServerEvent::Request(_) => {
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
        matches!(evs.last(), Some(Cv::Error(e)) if e.kind == ErrorKind::IncompleteMessage && e.offset == 44)
    );
}

#[test]
fn idle_keep_alive_closes_quietly_and_a_slow_head_gets_408() {
    let limits = Limits {
        head_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    let mut pair = Pair::new(ClientConn::new(limits), ServerConn::new(limits));
    pair.server.handle_input(Instant::ZERO, b"");
    assert_eq!(pair.server.poll_timeout(), Some(Instant::from_millis(5000)));
    pair.advance(Duration::from_secs(5));
    assert!(pair.server.is_closed());
    assert_eq!(pair.server.poll_transmit(), None);

    let mut s = ServerConn::new(limits);
    s.handle_input(Instant::ZERO, b"GET / HT");
    s.handle_input(Instant::from_millis(4000), b"TP/1.1\r\n");
    assert_eq!(s.poll_event(), None);
    s.handle_timeout(Instant::from_millis(5000));
    assert!(
        matches!(s.poll_event(), Some(ServerEvent::Error(e)) if e.kind == ErrorKind::Timeout && e.offset == 0)
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
    assert!(matches!(&evs[..], [Ev::Error(e)] if e.kind == ErrorKind::BareLf && e.offset == 14));
    let lenient = Limits {
        allow_bare_lf: true,
        ..Limits::default()
    };
    let (evs, _) = assert_chunking_invariant(|| Echo::new(lenient), input);
    assert!(matches!(&evs[0], Ev::Request(_)));
    // Even with the opt-in, a chunk line needs CRLF.
    let chunked = b"POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n1\nx\r\n0\r\n\r\n";
    let (evs, _) = feed_cut(Echo::new(lenient), chunked, &[]);
    assert!(matches!(evs.last(), Some(Ev::Error(e)) if e.kind == ErrorKind::BareLf));
}

/// A client that has sent GETs for each of `targets`, its events merged.
fn merged_client(limits: Limits, targets: &[&str]) -> Merged {
    let mut c = ClientConn::new(limits);
    for t in targets {
        c.send_request(get(t)).unwrap();
        c.send_end(&Headers::new()).unwrap();
    }
    let _ = drain_bytes(&mut c);
    Merged::new(c)
}

#[test]
fn response_obs_fold_is_replaced_with_sp_however_the_bytes_arrive() {
    // RFC 9112 5.2: a user agent MUST replace each obs-fold in a response with SP
    // before interpreting the value. The fold's CR and LF become SP, the RWS stays.
    // Two pipelined responses: the unfolding must not move where the second starts.
    let input = b"HTTP/1.1 200 OK\r\nX-Long: a,\r\n b\r\n\t c\r\nContent-Length:\r\n 2\r\n\r\nok\
                  HTTP/1.1 200 OK\r\nX-Long: d\r\nContent-Length: 1\r\n\r\n!";
    let make = || merged_client(Limits::default(), &["/1", "/2"]);
    let (evs, _) = assert_chunking_invariant(make, input);
    let [Cv::Response(first), Cv::Data(d1), Cv::End(_), Cv::Response(second), Cv::Data(d2), Cv::End(_)] =
        &evs[..]
    else {
        panic!("{evs:?}")
    };
    let fields: Vec<_> = first.headers.iter().collect();
    assert_eq!(
        fields,
        [
            (&b"X-Long"[..], &b"a,   b  \t c"[..]),
            (&b"Content-Length"[..], &b"2"[..]),
        ]
    );
    assert_eq!((&d1[..], &d2[..]), (&b"ok"[..], &b"!"[..]));
    assert_eq!(second.headers.get(b"x-long"), Some(&b"d"[..]));

    // A bare LF ends a fold only where bare LF is accepted as a line ending at all.
    let bare = b"HTTP/1.1 200 OK\r\nX: a\n b\r\nContent-Length: 0\r\n\r\n";
    let (evs, _) = assert_chunking_invariant(|| merged_client(Limits::default(), &["/"]), bare);
    assert!(matches!(&evs[..], [Cv::Error(e)] if e.kind == ErrorKind::BareLf && e.offset == 21));
    let lenient = Limits {
        allow_bare_lf: true,
        ..Limits::default()
    };
    let (evs, _) = assert_chunking_invariant(|| merged_client(lenient, &["/"]), bare);
    assert!(matches!(&evs[0], Cv::Response(r) if r.headers.get(b"x") == Some(&b"a  b"[..])));
    assert!(matches!(&evs[1], Cv::End(_)));

    // RFC 9112 2.2: whitespace before the first field line continues nothing.
    let first_line = b"HTTP/1.1 200 OK\r\n X: a\r\nContent-Length: 0\r\n\r\n";
    let (evs, _) = assert_chunking_invariant(|| merged_client(lenient, &["/"]), first_line);
    assert!(matches!(&evs[..], [Cv::Error(e)] if e.kind == ErrorKind::ObsFold && e.offset == 17));
}

#[test]
fn response_obs_fold_limits_count_the_bytes_and_lines_received() {
    let head = b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n";
    let run = |limits: Limits| assert_chunking_invariant(|| merged_client(limits, &["/"]), head).0;
    let exact = Limits {
        max_head: head.len(),
        max_headers: 3,
        ..Limits::default()
    };
    assert!(
        matches!(&run(exact)[0], Cv::Response(r) if r.headers.get(b"x") == Some(&b"a   b"[..]))
    );
    let evs = run(Limits {
        max_head: head.len() - 1,
        ..exact
    });
    assert!(matches!(&evs[..], [Cv::Error(e)] if matches!(e.kind, ErrorKind::HeadTooLarge { .. })));
    // Two fields, but three field lines: the continuation line counts.
    let evs = run(Limits {
        max_headers: 2,
        ..exact
    });
    assert!(
        matches!(&evs[..], [Cv::Error(e)] if matches!(e.kind, ErrorKind::TooManyHeaders { .. }))
    );
}

#[test]
fn head_parser_unfolds_responses_from_a_buffer_and_a_writable_slice() {
    use wirestate::buffer::RecvBuffer;
    use wirestate::http::{BodyKind, HeadParser};
    // The body holds the bytes of a fold; only the head may be rewritten.
    let wire = b"HTTP/1.1 200 OK\r\nVary: a,\r\n\tb\r\nContent-Length: 5\r\n\r\nx\r\n y";
    let mut parser = HeadParser::new(&Limits::default());
    let mut buf = RecvBuffer::new(1024);
    buf.push(wire).unwrap();
    let (head, body) = parser
        .parse_response(&mut buf, &Method::Get)
        .unwrap()
        .unwrap();
    assert_eq!(head.headers.get(b"vary"), Some(&b"a,  \tb"[..]));
    assert_eq!(body, BodyKind::Length(5));
    assert_eq!(buf.as_slice(), b"x\r\n y");

    // The read-only slice parser cannot unfold and says so, at the continuation line.
    let e = parser
        .parse_response_bytes(wire, &Method::Get)
        .unwrap()
        .unwrap_err();
    assert_eq!((e.kind, e.offset), (ErrorKind::ObsFold, 27));
    let mut input = wire.to_vec();
    let resp = parser
        .parse_response_bytes_mut(&mut input, &Method::Get)
        .unwrap()
        .unwrap();
    assert_eq!(
        (resp.body, &input[resp.len..]),
        (BodyKind::Length(5), &b"x\r\n y"[..])
    );
    let fields: Vec<_> = parser
        .fields()
        .map(|(n, v)| (&input[n], &input[v]))
        .collect();
    let buffered: Vec<_> = head.headers.iter().collect();
    assert_eq!(fields, buffered);
    assert_eq!(
        &input[..resp.len],
        b"HTTP/1.1 200 OK\r\nVary: a,  \tb\r\nContent-Length: 5\r\n\r\n"
    );

    // Without a fold, or with only a first-line one, nothing is written.
    for bad in [
        &b"HTTP/1.1 200 OK\r\n Vary: a\r\n\r\n"[..],
        &b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"[..],
    ] {
        let mut input = bad.to_vec();
        let r = parser
            .parse_response_bytes_mut(&mut input, &Method::Get)
            .unwrap();
        assert!(r.is_err(), "{r:?}");
        assert_eq!(input, bad);
    }
    // A partial head is "not yet", as from the read-only parser.
    let mut partial = wire[..28].to_vec();
    assert!(parser
        .parse_response_bytes_mut(&mut partial, &Method::Get)
        .is_none());
}

#[test]
fn header_order_case_and_duplicates_are_kept() {
    let mut s = ServerConn::new(Limits::default());
    s.handle_input(
        Instant::ZERO,
        b"GET / HTTP/1.1\r\nhOsT: a\r\nX-A: 1\r\nx-a: 2\r\nAccept:  text/html \t\r\n\r\n",
    );
    let Some(ServerEvent::Request(r)) = s.poll_event() else {
        panic!("no request")
    };
    let all: Vec<_> = r.headers.iter().collect();
    assert_eq!(
        all,
        [
            (&b"hOsT"[..], &b"a"[..]),
            (b"X-A", b"1"),
            (b"x-a", b"2"),
            (b"Accept", b"text/html"),
        ]
    );
    assert_eq!(r.headers.get_all(b"X-A").count(), 2);
}

#[test]
fn client_and_server_pair_keep_alive_over_many_exchanges() {
    let mut pair = Pair::new(
        ClientConn::new(Limits::default()),
        ServerConn::new(Limits::default()),
    )
    .with_split(common::Split::Every(3));
    let mut got = Vec::new();
    let mut sent = 0;
    pair.client.send_request(get("/0")).unwrap();
    pair.client.send_end(&Headers::new()).unwrap();
    pair.run(
        |c, e| match e {
            ClientEvent::Data(d) => got.extend_from_slice(&d),
            ClientEvent::EndOfMessage(_) => {
                sent += 1;
                if sent < 5 {
                    c.send_request(get(&format!("/{sent}"))).unwrap();
                    c.send_end(&Headers::new()).unwrap();
                }
            }
            _ => {}
        },
        |s, e| {
            if let ServerEvent::Request(r) = e {
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
    let mut s = ServerConn::new(Limits::default());
    s.handle_input(Instant::ZERO, b"CONNECT a:1 HTTP/1.0\r\n\r\n");
    let _ = events(&mut s);
    let mut with_length = ResponseHead::new(StatusCode::OK);
    with_length.headers.append("Content-Length", "0").unwrap();
    assert_eq!(s.send_response(with_length), Err(SendError::BadFraming));
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
        .unwrap();
    assert_eq!(drain_bytes(&mut s), b"HTTP/1.1 200 OK\r\n\r\n");
}

#[test]
fn undrained_input_past_the_buffer_limit_is_an_error_after_what_fits() {
    let limits = Limits {
        max_buffer: 64,
        ..Limits::default()
    };
    let mut s = ServerConn::new(limits);
    let req = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    s.handle_input(Instant::ZERO, req);
    // A second read before the first was decoded: 27 + 40 > 64, refused whole.
    s.handle_input(Instant::ZERO, &[b'x'; 40]);
    let evs = events(&mut s);
    assert!(matches!(evs[0], ServerEvent::Request(_)));
    assert!(matches!(evs[1], ServerEvent::EndOfMessage(_)));
    assert!(
        matches!(&evs[2], ServerEvent::Error(e) if e.kind == ErrorKind::BufferFull { limit: 64 } && e.offset == 27),
        "{evs:?}"
    );
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
}

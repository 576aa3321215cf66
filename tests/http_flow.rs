//! The HTTP machines' flow, on the 1.0 API: input flow control, the 100-continue
//! decision, the client's reply timeout, `Closed` as the last event, where a CONNECT
//! tunnel starts, and stray empty lines between responses.

mod common;
#[path = "http_support/mod.rs"]
mod http_support;

use bytes::Bytes;
use common::{assert_chunking_invariant, drain_bytes, events, feed_cut};
use http_support::*;
use std::time::Duration;
use wirestate::http::{
    Client, ClientConfig, ClientEvent, ErrorKind, Limits, ResponseHead, SendError, Server,
    ServerConfig, ServerEvent, StatusCode,
};
use wirestate::{CloseReason, Instant, Machine};

/// A client that has sent GETs for each of `targets`, its events merged.
fn merged_client(limits: Limits, targets: &[&str]) -> Merged {
    let mut c = client(limits);
    for t in targets {
        c.send_request(get(t)).unwrap();
        c.send_end().unwrap();
    }
    let _ = drain_bytes(&mut c);
    Merged::new(c)
}

#[test]
fn wants_input_is_false_while_the_pipeline_is_full() {
    let mut s = server(limits(|l| l.max_pipeline = 2));
    assert!(s.wants_input());
    let req = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    s.handle_input(Instant::ZERO, &req.repeat(2));
    let _ = events(&mut s);
    assert!(!s.wants_input(), "two requests wait for responses");
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
        .unwrap();
    assert!(s.wants_input());
}

#[test]
fn expect_continue_is_a_decision_answered_once() {
    let input = b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi";
    let mut s = Server::new(ServerConfig::default());
    s.handle_input(Instant::ZERO, input);
    assert!(matches!(s.poll_event(), Some(ServerEvent::Request { .. })));
    let Some(ServerEvent::Continue(d)) = s.poll_event() else {
        panic!("the machine asks")
    };
    // Nothing is decoded, nothing is answered, until the caller decides.
    assert_eq!(s.poll_event(), None);
    assert!(!s.wants_input());
    assert_eq!(s.poll_transmit(), None);
    let id = d.id();
    s.send_continue(d).unwrap();
    assert_eq!(drain_bytes(&mut s), b"HTTP/1.1 100 Continue\r\n\r\n");
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Data(Bytes::from_static(b"hi")))
    );
    assert!(matches!(s.poll_event(), Some(ServerEvent::End { .. })));

    // A final response answers it too, and the connection then closes.
    let mut s = Server::new(ServerConfig::default());
    s.handle_input(Instant::ZERO, input);
    let _ = s.poll_event();
    let Some(ServerEvent::Continue(d)) = s.poll_event() else {
        panic!()
    };
    assert_ne!(d.id(), u64::MAX);
    s.respond(
        ResponseHead::new(StatusCode::EXPECTATION_FAILED),
        Bytes::new(),
    )
    .unwrap();
    assert!(matches!(s.send_continue(d), Err(SendError::OutOfTurn(_))));
    let wire = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(
        wire.starts_with("HTTP/1.1 417 Expectation Failed\r\n"),
        "{wire}"
    );
    assert!(wire.contains("Connection: close\r\n"), "{wire}");
    assert!(!wire.contains("100 Continue"), "{wire}");
    let _ = id;

    // Opting in: the machine answers 100 itself when the body is polled.
    let mut config = ServerConfig::default();
    config.auto_continue = true;
    let mut s = Server::new(config);
    s.handle_input(Instant::ZERO, input);
    assert!(matches!(s.poll_event(), Some(ServerEvent::Request { .. })));
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Data(Bytes::from_static(b"hi")))
    );
    assert_eq!(drain_bytes(&mut s), b"HTTP/1.1 100 Continue\r\n\r\n");
}

#[test]
fn client_reply_timeout_ends_a_wait_for_a_dead_server() {
    let mut config = ClientConfig::default();
    config.timeouts.reply = Some(Duration::from_secs(10));
    let mut c = Client::new(config);
    c.handle_timeout(Instant::from_millis(1_000));
    c.send_request(get("/")).unwrap();
    c.send_end().unwrap();
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(11_000)));
    // A partial head does not restart the wait.
    c.handle_input(Instant::from_millis(5_000), b"HTTP/1.1 200");
    assert_eq!(c.poll_event(), None);
    c.handle_timeout(Instant::from_millis(10_999));
    assert_eq!(c.poll_event(), None);
    assert!(!c.is_closed());
    c.handle_timeout(Instant::from_millis(11_000));
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Closed(CloseReason::Timeout))
    );
    assert_eq!(c.poll_event(), None);
    assert!(c.is_closed());
    assert!(!c.wants_input());

    // None: wait forever.
    let mut config = ClientConfig::default();
    config.timeouts.reply = None;
    let mut c = Client::new(config);
    c.send_request(get("/")).unwrap();
    c.send_end().unwrap();
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn closed_is_the_last_event_exactly_once_for_each_reason() {
    // Done: the last exchange of a connection that is not kept alive.
    let mut s = Server::new(ServerConfig::default());
    s.handle_input(Instant::ZERO, b"GET / HTTP/1.0\r\n\r\n");
    let _ = events(&mut s);
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
        .unwrap();
    assert_eq!(events(&mut s), [ServerEvent::Closed(CloseReason::Done)]);
    assert_eq!(events(&mut s), []);
    // PeerClosed: between messages, and with a partial head dropped.
    let (evs, _) = feed_cut(Server::new(ServerConfig::default()), b"", &[]);
    assert_eq!(
        evs,
        [ServerEvent::Closed(CloseReason::PeerClosed {
            unterminated: 0
        })]
    );
    let (evs, out) = feed_cut(Server::new(ServerConfig::default()), b"GET / HT", &[]);
    assert_eq!(
        evs,
        [ServerEvent::Closed(CloseReason::PeerClosed {
            unterminated: 8
        })]
    );
    assert!(out.is_empty());
    // Error: right after the Error event.
    let (evs, _) = feed_cut(
        Server::new(ServerConfig::default()),
        b"GET / HTTP/1.1\r\n\r\n",
        &[],
    );
    assert!(
        matches!(&evs[..], [ServerEvent::Error(e), ServerEvent::Closed(CloseReason::Error)] if e.kind == ErrorKind::BadHost)
    );
    // The client: PeerClosed when idle, Done after a close-delimited response.
    let (evs, _) = feed_cut(Client::new(ClientConfig::default()), b"", &[]);
    assert_eq!(
        evs,
        [ClientEvent::Closed(CloseReason::PeerClosed {
            unterminated: 0
        })]
    );
}

/// RFC 9110 9.3.6: where a CONNECT tunnel starts does not depend on when the caller
/// answers: on the `Request` event or after `End`, at any split, the client's bytes
/// after the head come out as the same tunnel bytes.
#[test]
fn connect_tunnel_starts_after_the_head_whenever_the_caller_answers() {
    let input = b"CONNECT foo.bar.com:443 HTTP/1.1\r\nHost: foo.bar.com:443\r\n\r\n\x16\x03\x01tls";
    for answer_on_request in [true, false] {
        for cut in 0..=input.len() {
            let mut s = Server::new(ServerConfig::default());
            let mut tunnel = Vec::new();
            for piece in [&input[..cut], &input[cut..]] {
                s.handle_input(Instant::ZERO, piece);
                while let Some(e) = s.poll_event() {
                    match e {
                        ServerEvent::Request { .. } if answer_on_request => {
                            s.send_response(ResponseHead::new(StatusCode::OK)).unwrap()
                        }
                        ServerEvent::Request { .. } => {}
                        ServerEvent::End { .. } if !answer_on_request => {
                            s.send_response(ResponseHead::new(StatusCode::OK)).unwrap()
                        }
                        ServerEvent::End { .. } => {}
                        ServerEvent::Tunnel(b) => tunnel.extend_from_slice(&b),
                        other => panic!("{other:?}"),
                    }
                }
            }
            assert_eq!(
                tunnel, b"\x16\x03\x01tls",
                "cut {cut}, answered on the request: {answer_on_request}"
            );
        }
    }
}

/// Issue 10 point 2: stray empty lines where a response head can start (after a body,
/// after a 304, between pipelined responses, after the last one) are skipped, fed whole
/// and at every split.
#[test]
fn stray_empty_lines_between_responses_are_skipped() {
    let input = b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na\r\n\
                  HTTP/1.1 304 Not Modified\r\n\r\n\r\n\
                  HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb\r\n\r\n";
    let make = || merged_client(Limits::default(), &["/1", "/2", "/3"]);
    let (evs, _) = assert_chunking_invariant(make, input);
    let statuses: Vec<u16> = evs
        .iter()
        .filter_map(|e| match e {
            Cv::Response(r) => Some(r.status.as_u16()),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [200, 304, 200], "{evs:?}");
    assert!(!evs.iter().any(|e| matches!(e, Cv::Error(_))), "{evs:?}");
    assert_eq!(
        evs.last(),
        Some(&Cv::Closed(CloseReason::PeerClosed { unterminated: 0 }))
    );
}

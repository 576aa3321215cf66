//! HTTP heads: obs-fold in responses replaced with SP however the bytes arrive, the
//! limits counting what was received, the head parser on a buffer and on a writable
//! slice, and header order, case and duplicates kept.

mod common;
#[path = "http_support/mod.rs"]
mod http_support;

use common::{assert_chunking_invariant, drain_bytes};
use http_support::*;
use wirestate::http::{ErrorKind, Limits, Method, Server, ServerEvent};
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
fn response_obs_fold_is_replaced_with_sp_however_the_bytes_arrive() {
    // RFC 9112 5.2: a user agent MUST replace each obs-fold in a response with SP
    // before interpreting the value. The fold's CR and LF become SP, the RWS stays.
    // Two pipelined responses: the unfolding must not move where the second starts.
    let input = b"HTTP/1.1 200 OK\r\nX-Long: a,\r\n b\r\n\t c\r\nContent-Length:\r\n 2\r\n\r\nok\
                  HTTP/1.1 200 OK\r\nX-Long: d\r\nContent-Length: 1\r\n\r\n!";
    let make = || merged_client(Limits::default(), &["/1", "/2"]);
    let (evs, _) = assert_chunking_invariant(make, input);
    let [Cv::Response(first), Cv::Data(d1), Cv::End(_), Cv::Response(second), Cv::Data(d2), Cv::End(_), Cv::Closed(CloseReason::PeerClosed { unterminated: 0 })] =
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
    assert!(
        matches!(&evs[..], [Cv::Error(e), Cv::Closed(CloseReason::Error)] if e.kind == ErrorKind::BareLf && e.offset == 21)
    );
    let lenient = limits(|l| l.allow_bare_lf = true);
    let (evs, _) = assert_chunking_invariant(|| merged_client(lenient, &["/"]), bare);
    assert!(matches!(&evs[0], Cv::Response(r) if r.headers.get(b"x") == Some(&b"a  b"[..])));
    assert!(matches!(&evs[1], Cv::End(_)));

    // RFC 9112 2.2: whitespace before the first field line continues nothing.
    let first_line = b"HTTP/1.1 200 OK\r\n X: a\r\nContent-Length: 0\r\n\r\n";
    let (evs, _) = assert_chunking_invariant(|| merged_client(lenient, &["/"]), first_line);
    assert!(
        matches!(&evs[..], [Cv::Error(e), Cv::Closed(CloseReason::Error)] if e.kind == ErrorKind::ObsFold && e.offset == 17)
    );
}

#[test]
fn response_obs_fold_limits_count_the_bytes_and_lines_received() {
    let head = b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n";
    let run = |limits: Limits| assert_chunking_invariant(|| merged_client(limits, &["/"]), head).0;
    let exact = limits(|l| {
        l.max_head = head.len();
        l.max_headers = 3;
    });
    assert!(
        matches!(&run(exact)[0], Cv::Response(r) if r.headers.get(b"x") == Some(&b"a   b"[..]))
    );
    let mut smaller = exact;
    smaller.max_head = head.len() - 1;
    let evs = run(smaller);
    assert!(
        matches!(&evs[..], [Cv::Error(e), Cv::Closed(CloseReason::Error)] if matches!(e.kind, ErrorKind::HeadTooLarge { .. }))
    );
    // Two fields, but three field lines: the continuation line counts.
    let mut fewer = exact;
    fewer.max_headers = 2;
    let evs = run(fewer);
    assert!(
        matches!(&evs[..], [Cv::Error(e), Cv::Closed(CloseReason::Error)] if matches!(e.kind, ErrorKind::TooManyHeaders { .. }))
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
    let mut s = Server::new(Default::default());
    s.handle_input(
        Instant::ZERO,
        b"GET / HTTP/1.1\r\nhOsT: a\r\nX-A: 1\r\nx-a: 2\r\nAccept:  text/html \t\r\n\r\n",
    );
    let Some(ServerEvent::Request { head: r, .. }) = s.poll_event() else {
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

//! Properties: serialize -> parse roundtrips in both roles, chunking invariance on
//! valid and arbitrary input (cuts inside CRLF and chunk sizes included), never a panic,
//! the hand-written field parser checked against a nom grammar of RFC 9112 5, and the
//! one-pass slice parser checked against the resumable buffered one, and heads read in
//! place (`Server::poll_request_ref`, `Client::poll_response_ref`) checked against the
//! owned events.

mod common;
#[path = "http_support/mod.rs"]
mod http_support;

use common::{drain_bytes, feed_cut};
use http_support::*;
use proptest::prelude::*;
use wirestate::buffer::RecvBuffer;
use wirestate::generate::http::{Request, Response};
use wirestate::generate::{cases, valid, Case, Mix};
use wirestate::http::{
    Client, ClientConfig, ClientEvent, HeadParser, Limits, Method, Server, ServerEvent,
};
use wirestate::{CloseReason, Instant, Machine};

/// Sorted cut points in `0..=len`, one per generated index.
fn cut_points(cuts: &[prop::sample::Index], len: usize) -> Vec<usize> {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(len + 1)).collect();
    at.sort_unstable();
    at
}

/// Serializes requests with one client, back to back (pipelined).
fn client_bytes(reqs: &[Request]) -> Vec<u8> {
    let mut c = Client::new(Default::default());
    for r in reqs {
        r.send(&mut c).unwrap();
    }
    drain_bytes(&mut c)
}

/// Bytes with the look of broken heads: line ends, colons and spaces among any bytes.
fn head_noise() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>(),
        2 => Just(b'\r'), 2 => Just(b'\n'), 1 => Just(b':'), 1 => Just(b' '),
    ];
    proptest::collection::vec(byte, 0..120)
}

/// `prefix` followed by each of `tails`.
fn after(prefix: &[u8], tails: [&[u8]; 2]) -> [Vec<u8>; 2] {
    tails.map(|t| [prefix, t].concat())
}

/// Serializes responses with one server, each answering the next of as many pipelined
/// GETs; a response that ends the connection ends the list.
fn server_bytes(resps: &[Response]) -> Vec<u8> {
    let mut s = Server::new(Default::default());
    s.handle_input(
        Instant::ZERO,
        &b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(resps.len()),
    );
    let _ = common::events(&mut s);
    for r in resps {
        if r.send(&mut s).is_err() {
            break;
        }
    }
    drain_bytes(&mut s)
}

/// A client under `limits` that has sent `n` GETs and waits for their responses.
fn client_awaiting(n: usize, limits: Limits) -> Client {
    let mut config = ClientConfig::default();
    config.limits = limits;
    let mut c = Client::new(config);
    for _ in 0..n {
        c.send_request(get("/")).unwrap();
        c.send_end().unwrap();
    }
    let _ = drain_bytes(&mut c);
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Client serialize -> server parse gives back the same heads, bodies and trailers.
    #[test]
    fn request_roundtrip(reqs in proptest::collection::vec(valid::<Request>(), 1..4)) {
        let wire = client_bytes(&reqs);
        let mut server = Echo::new(Limits::default());
        server.handle_input(Instant::ZERO, &wire);
        let _ = common::events(&mut server);
        prop_assert_eq!(server.seen.len(), reqs.len());
        for ((got, body, trailers), want) in server.seen.iter().zip(&reqs) {
            prop_assert_eq!(got, &want.head);
            prop_assert_eq!(body, &want.body_bytes());
            prop_assert_eq!(trailers, &want.trailers);
        }
    }

    /// A request with a framing or syntax flaw is refused with the error it calls for.
    #[test]
    fn bad_requests_are_refused(case in cases::<Request>(Mix::invalid_percent(100))) {
        let Case::Invalid(bad) = case else { unreachable!("all invalid") };
        let (evs, _) = feed_cut(Echo::new(Limits::default()), &bad.wire, &[]);
        let kinds: Vec<_> = evs.iter().filter_map(|e| match e { Ev::Error(e) => Some(e.kind), _ => None }).collect();
        prop_assert_eq!(kinds, vec![bad.expect], "{:?} gave {:?}", bad, evs);
    }

    /// A response with a framing or syntax flaw is refused by the client that sent the
    /// GET, with the error it calls for.
    #[test]
    fn bad_responses_are_refused(case in cases::<Response>(Mix::invalid_percent(100))) {
        let Case::Invalid(bad) = case else { unreachable!("all invalid") };
        let mut c = Client::new(Default::default());
        c.send_request(get("/")).unwrap();
        c.send_end().unwrap();
        let _ = drain_bytes(&mut c);
        let (evs, _) = feed_cut(c, &bad.wire, &[]);
        let kinds: Vec<_> = evs.iter().filter_map(|e| match e { ClientEvent::Error(e) => Some(e.kind), _ => None }).collect();
        prop_assert_eq!(kinds, vec![bad.expect], "{:?} gave {:?}", bad, evs);
    }

    /// Server serialize -> client parse gives back the same response.
    #[test]
    fn response_roundtrip(r in valid::<Response>()) {
        let mut s = Server::new(Default::default());
        s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        let _ = common::events(&mut s);
        r.send(&mut s).unwrap();
        let resp = r.head.clone();
        let wire = drain_bytes(&mut s);
        let mut c = Client::new(Default::default());
        c.send_request(get("/")).unwrap();
        c.send_end().unwrap();
        let _ = drain_bytes(&mut c);
        let (evs, _) = feed_cut(Merged::new(c), &wire, &[]);
        prop_assert_eq!(&evs[0], &Cv::Response(resp));
        let body: Vec<u8> = evs.iter().filter_map(|e| match e { Cv::Data(d) => Some(d.clone()), _ => None }).flatten().collect();
        prop_assert_eq!(body, r.body_bytes());
        let trailers = evs.iter().find_map(|e| match e { Cv::End(t) => Some(t.clone()), _ => None });
        prop_assert_eq!(trailers, Some(r.trailers.clone()));
        // The response ends, and the connection with it only at the peer's close.
        prop_assert!(matches!(&evs[..], [.., Cv::End(_), Cv::Closed(CloseReason::PeerClosed { unterminated: 0 } | CloseReason::Done)]), "{:?}", evs);
    }

    /// Valid traffic cut anywhere (inside CRLFs, inside chunk sizes) gives the same
    /// events and the same answers.
    #[test]
    fn valid_requests_are_chunking_invariant(
        reqs in proptest::collection::vec(valid::<Request>(), 1..3),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let wire = client_bytes(&reqs);
        let cuts = cut_points(&cuts, wire.len());
        let whole = feed_cut(Echo::new(Limits::default()), &wire, &[]);
        prop_assert_eq!(feed_cut(Echo::new(Limits::default()), &wire, &cuts), whole);
    }

    /// Hand-built chunked bodies: random chunk sizes in hex of either case, leading
    /// zeros, extensions, trailers, cut anywhere.
    #[test]
    fn chunked_bodies_are_chunking_invariant(
        chunks in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 1..30), 0usize..3, any::<bool>(), proptest::option::of("[a-z]{1,5}")), 0..6),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..16),
    ) {
        let mut wire = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        let mut body = Vec::new();
        for (data, zeros, upper, ext) in &chunks {
            let size = format!("{}{:x}", "0".repeat(*zeros), data.len());
            let size = if *upper { size.to_uppercase() } else { size };
            wire.extend_from_slice(size.as_bytes());
            if let Some(e) = ext {
                wire.extend_from_slice(format!(";{e}=\"v\"").as_bytes());
            }
            wire.extend_from_slice(b"\r\n");
            wire.extend_from_slice(data);
            wire.extend_from_slice(b"\r\n");
            body.extend_from_slice(data);
        }
        wire.extend_from_slice(b"000\r\nX-T: 1\r\n\r\n");
        let cuts = cut_points(&cuts, wire.len());
        let whole = feed_cut(Echo::new(Limits::default()), &wire, &[]);
        prop_assert!(!whole.0.iter().any(|e| matches!(e, Ev::Error(_))), "{:?}", whole.0);
        let got: Vec<u8> = whole.0.iter().filter_map(|e| match e { Ev::Data(d) => Some(d.clone()), _ => None }).flatten().collect();
        prop_assert_eq!(got, body);
        prop_assert_eq!(feed_cut(Echo::new(Limits::default()), &wire, &cuts), whole);
    }

    /// Arbitrary bytes, alone or after a valid prefix, never panic, and even the
    /// errors they cause do not depend on how they were cut.
    #[test]
    fn arbitrary_bytes_never_panic_and_stay_invariant(
        prefix in prop_oneof![
            Just(&b""[..]),
            Just(&b"GET / HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"[..]),
            Just(&b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"[..]),
        ],
        noise in proptest::collection::vec(prop_oneof![
            4 => any::<u8>(),
            2 => Just(b'\r'), 2 => Just(b'\n'), 1 => Just(b':'), 1 => Just(b' '), 1 => Just(b';'),
            1 => Just(b'0'), 1 => Just(b'a'),
        ], 0..200),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
        bare_lf in any::<bool>(),
    ) {
        let limits = limits(|l| {l.allow_bare_lf = bare_lf; l.max_head = 128; l.max_chunk_ext = 16;});
        let mut wire = prefix.to_vec();
        wire.extend_from_slice(&noise);
        let cuts = cut_points(&cuts, wire.len());
        let whole = feed_cut(Echo::new(limits), &wire, &[]);
        prop_assert_eq!(feed_cut(Echo::new(limits), &wire, &cuts), whole);
        let client = || {
            let mut c = client(limits);
            c.send_request(get("/")).unwrap();
            c.send_end().unwrap();
            Merged::new(c)
        };
        let whole = feed_cut(client(), &noise, &[]);
        let mut ncuts: Vec<usize> = cuts.iter().map(|&c| c.min(noise.len())).collect();
        ncuts.sort_unstable();
        prop_assert_eq!(feed_cut(client(), &noise, &ncuts), whole);
    }

    /// The hand-written field parser accepts exactly what the nom grammar of RFC 9112
    /// section 5 accepts.
    #[test]
    fn field_parser_agrees_with_the_nom_grammar(
        lines in proptest::collection::vec(proptest::collection::vec(prop_oneof![
            6 => prop::sample::select(&b"abXz-!|~09"[..]),
            2 => Just(b':'), 2 => Just(b' '), 1 => Just(b'\t'), 1 => Just(b'\r'),
            1 => Just(0u8), 1 => Just(0x7fu8), 1 => Just(0x80u8), 1 => Just(b'('), 1 => Just(b'"'),
        ], 1..14), 1..4),
    ) {
        let mut wire = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        for l in &lines {
            wire.extend_from_slice(l);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"\r\n");
        let mut s = Server::new(Default::default());
        s.handle_input(Instant::ZERO, &wire);
        let accepted = matches!(s.poll_event(), Some(ServerEvent::Request { .. }));
        let oracle = lines.iter().all(|l| oracle::field_line(l));
        prop_assert_eq!(accepted, oracle, "{:?}", String::from_utf8_lossy(&wire));
    }

    /// Reading heads in place (`poll_request_ref`, each view checked against its owned
    /// head) gives the same events and the same answers as `poll_event` alone, for
    /// pipelined valid requests cut anywhere.
    #[test]
    fn heads_read_in_place_change_nothing(
        reqs in proptest::collection::vec(valid::<Request>(), 1..4),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let wire = client_bytes(&reqs);
        let cuts = cut_points(&cuts, wire.len());
        let owned = feed_cut(Echo::new(Limits::default()), &wire, &[]);
        prop_assert_eq!(&feed_cut(Echo::in_place(Limits::default()), &wire, &[]), &owned);
        prop_assert_eq!(feed_cut(Echo::in_place(Limits::default()), &wire, &cuts), owned);
        prop_assert_eq!(framing(&wire, true), framing(&wire, false));
    }

    /// The same for flawed requests and for noise after a valid prefix, under small
    /// limits: the errors, their offsets and the answers do not change either.
    #[test]
    fn heads_read_in_place_fail_the_same_way(
        bad in cases::<Request>(Mix::invalid_percent(100)),
        prefix in prop_oneof![
            Just(&b""[..]),
            Just(&b"\r\n"[..]),
            Just(&b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"[..]),
            Just(&b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"[..]),
        ],
        noise in head_noise(),
        max_head in 16usize..256,
    ) {
        let Case::Invalid(bad) = bad else { unreachable!("all invalid") };
        let limits = limits(|l| l.max_head = max_head);
        for wire in after(prefix, [&bad.wire, &noise]) {
            prop_assert_eq!(
                feed_cut(Echo::in_place(limits), &wire, &[]),
                feed_cut(Echo::new(limits), &wire, &[])
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Reading response heads in place (`poll_response_ref`, each view checked against
    /// its owned head) gives the same events as `poll_event` alone, for pipelined valid
    /// responses, whole and cut anywhere.
    #[test]
    fn responses_read_in_place_change_nothing(
        resps in proptest::collection::vec(valid::<Response>(), 1..4),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let n = resps.len();
        let wire = server_bytes(&resps);
        let cuts = cut_points(&cuts, wire.len());
        for cuts in [&[][..], &cuts[..]] {
            let owned = feed_cut(Merged::new(client_awaiting(n, Limits::default())), &wire, cuts);
            let in_place = feed_cut(Merged::in_place(client_awaiting(n, Limits::default())), &wire, cuts);
            prop_assert_eq!(in_place, owned);
        }
    }

    /// The same for flawed responses and for noise after a valid prefix, under small
    /// limits: the errors and their offsets do not change either.
    #[test]
    fn responses_read_in_place_fail_the_same_way(
        bad in cases::<Response>(Mix::invalid_percent(100)),
        prefix in prop_oneof![
            Just(&b""[..]),
            Just(&b"\r\n"[..]),
            Just(&b"HTTP/1.1 100 Continue\r\n\r\n"[..]),
            Just(&b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"[..]),
            // Close-delimited: what follows is its body, and the connection then ends.
            Just(&b"HTTP/1.1 200 OK\r\n\r\n"[..]),
        ],
        noise in head_noise(),
        max_head in 16usize..256,
    ) {
        let Case::Invalid(bad) = bad else { unreachable!("all invalid") };
        let limits = limits(|l| l.max_head = max_head);
        for wire in after(prefix, [&bad.wire, &noise]) {
            prop_assert_eq!(
                feed_cut(Merged::in_place(client_awaiting(2, limits)), &wire, &[]),
                feed_cut(Merged::new(client_awaiting(2, limits)), &wire, &[])
            );
        }
    }
}

/// The property above is not vacuous: final, clean, complete heads are read in place,
/// interim ones and a head split across inputs are not, and what follows is the same.
#[test]
fn final_response_heads_are_read_in_place_and_interim_ones_are_not() {
    let wire: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi\
HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\
HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    let mut m = Merged::in_place(client_awaiting(3, Limits::default()));
    let (evs, _) = {
        let (a, b) = wire.split_at(wire.len() - 10);
        m.handle_input(Instant::ZERO, a);
        let mut evs = common::events(&mut m);
        m.handle_input(Instant::ZERO, b);
        evs.extend(common::events(&mut m));
        (evs, ())
    };
    // The 200 and the 204 in place; the 100 is interim, and the 404 came in two pieces.
    assert_eq!(m.taken, 2, "{evs:?}");
    let statuses: Vec<u16> = evs
        .iter()
        .filter_map(|e| match e {
            Cv::Info(h) | Cv::Response(h) => Some(h.status.as_u16()),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [200, 100, 204, 404]);
    assert_eq!(evs.iter().filter(|e| matches!(e, Cv::End(_))).count(), 3);
}

/// How each request in `wire` is framed and what it does to the connection, as
/// `poll_event` says or, with `in_place`, as `poll_request_ref` says where it can.
fn framing(
    wire: &[u8],
    in_place: bool,
) -> Vec<(wirestate::http::BodyKind, wirestate::http::Connection)> {
    let mut s = Server::new(Default::default());
    s.handle_input(Instant::ZERO, wire);
    let mut seen = Vec::new();
    loop {
        if in_place {
            if let Some(r) = s.poll_request_ref() {
                seen.push((r.body(), r.connection()));
                continue;
            }
        }
        match s.poll_event() {
            Some(ServerEvent::Request {
                body, connection, ..
            }) => seen.push((body, connection)),
            Some(ServerEvent::End { .. }) => {
                let ok = wirestate::http::ResponseHead::new(wirestate::http::StatusCode::OK);
                s.respond(ok, bytes::Bytes::new()).unwrap();
            }
            Some(_) => {}
            None => return seen,
        }
    }
}

/// What a head parse gave, in the terms both parser entry points share.
#[derive(Debug, PartialEq)]
enum Outcome {
    Pending,
    Head {
        len: usize,
        start: Vec<Vec<u8>>,
        body: wirestate::http::BodyKind,
        fields: Vec<(Vec<u8>, Vec<u8>)>,
    },
    Error(wirestate::http::ErrorKind, u64),
}

/// The buffered parser, fed one byte at a time: every call but the last is partial, so
/// it always takes the resumable scan path.
fn buffered(wire: &[u8], limits: &Limits, response: bool) -> Outcome {
    let mut buf = RecvBuffer::new(wire.len() + 1);
    let mut p = HeadParser::new(limits);
    for &b in wire {
        buf.push(&[b]).unwrap();
        let before = buf.consumed();
        let r = if response {
            p.parse_response(&mut buf, &Method::Get)
                .map(|r| r.map(|(h, body)| (vec![h.reason.to_vec()], h.headers, body)))
        } else {
            p.parse_request(&mut buf).map(|r| {
                r.map(|(h, body)| {
                    let start = vec![h.method.as_bytes().to_vec(), h.target.as_bytes().to_vec()];
                    (start, h.headers, body)
                })
            })
        };
        match r {
            None => continue,
            Some(Err(e)) => return Outcome::Error(e.kind, e.offset),
            Some(Ok((start, headers, body))) => {
                return Outcome::Head {
                    len: (buf.consumed() - before) as usize,
                    start,
                    body,
                    fields: headers
                        .iter()
                        .map(|(n, v)| (n.to_vec(), v.to_vec()))
                        .collect(),
                }
            }
        }
    }
    Outcome::Pending
}

/// The slice parser on the whole input at once: the one-pass path first. Responses go
/// through the writable entry point, which unfolds obs-fold in place as the buffered
/// parser does (RFC 9112 5.2); the read-only one must agree with it wherever it does
/// not report a fold.
fn sliced(wire: &[u8], limits: &Limits, response: bool) -> Outcome {
    let mut p = HeadParser::new(limits);
    let mut copy = wire.to_vec();
    let r = if response {
        let read_only = p.parse_response_bytes(wire, &Method::Get);
        let r = p.parse_response_bytes_mut(&mut copy, &Method::Get);
        if let Some(Ok(_)) = read_only {
            // A head the read-only parser accepts has no fold: nothing may be written.
            assert_eq!(read_only, r, "{:?}", String::from_utf8_lossy(wire));
            assert_eq!(copy, wire, "written to without a fold");
        } else {
            // A fold, or another fault the read-only parser meets first (an empty
            // Content-Length whose value is on the continuation line, say). The writable
            // parser may only turn fold line endings into SP, and must then answer
            // exactly as the read-only parser does on the unfolded bytes.
            for (i, (a, b)) in wire.iter().zip(&copy).enumerate() {
                assert!(
                    a == b || (matches!(a, b'\r' | b'\n') && *b == b' '),
                    "byte {i} changed from {a:#x} to {b:#x}, which is no fold line ending"
                );
            }
            let unfolded = HeadParser::new(limits).parse_response_bytes(&copy, &Method::Get);
            assert_eq!(unfolded, r, "{:?}", String::from_utf8_lossy(wire));
        }
        let wire = &copy[..];
        r.map(|r| r.map(|h| (h.len, vec![wire[h.reason].to_vec()], h.body)))
    } else {
        p.parse_request_bytes(wire).map(|r| {
            r.map(|h| {
                let start = vec![wire[h.method].to_vec(), wire[h.target].to_vec()];
                (h.len, start, h.body)
            })
        })
    };
    let wire = &copy[..];
    match r {
        None => Outcome::Pending,
        Some(Err(e)) => Outcome::Error(e.kind, e.offset),
        Some(Ok((len, start, body))) => Outcome::Head {
            len,
            start,
            body,
            fields: p
                .fields()
                .map(|(n, v)| (wire[n].to_vec(), wire[v].to_vec()))
                .collect(),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The one-pass parse of a whole head gives exactly what the resumable scan and
    /// parse give, errors and their offsets included, for requests and responses.
    #[test]
    fn one_pass_parse_agrees_with_the_resumable_parse(
        prefix in prop_oneof![
            Just(&b"GET / HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b"POST /x HTTP/1.0\r\nContent-Length: 5\r\n"[..]),
            Just(&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"[..]),
            Just(&b"HTTP/1.0 404 No\r\n"[..]),
            Just(&b"HTTP/1.1 204\r\n"[..]),
            Just(&b"HTTP/1.1 200x\r\n"[..]),
            Just(&b"HTTP/1.2 200 OK\r\n"[..]),
            Just(&b"HTTP/1.1 099 X\r\n"[..]),
            Just(&b"HTTP/1.1 200 A\tb\x80\x7f\r\n"[..]),
            Just(&b"OPTIONS * HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b"GET * HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b"CONNECT a:1 HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b"GET a:1 HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b"GET /\x80 HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b"GET  / HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b"GET / HTTP/1.1 \r\nHost: a\r\n"[..]),
            Just(&b"GET / HTTP/1.1\n"[..]),
            // Request lines of 40 and 41 bytes against a limit of 40.
            Just(&b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n"[..]),
            Just(&b""[..]),
        ],
        fields in proptest::collection::vec((
            prop::sample::select(vec![
                "Host", "Content-Length", "transfer-encoding", "Connection", "X-a", "Bad Name",
                "", "Expect",
            ]),
            prop::sample::select(vec![":", ": ", " :", ":\t"]),
            prop_oneof![
                3 => prop::sample::select(vec![
                    "5", "0", "chunked", "gzip, chunked", "close", "1, 1", "1,2", "x ", "",
                    "100-continue", "keep-alive",
                ]).prop_map(|v| v.as_bytes().to_vec()),
                1 => proptest::collection::vec(any::<u8>(), 0..6),
            ],
            // Line ends, and line ends that start a continuation line (obs-fold).
            prop::sample::select(vec![
                "\r\n", "\r\n", "\r\n", "\n", "\r", "\r\n ", "\r\n\t", "\n ",
            ]),
        ), 0..6),
        tail in prop_oneof![3 => Just(&b"\r\n"[..]), 1 => Just(&b"\n"[..]), 1 => Just(&b""[..])],
        max_headers in 1usize..6,
        bare_lf in any::<bool>(),
    ) {
        let limits = limits(|l| {
            l.allow_bare_lf = bare_lf;
            l.max_head = 96;
            l.max_request_line = 40;
            l.max_headers = max_headers;
        });
        let mut wire = prefix.to_vec();
        for (name, sep, value, end) in &fields {
            wire.extend_from_slice(name.as_bytes());
            wire.extend_from_slice(sep.as_bytes());
            wire.extend_from_slice(value);
            wire.extend_from_slice(end.as_bytes());
        }
        wire.extend_from_slice(tail);
        let response = wire.starts_with(b"HTTP/");
        prop_assert_eq!(
            sliced(&wire, &limits, response),
            buffered(&wire, &limits, response),
            "{:?}", String::from_utf8_lossy(&wire)
        );
    }
}

/// RFC 9112 section 5 / RFC 9110 section 5.5 and 5.6.2 written as a nom grammar.
mod oracle {
    use nom::bytes::complete::{tag, take_while, take_while1};
    use nom::combinator::eof;
    use nom::{IResult, Parser};

    fn tchar(c: u8) -> bool {
        c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
    }

    fn field_char(c: u8) -> bool {
        // field-vchar = VCHAR / obs-text, plus SP / HTAB inside field-content and OWS.
        c == b' ' || c == b'\t' || (0x21..=0x7e).contains(&c) || c >= 0x80
    }

    /// field-line = field-name ":" OWS field-value OWS
    pub fn field_line(line: &[u8]) -> bool {
        let r: IResult<&[u8], _> = (
            take_while1(tchar),
            tag(&b":"[..]),
            take_while(field_char),
            eof,
        )
            .parse(line);
        r.is_ok()
    }
}

/// Found by the property above: a fold on a line whose value is already at fault. The
/// read-only parser reports the Content-Length error first; the writable one unfolds,
/// then reports the same error.
#[test]
fn fold_on_a_faulty_line_gives_the_same_error_both_ways() {
    let limits = limits(|l| l.allow_bare_lf = true);
    let wire = b"HTTP/1.0 404 No\r\nContent-Length:\tclose\n Expect:\tchunked\r\n\n";
    assert!(matches!(
        sliced(wire, &limits, true),
        Outcome::Error(wirestate::http::ErrorKind::InvalidContentLength, _)
    ));
}

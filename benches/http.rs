//! HTTP head parsing against httparse on httparse's own benchmark inputs (REQ,
//! REQ_SHORT, RESP, RESP_SHORT from its benches/parse.rs), and chunked decoding against
//! a plain copy of the same bytes. Report: our time / httparse time, and chunked
//! throughput / memcpy throughput.
//!
//! `cargo bench --bench http -- --warm-up-time 1 --measurement-time 4`
//!
//! Each head group has four entries; the ratio that compares like with like is
//! `wirestate_slice / httparse`:
//!
//! - `httparse`: `Request::parse` / `Response::parse` of a slice into a caller-provided
//!   array of 16 headers (borrowed slices). It validates bytes and splits fields; it
//!   makes no framing decision.
//! - `wirestate_slice`: `HeadParser::parse_request_bytes` / `parse_response_bytes` of
//!   the same slice into offsets in the parser's reused list, plus everything httparse
//!   does not do: Host count, Content-Length and Transfer-Encoding checks, the body
//!   framing and persistence decision.
//! - `wirestate_buffered`: `HeadParser::parse_request` / `parse_response` from a
//!   `RecvBuffer`: adds the copy of the input into the buffer and the owned head
//!   (shared `Bytes` slices, one exactly sized offset list).
//! - `wirestate_machine`: a fresh `Server` / `Client` (built outside the
//!   timing): `handle_input` + `poll_event` up to the head event: adds the machine's
//!   bookkeeping (pipelining queue, persistence, Expect) on top of the buffered path.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::collections::VecDeque;
use std::hint::black_box;
use wirestate::buffer::RecvBuffer;
use wirestate::http::{
    BodyEncoder, BodyEvent, ChunkedDecoder, Client, ClientConfig, ClientEvent, HeadParser, Headers,
    Limits, Method, RequestHead, Server, ServerConfig, ServerEvent,
};
use wirestate::{Instant, Machine};

const REQ_SHORT: &[u8] = b"\
GET / HTTP/1.0\r\n\
Host: example.com\r\n\
Cookie: session=60; user_id=1\r\n\r\n";

const REQ: &[u8] = b"\
GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n\
Keep-Alive: 115\r\n\
Connection: keep-alive\r\n\
Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; __utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral|padding=under256\r\n\r\n";

const RESP_SHORT: &[u8] = b"\
HTTP/1.0 200 OK\r\n\
Date: Wed, 21 Oct 2015 07:28:00 GMT\r\n\
Set-Cookie: session=60; user_id=1\r\n\r\n";

const RESP: &[u8] = b"\
HTTP/1.1 200 OK\r\n\
Date: Wed, 21 Oct 2015 07:28:00 GMT\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n\
Keep-Alive: 115\r\n\
Connection: keep-alive\r\n\
Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; __utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral|padding=under256\r\n\r\n";

fn requests(c: &mut Criterion) {
    for (name, input) in [("req", REQ), ("req_short", REQ_SHORT)] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(input.len() as u64));
        let limits = Limits::default();
        g.bench_function("httparse", |b| {
            b.iter_batched_ref(
                || [httparse::EMPTY_HEADER; 16],
                |headers| {
                    let mut req = httparse::Request::new(headers);
                    assert_eq!(
                        req.parse(black_box(input)).unwrap(),
                        httparse::Status::Complete(input.len())
                    );
                },
                BatchSize::SmallInput,
            )
        });
        let mut parser = HeadParser::new(&limits);
        g.bench_function("wirestate_slice", |b| {
            b.iter(|| {
                let req = parser
                    .parse_request_bytes(black_box(input))
                    .unwrap()
                    .unwrap();
                assert_eq!(req.len, input.len());
                black_box(&req);
            })
        });
        let mut buf = RecvBuffer::new(limits.max_buffered);
        let mut parser = HeadParser::new(&limits);
        g.bench_function("wirestate_buffered", |b| {
            b.iter(|| {
                buf.push(black_box(input)).unwrap();
                let (head, body) = parser.parse_request(&mut buf).unwrap().unwrap();
                black_box((&head, body));
            })
        });
        g.bench_function("wirestate_machine", |b| {
            b.iter_batched_ref(
                || Server::new(ServerConfig::default()),
                |s| {
                    s.handle_input(Instant::ZERO, black_box(input));
                    match s.poll_event() {
                        Some(ServerEvent::Request { head: r, .. }) => r,
                        other => panic!("{other:?}"),
                    }
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

fn responses(c: &mut Criterion) {
    for (name, input) in [("resp", RESP), ("resp_short", RESP_SHORT)] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(input.len() as u64));
        let limits = Limits::default();
        g.bench_function("httparse", |b| {
            b.iter_batched_ref(
                || [httparse::EMPTY_HEADER; 16],
                |headers| {
                    let mut resp = httparse::Response::new(headers);
                    assert_eq!(
                        resp.parse(black_box(input)).unwrap(),
                        httparse::Status::Complete(input.len())
                    );
                },
                BatchSize::SmallInput,
            )
        });
        let mut parser = HeadParser::new(&limits);
        g.bench_function("wirestate_slice", |b| {
            b.iter(|| {
                let resp = parser
                    .parse_response_bytes(black_box(input), &Method::Get)
                    .unwrap()
                    .unwrap();
                assert_eq!(resp.len, input.len());
                black_box(&resp);
            })
        });
        let mut buf = RecvBuffer::new(limits.max_buffered);
        let mut parser = HeadParser::new(&limits);
        g.bench_function("wirestate_buffered", |b| {
            b.iter(|| {
                buf.push(black_box(input)).unwrap();
                let (head, body) = parser
                    .parse_response(&mut buf, &Method::Get)
                    .unwrap()
                    .unwrap();
                black_box((&head, body));
            })
        });
        g.bench_function("wirestate_machine", |b| {
            b.iter_batched_ref(
                || {
                    let mut c = Client::new(ClientConfig::default());
                    let mut req = RequestHead::new(Method::Get, "/").unwrap();
                    req.headers.append("Host", "www.kittyhell.com").unwrap();
                    c.send_request(req).unwrap();
                    c.send_end().unwrap();
                    while c.poll_transmit().is_some() {}
                    c
                },
                |c| {
                    c.handle_input(Instant::ZERO, black_box(input));
                    match c.poll_event() {
                        Some(ClientEvent::Response(r)) => r,
                        other => panic!("{other:?}"),
                    }
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

/// 256 KiB of body in chunks of `size`, encoded by our encoder.
fn chunked_body(size: usize) -> (Vec<u8>, usize) {
    let data: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
    let mut enc = BodyEncoder::chunked();
    let mut out = VecDeque::new();
    for piece in data.chunks(size) {
        enc.encode(Bytes::copy_from_slice(piece), &mut out).unwrap();
    }
    enc.finish(&Headers::new(), &mut out).unwrap();
    (
        out.iter().flat_map(|b| b.iter().copied()).collect(),
        data.len(),
    )
}

fn chunked(c: &mut Criterion) {
    for (name, size) in [("chunked_256k_in_4k", 4096), ("chunked_256k_in_64k", 65536)] {
        let (wire, body_len) = chunked_body(size);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(wire.len() as u64));
        let limits = Limits::default();
        let mut buf = RecvBuffer::new(wire.len() + 1);
        // Includes the one copy into the receive buffer: the decoder's input.
        g.bench_function("wirestate_decode", |b| {
            b.iter(|| {
                buf.push(black_box(&wire)).unwrap();
                let mut dec = ChunkedDecoder::new(&limits);
                let mut n = 0;
                while let Some(e) = dec.decode(&mut buf) {
                    if let BodyEvent::Data(d) = e.unwrap() {
                        n += d.len();
                    }
                }
                assert_eq!(n, body_len);
            })
        });
        let mut dst: Vec<u8> = Vec::with_capacity(wire.len());
        g.bench_function("memcpy", |b| {
            b.iter(|| {
                dst.clear();
                dst.extend_from_slice(black_box(&wire));
                black_box(&dst);
            })
        });
        g.finish();
    }
}

criterion_group!(benches, requests, responses, chunked);
criterion_main!(benches);

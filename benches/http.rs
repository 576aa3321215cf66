//! Chunked decoding against a plain copy of the same bytes: report chunked throughput /
//! memcpy throughput.
//!
//! `cargo bench --bench http -- --warm-up-time 1 --measurement-time 4`
//!
//! Head parsing (against httparse and picohttpparser, machine path included) is
//! `benches/http_peers.rs`, which runs every contender interleaved in one process.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::collections::VecDeque;
use std::hint::black_box;
use wirestate::buffer::RecvBuffer;
use wirestate::http::{BodyEncoder, BodyEvent, ChunkedDecoder, Headers, Limits};

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

criterion_group!(benches, chunked);
criterion_main!(benches);

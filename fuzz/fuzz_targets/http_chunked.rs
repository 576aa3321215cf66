//! Chunked decoding: any bytes, cut anywhere, never panic; the same data, extensions,
//! trailers and error come out whatever the cut; extensions stay within their limit;
//! and whatever decodes re-encodes and decodes to the same data.
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::collections::VecDeque;
use wirestate::buffer::RecvBuffer;
use wirestate::http::{BodyEncoder, BodyEvent, ChunkedDecoder, Headers, Limits};

#[derive(Debug, PartialEq)]
struct Decoded {
    data: Vec<u8>,
    exts: Vec<Vec<u8>>,
    end: Option<Result<Headers, (String, u64)>>,
}

fn decode(input: &[u8], cut: usize, limits: &Limits) -> Decoded {
    let mut buf = RecvBuffer::new(1 << 20);
    let mut dec = ChunkedDecoder::new(limits);
    let mut out = Decoded {
        data: Vec::new(),
        exts: Vec::new(),
        end: None,
    };
    let cut = cut.min(input.len());
    for piece in [&input[..cut], &input[cut..]] {
        buf.push(piece).unwrap();
        while let Some(r) = dec.decode(&mut buf) {
            match r {
                Ok(BodyEvent::Data(d)) => out.data.extend_from_slice(&d),
                Ok(BodyEvent::Extension(x)) => {
                    assert!(x.len() <= limits.max_chunk_ext);
                    out.exts.push(x.to_vec())
                }
                Ok(BodyEvent::End(t)) => out.end = Some(Ok(t)),
                Ok(other) => panic!("a body event this target does not know: {other:?}"),
                Err(e) => out.end = Some(Err((format!("{:?}", e.kind), e.offset))),
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let mut limits = Limits::default();
    limits.max_chunk_size_digits = 1 + data[0] as usize % 20;
    limits.max_chunk_ext = data[0] as usize % 32;
    limits.max_head = 256;
    let input = &data[2..];
    let whole = decode(input, input.len(), &limits);
    let cut = data[1] as usize * input.len() / 256;
    assert_eq!(whole, decode(input, cut, &limits));
    if let Some(Ok(trailers)) = &whole.end {
        let mut enc = BodyEncoder::chunked();
        let mut wire = VecDeque::new();
        enc.encode(Bytes::from(whole.data.clone()), &mut wire)
            .unwrap();
        enc.finish(trailers, &mut wire).unwrap();
        let wire: Vec<u8> = wire.iter().flat_map(|b| b.iter().copied()).collect();
        let again = decode(&wire, wire.len() / 2, &Limits::default());
        assert_eq!(again.data, whole.data);
        assert_eq!(again.end, whole.end);
    }
});

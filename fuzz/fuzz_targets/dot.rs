//! Dot codec: the unstuffer never panics and is split-invariant; whatever the stuffer
//! produces decodes strictly back to the normalized message.
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wirestate::buffer::RecvBuffer;
use wirestate::dot::{DotPolicy, DotStuffer, DotUnstuffer, Unstuffed};

fn unstuff(input: &[u8], cut: usize, policy: DotPolicy) -> (Vec<u8>, Option<Result<(), u64>>) {
    let mut buf = RecvBuffer::new(1 << 20);
    let mut dec = DotUnstuffer::new(policy);
    let mut body = Vec::new();
    let mut end = None;
    let cut = cut.min(input.len());
    for piece in [&input[..cut], &input[cut..]] {
        buf.push(piece).unwrap();
        while let Some(r) = dec.poll(&mut buf) {
            match r {
                Ok(Unstuffed::Data(b)) => body.extend_from_slice(&b),
                Ok(Unstuffed::End) => end = Some(Ok(())),
                Err(e) => end = Some(Err(e.offset)),
            }
        }
    }
    (body, end)
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, input)) = data.split_first() else {
        return;
    };
    let policy = if ctl & 1 == 0 {
        DotPolicy::Strict
    } else {
        DotPolicy::Lenient
    };
    let cut = ctl as usize % (input.len() + 1);
    let whole = unstuff(input, input.len(), policy);
    let (body, end) = unstuff(input, cut, policy);
    assert_eq!(end, whole.1);
    if end.is_some() {
        assert_eq!(body, whole.0);
    }

    // Roundtrip: stuff the raw input in two pieces, decode strictly.
    let mut wire = BytesMut::new();
    let mut s = DotStuffer::new();
    s.stuff(&input[..cut], &mut wire);
    s.stuff(&input[cut..], &mut wire);
    s.finish(&mut wire);
    let (decoded, end) = unstuff(&wire, wire.len() / 2, DotPolicy::Strict);
    assert_eq!(end, Some(Ok(())));
    assert!(
        !decoded.contains(&b'\n')
            || decoded.windows(2).filter(|w| w == b"\r\n").count()
                == decoded.iter().filter(|&&b| b == b'\n').count()
    );
});

//! Line framing: any bytes, split anywhere, under either policy, never panic; a line
//! never exceeds the limit; the same lines come out however the input is split.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::buffer::RecvBuffer;
use wirestate::line::{LinePolicy, LineReader};

fn lines(input: &[u8], cut: usize, policy: LinePolicy) -> Vec<Result<Vec<u8>, u64>> {
    let mut buf = RecvBuffer::new(1 << 20);
    let mut reader = LineReader::new(policy);
    let mut out = Vec::new();
    let cut = cut.min(input.len());
    for piece in [&input[..cut], &input[cut..]] {
        buf.push(piece).unwrap();
        while let Some(r) = reader.poll(&mut buf) {
            match r {
                Ok(line) => {
                    assert!(line.text.len() + 1 <= policy.max_len);
                    out.push(Ok(line.text.to_vec()))
                }
                Err(e) => out.push(Err(e.offset)),
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let max_len = 2 + data[0] as usize % 64;
    let policy = if data[1] & 1 == 0 {
        LinePolicy::strict(max_len)
    } else {
        LinePolicy::lenient(max_len)
    };
    let input = &data[2..];
    let whole = lines(input, input.len(), policy);
    let cut = data[1] as usize % (input.len() + 1);
    assert_eq!(whole, lines(input, cut, policy));
});

//! Reply parser: never panics, gives the same replies however the input is split, and
//! every reply it accepts encodes back to bytes it parses to the same reply.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::buffer::RecvBuffer;
use wirestate::smtp::{Reply, ReplyParser};

fn parse(input: &[u8], cut: usize) -> Vec<Result<Reply, u64>> {
    parse_with(input, cut, ReplyParser::new())
}

fn parse_with(input: &[u8], cut: usize, mut p: ReplyParser) -> Vec<Result<Reply, u64>> {
    let mut buf = RecvBuffer::new(1 << 20);
    let mut out = Vec::new();
    for piece in [&input[..cut], &input[cut..]] {
        buf.push(piece).unwrap();
        while let Some(r) = p.poll(&mut buf) {
            out.push(r.map_err(|e| e.offset));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, input)) = data.split_first() else {
        return;
    };
    let cut = ctl as usize % (input.len() + 1);
    let whole = parse(input, input.len());
    let split = parse(input, cut);
    // Errors drop the partial reply, so only runs without errors must match exactly.
    if whole.iter().all(Result::is_ok) {
        assert_eq!(whole, split);
    }
    for r in whole.into_iter().flatten() {
        // Invalid UTF-8 was read as U+FFFD (3 octets), so the re-encoding may be longer
        // than the 512 octets the original fitted in: re-parse with room for that.
        let wire = r.to_bytes();
        let again = parse_with(&wire, wire.len(), ReplyParser::with_limits(4096, 128));
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].as_ref().unwrap(), &r);
    }
});

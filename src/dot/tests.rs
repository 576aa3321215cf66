//! The unstuffer's paths against each other: the strict fast path and the copy-in
//! through `DotUnstuffer::push` against the general loop, at every split.

use super::*;
use alloc::vec::Vec;

type Outcome = (Vec<u8>, Option<Result<(), DotError>>, Vec<u8>);

/// [`Outcome`] with the data events kept apart.
type Events = (Vec<Vec<u8>>, Option<Result<(), DotError>>, Vec<u8>);

/// How input reaches the decoder and which decoder reads it.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    /// `RecvBuffer::push`, then the general loop: the reference.
    General,
    /// `RecvBuffer::push`, then `poll`.
    Fast,
    /// `DotUnstuffer::push`, then `poll`.
    Pushed,
}

/// Feeds `input` cut at `cuts` along `path`, polling after every piece; returns the
/// data, how it ended, and what was left unread.
fn decode(input: &[u8], cuts: &[usize], path: Path) -> Outcome {
    let (events, end, rest) = decode_events(input, cuts, path, true);
    (events.concat(), end, rest)
}

/// [`decode`] with every data event kept apart; with `poll_each` false, every piece
/// is pushed before the first poll.
fn decode_events(input: &[u8], cuts: &[usize], path: Path, poll_each: bool) -> Events {
    let mut buf = RecvBuffer::new(1 << 16);
    let mut d = DotUnstuffer::new(DotPolicy::Strict);
    let (mut events, mut end) = (Vec::new(), None);
    let mut from = 0;
    let count = cuts.len() + 1;
    for (i, cut) in cuts.iter().copied().chain([input.len()]).enumerate() {
        let cut = cut.clamp(from, input.len());
        if path == Path::Pushed {
            d.push(&mut buf, &input[from..cut]).unwrap();
        } else {
            buf.push(&input[from..cut]).unwrap();
        }
        from = cut;
        if !poll_each && i + 1 < count {
            continue;
        }
        loop {
            let step = if path != Path::General {
                d.poll(&mut buf)
            } else if d.state != State::Running {
                None
            } else if let Some(e) = d.pending_error.take() {
                d.state = State::Failed;
                Some(Err(e))
            } else {
                d.poll_general(&mut buf)
            };
            match step {
                None => break,
                Some(Ok(Unstuffed::Data(b))) => events.push(b.to_vec()),
                Some(Ok(Unstuffed::End)) => end = Some(Ok(())),
                Some(Err(e)) => end = Some(Err(e)),
            }
        }
    }
    (events, end, buf.as_slice().to_vec())
}

/// Copying in through `DotUnstuffer::push` changes nothing `poll` hands out: the
/// same events, byte for byte and boundary for boundary, as a plain push, and the
/// same data as the general loop. The inputs are long enough to fill many spans of
/// marks, with the bytes that matter sparse or in bursts, cut at every offset (and
/// again at a random later one), polled after each piece or only after all.
#[test]
fn pushed_input_decodes_as_a_plain_push_does() {
    let mut next = crate::test_rand::xorshift(0x2545_f491_4f6c_dd1du64);
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRST\r\n";
    for round in 0..120 {
        let len = 300 + (next() % 1500) as usize;
        let mut input: Vec<u8> = line.iter().copied().cycle().take(len).collect();
        // A few bytes that need a look: stuffed dots at line starts, and anywhere
        // CR, LF, dots and the end, so every kind of event lands in every span.
        let specials = match round % 3 {
            0 => 1,
            1 => 4,
            _ => 12,
        };
        for _ in 0..specials {
            let at = (next() as usize) % input.len();
            let what: &[u8] = match next() % 8 {
                0 => b"\r",
                1 => b"\n",
                2 => b".",
                3 => b"\r\n.\r\n",
                4 => b"\r\n..",
                _ => b"\r\n.",
            };
            input.splice(at..at, what.iter().copied());
        }
        if round % 4 == 0 {
            input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
        }
        for cut in 0..=input.len() {
            let cuts = [cut, cut + (next() % 700) as usize];
            let pushed = decode_events(&input, &cuts, Path::Pushed, true);
            assert_eq!(
                pushed,
                decode_events(&input, &cuts, Path::Fast, true),
                "input {input:?} cuts {cuts:?}"
            );
            let reference = decode(&input, &cuts, Path::General);
            assert_eq!(
                (pushed.0.concat(), pushed.1, pushed.2),
                reference,
                "input {input:?} cuts {cuts:?}"
            );
            if cut % 7 == 0 {
                assert_eq!(
                    decode_events(&input, &cuts, Path::Pushed, false),
                    decode_events(&input, &cuts, Path::Fast, false),
                    "input {input:?} cuts {cuts:?}, polled once"
                );
            }
        }
    }
}

/// [`pushed_input_decodes_as_a_plain_push_does`] for reads of many kilobytes, so
/// whole groups of spans are checked and copied at once: cut around every span and
/// group boundary and at random places, with specials sparse or dense.
#[test]
fn long_pushed_input_decodes_as_a_plain_push_does() {
    let mut next = crate::test_rand::xorshift(0x9e37_79b9_7f4a_7c15u64);
    let line = b"The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnop\r\n";
    for round in 0..16 {
        let len = 4_000 + (next() % 16_000) as usize;
        let mut input: Vec<u8> = line.iter().copied().cycle().take(len).collect();
        let specials = [1, 3, 10, 60][round % 4];
        for _ in 0..specials {
            let at = (next() as usize) % input.len();
            let what: &[u8] = match next() % 6 {
                0 => b"\r",
                1 => b"\n",
                2 => b"\r\n.\r\n",
                _ => b"\r\n..",
            };
            input.splice(at..at, what.iter().copied());
        }
        let mut cuts: Vec<usize> = (0..200).map(|_| (next() as usize) % input.len()).collect();
        for edge in (0..input.len()).step_by(256) {
            cuts.extend(edge.saturating_sub(2)..edge + 3);
        }
        for cut in cuts {
            let pieces = [cut, cut + (next() % 9_000) as usize];
            let pushed = decode_events(&input, &pieces, Path::Pushed, true);
            assert_eq!(
                pushed,
                decode_events(&input, &pieces, Path::Fast, true),
                "round {round} cuts {pieces:?}"
            );
            assert_eq!(
                (pushed.0.concat(), pushed.1, pushed.2),
                decode(&input, &pieces, Path::General),
                "round {round} cuts {pieces:?}"
            );
        }
    }
}

/// The fast path decides exactly as the general loop does, on inputs dense in the
/// bytes that matter, at every split and at random double splits.
#[test]
fn strict_fast_path_agrees_with_the_general_loop() {
    let alphabet = b"\r\n.a\0";
    let mut next = crate::test_rand::xorshift(0x9e37_79b9_7f4a_7c15u64);
    for round in 0..4000 {
        let len = (next() % 80) as usize;
        let mut input: Vec<u8> = (0..len)
            .map(|_| {
                // Mostly well-formed lines, so the decoders get deep into the data.
                match next() % 8 {
                    0..=2 => b'a',
                    3 | 4 => b'\r',
                    5 => b'\n',
                    6 => b'.',
                    _ => alphabet[(next() % 5) as usize],
                }
            })
            .collect();
        if round % 2 == 0 {
            // Long clean runs so whole blocks are taken.
            let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789\r\n";
            let at = (next() as usize) % (input.len() + 1);
            input.splice(at..at, line.iter().copied().cycle().take(150));
        } else if round % 4 == 1 {
            // A run with no line end of any length up to two blocks and a half, so
            // the byte that needs a look lands at every place in a flagged block
            // and the block search is left at every length of tail.
            let at = (next() as usize) % (input.len() + 1);
            let run = (next() % 160) as usize;
            input.splice(at..at, core::iter::repeat(b'x').take(run));
        }
        for cut in 0..=input.len() {
            let cuts = [cut, cut + (next() % 40) as usize];
            let reference = decode(&input, &cuts, Path::General);
            assert_eq!(
                decode(&input, &cuts, Path::Fast),
                reference,
                "input {input:?} cuts {cuts:?}"
            );
            assert_eq!(
                decode(&input, &cuts, Path::Pushed),
                reference,
                "input {input:?} cuts {cuts:?}, pushed"
            );
        }
    }
}

#[test]
fn fast_path_hands_out_whole_runs() {
    let mut msg = Vec::new();
    for _ in 0..100 {
        msg.extend_from_slice(b"a line of text that is long enough\r\n");
    }
    msg.extend_from_slice(b"..dot\r\n.\r\n");
    let mut buf = RecvBuffer::new(1 << 16);
    buf.push(&msg).unwrap();
    let mut d = DotUnstuffer::new(DotPolicy::Strict);
    let first = d.poll(&mut buf).unwrap().unwrap();
    assert_eq!(first, Unstuffed::Data(Bytes::copy_from_slice(&msg[..3600])));
    let second = d.poll(&mut buf).unwrap().unwrap();
    assert_eq!(second, Unstuffed::Data(Bytes::from_static(b".dot\r\n")));
    assert_eq!(d.poll(&mut buf).unwrap().unwrap(), Unstuffed::End);
}

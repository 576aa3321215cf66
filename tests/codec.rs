//! The shared codecs: CRLF line framing and the canonical line-end rule (`line.rs`) and
//! dot-stuffing (`dot.rs`).

use bytes::BytesMut;
use proptest::prelude::*;
use wirestate::buffer::RecvBuffer;
use wirestate::dot::{stuff_all, DotErrorKind, DotPolicy, DotStuffer, DotUnstuffer, Unstuffed};
use wirestate::line::{Canonicalizer, LineErrorKind, LinePolicy, LineReader, Terminator};

/// How unstuffing ended: at the end marker, or with an error kind at an offset.
type DotEnd = Result<(), (DotErrorKind, u64)>;

type LineResult = Result<(Vec<u8>, Terminator), (LineErrorKind, u64)>;

fn read_lines(input: &[u8], cuts: &[usize], policy: LinePolicy) -> Vec<LineResult> {
    let mut buf = RecvBuffer::new(1 << 20);
    let mut reader = LineReader::new(policy);
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(start, input.len());
        buf.push(&input[start..cut]).unwrap();
        start = cut;
        while let Some(r) = reader.poll(&mut buf) {
            out.push(
                r.map(|l| (l.text.to_vec(), l.terminator))
                    .map_err(|e| (e.kind, e.offset)),
            );
        }
        assert!(
            buf.len() <= policy.max_len,
            "partial line held past the limit"
        );
    }
    out
}

#[test]
fn line_policy_table() {
    use LineErrorKind::*;
    use Terminator::*;
    let strict = LinePolicy::strict(10);
    let lenient = LinePolicy::lenient(10);
    // (input, policy, expected) — RFC 5321 2.3.8: lines end with CRLF only.
    let rows: Vec<(&[u8], LinePolicy, Vec<LineResult>)> = vec![
        (
            b"a\r\nb\r\n",
            strict,
            vec![Ok((b"a".to_vec(), CrLf)), Ok((b"b".to_vec(), CrLf))],
        ),
        (
            b"a\nb\r\n",
            strict,
            vec![Err((BareLf, 1)), Ok((b"b".to_vec(), CrLf))],
        ),
        (
            b"a\nb\r\n",
            lenient,
            vec![Ok((b"a".to_vec(), Lf)), Ok((b"b".to_vec(), CrLf))],
        ),
        (
            b"a\rb\r\nc\r\n",
            strict,
            vec![Err((BareCr, 1)), Ok((b"c".to_vec(), CrLf))],
        ),
        (b"a\rb\r\n", lenient, vec![Ok((b"a\rb".to_vec(), CrLf))]),
        (b"a\r\r\n", strict, vec![Err((BareCr, 1))]),
        // max_len counts the terminator: 8 + CRLF fits in 10, 9 + CRLF does not.
        (
            b"12345678\r\n",
            strict,
            vec![Ok((b"12345678".to_vec(), CrLf))],
        ),
        (
            b"123456789\r\nok\r\n",
            strict,
            vec![Err((TooLong { limit: 10 }, 0)), Ok((b"ok".to_vec(), CrLf))],
        ),
        // An over-long line is skipped to its end, then reading resumes in step.
        (
            b"0123456789abcdef\r\nok\r\n",
            strict,
            vec![Err((TooLong { limit: 10 }, 0)), Ok((b"ok".to_vec(), CrLf))],
        ),
        (b"\r\n", strict, vec![Ok((b"".to_vec(), CrLf))]),
    ];
    for (input, policy, want) in rows {
        assert_eq!(
            read_lines(input, &[], policy),
            want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn repeated_over_long_lines_do_not_desync() {
    // aiosmtpd #285: after one over-size line, the next command must still be read right.
    let mut input = Vec::new();
    for _ in 0..3 {
        input.extend_from_slice(&[b'x'; 100]);
        input.extend_from_slice(b"\r\nNOOP\r\n");
    }
    let got = read_lines(
        &input,
        &(1..input.len()).step_by(7).collect::<Vec<_>>(),
        LinePolicy::strict(16),
    );
    let noops = got
        .iter()
        .filter(|r| matches!(r, Ok((t, _)) if t == b"NOOP"))
        .count();
    let errors = got.iter().filter(|r| r.is_err()).count();
    assert_eq!((noops, errors), (3, 3));
}

fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(b'a'..=b'z', 0..12),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b".".to_vec()),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(token(), 0..40).prop_map(|t| t.concat())
}

fn cuts(max: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=max, 0..8).prop_map(|mut v| {
        v.sort();
        v
    })
}

fn unstuff(input: &[u8], cuts: &[usize], policy: DotPolicy) -> (Vec<u8>, Option<DotEnd>, Vec<u8>) {
    let mut buf = RecvBuffer::new(1 << 20);
    let mut dec = DotUnstuffer::new(policy);
    let mut body = Vec::new();
    let mut end = None;
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(start, input.len());
        buf.push(&input[start..cut]).unwrap();
        start = cut;
        while let Some(r) = dec.poll(&mut buf) {
            match r {
                Ok(Unstuffed::Data(b)) => body.extend_from_slice(&b),
                Ok(Unstuffed::End) => end = Some(Ok(())),
                Err(e) => end = Some(Err((e.kind, e.offset))),
            }
        }
        assert!(
            end.is_some() || buf.len() <= 3,
            "unstuffer holds back at most 3 octets"
        );
    }
    (body, end, buf.as_slice().to_vec())
}

/// The SMTP smuggling vectors (CVE-2023-51764/5/6): each is an error, never an end.
#[test]
fn smuggling_table() {
    use DotErrorKind::*;
    let rows: Vec<(&[u8], DotPolicy, DotEnd)> = vec![
        (b"a\r\n.\r\n", DotPolicy::Strict, Ok(())),
        (b"a\n.\r\n", DotPolicy::Strict, Err((BareLf, 1))),
        (b"a\n.\r\n", DotPolicy::Lenient, Err((Smuggling, 2))),
        (b"a\n.\n", DotPolicy::Strict, Err((BareLf, 1))),
        (b"a\n.\n", DotPolicy::Lenient, Err((Smuggling, 2))),
        (b"a\r\n.\n", DotPolicy::Strict, Err((Smuggling, 3))),
        (b"a\r\n.\n", DotPolicy::Lenient, Err((Smuggling, 3))),
        (b"a\r\r\n.\r\n", DotPolicy::Strict, Err((BareCr, 1))),
        (b"a\rb\r\n.\r\n", DotPolicy::Strict, Err((BareCr, 1))),
        (b"a\rb\r\n.\r\n", DotPolicy::Lenient, Ok(())),
        (b"a\nb\r\n.\r\n", DotPolicy::Lenient, Ok(())),
        (b".\r\r\n.\r\n", DotPolicy::Strict, Err((BareCr, 1))),
    ];
    for (input, policy, want) in rows {
        let (_, end, _) = unstuff(input, &[], policy);
        assert_eq!(
            end,
            Some(want),
            "{:?} {policy:?}",
            String::from_utf8_lossy(input)
        );
        // The verdict does not depend on where the input is split.
        for cut in 1..input.len() {
            assert_eq!(unstuff(input, &[cut], policy).1, Some(want), "cut at {cut}");
        }
    }
}

#[test]
fn unstuffing_keeps_the_last_crlf_and_leaves_what_follows() {
    let (body, end, rest) = unstuff(b"..a\r\n...\r\n\r\n.\r\nNEXT", &[], DotPolicy::Strict);
    assert_eq!(body, b".a\r\n..\r\n\r\n");
    assert_eq!(end, Some(Ok(())));
    assert_eq!(rest, b"NEXT");
    let (body, end, _) = unstuff(b".\r\n", &[], DotPolicy::Strict);
    assert_eq!((body, end), (Vec::new(), Some(Ok(()))));
}

/// What the stuffer promises to put on the wire: LF and CR alone become CRLF, and the
/// message ends with a CRLF.
fn normalized(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < msg.len() {
        match msg[i] {
            b'\r' if msg.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

proptest! {
    #[test]
    fn lines_are_chunking_invariant(input in stream(), cuts in cuts(400), lenient in any::<bool>()) {
        let policy = if lenient { LinePolicy::lenient(16) } else { LinePolicy::strict(16) };
        prop_assert_eq!(read_lines(&input, &cuts, policy), read_lines(&input, &[], policy));
    }

    #[test]
    fn lines_never_panic_and_respect_the_limit(input in prop::collection::vec(any::<u8>(), 0..300), cuts in cuts(300), max in 2usize..40) {
        for (text, t) in read_lines(&input, &cuts, LinePolicy::lenient(max)).into_iter().flatten() {
            let term = if t == Terminator::CrLf { 2 } else { 1 };
            prop_assert!(text.len() + term <= max);
        }
    }

    #[test]
    fn dot_roundtrip(msg in stream(), cuts_in in cuts(400), cuts_out in cuts(500)) {
        let mut wire = BytesMut::new();
        let mut s = DotStuffer::new();
        let mut start = 0;
        for &c in cuts_in.iter().chain(std::iter::once(&msg.len())) {
            let c = c.clamp(start, msg.len());
            s.stuff(&msg[start..c], &mut wire);
            start = c;
        }
        s.finish(&mut wire);
        prop_assert_eq!(&wire[..], &stuff_all(&msg)[..], "stuffing is split-invariant");
        let (body, end, rest) = unstuff(&wire, &cuts_out, DotPolicy::Strict);
        prop_assert_eq!(end, Some(Ok(())));
        prop_assert_eq!(body, normalized(&msg));
        prop_assert!(rest.is_empty());
    }

    #[test]
    fn unstuffing_is_chunking_invariant(input in stream(), cuts in cuts(400), lenient in any::<bool>()) {
        let policy = if lenient { DotPolicy::Lenient } else { DotPolicy::Strict };
        let whole = unstuff(&input, &[], policy);
        let split = unstuff(&input, &cuts, policy);
        prop_assert_eq!(&split.1, &whole.1);
        if whole.1.is_some() {
            prop_assert_eq!(split.0, whole.0);
        }
    }

    #[test]
    fn unstuffing_never_panics(input in prop::collection::vec(any::<u8>(), 0..300), cuts in cuts(300)) {
        let _ = unstuff(&input, &cuts, DotPolicy::Strict);
        let _ = unstuff(&input, &cuts, DotPolicy::Lenient);
    }

    /// The one canonical line-end rule, streamed in any pieces, equals the oracle;
    /// its count agrees with what it writes.
    #[test]
    fn canonicalizer_matches_the_oracle_under_any_split(msg in stream(), cuts in cuts(400)) {
        let mut c = Canonicalizer::new();
        let mut counter = Canonicalizer::new();
        let mut out = BytesMut::new();
        let mut counted = 0u64;
        let mut start = 0;
        for &cut in cuts.iter().chain(std::iter::once(&msg.len())) {
            let cut = cut.clamp(start, msg.len());
            c.canonicalize(&msg[start..cut], &mut out);
            counted += counter.count(&msg[start..cut]);
            start = cut;
        }
        c.finish_into(&mut out);
        counted += counter.count_finish();
        prop_assert_eq!(&out[..], &normalized(&msg)[..]);
        prop_assert_eq!(counted, out.len() as u64);
        prop_assert_eq!(Canonicalizer::canonical_len(&msg), out.len() as u64);
    }
}

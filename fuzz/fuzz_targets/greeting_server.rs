//! Greeting server machine: arbitrary chunk sequences under both framings and small
//! limits never panic; every reply is `Hello, m!` for a message it reported, so the output
//! is bounded by the input; nothing comes out after the machine closes; and under line
//! framing the events and bytes are the same whether the input arrives whole or cut in
//! two at a point the input chooses.
//!
//! Input layout: `[config, cut, then chunks]`, each chunk a length byte `L` followed by
//! `L & 0x3f` bytes (fewer at the end of the input). `L & 0x40` advances the clock past
//! the idle timeout after that chunk; `L & 0x80` delivers EOF after it.
#![no_main]
use core::time::Duration;
use libfuzzer_sys::fuzz_target;
use wirestate::greeting::{Framing, Limits, Server, ServerConfig, ServerEvent, WELCOME};
use wirestate::{CloseReason, Instant, Machine};

/// One thing the machine produced, in order.
#[derive(Debug, PartialEq)]
enum Out {
    Event(ServerEvent),
    Transmit(Vec<u8>),
}

struct Chunk<'a> {
    bytes: &'a [u8],
    tick: bool,
    eof: bool,
}

fn chunks(mut body: &[u8]) -> Vec<Chunk<'_>> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = body.split_first() {
        let n = (len & 0x3f) as usize;
        let n = n.min(rest.len());
        out.push(Chunk {
            bytes: &rest[..n],
            tick: len & 0x40 != 0,
            eof: len & 0x80 != 0,
        });
        body = &rest[n..];
    }
    out
}

/// Everything the server has to say right now: events first, then transmits, as a
/// driver's pump does.
fn drain(server: &mut Server, out: &mut Vec<Out>) {
    while let Some(e) = server.poll_event() {
        out.push(Out::Event(e));
    }
    while let Some(t) = server.poll_transmit() {
        out.push(Out::Transmit(t.to_vec()));
    }
}

/// Runs `pieces` through a fresh server and returns what came out.
fn run(framing: Framing, limits: Limits, idle: Option<Duration>, pieces: &[Chunk<'_>]) -> Vec<Out> {
    let mut config = ServerConfig::new(framing);
    config.limits = limits;
    config.timeouts.idle = idle;
    let mut server = Server::new(config);
    let mut now = Instant::ZERO;
    let mut out = Vec::new();
    drain(&mut server, &mut out);
    let mut closed_at = None;
    for piece in pieces {
        server.handle_input(now, piece.bytes);
        if piece.tick {
            now = now + Duration::from_secs(10);
            server.handle_timeout(now);
        }
        if piece.eof {
            server.handle_eof(now);
        }
        drain(&mut server, &mut out);
        if let Some(at) = closed_at {
            assert_eq!(out.len(), at, "output after the machine closed");
        } else if server.is_closed() {
            closed_at = Some(out.len());
        }
    }
    server.handle_eof(now);
    drain(&mut server, &mut out);
    if let Some(at) = closed_at {
        assert_eq!(out.len(), at, "output after the machine closed");
    }
    assert!(server.is_closed(), "EOF with everything drained must close");
    assert_eq!(
        server.poll_timeout(),
        None,
        "a closed machine wants no timer"
    );
    out
}

/// The events in order and the bytes on the wire, apart.
fn observed(out: &[Out]) -> (Vec<&ServerEvent>, Vec<u8>) {
    let mut events = Vec::new();
    let mut wire = Vec::new();
    for o in out {
        match o {
            Out::Event(e) => events.push(e),
            Out::Transmit(t) => wire.extend_from_slice(t),
        }
    }
    (events, wire)
}

fn framed(framing: Framing, msg: &[u8]) -> Vec<u8> {
    let mut v = msg.to_vec();
    if framing == Framing::Line {
        v.push(b'\n');
    }
    v
}

/// The output is the welcome, then one reply per reported message, each echoing it, and
/// at most one terminal event, last among the events.
fn check_shape(framing: Framing, limits: Limits, input_len: usize, out: &[Out]) {
    let mut transmits = out.iter().filter_map(|o| match o {
        Out::Transmit(t) => Some(t),
        Out::Event(_) => None,
    });
    assert_eq!(transmits.next(), Some(&framed(framing, WELCOME)));
    let mut total = 0usize;
    let mut ended = false;
    let mut errored: Option<&ServerEvent> = None;
    for o in out {
        let Out::Event(e) = o else { continue };
        assert!(!ended, "event after the terminal one: {e:?}");
        if let Some(ServerEvent::Error(_)) = errored {
            assert_eq!(
                e,
                &ServerEvent::Closed(CloseReason::Error),
                "an error is followed by Closed(Error)"
            );
        }
        errored = None;
        match e {
            ServerEvent::Message(m) => {
                assert!(m.len() <= limits.max_message, "message over the limit");
                total += m.len();
                let mut want = b"Hello, ".to_vec();
                want.extend_from_slice(m);
                want.push(b'!');
                assert_eq!(transmits.next(), Some(&framed(framing, &want)));
            }
            ServerEvent::Error(_) => errored = Some(e),
            ServerEvent::Closed(_) => ended = true,
            other => panic!("an event this target does not know: {other:?}"),
        }
    }
    assert_eq!(
        transmits.next(),
        None,
        "a transmit with no message behind it"
    );
    assert!(total <= input_len, "more message bytes out than came in");
    assert!(ended, "the session never ended");
}

fuzz_target!(|data: &[u8]| {
    let [config, cut, body @ ..] = data else {
        return;
    };
    let framing = if config & 1 == 0 {
        Framing::Chunk
    } else {
        Framing::Line
    };
    let max_message = 1 + ((config >> 1) & 0x0f) as usize;
    // Small enough that a few unanswered chunks overflow it.
    let max_buffered = max_message + 2 + (config >> 5) as usize * 8;
    let mut limits = Limits::default();
    limits.max_message = max_message;
    limits.max_buffered = max_buffered;
    let idle = (config & 0x20 != 0).then(|| Duration::from_secs(5));
    let pieces = chunks(body);
    let input: Vec<u8> = pieces
        .iter()
        .flat_map(|c| c.bytes.iter().copied())
        .collect();
    let out = run(framing, limits, idle, &pieces);
    check_shape(framing, limits, input.len(), &out);

    if framing == Framing::Chunk {
        // Each non-empty read is one message, in order, byte for byte.
        let sent = pieces.iter().map(|c| c.bytes).filter(|b| !b.is_empty());
        for (got, want) in out
            .iter()
            .filter_map(|o| match o {
                Out::Event(ServerEvent::Message(m)) => Some(m),
                _ => None,
            })
            .zip(sent)
        {
            assert_eq!(&got[..], want);
        }
        return;
    }

    // Line framing: where TCP cuts the stream must not matter. The buffer limit is lifted
    // here (one push of the whole input would trip it where two pushes would not), and so
    // is the clock, which the split point could otherwise move relative to the input.
    limits.max_buffered = input.len().max(1);
    let cut = *cut as usize % (input.len() + 1);
    let whole = run(
        framing,
        limits,
        None,
        &[Chunk {
            bytes: &input,
            tick: false,
            eof: false,
        }],
    );
    let split = run(
        framing,
        limits,
        None,
        &[
            Chunk {
                bytes: &input[..cut],
                tick: false,
                eof: false,
            },
            Chunk {
                bytes: &input[cut..],
                tick: false,
                eof: false,
            },
        ],
    );
    // Events and wire bytes each in order; how they interleave depends on when the
    // driver polls, which is not the machine's business.
    assert_eq!(
        observed(&whole),
        observed(&split),
        "line framing depends on where the input is cut"
    );
    // And byte by byte, the hardest split of all.
    let bytewise: Vec<Chunk<'_>> = input
        .chunks(1)
        .map(|b| Chunk {
            bytes: b,
            tick: false,
            eof: false,
        })
        .collect();
    assert_eq!(
        observed(&whole),
        observed(&run(framing, limits, None, &bytewise))
    );
    check_shape(framing, limits, input.len(), &whole);
});

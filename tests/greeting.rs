//! The greeting machines: transcripts, framing, limits, timers, chunking invariance and
//! never-panic properties.

mod common;

use common::{assert_chunking_invariant, drain_bytes, events, feed_cut, Pair, Split};
use proptest::prelude::*;
use std::time::Duration;
use wirestate::greeting::{
    udp_reply, ClientEvent, Framing, GreetingClient, GreetingErrorKind, GreetingServer, Limits,
    SendError, ServerEvent,
};
use wirestate::{Instant, Machine};

const T0: Instant = Instant::ZERO;

/// A transcript: (`'C'` or `'S'`, message) in order.
type Transcript = Vec<(char, Vec<u8>)>;

/// `C:`/`S:` lines of a transcript file, `#` lines skipped.
fn transcript(text: &str) -> Transcript {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (side, msg) = l.split_at(3);
            (side.as_bytes()[0] as char, msg.as_bytes().to_vec())
        })
        .collect()
}

fn transcripts() -> Vec<(&'static str, Transcript)> {
    vec![
        (
            "classic",
            transcript(include_str!("transcripts/greeting/classic.txt")),
        ),
        (
            "unicode_and_punctuation",
            transcript(include_str!(
                "transcripts/greeting/unicode_and_punctuation.txt"
            )),
        ),
    ]
}

fn framed(framing: Framing, msg: &[u8]) -> Vec<u8> {
    let mut v = msg.to_vec();
    if framing == Framing::Line {
        v.push(b'\n');
    }
    v
}

/// The server, fed the client's lines one message at a time, sends exactly the S: lines.
#[test]
fn server_replays_transcripts_byte_exact() {
    for framing in [Framing::Chunk, Framing::Line] {
        for (name, lines) in transcripts() {
            let mut server = GreetingServer::new(framing);
            let mut expected = Vec::new();
            let mut sent = drain_bytes(&mut server);
            for (side, msg) in &lines {
                match side {
                    'S' => expected.extend(framed(framing, msg)),
                    _ => {
                        server.handle_input(T0, &framed(framing, msg));
                        events(&mut server);
                        sent.extend(drain_bytes(&mut server));
                    }
                }
            }
            assert_eq!(
                String::from_utf8_lossy(&sent),
                String::from_utf8_lossy(&expected),
                "{name} {framing:?}"
            );
            assert!(server.is_closed(), "{name}: exit closes");
        }
    }
}

/// The client, given the C: names, sends exactly the C: lines when fed the S: lines.
#[test]
fn client_replays_transcripts_byte_exact() {
    for framing in [Framing::Chunk, Framing::Line] {
        for (name, lines) in transcripts() {
            let mut client = GreetingClient::new(framing);
            let mut expected = Vec::new();
            for (side, msg) in &lines {
                if *side == 'C' {
                    expected.extend(framed(framing, msg));
                    if msg != b"exit" {
                        client.send_name(msg).unwrap();
                    }
                }
            }
            client.finish();
            let mut sent = Vec::new();
            let mut replies = Vec::new();
            for (side, msg) in &lines {
                if *side == 'S' {
                    client.handle_input(T0, &framed(framing, msg));
                    for e in events(&mut client) {
                        match e {
                            ClientEvent::Welcome(m) => replies.push(m.to_vec()),
                            ClientEvent::Reply { reply, .. } => replies.push(reply.to_vec()),
                            other => panic!("{name}: unexpected {other:?}"),
                        }
                    }
                    sent.extend(drain_bytes(&mut client));
                }
            }
            assert_eq!(sent, expected, "{name} {framing:?}");
            let server_said: Vec<Vec<u8>> = lines
                .iter()
                .filter(|(s, _)| *s == 'S')
                .map(|(_, m)| m.clone())
                .collect();
            assert_eq!(replies, server_said);
            assert!(client.is_closed());
        }
    }
}

fn greet_pair(framing: Framing, split: Split, names: &[&str]) -> (Vec<u8>, Vec<u8>, Vec<String>) {
    let mut client = GreetingClient::new(framing);
    for n in names {
        client.send_name(n.as_bytes()).unwrap();
    }
    client.finish();
    let mut pair = Pair::new(client, GreetingServer::new(framing)).with_split(split);
    let mut heard = Vec::new();
    pair.run(
        |_, e| match e {
            ClientEvent::Welcome(m) | ClientEvent::Reply { reply: m, .. } => {
                heard.push(String::from_utf8(m.to_vec()).unwrap())
            }
            other => panic!("client saw {other:?}"),
        },
        |_, _| {},
    );
    assert!(pair.client.is_closed() && pair.server.is_closed());
    (pair.client_wire, pair.server_wire, heard)
}

#[test]
fn client_and_server_agree_under_every_split_with_line_framing() {
    let names = ["Michael", "Tracy", "Sarah"];
    let reference = greet_pair(Framing::Line, Split::AsSent, &names);
    assert_eq!(
        reference.2,
        [
            "Welcome!",
            "Hello, Michael!",
            "Hello, Tracy!",
            "Hello, Sarah!"
        ]
    );
    for split in [
        Split::Coalesced,
        Split::Every(1),
        Split::Every(2),
        Split::Every(5),
    ] {
        assert_eq!(
            greet_pair(Framing::Line, split, &names),
            reference,
            "{split:?}"
        );
    }
}

#[test]
fn chunk_framing_pair_is_byte_exact() {
    let (c, s, heard) = greet_pair(Framing::Chunk, Split::AsSent, &["Michael", "Zoë"]);
    assert_eq!(c, "MichaelZoëexit".as_bytes());
    assert_eq!(s, "Welcome!Hello, Michael!Hello, Zoë!".as_bytes());
    assert_eq!(heard.len(), 3);
}

#[test]
fn line_framing_server_is_chunking_invariant() {
    let input = b"Ada\r\nGrace\n\nLin Yu\r\nexit\nignored\n";
    let (evs, out) = assert_chunking_invariant(|| GreetingServer::new(Framing::Line), input);
    assert_eq!(
        evs,
        vec![
            ServerEvent::Message("Ada".into()),
            ServerEvent::Message("Grace".into()),
            ServerEvent::Message("".into()),
            ServerEvent::Message("Lin Yu".into()),
            ServerEvent::Exit,
        ]
    );
    assert_eq!(
        out,
        b"Welcome!\nHello, Ada!\nHello, Grace!\nHello, !\nHello, Lin Yu!\n"
    );
}

#[test]
fn line_framing_client_is_chunking_invariant() {
    let make = || {
        let mut c = GreetingClient::new(Framing::Line);
        c.send_name(b"a").unwrap();
        c.send_name(b"b").unwrap();
        c.finish();
        c
    };
    let (evs, out) = assert_chunking_invariant(make, b"Welcome!\r\nHello, a!\nHello, b!\n");
    assert_eq!(evs.len(), 3);
    assert_eq!(out, b"a\nb\nexit\n");
}

#[test]
fn exit_must_be_the_whole_message() {
    let mut server = GreetingServer::new(Framing::Chunk);
    drain_bytes(&mut server);
    for not_exit in ["exit\n", "EXIT", " exit", "exit!"] {
        server.handle_input(T0, not_exit.as_bytes());
        assert_eq!(
            events(&mut server),
            [ServerEvent::Message(not_exit.as_bytes().to_vec().into())]
        );
        assert_eq!(
            drain_bytes(&mut server),
            format!("Hello, {not_exit}!").as_bytes()
        );
    }
    assert!(!server.is_closed());
}

#[test]
fn chunk_over_the_limit_is_a_fatal_error_with_its_offset() {
    let limits = Limits {
        max_message: 8,
        ..Limits::default()
    };
    let mut server = GreetingServer::with_limits(Framing::Chunk, limits);
    drain_bytes(&mut server);
    server.handle_input(T0, b"12345678");
    server.handle_input(T0, b"123456789");
    let evs = events(&mut server);
    assert_eq!(evs[0], ServerEvent::Message("12345678".into()));
    match &evs[1] {
        ServerEvent::Error(e) => {
            assert_eq!(e.kind, GreetingErrorKind::TooLong { limit: 8 });
            assert_eq!(e.offset, 8);
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(evs.len(), 2);
    assert_eq!(drain_bytes(&mut server), b"Hello, 12345678!");
    assert!(server.is_closed());
}

#[test]
fn line_over_the_limit_is_caught_however_it_arrives() {
    let limits = Limits {
        max_message: 8,
        ..Limits::default()
    };
    let make = || GreetingServer::with_limits(Framing::Line, limits);
    // 8 bytes fit with either terminator; 9 never do.
    let (evs, _) = assert_chunking_invariant(make, b"12345678\n12345678\r\n123456789\r\nx\n");
    assert_eq!(evs.len(), 3);
    assert!(matches!(
        evs[2],
        ServerEvent::Error(e) if e.kind == GreetingErrorKind::TooLong { limit: 8 } && e.offset == 19
    ));
    // A line that never ends is refused once it passes the limit, not buffered forever.
    let mut server = make();
    server.handle_input(T0, &[b'x'; 4096]);
    assert!(matches!(events(&mut server)[..], [ServerEvent::Error(_)]));
    assert!(server.is_closed());
}

#[test]
fn bare_cr_in_a_line_is_refused() {
    let (evs, _) = assert_chunking_invariant(
        || GreetingServer::new(Framing::Line),
        b"ok\na\rb\nnot reached\n",
    );
    assert_eq!(evs[0], ServerEvent::Message("ok".into()));
    assert!(
        matches!(evs[1], ServerEvent::Error(e) if e.kind == GreetingErrorKind::BareCr && e.offset == 4)
    );
}

#[test]
fn a_caller_that_never_polls_hits_the_buffer_limit_not_growth() {
    let limits = Limits {
        max_buffered: 64,
        ..Limits::default()
    };
    let mut server = GreetingServer::with_limits(Framing::Chunk, limits);
    for _ in 0..100 {
        server.handle_input(T0, b"0123456789");
    }
    let evs = events(&mut server);
    assert_eq!(evs.len(), 7, "six whole messages then the error");
    assert!(
        matches!(evs[6], ServerEvent::Error(e) if e.kind == GreetingErrorKind::BufferFull { limit: 64 })
    );
}

#[test]
fn eof_closes_and_reports_an_unterminated_line() {
    let mut server = GreetingServer::new(Framing::Line);
    server.handle_input(T0, b"Ada\nhalf a na");
    server.handle_eof(T0);
    assert_eq!(
        events(&mut server),
        [
            ServerEvent::Message("Ada".into()),
            ServerEvent::PeerClosed { unterminated: 9 }
        ]
    );
    assert!(server.is_closed());
    assert_eq!(drain_bytes(&mut server), b"Welcome!\nHello, Ada!\n");
}

#[test]
fn idle_timeout_is_a_deadline_and_backwards_time_is_ignored() {
    let limits = Limits {
        idle_timeout: Some(Duration::from_secs(10)),
        ..Limits::default()
    };
    let mut server = GreetingServer::with_limits(Framing::Chunk, limits);
    assert_eq!(server.poll_timeout(), Some(Instant::from_millis(10_000)));
    server.handle_input(Instant::from_millis(5_000), b"Ada");
    assert_eq!(server.poll_timeout(), Some(Instant::from_millis(15_000)));
    // A clock that runs backwards counts as no time passing.
    server.handle_input(Instant::from_millis(1_000), b"Bo");
    assert_eq!(server.poll_timeout(), Some(Instant::from_millis(15_000)));
    server.handle_timeout(Instant::from_millis(14_999));
    assert_eq!(events(&mut server).len(), 2);
    assert!(!server.is_closed());
    server.handle_timeout(Instant::from_millis(15_000));
    let evs = events(&mut server);
    assert!(matches!(evs[..], [ServerEvent::Error(e)] if e.kind == GreetingErrorKind::IdleTimeout));
    assert!(server.is_closed());
    assert_eq!(server.poll_timeout(), None);
}

/// Found by the `greeting_server` fuzz target: an error the inbox noticed after the
/// terminal event (a timeout after `exit`, or after a fatal framing error) came out as a
/// second terminal event from a closed machine.
#[test]
fn nothing_follows_the_terminal_event() {
    let limits = Limits {
        max_message: 1,
        idle_timeout: Some(Duration::from_secs(5)),
        ..Limits::default()
    };
    let late = Instant::from_millis(10_000);
    // Fuzzer input, minimised: an over-long line, then the idle deadline, then EOF.
    let mut server = GreetingServer::with_limits(Framing::Line, limits);
    server.handle_input(T0, b"\xff\xff\r");
    server.handle_timeout(late);
    server.handle_eof(late);
    let evs = events(&mut server);
    assert!(
        matches!(evs[..], [ServerEvent::Error(e)] if e.kind == GreetingErrorKind::TooLong { limit: 1 } && e.offset == 0),
        "{evs:?}"
    );
    // `exit` received, the timer fires before the driver polls: Exit is the last word.
    for framing in [Framing::Chunk, Framing::Line] {
        let limits = Limits {
            max_message: 16,
            ..limits
        };
        let mut server = GreetingServer::with_limits(framing, limits);
        server.handle_input(T0, &framed(framing, b"exit")[..]);
        server.handle_timeout(late);
        assert_eq!(events(&mut server), [ServerEvent::Exit], "{framing:?}");
        assert!(server.is_closed());
    }
}

#[test]
fn idle_timeout_through_the_pair_clock() {
    let limits = Limits {
        idle_timeout: Some(Duration::from_secs(3)),
        ..Limits::default()
    };
    let mut client = GreetingClient::new(Framing::Line);
    client.send_name(b"Ada").unwrap(); // no finish(): the client goes quiet
    let mut pair = Pair::new(client, GreetingServer::with_limits(Framing::Line, limits));
    pair.run(|_, _| {}, |_, _| {});
    assert!(!pair.server.is_closed());
    pair.advance(Duration::from_secs(3));
    let mut closed_by = None;
    pair.run(
        |_, e| closed_by = Some(e),
        |_, e| {
            assert!(
                matches!(e, ServerEvent::Error(err) if err.kind == GreetingErrorKind::IdleTimeout)
            )
        },
    );
    assert_eq!(closed_by, Some(ClientEvent::PeerClosed));
}

#[test]
fn client_refuses_bad_names_and_queues_nothing() {
    let mut c = GreetingClient::with_limits(
        Framing::Line,
        Limits {
            max_message: 4,
            ..Limits::default()
        },
    );
    assert_eq!(c.send_name(b"a\rb"), Err(SendError::LineBreak));
    assert_eq!(c.send_name(b"12345"), Err(SendError::TooLong { limit: 4 }));
    assert_eq!(c.send_name(b"exit"), Err(SendError::Reserved));
    assert_eq!(c.pending(), 0);
    let mut chunk = GreetingClient::new(Framing::Chunk);
    assert_eq!(chunk.send_name(b""), Err(SendError::Empty));
    chunk.finish();
    assert_eq!(chunk.send_name(b"late"), Err(SendError::Finished));
}

#[test]
fn client_reports_unsolicited_messages_and_early_close() {
    let mut c = GreetingClient::new(Framing::Line);
    c.handle_input(T0, b"Welcome!\nsurprise\n");
    let evs = events(&mut c);
    assert_eq!(evs[0], ClientEvent::Welcome("Welcome!".into()));
    assert!(
        matches!(evs[1], ClientEvent::Error(e) if e.kind == GreetingErrorKind::Unsolicited && e.offset == 9)
    );
    assert!(c.is_closed());

    let mut c = GreetingClient::new(Framing::Chunk);
    c.send_name(b"Ada").unwrap();
    c.handle_input(T0, b"Welcome!");
    c.handle_eof(T0);
    assert_eq!(
        events(&mut c),
        [
            ClientEvent::Welcome("Welcome!".into()),
            ClientEvent::PeerClosed
        ]
    );
    assert_eq!(c.pending(), 1, "the unanswered name is still reported");
}

#[test]
fn udp_reply_wraps_the_datagram_and_bounds_it() {
    assert_eq!(&udp_reply(b"").unwrap()[..], b"Hello, !");
    assert_eq!(&udp_reply(&[0xff, 0]).unwrap()[..], b"Hello, \xff\0!");
    assert_eq!(udp_reply(&vec![0; 65_499]).unwrap().len(), 65_507);
    assert!(udp_reply(&vec![0; 65_500]).is_err());
}

proptest! {
    /// Any bytes, cut anywhere, under either framing: no panic, bounded output, and a
    /// closed machine stays closed.
    #[test]
    fn server_never_panics(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16), line in any::<bool>()) {
        let framing = if line { Framing::Line } else { Framing::Chunk };
        let limits = Limits { max_message: 32, max_buffered: 256, ..Limits::default() };
        let mut server = GreetingServer::with_limits(framing, limits);
        let mut out = drain_bytes(&mut server);
        let mut total = 0;
        for c in &chunks {
            server.handle_input(T0, c);
            total += c.len();
            events(&mut server);
            out.extend(drain_bytes(&mut server));
        }
        server.handle_eof(T0);
        events(&mut server);
        prop_assert!(server.is_closed());
        // Every reply adds 8 framing bytes (+1 for "\n") to at most one input message.
        prop_assert!(out.len() <= 9 + total + 9 * (total + chunks.len()));
    }

    #[test]
    fn client_never_panics(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16), line in any::<bool>()) {
        let framing = if line { Framing::Line } else { Framing::Chunk };
        let mut client = GreetingClient::new(framing);
        client.send_name(b"x").unwrap();
        client.finish();
        for c in &chunks {
            client.handle_input(T0, c);
            events(&mut client);
            drain_bytes(&mut client);
        }
        client.handle_eof(T0);
        events(&mut client);
        prop_assert!(client.is_closed());
    }

    /// Model: under line framing the server's output is the welcome plus, for each line
    /// before `exit`, `Hello, <line>!`, however the input is cut.
    #[test]
    fn line_server_matches_model(names in prop::collection::vec("[^\r\n]{0,20}", 0..8), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let mut input = Vec::new();
        let mut want = b"Welcome!\n".to_vec();
        for n in &names {
            input.extend_from_slice(n.as_bytes());
            input.push(b'\n');
            if n == "exit" { break; }
            want.extend_from_slice(format!("Hello, {n}!\n").as_bytes());
        }
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        cuts.sort();
        let (_, out) = feed_cut(GreetingServer::new(Framing::Line), &input, &cuts);
        prop_assert_eq!(out, want);
    }
}

//! The greeting machines: transcripts, framing, limits, timers, flow control, the generic
//! driver, chunking invariance and never-panic properties. The conformance rows are in
//! `greeting_conformance.rs`.

mod common;

use common::{
    assert_chunking_invariant, drain_bytes, drive, events, feed_cut, Pair, Side, Split, Transcript,
};
use proptest::prelude::*;
use std::time::Duration;
use wirestate::greeting::{
    udp_reply, Client, ClientConfig, ClientEvent, Error, ErrorKind, Framing, Limits, Server,
    ServerConfig, ServerEvent, UdpError,
};
use wirestate::{CloseReason, Instant, Machine, SendError, SyntaxError};

const T0: Instant = Instant::ZERO;
const TRANSCRIPTS: [&str; 2] = ["classic", "unicode_and_punctuation"];

fn framed(framing: Framing, msg: &[u8]) -> Vec<u8> {
    let mut v = msg.to_vec();
    if framing == Framing::Line {
        v.push(b'\n');
    }
    v
}

fn new_server(framing: Framing) -> Server {
    Server::new(ServerConfig::new(framing))
}

fn new_client(framing: Framing) -> Client {
    Client::new(ClientConfig::new(framing))
}

fn server_with(framing: Framing, limits: Limits, idle: Option<Duration>) -> Server {
    let mut config = ServerConfig::new(framing);
    config.limits = limits;
    config.timeouts.idle = idle;
    Server::new(config)
}

fn limits(max_message: usize, max_buffered: usize) -> Limits {
    let mut l = Limits::default();
    l.max_message = max_message;
    l.max_buffered = max_buffered;
    l
}

fn closed_server(reason: CloseReason) -> ServerEvent {
    ServerEvent::Closed(reason)
}

/// Every transcript on disk is one of the ones replayed here.
#[test]
fn every_transcript_is_replayed() {
    assert_eq!(Transcript::names("greeting"), TRANSCRIPTS);
}

/// The server, fed the client's lines one message at a time, sends exactly the s: lines.
#[test]
fn server_replays_transcripts_byte_exact() {
    for framing in [Framing::Chunk, Framing::Line] {
        for name in TRANSCRIPTS {
            let t = Transcript::load("greeting", name);
            let mut server = new_server(framing);
            let mut expected = Vec::new();
            let mut sent = drain_bytes(&mut server);
            let mut evs = Vec::new();
            for (side, msg) in &t.lines {
                match side {
                    Side::S => expected.extend(framed(framing, msg)),
                    Side::C => {
                        server.handle_input(T0, &framed(framing, msg));
                        evs.extend(events(&mut server));
                        sent.extend(drain_bytes(&mut server));
                    }
                }
            }
            assert_eq!(
                String::from_utf8_lossy(&sent),
                String::from_utf8_lossy(&expected),
                "{name} {framing:?}"
            );
            assert_eq!(evs.last(), Some(&closed_server(CloseReason::Done)));
            assert!(server.is_closed(), "{name}: exit closes");
        }
    }
}

/// The client, given the c: names, sends exactly the c: lines when fed the s: lines.
#[test]
fn client_replays_transcripts_byte_exact() {
    for framing in [Framing::Chunk, Framing::Line] {
        for name in TRANSCRIPTS {
            let t = Transcript::load("greeting", name);
            let mut client = new_client(framing);
            let mut expected = Vec::new();
            for (side, msg) in &t.lines {
                if *side == Side::C {
                    expected.extend(framed(framing, msg));
                    if msg != b"exit" {
                        client.send_name(msg).unwrap();
                    }
                }
            }
            client.finish().unwrap();
            let mut sent = Vec::new();
            let mut replies = Vec::new();
            let mut closed = 0;
            for (side, msg) in &t.lines {
                if *side == Side::S {
                    client.handle_input(T0, &framed(framing, msg));
                    for e in events(&mut client) {
                        match e {
                            ClientEvent::Welcome(m) => replies.push(m.to_vec()),
                            ClientEvent::Reply { reply, .. } => replies.push(reply.to_vec()),
                            ClientEvent::Closed(CloseReason::Done) => closed += 1,
                            other => panic!("{name}: unexpected {other:?}"),
                        }
                    }
                    sent.extend(drain_bytes(&mut client));
                }
            }
            assert_eq!(sent, expected, "{name} {framing:?}");
            let server_said: Vec<Vec<u8>> = t
                .lines
                .iter()
                .filter(|(s, _)| *s == Side::S)
                .map(|(_, m)| m.clone())
                .collect();
            assert_eq!(replies, server_said);
            assert_eq!(closed, 1, "Closed(Done) exactly once");
            assert!(client.is_closed());
        }
    }
}

/// Both machines run under the one generic driver of `tests/common`, which knows no
/// protocol, and reproduce the transcripts byte for byte however the peer's bytes are
/// cut.
#[test]
fn both_machines_run_under_the_generic_driver() {
    for name in TRANSCRIPTS {
        let t = Transcript::load("greeting", name);
        let line = |side| -> Vec<u8> {
            t.lines
                .iter()
                .filter(|(s, _)| *s == side)
                .flat_map(|(_, m)| framed(Framing::Line, m))
                .collect()
        };
        let (client_bytes, server_bytes) = (line(Side::C), line(Side::S));
        for piece in [1, 3, 1024] {
            let mut s = new_server(Framing::Line);
            let mut seen = Vec::new();
            let driven = drive(&mut s, &client_bytes, piece, |_, e| seen.push(e), |_| {});
            assert_eq!(
                driven.wire, server_bytes,
                "{name} server, pieces of {piece}"
            );
            assert!(driven.closed && driven.tls_at.is_empty());
            assert_eq!(driven.unread, 0, "exit is the client's last byte");
            assert_eq!(seen.last(), Some(&closed_server(CloseReason::Done)));

            let mut c = new_client(Framing::Line);
            for (side, m) in &t.lines {
                if *side == Side::C && m != b"exit" {
                    c.send_name(m).unwrap();
                }
            }
            c.finish().unwrap();
            let mut last = None;
            let driven = drive(&mut c, &server_bytes, piece, |_, e| last = Some(e), |_| {});
            assert_eq!(
                driven.wire, client_bytes,
                "{name} client, pieces of {piece}"
            );
            assert!(driven.closed && driven.tls_at.is_empty());
            assert_eq!(last, Some(ClientEvent::Closed(CloseReason::Done)));
        }
    }
}

fn greet_pair(framing: Framing, split: Split, names: &[&str]) -> (Vec<u8>, Vec<u8>, Vec<String>) {
    let mut c = new_client(framing);
    for n in names {
        c.send_name(n.as_bytes()).unwrap();
    }
    c.finish().unwrap();
    let mut pair = Pair::new(c, new_server(framing)).with_split(split);
    let mut heard = Vec::new();
    let (mut client_ends, mut server_ends) = (Vec::new(), Vec::new());
    pair.run(
        |_, e| match e {
            ClientEvent::Welcome(m) | ClientEvent::Reply { reply: m, .. } => {
                heard.push(String::from_utf8(m.to_vec()).unwrap())
            }
            ClientEvent::Closed(r) => client_ends.push(r),
            other => panic!("client saw {other:?}"),
        },
        |_, e| {
            if let ServerEvent::Closed(r) = e {
                server_ends.push(r)
            }
        },
    );
    assert!(pair.client.is_closed() && pair.server.is_closed());
    assert_eq!(client_ends, [CloseReason::Done]);
    assert_eq!(server_ends, [CloseReason::Done]);
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
    let (evs, out) = assert_chunking_invariant(|| new_server(Framing::Line), input);
    assert_eq!(
        evs,
        vec![
            ServerEvent::Message("Ada".into()),
            ServerEvent::Message("Grace".into()),
            ServerEvent::Message("".into()),
            ServerEvent::Message("Lin Yu".into()),
            closed_server(CloseReason::Done),
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
        let mut c = new_client(Framing::Line);
        c.send_name(b"a").unwrap();
        c.send_name(b"b").unwrap();
        c.finish().unwrap();
        c
    };
    let (evs, out) = assert_chunking_invariant(make, b"Welcome!\r\nHello, a!\nHello, b!\n");
    assert_eq!(evs.len(), 4);
    assert_eq!(evs[3], ClientEvent::Closed(CloseReason::Done));
    assert_eq!(out, b"a\nb\nexit\n");
}

#[test]
fn exit_must_be_the_whole_message() {
    let mut server = new_server(Framing::Chunk);
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
    let mut server = server_with(Framing::Chunk, limits(8, 64 * 1024), None);
    drain_bytes(&mut server);
    server.handle_input(T0, b"12345678");
    server.handle_input(T0, b"123456789");
    let evs = events(&mut server);
    assert_eq!(evs[0], ServerEvent::Message("12345678".into()));
    match &evs[1] {
        ServerEvent::Error(e) => {
            assert_eq!(e.kind, ErrorKind::TooLong { limit: 8 });
            assert_eq!(e.offset, 8);
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(evs[2], closed_server(CloseReason::Error));
    assert_eq!(evs.len(), 3);
    assert_eq!(drain_bytes(&mut server), b"Hello, 12345678!");
    assert!(server.is_closed());
}

#[test]
fn line_over_the_limit_is_caught_however_it_arrives() {
    let make = || server_with(Framing::Line, limits(8, 64 * 1024), None);
    // 8 bytes fit with either terminator; 9 never do.
    let (evs, _) = assert_chunking_invariant(make, b"12345678\n12345678\r\n123456789\r\nx\n");
    assert_eq!(evs.len(), 4);
    assert!(matches!(
        evs[2],
        ServerEvent::Error(e) if e.kind == ErrorKind::TooLong { limit: 8 } && e.offset == 19
    ));
    assert_eq!(evs[3], closed_server(CloseReason::Error));
    // A line that never ends is refused once it passes the limit, not buffered forever.
    let mut server = make();
    server.handle_input(T0, &[b'x'; 4096]);
    assert!(matches!(
        events(&mut server)[..],
        [
            ServerEvent::Error(_),
            ServerEvent::Closed(CloseReason::Error)
        ]
    ));
    assert!(server.is_closed());
}

#[test]
fn bare_cr_in_a_line_is_refused() {
    let (evs, _) =
        assert_chunking_invariant(|| new_server(Framing::Line), b"ok\na\rb\nnot reached\n");
    assert_eq!(evs[0], ServerEvent::Message("ok".into()));
    assert!(
        matches!(evs[1], ServerEvent::Error(e) if e.kind == ErrorKind::BareCr && e.offset == 4)
    );
    assert_eq!(evs[2..], [closed_server(CloseReason::Error)]);
}

#[test]
fn a_caller_that_never_polls_hits_the_buffer_limit_not_growth() {
    let mut server = server_with(Framing::Chunk, limits(1024, 64), None);
    for _ in 0..100 {
        server.handle_input(T0, b"0123456789");
    }
    let evs = events(&mut server);
    assert_eq!(evs.len(), 8, "six whole messages, the error, the close");
    assert!(
        matches!(evs[6], ServerEvent::Error(e) if e.kind == ErrorKind::BufferFull { limit: 64 })
    );
    assert_eq!(evs[7], closed_server(CloseReason::Error));
}

/// A driver that honours `wants_input` never meets that limit: the server says stop
/// while a whole message waits to be polled, or while its replies are not being taken.
#[test]
fn wants_input_stops_the_reader_before_any_limit() {
    let mut server = server_with(Framing::Chunk, limits(1024, 64), None);
    assert!(server.wants_input());
    server.handle_input(T0, b"0123456789");
    assert!(!server.wants_input(), "a message waits for poll_event");
    let mut fed = 1;
    let mut evs = events(&mut server);
    // Replies are not taken: welcome (8) + 18 bytes each; over 64 bytes, no more input.
    while server.wants_input() {
        server.handle_input(T0, b"0123456789");
        fed += 1;
        evs.extend(events(&mut server));
    }
    assert_eq!(fed, 4, "8 + 4 x 18 = 80 reply bytes wait");
    assert_eq!(evs.len(), 4);
    assert!(evs.iter().all(|e| matches!(e, ServerEvent::Message(_))));
    drain_bytes(&mut server);
    assert!(server.wants_input());
    // Under line framing a partial line is no message: more input is wanted.
    let mut line = new_server(Framing::Line);
    line.handle_input(T0, b"Ad");
    assert!(line.wants_input());
    line.handle_input(
        T0, b"a
Bo",
    );
    assert!(!line.wants_input());
    assert_eq!(events(&mut line), [ServerEvent::Message("Ada".into())]);
    assert!(line.wants_input());
    // Input ends with EOF, with an error, with the close.
    server.handle_eof(T0);
    assert!(!server.wants_input());
    let mut c = new_client(Framing::Line);
    assert!(c.wants_input());
    c.handle_input(T0, b"Welcome!\n");
    assert!(!c.wants_input());
    events(&mut c);
    assert!(c.wants_input());
    c.handle_input(T0, b"surprise\n");
    events(&mut c);
    assert!(!c.wants_input());
    // No body to stream and no TLS switch, in either role.
    let (s, c) = (new_server(Framing::Line), new_client(Framing::Line));
    assert!(!s.wants_body() && !s.wants_tls() && !c.wants_body() && !c.wants_tls());
}

#[test]
fn eof_closes_and_reports_an_unterminated_line() {
    let mut server = new_server(Framing::Line);
    server.handle_input(T0, b"Ada\nhalf a na");
    server.handle_eof(T0);
    assert_eq!(
        events(&mut server),
        [
            ServerEvent::Message("Ada".into()),
            closed_server(CloseReason::PeerClosed { unterminated: 9 })
        ]
    );
    assert!(server.is_closed());
    assert_eq!(drain_bytes(&mut server), b"Welcome!\nHello, Ada!\n");
}

#[test]
fn idle_timeout_is_a_deadline_and_backwards_time_is_ignored() {
    let mut server = server_with(
        Framing::Chunk,
        Limits::default(),
        Some(Duration::from_secs(10)),
    );
    // Not told the time yet: due at once, so the first call starts the clock.
    assert_eq!(server.poll_timeout(), Some(Instant::ZERO));
    server.handle_input(Instant::from_millis(5_000), b"Ada");
    assert_eq!(server.poll_timeout(), Some(Instant::from_millis(15_000)));
    // A clock that runs backwards counts as no time passing.
    server.handle_input(Instant::from_millis(1_000), b"Bo");
    assert_eq!(server.poll_timeout(), Some(Instant::from_millis(15_000)));
    server.handle_timeout(Instant::from_millis(14_999));
    assert_eq!(events(&mut server).len(), 2);
    assert!(!server.is_closed());
    server.handle_timeout(Instant::from_millis(15_000));
    // A timeout is a close reason, with no Error event before it.
    assert_eq!(events(&mut server), [closed_server(CloseReason::Timeout)]);
    assert!(server.is_closed());
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn messages_received_before_the_timeout_are_still_answered() {
    let mut server = server_with(
        Framing::Line,
        Limits::default(),
        Some(Duration::from_secs(1)),
    );
    drain_bytes(&mut server);
    server.handle_input(T0, b"Ada\nBo\nhalf");
    server.handle_timeout(Instant::from_millis(1_000));
    server.handle_input(Instant::from_millis(1_001), b"late\n");
    assert_eq!(
        events(&mut server),
        [
            ServerEvent::Message("Ada".into()),
            ServerEvent::Message("Bo".into()),
            closed_server(CloseReason::Timeout)
        ]
    );
    assert_eq!(drain_bytes(&mut server), b"Hello, Ada!\nHello, Bo!\n");
}

/// Found by the `greeting_server` fuzz target: an error the inbox noticed after the
/// terminal event (a timeout after `exit`, or after a fatal framing error) came out as a
/// second terminal event from a closed machine.
#[test]
fn nothing_follows_the_terminal_event() {
    let idle = Some(Duration::from_secs(5));
    let late = Instant::from_millis(10_000);
    // Fuzzer input, minimised: an over-long line, then the idle deadline, then EOF.
    let mut server = server_with(Framing::Line, limits(1, 64 * 1024), idle);
    server.handle_input(T0, b"\xff\xff\r");
    server.handle_timeout(late);
    server.handle_eof(late);
    let evs = events(&mut server);
    assert!(
        matches!(evs[..], [ServerEvent::Error(e), ServerEvent::Closed(CloseReason::Error)] if e.kind == ErrorKind::TooLong { limit: 1 } && e.offset == 0),
        "{evs:?}"
    );
    // `exit` received, the timer fires before the driver polls: Done is the last word.
    for framing in [Framing::Chunk, Framing::Line] {
        let mut server = server_with(framing, limits(16, 64 * 1024), idle);
        server.handle_input(T0, &framed(framing, b"exit")[..]);
        server.handle_timeout(late);
        server.handle_eof(late);
        assert_eq!(
            events(&mut server),
            [closed_server(CloseReason::Done)],
            "{framing:?}"
        );
        assert!(server.is_closed());
        assert_eq!(server.poll_event(), None);
    }
}

#[test]
fn idle_timeout_through_the_pair_clock() {
    let mut c = new_client(Framing::Line);
    c.send_name(b"Ada").unwrap(); // no finish(): the client goes quiet
    let s = server_with(
        Framing::Line,
        Limits::default(),
        Some(Duration::from_secs(3)),
    );
    let mut pair = Pair::new(c, s);
    pair.run(|_, _| {}, |_, _| {});
    assert!(!pair.server.is_closed());
    pair.advance(Duration::from_secs(3));
    let mut client_end = None;
    let mut server_end = Vec::new();
    pair.run(|_, e| client_end = Some(e), |_, e| server_end.push(e));
    assert_eq!(server_end, [closed_server(CloseReason::Timeout)]);
    assert_eq!(
        client_end,
        Some(ClientEvent::Closed(CloseReason::PeerClosed {
            unterminated: 0
        }))
    );
}

#[test]
fn client_reply_timeout_is_a_deadline_honoured_through_poll_timeout() {
    let mut config = ClientConfig::new(Framing::Line);
    config.timeouts.reply = Some(Duration::from_secs(2));
    let mut c = Client::new(config);
    c.send_name(b"Ada").unwrap();
    // Waiting for the welcome from the start.
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(2_000)));
    c.handle_input(Instant::from_millis(1_500), b"Welcome!\n");
    assert!(matches!(c.poll_event(), Some(ClientEvent::Welcome(_))));
    assert_eq!(drain_bytes(&mut c), b"Ada\n");
    // The reply to Ada is awaited from when it went out.
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(3_500)));
    // Part of a reply counts as the server speaking; a backwards clock does not.
    c.handle_input(Instant::from_millis(2_000), b"Hello, ");
    c.handle_input(Instant::from_millis(100), b"A");
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(4_000)));
    c.handle_timeout(Instant::from_millis(3_999));
    assert_eq!(events(&mut c), []);
    c.handle_timeout(Instant::from_millis(4_000));
    assert_eq!(events(&mut c), [ClientEvent::Closed(CloseReason::Timeout)]);
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(drain_bytes(&mut c), b"", "no exit after a timeout");
    assert_eq!(c.send_name(b"x"), Err(SendError::Closed));
    // Answered and idle: the client waits for its application, with no deadline.
    let mut config = ClientConfig::new(Framing::Line);
    config.timeouts.reply = Some(Duration::from_secs(2));
    let mut c = Client::new(config);
    c.handle_input(T0, b"Welcome!\n");
    events(&mut c);
    assert_eq!(c.poll_timeout(), None);
    // Without a reply timeout (the default) the client waits forever, like the classic one.
    assert_eq!(new_client(Framing::Line).poll_timeout(), None);
}

#[test]
fn client_refuses_bad_names_and_queues_nothing() {
    let mut config = ClientConfig::new(Framing::Line);
    config.limits.max_message = 4;
    let mut c = Client::new(config);
    let invalid = |rule, offset| Err(SendError::Invalid(SyntaxError { rule, offset }));
    assert_eq!(
        c.send_name(b"a\rb"),
        invalid("greeting line framing: no CR or LF inside a message", 1)
    );
    assert_eq!(
        c.send_name(b"12345"),
        invalid(
            "greeting framing: a message is at most max_message bytes, terminator excluded",
            0
        )
    );
    assert_eq!(
        c.send_name(b"exit"),
        invalid(
            "greeting: `exit` ends the session; send it with finish()",
            0
        )
    );
    assert_eq!(c.pending(), 0);
    assert_eq!(drain_bytes(&mut c), b"");
    let mut chunk = new_client(Framing::Chunk);
    assert_eq!(
        chunk.send_name(b""),
        invalid("greeting chunk framing: a message is at least one byte", 0)
    );
    // CR and LF are ordinary bytes under chunk framing.
    assert_eq!(chunk.send_name(b"a\nb"), Ok(()));
    chunk.finish().unwrap();
    assert_eq!(
        chunk.send_name(b"late"),
        Err(SendError::OutOfTurn("finish() was already called"))
    );
    assert_eq!(
        chunk.finish(),
        Err(SendError::OutOfTurn("finish() was already called"))
    );
    assert_eq!(chunk.pending(), 1);
    // Once closed, everything is Closed.
    chunk.handle_eof(T0);
    events(&mut chunk);
    assert_eq!(chunk.send_name(b"x"), Err(SendError::Closed));
    assert_eq!(chunk.finish(), Err(SendError::Closed));
}

#[test]
fn client_reports_unsolicited_messages_and_early_close() {
    let mut c = new_client(Framing::Line);
    c.handle_input(T0, b"Welcome!\nsurprise\n");
    let evs = events(&mut c);
    assert_eq!(evs[0], ClientEvent::Welcome("Welcome!".into()));
    assert!(
        matches!(evs[1], ClientEvent::Error(e) if e.kind == ErrorKind::Unsolicited && e.offset == 9)
    );
    assert_eq!(evs[2..], [ClientEvent::Closed(CloseReason::Error)]);
    assert!(c.is_closed());

    let mut c = new_client(Framing::Chunk);
    c.send_name(b"Ada").unwrap();
    c.handle_input(T0, b"Welcome!");
    c.handle_eof(T0);
    assert_eq!(
        events(&mut c),
        [
            ClientEvent::Welcome("Welcome!".into()),
            ClientEvent::Closed(CloseReason::PeerClosed { unterminated: 0 })
        ]
    );
    assert_eq!(c.pending(), 1, "the unanswered name is still reported");

    let mut c = new_client(Framing::Line);
    c.handle_input(T0, b"Welcome!\nHello, ha");
    c.handle_eof(T0);
    assert_eq!(
        events(&mut c).last(),
        Some(&ClientEvent::Closed(CloseReason::PeerClosed {
            unterminated: 9
        }))
    );
}

#[test]
fn errors_display_the_rule_and_the_offset() {
    let e = Error::new(ErrorKind::TooLong { limit: 8 }, 19);
    assert_eq!(
        e.to_string(),
        "greeting framing: a message is at most max_message bytes, terminator excluded, at byte 19"
    );
    assert!(!e.to_string().contains("TooLong"), "never the Debug form");
    let err: &dyn std::error::Error = &e;
    assert!(err.to_string().ends_with("at byte 19"));
    for kind in ErrorKind::ALL {
        assert!(kind.rule().starts_with("greeting"), "{kind:?}");
        assert_eq!(kind.to_string(), kind.rule());
    }
}

#[test]
fn udp_reply_wraps_the_datagram_and_bounds_it() {
    assert_eq!(&udp_reply(b"").unwrap()[..], b"Hello, !");
    assert_eq!(&udp_reply(&[0xff, 0]).unwrap()[..], b"Hello, \xff\0!");
    assert_eq!(udp_reply(&vec![0; 65_499]).unwrap().len(), 65_507);
    let e: UdpError = udp_reply(&vec![0; 65_500]).unwrap_err();
    assert_eq!(e.len, 65_500);
    assert!(e.to_string().starts_with(e.rule()));
}

proptest! {
    /// Any bytes, cut anywhere, under either framing: no panic, bounded output, exactly
    /// one Closed and it is last, and a closed machine stays closed.
    #[test]
    fn server_never_panics(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16), line in any::<bool>()) {
        let framing = if line { Framing::Line } else { Framing::Chunk };
        let mut server = server_with(framing, limits(32, 256), None);
        let mut out = drain_bytes(&mut server);
        let mut total = 0;
        let mut evs = Vec::new();
        for c in &chunks {
            server.handle_input(T0, c);
            total += c.len();
            evs.extend(events(&mut server));
            out.extend(drain_bytes(&mut server));
        }
        server.handle_eof(T0);
        evs.extend(events(&mut server));
        prop_assert!(server.is_closed());
        prop_assert_eq!(evs.iter().filter(|e| matches!(e, ServerEvent::Closed(_))).count(), 1);
        prop_assert!(matches!(evs.last(), Some(ServerEvent::Closed(_))));
        // Every reply adds 8 framing bytes (+1 for "\n") to at most one input message.
        prop_assert!(out.len() <= 9 + total + 9 * (total + chunks.len()));
    }

    #[test]
    fn client_never_panics(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16), line in any::<bool>()) {
        let framing = if line { Framing::Line } else { Framing::Chunk };
        let mut client = new_client(framing);
        client.send_name(b"x").unwrap();
        client.finish().unwrap();
        let mut evs = Vec::new();
        for c in &chunks {
            client.handle_input(T0, c);
            evs.extend(events(&mut client));
            drain_bytes(&mut client);
        }
        client.handle_eof(T0);
        evs.extend(events(&mut client));
        prop_assert!(client.is_closed());
        prop_assert_eq!(evs.iter().filter(|e| matches!(e, ClientEvent::Closed(_))).count(), 1);
        prop_assert!(matches!(evs.last(), Some(ClientEvent::Closed(_))));
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
        let (_, out) = feed_cut(new_server(Framing::Line), &input, &cuts);
        prop_assert_eq!(out, want);
    }
}

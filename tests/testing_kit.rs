//! The test kit (`wirestate::testing`) tested on its own: the replayer's mismatch report,
//! the chunking-invariance check failing where it must, the generic driver's EOF and
//! timers, the pair's clock and TLS switch, and the transcript format. Small machines
//! written here play the misbehaving parts; the greeting machines play the good ones.

mod common;

use bytes::Bytes;
use common::{
    assert_chunking_invariant, drive, feed_cut, replay, replay_client, replay_server, Mismatch,
    Pair, Side, Split, Transcript,
};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;
use wirestate::greeting::{Client, ClientConfig, Framing, Server, ServerConfig, ServerEvent};
use wirestate::{Instant, Machine};

fn chunk_server() -> Server {
    Server::new(ServerConfig::new(Framing::Chunk))
}

/// The message of a caught panic.
fn panic_text(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Small machines.

/// What the small machines below report.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Input(Vec<u8>),
    Eof(u64),
    Timeout(u64),
    Tls(u64),
}

/// Reports every `handle_input` call as it came and answers it with its length, so how
/// the bytes are cut shows in its events and output: deliberately not
/// chunking-invariant. On EOF it lingers for `linger`, then
/// closes on the timeout; it asks for TLS once when `tls` is set.
#[derive(Default)]
struct Probe {
    seen: std::collections::VecDeque<Seen>,
    out: std::collections::VecDeque<Bytes>,
    deadline: Option<Instant>,
    linger: Duration,
    closed: bool,
    eof: bool,
    tls: bool,
    /// Stop wanting input after this many bytes.
    take: Option<usize>,
    /// Send nothing back (two echoing probes in a pair would never go quiet).
    quiet: bool,
    taken: usize,
}

impl Machine for Probe {
    type Event = Seen;
    fn handle_input(&mut self, _now: Instant, bytes: &[u8]) {
        self.taken += bytes.len();
        self.seen.push_back(Seen::Input(bytes.to_vec()));
        if !self.quiet {
            self.out
                .push_back(Bytes::from(format!("[{}]", bytes.len())));
        }
    }
    fn handle_eof(&mut self, now: Instant) {
        self.eof = true;
        self.seen.push_back(Seen::Eof(now.as_millis()));
        self.deadline = Some(now + self.linger);
    }
    fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| now >= d) {
            self.deadline = None;
            self.seen.push_back(Seen::Timeout(now.as_millis()));
            self.closed = true;
        }
    }
    fn poll_event(&mut self) -> Option<Seen> {
        self.seen.pop_front()
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }
    fn is_closed(&self) -> bool {
        self.closed
    }
    fn wants_input(&self) -> bool {
        !self.closed && !self.eof && self.take.map_or(true, |t| self.taken < t)
    }
    fn wants_tls(&self) -> bool {
        self.tls
    }
    fn handle_tls_established(&mut self, now: Instant) {
        self.tls = false;
        self.seen.push_back(Seen::Tls(now.as_millis()));
    }
}

// ---------------------------------------------------------------------------------------
// The replayer.

#[test]
fn replay_passes_the_greeting_transcripts_on_disk_in_both_roles() {
    for name in Transcript::names("greeting") {
        let t = Transcript::load("greeting", &name);
        replay_server(&mut chunk_server(), &t).unwrap_or_else(|m| panic!("{name}: {m}"));
        let mut client = Client::new(ClientConfig::new(Framing::Chunk));
        for (side, msg) in &t.lines {
            if *side == Side::C && msg != b"exit" {
                client.send_name(msg).unwrap();
            }
        }
        client.finish().unwrap();
        replay_client(&mut client, &t).unwrap_or_else(|m| panic!("{name}: {m}"));
    }
}

#[test]
fn replay_reports_the_first_differing_byte() {
    let t = Transcript::parse("s: Welcome!\nc: Ada\ns: Hello, Ada?\nc: exit\n");
    let m = replay_server(&mut chunk_server(), &t).unwrap_err();
    assert_eq!(
        m,
        Mismatch {
            offset: 18, // "Welcome!" (8) + "Hello, Ada" (10)
            expected: b"?".to_vec(),
            got: b"!".to_vec(),
            before_line: Some(3),
        }
    );
    assert_eq!(
        m.to_string(),
        "output differs at byte 18 (checked before lines[3]): expected \"?\", got \"!\""
    );
}

#[test]
fn replay_reports_missing_and_extra_output() {
    // The transcript has one more server line than the server sends.
    let t = Transcript::parse("s: Welcome!\ns: Welcome again!\nc: exit\n");
    let m = replay_server(&mut chunk_server(), &t).unwrap_err();
    assert_eq!((m.offset, m.got.as_slice()), (8, &b""[..]));
    assert_eq!(m.expected, b"Welcome again!");
    assert_eq!(m.before_line, Some(2));

    // The transcript stops before the server's last answer: the extra bytes show at the
    // end, after the peer's EOF.
    let t = Transcript::parse("s: Welcome!\nc: Ada\n");
    let m = replay_server(&mut chunk_server(), &t).unwrap_err();
    assert_eq!((m.offset, m.before_line), (8, None));
    assert_eq!(
        (m.expected.as_slice(), m.got.as_slice()),
        (&b""[..], &b"Hello, Ada!"[..])
    );
}

#[test]
fn replay_checks_when_output_comes_not_only_what() {
    // The right bytes, but the transcript puts the welcome after the client's first
    // message: the server sent it too early.
    let t = Transcript::parse("c: Ada\ns: Welcome!\ns: Hello, Ada!\nc: exit\n");
    let m = replay_server(&mut chunk_server(), &t).unwrap_err();
    assert_eq!((m.offset, m.before_line), (0, Some(0)));
    assert_eq!(m.got, b"Welcome!");
    assert!(m.expected.is_empty());
}

#[test]
fn replay_feeds_one_write_per_call_and_hands_events_over() {
    let t = Transcript::parse("C: one\nC: two\ns: [10]\nc: x\ns: [1]\n");
    let mut probe = Probe::default();
    let mut seen = Vec::new();
    replay(&mut probe, &t, Side::S, |_, e| seen.push(e)).unwrap();
    assert_eq!(
        seen,
        [
            Seen::Input(b"one\r\ntwo\r\n".to_vec()),
            Seen::Input(b"x".to_vec()),
            Seen::Eof(0)
        ]
    );
}

#[test]
fn mismatch_context_is_bounded() {
    let long = "x".repeat(500);
    let t = Transcript::parse(&format!("s: Welcome?{long}\nc: exit\n"));
    let m = replay_server(&mut chunk_server(), &t).unwrap_err();
    assert_eq!(m.offset, 7);
    assert_eq!(m.expected.len(), Mismatch::CONTEXT);
    assert_eq!(m.got, b"!");
}

// ---------------------------------------------------------------------------------------
// The chunking-invariance check.

#[test]
fn chunking_invariance_check_panics_on_a_machine_that_is_not() {
    let caught = catch_unwind(AssertUnwindSafe(|| {
        assert_chunking_invariant(Probe::default, b"abc")
    }));
    let text = panic_text(caught.expect_err("Probe reports each call, so cuts show"));
    assert!(
        text.contains("split at byte 1 changed the result"),
        "{text}"
    );
}

#[test]
#[should_panic(expected = "split at byte")]
fn chunking_invariance_check_catches_the_greeting_chunk_framing() {
    // The crate's one deliberate exception (a read is a message) must not pass.
    assert_chunking_invariant(chunk_server, b"Ada");
}

#[test]
fn chunking_invariance_check_passes_and_returns_the_whole_feed() {
    let input = b"Ada\nGrace\r\nexit\n";
    let make = || Server::new(ServerConfig::new(Framing::Line));
    let got = assert_chunking_invariant(make, input);
    assert_eq!(got, feed_cut(make(), input, &[]));
    assert_eq!(got.0[0], ServerEvent::Message("Ada".into()));
}

#[test]
fn feed_cut_cuts_where_told_and_clamps_the_rest() {
    let (events, out) = feed_cut(Probe::default(), b"abcdef", &[2, 2, 1, 5, 99]);
    assert_eq!(
        events,
        [
            Seen::Input(b"ab".to_vec()),
            Seen::Input(b"cde".to_vec()),
            Seen::Input(b"f".to_vec()),
            Seen::Eof(0)
        ]
    );
    assert_eq!(out, b"[2][3][1]");
}

// ---------------------------------------------------------------------------------------
// The generic driver.

#[test]
fn drive_delivers_eof_then_fires_timers_on_the_virtual_clock() {
    let mut probe = Probe {
        linger: Duration::from_secs(5),
        ..Probe::default()
    };
    let mut seen = Vec::new();
    let driven = drive(&mut probe, b"hello", 2, |_, e| seen.push(e), |_| {});
    assert_eq!(
        seen,
        [
            Seen::Input(b"he".to_vec()),
            Seen::Input(b"ll".to_vec()),
            Seen::Input(b"o".to_vec()),
            Seen::Eof(0),
            Seen::Timeout(5_000),
        ]
    );
    assert_eq!(driven.wire, b"[2][2][1]");
    assert!(driven.closed);
    assert_eq!(driven.unread, 0);
}

#[test]
fn drive_stops_feeding_a_machine_that_wants_no_more_and_switches_tls() {
    let mut probe = Probe {
        take: Some(3),
        tls: true,
        ..Probe::default()
    };
    let mut seen = Vec::new();
    let driven = drive(&mut probe, b"abcdefgh", 3, |_, e| seen.push(e), |_| {});
    assert_eq!(seen[0], Seen::Tls(0), "TLS before the first byte is read");
    assert_eq!(seen[1], Seen::Input(b"abc".to_vec()));
    assert_eq!(driven.tls_at, [0]);
    assert_eq!(driven.unread, 5);
    // No EOF while unread bytes remain, and no timer: nothing closes it.
    assert!(!driven.closed);
    assert_eq!(seen.len(), 2);
}

#[test]
fn drive_stops_reading_once_a_greeting_server_closes() {
    let mut server = Server::new(ServerConfig::new(Framing::Line));
    let mut closed = None;
    // Byte by byte, so exactly what follows `exit` stays unread.
    let driven = drive(
        &mut server,
        b"Ada\nexit\nmore\n",
        1,
        |_, e| {
            if let ServerEvent::Closed(r) = e {
                closed = Some(r)
            }
        },
        |_| {},
    );
    assert_eq!(closed, Some(wirestate::CloseReason::Done));
    assert_eq!(driven.wire, b"Welcome!\nHello, Ada!\n");
    assert_eq!(driven.unread, b"more\n".len());
}

// ---------------------------------------------------------------------------------------
// The pair.

#[test]
fn pair_simulates_the_tls_switch_and_fires_timers_on_advance() {
    let client = Probe {
        tls: true,
        ..Probe::default()
    };
    let server = Probe {
        linger: Duration::from_millis(1500),
        ..Probe::default()
    };
    let mut pair = Pair::new(client, server).with_split(Split::Coalesced);
    let mut client_seen = Vec::new();
    pair.run(|_, e| client_seen.push(e), |_, _| {});
    assert_eq!(client_seen, [Seen::Tls(0)]);
    // Nothing was said, so nothing moved: the wires are empty.
    assert!(pair.client_wire.is_empty() && pair.server_wire.is_empty());
    pair.server.handle_eof(pair.now);
    pair.advance(Duration::from_millis(1499));
    assert!(!pair.server.is_closed());
    pair.advance(Duration::from_millis(1));
    assert!(pair.server.is_closed());
    let mut client_seen = Vec::new();
    pair.run(|_, e| client_seen.push(e), |_, _| {});
    // The client's linger is zero, so its deadline is due the moment the EOF arrives,
    // and `run` fires it as a driver loop would.
    assert_eq!(
        client_seen,
        [Seen::Eof(1500), Seen::Timeout(1500)],
        "the server's close reaches the client, whose due timer then fires"
    );
}

#[test]
fn pair_delivers_as_split_says() {
    for (split, pieces) in [
        (Split::AsSent, vec![b"[2]".to_vec(), b"[1]".to_vec()]),
        (Split::Coalesced, vec![b"[2][1]".to_vec()]),
        (Split::Every(4), vec![b"[2][".to_vec(), b"1]".to_vec()]),
    ] {
        let mut server = Probe::default();
        server.handle_input(Instant::ZERO, b"ab");
        server.handle_input(Instant::ZERO, b"c");
        let client = Probe {
            quiet: true,
            ..Probe::default()
        };
        let mut pair = Pair::new(client, server).with_split(split);
        let mut got = Vec::new();
        pair.run(
            |_, e| {
                if let Seen::Input(b) = e {
                    got.push(b)
                }
            },
            |_, _| {},
        );
        assert_eq!(got, pieces, "{split:?}");
        assert_eq!(pair.server_wire, b"[2][1]");
    }
}

// ---------------------------------------------------------------------------------------
// The format.

#[test]
fn transcript_format_tags_terminators_and_errors() {
    let t = Transcript::parse("# c\n\nC: a\nC:b\ns:  two spaces\nc: x\n");
    assert_eq!(
        t.lines,
        [
            (Side::C, b"a\r\n".to_vec()),
            (Side::C, b"b\r\n".to_vec()),
            (Side::S, b" two spaces".to_vec()),
            (Side::C, b"x".to_vec()),
        ]
    );
    assert_eq!(t.writes()[0], (Side::C, b"a\r\nb\r\n".to_vec()));
    let e = wirestate::testing::Transcript::try_parse("S: ok\n\nQ: no\n").unwrap_err();
    assert_eq!((e.line, e.text.as_str()), (3, "Q: no"));
    let caught = catch_unwind(|| Transcript::parse("nothing"));
    assert!(panic_text(caught.unwrap_err()).contains("no C:, S:, c: or s: tag"));
}

#[test]
fn the_tests_loader_and_the_kits_agree() {
    let path = common::transcript_dir("greeting").join("classic.txt");
    let from_kit = wirestate::testing::Transcript::from_file(&path).unwrap();
    assert_eq!(*Transcript::load("greeting", "classic"), from_kit);
    assert_eq!(common::transcript("greeting", "classic").0, from_kit);
    assert!(Transcript::names("greeting").contains(&"classic".to_string()));
}

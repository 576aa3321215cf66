//! Greeting conformance: one row per rule of the protocol (the `common::Row` type), each
//! ending the session its own way, and a test that fails when an `ErrorKind` or a
//! `CloseReason` the greeting machines produce has no row.

mod common;

use common::{events, feed_cut, Row};
use std::time::Duration;
use wirestate::greeting::{
    Client, ClientConfig, ClientEvent, Error, ErrorKind, Framing, Limits, Server, ServerConfig,
    ServerEvent,
};
use wirestate::{CloseReason, Instant, Machine};

const T0: Instant = Instant::ZERO;

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

// The greeting protocol has no RFC: its rules are the classic peers' behaviour and the
// limits in the module docs, cited as "greeting <section>".

/// Which machine a row drives, and how.
#[derive(Clone, Copy, Debug)]
enum Setup {
    /// A server fed the input in one call (one message under chunk framing).
    Server(Framing),
    /// A line server with `max_message` 8, fed whole.
    ServerMax8,
    /// A chunk server with `max_buffered` 16, fed in 10-byte reads, never polled between.
    ServerBuffer16,
    /// A line server with a 1 s idle timeout, fed the input, then the clock passes 1 s.
    ServerIdle,
    /// A line client with one name and `finish()`, fed the input, then EOF.
    Client,
    /// A line client with one name and no `finish()`, fed the input, then EOF.
    ClientOpen,
    /// A line client with one name and a 1 s reply timeout, fed the input, then 1 s.
    ClientReplyTimeout,
}

/// How the session must end.
#[derive(Clone, Copy, Debug)]
enum End {
    /// `Error(e)` with this kind and offset, then `Closed(Error)`.
    Error(ErrorKind, u64),
    /// `Closed(reason)` with no error before it.
    Closed(CloseReason),
}

type Case = (Setup, End);

fn rows() -> Vec<Row<Case>> {
    use CloseReason::*;
    let row = |section, rule, input, expect| Row {
        rfc: "greeting",
        section,
        rule,
        input,
        expect,
    };
    vec![
        row(
            "exit",
            "the whole message `exit` ends the session",
            b"exit\n",
            (Setup::Server(Framing::Line), End::Closed(Done)),
        ),
        row(
            "exit",
            "the client sends `exit` after the last reply and ends",
            b"Welcome!\nHello, Ada!\n",
            (Setup::Client, End::Closed(Done)),
        ),
        row(
            "framing",
            "EOF ends the session; an unterminated line is dropped and counted",
            b"Ada\nhalf",
            (
                Setup::Server(Framing::Line),
                End::Closed(PeerClosed { unterminated: 4 }),
            ),
        ),
        row(
            "framing",
            "a server that closes before answering ends the client's session",
            b"Welcome!\n",
            (Setup::Client, End::Closed(PeerClosed { unterminated: 0 })),
        ),
        row(
            "Timeouts::idle",
            "a server closes a peer silent for the idle timeout",
            b"Ada\n",
            (Setup::ServerIdle, End::Closed(Timeout)),
        ),
        row(
            "Timeouts::reply",
            "a client gives up on a server silent for the reply timeout",
            b"Welcome!\nHello",
            (Setup::ClientReplyTimeout, End::Closed(Timeout)),
        ),
        row(
            "Limits::max_message",
            "a message is at most max_message bytes (line framing)",
            b"12345678\n123456789\n",
            (
                Setup::ServerMax8,
                End::Error(ErrorKind::TooLong { limit: 8 }, 9),
            ),
        ),
        row(
            "Limits::max_message",
            "a message is at most max_message bytes (chunk framing)",
            &[b'x'; 1025],
            (
                Setup::Server(Framing::Chunk),
                End::Error(ErrorKind::TooLong { limit: 1024 }, 0),
            ),
        ),
        row(
            "framing",
            "under line framing a CR must be followed by LF",
            b"a\rb\n",
            (
                Setup::Server(Framing::Line),
                End::Error(ErrorKind::BareCr, 1),
            ),
        ),
        row(
            "Limits::max_buffered",
            "at most max_buffered undecoded bytes are held",
            b"0123456789abcdefghij",
            (
                Setup::ServerBuffer16,
                End::Error(ErrorKind::BufferFull { limit: 16 }, 10),
            ),
        ),
        row(
            "lockstep",
            "the server sends only the welcome and one reply per name",
            b"Welcome!\nHello, Ada!\nsurprise\n",
            (Setup::ClientOpen, End::Error(ErrorKind::Unsolicited, 21)),
        ),
    ]
}

/// What a row's machine ended with: the error (if any) and the close reason, after
/// checking that `Closed` came exactly once and last.
fn run_row(row: &Row<Case>) -> (Option<Error>, CloseReason) {
    fn end<E: std::fmt::Debug>(
        cite: &str,
        evs: Vec<E>,
        split: impl Fn(&E) -> (Option<Error>, Option<CloseReason>),
    ) -> (Option<Error>, CloseReason) {
        let parts: Vec<_> = evs.iter().map(&split).collect();
        let closes: Vec<_> = parts.iter().filter_map(|p| p.1).collect();
        assert_eq!(closes.len(), 1, "{cite}: one Closed in {evs:?}");
        assert!(parts.last().unwrap().1.is_some(), "{cite}: Closed last");
        let errors: Vec<_> = parts.iter().filter_map(|p| p.0).collect();
        assert!(errors.len() <= 1, "{cite}: {evs:?}");
        if let Some(e) = errors.first() {
            assert!(
                parts[parts.len() - 2].0.is_some(),
                "{cite}: Error just before Closed"
            );
            assert_eq!(closes[0], CloseReason::Error, "{cite}");
            return (Some(*e), closes[0]);
        }
        (None, closes[0])
    }
    let server_split = |e: &ServerEvent| match e {
        ServerEvent::Error(e) => (Some(*e), None),
        ServerEvent::Closed(r) => (None, Some(*r)),
        _ => (None, None),
    };
    let client_split = |e: &ClientEvent| match e {
        ClientEvent::Error(e) => (Some(*e), None),
        ClientEvent::Closed(r) => (None, Some(*r)),
        _ => (None, None),
    };
    let cite = row.cite();
    let second = Instant::from_millis(1_000);
    let input = row.input;
    match row.expect.0 {
        Setup::Server(framing) => {
            let (evs, _) = feed_cut(new_server(framing), input, &[]);
            end(&cite, evs, server_split)
        }
        Setup::ServerMax8 => {
            let (evs, _) = feed_cut(
                server_with(Framing::Line, limits(8, 1024), None),
                input,
                &[],
            );
            end(&cite, evs, server_split)
        }
        Setup::ServerBuffer16 => {
            let mut s = server_with(Framing::Chunk, limits(1024, 16), None);
            input.chunks(10).for_each(|c| s.handle_input(T0, c));
            end(&cite, events(&mut s), server_split)
        }
        Setup::ServerIdle => {
            let mut s = server_with(
                Framing::Line,
                Limits::default(),
                Some(Duration::from_secs(1)),
            );
            s.handle_input(T0, input);
            s.handle_timeout(second);
            end(&cite, events(&mut s), server_split)
        }
        Setup::ClientOpen => {
            let mut c = new_client(Framing::Line);
            c.send_name(b"Ada").unwrap();
            let (evs, _) = feed_cut(c, input, &[]);
            end(&cite, evs, client_split)
        }
        Setup::Client | Setup::ClientReplyTimeout => {
            let mut config = ClientConfig::new(Framing::Line);
            if matches!(row.expect.0, Setup::ClientReplyTimeout) {
                config.timeouts.reply = Some(Duration::from_secs(1));
            }
            let mut c = Client::new(config);
            c.send_name(b"Ada").unwrap();
            if matches!(row.expect.0, Setup::Client) {
                c.finish().unwrap();
                let (evs, _) = feed_cut(c, input, &[]);
                return end(&cite, evs, client_split);
            }
            c.handle_input(T0, input);
            let mut evs = events(&mut c);
            c.handle_timeout(second);
            evs.extend(events(&mut c));
            end(&cite, evs, client_split)
        }
    }
}

#[test]
fn conformance_rows() {
    for row in rows() {
        let (error, reason) = run_row(&row);
        match row.expect.1 {
            End::Error(kind, offset) => {
                assert_eq!(error, Some(Error::new(kind, offset)), "{}", row.cite());
            }
            End::Closed(want) => {
                assert_eq!(error, None, "{}", row.cite());
                assert_eq!(reason, want, "{}", row.cite());
            }
        }
    }
}

/// Every error kind, and every close reason the greeting machines produce, has a row.
#[test]
fn every_error_kind_and_close_reason_has_a_row() {
    let rows = rows();
    for kind in ErrorKind::ALL {
        assert!(
            rows.iter()
                .any(|r| matches!(r.expect.1, End::Error(k, _) if k.rule() == kind.rule())),
            "no conformance row for {kind:?}"
        );
    }
    let has = |want: CloseReason| {
        let want = std::mem::discriminant(&want);
        rows.iter().any(|r| match r.expect.1 {
            End::Closed(got) => std::mem::discriminant(&got) == want,
            End::Error(..) => std::mem::discriminant(&CloseReason::Error) == want,
        })
    };
    // A reason added to the crate must be classed here: produced (and then needs a row)
    // or not produced by the greeting machines.
    let reasons = [
        CloseReason::Done,
        CloseReason::PeerClosed { unterminated: 0 },
        CloseReason::Timeout,
        CloseReason::Error,
        CloseReason::Local,
    ];
    for reason in reasons {
        let produced = match reason {
            CloseReason::Done
            | CloseReason::PeerClosed { .. }
            | CloseReason::Timeout
            | CloseReason::Error => true,
            // Neither machine has a local close: the client ends with `exit` (Done).
            CloseReason::Local => false,
            _ => panic!("classify {reason:?} for the greeting machines"),
        };
        if produced {
            assert!(
                has(reason),
                "no conformance row ends with Closed({reason:?})"
            );
        }
    }
}

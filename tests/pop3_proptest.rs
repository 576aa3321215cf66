//! POP3 properties: encode->parse roundtrips, chunking invariance of both machines,
//! no panic on any input, and the server's DELE/RSET bookkeeping against a model.

mod common;

use bytes::Bytes;
use common::drain_bytes;
use proptest::prelude::*;
use wirestate::generate::{cases, Case, Mix};
use wirestate::pop3::*;
use wirestate::{Instant, Machine};

/// Answers every server event the way a simple store of `messages` would, streaming
/// in 5-octet pieces while the machine wants body.
fn answer(s: &mut Server, e: ServerEvent, messages: &[Vec<u8>], removed: &mut Vec<Vec<u32>>) {
    match e {
        ServerEvent::Login {
            credentials: Credentials::User { password, .. },
            decision,
        } if password.expose() == b"pw" => {
            let listing = messages
                .iter()
                .enumerate()
                .map(|(i, m)| MessageInfo::new(m.len() as u64, Uid::new(&format!("u{i}")).unwrap()))
                .collect();
            s.accept_login(decision, listing).unwrap();
        }
        ServerEvent::Login { decision, .. } => s
            .reject_login(decision, Some(ResponseCode::Auth), Text::new("no").unwrap())
            .unwrap(),
        ServerEvent::Retrieve { msg, decision } | ServerEvent::Top { msg, decision, .. } => {
            s.start_message(decision).unwrap();
            for c in messages[msg.index()].chunks(5) {
                if !s.wants_body() {
                    break;
                }
                s.send_data(Bytes::copy_from_slice(c)).unwrap();
            }
            if s.wants_body() {
                s.send_end().unwrap();
            }
        }
        ServerEvent::Update { deleted, decision } => {
            removed.push(deleted.iter().map(|n| n.get()).collect());
            s.finish_update(decision, true).unwrap();
        }
        _ => {}
    }
}

/// Runs a server over `input` cut at `cuts`; returns its output, events and removals.
fn serve(
    input: &[u8],
    cuts: &[usize],
    messages: &[Vec<u8>],
) -> (Vec<u8>, Vec<String>, Vec<Vec<u32>>) {
    let mut s = Server::new(ServerConfig::default());
    let mut out = drain_bytes(&mut s);
    let mut events = Vec::new();
    let mut removed = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(start, input.len());
        s.handle_input(Instant::ZERO, &input[start..cut]);
        start = cut;
        while let Some(e) = s.poll_event() {
            events.push(format!("{e:?}"));
            answer(&mut s, e, messages, &mut removed);
        }
        out.extend(drain_bytes(&mut s));
    }
    s.handle_eof(Instant::ZERO);
    while let Some(e) = s.poll_event() {
        events.push(format!("{e:?}"));
        answer(&mut s, e, messages, &mut removed);
    }
    out.extend(drain_bytes(&mut s));
    // Closed comes last, exactly once, whatever the input.
    assert!(s.is_closed());
    assert_eq!(
        events.iter().filter(|e| e.starts_with("Closed(")).count(),
        1
    );
    assert!(
        events.last().is_some_and(|e| e.starts_with("Closed(")),
        "{events:?}"
    );
    (out, events, removed)
}

fn script_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("USER u".to_string()),
        Just("PASS pw".to_string()),
        Just("PASS wrong".to_string()),
        Just("AUTH PLAIN AHUAcHc=".to_string()),
        Just("CAPA".to_string()),
        Just("STAT".to_string()),
        Just("LIST".to_string()),
        Just("UIDL".to_string()),
        Just("NOOP".to_string()),
        Just("RSET".to_string()),
        (1u32..5).prop_map(|n| format!("DELE {n}")),
        (1u32..5).prop_map(|n| format!("RETR {n}")),
        (1u32..5, 0u32..3).prop_map(|(n, l)| format!("TOP {n} {l}")),
        (1u32..5).prop_map(|n| format!("LIST {n}")),
        "[ -~]{0,20}",
        Just("QUIT".to_string()),
    ]
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(b'a'), Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b' ')],
        0..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A valid command encodes and parses back to itself; an invalid line is refused
    /// with the kind of error its flaw calls for.
    #[test]
    fn command_roundtrip(case in cases::<Command>(Mix::invalid_percent(33))) {
        match case {
            Case::Valid(cmd) => {
                let mut wire = bytes::BytesMut::new();
                cmd.encode(&mut wire);
                prop_assert!(wire.ends_with(b"\r\n"));
                prop_assert_eq!(wire.len(), cmd.encoded_len());
                let parsed = Command::parse(&wire[..wire.len() - 2]).unwrap();
                prop_assert_eq!(parsed, cmd);
            }
            Case::Invalid(bad) => {
                prop_assert_eq!(Command::parse(&bad.wire).unwrap_err().kind, bad.expect, "{:?}", bad);
            }
        }
    }

    /// The same for status lines.
    #[test]
    fn response_roundtrip(case in cases::<Response>(Mix::invalid_percent(33))) {
        match case {
            Case::Valid(r) => {
                let wire = r.to_bytes();
                let parsed = Response::parse(wire.slice(..wire.len() - 2)).unwrap();
                prop_assert_eq!(parsed, r);
            }
            Case::Invalid(bad) => {
                let e = Response::parse(Bytes::from(bad.wire.clone())).unwrap_err();
                prop_assert_eq!(e.kind, bad.expect, "{:?}", bad);
            }
        }
    }

    #[test]
    fn command_parser_never_panics(line in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Command::parse(&line);
        let _ = Response::parse(Bytes::from(line.clone()));
        let _ = ScanListing::parse(&line);
        let _ = UidListing::parse(Bytes::from(line.clone()));
        let _ = Capability::parse(Bytes::from(line));
    }

    #[test]
    fn server_is_chunking_invariant(
        lines in proptest::collection::vec(script_line(), 0..25),
        messages in proptest::collection::vec(message(), 0..4),
        cuts in proptest::collection::vec(0usize..400, 0..12),
    ) {
        let input: Vec<u8> = lines.iter().flat_map(|l| format!("{l}\r\n").into_bytes()).collect();
        let whole = serve(&input, &[], &messages);
        let mut cuts = cuts;
        cuts.sort_unstable();
        prop_assert_eq!(&serve(&input, &cuts, &messages), &whole);
        let every: Vec<usize> = (1..input.len()).collect();
        prop_assert_eq!(&serve(&input, &every, &messages), &whole);
    }

    #[test]
    fn server_never_panics_on_any_bytes(
        input in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(0usize..600, 0..8),
    ) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut prefixed = b"USER u\r\nPASS pw\r\n".to_vec();
        prefixed.extend_from_slice(&input);
        let _ = serve(&input, &cuts, &[b"a\r\n".to_vec()]);
        let _ = serve(&prefixed, &cuts, &[b"a\r\n".to_vec()]);
    }

    #[test]
    fn client_is_chunking_invariant_and_unstuffs_what_was_stuffed(
        messages in proptest::collection::vec(message(), 1..4),
        cuts in proptest::collection::vec(0usize..500, 0..12),
    ) {
        // What the server sends for: greeting, STAT, RETR each, QUIT.
        let mut wire = b"+OK hi <1@x>\r\n+OK 3 30\r\n".to_vec();
        for m in &messages {
            wire.extend_from_slice(b"+OK\r\n");
            wire.extend_from_slice(&wirestate::dot::stuff_all(m));
        }
        wire.extend_from_slice(b"+OK bye\r\n");
        let run = |cuts: &[usize]| {
            let mut c = Client::new(ClientConfig::default());
            c.stat().unwrap();
            for i in 0..messages.len() {
                c.retr(MessageNumber::from_index(i).unwrap()).unwrap();
            }
            c.quit().unwrap();
            // Data pieces depend on how the input was cut, so they are joined per message.
            let mut events: Vec<String> = Vec::new();
            let mut data = Vec::new();
            let mut start = 0;
            for &cut in cuts.iter().chain(std::iter::once(&wire.len())) {
                let cut = cut.clamp(start, wire.len());
                c.handle_input(Instant::ZERO, &wire[start..cut]);
                start = cut;
                while let Some(e) = c.poll_event() {
                    match e {
                        ClientEvent::Data(b) => data.extend_from_slice(&b),
                        other => {
                            if !data.is_empty() {
                                events.push(format!("Data({:?})", String::from_utf8_lossy(&data)));
                                data.clear();
                            }
                            events.push(format!("{other:?}"));
                        }
                    }
                }
            }
            (events, drain_bytes(&mut c), c.is_closed())
        };
        let whole = run(&[]);
        let mut cuts = cuts;
        cuts.sort_unstable();
        prop_assert_eq!(&run(&cuts), &whole);
        let every: Vec<usize> = (1..wire.len()).collect();
        prop_assert_eq!(&run(&every), &whole);
        prop_assert!(whole.2, "closed after QUIT");
        // The stuffer normalizes line ends to CRLF; what comes out is exactly that.
        let bodies: Vec<String> = whole.0.iter().filter(|e| e.starts_with("Data(")).cloned().collect();
        let expected: Vec<String> = messages.iter().filter(|m| !m.is_empty()).map(|m| {
            let stuffed = wirestate::dot::stuff_all(m);
            let mut buf = wirestate::buffer::RecvBuffer::new(1 << 16);
            buf.push(&stuffed).unwrap();
            let mut d = wirestate::dot::DotUnstuffer::new(wirestate::dot::DotPolicy::Strict);
            let mut body = Vec::new();
            while let Some(Ok(wirestate::dot::Unstuffed::Data(b))) = d.poll(&mut buf) {
                body.extend_from_slice(&b);
            }
            format!("Data({:?})", String::from_utf8_lossy(&body))
        }).collect();
        prop_assert_eq!(bodies, expected);
    }

    #[test]
    fn client_never_panics_on_any_bytes(
        input in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(0usize..600, 0..8),
    ) {
        let mut c = Client::new(ClientConfig::default());
        c.capa().unwrap();
        c.auth_plain("", "u", "p").unwrap();
        c.list(None).unwrap();
        c.retr(MessageNumber::new(1).unwrap()).unwrap();
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut start = 0;
        let mut closed = 0;
        for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
            let cut = cut.clamp(start, input.len());
            c.handle_input(Instant::ZERO, &input[start..cut]);
            start = cut;
            while let Some(e) = c.poll_event() {
                closed += usize::from(matches!(e, ClientEvent::Closed(_)));
            }
            drain_bytes(&mut c);
        }
        c.handle_eof(Instant::ZERO);
        while let Some(e) = c.poll_event() {
            closed += usize::from(matches!(e, ClientEvent::Closed(_)));
        }
        prop_assert!(c.is_closed());
        // Closed exactly once, whatever the input.
        prop_assert_eq!(closed, 1);
    }

    /// RFC 1939 section 5 against a model: DELE marks, RSET unmarks, STAT counts what is
    /// not marked, and QUIT hands over exactly the marked set.
    #[test]
    fn dele_rset_stat_follow_the_model(
        sizes in proptest::collection::vec(1usize..50, 1..6),
        ops in proptest::collection::vec((0u8..3, 1u32..8), 0..30),
    ) {
        let messages: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![b'x'; n]).collect();
        let mut input = b"USER u\r\nPASS pw\r\n".to_vec();
        let mut expected_tail = String::new();
        let mut marked = vec![false; messages.len()];
        for (op, n) in &ops {
            let i = *n as usize - 1;
            match op {
                0 => {
                    input.extend(format!("DELE {n}\r\n").bytes());
                    match marked.get(i) {
                        None => expected_tail += &format!("-ERR no such message, only {} messages in maildrop\r\n", messages.len()),
                        Some(true) => expected_tail += &format!("-ERR message {n} already deleted\r\n"),
                        Some(false) => {
                            marked[i] = true;
                            expected_tail += &format!("+OK message {n} deleted\r\n");
                        }
                    }
                }
                1 => {
                    input.extend(b"RSET\r\n");
                    marked.iter_mut().for_each(|m| *m = false);
                    let total: usize = messages.iter().map(Vec::len).sum();
                    let n = messages.len();
                    expected_tail += &format!("+OK maildrop has {n} message{} ({total} octets)\r\n", if n == 1 { "" } else { "s" });
                }
                _ => {
                    input.extend(b"STAT\r\n");
                    let (n, o) = messages.iter().zip(&marked).filter(|(_, m)| !**m).fold((0, 0), |(n, o), (m, _)| (n + 1, o + m.len()));
                    expected_tail += &format!("+OK {n} {o}\r\n");
                }
            }
        }
        input.extend(b"QUIT\r\n");
        let (out, _, removed) = serve(&input, &[], &messages);
        let out = String::from_utf8(out).unwrap();
        prop_assert!(out.contains(&expected_tail), "{}\nwanted\n{}", out, expected_tail);
        let want: Vec<u32> = marked.iter().enumerate().filter(|(_, m)| **m).map(|(i, _)| i as u32 + 1).collect();
        prop_assert_eq!(removed, vec![want]);
    }
}

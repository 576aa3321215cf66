//! SMTP transcripts from the RFCs replayed against both machines, the smuggling table,
//! and client/server pairs across TCP splits. Conformance rows are in `smtp_conformance.rs`.

mod common;

use common::{drain_bytes, feed_cut, Pair, Split};
use wirestate::buffer::RecvBuffer;
use wirestate::dot::DotErrorKind;
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    C,
    S,
}

fn load(name: &str) -> Vec<(Side, Vec<u8>)> {
    let path = format!(
        "{}/tests/transcripts/smtp/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (side, rest) = l.split_at(3);
            let side = match side {
                "C: " => Side::C,
                "S: " => Side::S,
                _ => panic!("bad transcript line {l:?}"),
            };
            (side, format!("{rest}\r\n").into_bytes())
        })
        .collect()
}

fn side_bytes(t: &[(Side, Vec<u8>)], side: Side) -> Vec<u8> {
    t.iter()
        .filter(|(s, _)| *s == side)
        .flat_map(|(_, b)| b.clone())
        .collect()
}

fn replies(wire: &[u8]) -> Vec<Reply> {
    let mut buf = RecvBuffer::new(1 << 20);
    buf.push(wire).unwrap();
    let mut p = ReplyParser::new();
    std::iter::from_fn(|| p.poll(&mut buf))
        .map(|r| r.expect("valid reply"))
        .collect()
}

fn is_decision(ev: &ServerEvent) -> bool {
    matches!(
        ev,
        ServerEvent::Hello { .. }
            | ServerEvent::MailFrom { .. }
            | ServerEvent::RcptTo { .. }
            | ServerEvent::DataStart { chunked: false }
            | ServerEvent::DataEnd { .. }
            | ServerEvent::Auth { .. }
            | ServerEvent::StartTls
            | ServerEvent::Verify(_)
    )
}

/// Feeds the transcript's client side (pipelined, all at once) to the server, answering
/// each decision with the transcript's own reply. Every reply code must match, and the
/// replies the caller supplied must match byte for byte. Returns the message data seen.
fn server_replay(name: &str, config: ServerConfig) -> Vec<u8> {
    let t = load(name);
    let want = replies(&side_bytes(&t, Side::S));
    let mut server = SmtpServer::new(config);
    let mut out = drain_bytes(&mut server);
    server.handle_input(Instant::ZERO, &side_bytes(&t, Side::C));
    let mut exact = Vec::new();
    let mut data = Vec::new();
    while let Some(ev) = server.poll_event() {
        out.extend(drain_bytes(&mut server));
        if let ServerEvent::DataChunk(b) = &ev {
            data.extend_from_slice(b);
        }
        if is_decision(&ev) {
            let k = replies(&out).len();
            let r = want[k].clone();
            if r.code().is_negative() {
                server.reject(r).unwrap();
            } else {
                server.accept_with(r).unwrap();
            }
            exact.push(k);
        }
    }
    out.extend(drain_bytes(&mut server));
    let got = replies(&out);
    let codes = |v: &[Reply]| v.iter().map(|r| r.code().get()).collect::<Vec<_>>();
    assert_eq!(codes(&got), codes(&want), "{name}: reply codes");
    for k in exact {
        assert_eq!(got[k], want[k], "{name}: reply {k}");
    }
    assert!(server.is_closed(), "{name}: QUIT closes");
    data
}

/// Feeds the transcript's server side to the client, which sends the envelope taken from
/// the transcript's MAIL/RCPT lines; the client's bytes must equal the C: lines exactly.
fn client_replay(name: &str, pieces: &[&[u8]], last: &[u8]) {
    let t = load(name);
    let client_wire = side_bytes(&t, Side::C);
    let mut from = None;
    let mut to = Vec::new();
    let mut hello = None;
    for (side, line) in &t {
        if *side != Side::C {
            continue;
        }
        match Command::parse(&line[..line.len() - 2]) {
            Ok(Command::Mail { from: f, params }) => from = Some((f, params)),
            Ok(Command::Rcpt { to: r, params }) => to.push((r, params)),
            Ok(Command::Ehlo(h)) => hello = Some(h),
            _ => {}
        }
    }
    let (from, params) = from.expect("MAIL line");
    let env = Envelope {
        from,
        params,
        recipients: to,
    };
    let mut cfg = ClientConfig::new("x").unwrap();
    cfg.hello = hello.expect("EHLO line");
    let mut client = SmtpClient::new(cfg);
    client.handle_input(Instant::ZERO, &side_bytes(&t, Side::S));
    let mut sent = false;
    let mut delivered = false;
    while let Some(ev) = client.poll_event() {
        match ev {
            ClientEvent::Ready if !sent => {
                client.send_mail(env.clone()).unwrap();
                sent = true;
            }
            ClientEvent::Ready => client.quit().unwrap(),
            ClientEvent::SendBody => {
                for p in pieces {
                    client.send_body(p).unwrap();
                }
                client.end_body_with(last).unwrap();
            }
            ClientEvent::Sent { .. } => delivered = true,
            ClientEvent::Error(e) => panic!("{name}: {e}"),
            _ => {}
        }
    }
    assert!(delivered, "{name}: message accepted");
    assert!(client.is_closed());
    let got = drain_bytes(&mut client);
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&client_wire),
        "{name}"
    );
}

/// Merges adjacent data chunks: how data is cut into chunks follows the TCP reads, and
/// is the one thing allowed to change with them. Likewise how much data was handed out
/// before an abort (which tells the caller to discard it) depends on the reads.
fn normalize(events: Vec<ServerEvent>) -> Vec<ServerEvent> {
    let mut out: Vec<ServerEvent> = Vec::new();
    for e in events {
        if matches!(e, ServerEvent::DataAborted(_)) {
            while matches!(out.last(), Some(ServerEvent::DataChunk(_))) {
                out.pop();
            }
        }
        if let (ServerEvent::DataChunk(b), Some(ServerEvent::DataChunk(prev))) =
            (&e, out.last_mut())
        {
            let mut joined = prev.to_vec();
            joined.extend_from_slice(b);
            *prev = joined.into();
            continue;
        }
        out.push(e);
    }
    out
}

/// Whole, split at every byte, and byte by byte: same events (data merged) and replies.
fn assert_chunking_invariant(
    make: impl Fn() -> SmtpServer,
    input: &[u8],
) -> (Vec<ServerEvent>, Vec<u8>) {
    let run = |cuts: &[usize]| {
        let (ev, out) = feed_cut(make(), input, cuts);
        (normalize(ev), out)
    };
    let whole = run(&[]);
    for i in 1..input.len() {
        assert_eq!(run(&[i]), whole, "split at byte {i} changed the result");
    }
    let every: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        run(&every),
        whole,
        "byte-by-byte feeding changed the result"
    );
    whole
}

fn foo_config() -> ServerConfig {
    ServerConfig::new("foo.com").unwrap()
}

#[test]
fn rfc5321_d1_server() {
    let data = server_replay("rfc5321_d1.txt", foo_config());
    assert_eq!(data, b"Blah blah blah...\r\n..etc. etc. etc.\r\n");
}

#[test]
fn rfc5321_d1_client() {
    client_replay(
        "rfc5321_d1.txt",
        &[],
        b"Blah blah blah...\r\n..etc. etc. etc.\r\n",
    );
}

#[test]
fn rfc5321_d2_server() {
    assert!(server_replay("rfc5321_d2.txt", foo_config()).is_empty());
}

#[test]
fn rfc5321_d4_server() {
    let data = server_replay("rfc5321_d4.txt", foo_config());
    assert_eq!(data, b"Blah blah blah...\r\n..etc. etc. etc.\r\n");
}

#[test]
fn rfc2920_server_plain_pipelined_and_all_rejected() {
    let body = b"Subject: pipelining\r\n\r\n..\r\n";
    assert_eq!(server_replay("rfc2920_plain.txt", foo_config()), body);
    assert_eq!(server_replay("rfc2920_pipelined.txt", foo_config()), body);
    assert!(server_replay("rfc2920_all_rejected.txt", foo_config()).is_empty());
}

#[test]
fn rfc2920_client_pipelined() {
    client_replay(
        "rfc2920_pipelined.txt",
        &[],
        b"Subject: pipelining\r\n\r\n..\r\n",
    );
}

#[test]
fn rfc3030_server_simple_and_pipelined() {
    let data = server_replay("rfc3030_simple.txt", foo_config());
    assert_eq!(data.len(), 86);
    let mut cfg = foo_config();
    cfg.binarymime = true;
    let data = server_replay("rfc3030_pipelined.txt", cfg);
    assert_eq!(data, b"Subject: binary\r\n\r\n12345\r\n0123456789\r\n");
}

#[test]
fn rfc3030_client_simple_and_pipelined() {
    let msg = b"To: Susan@random.com\r\nFrom: Sam@random.com\r\nSubject: This is a bodyless test message\r\n";
    client_replay("rfc3030_simple.txt", &[], msg);
    client_replay(
        "rfc3030_pipelined.txt",
        &[b"Subject: binary\r\n\r\n12345\r\n", b"0123456789\r\n"],
        b"",
    );
}

/// The D.1 client stream split at every byte gives the same events and replies.
#[test]
fn server_chunking_invariance_d1() {
    let t = load("rfc5321_d1.txt");
    let input = side_bytes(&t, Side::C);
    let (events, out) = assert_chunking_invariant(|| SmtpServer::new(foo_config()), &input);
    assert!(events.iter().any(|e| matches!(
        e,
        ServerEvent::DataEnd {
            size: 37,
            recipients: 3
        }
    )));
    assert!(out.ends_with(b"221 2.0.0 Bye\r\n"));
}

/// One smuggling row: what follows `Subject: x\r\n` inside DATA.
struct Vector {
    name: &'static str,
    bytes: &'static [u8],
    kind: DotErrorKind,
}

const SMUGGLING: &[Vector] = &[
    Vector {
        name: "<LF>.<CR><LF>",
        bytes: b"a\n.\r\nMAIL FROM:<evil@x.org>\r\n",
        kind: DotErrorKind::BareLf,
    },
    Vector {
        name: "<LF>.<LF>",
        bytes: b"a\n.\nMAIL FROM:<evil@x.org>\r\n",
        kind: DotErrorKind::BareLf,
    },
    Vector {
        name: "<CR><LF>.<LF>",
        bytes: b"a\r\n.\nMAIL FROM:<evil@x.org>\r\n",
        kind: DotErrorKind::Smuggling,
    },
    Vector {
        name: "<CR><CR><LF>",
        bytes: b"a\r\r\n.\r\r\nMAIL FROM:<evil@x.org>\r\n",
        kind: DotErrorKind::BareCr,
    },
    Vector {
        name: "bare LF",
        bytes: b"line one\nline two\r\n",
        kind: DotErrorKind::BareLf,
    },
    Vector {
        name: "bare CR",
        bytes: b"line one\rline two\r\n",
        kind: DotErrorKind::BareCr,
    },
    Vector {
        name: "<CR>.<CR>",
        bytes: b"a\r.\rMAIL FROM:<evil@x.org>\r\n",
        kind: DotErrorKind::BareCr,
    },
];

/// Each vector inside DATA: the server answers 500 5.5.2, closes, never ends the
/// message and never reads the smuggled MAIL, however the bytes are split.
#[test]
fn smuggling_table() {
    for v in SMUGGLING {
        let mut input = b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: x\r\n".to_vec();
        input.extend_from_slice(v.bytes);
        input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
        let (events, out) = assert_chunking_invariant(|| SmtpServer::new(foo_config()), &input);
        let closed = events.iter().find_map(|e| match e {
            ServerEvent::Closed(CloseReason::Framing(err)) => Some(*err),
            _ => None,
        });
        let err =
            closed.unwrap_or_else(|| panic!("{}: not closed for framing: {events:?}", v.name));
        assert_eq!(err.kind, v.kind, "{}", v.name);
        assert!(
            events.contains(&ServerEvent::DataAborted(AbortReason::Framing(err))),
            "{}",
            v.name
        );
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ServerEvent::DataEnd { .. })),
            "{}: message ended",
            v.name
        );
        let mail_count = events
            .iter()
            .filter(|e| matches!(e, ServerEvent::MailFrom { .. }))
            .count();
        assert_eq!(mail_count, 1, "{}: smuggled MAIL was read", v.name);
        let last = replies(&out).pop().unwrap();
        assert_eq!(last.code().get(), 500, "{}", v.name);
        assert_eq!(
            last.enhanced_code(),
            EnhancedCode::new(5, 5, 2),
            "{}",
            v.name
        );
    }
}

/// The same vectors in a BDAT chunk are plain octets: BDAT is length-framed, so no
/// end can be seen in them, and they arrive unchanged.
#[test]
fn smuggling_vectors_are_data_under_bdat() {
    for v in SMUGGLING {
        let mut input = format!(
            "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT {} LAST\r\n",
            v.bytes.len()
        )
        .into_bytes();
        input.extend_from_slice(v.bytes);
        input.extend_from_slice(b"QUIT\r\n");
        let (events, _) = assert_chunking_invariant(|| SmtpServer::new(foo_config()), &input);
        let data: Vec<u8> = events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::DataChunk(b) => Some(b.to_vec()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(data, v.bytes, "{}", v.name);
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ServerEvent::DataEnd { .. })),
            "{}",
            v.name
        );
        assert_eq!(
            events.last(),
            Some(&ServerEvent::Closed(CloseReason::Quit)),
            "{}",
            v.name
        );
    }
}

fn env(from: &str, to: &[&str]) -> Envelope {
    Envelope::new(
        ReversePath::parse(from).unwrap(),
        to.iter().map(|t| ForwardPath::parse(t).unwrap()).collect(),
    )
}

/// Client and server back to back: the server's data equals the client's body for
/// every split of the wire, with and without pipelining and chunking.
#[test]
fn pair_delivers_body_under_every_split() {
    let body: Vec<u8> = (0..3000u32)
        .flat_map(|i| {
            format!("{}line {i} ..dots\r\n", if i % 7 == 0 { "." } else { "" }).into_bytes()
        })
        .collect();
    for (pipelining, chunking) in [(true, true), (true, false), (false, true), (false, false)] {
        for split in [
            Split::AsSent,
            Split::Coalesced,
            Split::Every(1),
            Split::Every(13),
            Split::Every(4096),
        ] {
            let mut ccfg = ClientConfig::new("client.example").unwrap();
            ccfg.pipelining = pipelining;
            ccfg.chunking = chunking;
            let mut pair =
                Pair::new(SmtpClient::new(ccfg), SmtpServer::new(foo_config())).with_split(split);
            let mut got = Vec::new();
            let mut results = Vec::new();
            let mut sent = 0;
            let mut offset = 0;
            let body_ref = &body;
            pair.run(
                |c, ev| match ev {
                    ClientEvent::Ready if sent < 2 => {
                        sent += 1;
                        c.send_mail(env("<a@b.example>", &["<x@y.example>", "<bad@y.example>"]))
                            .unwrap();
                    }
                    ClientEvent::Ready => c.quit().unwrap(),
                    ClientEvent::SendBody => {
                        while c.can_send_body() && offset < body_ref.len() {
                            let end = (offset + 1000).min(body_ref.len());
                            c.send_body(&body_ref[offset..end]).unwrap();
                            offset = end;
                        }
                        if c.can_send_body() {
                            c.end_body().unwrap();
                            offset = 0;
                        }
                    }
                    ClientEvent::Sent { accepted, .. } => results.push(accepted),
                    ClientEvent::Error(e) => panic!("{e}"),
                    _ => {}
                },
                |s, ev| match ev {
                    ServerEvent::DataChunk(b) => got.extend_from_slice(&b),
                    ServerEvent::RcptTo { to, .. } if to.to_string().contains("bad") => {
                        s.reject(Reply::new(550, "no such user").unwrap()).unwrap()
                    }
                    _ => {}
                },
            );
            let label = format!("pipelining={pipelining} chunking={chunking} {split:?}");
            assert_eq!(results, vec![vec![0], vec![0]], "{label}");
            let mut twice = body.clone();
            twice.extend_from_slice(&body);
            assert!(got == twice, "{label}: body differs");
            assert!(
                pair.client.is_closed() && pair.server.is_closed(),
                "{label}"
            );
        }
    }
}

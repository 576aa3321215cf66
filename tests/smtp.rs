//! SMTP transcripts from the RFCs replayed against both machines, the smuggling table,
//! client/server pairs across TCP splits, and both machines under the generic driver.
//! Conformance rows are in `smtp_conformance.rs`.

mod common;
mod smtp_common;

use bytes::Bytes;
use common::{drain_bytes, Pair, Side, Split, Transcript};
use smtp_common::*;
use wirestate::line::Canonicalizer;
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

macro_rules! answer_with {
    ($s:expr, $decision:expr, $r:expr) => {
        if $r.code().is_negative() {
            $s.reject($decision, $r).unwrap()
        } else {
            $s.accept_with($decision, $r).unwrap()
        }
    };
}

/// Feeds the transcript's client side (pipelined, all at once) to the server, answering
/// each decision with the transcript's own reply. Every reply code must match, and the
/// replies the caller supplied must match byte for byte. Returns the message data seen.
fn server_replay(name: &str, config: ServerConfig) -> Vec<u8> {
    let t = Transcript::load("smtp", name);
    let want = replies(&t.side(Side::S));
    let mut server = Server::new(config);
    let mut out = drain_bytes(&mut server);
    server.handle_input(Instant::ZERO, &t.side(Side::C));
    let mut exact = Vec::new();
    let mut data = Vec::new();
    while let Some(ev) = server.poll_event() {
        out.extend(drain_bytes(&mut server));
        let k = replies(&out).len();
        let r = || want[k].clone();
        match ev {
            ServerEvent::Data(b) => {
                data.extend_from_slice(&b);
                continue;
            }
            ServerEvent::Hello { decision, .. } => answer_with!(server, decision, r()),
            ServerEvent::Mail { decision, .. } => answer_with!(server, decision, r()),
            ServerEvent::Rcpt { decision, .. } => answer_with!(server, decision, r()),
            ServerEvent::DataStart {
                chunked: false,
                decision,
            } => answer_with!(server, decision, r()),
            ServerEvent::DataStart {
                chunked: true,
                decision,
            } => {
                server.accept(decision).unwrap();
                continue;
            }
            ServerEvent::End { decision, .. } => answer_with!(server, decision, r()),
            ServerEvent::Verify { decision, .. } => answer_with!(server, decision, r()),
            ServerEvent::Error(e) => panic!("{name}: {e}"),
            _ => continue,
        }
        exact.push(k);
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

/// Feeds the transcript's server writes to the client one by one, the client sending
/// the envelope taken from the transcript's MAIL/RCPT lines and the body in `pieces`
/// when it wants body; the client's bytes must equal the C: lines exactly.
fn client_replay(name: &str, pieces: &[&[u8]], last: &[u8]) {
    let t = Transcript::load("smtp", name);
    let client_wire = t.side(Side::C);
    let mut from = None;
    let mut to = Vec::new();
    let mut hello = None;
    for (side, line) in &t.lines {
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
    let env = Envelope::with_params(from, params, to);
    let mut client = Client::new(ClientConfig::with_hello(hello.expect("EHLO line")));
    let mut sent = false;
    let mut delivered = false;
    let mut body_sent = false;
    let mut got = Vec::new();
    for (side, bytes) in t.writes() {
        if side != Side::S {
            continue;
        }
        client.handle_input(Instant::ZERO, &bytes);
        loop {
            while let Some(ev) = client.poll_event() {
                match ev {
                    ClientEvent::Ready if !sent => {
                        client.send_mail(env.clone()).unwrap();
                        sent = true;
                    }
                    ClientEvent::Ready => client.quit().unwrap(),
                    ClientEvent::Sent { .. } => delivered = true,
                    ClientEvent::Error(e) => panic!("{name}: {e}"),
                    _ => {}
                }
            }
            if client.wants_body() && !body_sent {
                for p in pieces {
                    client.send_data(Bytes::copy_from_slice(p)).unwrap();
                }
                client.send_last(Bytes::copy_from_slice(last)).unwrap();
                body_sent = true;
                continue;
            }
            break;
        }
        got.extend(drain_bytes(&mut client));
    }
    assert!(delivered, "{name}: message accepted");
    assert!(client.is_closed());
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&client_wire),
        "{name}"
    );
}

fn foo_config() -> ServerConfig {
    named("foo.com")
}

#[test]
fn rfc5321_d1_server() {
    let data = server_replay("rfc5321_d1", foo_config());
    assert_eq!(data, b"Blah blah blah...\r\n..etc. etc. etc.\r\n");
}

#[test]
fn rfc5321_d1_client() {
    client_replay(
        "rfc5321_d1",
        &[],
        b"Blah blah blah...\r\n..etc. etc. etc.\r\n",
    );
}

#[test]
fn rfc5321_d2_server() {
    assert!(server_replay("rfc5321_d2", foo_config()).is_empty());
}

#[test]
fn rfc5321_d4_server() {
    let data = server_replay("rfc5321_d4", foo_config());
    assert_eq!(data, b"Blah blah blah...\r\n..etc. etc. etc.\r\n");
}

#[test]
fn rfc2920_server_plain_pipelined_and_all_rejected() {
    let body = b"Subject: pipelining\r\n\r\n..\r\n";
    assert_eq!(server_replay("rfc2920_plain", foo_config()), body);
    assert_eq!(server_replay("rfc2920_pipelined", foo_config()), body);
    assert!(server_replay("rfc2920_all_rejected", foo_config()).is_empty());
}

#[test]
fn rfc2920_client_pipelined() {
    client_replay(
        "rfc2920_pipelined",
        &[],
        b"Subject: pipelining\r\n\r\n..\r\n",
    );
}

#[test]
fn rfc3030_server_simple_and_pipelined() {
    let data = server_replay("rfc3030_simple", foo_config());
    assert_eq!(data.len(), 86);
    let mut cfg = foo_config();
    cfg.binarymime = true;
    let data = server_replay("rfc3030_pipelined", cfg);
    assert_eq!(data, b"Subject: binary\r\n\r\n12345\r\n0123456789\r\n");
}

#[test]
fn rfc3030_client_simple_and_pipelined() {
    let msg = b"To: Susan@random.com\r\nFrom: Sam@random.com\r\nSubject: This is a bodyless test message\r\n";
    client_replay("rfc3030_simple", &[], msg);
    client_replay(
        "rfc3030_pipelined",
        &[b"Subject: binary\r\n\r\n12345\r\n", b"0123456789\r\n"],
        b"",
    );
}

/// Every transcript on disk is replayed by some test above.
#[test]
fn every_transcript_is_replayed() {
    let replayed = [
        "rfc2920_all_rejected",
        "rfc2920_pipelined",
        "rfc2920_plain",
        "rfc3030_pipelined",
        "rfc3030_simple",
        "rfc5321_d1",
        "rfc5321_d2",
        "rfc5321_d4",
    ];
    assert_eq!(Transcript::names("smtp"), replayed);
}

/// The D.1 client stream split at every byte gives the same events and replies.
#[test]
fn server_chunking_invariance_d1() {
    let input = Transcript::load("smtp", "rfc5321_d1").side(Side::C);
    let (events, out) = assert_chunking_invariant(foo_config, &input);
    assert!(
        events.iter().any(|e| e.is("End { size: 37, recipients: 3")),
        "{events:?}"
    );
    assert!(out.ends_with(b"221 2.0.0 Bye\r\n"));
    assert_eq!(events.last(), Some(&Seen::Event("Closed(Done)".into())));
}

/// One smuggling row: what follows `Subject: x\r\n` inside DATA.
struct Vector {
    name: &'static str,
    bytes: &'static [u8],
    kind: ErrorKind,
}

const SMUGGLING: &[Vector] = &[
    Vector {
        name: "<LF>.<CR><LF>",
        bytes: b"a\n.\r\nMAIL FROM:<evil@x.org>\r\n",
        kind: ErrorKind::DataBareLf,
    },
    Vector {
        name: "<LF>.<LF>",
        bytes: b"a\n.\nMAIL FROM:<evil@x.org>\r\n",
        kind: ErrorKind::DataBareLf,
    },
    Vector {
        name: "<CR><LF>.<LF>",
        bytes: b"a\r\n.\nMAIL FROM:<evil@x.org>\r\n",
        kind: ErrorKind::DataSmuggling,
    },
    Vector {
        name: "<CR><CR><LF>",
        bytes: b"a\r\r\n.\r\r\nMAIL FROM:<evil@x.org>\r\n",
        kind: ErrorKind::DataBareCr,
    },
    Vector {
        name: "bare LF",
        bytes: b"line one\nline two\r\n",
        kind: ErrorKind::DataBareLf,
    },
    Vector {
        name: "bare CR",
        bytes: b"line one\rline two\r\n",
        kind: ErrorKind::DataBareCr,
    },
    Vector {
        name: "<CR>.<CR>",
        bytes: b"a\r.\rMAIL FROM:<evil@x.org>\r\n",
        kind: ErrorKind::DataBareCr,
    },
];

/// Each vector inside DATA: the server answers 421 4.5.2 (it is closing: RFC 5321 3.8),
/// closes with the error, never
/// ends the message and never reads the smuggled MAIL, however the bytes are split.
#[test]
fn smuggling_table() {
    for v in SMUGGLING {
        let mut input = b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: x\r\n".to_vec();
        input.extend_from_slice(v.bytes);
        input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
        let (events, out) = assert_chunking_invariant(foo_config, &input);
        let kind = format!("Error(Error {{ kind: {:?},", v.kind);
        assert!(events.iter().any(|e| e.is(&kind)), "{}: {events:?}", v.name);
        let aborts: Vec<_> = events.iter().filter(|e| e.is("Aborted(")).collect();
        assert_eq!(
            aborts,
            [&Seen::Event("Aborted(Framing)".into())],
            "{}",
            v.name
        );
        assert_eq!(
            events.last(),
            Some(&Seen::Event("Closed(Error)".into())),
            "{}",
            v.name
        );
        assert!(
            !events.iter().any(|e| e.is("End {")),
            "{}: message ended",
            v.name
        );
        let mails = events.iter().filter(|e| e.is("Mail {")).count();
        assert_eq!(mails, 1, "{}: smuggled MAIL was read", v.name);
        let last = replies(&out).pop().unwrap();
        assert_eq!(last.code().get(), 421, "{}", v.name);
        assert_eq!(
            last.enhanced_code(),
            EnhancedCode::new(4, 5, 2),
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
        let (events, _) = assert_chunking_invariant(foo_config, &input);
        let data: Vec<u8> = events
            .iter()
            .filter_map(|e| match e {
                Seen::Data(b) => Some(b.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(data, v.bytes, "{}", v.name);
        assert!(events.iter().any(|e| e.is("End {")), "{}", v.name);
        assert_eq!(
            events.last(),
            Some(&Seen::Event("Closed(Done)".into())),
            "{}",
            v.name
        );
    }
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
            let mut ccfg = ClientConfig::default();
            ccfg.pipelining = pipelining;
            ccfg.chunking = chunking;
            let mut pair =
                Pair::new(Client::new(ccfg), Server::new(foo_config())).with_split(split);
            let mut got = Vec::new();
            let mut results = Vec::new();
            let mut sent = 0;
            let mut offset = 0;
            run_pair(
                &mut pair,
                |c, ev| match ev {
                    ClientEvent::Ready if sent < 2 => {
                        sent += 1;
                        c.send_mail(env("<a@b.example>", &["<x@y.example>", "<bad@y.example>"]))
                            .unwrap();
                    }
                    ClientEvent::Ready => c.quit().unwrap(),
                    ClientEvent::Sent { accepted, .. } => results.push(accepted),
                    ClientEvent::Error(e) => panic!("{e}"),
                    _ => {}
                },
                |s, ev| match ev {
                    ServerEvent::Data(b) => got.extend_from_slice(&b),
                    ServerEvent::Rcpt { to, decision, .. } if to.to_string().contains("bad") => s
                        .reject(decision, Reply::new(550, "no such user").unwrap())
                        .unwrap(),
                    ev => {
                        answer(s, ev);
                    }
                },
                stream(&body, 1000, &mut offset),
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

/// Both machines under the one generic driver, which knows nothing of SMTP: the server
/// answers a scripted client, the client sends to a scripted server, streaming its body
/// through `on_send_ready`.
#[test]
fn both_machines_run_under_the_generic_driver() {
    // Server: every decision answered by default, the peer's bytes in 7-byte pieces.
    let peer = b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n";
    let mut server = Server::new(foo_config());
    let mut data = Vec::new();
    let mut last = None;
    let d = common::drive(
        &mut server,
        peer,
        7,
        |s, ev| {
            if let ServerEvent::Data(b) = &ev {
                data.extend_from_slice(b);
            }
            if let ServerEvent::Closed(r) = &ev {
                last = Some(*r);
            }
            answer(s, ev);
        },
        |_| panic!("a server streams no body"),
    );
    assert_eq!(data, b"hello\r\n");
    assert_eq!(last, Some(CloseReason::Done));
    assert_eq!(codes(&d.wire), [220, 250, 250, 250, 354, 250, 221]);
    assert!(d.closed && d.unread == 0);

    // Client: a scripted server that offers CHUNKING; the body goes in three chunks.
    let peer = b"220 mx\r\n250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n250 ok\r\n250 ok\r\n250 5\r\n250 5\r\n250 queued\r\n221 bye\r\n";
    let mut client = Client::new(ClientConfig::default());
    let mut sent = false;
    let mut chunks = vec![
        Bytes::from_static(b"one\r\n"),
        Bytes::from_static(b"two\r\n"),
    ]
    .into_iter();
    let d = common::drive(
        &mut client,
        peer,
        5,
        |c, ev| match ev {
            ClientEvent::Ready if !sent => {
                sent = true;
                c.send_mail(env("<a@b.example>", &["<c@d.example>"]))
                    .unwrap();
            }
            ClientEvent::Ready => c.quit().unwrap(),
            ClientEvent::Error(e) => panic!("{e}"),
            _ => {}
        },
        |c| match chunks.next() {
            Some(b) => c.send_data(b).unwrap(),
            None => c.send_end().unwrap(),
        },
    );
    let wire = String::from_utf8(d.wire).unwrap();
    assert_eq!(
        wire,
        "EHLO localhost\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 5\r\none\r\nBDAT 5\r\ntwo\r\nBDAT 0 LAST\r\nQUIT\r\n"
    );
    assert!(d.closed && d.unread == 0);
}

/// The one canonical line-end rule: the DATA stuffer, the client's BDAT chunk sizes and
/// `Canonicalizer::canonical_len` (the examples' SIZE scan) agree on every message,
/// final CRLF included, however it is cut.
#[test]
fn canonical_line_ends_agree_everywhere() {
    let messages: &[&[u8]] = &[
        b"",
        b"a",
        b"a\r",
        b"a\n",
        b"a\r\n",
        b"\r\r\n\n",
        b".x\n.\r.\r\n",
        b"end\r",
        b"x\ry\nz\r\nw",
        b"\n",
        b"\r",
        b"..\r\n.",
    ];
    for &m in messages {
        let len = Canonicalizer::canonical_len(m);
        // DATA: the stuffed form minus the stuffed dots and the final ".\r\n".
        let stuffed = wirestate::dot::stuff_all(m);
        let mut canon = bytes::BytesMut::new();
        let mut c = Canonicalizer::new();
        c.canonicalize(m, &mut canon);
        c.finish_into(&mut canon);
        assert_eq!(canon.len() as u64, len, "{m:?}");
        let dots = canon[..]
            .split(|&b| b == b'\n')
            .filter(|l| l.first() == Some(&b'.'))
            .count() as u64;
        assert_eq!(stuffed.len() as u64, len + dots + 3, "{m:?}: DATA stuffer");
        // BDAT: the sizes the client declares add up to the same.
        for cut in 0..=m.len() {
            let mut server_cfg = foo_config();
            server_cfg.max_message_size = None;
            let mut pair = Pair::new(
                Client::new(ClientConfig::default()),
                Server::new(server_cfg),
            );
            let mut sent = false;
            let mut got = Vec::new();
            let mut size = None;
            let mut parts = vec![&m[..cut], &m[cut..]].into_iter();
            run_pair(
                &mut pair,
                |c, ev| {
                    if let ClientEvent::Ready = ev {
                        if !sent {
                            sent = true;
                            c.send_mail(env("<a@b.example>", &["<c@d.example>"]))
                                .unwrap();
                        }
                    }
                },
                |s, ev| {
                    if let ServerEvent::Data(b) = &ev {
                        got.extend_from_slice(b);
                    }
                    if let ServerEvent::End { size: n, .. } = &ev {
                        size = Some(*n);
                    }
                    answer(s, ev);
                },
                |c| match parts.next() {
                    Some(p) => c.send_data(Bytes::copy_from_slice(p)).unwrap(),
                    None => c.send_end().unwrap(),
                },
            );
            assert_eq!(size, Some(len), "{m:?} cut at {cut}: BDAT size");
            assert_eq!(got, &canon[..], "{m:?} cut at {cut}");
        }
    }
}

//! Properties: command and reply roundtrips, never a panic on arbitrary input, chunking
//! invariance of the server, and message data surviving client -> server unchanged
//! (modulo line-end normalization) for any body, split and transfer mode.

mod common;
mod smtp_common;

use bytes::Bytes;
use common::{Pair, Split};
use proptest::prelude::*;
use smtp_common::{answer, feed_answered, run_pair};
use wirestate::buffer::RecvBuffer;
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
}

fn domain() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..4).prop_map(|v| v.join("."))
}

fn local() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\\.[a-zA-Z0-9_-]{1,8}){0,2}",
        "\"[ a-zA-Z0-9.@<>,;:]{0,12}\"",
    ]
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    (local(), domain()).prop_map(|(l, d)| Mailbox::parse(&format!("{l}@{d}")).unwrap())
}

fn xtext() -> impl Strategy<Value = XText> {
    prop::collection::vec(any::<u8>(), 1..20).prop_map(|b| XText::encode(&b))
}

fn mail_params() -> impl Strategy<Value = MailParams> {
    (
        prop::option::of(0u64..u64::MAX),
        prop::option::of(prop_oneof![
            Just(Body::SevenBit),
            Just(Body::EightBitMime),
            Just(Body::BinaryMime)
        ]),
        any::<bool>(),
        prop::option::of(prop_oneof![Just(Ret::Full), Just(Ret::Hdrs)]),
        prop::option::of(xtext()),
    )
        .prop_map(|(size, body, smtputf8, ret, envid)| MailParams {
            size,
            body,
            smtputf8,
            ret,
            envid: envid.filter(|x| x.as_str().len() <= 100),
            auth: None,
            other: vec![],
        })
}

fn rcpt_params() -> impl Strategy<Value = RcptParams> {
    (
        prop::option::of((any::<bool>(), any::<bool>(), any::<bool>())),
        prop::option::of(xtext()),
    )
        .prop_map(|(n, o)| RcptParams {
            notify: n.map(|(success, failure, delay)| Notify {
                success,
                failure,
                delay,
            }),
            orcpt: o.map(|x| ("rfc822".to_string(), x)),
            other: vec![],
        })
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        domain().prop_map(|d| Command::Ehlo(Host::parse(&d, false).unwrap())),
        domain().prop_map(|d| Command::Helo(Host::parse(&d, false).unwrap())),
        (prop::option::of(mailbox()), mail_params()).prop_map(|(m, params)| Command::Mail {
            from: m.map_or(ReversePath::Null, ReversePath::Mailbox),
            params,
        }),
        (prop::option::of(mailbox()), rcpt_params()).prop_map(|(m, params)| Command::Rcpt {
            to: m.map_or(ForwardPath::Postmaster, ForwardPath::Mailbox),
            params,
        }),
        Just(Command::Data),
        (0u64..u64::MAX / 2, any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        Just(Command::Quit),
        Just(Command::StartTls),
        "[!-~][ -~]{0,30}".prop_map(Command::Vrfy),
        prop::option::of("[ -~]{0,30}").prop_map(Command::Noop),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| Command::Auth {
            mechanism: AuthMechanism::Plain,
            initial: Some(if b.is_empty() {
                "=".to_string()
            } else {
                wirestate::base64::encode(&b)
            }),
        }),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    (
        2u16..=5,
        0u16..=5,
        0u16..=9,
        any::<bool>(),
        prop::collection::vec("[ -~]{0,60}", 1..5),
    )
        .prop_map(|(a, b, c, enh, lines)| {
            let code = a * 100 + b * 10 + c;
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let e = if enh && a != 3 {
                EnhancedCode::new(a as u8, b, c)
            } else {
                None
            };
            Reply::multiline(code, e, &refs).unwrap()
        })
}

/// Line ends normalized as the client's stuffer does (bare CR, bare LF -> CRLF) and a
/// final CRLF added, which is what DATA can carry.
fn normalized(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\r' if body.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            c => out.push(c),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn command_roundtrip(c in command()) {
        let wire = c.to_bytes().unwrap();
        prop_assert!(wire.ends_with(b"\r\n"));
        let parsed = Command::parse(&wire[..wire.len() - 2]).unwrap();
        prop_assert_eq!(parsed, c);
    }

    #[test]
    fn reply_roundtrip(r in reply(), cut in 0usize..400) {
        let wire = r.to_bytes();
        let mut buf = RecvBuffer::new(1 << 16);
        let mut p = ReplyParser::new();
        let cut = cut.min(wire.len());
        buf.push(&wire[..cut]).unwrap();
        let early = p.poll(&mut buf);
        buf.push(&wire[cut..]).unwrap();
        let got = match early {
            Some(x) => x,
            None => p.poll(&mut buf).unwrap(),
        }.unwrap();
        prop_assert_eq!(got, r);
    }

    #[test]
    fn command_parser_never_panics(line in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Command::parse(&line);
    }

    #[test]
    fn server_never_panics_and_always_answers_in_form(
        input in prop::collection::vec(any::<u8>(), 0..2000),
        cuts in prop::collection::vec(0usize..2000, 0..8),
        prefix in prop::sample::select(vec!["", "EHLO x\r\n", "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 100\r\n"]),
    ) {
        let mut cuts = cuts;
        cuts.sort();
        let mut all = prefix.as_bytes().to_vec();
        all.extend_from_slice(&input);
        let (_, out) = feed_answered(ServerConfig::default(), &all, &cuts);
        // Whatever came in, what goes out is a sequence of well-formed replies.
        let mut buf = RecvBuffer::new(1 << 20);
        buf.push(&out).unwrap();
        let mut p = ReplyParser::new();
        while let Some(r) = p.poll(&mut buf) {
            prop_assert!(r.is_ok(), "{:?}", String::from_utf8_lossy(&out));
        }
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn client_never_panics(input in prop::collection::vec(any::<u8>(), 0..2000), cut in 0usize..2000) {
        let mut c = Client::new(ClientConfig::default());
        let cut = cut.min(input.len());
        let mut closed = 0;
        for piece in [&input[..cut], &input[cut..]] {
            c.handle_input(Instant::ZERO, piece);
            while let Some(ev) = c.poll_event() {
                if ev == ClientEvent::Ready {
                    let _ = c.send_mail(Envelope::new(ReversePath::Null, vec![ForwardPath::Postmaster]));
                }
                closed += matches!(ev, ClientEvent::Closed(_)) as usize;
                if c.wants_body() {
                    let _ = c.send_last(Bytes::from_static(b"x"));
                }
            }
            while c.poll_transmit().is_some() {}
        }
        c.handle_eof(Instant::ZERO);
        while let Some(ev) = c.poll_event() {
            closed += matches!(ev, ClientEvent::Closed(_)) as usize;
        }
        // Closed is the last event, exactly once.
        prop_assert_eq!(closed, 1);
        prop_assert!(c.is_closed());
    }

    #[test]
    fn server_chunking_invariance(
        body in prop::collection::vec(prop::sample::select(b"ab.\r\n ".to_vec()), 0..200),
        cuts in prop::collection::vec(0usize..400, 1..6),
    ) {
        let mut input = b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n".to_vec();
        input.extend_from_slice(&body);
        input.extend_from_slice(b"\r\n.\r\nNOOP\r\nQUIT\r\n");
        let mut cuts = cuts;
        cuts.sort();
        let (a, ao) = feed_answered(ServerConfig::default(), &input, &[]);
        let (b, bo) = feed_answered(ServerConfig::default(), &input, &cuts);
        prop_assert_eq!(a, b);
        prop_assert_eq!(ao, bo);
    }

    #[test]
    fn body_survives_client_to_server(
        body in prop::collection::vec(prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), any::<u8>()], 0..3000),
        piece in 1usize..700,
        split in 1usize..300,
        pipelining in any::<bool>(),
        chunking in any::<bool>(),
    ) {
        let mut cc = ClientConfig::default();
        cc.pipelining = pipelining;
        cc.chunking = chunking;
        let mut pair = Pair::new(Client::new(cc), Server::new(ServerConfig::default()))
            .with_split(Split::Every(split));
        let mut got = Vec::new();
        let mut offset = 0;
        let mut started = false;
        let mut sent = false;
        run_pair(
            &mut pair,
            |c, ev| match ev {
                ClientEvent::Ready if !started => {
                    started = true;
                    c.send_mail(Envelope::new(ReversePath::Null, vec![ForwardPath::Postmaster])).unwrap();
                }
                ClientEvent::Ready => c.quit().unwrap(),
                ClientEvent::Sent { .. } => sent = true,
                _ => {}
            },
            |s, ev| match ev {
                ServerEvent::Data(b) => got.extend_from_slice(&b),
                ev => {
                    answer(s, ev);
                }
            },
            |c| {
                if offset < body.len() {
                    let end = (offset + piece).min(body.len());
                    c.send_data(Bytes::copy_from_slice(&body[offset..end])).unwrap();
                    offset = end;
                } else {
                    c.send_end().unwrap();
                }
            },
        );
        prop_assert!(sent);
        // DATA and BDAT both send canonical CRLF text: the same message either way.
        prop_assert_eq!(got, normalized(&body));
    }
}

//! Properties: command and reply roundtrips, never a panic on arbitrary input, chunking
//! invariance of the server, and message data surviving client -> server unchanged
//! (modulo line-end normalization) for any body, split and transfer mode.

mod common;

use common::{feed_cut, Pair, Split};
use proptest::prelude::*;
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
                base64_encode(&b)
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
        let (_, out) = feed_cut(SmtpServer::new(ServerConfig::new("mx").unwrap()), &all, &cuts);
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
        let mut c = SmtpClient::new(ClientConfig::new("c").unwrap());
        let cut = cut.min(input.len());
        for piece in [&input[..cut], &input[cut..]] {
            c.handle_input(Instant::ZERO, piece);
            while let Some(ev) = c.poll_event() {
                if ev == ClientEvent::Ready {
                    let _ = c.send_mail(Envelope::new(ReversePath::Null, vec![ForwardPath::Postmaster]));
                }
                if ev == ClientEvent::SendBody {
                    let _ = c.end_body_with(b"x");
                }
            }
            while c.poll_transmit().is_some() {}
        }
        c.handle_eof(Instant::ZERO);
        while c.poll_event().is_some() {}
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
        let make = || SmtpServer::new(ServerConfig::new("mx").unwrap());
        let merge = |evs: Vec<ServerEvent>| {
            let mut out: Vec<ServerEvent> = Vec::new();
            for e in evs {
                if matches!(e, ServerEvent::DataAborted(_)) {
                    while matches!(out.last(), Some(ServerEvent::DataChunk(_))) { out.pop(); }
                }
                match (&e, out.last_mut()) {
                    (ServerEvent::DataChunk(b), Some(ServerEvent::DataChunk(p))) => {
                        let mut j = p.to_vec();
                        j.extend_from_slice(b);
                        *p = j.into();
                    }
                    _ => out.push(e),
                }
            }
            out
        };
        let (a, ao) = feed_cut(make(), &input, &[]);
        let (b, bo) = feed_cut(make(), &input, &cuts);
        prop_assert_eq!(merge(a), merge(b));
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
        let mut cc = ClientConfig::new("c").unwrap();
        cc.pipelining = pipelining;
        cc.chunking = chunking;
        let mut pair = Pair::new(SmtpClient::new(cc), SmtpServer::new(ServerConfig::new("mx").unwrap()))
            .with_split(Split::Every(split));
        let mut got = Vec::new();
        let mut offset = 0;
        let mut started = false;
        let mut sent = false;
        pair.run(
            |c, ev| match ev {
                ClientEvent::Ready if !started => {
                    started = true;
                    c.send_mail(Envelope::new(ReversePath::Null, vec![ForwardPath::Postmaster])).unwrap();
                }
                ClientEvent::Ready => c.quit().unwrap(),
                ClientEvent::SendBody => {
                    while c.can_send_body() && offset < body.len() {
                        let end = (offset + piece).min(body.len());
                        c.send_body(&body[offset..end]).unwrap();
                        offset = end;
                    }
                    if c.can_send_body() {
                        c.end_body().unwrap();
                    }
                }
                ClientEvent::Sent { .. } => sent = true,
                _ => {}
            },
            |_, ev| if let ServerEvent::DataChunk(b) = ev { got.extend_from_slice(&b) },
        );
        prop_assert!(sent);
        // DATA and BDAT both send canonical CRLF text: the same message either way.
        prop_assert_eq!(got, normalized(&body));
    }
}

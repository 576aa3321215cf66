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
use wirestate::generate::smtp::parse_reply;
use wirestate::generate::{cases, valid, Case, Generate, Mix};
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

/// A case of `T`: one in three invalid, so the refusals get as many runs as the
/// roundtrips of the rarer commands.
fn mixed<T: Generate + std::fmt::Debug>() -> impl Strategy<Value = Case<T>>
where
    T::Expect: std::fmt::Debug,
{
    cases::<T>(Mix::invalid_percent(33))
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

    /// A valid command encodes and parses back to itself; an invalid line is refused
    /// with the error its flaw calls for.
    #[test]
    fn command_roundtrip(case in mixed::<Command>()) {
        match case {
            Case::Valid(c) => {
                let wire = c.to_bytes().unwrap();
                prop_assert!(wire.ends_with(b"\r\n"));
                let parsed = Command::parse(&wire[..wire.len() - 2]).unwrap();
                prop_assert_eq!(parsed, c);
            }
            Case::Invalid(bad) => {
                let e = Command::parse(&bad.wire).unwrap_err();
                prop_assert!(bad.expect.matches(&e), "{:?} gave {:?}", bad, e);
            }
        }
    }

    /// Paths: a valid one prints as it parses, angle brackets and all; a broken one is
    /// refused.
    #[test]
    fn path_roundtrip(
        from in mixed::<ReversePath>(),
        to in mixed::<ForwardPath>(),
        m in mixed::<Mailbox>(),
        d in mixed::<Domain>(),
    ) {
        match from {
            Case::Valid(p) => {
                let text = p.to_string();
                prop_assert_eq!(ReversePath::parse_prefix(&text, true).unwrap(), (p, ""));
            }
            Case::Invalid(bad) => prop_assert!(ReversePath::parse_prefix(std::str::from_utf8(&bad.wire).unwrap(), true).is_err(), "{:?}", bad),
        }
        match to {
            Case::Valid(p) => {
                let text = p.to_string();
                prop_assert_eq!(ForwardPath::parse_prefix(&text, true).unwrap(), (p, ""));
            }
            Case::Invalid(bad) => prop_assert!(ForwardPath::parse_prefix(std::str::from_utf8(&bad.wire).unwrap(), true).is_err(), "{:?}", bad),
        }
        match m {
            Case::Valid(m) => prop_assert_eq!(Mailbox::parse_with(m.as_str(), true).unwrap(), m),
            Case::Invalid(bad) => prop_assert!(Mailbox::parse_with(std::str::from_utf8(&bad.wire).unwrap(), true).is_err(), "{:?}", bad),
        }
        match d {
            Case::Valid(d) => prop_assert_eq!(Domain::parse(d.as_str()).unwrap(), d),
            Case::Invalid(bad) => prop_assert!(Domain::parse(std::str::from_utf8(&bad.wire).unwrap()).is_err(), "{:?}", bad),
        }
    }

    /// ESMTP parameters survive a MAIL or RCPT line; a bad one is refused with its
    /// rule.
    #[test]
    fn params_roundtrip(mail in mixed::<MailParams>(), rcpt in mixed::<RcptParams>()) {
        match mail {
            Case::Valid(params) => {
                let c = Command::Mail { from: ReversePath::Null, params };
                let wire = c.to_bytes().unwrap();
                prop_assert_eq!(Command::parse(&wire[..wire.len() - 2]).unwrap(), c);
            }
            Case::Invalid(bad) => {
                let e = Command::parse(&bad.wire).unwrap_err();
                prop_assert!(bad.expect.matches(&e), "{:?} gave {:?}", bad, e);
            }
        }
        match rcpt {
            Case::Valid(params) => {
                let c = Command::Rcpt { to: ForwardPath::Postmaster, params };
                let wire = c.to_bytes().unwrap();
                prop_assert_eq!(Command::parse(&wire[..wire.len() - 2]).unwrap(), c);
            }
            Case::Invalid(bad) => {
                let e = Command::parse(&bad.wire).unwrap_err();
                prop_assert!(bad.expect.matches(&e), "{:?} gave {:?}", bad, e);
            }
        }
    }

    /// An invalid reply is refused with the error its flaw calls for.
    #[test]
    fn bad_replies_are_refused(case in cases::<Reply>(Mix::invalid_percent(100))) {
        let Case::Invalid(bad) = case else { unreachable!("all invalid") };
        let e = parse_reply(&bad.wire).unwrap().unwrap_err();
        prop_assert_eq!(e.kind, bad.expect, "{:?}", bad);
    }

    #[test]
    fn reply_roundtrip(r in valid::<Reply>(), cut in 0usize..400) {
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

//! Helpers shared by the SMTP test files: reply parsing, default answers to the
//! server's decisions, a comparable record of events, and a pair runner that streams
//! the client's body through `wants_body`.
#![allow(dead_code)]

use super::common::{drain_bytes, Pair};
use wirestate::buffer::RecvBuffer;
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

/// Every reply in `wire`.
pub fn replies(wire: &[u8]) -> Vec<Reply> {
    let mut buf = RecvBuffer::new(1 << 22);
    buf.push(wire).unwrap();
    let mut p = ReplyParser::new();
    std::iter::from_fn(|| p.poll(&mut buf))
        .map(|r| r.expect("valid reply"))
        .collect()
}

/// Every reply code in `wire`.
pub fn codes(wire: &[u8]) -> Vec<u16> {
    replies(wire).iter().map(|r| r.code().get()).collect()
}

/// A server config named `host`.
pub fn named(host: &str) -> ServerConfig {
    ServerConfig::with_hostname(Domain::parse(host).unwrap())
}

/// A comparable record of one server event: data bytes, or the event's Debug form
/// (decision ids included, so two runs agree only if they asked the same questions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Data(Vec<u8>),
    Event(String),
}

impl Seen {
    /// Whether this is an event whose Debug form starts with `prefix`.
    pub fn is(&self, prefix: &str) -> bool {
        matches!(self, Seen::Event(s) if s.starts_with(prefix))
    }
}

/// The answer every decision gets from [`answer`]: accept, except AUTH, which nobody
/// vouched for.
pub fn answer(s: &mut Server, ev: ServerEvent) -> Seen {
    if let ServerEvent::Data(b) = &ev {
        return Seen::Data(b.to_vec());
    }
    let seen = Seen::Event(format!("{ev:?}"));
    let r = match ev {
        ServerEvent::Hello { decision, .. } => s.accept(decision),
        ServerEvent::Mail { decision, .. } => s.accept(decision),
        ServerEvent::Rcpt { decision, .. } => s.accept(decision),
        ServerEvent::DataStart { decision, .. } => s.accept(decision),
        ServerEvent::End { decision, .. } => s.accept(decision),
        ServerEvent::StartTls { decision } => s.accept(decision),
        ServerEvent::Verify { decision, .. } => s.accept(decision),
        ServerEvent::Auth { decision, .. } => s.reject(
            decision,
            Reply::enhanced(
                535,
                EnhancedCode::new(5, 7, 8).unwrap(),
                "Authentication credentials invalid",
            )
            .unwrap(),
        ),
        _ => Ok(()),
    };
    // An auto-accepted decision is already answered: that is not a test failure.
    if let Err(e) = r {
        assert!(matches!(e, SendError::OutOfTurn(_)), "{e}");
    }
    seen
}

/// Merges adjacent data records (how data is cut follows the reads) and drops data
/// handed out before an abort (which tells the caller to discard it).
pub fn normalize(seen: Vec<Seen>) -> Vec<Seen> {
    let mut out: Vec<Seen> = Vec::new();
    for e in seen {
        if e.is("Aborted") {
            while matches!(out.last(), Some(Seen::Data(_))) {
                out.pop();
            }
        }
        if let (Seen::Data(b), Some(Seen::Data(prev))) = (&e, out.last_mut()) {
            prev.extend_from_slice(b);
            continue;
        }
        if matches!(&e, Seen::Data(b) if b.is_empty()) {
            continue;
        }
        out.push(e);
    }
    out
}

/// Feeds `input` cut at `cuts`, answering every decision with [`answer`]; returns the
/// normalized record and everything the server sent after its greeting.
pub fn feed_answered(config: ServerConfig, input: &[u8], cuts: &[usize]) -> (Vec<Seen>, Vec<u8>) {
    let mut s = Server::new(config);
    drain_bytes(&mut s);
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let mut start = 0;
    let drain = |s: &mut Server, seen: &mut Vec<Seen>, out: &mut Vec<u8>| {
        while let Some(ev) = s.poll_event() {
            seen.push(answer(s, ev));
        }
        out.extend(drain_bytes(s));
    };
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(start, input.len());
        if cut > start {
            s.handle_input(Instant::ZERO, &input[start..cut]);
            drain(&mut s, &mut seen, &mut out);
        }
        start = cut;
    }
    s.handle_eof(Instant::ZERO);
    drain(&mut s, &mut seen, &mut out);
    (normalize(seen), out)
}

/// Whole, split at every byte, and byte by byte: the same record and replies.
pub fn assert_chunking_invariant(
    make: impl Fn() -> ServerConfig,
    input: &[u8],
) -> (Vec<Seen>, Vec<u8>) {
    let whole = feed_answered(make(), input, &[]);
    for i in 1..input.len() {
        assert_eq!(
            feed_answered(make(), input, &[i]),
            whole,
            "split at byte {i} changed the result"
        );
    }
    let every: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        feed_answered(make(), input, &every),
        whole,
        "byte-by-byte feeding changed the result"
    );
    whole
}

/// `Pair::run`, plus the client's body: whenever the pair is quiet and the client
/// wants body, `on_send_ready` gives it the next chunk.
pub fn run_pair(
    pair: &mut Pair<Client, Server>,
    mut on_client: impl FnMut(&mut Client, ClientEvent),
    mut on_server: impl FnMut(&mut Server, ServerEvent),
    mut on_send_ready: impl FnMut(&mut Client),
) {
    for _ in 0..1_000_000 {
        pair.run(&mut on_client, &mut on_server);
        if !pair.client.wants_body() {
            return;
        }
        on_send_ready(&mut pair.client);
    }
    panic!("the body never ended");
}

/// An `on_send_ready` that streams `body` in pieces of `piece` octets, then ends it;
/// `offset` is reset for the next message.
pub fn stream<'a>(
    body: &'a [u8],
    piece: usize,
    offset: &'a mut usize,
) -> impl FnMut(&mut Client) + 'a {
    move |c: &mut Client| {
        if *offset < body.len() {
            let end = (*offset + piece).min(body.len());
            c.send_data(bytes::Bytes::copy_from_slice(&body[*offset..end]))
                .unwrap();
            *offset = end;
        } else {
            c.send_end().unwrap();
            *offset = 0;
        }
    }
}

pub fn env(from: &str, to: &[&str]) -> Envelope {
    Envelope::new(
        ReversePath::parse(from).unwrap(),
        to.iter().map(|t| ForwardPath::parse(t).unwrap()).collect(),
    )
}

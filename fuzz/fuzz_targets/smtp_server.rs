//! Server machine: any client bytes, split anywhere, never panic; the output is always
//! well-formed replies; events (with data chunks merged) do not depend on the split;
//! `Closed` is the last event, exactly once.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::buffer::RecvBuffer;
use wirestate::smtp::{AuthMechanism, Reply, ReplyParser, Server, ServerConfig, ServerEvent};
use wirestate::{Instant, Machine};

/// A comparable record: merged data, or the event's Debug form.
#[derive(Debug, PartialEq)]
enum Seen {
    Data(Vec<u8>),
    Event(String),
}

fn answer(s: &mut Server, ev: ServerEvent) {
    let no = || Reply::new(550, "no").unwrap();
    let _ = match ev {
        ServerEvent::Hello { decision, .. } => s.accept(decision),
        ServerEvent::Mail { decision, .. } => s.accept(decision),
        ServerEvent::Rcpt { decision, to, .. } if to.to_string().contains('x') => {
            s.reject(decision, no())
        }
        ServerEvent::Rcpt { decision, .. } => s.accept(decision),
        ServerEvent::DataStart { decision, .. } => s.accept(decision),
        ServerEvent::End { decision, .. } => s.accept(decision),
        ServerEvent::StartTls { decision } => s.accept(decision),
        ServerEvent::Verify { decision, .. } => s.reject(decision, no()),
        ServerEvent::Auth {
            decision,
            credentials,
            ..
        } if credentials.matches("u", b"ok") => s.accept(decision),
        ServerEvent::Auth { decision, .. } => s.reject(decision, Reply::new(535, "no").unwrap()),
        _ => Ok(()),
    };
}

fn run(input: &[u8], cuts: &[usize], lmtp: bool) -> (Vec<Seen>, Vec<u8>, bool) {
    let mut cfg = ServerConfig::default();
    cfg.lmtp = lmtp;
    cfg.max_message_size = Some(4096);
    cfg.starttls = true;
    cfg.auth = vec![AuthMechanism::Plain, AuthMechanism::Login];
    cfg.auth_without_tls = true;
    cfg.limits.max_recipients = 4;
    let mut s = Server::new(cfg);
    let mut seen: Vec<Seen> = Vec::new();
    let mut out = Vec::new();
    let mut tls = false;
    let mut start = 0;
    let drain = |s: &mut Server, seen: &mut Vec<Seen>, out: &mut Vec<u8>, tls: &mut bool| {
        while let Some(ev) = s.poll_event() {
            match (&ev, seen.last_mut()) {
                (ServerEvent::Data(b), Some(Seen::Data(p))) => p.extend_from_slice(b),
                (ServerEvent::Data(b), _) => seen.push(Seen::Data(b.to_vec())),
                (ServerEvent::Aborted(_), _) => {
                    while matches!(seen.last(), Some(Seen::Data(_))) {
                        seen.pop();
                    }
                    seen.push(Seen::Event(format!("{ev:?}")));
                }
                _ => seen.push(Seen::Event(format!("{ev:?}"))),
            }
            *tls |= matches!(ev, ServerEvent::StartTls { .. });
            answer(s, ev);
        }
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
        if s.wants_tls() {
            s.handle_tls_established(Instant::ZERO);
        }
    };
    for &c in cuts.iter().chain(std::iter::once(&input.len())) {
        let c = c.clamp(start, input.len());
        s.handle_input(Instant::ZERO, &input[start..c]);
        start = c;
        drain(&mut s, &mut seen, &mut out, &mut tls);
    }
    s.handle_eof(Instant::ZERO);
    drain(&mut s, &mut seen, &mut out, &mut tls);
    let closed = seen
        .iter()
        .filter(|e| matches!(e, Seen::Event(s) if s.starts_with("Closed(")))
        .count();
    assert_eq!(closed, 1);
    assert!(matches!(seen.last(), Some(Seen::Event(e)) if e.starts_with("Closed(")));
    (seen, out, tls)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (ctl, input) = data.split_at(2);
    let lmtp = ctl[0] & 1 == 1;
    let a = ctl[0] as usize * 7 % (input.len() + 1);
    let b = ctl[1] as usize * 13 % (input.len() + 1);
    let mut cuts = [a, b];
    cuts.sort();
    let whole = run(input, &[], lmtp);
    let split = run(input, &cuts, lmtp);
    // After an accepted STARTTLS the split matters by design: bytes received before
    // the switch are discarded (CVE-2011-0411), bytes after it are the TLS stream.
    if !whole.2 && !split.2 {
        assert_eq!((&whole.0, &whole.1), (&split.0, &split.1));
    }
    let mut buf = RecvBuffer::new(1 << 22);
    buf.push(&whole.1).unwrap();
    let mut p = ReplyParser::new();
    while let Some(r) = p.poll(&mut buf) {
        r.unwrap();
    }
    assert!(buf.is_empty());
});

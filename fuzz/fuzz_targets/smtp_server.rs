//! Server machine: any client bytes, split anywhere, never panic; the output is always
//! well-formed replies; events (with data chunks merged) do not depend on the split.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::buffer::RecvBuffer;
use wirestate::smtp::{AuthMechanism, ReplyParser, ServerConfig, ServerEvent, SmtpServer};
use wirestate::{Instant, Machine};

fn run(input: &[u8], cuts: &[usize], lmtp: bool) -> (Vec<ServerEvent>, Vec<u8>) {
    let mut cfg = ServerConfig::new("mx.example").unwrap();
    cfg.lmtp = lmtp;
    cfg.max_message_size = Some(4096);
    cfg.starttls = true;
    cfg.auth = vec![AuthMechanism::Plain, AuthMechanism::Login];
    cfg.auth_without_tls = true;
    cfg.limits.recipients = 4;
    let mut s = SmtpServer::new(cfg);
    let mut events: Vec<ServerEvent> = Vec::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&input.len())) {
        let c = c.clamp(start, input.len());
        s.handle_input(Instant::ZERO, &input[start..c]);
        start = c;
        while let Some(ev) = s.poll_event() {
            if let ServerEvent::Auth { credentials, .. } = &ev {
                if credentials.password == "ok" {
                    let _ = s.accept();
                }
            }
            match (&ev, events.last_mut()) {
                (ServerEvent::DataChunk(b), Some(ServerEvent::DataChunk(p))) => {
                    let mut j = p.to_vec();
                    j.extend_from_slice(b);
                    *p = j.into();
                }
                (ServerEvent::DataAborted(_), _) => {
                    while matches!(events.last(), Some(ServerEvent::DataChunk(_))) {
                        events.pop();
                    }
                    events.push(ev);
                }
                _ => events.push(ev),
            }
        }
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
    }
    s.handle_eof(Instant::ZERO);
    while let Some(ev) = s.poll_event() {
        events.push(ev);
    }
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    (events, out)
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
    // the 220 are discarded (CVE-2011-0411), bytes after it are the TLS stream.
    if !whole.0.contains(&ServerEvent::StartTls) && !split.0.contains(&ServerEvent::StartTls) {
        assert_eq!(whole, split);
    }
    let mut buf = RecvBuffer::new(1 << 22);
    buf.push(&whole.1).unwrap();
    let mut p = ReplyParser::new();
    while let Some(r) = p.poll(&mut buf) {
        r.unwrap();
    }
    assert!(buf.is_empty());
});

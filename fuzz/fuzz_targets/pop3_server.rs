//! POP3 server machine: any client bytes, split at a fuzzer-chosen point, never panic,
//! and (STLS aside) give the same output and events as the same bytes in one piece. The caller side
//! logs in any USER with password "pw" and serves two small messages.
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate::pop3::{Credentials, MessageInfo, Server, ServerConfig, ServerEvent, Text, Uid};
use wirestate::{Instant, Machine};

const MESSAGES: [&[u8]; 2] = [b"Subject: a\r\n\r\n.body\r\n", b"Subject: b\n\nx\ny\n"];

/// Answers every decision at once and streams messages in 3-octet pieces while the
/// machine wants body; returns the event's Debug form.
fn answer(s: &mut Server, e: ServerEvent) -> String {
    let shown = format!("{e:?}");
    match e {
        ServerEvent::Login {
            credentials: Credentials::User { password, .. },
            decision,
        } if password.expose() == b"pw" => {
            let listing = MESSAGES
                .iter()
                .enumerate()
                .map(|(i, m)| MessageInfo::new(m.len() as u64, Uid::new(&format!("u{i}")).unwrap()))
                .collect();
            s.accept_login(decision, listing).unwrap();
        }
        ServerEvent::Login { decision, .. } => {
            s.reject_login(decision, None, Text::new("no").unwrap()).unwrap()
        }
        ServerEvent::Retrieve { msg, decision } | ServerEvent::Top { msg, decision, .. } => {
            s.start_message(decision).unwrap();
            for c in MESSAGES[msg.index()].chunks(3) {
                if !s.wants_body() {
                    break;
                }
                s.send_data(Bytes::from_static(c)).unwrap();
            }
            if s.wants_body() {
                s.send_end().unwrap();
            }
        }
        ServerEvent::Update { decision, .. } => s.finish_update(decision, true).unwrap(),
        _ => {}
    }
    shown
}

fn run(input: &[u8], cut: usize, stls: bool) -> (Vec<u8>, Vec<String>) {
    let mut config = ServerConfig::default();
    config.stls = stls;
    let mut s = Server::new(config);
    let mut out = Vec::new();
    let mut events = Vec::new();
    for piece in [&input[..cut], &input[cut..]] {
        s.handle_input(Instant::ZERO, piece);
        while let Some(e) = s.poll_event() {
            events.push(answer(&mut s, e));
        }
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
        if s.wants_tls() {
            s.handle_tls_established(Instant::ZERO);
        }
    }
    s.handle_eof(Instant::ZERO);
    while let Some(e) = s.poll_event() {
        events.push(answer(&mut s, e));
    }
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    assert!(s.is_closed());
    assert_eq!(events.iter().filter(|e| e.starts_with("Closed(")).count(), 1);
    assert!(events.last().is_some_and(|e| e.starts_with("Closed(")));
    (out, events)
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, input)) = data.split_first() else {
        return;
    };
    let cut = ctl as usize % (input.len() + 1);
    assert_eq!(run(input, cut, false), run(input, input.len(), false));
    // With STLS offered, what follows an accepted STLS in the same read is dropped on
    // purpose (RFC 2595 section 4, CVE-2011-0411), so the split matters: no panic is all.
    run(input, cut, true);
});

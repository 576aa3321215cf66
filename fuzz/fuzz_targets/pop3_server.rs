//! POP3 server machine: any client bytes, split at a fuzzer-chosen point, never panic,
//! and (STLS aside) give the same output and events as the same bytes in one piece. The caller side
//! logs in any USER with password "pw" and serves two small messages.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::pop3::{Credentials, Flow, MessageInfo, Pop3Server, ServerConfig, ServerEvent, Uid};
use wirestate::{Instant, Machine};

const MESSAGES: [&[u8]; 2] = [b"Subject: a\r\n\r\n.body\r\n", b"Subject: b\n\nx\ny\n"];

fn answer(s: &mut Pop3Server, e: &ServerEvent) {
    match e {
        ServerEvent::Authenticate(Credentials::User { password, .. })
            if password.as_bytes() == b"pw" =>
        {
            let listing = MESSAGES
                .iter()
                .enumerate()
                .map(|(i, m)| MessageInfo {
                    octets: m.len() as u64,
                    uid: Uid::new(&format!("u{i}")).unwrap(),
                })
                .collect();
            s.accept_login(listing).unwrap();
        }
        ServerEvent::Authenticate(_) => s.reject_login(None, "no").unwrap(),
        ServerEvent::Retrieve(n) | ServerEvent::Top { msg: n, .. } => {
            for c in MESSAGES[n.index()].chunks(3) {
                if s.message_data(c).unwrap() == Flow::Enough {
                    break;
                }
            }
            s.message_end().unwrap();
        }
        ServerEvent::Update { .. } => s.finish_update(true).unwrap(),
        _ => {}
    }
}

fn run(input: &[u8], cut: usize, stls: bool) -> (Vec<u8>, Vec<String>) {
    let config = ServerConfig {
        stls,
        ..ServerConfig::default()
    };
    let mut s = Pop3Server::new(config).unwrap();
    let mut out = Vec::new();
    let mut events = Vec::new();
    for piece in [&input[..cut], &input[cut..]] {
        s.handle_input(Instant::ZERO, piece);
        while let Some(e) = s.poll_event() {
            answer(&mut s, &e);
            events.push(format!("{e:?}"));
        }
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
    }
    s.handle_eof(Instant::ZERO);
    while let Some(e) = s.poll_event() {
        answer(&mut s, &e);
        events.push(format!("{e:?}"));
    }
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    assert!(s.is_closed());
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

//! POP3 client machine: any server bytes, split at a fuzzer-chosen point, never panic,
//! and give the same events (RETR/TOP data joined, as its piece sizes follow the reads)
//! and the same commands as the bytes in one piece; `Closed` is the last event, exactly
//! once. A challenge is answered, so AUTH paths are reached.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::pop3::{Client, ClientConfig, ClientEvent, MessageNumber};
use wirestate::{Instant, Machine};

fn run(input: &[u8], cut: usize) -> (Vec<String>, Vec<u8>) {
    let mut c = Client::new(ClientConfig::default());
    let one = MessageNumber::new(1).unwrap();
    c.capa().unwrap();
    c.auth_plain("", "u", "p").unwrap();
    c.stat().unwrap();
    c.list(None).unwrap();
    c.uidl(Some(one)).unwrap();
    c.retr(one).unwrap();
    c.top(one, 1).unwrap();
    c.quit().unwrap();
    let mut events = Vec::new();
    let mut data = Vec::new();
    let mut out = Vec::new();
    let push = |e: ClientEvent, events: &mut Vec<String>, data: &mut Vec<u8>| match e {
        ClientEvent::Challenge { data: d, .. } => {
            if !data.is_empty() {
                events.push(format!("Data({data:?})"));
                data.clear();
            }
            events.push(format!("Challenge({d:?})"));
        }
        ClientEvent::Data(b) => data.extend_from_slice(&b),
        e => {
            if !data.is_empty() {
                events.push(format!("Data({data:?})"));
                data.clear();
            }
            events.push(format!("{e:?}"));
        }
    };
    for piece in [&input[..cut], &input[cut..]] {
        c.handle_input(Instant::ZERO, piece);
        while let Some(e) = c.poll_event() {
            if let ClientEvent::Challenge { decision, .. } = e {
                c.auth_response(decision, "x").unwrap();
                events.push("Challenge".into());
                continue;
            }
            push(e, &mut events, &mut data);
        }
        while let Some(b) = c.poll_transmit() {
            out.extend_from_slice(&b);
        }
    }
    c.handle_eof(Instant::ZERO);
    while let Some(e) = c.poll_event() {
        push(e, &mut events, &mut data);
    }
    if !data.is_empty() {
        events.push(format!("Data({data:?})"));
    }
    assert!(c.is_closed());
    assert_eq!(events.iter().filter(|e| e.starts_with("Closed(")).count(), 1);
    assert!(events.last().is_some_and(|e| e.starts_with("Closed(")));
    (events, out)
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, input)) = data.split_first() else {
        return;
    };
    let cut = ctl as usize % (input.len() + 1);
    assert_eq!(run(input, cut), run(input, input.len()));
});

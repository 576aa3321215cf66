//! Client side: any bytes after a GET (or HEAD), cut anywhere, never panic, and the
//! events (data merged) do not depend on the cut. Taking heads in place
//! (`poll_response_ref`, as the owned head they copy out to) changes nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::http::{Client, ClientConfig, ClientEvent, Limits, Method, RequestHead};
use wirestate::{Instant, Machine};

fn run(input: &[u8], cut: usize, head: bool, limits: Limits, in_place: bool) -> Vec<String> {
    let mut config = ClientConfig::default();
    config.limits = limits;
    let mut c = Client::new(config);
    for _ in 0..2 {
        let method = if head { Method::Head } else { Method::Get };
        let mut r = RequestHead::new(method, "/").unwrap();
        r.headers.append("Host", "a").unwrap();
        c.send_request(r).unwrap();
        c.send_end().unwrap();
    }
    let mut evs: Vec<String> = Vec::new();
    let mut data = Vec::new();
    let cut = cut.min(input.len());
    let pump = |c: &mut Client, evs: &mut Vec<String>, data: &mut Vec<u8>| loop {
        let taken = if in_place {
            c.poll_response_ref().map(|r| ClientEvent::Response(r.to_head()))
        } else {
            None
        };
        let Some(e) = taken.or_else(|| c.poll_event()) else {
            break;
        };
        match e {
            ClientEvent::Data(d) | ClientEvent::Tunnel(d) => data.extend_from_slice(&d),
            other => {
                if !data.is_empty() {
                    evs.push(format!("data {:?}", std::mem::take(data)));
                }
                evs.push(format!("{other:?}"));
            }
        }
    };
    for piece in [&input[..cut], &input[cut..]] {
        c.handle_input(Instant::ZERO, piece);
        pump(&mut c, &mut evs, &mut data);
    }
    c.handle_eof(Instant::ZERO);
    pump(&mut c, &mut evs, &mut data);
    if !data.is_empty() {
        evs.push(format!("data {data:?}"));
    }
    evs
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let mut limits = Limits::default();
    limits.allow_bare_lf = data[0] & 1 == 1;
    limits.max_head = 64 + data[0] as usize * 8;
    let head = data[0] & 2 == 2;
    let input = &data[2..];
    let whole = run(input, input.len(), head, limits, false);
    let cut = data[1] as usize * input.len() / 256;
    assert_eq!(whole, run(input, cut, head, limits, false));
    assert_eq!(whole, run(input, cut, head, limits, true));
});

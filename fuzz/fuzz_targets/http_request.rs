//! Server side: any bytes, cut at any point, never panic; events (with body data and
//! tunnel bytes merged) and everything the server answers do not depend on the cut.
//! The server answers each complete request so pipelined input keeps being parsed.
//! Taking heads in place (`poll_request_ref`) where it gives them changes nothing.
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate::http::{Limits, ResponseHead, Server, ServerConfig, ServerEvent, StatusCode};
use wirestate::{Instant, Machine};

#[derive(Debug, PartialEq)]
enum Ev {
    Head(Vec<u8>, usize),
    Data(Vec<u8>),
    Other(String),
}

fn run(input: &[u8], cut: usize, limits: Limits, in_place: bool) -> (Vec<Ev>, Vec<u8>) {
    let mut config = ServerConfig::default();
    config.limits = limits;
    let mut s = Server::new(config);
    let mut evs: Vec<Ev> = Vec::new();
    let mut out = Vec::new();
    let cut = cut.min(input.len());
    let pump = |s: &mut Server, evs: &mut Vec<Ev>, out: &mut Vec<u8>| {
        loop {
            if in_place {
                let head = s
                    .poll_request_ref()
                    .map(|r| Ev::Head(r.target().to_vec(), r.headers().count()));
                if let Some(head) = head {
                    evs.push(head);
                    continue;
                }
            }
            let Some(e) = s.poll_event() else { break };
            match e {
                ServerEvent::Request { head: r, .. } => {
                    evs.push(Ev::Head(r.target.as_bytes().to_vec(), r.headers.len()))
                }
                ServerEvent::Data(d) | ServerEvent::Tunnel(d) => match evs.last_mut() {
                    Some(Ev::Data(acc)) => acc.extend_from_slice(&d),
                    _ => evs.push(Ev::Data(d.to_vec())),
                },
                ServerEvent::Continue(d) => {
                    s.send_continue(d).unwrap();
                    evs.push(Ev::Other("continue".into()));
                }
                ServerEvent::End { trailers: t } => {
                    let _ = s.respond(ResponseHead::new(StatusCode::OK), Bytes::from_static(b"ok"));
                    evs.push(Ev::Other(format!("end {t:?}")));
                }
                other => evs.push(Ev::Other(format!("{other:?}"))),
            }
        }
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
    };
    for piece in [&input[..cut], &input[cut..]] {
        s.handle_input(Instant::ZERO, piece);
        pump(&mut s, &mut evs, &mut out);
    }
    s.handle_eof(Instant::ZERO);
    pump(&mut s, &mut evs, &mut out);
    (evs, out)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let mut limits = Limits::default();
    limits.allow_bare_lf = data[0] & 1 == 1;
    limits.max_head = 64 + data[0] as usize * 8;
    limits.max_headers = 4 + (data[0] >> 4) as usize;
    limits.max_chunk_ext = 8 + data[1] as usize % 64;
    let input = &data[2..];
    let whole = run(input, input.len(), limits, false);
    let cut = data[1] as usize * input.len() / 256;
    assert_eq!(whole, run(input, cut, limits, false));
    assert_eq!(whole, run(input, cut, limits, true));
});

//! Structured HTTP requests from `wirestate::generate`: a valid request sent by our
//! client is read back by our server as the same head, body and trailers, whole and cut
//! at a fuzzed position; an invalid one is refused with exactly the error its flaw calls
//! for, and nothing else.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::generate::http::Request;
use wirestate::generate::Case;
use wirestate::http::{Headers, RequestHead, Server, ServerConfig, ServerEvent};
use wirestate::{Instant, Machine};

/// Every request with its joined body and trailers, and every error kind, after feeding
/// `wire` cut at `cut`.
fn serve(wire: &[u8], cut: usize) -> (Vec<(RequestHead, Vec<u8>, Headers)>, Vec<String>) {
    let mut s = Server::new(ServerConfig::default());
    let (mut seen, mut errors) = (Vec::new(), Vec::new());
    let mut current: Option<(RequestHead, Vec<u8>)> = None;
    let cut = cut.min(wire.len());
    for piece in [&wire[..cut], &wire[cut..]] {
        s.handle_input(Instant::ZERO, piece);
        while let Some(e) = s.poll_event() {
            match e {
                ServerEvent::Request { head, .. } => current = Some((head, Vec::new())),
                ServerEvent::Data(d) => current.as_mut().expect("data in a request").1.extend_from_slice(&d),
                ServerEvent::End { trailers } => {
                    let (head, body) = current.take().expect("end of a request");
                    seen.push((head, body, trailers));
                }
                ServerEvent::Error(e) => errors.push(format!("{:?}", e.kind)),
                _ => {}
            }
        }
        while s.poll_transmit().is_some() {}
    }
    (seen, errors)
}

fuzz_target!(|input: (Case<Request>, u16)| {
    let (case, cut) = input;
    match case {
        Case::Valid(req) => {
            let wire = req.encode();
            for at in [wire.len(), usize::from(cut) % (wire.len() + 1)] {
                let (seen, errors) = serve(&wire, at);
                assert!(errors.is_empty(), "{errors:?} for {req:?}");
                assert_eq!(seen, [(req.head.clone(), req.body_bytes(), req.trailers.clone())]);
            }
        }
        Case::Invalid(bad) => {
            let (_, errors) = serve(&bad.wire, usize::from(cut));
            assert_eq!(errors, [format!("{:?}", bad.expect)], "{bad:?}");
        }
    }
});

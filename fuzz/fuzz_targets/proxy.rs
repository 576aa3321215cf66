//! PROXY protocol headers: any bytes, under every `Accept`, never panic; a decision made
//! on a prefix (a header or an error) is the decision on the whole input; and the layer
//! hands the machine exactly the bytes after the header, however the input is cut.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::proxy::{decode, Accept, Config, Decoded, Proxied};
use wirestate::{Instant, Machine};

/// A machine that records every byte it is given.
#[derive(Default)]
struct Record(Vec<u8>);

impl Machine for Record {
    type Event = ();
    fn handle_input(&mut self, _: Instant, b: &[u8]) {
        self.0.extend_from_slice(b)
    }
    fn handle_eof(&mut self, _: Instant) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_event(&mut self) -> Option<()> {
        None
    }
    fn poll_transmit(&mut self) -> Option<bytes::Bytes> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn is_closed(&self) -> bool {
        false
    }
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let accept = [Accept::Any, Accept::V1, Accept::V2][data[0] as usize % 3];
    let input = &data[1..];
    let whole = decode(input, accept);
    let cut = data[0] as usize % (input.len() + 1);
    match decode(&input[..cut], accept) {
        Ok(Decoded::Partial) => {}
        early => assert_eq!(early, whole),
    }
    let mut config = Config::default();
    config.accept = accept;
    let mut layer = Proxied::new(Record::default(), config);
    layer.handle_input(Instant::ZERO, &input[..cut]);
    layer.handle_input(Instant::ZERO, &input[cut..]);
    match whole {
        Ok(Decoded::Header { len, .. }) => {
            assert!(layer.header().is_some());
            assert_eq!(&layer.0[..], &input[len..]);
        }
        Ok(Decoded::Partial) => assert!(layer.header().is_none() && layer.error().is_none()),
        Err(e) => assert_eq!(layer.error(), Some(&e)),
    }
});

//! Client machine: any server bytes, split anywhere, never panic, whatever the client
//! is doing (sending, streaming a body, switching to TLS, quitting); `Closed` comes at
//! most once and last.
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate::smtp::{
    Client, ClientConfig, ClientEvent, Credentials, Envelope, ForwardPath, ReversePath,
};
use wirestate::{Instant, Machine};

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, input)) = data.split_first() else {
        return;
    };
    let mut cfg = ClientConfig::default();
    cfg.lmtp = ctl & 1 == 1;
    cfg.pipelining = ctl & 2 == 0;
    cfg.chunking = ctl & 4 == 0;
    cfg.starttls = ctl & 8 == 0;
    if ctl & 16 == 0 {
        cfg.credentials = Some(Credentials::new("u", "p"));
        cfg.auth_without_tls = true;
    }
    let mut c = Client::new(cfg);
    let mut sent = 0;
    let mut closed = 0;
    let mut chunks = 0;
    let cut = (ctl as usize * 31) % (input.len() + 1);
    let mut step = |c: &mut Client, closed: &mut usize| {
        while let Some(ev) = c.poll_event() {
            assert_eq!(*closed, 0, "an event after Closed");
            match ev {
                ClientEvent::Ready if sent < 2 => {
                    sent += 1;
                    let env = Envelope::new(
                        ReversePath::Null,
                        vec![ForwardPath::Postmaster, ForwardPath::Postmaster],
                    );
                    let _ = c.send_mail(env);
                }
                ClientEvent::Ready => {
                    let _ = c.quit();
                }
                ClientEvent::Closed(_) => *closed += 1,
                _ => {}
            }
            while c.wants_body() {
                chunks += 1;
                let r = if ctl & 32 == 0 || chunks > 3 {
                    c.send_last(Bytes::from_static(b"a\r\n.b\n"))
                } else {
                    c.send_data(Bytes::from_static(b"a\r\n.b\r"))
                };
                assert!(r.is_ok());
            }
            if c.wants_tls() {
                c.handle_tls_established(Instant::ZERO);
            }
        }
        while c.poll_transmit().is_some() {}
    };
    for (i, piece) in [&input[..cut], &input[cut..]].into_iter().enumerate() {
        c.handle_input(Instant::from_millis(i as u64), piece);
        step(&mut c, &mut closed);
    }
    c.handle_timeout(Instant::from_millis(u64::MAX));
    c.handle_eof(Instant::from_millis(u64::MAX));
    step(&mut c, &mut closed);
    assert!(closed <= 1);
});

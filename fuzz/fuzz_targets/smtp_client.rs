//! Client machine: any server bytes, split anywhere, never panic, whatever the client
//! is doing (sending, streaming a body, quitting).
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::smtp::{ClientConfig, ClientEvent, Credentials, Envelope, ForwardPath, ReversePath, SmtpClient};
use wirestate::{Instant, Machine};

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, input)) = data.split_first() else { return };
    let mut cfg = ClientConfig::new("c.example").unwrap();
    cfg.lmtp = ctl & 1 == 1;
    cfg.pipelining = ctl & 2 == 0;
    cfg.chunking = ctl & 4 == 0;
    cfg.starttls = ctl & 8 == 0;
    if ctl & 16 == 0 {
        cfg.credentials = Some(Credentials::new("u", "p"));
        cfg.auth_without_tls = true;
    }
    let mut c = SmtpClient::new(cfg);
    let mut sent = 0;
    let cut = (ctl as usize * 31) % (input.len() + 1);
    for (i, piece) in [&input[..cut], &input[cut..]].into_iter().enumerate() {
        c.handle_input(Instant::from_millis(i as u64), piece);
        while let Some(ev) = c.poll_event() {
            match ev {
                ClientEvent::Ready if sent < 2 => {
                    sent += 1;
                    let env = Envelope::new(ReversePath::Null, vec![ForwardPath::Postmaster, ForwardPath::Postmaster]);
                    let _ = c.send_mail(env);
                }
                ClientEvent::Ready => {
                    let _ = c.quit();
                }
                ClientEvent::StartTls => {
                    let _ = c.tls_established();
                }
                ClientEvent::SendBody => {
                    while c.can_send_body() && c.send_body(b"a\r\n.b\n").is_ok() && ctl & 32 == 0 {
                        if c.end_body().is_ok() {
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        while c.poll_transmit().is_some() {}
    }
    c.handle_timeout(Instant::from_millis(u64::MAX));
    c.handle_eof(Instant::from_millis(u64::MAX));
    while c.poll_event().is_some() {}
});

//! Differential: each server machine (greeting in both framings, HTTP, SMTP, POP3) fed
//! the same client bytes once whole and once cut at up to eight fuzzer-chosen points
//! must give the same events (body and message data merged, since a chunk boundary is
//! the split's own) and the same output bytes. The greeting server has no decisions and
//! goes through the kit's `testing::feed_cut`; the others are answered the same way on
//! both runs. STARTTLS/STLS are not offered: after a switch the bytes are a TLS stream,
//! which `tls_handoff` covers. The classic greeting chunk framing is excluded by design
//! (one read is one message there).
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate::testing::feed_cut;
use wirestate::{greeting, http, pop3, smtp, Instant, Machine};

/// One comparable record: merged data, or an event's Debug form.
#[derive(Debug, PartialEq)]
enum Seen {
    Data(Vec<u8>),
    Event(String),
}

fn push_data(seen: &mut Vec<Seen>, d: &[u8]) {
    match seen.last_mut() {
        Some(Seen::Data(acc)) => acc.extend_from_slice(d),
        _ => seen.push(Seen::Data(d.to_vec())),
    }
}

/// Answers one event the same way on every run and records it.
trait Answer: Machine {
    fn answer(&mut self, e: Self::Event, seen: &mut Vec<Seen>);
}

impl Answer for http::Server {
    fn answer(&mut self, e: http::ServerEvent, seen: &mut Vec<Seen>) {
        use http::ServerEvent as E;
        match e {
            E::Data(d) | E::Tunnel(d) => push_data(seen, &d),
            E::Continue(d) => {
                seen.push(Seen::Event("continue".into()));
                let _ = self.send_continue(d);
            }
            E::End { trailers } => {
                seen.push(Seen::Event(format!("end {trailers:?}")));
                let head = http::ResponseHead::new(http::StatusCode::OK);
                let _ = self.respond(head, Bytes::from_static(b"ok"));
            }
            other => seen.push(Seen::Event(format!("{other:?}"))),
        }
    }
}

impl Answer for smtp::Server {
    fn answer(&mut self, e: smtp::ServerEvent, seen: &mut Vec<Seen>) {
        use smtp::ServerEvent as E;
        if let E::Data(d) = &e {
            return push_data(seen, d);
        }
        if let E::Aborted(_) = &e {
            // An abort may be found at a different byte of the same data depending on
            // the split; what was streamed before it is not compared.
            while matches!(seen.last(), Some(Seen::Data(_))) {
                seen.pop();
            }
        }
        seen.push(Seen::Event(format!("{e:?}")));
        let no = || smtp::Reply::new(550, "no").unwrap();
        let _ = match e {
            E::Hello { decision, .. } => self.accept(decision),
            E::Mail { decision, .. } => self.accept(decision),
            E::Rcpt { decision, to, .. } if to.to_string().contains('x') => {
                self.reject(decision, no())
            }
            E::Rcpt { decision, .. } => self.accept(decision),
            E::DataStart { decision, .. } => self.accept(decision),
            E::End { decision, .. } => self.accept(decision),
            E::Verify { decision, .. } => self.reject(decision, no()),
            E::Auth {
                decision,
                credentials,
                ..
            } if credentials.matches("u", b"ok") => self.accept(decision),
            E::Auth { decision, .. } => self.reject(decision, smtp::Reply::new(535, "no").unwrap()),
            _ => Ok(()),
        };
    }
}

const MESSAGES: [&[u8]; 2] = [b"Subject: a\r\n\r\nbody\r\n.dot\r\n", b"x\n\n.\nbare\n"];

impl Answer for pop3::Server {
    fn answer(&mut self, e: pop3::ServerEvent, seen: &mut Vec<Seen>) {
        use pop3::ServerEvent as E;
        seen.push(Seen::Event(format!("{e:?}")));
        let _ = match e {
            E::Login {
                credentials: pop3::Credentials::User { password, .. },
                decision,
            } if password.expose() == b"pw" => {
                let listing = MESSAGES
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let uid = pop3::Uid::new(&format!("u{i}")).unwrap();
                        pop3::MessageInfo::new(m.len() as u64, uid)
                    })
                    .collect();
                self.accept_login(decision, listing)
            }
            E::Login { decision, .. } => {
                let no = pop3::Text::new("no").unwrap();
                self.reject_login(decision, Some(pop3::ResponseCode::Auth), no)
            }
            E::Retrieve { msg, decision } | E::Top { msg, decision, .. } => {
                let _ = self.start_message(decision);
                for c in MESSAGES[msg.index() % 2].chunks(3) {
                    if !self.wants_body() {
                        break;
                    }
                    let _ = self.send_data(Bytes::from_static(c));
                }
                if self.wants_body() {
                    self.send_end()
                } else {
                    Ok(())
                }
            }
            E::Update { decision, .. } => self.finish_update(decision, true),
            _ => Ok(()),
        };
    }
}

/// Feeds `input` cut at `cuts`, answering every event; then EOF, then every timer
/// (a held failed-login answer, the idle wait) until the machine closes.
fn run<M: Answer>(mut m: M, input: &[u8], cuts: &[usize]) -> (Vec<Seen>, Vec<u8>) {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let pump = |m: &mut M, seen: &mut Vec<Seen>, out: &mut Vec<u8>| {
        while let Some(e) = m.poll_event() {
            m.answer(e, seen);
        }
        while let Some(b) = m.poll_transmit() {
            out.extend_from_slice(&b);
        }
    };
    pump(&mut m, &mut seen, &mut out);
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&input.len())) {
        let c = c.clamp(start, input.len());
        if c > start {
            m.handle_input(Instant::ZERO, &input[start..c]);
            pump(&mut m, &mut seen, &mut out);
        }
        start = c;
    }
    m.handle_eof(Instant::ZERO);
    pump(&mut m, &mut seen, &mut out);
    let mut now = Instant::ZERO;
    for _ in 0..8 {
        let Some(d) = m.poll_timeout() else { break };
        now = now.max(d);
        m.handle_timeout(now);
        pump(&mut m, &mut seen, &mut out);
    }
    (seen, out)
}

fn compare<M: Answer>(make: impl Fn() -> M, input: &[u8], cuts: &[usize]) {
    let whole = run(make(), input, &[]);
    let split = run(make(), input, cuts);
    assert_eq!(whole, split, "cut at {cuts:?}");
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let n = (data[1] % 9) as usize;
    if data.len() < 2 + n {
        return;
    }
    let (ctl, input) = data.split_at(2 + n);
    let mut cuts: Vec<usize> = ctl[2..]
        .iter()
        .map(|&b| b as usize * input.len() / 255)
        .collect();
    cuts.sort_unstable();
    match ctl[0] % 4 {
        0 => {
            let make = || {
                let mut c = greeting::ServerConfig::new(greeting::Framing::Line);
                c.limits.max_message = 16 + (ctl[0] >> 2) as usize;
                greeting::Server::new(c)
            };
            assert_eq!(feed_cut(make(), input, &[]), feed_cut(make(), input, &cuts));
        }
        1 => compare(
            || {
                let mut c = http::ServerConfig::default();
                c.limits.max_head = 64 + (ctl[0] >> 2) as usize * 16;
                c.limits.allow_bare_lf = ctl[0] & 0x80 != 0;
                http::Server::new(c)
            },
            input,
            &cuts,
        ),
        2 => compare(
            || {
                let mut c = smtp::ServerConfig::default();
                c.lmtp = ctl[0] & 0x10 != 0;
                c.max_message_size = Some(4096);
                c.auth = vec![smtp::AuthMechanism::Plain, smtp::AuthMechanism::Login];
                c.auth_without_tls = true;
                c.limits.max_recipients = 4;
                c.limits.max_failed_logins = 1 + (ctl[0] >> 5) as usize;
                c.limits.allow_bare_lf = ctl[0] & 0x80 != 0;
                smtp::Server::new(c)
            },
            input,
            &cuts,
        ),
        _ => compare(
            || {
                let mut c = pop3::ServerConfig::default();
                c.apop_timestamp = Some(pop3::Timestamp::new("<1.2@x>").unwrap());
                c.limits.max_failed_logins = 1 + (ctl[0] >> 5) as usize;
                pop3::Server::new(c)
            },
            input,
            &cuts,
        ),
    }
});

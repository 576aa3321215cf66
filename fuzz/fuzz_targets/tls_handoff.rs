//! The TLS handoff points: the SMTP and POP3 server and client machines fed plaintext,
//! with STARTTLS/STLS wherever the input puts it, cut where the fuzzer says, and
//! `handle_tls_established` called at fuzzer-chosen moments (when a switch is due and
//! when it is not). Never a panic, and:
//! * while a switch is due nothing more is transmitted, and bytes fed then never decode
//!   into an event (a server drops them; a client may only fail with `TlsInjection`):
//!   RFC 3207 4.2, RFC 2595 section 4, CVE-2011-0411;
//! * right after the switch, before more input, no event comes from bytes buffered
//!   before it;
//! * `Closed` comes exactly once, last.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::{pop3, smtp, Instant, Machine};

/// What an event was, for the invariants.
#[derive(Debug, PartialEq)]
enum Seen {
    Closed,
    /// The client's error for plaintext behind the switch.
    Injection,
    /// An error event (followed by `Closed`).
    Error,
    Other,
}

/// Answers one event of a machine (every decision, positively where it moves the session
/// towards the switch) and says what it was.
trait Role: Machine {
    fn handle(&mut self, e: Self::Event) -> Seen;
}

impl Role for smtp::Server {
    fn handle(&mut self, e: smtp::ServerEvent) -> Seen {
        use smtp::ServerEvent as E;
        let _ = match e {
            E::Closed(_) => return Seen::Closed,
            E::Error(_) => return Seen::Error,
            E::Hello { decision, .. } => self.accept(decision),
            E::Mail { decision, .. } => self.accept(decision),
            E::Rcpt { decision, .. } => self.accept(decision),
            E::DataStart { decision, .. } => self.accept(decision),
            E::End { decision, .. } => self.accept(decision),
            E::StartTls { decision } => self.accept(decision),
            E::Verify { decision, .. } => self.accept(decision),
            E::Auth { decision, .. } => self.accept(decision),
            _ => Ok(()),
        };
        Seen::Other
    }
}

impl Role for smtp::Client {
    fn handle(&mut self, e: smtp::ClientEvent) -> Seen {
        match e {
            smtp::ClientEvent::Closed(_) => Seen::Closed,
            smtp::ClientEvent::Error(e) if e.kind == smtp::ErrorKind::TlsInjection => {
                Seen::Injection
            }
            smtp::ClientEvent::Error(_) => Seen::Error,
            _ => Seen::Other,
        }
    }
}

impl Role for pop3::Server {
    fn handle(&mut self, e: pop3::ServerEvent) -> Seen {
        use pop3::ServerEvent as E;
        let _ = match e {
            E::Closed(_) => return Seen::Closed,
            E::Error(_) => return Seen::Error,
            E::Login { decision, .. } => self.accept_login(decision, Vec::new()),
            E::Retrieve { decision, .. } | E::Top { decision, .. } => {
                let no = pop3::Text::new("no").unwrap();
                self.message_unavailable(decision, None, no)
            }
            E::Update { decision, .. } => self.finish_update(decision, true),
            _ => Ok(()),
        };
        Seen::Other
    }
}

impl Role for pop3::Client {
    fn handle(&mut self, e: pop3::ClientEvent) -> Seen {
        match e {
            pop3::ClientEvent::Closed(_) => Seen::Closed,
            pop3::ClientEvent::Error(e) if e.kind == pop3::ErrorKind::TlsInjection => {
                Seen::Injection
            }
            pop3::ClientEvent::Error(_) => Seen::Error,
            _ => Seen::Other,
        }
    }
}

fn events<M: Role>(m: &mut M, seen: &mut Vec<Seen>) -> usize {
    let before = seen.len();
    while let Some(e) = m.poll_event() {
        seen.push(m.handle(e));
    }
    seen.len() - before
}

fn transmit<M: Machine>(m: &mut M) {
    while m.poll_transmit().is_some() {}
}

/// Feeds `input` in pieces whose sizes and extra actions come from `ctl`.
fn drive<M: Role>(mut m: M, ctl: &[u8], input: &[u8]) {
    let mut seen = Vec::new();
    let mut now = Instant::ZERO;
    let mut pos = 0;
    events(&mut m, &mut seen);
    transmit(&mut m);
    for &c in ctl.iter().cycle().take(4 * input.len() + 8) {
        if pos >= input.len() {
            break;
        }
        let due = m.wants_tls();
        if due {
            assert!(m.poll_transmit().is_none(), "bytes queued while a switch is due");
        }
        let end = (pos + (c & 0x0f) as usize + 1).min(input.len());
        m.handle_input(now, &input[pos..end]);
        pos = end;
        let before = seen.len();
        events(&mut m, &mut seen);
        if due {
            // Plaintext behind the switch: a server drops it silently, a client can only
            // call it an injection (then Closed).
            for s in &seen[before..] {
                assert!(
                    matches!(s, Seen::Injection | Seen::Closed),
                    "an event from bytes fed while a switch was due: {s:?}"
                );
            }
        }
        transmit(&mut m);
        if c & 0x10 != 0 {
            let was_due = m.wants_tls();
            m.handle_tls_established(now);
            let n = events(&mut m, &mut seen);
            if was_due {
                assert_eq!(n, 0, "an event from bytes buffered before the switch");
                assert!(!m.wants_tls(), "still asking for TLS after the switch");
            }
            transmit(&mut m);
        }
        if c & 0x20 != 0 {
            now = now + core::time::Duration::from_secs(1);
            m.handle_timeout(now);
            events(&mut m, &mut seen);
            transmit(&mut m);
        }
        if c & 0x40 != 0 && m.wants_tls() {
            // The peer wrote ahead of the handshake: that must not surface either.
            let before = seen.len();
            m.handle_input(now, b"NOOP\r\nQUIT\r\n+OK injected\r\n250 injected\r\n");
            events(&mut m, &mut seen);
            assert!(
                seen[before..]
                    .iter()
                    .all(|s| matches!(s, Seen::Injection | Seen::Closed)),
                "injected plaintext surfaced: {:?}",
                &seen[before..]
            );
            transmit(&mut m);
        }
    }
    m.handle_eof(now);
    events(&mut m, &mut seen);
    // A machine that still waits on a held answer or a timer is given the time.
    for _ in 0..4 {
        if let Some(d) = m.poll_timeout() {
            now = now.max(d);
            m.handle_timeout(now);
            events(&mut m, &mut seen);
        }
    }
    transmit(&mut m);
    let closed = seen.iter().filter(|s| **s == Seen::Closed).count();
    if m.is_closed() {
        assert_eq!(closed, 1, "{seen:?}");
        assert_eq!(seen.last(), Some(&Seen::Closed));
    } else {
        assert_eq!(closed, 0, "{seen:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (ctl, input) = data.split_at(3);
    match ctl[0] % 4 {
        0 => {
            let mut c = smtp::ServerConfig::default();
            c.starttls = true;
            c.auth = vec![smtp::AuthMechanism::Plain, smtp::AuthMechanism::Login];
            c.auth_without_tls = ctl[0] & 0x10 != 0;
            drive(smtp::Server::new(c), &ctl[1..], input);
        }
        1 => {
            let mut c = smtp::ClientConfig::default();
            c.starttls = true;
            if ctl[0] & 0x10 != 0 {
                c.credentials = Some(smtp::Credentials::new("u", "p"));
            }
            drive(smtp::Client::new(c), &ctl[1..], input);
        }
        2 => {
            let mut c = pop3::ServerConfig::default();
            c.stls = true;
            c.login_requires_tls = ctl[0] & 0x10 != 0;
            drive(pop3::Server::new(c), &ctl[1..], input);
        }
        _ => {
            let mut c = pop3::Client::new(pop3::ClientConfig::default());
            let _ = c.capa();
            let _ = c.stls();
            if ctl[0] & 0x10 != 0 {
                let _ = c.user("u");
            }
            drive(c, &ctl[1..], input);
        }
    }
});

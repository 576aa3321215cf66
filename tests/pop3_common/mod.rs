//! The POP3 test harness: transcripts, an MD5 for APOP, and the caller side of a server
//! (a two-message maildrop with user "mrose", secret "tanstaaf").
#![allow(dead_code)]

use bytes::Bytes;
use wirestate::pop3::*;
use wirestate::{Instant, Machine};

use super::common::{drain_bytes, Side, Transcript};

// ---------------------------------------------------------------------------------------
// MD5 (RFC 1321), only to check APOP digests the way a real caller would.

pub fn md5(input: &[u8]) -> [u8; 16] {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: Vec<u32> = (0..64)
        .map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32)
        .collect();
    let mut msg = input.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((input.len() as u64).wrapping_mul(8)).to_le_bytes());
    let mut h: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    for chunk in msg.chunks(64) {
        let m: Vec<u32> = chunk
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = h;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let t = d;
            d = c;
            c = b;
            b = b.wrapping_add(
                a.wrapping_add(f)
                    .wrapping_add(k[i])
                    .wrapping_add(m[g])
                    .rotate_left(S[i]),
            );
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 16];
    for (i, w) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    out
}

// ---------------------------------------------------------------------------------------
// Transcripts (loaded by the one loader, `common::Transcript`).

/// The messages a transcript retrieves with RETR, unstuffed, by message number.
pub fn messages_of(t: &Transcript) -> Vec<Vec<u8>> {
    let lines = &t.lines;
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].0 == Side::C && lines[i].1.starts_with(b"RETR ") {
            let mut m = Vec::new();
            i += 2; // the +OK line
            while lines[i].1 != b".\r\n" {
                let l = &lines[i].1;
                m.extend_from_slice(if l.starts_with(b"..") { &l[1..] } else { l });
                i += 1;
            }
            out.push(m);
        }
        i += 1;
    }
    out
}

/// The caller side every server test uses: user mrose, password or APOP secret
/// "tanstaaf", a maildrop of `messages`, streamed in `piece`-octet reads.
pub struct Store {
    pub messages: Vec<Vec<u8>>,
    pub uids: Vec<&'static str>,
    pub removed: Option<Vec<MessageNumber>>,
    pub locked: bool,
    pub piece: usize,
}

impl Store {
    pub fn new(messages: Vec<Vec<u8>>) -> Store {
        Store {
            messages,
            // RFC 1939 section 7's UIDL example ids.
            uids: vec!["whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7"],
            removed: None,
            locked: false,
            piece: 64,
        }
    }

    /// Whether these credentials are mrose's.
    pub fn check(c: &Credentials) -> bool {
        match c {
            Credentials::User { name, password } => {
                name.as_bytes() == b"mrose" && password.expose() == b"tanstaaf"
            }
            Credentials::Apop {
                name,
                digest,
                timestamp,
            } => {
                let mut input = timestamp.to_vec();
                input.extend_from_slice(b"tanstaaf");
                name.as_bytes() == b"mrose" && *digest == Digest::from_md5(md5(&input))
            }
            Credentials::Plain(p) => {
                &p.authcid[..] == b"mrose" && p.password.expose() == b"tanstaaf"
            }
            _ => false,
        }
    }

    pub fn listing(&self) -> Vec<MessageInfo> {
        self.messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                MessageInfo::new(
                    m.len() as u64,
                    Uid::new(self.uids.get(i).copied().unwrap_or("extra")).unwrap(),
                )
            })
            .collect()
    }

    /// Answers every decision the way a maildrop store does, streaming a retrieved
    /// message in `piece`-octet chunks for as long as the machine wants them.
    pub fn handle(&mut self, s: &mut Server, e: ServerEvent) {
        match e {
            ServerEvent::Login {
                credentials,
                decision,
            } => {
                if !Store::check(&credentials) {
                    s.reject_login(
                        decision,
                        Some(ResponseCode::Auth),
                        Text::new("invalid user name or password").unwrap(),
                    )
                    .unwrap();
                } else if self.locked {
                    s.reject_login(
                        decision,
                        Some(ResponseCode::InUse),
                        Text::new("maildrop already locked").unwrap(),
                    )
                    .unwrap();
                } else {
                    s.accept_login(decision, self.listing()).unwrap();
                }
            }
            ServerEvent::Retrieve { msg, decision } | ServerEvent::Top { msg, decision, .. } => {
                s.start_message(decision).unwrap();
                let m = self.messages[msg.index()].clone();
                for c in m.chunks(self.piece) {
                    if !s.wants_body() {
                        break;
                    }
                    s.send_data(Bytes::copy_from_slice(c)).unwrap();
                }
                if s.wants_body() {
                    s.send_end().unwrap();
                }
            }
            ServerEvent::Update { deleted, decision } => {
                self.removed = Some(deleted);
                s.finish_update(decision, true).unwrap();
            }
            _ => {}
        }
    }
}

pub fn s10_config() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.apop_timestamp = Some(Timestamp::new("<1896.697170952@dbc.mtview.ca.us>").unwrap());
    c.server_name = Text::new("dewey").unwrap();
    // The RFC's exchanges show no delay; tests/auth_limits.rs covers the held answers.
    c.timeouts.failed_login_delay = None;
    c
}

/// Feeds `input` to a server cut into `cuts`-sized pieces, answering events with `store`.
pub fn run_server(config: ServerConfig, store: &mut Store, input: &[u8], piece: usize) -> Vec<u8> {
    let mut s = Server::new(config);
    let mut out = drain_bytes(&mut s);
    for c in input.chunks(piece.max(1)) {
        s.handle_input(Instant::ZERO, c);
        while let Some(e) = s.poll_event() {
            store.handle(&mut s, e);
            out.extend(drain_bytes(&mut s));
        }
        out.extend(drain_bytes(&mut s));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Conformance rows: (section, rule, client input after login, exact server output).

pub const M1: &[u8] = b"Subject: one\r\n\r\nline 1\r\nline 2\r\n.dot\r\n";
pub const M2: &[u8] = b"Subject: two\n\nbare LF body\n";

pub fn tx_store() -> Store {
    Store::new(vec![M1.to_vec(), M2.to_vec()])
}

/// Runs `input` after a USER/PASS login and returns what followed the login reply.
pub fn after_login(input: &[u8]) -> (String, Store) {
    let mut store = tx_store();
    let mut all = b"USER mrose\r\nPASS tanstaaf\r\n".to_vec();
    all.extend_from_slice(input);
    let out = run_server(s10_config(), &mut store, &all, all.len());
    let text = String::from_utf8(out).unwrap();
    let login = "+OK mrose's maildrop has 2 messages (65 octets)\r\n";
    let at = text.find(login).expect("login accepted") + login.len();
    (text[at..].to_string(), store)
}

//! The POP3 test harness: transcripts, an MD5 for APOP, and the caller side of a server
//! (a two-message maildrop with user "mrose", secret "tanstaaf").
#![allow(dead_code)]

use wirestate::pop3::*;
use wirestate::{Instant, Machine};

use super::common::drain_bytes;

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
// Transcripts.

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dir {
    C,
    S,
}

pub fn transcript(name: &str) -> Vec<(Dir, Vec<u8>)> {
    let path = format!(
        "{}/tests/transcripts/pop3/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (dir, rest) = l.split_at(3);
            let dir = match dir {
                "C: " => Dir::C,
                "S: " => Dir::S,
                _ => panic!("bad transcript line {l:?}"),
            };
            let mut line = rest.as_bytes().to_vec();
            line.extend_from_slice(b"\r\n");
            (dir, line)
        })
        .collect()
}

pub fn side(t: &[(Dir, Vec<u8>)], d: Dir) -> Vec<u8> {
    t.iter()
        .filter(|(x, _)| *x == d)
        .flat_map(|(_, l)| l.clone())
        .collect()
}

/// The messages a transcript retrieves with RETR, unstuffed, by message number.
pub fn messages_of(t: &[(Dir, Vec<u8>)]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if t[i].0 == Dir::C && t[i].1.starts_with(b"RETR ") {
            let mut m = Vec::new();
            i += 2; // the +OK line
            while t[i].1 != b".\r\n" {
                let l = &t[i].1;
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

    pub fn handle(&mut self, s: &mut Pop3Server, e: ServerEvent) {
        match e {
            ServerEvent::Authenticate(c) => {
                let ok = match &c {
                    Credentials::User { name, password } => {
                        name.as_bytes() == b"mrose" && password.as_bytes() == b"tanstaaf"
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
                        &p.authcid[..] == b"mrose" && &p.password[..] == b"tanstaaf"
                    }
                };
                if !ok {
                    s.reject_login(Some(ResponseCode::Auth), "invalid user name or password")
                        .unwrap();
                } else if self.locked {
                    s.reject_login(Some(ResponseCode::InUse), "maildrop already locked")
                        .unwrap();
                } else {
                    let listing = self
                        .messages
                        .iter()
                        .enumerate()
                        .map(|(i, m)| MessageInfo {
                            octets: m.len() as u64,
                            uid: Uid::new(self.uids.get(i).copied().unwrap_or("extra")).unwrap(),
                        })
                        .collect();
                    s.accept_login(listing).unwrap();
                }
            }
            ServerEvent::Retrieve(n) | ServerEvent::Top { msg: n, .. } => {
                let m = self.messages[n.index()].clone();
                for c in m.chunks(self.piece) {
                    if s.message_data(c).unwrap() == Flow::Enough {
                        break;
                    }
                }
                s.message_end().unwrap();
            }
            ServerEvent::Update { deleted } => {
                self.removed = Some(deleted);
                s.finish_update(true).unwrap();
            }
            _ => {}
        }
    }
}

pub fn s10_config() -> ServerConfig {
    ServerConfig {
        apop_timestamp: Some("<1896.697170952@dbc.mtview.ca.us>".into()),
        server_name: "dewey".into(),
        ..ServerConfig::default()
    }
}

/// Feeds `input` to a server cut into `cuts`-sized pieces, answering events with `store`.
pub fn run_server(config: ServerConfig, store: &mut Store, input: &[u8], piece: usize) -> Vec<u8> {
    let mut s = Pop3Server::new(config).unwrap();
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

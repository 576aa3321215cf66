//! POP3: the RFC transcripts replayed byte-exact against both machines, and one
//! conformance row per RFC rule with its section number.

mod common;

use bytes::Bytes;
use common::{drain_bytes, Pair, Split};
use std::time::Duration;
use wirestate::pop3::*;
use wirestate::{Instant, Machine};

// ---------------------------------------------------------------------------------------
// MD5 (RFC 1321), only to check APOP digests the way a real caller would.

fn md5(input: &[u8]) -> [u8; 16] {
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

#[test]
fn md5_known_answers() {
    // RFC 1321 appendix A.5.
    assert_eq!(
        Digest::from_md5(md5(b"")).as_str(),
        "d41d8cd98f00b204e9800998ecf8427e"
    );
    assert_eq!(
        Digest::from_md5(md5(b"abc")).as_str(),
        "900150983cd24fb0d6963f7d28e17f72"
    );
}

// ---------------------------------------------------------------------------------------
// Transcripts.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dir {
    C,
    S,
}

fn transcript(name: &str) -> Vec<(Dir, Vec<u8>)> {
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

fn side(t: &[(Dir, Vec<u8>)], d: Dir) -> Vec<u8> {
    t.iter()
        .filter(|(x, _)| *x == d)
        .flat_map(|(_, l)| l.clone())
        .collect()
}

/// The messages a transcript retrieves with RETR, unstuffed, by message number.
fn messages_of(t: &[(Dir, Vec<u8>)]) -> Vec<Vec<u8>> {
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
struct Store {
    messages: Vec<Vec<u8>>,
    uids: Vec<&'static str>,
    removed: Option<Vec<MessageNumber>>,
    locked: bool,
    piece: usize,
}

impl Store {
    fn new(messages: Vec<Vec<u8>>) -> Store {
        Store {
            messages,
            // RFC 1939 section 7's UIDL example ids.
            uids: vec!["whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7"],
            removed: None,
            locked: false,
            piece: 64,
        }
    }

    fn handle(&mut self, s: &mut Pop3Server, e: ServerEvent) {
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

fn s10_config() -> ServerConfig {
    ServerConfig {
        apop_timestamp: Some("<1896.697170952@dbc.mtview.ca.us>".into()),
        server_name: "dewey".into(),
        ..ServerConfig::default()
    }
}

/// Feeds `input` to a server cut into `cuts`-sized pieces, answering events with `store`.
fn run_server(config: ServerConfig, store: &mut Store, input: &[u8], piece: usize) -> Vec<u8> {
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

#[test]
fn rfc1939_section10_session_server_side_byte_exact_at_any_split() {
    let t = transcript("rfc1939_s10_session.txt");
    let messages = messages_of(&t);
    assert_eq!((messages[0].len(), messages[1].len()), (120, 200));
    let client = side(&t, Dir::C);
    let expected = side(&t, Dir::S);
    for piece in [client.len(), 1, 2, 3, 7, 16] {
        let mut store = Store::new(messages.clone());
        let out = run_server(s10_config(), &mut store, &client, piece);
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&expected),
            "piece {piece}"
        );
        let removed: Vec<u32> = store.removed.unwrap().iter().map(|n| n.get()).collect();
        assert_eq!(removed, [1, 2], "both DELEs applied in UPDATE");
    }
}

#[test]
fn rfc1939_section10_session_client_side_byte_exact() {
    let t = transcript("rfc1939_s10_session.txt");
    let server_bytes = side(&t, Dir::S);
    for piece in [server_bytes.len(), 1, 5, 64] {
        let mut c = Pop3Client::new(ClientConfig::default());
        let mut events = Vec::new();
        let mut sent = Vec::new();
        let mut queued = false;
        for chunk in server_bytes.chunks(piece) {
            c.handle_input(Instant::ZERO, chunk);
            while let Some(e) = c.poll_event() {
                if let ClientEvent::Greeting { apop_timestamp, .. } = &e {
                    let mut input = apop_timestamp.clone().unwrap().to_vec();
                    input.extend_from_slice(b"tanstaaf");
                    c.apop("mrose", Digest::from_md5(md5(&input)).as_str())
                        .unwrap();
                    let one = MessageNumber::new(1).unwrap();
                    let two = MessageNumber::new(2).unwrap();
                    c.stat().unwrap();
                    c.list(None).unwrap();
                    c.retr(one).unwrap();
                    c.dele(one).unwrap();
                    c.retr(two).unwrap();
                    c.dele(two).unwrap();
                    c.quit().unwrap();
                    queued = true;
                }
                events.push(e);
            }
            sent.extend(drain_bytes(&mut c));
        }
        assert!(queued);
        assert_eq!(
            String::from_utf8_lossy(&sent),
            String::from_utf8_lossy(&side(&t, Dir::C))
        );
        assert!(c.is_closed(), "closed after QUIT is answered");
        // Data pieces, joined, are the messages; listings arrive typed.
        let mut bodies = vec![Vec::new()];
        for e in &events {
            match e {
                ClientEvent::Data(b) => bodies.last_mut().unwrap().extend_from_slice(b),
                ClientEvent::End(CommandKind::Retr) => bodies.push(Vec::new()),
                _ => {}
            }
        }
        bodies.pop();
        assert_eq!(bodies, messages_of(&t));
        assert!(events.contains(&ClientEvent::Stat(DropListing {
            count: 2,
            octets: 320
        })));
        let listings: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Listing(l) => Some((l.msg.get(), l.octets)),
                _ => None,
            })
            .collect();
        assert_eq!(listings, [(1, 120), (2, 200)]);
    }
}

#[test]
fn rfc2449_capa_example_client_side() {
    let t = transcript("rfc2449_capa.txt");
    let mut c = Pop3Client::new(ClientConfig::default());
    c.capa().unwrap();
    c.handle_input(Instant::ZERO, &side(&t, Dir::S));
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(drain_bytes(&mut c), side(&t, Dir::C));
    let caps: Vec<(String, Vec<String>)> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Capability(c) => Some((
                String::from_utf8_lossy(c.tag()).into_owned(),
                c.params()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        caps,
        vec![
            ("TOP".into(), vec![]),
            ("USER".into(), vec![]),
            ("SASL".into(), s(&["CRAM-MD5", "KERBEROS_V4"])),
            ("RESP-CODES".into(), vec![]),
            ("LOGIN-DELAY".into(), s(&["900"])),
            ("PIPELINING".into(), vec![]),
            ("EXPIRE".into(), s(&["60"])),
            ("UIDL".into(), vec![]),
            ("IMPLEMENTATION".into(), s(&["Shlemazle-Plotz-v302"])),
        ]
    );
    assert_eq!(events.last(), Some(&ClientEvent::End(CommandKind::Capa)));
    // RFC 2449 section 6.6: PIPELINING listed, so the client may now send without waiting.
    assert!(c.pipelining());
    c.stat().unwrap();
    c.noop().unwrap();
    assert_eq!(drain_bytes(&mut c), b"STAT\r\nNOOP\r\n");
}

#[test]
fn rfc2449_capa_server_lists_what_is_configured() {
    let config = ServerConfig {
        stls: true,
        implementation: Some("Shlemazle-Plotz-v302".into()),
        extra_capabilities: vec![
            Capability::new("LOGIN-DELAY", &["900"]).unwrap(),
            Capability::new("EXPIRE", &["60"]).unwrap(),
        ],
        ..s10_config()
    };
    let mut store = Store::new(vec![b"x\r\n".to_vec()]);
    let out = run_server(
        config,
        &mut store,
        b"CAPA\r\nUSER mrose\r\nPASS tanstaaf\r\nCAPA\r\n",
        512,
    );
    let text = String::from_utf8(out).unwrap();
    let auth_capa =
        "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
        PIPELINING\r\nUSER\r\nSASL PLAIN\r\nSTLS\r\nLOGIN-DELAY 900\r\nEXPIRE 60\r\n\
        IMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n";
    // In TRANSACTION the login mechanisms and STLS are no longer offered.
    let tx_capa = "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
        PIPELINING\r\nLOGIN-DELAY 900\r\nEXPIRE 60\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n";
    let expected = format!(
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n{auth_capa}+OK send PASS\r\n\
         +OK mrose's maildrop has 1 message (3 octets)\r\n{tx_capa}"
    );
    assert_eq!(text, expected);
}

// ---------------------------------------------------------------------------------------
// Conformance rows: (section, rule, client input after login, exact server output).

const M1: &[u8] = b"Subject: one\r\n\r\nline 1\r\nline 2\r\n.dot\r\n";
const M2: &[u8] = b"Subject: two\n\nbare LF body\n";

fn tx_store() -> Store {
    Store::new(vec![M1.to_vec(), M2.to_vec()])
}

/// Runs `input` after a USER/PASS login and returns what followed the login reply.
fn after_login(input: &[u8]) -> (String, Store) {
    let mut store = tx_store();
    let mut all = b"USER mrose\r\nPASS tanstaaf\r\n".to_vec();
    all.extend_from_slice(input);
    let out = run_server(s10_config(), &mut store, &all, all.len());
    let text = String::from_utf8(out).unwrap();
    let login = "+OK mrose's maildrop has 2 messages (65 octets)\r\n";
    let at = text.find(login).expect("login accepted") + login.len();
    (text[at..].to_string(), store)
}

#[test]
fn conformance_transaction_rows() {
    // M2 is 27 octets on disk with bare LFs; a real store counts them as CRLF (30), but
    // this store reports raw lengths, so the sizes below are 38 and 27.
    let rows: &[(&str, &str, &str, &str)] = &[
        (
            "1939 s5",
            "STAT answers +OK nn mm",
            "STAT\r\n",
            "+OK 2 65\r\n",
        ),
        (
            "1939 s5",
            "LIST gives a scan listing per message",
            "LIST\r\n",
            "+OK 2 messages (65 octets)\r\n1 38\r\n2 27\r\n.\r\n",
        ),
        (
            "1939 s5",
            "LIST msg is single-line",
            "LIST 2\r\n",
            "+OK 2 27\r\n",
        ),
        (
            "1939 s5",
            "LIST of a missing message is -ERR",
            "LIST 3\r\n",
            "-ERR no such message, only 2 messages in maildrop\r\n",
        ),
        (
            "1939 s5",
            "DELE marks; STAT and LIST stop counting it",
            "DELE 1\r\nSTAT\r\nLIST\r\n",
            "+OK message 1 deleted\r\n+OK 1 27\r\n+OK 1 message (27 octets)\r\n2 27\r\n.\r\n",
        ),
        (
            "1939 s5",
            "DELE of a deleted message is -ERR",
            "DELE 1\r\nDELE 1\r\n",
            "+OK message 1 deleted\r\n-ERR message 1 already deleted\r\n",
        ),
        (
            "1939 s5",
            "RETR of a deleted message is -ERR",
            "DELE 2\r\nRETR 2\r\n",
            "+OK message 2 deleted\r\n-ERR message 2 already deleted\r\n",
        ),
        (
            "1939 s5",
            "RSET unmarks every deleted message",
            "DELE 1\r\nRSET\r\nSTAT\r\n",
            "+OK message 1 deleted\r\n+OK maildrop has 2 messages (65 octets)\r\n+OK 2 65\r\n",
        ),
        ("1939 s5", "NOOP answers +OK", "NOOP\r\n", "+OK\r\n"),
        (
            "1939 s5",
            "RETR sends the message dot-stuffed, then .",
            "RETR 1\r\n",
            "+OK 38 octets\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\n..dot\r\n.\r\n",
        ),
        (
            "1939 s3",
            "bare LF line ends in a stored message go out as CRLF",
            "RETR 2\r\n",
            "+OK 27 octets\r\nSubject: two\r\n\r\nbare LF body\r\n.\r\n",
        ),
        (
            "1939 s7",
            "TOP n 0 sends the headers and the blank line",
            "TOP 1 0\r\n",
            "+OK\r\nSubject: one\r\n\r\n.\r\n",
        ),
        (
            "1939 s7",
            "TOP n 2 adds two body lines",
            "TOP 1 2\r\n",
            "+OK\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\n.\r\n",
        ),
        (
            "1939 s7",
            "TOP past the end sends the whole message",
            "TOP 1 99\r\n",
            "+OK\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\n..dot\r\n.\r\n",
        ),
        (
            "1939 s7",
            "UIDL lists unique-ids",
            "UIDL\r\n",
            "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
        ),
        (
            "1939 s7",
            "UIDL msg is single-line",
            "UIDL 2\r\n",
            "+OK 2 QhdPYR:00WBw1Ph7x7\r\n",
        ),
        (
            "1939 s7",
            "UIDL skips deleted messages",
            "DELE 1\r\nUIDL\r\n",
            "+OK message 1 deleted\r\n+OK\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
        ),
        (
            "1939 s3",
            "keywords are case-insensitive",
            "stat\r\nnoOp\r\n",
            "+OK 2 65\r\n+OK\r\n",
        ),
        (
            "1939 s3",
            "an unknown command is -ERR and the session goes on",
            "XYZZY\r\nNOOP\r\n",
            "-ERR unknown command\r\n+OK\r\n",
        ),
        (
            "1939 s3",
            "arguments are separated by one space",
            "LIST  1\r\n",
            "-ERR arguments must be separated by one space\r\n",
        ),
        (
            "1939 s5",
            "message numbers start at 1",
            "RETR 0\r\n",
            "-ERR invalid number\r\n",
        ),
        (
            "1939 s5",
            "RETR needs a message number",
            "RETR\r\n",
            "-ERR missing argument\r\n",
        ),
        (
            "1939 s4",
            "USER is not valid in TRANSACTION",
            "USER x\r\n",
            "-ERR USER not valid in TRANSACTION state\r\n",
        ),
        (
            "2595 s4",
            "STLS is not valid in TRANSACTION",
            "STLS\r\n",
            "-ERR STLS not valid in TRANSACTION state\r\n",
        ),
        (
            "1939 s6",
            "QUIT in TRANSACTION enters UPDATE and signs off",
            "DELE 1\r\nQUIT\r\n",
            "+OK message 1 deleted\r\n+OK dewey POP3 server signing off (1 message left)\r\n",
        ),
    ];
    for (section, rule, input, expected) in rows {
        let (out, _) = after_login(input.as_bytes());
        assert_eq!(&out, expected, "RFC {section}: {rule}");
    }
}

#[test]
fn conformance_update_only_after_quit_in_transaction() {
    // RFC 1939 section 6: DELE marks; removal only when QUIT is given in TRANSACTION.
    let (_, store) = after_login(b"DELE 1\r\nQUIT\r\n");
    assert_eq!(store.removed, Some(vec![MessageNumber::new(1).unwrap()]));
    // A session that ends any other way removes nothing: EOF after DELE.
    let mut store = tx_store();
    let mut s = Pop3Server::new(s10_config()).unwrap();
    s.handle_input(Instant::ZERO, b"USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\n");
    while let Some(e) = s.poll_event() {
        store.handle(&mut s, e);
    }
    s.handle_eof(Instant::ZERO);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::PeerClosed))
    );
    assert_eq!(s.poll_event(), None);
    assert!(s.is_closed());
    assert_eq!(store.removed, None, "no UPDATE without QUIT");
    // RFC 1939 section 6: a failed removal is "-ERR some deleted messages not removed".
    let mut s = Pop3Server::new(s10_config()).unwrap();
    drain_bytes(&mut s);
    s.handle_input(
        Instant::ZERO,
        b"USER mrose\r\nPASS tanstaaf\r\nDELE 2\r\nQUIT\r\n",
    );
    let mut deleted = None;
    while let Some(e) = s.poll_event() {
        match e {
            ServerEvent::Update { deleted: d } => {
                deleted = Some(d);
                s.finish_update(false).unwrap();
            }
            e => tx_store().handle(&mut s, e),
        }
    }
    assert_eq!(deleted, Some(vec![MessageNumber::new(2).unwrap()]));
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(
        out.ends_with("+OK message 2 deleted\r\n-ERR some deleted messages not removed\r\n"),
        "{out}"
    );
    assert!(s.is_closed());
}

#[test]
fn conformance_authorization_rows() {
    let rows: &[(&str, &str, &str, &str)] = &[
        ("1939 s4", "QUIT in AUTHORIZATION signs off without UPDATE", "QUIT\r\n",
         "+OK dewey POP3 server signing off\r\n"),
        ("1939 s7", "PASS without USER is -ERR", "PASS x\r\n", "-ERR USER first\r\n"),
        ("1939 s7", "PASS keeps spaces in the password", "USER mrose\r\nPASS tans taaf\r\n",
         "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n"),
        ("1939 s4", "a failed login returns to AUTHORIZATION", "USER mrose\r\nPASS no\r\nUSER mrose\r\nPASS tanstaaf\r\nSTAT\r\n",
         "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n+OK send PASS\r\n\
          +OK mrose's maildrop has 2 messages (65 octets)\r\n+OK 2 65\r\n"),
        ("1939 s5", "TRANSACTION commands are -ERR in AUTHORIZATION", "STAT\r\nNOOP\r\n",
         "-ERR STAT not valid in AUTHORIZATION state\r\n-ERR NOOP not valid in AUTHORIZATION state\r\n"),
        ("1939 s7", "an APOP digest is 32 hex digits", "APOP mrose c4c9\r\n", "-ERR invalid argument\r\n"),
        ("1939 s7", "APOP with a wrong digest is refused", "APOP mrose 00000000000000000000000000000000\r\n",
         "-ERR [AUTH] invalid user name or password\r\n"),
        ("5034 s4", "AUTH PLAIN with an initial response", "AUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\n",
         "+OK mrose's maildrop has 2 messages (65 octets)\r\n"),
        ("5034 s4", "AUTH PLAIN without one gets an empty challenge", "AUTH PLAIN\r\nAG1yb3NlAHRhbnN0YWFm\r\n",
         "+ \r\n+OK mrose's maildrop has 2 messages (65 octets)\r\n"),
        ("5034 s4", "\"*\" cancels the exchange with -ERR", "AUTH PLAIN\r\n*\r\nNOOP\r\n",
         "+ \r\n-ERR authentication cancelled\r\n-ERR NOOP not valid in AUTHORIZATION state\r\n"),
        ("5034 s4", "a response that is not base64 is -ERR", "AUTH PLAIN\r\n!!!!\r\n",
         "+ \r\n-ERR invalid base64\r\n"),
        ("5034 s4", "an unsupported mechanism is -ERR", "AUTH CRAM-MD5\r\n",
         "-ERR unsupported authentication mechanism\r\n"),
        ("4616 s2", "a PLAIN message needs two NULs", "AUTH PLAIN bXJvc2U=\r\n",
         "-ERR malformed PLAIN message\r\n"),
        ("5034 s4", "an initial response \"=\" is empty", "AUTH PLAIN =\r\n",
         "-ERR malformed PLAIN message\r\n"),
        ("2595 s4", "STLS not offered is -ERR", "STLS\r\n", "-ERR STLS not available\r\n"),
    ];
    for (section, rule, input, expected) in rows {
        let mut store = tx_store();
        let out = run_server(s10_config(), &mut store, input.as_bytes(), input.len());
        let greeting = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n";
        let out = String::from_utf8(out).unwrap();
        assert_eq!(&out[greeting.len()..], *expected, "RFC {section}: {rule}");
    }
}

#[test]
fn rfc2449_in_use_when_the_maildrop_is_locked_and_the_client_keeps_the_code() {
    let mut store = tx_store();
    store.locked = true;
    let mut pair = Pair::new(
        Pop3Client::new(ClientConfig::default()),
        Pop3Server::new(s10_config()).unwrap(),
    );
    pair.client.user("mrose").unwrap();
    pair.client.pass("tanstaaf").unwrap();
    let mut seen = Vec::new();
    pair.run(|_, e| seen.push(e), |s, e| store.handle(s, e));
    let err = seen.iter().find_map(|e| match e {
        ClientEvent::Err {
            command: CommandKind::Pass,
            response,
        } => Some(response.clone()),
        _ => None,
    });
    let err = err.expect("PASS refused");
    assert_eq!(err.code, Some(ResponseCode::InUse));
    assert_eq!(&err.text[..], b"maildrop already locked");
    assert!(String::from_utf8_lossy(&pair.server_wire)
        .contains("-ERR [IN-USE] maildrop already locked\r\n"));
    assert!(
        !pair.server.is_transaction(),
        "RFC 1939 s4: no TRANSACTION without the lock"
    );
}

#[test]
fn rfc1939_s3_autologout_is_a_deadline_of_at_least_ten_minutes_and_removes_nothing() {
    let mut store = tx_store();
    let mut s = Pop3Server::new(s10_config()).unwrap();
    drain_bytes(&mut s);
    s.handle_input(
        Instant::from_millis(1_000),
        b"USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\n",
    );
    while let Some(e) = s.poll_event() {
        store.handle(&mut s, e);
    }
    drain_bytes(&mut s);
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(deadline, Instant::from_millis(1_000 + 600_000));
    s.handle_timeout(Instant::from_millis(600_999)); // early: nothing happens
    assert!(!s.is_closed());
    s.handle_timeout(deadline);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::Autologout))
    );
    assert!(s.is_closed());
    assert!(drain_bytes(&mut s).is_empty(), "no response on autologout");
    assert_eq!(store.removed, None);
    let short = ServerConfig {
        autologout: Duration::from_secs(599),
        ..ServerConfig::default()
    };
    assert_eq!(
        Pop3Server::new(short).unwrap_err(),
        SendError::AutologoutTooShort
    );
}

#[test]
fn rfc2595_stls_discards_pipelined_input_on_both_sides() {
    let config = ServerConfig {
        stls: true,
        ..s10_config()
    };
    let mut s = Pop3Server::new(config).unwrap();
    drain_bytes(&mut s);
    // An attacker appends a command to STLS in the same packet (CVE-2011-0411 pattern).
    s.handle_input(Instant::ZERO, b"STLS\r\nUSER injected\r\n");
    assert_eq!(s.poll_event(), Some(ServerEvent::StartTls));
    assert_eq!(drain_bytes(&mut s), b"+OK Begin TLS negotiation\r\n");
    assert_eq!(s.poll_event(), None, "the injected USER was dropped");
    s.handle_input(Instant::ZERO, b"STLS\r\nCAPA\r\n");
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::Stls))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::Capa))
    );
    let out = String::from_utf8(drain_bytes(&mut s)).unwrap();
    assert!(out.starts_with("-ERR STLS not available\r\n"), "{out}");
    assert!(
        !out.contains("\r\nSTLS\r\n"),
        "STLS no longer listed after TLS: {out}"
    );

    let mut c = Pop3Client::new(ClientConfig::default());
    c.handle_input(Instant::ZERO, b"+OK hi\r\n");
    c.poll_event();
    c.stls().unwrap();
    c.noop().unwrap();
    assert_eq!(drain_bytes(&mut c), b"STLS\r\n", "NOOP waits behind STLS");
    c.handle_input(Instant::ZERO, b"+OK Begin TLS\r\n+OK injected\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Ok {
            command: CommandKind::Stls,
            ..
        })
    ));
    assert_eq!(drain_bytes(&mut c), b"NOOP\r\n");
    assert_eq!(
        c.poll_event(),
        None,
        "the injected +OK was dropped, NOOP still waits"
    );
    c.handle_input(Instant::ZERO, b"+OK\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Ok {
            command: CommandKind::Noop,
            ..
        })
    ));
}

#[test]
fn framing_errors_are_final_with_offset_and_err_reply() {
    // RFC 2449 section 4: command lines up to 255 octets, CRLF included.
    let mut s = Pop3Server::new(s10_config()).unwrap();
    drain_bytes(&mut s);
    let mut line = vec![b'N'; 254];
    line.extend_from_slice(b"\r\n");
    s.handle_input(Instant::ZERO, b"NOOP\r\n");
    s.handle_input(Instant::ZERO, &line);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::Noop))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Error(ServerError {
            kind: ServerErrorKind::LineTooLong,
            offset: 6
        }))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::ProtocolError))
    );
    let out = drain_bytes(&mut s);
    assert!(out.ends_with(b"-ERR line too long\r\n"));
    assert!(s.is_closed());
    // Exactly 255 is fine.
    let mut s = Pop3Server::new(s10_config()).unwrap();
    let mut ok = b"USER ".to_vec();
    ok.extend(vec![b'u'; 248]);
    ok.extend_from_slice(b"\r\n");
    assert_eq!(ok.len(), 255);
    s.handle_input(Instant::ZERO, &ok);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Answered(CommandKind::User))
    );
    // Bare LF.
    let mut s = Pop3Server::new(s10_config()).unwrap();
    s.handle_input(Instant::ZERO, b"NOOP\nQUIT\r\n");
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Error(ServerError {
            kind: ServerErrorKind::BareCrOrLf,
            offset: 4
        }))
    );
    // Client: a 513-octet status line.
    let mut c = Pop3Client::new(ClientConfig::default());
    let mut long = b"+OK ".to_vec();
    long.extend(vec![b'x'; 509]);
    long.extend_from_slice(b"\r\n");
    c.handle_input(Instant::ZERO, &long);
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Error(ClientError {
            kind: ClientErrorKind::LineTooLong,
            offset: 0
        }))
    ));
    assert!(c.is_closed());
}

#[test]
fn client_errors_keep_the_servers_text_and_code() {
    let mut c = Pop3Client::new(ClientConfig::default());
    c.handle_input(Instant::ZERO, b"+OK\r\n");
    c.poll_event();
    c.user("x").unwrap();
    c.handle_input(Instant::ZERO, b"-ERR [SYS/TEMP] Disk full, try later\r\n");
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Err {
            command: CommandKind::User,
            response: Response {
                status: Status::Err,
                code: Some(ResponseCode::SysTemp),
                text: Bytes::from_static(b"Disk full, try later"),
            }
        })
    );
    // A line nothing asked for is a protocol error.
    c.handle_input(Instant::ZERO, b"+OK surprise\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Error(ClientError {
            kind: ClientErrorKind::Unsolicited,
            offset: 43
        }))
    ));
}

#[test]
fn client_streams_a_large_message_in_bounded_memory() {
    // 1 MiB message through a 16 KiB receive buffer: only possible if it is streamed.
    let config = ClientConfig {
        limits: Limits {
            recv_buffer: 16 * 1024,
            ..Limits::default()
        },
        ..ClientConfig::default()
    };
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let message: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 14_000)
        .collect();
    let mut wire = b"+OK\r\n+OK 1050000 octets\r\n".to_vec();
    wire.extend(wirestate::dot::stuff_all(&message));
    let mut c = Pop3Client::new(config);
    c.retr(MessageNumber::new(1).unwrap()).unwrap();
    let mut got = Vec::new();
    let mut pieces = 0;
    let mut ended = false;
    for chunk in wire.chunks(8192) {
        c.handle_input(Instant::ZERO, chunk);
        while let Some(e) = c.poll_event() {
            match e {
                ClientEvent::Data(b) => {
                    assert!(b.len() <= 16 * 1024);
                    pieces += 1;
                    got.extend_from_slice(&b);
                }
                ClientEvent::End(CommandKind::Retr) => ended = true,
                ClientEvent::Error(e) => panic!("{e}"),
                _ => {}
            }
        }
    }
    assert!(ended);
    assert_eq!(got, message);
    assert!(pieces >= 100, "arrived in many pieces, got {pieces}");
}

#[test]
fn pair_fetches_everything_under_every_split() {
    for split in [
        Split::AsSent,
        Split::Coalesced,
        Split::Every(1),
        Split::Every(7),
    ] {
        let mut store = tx_store();
        let server = Pop3Server::new(s10_config()).unwrap();
        let mut pair =
            Pair::new(Pop3Client::new(ClientConfig::default()), server).with_split(split);
        pair.client.capa().unwrap();
        pair.client.auth_plain("", "mrose", "tanstaaf").unwrap();
        pair.client.uidl(None).unwrap();
        pair.client.retr(MessageNumber::new(1).unwrap()).unwrap();
        pair.client.top(MessageNumber::new(2).unwrap(), 0).unwrap();
        pair.client.dele(MessageNumber::new(1).unwrap()).unwrap();
        pair.client.quit().unwrap();
        let mut data = Vec::new();
        let mut uids = Vec::new();
        let mut errors = Vec::new();
        pair.run(
            |_, e| match e {
                ClientEvent::Data(b) => data.extend_from_slice(&b),
                ClientEvent::UniqueId(u) => uids.push(u.uid.as_str().to_string()),
                ClientEvent::Err { response, .. } => panic!("{response:?}"),
                ClientEvent::Error(e) => errors.push(e),
                _ => {}
            },
            |s, e| store.handle(s, e),
        );
        assert!(
            errors.is_empty(),
            "{errors:?} {split:?}\nC: {}\nS: {}",
            String::from_utf8_lossy(&pair.client_wire),
            String::from_utf8_lossy(&pair.server_wire)
        );
        let mut expected = M1.to_vec();
        expected.extend_from_slice(b"Subject: two\r\n\r\n");
        assert_eq!(data, expected, "{split:?}");
        assert_eq!(uids, ["whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7"]);
        assert_eq!(store.removed, Some(vec![MessageNumber::new(1).unwrap()]));
        assert!(pair.client.is_closed() && pair.server.is_closed());
        // After CAPA listed PIPELINING the client sent the rest without waiting.
        assert!(pair
            .client_wire
            .starts_with(b"CAPA\r\nAUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\n"));
    }
}

#[test]
fn client_auth_plain_falls_back_to_a_challenge_when_too_long() {
    let long = "p".repeat(200);
    let mut store = tx_store();
    let mut pair = Pair::new(
        Pop3Client::new(ClientConfig::default()),
        Pop3Server::new(s10_config()).unwrap(),
    );
    pair.client.auth_plain("", "mrose", &long).unwrap();
    let mut seen = Vec::new();
    pair.run(|_, e| seen.push(e), |s, e| store.handle(s, e));
    assert!(
        pair.client_wire.starts_with(b"AUTH PLAIN\r\n"),
        "{:?}",
        String::from_utf8_lossy(&pair.client_wire)
    );
    assert!(String::from_utf8_lossy(&pair.server_wire).contains("+ \r\n-ERR [AUTH]"));
}

#[test]
fn local_misuse_is_an_error_and_queues_nothing() {
    let mut s = Pop3Server::new(s10_config()).unwrap();
    drain_bytes(&mut s);
    assert_eq!(s.accept_login(vec![]), Err(SendError::OutOfTurn));
    assert_eq!(s.message_data(b"x"), Err(SendError::OutOfTurn));
    assert_eq!(s.finish_update(true), Err(SendError::OutOfTurn));
    s.handle_input(Instant::ZERO, b"USER mrose\r\nPASS x\r\n");
    s.poll_event();
    assert!(matches!(s.poll_event(), Some(ServerEvent::Authenticate(_))));
    drain_bytes(&mut s);
    assert_eq!(
        s.reject_login(None, "bad\r\nDELE 1"),
        Err(SendError::InvalidText)
    );
    assert!(s.poll_transmit().is_none());
    let mut c = Pop3Client::new(ClientConfig::default());
    assert_eq!(
        c.user(&"u".repeat(250)),
        Err(SendError::LineTooLong { limit: 255 })
    );
    assert_eq!(c.outstanding(), 0);
    assert_eq!(Uid::new(&"u".repeat(71)), Err(SendError::InvalidUid));
}

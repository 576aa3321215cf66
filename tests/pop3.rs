//! POP3: the RFC 1939 section 10 session and the RFC 2449 CAPA examples replayed
//! byte-exact against both machines, and whole sessions between the two machines.

mod common;
mod pop3_common;

use common::{drain_bytes, Pair, Split};
use pop3_common::*;
use wirestate::pop3::*;
use wirestate::{Instant, Machine};

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
    // RFC 2449 section 6: the list is the same in both states.
    let tx_capa = auth_capa;
    let expected = format!(
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n{auth_capa}+OK send PASS\r\n\
         +OK mrose's maildrop has 1 message (3 octets)\r\n{tx_capa}"
    );
    assert_eq!(text, expected);
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

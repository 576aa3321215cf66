//! POP3: the RFC 1939 section 10 session and the RFC 2449 CAPA examples replayed
//! byte-exact against both machines, and whole sessions between the two machines.

mod common;
mod pop3_common;

use bytes::Bytes;
use common::{drain_bytes, Pair, Side, Split, Transcript};
use pop3_common::*;
use wirestate::pop3::*;
use wirestate::{CloseReason, Instant, Machine, Secret};

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
    let t = Transcript::load("pop3", "rfc1939_s10_session");
    let messages = messages_of(&t);
    assert_eq!((messages[0].len(), messages[1].len()), (120, 200));
    let client = t.side(Side::C);
    let expected = t.side(Side::S);
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
    let t = Transcript::load("pop3", "rfc1939_s10_session");
    let server_bytes = t.side(Side::S);
    for piece in [server_bytes.len(), 1, 5, 64] {
        let mut c = Client::new(ClientConfig::default());
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
            String::from_utf8_lossy(&t.side(Side::C))
        );
        assert!(c.is_closed(), "closed after QUIT is answered");
        // Data pieces, joined, are the messages; listings arrive typed.
        let mut bodies = vec![Vec::new()];
        for e in &events {
            match e {
                ClientEvent::Data(b) => bodies.last_mut().unwrap().extend_from_slice(b),
                ClientEvent::End {
                    command: CommandKind::Retr,
                } => bodies.push(Vec::new()),
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
    let t = Transcript::load("pop3", "rfc2449_capa");
    let mut c = Client::new(ClientConfig::default());
    c.capa().unwrap();
    c.handle_input(Instant::ZERO, &t.side(Side::S));
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(drain_bytes(&mut c), t.side(Side::C));
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
    assert_eq!(
        events.last(),
        Some(&ClientEvent::End {
            command: CommandKind::Capa
        })
    );
    // RFC 2449 section 6.6: PIPELINING listed, so the client may now send without waiting.
    assert!(c.pipelining());
    c.stat().unwrap();
    c.noop().unwrap();
    assert_eq!(drain_bytes(&mut c), b"STAT\r\nNOOP\r\n");
}

#[test]
fn rfc2449_capa_server_lists_what_is_configured() {
    let mut config = s10_config();
    config.stls = true;
    config.extra_capabilities = vec![
        Capability::new("LOGIN-DELAY", &["900"]).unwrap(),
        Capability::new("EXPIRE", &["60"]).unwrap(),
        Capability::new("IMPLEMENTATION", &["Shlemazle-Plotz-v302"]).unwrap(),
    ];
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
    let mut config = ClientConfig::default();
    config.limits.max_buffered = 16 * 1024;
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let message: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 14_000)
        .collect();
    let mut wire = b"+OK\r\n+OK 1050000 octets\r\n".to_vec();
    wire.extend(wirestate::dot::stuff_all(&message));
    let mut c = Client::new(config);
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
                ClientEvent::End {
                    command: CommandKind::Retr,
                } => ended = true,
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
        let server = Server::new(s10_config());
        let mut pair = Pair::new(Client::new(ClientConfig::default()), server).with_split(split);
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

/// The server's side of `common::drive`: answers decisions like `Store`, but streams each
/// message from `on_send_ready`, one piece per call, as a socket driver would.
struct Streamer {
    store: Store,
    current: Option<(Vec<u8>, usize)>,
    piece: usize,
}

impl Streamer {
    fn on_event(&mut self, s: &mut Server, e: ServerEvent) {
        match e {
            ServerEvent::Retrieve { msg, decision } | ServerEvent::Top { msg, decision, .. } => {
                s.start_message(decision).unwrap();
                self.current = Some((self.store.messages[msg.index()].clone(), 0));
            }
            e => self.store.handle(s, e),
        }
    }

    fn on_send_ready(&mut self, s: &mut Server) {
        let Some((m, at)) = &mut self.current else {
            panic!("wants_body without a message started");
        };
        if *at == m.len() {
            self.current = None;
            s.send_end().unwrap();
        } else {
            let end = (*at + self.piece).min(m.len());
            s.send_data(Bytes::copy_from_slice(&m[*at..end])).unwrap();
            *at = end;
        }
    }
}

#[test]
fn both_machines_run_under_the_generic_driver() {
    let t = Transcript::load("pop3", "rfc1939_s10_session");
    let messages = messages_of(&t);
    for piece in [1, 7, 64, 4096] {
        // Server: the client's side of the RFC 1939 section 10 session is the script.
        let mut server = Server::new(s10_config());
        let mut h = Streamer {
            store: Store::new(messages.clone()),
            current: None,
            piece: 5,
        };
        let h = std::cell::RefCell::new(&mut h);
        let mut events = Vec::new();
        let driven = common::drive(
            &mut server,
            &t.side(Side::C),
            piece,
            |s, e| {
                events.push(format!("{e:?}"));
                h.borrow_mut().on_event(s, e)
            },
            |s| h.borrow_mut().on_send_ready(s),
        );
        assert_eq!(
            String::from_utf8_lossy(&driven.wire),
            String::from_utf8_lossy(&t.side(Side::S)),
            "piece {piece}"
        );
        assert!(driven.closed && driven.tls_at.is_empty() && driven.unread == 0);
        assert_eq!(events.last().unwrap(), "Closed(Done)");
        let removed: Vec<u32> = h
            .borrow()
            .store
            .removed
            .clone()
            .unwrap()
            .iter()
            .map(|n| n.get())
            .collect();
        assert_eq!(removed, [1, 2]);

        // Client: the server's side is the script; the client sends exactly the other side.
        let mut client = Client::new(ClientConfig::default());
        let mut data = Vec::new();
        let mut last = None;
        let driven = common::drive(
            &mut client,
            &t.side(Side::S),
            piece,
            |c, e| match e {
                ClientEvent::Greeting { apop_timestamp, .. } => {
                    let mut input = apop_timestamp.unwrap().to_vec();
                    input.extend_from_slice(b"tanstaaf");
                    c.apop("mrose", Digest::from_md5(md5(&input)).as_str())
                        .unwrap();
                    let (one, two) = (
                        MessageNumber::new(1).unwrap(),
                        MessageNumber::new(2).unwrap(),
                    );
                    c.stat().unwrap();
                    c.list(None).unwrap();
                    c.retr(one).unwrap();
                    c.dele(one).unwrap();
                    c.retr(two).unwrap();
                    c.dele(two).unwrap();
                    c.quit().unwrap();
                }
                ClientEvent::Data(b) => data.extend_from_slice(&b),
                e => last = Some(e),
            },
            |_| panic!("a POP3 client streams no body"),
        );
        assert_eq!(
            String::from_utf8_lossy(&driven.wire),
            String::from_utf8_lossy(&t.side(Side::C))
        );
        assert_eq!(data, messages.concat());
        assert_eq!(last, Some(ClientEvent::Closed(CloseReason::Done)));
        assert!(driven.closed);
    }
}

#[test]
fn stls_under_the_generic_driver_switches_after_the_ok_and_drops_what_followed() {
    let mut config = s10_config();
    config.stls = true;
    // CVE-2011-0411: a command pipelined behind STLS in plaintext.
    let script = b"CAPA\r\nSTLS\r\nUSER injected\r\n";
    for piece in [1, 5, script.len()] {
        let mut server = Server::new(config.clone());
        let mut events = Vec::new();
        let driven = common::drive(&mut server, script, piece, |_, e| events.push(e), |_| {});
        let wire = String::from_utf8(driven.wire.clone()).unwrap();
        let ok = wire.find("+OK Begin TLS negotiation\r\n").unwrap() + 27;
        assert_eq!(driven.tls_at, [ok], "the switch comes right after the +OK");
        assert!(server.is_secure());
        if piece == script.len() {
            assert!(
                !wire.contains("send PASS"),
                "the injected USER was never read: {wire}"
            );
        }
        assert_eq!(
            events.last(),
            Some(&ServerEvent::Closed(CloseReason::PeerClosed {
                unterminated: 0
            }))
        );
    }
    // The client: STLS, then after the switch its CAPA goes out over TLS.
    let mut client = Client::new(ClientConfig::default());
    client.stls().unwrap();
    client.capa().unwrap();
    let driven = common::drive(
        &mut client,
        b"+OK hi\r\n+OK Begin TLS\r\n",
        100,
        |_, _| {},
        |_| {},
    );
    assert_eq!(driven.wire, b"STLS\r\nCAPA\r\n");
    assert_eq!(driven.tls_at, [6], "CAPA only after the switch");
    assert!(client.is_secure());
}

#[test]
fn secrets_never_show_in_debug_or_display() {
    let pw = "tanstaaf-S3CRET";
    let b64 = wirestate::base64::encode(format!("\0mrose\0{pw}").as_bytes());
    let mut server = Server::new(s10_config());
    server.handle_input(
        Instant::ZERO,
        format!("USER mrose\r\nPASS {pw}\r\n").as_bytes(),
    );
    let mut shown = Vec::new();
    while let Some(e) = server.poll_event() {
        shown.push(format!("{e:?}"));
        if let ServerEvent::Login {
            credentials,
            decision,
        } = e
        {
            shown.push(format!("{credentials:?}"));
            if let Credentials::User { password, .. } = &credentials {
                shown.push(format!("{password} {password:?}"));
            }
            server
                .reject_login(decision, None, Text::new("no").unwrap())
                .unwrap();
        }
    }
    server.handle_input(Instant::ZERO, format!("AUTH PLAIN {b64}\r\n").as_bytes());
    while let Some(e) = server.poll_event() {
        shown.push(format!("{e:?}"));
        if let ServerEvent::Login {
            credentials: Credentials::Plain(p),
            ..
        } = &e
        {
            shown.push(format!("{p:?} {} {:?}", p.password, p.password));
        }
    }
    shown.push(format!("{server:?}"));
    let parsed = Command::parse(format!("PASS {pw}").as_bytes()).unwrap();
    shown.push(format!("{parsed:?}"));
    let auth = Command::parse(format!("AUTH PLAIN {b64}").as_bytes()).unwrap();
    shown.push(format!("{auth:?}"));
    let plain = PlainCredentials::new("", "mrose", pw);
    shown.push(format!("{plain:?} {:?}", plain.encode()));
    let mut client = Client::new(ClientConfig::default());
    client.pass(Secret::new(pw)).unwrap();
    client.auth_plain("", "mrose", pw).unwrap();
    shown.push(format!("{client:?}"));
    // Also once the lines are on their way out, and with a PASS not yet decoded.
    client.handle_input(Instant::ZERO, b"+OK\r\n");
    let _ = common::events(&mut client);
    shown.push(format!("{client:?}"));
    let mut undecoded = Server::new(s10_config());
    undecoded.handle_input(
        Instant::ZERO,
        format!("USER mrose\r\nPASS {pw}\r\n").as_bytes(),
    );
    shown.push(format!("{undecoded:?}"));
    assert!(shown.len() >= 10);
    for s in &shown {
        assert!(!s.contains(pw) && !s.contains(&b64), "secret leaked: {s}");
    }
    assert!(shown.iter().any(|s| s.contains("Secret(<redacted>)")));
}

#[test]
fn client_reply_timer_honours_now_and_restarts_on_every_byte() {
    let mut c = Client::new(ClientConfig::default());
    c.handle_input(Instant::from_millis(1_000), b"+OK hi\r\n");
    let _ = common::events(&mut c);
    assert_eq!(c.poll_timeout(), None, "nothing due: no timer");
    c.retr(MessageNumber::new(1).unwrap()).unwrap();
    let _ = drain_bytes(&mut c);
    // The wait restarts at the next call that brings the time.
    c.handle_timeout(Instant::from_millis(5_000));
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(605_000)));
    c.handle_input(Instant::from_millis(300_000), b"+OK 9 octets\r\npart");
    let _ = common::events(&mut c);
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(900_000)));
    c.handle_timeout(Instant::from_millis(899_999));
    assert!(!c.is_closed());
    c.handle_timeout(Instant::from_millis(900_000));
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Closed(CloseReason::Timeout))
    );
    assert_eq!(c.poll_event(), None);
    assert!(c.is_closed());
    // A dead server during the greeting is noticed too.
    let mut c = Client::new(ClientConfig::default());
    c.handle_timeout(Instant::from_millis(10));
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(600_010)));
    let mut never = ClientConfig::default();
    never.timeouts.reply = None;
    assert_eq!(Client::new(never).poll_timeout(), None);
}

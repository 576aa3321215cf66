//! The TLS layer over a toy STARTTLS protocol: the layer knows no protocol, so a machine
//! of twenty lines that asks for TLS the way SMTP and POP3 do is enough to prove the
//! handshake, the handoff, both directions of the injection rule, and that TLS failures
//! close without a byte in the clear.

mod common;

use bytes::Bytes;
use common::Pair;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use std::collections::VecDeque;
use std::sync::Arc;
use wirestate::tls::{Start, Tls};
use wirestate::{Instant, Machine};

/// A line protocol: the server answers `x` with `echo x`, `STARTTLS` with `220 go` and
/// then asks for TLS; input it holds at the switch is discarded and counted. The client
/// sends its script one line per answer, and after its `STARTTLS` is answered, asks for
/// TLS and fails on any plaintext buffered behind the `220`.
#[derive(Debug, Default)]
struct Toy {
    server: bool,
    buf: Vec<u8>,
    out: VecDeque<Bytes>,
    events: VecDeque<String>,
    script: VecDeque<&'static str>,
    /// The switch is due once `out` is drained (server) or now (client).
    tls_due: bool,
    secure: bool,
    discarded: usize,
    closed: bool,
}

impl Toy {
    fn server() -> Toy {
        Toy {
            server: true,
            ..Toy::default()
        }
    }

    fn client(script: &[&'static str]) -> Toy {
        let mut c = Toy {
            script: script.iter().copied().collect(),
            ..Toy::default()
        };
        c.send_next();
        c
    }

    fn send_next(&mut self) {
        match self.script.pop_front() {
            Some(line) => self.out.push_back(Bytes::from(format!("{line}\r\n"))),
            None => self.closed = true,
        }
    }

    fn line(&mut self) -> Option<String> {
        let end = self.buf.windows(2).position(|w| w == b"\r\n")?;
        let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end + 2);
        Some(line)
    }
}

impl Machine for Toy {
    type Event = String;
    fn handle_input(&mut self, _: Instant, bytes: &[u8]) {
        if !self.closed {
            self.buf.extend_from_slice(bytes);
        }
    }
    fn handle_eof(&mut self, _: Instant) {
        self.closed = true;
        self.events.push_back("eof".into());
    }
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_event(&mut self) -> Option<String> {
        if let Some(e) = self.events.pop_front() {
            return Some(e);
        }
        if self.tls_due || self.closed {
            return None;
        }
        let line = self.line()?;
        if self.server {
            if line == "STARTTLS" {
                self.out.push_back(Bytes::from_static(b"220 go\r\n"));
                self.tls_due = true;
            } else {
                let secure = if self.secure { " (tls)" } else { "" };
                self.out
                    .push_back(Bytes::from(format!("echo {line}{secure}\r\n")));
            }
        } else if line == "220 go" {
            if !self.buf.is_empty() {
                self.closed = true;
                return Some(format!("injected {} bytes", self.buf.len()));
            }
            self.tls_due = true;
        } else {
            self.send_next();
        }
        Some(line)
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn is_closed(&self) -> bool {
        self.closed && self.out.is_empty()
    }
    fn wants_input(&self) -> bool {
        !self.closed && !self.wants_tls()
    }
    fn wants_tls(&self) -> bool {
        self.tls_due && self.out.is_empty()
    }
    fn handle_tls_established(&mut self, _: Instant) {
        // After a STARTTLS switch the client goes on with its script; under implicit TLS
        // its first line is already queued.
        let switched = std::mem::replace(&mut self.tls_due, false);
        self.secure = true;
        self.discarded += self.buf.len();
        self.buf.clear();
        self.events.push_back("secure".into());
        if !self.server && switched {
            self.send_next();
        }
    }
}

struct Certs {
    server: Arc<rustls::ServerConfig>,
    client: Arc<rustls::ClientConfig>,
}

fn certs() -> Certs {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert: CertificateDer<'static> = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Certs {
        server: Arc::new(server),
        client: Arc::new(client),
    }
}

fn name(n: &str) -> ServerName<'static> {
    ServerName::try_from(n.to_string()).unwrap()
}

fn run(pair: &mut Pair<Tls<Toy>, Tls<Toy>>) -> (Vec<String>, Vec<String>) {
    let (mut c, mut s) = (Vec::new(), Vec::new());
    pair.run(|_, e| c.push(e), |_, e| s.push(e));
    (c, s)
}

#[test]
fn starttls_switches_both_sides_and_carries_the_rest_encrypted() {
    let certs = certs();
    let client = Tls::client(
        Toy::client(&["hello", "STARTTLS", "secret"]),
        certs.client.clone(),
        name("localhost"),
        Start::WhenAsked,
    );
    let server = Tls::server(Toy::server(), certs.server.clone(), Start::WhenAsked);
    let mut pair = Pair::new(client, server);
    let (c, s) = run(&mut pair);
    assert_eq!(s, ["hello", "STARTTLS", "secure", "secret", "eof"]);
    assert_eq!(
        c,
        ["echo hello", "220 go", "secure", "echo secret (tls)", "eof"]
    );
    assert!(pair.client.info().is_some_and(|i| i.version == "TLSv1.3"));
    assert!(pair.server.info().is_some());
    // Only what preceded the switch is readable on the wire; the secret never is.
    let wire = String::from_utf8_lossy(&pair.client_wire).into_owned();
    assert!(wire.starts_with("hello\r\nSTARTTLS\r\n"), "{wire:?}");
    assert!(!wire.contains("secret"));
    let back = String::from_utf8_lossy(&pair.server_wire).into_owned();
    assert!(back.starts_with("echo hello\r\n220 go\r\n"));
    assert!(!back.contains("echo secret"));
}

#[test]
fn implicit_tls_encrypts_from_the_first_byte() {
    let certs = certs();
    let client = Tls::client(
        Toy::client(&["hello"]),
        certs.client.clone(),
        name("localhost"),
        Start::Implicit,
    );
    let server = Tls::server(Toy::server(), certs.server.clone(), Start::Implicit);
    let mut pair = Pair::new(client, server);
    let (c, s) = run(&mut pair);
    assert_eq!(s, ["secure", "hello", "eof"]);
    assert_eq!(c, ["secure", "echo hello (tls)", "eof"]);
    // A TLS record starts with content type 22 (handshake), never with plaintext.
    assert_eq!(pair.client_wire[0], 22);
    assert!(!String::from_utf8_lossy(&pair.client_wire).contains("hello"));
}

#[test]
fn server_discards_plaintext_pipelined_behind_starttls() {
    // CVE-2011-0411: a command injected behind STARTTLS in the same packet must never be
    // executed inside the TLS session.
    let certs = certs();
    let mut server = Tls::server(Toy::server(), certs.server.clone(), Start::WhenAsked);
    server.handle_input(Instant::ZERO, b"STARTTLS\r\nINJECTED\r\n");
    assert_eq!(server.poll_event().as_deref(), Some("STARTTLS"));
    assert_eq!(
        server.poll_event(),
        None,
        "nothing decoded behind the switch"
    );
    assert_eq!(&server.poll_transmit().unwrap()[..], b"220 go\r\n");
    assert_eq!(server.poll_transmit(), None);
    // The real handshake follows; the injected line is discarded, never echoed.
    let mut client = Tls::client(
        Toy::client(&["STARTTLS", "after"]),
        certs.client.clone(),
        name("localhost"),
        Start::WhenAsked,
    );
    assert_eq!(&client.poll_transmit().unwrap()[..], b"STARTTLS\r\n");
    client.handle_input(Instant::ZERO, b"220 go\r\n");
    let mut pair = Pair::new(client, server);
    let (_, s) = run(&mut pair);
    assert!(s.iter().all(|e| e != "INJECTED"), "{s:?}");
    assert_eq!(pair.server.get_ref().discarded, "INJECTED\r\n".len());
    assert!(s.contains(&"after".to_string()), "{s:?}");
}

#[test]
fn client_fails_on_plaintext_behind_the_servers_ready_reply() {
    // A server (or a man in the middle) that sends plaintext after `220` would have it
    // read as a reply inside TLS; the client machine refuses, and the layer never starts.
    let certs = certs();
    let mut client = Tls::client(
        Toy::client(&["STARTTLS"]),
        certs.client.clone(),
        name("localhost"),
        Start::WhenAsked,
    );
    assert_eq!(&client.poll_transmit().unwrap()[..], b"STARTTLS\r\n");
    client.handle_input(Instant::ZERO, b"220 go\r\n250 injected\r\n");
    assert_eq!(client.poll_event().as_deref(), Some("injected 14 bytes"));
    assert_eq!(
        client.poll_transmit(),
        None,
        "no ClientHello after an injection"
    );
    assert!(client.is_closed());
}

#[test]
fn a_certificate_for_another_name_fails_closed() {
    let certs = certs();
    let client = Tls::client(
        Toy::client(&["hello"]),
        certs.client.clone(),
        name("mail.example.org"),
        Start::Implicit,
    );
    let server = Tls::server(Toy::server(), certs.server.clone(), Start::Implicit);
    let mut pair = Pair::new(client, server);
    let (c, s) = run(&mut pair);
    assert!(pair.client.error().is_some(), "the name mismatch must fail");
    assert!(!c.contains(&"secure".to_string()) && c.contains(&"eof".to_string()));
    assert!(!s.contains(&"hello".to_string()));
    assert!(!String::from_utf8_lossy(&pair.client_wire).contains("hello"));
    assert!(pair.client.is_closed());
}

#[test]
fn plaintext_where_a_handshake_is_due_fails_the_server() {
    let certs = certs();
    let mut server = Tls::server(Toy::server(), certs.server.clone(), Start::Implicit);
    server.handle_input(Instant::ZERO, b"EHLO plaintext.example\r\n");
    assert!(server.error().is_some());
    assert_eq!(server.poll_event().as_deref(), Some("eof"));
    // At most a TLS alert goes out, never the machine's plaintext.
    while let Some(b) = server.poll_transmit() {
        assert_eq!(b[0], 21, "only an alert record may follow a failure");
    }
    assert!(server.is_closed());
}

#[test]
fn a_plaintext_layer_passes_through_and_refuses_a_switch_it_cannot_make() {
    let mut server = Tls::plaintext(Toy::server());
    server.handle_input(Instant::ZERO, b"hello\r\nSTARTTLS\r\n");
    assert_eq!(server.poll_event().as_deref(), Some("hello"));
    assert_eq!(&server.poll_transmit().unwrap()[..], b"echo hello\r\n");
    assert_eq!(server.poll_event().as_deref(), Some("STARTTLS"));
    assert_eq!(&server.poll_transmit().unwrap()[..], b"220 go\r\n");
    assert_eq!(server.poll_transmit(), None);
    assert!(matches!(
        server.error(),
        Some(wirestate::tls::TlsError::NotConfigured)
    ));
    assert!(server.is_closed());
}

/// rustls holds at most 64 KiB of unsent TLS (and, before the handshake, plaintext) and
/// writes short beyond it: the layer must take what it is given in pieces, not drop the
/// rest. A 300 KB line each way, queued whole before the handshake and after it, must
/// arrive whole.
#[test]
fn writes_beyond_the_session_buffer_limit_arrive_whole() {
    let certs = certs();
    let big: &'static str = Box::leak("x".repeat(300_000).into_boxed_str());
    let client = Tls::client(
        Toy::client(&[big]),
        certs.client.clone(),
        name("localhost"),
        Start::Implicit,
    );
    let server = Tls::server(Toy::server(), certs.server.clone(), Start::Implicit);
    let mut pair = Pair::new(client, server);
    let (c, s) = run(&mut pair);
    let lens = |v: &[String]| v.iter().map(String::len).collect::<Vec<_>>();
    assert_eq!(s.len(), 3, "{:?}", lens(&s));
    assert_eq!(s[1], big, "server got {:?}", lens(&s));
    assert_eq!(c.len(), 3, "{:?}", lens(&c));
    assert_eq!(
        c[1],
        format!("echo {big} (tls)"),
        "client got {:?}",
        lens(&c)
    );
}

/// A rustls client driven by hand, so a test can pace the two directions apart, and a
/// server layer it has completed a handshake with.
fn handshaken(certs: &Certs) -> (rustls::ClientConnection, Tls<Toy>) {
    let mut server = Tls::server(Toy::server(), certs.server.clone(), Start::Implicit);
    let mut client =
        rustls::ClientConnection::new(certs.client.clone(), name("localhost")).unwrap();
    client.set_buffer_limit(None);
    for _ in 0..10 {
        if !client.is_handshaking() {
            return (client, server);
        }
        let mut wire = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut wire).unwrap();
        }
        server.handle_input(Instant::ZERO, &wire);
        while server.poll_event().is_some() {}
        while let Some(records) = server.poll_transmit() {
            assert!(deliver(&mut client, &records).is_empty());
        }
    }
    panic!("no handshake after ten round trips");
}

/// Gives `records` to the client and returns the plaintext they carried.
fn deliver(client: &mut rustls::ClientConnection, mut records: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut plain = Vec::new();
    while !records.is_empty() {
        client.read_tls(&mut records).unwrap();
        client.process_new_packets().unwrap();
        match client.reader().read_to_end(&mut plain) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("client read: {e}"),
        }
    }
    plain
}

/// `count` pipelined lines of 1,000 bytes, numbered so that order shows, as the client
/// encrypts them; and the echo the server owes for them.
fn pipelined(client: &mut rustls::ClientConnection, count: usize) -> (Vec<u8>, Vec<u8>) {
    use std::io::Write;
    let mut echoes = Vec::new();
    for i in 0..count {
        let line = format!("{i:06}{}", "y".repeat(994));
        write!(client.writer(), "{line}\r\n").unwrap();
        write!(echoes, "echo {line} (tls)\r\n").unwrap();
    }
    let mut wire = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut wire).unwrap();
    }
    (wire, echoes)
}

const SLICE: usize = 4096;

/// A caller that keeps feeding requests and never takes the responses: the layer must
/// stop asking for input once the session holds its limit, rather than let the machine's
/// queue (or its own) grow with every request. Before the bound, the server read all
/// 2 MB and the Toy held 2 MB of echoes.
#[test]
fn output_never_taken_stops_input_within_the_buffer_limit() {
    let certs = certs();
    let (mut client, mut server) = handshaken(&certs);
    let (wire, _) = pipelined(&mut client, 2_000);
    let mut fed = 0;
    while fed < wire.len() && server.wants_input() {
        let n = (wire.len() - fed).min(SLICE);
        server.handle_input(Instant::ZERO, &wire[fed..fed + n]);
        fed += n;
        while server.poll_event().is_some() {}
    }
    assert!(
        fed < wire.len(),
        "the server read all {fed} bytes with no output taken"
    );
    // The session's limit of echoes, the one echo held, and the slice that filled it.
    assert!(
        fed <= wirestate::tls::BUFFER_LIMIT + 3 * SLICE,
        "read {fed} bytes before stopping"
    );
    let queued: usize = server.get_ref().out.iter().map(Bytes::len).sum();
    assert!(
        queued <= 2 * SLICE,
        "the machine still queues {queued} bytes of echoes"
    );
    // Nothing more is taken while the output waits, however often the caller asks.
    assert!(!server.wants_input() && !server.wants_body());
    assert_eq!(server.poll_event(), None);
}

/// Once the caller takes output again, everything held arrives whole and in order, and
/// reading resumes; the bound engages many times over 2 MB.
#[test]
fn held_output_arrives_in_order_once_taken() {
    let certs = certs();
    let (mut client, mut server) = handshaken(&certs);
    let (wire, echoes) = pipelined(&mut client, 2_000);
    let (mut fed, mut stops, mut got) = (0, 0, Vec::new());
    for _ in 0..100_000 {
        while fed < wire.len() && server.wants_input() {
            let n = (wire.len() - fed).min(SLICE);
            server.handle_input(Instant::ZERO, &wire[fed..fed + n]);
            fed += n;
            while server.poll_event().is_some() {}
        }
        stops += usize::from(fed < wire.len());
        // Take one piece per round, as a driver does when the socket is slow.
        let Some(records) = server.poll_transmit() else {
            if fed == wire.len() {
                break;
            }
            continue;
        };
        got.extend_from_slice(&deliver(&mut client, &records));
    }
    assert_eq!(fed, wire.len());
    assert!(stops > 10, "the bound engaged only {stops} times");
    assert_eq!(got.len(), echoes.len());
    assert!(got == echoes, "the echoes arrived out of order or changed");
}

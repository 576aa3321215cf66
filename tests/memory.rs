//! Memory on the record: `size_of` of every machine and the heap it holds idle, after a
//! typical exchange, and holding the most undecoded input its limits allow, plus the allocations SMTP DATA and
//! POP3 RETR make per connection, per message and per chunk, and the greeting server's
//! per message (none). A counting global
//! allocator measures them; the test prints every figure and fails when one grows past
//! the documented one (README "Memory"). The documented figures are the constants
//! below, one table per protocol; HTTP's are together in `HTTP` so they can be updated
//! in one place.
//!
//! "Heap held" is what the machine frees when dropped, after every event and transmit
//! it handed out has been dropped: exactly what it keeps for itself.

mod common;

use bytes::Bytes;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::mem::size_of;
use std::sync::Arc;
use wirestate::proxy::Proxied;
use wirestate::tls::{Start, Tls};
use wirestate::{greeting, http, pop3, smtp, Instant, Machine};

struct Counting;

// Per thread, so tests running in parallel do not count each other's allocations.
thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|l| l.set(l.get() + layout.size() as isize));
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get() - layout.size() as isize));
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = LIVE.try_with(|l| l.set(l.get() + new_size as isize - layout.size() as isize));
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

/// The heap `m` holds: what dropping it frees.
fn held<M>(m: M) -> usize {
    let before = live();
    drop(m);
    (before - live()) as usize
}

/// Drains every event and transmit, dropping them.
fn quiet<M: Machine>(m: &mut M) {
    loop {
        let mut moved = false;
        while m.poll_event().is_some() {
            moved = true;
        }
        while m.poll_transmit().is_some() {
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

/// `m` holding as much undecoded input as its `max_buffered` allows: `unit` repeated
/// to just under the limit, handed in at once with no event polled, as a pipelining
/// peer and a caller that is slow to drain would leave it.
fn at_limit<M: Machine>(mut m: M, unit: &[u8], max_buffered: usize) -> M {
    let input: Vec<u8> = unit
        .iter()
        .copied()
        .cycle()
        .take((max_buffered - 1) / unit.len() * unit.len())
        .collect();
    m.handle_input(Instant::ZERO, &input);
    m
}

/// One row of the table: what is documented, and what was measured.
struct Row {
    machine: &'static str,
    size: usize,
    idle: usize,
    typical: usize,
    limit: usize,
}

/// The documented figures: `size_of`, heap idle, heap after a typical exchange, heap
/// at the `max_buffered` limit (README "Memory" says what each scenario is).
type Doc = (&'static str, usize, usize, usize, usize);

/// HTTP's documented figures, in one place: the HTTP machines are being made smaller
/// and faster, and these are the numbers to update when they are.
const HTTP: [Doc; 2] = [
    ("http::Server", 528, 2272, 2312, 1048556),
    ("http::Client", 528, 2368, 2408, 1048892),
];

const GREETING: [Doc; 2] = [
    ("greeting::Server", 392, 0, 208, 65532),
    ("greeting::Client", 384, 0, 360, 65532),
];

const SMTP: [Doc; 2] = [
    ("smtp::Server", 888, 99, 2040, 262239),
    ("smtp::Client", 816, 73, 1522, 262209),
];

const POP3: [Doc; 2] = [
    ("pop3::Server", 584, 108, 1747, 262248),
    ("pop3::Client", 488, 0, 1628, 262140),
];

/// The layers: `size_of` around an `smtp::Server`, and heap idle (for `Tls` with a
/// server session started, the rustls connection it holds).
const LAYERS: [Doc; 3] = [
    ("Tls<smtp::Server> plaintext", 1056, 0, 0, 0),
    ("Tls<smtp::Server> implicit", 1056, 1960, 0, 0),
    ("Proxied<smtp::Server>", 1072, 0, 0, 0),
];

fn greeting_rows() -> Vec<Row> {
    use greeting::{Client, ClientConfig, Framing, Server, ServerConfig};
    let server = || {
        let mut s = Server::new(ServerConfig::new(Framing::Line));
        quiet(&mut s);
        s
    };
    let client = || Client::new(ClientConfig::new(Framing::Line));
    let typical_server = {
        let mut s = server();
        for _ in 0..10 {
            s.handle_input(Instant::ZERO, b"Ada Lovelace\n");
            quiet(&mut s);
        }
        s
    };
    let typical_client = {
        let mut c = client();
        c.handle_input(Instant::ZERO, b"Welcome!\n");
        for _ in 0..10 {
            c.send_name(b"Ada Lovelace").unwrap();
            quiet(&mut c);
            c.handle_input(Instant::ZERO, b"Hello, Ada Lovelace!\n");
            quiet(&mut c);
        }
        c
    };
    let max = ServerConfig::default().limits.max_buffered;
    let limit_server = at_limit(server(), b"Ada\n", max);
    let limit_client = at_limit(client(), b"Hello, Ada!\n", max);
    vec![
        Row {
            machine: "greeting::Server",
            size: size_of::<Server>(),
            idle: held(server()),
            typical: held(typical_server),
            limit: held(limit_server),
        },
        Row {
            machine: "greeting::Client",
            size: size_of::<Client>(),
            idle: held(client()),
            typical: held(typical_client),
            limit: held(limit_client),
        },
    ]
}

const BROWSER: &[u8] = b"GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Connection: keep-alive\r\n\r\n";

fn http_rows() -> Vec<Row> {
    use http::{Client, ClientConfig, Method, RequestHead, ResponseHead, Server, ServerConfig};
    use http::{ServerEvent, StatusCode};
    let server = || Server::new(ServerConfig::default());
    let client = || Client::new(ClientConfig::default());
    let typical_server = {
        let mut s = server();
        for _ in 0..10 {
            s.handle_input(Instant::ZERO, BROWSER);
            while let Some(e) = s.poll_event() {
                if let ServerEvent::End { .. } = e {
                    s.respond(
                        ResponseHead::new(StatusCode::OK),
                        Bytes::from(vec![b'x'; 1024]),
                    )
                    .unwrap();
                }
            }
            quiet(&mut s);
        }
        s
    };
    let typical_client = {
        let mut c = client();
        for _ in 0..10 {
            let mut get = RequestHead::new(Method::Get, "/index.html").unwrap();
            get.headers.append("Host", "example.com").unwrap();
            c.send_request(get).unwrap();
            c.send_end().unwrap();
            quiet(&mut c);
            c.handle_input(
                Instant::ZERO,
                b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n",
            );
            c.handle_input(Instant::ZERO, &[b'x'; 1024]);
            quiet(&mut c);
        }
        c
    };
    let max = ServerConfig::default().limits.max_buffered;
    let limit_server = at_limit(server(), BROWSER, max);
    let limit_client = at_limit(
        client(),
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        max,
    );
    vec![
        Row {
            machine: "http::Server",
            size: size_of::<Server>(),
            idle: held(server()),
            typical: held(typical_server),
            limit: held(limit_server),
        },
        Row {
            machine: "http::Client",
            size: size_of::<Client>(),
            idle: held(client()),
            typical: held(typical_client),
            limit: held(limit_client),
        },
    ]
}

/// An SMTP server that has greeted, and the answers a simple MTA gives.
fn smtp_server() -> smtp::Server {
    let mut config = smtp::ServerConfig::default();
    config.auto_accept_hello = true;
    config.auto_accept_envelope = true;
    let mut s = smtp::Server::new(config);
    quiet(&mut s);
    s
}

/// Feeds one transaction (MAIL, RCPT, DATA, `chunks` pieces of `piece` octets of
/// CRLF-terminated text, the end) and accepts it.
fn smtp_transaction(s: &mut smtp::Server, chunks: usize, piece: usize) {
    s.handle_input(
        Instant::ZERO,
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n",
    );
    smtp_answer(s);
    let mut line = vec![b'x'; piece - 2];
    line.extend_from_slice(b"\r\n");
    for _ in 0..chunks {
        s.handle_input(Instant::ZERO, &line);
        smtp_answer(s);
    }
    s.handle_input(Instant::ZERO, b".\r\n");
    smtp_answer(s);
}

fn smtp_answer(s: &mut smtp::Server) {
    while let Some(e) = s.poll_event() {
        if let smtp::ServerEvent::End { decision, .. } = e {
            s.accept(decision).unwrap();
        }
    }
    while s.poll_transmit().is_some() {}
}

fn smtp_rows() -> Vec<Row> {
    use smtp::{Client, ClientConfig, Envelope, ForwardPath, ReversePath, Server};
    let typical_server = {
        let mut s = smtp_server();
        s.handle_input(Instant::ZERO, b"EHLO client.example\r\n");
        smtp_answer(&mut s);
        for _ in 0..3 {
            smtp_transaction(&mut s, 10, 1000);
        }
        s
    };
    let max = smtp::Limits::default().max_buffered;
    let limit_server = at_limit(smtp_server(), b"NOOP\r\n", max);
    let client = || Client::new(ClientConfig::default());
    let typical_client = {
        let mut c = client();
        c.handle_input(Instant::ZERO, b"220 mx ESMTP\r\n");
        quiet(&mut c);
        c.handle_input(
            Instant::ZERO,
            b"250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
        );
        quiet(&mut c);
        for _ in 0..3 {
            let env = Envelope::new(ReversePath::Null, vec![ForwardPath::Postmaster]);
            c.send_mail(env).unwrap();
            quiet(&mut c);
            c.handle_input(Instant::ZERO, b"250 ok\r\n250 ok\r\n354 go\r\n");
            quiet(&mut c);
            for _ in 0..10 {
                c.send_data(Bytes::from(vec![b'x'; 1000])).unwrap();
                quiet(&mut c);
            }
            c.send_end().unwrap();
            quiet(&mut c);
            c.handle_input(Instant::ZERO, b"250 queued\r\n");
            quiet(&mut c);
        }
        c
    };
    let limit_client = at_limit(client(), b"250 ok\r\n", max);
    vec![
        Row {
            machine: "smtp::Server",
            size: size_of::<Server>(),
            idle: held(smtp_server()),
            typical: held(typical_server),
            limit: held(limit_server),
        },
        Row {
            machine: "smtp::Client",
            size: size_of::<Client>(),
            idle: held(client()),
            typical: held(typical_client),
            limit: held(limit_client),
        },
    ]
}

/// A POP3 server past login with `messages` in its listing.
fn pop3_server(messages: usize, size: u64) -> pop3::Server {
    let mut s = pop3::Server::new(pop3::ServerConfig::default());
    quiet(&mut s);
    s.handle_input(Instant::ZERO, b"USER u\r\nPASS p\r\n");
    while let Some(e) = s.poll_event() {
        if let pop3::ServerEvent::Login { decision, .. } = e {
            let listing = (0..messages)
                .map(|i| pop3::MessageInfo::new(size, pop3::Uid::new(&format!("u{i}")).unwrap()))
                .collect();
            s.accept_login(decision, listing).unwrap();
        }
    }
    quiet(&mut s);
    s
}

/// Serves RETR 1 from `s` in `chunks` pieces of `piece` octets.
fn pop3_retr(s: &mut pop3::Server, chunks: usize, piece: usize) {
    s.handle_input(Instant::ZERO, b"RETR 1\r\n");
    let mut line = vec![b'x'; piece - 2];
    line.extend_from_slice(b"\r\n");
    let line = Bytes::from(line);
    while let Some(e) = s.poll_event() {
        if let pop3::ServerEvent::Retrieve { decision, .. } = e {
            s.start_message(decision).unwrap();
            for _ in 0..chunks {
                s.send_data(line.clone()).unwrap();
                while s.poll_transmit().is_some() {}
            }
            s.send_end().unwrap();
        }
    }
    while s.poll_transmit().is_some() {}
}

fn pop3_rows() -> Vec<Row> {
    use pop3::{Client, ClientConfig, MessageNumber, Server, ServerConfig};
    let idle_server = || {
        let mut s = Server::new(ServerConfig::default());
        quiet(&mut s);
        s
    };
    let typical_server = {
        let mut s = pop3_server(10, 10_000);
        for _ in 0..3 {
            pop3_retr(&mut s, 10, 1000);
        }
        s
    };
    let max = pop3::Limits::default().max_buffered;
    let limit_server = at_limit(idle_server(), b"NOOP\r\n", max);
    let client = || Client::new(ClientConfig::default());
    let typical_client = {
        let mut c = client();
        c.handle_input(Instant::ZERO, b"+OK ready\r\n");
        quiet(&mut c);
        c.user("u").unwrap();
        c.pass("p").unwrap();
        quiet(&mut c);
        c.handle_input(Instant::ZERO, b"+OK\r\n+OK\r\n");
        quiet(&mut c);
        for _ in 0..3 {
            c.retr(MessageNumber::new(1).unwrap()).unwrap();
            quiet(&mut c);
            c.handle_input(Instant::ZERO, b"+OK 10000 octets\r\n");
            for _ in 0..10 {
                let mut line = vec![b'x'; 998];
                line.extend_from_slice(b"\r\n");
                c.handle_input(Instant::ZERO, &line);
                quiet(&mut c);
            }
            c.handle_input(Instant::ZERO, b".\r\n");
            quiet(&mut c);
        }
        c
    };
    let limit_client = at_limit(client(), b"+OK\r\n", max);
    vec![
        Row {
            machine: "pop3::Server",
            size: size_of::<Server>(),
            idle: held(idle_server()),
            typical: held(typical_server),
            limit: held(limit_server),
        },
        Row {
            machine: "pop3::Client",
            size: size_of::<Client>(),
            idle: held(client()),
            typical: held(typical_client),
            limit: held(limit_client),
        },
    ]
}

fn tls_server_config() -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert: CertificateDer<'static> = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    Arc::new(config)
}

fn layer_rows() -> Vec<Row> {
    let config = tls_server_config();
    let plain = Tls::plaintext(smtp_server());
    let plain_heap = held(plain) - held(smtp_server());
    let implicit = Tls::server(smtp_server(), config.clone(), Start::Implicit);
    let implicit_heap = held(implicit) - held(smtp_server());
    let proxied = Proxied::transparent(smtp_server());
    let proxied_heap = held(proxied) - held(smtp_server());
    vec![
        Row {
            machine: "Tls<smtp::Server> plaintext",
            size: size_of::<Tls<smtp::Server>>(),
            idle: plain_heap,
            typical: 0,
            limit: 0,
        },
        Row {
            machine: "Tls<smtp::Server> implicit",
            size: size_of::<Tls<smtp::Server>>(),
            idle: implicit_heap,
            typical: 0,
            limit: 0,
        },
        Row {
            machine: "Proxied<smtp::Server>",
            size: size_of::<Proxied<smtp::Server>>(),
            idle: proxied_heap,
            typical: 0,
            limit: 0,
        },
    ]
}

/// Compares measured rows with the documented ones and prints both.
fn check(rows: &[Row], doc: &[Doc]) -> Vec<String> {
    let mut over = Vec::new();
    for (row, d) in rows.iter().zip(doc) {
        assert_eq!(row.machine, d.0);
        println!(
            "| {} | {} | {} | {} | {} |   (documented: {} / {} / {} / {})",
            row.machine, row.size, row.idle, row.typical, row.limit, d.1, d.2, d.3, d.4
        );
        for (what, got, max) in [
            ("size_of", row.size, d.1),
            ("heap idle", row.idle, d.2),
            ("heap after a typical exchange", row.typical, d.3),
            ("heap at the limit", row.limit, d.4),
        ] {
            if got > max {
                over.push(format!(
                    "{}: {what} is {got} bytes, documented {max}",
                    row.machine
                ));
            }
        }
    }
    over
}

#[test]
fn every_machine_stays_within_its_documented_memory() {
    println!("| machine | size_of | heap idle | heap typical | heap at limit |");
    let mut over = Vec::new();
    over.extend(check(&greeting_rows(), &GREETING));
    over.extend(check(&http_rows(), &HTTP));
    over.extend(check(&smtp_rows(), &SMTP));
    over.extend(check(&pop3_rows(), &POP3));
    over.extend(check(&layer_rows(), &LAYERS));
    assert!(
        over.is_empty(),
        "grew past the README figures:\n{}",
        over.join("\n")
    );
}

/// Allocations an `smtp::Server` makes for one whole transaction after the first (MAIL,
/// RCPT, DATA, the data, the end, every reply): README "Memory". None of them depends on
/// how many pieces the data came in.
const SMTP_DATA_PER_MESSAGE: usize = 33;
/// Allocations of `smtp::Server::new` and its greeting: once per connection.
const SMTP_SERVER_PER_CONNECTION: usize = 11;
/// Allocations a `pop3::Server` makes to serve one RETR after the first, the message
/// streamed through `send_data`: none per chunk.
const POP3_RETR_SERVER_PER_MESSAGE: usize = 6;
/// Allocations a `pop3::Client` makes to read one RETR answer: none per chunk.
const POP3_RETR_CLIENT_PER_MESSAGE: usize = 2;
/// Allocations of `pop3::Server::new` and its greeting: once per connection.
const POP3_SERVER_PER_CONNECTION: usize = 8;

/// Allocations made by `f`.
fn counted(f: impl FnOnce()) -> usize {
    let before = allocs();
    f();
    allocs() - before
}

#[test]
fn smtp_data_allocates_per_message_not_per_chunk() {
    let mut s = smtp_server();
    s.handle_input(Instant::ZERO, b"EHLO client.example\r\n");
    smtp_answer(&mut s);
    // Warm up: the first transaction sizes the buffers.
    smtp_transaction(&mut s, 10, 1000);
    let per = |chunks| {
        let mut s2 = smtp_server();
        s2.handle_input(Instant::ZERO, b"EHLO client.example\r\n");
        smtp_answer(&mut s2);
        smtp_transaction(&mut s2, 10, 1000);
        counted(|| smtp_transaction(&mut s2, chunks, 1000))
    };
    let (one, ten, hundred) = (per(1), per(10), per(100));
    println!("smtp::Server DATA: allocations per message with 1 / 10 / 100 chunks: {one} / {ten} / {hundred}");
    let connection = counted(|| drop(smtp_server()));
    println!("smtp::Server per connection (new + greeting): {connection}");
    // None per chunk: a hundred chunks cost what one does.
    assert!(
        ten <= one && hundred <= one,
        "allocations grow with chunks: {one} / {ten} / {hundred}"
    );
    assert!(
        one <= SMTP_DATA_PER_MESSAGE,
        "{one} per message, documented {SMTP_DATA_PER_MESSAGE}"
    );
    assert!(
        connection <= SMTP_SERVER_PER_CONNECTION,
        "{connection} per connection, documented {SMTP_SERVER_PER_CONNECTION}"
    );
}

#[test]
fn pop3_retr_allocates_per_message_not_per_chunk() {
    let per = |chunks| {
        let mut s = pop3_server(3, 100_000);
        pop3_retr(&mut s, 10, 1000);
        counted(|| pop3_retr(&mut s, chunks, 1000))
    };
    let (one, ten, hundred) = (per(1), per(10), per(100));
    println!("pop3::Server RETR: allocations per message with 1 / 10 / 100 chunks: {one} / {ten} / {hundred}");
    assert!(
        ten <= one && hundred <= one,
        "allocations grow with chunks: {one} / {ten} / {hundred}"
    );
    assert!(
        one <= POP3_RETR_SERVER_PER_MESSAGE,
        "{one} per message, documented {POP3_RETR_SERVER_PER_MESSAGE}"
    );
    let connection = counted(|| {
        let mut s = pop3::Server::new(pop3::ServerConfig::default());
        quiet(&mut s);
    });
    println!("pop3::Server per connection (new + greeting): {connection}");
    assert!(
        connection <= POP3_SERVER_PER_CONNECTION,
        "{connection} per connection, documented {POP3_SERVER_PER_CONNECTION}"
    );
    let client = |chunks: usize| {
        let mut c = pop3::Client::new(pop3::ClientConfig::default());
        c.handle_input(Instant::ZERO, b"+OK ready\r\n");
        quiet(&mut c);
        let mut line = vec![b'x'; 998];
        line.extend_from_slice(b"\r\n");
        let mut once = || {
            c.retr(pop3::MessageNumber::new(1).unwrap()).unwrap();
            quiet(&mut c);
            c.handle_input(Instant::ZERO, b"+OK\r\n");
            for _ in 0..chunks {
                c.handle_input(Instant::ZERO, &line);
                quiet(&mut c);
            }
            c.handle_input(Instant::ZERO, b".\r\n");
            quiet(&mut c);
        };
        once();
        counted(once)
    };
    let (one, ten, hundred) = (client(1), client(10), client(100));
    println!("pop3::Client RETR: allocations per message with 1 / 10 / 100 chunks: {one} / {ten} / {hundred}");
    assert!(
        ten <= one && hundred <= one,
        "allocations grow with chunks: {one} / {ten} / {hundred}"
    );
    assert!(
        one <= POP3_RETR_CLIENT_PER_MESSAGE,
        "{one} per message, documented {POP3_RETR_CLIENT_PER_MESSAGE}"
    );
}

/// A greeting server in a steady exchange (each reply written and dropped before the
/// next message comes, as a lockstep peer leaves it) allocates nothing per message:
/// replies are framed into a buffer the machine keeps, whose allocation comes back once
/// the reply taken from it is dropped, and received chunks are views of the receive
/// buffer.
#[test]
fn greeting_server_allocates_nothing_per_message_once_warm() {
    use greeting::{Framing, Server, ServerConfig};
    for framing in [Framing::Chunk, Framing::Line] {
        let mut s = Server::new(ServerConfig::new(framing));
        let message: &[u8] = match framing {
            Framing::Chunk => b"Ada Lovelace",
            _ => b"Ada Lovelace\n",
        };
        let exchange = |s: &mut Server| {
            s.handle_input(Instant::ZERO, message);
            quiet(s);
        };
        // Warm up: the first messages size the buffers.
        for _ in 0..3 {
            exchange(&mut s);
        }
        let per_hundred = counted(|| {
            for _ in 0..100 {
                exchange(&mut s);
            }
        });
        println!("greeting::Server ({framing:?}): {per_hundred} allocations in 100 messages");
        assert_eq!(per_hundred, 0, "{framing:?}: allocations per message");
    }
}

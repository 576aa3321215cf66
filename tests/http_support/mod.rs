//! Helpers shared by the HTTP test files: an echo server machine and a client machine
//! whose events merge adjacent body data, so that event lists can be compared however
//! the input was split. Transcripts are read with `common::Transcript`.
#![allow(dead_code)]

use crate::common::Row;
use bytes::Bytes;
use std::collections::VecDeque;
use wirestate::http::{
    Client, ClientConfig, ClientEvent, Error, Headers, Limits, RequestHead, ResponseHead, Server,
    ServerConfig, ServerEvent, StatusCode,
};
use wirestate::{CloseReason, Instant, Machine};

/// A server config with these limits.
pub fn server_config(limits: Limits) -> ServerConfig {
    let mut c = ServerConfig::default();
    c.limits = limits;
    c
}

/// A client config with these limits.
pub fn client_config(limits: Limits) -> ClientConfig {
    let mut c = ClientConfig::default();
    c.limits = limits;
    c
}

/// A server with these limits.
pub fn server(limits: Limits) -> Server {
    Server::new(server_config(limits))
}

/// A client with these limits.
pub fn client(limits: Limits) -> Client {
    Client::new(client_config(limits))
}

/// The default limits, changed by `f` (`Limits` is `#[non_exhaustive]`).
pub fn limits(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    f(&mut l);
    l
}

/// Server events with adjacent `Data` merged into one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    Request(RequestHead),
    Data(Vec<u8>),
    Ext(Bytes),
    End(Headers),
    Tunnel(Vec<u8>),
    Error(Error),
    Closed(CloseReason),
}

/// The echo application: answers each request with `200 OK` and the body
/// `METHOD TARGET\r\n`, then `ext X\r\n` per chunk extension and `trailer N: V\r\n` per
/// trailer, then the request body. A request with `Expect: 100-continue` whose target
/// contains `reject` gets `417` at once; any other is answered `100 Continue` when the
/// machine asks.
pub struct Echo {
    pub conn: Server,
    req: Option<RequestHead>,
    notes: Vec<u8>,
    body: Vec<u8>,
    acc: Vec<u8>,
    held: VecDeque<Ev>,
    eof: bool,
    /// Heads are taken with `poll_request_ref` where it gives one (then `poll_event`).
    in_place: bool,
    /// Every request with its body and trailers, as the application saw them.
    pub seen: Vec<(RequestHead, Vec<u8>, Headers)>,
}

impl Echo {
    pub fn new(limits: Limits) -> Echo {
        Echo {
            conn: server(limits),
            req: None,
            notes: Vec::new(),
            body: Vec::new(),
            acc: Vec::new(),
            held: VecDeque::new(),
            eof: false,
            in_place: false,
            seen: Vec::new(),
        }
    }

    /// The same application reading each head it can with `Server::poll_request_ref`,
    /// turned into the owned event with `RequestRef::to_head`; each borrowed view is
    /// checked against that owned head on the way.
    pub fn in_place(limits: Limits) -> Echo {
        Echo {
            in_place: true,
            ..Echo::new(limits)
        }
    }

    /// The next server event: from `poll_request_ref` first when reading in place.
    fn next_event(&mut self) -> Option<ServerEvent> {
        if self.in_place {
            if let Some(r) = self.conn.poll_request_ref() {
                let head = r.to_head();
                assert_eq!(r.method(), head.method.as_bytes());
                assert_eq!(r.target(), head.target.as_bytes());
                assert_eq!(r.target_form(), head.target.form());
                assert_eq!(r.version(), head.version);
                assert!(r.headers().eq(head.headers.iter()), "{r:?}");
                for (name, _) in head.headers.iter() {
                    assert_eq!(r.header(name), head.headers.get(name));
                }
                return Some(ServerEvent::Request {
                    head,
                    body: r.body(),
                    connection: r.connection(),
                });
            }
        }
        self.conn.poll_event()
    }

    fn act(&mut self, e: ServerEvent) -> Option<Ev> {
        match e {
            ServerEvent::Request { head: r, .. } => {
                let reject = r.headers.get(b"expect").is_some()
                    && r.target.as_bytes().windows(6).any(|w| w == b"reject");
                if reject {
                    self.conn
                        .respond(
                            ResponseHead::new(StatusCode::EXPECTATION_FAILED),
                            Bytes::new(),
                        )
                        .unwrap();
                }
                self.req = Some(r.clone());
                self.notes.clear();
                self.body.clear();
                Some(Ev::Request(r))
            }
            ServerEvent::Continue(d) => {
                self.conn.send_continue(d).unwrap();
                None
            }
            ServerEvent::Data(d) => {
                self.body.extend_from_slice(&d);
                self.acc.extend_from_slice(&d);
                None
            }
            ServerEvent::ChunkExtension(x) => {
                self.notes.extend_from_slice(b"ext ");
                self.notes.extend_from_slice(&x);
                self.notes.extend_from_slice(b"\r\n");
                Some(Ev::Ext(x))
            }
            ServerEvent::End { trailers: t } => {
                let req = self.req.take().expect("end without request");
                let mut reply = Vec::new();
                reply.extend_from_slice(req.method.as_bytes());
                reply.push(b' ');
                reply.extend_from_slice(req.target.as_bytes());
                reply.extend_from_slice(b"\r\n");
                reply.extend_from_slice(&self.notes);
                for (n, v) in t.iter() {
                    reply.extend_from_slice(b"trailer ");
                    reply.extend_from_slice(n);
                    reply.extend_from_slice(b": ");
                    reply.extend_from_slice(v);
                    reply.extend_from_slice(b"\r\n");
                }
                reply.extend_from_slice(&self.body);
                let mut head = ResponseHead::new(StatusCode::OK);
                head.headers.append("Content-Type", "text/plain").unwrap();
                // Refused only when the request was already answered (417).
                let _ = self.conn.respond(head, Bytes::from(reply));
                self.seen.push((req, self.body.clone(), t.clone()));
                Some(Ev::End(t))
            }
            ServerEvent::Tunnel(b) => Some(Ev::Tunnel(b.to_vec())),
            ServerEvent::Error(e) => Some(Ev::Error(e)),
            ServerEvent::Closed(r) => Some(Ev::Closed(r)),
            other => panic!("unexpected {other:?}"),
        }
    }
}

impl Machine for Echo {
    type Event = Ev;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.conn.handle_input(now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        self.eof = true;
        self.conn.handle_eof(now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.conn.handle_timeout(now)
    }
    fn poll_event(&mut self) -> Option<Ev> {
        loop {
            if !self.held.is_empty() {
                return self.held.pop_front();
            }
            match self.next_event() {
                Some(e) => {
                    if let Some(ev) = self.act(e) {
                        if self.acc.is_empty() {
                            return Some(ev);
                        }
                        self.held.push_back(ev);
                        return Some(Ev::Data(std::mem::take(&mut self.acc)));
                    }
                }
                None => {
                    // Data still arriving is held back, so a split cannot change the
                    // events; at EOF it is flushed.
                    if self.eof && !self.acc.is_empty() {
                        return Some(Ev::Data(std::mem::take(&mut self.acc)));
                    }
                    return None;
                }
            }
        }
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.conn.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }
    fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }
    fn wants_input(&self) -> bool {
        self.conn.wants_input()
    }
    fn wants_body(&self) -> bool {
        self.conn.wants_body()
    }
}

/// Client events with adjacent `Data` merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cv {
    Info(ResponseHead),
    Response(ResponseHead),
    Data(Vec<u8>),
    Ext(Bytes),
    End(Headers),
    Tunnel(Vec<u8>),
    Error(Error),
    Closed(CloseReason),
}

/// A client connection whose events merge adjacent data and tunnel bytes.
pub struct Merged {
    pub conn: Client,
    acc: Vec<u8>,
    tunnel: bool,
    held: Option<Cv>,
    eof: bool,
    /// Heads are taken with `poll_response_ref` where it gives one (then `poll_event`).
    in_place: bool,
    /// How many heads `poll_response_ref` gave.
    pub taken: usize,
}

impl Merged {
    pub fn new(conn: Client) -> Merged {
        Merged {
            conn,
            acc: Vec::new(),
            tunnel: false,
            held: None,
            eof: false,
            in_place: false,
            taken: 0,
        }
    }

    /// The same, reading each head it can with `Client::poll_response_ref`, turned into
    /// the owned event with `ResponseRef::to_head`; each borrowed view is checked
    /// against that owned head on the way.
    pub fn in_place(conn: Client) -> Merged {
        Merged {
            in_place: true,
            ..Merged::new(conn)
        }
    }

    /// The next client event: from `poll_response_ref` first when reading in place.
    fn next_event(&mut self) -> Option<ClientEvent> {
        if self.in_place {
            if let Some(r) = self.conn.poll_response_ref() {
                let head = r.to_head();
                assert_eq!(r.version(), head.version);
                assert_eq!(r.status(), head.status);
                assert_eq!(r.reason(), &head.reason[..]);
                assert!(r.headers().eq(head.headers.iter()), "{r:?}");
                for (name, _) in head.headers.iter() {
                    assert_eq!(r.header(name), head.headers.get(name));
                }
                assert!(!head.status.is_informational(), "{r:?}");
                self.taken += 1;
                return Some(ClientEvent::Response(head));
            }
        }
        self.conn.poll_event()
    }
    fn flush(&mut self) -> Cv {
        let data = std::mem::take(&mut self.acc);
        if self.tunnel {
            Cv::Tunnel(data)
        } else {
            Cv::Data(data)
        }
    }
}

impl Machine for Merged {
    type Event = Cv;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.conn.handle_input(now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        self.eof = true;
        self.conn.handle_eof(now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.conn.handle_timeout(now)
    }
    fn poll_event(&mut self) -> Option<Cv> {
        loop {
            if let Some(h) = self.held.take() {
                return Some(h);
            }
            let ev = match self.next_event() {
                None => {
                    if self.eof && !self.acc.is_empty() {
                        return Some(self.flush());
                    }
                    return None;
                }
                Some(ClientEvent::Data(d)) => {
                    self.acc.extend_from_slice(&d);
                    continue;
                }
                Some(ClientEvent::Tunnel(d)) => {
                    self.tunnel = true;
                    self.acc.extend_from_slice(&d);
                    continue;
                }
                Some(ClientEvent::Informational(r)) => Cv::Info(r),
                Some(ClientEvent::Response(r)) => Cv::Response(r),
                Some(ClientEvent::ChunkExtension(x)) => Cv::Ext(x),
                Some(ClientEvent::End { trailers }) => Cv::End(trailers),
                Some(ClientEvent::Error(e)) => Cv::Error(e),
                Some(ClientEvent::Closed(r)) => Cv::Closed(r),
                Some(other) => panic!("unexpected {other:?}"),
            };
            if self.acc.is_empty() {
                return Some(ev);
            }
            self.held = Some(ev);
            return Some(self.flush());
        }
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.conn.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }
    fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }
    fn wants_input(&self) -> bool {
        self.conn.wants_input()
    }
    fn wants_body(&self) -> bool {
        self.conn.wants_body()
    }
}

/// A request head with Host set, for tests.
pub fn get(target: &str) -> RequestHead {
    let mut r = RequestHead::new(wirestate::http::Method::Get, target).unwrap();
    r.headers.append("Host", "example.com").unwrap();
    r
}

/// A row from the tables' compact form: `"9112 6.1"` is RFC 9112 section 6.1. The input
/// lives for the whole test run.
pub fn row<E>(cite: &'static str, rule: &'static str, input: String, expect: E) -> Row<E> {
    let (rfc, section) = cite.split_once(' ').expect("RFC number, then section");
    let rfc = match rfc {
        "9112" => "RFC 9112",
        "9110" => "RFC 9110",
        "6585" => "RFC 6585",
        other => panic!("unknown RFC {other}"),
    };
    Row {
        rfc,
        section,
        rule,
        input: Box::leak(input.into_bytes().into_boxed_slice()),
        expect,
    }
}

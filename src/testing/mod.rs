//! A kit for testing code built on the machines (feature `testing`): the harness the
//! crate's own tests use, made public.
//!
//! * [`Pair`]: any client machine wired to any server machine, with a virtual clock and
//!   explicit delivery: the test decides when bytes move ([`Pair::run`]), how they are
//!   cut ([`Split`]) and when time passes ([`Pair::advance`]).
//! * [`feed_cut`] feeds one machine its input cut at chosen offsets;
//!   [`assert_chunking_invariant`] proves that no cut changes what it says or does.
//! * [`drive`]: the [`Machine`](crate::Machine) driver loop over a scripted peer, with
//!   EOF, flow control, TLS switch and timers, knowing no protocol.
//! * [`Transcript`]: the `C:`/`S:` format of real exchanges, and [`replay_server`] /
//!   [`replay_client`] / [`replay`], which check a machine against one byte for byte and
//!   say where it differs ([`Mismatch`]).
//! * [`Network`]: many pairs on one simulated network under one virtual clock, with
//!   seeded [`Faults`] (random cuts, delays, reordering across connections, dropped
//!   connections), for simulation tests that replay from their seed.
//! * [`Row`]: one row of a conformance table, citing its RFC section.
//! * [`drain`], [`drain_bytes`], [`events`]: everything a machine has pending.
//!
//! Everything here works without `std` (it needs `alloc`), except reading transcript
//! files ([`Transcript::from_file`], [`Transcript::names_in`]), which needs the `std`
//! feature. Turn the kit on for tests only:
//!
//! ```toml
//! [dev-dependencies]
//! wirestate = { version = "0.1", features = ["testing"] }
//! ```
//!
//! # Testing your own handler
//!
//! Your code decides what to do with each event of our machine; test it against our
//! other machine with a [`Pair`]. Here the handler keeps a guest book of the names a
//! greeting server is told, and the test runs it against our greeting client, one byte
//! per `handle_input` call:
//!
//! ```
//! use wirestate::greeting::{Client, ClientConfig, Framing, Server, ServerConfig, ServerEvent};
//! use wirestate::testing::{Pair, Split};
//!
//! // The handler under test.
//! fn guest_book(book: &mut Vec<String>, event: ServerEvent) {
//!     if let ServerEvent::Message(name) = event {
//!         book.push(String::from_utf8_lossy(&name).into_owned());
//!     }
//! }
//!
//! let mut client = Client::new(ClientConfig::new(Framing::Line));
//! client.send_name(b"Ada").unwrap();
//! client.send_name("Zoë".as_bytes()).unwrap();
//! client.finish().unwrap();
//! let server = Server::new(ServerConfig::new(Framing::Line));
//! let mut pair = Pair::new(client, server).with_split(Split::Every(1));
//! let mut book = Vec::new();
//! pair.run(|_, _| {}, |_, event| guest_book(&mut book, event));
//! assert_eq!(book, ["Ada", "Zoë"]);
//! assert_eq!(pair.server_wire, "Welcome!\nHello, Ada!\nHello, Zoë!\n".as_bytes());
//! ```
//!
//! ## An SMTP server handler against our client
//!
//! The handler under test is a relay policy: mail for `example.org` is taken, any other
//! recipient is refused with `550`, and the data lands in an inbox. Our client sends one
//! message to one local and one remote recipient, and the test checks both sides:
//!
//! ```
//! use bytes::Bytes;
//! use wirestate::smtp::{Client, ClientConfig, ClientEvent, Envelope, ForwardPath, Reply};
//! use wirestate::smtp::{ReversePath, Server, ServerConfig, ServerEvent};
//! use wirestate::testing::{Pair, Split};
//!
//! // The handler under test.
//! fn policy(s: &mut Server, event: ServerEvent, inbox: &mut Vec<u8>) {
//!     match event {
//!         ServerEvent::Hello { decision, .. } => s.accept(decision).unwrap(),
//!         ServerEvent::Mail { decision, .. } => s.accept(decision).unwrap(),
//!         ServerEvent::Rcpt { to, decision, .. } if to.to_string().ends_with("@example.org>") => {
//!             s.accept(decision).unwrap()
//!         }
//!         ServerEvent::Rcpt { decision, .. } => {
//!             s.reject(decision, Reply::new(550, "relaying denied").unwrap()).unwrap()
//!         }
//!         ServerEvent::DataStart { decision, .. } => s.accept(decision).unwrap(),
//!         ServerEvent::Data(piece) => inbox.extend_from_slice(&piece),
//!         ServerEvent::End { decision, .. } => s.accept(decision).unwrap(),
//!         _ => {}
//!     }
//! }
//!
//! // The test: our client, cut into 3-byte reads, against the handler.
//! let to = ["<ada@example.org>", "<eve@elsewhere.example>"].map(|t| ForwardPath::parse(t).unwrap());
//! let mut envelope = Some(Envelope::new(ReversePath::parse("<grace@example.net>").unwrap(), to.to_vec()));
//! let mut pair = Pair::new(Client::new(ClientConfig::default()), Server::new(ServerConfig::default()))
//!     .with_split(Split::Every(3));
//! let (mut inbox, mut outcome) = (Vec::new(), None);
//! pair.run_with_bodies(
//!     |c, e| match e {
//!         ClientEvent::Ready => match envelope.take() {
//!             Some(env) => c.send_mail(env).unwrap(),
//!             None => c.quit().unwrap(),
//!         },
//!         ClientEvent::Sent { accepted, .. } => outcome = Some(accepted),
//!         _ => {}
//!     },
//!     |s, e| policy(s, e, &mut inbox),
//!     |c| c.send_last(Bytes::from_static(b"Subject: hi\r\n\r\nHello, Ada.\r\n")).unwrap(),
//!     |_| {},
//! );
//! assert_eq!(outcome, Some(vec![0])); // only the local recipient was accepted
//! assert_eq!(inbox, b"Subject: hi\r\n\r\nHello, Ada.\r\n");
//! ```
//!
//! ## A POP3 maildrop against our client
//!
//! The maildrop under test serves messages from memory to the password `pw` and
//! removes what the client deleted when the session ends. Our client logs in, fetches
//! message 1 (its line that starts with a dot crosses the wire stuffed and comes out as
//! it was), deletes it and quits:
//!
//! ```
//! use bytes::Bytes;
//! use wirestate::pop3::{Client, ClientConfig, ClientEvent, Credentials, MessageInfo, MessageNumber};
//! use wirestate::pop3::{ResponseCode, Server, ServerConfig, ServerEvent, Text, Uid};
//! use wirestate::testing::{Pair, Split};
//!
//! // The maildrop under test.
//! struct Maildrop { messages: Vec<&'static [u8]>, removed: Vec<u32> }
//! impl Maildrop {
//!     fn handle(&mut self, s: &mut Server, event: ServerEvent) {
//!         match event {
//!             ServerEvent::Login { credentials: Credentials::User { password, .. }, decision }
//!                 if password.expose() == b"pw" =>
//!             {
//!                 let listing = (self.messages.iter().enumerate())
//!                     .map(|(i, m)| MessageInfo::new(m.len() as u64, Uid::new(&format!("m{i}")).unwrap()))
//!                     .collect();
//!                 s.accept_login(decision, listing).unwrap();
//!             }
//!             ServerEvent::Login { decision, .. } => s
//!                 .reject_login(decision, Some(ResponseCode::Auth), Text::new("no").unwrap())
//!                 .unwrap(),
//!             ServerEvent::Retrieve { msg, decision } => {
//!                 s.start_message(decision).unwrap();
//!                 s.send_data(Bytes::from_static(self.messages[msg.index()])).unwrap();
//!                 s.send_end().unwrap();
//!             }
//!             ServerEvent::Update { deleted, decision } => {
//!                 self.removed = deleted.iter().map(|n| n.get()).collect();
//!                 s.finish_update(decision, true).unwrap();
//!             }
//!             _ => {}
//!         }
//!     }
//! }
//!
//! // The test: our client, one byte per read, against the maildrop.
//! let first = MessageNumber::new(1).unwrap();
//! let mut client = Client::new(ClientConfig::default());
//! client.user("ada").unwrap();
//! client.pass("pw").unwrap();
//! client.retr(first).unwrap();
//! client.dele(first).unwrap();
//! client.quit().unwrap();
//! let mut maildrop = Maildrop { messages: vec![b"Subject: x\r\n\r\n.hidden\r\n"], removed: vec![] };
//! let mut pair = Pair::new(client, Server::new(ServerConfig::default())).with_split(Split::Every(1));
//! let mut fetched = Vec::new();
//! pair.run(
//!     |_, e| if let ClientEvent::Data(piece) = e { fetched.extend_from_slice(&piece) },
//!     |s, e| maildrop.handle(s, e),
//! );
//! assert_eq!(fetched, b"Subject: x\r\n\r\n.hidden\r\n");
//! assert_eq!(maildrop.removed, [1]);
//! ```
//!
//! ## HTTP routing against our client
//!
//! The handler under test routes by target: `/` is the home page, anything else `404`.
//! Our client pipelines two requests and reads both answers:
//!
//! ```
//! use bytes::Bytes;
//! use wirestate::http::{Client, ClientConfig, ClientEvent, Method, RequestHead, ResponseHead};
//! use wirestate::http::{Server, ServerConfig, ServerEvent, StatusCode};
//! use wirestate::testing::{Pair, Split};
//!
//! // The handler under test: answers each request once its body has ended.
//! fn route(s: &mut Server, event: ServerEvent, target: &mut Vec<u8>) {
//!     match event {
//!         ServerEvent::Request { head, .. } => *target = head.target.as_bytes().to_vec(),
//!         ServerEvent::End { .. } => {
//!             let (status, body) = match &target[..] {
//!                 b"/" => (StatusCode::OK, "home"),
//!                 _ => (StatusCode::NOT_FOUND, "nothing here"),
//!             };
//!             s.respond(ResponseHead::new(status), Bytes::from(body)).unwrap();
//!         }
//!         _ => {}
//!     }
//! }
//!
//! // The test: two pipelined GETs from our client, in 5-byte reads.
//! let mut client = Client::new(ClientConfig::default());
//! for path in ["/", "/missing"] {
//!     let mut get = RequestHead::new(Method::Get, path).unwrap();
//!     get.headers.append("Host", "shop.example").unwrap();
//!     client.send_request(get).unwrap();
//!     client.send_end().unwrap();
//! }
//! let mut pair = Pair::new(client, Server::new(ServerConfig::default())).with_split(Split::Every(5));
//! let (mut target, mut answers) = (Vec::new(), Vec::<(u16, Vec<u8>)>::new());
//! pair.run(
//!     |_, e| match e {
//!         ClientEvent::Response(head) => answers.push((head.status.as_u16(), Vec::new())),
//!         ClientEvent::Data(piece) => answers.last_mut().unwrap().1.extend_from_slice(&piece),
//!         _ => {}
//!     },
//!     |s, e| route(s, e, &mut target),
//! );
//! assert_eq!(answers, [(200, b"home".to_vec()), (404, b"nothing here".to_vec())]);
//! ```
//!
//! However TCP cuts the input, a machine must say the same: [`assert_chunking_invariant`]
//! feeds it whole, split at every position and byte by byte, and panics on the first cut
//! that changes the events or the output. Here it checks the machine and the handler
//! together:
//!
//! ```
//! use wirestate::greeting::{Framing, Server, ServerConfig, ServerEvent};
//! use wirestate::testing::assert_chunking_invariant;
//!
//! let input = b"Ada\r\nGrace\n\nexit\n";
//! let (events, out) =
//!     assert_chunking_invariant(|| Server::new(ServerConfig::new(Framing::Line)), input);
//! let names: Vec<_> = events
//!     .into_iter()
//!     .filter_map(|e| match e {
//!         ServerEvent::Message(m) => Some(m),
//!         _ => None,
//!     })
//!     .collect();
//! assert_eq!(names, ["Ada", "Grace", ""]);
//! assert_eq!(out, b"Welcome!\nHello, Ada!\nHello, Grace!\nHello, !\n");
//! ```
//!
//! A transcript of a real exchange pins the bytes: [`replay_server`] feeds a server the
//! client's lines and checks everything it sends against the server's lines, in
//! lockstep; on a difference it says at which byte, and what was expected and sent.
//! (Keep transcripts in files and load them with [`Transcript::from_file`].)
//!
//! ```
//! use wirestate::greeting::{Server, ServerConfig};
//! use wirestate::testing::{replay_server, Transcript};
//!
//! let transcript = Transcript::parse(
//!     "# the classic session: one read is one message\n\
//!      s: Welcome!\n\
//!      c: Michael\n\
//!      s: Hello, Michael!\n\
//!      c: exit\n",
//! );
//! replay_server(&mut Server::new(ServerConfig::default()), &transcript).unwrap();
//!
//! let wrong = Transcript::parse("s: Welcome!\nc: Michael\ns: Hi, Michael!\n");
//! let mismatch = replay_server(&mut Server::new(ServerConfig::default()), &wrong).unwrap_err();
//! assert_eq!(mismatch.offset, 9); // "Welcome!" and "H" matched
//! assert_eq!(mismatch.got, b"ello, Michael!");
//! ```

mod drive;
mod feed;
mod network;
mod pair;
mod row;
mod transcript;

pub use drive::{drive, Driven};
pub(crate) use feed::deliver;
pub use feed::{assert_chunking_invariant, drain, drain_bytes, events, feed_cut, Split};
pub use network::{Faults, NetStats, Network};
pub use pair::Pair;
pub use row::Row;
pub use transcript::{
    replay, replay_client, replay_server, Mismatch, Side, Transcript, TranscriptError,
};

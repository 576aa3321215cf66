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
mod pair;
mod row;
mod transcript;

pub use drive::{drive, Driven};
pub(crate) use feed::deliver;
pub use feed::{assert_chunking_invariant, drain, drain_bytes, events, feed_cut, Split};
pub use pair::Pair;
pub use row::Row;
pub use transcript::{
    replay, replay_client, replay_server, Mismatch, Side, Transcript, TranscriptError,
};

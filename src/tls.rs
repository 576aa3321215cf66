//! TLS for any machine: [`Tls`] wraps a [`Machine`] in a rustls session and is itself a
//! [`Machine`], so every driver runs it unchanged (feature `rustls`, which needs `std`).
//!
//! The layer is sans-IO like the machines it wraps: ciphertext in through
//! `handle_input`, ciphertext out through `poll_transmit`, and the wrapped machine sees
//! only plaintext. It starts TLS either from the first byte ([`Start::Implicit`]: HTTPS,
//! SMTP submission on 465, POP3S, RFC 8314) or when the wrapped machine asks for it
//! through [`Machine::wants_tls`] ([`Start::WhenAsked`]: SMTP `STARTTLS`, RFC 3207; POP3
//! `STLS`, RFC 2595). It tells the machine once the handshake is done with
//! [`Machine::handle_tls_established`].
//!
//! It is built on rustls' buffered `ServerConnection` / `ClientConnection`
//! (`read_tls`, `process_new_packets`, `write_tls`), which is the sans-IO core of rustls.
//!
//! What it guarantees at the switch (the STARTTLS injection class, CVE-2011-0411):
//! plaintext is passed to the wrapped machine only before the switch, and once the
//! switch is due every received byte goes to rustls. Plaintext a peer pipelined behind
//! its `STARTTLS` in the same read was given to the machine before the switch, and the
//! machines discard it (server) or fail on it (client); plaintext that arrives later
//! fails the handshake. A TLS failure closes the layer: the wrapped machine gets
//! `handle_eof`, and nothing it says afterwards is sent in the clear.
//!
//! What it holds for the peer is bounded. The session takes at most [`BUFFER_LIMIT`]
//! bytes of unsent records (before the handshake ends: of plaintext waiting for keys);
//! a piece of the machine's plaintext it could not take yet waits in the layer, and
//! while one does, the layer asks the machine for nothing more and answers
//! [`Machine::wants_input`] and [`Machine::wants_body`] with `false`, so the machine's
//! own flow control holds the rest. The caller's part is the [`Machine`] loop: keep
//! calling `poll_transmit` and writing what it returns; each call moves held plaintext
//! into the session as the records before it are taken, and reading resumes once the
//! held piece has gone in. Nothing is dropped or reordered on the way.
//!
//! ```
//! use std::sync::Arc;
//! use wirestate::tls::{Start, Tls};
//! use wirestate::greeting::{Server, ServerConfig};
//! use wirestate::Machine;
//!
//! fn https_like(config: Arc<rustls::ServerConfig>) -> Tls<Server> {
//!     Tls::server(Server::new(ServerConfig::default()), config, Start::Implicit)
//! }
//! ```

use crate::{Instant, Machine};
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;
use core::ops::{Deref, DerefMut};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};
use std::io::{Read, Write};

/// The most unsent data the rustls session holds: 64 KiB (rustls' own default, set
/// explicitly so the bound documented here is the one in force). Past it the session
/// takes no more of the machine's plaintext until `poll_transmit` has taken records; see
/// the [module docs](self) for what the layer does meanwhile.
///
/// ```
/// assert_eq!(wirestate::tls::BUFFER_LIMIT, 64 * 1024);
/// ```
pub const BUFFER_LIMIT: usize = 64 * 1024;

/// When the layer starts TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Start {
    /// From the first byte (HTTPS, SMTPS on 465, POP3S on 995: RFC 8314).
    Implicit,
    /// When the wrapped machine's [`Machine::wants_tls`] says so (STARTTLS, STLS).
    WhenAsked,
}

/// What was negotiated, once the handshake is done.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The protocol version as Postfix writes it in `Received:` lines: `TLSv1.3`.
    pub version: &'static str,
    /// The cipher suite's IANA name, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
}

/// Why the TLS session failed: rustls' own error, or a local fault.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// The handshake or a record failed (bad certificate, plaintext where TLS was due, a
    /// decryption failure, ...).
    Rustls(rustls::Error),
    /// rustls refused to create the session from its configuration.
    Setup(rustls::Error),
    /// The machine asked for TLS, but the layer was made with [`Tls::plaintext`].
    NotConfigured,
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Rustls(e) => write!(f, "TLS failed: {e}"),
            TlsError::Setup(e) => write!(f, "TLS session could not be set up: {e}"),
            TlsError::NotConfigured => f.write_str("TLS was asked for but is not configured"),
        }
    }
}

impl std::error::Error for TlsError {}

/// Which side of TLS this layer plays, with what it needs to start.
enum Role {
    Server(Arc<ServerConfig>),
    Client(Arc<ClientConfig>, ServerName<'static>),
    /// No TLS configured: plaintext throughout, and a machine that asks for TLS anyway
    /// is failed rather than continued in the clear.
    None,
}

/// A machine behind TLS. See the [module docs](self).
///
/// `Tls<M>` dereferences to `M`, so an event handler answers through it as through the
/// bare machine (`tls.accept(decision)`), and can ask [`Tls::info`] what was negotiated.
pub struct Tls<M> {
    inner: M,
    role: Role,
    /// The session, once TLS has started. Boxed: rustls' connection is over a kilobyte,
    /// and inline it sat between the fields every transmit reads, so a plaintext
    /// connection carried its space and touched more cache lines per message.
    session: Option<Box<Connection>>,
    /// The wrapped machine has been told that the channel is secure.
    told: bool,
    /// Plaintext the machine gave that the session could not take yet (it was at
    /// [`BUFFER_LIMIT`]): it goes in, in order, before anything more is asked of the
    /// machine. At most one transmit of the machine's.
    held: Bytes,
    failure: Option<TlsError>,
    /// The wrapped machine closed and `close_notify` has been queued.
    notified: bool,
    now: Instant,
}

impl<M: Machine> Tls<M> {
    /// The server side: TLS with `config`, started as `start` says.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use wirestate::tls::{Start, Tls};
    /// # use wirestate::greeting::{Server, ServerConfig};
    /// # fn make(config: Arc<rustls::ServerConfig>) -> Tls<Server> {
    /// Tls::server(Server::new(ServerConfig::default()), config, Start::Implicit)
    /// # }
    /// ```
    pub fn server(inner: M, config: Arc<ServerConfig>, start: Start) -> Tls<M> {
        Tls::new(inner, Role::Server(config), start)
    }

    /// The client side: TLS with `config`, verifying the server as `name`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use wirestate::tls::{Start, Tls};
    /// # use wirestate::greeting::{Client, ClientConfig};
    /// # fn make(config: Arc<rustls::ClientConfig>) -> Tls<Client> {
    /// let name = rustls::pki_types::ServerName::try_from("mail.example.org").unwrap();
    /// Tls::client(Client::new(ClientConfig::default()), config, name, Start::WhenAsked)
    /// # }
    /// ```
    pub fn client(
        inner: M,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
        start: Start,
    ) -> Tls<M> {
        Tls::new(inner, Role::Client(config, name), start)
    }

    /// A layer with no TLS configured: bytes pass through unchanged, so a program can
    /// give every connection the same machine type (`Tls<M>`) whether or not it was
    /// given a certificate. If the machine asks for TLS all the same, the layer fails
    /// with [`TlsError::NotConfigured`] instead of going on in the clear.
    ///
    /// ```
    /// use wirestate::tls::Tls;
    /// use wirestate::greeting::{Server, ServerConfig};
    /// use wirestate::Machine;
    /// let mut m = Tls::plaintext(Server::new(ServerConfig::default()));
    /// assert_eq!(&m.poll_transmit().unwrap()[..], b"Welcome!");
    /// ```
    pub fn plaintext(inner: M) -> Tls<M> {
        Tls::new(inner, Role::None, Start::WhenAsked)
    }

    fn new(inner: M, role: Role, start: Start) -> Tls<M> {
        let mut tls = Tls {
            inner,
            role,
            session: None,
            told: false,
            held: Bytes::new(),
            failure: None,
            notified: false,
            now: Instant::ZERO,
        };
        if start == Start::Implicit {
            tls.begin();
        }
        tls
    }

    /// The wrapped machine.
    ///
    /// ```
    /// # use wirestate::tls::Tls;
    /// # fn f(t: &Tls<wirestate::greeting::Server>) -> bool {
    /// t.get_ref().wants_input()
    /// # }
    /// # use wirestate::Machine;
    /// ```
    pub fn get_ref(&self) -> &M {
        &self.inner
    }

    /// The wrapped machine, mutably.
    ///
    /// ```
    /// # use wirestate::tls::Tls;
    /// # fn f(t: &mut Tls<wirestate::greeting::Client>) {
    /// let _ = t.get_mut().send_name(b"Ada");
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut M {
        &mut self.inner
    }

    /// The wrapped machine, unwrapped.
    ///
    /// ```
    /// # use wirestate::tls::Tls;
    /// # fn f(t: Tls<wirestate::greeting::Server>) -> wirestate::greeting::Server {
    /// t.into_inner()
    /// # }
    /// ```
    pub fn into_inner(self) -> M {
        self.inner
    }

    /// What was negotiated, once the handshake has completed.
    ///
    /// ```
    /// # use wirestate::tls::Tls;
    /// # fn f(t: &Tls<wirestate::greeting::Server>) {
    /// if let Some(info) = t.info() {
    ///     println!("using {} with cipher {}", info.version, info.cipher);
    /// }
    /// # }
    /// ```
    pub fn info(&self) -> Option<TlsInfo> {
        let session = self.session.as_ref().filter(|s| !s.is_handshaking())?;
        let version = match session.protocol_version()? {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
            _ => "TLS",
        };
        let suite = session.negotiated_cipher_suite()?.suite();
        let cipher = suite
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| alloc::format!("{suite:?}"));
        Some(TlsInfo { version, cipher })
    }

    /// Why TLS failed, if it did. The layer is closed after a failure.
    ///
    /// ```
    /// # use wirestate::tls::Tls;
    /// # fn f(t: &Tls<wirestate::greeting::Server>) {
    /// if let Some(e) = t.error() { eprintln!("{e}") }
    /// # }
    /// ```
    pub fn error(&self) -> Option<&TlsError> {
        self.failure.as_ref()
    }

    /// Creates the session; from now on every byte in and out is TLS.
    fn begin(&mut self) {
        let made = match &self.role {
            Role::Server(config) => ServerConnection::new(config.clone()).map(Connection::from),
            Role::Client(config, name) => {
                ClientConnection::new(config.clone(), name.clone()).map(Connection::from)
            }
            Role::None => return self.fail(TlsError::NotConfigured),
        };
        match made {
            Ok(mut session) => {
                // Past the limit the session writes short; `fill` holds the rest in `held`
                // instead of losing it, and stops pulling from the machine meanwhile.
                session.set_buffer_limit(Some(BUFFER_LIMIT));
                self.session = Some(Box::new(session));
            }
            Err(e) => self.fail(TlsError::Setup(e)),
        }
    }

    fn fail(&mut self, error: TlsError) {
        if self.failure.is_none() {
            self.failure = Some(error);
            // Nothing more goes into the session, so the held plaintext never will.
            self.held = Bytes::new();
            // Whatever the machine says from now on must not reach the peer in the clear,
            // and it must learn that the peer is gone.
            self.inner.handle_eof(self.now);
        }
    }

    /// Starts TLS if the wrapped machine has asked for it and its plaintext is out.
    fn switch_if_due(&mut self) {
        if self.session.is_none() && self.failure.is_none() && self.inner.wants_tls() {
            self.begin();
        }
    }

    /// Moves the machine's plaintext into the session, as much as it takes: the held
    /// piece first, then the machine's transmits, until the session writes short (the
    /// rest is held) or the machine has nothing more. Once the machine is closed and all
    /// of its plaintext is in, queues `close_notify`.
    fn fill(&mut self) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if self.failure.is_some() {
            return;
        }
        loop {
            if self.held.is_empty() {
                match self.inner.poll_transmit() {
                    Some(plain) => self.held = plain,
                    None => break,
                }
            }
            // Before the handshake ends rustls buffers plaintext until keys exist, after it
            // it encrypts at once; either way up to `BUFFER_LIMIT`.
            let mut zeros = 0;
            while !self.held.is_empty() {
                match session.writer().write(&self.held) {
                    Ok(0) => {
                        // Short because the session is full, or (once, in TLS 1.3) because
                        // rustls must queue a key update first: the second try tells.
                        zeros += 1;
                        if zeros == 2 {
                            return;
                        }
                    }
                    Ok(n) => {
                        zeros = 0;
                        bytes::Buf::advance(&mut self.held, n);
                    }
                    // The session has failed; `handle_input` reports it, and nothing more
                    // can be sent.
                    Err(_) => {
                        self.held = Bytes::new();
                        return;
                    }
                }
            }
        }
        if self.inner.is_closed() && !self.notified {
            self.notified = true;
            session.send_close_notify();
        }
    }

    /// Hands the session's decrypted plaintext to the wrapped machine.
    fn pump_in(&mut self, now: Instant) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if !self.told && !session.is_handshaking() {
            self.told = true;
            self.inner.handle_tls_established(now);
        }
        let mut plain = [0u8; 16 * 1024];
        loop {
            match session.reader().read(&mut plain) {
                Ok(0) => break,
                Ok(n) => self.inner.handle_input(now, &plain[..n]),
                // WouldBlock: no plaintext buffered now; UnexpectedEof: the peer closed
                // without close_notify, which `handle_eof` reports.
                Err(_) => break,
            }
        }
    }

    /// [`Machine::poll_transmit`] once TLS has started, failed or is due: starts it if
    /// due, and takes the session's records.
    #[inline(never)]
    fn poll_records(&mut self) -> Option<Bytes> {
        self.switch_if_due();
        // Taking records makes room, so held plaintext goes in at each call: in order,
        // behind the records already taken.
        self.fill();
        let session = self.session.as_mut()?;
        let mut records = Vec::new();
        while session.wants_write() {
            match session.write_tls(&mut records) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        (!records.is_empty()).then(|| Bytes::from(records))
    }

    /// [`Machine::handle_input`] once TLS has started, failed or is due.
    #[inline(never)]
    fn handle_input_tls(&mut self, now: Instant, mut bytes: &[u8]) {
        self.now = self.now.max(now);
        if self.failure.is_some() {
            return;
        }
        self.switch_if_due();
        if self.session.is_none() {
            self.inner.handle_input(now, bytes);
            return;
        }
        while !bytes.is_empty() {
            let session = self.session.as_mut().expect("TLS has started");
            if let Err(e) = session.read_tls(&mut bytes) {
                // Its buffer of unprocessed records is full: a peer sending faster than
                // records are processed; treat it as the protocol error it is.
                self.fail(TlsError::Rustls(rustls::Error::General(e.to_string())));
                return;
            }
            if let Err(e) = session.process_new_packets() {
                // rustls has queued the alert it wants to send; `poll_transmit` takes it.
                self.fail(TlsError::Rustls(e));
                return;
            }
            self.pump_in(now);
        }
        // What the machine said since the last call goes into the session now, so a
        // caller that feeds input without taking output meets the bound (and
        // `wants_input` turning false) instead of a machine queue that only grows.
        self.fill();
    }
}

impl<M: Machine> Machine for Tls<M> {
    type Event = M::Event;

    #[inline]
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        // Plaintext with no switch due, the common case of a plaintext-only server: the
        // machine's own call, inlined, with the TLS work out of line.
        if self.session.is_none() && self.failure.is_none() && !self.inner.wants_tls() {
            self.now = self.now.max(now);
            return self.inner.handle_input(now, bytes);
        }
        self.handle_input_tls(now, bytes);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.failure.is_none() {
            self.inner.handle_eof(now);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.inner.handle_timeout(now);
    }

    fn poll_event(&mut self) -> Option<M::Event> {
        self.inner.poll_event()
    }

    #[inline]
    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.session.is_none() && self.failure.is_none() {
            if let Some(plain) = self.inner.poll_transmit() {
                return Some(plain);
            }
            if !self.inner.wants_tls() {
                return None;
            }
        }
        self.poll_records()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    fn is_closed(&self) -> bool {
        let unsent = self.session.as_ref().is_some_and(|s| s.wants_write());
        if self.failure.is_some() {
            return !unsent;
        }
        self.inner.is_closed()
            && self.held.is_empty()
            && !unsent
            && (self.session.is_none() || self.notified)
    }

    /// As the machine's, except: true during the handshake and once a switch is due
    /// (those bytes are records for the layer), and false while the layer holds
    /// plaintext the session had no room for ([`BUFFER_LIMIT`]): output is backed up, so
    /// reading more would only make more of it. `poll_transmit` drains it.
    fn wants_input(&self) -> bool {
        match &self.session {
            _ if self.failure.is_some() => false,
            // The handshake must go on for the held plaintext to drain at all.
            Some(s) if s.is_handshaking() => true,
            // Once the switch is due the bytes are TLS records for the layer, not input
            // for the machine, which says no to them.
            None if self.inner.wants_tls() => true,
            Some(_) if !self.held.is_empty() => false,
            _ => self.inner.wants_input(),
        }
    }

    /// As the machine's, but false while records or held plaintext wait for
    /// `poll_transmit`: the next chunk is asked for only once the last is out.
    fn wants_body(&self) -> bool {
        self.failure.is_none()
            && self.held.is_empty()
            && self.session.as_ref().map_or(true, |s| !s.wants_write())
            && self.inner.wants_body()
    }

    fn wants_tls(&self) -> bool {
        // The layer itself performs the switch the wrapped machine asks for.
        false
    }
}

impl<M> Deref for Tls<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.inner
    }
}

impl<M> DerefMut for Tls<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.inner
    }
}

impl<M: fmt::Debug> fmt::Debug for Tls<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("inner", &self.inner)
            .field("started", &self.session.is_some())
            .field("established", &self.told)
            .field("failure", &self.failure)
            .finish()
    }
}

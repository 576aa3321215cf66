//! SMTP over `std::net`, shared by `smtp_server`, `smtp_send`, the demo and the benches:
//! the server's handler delivering into a Maildir, and the client's handler streaming
//! message bodies from any reader in constant memory. Both run under the generic
//! `std_io` driver: the client's body goes out through `Handler::on_send_ready`, paced
//! by `wants_body`.

use super::maildir::{Delivery, Maildir};
use super::{std_io, Handler};
use bytes::Bytes;
use std::io::{self, ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};
use wirestate::line::Canonicalizer;
use wirestate::smtp::*;
use wirestate::{Instant, Machine};

/// Server options the example programs expose.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub hostname: Domain,
    pub maildir: std::path::PathBuf,
    pub max_size: Option<u64>,
    pub pipelining: bool,
    pub chunking: bool,
    /// `user:password` accepted by AUTH PLAIN and LOGIN (offered without TLS, since the
    /// examples do not do TLS; for tests on loopback only).
    pub auth: Option<Credentials>,
    /// Print each event to stderr (passwords show as `<redacted>`).
    pub verbose: bool,
}

impl ServerOptions {
    pub fn new(maildir: impl Into<std::path::PathBuf>) -> ServerOptions {
        ServerOptions {
            hostname: Domain::default(),
            maildir: maildir.into(),
            max_size: Some(64 << 20),
            pipelining: true,
            chunking: true,
            auth: None,
            verbose: false,
        }
    }

    pub fn config(&self) -> ServerConfig {
        let mut c = ServerConfig::with_hostname(self.hostname.clone());
        c.max_message_size = self.max_size;
        c.pipelining = self.pipelining;
        c.chunking = self.chunking;
        // Any greeting is fine here; MAIL, RCPT and the data are answered below.
        c.auto_accept_hello = true;
        if self.auth.is_some() {
            c.auth = vec![AuthMechanism::Plain, AuthMechanism::Login];
            c.auth_without_tls = true;
        }
        c
    }
}

fn local_error() -> Reply {
    Reply::enhanced(
        451,
        EnhancedCode::new(4, 3, 0).unwrap(),
        "Local error in processing",
    )
    .unwrap()
}

/// The per-connection state of the Maildir-delivering server.
pub struct MaildirHandler {
    maildir: Option<Maildir>,
    auth: Option<Credentials>,
    verbose: bool,
    peer: SocketAddr,
    delivery: Option<Delivery>,
    failed: Option<io::Error>,
}

impl MaildirHandler {
    pub fn new(opts: &ServerOptions, peer: SocketAddr) -> MaildirHandler {
        let maildir = Maildir::create(&opts.maildir)
            .map_err(|e| eprintln!("maildir {}: {e}", opts.maildir.display()))
            .ok();
        MaildirHandler {
            maildir,
            auth: opts.auth.clone(),
            verbose: opts.verbose,
            peer,
            delivery: None,
            failed: None,
        }
    }
}

impl Handler<Server> for MaildirHandler {
    /// Acts on one server event: data goes to `tmp/`, and the 250 after the data is
    /// only sent once the file is fsynced and renamed into `new/`.
    fn on_event(&mut self, server: &mut Server, ev: ServerEvent) {
        if self.verbose && !matches!(ev, ServerEvent::Data(_)) {
            // Credentials hold their password as a Secret: this never prints it.
            eprintln!("{}: {ev:?}", self.peer);
        }
        let answered = match ev {
            ServerEvent::Mail { decision, .. } => server.accept(decision),
            ServerEvent::Rcpt { decision, .. } => server.accept(decision),
            ServerEvent::Verify { decision, .. } => server.accept(decision),
            ServerEvent::StartTls { decision } => {
                server.reject(decision, Reply::new(454, "TLS not available").unwrap())
            }
            ServerEvent::DataStart { decision, .. } => {
                self.failed = None;
                match self.maildir.as_ref().map(Maildir::begin) {
                    Some(Ok(d)) => {
                        self.delivery = Some(d);
                        server.accept(decision)
                    }
                    Some(Err(e)) => {
                        eprintln!("{}: cannot create message file: {e}", self.peer);
                        server.reject(decision, local_error())
                    }
                    None => server.reject(decision, local_error()),
                }
            }
            ServerEvent::Data(bytes) => {
                if let (Some(d), None) = (self.delivery.as_mut(), self.failed.as_ref()) {
                    if let Err(e) = d.write(&bytes) {
                        self.failed = Some(e);
                    }
                }
                Ok(())
            }
            ServerEvent::End { decision, .. } => {
                // Durability first (tmp/, fsync, rename into new/, fsync the folder),
                // and only then the 250.
                let result = match (self.delivery.take(), self.failed.take()) {
                    (Some(d), None) => d.commit(),
                    (_, Some(e)) => Err(e),
                    (None, None) => Err(io::Error::other("no message file")),
                };
                match result {
                    Ok(path) => {
                        let name = path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        let text = format!("Ok: queued as {name}");
                        let ok = Reply::enhanced(250, EnhancedCode::new(2, 0, 0).unwrap(), &text)
                            .unwrap();
                        server.accept_with(decision, ok)
                    }
                    Err(e) => {
                        eprintln!("{}: delivery failed: {e}", self.peer);
                        server.reject(decision, local_error())
                    }
                }
            }
            ServerEvent::Aborted(_) | ServerEvent::Closed(_) | ServerEvent::Reset => {
                // Nothing of an unfinished message may stay behind in tmp/.
                if let Some(d) = self.delivery.take() {
                    d.abort();
                }
                Ok(())
            }
            ServerEvent::Auth {
                credentials,
                decision,
                ..
            } => {
                let ok = self.auth.as_ref().is_some_and(|a| {
                    a.matches(&credentials.username, credentials.password.expose())
                });
                if ok {
                    server.accept(decision)
                } else {
                    let no = Reply::enhanced(
                        535,
                        EnhancedCode::new(5, 7, 8).unwrap(),
                        "Authentication credentials invalid",
                    )
                    .unwrap();
                    server.reject(decision, no)
                }
            }
            _ => Ok(()),
        };
        if let Err(e) = answered {
            eprintln!("{}: {e}", self.peer);
        }
    }
}

impl Drop for MaildirHandler {
    fn drop(&mut self) {
        if let Some(d) = self.delivery.take() {
            d.abort();
        }
    }
}

/// The `setup` function for `std_io::serve`: one machine and handler per connection.
pub fn server_setup(
    opts: ServerOptions,
) -> impl Fn(SocketAddr) -> (Server, MaildirHandler) + Send + Sync + 'static {
    move |peer| (Server::new(opts.config()), MaildirHandler::new(&opts, peer))
}

/// Receives each line of the dialogue.
pub type Log<'a> = &'a mut dyn FnMut(Dir, &str);

/// Which way a line of the dialogue went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Client,
    Server,
}

/// Splits a byte stream into lines for the log, across reads.
#[derive(Default)]
struct LineLog {
    partial: Vec<u8>,
}

impl LineLog {
    fn feed(&mut self, bytes: &[u8], dir: Dir, log: &mut dyn FnMut(Dir, &str)) {
        for &b in bytes {
            if b == b'\n' {
                let line = String::from_utf8_lossy(
                    self.partial.strip_suffix(b"\r").unwrap_or(&self.partial),
                )
                .into_owned();
                log(dir, &line);
                self.partial.clear();
            } else if self.partial.len() < 2000 {
                self.partial.push(b);
            }
        }
    }
}

/// Any machine, with every byte each way shown to a log as lines. It changes nothing
/// else, so the generic driver runs it like the machine itself; it can also be told to
/// give up (`abort`), which closes it at once.
pub struct Logged<'a, M> {
    pub inner: M,
    log: Option<Log<'a>>,
    sent: LineLog,
    received: LineLog,
    aborted: bool,
}

impl<'a, M: Machine> Logged<'a, M> {
    pub fn new(inner: M, log: Option<Log<'a>>) -> Self {
        Logged {
            inner,
            log,
            sent: LineLog::default(),
            received: LineLog::default(),
            aborted: false,
        }
    }

    /// Gives up on the connection: the driver closes it.
    pub fn abort(&mut self) {
        self.aborted = true;
    }
}

impl<M: Machine> Machine for Logged<'_, M> {
    type Event = M::Event;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if let Some(log) = self.log.as_mut() {
            self.received.feed(bytes, Dir::Server, *log);
        }
        self.inner.handle_input(now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        self.inner.handle_eof(now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.inner.handle_timeout(now)
    }
    fn poll_event(&mut self) -> Option<M::Event> {
        self.inner.poll_event()
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        let b = self.inner.poll_transmit()?;
        if let Some(log) = self.log.as_mut() {
            self.sent.feed(&b, Dir::Client, *log);
        }
        Some(b)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
    }
    fn is_closed(&self) -> bool {
        self.aborted || self.inner.is_closed()
    }
    fn wants_input(&self) -> bool {
        !self.aborted && self.inner.wants_input()
    }
    fn wants_body(&self) -> bool {
        !self.aborted && self.inner.wants_body()
    }
    fn wants_tls(&self) -> bool {
        self.inner.wants_tls()
    }
    fn handle_tls_established(&mut self, now: Instant) {
        self.inner.handle_tls_established(now)
    }
}

/// What happened to one message.
#[derive(Debug, Default)]
pub struct SendReport {
    /// Per-recipient RCPT replies.
    pub recipients: Vec<(usize, Reply)>,
    /// The final reply after the data, if the message was accepted.
    pub sent: Option<Reply>,
    /// The reply that failed the transaction, if it failed.
    pub failed: Option<Reply>,
}

/// A message to send: its envelope and a reader for its body.
pub type Message<'a> = (Envelope, Box<dyn Read + 'a>);

/// The client's handler: starts each message when the client is ready, records the
/// replies, and streams each body one piece ahead, so the last piece goes out with the
/// end (`BDAT n LAST`) instead of costing a `BDAT 0 LAST` round trip.
struct Sender<'a> {
    messages: std::vec::IntoIter<Message<'a>>,
    current: Option<(SendReport, Box<dyn Read + 'a>)>,
    reports: Vec<SendReport>,
    held: Option<Bytes>,
    buf: Vec<u8>,
    number: usize,
    error: Option<io::Error>,
}

impl<'a> Sender<'a> {
    /// The next piece of the body: at least two octets unless it is the last, because
    /// the one octet a piece can lose is an LF right after a CR that ended the previous
    /// one, and a piece that puts nothing on the wire would leave the driver waiting.
    fn read(&mut self) -> io::Result<Option<Bytes>> {
        let Some((_, body)) = self.current.as_mut() else {
            return Ok(None);
        };
        let mut n = 0;
        while n < 2 {
            match body.read(&mut self.buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok((n > 0).then(|| Bytes::copy_from_slice(&self.buf[..n])))
    }

    fn give_up(&mut self, client: &mut Logged<'_, Client>, e: io::Error) {
        self.error.get_or_insert(e);
        client.abort();
    }
}

impl Handler<Logged<'_, Client>> for Sender<'_> {
    fn on_event(&mut self, client: &mut Logged<'_, Client>, ev: ClientEvent) {
        match ev {
            ClientEvent::Ready => {
                if let Some((r, _)) = self.current.take() {
                    self.reports.push(r);
                }
                self.held = None;
                match self.messages.next() {
                    Some((env, body)) => {
                        self.number += 1;
                        match client.inner.send_mail(env) {
                            Ok(()) => self.current = Some((SendReport::default(), body)),
                            Err(e) => {
                                let msg = format!("message {}: {e}", self.number);
                                self.error = Some(io::Error::new(ErrorKind::InvalidInput, msg));
                                let _ = client.inner.quit();
                            }
                        }
                    }
                    None => {
                        let _ = client.inner.quit();
                    }
                }
            }
            ClientEvent::Recipient { index, reply } => {
                if let Some((r, _)) = self.current.as_mut() {
                    r.recipients.push((index, reply));
                }
            }
            ClientEvent::Sent { reply, .. } => {
                if let Some((r, _)) = self.current.as_mut() {
                    r.sent = Some(reply);
                }
            }
            ClientEvent::Failed(reply) => {
                if let Some((r, _)) = self.current.as_mut() {
                    r.failed = Some(reply);
                }
            }
            ClientEvent::Error(e) => {
                self.error.get_or_insert(io::Error::other(e.to_string()));
            }
            ClientEvent::Closed(reason) => {
                if let Some((r, _)) = self.current.take() {
                    self.reports.push(r);
                }
                if reason != CloseReason::Done && self.error.is_none() {
                    self.error = Some(io::Error::other(reason.to_string()));
                }
            }
            _ => {}
        }
    }

    fn on_send_ready(&mut self, client: &mut Logged<'_, Client>) {
        let held = match self.held.take() {
            Some(h) => Some(h),
            None => match self.read() {
                Ok(h) => h,
                Err(e) => return self.give_up(client, e),
            },
        };
        let Some(held) = held else {
            // An empty body.
            if let Err(e) = client.inner.send_end() {
                self.give_up(client, io::Error::other(e));
            }
            return;
        };
        let sent = match self.read() {
            Ok(Some(next)) => {
                self.held = Some(next);
                client.inner.send_data(held)
            }
            Ok(None) => client.inner.send_last(held),
            Err(e) => return self.give_up(client, e),
        };
        if let Err(e) = sent {
            self.give_up(client, io::Error::other(e));
        }
    }
}

/// Sends the messages in order over one connection with the client machine under the
/// generic std driver, streaming each body from its reader in 64 KiB pieces, then QUIT.
/// `log`, if given, sees every line on the wire, body lines included.
pub fn send_messages<'a>(
    stream: &mut TcpStream,
    config: ClientConfig,
    messages: Vec<Message<'a>>,
    log: Option<Log<'_>>,
) -> io::Result<Vec<SendReport>> {
    let mut client = Logged::new(Client::new(config), log);
    let mut sender = Sender {
        messages: messages.into_iter(),
        current: None,
        reports: Vec::new(),
        held: None,
        buf: vec![0u8; 64 * 1024],
        number: 0,
        error: None,
    };
    std_io::drive(stream, &mut client, 64 * 1024, Lent(&mut sender))?;
    if client.inner.wants_tls() {
        return Err(io::Error::other(
            "STARTTLS is not supported by this program",
        ));
    }
    if let Some(e) = sender.error {
        return Err(e);
    }
    Ok(sender.reports)
}

/// Lends a handler to a driver that takes one by value, so its results stay here.
struct Lent<'h, H>(&'h mut H);

impl<M: Machine, H: Handler<M>> Handler<M> for Lent<'_, H> {
    fn on_event(&mut self, machine: &mut M, event: M::Event) {
        self.0.on_event(machine, event)
    }
    fn on_send_ready(&mut self, machine: &mut M) {
        self.0.on_send_ready(machine)
    }
}

/// What a message needs before it is sent: whether it holds 8-bit octets (then it needs
/// 8BITMIME) and its size once every line ends in CRLF, final CRLF included (declared
/// with SIZE, RFC 1870 3): the library's own canonical rule, so the declared size is
/// the size sent.
pub fn scan(reader: &mut dyn Read) -> io::Result<(bool, u64)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut lines = Canonicalizer::new();
    let (mut eight, mut size) = (false, 0u64);
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((eight, size + lines.count_finish()));
        }
        eight |= buf[..n].iter().any(|&b| b >= 0x80);
        size += lines.count(&buf[..n]);
    }
}

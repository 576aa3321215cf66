//! SMTP over `std::net`, shared by `smtp_server`, `smtp_send`, the demo and the benches:
//! the client's handler streaming message bodies from any reader in constant memory,
//! under the generic `std_io` driver (the body goes out through
//! `Handler::on_send_ready`, paced by `wants_body`). The server's Maildir-delivering
//! handler lives in `smtp_maildir` and is re-exported here.

use super::cli::{self, Driver};
use super::quick_ack::Acks;
use super::{std_io, Handler};
use bytes::Bytes;
use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::sync::Arc;
use wirestate::line::Canonicalizer;
use wirestate::smtp::*;
use wirestate::tls::{Start, Tls};
use wirestate::{Instant, Machine};

// Where the programs have always found the server; unused by the client-only ones.
#[allow(unused_imports)]
pub use super::smtp_maildir::{server_setup, ServerOptions};

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
    /// LMTP: the reply after the data for each accepted recipient (RFC 2033 4.2).
    pub deliveries: Vec<(usize, Reply)>,
    /// The final reply after the data, if the message was accepted.
    pub sent: Option<Reply>,
    /// The reply that failed the transaction, if it failed.
    pub failed: Option<Reply>,
    /// The end of the data (the final dot, or `BDAT ... LAST`) was handed to the
    /// connection: if no reply to it came, the message may or may not have been
    /// delivered (RFC 5321 6.1 lets the client resend it; a duplicate, never a loss).
    pub data_ended: bool,
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
    /// `--starttls require`: no mail unless the channel is TLS.
    require_tls: bool,
    /// The server's refusal of STARTTLS, when the session went on without TLS.
    starttls_refused: Option<Reply>,
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

    fn data_ended(&mut self) {
        if let Some((r, _)) = self.current.as_mut() {
            r.data_ended = true;
        }
    }

    fn give_up(&mut self, client: &mut Tls<Logged<'_, Client>>, e: io::Error) {
        self.error.get_or_insert(e);
        client.abort();
    }
}

impl Handler<Tls<Logged<'_, Client>>> for Sender<'_> {
    fn on_event(&mut self, client: &mut Tls<Logged<'_, Client>>, ev: ClientEvent) {
        match ev {
            ClientEvent::Ready => {
                if let Some((r, _)) = self.current.take() {
                    self.reports.push(r);
                }
                self.held = None;
                if self.require_tls && !client.inner.is_tls() {
                    // RFC 3207 4: a client that requires TLS must not go on without it.
                    self.error.get_or_insert(io::Error::other(
                        "STARTTLS is required but the server did not offer it",
                    ));
                    let _ = client.inner.quit();
                    return;
                }
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
            ClientEvent::Delivery { index, reply } => {
                if let Some((r, _)) = self.current.as_mut() {
                    r.deliveries.push((index, reply));
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
            ClientEvent::StartTlsRefused(reply) => self.starttls_refused = Some(reply),
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

    fn on_send_ready(&mut self, client: &mut Tls<Logged<'_, Client>>) {
        let held = match self.held.take() {
            Some(h) => Some(h),
            None => match self.read() {
                Ok(h) => h,
                Err(e) => return self.give_up(client, e),
            },
        };
        let Some(held) = held else {
            // An empty body.
            match client.inner.send_end() {
                Ok(()) => self.data_ended(),
                Err(e) => self.give_up(client, io::Error::other(e)),
            }
            return;
        };
        let sent = match self.read() {
            Ok(Some(next)) => {
                self.held = Some(next);
                client.inner.send_data(held)
            }
            Ok(None) => {
                let last = client.inner.send_last(held);
                if last.is_ok() {
                    self.data_ended();
                }
                last
            }
            Err(e) => return self.give_up(client, e),
        };
        if let Err(e) = sent {
            self.give_up(client, io::Error::other(e));
        }
    }
}

/// How the client protects the connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsPolicy {
    /// Plaintext throughout; STARTTLS is never asked for.
    #[default]
    None,
    /// STARTTLS when the server offers it, plaintext otherwise (RFC 3207 4.1).
    Opportunistic,
    /// STARTTLS or nothing: no credential and no mail without it.
    Require,
    /// TLS from the first byte (RFC 8314 3.3, port 465).
    Implicit,
}

/// The client's TLS: the policy, and the configuration and name to verify against
/// (unused with [`TlsPolicy::None`]).
#[derive(Clone, Debug)]
pub struct ClientTls {
    pub policy: TlsPolicy,
    pub config: Arc<rustls::ClientConfig>,
    pub name: rustls::pki_types::ServerName<'static>,
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
    send_messages_tls(stream, config, None, messages, log)
}

/// [`send_messages`] with TLS as `tls` says (`None`: plaintext). The log sees the
/// plaintext inside TLS. With [`TlsPolicy::Require`] nothing but EHLO and STARTTLS is
/// sent unless the channel became TLS; credentials are never sent on a plaintext
/// channel unless `config.auth_without_tls` (which is ignored under `Require`).
pub fn send_messages_tls<'a>(
    stream: &mut TcpStream,
    config: ClientConfig,
    tls: Option<ClientTls>,
    messages: Vec<Message<'a>>,
    log: Option<Log<'_>>,
) -> io::Result<Vec<SendReport>> {
    let (reports, result) = send_messages_partial(stream, config, tls, messages, log);
    result.map(|()| reports)
}

/// [`send_messages_tls`], keeping the reports of what was done when the session fails
/// (a lost connection, a TLS error): the message being sent then has a report too,
/// with the replies it got and whether the end of its data went out.
pub fn send_messages_partial<'a>(
    stream: &mut TcpStream,
    config: ClientConfig,
    tls: Option<ClientTls>,
    messages: Vec<Message<'a>>,
    log: Option<Log<'_>>,
) -> (Vec<SendReport>, io::Result<()>) {
    send_with(config, tls, messages, log, |client, sender| {
        std_io::drive(stream, client, 64 * 1024, sender, Acks::AtOnce)
    })
}

/// [`send_messages_partial`] on a connection to `addr` that `driver` makes and runs.
pub fn send_messages_on<'a>(
    driver: Driver,
    addr: &str,
    config: ClientConfig,
    tls: Option<ClientTls>,
    messages: Vec<Message<'a>>,
    log: Option<Log<'_>>,
) -> (Vec<SendReport>, io::Result<()>) {
    send_with(config, tls, messages, log, |client, sender| {
        cli::connect(driver, addr, client, 64 * 1024, sender)
    })
}

/// The client machine the TLS policy asks for, run by `drive` with the sender as its
/// handler; the reports of what was done, and what went wrong.
fn send_with<'a, D>(
    mut config: ClientConfig,
    tls: Option<ClientTls>,
    messages: Vec<Message<'a>>,
    log: Option<Log<'_>>,
    drive: D,
) -> (Vec<SendReport>, io::Result<()>)
where
    D: for<'s, 'l> FnOnce(
        &mut Tls<Logged<'l, Client>>,
        super::Lend<'s, Sender<'a>>,
    ) -> io::Result<()>,
{
    let policy = tls.as_ref().map_or(TlsPolicy::None, |t| t.policy);
    config.starttls = matches!(policy, TlsPolicy::Opportunistic | TlsPolicy::Require);
    // RFC 3207 4: after a `454` the client decides; opportunistic goes on in plaintext
    // (with AUTH still held back unless allowed), required ends the session.
    config.continue_without_tls = policy == TlsPolicy::Opportunistic;
    if policy == TlsPolicy::Require {
        config.auth_without_tls = false;
    }
    let logged = Logged::new(Client::new(config), log);
    let mut client = match tls {
        Some(t) if policy == TlsPolicy::Implicit => {
            Tls::client(logged, t.config, t.name, Start::Implicit)
        }
        Some(t) if policy != TlsPolicy::None => {
            Tls::client(logged, t.config, t.name, Start::WhenAsked)
        }
        _ => Tls::plaintext(logged),
    };
    let mut sender = Sender {
        messages: messages.into_iter(),
        current: None,
        reports: Vec::new(),
        held: None,
        buf: vec![0u8; 64 * 1024],
        number: 0,
        error: None,
        require_tls: policy == TlsPolicy::Require,
        starttls_refused: None,
    };
    let driven = drive(&mut client, super::Lend(&mut sender));
    if let Some((r, _)) = sender.current.take() {
        sender.reports.push(r);
    }
    let reports = std::mem::take(&mut sender.reports);
    // A TLS failure says more than what it did to the dialogue (the peer "closed").
    if let Some(e) = client.error() {
        return (reports, Err(io::Error::other(e.to_string())));
    }
    if let Err(e) = driven {
        return (reports, Err(e));
    }
    if let Some(e) = sender.error {
        if policy == TlsPolicy::Require && !client.inner.is_tls() {
            // Whatever stopped it (STARTTLS not offered or refused, AUTH held back),
            // the cause is the missing TLS.
            let e = io::Error::other(format!(
                "STARTTLS is required but the connection is not TLS: {e}"
            ));
            return (reports, Err(e));
        }
        if let Some(r) = &sender.starttls_refused {
            // Say why the connection was plaintext: most likely why it failed (AUTH held).
            let e = io::Error::other(format!(
                "the server refused STARTTLS ({r}), so the connection stayed plaintext: {e}"
            ));
            return (reports, Err(e));
        }
        return (reports, Err(e));
    }
    (reports, Ok(()))
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

//! SMTP over `std::net`, shared by `smtp_server`, `smtp_send`, the demo and the benches:
//! the server's handler delivering into a Maildir, and the client's handler streaming
//! message bodies from any reader in constant memory. Both run under the generic
//! `std_io` driver: the client's body goes out through `Handler::on_send_ready`, paced
//! by `wants_body`.

use super::cli::{Served, ServerArgs};
use super::maildir::{Delivery, Maildir};
use super::{std_io, Handler};
use bytes::Bytes;
use std::io::{self, ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use wirestate::line::Canonicalizer;
use wirestate::smtp::*;
use wirestate::tls::{Start, Tls};
use wirestate::{Instant, Machine};

/// Server options the example programs expose.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub hostname: Domain,
    pub maildir: std::path::PathBuf,
    pub max_size: Option<u64>,
    pub pipelining: bool,
    pub chunking: bool,
    /// Speak LMTP (RFC 2033): LHLO, and one reply per recipient after the data.
    pub lmtp: bool,
    /// `user:password` accepted by AUTH PLAIN and LOGIN, offered once the connection is
    /// TLS (RFC 4954 4, RFC 8314 3), or also without TLS with `auth_without_tls`.
    pub auth: Option<Credentials>,
    /// Offer AUTH on a plaintext connection too (for tests on loopback only).
    pub auth_without_tls: bool,
    /// Print each event to stderr (passwords show as `<redacted>`).
    pub verbose: bool,
    /// The shared server flags: TLS start, PROXY protocol.
    pub net: ServerArgs,
    /// The TLS configuration from `--tls-cert`/`--tls-key`, if given.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl ServerOptions {
    pub fn new(maildir: impl Into<std::path::PathBuf>) -> ServerOptions {
        ServerOptions {
            hostname: Domain::default(),
            maildir: maildir.into(),
            max_size: Some(64 << 20),
            pipelining: true,
            chunking: true,
            lmtp: false,
            auth: None,
            auth_without_tls: false,
            verbose: false,
            net: ServerArgs::default(),
            tls: None,
        }
    }

    pub fn config(&self) -> ServerConfig {
        let mut c = ServerConfig::with_hostname(self.hostname.clone());
        c.lmtp = self.lmtp;
        c.max_message_size = self.max_size;
        c.pipelining = self.pipelining;
        c.chunking = self.chunking;
        // STARTTLS only with a certificate, and not on a connection that is TLS from
        // the first byte (RFC 3207 4.2: not offered again after TLS).
        c.starttls = self.tls.is_some() && !self.net.implicit_tls;
        // Any greeting is fine here; MAIL, RCPT and the data are answered below.
        c.auto_accept_hello = true;
        if let Some(d) = self.net.idle_timeout() {
            c.timeouts.idle = Some(d);
        }
        if self.auth.is_some() {
            c.auth = vec![AuthMechanism::Plain, AuthMechanism::Login];
            c.auth_without_tls = self.auth_without_tls;
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

static QUEUE_ID: AtomicU64 = AtomicU64::new(0);

/// The per-connection state of the Maildir-delivering server.
pub struct MaildirHandler {
    maildir: Option<Maildir>,
    auth: Option<Credentials>,
    verbose: bool,
    peer: SocketAddr,
    hostname: Domain,
    lmtp: bool,
    /// The last HELO/EHLO/LHLO: its verb and the name the client gave.
    hello: Option<(HelloVerb, String)>,
    authenticated: bool,
    from: Option<ReversePath>,
    recipients: Vec<ForwardPath>,
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
            hostname: opts.hostname.clone(),
            lmtp: opts.lmtp,
            hello: None,
            authenticated: false,
            from: None,
            recipients: Vec::new(),
            delivery: None,
            failed: None,
        }
    }

    /// The trace fields every copy starts with, for one recipient (RFC 5321 4.4):
    /// `Return-Path` (this is the final delivery), `Delivered-To` (as Postfix's local
    /// delivery writes it) and the `Received:` stamp with its single `for` path.
    fn trace(&self, server: &Served<Server>, id: &str, rcpt: &ForwardPath, date: &str) -> String {
        let from = self
            .from
            .as_ref()
            .map_or_else(|| "<>".to_string(), |f| f.to_string());
        // The client is the PROXY header's source when a trusted proxy sent one.
        let client = server
            .header()
            .and_then(|h| h.source)
            .unwrap_or(self.peer)
            .ip();
        let literal = match client {
            std::net::IpAddr::V4(a) => format!("[{a}]"),
            std::net::IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => format!("[{v4}]"),
                None => format!("[IPv6:{a}]"),
            },
        };
        let (verb, helo) = self
            .hello
            .as_ref()
            .map_or((HelloVerb::Ehlo, literal.as_str()), |(v, h)| {
                (*v, h.as_str())
            });
        let tls = server.info();
        // RFC 3848 2: ESMTP, ESMTPA, ESMTPS, ESMTPSA, LMTP, LMTPA, LMTPS, LMTPSA.
        let mut with = if self.lmtp || verb == HelloVerb::Lhlo {
            "LMTP".to_string()
        } else if verb == HelloVerb::Helo {
            "SMTP".to_string()
        } else {
            "ESMTP".to_string()
        };
        if with != "SMTP" {
            if tls.is_some() {
                with.push('S');
            }
            if self.authenticated {
                with.push('A');
            }
        }
        let mut out = String::new();
        out.push_str(&format!("Return-Path: {from}\n"));
        let bare = rcpt.to_string();
        let bare = bare.trim_start_matches('<').trim_end_matches('>');
        out.push_str(&format!("Delivered-To: {bare}\n"));
        out.push_str(&format!("Received: from {helo} ({literal})\n"));
        if let Some(t) = &tls {
            out.push_str(&format!(
                "\t(using {} with cipher {})\n",
                t.version, t.cipher
            ));
        }
        out.push_str(&format!(
            "\tby {} (wirestate) with {with} id {id}\n",
            self.hostname
        ));
        out.push_str(&format!("\tfor {rcpt}; {date}\n"));
        out
    }

    /// Writes one durable copy per recipient from the spool: `tmp/`, fsync, rename into
    /// `new/`, fsync the folder, each before any reply says so. One result per recipient.
    fn deliver(&mut self, server: &Served<Server>) -> Vec<io::Result<std::path::PathBuf>> {
        let spool = match (self.delivery.take(), self.failed.take()) {
            (Some(d), None) => d.into_spool(),
            (_, Some(e)) => Err(e),
            (None, None) => Err(io::Error::other("no message file")),
        };
        if self.recipients.is_empty() {
            // Never a 250 for a message that went nowhere.
            return vec![Err(io::Error::other("no accepted recipient"))];
        }
        let n = self.recipients.len();
        let (spool, maildir) = match (spool, self.maildir.as_ref()) {
            (Ok(s), Some(m)) => (s, m.clone()),
            (Err(e), _) => {
                let e = e.to_string();
                return (0..n).map(|_| Err(io::Error::other(e.clone()))).collect();
            }
            (_, None) => {
                return (0..n)
                    .map(|_| Err(io::Error::other("no maildir")))
                    .collect()
            }
        };
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let id = format!(
            "{secs:X}{:05X}",
            QUEUE_ID.fetch_add(1, Ordering::Relaxed) & 0xFFFFF
        );
        let date = rfc5322_date(secs);
        let recipients = self.recipients.clone();
        recipients
            .iter()
            .map(|rcpt| {
                let mut d = maildir.begin()?;
                d.write_raw(self.trace(server, &id, rcpt, &date).as_bytes())?;
                d.copy_from(&mut spool.open()?)?;
                d.commit()
            })
            .collect()
    }
}

/// An RFC 5322 3.3 date-time in UTC: `Tue, 1 Dec 2026 21:00:00 +0000`.
pub fn rfc5322_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil from days (H. Hinnant's algorithm), days since 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEK: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day} {} {year} {:02}:{:02}:{:02} +0000",
        WEEK[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn ok_reply(text: &str) -> Reply {
    Reply::enhanced(250, EnhancedCode::new(2, 0, 0).unwrap(), text).unwrap()
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Handler<Served<Server>> for MaildirHandler {
    /// Acts on one server event: data goes to a spool in `tmp/`, and the 250 after the
    /// data is only sent once every recipient's copy is fsynced and renamed into `new/`.
    fn on_event(&mut self, server: &mut Served<Server>, ev: ServerEvent) {
        if self.verbose && !matches!(ev, ServerEvent::Data(_)) {
            // Credentials hold their password as a Secret: this never prints it.
            eprintln!("{}: {ev:?}", self.peer);
        }
        let answered = match ev {
            ServerEvent::Hello { verb, host, .. } => {
                // Answered by the machine (auto_accept_hello); a new hello resets.
                self.hello = Some((verb, host.to_string()));
                self.from = None;
                self.recipients.clear();
                Ok(())
            }
            ServerEvent::Mail { from, decision, .. } => {
                self.from = Some(from);
                self.recipients.clear();
                server.accept(decision)
            }
            ServerEvent::Rcpt { to, decision, .. } => {
                let r = server.accept(decision);
                if r.is_ok() {
                    self.recipients.push(to);
                }
                r
            }
            ServerEvent::Verify { decision, .. } => server.accept(decision),
            // Offered only with a certificate, so the TLS layer is there to switch.
            ServerEvent::StartTls { decision } => server.accept(decision),
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
                let results = self.deliver(server);
                for r in results.iter().filter_map(|r| r.as_ref().err()) {
                    eprintln!("{}: delivery failed: {r}", self.peer);
                }
                self.from = None;
                self.recipients.clear();
                if self.lmtp {
                    // RFC 2033 4.2: one reply per accepted recipient, in RCPT order.
                    let replies: Vec<Reply> = results
                        .iter()
                        .map(|r| match r {
                            Ok(p) => ok_reply(&format!("Ok: delivered as {}", file_name(p))),
                            Err(_) => local_error(),
                        })
                        .collect();
                    server.reply_per_recipient(decision, &replies)
                } else if results.iter().all(Result::is_ok) {
                    let names: Vec<String> = results
                        .iter()
                        .filter_map(|r| r.as_ref().ok())
                        .map(|p| file_name(p))
                        .collect();
                    let text = format!("Ok: queued as {}", names.join(" "));
                    server.accept_with(decision, ok_reply(&text))
                } else {
                    server.reject(decision, local_error())
                }
            }
            ServerEvent::Closed(_) => {
                // Why the layers below closed, if they did: a refused PROXY header, a
                // failed TLS handshake.
                if let Some(e) = server.error() {
                    eprintln!("{}: {e}", self.peer);
                }
                if let Some(e) = (**server).error() {
                    eprintln!("{}: {e}", self.peer);
                }
                if let Some(d) = self.delivery.take() {
                    d.abort();
                }
                Ok(())
            }
            ServerEvent::Aborted(_) => {
                // Nothing of an unfinished message may stay behind in tmp/.
                if let Some(d) = self.delivery.take() {
                    d.abort();
                }
                Ok(())
            }
            ServerEvent::Reset => {
                if let Some(d) = self.delivery.take() {
                    d.abort();
                }
                self.from = None;
                self.recipients.clear();
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
                    let r = server.accept(decision);
                    self.authenticated = r.is_ok();
                    r
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

/// The `setup` function for `cli::serve`: one machine and handler per connection, the
/// machine wrapped in TLS and the PROXY layer as the flags say.
pub fn server_setup(
    opts: ServerOptions,
) -> impl Fn(SocketAddr) -> (Served<Server>, MaildirHandler) + Send + Sync + 'static {
    move |peer| {
        let machine = opts.net.wrap(Server::new(opts.config()), &opts.tls);
        (machine, MaildirHandler::new(&opts, peer))
    }
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
    /// LMTP: the reply after the data for each accepted recipient (RFC 2033 4.2).
    pub deliveries: Vec<(usize, Reply)>,
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
    /// `--starttls require`: no mail unless the channel is TLS.
    require_tls: bool,
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
    mut config: ClientConfig,
    tls: Option<ClientTls>,
    messages: Vec<Message<'a>>,
    log: Option<Log<'_>>,
) -> io::Result<Vec<SendReport>> {
    let policy = tls.as_ref().map_or(TlsPolicy::None, |t| t.policy);
    config.starttls = matches!(policy, TlsPolicy::Opportunistic | TlsPolicy::Require);
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
    };
    let driven = std_io::drive(stream, &mut client, 64 * 1024, Lent(&mut sender));
    // A TLS failure says more than what it did to the dialogue (the peer "closed").
    if let Some(e) = client.error() {
        return Err(io::Error::other(e.to_string()));
    }
    driven?;
    if let Some(e) = sender.error {
        if policy == TlsPolicy::Require && !client.inner.is_tls() {
            // Whatever stopped it (STARTTLS not offered or refused, AUTH held back),
            // the cause is the missing TLS.
            return Err(io::Error::other(format!(
                "STARTTLS is required but the connection is not TLS: {e}"
            )));
        }
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

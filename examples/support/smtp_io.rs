//! SMTP over `std::net`, shared by `smtp_server`, `smtp_send`, the demo and the benches:
//! the server's event handler delivering into a Maildir, and a blocking client loop that
//! streams a message body from any reader in constant memory.

use super::maildir::{Delivery, Maildir};
use super::Clock;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
use wirestate::smtp::*;
use wirestate::Machine;

/// Server options the example programs expose.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub hostname: String,
    pub maildir: std::path::PathBuf,
    pub max_size: Option<u64>,
    pub pipelining: bool,
    pub chunking: bool,
    /// `user:password` accepted by AUTH PLAIN and LOGIN (offered without TLS, since the
    /// examples do not do TLS; for tests on loopback only).
    pub auth: Option<(String, String)>,
    /// Print each event to stderr.
    pub verbose: bool,
}

impl ServerOptions {
    pub fn new(maildir: impl Into<std::path::PathBuf>) -> ServerOptions {
        ServerOptions {
            hostname: "localhost".into(),
            maildir: maildir.into(),
            max_size: Some(64 << 20),
            pipelining: true,
            chunking: true,
            auth: None,
            verbose: false,
        }
    }

    pub fn config(&self) -> ServerConfig {
        let mut c = ServerConfig::new(&self.hostname).expect("valid hostname");
        c.max_message_size = self.max_size;
        c.pipelining = self.pipelining;
        c.chunking = self.chunking;
        if self.auth.is_some() {
            c.auth = vec![AuthMechanism::Plain, AuthMechanism::Login];
            c.auth_without_tls = true;
        }
        c
    }
}

/// The per-connection state of the Maildir-delivering server.
pub struct MaildirHandler {
    maildir: Maildir,
    auth: Option<(String, String)>,
    verbose: bool,
    peer: SocketAddr,
    delivery: Option<Delivery>,
    failed: Option<io::Error>,
}

impl MaildirHandler {
    pub fn new(opts: &ServerOptions, peer: SocketAddr) -> io::Result<MaildirHandler> {
        Ok(MaildirHandler {
            maildir: Maildir::create(&opts.maildir)?,
            auth: opts.auth.clone(),
            verbose: opts.verbose,
            peer,
            delivery: None,
            failed: None,
        })
    }

    /// Acts on one server event: data goes to `tmp/`, and the 250 after the data is
    /// only sent once the file is fsynced and renamed into `new/`.
    pub fn on_event(&mut self, server: &mut SmtpServer, ev: ServerEvent) {
        if self.verbose && !matches!(ev, ServerEvent::DataChunk(_)) {
            eprintln!("{}: {ev:?}", self.peer);
        }
        match ev {
            ServerEvent::DataStart { .. } => {
                self.failed = None;
                match self.maildir.begin() {
                    Ok(d) => self.delivery = Some(d),
                    Err(e) => {
                        eprintln!("{}: cannot create message file: {e}", self.peer);
                        let _ = server.reject(
                            Reply::enhanced(
                                451,
                                EnhancedCode::new(4, 3, 0).unwrap(),
                                "Local error in processing",
                            )
                            .unwrap(),
                        );
                    }
                }
            }
            ServerEvent::DataChunk(bytes) => {
                if let (Some(d), None) = (self.delivery.as_mut(), self.failed.as_ref()) {
                    if let Err(e) = d.write(&bytes) {
                        self.failed = Some(e);
                    }
                }
            }
            ServerEvent::DataEnd { .. } => {
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
                        let _ = server.accept_with(
                            Reply::enhanced(250, EnhancedCode::new(2, 0, 0).unwrap(), &text)
                                .unwrap(),
                        );
                    }
                    Err(e) => {
                        eprintln!("{}: delivery failed: {e}", self.peer);
                        let _ = server.reject(
                            Reply::enhanced(
                                451,
                                EnhancedCode::new(4, 3, 0).unwrap(),
                                "Local error in processing",
                            )
                            .unwrap(),
                        );
                    }
                }
            }
            ServerEvent::DataAborted(_) | ServerEvent::Closed(_) | ServerEvent::Reset => {
                // Nothing of an unfinished message may stay behind in tmp/.
                if let Some(d) = self.delivery.take() {
                    d.abort();
                }
            }
            ServerEvent::Auth { credentials, .. } => {
                let ok = self
                    .auth
                    .as_ref()
                    .is_some_and(|(u, p)| *u == credentials.username && *p == credentials.password);
                if ok {
                    let _ = server.accept();
                }
            }
            _ => {}
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
) -> impl Fn(SocketAddr) -> (SmtpServer, Handler) + Send + Sync + 'static {
    move |peer| {
        let server = SmtpServer::new(opts.config());
        let handler: EventFn = match MaildirHandler::new(&opts, peer) {
            Ok(mut h) => Box::new(move |s: &mut SmtpServer, ev| h.on_event(s, ev)),
            Err(e) => {
                eprintln!("maildir {}: {e}", opts.maildir.display());
                Box::new(|s: &mut SmtpServer, ev| {
                    if matches!(
                        ev,
                        ServerEvent::DataStart { .. } | ServerEvent::DataEnd { .. }
                    ) {
                        let _ = s.reject(Reply::new(451, "Local error in processing").unwrap());
                    }
                })
            }
        };
        (server, super::events(handler))
    }
}

/// The boxed per-connection event handler `std_io::serve` runs.
pub type Handler = super::Events<EventFn>;

/// The boxed closure inside [`Handler`].
pub type EventFn = Box<dyn FnMut(&mut SmtpServer, ServerEvent) + Send>;

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

/// Sends the messages in order over one connection with the client machine, streaming
/// each body from its reader in 64 KiB pieces, then QUIT. `log`, if given, sees every
/// line on the wire, body lines included.
pub fn send_messages(
    stream: &mut TcpStream,
    config: ClientConfig,
    mut messages: Vec<(Envelope, Box<dyn Read + '_>)>,
    mut log: Option<Log<'_>>,
) -> io::Result<Vec<SendReport>> {
    let clock = Clock::new();
    let mut client = SmtpClient::new(config);
    let mut reports = Vec::new();
    let mut current: Option<(SendReport, Box<dyn Read + '_>)> = None;
    let mut in_body = false;
    let mut body_done = false;
    let mut next = 0;
    let mut out_log = LineLog::default();
    let mut in_log = LineLog::default();
    let mut rbuf = vec![0u8; 64 * 1024];
    let mut body_buf = vec![0u8; 64 * 1024];
    let mut held: Vec<u8> = Vec::with_capacity(64 * 1024);
    messages.reverse();
    loop {
        while let Some(ev) = client.poll_event() {
            match ev {
                ClientEvent::Ready => {
                    if let Some((r, _)) = current.take() {
                        reports.push(r);
                    }
                    match messages.pop() {
                        Some((env, body)) => {
                            next += 1;
                            client.send_mail(env).map_err(|e| {
                                io::Error::new(
                                    ErrorKind::InvalidInput,
                                    format!("message {next}: {e}"),
                                )
                            })?;
                            current = Some((SendReport::default(), body));
                            held.clear();
                            in_body = false;
                            body_done = false;
                        }
                        None => client.quit().map_err(io::Error::other)?,
                    }
                }
                ClientEvent::Recipient { index, reply } => {
                    if let Some((r, _)) = current.as_mut() {
                        r.recipients.push((index, reply));
                    }
                }
                ClientEvent::SendBody => in_body = true,
                ClientEvent::Sent { reply, .. } => {
                    if let Some((r, _)) = current.as_mut() {
                        r.sent = Some(reply);
                    }
                }
                ClientEvent::Failed(reply) => {
                    if let Some((r, _)) = current.as_mut() {
                        r.failed = Some(reply);
                    }
                    in_body = false;
                }
                ClientEvent::StartTls => {
                    return Err(io::Error::other(
                        "STARTTLS is not supported by this program",
                    ))
                }
                ClientEvent::Error(e) => return Err(io::Error::other(e.to_string())),
                _ => {}
            }
        }
        // Stream the body while the machine takes it; each piece is written before the
        // next is read, so memory stays at two pieces whatever the message size. One
        // piece is held back so the last one goes out with the end (`BDAT n LAST`)
        // instead of costing an extra `BDAT 0 LAST` round trip.
        while in_body && !body_done && client.can_send_body() {
            let Some((_, body)) = current.as_mut() else {
                break;
            };
            let n = loop {
                match body.read(&mut body_buf) {
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            if n == 0 {
                client.end_body_with(&held).map_err(io::Error::other)?;
                held.clear();
                body_done = true;
            } else {
                if !held.is_empty() {
                    client.send_body(&held).map_err(io::Error::other)?;
                }
                held.clear();
                held.extend_from_slice(&body_buf[..n]);
            }
            flush(stream, &mut client, &mut out_log, &mut log)?;
        }
        flush(stream, &mut client, &mut out_log, &mut log)?;
        if client.is_closed() {
            if let Some((r, _)) = current.take() {
                reports.push(r);
            }
            return Ok(reports);
        }
        let wait = client
            .poll_timeout()
            .map(|d| clock.until(d).max(Duration::from_millis(1)));
        stream.set_read_timeout(wait)?;
        match stream.read(&mut rbuf) {
            Ok(0) => client.handle_eof(clock.now()),
            Ok(n) => {
                if let Some(log) = log.as_mut() {
                    in_log.feed(&rbuf[..n], Dir::Server, *log);
                }
                client.handle_input(clock.now(), &rbuf[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                client.handle_timeout(clock.now())
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn flush(
    stream: &mut TcpStream,
    client: &mut SmtpClient,
    out_log: &mut LineLog,
    log: &mut Option<Log<'_>>,
) -> io::Result<()> {
    while let Some(b) = client.poll_transmit() {
        if let Some(log) = log.as_mut() {
            out_log.feed(&b, Dir::Client, *log);
        }
        stream.write_all(&b)?;
    }
    Ok(())
}

/// What a message needs before it is sent: whether it holds 8-bit octets (then it needs
/// 8BITMIME) and its size once every line ends in CRLF (declared with SIZE, RFC 1870 3).
pub fn scan(reader: &mut dyn Read) -> io::Result<(bool, u64)> {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut eight, mut size, mut prev) = (false, 0u64, 0u8);
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((eight, size));
        }
        for &b in &buf[..n] {
            eight |= b >= 0x80;
            // A bare LF (and a bare CR) goes out as CRLF: one octet more each.
            size += if (b == b'\n' && prev != b'\r') || (prev == b'\r' && b != b'\n') {
                2
            } else {
                1
            };
            prev = b;
        }
    }
}

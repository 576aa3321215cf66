//! The SMTP (and LMTP) server's handler delivering into a Maildir, shared by
//! `smtp_server`, the demo, the benches and the storage and crash tests.
//!
//! What a `250` means: every copy of the message (one per recipient, each starting with
//! its trace fields) was written to `tmp/`, fsynced, renamed into `new/`, and the rename
//! made durable by an fsync of `new/`, before the reply was queued. A storage failure at
//! any step is a temporary failure (RFC 5321 4.2.2, RFC 3463): `452 4.3.1` when the disk
//! is full, `451 4.3.0` otherwise, with nothing of the message left in `tmp/` or `new/`,
//! and the connection stays usable for the next transaction.

use super::cli::{Served, ServerArgs};
use super::maildir::{is_no_space, same_error, Delivery, Disk, Maildir, Prepared, Storage};
use super::offload::Offload;
use super::Handler;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{SystemTime, UNIX_EPOCH};
use wirestate::smtp::*;

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
    /// Where the Maildir's files are written: the real disk, or a fault-injecting
    /// storage in tests.
    pub storage: Arc<dyn Storage>,
    /// NUL in message data: refused (`554 5.6.0`) unless `Accept` (`--nul`).
    pub nul: NulPolicy,
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
            storage: Arc::new(Disk),
            // A delivering server: what `NulPolicy`'s docs say such a server should use.
            nul: NulPolicy::Reject,
        }
    }

    pub fn config(&self) -> ServerConfig {
        let mut c = ServerConfig::with_hostname(self.hostname.clone());
        c.lmtp = self.lmtp;
        c.max_message_size = self.max_size;
        c.pipelining = self.pipelining;
        c.chunking = self.chunking;
        c.nul = self.nul;
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

/// The temporary failure for a storage error: RFC 5321 4.2.2 `452` ("insufficient
/// system storage") with RFC 3463 `4.3.1` ("mail system full") for a full disk or
/// quota, `451 4.3.0` ("local error in processing", other or undefined mail system
/// status) for everything else (EIO, a failed fsync, a read-only or missing Maildir).
pub fn storage_reply(e: &io::Error) -> Reply {
    if is_no_space(e) {
        Reply::enhanced(
            452,
            EnhancedCode::new(4, 3, 1).unwrap(),
            "Insufficient system storage, try again later",
        )
        .unwrap()
    } else {
        local_error()
    }
}

fn local_error() -> Reply {
    Reply::enhanced(
        451,
        EnhancedCode::new(4, 3, 0).unwrap(),
        "Local error in processing, try again later",
    )
    .unwrap()
}

static QUEUE_ID: AtomicU64 = AtomicU64::new(0);

/// Where the data of the current transaction goes.
enum Target {
    /// One recipient: straight into its copy, trace fields first (no second write).
    Direct(Delivery),
    /// Several: a spool in `tmp/`, copied per recipient at the end.
    Spool(Delivery),
}

/// The per-connection state of the Maildir-delivering server.
pub struct MaildirHandler {
    maildir: Maildir,
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
    target: Option<Target>,
    /// The queue id and date of the current transaction's trace fields.
    stamp: (String, String),
    failed: Option<io::Error>,
    /// Where deliveries run when the driver has a pool for them (`mio`); without one
    /// they run in `on_event`.
    offload: Option<Offload>,
    /// A delivery running on the pool: the answer owed for it, and where its results
    /// come back.
    waiting: Option<Waiting>,
}

/// The end-of-data question of a delivery that runs on the pool.
struct Waiting {
    decision: Decision<question::DataEnd>,
    results: mpsc::Receiver<Vec<io::Result<PathBuf>>>,
    recipients: usize,
}

/// Everything a delivery's blocking part needs, taken out of the handler so that it can
/// run on another thread: the open copy (or the spool), and for a spool every
/// recipient's trace fields, made while the connection's state was at hand.
struct Job {
    maildir: Maildir,
    target: Option<Target>,
    failed: Option<io::Error>,
    /// One trace per recipient when the data went to a spool; otherwise only its length
    /// (the recipient count) matters.
    traces: Vec<String>,
    recipients: usize,
    lmtp: bool,
}

impl MaildirHandler {
    /// A handler delivering into `maildir` (which is not created here: see
    /// [`Maildir::open`]).
    pub fn new(opts: &ServerOptions, maildir: Maildir, peer: SocketAddr) -> MaildirHandler {
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
            target: None,
            stamp: (String::new(), String::new()),
            failed: None,
            offload: None,
            waiting: None,
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

    /// Opens where the coming data goes, trace fields first when there is one recipient.
    fn start(&mut self, server: &Served<Server>) -> io::Result<Target> {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let id = format!(
            "{secs:X}{:05X}",
            QUEUE_ID.fetch_add(1, Ordering::Relaxed) & 0xFFFFF
        );
        self.stamp = (id, rfc5322_date(secs));
        let mut d = self.maildir.begin()?;
        match self.recipients.as_slice() {
            [one] => {
                let trace = self.trace(server, &self.stamp.0, one, &self.stamp.1);
                d.write_raw(trace.as_bytes())?;
                Ok(Target::Direct(d))
            }
            _ => Ok(Target::Spool(d)),
        }
    }

    /// The delivery of the current transaction, taken out of the handler (which is
    /// ready for the next one afterwards): see [`Job::run`].
    fn job(&mut self, server: &Served<Server>) -> Job {
        let target = self.target.take();
        let traces = if matches!(target, Some(Target::Spool(_))) {
            let (id, date) = &self.stamp;
            self.recipients
                .iter()
                .map(|rcpt| self.trace(server, id, rcpt, date))
                .collect()
        } else {
            Vec::new()
        };
        Job {
            maildir: self.maildir.clone(),
            target,
            failed: self.failed.take(),
            traces,
            recipients: self.recipients.len(),
            lmtp: self.lmtp,
        }
    }

    /// Answers the end of the data from the delivery's results (one per recipient).
    fn answer(
        &mut self,
        server: &mut Served<Server>,
        decision: Decision<question::DataEnd>,
        results: &[io::Result<PathBuf>],
    ) -> Result<(), SendError> {
        for r in results.iter().filter_map(|r| r.as_ref().err()) {
            eprintln!("{}: delivery failed: {r}", self.peer);
        }
        if self.lmtp {
            // RFC 2033 4.2: one reply per accepted recipient, in RCPT order.
            let replies: Vec<Reply> = results
                .iter()
                .map(|r| match r {
                    Ok(p) => ok_reply(&format!("Ok: delivered as {}", file_name(p))),
                    Err(e) => storage_reply(e),
                })
                .collect();
            server.reply_per_recipient(decision, &replies)
        } else if let Some(e) = results.iter().find_map(|r| r.as_ref().err()) {
            server.reject(decision, storage_reply(e))
        } else {
            let mut text = String::from("Ok: queued as");
            for p in results.iter().filter_map(|r| r.as_ref().ok()) {
                text.push(' ');
                text.push_str(&file_name(p));
            }
            server.accept_with(decision, ok_reply(&text))
        }
    }

    fn abort(&mut self) {
        // Dropping a delivery removes its file from tmp/.
        self.target = None;
        self.failed = None;
    }
}

impl Job {
    /// Writes one fsynced copy per recipient in `tmp/`, then publishes them into `new/`
    /// with a durable directory fsync, all before any reply says so. One result per
    /// recipient; in SMTP (one reply for all) a failure of any copy fails every one.
    fn run(self) -> Vec<io::Result<PathBuf>> {
        let n = self.recipients;
        if n == 0 {
            // Never a 250 for a message that went nowhere.
            return vec![Err(io::Error::other("no accepted recipient"))];
        }
        let all = |e: &io::Error| (0..n).map(|_| Err(same_error(e))).collect();
        if let Some(e) = self.failed {
            return all(&e);
        }
        let spool = match self.target {
            None => return all(&io::Error::other("no message file")),
            Some(Target::Direct(d)) => {
                return match d.prepare() {
                    Ok(p) => self.maildir.publish(vec![p], true),
                    Err(e) => all(&e),
                }
            }
            Some(Target::Spool(d)) => match d.into_spool() {
                Ok(s) => s,
                Err(e) => return all(&e),
            },
        };
        let copies: Vec<io::Result<Prepared>> = self
            .traces
            .iter()
            .map(|trace| {
                let mut d = self.maildir.begin()?;
                d.write_raw(trace.as_bytes())?;
                d.copy_from(&mut spool.open()?)?;
                d.prepare()
            })
            .collect();
        drop(spool);
        if self.lmtp {
            // RFC 2033 4.2: each recipient succeeds or fails on its own.
            let mut ready = Vec::new();
            let mut slots: Vec<Option<io::Error>> = Vec::with_capacity(n);
            for c in copies {
                match c {
                    Ok(p) => {
                        ready.push(p);
                        slots.push(None);
                    }
                    Err(e) => slots.push(Some(e)),
                }
            }
            let mut published = self.maildir.publish(ready, false).into_iter();
            slots
                .into_iter()
                .map(|s| match s {
                    Some(e) => Err(e),
                    None => published
                        .next()
                        .unwrap_or_else(|| Err(io::Error::other("not published"))),
                })
                .collect()
        } else {
            // RFC 5321 4.2.5: one reply for the whole message, so every copy or none.
            let mut ready = Vec::with_capacity(n);
            for c in copies {
                match c {
                    Ok(p) => ready.push(p),
                    // `ready` drops, which removes the copies already in tmp/.
                    Err(e) => return all(&e),
                }
            }
            self.maildir.publish(ready, true)
        }
    }
}

/// Runs the delivery's blocking file work. On a multi-threaded tokio runtime it tells
/// the runtime first (`block_in_place`), so the other connections' tasks move to another
/// worker while this one waits for its fsyncs, and many deliveries (and their group
/// fsync of `new/`) overlap instead of taking turns on the two or so worker threads.
/// On the std driver each connection has its own thread; on mio the work goes to the
/// driver's pool instead (see `ServerEvent::End` below), and this is not called.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
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
    /// Acts on one server event: data goes to `tmp/`, and the 250 after the data is only
    /// sent once every recipient's copy is fsynced and renamed into `new/` and `new/`
    /// itself is fsynced.
    fn on_event(&mut self, server: &mut Served<Server>, ev: ServerEvent) {
        // Behind a trusted proxy the client is the PROXY header's source: logs say so.
        self.peer = super::greeting::client_addr(server, self.peer);
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
                self.abort();
                match self.start(server) {
                    Ok(t) => {
                        self.target = Some(t);
                        server.accept(decision)
                    }
                    Err(e) => {
                        eprintln!("{}: cannot create message file: {e}", self.peer);
                        server.reject(decision, storage_reply(&e))
                    }
                }
            }
            ServerEvent::Data(bytes) => {
                if self.failed.is_none() {
                    if let Some(Target::Direct(d) | Target::Spool(d)) = self.target.as_mut() {
                        if let Err(e) = d.write(&bytes) {
                            // Stop writing, and free the space now: the file is useless.
                            self.target = None;
                            self.failed = Some(e);
                        }
                    }
                }
                Ok(())
            }
            ServerEvent::End { decision, .. } => {
                // Durability first (tmp/, fsync, rename into new/, fsync the folder),
                // and only then the 250.
                let job = self.job(server);
                self.from = None;
                self.recipients.clear();
                match &self.offload {
                    Some(pool) => {
                        // The answer waits for `on_wake`; until then the driver reads
                        // nothing more of this connection (`is_waiting`).
                        let (tx, results) = mpsc::channel();
                        let recipients = job.recipients.max(1);
                        pool.run(move || {
                            // The connection may be gone by now: the message is in new/
                            // all the same, and the client that saw no 250 resends it.
                            let _ = tx.send(job.run());
                        });
                        self.waiting = Some(Waiting {
                            decision,
                            results,
                            recipients,
                        });
                        Ok(())
                    }
                    None => {
                        let results = blocking(|| job.run());
                        self.answer(server, decision, &results)
                    }
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
                self.abort();
                Ok(())
            }
            // Nothing of an unfinished message may stay behind in tmp/.
            ServerEvent::Aborted(_) => {
                self.abort();
                Ok(())
            }
            ServerEvent::Reset => {
                self.abort();
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

    fn offload(&mut self, offload: Offload) {
        self.offload = Some(offload);
    }

    fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// The delivery on the pool may be done: answer its end of data now.
    fn on_wake(&mut self, server: &mut Served<Server>) {
        let Some(w) = self.waiting.take() else {
            return;
        };
        let results = match w.results.try_recv() {
            Ok(r) => r,
            Err(mpsc::TryRecvError::Empty) => {
                // Not this connection's delivery (a wake for the slot's former holder).
                self.waiting = Some(w);
                return;
            }
            // The job died without a result (a panic on the pool): nothing says the
            // message is durable, so a temporary failure, never a 250.
            Err(mpsc::TryRecvError::Disconnected) => (0..w.recipients)
                .map(|_| Err(io::Error::other("the delivery thread failed")))
                .collect(),
        };
        if let Err(e) = self.answer(server, w.decision, &results) {
            eprintln!("{}: {e}", self.peer);
        }
    }
}

/// The `setup` function for `cli::serve`: one machine and handler per connection, the
/// machine wrapped in TLS and the PROXY layer as the flags say, every connection
/// delivering into the one Maildir (sharing its group commit).
pub fn server_setup(
    opts: ServerOptions,
) -> impl Fn(SocketAddr) -> (Served<Server>, MaildirHandler) + Send + Sync + 'static {
    let maildir = Maildir::open(&opts.maildir, opts.storage.clone());
    move |peer| {
        let machine = opts.net.wrap(Server::new(opts.config()), &opts.tls);
        (machine, MaildirHandler::new(&opts, maildir.clone(), peer))
    }
}

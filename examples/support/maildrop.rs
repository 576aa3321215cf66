//! A Maildir served as a POP3 maildrop: the listing with stable unique ids, the
//! exclusive lock RFC 1939 section 8 asks for, and the [`Session`] handler that answers
//! `wirestate::pop3::Server`'s decisions and streams message files through it from
//! `on_send_ready`, run by any of the generic drivers behind the optional PROXY and TLS
//! layers (`cli::Served<pop3::Server>`).
//!
//! Crash safety: nothing is changed on disk until QUIT in TRANSACTION (RFC 1939 section 6),
//! and then only the marked files are unlinked, one by one. A server killed at any moment
//! leaves every undeleted message where it was; its lock file names a dead process and the
//! next session takes it over.
//!
//! A session reads message files through [`MessageFiles`], so tests can make a file fail
//! to open or fail partway through (as `maildir::Storage` does for SMTP delivery).

use super::cli::{Served, ServerArgs};
use super::Handler;
use bytes::Bytes;
use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use wirestate::pop3::{
    Capability, CloseReason, Credentials, MessageInfo, ResponseCode, Server, ServerConfig,
    ServerEvent, Text, Uid,
};
use wirestate::Secret;

/// How a session reads message files: the seam where tests inject read faults.
pub trait MessageFiles: Send + Sync + fmt::Debug {
    /// Opens `path` for reading, with its size on disk now.
    fn open(&self, path: &Path) -> io::Result<(Box<dyn Read + Send>, u64)>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskFiles;

impl MessageFiles for DiskFiles {
    fn open(&self, path: &Path) -> io::Result<(Box<dyn Read + Send>, u64)> {
        let file = fs::File::open(path)?;
        // The open file's size, not the path's: the file read is the file measured.
        let len = file.metadata()?.len();
        Ok((Box::new(file), len))
    }
}

/// One message file of the Maildir.
#[derive(Clone, Debug)]
pub struct MailFile {
    pub path: PathBuf,
    pub uid: Uid,
    /// Size as sent: CRLF line ends (RFC 1939 section 11), a final CRLF if missing.
    pub octets: u64,
    /// Size on disk when listed: a file rewritten since then would not match its
    /// listed size, so it is refused rather than sent under a false octet count.
    pub disk_len: u64,
}

/// The unique id of a Maildir file name: the part before the `:2,` flags, so a message
/// keeps its id when a mail reader moves it from `new/` to `cur/` or changes its flags.
/// Names that are not valid ids (over 70 octets, odd characters) get a hash instead.
pub fn uid_for(name: &str) -> Uid {
    let base = name.split(":2,").next().unwrap_or(name);
    Uid::new(base).unwrap_or_else(|_| {
        // FNV-1a: stable across runs and platforms, unlike std's RandomState.
        let h = base.bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
        Uid::new(&format!("h{h:016x}")).expect("hex is a valid uid")
    })
}

/// The size a message has on the wire: every bare LF or bare CR becomes CRLF (what
/// `DotStuffer` sends), plus a CRLF if the last line has none.
pub fn wire_size(path: &Path) -> io::Result<u64> {
    let mut f = fs::File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let (mut size, mut prev) = (0u64, b'\n');
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            size += 1;
            if b == b'\n' && prev != b'\r' {
                size += 1;
            }
            if prev == b'\r' && b != b'\n' {
                size += 1;
            }
            prev = b;
        }
    }
    if prev == b'\r' {
        size += 1;
    } else if prev != b'\n' {
        size += 2;
    }
    Ok(size)
}

/// Lists `new/` and `cur/`, oldest name first (Maildir names start with the delivery
/// time), skipping dot files and anything that is not a regular file.
pub fn scan(maildir: &Path) -> io::Result<Vec<MailFile>> {
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let dir = match fs::read_dir(maildir.join(sub)) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in dir {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.file_type()?.is_file() {
                continue;
            }
            let path = entry.path();
            // A file a reader moved or another session removed meanwhile is skipped.
            let (Ok(octets), Ok(meta)) = (wire_size(&path), fs::metadata(&path)) else {
                continue;
            };
            files.push(MailFile {
                uid: uid_for(&name),
                path,
                octets,
                disk_len: meta.len(),
            });
        }
    }
    files.sort_by(|a, b| a.uid.cmp(&b.uid));
    Ok(files)
}

/// Creates `tmp/`, `new/` and `cur/` if missing.
pub fn ensure_maildir(maildir: &Path) -> io::Result<()> {
    for sub in ["tmp", "new", "cur"] {
        fs::create_dir_all(maildir.join(sub))?;
    }
    Ok(())
}

fn held() -> &'static Mutex<HashSet<PathBuf>> {
    static HELD: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    HELD.get_or_init(|| Mutex::new(HashSet::new()))
}

/// The exclusive lock on one maildrop: an in-process set for sessions of this server and
/// a `.pop3.lock` file holding the process id for other processes. Released on drop.
#[derive(Debug)]
pub struct MaildropLock {
    dir: PathBuf,
}

impl MaildropLock {
    /// Takes the lock, or `Ok(None)` if another session holds it. A lock file whose
    /// process is gone (a killed server) is stale and taken over.
    pub fn acquire(maildir: &Path) -> io::Result<Option<MaildropLock>> {
        let dir = fs::canonicalize(maildir)?;
        if !held()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dir.clone())
        {
            return Ok(None);
        }
        let lock = MaildropLock { dir };
        let file = lock.dir.join(".pop3.lock");
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&file)
            {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id())?;
                    return Ok(Some(lock));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let pid = fs::read_to_string(&file).unwrap_or_default();
                    let pid = pid.trim();
                    let alive = !pid.is_empty()
                        && pid != std::process::id().to_string()
                        && Path::new("/proc").join(pid).exists();
                    if alive {
                        return Ok(lock.give_up());
                    }
                    let _ = fs::remove_file(&file);
                }
                Err(e) => {
                    lock.give_up();
                    return Err(e);
                }
            }
        }
        Ok(lock.give_up())
    }

    /// Leaves the in-process set without touching a lock file that is not ours.
    fn give_up(self) -> Option<MaildropLock> {
        held()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.dir);
        std::mem::forget(self);
        None
    }
}

impl Drop for MaildropLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(self.dir.join(".pop3.lock"));
        held()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.dir);
    }
}

/// What the example server serves: one Maildir for one user.
#[derive(Clone, Debug)]
pub struct Settings {
    pub maildir: PathBuf,
    pub user: String,
    pub pass: Secret,
    pub server_name: String,
    /// Offer STLS (a certificate was given and TLS is not implicit).
    pub stls: bool,
    /// Take USER/PASS and AUTH PLAIN over a connection that is not TLS. Needed (and
    /// allowed) only when TLS is configured: without a certificate there is nothing to
    /// wait for.
    pub plaintext_auth: bool,
    /// Connections start with a PROXY header (`--proxy-protocol`).
    pub proxy_protocol: bool,
    /// Log every event (`--verbose`); credentials are `Secret`s and print redacted.
    pub verbose: bool,
    /// Where message files are read from: [`DiskFiles`] but in fault tests.
    pub files: Arc<dyn MessageFiles>,
}

impl Settings {
    fn server_config(&self) -> ServerConfig {
        let mut c = ServerConfig::default();
        c.greeting = Text::new("wirestate POP3 server ready").expect("valid text");
        c.server_name = Text::new(&self.server_name).unwrap_or_else(|_| {
            eprintln!("pop3: --name is not valid status text; using localhost");
            Text::new("localhost").expect("valid text")
        });
        c.stls = self.stls;
        // With TLS configured, no password is taken (or advertised) before it.
        c.login_requires_tls = self.stls && !self.plaintext_auth;
        c.extra_capabilities =
            vec![Capability::new("IMPLEMENTATION", &["wirestate"]).expect("valid capability")];
        c
    }
}

/// Status text for an answer; every literal here is valid.
fn text(s: &str) -> Text {
    Text::new(s).expect("valid status text")
}

/// Read size for message files: one piece in memory at a time, whatever the message size.
const PIECE: usize = 64 * 1024;

/// The session's read buffer, made at its first RETR or TOP: most connections a busy
/// server holds are waiting to log in, or never read a message, and need none.
fn piece(buf: &mut Vec<u8>) -> &mut [u8] {
    if buf.is_empty() {
        buf.resize(PIECE, 0);
    }
    buf
}

/// One connection's caller side: checks credentials, holds the lock while in
/// TRANSACTION, streams files when the machine wants body, unlinks at UPDATE.
pub struct Session {
    settings: Arc<Settings>,
    /// The TCP peer; the PROXY header's source replaces it in log lines when present.
    peer: SocketAddr,
    files: Vec<MailFile>,
    lock: Option<MaildropLock>,
    /// The message file being streamed, if any, and how many of its listed octets are
    /// still to be read from it.
    sending: Option<Box<dyn Read + Send>>,
    remaining: u64,
    /// Its first piece, read before the `+OK` so that an unreadable file still gets `-ERR`.
    first: Option<Bytes>,
    /// Empty until the first message is opened (see [`piece`]).
    buf: Vec<u8>,
    /// The POP3 machine reported `Closed`; a session dropped without it never reached
    /// POP3 (the PROXY layer refused it, or the driver failed and said why).
    closed: bool,
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.closed && self.settings.proxy_protocol {
            // The PROXY layer refuses silently, as the specification asks; the log is ours.
            eprintln!("pop3: {}: refused: no valid PROXY header", self.peer);
        }
    }
}

impl Session {
    pub fn new(settings: Arc<Settings>, peer: SocketAddr) -> Session {
        Session {
            settings,
            peer,
            files: Vec::new(),
            lock: None,
            sending: None,
            remaining: 0,
            first: None,
            buf: Vec::new(),
            closed: false,
        }
    }

    /// Opens a listed message and reads its first piece, checking it is the file that was
    /// listed (same size on disk).
    fn open(&mut self, f: &MailFile) -> io::Result<(Box<dyn Read + Send>, Bytes)> {
        let (mut file, len) = self.settings.files.open(&f.path)?;
        if len != f.disk_len {
            return Err(io::Error::other(format!(
                "changed since it was listed ({} bytes, now {len})",
                f.disk_len
            )));
        }
        let buf = piece(&mut self.buf);
        let cap = PIECE.min(usize::try_from(len).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..cap])?;
        self.remaining = len.saturating_sub(n as u64);
        Ok((file, Bytes::copy_from_slice(&buf[..n])))
    }

    /// The client's address: the one the PROXY header names, else the TCP peer's.
    fn client(&self, m: &Served<Server>) -> SocketAddr {
        m.header().and_then(|h| h.source).unwrap_or(self.peer)
    }

    fn login(
        &mut self,
        m: &mut Served<Server>,
        c: Credentials,
        d: wirestate::Decision<wirestate::pop3::Login>,
    ) {
        // RFC 2595 section 2.2: a server must be able to refuse plaintext passwords on a
        // connection that is not encrypted.
        if !self.settings.plaintext_auth && !m.is_secure() {
            let _ = m.reject_login(
                d,
                Some(ResponseCode::Auth),
                text("plaintext authentication disallowed without TLS; use STLS"),
            );
            return;
        }
        let ok = match &c {
            Credentials::User { name, password } => {
                name.as_bytes() == self.settings.user.as_bytes()
                    && password.expose() == self.settings.pass.expose()
            }
            Credentials::Plain(p) => {
                (p.authzid.is_empty() || p.authzid == p.authcid)
                    && &p.authcid[..] == self.settings.user.as_bytes()
                    && p.password.expose() == self.settings.pass.expose()
            }
            _ => false,
        };
        if !ok {
            let _ = m.reject_login(
                d,
                Some(ResponseCode::Auth),
                text("invalid user name or password"),
            );
            return;
        }
        // RFC 1939 section 8: one session per maildrop; RFC 2449 section 8.1.2: [IN-USE].
        let lock = match MaildropLock::acquire(&self.settings.maildir) {
            Ok(Some(l)) => l,
            Ok(None) => {
                let _ = m.reject_login(
                    d,
                    Some(ResponseCode::InUse),
                    text("maildrop already locked by another session"),
                );
                return;
            }
            Err(e) => {
                eprintln!("pop3: lock: {e}");
                let _ =
                    m.reject_login(d, Some(ResponseCode::SysTemp), text("cannot lock maildrop"));
                return;
            }
        };
        match scan(&self.settings.maildir) {
            Ok(files) => {
                let listing = files
                    .iter()
                    .map(|f| MessageInfo::new(f.octets, f.uid.clone()))
                    .collect();
                self.files = files;
                self.lock = Some(lock);
                eprintln!(
                    "pop3: {} logged in as {}{}",
                    self.client(m),
                    self.settings.user,
                    match m.info() {
                        Some(i) => format!(" over {} {}", i.version, i.cipher),
                        None => String::new(),
                    }
                );
                let _ = m.accept_login(d, listing);
            }
            Err(e) => {
                eprintln!("pop3: scan: {e}");
                let _ =
                    m.reject_login(d, Some(ResponseCode::SysTemp), text("cannot read maildrop"));
            }
        }
    }
}

impl Handler<Served<Server>> for Session {
    fn on_event(&mut self, m: &mut Served<Server>, event: ServerEvent) {
        if self.settings.verbose {
            eprintln!("pop3: {}: {event:?}", self.client(m));
        }
        match event {
            ServerEvent::Login {
                credentials,
                decision,
            } => self.login(m, credentials, decision),
            ServerEvent::Retrieve { msg, decision } | ServerEvent::Top { msg, decision, .. } => {
                // A TOP the machine cut short leaves its file here; this one replaces it.
                self.sending = None;
                self.first = None;
                let Some(f) = self.files.get(msg.index()).cloned() else {
                    let _ = m.message_unavailable(decision, None, text("no such message"));
                    return;
                };
                match self.open(&f) {
                    Ok((file, first)) => {
                        self.sending = Some(file);
                        self.first = Some(first);
                        let _ = m.start_message(decision);
                    }
                    // Removed, rewritten or unreadable meanwhile: RFC 3206 section 4's
                    // SYS/TEMP ("a transient error"), and the session goes on.
                    Err(e) => {
                        eprintln!("pop3: {}: {}: {e}", self.client(m), f.path.display());
                        let _ = m.message_unavailable(
                            decision,
                            Some(ResponseCode::SysTemp),
                            text(if e.kind() == io::ErrorKind::NotFound {
                                "message is no longer there"
                            } else {
                                "message cannot be read now"
                            }),
                        );
                    }
                }
            }
            ServerEvent::Update { deleted, decision } => {
                let mut all = true;
                for n in deleted {
                    if let Some(f) = self.files.get(n.index()) {
                        match fs::remove_file(&f.path) {
                            Ok(()) => {}
                            // Gone already: the message is removed, which is what was asked.
                            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                            Err(_) => all = false,
                        }
                    }
                }
                let _ = m.finish_update(decision, all);
            }
            ServerEvent::Closed(reason) => {
                self.closed = true;
                self.lock = None;
                self.sending = None;
                self.first = None;
                if let Some(e) = (**m).error() {
                    eprintln!("pop3: {}: {e}", self.client(m));
                } else if reason != CloseReason::Done {
                    eprintln!("pop3: {}: session ended: {reason}", self.client(m));
                }
            }
            ServerEvent::Error(e) => eprintln!("pop3: {}: client error: {e}", self.client(m)),
            _ => {}
        }
    }

    /// The machine wants the next piece of the message: one read of the file.
    fn on_send_ready(&mut self, m: &mut Served<Server>) {
        if let Some(first) = self.first.take().filter(|b| !b.is_empty()) {
            let _ = m.send_data(first);
            return;
        }
        let Some(file) = &mut self.sending else {
            return;
        };
        // Exactly the listed octets: a file cut short or grown while it is sent must not
        // reach the client as a complete message of another size (RFC 1939 section 5:
        // the listed size is the size sent).
        let want = PIECE.min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        if want == 0 {
            self.sending = None;
            let _ = m.send_end();
            return;
        }
        let buf = piece(&mut self.buf);
        match file.read(&mut buf[..want]) {
            Ok(0) => {
                eprintln!("pop3: message file cut short while being sent");
                self.sending = None;
                m.close();
            }
            Ok(n) => {
                self.remaining -= n as u64;
                let _ = m.send_data(Bytes::copy_from_slice(&buf[..n]));
            }
            Err(e) => {
                // The +OK is out: the only honest answer left is to drop the connection,
                // which ends the session without UPDATE, so nothing is deleted (RFC 1939
                // section 6).
                eprintln!("pop3: reading message: {e}");
                self.sending = None;
                m.close();
            }
        }
    }
}

/// Accepts connections forever on `addr` with the driver, TLS and PROXY settings `args`
/// names.
pub fn serve_with(args: &ServerArgs, addr: &str, settings: Settings) -> io::Result<()> {
    let tls = args.tls_config()?;
    let settings = Arc::new(settings);
    let config = settings.server_config();
    let busy_config = config.clone();
    let wrap = args.clone();
    super::caps::serve(
        args,
        addr,
        16 * 1024,
        tls.clone(),
        move || Server::too_busy(busy_config.clone()),
        move |peer| {
            let machine = wrap.wrap(Server::new(config.clone()), &tls);
            (machine, Session::new(settings.clone(), peer))
        },
    )
}

/// Accepts connections forever on a bound listener, plaintext, one thread each (the demo).
pub fn serve(listener: TcpListener, settings: Settings) -> io::Result<()> {
    let settings = Arc::new(settings);
    let config = settings.server_config();
    let args = ServerArgs::default();
    super::std_io::serve(listener, 16 * 1024, move |peer| {
        let machine = args.wrap(Server::new(config.clone()), &None);
        (machine, Session::new(settings.clone(), peer))
    })
}

/// Delivers `message` the Maildir way: written under `tmp/`, then renamed into `new/`.
pub fn deliver(maildir: &Path, message: &[u8]) -> io::Result<PathBuf> {
    ensure_maildir(maildir)?;
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!(
        "{}.M{}P{}Q{}.wirestate",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        seq
    );
    let tmp = maildir.join("tmp").join(&name);
    let mut f = fs::File::create(&tmp)?;
    f.write_all(message)?;
    f.sync_all()?;
    let dest = maildir.join("new").join(&name);
    fs::rename(&tmp, &dest)?;
    Ok(dest)
}

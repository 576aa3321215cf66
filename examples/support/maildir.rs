//! Maildir delivery (the layout of D. J. Bernstein's maildir(5), as Postfix and Dovecot
//! use it): a message is written to `tmp/` under a unique name, fsynced, and only then
//! renamed into `new/`, so a reader never sees half a message and a crash or dropped
//! connection leaves nothing in `new/`. Lines are stored with LF ends, as Maildir
//! readers expect; the CRLF of the wire is turned back into LF while streaming.
//!
//! Every file operation goes through [`Storage`], so tests can make any one of them fail
//! (a full disk, EIO, a failing fsync, a read-only `new/`) and check that nothing half
//! done is left behind: a failed delivery removes its file from `tmp/`, and a copy that
//! reached `new/` but could not be made durable is taken out of `new/` again before the
//! temporary failure is answered.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A file being written through a [`Storage`].
pub trait StoredFile: Write + Send + fmt::Debug {
    /// Makes the file's data and size durable (`fsync`).
    fn sync(&mut self) -> io::Result<()>;
}

/// The file operations of a delivery: the seam where tests inject faults.
pub trait Storage: Send + Sync + fmt::Debug {
    /// Creates `path`, failing if it exists (`O_CREAT|O_EXCL`).
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn StoredFile>>;
    /// Opens `path` for reading (a spool being copied per recipient).
    fn open(&self, path: &Path) -> io::Result<Box<dyn Read + Send>>;
    /// Atomically renames `from` to `to` (same file system).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes the file `path`.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Makes the entries of the directory `dir` durable (`fsync` on the directory).
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct Disk;

impl StoredFile for File {
    fn sync(&mut self) -> io::Result<()> {
        self.sync_all()
    }
}

impl Storage for Disk {
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn StoredFile>> {
        Ok(Box::new(
            File::options().write(true).create_new(true).open(path)?,
        ))
    }
    fn open(&self, path: &Path) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(File::open(path)?))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
}

/// The real disk without any fsync: every `250` then comes before the message is
/// durable, and a crash of the machine (not only of the process) can lose mail that was
/// acknowledged. Only for measuring the protocol path (`smtp_server --no-fsync`).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSync;

/// A file of [`NoSync`]: written, never synced.
#[derive(Debug)]
pub struct UnsyncedFile(File);

impl Write for UnsyncedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl StoredFile for UnsyncedFile {
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Storage for NoSync {
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn StoredFile>> {
        Ok(Box::new(UnsyncedFile(
            File::options().write(true).create_new(true).open(path)?,
        )))
    }
    fn open(&self, path: &Path) -> io::Result<Box<dyn Read + Send>> {
        Disk.open(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        Disk.rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        Disk.remove(path)
    }
    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        Ok(())
    }
}

/// Whether an error means the storage is out of space (ENOSPC, EDQUOT): RFC 5321 4.2.2's
/// `452` and RFC 3463's `4.3.1` ("mail system full") rather than `451 4.3.0`.
pub fn is_no_space(e: &io::Error) -> bool {
    // Linux errno values; `ErrorKind::StorageFull` is newer than this crate's MSRV.
    matches!(e.raw_os_error(), Some(28) | Some(122))
}

/// A copy of an error that keeps its OS code (so [`is_no_space`] still answers).
pub fn same_error(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// Group commit of `new/`: one directory fsync makes every rename done before it
/// started durable, so concurrent deliveries (the threads of the std driver, the tasks
/// of tokio, the mio driver's pool) share one instead of each paying for its own.
///
/// Why no `250` can come before its message is durable: a delivery asks for a sync only
/// after its rename has returned, and waits for a sync that *started* after that
/// moment (generation `started + 1` at the time it asked); only the completion of that
/// sync, or of a later one, releases it. A failed sync fails every delivery that waited
/// on any generation up to the failed one (conservative: a failure can make a message
/// that was in fact durable be answered 451, and then removed from `new/`, which costs a
/// resend, never a loss).
///
/// Up to [`SYNCS_IN_FLIGHT`] syncs run at once. With one, nearly every delivery found a
/// sync already running (one that started before its rename, so of no use to it) and
/// waited for it to end before its own could start: two directory fsyncs in a row. A
/// second one starts at once instead; deliveries arriving while both run wait and then
/// share the next.
#[derive(Debug, Default)]
struct GroupSync {
    state: Mutex<SyncState>,
    done: Condvar,
}

/// How many fsyncs of `new/` may run at once (see [`GroupSync`]).
pub const SYNCS_IN_FLIGHT: usize = 2;

#[derive(Debug, Default)]
struct SyncState {
    /// Syncs started so far; the latest one started is number `started`.
    started: u64,
    /// The highest generation completed (syncs may end out of order).
    completed: u64,
    /// Syncs running now.
    running: usize,
    /// Deliveries waiting on `done`: with none, a finished sync wakes no one (std's
    /// `notify_all` is a system call even then).
    waiting: usize,
    /// The highest generation that failed, and how.
    failed: Option<(u64, i32)>,
}

impl GroupSync {
    fn sync(&self, storage: &dyn Storage, dir: &Path) -> io::Result<()> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let target = s.started + 1;
        while s.completed < target {
            // A sync started since this delivery asked covers it: wait for that one,
            // or for room to start one.
            if s.started >= target || s.running >= SYNCS_IN_FLIGHT {
                s.waiting += 1;
                s = self.done.wait(s).unwrap_or_else(|e| e.into_inner());
                s.waiting -= 1;
                continue;
            }
            s.running += 1;
            s.started += 1;
            let generation = s.started;
            drop(s);
            let result = storage.sync_dir(dir);
            s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.running -= 1;
            s.completed = s.completed.max(generation);
            if let Err(e) = &result {
                let code = e.raw_os_error().unwrap_or(5);
                if !matches!(s.failed, Some((g, _)) if g >= generation) {
                    s.failed = Some((generation, code));
                }
            }
            if s.waiting > 0 {
                self.done.notify_all();
            }
        }
        match s.failed {
            Some((generation, code)) if generation >= target => {
                Err(io::Error::from_raw_os_error(code))
            }
            _ => Ok(()),
        }
    }
}

/// A Maildir root with its `tmp`, `new` and `cur` folders.
#[derive(Clone, Debug)]
pub struct Maildir {
    root: PathBuf,
    storage: Arc<dyn Storage>,
    group: Arc<GroupSync>,
}

/// What [`Maildir::clean_tmp`] removed and kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Files of a delivery process of this host that is no longer running.
    pub dead_process: usize,
    /// Files untouched for 36 hours (maildir(5)'s rule for any writer's leftovers).
    pub stale: usize,
    /// Files that may still be written by a live delivery, left alone.
    pub kept: usize,
}

/// maildir(5): "files in tmp/ that have not been accessed for 36 hours" may be removed.
pub const TMP_MAX_AGE: Duration = Duration::from_secs(36 * 3600);

impl Maildir {
    /// Opens `root` on the real disk, creating the three folders if needed.
    pub fn create(root: impl Into<PathBuf>) -> io::Result<Maildir> {
        let m = Maildir::open(root, Arc::new(Disk));
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(m.root.join(sub))?;
        }
        Ok(m)
    }

    /// A Maildir at `root` written through `storage`. Nothing is created: a Maildir that
    /// disappears while the server runs (an unmounted volume) is a temporary failure,
    /// not a reason to deliver onto whatever disk is now at that path.
    pub fn open(root: impl Into<PathBuf>, storage: Arc<dyn Storage>) -> Maildir {
        Maildir {
            root: root.into(),
            storage,
            group: Arc::new(GroupSync::default()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Removes what crashed deliveries left in `tmp/`, at server start. A file named by
    /// this host (`time.M..P<pid>Q...host`, see [`Maildir::begin`]) whose process is no
    /// longer running is removed at once: nothing can still be writing it, and no reply
    /// ever said it was delivered (only files in `new/` are). Any other file is left to
    /// maildir(5)'s rule and removed only after 36 hours untouched, because another
    /// delivery agent (Postfix, Dovecot, a second server) may be writing it now.
    pub fn clean_tmp(&self) -> io::Result<Cleaned> {
        let host = hostname();
        let mut cleaned = Cleaned::default();
        let now = SystemTime::now();
        for entry in fs::read_dir(self.root.join("tmp"))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let dead = owner_pid(&name, &host).is_some_and(|pid| {
                pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
            });
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > TMP_MAX_AGE);
            if !(dead || stale) || !entry.file_type()?.is_file() {
                cleaned.kept += 1;
                continue;
            }
            match self.storage.remove(&entry.path()) {
                Ok(()) if dead => cleaned.dead_process += 1,
                Ok(()) => cleaned.stale += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(cleaned)
    }

    /// Starts a delivery: a new file in `tmp/`.
    pub fn begin(&self) -> io::Result<Delivery> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let (pid, host) = identity();
        // time.M<usec>P<pid>Q<counter>.host: unique per delivery (maildir(5)). The
        // microseconds are zero-padded so that names sort in delivery order.
        let name = format!(
            "{}.M{:06}P{}Q{}.{}",
            now.as_secs(),
            now.subsec_micros(),
            pid,
            COUNTER.fetch_add(1, Ordering::Relaxed),
            host
        );
        let tmp = self.root.join("tmp").join(&name);
        let file = self.storage.create_new(&tmp)?;
        Ok(Delivery {
            file: Some(io::BufWriter::with_capacity(64 * 1024, file)),
            tmp,
            new: self.root.join("new").join(&name),
            storage: self.storage.clone(),
            pending_cr: false,
            size: 0,
        })
    }

    /// Moves fsynced copies into `new/` and makes the moves durable with one (group)
    /// directory fsync; one result per copy, in order. With `all_or_nothing` (one SMTP
    /// reply for every recipient, RFC 5321 4.2.5), a failure of any copy fails all and
    /// takes the others out of `new/` again, so a retried message is not delivered twice
    /// to the recipients that had succeeded.
    pub fn publish(&self, copies: Vec<Prepared>, all_or_nothing: bool) -> Vec<io::Result<PathBuf>> {
        let mut results: Vec<io::Result<PathBuf>> = Vec::with_capacity(copies.len());
        for mut c in copies {
            let renamed = self.storage.rename(&c.tmp, &c.new);
            results.push(match renamed {
                Ok(()) => {
                    c.tmp.clear();
                    Ok(std::mem::take(&mut c.new))
                }
                // `c` removes its temporary file when dropped.
                Err(e) => Err(e),
            });
        }
        let first_error = results
            .iter()
            .find_map(|r| r.as_ref().err().map(same_error));
        let failure = match first_error {
            Some(e) if all_or_nothing => Some(e),
            _ if results.iter().any(Result::is_ok) => {
                let new = self.root.join("new");
                self.group.sync(&*self.storage, &new).err()
            }
            _ => None,
        };
        if let Some(e) = failure {
            // Not durable (or not wanted): out of new/ again before the 4xx. Should the
            // removal itself not survive a crash, the message is there once and the
            // client resends it: a duplicate, which RFC 5321 6.1 accepts, never a loss.
            for r in results.iter_mut() {
                if let Ok(path) = r {
                    let _ = self.storage.remove(path);
                }
                let why = match r {
                    Err(own) if !all_or_nothing => same_error(own),
                    _ => same_error(&e),
                };
                *r = Err(why);
            }
        }
        results
    }
}

/// The process id in a delivery name of `host` (`time.M<usec>P<pid>Q<n>.host`).
fn owner_pid(name: &str, host: &str) -> Option<u32> {
    let (unique, h) = name
        .split_once('.')
        .map(|(_, rest)| rest)?
        .split_once('.')?;
    if h.split(":2,").next() != Some(host) {
        return None;
    }
    let p = unique.find('P')?;
    let q = unique.find('Q')?;
    unique.get(p + 1..q)?.parse().ok()
}

/// This process's id and host name as delivery names use them, found once: reading
/// `/etc/hostname` and asking for the pid were five system calls per message (openat,
/// statx, two reads, close, and getpid), a tenth of a message's calls without fsync.
/// A host renamed while the server runs keeps the old name in new files, which only
/// have to be unique.
fn identity() -> (u32, &'static str) {
    static ID: std::sync::OnceLock<(u32, String)> = std::sync::OnceLock::new();
    let (pid, host) = ID.get_or_init(|| (std::process::id(), hostname()));
    (*pid, host)
}

fn hostname() -> String {
    let h = fs::read_to_string("/etc/hostname").unwrap_or_default();
    // '/' and ':' cannot appear in a Maildir file name's host part (maildir(5)).
    let h: String = h
        .trim()
        .chars()
        .map(|c| if c == '/' || c == ':' { '_' } else { c })
        .collect();
    if h.is_empty() {
        "localhost".into()
    } else {
        h
    }
}

/// One message being written. Dropped without [`Delivery::commit`] or
/// [`Delivery::prepare`], it removes its temporary file.
#[derive(Debug)]
pub struct Delivery {
    file: Option<io::BufWriter<Box<dyn StoredFile>>>,
    tmp: PathBuf,
    new: PathBuf,
    storage: Arc<dyn Storage>,
    pending_cr: bool,
    size: u64,
}

fn finished() -> io::Error {
    io::Error::other("delivery already finished")
}

impl Delivery {
    /// Appends message data, turning CRLF into LF.
    pub fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        let f = self.file.as_mut().ok_or_else(finished)?;
        self.size += data.len() as u64;
        if self.pending_cr {
            self.pending_cr = false;
            if data.first() != Some(&b'\n') {
                f.write_all(b"\r")?;
            }
        }
        while !data.is_empty() {
            match memchr::memchr(b'\r', data) {
                None => {
                    f.write_all(data)?;
                    break;
                }
                Some(i) => {
                    f.write_all(&data[..i])?;
                    match data.get(i + 1) {
                        None => {
                            self.pending_cr = true;
                            break;
                        }
                        Some(b'\n') => {}
                        Some(_) => f.write_all(b"\r")?,
                    }
                    data = &data[i + 1..];
                }
            }
        }
        Ok(())
    }

    /// Appends bytes as they are, with no line-end conversion: trace header fields
    /// already written with LF ends, or the content of a spool file.
    pub fn write_raw(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.as_mut().ok_or_else(finished)?.write_all(data)
    }

    /// Copies a whole reader (a spool file) in as it is.
    pub fn copy_from(&mut self, reader: &mut dyn Read) -> io::Result<u64> {
        io::copy(reader, self.file.as_mut().ok_or_else(finished)?)
    }

    /// Ends this file as a spool rather than a message: flushed (not fsynced, since
    /// only the copies made from it must survive a crash) and left in `tmp/`, where it
    /// is removed when the [`Spool`] is dropped. It never reaches `new/`.
    pub fn into_spool(mut self) -> io::Result<Spool> {
        self.finish()?;
        self.file = None;
        Ok(Spool {
            path: std::mem::take(&mut self.tmp),
            storage: self.storage.clone(),
        })
    }

    fn finish(&mut self) -> io::Result<Box<dyn StoredFile>> {
        let mut w = self.file.take().ok_or_else(finished)?;
        let r = (|| {
            if self.pending_cr {
                w.write_all(b"\r")?;
            }
            w.flush()
        })();
        let file = match r {
            Ok(()) => w.into_inner().map_err(|e| e.into_error()),
            Err(e) => Err(e),
        };
        match file {
            Ok(f) => Ok(f),
            Err(e) => {
                let _ = self.storage.remove(&self.tmp);
                self.tmp.clear();
                Err(e)
            }
        }
    }

    /// Octets received so far (before line-end conversion).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes and fsyncs the file, still in `tmp/`: the first half of a commit. On
    /// failure the temporary file is removed.
    pub fn prepare(mut self) -> io::Result<Prepared> {
        let mut file = self.finish()?;
        let tmp = std::mem::take(&mut self.tmp);
        let synced = file.sync();
        drop(file);
        let prepared = Prepared {
            tmp,
            new: std::mem::take(&mut self.new),
            storage: self.storage.clone(),
        };
        // On error, dropping `prepared` removes the file.
        synced.map(|()| prepared)
    }

    /// Flushes, fsyncs, renames into `new/` and fsyncs the folder: after this returns
    /// the message survives a crash, and only then may the server say 250.
    pub fn commit(self, maildir: &Maildir) -> io::Result<PathBuf> {
        let prepared = self.prepare()?;
        maildir
            .publish(vec![prepared], true)
            .pop()
            .unwrap_or_else(|| Err(io::Error::other("nothing published")))
    }

    /// Gives up: the temporary file is removed.
    pub fn abort(mut self) {
        self.discard();
    }

    fn discard(&mut self) {
        if self.file.take().is_some() {
            let _ = self.storage.remove(&self.tmp);
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        self.discard();
    }
}

/// A copy written and fsynced in `tmp/`, waiting for [`Maildir::publish`]; removed from
/// `tmp/` if dropped unpublished.
#[derive(Debug)]
pub struct Prepared {
    tmp: PathBuf,
    new: PathBuf,
    storage: Arc<dyn Storage>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = self.storage.remove(&self.tmp);
        }
    }
}

/// A received message kept in `tmp/` while one copy per recipient is written from it;
/// removed when dropped.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    storage: Arc<dyn Storage>,
}

impl Spool {
    /// Opens the spooled message for reading from its start.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        self.storage.open(&self.path)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = self.storage.remove(&self.path);
    }
}

//! Maildir delivery (the layout of D. J. Bernstein's maildir(5), as Postfix and Dovecot
//! use it): a message is written to `tmp/` under a unique name, fsynced, and only then
//! renamed into `new/`, so a reader never sees half a message and a crash or dropped
//! connection leaves nothing in `new/`. Lines are stored with LF ends, as Maildir
//! readers expect; the CRLF of the wire is turned back into LF while streaming.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A Maildir root with its `tmp`, `new` and `cur` folders.
#[derive(Clone, Debug)]
pub struct Maildir {
    root: PathBuf,
}

impl Maildir {
    /// Opens `root`, creating the three folders if needed.
    pub fn create(root: impl Into<PathBuf>) -> io::Result<Maildir> {
        let root = root.into();
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(root.join(sub))?;
        }
        Ok(Maildir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Starts a delivery: a new file in `tmp/`.
    pub fn begin(&self) -> io::Result<Delivery> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let host = hostname();
        // time.M<usec>P<pid>Q<counter>.host: unique per delivery (maildir(5)). The
        // microseconds are zero-padded so that names sort in delivery order.
        let name = format!(
            "{}.M{:06}P{}Q{}.{}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            host
        );
        let tmp = self.root.join("tmp").join(&name);
        let file = File::options().write(true).create_new(true).open(&tmp)?;
        Ok(Delivery {
            file: Some(io::BufWriter::with_capacity(64 * 1024, file)),
            tmp,
            new: self.root.join("new").join(&name),
            pending_cr: false,
            size: 0,
        })
    }
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

/// One message being written. Dropped without [`Delivery::commit`], it removes its
/// temporary file.
#[derive(Debug)]
pub struct Delivery {
    file: Option<io::BufWriter<File>>,
    tmp: PathBuf,
    new: PathBuf,
    pending_cr: bool,
    size: u64,
}

impl Delivery {
    /// Appends message data, turning CRLF into LF.
    pub fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        let Some(f) = self.file.as_mut() else {
            return Err(io::Error::other("delivery already finished"));
        };
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
        let Some(f) = self.file.as_mut() else {
            return Err(io::Error::other("delivery already finished"));
        };
        f.write_all(data)
    }

    /// Copies a whole reader (a spool file) in as it is.
    pub fn copy_from(&mut self, reader: &mut dyn io::Read) -> io::Result<u64> {
        let Some(f) = self.file.as_mut() else {
            return Err(io::Error::other("delivery already finished"));
        };
        io::copy(reader, f)
    }

    /// Ends this file as a spool rather than a message: flushed (not fsynced, since
    /// only the copies made from it must survive a crash) and left in `tmp/`, where it
    /// is removed when the [`Spool`] is dropped. It never reaches `new/`.
    pub fn into_spool(mut self) -> io::Result<Spool> {
        let mut w = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("delivery already finished"))?;
        if self.pending_cr {
            w.write_all(b"\r")?;
        }
        w.flush()?;
        drop(w);
        Ok(Spool {
            path: std::mem::take(&mut self.tmp),
        })
    }

    /// Octets received so far (before line-end conversion).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes, fsyncs, renames into `new/` and fsyncs the folder: after this returns
    /// the message survives a crash, and only then may the server say 250.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        let mut w = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("delivery already finished"))?;
        if self.pending_cr {
            w.write_all(b"\r")?;
        }
        w.flush()?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, &self.new)?;
        if let Some(dir) = self.new.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(self.new.clone())
    }

    /// Gives up: the temporary file is removed.
    pub fn abort(mut self) {
        self.discard();
    }

    fn discard(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        self.discard();
    }
}

/// A received message kept in `tmp/` while one copy per recipient is written from it;
/// removed when dropped.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
}

impl Spool {
    /// Opens the spooled message for reading from its start.
    pub fn open(&self) -> io::Result<File> {
        File::open(&self.path)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

//! Waiting for mail: the files a server delivered into a Maildir's `new/`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The files in `maildir/new`, sorted by name, once there are `n` of them or `within`
/// has passed (then however many there are: the caller's assertion says what is
/// missing).
pub fn delivered_files(maildir: &Path, n: usize, within: Duration) -> Vec<PathBuf> {
    let deadline = Instant::now() + within;
    loop {
        let mut names: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        if names.len() >= n || Instant::now() > deadline {
            names.sort();
            return names;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The contents of the files delivered into `maildir/new`, sorted by file name, waiting
/// up to 10 s for `n` of them.
pub fn delivered_bytes(maildir: &Path, n: usize) -> Vec<Vec<u8>> {
    delivered_files(maildir, n, Duration::from_secs(10))
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// The delivered files as text, sorted by content, waiting up to `within` for `n`.
pub fn delivered_text_within(maildir: &Path, n: usize, within: Duration) -> Vec<String> {
    let mut all: Vec<String> = delivered_files(maildir, n, within)
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect();
    all.sort();
    all
}

/// [`delivered_text_within`] 10 s.
pub fn delivered(maildir: &Path, n: usize) -> Vec<String> {
    delivered_text_within(maildir, n, Duration::from_secs(10))
}

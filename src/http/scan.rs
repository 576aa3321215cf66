//! The resumable scan for the empty line that ends a head or trailer section (RFC 9112
//! section 2.1). It remembers how far it got, so a head trickling in a byte at a time is
//! looked at once, not once per read (quadratic under slowloris, hyper #3764).

use super::config::Limits;
use super::error::{ErrorKind, Fail};
use memchr::memchr;

/// Progress of the search for the empty line that ends a head (or trailer section).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HeadScanner {
    scanned: usize,
    line_start: usize,
    lines: usize,
}

/// What the scanner found.
pub(crate) enum Scan {
    /// The head is the first `len` bytes and has `lines` lines, the empty one included.
    Complete { len: usize, lines: usize },
    /// Not yet: more input is needed.
    Partial,
}

impl HeadScanner {
    /// Continues the scan over `buf` (which starts at the head's first byte and only
    /// ever grows at the end). `first_line_limit` bounds the start line (414).
    pub(crate) fn scan(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        first_line_limit: Option<usize>,
    ) -> Result<Scan, Fail> {
        let max_head = limits.max_head;
        loop {
            let Some(p) = memchr(b'\n', &buf[self.scanned..]) else {
                self.scanned = buf.len();
                let open = buf.len() - self.line_start;
                if let Some(limit) = first_line_limit.filter(|_| self.lines == 0) {
                    // The line so far, less a possible trailing CR, is already too long.
                    if open > limit.saturating_add(1) {
                        return Err((ErrorKind::RequestLineTooLong { limit }, limit));
                    }
                }
                if buf.len() > max_head {
                    return Err((ErrorKind::HeadTooLarge { limit: max_head }, max_head));
                }
                return Ok(Scan::Partial);
            };
            let lf = self.scanned + p;
            let line = &buf[self.line_start..lf];
            let content = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(limit) = first_line_limit.filter(|_| self.lines == 0) {
                if content.len() > limit {
                    return Err((ErrorKind::RequestLineTooLong { limit }, limit));
                }
            }
            if lf + 1 > max_head {
                return Err((ErrorKind::HeadTooLarge { limit: max_head }, max_head));
            }
            self.lines += 1;
            self.scanned = lf + 1;
            if content.is_empty() {
                return Ok(Scan::Complete {
                    len: lf + 1,
                    lines: self.lines,
                });
            }
            // Start line plus fields: refuse as soon as one line too many is seen.
            if self.lines > limits.max_headers + 1 {
                return Err((
                    ErrorKind::TooManyHeaders {
                        limit: limits.max_headers,
                    },
                    self.line_start,
                ));
            }
            self.line_start = lf + 1;
        }
    }
}

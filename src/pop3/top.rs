//! The cut `TOP msg n` makes (RFC 1939 section 7): "the headers of the message, the
//! blank line separating the headers from the body, and then the number of lines of the
//! indicated message's body". The caller streams the whole message; this decides where
//! to stop, so every server built on the machine cuts the same way.

/// Finds the end of headers + blank line + `n` body lines in a stream of chunks. Lines
/// end at LF (with or without a CR before it, as messages on disk often have bare LF).
#[derive(Clone, Debug)]
pub(crate) struct TopFilter {
    in_headers: bool,
    /// The current line has nothing but CRs so far.
    line_empty: bool,
    lines_left: u32,
    done: bool,
}

impl TopFilter {
    pub(crate) fn new(lines: u32) -> TopFilter {
        TopFilter {
            in_headers: true,
            line_empty: true,
            lines_left: lines,
            done: false,
        }
    }

    /// Whether the cut has been reached: further data is dropped.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// How many leading octets of `chunk` belong to the output.
    pub(crate) fn accept(&mut self, chunk: &[u8]) -> usize {
        if self.done {
            return 0;
        }
        let mut pos = 0;
        while let Some(k) = memchr::memchr(b'\n', &chunk[pos..]) {
            let nl = pos + k;
            if self.in_headers {
                if self.line_empty && chunk[pos..nl].iter().all(|&c| c == b'\r') {
                    // The blank line ends the headers and is itself sent.
                    self.in_headers = false;
                    if self.lines_left == 0 {
                        self.done = true;
                        return nl + 1;
                    }
                }
            } else {
                self.lines_left -= 1;
                if self.lines_left == 0 {
                    self.done = true;
                    return nl + 1;
                }
            }
            self.line_empty = true;
            pos = nl + 1;
        }
        if self.in_headers && chunk[pos..].iter().any(|&c| c != b'\r') {
            self.line_empty = false;
        }
        chunk.len()
    }
}

#[cfg(test)]
mod tests {
    use super::TopFilter;
    use alloc::vec::Vec;

    fn cut(msg: &[u8], n: u32, piece: usize) -> Vec<u8> {
        let mut f = TopFilter::new(n);
        let mut out = Vec::new();
        for c in msg.chunks(piece) {
            let k = f.accept(c);
            out.extend_from_slice(&c[..k]);
        }
        out
    }

    #[test]
    fn cuts_after_headers_blank_line_and_n_lines_at_any_split() {
        let msg = b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n";
        for piece in 1..msg.len() + 1 {
            assert_eq!(cut(msg, 0, piece), b"A: 1\r\nB: 2\r\n\r\n");
            assert_eq!(cut(msg, 2, piece), b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n");
            assert_eq!(cut(msg, 9, piece), msg);
        }
        assert_eq!(cut(b"A: 1\n\nbody\nmore\n", 1, 3), b"A: 1\n\nbody\n");
        assert_eq!(
            cut(b"A: 1\r\nno blank line", 0, 4),
            b"A: 1\r\nno blank line"
        );
    }
}

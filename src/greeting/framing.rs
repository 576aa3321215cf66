//! Cutting a greeting byte stream into messages, under either framing.

use super::queue::Queue;
use super::{Error, ErrorKind, Framing, Limits};
use crate::buffer::RecvBuffer;
use crate::line::{BareCr, BareLf, LineErrorKind, LinePolicy, LineReader};
use bytes::{BufMut, Bytes, BytesMut};

/// Bytes reserved at a time for received messages and for framed replies, when a
/// message does not fit in what is left: each message is split off its buffer, and
/// taking the room back once the earlier messages are dropped costs about as much as
/// the rest of a short message's handling, so it is paid once for several messages.
const BLOCK: usize = 64;

/// Received messages, decoded lazily. Shared by client and server.
#[derive(Debug)]
pub(crate) struct Inbox {
    framing: Framing,
    limits: Limits,
    buf: RecvBuffer,
    /// Chunk framing: the length of each received chunk, in order.
    chunks: Queue<usize>,
    lines: LineReader,
    /// A fatal error noticed at input time, reported after the messages before it.
    pending_error: Option<Error>,
    received: u64,
    /// Stream offset where the message last returned by `next` started.
    last_start: u64,
}

impl Inbox {
    pub(crate) fn new(framing: Framing, limits: Limits) -> Inbox {
        Inbox {
            framing,
            limits,
            buf: RecvBuffer::new(limits.max_buffered),
            chunks: Queue::new(),
            lines: LineReader::new(LinePolicy {
                // `\n` or `\r\n` ends a message; the limit counts the message alone.
                max_len: limits.max_message + 2,
                bare_lf: BareLf::Terminator,
                bare_cr: BareCr::Reject,
            }),
            pending_error: None,
            received: 0,
            last_start: 0,
        }
    }

    /// Takes a read. Errors are remembered and surface from [`next`](Inbox::next) once
    /// the messages received before them have been handed out.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || self.pending_error.is_some() {
            return;
        }
        let offset = self.received;
        self.received += bytes.len() as u64;
        if self.framing == Framing::Chunk && bytes.len() > self.limits.max_message {
            self.pending_error = Some(Error {
                kind: ErrorKind::TooLong {
                    limit: self.limits.max_message,
                },
                offset,
            });
            return;
        }
        if let Err(overflow) = self.buf.push_in_blocks(bytes, BLOCK) {
            self.pending_error = Some(Error {
                kind: ErrorKind::BufferFull {
                    limit: overflow.limit,
                },
                offset,
            });
            return;
        }
        if self.framing == Framing::Chunk {
            self.chunks.push_back(bytes.len());
        }
    }

    /// The next whole message, or the error that ended the stream.
    pub(crate) fn next(&mut self) -> Option<Result<Bytes, Error>> {
        let start = self.buf.consumed();
        self.last_start = start;
        let message = match self.framing {
            Framing::Chunk => self.chunks.pop_front().map(|n| Ok(self.buf.take(n))),
            Framing::Line => self.lines.poll(&mut self.buf).map(|r| {
                let limit = self.limits.max_message;
                r.map_err(|e| Error {
                    kind: match e.kind {
                        LineErrorKind::TooLong { .. } => ErrorKind::TooLong {
                            limit: self.limits.max_message,
                        },
                        // Bare LF ends a line under this policy, so only CR can be bare.
                        LineErrorKind::BareCr | LineErrorKind::BareLf => ErrorKind::BareCr,
                    },
                    offset: e.offset,
                })
                .and_then(|line| {
                    // The reader's limit allows for a two-octet terminator; a bare `\n`
                    // leaves one octet of slack, closed here.
                    if line.text.len() > limit {
                        return Err(Error {
                            kind: ErrorKind::TooLong { limit },
                            offset: start,
                        });
                    }
                    Ok(line.text)
                })
            }),
        };
        message.or_else(|| self.pending_error.take().map(Err))
    }

    /// Bytes received but not yet a whole message (a partial line).
    pub(crate) fn pending_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Whether a whole message (or an error) waits to be decoded, so more input should
    /// wait until the caller has polled. Under line framing this looks for a LF in the
    /// undecoded bytes, which after a poll are at most one partial line; a partial line
    /// already over the limit counts too, as polling will report it.
    pub(crate) fn has_message(&self) -> bool {
        match self.framing {
            Framing::Chunk => !self.chunks.is_empty(),
            Framing::Line => {
                let undecoded = self.buf.as_slice();
                undecoded.len() > self.limits.max_message + 2
                    || memchr::memchr(b'\n', undecoded).is_some()
            }
        }
    }

    /// Whether an error noticed at input time waits behind the buffered messages: no
    /// more input will be taken.
    pub(crate) fn failed(&self) -> bool {
        self.pending_error.is_some()
    }

    /// Stream offset where the last message returned by [`next`](Inbox::next) started.
    pub(crate) fn last_start(&self) -> u64 {
        self.last_start
    }

    /// Drops everything received and not yet decoded.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.chunks.clear();
        self.lines.reset();
    }

    /// `message` as it goes on the wire under this framing.
    pub(crate) fn frame(&self, parts: &[&[u8]]) -> Bytes {
        self.frame_in(&mut BytesMut::new(), parts)
    }

    /// [`frame`](Inbox::frame), written into `out` and split off it: once the previous
    /// message taken from `out` has been dropped (written to the socket), its
    /// allocation is used again, so a steady exchange allocates nothing per message.
    pub(crate) fn frame_in(&self, out: &mut BytesMut, parts: &[&[u8]]) -> Bytes {
        let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 1;
        if out.capacity() < len {
            out.reserve(len.max(BLOCK));
        }
        for part in parts {
            out.put_slice(part);
        }
        if self.framing == Framing::Line {
            out.put_u8(b'\n');
        }
        out.split().freeze()
    }
}

//! Cutting a greeting byte stream into messages, under either framing.

use super::queue::Queue;
use super::{Error, ErrorKind, Framing, Limits, REPLY_AFTER, REPLY_BEFORE, REPLY_FRAMING};
use crate::buffer::{Overflow, RecvBuffer};
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
    /// The server's inbox: each message is answered `Hello, <message>!`. Under chunk
    /// framing each chunk is stored already wrapped in that framing, so the reply is
    /// split off the receive buffer and the message is a view into the reply. One copy
    /// per message instead of two (into the buffer, then into the reply), and one split
    /// instead of two, which took the mio server from 970 to 887 instructions per
    /// message (callgrind).
    replying: bool,
    /// Chunks stored wrapped: the undecoded message bytes, which `max_buffered` bounds
    /// (the buffer also holds their framing).
    held: usize,
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
            replying: false,
            held: 0,
        }
    }

    /// An inbox for the server, which answers each message `Hello, <message>!`: read it
    /// with [`next_with_reply`](Inbox::next_with_reply). Under chunk framing each
    /// message is stored already wrapped as its reply.
    pub(crate) fn replying(framing: Framing, limits: Limits) -> Inbox {
        let mut inbox = Inbox::new(framing, limits);
        inbox.replying = true;
        if inbox.wraps_on_arrival() {
            // The limit is checked against `held`, which leaves the framing out.
            inbox.buf.set_limit(usize::MAX);
        }
        inbox
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
        let stored = if self.wraps_on_arrival() {
            self.push_wrapped(bytes)
        } else {
            self.buf.push_in_blocks(bytes, BLOCK)
        };
        if let Err(overflow) = stored {
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

    /// Stores a chunk wrapped in its reply's framing, if its message bytes fit. The
    /// framing's bytes are constants, so they are copied inline rather than by a call.
    #[inline]
    fn push_wrapped(&mut self, bytes: &[u8]) -> Result<(), Overflow> {
        let wanted = self.held.saturating_add(bytes.len());
        if wanted > self.limits.max_buffered {
            return Err(Overflow {
                limit: self.limits.max_buffered,
                wanted,
            });
        }
        self.held = wanted;
        self.buf
            .push_framed(REPLY_BEFORE, bytes, REPLY_AFTER, BLOCK)
    }

    /// Whether chunks are stored wrapped in the reply's framing.
    #[inline]
    fn wraps_on_arrival(&self) -> bool {
        self.replying && self.framing == Framing::Chunk
    }

    /// The next whole message and the reply to it, for an inbox made
    /// [`replying`](Inbox::replying) (`None` otherwise). Under chunk framing the reply
    /// was framed on arrival and the message is a view into it; under line framing the
    /// reply is framed now, into `out` (see [`frame_in`](Inbox::frame_in)).
    pub(crate) fn next_with_reply(
        &mut self,
        out: &mut BytesMut,
    ) -> Option<Result<(Bytes, Bytes), Error>> {
        if !self.replying {
            return None;
        }
        if self.framing == Framing::Chunk {
            let Some(n) = self.chunks.pop_front() else {
                return self.pending_error.take().map(Err);
            };
            self.held -= n;
            let before = REPLY_BEFORE.len();
            let reply = self.buf.take(n + REPLY_FRAMING);
            let message = reply.slice(before..before + n);
            return Some(Ok((message, reply)));
        }
        let message = match self.next_message()? {
            Ok(message) => message,
            Err(e) => return Some(Err(e)),
        };
        let reply = self.frame_in(out, &[REPLY_BEFORE, &message, &[REPLY_AFTER]]);
        Some(Ok((message, reply)))
    }

    /// The next whole message, or the error that ended the stream.
    pub(crate) fn next(&mut self) -> Option<Result<Bytes, Error>> {
        debug_assert!(
            !self.wraps_on_arrival(),
            "an inbox that wraps chunks on arrival is read with next_with_reply"
        );
        self.next_message()
    }

    fn next_message(&mut self) -> Option<Result<Bytes, Error>> {
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

    /// Whether [`next`](Inbox::next) (or `next_with_reply`) would surely give `None`
    /// now; a quick test that only chunk framing can answer (under line framing a
    /// whole line may wait in the buffer, so this is false there).
    #[inline]
    pub(crate) fn surely_empty(&self) -> bool {
        self.framing == Framing::Chunk && self.chunks.is_empty() && self.pending_error.is_none()
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
        self.held = 0;
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

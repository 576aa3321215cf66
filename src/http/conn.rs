//! The connection core both roles share: the receive buffer and what is being read from
//! it (a head, a body, a tunnel), what is being sent (a body, a tunnel), the outgoing
//! queue, the clock, and the one `Closed` event. The roles add only what differs: which
//! head they read, and how a message's end moves the connection on (RFC 9112 9.3).

use super::body::{BodyDecoder, BodyEncoder, BodyEvent, ChunkedDecoder};
use super::config::Limits;
use super::error::{Error, ErrorKind, Fail};
use super::framing::BodyKind;
use super::headers::Headers;
use super::scan::HeadScanner;
use crate::buffer::RecvBuffer;
use crate::{CloseReason, Instant, SendError};
use alloc::collections::VecDeque;
use bytes::Bytes;

/// What the connection is reading.
#[derive(Debug)]
pub(super) enum Recv {
    /// A head, resumably.
    Head(HeadScanner),
    /// A message body.
    Body(BodyDecoder),
    /// A bodyless message: its end is next.
    End,
    /// Nothing until the local side answers (server: an upgrade or CONNECT request, or a
    /// full pipeline).
    Paused,
    /// Raw bytes after a `101` or a 2xx to CONNECT: no longer HTTP.
    Tunnel,
    /// Nothing more.
    Closed,
}

/// What the connection is sending.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Send {
    /// Between messages.
    Idle,
    /// A message body, framed by its head.
    Body(BodyEncoder),
    /// Raw bytes through a tunnel.
    Tunnel,
}

/// Where the next start line stands after [`Core::skip_empty_lines`].
pub(super) enum Lead {
    /// At its first byte (or nothing buffered).
    Start,
    /// A lone CR: more input decides.
    More,
    /// Too many empty lines.
    TooLong(Error),
}

/// The receive buffer's first allocation, made with the connection: a head up to this
/// size arriving in one read is then copied in without allocating, and its event costs
/// one allocation (the shared handle on the buffer that the head's `Bytes` hold). It is
/// the 2 KiB per connection that the list of field offsets took before heads were read
/// in place.
const FIRST_READ: usize = 2048;

#[derive(Debug)]
pub(super) struct Core {
    pub(super) limits: Limits,
    pub(super) buf: RecvBuffer,
    pub(super) recv: Recv,
    pub(super) send: Send,
    pub(super) out: VecDeque<Bytes>,
    /// The peer has closed its side.
    pub(super) eof: bool,
    /// A buffer overflow seen in `handle_input`, reported after what was buffered.
    pub(super) overflow: Option<Error>,
    /// The latest `now` seen; `None` until the first `handle_*` call.
    pub(super) now: Option<Instant>,
    /// Empty lines skipped before the start line now being read (RFC 9112 2.2).
    pub(super) skipped: usize,
    /// Bytes received and dropped because nothing more was read.
    dropped: u64,
    /// Why the connection ends, decided when it was (the first reason wins).
    close: Option<CloseReason>,
    /// `Closed` has been returned.
    told_closed: bool,
}

impl Core {
    #[inline]
    pub(super) fn new(limits: Limits) -> Core {
        Core {
            limits,
            buf: RecvBuffer::with_capacity(
                limits.max_buffered,
                limits.max_buffered.min(FIRST_READ),
            ),
            recv: Recv::Head(HeadScanner::default()),
            send: Send::Idle,
            // Allocated once here so the per-message path does not.
            out: VecDeque::with_capacity(4),
            eof: false,
            overflow: None,
            now: None,
            skipped: 0,
            dropped: 0,
            close: None,
            told_closed: false,
        }
    }

    /// Takes a clock reading; time never runs backwards.
    pub(super) fn tick(&mut self, now: Instant) -> Instant {
        let now = self.now.map_or(now, |t| t.max(now));
        self.now = Some(now);
        now
    }

    /// Buffers peer bytes, unless nothing more is read.
    pub(super) fn input(&mut self, bytes: &[u8]) {
        if self.overflow.is_some() || matches!(self.recv, Recv::Closed) {
            self.dropped += bytes.len() as u64;
            return;
        }
        if let Err(o) = self.buf.push(bytes) {
            self.overflow = Some(Error {
                kind: ErrorKind::BufferFull { limit: o.limit },
                offset: self.buf.consumed() + self.buf.len() as u64,
            });
        }
    }

    /// Where the stream stands: the offset of the next byte received.
    pub(super) fn end_offset(&self) -> u64 {
        self.buf.consumed() + self.buf.len() as u64
    }

    /// Skips empty lines before a start line (RFC 9112 2.2: a server SHOULD ignore at
    /// least one before a request-line; a status line cannot start with CR or LF either,
    /// so skipping them there is unambiguous). They count against `max_head`, so a peer
    /// cannot keep the connection busy with them forever.
    pub(super) fn skip_empty_lines(&mut self) -> Lead {
        loop {
            let n = match self.buf.as_slice() {
                [b'\r', b'\n', ..] => 2,
                [b'\n', ..] if self.limits.allow_bare_lf => 1,
                // The LF may still come: decide nothing on a lone CR.
                [b'\r'] => return Lead::More,
                _ => return Lead::Start,
            };
            let max = self.limits.max_head;
            if self.skipped + n > max {
                return Lead::TooLong(Error {
                    kind: ErrorKind::HeadTooLarge { limit: max },
                    offset: self.buf.consumed() + (max - self.skipped) as u64,
                });
            }
            self.skipped += n;
            self.buf.discard(n);
        }
    }

    /// The error of a head that starts at stream offset `base`, in stream terms: the
    /// offset made absolute, and a head-size limit given as configured (the limit the
    /// parse ran with is smaller by the empty lines skipped before the head).
    pub(super) fn head_error(&self, base: u64, (kind, at): Fail) -> Error {
        Error {
            kind: match kind {
                ErrorKind::HeadTooLarge { .. } => ErrorKind::HeadTooLarge {
                    limit: self.limits.max_head,
                },
                other => other,
            },
            offset: base + at as u64,
        }
    }

    /// The limits for the head after skipped empty lines, which count against
    /// `max_head`; `None` when nothing was skipped (the common case: use `limits`).
    pub(super) fn head_limits(&self) -> Option<Limits> {
        (self.skipped > 0).then(|| {
            let mut l = self.limits;
            l.max_head -= self.skipped;
            l
        })
    }

    /// Bytes received that will never be decoded: those buffered when the machine
    /// decided to read no more, and every byte given to it after that.
    pub(super) fn unread(&self) -> u64 {
        let held = match self.recv {
            Recv::Closed => self.buf.len() as u64,
            _ => 0,
        };
        self.dropped + held
    }

    /// Records why the connection ends; an earlier reason stands.
    pub(super) fn close_with(&mut self, reason: CloseReason) {
        self.close.get_or_insert(reason);
    }

    /// The `Closed` event, once, when `closed` says the machine is done.
    pub(super) fn closed_event(&mut self, closed: bool) -> Option<CloseReason> {
        if !closed || self.told_closed {
            return None;
        }
        self.told_closed = true;
        Some(self.close.unwrap_or(CloseReason::Done))
    }

    /// The reader for a body framed as `kind` (a tunnel is the caller's to set up).
    pub(super) fn body_reader(&self, kind: BodyKind) -> Recv {
        match kind {
            BodyKind::Length(n) => Recv::Body(BodyDecoder::Length(n)),
            BodyKind::Chunked => {
                Recv::Body(BodyDecoder::Chunked(ChunkedDecoder::new(&self.limits)))
            }
            BodyKind::CloseDelimited => Recv::Body(BodyDecoder::Close),
            BodyKind::Empty | BodyKind::Tunnel => Recv::End,
        }
    }

    /// The next body event, when a body is being read.
    pub(super) fn decode_body(&mut self) -> Option<Result<BodyEvent, Error>> {
        match &mut self.recv {
            Recv::Body(dec) => dec.decode(&mut self.buf, self.eof),
            Recv::End => Some(Ok(BodyEvent::End(Headers::new()))),
            _ => None,
        }
    }

    /// Everything buffered, once the connection is a tunnel.
    pub(super) fn tunnel_data(&mut self) -> Option<Bytes> {
        let n = self.buf.len();
        (n > 0).then(|| self.buf.take(n))
    }

    /// Both directions become a tunnel.
    pub(super) fn switch_to_tunnel(&mut self) {
        self.send = Send::Tunnel;
        self.recv = Recv::Tunnel;
    }

    /// Queues body bytes (or tunnel bytes), framed as the head declared.
    pub(super) fn send_data(&mut self, data: Bytes, idle: SendError) -> Result<(), SendError> {
        match &mut self.send {
            Send::Body(enc) => enc.encode(data, &mut self.out),
            Send::Tunnel => {
                if !data.is_empty() {
                    self.out.push_back(data);
                }
                Ok(())
            }
            Send::Idle => Err(idle),
        }
    }

    /// Ends the body being sent; the caller moves the connection on.
    pub(super) fn send_end(&mut self, trailers: &Headers) -> Result<(), SendError> {
        match &mut self.send {
            Send::Body(enc) => {
                enc.finish(trailers, &mut self.out)?;
                self.send = Send::Idle;
                Ok(())
            }
            Send::Tunnel => Err(SendError::OutOfTurn(
                "a tunnel has no end of message: close the connection",
            )),
            Send::Idle => Err(SendError::OutOfTurn("no message body is being sent")),
        }
    }

    /// A body (or tunnel) is being sent, so the next chunk is welcome.
    pub(super) fn sending(&self) -> bool {
        self.send != Send::Idle
    }

    /// Bytes received after the last complete unit: a partial head.
    pub(super) fn unterminated(&self) -> usize {
        self.buf.len()
    }
}

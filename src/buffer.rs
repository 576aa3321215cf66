//! The bounded receive buffer every stream machine copies its input into.

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

/// Bytes received but not yet decoded, with a hard cap.
///
/// Input is copied in once; decoders hand out [`Bytes`] views of it with
/// [`take`](RecvBuffer::take), so events never copy again. The cap bounds what a peer
/// can make a machine hold: a decoder that needs more than `limit` undecoded bytes to
/// make progress (an over-long line, an over-large head) reports its protocol's error
/// instead of growing.
///
/// ```
/// use wirestate::buffer::RecvBuffer;
///
/// let mut buf = RecvBuffer::new(8);
/// buf.push(b"hello").unwrap();
/// assert_eq!(&buf.take(2)[..], b"he");
/// assert_eq!(buf.as_slice(), b"llo");
/// assert!(buf.push(b"123456").is_err()); // 3 + 6 > 8: refused, nothing stored
/// assert_eq!(buf.consumed(), 2);
/// ```
#[derive(Debug)]
pub struct RecvBuffer {
    buf: BytesMut,
    limit: usize,
    consumed: u64,
}

/// A push that would have taken the buffer past its limit; nothing was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow {
    /// The buffer's limit in bytes.
    pub limit: usize,
    /// How many bytes it would have held.
    pub wanted: usize,
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "receive buffer limit of {} bytes exceeded ({} wanted)",
            self.limit, self.wanted
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Overflow {}

impl RecvBuffer {
    /// An empty buffer that will hold at most `limit` undecoded bytes.
    ///
    /// ```
    /// assert!(wirestate::buffer::RecvBuffer::new(16).is_empty());
    /// ```
    pub fn new(limit: usize) -> RecvBuffer {
        RecvBuffer {
            buf: BytesMut::new(),
            limit,
            consumed: 0,
        }
    }

    /// Makes room for `additional` more bytes, so that they are copied in without an
    /// allocation then.
    #[inline]
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// An empty buffer with room for `capacity` bytes up front, so that a first read of
    /// up to that size is copied in without an allocation then (the HTTP machines make
    /// it when the connection is made). One allocation of exactly that size: growing an
    /// empty buffer to it instead goes through the growth path.
    pub(crate) fn with_capacity(limit: usize, capacity: usize) -> RecvBuffer {
        RecvBuffer {
            buf: BytesMut::with_capacity(capacity),
            limit,
            consumed: 0,
        }
    }

    /// Appends `bytes`, or refuses all of them if the limit would be passed.
    ///
    /// ```
    /// let mut b = wirestate::buffer::RecvBuffer::new(2);
    /// assert!(b.push(b"ab").is_ok());
    /// assert!(b.push(b"c").is_err());
    /// ```
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), Overflow> {
        self.fits(bytes.len())?;
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// [`push`](RecvBuffer::push), but when `bytes` do not fit in the room left, makes
    /// room for at least `block` bytes at once. A machine that takes each message out
    /// as it arrives (`take`) would otherwise take the room back at every push.
    #[inline]
    pub(crate) fn push_in_blocks(&mut self, bytes: &[u8], block: usize) -> Result<(), Overflow> {
        self.make_room(bytes.len(), block)?;
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// [`push_in_blocks`](RecvBuffer::push_in_blocks) of `before`, `body` and `after`
    /// one after another, as one push: all of them or, past the limit, none. The
    /// framing around `body` is of fixed size, so its copy is inline, where a slice of
    /// unknown length is a call to `memcpy`.
    #[inline]
    pub(crate) fn push_framed<const N: usize>(
        &mut self,
        before: &[u8; N],
        body: &[u8],
        after: u8,
        block: usize,
    ) -> Result<(), Overflow> {
        self.make_room(N + body.len() + 1, block)?;
        self.buf.extend_from_slice(before);
        self.buf.extend_from_slice(body);
        self.buf.put_u8(after);
        Ok(())
    }

    /// Checks that `n` more bytes stay within the limit and, if they do not fit in the
    /// room left, makes room for at least `block` bytes.
    #[inline]
    fn make_room(&mut self, n: usize, block: usize) -> Result<(), Overflow> {
        self.fits(n)?;
        if self.buf.capacity() - self.buf.len() < n {
            self.buf.reserve(n.max(block));
        }
        Ok(())
    }

    /// Whether `n` more bytes stay within the limit.
    #[inline]
    fn fits(&self, n: usize) -> Result<(), Overflow> {
        let wanted = self.buf.len().saturating_add(n);
        if wanted > self.limit {
            return Err(Overflow {
                limit: self.limit,
                wanted,
            });
        }
        Ok(())
    }

    /// The undecoded bytes.
    ///
    /// ```
    /// let mut b = wirestate::buffer::RecvBuffer::new(4);
    /// b.push(b"ab").unwrap();
    /// assert_eq!(b.as_slice(), b"ab");
    /// ```
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Number of undecoded bytes.
    ///
    /// ```
    /// assert_eq!(wirestate::buffer::RecvBuffer::new(4).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when no undecoded bytes are held.
    ///
    /// ```
    /// assert!(wirestate::buffer::RecvBuffer::new(4).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The most undecoded bytes this buffer will hold.
    ///
    /// ```
    /// assert_eq!(wirestate::buffer::RecvBuffer::new(4).limit(), 4);
    /// ```
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Changes the limit; bytes already held are kept even if over it.
    ///
    /// ```
    /// let mut b = wirestate::buffer::RecvBuffer::new(4);
    /// b.set_limit(1);
    /// assert!(b.push(b"ab").is_err());
    /// ```
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Removes and returns the first `n` bytes (clamped to what is held) without copying.
    ///
    /// ```
    /// let mut b = wirestate::buffer::RecvBuffer::new(4);
    /// b.push(b"abc").unwrap();
    /// assert_eq!(&b.take(9)[..], b"abc");
    /// ```
    #[inline]
    pub fn take(&mut self, n: usize) -> Bytes {
        let n = n.min(self.buf.len());
        self.consumed += n as u64;
        self.buf.split_to(n).freeze()
    }

    /// Drops the first `n` bytes (clamped to what is held).
    ///
    /// ```
    /// let mut b = wirestate::buffer::RecvBuffer::new(4);
    /// b.push(b"abc").unwrap();
    /// b.discard(1);
    /// assert_eq!(b.as_slice(), b"bc");
    /// ```
    #[inline]
    pub fn discard(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.consumed += n as u64;
        if n == self.buf.len() {
            // Everything held, as when each read brings whole messages: only the length
            // is reset, and the next push writes at the start of the room again.
            self.buf.clear();
        } else {
            // Advancing moves the start without sharing the allocation, unlike
            // `split_to`, which costs a reference-count round trip for bytes that are
            // thrown away.
            bytes::Buf::advance(&mut self.buf, n);
        }
    }

    /// Drops everything held, e.g. input pipelined after STARTTLS (CVE-2011-0411).
    /// Returns how many bytes were dropped.
    ///
    /// ```
    /// let mut b = wirestate::buffer::RecvBuffer::new(4);
    /// b.push(b"abc").unwrap();
    /// assert_eq!(b.clear(), 3);
    /// ```
    pub fn clear(&mut self) -> usize {
        let n = self.buf.len();
        self.discard(n);
        n
    }

    /// Total bytes taken or discarded since creation: the stream offset of
    /// `as_slice()[0]`, used to say where an error is.
    ///
    /// ```
    /// let mut b = wirestate::buffer::RecvBuffer::new(4);
    /// b.push(b"abc").unwrap();
    /// b.discard(2);
    /// assert_eq!(b.consumed(), 2);
    /// ```
    pub fn consumed(&self) -> u64 {
        self.consumed
    }
}

#[cfg(test)]
mod tests {
    use super::RecvBuffer;

    #[test]
    fn push_framed_stores_the_three_parts_or_nothing() {
        let mut b = RecvBuffer::new(12);
        b.push_framed(b"Hi, ", b"Ada", b'!', 64).unwrap();
        assert_eq!(b.as_slice(), b"Hi, Ada!");
        assert!(b.buf.capacity() >= 64, "room is made a block at a time");
        // 8 held + 6 more is past the limit of 12: refused whole.
        let e = b.push_framed(b"Hi, ", b"x", b'!', 64).unwrap_err();
        assert_eq!((e.limit, e.wanted), (12, 14));
        assert_eq!(b.as_slice(), b"Hi, Ada!");
        assert_eq!(&b.take(8)[..], b"Hi, Ada!");
        b.push_framed(b"Hi, ", b"", b'!', 64).unwrap();
        assert_eq!(b.as_slice(), b"Hi, !");
    }
}

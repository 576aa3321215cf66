//! The greeting protocol over UDP: one datagram in, one reply datagram out, no state, so
//! a plain function rather than a [`Machine`](crate::Machine).

use super::{REPLY_AFTER, REPLY_BEFORE, REPLY_FRAMING};
use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

/// Largest UDP payload over IPv4 (65,535 - 8 UDP header - 20 IP header octets).
///
/// ```
/// use wirestate::greeting::{udp_reply, MAX_UDP_PAYLOAD};
/// let fits = vec![b'x'; MAX_UDP_PAYLOAD - b"Hello, !".len()];
/// assert_eq!(udp_reply(&fits).unwrap().len(), MAX_UDP_PAYLOAD);
/// ```
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// A datagram whose reply would not fit in one UDP datagram. It has no stream offset (a
/// datagram stands alone), so it is its own type rather than a [`greeting::Error`]; like
/// one, it names the rule broken, and its `Display` is that rule and the datagram's size.
///
/// [`greeting::Error`]: super::Error
///
/// ```
/// use wirestate::greeting::udp_reply;
/// let e = udp_reply(&vec![b'x'; 65_500]).unwrap_err();
/// assert_eq!(e.len, 65_500);
/// assert_eq!(
///     e.to_string(),
///     "greeting over UDP: the reply must fit one datagram of 65507 bytes, for a 65500-byte datagram"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UdpError {
    /// Size of the datagram received.
    pub len: usize,
}

impl UdpError {
    /// The rule broken: `Hello, ` + datagram + `!` must fit in [`MAX_UDP_PAYLOAD`].
    ///
    /// ```
    /// use wirestate::greeting::udp_reply;
    /// assert!(udp_reply(&vec![0; 65_500]).unwrap_err().rule().contains("one datagram"));
    /// ```
    #[must_use]
    pub fn rule(&self) -> &'static str {
        "greeting over UDP: the reply must fit one datagram of 65507 bytes"
    }
}

impl fmt::Display for UdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, for a {}-byte datagram", self.rule(), self.len)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UdpError {}

/// The reply to one datagram: `Hello, ` + datagram + `!`, as the classic UDP server sends.
/// The payload is bytes, so any encoding comes back exactly.
///
/// ```
/// use wirestate::greeting::udp_reply;
/// assert_eq!(&udp_reply(b"Sarah").unwrap()[..], b"Hello, Sarah!");
/// assert!(udp_reply(&vec![b'x'; 65_507]).is_err());
/// ```
pub fn udp_reply(datagram: &[u8]) -> Result<Bytes, UdpError> {
    if datagram.len() + REPLY_FRAMING > MAX_UDP_PAYLOAD {
        return Err(UdpError {
            len: datagram.len(),
        });
    }
    let mut out = BytesMut::with_capacity(datagram.len() + REPLY_FRAMING);
    out.put_slice(REPLY_BEFORE);
    out.put_slice(datagram);
    out.put_u8(REPLY_AFTER);
    Ok(out.freeze())
}

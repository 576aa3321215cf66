//! The greeting protocol over UDP: one datagram in, one reply datagram out, no state.

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

/// Largest UDP payload over IPv4 (65,535 - 8 UDP header - 20 IP header octets).
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// A datagram whose reply would not fit in one UDP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpError {
    /// Size of the datagram received.
    pub len: usize,
}

impl fmt::Display for UdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {}-byte datagram's reply would exceed {MAX_UDP_PAYLOAD} bytes",
            self.len
        )
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
    const FRAME: usize = b"Hello, !".len();
    if datagram.len() + FRAME > MAX_UDP_PAYLOAD {
        return Err(UdpError {
            len: datagram.len(),
        });
    }
    let mut out = BytesMut::with_capacity(datagram.len() + FRAME);
    out.put_slice(b"Hello, ");
    out.put_slice(datagram);
    out.put_u8(b'!');
    Ok(out.freeze())
}

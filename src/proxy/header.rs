//! The PROXY protocol header decoder, versions 1 (text) and 2 (binary), as HAProxy's
//! `proxy-protocol.txt` specifies them. Section numbers below are that document's.

use super::{Accept, Error, ErrorKind};
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The 12-byte version 2 signature (section 2.2).
pub const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";
/// The longest version 1 line, CRLF included (section 2.1: 107 bytes).
pub const MAX_V1_LINE: usize = 107;
/// The longest version 2 header: the 16 fixed bytes and a 16-bit length.
pub const MAX_V2_HEADER: usize = 16 + u16::MAX as usize;

/// What a PROXY header says about the connection.
///
/// ```
/// use wirestate::proxy::{decode, Accept, Decoded};
/// let d = decode(b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nEHLO", Accept::Any).unwrap();
/// let Decoded::Header { header, len } = d else { panic!() };
/// assert_eq!(len, 45);
/// assert_eq!(header.source.unwrap().to_string(), "192.0.2.1:56324");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyHeader {
    /// 1 or 2.
    pub version: u8,
    /// The original client, when the proxy relays one. `None` for a v1 `UNKNOWN` line, a
    /// v2 `LOCAL` command (the proxy's own health check) or an unspecified or UNIX
    /// address family: the receiver then uses the real connection's addresses (2.1, 2.2).
    pub source: Option<SocketAddr>,
    /// The address the client connected to, on the same terms as `source`.
    pub destination: Option<SocketAddr>,
    /// Version 2 type-length-value fields, in order: `(type, value)` (section 2.2.1).
    pub tlvs: Vec<(u8, Vec<u8>)>,
}

impl ProxyHeader {
    /// The value of the first TLV of type `kind` (e.g. 0x01 ALPN, 0x02 AUTHORITY).
    ///
    /// ```
    /// use wirestate::proxy::ProxyHeader;
    /// # fn f(h: &ProxyHeader) -> Option<&[u8]> {
    /// h.tlv(0x02) // PP2_TYPE_AUTHORITY: the TLS SNI the client sent
    /// # }
    /// ```
    pub fn tlv(&self, kind: u8) -> Option<&[u8]> {
        self.tlvs
            .iter()
            .find(|(t, _)| *t == kind)
            .map(|(_, v)| v.as_slice())
    }
}

/// The result of [`decode`] on the first bytes of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Not enough bytes yet to decide: feed more.
    Partial,
    /// A whole header of `len` bytes; what follows belongs to the proxied protocol.
    Header {
        /// What it says.
        header: ProxyHeader,
        /// Its length on the wire.
        len: usize,
    },
}

/// Decodes a PROXY header at the start of `input`, the bytes received so far. Strict:
/// anything the specification does not allow is an [`Error`] with its byte offset, and the
/// connection must be dropped (section 2: a receiver "MUST NOT try to guess").
///
/// ```
/// use wirestate::proxy::{decode, Accept, Decoded, ErrorKind};
/// assert_eq!(decode(b"PROXY TCP4 1.2", Accept::Any), Ok(Decoded::Partial));
/// let e = decode(b"EHLO client\r\n", Accept::Any).unwrap_err();
/// assert_eq!(e.kind, ErrorKind::NoHeader);
/// ```
pub fn decode(input: &[u8], accept: Accept) -> Result<Decoded, Error> {
    let v2_possible = accept != Accept::V1;
    let v1_possible = accept != Accept::V2;
    let sig_seen = input.len().min(V2_SIGNATURE.len());
    if v2_possible && input[..sig_seen] == V2_SIGNATURE[..sig_seen] {
        if sig_seen < V2_SIGNATURE.len() {
            return Ok(Decoded::Partial);
        }
        return decode_v2(input);
    }
    let tag_seen = input.len().min(6);
    if v1_possible && input[..tag_seen] == b"PROXY "[..tag_seen] {
        if tag_seen < 6 {
            return Ok(Decoded::Partial);
        }
        return decode_v1(input);
    }
    Err(Error::at(ErrorKind::NoHeader, 0))
}

/// Section 2.1: `PROXY SP (TCP4|TCP6|UNKNOWN) SP src SP dst SP sport SP dport CRLF`.
fn decode_v1(input: &[u8]) -> Result<Decoded, Error> {
    let window = &input[..input.len().min(MAX_V1_LINE)];
    // The first CR or LF decides, so a prefix and the whole input reach the same verdict.
    let cr = match memchr::memchr2(b'\r', b'\n', window) {
        None if input.len() >= MAX_V1_LINE => {
            return Err(Error::at(ErrorKind::V1TooLong, MAX_V1_LINE))
        }
        None => return Ok(Decoded::Partial),
        Some(lf) if window[lf] == b'\n' => return Err(Error::at(ErrorKind::V1Syntax, lf)),
        Some(cr) => cr,
    };
    match window.get(cr + 1) {
        Some(b'\n') => {}
        _ if cr + 1 >= MAX_V1_LINE => return Err(Error::at(ErrorKind::V1TooLong, MAX_V1_LINE)),
        None => return Ok(Decoded::Partial),
        _ => return Err(Error::at(ErrorKind::V1Syntax, cr)),
    }
    let line = &input[6..cr];
    let len = cr + 2;
    let mut fields = line.split(|&b| b == b' ');
    let proto = fields.next().unwrap_or_default();
    if proto == b"UNKNOWN" {
        // "the receiver must ignore anything presented before the CRLF".
        return Ok(Decoded::Header {
            header: ProxyHeader {
                version: 1,
                source: None,
                destination: None,
                tlvs: Vec::new(),
            },
            len,
        });
    }
    let v6 = match proto {
        b"TCP4" => false,
        b"TCP6" => true,
        _ => return Err(Error::at(ErrorKind::V1Syntax, 6)),
    };
    let mut offset = 6 + proto.len() + 1;
    let mut next = |what: ErrorKind| -> Result<(&[u8], usize), Error> {
        let field = fields.next().ok_or(Error::at(what, offset))?;
        let at = offset;
        offset += field.len() + 1;
        if field.is_empty() {
            return Err(Error::at(what, at));
        }
        Ok((field, at))
    };
    let (src, src_at) = next(ErrorKind::V1Address)?;
    let (dst, dst_at) = next(ErrorKind::V1Address)?;
    let (sport, sport_at) = next(ErrorKind::V1Port)?;
    let (dport, dport_at) = next(ErrorKind::V1Port)?;
    if fields.next().is_some() {
        return Err(Error::at(ErrorKind::V1Syntax, offset - 1));
    }
    let src = parse_ip(src, v6).ok_or(Error::at(ErrorKind::V1Address, src_at))?;
    let dst = parse_ip(dst, v6).ok_or(Error::at(ErrorKind::V1Address, dst_at))?;
    let sport = parse_port(sport).ok_or(Error::at(ErrorKind::V1Port, sport_at))?;
    let dport = parse_port(dport).ok_or(Error::at(ErrorKind::V1Port, dport_at))?;
    Ok(Decoded::Header {
        header: ProxyHeader {
            version: 1,
            source: Some(SocketAddr::new(src, sport)),
            destination: Some(SocketAddr::new(dst, dport)),
            tlvs: Vec::new(),
        },
        len,
    })
}

/// An address in the family the line names: dotted quad for TCP4, RFC 4291 text for
/// TCP6 (section 2.1).
fn parse_ip(text: &[u8], v6: bool) -> Option<IpAddr> {
    let text = core::str::from_utf8(text).ok()?;
    if v6 {
        text.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        text.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    }
}

/// A decimal port in 0..=65535 (section 2.1), without sign or leading zeros, so that two
/// readers of one header never disagree about it.
fn parse_port(text: &[u8]) -> Option<u16> {
    if text.is_empty() || text.len() > 5 || (text.len() > 1 && text[0] == b'0') {
        return None;
    }
    if !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    core::str::from_utf8(text).ok()?.parse().ok()
}

/// Section 2.2: signature, version and command, family and transport, length, addresses,
/// then TLVs.
fn decode_v2(input: &[u8]) -> Result<Decoded, Error> {
    if input.len() < 16 {
        return Ok(Decoded::Partial);
    }
    let ver_cmd = input[12];
    if ver_cmd >> 4 != 2 {
        return Err(Error::at(ErrorKind::V2Version, 12));
    }
    let local = match ver_cmd & 0x0f {
        0 => true,
        1 => false,
        _ => return Err(Error::at(ErrorKind::V2Command, 12)),
    };
    let family = input[13] >> 4;
    let transport = input[13] & 0x0f;
    if family > 3 || transport > 2 {
        return Err(Error::at(ErrorKind::V2Family, 13));
    }
    let body_len = usize::from(u16::from_be_bytes([input[14], input[15]]));
    let len = 16 + body_len;
    if input.len() < len {
        return Ok(Decoded::Partial);
    }
    let body = &input[16..len];
    let addr_len = match family {
        1 => 12,
        2 => 36,
        3 => 216,
        _ => 0,
    };
    if body.len() < addr_len {
        return Err(Error::at(ErrorKind::V2Length, 14));
    }
    let (addrs, tlv_bytes) = body.split_at(addr_len);
    let (source, destination) = match family {
        // LOCAL: "the receiver must accept this connection as valid and must use the
        // real connection endpoints and discard the protocol block including the family".
        _ if local => (None, None),
        1 => {
            let ip = |at: usize| {
                IpAddr::V4(Ipv4Addr::new(
                    addrs[at],
                    addrs[at + 1],
                    addrs[at + 2],
                    addrs[at + 3],
                ))
            };
            let port = |at: usize| u16::from_be_bytes([addrs[at], addrs[at + 1]]);
            (
                Some(SocketAddr::new(ip(0), port(8))),
                Some(SocketAddr::new(ip(4), port(10))),
            )
        }
        2 => {
            let ip = |at: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&addrs[at..at + 16]);
                IpAddr::V6(Ipv6Addr::from(b))
            };
            let port = |at: usize| u16::from_be_bytes([addrs[at], addrs[at + 1]]);
            (
                Some(SocketAddr::new(ip(0), port(32))),
                Some(SocketAddr::new(ip(16), port(34))),
            )
        }
        // UNSPEC and UNIX carry no IP endpoint the caller could use.
        _ => (None, None),
    };
    let tlvs = decode_tlvs(tlv_bytes, 16 + addr_len)?;
    Ok(Decoded::Header {
        header: ProxyHeader {
            version: 2,
            source,
            destination,
            tlvs,
        },
        len,
    })
}

/// Section 2.2.1: each TLV is a type byte, a 16-bit big-endian length and the value; a
/// TLV that runs past the header is an error, never a read past it.
fn decode_tlvs(mut bytes: &[u8], mut offset: usize) -> Result<Vec<(u8, Vec<u8>)>, Error> {
    let mut tlvs = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 3 {
            return Err(Error::at(ErrorKind::V2Tlv, offset));
        }
        let kind = bytes[0];
        let n = usize::from(u16::from_be_bytes([bytes[1], bytes[2]]));
        if bytes.len() < 3 + n {
            return Err(Error::at(ErrorKind::V2Tlv, offset));
        }
        tlvs.push((kind, bytes[3..3 + n].to_vec()));
        bytes = &bytes[3 + n..];
        offset += 3 + n;
    }
    Ok(tlvs)
}

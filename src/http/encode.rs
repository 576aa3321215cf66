//! Head serialization (RFC 9112 sections 3, 4 and 5). Every part was validated when it
//! was built, so writing cannot fail; the framing checks live with the machines.

use super::head::{RequestHead, ResponseHead};
use super::headers::Headers;
use alloc::collections::VecDeque;
use bytes::{Bytes, BytesMut};

/// Writes `name: value\r\n` for every field.
pub(crate) fn fields(headers: &Headers, out: &mut BytesMut) {
    for (n, v) in headers.iter() {
        out.extend_from_slice(n);
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
}

fn fields_len(headers: &Headers) -> usize {
    headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum()
}

/// The request head as one buffer, with `extra` field lines appended.
pub(crate) fn request_head(head: &RequestHead, extra: &[(&[u8], &[u8])]) -> Bytes {
    let mut out = BytesMut::with_capacity(
        head.method.as_bytes().len()
            + head.target.as_bytes().len()
            + 14
            + fields_len(&head.headers)
            + 64,
    );
    out.extend_from_slice(head.method.as_bytes());
    out.extend_from_slice(b" ");
    out.extend_from_slice(head.target.as_bytes());
    out.extend_from_slice(b" ");
    out.extend_from_slice(head.version.as_bytes());
    out.extend_from_slice(b"\r\n");
    fields(&head.headers, &mut out);
    for (n, v) in extra {
        out.extend_from_slice(n);
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.freeze()
}

/// The response head as one buffer, with `extra` field lines appended.
pub(crate) fn response_head(head: &ResponseHead, extra: &[(&[u8], &[u8])]) -> Bytes {
    let mut out = BytesMut::with_capacity(16 + head.reason.len() + fields_len(&head.headers) + 64);
    out.extend_from_slice(head.version.as_bytes());
    out.extend_from_slice(b" ");
    let code = head.status.as_u16();
    out.extend_from_slice(&[
        b'0' + (code / 100) as u8,
        b'0' + (code / 10 % 10) as u8,
        b'0' + (code % 10) as u8,
    ]);
    out.extend_from_slice(b" ");
    out.extend_from_slice(&head.reason);
    out.extend_from_slice(b"\r\n");
    fields(&head.headers, &mut out);
    for (n, v) in extra {
        out.extend_from_slice(n);
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.freeze()
}

/// Pieces smaller than this together are sent as one: a head and a small body, or
/// several pipelined answers, cost one write instead of one per piece.
const COALESCE: usize = 16 * 1024;

/// The next transmit: the front piece, joined with the small pieces after it.
pub(crate) fn coalesce(out: &mut VecDeque<Bytes>) -> Option<Bytes> {
    let first = out.pop_front()?;
    match out.front() {
        Some(next) if first.len() + next.len() <= COALESCE => {}
        _ => return Some(first),
    }
    let total: usize = out
        .iter()
        .scan(first.len(), |acc, b| {
            *acc += b.len();
            (*acc <= COALESCE).then_some(*acc)
        })
        .last()
        .unwrap_or(first.len());
    let mut joined = BytesMut::with_capacity(total);
    joined.extend_from_slice(&first);
    while let Some(next) = out.front() {
        if joined.len() + next.len() > COALESCE {
            break;
        }
        joined.extend_from_slice(next);
        out.pop_front();
    }
    Some(joined.freeze())
}

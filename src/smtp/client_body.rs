//! The client's outbound message data: dot-stuffed DATA (RFC 5321 4.5.2) or BDAT
//! chunks (RFC 3030 2) whose sizes are those of the canonical text, so the server sees
//! the same message either way (RFC 3030 3); BINARYMIME octets go untouched.

use super::command::Command;
use crate::dot::DotStuffer;
use crate::line::Canonicalizer;
use bytes::{BufMut, BytesMut};

/// How this transaction's body goes on the wire.
#[derive(Clone, Debug)]
pub(super) enum BodyEncoder {
    Dot(DotStuffer),
    Chunks { lines: Canonicalizer, binary: bool },
}

impl BodyEncoder {
    pub(super) fn dot() -> BodyEncoder {
        BodyEncoder::Dot(DotStuffer::new())
    }

    pub(super) fn chunks(binary: bool) -> BodyEncoder {
        BodyEncoder::Chunks {
            lines: Canonicalizer::new(),
            binary,
        }
    }

    pub(super) fn is_bdat(&self) -> bool {
        matches!(self, BodyEncoder::Chunks { .. })
    }

    /// Writes `piece` (and the end, if `last`); returns whether a BDAT command was
    /// written (each one earns a reply).
    pub(super) fn write(&mut self, piece: &[u8], last: bool, out: &mut BytesMut) -> bool {
        match self {
            BodyEncoder::Dot(stuffer) => {
                stuffer.stuff(piece, out);
                if last {
                    stuffer.finish(out);
                }
                false
            }
            BodyEncoder::Chunks { lines, binary } => {
                let mut chunk = BytesMut::with_capacity(piece.len() + 2);
                if *binary {
                    chunk.put_slice(piece);
                } else {
                    lines.canonicalize(piece, &mut chunk);
                    if last {
                        lines.finish_into(&mut chunk);
                    }
                }
                if chunk.is_empty() && !last {
                    return false;
                }
                let c = Command::Bdat {
                    size: chunk.len() as u64,
                    last,
                };
                // A BDAT command holds only a number: it always encodes.
                let _ = c.encode(out);
                out.put(chunk);
                true
            }
        }
    }
}

//! The TRANSACTION state's bookkeeping (RFC 1939 section 5 and section 7's UIDL): the
//! caller's listing with the deletion marks, and the answers the server gives from it.
//! It owns its data; the server machine calls it and never reaches into it.

use super::command::put_decimal;
use super::response::{ScanListing, UidListing};
use super::server_types::MessageInfo;
use super::types::{MessageNumber, Uid};
use alloc::vec::Vec;
use bytes::{BufMut, BytesMut};

#[derive(Clone, Debug)]
struct Entry {
    octets: u64,
    uid: Uid,
    deleted: bool,
}

/// The maildrop as listed at login, with DELE marks.
#[derive(Clone, Debug)]
pub(crate) struct Maildrop {
    entries: Vec<Entry>,
}

/// Appends a status line: `+OK`/`-ERR`, then ` text` unless it is empty, then CRLF.
pub(crate) fn status(out: &mut BytesMut, ok: bool, text: &[u8]) {
    out.put_slice(if ok { b"+OK" } else { b"-ERR" });
    if !text.is_empty() {
        out.put_u8(b' ');
        out.put_slice(text);
    }
    out.put_slice(b"\r\n");
}

impl Maildrop {
    /// Message numbers are 32-bit, so messages past 4294967295 are not listed.
    pub(crate) fn new(listing: Vec<MessageInfo>) -> Maildrop {
        Maildrop {
            entries: listing
                .into_iter()
                .take(u32::MAX as usize)
                .map(|m| Entry {
                    octets: m.octets,
                    uid: m.uid,
                    deleted: false,
                })
                .collect(),
        }
    }

    /// Messages not marked deleted, and their octets.
    fn summary(&self) -> (usize, u64) {
        self.entries
            .iter()
            .filter(|e| !e.deleted)
            .fold((0, 0), |(n, o), e| (n + 1, o + e.octets))
    }

    /// `N messages (M octets)`, the RFC 1939 section 10 wording.
    pub(crate) fn put_summary(&self, out: &mut BytesMut) {
        let (n, octets) = self.summary();
        put_decimal(out, n as u64);
        out.put_slice(if n == 1 {
            b" message ("
        } else {
            b" messages ("
        });
        put_decimal(out, octets);
        out.put_slice(b" octets)");
    }

    /// Messages that will stay after UPDATE.
    pub(crate) fn left(&self) -> usize {
        self.summary().0
    }

    /// The messages marked deleted, in order: what UPDATE removes.
    pub(crate) fn deleted(&self) -> Vec<MessageNumber> {
        self.live(true).map(|(n, _)| n).collect()
    }

    fn live(&self, deleted: bool) -> impl Iterator<Item = (MessageNumber, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.deleted == deleted)
            .filter_map(|(i, e)| Some((MessageNumber::from_index(i)?, e)))
    }

    /// The octets of a message that exists and is not deleted, or the `-ERR` for it
    /// (RFC 1939 section 5: a command "may not refer to a message marked as deleted").
    pub(crate) fn lookup(&self, msg: MessageNumber, out: &mut BytesMut) -> Option<u64> {
        let mut t = BytesMut::new();
        match self.entries.get(msg.index()) {
            None => {
                // RFC 1939 section 5 LIST example: "-ERR no such message, only 2 messages in maildrop".
                t.put_slice(b"no such message, only ");
                put_decimal(&mut t, self.entries.len() as u64);
                t.put_slice(b" messages in maildrop");
            }
            Some(e) if e.deleted => {
                t.put_slice(b"message ");
                put_decimal(&mut t, u64::from(msg.get()));
                t.put_slice(b" already deleted");
            }
            Some(e) => return Some(e.octets),
        }
        status(out, false, &t);
        None
    }

    /// STAT: "+OK nn mm", deleted messages not counted (RFC 1939 section 5).
    pub(crate) fn stat(&self, out: &mut BytesMut) {
        let (n, o) = self.summary();
        let mut t = BytesMut::new();
        put_decimal(&mut t, n as u64);
        t.put_u8(b' ');
        put_decimal(&mut t, o);
        status(out, true, &t);
    }

    /// LIST or LIST msg.
    pub(crate) fn list(&self, msg: Option<MessageNumber>, out: &mut BytesMut) {
        let Some(msg) = msg else {
            let mut t = BytesMut::new();
            self.put_summary(&mut t);
            status(out, true, &t);
            for (msg, e) in self.live(false) {
                ScanListing {
                    msg,
                    octets: e.octets,
                }
                .encode(out);
                out.put_slice(b"\r\n");
            }
            out.put_slice(b".\r\n");
            return;
        };
        if let Some(octets) = self.lookup(msg, out) {
            let mut t = BytesMut::new();
            ScanListing { msg, octets }.encode(&mut t);
            status(out, true, &t);
        }
    }

    /// UIDL or UIDL msg (RFC 1939 section 7).
    pub(crate) fn uidl(&self, msg: Option<MessageNumber>, out: &mut BytesMut) {
        let Some(msg) = msg else {
            status(out, true, b"");
            for (msg, e) in self.live(false) {
                UidListing {
                    msg,
                    uid: e.uid.clone(),
                }
                .encode(out);
                out.put_slice(b"\r\n");
            }
            out.put_slice(b".\r\n");
            return;
        };
        if self.lookup(msg, out).is_some() {
            let uid = self.entries[msg.index()].uid.clone();
            let mut t = BytesMut::new();
            UidListing { msg, uid }.encode(&mut t);
            status(out, true, &t);
        }
    }

    /// DELE: only marks; removal happens in UPDATE (RFC 1939 section 5).
    pub(crate) fn dele(&mut self, msg: MessageNumber, out: &mut BytesMut) {
        if self.lookup(msg, out).is_some() {
            self.entries[msg.index()].deleted = true;
            let mut t = BytesMut::from(&b"message "[..]);
            put_decimal(&mut t, u64::from(msg.get()));
            t.put_slice(b" deleted");
            status(out, true, &t);
        }
    }

    /// RSET: unmarks every message (RFC 1939 section 5).
    pub(crate) fn rset(&mut self, out: &mut BytesMut) {
        for e in &mut self.entries {
            e.deleted = false;
        }
        let mut t = BytesMut::from(&b"maildrop has "[..]);
        self.put_summary(&mut t);
        status(out, true, &t);
    }
}

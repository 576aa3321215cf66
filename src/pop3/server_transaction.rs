//! TRANSACTION state (RFC 1939 section 5 and section 7's UIDL and TOP): the commands the
//! machine answers from the caller's listing, and the QUIT that enters UPDATE.

use super::{Entry, Pending, Pop3Server, State};
use crate::dot::DotStuffer;
use crate::pop3::command::{put_decimal, Command};
use crate::pop3::response::{ScanListing, UidListing};
use crate::pop3::top::TopFilter;
use crate::pop3::{MessageNumber, ServerEvent};
use alloc::vec::Vec;
use bytes::{BufMut, BytesMut};

impl Pop3Server {
    /// The text `N messages (M octets)` for the undeleted messages.
    pub(super) fn summary(entries: &[Entry]) -> (usize, u64) {
        entries
            .iter()
            .filter(|e| !e.deleted)
            .fold((0, 0), |(n, o), e| (n + 1, o + e.octets))
    }

    pub(super) fn put_summary(out: &mut BytesMut, entries: &[Entry]) {
        let (n, octets) = Pop3Server::summary(entries);
        put_decimal(out, n as u64);
        out.put_slice(if n == 1 {
            b" message ("
        } else {
            b" messages ("
        });
        put_decimal(out, octets);
        out.put_slice(b" octets)");
    }

    /// Looks up a message that exists and is not marked deleted (RFC 1939 section 5:
    /// "may not refer to a message marked as deleted").
    fn lookup(&mut self, msg: MessageNumber, count: usize) -> Option<usize> {
        let i = msg.index();
        let deleted = match &self.state {
            State::Transaction(e) => e.get(i).map(|e| e.deleted),
            _ => None,
        };
        let mut t = BytesMut::new();
        match deleted {
            None => {
                // RFC 1939 section 5 LIST example: "-ERR no such message, only 2 messages in maildrop".
                t.put_slice(b"no such message, only ");
                put_decimal(&mut t, count as u64);
                t.put_slice(b" messages in maildrop");
            }
            Some(true) => {
                t.put_slice(b"message ");
                put_decimal(&mut t, u64::from(msg.get()));
                t.put_slice(b" already deleted");
            }
            Some(false) => return Some(i),
        }
        self.reply(false, None, &t);
        None
    }

    pub(super) fn transaction(&mut self, cmd: Command, count: usize) -> ServerEvent {
        let kind = cmd.kind();
        let State::Transaction(entries) = &mut self.state else {
            return ServerEvent::Answered(kind);
        };
        let mut t = BytesMut::new();
        match cmd {
            Command::Stat => {
                // RFC 1939 section 5: "+OK nn mm", deleted messages not counted.
                let (n, o) = Pop3Server::summary(entries);
                put_decimal(&mut t, n as u64);
                t.put_u8(b' ');
                put_decimal(&mut t, o);
                self.reply(true, None, &t);
            }
            Command::List(None) => {
                Pop3Server::put_summary(&mut t, entries);
                let mut body = BytesMut::new();
                for (i, e) in entries.iter().enumerate().filter(|(_, e)| !e.deleted) {
                    if let Some(msg) = MessageNumber::from_index(i) {
                        ScanListing {
                            msg,
                            octets: e.octets,
                        }
                        .encode(&mut body);
                        body.put_slice(b"\r\n");
                    }
                }
                self.reply(true, None, &t);
                self.out.put_slice(&body);
                self.out.put_slice(b".\r\n");
            }
            Command::Uidl(None) => {
                let mut body = BytesMut::new();
                for (i, e) in entries.iter().enumerate().filter(|(_, e)| !e.deleted) {
                    if let Some(msg) = MessageNumber::from_index(i) {
                        UidListing {
                            msg,
                            uid: e.uid.clone(),
                        }
                        .encode(&mut body);
                        body.put_slice(b"\r\n");
                    }
                }
                self.reply(true, None, b"");
                self.out.put_slice(&body);
                self.out.put_slice(b".\r\n");
            }
            Command::List(Some(msg)) => {
                if let Some(octets) = self
                    .lookup(msg, count)
                    .and_then(|i| self.entry(i))
                    .map(|e| e.octets)
                {
                    ScanListing { msg, octets }.encode(&mut t);
                    self.reply(true, None, &t);
                }
            }
            Command::Uidl(Some(msg)) => {
                if let Some(uid) = self
                    .lookup(msg, count)
                    .and_then(|i| self.entry(i))
                    .map(|e| e.uid.clone())
                {
                    UidListing { msg, uid }.encode(&mut t);
                    self.reply(true, None, &t);
                }
            }
            Command::Dele(msg) => {
                if let Some(i) = self.lookup(msg, count) {
                    // RFC 1939 section 5: DELE only marks; removal happens in UPDATE.
                    if let State::Transaction(e) = &mut self.state {
                        if let Some(e) = e.get_mut(i) {
                            e.deleted = true;
                        }
                    }
                    t.put_slice(b"message ");
                    put_decimal(&mut t, u64::from(msg.get()));
                    t.put_slice(b" deleted");
                    self.reply(true, None, &t);
                }
            }
            Command::Rset => {
                for e in entries.iter_mut() {
                    e.deleted = false;
                }
                t.put_slice(b"maildrop has ");
                Pop3Server::put_summary(&mut t, entries);
                self.reply(true, None, &t);
            }
            Command::Retr(msg) => {
                if self.lookup(msg, count).is_some() {
                    self.pending = Some(Pending::Message {
                        msg,
                        top: None,
                        started: false,
                        stuffer: DotStuffer::new(),
                    });
                    return ServerEvent::Retrieve(msg);
                }
            }
            Command::Top { msg, lines } => {
                if self.lookup(msg, count).is_some() {
                    self.pending = Some(Pending::Message {
                        msg,
                        top: Some(TopFilter::new(lines)),
                        started: false,
                        stuffer: DotStuffer::new(),
                    });
                    return ServerEvent::Top { msg, lines };
                }
            }
            Command::Quit => {
                // RFC 1939 section 6: QUIT from TRANSACTION enters UPDATE.
                let deleted: Vec<MessageNumber> = entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.deleted)
                    .filter_map(|(i, _)| MessageNumber::from_index(i))
                    .collect();
                let left = entries.iter().filter(|e| !e.deleted).count();
                self.pending = Some(Pending::Update { left });
                return ServerEvent::Update { deleted };
            }
            other => {
                t.put_slice(other.kind().keyword().as_bytes());
                t.put_slice(b" not valid in TRANSACTION state");
                self.reply(false, None, &t);
            }
        }
        ServerEvent::Answered(kind)
    }

    pub(super) fn entry(&self, i: usize) -> Option<&Entry> {
        match &self.state {
            State::Transaction(e) => e.get(i),
            _ => None,
        }
    }
}

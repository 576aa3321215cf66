//! The client's transaction replies, one handler per command of a transaction: MAIL
//! (RFC 5321 4.1.1.2), each RCPT (4.1.1.3), DATA and its end (4.1.1.4), BDAT chunks
//! (RFC 3030 2) and the per-recipient answers of LMTP (RFC 2033 4.2). With PIPELINING
//! (RFC 2920 3.1) the commands went out together, so a failure is noted and the
//! transaction ended only once the replies it waits for are in. A failed transaction is
//! reset (RFC 5321 4.1.1.5) so the next can follow on the same connection.

use super::{BodyState, Client, ClientEvent, Expect};
use crate::smtp::command::Command;
use crate::smtp::reply::Reply;

impl Client {
    pub(super) fn first_failure(&self) -> Option<Reply> {
        self.tx.as_ref().and_then(|t| t.last_reply.clone())
    }

    fn note_failure(&mut self, reply: &Reply) {
        if let Some(t) = &mut self.tx {
            t.failed = true;
            if t.last_reply.is_none() {
                t.last_reply = Some(reply.clone());
            }
        }
    }

    /// The transaction is over without delivery; RSET puts the connection back to idle
    /// (RFC 5321 4.1.1.5) so another transaction can follow.
    pub(super) fn tx_failed(&mut self, reply: Reply) {
        self.events.push_back(ClientEvent::Failed(reply));
        self.tx = None;
        self.cmd(&Command::Rset, Expect::Rset);
    }

    pub(super) fn mail_reply(&mut self, reply: Reply) {
        self.events.push_back(ClientEvent::Mail(reply.clone()));
        if !reply.code().is_positive() {
            self.note_failure(&reply);
            if !self.pipelining() {
                self.tx_failed(reply);
            }
            return;
        }
        if !self.pipelining() {
            self.next_rcpt();
        }
    }

    fn next_rcpt(&mut self) {
        let Some(t) = &mut self.tx else { return };
        let i = t.next_rcpt;
        let Some((to, params)) = t.recipients.get(i).cloned() else {
            return self.after_rcpts();
        };
        t.next_rcpt += 1;
        self.cmd(&Command::Rcpt { to, params }, Expect::Rcpt(i));
    }

    pub(super) fn rcpt_reply(&mut self, index: usize, reply: Reply) {
        let positive = reply.code().is_positive();
        self.events.push_back(ClientEvent::Recipient {
            index,
            reply: reply.clone(),
        });
        let pipelining = self.pipelining();
        let Some(t) = &mut self.tx else { return };
        if positive {
            t.accepted.push(index);
        } else if t.last_reply.is_none() {
            // Reported only if no recipient is accepted at all.
            t.last_reply = Some(reply);
        }
        let last = index + 1 == t.recipients.len();
        if !pipelining {
            self.next_rcpt();
        } else if last && t.encoder.is_bdat() {
            self.after_rcpts();
        }
    }

    fn after_rcpts(&mut self) {
        let Some(t) = &mut self.tx else { return };
        if t.failed || t.accepted.is_empty() {
            let r = t
                .last_reply
                .clone()
                .unwrap_or_else(|| Reply::fixed(554, None, "No valid recipients"));
            return self.tx_failed(r);
        }
        t.last_reply = None;
        if t.encoder.is_bdat() {
            t.body = BodyState::Open;
        } else {
            self.cmd(&Command::Data, Expect::Data);
        }
    }

    pub(super) fn data_reply(&mut self, reply: Reply) {
        let Some(t) = &mut self.tx else { return };
        let doomed = t.failed || t.accepted.is_empty();
        if reply.code().get() == 354 {
            if doomed {
                // RFC 2920 3.1: DATA was accepted although no recipient was; end the
                // empty message at once.
                self.out.extend_from_slice(b".\r\n");
                self.expect(Expect::DataDiscard);
                return;
            }
            t.last_reply = None;
            t.body = BodyState::Open;
            return;
        }
        let first = if doomed { t.last_reply.clone() } else { None };
        self.tx_failed(first.unwrap_or(reply));
    }

    pub(super) fn bdat_reply(&mut self, reply: Reply) {
        let Some(t) = &mut self.tx else { return };
        t.bdat_outstanding = t.bdat_outstanding.saturating_sub(1);
        if !reply.code().is_positive() {
            self.note_failure(&reply);
        }
        let Some(t) = &self.tx else { return };
        // RFC 3030 2: after a refused chunk send no more; once every chunk sent so far
        // is answered (and no LAST is outstanding) the transaction is over.
        if t.failed && t.bdat_outstanding == 0 && t.body != BodyState::Ended {
            let r = t.last_reply.clone().unwrap_or(reply);
            self.tx_failed(r);
        }
    }

    pub(super) fn end_reply(&mut self, reply: Reply) {
        let lmtp = self.config.lmtp;
        let Some(t) = &mut self.tx else { return };
        if t.encoder.is_bdat() {
            t.bdat_outstanding = t.bdat_outstanding.saturating_sub(1);
        }
        if t.failed {
            t.lmtp_pending = t.lmtp_pending.saturating_sub(1);
            if t.lmtp_pending == 0 {
                let r = t.last_reply.clone().unwrap_or(reply);
                self.tx_failed(r);
            }
            return;
        }
        if lmtp {
            let k = t.accepted.len() - t.lmtp_pending.min(t.accepted.len());
            let index = t.accepted.get(k).copied().unwrap_or(0);
            t.lmtp_pending = t.lmtp_pending.saturating_sub(1);
            self.events.push_back(ClientEvent::Delivery {
                index,
                reply: reply.clone(),
            });
            if t.lmtp_pending > 0 {
                return;
            }
        } else if !reply.code().is_positive() {
            return self.tx_failed(reply);
        }
        let accepted = core::mem::take(&mut t.accepted);
        self.tx = None;
        self.events.push_back(ClientEvent::Sent { reply, accepted });
        self.ready();
    }
}

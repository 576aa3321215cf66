//! The server's message data: DATA streamed through the strict dot unstuffer
//! (RFC 5321 4.1.1.4, 4.5.2; smuggling rejected) and BDAT chunks (RFC 3030 2), with
//! the SIZE limit (RFC 1870) and text-line limit (RFC 5321 4.5.3.1.6) enforced while
//! streaming.

use super::reply::Reply;
use super::server::{AbortReason, CloseReason, Pending, Phase, ServerEvent, SmtpServer};
use crate::dot::{DotErrorKind, DotPolicy, DotUnstuffer, Unstuffed};
use alloc::format;
use bytes::Bytes;

impl SmtpServer {
    pub(super) fn data_command(&mut self) {
        if self.hello.is_none() {
            return self.seq(
                "Send HELO/EHLO first",
                "RFC 5321 4.1.4: DATA before HELO/EHLO",
            );
        }
        let Some(tx) = &self.tx else {
            return self.seq("Need MAIL command", "RFC 5321 4.1.4: DATA before MAIL");
        };
        if tx.bdat {
            return self.seq(
                "DATA after BDAT",
                "RFC 3030 2: DATA cannot follow BDAT in a transaction",
            );
        }
        if tx.binary {
            return self.seq(
                "BINARYMIME needs BDAT",
                "RFC 3030 3: BODY=BINARYMIME must be sent with BDAT",
            );
        }
        if tx.recipients == 0 {
            // RFC 5321 3.3: all RCPTs failed (or none given): 554 "no valid recipients".
            let r = self.r(554, (5, 5, 1), "No valid recipients");
            return self.refuse(r, "RFC 5321 3.3: DATA without an accepted recipient");
        }
        self.decide(
            Pending::DataStart { bdat: None },
            ServerEvent::DataStart { chunked: false },
        );
    }

    pub(super) fn bdat_command(&mut self, size: u64, last: bool) {
        // The chunk's octets follow the command whatever we answer, so they are always
        // read and dropped on refusal: never parsed as commands (RFC 3030 2).
        let refusal = if !self.config.chunking {
            Some((
                self.r(502, (5, 5, 1), "CHUNKING not offered"),
                "RFC 3030: BDAT without CHUNKING",
            ))
        } else if self.hello.is_none() {
            Some((
                self.r(503, (5, 5, 1), "Send HELO/EHLO first"),
                "RFC 5321 4.1.4: BDAT before EHLO",
            ))
        } else {
            match &self.tx {
                None => Some((
                    self.r(503, (5, 5, 1), "Need MAIL command"),
                    "RFC 3030 2: BDAT without a transaction",
                )),
                Some(t) if t.recipients == 0 => Some((
                    self.r(554, (5, 5, 1), "No valid recipients"),
                    "RFC 5321 3.3: BDAT without an accepted recipient",
                )),
                _ => None,
            }
        };
        if let Some((reply, reason)) = refusal {
            self.phase = Phase::BdatDiscard {
                remaining: size,
                reply,
            };
            self.discard_reason = reason;
            return;
        }
        let started = self.tx.as_ref().is_some_and(|t| t.bdat);
        self.chunk_size = size;
        if started {
            self.phase = Phase::Bdat {
                remaining: size,
                last,
            };
        } else {
            self.decide(
                Pending::DataStart {
                    bdat: Some((size, last)),
                },
                ServerEvent::DataStart { chunked: true },
            );
        }
    }

    pub(super) fn resolve_data_start(&mut self, bdat: Option<(u64, bool)>, reply: Option<Reply>) {
        let positive = reply.as_ref().map_or(true, |r| !r.code().is_negative());
        match bdat {
            None if positive => {
                let r = reply
                    .unwrap_or_else(|| self.r(354, (2, 0, 0), "End data with <CR><LF>.<CR><LF>"));
                self.send(r);
                self.unstuffer = DotUnstuffer::new(DotPolicy::Strict);
                self.phase = Phase::Data;
            }
            None => {
                if let Some(r) = reply {
                    self.send(r);
                }
            }
            Some((size, last)) if positive => {
                if let Some(t) = &mut self.tx {
                    t.bdat = true;
                }
                self.phase = Phase::Bdat {
                    remaining: size,
                    last,
                };
            }
            Some((size, _)) => {
                // The transaction failed at its first chunk: read the chunk, then answer.
                self.tx = None;
                self.events
                    .push_back(ServerEvent::DataAborted(AbortReason::Rejected));
                self.phase = Phase::BdatDiscard {
                    remaining: size,
                    reply: reply.unwrap_or_else(|| self.r(554, (5, 0, 0), "Transaction failed")),
                };
                self.discard_reason = "caller rejected the BDAT transaction";
            }
        }
    }

    /// Counts data toward the limits; returns false once the transaction is aborted.
    fn account(&mut self, piece: &[u8], text: bool) -> bool {
        let max_size = self.config.max_message_size;
        let max_line = self.config.limits.text_line;
        let Some(tx) = &mut self.tx else { return false };
        if tx.aborted.is_some() {
            return false;
        }
        tx.size += piece.len() as u64;
        let mut why = None;
        if max_size.is_some_and(|m| tx.size > m) {
            why = Some(AbortReason::TooLarge);
        } else if text {
            // RFC 5321 4.5.3.1.6: text lines are at most 1000 octets with CRLF.
            let mut start = 0;
            for nl in memchr::memchr_iter(b'\n', piece) {
                if tx.line_len + (nl + 1 - start) > max_line {
                    why = Some(AbortReason::LineTooLong);
                }
                tx.line_len = 0;
                start = nl + 1;
            }
            tx.line_len += piece.len() - start;
            // A line still open can already be known to be too long.
            if tx.line_len > max_line {
                why = Some(AbortReason::LineTooLong);
            }
        }
        if let Some(w) = why {
            tx.aborted = Some(w);
            self.events.push_back(ServerEvent::DataAborted(w));
            return false;
        }
        true
    }

    fn abort_reply(&self, why: AbortReason) -> (Reply, &'static str) {
        match why {
            AbortReason::TooLarge => (
                self.r(
                    552,
                    (5, 3, 4),
                    "Message size exceeds fixed maximum message size",
                ),
                "RFC 1870 6.3: message larger than SIZE limit",
            ),
            _ => (
                self.r(500, (5, 5, 2), "Line too long"),
                "RFC 5321 4.5.3.1.6: text line longer than the limit",
            ),
        }
    }

    pub(super) fn step_data(&mut self) -> bool {
        match self.unstuffer.poll(&mut self.buf) {
            None => false,
            Some(Ok(Unstuffed::Data(b))) => {
                if self.account(&b, true) {
                    self.events.push_back(ServerEvent::DataChunk(b));
                }
                true
            }
            Some(Ok(Unstuffed::End)) => {
                self.finish_data();
                true
            }
            Some(Err(e)) => {
                // Where the data ends is no longer certain: answer once and close, so a
                // downstream server can never see a different message boundary.
                let what = match e.kind {
                    DotErrorKind::BareLf => "bare <LF>",
                    DotErrorKind::BareCr => "bare <CR>",
                    DotErrorKind::Smuggling => "ambiguous end-of-data sequence",
                };
                let r = self.r(
                    500,
                    (5, 5, 2),
                    &format!(
                        "Error: {what} received in message data at byte {}",
                        e.offset
                    ),
                );
                self.close(r, CloseReason::Framing(e));
                true
            }
        }
    }

    fn finish_data(&mut self) {
        self.phase = super::server::Phase::Command;
        let Some(tx) = &self.tx else { return };
        if let Some(why) = tx.aborted {
            let (r, reason) = self.abort_reply(why);
            self.end_transaction();
            return self.refuse(r, reason);
        }
        let (size, recipients) = (tx.size, tx.recipients);
        self.decide(
            Pending::DataEnd { recipients },
            ServerEvent::DataEnd { size, recipients },
        );
    }

    pub(super) fn step_bdat(&mut self) -> bool {
        match core::mem::replace(&mut self.phase, Phase::Command) {
            Phase::Bdat { remaining: 0, last } => {
                if last {
                    self.finish_data();
                } else {
                    let text = format!("{} octets received", self.chunk_size);
                    let r = self.r(250, (2, 0, 0), &text);
                    self.send(r);
                }
                true
            }
            Phase::Bdat { remaining, last } => {
                let n = remaining.min(self.buf.len() as u64) as usize;
                if n == 0 {
                    self.phase = Phase::Bdat { remaining, last };
                    return false;
                }
                let piece: Bytes = self.buf.take(n);
                let remaining = remaining - n as u64;
                if self.account(&piece, false) {
                    self.events.push_back(ServerEvent::DataChunk(piece));
                    self.phase = Phase::Bdat { remaining, last };
                } else {
                    // Over the SIZE limit mid-chunk: drop the rest of this chunk, then
                    // answer 552; later BDATs find no transaction and get 503.
                    let why = self
                        .tx
                        .as_ref()
                        .and_then(|t| t.aborted)
                        .unwrap_or(AbortReason::TooLarge);
                    let (reply, reason) = self.abort_reply(why);
                    self.tx = None;
                    self.phase = Phase::BdatDiscard { remaining, reply };
                    self.discard_reason = reason;
                }
                true
            }
            Phase::BdatDiscard {
                remaining: 0,
                reply,
            } => {
                self.refuse(reply, self.discard_reason);
                true
            }
            Phase::BdatDiscard { remaining, reply } => {
                let n = remaining.min(self.buf.len() as u64) as usize;
                self.buf.discard(n);
                self.phase = Phase::BdatDiscard {
                    remaining: remaining - n as u64,
                    reply,
                };
                n > 0
            }
            other => {
                self.phase = other;
                false
            }
        }
    }
}

//! The server's answers to the caller's decisions: the public `accept`, `accept_with`,
//! `reject` and `reply_per_recipient`, and the token checks behind them. A child module
//! of `server`, so the state stays private to the machine; applying an answer to the
//! session is `Server::resolve`, in `server.rs`.

use super::{invalid, Ask, Phase, Server};
use crate::smtp::reply::Reply;
use crate::smtp::server_event::question;
use crate::smtp::server_question::Question;
use crate::{Decision, SendError};

impl Server {
    /// Accepts with the default positive reply: `250` (with the capabilities for
    /// EHLO), `354` for DATA, nothing yet for BDAT, `235` for AUTH, `220` for STARTTLS,
    /// `252` for VRFY; for the end of data `250 2.0.0` (once per recipient in LMTP).
    ///
    /// ```
    /// use wirestate::smtp::{Server, ServerConfig, ServerEvent};
    /// use wirestate::{Instant, Machine};
    /// let mut s = Server::new(ServerConfig::default());
    /// s.poll_transmit();
    /// s.handle_input(Instant::ZERO, b"HELO c\r\n");
    /// let Some(ServerEvent::Hello { decision, .. }) = s.poll_event() else { panic!() };
    /// s.accept(decision).unwrap();
    /// assert_eq!(&s.poll_transmit().unwrap()[..], b"250 localhost\r\n");
    /// ```
    pub fn accept<K: Question>(&mut self, decision: Decision<K>) -> Result<(), SendError> {
        let ask = self.take(&decision, |_| Ok(()))?;
        self.resolve(ask, None);
        Ok(())
    }

    /// Accepts with the caller's own reply: a `2yz`, or for DATA a `3yz`. A BDAT start
    /// takes no reply (its chunk is answered once read): use [`accept`](Self::accept).
    ///
    /// ```
    /// use wirestate::smtp::{Reply, Server, ServerConfig, ServerEvent};
    /// use wirestate::{Instant, Machine};
    /// let mut s = Server::new(ServerConfig::default());
    /// s.poll_transmit();
    /// s.handle_input(Instant::ZERO, b"HELO c\r\n");
    /// let Some(ServerEvent::Hello { decision, .. }) = s.poll_event() else { panic!() };
    /// s.accept_with(decision, Reply::new(250, "hi there").unwrap()).unwrap();
    /// assert_eq!(&s.poll_transmit().unwrap()[..], b"250 hi there\r\n");
    /// ```
    pub fn accept_with<K: Question>(
        &mut self,
        decision: Decision<K>,
        reply: Reply,
    ) -> Result<(), SendError> {
        let code = reply.code();
        let ask = self.take(&decision, |ask| match ask {
            Ask::DataStart { bdat: None } if code.is_intermediate() => Ok(()),
            Ask::DataStart { bdat: None } => Err(invalid(
                "RFC 5321 4.1.1.4: DATA is accepted with a 3yz reply (354)",
            )),
            Ask::DataStart { bdat: Some(_) } => Err(invalid(
                "RFC 3030 2: a BDAT chunk is answered after its octets, not before",
            )),
            _ if code.is_positive() => Ok(()),
            _ => Err(invalid("RFC 5321 4.2.1: an acceptance is a 2yz reply")),
        })?;
        self.resolve(ask, Some(reply));
        Ok(())
    }

    /// Refuses with a `4yz` or `5yz` reply (in LMTP, a refused end of data sends it
    /// once per recipient; a refused BDAT start reads and drops the chunk first).
    ///
    /// ```
    /// use wirestate::smtp::{Reply, SendError, Server, ServerConfig, ServerEvent};
    /// use wirestate::{Instant, Machine};
    /// let mut config = ServerConfig::default();
    /// config.auto_accept_hello = true;
    /// let mut s = Server::new(config);
    /// s.handle_input(Instant::ZERO, b"HELO c\r\nMAIL FROM:<spam@x>\r\n");
    /// assert!(matches!(s.poll_event(), Some(ServerEvent::Hello { .. })));
    /// let Some(ServerEvent::Mail { decision, .. }) = s.poll_event() else { panic!() };
    /// s.poll_transmit();
    /// s.reject(decision, Reply::new(550, "go away").unwrap()).unwrap();
    /// assert_eq!(&s.poll_transmit().unwrap()[..], b"550 go away\r\n");
    /// ```
    pub fn reject<K: Question>(
        &mut self,
        decision: Decision<K>,
        reply: Reply,
    ) -> Result<(), SendError> {
        if !reply.code().is_negative() {
            // Checked before the token is looked at, so a wrong class never consumes it.
            self.peek(&decision)?;
            self.reask();
            return Err(invalid("RFC 5321 4.2.1: a refusal is a 4yz or 5yz reply"));
        }
        let ask = self.take(&decision, |_| Ok(()))?;
        self.resolve(ask, Some(reply));
        Ok(())
    }

    /// Answers an LMTP end of data with one reply per accepted recipient, in RCPT order
    /// (RFC 2033 4.2).
    ///
    /// ```
    /// use wirestate::smtp::{Reply, Server, ServerConfig, ServerEvent};
    /// use wirestate::{Instant, Machine};
    /// let mut config = ServerConfig::default();
    /// config.lmtp = true;
    /// config.auto_accept_hello = true;
    /// config.auto_accept_envelope = true;
    /// let mut s = Server::new(config);
    /// s.handle_input(Instant::ZERO, b"LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nhi\r\n.\r\n");
    /// let decision = loop {
    ///     if let Some(ServerEvent::End { recipients: 2, decision, .. }) = s.poll_event() {
    ///         break decision;
    ///     }
    /// };
    /// s.poll_transmit();
    /// let replies = [Reply::new(250, "a ok").unwrap(), Reply::new(452, "b full").unwrap()];
    /// s.reply_per_recipient(decision, &replies).unwrap();
    /// assert_eq!(&s.poll_transmit().unwrap()[..], b"250 a ok\r\n452 b full\r\n");
    /// ```
    pub fn reply_per_recipient(
        &mut self,
        decision: Decision<question::DataEnd>,
        replies: &[Reply],
    ) -> Result<(), SendError> {
        let lmtp = self.config.lmtp;
        self.take(&decision, |ask| match ask {
            Ask::DataEnd { recipients } if lmtp && recipients == replies.len() => Ok(()),
            Ask::DataEnd { .. } if !lmtp => Err(SendError::OutOfTurn(
                "one reply per recipient is LMTP only (RFC 2033 4.2)",
            )),
            _ => Err(SendError::OutOfTurn("one reply per accepted recipient")),
        })?;
        for r in replies {
            self.send(r.clone());
        }
        self.end_transaction();
        Ok(())
    }

    fn peek<K: Question>(&self, d: &Decision<K>) -> Result<Ask, SendError> {
        if matches!(self.phase, Phase::Closed) {
            return Err(SendError::Closed);
        }
        self.questions.peek(d)
    }

    /// Checks the token and `valid`, and only then takes the decision.
    fn take<K: Question>(
        &mut self,
        d: &Decision<K>,
        valid: impl FnOnce(Ask) -> Result<(), SendError>,
    ) -> Result<Ask, SendError> {
        let ask = self.peek(d)?;
        if let Err(e) = valid(ask) {
            self.reask();
            return Err(e);
        }
        self.questions.close();
        // The client waited on us: its idle wait restarts at the answer, timed by the
        // latest `now` seen (the answer itself carries no time).
        self.last_input = self.now;
        Ok(ask)
    }

    /// An answer was refused as invalid: the question comes again with a new token.
    fn reask(&mut self) {
        if let Some(ev) = self.questions.ask_again() {
            self.events.push_back(ev);
        }
    }
}

//! The client's typed commands: each builds a [`Command`] from checked parts and hands it
//! to [`Client::send`], which queues it in order. No state lives here.

use super::client::Client;
use super::command::Command;
use super::types::{Arg, Digest, MessageNumber};
#[cfg(doc)]
use super::ClientEvent;
#[cfg(doc)]
use crate::Machine;
use crate::{Secret, SendError};

impl Client {
    /// `USER name`.
    ///
    /// ```
    /// let mut c = wirestate::pop3::Client::new(Default::default());
    /// assert!(c.user("has space").is_err());
    /// ```
    pub fn user(&mut self, name: &str) -> Result<(), SendError> {
        self.send(Command::User(Arg::new(name)?))
    }

    /// `PASS string`.
    ///
    /// ```
    /// let mut c = wirestate::pop3::Client::new(Default::default());
    /// assert!(c.pass("pw\r\nDELE 1").is_err());
    /// ```
    pub fn pass(&mut self, password: impl Into<Secret>) -> Result<(), SendError> {
        self.send(Command::Pass(password.into()))
    }

    /// `APOP name digest`; compute the digest from the greeting's timestamp.
    ///
    /// ```
    /// let mut c = wirestate::pop3::Client::new(Default::default());
    /// assert!(c.apop("mrose", "c4c9334bac560ecc979e58001b3e22fb").is_ok());
    /// ```
    pub fn apop(&mut self, name: &str, digest_hex: &str) -> Result<(), SendError> {
        self.send(Command::Apop {
            name: Arg::new(name)?,
            digest: Digest::new(digest_hex)?,
        })
    }

    /// `STAT`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Client::new(Default::default()).stat().is_ok());
    /// ```
    pub fn stat(&mut self) -> Result<(), SendError> {
        self.send(Command::Stat)
    }

    /// `LIST` or `LIST msg`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Client::new(Default::default()).list(None).is_ok());
    /// ```
    pub fn list(&mut self, msg: Option<MessageNumber>) -> Result<(), SendError> {
        self.send(Command::List(msg))
    }

    /// `UIDL` or `UIDL msg`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Client::new(Default::default()).uidl(None).is_ok());
    /// ```
    pub fn uidl(&mut self, msg: Option<MessageNumber>) -> Result<(), SendError> {
        self.send(Command::Uidl(msg))
    }

    /// `RETR msg`: the message arrives as [`ClientEvent::Data`] pieces, then `End`.
    ///
    /// ```
    /// use wirestate::pop3::MessageNumber;
    /// assert!(wirestate::pop3::Client::new(Default::default()).retr(MessageNumber::new(1).unwrap()).is_ok());
    /// ```
    pub fn retr(&mut self, msg: MessageNumber) -> Result<(), SendError> {
        self.send(Command::Retr(msg))
    }

    /// `TOP msg lines`.
    ///
    /// ```
    /// use wirestate::pop3::MessageNumber;
    /// assert!(wirestate::pop3::Client::new(Default::default()).top(MessageNumber::new(1).unwrap(), 0).is_ok());
    /// ```
    pub fn top(&mut self, msg: MessageNumber, lines: u32) -> Result<(), SendError> {
        self.send(Command::Top { msg, lines })
    }

    /// `DELE msg`.
    ///
    /// ```
    /// use wirestate::pop3::MessageNumber;
    /// assert!(wirestate::pop3::Client::new(Default::default()).dele(MessageNumber::new(1).unwrap()).is_ok());
    /// ```
    pub fn dele(&mut self, msg: MessageNumber) -> Result<(), SendError> {
        self.send(Command::Dele(msg))
    }

    /// `RSET`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Client::new(Default::default()).rset().is_ok());
    /// ```
    pub fn rset(&mut self) -> Result<(), SendError> {
        self.send(Command::Rset)
    }

    /// `NOOP`.
    ///
    /// ```
    /// assert!(wirestate::pop3::Client::new(Default::default()).noop().is_ok());
    /// ```
    pub fn noop(&mut self) -> Result<(), SendError> {
        self.send(Command::Noop)
    }

    /// `CAPA`; a `PIPELINING` line in the answer turns pipelining on.
    ///
    /// ```
    /// assert!(wirestate::pop3::Client::new(Default::default()).capa().is_ok());
    /// ```
    pub fn capa(&mut self) -> Result<(), SendError> {
        self.send(Command::Capa)
    }

    /// `STLS`. On its `+OK` the machine asks for TLS ([`Machine::wants_tls`]); after
    /// [`Machine::handle_tls_established`] it forgets the capabilities (RFC 2595 section
    /// 4) and sends what was queued behind STLS.
    ///
    /// ```
    /// assert!(wirestate::pop3::Client::new(Default::default()).stls().is_ok());
    /// ```
    pub fn stls(&mut self) -> Result<(), SendError> {
        self.send(Command::Stls)
    }

    /// `QUIT`; the machine closes once it is answered.
    ///
    /// ```
    /// assert!(wirestate::pop3::Client::new(Default::default()).quit().is_ok());
    /// ```
    pub fn quit(&mut self) -> Result<(), SendError> {
        self.send(Command::Quit)
    }
}

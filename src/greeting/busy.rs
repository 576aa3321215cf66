//! [`Busy`]: the server of a connection the caller cannot take now.

use super::framing::Inbox;
use super::{Server, ServerConfig, ServerEvent};
use crate::busy::{busy_machine, Refusal};

/// What a busy greeting server says instead of `Welcome!`, framed like every message.
pub const BUSY: &[u8] = b"Busy!";

/// The machine for a connection over the caller's limit. The greeting protocol has no
/// error replies, so it sends one message in place of the welcome, [`BUSY`] (framed as
/// the config says: with `\n` under line framing), and closes. A client that expects
/// `Welcome!` sees something else and a closed connection, and a person running the
/// classic client reads why.
///
/// It reads nothing, and its last and only event is `Closed(CloseReason::Local)`. Build
/// it with [`Server::too_busy`]; it has the same event type as [`Server`].
///
/// ```
/// use wirestate::greeting::{Framing, Server, ServerConfig, ServerEvent};
/// use wirestate::{CloseReason, Machine};
///
/// let mut m = Server::too_busy(ServerConfig::new(Framing::Line));
/// assert_eq!(&m.poll_transmit().unwrap()[..], b"Busy!\n");
/// assert!(m.is_closed());
/// assert_eq!(m.poll_event(), Some(ServerEvent::Closed(CloseReason::Local)));
/// ```
#[derive(Debug)]
pub struct Busy {
    refusal: Refusal,
}

impl Server {
    /// The machine for a connection the caller will not serve now: [`BUSY`], then
    /// close. See [`Busy`].
    ///
    /// ```
    /// use wirestate::Machine;
    /// let mut m = wirestate::greeting::Server::too_busy(Default::default());
    /// assert_eq!(&m.poll_transmit().unwrap()[..], b"Busy!");
    /// ```
    #[must_use = "the Busy machine gives the busy answer only when driven"]
    pub fn too_busy(config: ServerConfig) -> Busy {
        let inbox = Inbox::new(config.framing, config.limits);
        Busy {
            refusal: Refusal::now(inbox.frame(&[BUSY])),
        }
    }
}

impl Busy {
    fn on_input(&mut self, _bytes: &[u8]) {}
    fn on_eof(&mut self) {}
}

busy_machine!(Busy, ServerEvent);

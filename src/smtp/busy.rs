//! [`Busy`]: the server of a connection the caller cannot take now.

use super::{Reply, Server, ServerConfig, ServerEvent};
use crate::busy::{busy_machine, Refusal};
use alloc::format;

/// The machine for a connection over the caller's limit (too many connections, or too
/// many from one client): instead of the `220` greeting it sends
/// `421 4.7.0 <hostname> Too many connections, try again later` and closes. RFC 5321
/// 3.1 lets a server refuse a session at the greeting, and 4.2.4 / 3.8 make `421` the
/// reply of a server that must close the channel; a client treats it as a temporary
/// failure and retries later, as it would not for a refused TCP connection that it
/// cannot tell from a down host. `4.7.0` is the enhanced code of a security or policy
/// refusal (RFC 3463 3.8).
///
/// It reads nothing (an SMTP client waits for the greeting before it sends), and its
/// last and only event is `Closed(CloseReason::Local)`. Build it with
/// [`Server::too_busy`]; it has the same event type as [`Server`], so a driver serves both.
///
/// ```
/// use wirestate::smtp::{Server, ServerConfig, ServerEvent};
/// use wirestate::{CloseReason, Machine};
///
/// let mut m = Server::too_busy(ServerConfig::default());
/// assert_eq!(
///     &m.poll_transmit().unwrap()[..],
///     b"421 4.7.0 localhost Too many connections, try again later\r\n"
/// );
/// assert!(m.is_closed());
/// assert_eq!(m.poll_event(), Some(ServerEvent::Closed(CloseReason::Local)));
/// ```
#[derive(Debug)]
pub struct Busy {
    refusal: Refusal,
}

impl Server {
    /// The machine for a connection the caller will not serve now: `421 4.7.0`, then
    /// close. See [`Busy`].
    ///
    /// ```
    /// use wirestate::Machine;
    /// let mut m = wirestate::smtp::Server::too_busy(Default::default());
    /// assert!(m.poll_transmit().unwrap().starts_with(b"421 4.7.0 "));
    /// ```
    #[must_use = "the Busy machine gives the busy answer only when driven"]
    pub fn too_busy(config: ServerConfig) -> Busy {
        let text = format!("{} Too many connections, try again later", config.hostname);
        Busy {
            refusal: Refusal::now(Reply::fixed(421, Some((4, 7, 0)), &text).to_bytes()),
        }
    }
}

impl Busy {
    fn on_input(&mut self, _bytes: &[u8]) {}
    fn on_eof(&mut self) {}
}

busy_machine!(Busy, ServerEvent);

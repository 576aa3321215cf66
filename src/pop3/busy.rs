//! [`Busy`]: the server of a connection the caller cannot take now.

use super::{Server, ServerConfig, ServerEvent};
use crate::busy::{busy_machine, Refusal};
use alloc::format;
use bytes::Bytes;

/// The machine for a connection over the caller's limit (too many connections, or too
/// many from one client): instead of the `+OK` greeting it sends
/// `-ERR [SYS/TEMP] <server_name> too many connections, try again later` and closes.
/// `[SYS/TEMP]` (RFC 3206 4, in the response-code syntax of RFC 2449 8) tells the client
/// that the failure is the server's and temporary, so it retries later instead of
/// reporting a wrong password or a broken mailbox; a client that knows no codes still
/// sees `-ERR` where the greeting should be and gives up on the session (RFC 1939 4).
///
/// It reads nothing (a POP3 client waits for the greeting before it sends), and its
/// last and only event is `Closed(CloseReason::Local)`. Build it with
/// [`Server::too_busy`]; it has the same event type as [`Server`].
///
/// ```
/// use wirestate::pop3::{Server, ServerConfig, ServerEvent};
/// use wirestate::{CloseReason, Machine};
///
/// let mut m = Server::too_busy(ServerConfig::default());
/// let reply = m.poll_transmit().unwrap();
/// assert!(reply.starts_with(b"-ERR [SYS/TEMP] "));
/// assert!(reply.ends_with(b" too many connections, try again later\r\n"));
/// assert!(m.is_closed());
/// assert_eq!(m.poll_event(), Some(ServerEvent::Closed(CloseReason::Local)));
/// ```
#[derive(Debug)]
pub struct Busy {
    refusal: Refusal,
}

impl Server {
    /// The machine for a connection the caller will not serve now:
    /// `-ERR [SYS/TEMP]`, then close. See [`Busy`].
    ///
    /// ```
    /// use wirestate::Machine;
    /// let mut m = wirestate::pop3::Server::too_busy(Default::default());
    /// assert!(m.poll_transmit().unwrap().starts_with(b"-ERR [SYS/TEMP] "));
    /// ```
    #[must_use = "the Busy machine gives the busy answer only when driven"]
    pub fn too_busy(config: ServerConfig) -> Busy {
        let line = format!(
            "-ERR [SYS/TEMP] {} too many connections, try again later\r\n",
            config.server_name
        );
        Busy {
            refusal: Refusal::now(Bytes::from(line)),
        }
    }
}

impl Busy {
    fn on_input(&mut self, _bytes: &[u8]) {}
    fn on_eof(&mut self) {}
}

busy_machine!(Busy, ServerEvent);

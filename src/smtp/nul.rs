//! [`NulPolicy`]: what the server does with a NUL octet in message data.

/// What the server does with a NUL octet (`%d0`) in message data, set in
/// [`ServerConfig::nul`](super::ServerConfig::nul).
///
/// The default is [`Accept`](NulPolicy::Accept): the machine stays byte-transparent, as
/// it always was, and every octet a client sends reaches the embedder (a property the
/// crate's own tests hold it to). A server that delivers into, or relays to, software
/// that may strip or stop at NUL should set [`Reject`](NulPolicy::Reject), for these
/// reasons:
///
/// * NUL is not message text. RFC 5322 2.3 and 3.5 build a body from `text`, which is
///   `%d1-9 / %d11 / %d12 / %d14-127`; only the obsolete syntax of 4.1 mentions `%d0`, and
///   says it MUST NOT be generated. RFC 5321 4.5.2 and 2.3.8 define DATA as lines of
///   such text ending in CRLF, and 8BITMIME (RFC 6152, after RFC 2045 2.8's "8bit data")
///   excludes NUL as well. Only BINARYMIME over BDAT (RFC 3030 3) carries arbitrary
///   octets, so a transaction with `BODY=BINARYMIME` is never refused for NUL.
/// * NUL is a smuggling vector. `<CR><LF><NUL>.<CR><LF>` is one message here, but a
///   downstream program that strips NUL (many C string handlers do) sees an end of data
///   in the middle of it and reads the rest as commands: the same disagreement about
///   where a message ends as CVE-2023-51764. Refusing the message means such bytes are
///   never passed on.
///
/// A refused message gets `554 5.6.0` after its end of data: RFC 5321 4.2.2 gives 554
/// to a failed transaction and RFC 3463 3.7 (X.6.0) to a content problem of the
/// message's media, and it is permanent because resending the same bytes cannot help.
/// The data is still read to its end, because our own framing never depended on the
/// NUL (the machine reads DATA by `CRLF.CRLF` and BDAT by its size), so the session goes
/// on with the next transaction and nothing accepted before is touched. A BDAT chunk
/// holding NUL is dropped to its end and refused the same way (RFC 3030 2).
///
/// ```
/// use wirestate::smtp::{AbortReason, NulPolicy, Server, ServerConfig, ServerEvent};
/// use wirestate::{Instant, Machine};
///
/// let mut config = ServerConfig::default();
/// assert_eq!(config.nul, NulPolicy::Accept);
/// config.nul = NulPolicy::Reject;
/// config.auto_accept_hello = true;
/// config.auto_accept_envelope = true;
/// let mut s = Server::new(config);
/// s.handle_input(Instant::ZERO, b"HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n");
/// s.handle_input(Instant::ZERO, b"one\r\n\x00.\r\ntwo\r\n.\r\nNOOP\r\n");
/// let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
/// assert!(events.contains(&ServerEvent::Aborted(AbortReason::Nul)));
/// let out: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
/// let out = String::from_utf8(out).unwrap();
/// assert!(out.contains("554 5.6.0"));
/// assert!(out.ends_with("250 2.0.0 Ok\r\n")); // the NOOP: the session goes on
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NulPolicy {
    /// Refuse a message whose DATA (or non-BINARYMIME BDAT) holds a NUL with
    /// `554 5.6.0`, reading it to its end; the session continues. What a server that
    /// delivers or relays should use.
    Reject,
    /// Pass NUL through as data, for a delivery path known to keep every octet. The
    /// default.
    #[default]
    Accept,
}

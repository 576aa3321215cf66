//! A request head read where it lies in the server's receive buffer
//! ([`Server::poll_request_ref`](super::Server::poll_request_ref)): no copy, no
//! reference count, no allocation.

use super::event::Connection;
use super::framing::BodyKind;
use super::grammar::build_request;
use super::head::{RequestHead, TargetForm, Version};
use super::headers::{fields_text, first_value, lossy, wire_fields};
use super::server::FastHead;
use crate::buffer::RecvBuffer;
use bytes::Bytes;
use core::fmt;

/// A request head borrowed from the server's receive buffer, with what
/// [`ServerEvent::Request`](super::ServerEvent::Request) carries beside the head: how
/// its body is framed and what becomes of the connection.
///
/// The request is already read when this is handed out (it is pending, and its body,
/// if any, comes next from `poll_event`); dropping it releases the head's bytes from
/// the buffer. Forgetting it (`mem::forget`) leaves them there, and they are then read
/// again as whatever comes next: the body, if there is one, or the next head.
///
/// ```
/// use wirestate::http::{BodyKind, Connection, Server, TargetForm};
/// use wirestate::{Instant, Machine};
/// let mut s = Server::new(Default::default());
/// s.handle_input(Instant::ZERO, b"GET /a?b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
/// let r = s.poll_request_ref().unwrap();
/// assert_eq!((r.method(), r.target(), r.target_form()), (&b"GET"[..], &b"/a?b"[..], TargetForm::Origin));
/// assert_eq!(r.header(b"accept"), Some(&b"*/*"[..]));
/// assert_eq!((r.body(), r.connection()), (BodyKind::Empty, Connection::KeepAlive));
/// assert_eq!(r.to_head().target.as_bytes(), b"/a?b");
/// ```
pub struct RequestRef<'a> {
    buf: &'a mut RecvBuffer,
    head: FastHead,
}

impl<'a> RequestRef<'a> {
    pub(super) fn new(buf: &'a mut RecvBuffer, head: FastHead) -> RequestRef<'a> {
        RequestRef { buf, head }
    }

    /// The whole head as received, from the method to the empty line that ends it.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody");
    /// assert_eq!(s.poll_request_ref().unwrap().as_bytes(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf.as_slice()[..self.head.len]
    }

    /// The method, a token (RFC 9110 section 9), in the case it was sent in.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"PURGE / HTTP/1.1\r\nHost: x\r\n\r\n");
    /// assert_eq!(s.poll_request_ref().unwrap().method(), b"PURGE");
    /// ```
    pub fn method(&self) -> &[u8] {
        &self.as_bytes()[..self.head.rl.sp1]
    }

    /// The request-target (RFC 9112 section 3.2), as sent.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    /// assert_eq!(s.poll_request_ref().unwrap().target(), b"/x");
    /// ```
    pub fn target(&self) -> &[u8] {
        &self.as_bytes()[self.head.rl.sp1 + 1..self.head.rl.sp2]
    }

    /// The request-target's form.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// use wirestate::http::TargetForm;
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
    /// assert_eq!(s.poll_request_ref().unwrap().target_form(), TargetForm::Asterisk);
    /// ```
    pub fn target_form(&self) -> TargetForm {
        self.head.rl.form
    }

    /// The protocol version.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// use wirestate::http::Version;
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET / HTTP/1.0\r\n\r\n");
    /// assert_eq!(s.poll_request_ref().unwrap().version(), Version::HTTP_10);
    /// ```
    pub fn version(&self) -> Version {
        self.head.rl.version
    }

    /// Every field line as `(name, value)`, in received order, the value without its
    /// surrounding whitespace: what [`Headers::iter`](super::Headers::iter) gives.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: x\r\nVia: a\r\nVia:  b \r\n\r\n");
    /// let r = s.poll_request_ref().unwrap();
    /// let via: Vec<_> = r.headers().filter(|(n, _)| n == b"Via").map(|(_, v)| v).collect();
    /// assert_eq!(via, [&b"a"[..], &b"b"[..]]);
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        wire_fields(self.as_bytes(), self.head.rl.next, self.head.fields)
    }

    /// The first value of the field `name` (compared case-insensitively).
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    /// let r = s.poll_request_ref().unwrap();
    /// assert_eq!((r.header(b"HOST"), r.header(b"accept")), (Some(&b"x"[..]), None));
    /// ```
    pub fn header(&self, name: &[u8]) -> Option<&[u8]> {
        first_value(self.headers(), name)
    }

    /// How the request's body is delimited (RFC 9112 section 6.3).
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// use wirestate::http::BodyKind;
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    /// assert_eq!(s.poll_request_ref().unwrap().body(), BodyKind::Length(2));
    /// ```
    pub fn body(&self) -> BodyKind {
        self.head.body
    }

    /// What becomes of the connection after this request.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// use wirestate::http::Connection;
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    /// assert_eq!(s.poll_request_ref().unwrap().connection(), Connection::Close);
    /// ```
    pub fn connection(&self) -> Connection {
        self.head.connection
    }

    /// The head as an owned [`RequestHead`], as `poll_event` would have given it: the
    /// head's bytes are copied once (one allocation).
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// let mut s = wirestate::http::Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET /kept HTTP/1.1\r\nHost: x\r\n\r\n");
    /// let head = s.poll_request_ref().unwrap().to_head();
    /// assert_eq!(head.headers.get(b"host"), Some(&b"x"[..]));
    /// ```
    #[must_use]
    pub fn to_head(&self) -> RequestHead {
        let bytes = Bytes::copy_from_slice(self.as_bytes());
        build_request(bytes, &self.head.rl, self.head.fields)
    }
}

impl Drop for RequestRef<'_> {
    fn drop(&mut self) {
        self.buf.discard(self.head.len);
    }
}

impl fmt::Debug for RequestRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestRef")
            .field("method", &lossy(self.method()))
            .field("target", &lossy(self.target()))
            .field("version", &self.version())
            .field("headers", &fields_text(self.headers()))
            .field("body", &self.body())
            .field("connection", &self.connection())
            .finish()
    }
}

//! A response head read where it lies in the client's receive buffer
//! ([`Client::poll_response_ref`](super::Client::poll_response_ref)): no copy, no
//! reference count, no allocation.

use super::client::FastResponse;
use super::framing::BodyKind;
use super::grammar::build_response;
use super::head::{ResponseHead, StatusCode, Version};
use super::headers::{fields_text, first_value, lossy, wire_fields};
use crate::buffer::RecvBuffer;
use bytes::Bytes;
use core::fmt;

/// A final response head borrowed from the client's receive buffer, with how its body
/// is framed: what [`ClientEvent::Response`](super::ClientEvent::Response) carries,
/// without the copy.
///
/// The response is already read when this is handed out (its body, if any, comes next
/// from `poll_event`, then its `End`); dropping it releases the head's bytes from the
/// buffer. Forgetting it (`mem::forget`) leaves them there, and they are then read
/// again as whatever comes next: the body, if there is one, or the next head.
///
/// ```
/// use wirestate::http::{BodyKind, Client, ClientEvent, Method, RequestHead, StatusCode};
/// use wirestate::{Instant, Machine};
/// let mut c = Client::new(Default::default());
/// let mut req = RequestHead::new(Method::Get, "/").unwrap();
/// req.headers.append("Host", "x").unwrap();
/// c.send_request(req).unwrap();
/// c.send_end().unwrap();
/// c.handle_input(Instant::ZERO, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: x\r\n\r\nhi");
/// let r = c.poll_response_ref().unwrap();
/// assert_eq!((r.status(), r.reason()), (StatusCode::OK, &b"OK"[..]));
/// assert_eq!((r.header(b"server"), r.body()), (Some(&b"x"[..]), BodyKind::Length(2)));
/// drop(r);
/// assert_eq!(c.poll_event(), Some(ClientEvent::Data(bytes::Bytes::from_static(b"hi"))));
/// ```
pub struct ResponseRef<'a> {
    buf: &'a mut RecvBuffer,
    head: FastResponse,
}

impl<'a> ResponseRef<'a> {
    pub(super) fn new(buf: &'a mut RecvBuffer, head: FastResponse) -> ResponseRef<'a> {
        ResponseRef { buf, head }
    }

    /// The whole head as received, from the status line to the empty line that ends it.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// # use wirestate::http::{Client, Method, RequestHead};
    /// let mut c = Client::new(Default::default());
    /// # let mut req = RequestHead::new(Method::Get, "/").unwrap();
    /// # req.headers.append("Host", "x").unwrap();
    /// # c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 204 No Content\r\n\r\n");
    /// assert_eq!(c.poll_response_ref().unwrap().as_bytes(), b"HTTP/1.1 204 No Content\r\n\r\n");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf.as_slice()[..self.head.len]
    }

    /// The protocol version.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// # use wirestate::http::{Client, Method, RequestHead, Version};
    /// let mut c = Client::new(Default::default());
    /// # let mut req = RequestHead::new(Method::Get, "/").unwrap();
    /// # req.headers.append("Host", "x").unwrap();
    /// # c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// c.handle_input(Instant::ZERO, b"HTTP/1.0 200 OK\r\n\r\n");
    /// assert_eq!(c.poll_response_ref().unwrap().version(), Version::HTTP_10);
    /// ```
    pub fn version(&self) -> Version {
        self.head.sl.version
    }

    /// The status code: always a final one (200 or above). Interim responses (1xx,
    /// `101` included) come from `poll_event`.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// # use wirestate::http::{Client, Method, RequestHead, StatusCode};
    /// let mut c = Client::new(Default::default());
    /// # let mut req = RequestHead::new(Method::Get, "/").unwrap();
    /// # req.headers.append("Host", "x").unwrap();
    /// # c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    /// assert_eq!(c.poll_response_ref().unwrap().status(), StatusCode::NOT_FOUND);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.head.sl.status
    }

    /// The reason phrase, as sent (possibly empty; RFC 9112 section 4).
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// # use wirestate::http::{Client, Method, RequestHead};
    /// let mut c = Client::new(Default::default());
    /// # let mut req = RequestHead::new(Method::Get, "/").unwrap();
    /// # req.headers.append("Host", "x").unwrap();
    /// # c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\n");
    /// assert_eq!(c.poll_response_ref().unwrap().reason(), b"Fine");
    /// ```
    pub fn reason(&self) -> &[u8] {
        &self.as_bytes()[self.head.sl.reason..self.head.sl.end]
    }

    /// Every field line as `(name, value)`, in received order, the value without its
    /// surrounding whitespace: what [`Headers::iter`](super::Headers::iter) gives.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// # use wirestate::http::{Client, Method, RequestHead};
    /// let mut c = Client::new(Default::default());
    /// # let mut req = RequestHead::new(Method::Get, "/").unwrap();
    /// # req.headers.append("Host", "x").unwrap();
    /// # c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 200 OK\r\nVary: a\r\nVary:  b \r\nContent-Length: 0\r\n\r\n");
    /// let r = c.poll_response_ref().unwrap();
    /// let vary: Vec<_> = r.headers().filter(|(n, _)| n == b"Vary").map(|(_, v)| v).collect();
    /// assert_eq!(vary, [&b"a"[..], &b"b"[..]]);
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        wire_fields(self.as_bytes(), self.head.sl.next, self.head.fields)
    }

    /// The first value of the field `name` (compared case-insensitively).
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// # use wirestate::http::{Client, Method, RequestHead};
    /// let mut c = Client::new(Default::default());
    /// # let mut req = RequestHead::new(Method::Get, "/").unwrap();
    /// # req.headers.append("Host", "x").unwrap();
    /// # c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 200 OK\r\nETag: \"1\"\r\nContent-Length: 0\r\n\r\n");
    /// let r = c.poll_response_ref().unwrap();
    /// assert_eq!((r.header(b"etag"), r.header(b"age")), (Some(&b"\"1\""[..]), None));
    /// ```
    pub fn header(&self, name: &[u8]) -> Option<&[u8]> {
        first_value(self.headers(), name)
    }

    /// How the response's body is delimited (RFC 9112 section 6.3), given the request
    /// it answers: a response to HEAD, a `204` and a `304` have none.
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// # use wirestate::http::{BodyKind, Client, Method, RequestHead};
    /// let mut c = Client::new(Default::default());
    /// # let mut req = RequestHead::new(Method::Head, "/").unwrap();
    /// # req.headers.append("Host", "x").unwrap();
    /// # c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n");
    /// assert_eq!(c.poll_response_ref().unwrap().body(), BodyKind::Empty);
    /// ```
    pub fn body(&self) -> BodyKind {
        self.head.body
    }

    /// The head as an owned [`ResponseHead`], as `poll_event` would have given it: the
    /// head's bytes are copied once (one allocation).
    ///
    /// ```
    /// # use wirestate::{Instant, Machine};
    /// # use wirestate::http::{Client, Method, RequestHead};
    /// let mut c = Client::new(Default::default());
    /// # let mut req = RequestHead::new(Method::Get, "/").unwrap();
    /// # req.headers.append("Host", "x").unwrap();
    /// # c.send_request(req).unwrap();
    /// c.send_end().unwrap();
    /// c.handle_input(Instant::ZERO, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    /// let head = c.poll_response_ref().unwrap().to_head();
    /// assert_eq!(head.headers.get(b"content-length"), Some(&b"0"[..]));
    /// ```
    #[must_use]
    pub fn to_head(&self) -> ResponseHead {
        let bytes = Bytes::copy_from_slice(self.as_bytes());
        build_response(bytes, &self.head.sl, self.head.fields)
    }
}

impl Drop for ResponseRef<'_> {
    fn drop(&mut self) {
        self.buf.discard(self.head.len);
    }
}

impl fmt::Debug for ResponseRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseRef")
            .field("version", &self.version())
            .field("status", &self.status())
            .field("reason", &lossy(self.reason()))
            .field("headers", &fields_text(self.headers()))
            .field("body", &self.body())
            .finish()
    }
}

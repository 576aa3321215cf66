//! HTTP/1.1 generators: whole messages, a head with its body pieces and trailers
//! ([`Request`], [`Response`]), framed by Content-Length or chunked as RFC 9112 6
//! allows, and near-valid invalid messages with the [`ErrorKind`] our machines must
//! report.
//!
//! A message is encoded by our own machines ([`Request::send`] through a
//! [`Client`], [`Response::send`] through a [`Server`]), so a roundtrip test is: send,
//! feed the bytes to the other role, compare.
//!
//! ```
//! use arbitrary::{Arbitrary, Unstructured};
//! use wirestate::generate::http::Request;
//! use wirestate::http::{Server, ServerConfig, ServerEvent};
//! use wirestate::{Instant, Machine};
//!
//! let req = Request::arbitrary(&mut Unstructured::new(b"\x01\x02\x03\x04\x05\x06\x07")).unwrap();
//! let mut server = Server::new(ServerConfig::default());
//! server.handle_input(Instant::ZERO, &req.encode());
//! let Some(ServerEvent::Request { head, .. }) = server.poll_event() else { panic!() };
//! assert_eq!(head, req.head);
//! ```

use super::{
    arbitrary_via_generate, between, one_of, raw_bytes, run_of, sometimes, text_of, Generate,
    Invalid, ALNUM,
};
use crate::http::{
    Client, ClientConfig, ErrorKind, Headers, Method, RequestHead, ResponseHead, Server, StatusCode,
};
use crate::{Instant, Machine, SendError};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use arbitrary::{Error, Result, Unstructured};
use bytes::Bytes;

/// A request: its head (with the framing fields its body needs), its body as the
/// pieces it is sent in, and its trailers (only when chunked).
///
/// ```
/// use wirestate::generate::http::Request;
/// use wirestate::http::{Method, RequestHead};
///
/// let mut head = RequestHead::new(Method::Get, "/").unwrap();
/// head.headers.append("Host", "a").unwrap();
/// let req = Request { head, body: vec![], trailers: Default::default() };
/// assert_eq!(req.encode(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The head.
    pub head: RequestHead,
    /// The body, piece by piece (empty pieces included: the encoder must skip them).
    pub body: Vec<Bytes>,
    /// The trailer section; empty unless the body is chunked.
    pub trailers: Headers,
}

impl Request {
    /// Sends it through `client`: head, every piece, then the end with the trailers.
    ///
    /// ```
    /// use arbitrary::{Arbitrary, Unstructured};
    /// use wirestate::generate::http::Request;
    /// use wirestate::http::{Client, ClientConfig};
    ///
    /// let req = Request::arbitrary(&mut Unstructured::new(&[7; 40])).unwrap();
    /// let mut client = Client::new(ClientConfig::default());
    /// req.send(&mut client).unwrap();
    /// ```
    pub fn send(&self, client: &mut Client) -> core::result::Result<(), SendError> {
        client.send_request(self.head.clone())?;
        for piece in &self.body {
            client.send_data(piece.clone())?;
        }
        client.send_end_with_trailers(&self.trailers)
    }

    /// The bytes a fresh [`Client`] sends for it.
    ///
    /// ```
    /// use arbitrary::{Arbitrary, Unstructured};
    /// use wirestate::generate::http::Request;
    /// let req = Request::arbitrary(&mut Unstructured::new(&[1; 16])).unwrap();
    /// assert!(req.encode().starts_with(req.head.method.as_bytes()));
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut client = Client::new(ClientConfig::default());
        // A generated request is always one the client can send.
        let _ = self.send(&mut client);
        drain(&mut client)
    }

    /// The body, joined.
    ///
    /// ```
    /// use wirestate::generate::http::Request;
    /// use wirestate::http::{Method, RequestHead};
    /// let req = Request {
    ///     head: RequestHead::new(Method::Post, "/").unwrap(),
    ///     body: vec!["ab".into(), "".into(), "c".into()],
    ///     trailers: Default::default(),
    /// };
    /// assert_eq!(req.body_bytes(), b"abc");
    /// ```
    pub fn body_bytes(&self) -> Vec<u8> {
        self.body.concat()
    }
}

/// A response to a `GET`: its head (with framing fields), body pieces and trailers.
/// `204` and `304` carry no body (RFC 9110 15.3.5, 15.4.5).
///
/// ```
/// use wirestate::generate::http::Response;
/// use wirestate::http::{ResponseHead, StatusCode};
///
/// let resp = Response { head: ResponseHead::new(StatusCode::NO_CONTENT), body: vec![], trailers: Default::default() };
/// assert!(resp.encode().starts_with(b"HTTP/1.1 204 No Content\r\n"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The head.
    pub head: ResponseHead,
    /// The body, piece by piece.
    pub body: Vec<Bytes>,
    /// The trailer section; empty unless the body is chunked.
    pub trailers: Headers,
}

impl Response {
    /// Sends it through `server`, which must owe a response.
    ///
    /// ```
    /// use arbitrary::{Arbitrary, Unstructured};
    /// use wirestate::generate::http::Response;
    /// use wirestate::http::{Server, ServerConfig};
    /// use wirestate::{Instant, Machine};
    ///
    /// let mut server = Server::new(ServerConfig::default());
    /// server.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    /// while server.poll_event().is_some() {}
    /// let resp = Response::arbitrary(&mut Unstructured::new(&[3; 32])).unwrap();
    /// resp.send(&mut server).unwrap();
    /// ```
    pub fn send(&self, server: &mut Server) -> core::result::Result<(), SendError> {
        server.send_response(self.head.clone())?;
        if bodyless(self.head.status) {
            return Ok(());
        }
        for piece in &self.body {
            server.send_data(piece.clone())?;
        }
        server.send_end_with_trailers(&self.trailers)
    }

    /// The bytes a fresh [`Server`] sends for it after a `GET / HTTP/1.1`.
    ///
    /// ```
    /// use arbitrary::{Arbitrary, Unstructured};
    /// use wirestate::generate::http::Response;
    /// let resp = Response::arbitrary(&mut Unstructured::new(&[2; 16])).unwrap();
    /// assert!(resp.encode().starts_with(b"HTTP/1.1 "));
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut server = Server::new(Default::default());
        server.handle_input(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        while server.poll_event().is_some() {}
        let _ = self.send(&mut server);
        drain(&mut server)
    }

    /// The body, joined.
    ///
    /// ```
    /// use wirestate::generate::http::Response;
    /// use wirestate::http::{ResponseHead, StatusCode};
    /// let r = Response { head: ResponseHead::new(StatusCode::OK), body: vec!["x".into()], trailers: Default::default() };
    /// assert_eq!(r.body_bytes(), b"x");
    /// ```
    pub fn body_bytes(&self) -> Vec<u8> {
        self.body.concat()
    }
}

fn drain<M: Machine>(m: &mut M) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = m.poll_transmit() {
        out.extend_from_slice(&b);
    }
    out
}

fn bodyless(s: StatusCode) -> bool {
    let c = s.as_u16();
    c == 204 || c == 304
}

const TCHAR: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+.^_`|~-";
/// Path characters of RFC 3986 3.3 plus `/` and `?`.
const PATH: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~!$&'()*+,;=:@%/?-";
/// Fields with rules of their own (framing, connection, expectations); the generator
/// adds the ones a message needs and never draws them as plain fields.
const SPECIAL: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
];

fn field_name(u: &mut Unstructured<'_>) -> Result<String> {
    let n = text_of(u, TCHAR, 1, 12)?;
    Ok(if SPECIAL.iter().any(|s| s.eq_ignore_ascii_case(&n)) {
        format!("X-{n}")
    } else {
        n
    })
}

/// A field value: visible ASCII, inner SP and HTAB, obs-text; no edge whitespace.
fn field_value(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let n = between(u, 0, 24)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(match between(u, 0, 10)? {
            0 => b' ',
            1 => b'\t',
            2 => u.int_in_range(0x80..=0xff)?,
            _ => u.int_in_range(0x21..=0x7e)?,
        });
    }
    while matches!(v.first(), Some(b' ' | b'\t')) {
        v.remove(0);
    }
    while matches!(v.last(), Some(b' ' | b'\t')) {
        v.pop();
    }
    Ok(v)
}

fn fields(u: &mut Unstructured<'_>, into: &mut Headers, max: usize) -> Result<()> {
    for _ in 0..between(u, 0, max)? {
        into.append(field_name(u)?, field_value(u)?)
            .map_err(|_| Error::IncorrectFormat)?;
    }
    Ok(())
}

fn pieces(u: &mut Unstructured<'_>) -> Result<Vec<Bytes>> {
    let n = between(u, 0, 6)?;
    (0..n)
        .map(|_| raw_bytes(u, 0, 40).map(Bytes::from))
        .collect()
}

/// Adds Content-Length or chunked framing for `body`; returns whether it is chunked.
fn frame(u: &mut Unstructured<'_>, h: &mut Headers, body: &[Bytes], must: bool) -> Result<bool> {
    let len: usize = body.iter().map(Bytes::len).sum();
    let chunked = u.arbitrary::<bool>()?;
    let r = if chunked {
        h.append("Transfer-Encoding", "chunked")
    } else if len > 0 || must {
        h.append("Content-Length", format!("{len}"))
    } else {
        Ok(())
    };
    r.map_err(|_| Error::IncorrectFormat)?;
    Ok(chunked)
}

fn method(u: &mut Unstructured<'_>) -> Result<Method> {
    Ok(match between(u, 0, 8)? {
        0 | 1 => Method::Get,
        2 => Method::Post,
        3 => Method::Put,
        4 => Method::Delete,
        5 => Method::Patch,
        6 => Method::Options,
        // Extension methods; CONNECT and HEAD have framing rules of their own.
        _ => {
            let t = text_of(u, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1, 10)?;
            if matches!(t.as_str(), "CONNECT" | "HEAD") {
                Method::Get
            } else {
                Method::from_bytes(t.as_bytes()).map_err(|_| Error::IncorrectFormat)?
            }
        }
    })
}

fn request_head(u: &mut Unstructured<'_>) -> Result<RequestHead> {
    let target = format!("/{}", text_of(u, PATH, 0, 40)?);
    let mut head = RequestHead::new(method(u)?, target).map_err(|_| Error::IncorrectFormat)?;
    let host = format!(
        "{}.example",
        text_of(u, b"abcdefghijklmnopqrstuvwxyz", 1, 8)?
    );
    head.headers
        .append("Host", host)
        .map_err(|_| Error::IncorrectFormat)?;
    fields(u, &mut head.headers, 12)?;
    Ok(head)
}

impl Generate for Request {
    type Expect = ErrorKind;

    /// An origin-form request to a `Host`, with plain fields, and a body framed by
    /// Content-Length or chunked (with up to three trailers) as it goes.
    fn valid(u: &mut Unstructured<'_>) -> Result<Request> {
        let mut head = request_head(u)?;
        let body = pieces(u)?;
        let mut trailers = Headers::new();
        if frame(u, &mut head.headers, &body, false)? {
            fields(u, &mut trailers, 3)?;
        }
        Ok(Request {
            head,
            body,
            trailers,
        })
    }

    /// A whole request with one framing or syntax flaw; a [`Server`] must report
    /// `ServerEvent::Error` of the kind given.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<ErrorKind>> {
        use ErrorKind as K;
        let head = request_head(u)?;
        let mut client = Client::new(ClientConfig::default());
        client
            .send_request(head)
            .map_err(|_| Error::IncorrectFormat)?;
        let _ = client.send_end();
        let mut wire = drain(&mut client);
        // Open the head again: the flaw goes after the generated fields.
        wire.truncate(wire.len() - 2);
        let n = u.int_in_range(1u32..=999)?;
        let (lines, body, flaw, expect): (String, &str, &'static str, ErrorKind) =
            match between(u, 0, 9)? {
                0 => (
                    format!("Content-Length: {n}\r\nTransfer-Encoding: chunked\r\n"),
                    "0\r\n\r\n",
                    "Content-Length with Transfer-Encoding",
                    K::ContentLengthWithTransferEncoding,
                ),
                1 => (
                    format!("Content-Length: {}{n}\r\n", char::from(one_of(u, b"+-x")?)),
                    "",
                    "Content-Length not 1*DIGIT",
                    K::InvalidContentLength,
                ),
                2 => (
                    format!("Content-Length: {n}\r\nContent-Length: {}\r\n", n + 1),
                    "",
                    "two different Content-Lengths",
                    K::ConflictingContentLength,
                ),
                3 => (
                    String::from("Transfer-Encoding: chunked, gzip\r\n"),
                    "",
                    "final coding not chunked",
                    K::TransferEncodingNotChunked,
                ),
                4 => (
                    String::from("Transfer-Encoding: chunked, chunked\r\n"),
                    "",
                    "chunked twice",
                    K::ChunkedTwice,
                ),
                5 => (
                    format!("{} : v\r\n", text_of(u, ALNUM, 1, 8)?),
                    "",
                    "whitespace before the colon",
                    K::WhitespaceBeforeColon,
                ),
                6 => (
                    format!("X-{}: v\r\n folded\r\n", text_of(u, ALNUM, 1, 8)?),
                    "",
                    "obs-fold in a request",
                    K::ObsFold,
                ),
                7 => (
                    format!("X-{}: v\n", text_of(u, ALNUM, 1, 8)?),
                    "",
                    "bare LF ending a field line",
                    K::BareLf,
                ),
                8 => (
                    String::from("Transfer-Encoding: chunked\r\n"),
                    "zz\r\n",
                    "chunk size not hex",
                    K::InvalidChunkSize,
                ),
                _ => (
                    format!("X-{}: a\x00b\r\n", text_of(u, ALNUM, 1, 8)?),
                    "",
                    "NUL in a field value",
                    K::InvalidHeaderValue,
                ),
            };
        wire.extend_from_slice(lines.as_bytes());
        wire.extend_from_slice(b"\r\n");
        wire.extend_from_slice(body.as_bytes());
        Ok(Invalid { wire, flaw, expect })
    }
}

impl Generate for Response {
    type Expect = ErrorKind;

    /// A status from 200 to 599 with its canonical reason or another one, plain
    /// fields, and a body framed by Content-Length or chunked (no body for 204, 304).
    fn valid(u: &mut Unstructured<'_>) -> Result<Response> {
        let status =
            StatusCode::new(u.int_in_range(200..=599)?).map_err(|_| Error::IncorrectFormat)?;
        let mut head = ResponseHead::new(status);
        if sometimes(u, 4)? {
            // reason-phrase = *( HTAB / SP / VCHAR / obs-text ), here without edge
            // whitespace so it reads back the same.
            let mut r = run_of(u, ALNUM, 1, 1)?;
            r.extend(run_of(u, b" abcXYZ-!~", 0, 20)?);
            head.reason = Bytes::from(r);
        }
        fields(u, &mut head.headers, 12)?;
        let mut body = Vec::new();
        let mut trailers = Headers::new();
        if !bodyless(status) {
            body = pieces(u)?;
            if frame(u, &mut head.headers, &body, true)? {
                fields(u, &mut trailers, 3)?;
            }
        }
        Ok(Response {
            head,
            body,
            trailers,
        })
    }

    /// A whole response to `GET` with one flaw; a [`Client`] that sent the `GET` must
    /// report `ClientEvent::Error` of the kind given.
    fn invalid(u: &mut Unstructured<'_>) -> Result<Invalid<ErrorKind>> {
        use ErrorKind as K;
        let n = u.int_in_range(1u32..=999)?;
        let text = text_of(u, b"ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ", 1, 8)?;
        let (wire, flaw, expect) = match between(u, 0, 5)? {
            0 => (
                format!("HTTP/1.1 {}{n:03} OK\r\n\r\n", between(u, 1, 9)?),
                "four-digit status",
                K::InvalidStatusLine,
            ),
            1 => (
                format!("HTTP/1.1 200 OK\r\nContent-Length: {n}{text}\r\n\r\n"),
                "Content-Length not 1*DIGIT",
                K::InvalidContentLength,
            ),
            2 => (
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nContent-Length: {}\r\n\r\n",
                    n + 1
                ),
                "two different Content-Lengths",
                K::ConflictingContentLength,
            ),
            3 => (
                format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: {text}\r\n\r\n"),
                "101 to a request that asked for no upgrade",
                K::UnrequestedUpgrade,
            ),
            4 => (
                format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{text}g\r\n"),
                "chunk size not hex",
                K::InvalidChunkSize,
            ),
            _ => (
                format!("HTTP/1.1 200 OK\r\n{text} : v\r\n\r\n"),
                "whitespace before the colon",
                K::WhitespaceBeforeColon,
            ),
        };
        Ok(Invalid {
            wire: wire.into_bytes(),
            flaw,
            expect,
        })
    }
}

arbitrary_via_generate!(Request, Response);

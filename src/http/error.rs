//! Peer errors (which rule broke, where, and what to answer) and local send errors.

use super::head::{InvalidHead, StatusCode};
use core::fmt;

/// Which framing or syntax rule a peer broke. Every kind names its RFC section
/// ([`rule`](ErrorKind::rule)) and the status a server answers with
/// ([`status`](ErrorKind::status)).
///
/// ```
/// use wirestate::http::ErrorKind;
/// assert_eq!(ErrorKind::ObsFold.status().as_u16(), 400);
/// assert_eq!(ErrorKind::ObsFold.rule(), "RFC 9112 5.2, 2.2: a field line starts with whitespace");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The head did not end within [`Limits::max_head`](super::Limits::max_head) bytes.
    HeadTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The request line is longer than [`Limits::max_request_line`](super::Limits::max_request_line).
    RequestLineTooLong {
        /// The limit.
        limit: usize,
    },
    /// More field lines than [`Limits::max_headers`](super::Limits::max_headers).
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// A CR not followed by LF.
    BareCr,
    /// An LF not preceded by CR where CRLF is required.
    BareLf,
    /// The method is not a token, or the request line is not `method SP target SP version`.
    InvalidRequestLine,
    /// The request-target has a byte outside VCHAR, or a form the method does not allow.
    InvalidTarget,
    /// The HTTP-version is not `HTTP/DIGIT.DIGIT`.
    InvalidVersion,
    /// A major version other than 1.
    UnsupportedVersion,
    /// The status line is not `HTTP-version SP 3DIGIT SP reason`.
    InvalidStatusLine,
    /// A field name that is empty or not a token, or a line with no colon.
    InvalidHeaderName,
    /// Whitespace between a field name and its colon.
    WhitespaceBeforeColon,
    /// A field line starting with SP or HTAB: line folding (obs-fold) in a request
    /// (RFC 9112 5.2), or whitespace before the first field line of any head (RFC 9112
    /// 2.2). In a response a fold inside a field value is not an error: the buffered
    /// parser and [`ClientConn`](super::ClientConn) replace it with SP, and only the
    /// read-only [`HeadParser::parse_response_bytes`](super::HeadParser::parse_response_bytes)
    /// reports it.
    ObsFold,
    /// A field value with NUL, a bare CR, or another control byte.
    InvalidHeaderValue,
    /// Both Content-Length and Transfer-Encoding in a request.
    ContentLengthWithTransferEncoding,
    /// A Content-Length that is not 1*DIGIT (sign, space, letter, empty, overflow).
    InvalidContentLength,
    /// Content-Length values that differ.
    ConflictingContentLength,
    /// A request Transfer-Encoding whose final coding is not chunked.
    TransferEncodingNotChunked,
    /// `chunked` applied more than once.
    ChunkedTwice,
    /// Transfer-Encoding in an HTTP/1.0 message.
    TransferEncodingInHttp10,
    /// An HTTP/1.1 request with no Host, or more than one.
    BadHost,
    /// A chunk-size line that is not 1*HEXDIG followed by extensions and CRLF.
    InvalidChunkSize,
    /// A chunk size with more hex digits than
    /// [`Limits::max_chunk_size_digits`](super::Limits::max_chunk_size_digits).
    ChunkSizeTooLong {
        /// The limit.
        limit: usize,
    },
    /// A chunk size above `u64::MAX`.
    ChunkSizeOverflow,
    /// A chunk extension that is not `;name[=token|quoted-string]`.
    InvalidChunkExtension,
    /// Chunk extensions longer than
    /// [`Limits::max_chunk_ext`](super::Limits::max_chunk_ext).
    ChunkExtensionTooLong {
        /// The limit.
        limit: usize,
    },
    /// Chunk data not followed by CRLF.
    MissingChunkCrlf,
    /// A framing field (Content-Length, Transfer-Encoding) in a trailer section.
    ForbiddenTrailer,
    /// The connection ended inside a message.
    IncompleteMessage,
    /// More than [`Limits::max_buffer`](super::Limits::max_buffer) undecoded bytes: the
    /// caller is not draining `poll_event`.
    BufferFull {
        /// The limit.
        limit: usize,
    },
    /// No complete head within [`Limits::head_timeout`](super::Limits::head_timeout).
    Timeout,
    /// A response arrived with no request outstanding.
    UnexpectedResponse,
}

impl ErrorKind {
    /// The status code a server answers this error with.
    ///
    /// ```
    /// use wirestate::http::ErrorKind;
    /// assert_eq!(ErrorKind::HeadTooLarge { limit: 1 }.status().as_u16(), 431);
    /// assert_eq!(ErrorKind::RequestLineTooLong { limit: 1 }.status().as_u16(), 414);
    /// ```
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::HeadTooLarge { .. } | ErrorKind::TooManyHeaders { .. } => {
                StatusCode::HEADER_FIELDS_TOO_LARGE
            }
            ErrorKind::RequestLineTooLong { .. } => StatusCode::URI_TOO_LONG,
            ErrorKind::UnsupportedVersion => StatusCode::VERSION_NOT_SUPPORTED,
            ErrorKind::BufferFull { .. } => StatusCode::CONTENT_TOO_LARGE,
            ErrorKind::Timeout => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The rule broken, with its section.
    ///
    /// ```
    /// assert!(wirestate::http::ErrorKind::BareCr.rule().starts_with("RFC 9112 2.2"));
    /// ```
    pub fn rule(self) -> &'static str {
        match self {
            ErrorKind::HeadTooLarge { .. } => "RFC 6585 5: header section over the size limit",
            ErrorKind::RequestLineTooLong { .. } => {
                "RFC 9112 3: request-line over the length limit"
            }
            ErrorKind::TooManyHeaders { .. } => "RFC 6585 5: more field lines than the limit",
            ErrorKind::BareCr => "RFC 9112 2.2: a bare CR is invalid",
            ErrorKind::BareLf => "RFC 9112 2.2: line must end in CRLF",
            ErrorKind::InvalidRequestLine => {
                "RFC 9112 3: request-line = method SP request-target SP HTTP-version"
            }
            ErrorKind::InvalidTarget => "RFC 9112 3.2: invalid request-target",
            ErrorKind::InvalidVersion => "RFC 9112 2.3: HTTP-version = HTTP/DIGIT.DIGIT",
            ErrorKind::UnsupportedVersion => "RFC 9110 2.5: major version not supported",
            ErrorKind::InvalidStatusLine => {
                "RFC 9112 4: status-line = HTTP-version SP status-code SP [reason-phrase]"
            }
            ErrorKind::InvalidHeaderName => {
                "RFC 9112 5: field-line = field-name \":\" OWS field-value OWS"
            }
            ErrorKind::WhitespaceBeforeColon => {
                "RFC 9112 5.1: whitespace between field name and colon is rejected"
            }
            ErrorKind::ObsFold => "RFC 9112 5.2, 2.2: a field line starts with whitespace",
            ErrorKind::InvalidHeaderValue => {
                "RFC 9110 5.5: CR, LF, NUL and controls in a field value"
            }
            ErrorKind::ContentLengthWithTransferEncoding => {
                "RFC 9112 6.1/6.3: Content-Length with Transfer-Encoding"
            }
            ErrorKind::InvalidContentLength => "RFC 9110 8.6: Content-Length = 1*DIGIT",
            ErrorKind::ConflictingContentLength => "RFC 9112 6.3: differing Content-Length values",
            ErrorKind::TransferEncodingNotChunked => {
                "RFC 9112 6.3: final request transfer coding is not chunked"
            }
            ErrorKind::ChunkedTwice => "RFC 9112 6.1: chunked applied more than once",
            ErrorKind::TransferEncodingInHttp10 => {
                "RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing"
            }
            ErrorKind::BadHost => "RFC 9112 3.2: exactly one Host in an HTTP/1.1 request",
            ErrorKind::InvalidChunkSize => "RFC 9112 7.1: chunk-size = 1*HEXDIG",
            ErrorKind::ChunkSizeTooLong { .. } => "RFC 9112 7.1: chunk-size over the digit limit",
            ErrorKind::ChunkSizeOverflow => "RFC 9112 7.1: chunk-size overflows",
            ErrorKind::InvalidChunkExtension => "RFC 9112 7.1.1: invalid chunk-ext",
            ErrorKind::ChunkExtensionTooLong { .. } => {
                "RFC 9112 7.1.1: chunk extensions over the length limit"
            }
            ErrorKind::MissingChunkCrlf => "RFC 9112 7.1: chunk-data must be followed by CRLF",
            ErrorKind::ForbiddenTrailer => "RFC 9110 6.5.1: framing field in trailers",
            ErrorKind::IncompleteMessage => "RFC 9112 8: connection closed inside a message",
            ErrorKind::BufferFull { .. } => "receive buffer limit exceeded",
            ErrorKind::Timeout => "RFC 9110 15.5.9: head not received in time",
            ErrorKind::UnexpectedResponse => "RFC 9112 9.3: response without a request",
        }
    }
}

/// A fatal peer error: the rule broken and the stream offset of the offending byte.
///
/// ```
/// use wirestate::http::{ErrorKind, HttpError};
/// let e = HttpError { kind: ErrorKind::BareCr, offset: 17 };
/// assert_eq!(e.to_string(), "RFC 9112 2.2: a bare CR is invalid, at byte 17");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpError {
    /// What was wrong.
    pub kind: ErrorKind,
    /// Offset in the received stream (from the first byte of the connection).
    pub offset: u64,
}

impl HttpError {
    /// The status a server answers this error with.
    ///
    /// ```
    /// use wirestate::http::{ErrorKind, HttpError};
    /// assert_eq!(HttpError { kind: ErrorKind::ObsFold, offset: 0 }.status().as_u16(), 400);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, at byte {}", self.kind.rule(), self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HttpError {}

/// Local misuse of a machine. Nothing was queued.
///
/// ```
/// use wirestate::http::{Limits, ServerConn, ResponseHead, StatusCode, SendError};
/// let mut server = ServerConn::new(Limits::default());
/// // No request has arrived yet: there is nothing to respond to.
/// assert_eq!(server.send_response(ResponseHead::new(StatusCode::OK)), Err(SendError::OutOfTurn));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Not this message's turn (no request to answer, a body before its head, ...).
    OutOfTurn,
    /// More body bytes than the declared Content-Length, or a body where none is allowed.
    TooMuchData,
    /// `send_end` before the declared Content-Length was sent.
    TooLittleData,
    /// The head breaks a framing rule (Content-Length with Transfer-Encoding, a
    /// transfer coding other than chunked last, a missing Host, a framing trailer, ...).
    BadFraming,
    /// A field in the head failed validation.
    Invalid(InvalidHead),
    /// The connection is closed or closing.
    Closed,
}

impl From<InvalidHead> for SendError {
    fn from(e: InvalidHead) -> SendError {
        SendError::Invalid(e)
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::OutOfTurn => f.write_str("not this message's turn"),
            SendError::TooMuchData => f.write_str("more body bytes than declared"),
            SendError::TooLittleData => f.write_str("fewer body bytes than declared"),
            SendError::BadFraming => f.write_str("head breaks a framing rule"),
            SendError::Invalid(e) => write!(f, "{e}"),
            SendError::Closed => f.write_str("connection closed"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SendError {}

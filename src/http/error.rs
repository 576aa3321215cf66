//! Peer errors: which rule broke, where, and what a server answers. Local misuse is the
//! crate-wide [`SendError`](crate::SendError); the rules it cites for HTTP are here too.

use super::head::StatusCode;
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
    /// parser and [`Client`](super::Client) replace it with SP, and only the
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
    /// More than [`Limits::max_buffered`](super::Limits::max_buffered) undecoded bytes: the
    /// caller is not draining `poll_event`.
    BufferFull {
        /// The limit.
        limit: usize,
    },
    /// A response arrived with no request outstanding.
    UnexpectedResponse,
    /// A CONNECT request with Transfer-Encoding or a non-zero Content-Length: it has no
    /// content (RFC 9110 9.3.6), so where its tunnel starts would be in doubt.
    FramingInConnect,
    /// A `101 Switching Protocols` to a request that did not ask to upgrade.
    UnrequestedUpgrade,
}

impl ErrorKind {
    /// Every kind, once (limits shown as 0), so a test can check each has a conformance
    /// row.
    ///
    /// ```
    /// use wirestate::http::ErrorKind;
    /// assert!(ErrorKind::ALL.contains(&ErrorKind::BareCr));
    /// assert!(ErrorKind::ALL.iter().all(|k| k.rule().starts_with("RFC ") || k.rule().starts_with("receive")));
    /// ```
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::HeadTooLarge { limit: 0 },
        ErrorKind::RequestLineTooLong { limit: 0 },
        ErrorKind::TooManyHeaders { limit: 0 },
        ErrorKind::BareCr,
        ErrorKind::BareLf,
        ErrorKind::InvalidRequestLine,
        ErrorKind::InvalidTarget,
        ErrorKind::InvalidVersion,
        ErrorKind::UnsupportedVersion,
        ErrorKind::InvalidStatusLine,
        ErrorKind::InvalidHeaderName,
        ErrorKind::WhitespaceBeforeColon,
        ErrorKind::ObsFold,
        ErrorKind::InvalidHeaderValue,
        ErrorKind::ContentLengthWithTransferEncoding,
        ErrorKind::InvalidContentLength,
        ErrorKind::ConflictingContentLength,
        ErrorKind::TransferEncodingNotChunked,
        ErrorKind::ChunkedTwice,
        ErrorKind::TransferEncodingInHttp10,
        ErrorKind::BadHost,
        ErrorKind::InvalidChunkSize,
        ErrorKind::ChunkSizeTooLong { limit: 0 },
        ErrorKind::ChunkSizeOverflow,
        ErrorKind::InvalidChunkExtension,
        ErrorKind::ChunkExtensionTooLong { limit: 0 },
        ErrorKind::MissingChunkCrlf,
        ErrorKind::ForbiddenTrailer,
        ErrorKind::IncompleteMessage,
        ErrorKind::BufferFull { limit: 0 },
        ErrorKind::UnexpectedResponse,
        ErrorKind::FramingInConnect,
        ErrorKind::UnrequestedUpgrade,
    ];

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
            ErrorKind::UnexpectedResponse => "RFC 9112 9.3: response without a request",
            ErrorKind::FramingInConnect => {
                "RFC 9110 9.3.6: a CONNECT request message does not have content"
            }
            ErrorKind::UnrequestedUpgrade => {
                "RFC 9110 7.8: a server MUST NOT switch protocols unless the request has Upgrade"
            }
        }
    }
}

/// A rule broken at an offset relative to the start of what was being parsed.
pub(crate) type Fail = (ErrorKind, usize);

/// A fatal peer error: the rule broken and the stream offset of the offending byte.
///
/// ```
/// use wirestate::http::{ErrorKind, Error};
/// let e = Error { kind: ErrorKind::BareCr, offset: 17 };
/// assert_eq!(e.to_string(), "RFC 9112 2.2: a bare CR is invalid, at byte 17");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// What was wrong.
    pub kind: ErrorKind,
    /// Offset in the received stream (from the first byte of the connection).
    pub offset: u64,
}

impl Error {
    /// The status a server answers this error with.
    ///
    /// ```
    /// use wirestate::http::{ErrorKind, Error};
    /// assert_eq!(Error { kind: ErrorKind::ObsFold, offset: 0 }.status().as_u16(), 400);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, at byte {}", self.kind.rule(), self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// The rules a locally built message can break, as [`SendError::Invalid`] cites them.
pub(crate) mod rules {
    use crate::{SendError, SyntaxError};

    /// `SendError::Invalid` for `rule`, at `offset`.
    pub(crate) const fn invalid(rule: &'static str, offset: usize) -> SendError {
        SendError::Invalid(SyntaxError { rule, offset })
    }

    pub(crate) const MORE_THAN_DECLARED: &str =
        "RFC 9112 6.3: more content than the Content-Length declares";
    pub(crate) const LESS_THAN_DECLARED: &str =
        "RFC 9112 6.3: less content than the Content-Length declares";
    pub(crate) const NO_CONTENT: &str =
        "RFC 9112 6.3: this message has no content (HEAD, 1xx, 204, 304, no framing fields)";
    pub(crate) const CL_WITH_TE: &str =
        "RFC 9112 6.2: a sender MUST NOT send Content-Length with Transfer-Encoding";
    pub(crate) const TE_TO_HTTP10: &str =
        "RFC 9112 6.1: no Transfer-Encoding to or from an HTTP/1.0 peer";
    pub(crate) const CHUNKED_TWICE: &str = "RFC 9112 6.1: chunked MUST NOT be applied twice";
    pub(crate) const REQUEST_NOT_CHUNKED: &str =
        "RFC 9112 6.1: a request's final transfer coding MUST be chunked";
    pub(crate) const HOST: &str = "RFC 9112 3.2: exactly one Host in an HTTP/1.1 request";
    pub(crate) const TARGET_FORM: &str =
        "RFC 9112 3.2: authority form only with CONNECT, asterisk only with OPTIONS";
    pub(crate) const BAD_CONTENT_LENGTH: &str =
        "RFC 9110 8.6: Content-Length = 1*DIGIT, all values equal";
    pub(crate) const LENGTH_IN_1XX_204: &str =
        "RFC 9110 8.6: no Content-Length or Transfer-Encoding in a 1xx or 204";
    pub(crate) const FRAMING_IN_CONNECT_2XX: &str =
        "RFC 9110 9.3.6: no Content-Length or Transfer-Encoding in a 2xx to CONNECT";
    pub(crate) const FRAMING_TRAILER: &str =
        "RFC 9110 6.5.1: no Content-Length or Transfer-Encoding in trailers";
    pub(crate) const TRAILERS_NEED_CHUNKED: &str =
        "RFC 9110 6.5: trailers only with the chunked transfer coding";
    pub(crate) const CONNECT_NO_CONTENT: &str =
        "RFC 9110 9.3.6: a CONNECT request message does not have content";
    pub(crate) const REASON: &str = "RFC 9112 4: reason-phrase = *( HTAB / SP / VCHAR / obs-text )";

    /// Every rule above, so a test can check each one has a row.
    #[allow(dead_code)]
    pub(crate) const ALL: &[&str] = &[
        MORE_THAN_DECLARED,
        LESS_THAN_DECLARED,
        NO_CONTENT,
        CL_WITH_TE,
        TE_TO_HTTP10,
        CHUNKED_TWICE,
        REQUEST_NOT_CHUNKED,
        HOST,
        TARGET_FORM,
        BAD_CONTENT_LENGTH,
        LENGTH_IN_1XX_204,
        FRAMING_IN_CONNECT_2XX,
        FRAMING_TRAILER,
        TRAILERS_NEED_CHUNKED,
        REASON,
        CONNECT_NO_CONTENT,
    ];
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    /// `ErrorKind::ALL` lists every variant: this match breaks the build when a kind is
    /// added, and the count check fails until `ALL` has it.
    #[test]
    fn all_lists_every_kind() {
        fn index(k: ErrorKind) -> usize {
            match k {
                ErrorKind::HeadTooLarge { .. } => 0,
                ErrorKind::RequestLineTooLong { .. } => 1,
                ErrorKind::TooManyHeaders { .. } => 2,
                ErrorKind::BareCr => 3,
                ErrorKind::BareLf => 4,
                ErrorKind::InvalidRequestLine => 5,
                ErrorKind::InvalidTarget => 6,
                ErrorKind::InvalidVersion => 7,
                ErrorKind::UnsupportedVersion => 8,
                ErrorKind::InvalidStatusLine => 9,
                ErrorKind::InvalidHeaderName => 10,
                ErrorKind::WhitespaceBeforeColon => 11,
                ErrorKind::ObsFold => 12,
                ErrorKind::InvalidHeaderValue => 13,
                ErrorKind::ContentLengthWithTransferEncoding => 14,
                ErrorKind::InvalidContentLength => 15,
                ErrorKind::ConflictingContentLength => 16,
                ErrorKind::TransferEncodingNotChunked => 17,
                ErrorKind::ChunkedTwice => 18,
                ErrorKind::TransferEncodingInHttp10 => 19,
                ErrorKind::BadHost => 20,
                ErrorKind::InvalidChunkSize => 21,
                ErrorKind::ChunkSizeTooLong { .. } => 22,
                ErrorKind::ChunkSizeOverflow => 23,
                ErrorKind::InvalidChunkExtension => 24,
                ErrorKind::ChunkExtensionTooLong { .. } => 25,
                ErrorKind::MissingChunkCrlf => 26,
                ErrorKind::ForbiddenTrailer => 27,
                ErrorKind::IncompleteMessage => 28,
                ErrorKind::BufferFull { .. } => 29,
                ErrorKind::UnexpectedResponse => 30,
                ErrorKind::FramingInConnect => 31,
                ErrorKind::UnrequestedUpgrade => 32,
            }
        }
        const COUNT: usize = 33;
        assert_eq!(ErrorKind::ALL.len(), COUNT);
        let mut seen = [false; COUNT];
        for &k in ErrorKind::ALL {
            assert!(!seen[index(k)], "{k:?} twice in ALL");
            seen[index(k)] = true;
        }
    }
}

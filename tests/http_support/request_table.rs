//! The request framing table of `http_conformance.rs`, one row per RFC 9112 / RFC 9110
//! rule under the default limits, kept apart from the checks that feed it: the rows are
//! data, the checks are code.

use wirestate::http::ErrorKind;
use ErrorKind as K;
use Want::{Body, Reject};

/// The expected outcome of a row.
#[derive(Debug)]
pub enum Want {
    /// Accepted: the request completes with this body.
    Body(&'static [u8]),
    /// Rejected with this rule and status.
    Reject(ErrorKind, u16),
    /// A fatal error with no answer (nobody is left to read one).
    Dropped(ErrorKind),
}

/// The start of every POST row: the request line and `Host`.
pub const POST: &str = "POST / HTTP/1.1\r\nHost: a\r\n";

/// The rows of `request_rows`: (section, rule, request bytes, expected outcome).
pub fn request_table() -> Vec<(&'static str, &'static str, String, Want)> {
    let chunked = |body: &str| format!("{POST}Transfer-Encoding: chunked\r\n\r\n{body}");
    vec![
        (
            "9112 6.1, 11.2",
            "Content-Length with Transfer-Encoding is rejected",
            format!("{POST}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            Reject(K::ContentLengthWithTransferEncoding, 400),
        ),
        (
            "9112 6.1, 11.2",
            "Transfer-Encoding before Content-Length is rejected too",
            format!("{POST}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"),
            Reject(K::ContentLengthWithTransferEncoding, 400),
        ),
        (
            "9112 6.3 item 5",
            "differing Content-Length fields are rejected",
            format!("{POST}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
            Reject(K::ConflictingContentLength, 400),
        ),
        (
            "9112 6.3 item 5",
            "a Content-Length list with differing values is rejected",
            format!("{POST}Content-Length: 3, 4\r\n\r\nabcd"),
            Reject(K::ConflictingContentLength, 400),
        ),
        (
            "9110 8.6",
            "identical repeated Content-Length values may be accepted",
            format!("{POST}Content-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc"),
            Body(b"abc"),
        ),
        (
            "9110 8.6",
            "Content-Length with a plus sign is invalid",
            format!("{POST}Content-Length: +3\r\n\r\nabc"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "Content-Length with a minus sign is invalid",
            format!("{POST}Content-Length: -1\r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "Content-Length with a space inside is invalid",
            format!("{POST}Content-Length: 1 2\r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "Content-Length with non-digits is invalid",
            format!("{POST}Content-Length: 0x10\r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "an empty Content-Length is invalid",
            format!("{POST}Content-Length: \r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9110 8.6",
            "a Content-Length above u64 is invalid",
            format!("{POST}Content-Length: 99999999999999999999\r\n\r\n"),
            Reject(K::InvalidContentLength, 400),
        ),
        (
            "9112 6.3 item 4",
            "a request whose only coding is not chunked gets 400",
            format!("{POST}Transfer-Encoding: gzip\r\n\r\n"),
            Reject(K::TransferEncodingNotChunked, 400),
        ),
        (
            "9112 6.3 item 4",
            "a request whose final coding is not chunked gets 400",
            format!("{POST}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
            Reject(K::TransferEncodingNotChunked, 400),
        ),
        (
            "9112 6.1",
            "chunked listed twice is rejected",
            format!("{POST}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
            Reject(K::ChunkedTwice, 400),
        ),
        (
            "9112 6.1",
            "chunked twice across two fields is rejected",
            format!(
                "{POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            ),
            Reject(K::ChunkedTwice, 400),
        ),
        (
            "9112 6.1, 9110 5.6.1",
            "codings before a final chunked, empty list elements, any case",
            format!("{POST}Transfer-Encoding: gzip, , CHUNKED\r\n\r\n2\r\nab\r\n0\r\n\r\n"),
            Body(b"ab"),
        ),
        (
            "9112 6.1",
            "Transfer-Encoding in an HTTP/1.0 request is faulty framing",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(),
            Reject(K::TransferEncodingInHttp10, 400),
        ),
        (
            "9112 5.2",
            "obs-fold in a request is rejected",
            format!("{POST}X-A: 1\r\n 2\r\n\r\n"),
            Reject(K::ObsFold, 400),
        ),
        (
            "9112 5.2",
            "obs-fold with HTAB is rejected",
            format!("{POST}X-A: 1\r\n\tTransfer-Encoding: chunked\r\n\r\n"),
            Reject(K::ObsFold, 400),
        ),
        (
            "9112 5.1",
            "whitespace between field name and colon is rejected",
            format!("{POST}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
            Reject(K::WhitespaceBeforeColon, 400),
        ),
        (
            "9112 2.2",
            "a bare CR in a field value is rejected (llhttp #174 pattern)",
            format!("{POST}X-Abc: \rxTransfer-Encoding: chunked\r\n\r\n"),
            Reject(K::BareCr, 400),
        ),
        (
            "9112 2.2",
            "a bare CR in a field name is rejected",
            format!("{POST}X\rY: a\r\n\r\n"),
            Reject(K::BareCr, 400),
        ),
        (
            "9112 2.2",
            "a bare CR in the request line is rejected",
            "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::BareCr, 400),
        ),
        (
            "9112 2.2",
            "a bare LF ending a head line is rejected by default",
            format!("{POST}X: 1\nContent-Length: 0\r\n\r\n"),
            Reject(K::BareLf, 400),
        ),
        (
            "9112 7.1",
            "a bare LF ending a chunk-size line is rejected",
            chunked("1\nx\r\n0\r\n\r\n"),
            Reject(K::BareLf, 400),
        ),
        (
            "9112 7.1.1",
            "a bare LF inside a chunk extension is rejected (CVE-2025-22871)",
            chunked("1;a=b\nx\r\n0\r\n\r\n"),
            Reject(K::BareLf, 400),
        ),
        (
            "9112 7.1.1",
            "a bare CR inside a chunk extension is rejected",
            chunked("1;a\r=b\r\nx\r\n0\r\n\r\n"),
            Reject(K::BareCr, 400),
        ),
        (
            "9112 7.1",
            "a chunk-size longer than the digit limit is rejected",
            chunked("10000000000000000\r\n"),
            Reject(K::ChunkSizeTooLong { limit: 16 }, 400),
        ),
        (
            "9112 7.1",
            "an empty chunk-size line is not zero (httparse hole)",
            chunked("\r\n\r\n"),
            Reject(K::InvalidChunkSize, 400),
        ),
        (
            "9112 7.1",
            "a chunk-size with 0x is invalid",
            chunked("0x1\r\nx\r\n0\r\n\r\n"),
            Reject(K::InvalidChunkSize, 400),
        ),
        (
            "9112 7.1",
            "a negative chunk-size is invalid",
            chunked("-1\r\nx\r\n0\r\n\r\n"),
            Reject(K::InvalidChunkSize, 400),
        ),
        (
            "9112 7.1",
            "chunk data must be followed by CRLF",
            chunked("1\r\nxy\r\n0\r\n\r\n"),
            Reject(K::MissingChunkCrlf, 400),
        ),
        (
            "9112 7.1.1",
            "a chunk extension needs a name",
            chunked("1;=x\r\nx\r\n0\r\n\r\n"),
            Reject(K::InvalidChunkExtension, 400),
        ),
        (
            "9112 7.1.1",
            "chunk extensions with BWS, tokens and quoted strings are fine",
            chunked("1 ; a = b ;c=\"d \\\" e\";f\r\nx\r\n0\r\n\r\n"),
            Body(b"x"),
        ),
        (
            "9112 7.1.1",
            "an unterminated quoted extension value is invalid",
            chunked("1;a=\"b\r\nx\r\n0\r\n\r\n"),
            Reject(K::InvalidChunkExtension, 400),
        ),
        (
            "9112 7.1, 9110 6.5.1",
            "trailers are delivered; framing fields in them are refused",
            chunked("1\r\nx\r\n0\r\nContent-Length: 5\r\n\r\n"),
            Reject(K::ForbiddenTrailer, 400),
        ),
        (
            "9110 6.5.1",
            "Transfer-Encoding is refused as a trailer",
            chunked("1\r\nx\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Reject(K::ForbiddenTrailer, 400),
        ),
        (
            "9110 5.5",
            "a NUL in a field value is rejected",
            format!("{POST}X: a\0b\r\n\r\n"),
            Reject(K::InvalidHeaderValue, 400),
        ),
        (
            "9110 5.5",
            "other controls in a field value are rejected",
            format!("{POST}X: a\x01b\r\n\r\n"),
            Reject(K::InvalidHeaderValue, 400),
        ),
        (
            "9110 5.5",
            "obs-text and HTAB in a field value are allowed",
            format!("{POST}X: caf\u{e9}\tok\r\nContent-Length: 1\r\n\r\nz"),
            Body(b"z"),
        ),
        (
            "9112 3.2",
            "a NUL in the request-target is rejected",
            "GET /a\0 HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidTarget, 400),
        ),
        (
            "9112 3.2",
            "an HTTP/1.1 request without Host gets 400",
            "GET / HTTP/1.1\r\n\r\n".into(),
            Reject(K::BadHost, 400),
        ),
        (
            "9112 3.2",
            "a request with two Host fields gets 400",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".into(),
            Reject(K::BadHost, 400),
        ),
        (
            "9112 3.2",
            "an HTTP/1.0 request may omit Host",
            "GET / HTTP/1.0\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 3.2.3",
            "CONNECT needs the authority form",
            "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidTarget, 400),
        ),
        (
            "9112 3.2.3",
            "the authority form is for CONNECT only",
            "GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidTarget, 400),
        ),
        (
            "9112 3.2.4",
            "the asterisk form is for OPTIONS only",
            "GET * HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidTarget, 400),
        ),
        (
            "9112 3.2.4",
            "OPTIONS * is fine",
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 3.2.2",
            "the absolute form is accepted",
            "GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 2.3, 9110 2.5",
            "a major version other than 1 gets 505",
            "GET / HTTP/2.0\r\nHost: a\r\n\r\n".into(),
            Reject(K::UnsupportedVersion, 505),
        ),
        (
            "9112 2.3",
            "HTTP-version is case-sensitive",
            "GET / http/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidVersion, 400),
        ),
        (
            "9110 2.5",
            "a higher 1.x minor version is read as 1.1",
            "GET / HTTP/1.7\r\nHost: a\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 3",
            "exactly one SP between request-line parts",
            "GET  / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidRequestLine, 400),
        ),
        (
            "9112 3",
            "the method is a token",
            "G(T / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            Reject(K::InvalidRequestLine, 400),
        ),
        (
            "9112 5",
            "a field line needs a colon",
            format!("{POST}NoColon\r\n\r\n"),
            Reject(K::InvalidHeaderName, 400),
        ),
        (
            "9112 5, 9110 5.1",
            "a field name is a non-empty token",
            format!("{POST}: empty\r\n\r\n"),
            Reject(K::InvalidHeaderName, 400),
        ),
        (
            "9110 5.1",
            "a field name with a delimiter is rejected",
            format!("{POST}X(a): 1\r\n\r\n"),
            Reject(K::InvalidHeaderName, 400),
        ),
        (
            "9110 9.3.6",
            "a CONNECT request with a Content-Length is refused: it has no content",
            "CONNECT foo.bar.com:443 HTTP/1.0\r\nContent-Length: 10\r\n\r\nblarfcicle\"".into(),
            Reject(K::FramingInConnect, 400),
        ),
        (
            "9110 9.3.6",
            "a CONNECT request with Transfer-Encoding is refused: it has no content",
            "CONNECT a:443 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                .into(),
            Reject(K::FramingInConnect, 400),
        ),
        (
            "9110 9.3.6",
            "a CONNECT request with Content-Length: 0 says no content and is read",
            "CONNECT a:443 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n".into(),
            Body(b""),
        ),
        (
            "9112 6.3 item 6",
            "a request without framing fields has no body",
            format!("{POST}\r\n"),
            Body(b""),
        ),
        (
            "9112 6.3 item 5",
            "a Content-Length body is exactly that long",
            format!("{POST}Content-Length: 2\r\n\r\nab"),
            Body(b"ab"),
        ),
    ]
}

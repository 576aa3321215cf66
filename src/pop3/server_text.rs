//! What the server says that depends only on its configuration: the greeting, the
//! sign-off, the CAPA list, and status lines kept within the response-line limit.

use super::command::put_decimal;
use super::maildrop::status;
use super::server_types::ServerConfig;
use super::types::ResponseCode;
use bytes::{BufMut, BytesMut};

/// Appends a status line with an optional response code, cutting `text` so the line
/// stays within `limit` octets, CRLF included (RFC 2449 section 4).
pub(crate) fn put_reply(
    out: &mut BytesMut,
    limit: usize,
    ok: bool,
    code: Option<&ResponseCode>,
    text: &[u8],
) {
    let mut t = BytesMut::new();
    if let Some(c) = code {
        t.put_u8(b'[');
        t.put_slice(c.as_str().as_bytes());
        t.put_u8(b']');
        if !text.is_empty() {
            t.put_u8(b' ');
        }
    }
    t.put_slice(text);
    // "-ERR " and CRLF take 7 octets.
    t.truncate(limit.saturating_sub(7));
    status(out, ok, &t);
}

/// The greeting text; RFC 1939 section 7: the APOP timestamp is part of it.
pub(crate) fn greeting(config: &ServerConfig) -> BytesMut {
    let mut text = BytesMut::from(config.greeting.as_bytes());
    if let Some(t) = &config.apop_timestamp {
        if !text.is_empty() {
            text.put_u8(b' ');
        }
        text.put_slice(t.as_bytes());
    }
    text
}

/// `dewey POP3 server signing off`, with the count left after UPDATE when there was one
/// (RFC 1939 section 10: "(maildrop empty)").
pub(crate) fn signoff(config: &ServerConfig, left: Option<usize>) -> BytesMut {
    let mut t = BytesMut::from(config.server_name.as_bytes());
    t.put_slice(b" POP3 server signing off");
    match left {
        None => {}
        Some(0) => t.put_slice(b" (maildrop empty)"),
        Some(n) => {
            t.put_slice(b" (");
            put_decimal(&mut t, n as u64);
            t.put_slice(if n == 1 {
                b" message left)"
            } else {
                b" messages left)"
            });
        }
    }
    t
}

/// The CAPA list after its `+OK` line, dot-terminated (RFC 2449 section 5). STLS only
/// while the connection is `plain` (RFC 2595 section 4).
pub(crate) fn capabilities(config: &ServerConfig, plain: bool, out: &mut BytesMut) {
    let mut line = |s: &[u8]| {
        out.put_slice(s);
        out.put_slice(b"\r\n");
    };
    line(b"TOP");
    line(b"UIDL");
    line(b"RESP-CODES");
    line(b"AUTH-RESP-CODE");
    line(b"PIPELINING");
    // RFC 2449 section 6 lists USER and SASL in both states ("Announced states:
    // both"), like the IANA registry does for STLS (RFC 2595 section 4).
    // A password mechanism is announced only where it would be taken.
    let passwords = !(config.login_requires_tls && plain);
    if config.user_pass && passwords {
        line(b"USER");
    }
    if config.sasl_plain && passwords {
        line(b"SASL PLAIN");
    }
    if config.stls && plain {
        line(b"STLS");
    }
    for c in &config.extra_capabilities {
        line(c.as_bytes());
    }
    line(b".");
}

//! `Redacted`: a head parsed from the wire, shown for a log, never contains the bytes of
//! a credential field (RFC 9110 11.6.2 Authorization, 11.7.2 Proxy-Authorization,
//! RFC 6265 Cookie and Set-Cookie), in any case, in `Display` or `Debug`, while every
//! other field and the start line are shown.

use wirestate::http::{
    is_sensitive, Client, ClientEvent, Method, RequestHead, Server, ServerEvent, SENSITIVE_FIELDS,
};
use wirestate::{Instant, Machine};

const SECRETS: [&str; 5] = [
    "dXNlcjpwdw==",
    "cHJveHk6c2VjcmV0",
    "sid=31d4d96e407aad42",
    "lang=en-US",
    "tok=abcdef",
];

fn parsed_request(wire: &[u8]) -> RequestHead {
    let mut s = Server::new(Default::default());
    s.handle_input(Instant::ZERO, wire);
    match s.poll_event() {
        Some(ServerEvent::Request { head, .. }) => head,
        other => panic!("no request: {other:?}"),
    }
}

#[test]
fn a_parsed_request_head_shows_every_field_but_no_credential() {
    let head = parsed_request(
        b"POST /login?next=%2F HTTP/1.1\r\nHost: example.com\r\n\
          AUTHORIZATION: Basic dXNlcjpwdw==\r\nproxy-authorization: Basic cHJveHk6c2VjcmV0\r\n\
          Cookie: sid=31d4d96e407aad42\r\ncOoKiE: lang=en-US\r\nX-Note: tok=public\r\n\
          Content-Length: 0\r\n\r\n",
    );
    for shown in [
        head.redacted().to_string(),
        format!("{:?}", head.redacted()),
    ] {
        for secret in SECRETS {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert_eq!(shown.matches("Secret(<redacted>)").count(), 4, "{shown}");
        for visible in [
            "POST /login?next=%2F HTTP/1.1",
            "Host: example.com",
            "AUTHORIZATION: Secret(<redacted>)",
            "proxy-authorization: Secret(<redacted>)",
            "cOoKiE: Secret(<redacted>)",
            "X-Note: tok=public",
            "Content-Length: 0",
        ] {
            assert!(shown.contains(visible), "{visible} missing: {shown}");
        }
    }
}

#[test]
fn a_parsed_response_hides_set_cookie() {
    let mut c = Client::new(Default::default());
    let mut req = RequestHead::new(Method::Get, "/").unwrap();
    req.headers.append("Host", "x").unwrap();
    c.send_request(req).unwrap();
    c.send_end().unwrap();
    while c.poll_transmit().is_some() {}
    c.handle_input(
        Instant::ZERO,
        b"HTTP/1.1 200 OK\r\nSet-Cookie: tok=abcdef; HttpOnly\r\nContent-Length: 0\r\n\r\n",
    );
    let Some(ClientEvent::Response(resp)) = c.poll_event() else {
        panic!("no response")
    };
    let shown = resp.redacted().to_string();
    assert_eq!(
        shown,
        "HTTP/1.1 200 OK\nSet-Cookie: Secret(<redacted>)\nContent-Length: 0\n"
    );
    assert_eq!(
        resp.headers.redacted().to_string(),
        "Set-Cookie: Secret(<redacted>)\nContent-Length: 0\n"
    );
}

#[test]
fn sensitive_names_in_any_case_and_nothing_else() {
    for name in SENSITIVE_FIELDS {
        assert!(is_sensitive(name.as_bytes()));
        assert!(is_sensitive(name.to_ascii_lowercase().as_bytes()));
        assert!(is_sensitive(name.to_ascii_uppercase().as_bytes()));
    }
    for name in ["Host", "Authorizations", "Cookie2x", "X-Authorization", ""] {
        assert!(!is_sensitive(name.as_bytes()), "{name}");
    }
}

/// A value that is not UTF-8 (obs-text, RFC 9110 5.5) is shown with U+FFFD and cannot
/// break the line structure; a sensitive one is hidden all the same.
#[test]
fn obs_text_values() {
    let head =
        parsed_request(b"GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xe9\r\nCookie: \xff\xfe\r\n\r\n");
    assert_eq!(
        head.redacted().to_string(),
        "GET / HTTP/1.1\nHost: x\nX-Name: caf\u{FFFD}\nCookie: Secret(<redacted>)\n"
    );
}

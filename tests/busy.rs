//! The busy machines (`Server::too_busy`): the protocol's refusal, then closed, with
//! `Closed` as the one event; HTTP answers only once a request head has ended, however
//! the bytes are split, then lingers until the client closes or 2 s pass.

use core::time::Duration;
use wirestate::http::BUSY_RESPONSE;
use wirestate::{greeting, http, pop3, smtp, CloseReason, Instant, Machine};

/// Every transmit, concatenated.
fn sent<M: Machine>(m: &mut M) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = m.poll_transmit() {
        out.extend_from_slice(&b);
    }
    out
}

/// Every event, drained.
fn events<M: Machine>(m: &mut M) -> Vec<M::Event> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

#[test]
fn greeting_smtp_pop3_refuse_at_once_and_ignore_input() {
    let mut g = greeting::Server::too_busy(Default::default());
    let mut s = smtp::Server::too_busy(Default::default());
    let mut p = pop3::Server::too_busy(Default::default());
    assert!(!g.wants_input() && !s.wants_input() && !p.wants_input());
    // Input before the refusal is taken (a client that does not wait) changes nothing.
    g.handle_input(Instant::ZERO, b"Ada");
    s.handle_input(Instant::ZERO, b"EHLO x\r\n");
    p.handle_input(Instant::ZERO, b"USER u\r\n");
    assert_eq!(sent(&mut g), b"Busy!");
    assert_eq!(
        sent(&mut s),
        b"421 4.7.0 localhost Too many connections, try again later\r\n"
    );
    let pop = String::from_utf8(sent(&mut p)).unwrap();
    assert!(pop.starts_with("-ERR [SYS/TEMP] "), "{pop}");
    assert!(g.is_closed() && s.is_closed() && p.is_closed());
    assert_eq!(
        events(&mut g),
        [greeting::ServerEvent::Closed(CloseReason::Local)]
    );
    assert_eq!(
        events(&mut s),
        [smtp::ServerEvent::Closed(CloseReason::Local)]
    );
    assert_eq!(
        events(&mut p),
        [pop3::ServerEvent::Closed(CloseReason::Local)]
    );
    // Said once; no timer.
    assert!(sent(&mut s).is_empty() && events(&mut s).is_empty());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn smtp_uses_the_configured_hostname() {
    let mut config = smtp::ServerConfig::default();
    config.hostname = smtp::Domain::parse("mx.example.org").unwrap();
    let mut s = smtp::Server::too_busy(config);
    assert!(sent(&mut s).starts_with(b"421 4.7.0 mx.example.org "));
}

const REQUEST: &[u8] =
    b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nCookie: a=b\r\n\r\nGET /again HTTP/1.1\r\n";

/// Feeds `REQUEST` split at `cut`; returns the machine and where (in bytes fed) the
/// answer first appeared.
fn http_fed(cut: usize) -> (http::Busy, usize) {
    let mut m = http::Server::too_busy(Default::default());
    let mut answered_at = None;
    for (start, piece) in [(0, &REQUEST[..cut]), (cut, &REQUEST[cut..])] {
        for (i, b) in piece.iter().enumerate() {
            m.handle_input(Instant::ZERO, std::slice::from_ref(b));
            let out = sent(&mut m);
            if !out.is_empty() {
                assert_eq!(out, BUSY_RESPONSE);
                assert!(answered_at.is_none(), "answered twice");
                answered_at = Some(start + i + 1);
            }
        }
    }
    (m, answered_at.expect("answered"))
}

#[test]
fn http_answers_after_the_first_head_however_split() {
    // Leading empty lines are skipped (RFC 9112 2.2): the answer comes right after the
    // empty line that ends the first head.
    let end = REQUEST
        .windows(4)
        .enumerate()
        .skip(4)
        .find(|(_, w)| w == b"\r\n\r\n")
        .map(|(i, _)| i + 4)
        .unwrap();
    for cut in 0..=REQUEST.len() {
        let (mut m, at) = http_fed(cut);
        assert_eq!(at, end, "cut at {cut}");
        assert!(!m.is_closed() && m.wants_input(), "lingers, reading");
        m.handle_eof(Instant::ZERO);
        assert!(m.is_closed());
        assert_eq!(
            events(&mut m),
            [http::ServerEvent::Closed(CloseReason::Local)]
        );
    }
}

#[test]
fn http_lingers_at_most_two_seconds() {
    let mut m = http::Server::too_busy(Default::default());
    let t0 = Instant::from_millis(5_000);
    m.handle_input(t0, b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(sent(&mut m), BUSY_RESPONSE);
    assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(2)));
    m.handle_timeout(t0 + Duration::from_millis(1_999));
    assert!(!m.is_closed());
    m.handle_timeout(t0 + Duration::from_secs(2));
    assert!(m.is_closed());
    assert_eq!(m.poll_timeout(), None);
    assert_eq!(
        events(&mut m),
        [http::ServerEvent::Closed(CloseReason::Local)]
    );
}

#[test]
fn http_without_a_request() {
    // The client leaves: nothing is said.
    let mut m = http::Server::too_busy(Default::default());
    m.handle_input(Instant::ZERO, b"GET / HT");
    m.handle_eof(Instant::ZERO);
    assert!(sent(&mut m).is_empty() && m.is_closed());
    assert_eq!(
        events(&mut m),
        [http::ServerEvent::Closed(CloseReason::PeerClosed {
            unterminated: 8
        })]
    );
    // The client never asks: closed quietly at the idle timeout.
    let mut m = http::Server::too_busy(Default::default());
    let idle = http::ServerConfig::default().timeouts.idle.unwrap();
    assert_eq!(m.poll_timeout(), Some(Instant::ZERO + idle));
    m.handle_timeout(Instant::ZERO + idle);
    assert!(sent(&mut m).is_empty() && m.is_closed());
    assert_eq!(
        events(&mut m),
        [http::ServerEvent::Closed(CloseReason::Timeout)]
    );
}

/// A head that never ends is answered once it passes `max_head`, and nothing is kept.
#[test]
fn http_endless_head_is_answered_at_the_limit() {
    let mut config = http::ServerConfig::default();
    config.limits.max_head = 1024;
    let mut m = http::Server::too_busy(config);
    let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut fed = 0;
    while sent(&mut m).is_empty() {
        m.handle_input(Instant::ZERO, line);
        fed += line.len();
        assert!(fed <= 1024 + line.len(), "answered by the limit");
    }
    assert!(std::mem::size_of::<http::Busy>() < 256);
}

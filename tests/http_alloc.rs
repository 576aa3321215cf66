//! Allocation budget of the HTTP hot path, counted with a counting global allocator, for
//! both roles: a head on a fresh connection costs at most one allocation (the shared
//! handle on the receive buffer that the head's bytes keep), a head on a kept-alive
//! connection none, a body chunk and an end of message none. The count covers
//! `handle_input` (copying the read in) and every `poll_event` up to the event; a
//! connection's own set-up is counted on its own, so nothing can hide there either. A
//! head read in place (`Server::poll_request_ref`, `Client::poll_response_ref`) costs
//! nothing at all.

use bytes::Bytes;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use wirestate::http::{
    Client, ClientEvent, Method, RequestHead, ResponseHead, Server, ServerEvent, StatusCode,
};
use wirestate::{Instant, Machine};

struct Counting;

// Per thread, so tests running in parallel do not count each other's allocations.
thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
    static ON: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if ON.with(Cell::get) {
        COUNT.with(|c| c.set(c.get() + 1));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f`.
fn counted<T>(f: impl FnOnce() -> T) -> (T, usize) {
    COUNT.with(|c| c.set(0));
    ON.with(|o| o.set(true));
    let out = f();
    ON.with(|o| o.set(false));
    (out, COUNT.with(Cell::get))
}

const BROWSER: &[u8] = b"GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n\
Keep-Alive: 115\r\n\
Connection: keep-alive\r\n\
Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; __utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n\r\n";

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\n\
Date: Wed, 21 Oct 2015 07:28:00 GMT\r\n\
Content-Type: text/plain\r\n\
Set-Cookie: session=60; user_id=1\r\n\
Content-Length: 2\r\n\r\nok";

const CHUNKED_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
5\r\nhello\r\n6\r\n world\r\n3;x=y\r\n!!!\r\n0\r\n\r\n";

/// A server's own set-up: its queues and the receive buffer's first 2 KiB.
const SETUP: usize = 3;

/// Every event `poll_event` has now, with the allocations each cost.
fn server_events(s: &mut Server) -> Vec<(ServerEvent, usize)> {
    std::iter::from_fn(|| match counted(|| s.poll_event()) {
        (Some(e), n) => Some((e, n)),
        (None, _) => None,
    })
    .collect()
}

fn client_events(c: &mut Client) -> Vec<(ClientEvent, usize)> {
    std::iter::from_fn(|| match counted(|| c.poll_event()) {
        (Some(e), n) => Some((e, n)),
        (None, _) => None,
    })
    .collect()
}

fn answer(s: &mut Server) {
    s.respond(ResponseHead::new(StatusCode::OK), Bytes::from_static(b"ok"))
        .unwrap();
    while s.poll_transmit().is_some() {}
}

fn get(c: &mut Client) {
    let mut req = RequestHead::new(Method::Get, "/").unwrap();
    req.headers.append("Host", "example.com").unwrap();
    c.send_request(req).unwrap();
    c.send_end().unwrap();
    while c.poll_transmit().is_some() {}
}

#[test]
fn a_request_head_on_a_fresh_connection_costs_at_most_one_allocation() {
    let (mut s, setup) = counted(|| Server::new(Default::default()));
    assert!(setup <= SETUP, "set-up cost {setup} allocations");
    let ((), input) = counted(|| s.handle_input(Instant::ZERO, BROWSER));
    let (e, head) = counted(|| s.poll_event());
    assert!(matches!(e, Some(ServerEvent::Request { .. })), "{e:?}");
    assert!(
        input + head <= 1,
        "the head cost {input} allocations in handle_input and {head} in poll_event"
    );
    drop(e);
    let (e, end) = counted(|| s.poll_event());
    assert!(matches!(e, Some(ServerEvent::End { .. })), "{e:?}");
    assert_eq!(end, 0, "the end of a bodyless request allocated");
}

#[test]
fn a_request_head_read_in_place_costs_no_allocation_even_on_a_fresh_connection() {
    let mut s = Server::new(Default::default());
    for round in 0..200 {
        let ((), input) = counted(|| s.handle_input(Instant::ZERO, BROWSER));
        let (target_len, head) = counted(|| s.poll_request_ref().map(|r| r.target().len()));
        assert_eq!(target_len, Some(60), "round {round}");
        let (e, end) = counted(|| s.poll_event());
        assert!(matches!(e, Some(ServerEvent::End { .. })), "{e:?}");
        assert_eq!(
            (input, head, end),
            (0, 0, 0),
            "round {round}: allocations in handle_input, poll_request_ref, poll_event"
        );
        answer(&mut s);
    }
}

#[test]
fn request_heads_on_a_kept_alive_connection_cost_no_allocation() {
    let mut s = Server::new(Default::default());
    for round in 0..200 {
        let ((), mut n) = counted(|| s.handle_input(Instant::ZERO, BROWSER));
        let events = server_events(&mut s);
        assert_eq!(events.len(), 2, "round {round}: {events:?}");
        assert!(matches!(events[0].0, ServerEvent::Request { .. }));
        assert!(matches!(events[1].0, ServerEvent::End { .. }));
        n += events.iter().map(|(_, n)| n).sum::<usize>();
        drop(events);
        // The first head on the connection may share the receive buffer (one allocation);
        // every later one reuses it.
        let budget = usize::from(round == 0);
        assert!(n <= budget, "round {round}: a request cost {n} allocations");
        answer(&mut s);
    }
}

#[test]
fn pipelined_heads_share_one_buffer_and_body_chunks_cost_nothing() {
    let mut s = Server::new(Default::default());
    let mut input = Vec::new();
    for _ in 0..50 {
        input.extend_from_slice(BROWSER);
        input.extend_from_slice(
            b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n6\r\n world\r\n3;x=y\r\n!!!\r\n0\r\n\r\n",
        );
    }
    // One read of 40 KiB: more than the buffer's first 2 KiB, so it grows once.
    let ((), grow) = counted(|| s.handle_input(Instant::ZERO, &input));
    assert!(grow <= 1, "copying one read in cost {grow} allocations");
    let (mut heads, mut chunks, mut ends) = (0, 0, 0);
    let mut head_allocs = 0;
    loop {
        let (e, n) = counted(|| s.poll_event());
        let Some(e) = e else { break };
        match e {
            ServerEvent::Request { .. } => {
                heads += 1;
                head_allocs += n;
            }
            ServerEvent::Data(_) | ServerEvent::ChunkExtension(_) => {
                chunks += 1;
                assert_eq!(n, 0, "a body chunk cost {n} allocations");
            }
            ServerEvent::End { .. } => {
                ends += 1;
                assert_eq!(n, 0, "an end of message cost {n} allocations");
                // Answered outside the count, as a server would, so requests do not
                // pile up in the pipeline queue.
                answer(&mut s);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((heads, chunks, ends), (100, 150 + 50, 100));
    // All 100 heads are views of the one buffer: only the first shares it.
    assert!(
        head_allocs <= 1,
        "{head_allocs} allocations for {heads} heads"
    );
}

#[test]
fn a_head_with_many_fields_costs_one_allocation() {
    let mut s = Server::new(Default::default());
    let mut req = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..40 {
        req.extend_from_slice(format!("X-Field-{i}: value {i}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    let ((), input) = counted(|| s.handle_input(Instant::ZERO, &req));
    let (e, n) = counted(|| s.poll_event());
    assert!(matches!(e, Some(ServerEvent::Request { head: r, .. }) if r.headers.len() == 41));
    // The fields are read where they are: no list of offsets, however many there are.
    assert!(input + n <= 1, "{input} + {n} allocations");
}

#[test]
fn a_response_head_on_a_fresh_connection_costs_at_most_one_allocation() {
    let (mut c, setup) = counted(|| Client::new(Default::default()));
    assert!(setup <= SETUP, "set-up cost {setup} allocations");
    get(&mut c);
    let ((), input) = counted(|| c.handle_input(Instant::ZERO, RESPONSE));
    let (e, head) = counted(|| c.poll_event());
    let Some(ClientEvent::Response(r)) = e else {
        panic!("{e:?}")
    };
    assert_eq!(r.headers.get(b"content-type"), Some(&b"text/plain"[..]));
    assert!(
        input + head <= 1,
        "the head cost {input} allocations in handle_input and {head} in poll_event"
    );
}

#[test]
fn responses_on_a_kept_alive_connection_cost_no_allocation() {
    let mut c = Client::new(Default::default());
    for round in 0..200 {
        // Alternately a Content-Length and a chunked body.
        let wire = if round % 2 == 0 {
            RESPONSE
        } else {
            CHUNKED_RESPONSE
        };
        get(&mut c);
        let ((), mut n) = counted(|| c.handle_input(Instant::ZERO, wire));
        let events = client_events(&mut c);
        assert!(
            matches!(events[0].0, ClientEvent::Response(_)),
            "{events:?}"
        );
        assert!(
            matches!(events.last(), Some((ClientEvent::End { .. }, _))),
            "{events:?}"
        );
        for (e, k) in &events[1..] {
            assert_eq!(*k, 0, "round {round}: {e:?} cost {k} allocations");
        }
        n += events.iter().map(|(_, n)| n).sum::<usize>();
        drop(events);
        let budget = usize::from(round == 0);
        assert!(
            n <= budget,
            "round {round}: a response cost {n} allocations"
        );
    }
}

#[test]
fn a_response_head_read_in_place_costs_no_allocation_even_on_a_fresh_connection() {
    let mut c = Client::new(Default::default());
    for round in 0..200 {
        get(&mut c);
        let ((), input) = counted(|| c.handle_input(Instant::ZERO, RESPONSE));
        let (kind, head) = counted(|| {
            c.poll_response_ref()
                .map(|r| r.header(b"content-type").map(<[u8]>::len))
        });
        assert_eq!(kind, Some(Some(10)), "round {round}");
        assert_eq!(
            (input, head),
            (0, 0),
            "round {round}: allocations in handle_input, poll_response_ref"
        );
        // The body's one chunk shares the receive buffer: sharing it the first time is
        // the connection's one allocation.
        let events = client_events(&mut c);
        assert!(
            matches!(
                &events[..],
                [(ClientEvent::Data(_), _), (ClientEvent::End { .. }, 0)]
            ),
            "round {round}: {events:?}"
        );
        assert!(
            events[0].1 <= usize::from(round == 0),
            "round {round}: {events:?}"
        );
    }
}

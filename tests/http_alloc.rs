//! Allocation budget of the HTTP hot path, counted with a counting global allocator:
//! decoding a message head costs at most one allocation (its field offsets), a body
//! chunk none. Only `poll_event` calls are counted:
//! copying input in and queueing responses are separate costs.

use bytes::Bytes;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use wirestate::http::{ResponseHead, Server, ServerEvent, StatusCode};
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

#[test]
fn pipelined_heads_cost_at_most_one_allocation_each_and_chunks_none() {
    let mut s = Server::new(Default::default());
    let mut input = Vec::new();
    for _ in 0..50 {
        input.extend_from_slice(BROWSER);
        input.extend_from_slice(
            b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n6\r\n world\r\n3;x=y\r\n!!!\r\n0\r\n\r\n",
        );
    }
    s.handle_input(Instant::ZERO, &input);
    let mut heads = 0;
    let mut chunks = 0;
    let mut total = 0;
    loop {
        let (e, n) = counted(|| s.poll_event());
        let Some(e) = e else { break };
        total += n;
        match e {
            ServerEvent::Request { .. } => heads += 1,
            ServerEvent::Data(_) => chunks += 1,
            ServerEvent::End { .. } => {
                // Answered outside the count, as a server would, so requests do not
                // pile up in the pipeline queue.
                s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
                    .unwrap();
                while s.poll_transmit().is_some() {}
            }
            _ => {}
        }
    }
    assert_eq!(heads, 100);
    assert_eq!(chunks, 150);
    // One allocation per head (its field offsets: one Vec, sized from the line count
    // the scan already knows, so it never grows), plus once per read for sharing the
    // receive buffer; nothing per body chunk.
    assert!(
        total <= heads + 1,
        "{total} allocations for {heads} heads and {chunks} chunks"
    );
}

#[test]
fn a_head_per_read_costs_at_most_one_allocation_in_steady_state() {
    let mut s = Server::new(Default::default());
    let mut worst = 0;
    for round in 0..200 {
        s.handle_input(Instant::ZERO, BROWSER);
        let mut n_round = 0;
        while let (Some(e), n) = counted(|| s.poll_event()) {
            n_round += n;
            drop(e);
        }
        if round > 0 {
            worst = worst.max(n_round);
        }
        s.respond(ResponseHead::new(StatusCode::OK), Bytes::from_static(b"ok"))
            .unwrap();
        while s.poll_transmit().is_some() {}
    }
    assert!(worst <= 1, "a head cost {worst} allocations");
}

#[test]
fn a_head_with_many_fields_costs_one_allocation() {
    let mut s = Server::new(Default::default());
    let mut req = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..40 {
        req.extend_from_slice(format!("X-Field-{i}: value {i}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    s.handle_input(Instant::ZERO, &req);
    let (e, n) = counted(|| s.poll_event());
    assert!(matches!(e, Some(ServerEvent::Request { head: r, .. }) if r.headers.len() == 41));
    // One for the field offsets, at most one for sharing the receive buffer.
    assert!(n <= 2, "{n} allocations");
}

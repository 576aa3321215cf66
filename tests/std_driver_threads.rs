//! The `std::net` driver's threads (`examples/support/std_io.rs`): a thread that has
//! finished its connection serves a later one, and a connection never waits for a busy
//! thread.

#[allow(dead_code)]
#[path = "common/says_hi.rs"]
mod says_hi;
#[path = "../examples/support/mod.rs"]
mod support;

use says_hi::SaysHi;
use std::collections::HashSet;
use std::io::Read;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;
use support::Handler;

struct Quiet;

impl Handler<SaysHi> for Quiet {
    fn on_event(&mut self, _: &mut SaysHi, _: ()) {}
}

/// Starts the std driver's server; every connection records the thread that serves it.
fn server() -> (String, Arc<Mutex<Vec<ThreadId>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let served = Arc::new(Mutex::new(Vec::new()));
    let record = served.clone();
    std::thread::spawn(move || {
        support::std_io::serve(listener, 1024, move |_| {
            record.lock().unwrap().push(std::thread::current().id());
            (SaysHi::default(), Quiet)
        })
    });
    (addr, served)
}

fn open(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut hi = [0u8; 2];
    s.read_exact(&mut hi)
        .expect("the server greets every connection at once");
    assert_eq!(&hi, b"hi");
    s
}

/// Closes our side and reads until the server has closed its side too.
fn close(mut s: TcpStream) {
    s.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "nothing after the greeting: {rest:?}");
}

#[test]
fn sequential_connections_reuse_a_finished_thread() {
    let (addr, served) = server();
    for _ in 0..20 {
        close(open(&addr));
        // The server's thread goes back to waiting right after it has closed; give it
        // the moment it needs, so that the next connection finds it waiting.
        std::thread::sleep(Duration::from_millis(20));
    }
    let served = served.lock().unwrap();
    assert_eq!(served.len(), 20);
    let threads: HashSet<_> = served.iter().collect();
    // One thread would serve all 20 if every handover were won; a thread for every
    // connection (20) is what the driver did before it reused them.
    assert!(
        threads.len() <= 10,
        "20 sequential connections used {} threads",
        threads.len()
    );
}

#[test]
fn connections_open_at_once_get_threads_of_their_own() {
    let (addr, served) = server();
    // Warm up a waiting thread, then hold several connections open together: each must
    // be greeted while the others are still open.
    close(open(&addr));
    std::thread::sleep(Duration::from_millis(20));
    let open_now: Vec<TcpStream> = (0..5).map(|_| open(&addr)).collect();
    for s in open_now {
        close(s);
    }
    let served = served.lock().unwrap();
    assert_eq!(served.len(), 6);
    let threads: HashSet<_> = served[1..].iter().collect();
    assert_eq!(
        threads.len(),
        5,
        "five connections open at once, one thread each"
    );
}

//! The client side of the example drivers (`examples/support/{std_io,mio_io,tokio_io}.rs`
//! through `cli::connect`): a socket error ends the connection as an error the caller
//! sees, the same on every driver, not as a quiet close that a program would report as
//! success.

#[allow(dead_code)]
#[path = "common/says_hi.rs"]
mod says_hi;
#[path = "../examples/support/mod.rs"]
mod support;

use says_hi::SaysHi;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::time::Duration;
use support::cli::{connect, Driver};
use support::Handler;

struct Quiet;

impl Handler<SaysHi> for Quiet {
    fn on_event(&mut self, _: &mut SaysHi, _: ()) {}
}

/// A peer that accepts, waits for the client's line and closes without reading it:
/// Linux then resets the connection (RFC 1122 4.2.2.13), so the client's read fails
/// with ECONNRESET.
fn resetting_peer() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut byte = [0u8; 1];
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // Wait until the line is there, leaving it unread.
        let _ = sock.peek(&mut byte);
        drop(sock);
    });
    addr
}

#[test]
fn a_reset_connection_is_an_error_on_every_client_driver() {
    for driver in [Driver::Std, Driver::Mio, Driver::Tokio] {
        let addr = resetting_peer();
        let mut m = SaysHi::default();
        let result = connect(driver, &addr, &mut m, 4096, Quiet);
        let err = result.expect_err(&format!("{driver:?}: a reset reported as a clean close"));
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{driver:?}: {err}");
        assert!(m.said, "{driver:?}: the line was sent first");
    }
}

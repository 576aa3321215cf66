//! `examples/support/quick_ack.rs`: the client side of the drivers asks for an ACK at
//! once after it reads. What that saves is time (a delayed ACK holding back a server's
//! Nagle-delayed answer, measured by `benches/tls.rs`), which tests do not assert; this
//! checks that the call sets the socket option it is meant to.

#[allow(dead_code)]
#[path = "../examples/support/quick_ack.rs"]
mod quick_ack;

use std::net::{TcpListener, TcpStream};

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn ack_now_sets_tcp_quickack() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let _server = listener.accept().unwrap();
    let sock = socket2::SockRef::from(&client);
    // A quiet connection may be in either mode; turn quick ACKs off to see the call
    // turn them on.
    sock.set_tcp_quickack(false).unwrap();
    assert!(!sock.tcp_quickack().unwrap());
    quick_ack::ack_now(&client);
    assert!(
        sock.tcp_quickack().unwrap(),
        "TCP_QUICKACK is set after ack_now"
    );
}

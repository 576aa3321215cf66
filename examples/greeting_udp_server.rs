//! The greeting over UDP: one datagram in, `Hello, <datagram>!` out.
//!
//! `cargo run --example greeting_udp_server -- [--addr 127.0.0.1:9999]`
mod support;

fn main() -> std::io::Result<()> {
    let args = support::Args::parse(&[]);
    let socket = support::greeting::bind_udp(&args.addr("127.0.0.1:9999"))?;
    support::greeting::serve_udp(&socket)
}

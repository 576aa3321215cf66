//! The greeting server over `std::net`, one thread per connection.
//!
//! `cargo run --example greeting_server -- [--addr 127.0.0.1:9999] [--framing chunk|line]`
mod support;

fn main() -> std::io::Result<()> {
    let args = support::Args::parse(&[]);
    let framing = support::greeting::framing(&args);
    let listener = support::std_io::bind(&args.addr("127.0.0.1:9999"))?;
    support::greeting::serve_tcp(listener, framing)
}

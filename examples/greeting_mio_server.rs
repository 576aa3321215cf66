//! The greeting server on one `mio` event loop, for many concurrent connections.
//!
//! `cargo run --example greeting_mio_server -- [--addr 127.0.0.1:9999] [--framing chunk|line]`
mod support;

use wirestate::greeting::{Server, ServerConfig};

fn main() -> std::io::Result<()> {
    let args = support::Args::parse(&[]);
    let framing = support::greeting::framing(&args);
    let listener = support::mio_io::bind(&args.addr("127.0.0.1:9999"))?;
    support::mio_io::serve(listener, support::greeting::READ_SIZE, move |_peer| {
        let handler = support::events(support::greeting::log_errors);
        (Server::new(ServerConfig::new(framing)), handler)
    })
}

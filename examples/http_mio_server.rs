//! The load target: `cargo run --release --example http_mio_server [-- --addr ADDR]`.
//! One mio event loop answers `GET /` with a small fixed body, keep-alive and pipelining
//! included.
mod support;

use support::{http, mio_io, Args};
use wirestate::http::{Server, ServerConfig};

fn main() {
    let args = Args::parse(&[]);
    let addr = args.addr("127.0.0.1:8080");
    let run = || -> std::io::Result<()> {
        let addr: std::net::SocketAddr = addr
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = mio::net::TcpListener::bind(addr)?;
        eprintln!("listening on {}", listener.local_addr()?);
        mio_io::serve(listener, http::READ_SIZE, |_peer| {
            (
                Server::new(ServerConfig::default()),
                support::events(http::fixed_body),
            )
        })
    };
    if let Err(e) = run() {
        eprintln!("http_mio_server: {e}");
        std::process::exit(1);
    }
}

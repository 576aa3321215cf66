//! A static file server: `cargo run --example http_server -- --root DIR [--addr ADDR]`.
//! std, one thread per connection; GET and HEAD, 404, 405 with `Allow`, keep-alive and
//! pipelining come from the machine.
mod support;

use support::{http, std_io, Args};

fn main() {
    let args = Args::parse(&[]);
    let root = std::path::PathBuf::from(args.get("root").unwrap_or("."));
    if !root.is_dir() {
        eprintln!("--root {} is not a directory", root.display());
        std::process::exit(2);
    }
    let result = std_io::bind(&args.addr("127.0.0.1:8080"))
        .and_then(|listener| http::serve_files(listener, root));
    if let Err(e) = result {
        eprintln!("http_server: {e}");
        std::process::exit(1);
    }
}

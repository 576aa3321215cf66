//! The classic tutorial client:
//! `cargo run --example http_get -- http://127.0.0.1:8080/ -o body.html`.
//! Sends `GET` with `Connection: close`, prints the response head, saves the body
//! (to stdout without `-o`). Chunked and close-delimited responses work the same.
mod support;

use std::io::Write;
use support::{http, Args};

fn main() {
    let args = Args::parse(&[]);
    let default = format!("http://{}/", args.addr("127.0.0.1:8080"));
    let url = args.positional.first().cloned().unwrap_or(default);
    let Some((host, port, path)) = http::parse_url(&url) else {
        eprintln!("usage: http_get http://HOST[:PORT]/PATH [-o FILE]");
        std::process::exit(2);
    };
    let connect = args
        .get("addr")
        .map(str::to_string)
        .unwrap_or_else(|| format!("{host}:{port}"));
    let host_field = if port == 80 {
        host.clone()
    } else {
        format!("{host}:{port}")
    };
    let result = match args.get("o") {
        Some(file) => std::fs::File::create(file).and_then(|mut f| {
            let fetched = http::fetch(&connect, &host_field, &path, &mut f)?;
            f.flush()?;
            Ok(fetched)
        }),
        None => http::fetch(&connect, &host_field, &path, &mut std::io::stdout().lock()),
    };
    match result {
        Ok(fetched) => {
            eprint!("{}", http::head_text(&fetched.head));
            match args.get("o") {
                Some(file) => eprintln!("\nsaved {} bytes to {file}", fetched.body_len),
                None => eprintln!(),
            }
        }
        Err(e) => {
            eprintln!("http_get: {e}");
            std::process::exit(1);
        }
    }
}

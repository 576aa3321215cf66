//! The classic tutorial client:
//! `cargo run --example http_get -- http://127.0.0.1:8080/ -o body.html
//! [--driver std|mio|tokio] [--addr HOST:PORT] [--ca FILE]`.
//! Sends `GET` with `Connection: close`, prints the response head, saves the body
//! (to stdout without `-o`). Chunked and close-delimited responses work the same.
//! `https://` URLs are verified against the system roots, or `--ca FILE`, with the host
//! name checked; there is no way to switch verification off.
mod support;

use clap::{CommandFactory, Parser};
use std::io::Write;
use support::http::{self, GetCli, Url};

fn main() {
    let cli = GetCli::parse();
    let raw = cli.url.clone().unwrap_or_else(|| {
        format!(
            "http://{}/",
            cli.addr.as_deref().unwrap_or(http::DEFAULT_ADDR)
        )
    });
    let Some(url) = Url::parse(&raw) else {
        GetCli::command()
            .error(
                clap::error::ErrorKind::InvalidValue,
                format!("not an http:// or https:// URL: {raw}"),
            )
            .exit();
    };
    let connect = cli.addr.as_deref();
    let driver = cli.driver.driver;
    let result = match &cli.output {
        Some(file) => std::fs::File::create(file).and_then(|mut f| {
            let fetched = http::fetch_url(driver, &url, connect, &cli.tls, &mut f)?;
            f.flush()?;
            Ok(fetched)
        }),
        None => http::fetch_url(
            driver,
            &url,
            connect,
            &cli.tls,
            &mut std::io::stdout().lock(),
        ),
    };
    match result {
        Ok(fetched) => {
            eprint!("{}", http::head_text(&fetched.head));
            match &cli.output {
                Some(file) => eprintln!("\nsaved {} bytes to {}", fetched.body_len, file.display()),
                None => eprintln!(),
            }
        }
        Err(e) => {
            eprintln!("http_get: {e}");
            std::process::exit(1);
        }
    }
}

//! HTTP's part of the demo: serve a small page from a temporary directory with the
//! `http_server` handler, fetch it with the client machine exactly as `http_get` does
//! (`GET /` with `Connection: close`), save the body under the work dir.

use crate::support::{http, std_io};
use std::io;
use std::path::Path;

const PAGE: &str = "<!doctype html>\n<title>wirestate</title>\n<h1>Hello from wirestate</h1>\n";

pub fn run(work_dir: &Path) -> io::Result<()> {
    let root = work_dir.join("http_root");
    std::fs::create_dir_all(&root)?;
    std::fs::write(root.join("index.html"), PAGE)?;

    let listener = std_io::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || http::serve_files(listener, root));
    println!("-- file server (http_server's handler) on {addr}, fetching http://{addr}/");

    let saved = work_dir.join("http_index.html");
    let mut file = std::fs::File::create(&saved)?;
    let fetched = http::fetch(&addr.to_string(), &addr.to_string(), "/", &mut file)?;
    print!("{}", http::head_text(&fetched.head));
    println!("\nsaved {} bytes to {}", fetched.body_len, saved.display());
    let body = std::fs::read_to_string(&saved)?;
    if body != PAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "saved body differs from the page",
        ));
    }
    Ok(())
}

//! HTTP's part of the demo: serve a small page from a temporary directory with the
//! `http_server` handler, fetch it with the client machine exactly as `http_get` does
//! (`GET /` with `Connection: close`), save the body under the work dir; then the same
//! over HTTPS, with a certificate made for the run and verified by name.

use crate::support::cli::{ClientTlsArgs, ServerArgs};
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
    let served = root.clone();
    std::thread::spawn(move || http::serve_files(listener, served));
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
    https(work_dir, &root)
}

/// The same page over HTTPS: a self-signed certificate for `localhost` made now, the
/// server wrapped as `http_server --tls-cert --tls-key --implicit-tls` wraps it, and the
/// client trusting that certificate alone (`http_get --ca`).
fn https(work_dir: &Path, root: &Path) -> io::Result<()> {
    let key =
        rcgen::generate_simple_self_signed(vec!["localhost".into()]).map_err(io::Error::other)?;
    let (cert_path, key_path) = (work_dir.join("cert.pem"), work_dir.join("key.pem"));
    std::fs::write(&cert_path, key.cert.pem())?;
    std::fs::write(&key_path, key.signing_key.serialize_pem())?;
    let args = ServerArgs {
        tls_cert: Some(cert_path.clone()),
        tls_key: Some(key_path),
        implicit_tls: true,
        ..ServerArgs::default()
    };
    let tls = args.tls_config()?;
    let listener = std_io::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        std_io::serve(listener, http::READ_SIZE, move |_peer| {
            let machine = args.wrap(
                wirestate::http::Server::new(wirestate::http::ServerConfig::default()),
                &tls,
            );
            (machine, http::FileServer::new(&root).served())
        })
    });
    let url = http::Url::parse(&format!("https://localhost:{port}/")).expect("a valid URL");
    println!(
        "-- the same over HTTPS, fetching https://localhost:{port}/, trusting only its certificate"
    );
    let client = ClientTlsArgs {
        ca: Some(cert_path),
    };
    let mut body = Vec::new();
    let fetched = http::fetch_url(
        crate::support::cli::Driver::Std,
        &url,
        Some(&format!("127.0.0.1:{port}")),
        &client,
        &mut body,
    )?;
    print!("{}", http::head_text(&fetched.head));
    if body != PAGE.as_bytes() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the HTTPS body differs from the page",
        ));
    }
    println!("\n{} bytes over TLS", fetched.body_len);
    Ok(())
}

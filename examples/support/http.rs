//! HTTP handler code shared by the example programs and the demo: the file server's
//! handler (files streamed a chunk at a time through `on_send_ready`), the fixed-body
//! responder, and the `http_get` fetch.

use super::cli::{self, ClientDriverArgs, ClientTlsArgs, Driver, ServerArgs};
use super::{std_io, Handler};
use bytes::Bytes;
use clap::{CommandFactory, Parser, ValueEnum};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use wirestate::http::{
    Client, ClientConfig, ClientEvent, Method, RequestHead, ResponseHead, Server, ServerConfig,
    ServerEvent, StatusCode,
};
use wirestate::tls::{Start, Tls};
use wirestate::Machine;

/// Bytes of a file sent per `send_data`: at most this much of a body is in memory.
pub const FILE_CHUNK: usize = 64 * 1024;

/// Bytes per read: large enough that a typical request arrives in one.
pub const READ_SIZE: usize = 64 * 1024;

/// The body of the fixed-body responder.
pub const HELLO: &[u8] = b"Hello, World!\n";

/// Answers every request as soon as its head arrives: `GET /` or `HEAD /` with
/// [`HELLO`], anything else 404. Stateless, so one handler serves every connection of
/// the mio event loop; request bodies are read and dropped by the machine.
pub fn fixed_body(conn: &mut Server, event: ServerEvent) {
    match event {
        ServerEvent::Request { head: req, .. } => {
            let found = is_hello(req.method.as_bytes(), req.target.as_bytes());
            answer_fixed(conn, found);
        }
        // Request bodies are read and dropped: let the client send them.
        ServerEvent::Continue(d) => {
            if let Err(e) = conn.send_continue(d) {
                eprintln!("continue: {e}");
            }
        }
        ServerEvent::Error(e) => eprintln!("request error: {e}"),
        _ => {}
    }
}

/// The fixed-body responder's answer to a head read in place, when the server has
/// one (`Server::poll_request_ref`): the same answer as [`fixed_body`] gives, without
/// the owned head. Whether a head was taken.
pub fn fixed_body_in_place(conn: &mut Server) -> bool {
    let found = conn
        .poll_request_ref()
        .map(|r| is_hello(r.method(), r.target()));
    let Some(found) = found else {
        return false;
    };
    answer_fixed(conn, found);
    true
}

/// Whether a request gets [`HELLO`]: `GET /` or `HEAD /` (methods are case-sensitive,
/// RFC 9110 9.1).
fn is_hello(method: &[u8], target: &[u8]) -> bool {
    target == b"/" && matches!(method, b"GET" | b"HEAD")
}

/// `200` with [`HELLO`] when the request was for `/` (GET or HEAD), else `404`.
fn answer_fixed(conn: &mut Server, found: bool) {
    let (status, body) = if found {
        (StatusCode::OK, Bytes::from_static(HELLO))
    } else {
        (StatusCode::NOT_FOUND, Bytes::from_static(b"not found\n"))
    };
    let mut head = ResponseHead::new(status);
    head.headers
        .append("Content-Type", "text/plain; charset=utf-8")
        .expect("static header");
    if let Err(e) = conn.respond(head, body) {
        eprintln!("respond: {e}");
    }
}

/// What a request is answered with.
pub enum Answer {
    /// A file, streamed: its open handle, its length, its content type.
    File(File, u64, &'static str),
    /// A small fixed response.
    Fixed(ResponseHead, Bytes),
}

/// Per-connection state of the file server: the requests read and not yet answered, in
/// order, and the file being streamed.
pub struct FileServer {
    root: PathBuf,
    request: Option<RequestHead>,
    queue: VecDeque<RequestHead>,
    sending: Option<File>,
}

impl FileServer {
    pub fn new(root: &Path) -> FileServer {
        FileServer {
            root: root.to_path_buf(),
            request: None,
            queue: VecDeque::new(),
            sending: None,
        }
    }

    /// Starts answering the oldest complete request, unless a body is still streaming.
    fn start_next(&mut self, conn: &mut Server) {
        while self.sending.is_none() {
            let Some(req) = self.queue.pop_front() else {
                return;
            };
            let result = match self.answer(&req) {
                Answer::Fixed(head, body) => conn.respond(head, body),
                Answer::File(file, len, kind) => {
                    let mut head = ResponseHead::new(StatusCode::OK);
                    head.headers.append("Content-Type", kind).expect("static");
                    head.headers
                        .append("Content-Length", len.to_string())
                        .expect("digits");
                    let r = conn.send_response(head);
                    // A HEAD response has no body: the machine ended it already.
                    if r.is_ok() && conn.wants_body() {
                        self.sending = Some(file);
                    }
                    r
                }
            };
            if let Err(e) = result {
                eprintln!("respond: {e}");
                return;
            }
        }
    }

    /// The response to one request: the file, 404, or 405 with `Allow`.
    pub fn answer(&self, req: &RequestHead) -> Answer {
        if !matches!(req.method, Method::Get | Method::Head) {
            let mut head = ResponseHead::new(StatusCode::METHOD_NOT_ALLOWED);
            head.headers.append("Allow", "GET, HEAD").expect("static");
            return Answer::Fixed(head, Bytes::from_static(b"method not allowed\n"));
        }
        let Some(path) = self.resolve(req.target.as_bytes()) else {
            return not_found();
        };
        let opened = File::open(&path).and_then(|f| {
            let meta = f.metadata()?;
            if meta.is_file() {
                Ok((f, meta.len()))
            } else {
                Err(io::Error::other("not a file"))
            }
        });
        match opened {
            Ok((file, len)) => Answer::File(file, len, content_type(&path)),
            Err(_) => not_found(),
        }
    }

    /// Maps an origin-form target to a file under the root: query dropped, `%XX`
    /// decoded, `.` and `..` segments refused, a directory served as its `index.html`.
    fn resolve(&self, target: &[u8]) -> Option<PathBuf> {
        let path = target.split(|&c| c == b'?').next()?;
        let path = percent_decode(path.strip_prefix(b"/")?)?;
        let mut out = self.root.clone();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if segment == "." || segment == ".." || segment.contains('\\') {
                return None;
            }
            out.push(segment);
        }
        if out.is_dir() {
            out.push("index.html");
        }
        Some(out)
    }
}

/// The file server's side of a connection: requests are answered once complete (a
/// body, if any, is drained first), in order, so pipelined requests get their answers
/// in turn; a file goes out one [`FILE_CHUNK`] per `on_send_ready`.
impl Handler<Server> for FileServer {
    fn on_event(&mut self, conn: &mut Server, event: ServerEvent) {
        self.event(conn, event)
    }

    fn on_send_ready(&mut self, conn: &mut Server) {
        self.send_ready(conn)
    }
}

impl FileServer {
    fn event(&mut self, conn: &mut Server, event: ServerEvent) {
        match event {
            ServerEvent::Request { head: req, .. } => self.request = Some(req),
            // Bodies of GET and HEAD are read and dropped; others get 405 at their end.
            ServerEvent::Continue(d) => {
                if let Err(e) = conn.send_continue(d) {
                    eprintln!("continue: {e}");
                }
            }
            ServerEvent::End { .. } => {
                if let Some(req) = self.request.take() {
                    self.queue.push_back(req);
                }
                self.start_next(conn);
            }
            ServerEvent::Error(e) => eprintln!("request error: {e}"),
            _ => {}
        }
    }

    fn send_ready(&mut self, conn: &mut Server) {
        let Some(file) = self.sending.as_mut() else {
            return;
        };
        let mut chunk = vec![0u8; FILE_CHUNK];
        let result = match file.read(&mut chunk) {
            Ok(0) => {
                self.sending = None;
                conn.send_end()
            }
            Ok(n) => {
                chunk.truncate(n);
                conn.send_data(Bytes::from(chunk))
            }
            Err(e) => {
                // The length is already promised: all that is left is to stop.
                eprintln!("read: {e}");
                self.sending = None;
                return;
            }
        };
        if let Err(e) = result {
            eprintln!("send: {e}");
            self.sending = None;
        }
        if self.sending.is_none() {
            self.start_next(conn);
        }
    }
}

fn not_found() -> Answer {
    let mut head = ResponseHead::new(StatusCode::NOT_FOUND);
    head.headers
        .append("Content-Type", "text/plain; charset=utf-8")
        .expect("static");
    Answer::Fixed(head, Bytes::from_static(b"not found\n"))
}

fn percent_decode(b: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    let s = String::from_utf8(out).ok()?;
    (!s.contains('\0')).then_some(s)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// Serves files from `root` on `listener`, one thread per connection.
pub fn serve_files(listener: std::net::TcpListener, root: PathBuf) -> io::Result<()> {
    std_io::serve(listener, READ_SIZE, move |_peer| {
        (Server::new(ServerConfig::default()), FileServer::new(&root))
    })
}

/// `http://host[:port]/path` split into (host, port, path).
pub fn parse_url(url: &str) -> Option<(String, u16, String)> {
    split_authority(url.strip_prefix("http://")?, 80)
}

/// A fetched response: its head and where its body went.
pub struct Fetched {
    pub head: ResponseHead,
    pub body_len: u64,
}

/// The classic tutorial client: `GET path` with `Connection: close` to `addr`, body
/// bytes written to `body` as they arrive. The response head is returned.
pub fn fetch(addr: &str, host: &str, path: &str, body: &mut dyn Write) -> io::Result<Fetched> {
    let machine = Tls::plaintext(Client::new(ClientConfig::default()));
    fetch_on(Driver::Std, addr, host, path, machine, body)
}

/// [`fetch`] with the client machine behind a TLS layer (plaintext or not).
fn fetch_on(
    driver: Driver,
    addr: &str,
    host: &str,
    path: &str,
    mut conn: Tls<Client>,
    body: &mut dyn Write,
) -> io::Result<Fetched> {
    let mut req = RequestHead::new(Method::Get, path).map_err(invalid)?;
    req.headers.append("Host", host).map_err(invalid)?;
    req.headers
        .append("User-Agent", "wirestate-http_get/0.1")
        .map_err(invalid)?;
    req.headers.append("Accept", "*/*").map_err(invalid)?;
    req.headers.append("Connection", "close").map_err(invalid)?;
    conn.send_request(req).map_err(invalid)?;
    conn.send_end().map_err(invalid)?;
    let mut head = None;
    let mut body_len = 0u64;
    let mut done = false;
    let mut failure = None;
    cli::connect(
        driver,
        addr,
        &mut conn,
        READ_SIZE,
        super::events(|_, event| match event {
            ClientEvent::Response(r) => head = Some(r),
            ClientEvent::Data(d) => {
                body_len += d.len() as u64;
                if let Err(e) = body.write_all(&d) {
                    failure.get_or_insert(e);
                }
            }
            ClientEvent::End { .. } => done = true,
            ClientEvent::Error(e) => {
                failure.get_or_insert(io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
            }
            _ => {}
        }),
    )?;
    if let Some(e) = conn.error() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("TLS: {e}"),
        ));
    }
    if let Some(e) = failure {
        return Err(e);
    }
    match head {
        Some(head) if done => Ok(Fetched { head, body_len }),
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before the response was complete",
        )),
    }
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

/// The response head as text, the way it came over the wire.
pub fn head_text(head: &ResponseHead) -> String {
    let mut s = format!(
        "{} {} {}\r\n",
        String::from_utf8_lossy(head.version.as_bytes()),
        head.status.as_u16(),
        String::from_utf8_lossy(&head.reason)
    );
    for (n, v) in head.headers.iter() {
        s.push_str(&format!(
            "{}: {}\r\n",
            String::from_utf8_lossy(n),
            String::from_utf8_lossy(v)
        ));
    }
    s
}

/// The default address of the HTTP servers.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// What the server answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Respond {
    /// Files under `--root`: GET and HEAD, 404, 405 with `Allow`.
    Files,
    /// `GET /` with a fixed `Hello, World!`, anything else 404: the load target.
    Hello,
}

/// An HTTP/1.1 server on any driver: keep-alive and pipelining come from the machine.
#[derive(Parser, Debug)]
pub struct ServerCli {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Directory served with `--respond files`.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// What every request is answered with.
    #[arg(long, value_enum, default_value_t = Respond::Files)]
    pub respond: Respond,
}

impl ServerCli {
    /// Parses the command line with the program's own defaults for `--driver` and
    /// `--respond`: `http_server` and `http_mio_server` are one server.
    pub fn parse_with(driver: Driver, respond: Respond) -> ServerCli {
        let driver = match driver {
            Driver::Std => "std",
            Driver::Mio => "mio",
            Driver::Tokio => "tokio",
        };
        let respond = match respond {
            Respond::Files => "files",
            Respond::Hello => "hello",
        };
        let matches = ServerCli::command()
            .mut_arg("driver", |a| a.default_value(driver))
            .mut_arg("respond", |a| a.default_value(respond))
            .get_matches();
        <ServerCli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// One connection's handler in the server programs: the file server or the fixed body,
/// errors logged (and with `--verbose` each request head, every field, credentials
/// redacted by `RequestHead::redacted`) with the client's address, from the PROXY header
/// when there is one.
pub struct ServedConn {
    peer: SocketAddr,
    verbose: bool,
    files: Option<FileServer>,
}

impl FileServer {
    /// This file server as the handler of a wrapped (`ServerArgs::wrap`) connection.
    pub fn served(self) -> ServedConn {
        ServedConn {
            peer: SocketAddr::from(([0, 0, 0, 0], 0)),
            verbose: false,
            files: Some(self),
        }
    }
}

impl Handler<cli::Served<Server>> for ServedConn {
    fn on_event(&mut self, conn: &mut cli::Served<Server>, event: ServerEvent) {
        let client = super::greeting::client_addr(conn, self.peer);
        match &event {
            // The library hides credential fields (Authorization, Cookie, ...) itself:
            // this program never looks at which fields are secret.
            ServerEvent::Request { head, .. } if self.verbose => {
                for line in head.redacted().to_string().lines() {
                    eprintln!("http: {client}: {line}");
                }
            }
            ServerEvent::Error(e) => eprintln!("http: {client}: {e}"),
            _ => {}
        }
        let server: &mut Server = conn;
        match &mut self.files {
            Some(files) => files.event(server, event),
            None => fixed_body(server, event),
        }
    }

    fn on_send_ready(&mut self, conn: &mut cli::Served<Server>) {
        if let Some(files) = &mut self.files {
            files.send_ready(conn);
        }
    }

    /// The fixed body answers heads read in place (no copy, no allocation per head);
    /// `--verbose` prints the owned head's fields, and the file server keeps each head
    /// until its body has ended, so both take heads as events.
    fn take_in_place(&mut self, conn: &mut cli::Served<Server>) -> bool {
        if self.files.is_some() || self.verbose {
            return false;
        }
        fixed_body_in_place(conn)
    }
}

/// Runs the server the flags describe, until killed.
pub fn run_server(cli: &ServerCli) -> io::Result<()> {
    if cli.respond == Respond::Files && !cli.root.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("--root {} is not a directory", cli.root.display()),
        ));
    }
    let tls = cli.server.tls_config()?;
    let args = cli.server.clone();
    let root = cli.root.clone();
    let respond = cli.respond;
    super::caps::serve(
        &cli.server,
        &args.addr_or(DEFAULT_ADDR),
        READ_SIZE,
        tls.clone(),
        || Server::too_busy(ServerConfig::default()),
        move |peer| {
            let mut config = ServerConfig::default();
            if let Some(d) = args.idle_timeout() {
                config.timeouts.idle = Some(d);
            }
            let machine = args.wrap(Server::new(config), &tls);
            let files = (respond == Respond::Files).then(|| FileServer::new(&root));
            let handler = ServedConn {
                peer,
                verbose: args.verbose,
                files,
            };
            (machine, handler)
        },
    )
}

/// `http_get`'s command line.
#[derive(Parser, Debug)]
pub struct GetCli {
    /// `http://HOST[:PORT]/PATH` or `https://...` (verified against the system roots or
    /// `--ca`, the host name checked).
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// Save the body to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Connect to HOST:PORT instead of the URL's host (the Host field and the TLS name
    /// stay the URL's).
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,
    #[command(flatten)]
    pub tls: ClientTlsArgs,
    #[command(flatten)]
    pub driver: ClientDriverArgs,
}

/// A parsed URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Url {
    /// `http://` or `https://`, host, optional port, path.
    pub fn parse(url: &str) -> Option<Url> {
        let (https, rest) = match url.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (false, url.strip_prefix("http://")?),
        };
        let default = if https { 443 } else { 80 };
        let (host, port, path) = split_authority(rest, default)?;
        Some(Url {
            https,
            host,
            port,
            path,
        })
    }

    /// The `Host` field: the port only when it is not the scheme's default.
    pub fn host_field(&self) -> String {
        let default = if self.https { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn split_authority(rest: &str, default: u16) -> Option<(String, u16, String)> {
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, p.parse().ok()?),
        _ => (authority, default),
    };
    (!host.is_empty()).then(|| (host.to_string(), port, path.to_string()))
}

/// Fetches `url` as `http_get` does, on `driver`, over TLS with `tls` for `https://`;
/// `connect` overrides the address connected to.
pub fn fetch_url(
    driver: Driver,
    url: &Url,
    connect: Option<&str>,
    tls: &ClientTlsArgs,
    body: &mut dyn Write,
) -> io::Result<Fetched> {
    let addr = connect
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}:{}", url.host, url.port));
    let conn = Client::new(ClientConfig::default());
    let machine = if url.https {
        let name = ClientTlsArgs::server_name(&url.host)?;
        Tls::client(conn, tls.config()?, name, Start::Implicit)
    } else {
        Tls::plaintext(conn)
    };
    fetch_on(driver, &addr, &url.host_field(), &url.path, machine, body)
}

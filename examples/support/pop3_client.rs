//! The POP3 fetch loop shared by `pop3_fetch` and the demo: log in, list, retrieve
//! every message (optionally deleting it), quit, the way a `poplib` script does, run by
//! the generic std driver, printing the dialogue if asked.
//!
//! TLS policy: implicit TLS (POP3S, RFC 8314), or STLS (RFC 2595) required or used when
//! offered, with the server's certificate verified; credentials go in the clear only
//! when the caller explicitly allows it.

use super::cli::{self, Driver};
use super::Handler;
use rustls::pki_types::ServerName;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use wirestate::pop3::{
    Client, ClientConfig, ClientEvent, CommandKind, MessageNumber, Response, SendError,
};
use wirestate::tls::{Start, Tls};
use wirestate::CloseReason;
use wirestate::Secret;

/// What to fetch and how.
pub struct FetchOptions<'a> {
    pub user: &'a str,
    pub pass: &'a Secret,
    pub tls: TlsMode,
    /// Send USER/PASS over a connection that is not TLS.
    pub allow_plaintext_auth: bool,
    /// Where each message is written, as `<unique-id>.eml` (or `<n>.eml` without UIDL).
    pub out_dir: &'a Path,
    pub delete: bool,
    /// Print the dialogue as `C:`/`S:` lines, message bodies abbreviated.
    pub verbose: bool,
    /// Which driver runs the connection.
    pub driver: Driver,
}

/// How the connection is protected.
#[derive(Clone)]
pub enum TlsMode {
    /// Plaintext throughout.
    None,
    /// TLS from the first byte (POP3S, port 995).
    Implicit(Arc<rustls::ClientConfig>, ServerName<'static>),
    /// STLS: `required` fails the session (before any credential) if the server does not
    /// offer it or it fails; otherwise it is used when offered.
    Stls {
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
        required: bool,
    },
}

/// One fetched message.
#[derive(Debug)]
pub struct Fetched {
    pub msg: u32,
    pub uid: Option<String>,
    pub path: PathBuf,
    pub octets: u64,
}

fn show(prefix: &str, line: &[u8]) {
    println!("{prefix} {}", String::from_utf8_lossy(line));
}

fn show_response(r: &Response) {
    let b = r.to_bytes();
    show("S:", &b[..b.len() - 2]);
}

struct State {
    listing: Vec<(u32, u64)>,
    uids: Vec<(u32, String)>,
    fetched: Vec<Fetched>,
    current: Option<(fs::File, Fetched, Vec<u8>)>,
    next: usize,
    error: Option<String>,
    done: bool,
    /// The server listed STLS in its last CAPA answer.
    offers_stls: bool,
    /// The last CAPA was answered with a listing (not `-ERR`).
    capa_ok: bool,
}

/// The application side of the fetch, as the generic driver calls it.
struct Fetch<'o, 'a> {
    opts: &'o FetchOptions<'a>,
    st: State,
}

/// Connects to `addr`, fetches every message into `opts.out_dir`, and returns them.
pub fn fetch_all(addr: &str, opts: &FetchOptions) -> io::Result<Vec<Fetched>> {
    fs::create_dir_all(opts.out_dir)?;
    // A server silent for a minute while an answer is due is taken for dead.
    let mut config = ClientConfig::default();
    config.timeouts.reply = Some(Duration::from_secs(60));
    let c = Client::new(config);
    let mut c = match &opts.tls {
        TlsMode::None => Tls::plaintext(c),
        TlsMode::Implicit(config, name) => {
            Tls::client(c, config.clone(), name.clone(), Start::Implicit)
        }
        TlsMode::Stls { config, name, .. } => {
            Tls::client(c, config.clone(), name.clone(), Start::WhenAsked)
        }
    };
    let mut fetch = Fetch {
        opts,
        st: State {
            listing: vec![],
            uids: vec![],
            fetched: vec![],
            current: None,
            next: 0,
            error: None,
            done: false,
            offers_stls: false,
            capa_ok: false,
        },
    };
    let driven = cli::connect(opts.driver, addr, &mut c, 64 * 1024, &mut fetch);
    let st = fetch.st;
    if let Some((_, f, _)) = &st.current {
        // The message being received when the session ended is not kept.
        let _ = fs::remove_file(part(&f.path));
    }
    // What was done, for any error below: RFC 1939 section 6, the server deletes only in
    // UPDATE, after QUIT, so without its answer the deletion is not known to have happened.
    let done = format!(
        "{} of {} messages fetched into {}{}",
        st.fetched.len(),
        st.listing.len(),
        opts.out_dir.display(),
        if opts.delete && !st.done {
            "; QUIT was not answered, so the server deleted nothing unless it had received QUIT"
        } else {
            ""
        }
    );
    let with_done = |e: String| io::Error::other(format!("{e} ({done})"));
    driven.map_err(|e| with_done(e.to_string()))?;
    if let Some(e) = c.error() {
        return Err(with_done(e.to_string()));
    }
    if let Some(e) = st.error {
        return Err(with_done(e));
    }
    if !st.done {
        return Err(with_done(
            "connection closed before QUIT was answered".into(),
        ));
    }
    Ok(st.fetched)
}

/// Where a message is written while it arrives.
fn part(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".part");
    PathBuf::from(p)
}

impl Handler<Tls<Client>> for &mut Fetch<'_, '_> {
    fn on_event(&mut self, c: &mut Tls<Client>, ev: ClientEvent) {
        if let Err(e) = on_event(c, &mut self.st, ev, self.opts) {
            self.st.error.get_or_insert(e.to_string());
            // Nothing sensible is left to say to the server: drop the session.
            c.close();
        }
    }
}

/// Prints a command as it is queued (passwords hidden), when verbose.
fn said(opts: &FetchOptions, line: &str) {
    if opts.verbose {
        println!("C: {line}");
    }
}

fn on_event(
    c: &mut Tls<Client>,
    st: &mut State,
    ev: ClientEvent,
    opts: &FetchOptions,
) -> io::Result<()> {
    let send_err = |e: SendError| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
    match ev {
        ClientEvent::Greeting { response, .. } => {
            if opts.verbose {
                show_response(&response);
            }
            if !response.is_ok() {
                st.error = Some(format!("server refused the connection: {response:?}"));
                return Ok(());
            }
            said(opts, "CAPA");
            c.capa().map_err(send_err)?;
        }
        ClientEvent::Ok { command, response } => {
            if opts.verbose {
                show_response(&response);
            }
            match command {
                CommandKind::Pass => {
                    said(opts, "UIDL");
                    c.uidl(None).map_err(send_err)?
                }
                CommandKind::Retr => {
                    let (msg, octets) = st.listing[st.next];
                    let uid = st
                        .uids
                        .iter()
                        .find(|(n, _)| *n == msg)
                        .map(|(_, u)| u.clone());
                    // A unique-id is 0x21-0x7E; '/' would leave out_dir, so it is replaced.
                    let name = uid
                        .as_deref()
                        .map_or(format!("{msg}"), |u| u.replace(['/', '\\'], "_"));
                    let path = opts.out_dir.join(format!("{name}.eml"));
                    // Written under a `.part` name and renamed when the message is
                    // complete, so a connection lost mid-RETR leaves no cut-off file
                    // that looks like a message.
                    let file = fs::File::create(part(&path))?;
                    st.current = Some((
                        file,
                        Fetched {
                            msg,
                            uid,
                            path,
                            octets,
                        },
                        Vec::new(),
                    ));
                }
                CommandKind::Quit => st.done = true,
                CommandKind::Stls => {
                    // RFC 2595 section 4: "the client MUST discard cached information
                    // about server capabilities and SHOULD re-issue the CAPA command";
                    // the machine holds it until the handshake is done.
                    st.offers_stls = false;
                    said(opts, "CAPA");
                    c.capa().map_err(send_err)?;
                }
                _ => {}
            }
        }
        ClientEvent::Err {
            command: CommandKind::Stls,
            response,
        } => {
            if opts.verbose {
                show_response(&response);
            }
            if matches!(opts.tls, TlsMode::Stls { required: true, .. }) {
                st.error = Some("the server refused STLS; credentials not sent".into());
                said(opts, "QUIT");
                let _ = c.quit();
            } else {
                login(c, st, opts).map_err(send_err)?;
            }
        }
        ClientEvent::Err { command, response } => {
            if opts.verbose {
                show_response(&response);
            }
            match command {
                CommandKind::Capa | CommandKind::Uidl => {
                    st.capa_ok = false;
                    next_step(c, st, command, opts).map_err(send_err)?
                }
                CommandKind::Quit => st.done = true,
                _ => {
                    st.error = Some(format!(
                        "{} refused: {}{}",
                        command,
                        response.code.map(|c| format!("[{c}] ")).unwrap_or_default(),
                        String::from_utf8_lossy(&response.text)
                    ));
                    said(opts, "QUIT");
                    let _ = c.quit();
                }
            }
        }
        ClientEvent::Capability(cap) => {
            if opts.verbose {
                show("S:", cap.as_bytes());
            }
            if cap.tag().eq_ignore_ascii_case(b"STLS") {
                st.offers_stls = true;
            }
        }
        ClientEvent::Listing(l) => {
            if opts.verbose {
                println!("S: {} {}", l.msg, l.octets);
            }
            st.listing.push((l.msg.get(), l.octets));
        }
        ClientEvent::UniqueId(u) => {
            if opts.verbose {
                println!("S: {} {}", u.msg, u.uid);
            }
            st.uids.push((u.msg.get(), u.uid.to_string()));
        }
        ClientEvent::Data(b) => {
            if let Some((file, _, head)) = &mut st.current {
                file.write_all(&b)?;
                if head.len() < 4096 {
                    head.extend_from_slice(&b[..b.len().min(4096 - head.len())]);
                }
            }
        }
        ClientEvent::End { command } => {
            st.capa_ok = command == CommandKind::Capa;
            if command == CommandKind::Retr {
                if let Some((mut file, f, head)) = st.current.take() {
                    file.flush()?;
                    drop(file);
                    fs::rename(part(&f.path), &f.path)?;
                    if opts.verbose {
                        // Bodies abbreviated: the first lines, then a count.
                        let text = String::from_utf8_lossy(&head);
                        let lines: Vec<&str> = text.split("\r\n").collect();
                        for l in lines.iter().take(3) {
                            println!("S: {l}");
                        }
                        println!("S: [... {} octets in all ...]", f.octets);
                    }
                    st.fetched.push(f);
                    st.next += 1;
                }
            }
            if opts.verbose {
                println!("S: .");
            }
            next_step(c, st, command, opts).map_err(send_err)?;
        }
        ClientEvent::Error(e) => st.error = Some(format!("protocol error from server: {e}")),
        ClientEvent::Closed(CloseReason::Timeout) => {
            st.error
                .get_or_insert("the server stopped answering".into());
        }
        _ => {}
    }
    Ok(())
}

/// Whether the CAPA answer was a listing (it is an `-ERR` when `error` is not yet set and
/// nothing was listed; a listing without STLS is a clear "not offered").
fn finished_ok(st: &State) -> bool {
    st.capa_ok
}

/// USER and PASS, unless that would send them in the clear without permission.
fn login(c: &mut Tls<Client>, st: &mut State, opts: &FetchOptions) -> Result<(), SendError> {
    if !c.is_secure() && !opts.allow_plaintext_auth {
        st.error = Some(
            "refusing to send the password in the clear: use --tls or --stls require \
             (or --allow-plaintext-auth)"
                .into(),
        );
        said(opts, "QUIT");
        return c.quit();
    }
    said(opts, &format!("USER {}", opts.user));
    c.user(opts.user)?;
    said(opts, "PASS ********");
    c.pass(opts.pass.clone())
}

/// What to send once the answer to `finished` is complete.
fn next_step(
    c: &mut Tls<Client>,
    st: &mut State,
    finished: CommandKind,
    opts: &FetchOptions,
) -> Result<(), SendError> {
    match finished {
        CommandKind::Capa => {
            let stls = match &opts.tls {
                TlsMode::Stls { required, .. } if !c.is_secure() => Some(*required),
                _ => None,
            };
            match stls {
                // A required STLS is tried even if CAPA failed or did not list it: the
                // server's -ERR then ends the session before any credential is sent.
                Some(true) if !st.offers_stls && finished_ok(st) => {
                    st.error = Some("the server does not offer STLS; credentials not sent".into());
                    said(opts, "QUIT");
                    c.quit()?;
                }
                Some(_) if st.offers_stls || stls == Some(true) => {
                    said(opts, "STLS");
                    c.stls()?;
                }
                _ => login(c, st, opts)?,
            }
        }
        CommandKind::Uidl => {
            said(opts, "LIST");
            c.list(None)?
        }
        CommandKind::List => {
            // Queued at once; the machine sends them one by one (or pipelined if offered).
            for &(msg, _) in &st.listing {
                let n = MessageNumber::new(msg).expect("listing numbers start at 1");
                said(opts, &format!("RETR {msg}"));
                c.retr(n)?;
                if opts.delete {
                    said(opts, &format!("DELE {msg}"));
                    c.dele(n)?;
                }
            }
            said(opts, "QUIT");
            c.quit()?;
        }
        _ => {}
    }
    Ok(())
}

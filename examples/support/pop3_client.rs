//! The POP3 fetch loop shared by `pop3_fetch` and the demo: log in, list, retrieve
//! every message (optionally deleting it), quit, the way a `poplib` script does, over a
//! blocking socket, printing the dialogue if asked.

use super::Clock;
use std::fs;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wirestate::pop3::{
    ClientConfig, ClientEvent, CommandKind, MessageNumber, Pop3Client, Response,
};
use wirestate::Machine;

/// What to fetch and how.
pub struct FetchOptions<'a> {
    pub user: &'a str,
    pub pass: &'a str,
    /// Where each message is written, as `<unique-id>.eml` (or `<n>.eml` without UIDL).
    pub out_dir: &'a Path,
    pub delete: bool,
    /// Print the dialogue as `C:`/`S:` lines, message bodies abbreviated.
    pub verbose: bool,
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
}

/// Connects to `addr`, fetches every message into `opts.out_dir`, and returns them.
pub fn fetch_all(addr: &str, opts: &FetchOptions) -> io::Result<Vec<Fetched>> {
    fs::create_dir_all(opts.out_dir)?;
    let mut sock = TcpStream::connect(addr)?;
    sock.set_nodelay(true)?;
    sock.set_read_timeout(Some(Duration::from_secs(60)))?;
    let clock = Clock::new();
    let mut c = Pop3Client::new(ClientConfig::default());
    let mut st = State {
        listing: vec![],
        uids: vec![],
        fetched: vec![],
        current: None,
        next: 0,
        error: None,
        done: false,
    };
    let mut buf = vec![0u8; 64 * 1024];
    let fail = |msg: String| io::Error::other(msg);
    loop {
        while let Some(ev) = c.poll_event() {
            on_event(&mut c, &mut st, ev, opts)?;
        }
        while let Some(bytes) = c.poll_transmit() {
            if opts.verbose {
                for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.starts_with(b"PASS ") {
                        show("C:", b"PASS ********");
                    } else if line.starts_with(b"AUTH PLAIN ") {
                        show("C:", b"AUTH PLAIN ********");
                    } else {
                        show("C:", line);
                    }
                }
            }
            sock.write_all(&bytes)?;
        }
        if let Some(e) = st.error.take() {
            return Err(fail(e));
        }
        if c.is_closed() {
            break;
        }
        match sock.read(&mut buf)? {
            0 => c.handle_eof(clock.now()),
            n => c.handle_input(clock.now(), &buf[..n]),
        }
    }
    if !st.done {
        return Err(fail("connection closed before QUIT was answered".into()));
    }
    Ok(st.fetched)
}

fn on_event(
    c: &mut Pop3Client,
    st: &mut State,
    ev: ClientEvent,
    opts: &FetchOptions,
) -> io::Result<()> {
    let send_err =
        |e: wirestate::pop3::SendError| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
    match ev {
        ClientEvent::Greeting { response, .. } => {
            if opts.verbose {
                show_response(&response);
            }
            if !response.is_ok() {
                st.error = Some(format!("server refused the connection: {response:?}"));
                return Ok(());
            }
            c.capa().map_err(send_err)?;
        }
        ClientEvent::Ok { command, response } => {
            if opts.verbose {
                show_response(&response);
            }
            match command {
                CommandKind::Pass => c.uidl(None).map_err(send_err)?,
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
                    let file = fs::File::create(&path)?;
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
                _ => {}
            }
        }
        ClientEvent::Err { command, response } => {
            if opts.verbose {
                show_response(&response);
            }
            match command {
                CommandKind::Capa | CommandKind::Uidl => {
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
                    let _ = c.quit();
                }
            }
        }
        ClientEvent::Capability(cap) if opts.verbose => show("S:", cap.as_bytes()),
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
        ClientEvent::End(command) => {
            if command == CommandKind::Retr {
                if let Some((mut file, f, head)) = st.current.take() {
                    file.flush()?;
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
        _ => {}
    }
    Ok(())
}

/// What to send once the answer to `finished` is complete.
fn next_step(
    c: &mut Pop3Client,
    st: &mut State,
    finished: CommandKind,
    opts: &FetchOptions,
) -> Result<(), wirestate::pop3::SendError> {
    match finished {
        CommandKind::Capa => {
            c.user(opts.user)?;
            c.pass(opts.pass)?;
        }
        CommandKind::Uidl => c.list(None)?,
        CommandKind::List => {
            // Queued at once; the machine sends them one by one (or pipelined if offered).
            for &(msg, _) in &st.listing {
                let n = MessageNumber::new(msg).expect("listing numbers start at 1");
                c.retr(n)?;
                if opts.delete {
                    c.dele(n)?;
                }
            }
            c.quit()?;
        }
        _ => {}
    }
    Ok(())
}

//! Greeting-protocol glue shared by the example programs and the demo.

use super::std_io;
use super::Args;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;
use wirestate::greeting::{
    udp_reply, Client, ClientConfig, ClientEvent, Framing, Server, ServerConfig, ServerEvent,
};
use wirestate::CloseReason;

/// The classic peers read 1024 bytes at a time; under chunk framing one read is one
/// message, so our drivers read the same amount.
pub const READ_SIZE: usize = 1024;

/// `--framing chunk|line` (default chunk, the classic behaviour).
pub fn framing(args: &Args) -> Framing {
    match args.get("framing").unwrap_or("chunk") {
        "chunk" => Framing::Chunk,
        "line" => Framing::Line,
        other => {
            eprintln!("--framing must be chunk or line, not {other:?}");
            std::process::exit(2)
        }
    }
}

/// The client's config: `--framing`, and `--reply-timeout SECONDS` (default none: wait
/// forever for each reply, as the classic client does).
pub fn client_config(args: &Args) -> ClientConfig {
    let mut config = ClientConfig::new(framing(args));
    if let Some(secs) = args.get("reply-timeout") {
        let secs: f64 = secs.parse().unwrap_or_else(|_| {
            eprintln!("--reply-timeout must be a number of seconds, not {secs:?}");
            std::process::exit(2)
        });
        config.timeouts.reply = Some(Duration::from_secs_f64(secs));
    }
    config
}

/// The names to greet: the positional arguments, or the classic three.
pub fn names(args: &Args) -> Vec<String> {
    if args.positional.is_empty() {
        ["Michael", "Tracy", "Sarah"].map(String::from).to_vec()
    } else {
        args.positional.clone()
    }
}

/// Serves the greeting protocol over TCP, one thread per connection, until killed.
pub fn serve_tcp(listener: std::net::TcpListener, framing: Framing) -> io::Result<()> {
    std_io::serve(listener, READ_SIZE, move |_peer| {
        (
            Server::new(ServerConfig::new(framing)),
            super::events(log_errors),
        )
    })
}

/// The server's handler in every example: the machine answers by itself, so only
/// errors are worth a line on stderr.
pub fn log_errors(_: &mut Server, event: ServerEvent) {
    if let ServerEvent::Error(e) = event {
        eprintln!("greeting: {e}");
    }
}

/// Runs the lockstep client, writing each message the server sends to `out` on a line of
/// its own, as the classic Python client prints them.
pub fn run_client(
    addr: SocketAddr,
    config: ClientConfig,
    names: &[String],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    let mut client = Client::new(config);
    for name in names {
        client
            .send_name(name.as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{name:?}: {e}")))?;
    }
    client
        .finish()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let mut failure = None;
    let mut end = None;
    std_io::drive(
        &mut stream,
        &mut client,
        READ_SIZE,
        super::events(|_, event| {
            let line = match event {
                ClientEvent::Welcome(m) | ClientEvent::Reply { reply: m, .. } => m,
                ClientEvent::Closed(reason) => {
                    end = Some(reason);
                    return;
                }
                ClientEvent::Error(e) => {
                    failure = Some(e);
                    return;
                }
                _ => return,
            };
            let _ = out.write_all(&line).and_then(|_| out.write_all(b"\n"));
        }),
    )?;
    match failure {
        Some(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
        None if end == Some(CloseReason::Timeout) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the server did not answer in time",
        )),
        None if client.pending() > 0 => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "server closed before answering every name",
        )),
        None => Ok(()),
    }
}

/// Binds a UDP socket and announces it like the TCP servers do.
pub fn bind_udp(addr: &str) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(addr)?;
    eprintln!("listening on {}", socket.local_addr()?);
    Ok(socket)
}

/// Answers datagrams forever: one in, one out.
pub fn serve_udp(socket: &UdpSocket) -> io::Result<()> {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, peer) = socket.recv_from(&mut buf)?;
        match udp_reply(&buf[..n]) {
            Ok(reply) => {
                socket.send_to(&reply, peer)?;
            }
            Err(e) => eprintln!("{peer}: {e}"),
        }
    }
}

/// Sends each name as a datagram and writes each reply to `out` on its own line.
/// Loopback rarely drops a datagram, but UDP may: each name is retried up to 3 times.
pub fn run_udp_client(addr: SocketAddr, names: &[String], out: &mut dyn Write) -> io::Result<()> {
    let bind = if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind)?;
    socket.connect(addr)?;
    socket.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = vec![0u8; 65_536];
    for name in names {
        let mut answered = false;
        for _ in 0..3 {
            socket.send(name.as_bytes())?;
            match socket.recv(&mut buf) {
                Ok(n) => {
                    out.write_all(&buf[..n])?;
                    out.write_all(b"\n")?;
                    answered = true;
                    break;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        if !answered {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no reply to {name:?} from {addr}"),
            ));
        }
    }
    Ok(())
}

//! Greeting-protocol glue shared by the example programs and the demo: the command lines
//! (clap), the TCP server on any driver, the clients and the UDP pair.

use super::cli::{self, ClientDriverArgs, Driver, Served, ServerArgs};
use super::std_io;
use clap::{CommandFactory, Parser, ValueEnum};
use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;
use wirestate::greeting::{
    udp_reply, Client, ClientConfig, ClientEvent, Framing, Server, ServerConfig, ServerEvent,
};
use wirestate::CloseReason;

/// The classic peers read 1024 bytes at a time; under chunk framing one read is one
/// message, so our drivers read the same amount.
pub const READ_SIZE: usize = 1024;

/// The default address of every greeting program.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9999";

/// `--framing chunk|line`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum FramingArg {
    /// One read is one message, as the classic Python peers do it.
    #[default]
    Chunk,
    /// Messages end at LF (CRLF accepted), however TCP cuts the stream.
    Line,
}

impl From<FramingArg> for Framing {
    fn from(f: FramingArg) -> Framing {
        match f {
            FramingArg::Chunk => Framing::Chunk,
            FramingArg::Line => Framing::Line,
        }
    }
}

/// The greeting server over TCP: `Welcome!`, then `Hello, NAME!` per message until `exit`.
#[derive(Parser, Debug)]
pub struct ServerCli {
    #[command(flatten)]
    pub server: ServerArgs,
    /// How messages are delimited.
    #[arg(long, value_enum, default_value_t = FramingArg::Chunk)]
    pub framing: FramingArg,
}

/// The greeting client: prints the welcome and each reply, one per line.
#[derive(Parser, Debug)]
pub struct ClientCli {
    /// Server address (HOST:PORT).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    pub addr: String,
    /// How messages are delimited.
    #[arg(long, value_enum, default_value_t = FramingArg::Chunk)]
    pub framing: FramingArg,
    /// Give up on a reply after this many seconds (default: wait forever, as the classic
    /// client does).
    #[arg(long, value_name = "SECONDS")]
    pub reply_timeout: Option<f64>,
    #[command(flatten)]
    pub driver: ClientDriverArgs,
    /// The names to greet (default: Michael Tracy Sarah).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

/// The UDP server: one datagram in, `Hello, <datagram>!` out.
#[derive(Parser, Debug)]
pub struct UdpServerCli {
    /// Address to listen on (HOST:PORT).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    pub addr: String,
}

/// The UDP client: each name as a datagram, each reply on its own line.
#[derive(Parser, Debug)]
pub struct UdpClientCli {
    /// Server address (HOST:PORT).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    pub addr: String,
    /// The names to greet (default: Michael Tracy Sarah).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

/// Parses a program's command line with `driver` as the default of `--driver`, so the
/// mio and std programs are one server with different defaults.
pub fn parse_with_driver<T: Parser>(driver: Driver) -> T {
    let name = match driver {
        Driver::Std => "std",
        Driver::Mio => "mio",
        Driver::Tokio => "tokio",
    };
    let matches = T::command()
        .mut_arg("driver", |a| a.default_value(name))
        .get_matches();
    T::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

impl ClientCli {
    /// The client machine's config from `--framing` and `--reply-timeout`.
    pub fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new(self.framing.into());
        if let Some(secs) = self.reply_timeout {
            match Duration::try_from_secs_f64(secs) {
                Ok(d) => config.timeouts.reply = Some(d),
                Err(_) => ClientCli::command()
                    .error(
                        clap::error::ErrorKind::InvalidValue,
                        format!("--reply-timeout must be a number of seconds, not {secs}"),
                    )
                    .exit(),
            }
        }
        config
    }
}

/// The names to greet: those given, or the classic three.
pub fn names(given: &[String]) -> Vec<String> {
    if given.is_empty() {
        ["Michael", "Tracy", "Sarah"].map(String::from).to_vec()
    } else {
        given.to_vec()
    }
}

/// Runs the TCP server the flags describe, until killed.
pub fn run_server(cli: &ServerCli) -> io::Result<()> {
    let tls = cli.server.tls_config()?;
    let framing: Framing = cli.framing.into();
    let args = cli.server.clone();
    let verbose = args.verbose;
    let config = move |args: &ServerArgs| {
        let mut config = ServerConfig::new(framing);
        if let Some(d) = args.idle_timeout() {
            config.timeouts.idle = Some(d);
        }
        config
    };
    if !args.wants_layers() {
        // No TLS, PROXY header or cap asked for: the bare machine. The layers, though
        // idle, are checked at every call and spread a connection over more cache lines:
        // 1,109 against 959 instructions per message on the mio driver (callgrind), and
        // 550 bytes more per connection.
        return cli::serve(
            args.driver,
            &args.addr_or(DEFAULT_ADDR),
            READ_SIZE,
            move |peer| {
                let on_event = logger(verbose, move |_: &Server| peer);
                (Server::new(config(&args)), super::events(on_event))
            },
        );
    }
    super::caps::serve(
        &cli.server,
        &args.addr_or(DEFAULT_ADDR),
        READ_SIZE,
        tls.clone(),
        move || Server::too_busy(ServerConfig::new(framing)),
        move |peer| {
            let machine = args.wrap(Server::new(config(&args)), &tls);
            let on_event = logger(verbose, move |m: &Served<Server>| client_addr(m, peer));
            (machine, super::events(on_event))
        },
    )
}

/// The client's address as the log shows it: from the PROXY header when there is one,
/// else the socket's peer.
pub fn client_addr<M: wirestate::Machine>(m: &Served<M>, peer: SocketAddr) -> SocketAddr {
    m.header().and_then(|h| h.source).unwrap_or(peer)
}

/// The server's handler for one connection: the machine answers by itself, so errors are
/// logged, and with `--verbose` each message, each with the client's address, which
/// `client` finds from the machine `M` (bare, or behind its layers).
pub fn logger<M>(
    verbose: bool,
    client: impl Fn(&M) -> SocketAddr + Send + 'static,
) -> impl FnMut(&mut M, ServerEvent) + Send + 'static {
    move |m, event| {
        // Only a line that is printed needs the address.
        if !verbose && !matches!(event, ServerEvent::Error(_)) {
            return;
        }
        let client = client(m);
        match event {
            ServerEvent::Error(e) => eprintln!("greeting: {client}: {e}"),
            ServerEvent::Closed(reason) if verbose => {
                eprintln!("greeting: {client}: closed ({reason:?})")
            }
            other if verbose => eprintln!("greeting: {client}: {other:?}"),
            _ => {}
        }
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

/// The plain server's handler: the machine answers by itself, so only errors are worth
/// a line on stderr.
pub fn log_errors(_: &mut Server, event: ServerEvent) {
    if let ServerEvent::Error(e) = event {
        eprintln!("greeting: {e}");
    }
}

/// Runs the lockstep client, writing each message the server sends to `out` on a line of
/// its own, as the classic Python client prints them.
pub fn run_client(
    driver: Driver,
    addr: &str,
    config: ClientConfig,
    names: &[String],
    out: &mut dyn Write,
) -> io::Result<()> {
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
    cli::connect(
        driver,
        addr,
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

//! The command-line flags every example shares, parsed with clap, and the one function
//! that runs a server on the driver `--driver` names. The same flag means the same thing
//! in every program: `--addr`, `--driver`, `--verbose`, `--tls-cert`/`--tls-key`,
//! `--implicit-tls`, `--proxy-protocol`, `--ca`.

use super::Handler;
use clap::{Args, ValueEnum};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use wirestate::proxy::{self, Proxied};
use wirestate::tls::{Start, Tls};
use wirestate::Machine;

/// Which generic driver runs the connections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Driver {
    /// `std::net`, one thread per connection.
    #[default]
    Std,
    /// One `mio` event loop for every connection.
    Mio,
    /// One tokio task per connection.
    Tokio,
}

/// Flags of every server program.
#[derive(Args, Clone, Debug, Default)]
pub struct ServerArgs {
    /// Address to listen on (HOST:PORT); each program has its own default.
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Which driver runs the connections.
    #[arg(long, value_enum, default_value_t = Driver::Std)]
    pub driver: Driver,
    /// Log the protocol traffic to stderr, secrets redacted.
    #[arg(long)]
    pub verbose: bool,
    /// PEM certificate chain: enables TLS (STARTTLS/STLS, or implicit with
    /// --implicit-tls).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// TLS from the first byte (RFC 8314: SMTP on 465, POP3 on 995, HTTPS).
    #[arg(long, requires = "tls_cert")]
    pub implicit_tls: bool,
    /// Expect a PROXY protocol header (v1 or v2) on every connection, from a trusted
    /// load balancer; connections without one are refused.
    #[arg(long)]
    pub proxy_protocol: bool,
    /// Serve at most N connections at once; more get the protocol's "too busy" answer
    /// (SMTP 421, POP3 -ERR [SYS/TEMP], HTTP 503, greeting Busy!) and are closed.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Serve at most N connections at once from one client address (with
    /// --proxy-protocol: the address in the PROXY header); more get the busy answer.
    #[arg(long, value_name = "N")]
    pub max_per_client: Option<usize>,
    /// Close a connection that sends no complete command (line, request head) for this
    /// many seconds, with the protocol's timeout reply (the protocol's default
    /// otherwise). Not for pop3_server: RFC 1939 section 3's autologout is at least 10
    /// minutes.
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<u64>,
}

/// The machine type every server program runs: its protocol machine behind an optional
/// PROXY header and optional TLS, so the type is the same whatever the flags.
pub type Served<M> = Proxied<Tls<M>>;

impl ServerArgs {
    /// Whether any flag asks for a layer around the protocol machine: TLS, a PROXY
    /// header, or a connection cap. Without one, a server may run its bare machine: the
    /// layers' checks and their 550 bytes per connection are then not paid for.
    pub fn wants_layers(&self) -> bool {
        self.tls_cert.is_some()
            || self.proxy_protocol
            || self.max_connections.is_some()
            || self.max_per_client.is_some()
    }

    /// `--idle-timeout`, as a duration.
    pub fn idle_timeout(&self) -> Option<std::time::Duration> {
        self.idle_timeout.map(std::time::Duration::from_secs)
    }

    /// `--addr`, or the program's default.
    pub fn addr_or(&self, default: &str) -> String {
        self.addr.clone().unwrap_or_else(|| default.to_string())
    }

    /// The TLS server configuration from `--tls-cert`/`--tls-key`, if given.
    pub fn tls_config(&self) -> io::Result<Option<Arc<rustls::ServerConfig>>> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let certs = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| invalid(format!("{}: {e}", cert.display())))?;
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| invalid(format!("{}: {e}", key.display())))?;
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid(format!("TLS certificate: {e}")))?;
        Ok(Some(Arc::new(config)))
    }

    /// Wraps one connection's machine as the flags say.
    pub fn wrap<M: Machine>(
        &self,
        machine: M,
        tls: &Option<Arc<rustls::ServerConfig>>,
    ) -> Served<M> {
        let start = if self.implicit_tls {
            Start::Implicit
        } else {
            Start::WhenAsked
        };
        let tls = match tls {
            Some(config) => Tls::server(machine, config.clone(), start),
            None => Tls::plaintext(machine),
        };
        if self.proxy_protocol {
            Proxied::new(tls, proxy::Config::default())
        } else {
            Proxied::transparent(tls)
        }
    }
}

/// TLS flags of every client program.
#[derive(Args, Clone, Debug, Default)]
pub struct ClientTlsArgs {
    /// PEM file of the CA certificates to trust instead of the system roots.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

impl ClientTlsArgs {
    /// The client configuration: the system roots, or `--ca` alone. Verification is
    /// never switched off.
    pub fn config(&self) -> io::Result<Arc<rustls::ClientConfig>> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut roots = rustls::RootCertStore::empty();
        match &self.ca {
            Some(path) => {
                for cert in CertificateDer::pem_file_iter(path)
                    .map_err(|e| invalid(format!("{}: {e}", path.display())))?
                {
                    let cert = cert.map_err(|e| invalid(format!("{}: {e}", path.display())))?;
                    roots
                        .add(cert)
                        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                for cert in found.certs {
                    let _ = roots.add(cert);
                }
            }
        }
        Ok(Arc::new(
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        ))
    }

    /// The server name to verify, from a `HOST:PORT` or `HOST`.
    pub fn server_name(addr: &str) -> io::Result<ServerName<'static>> {
        let host = match addr.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => addr,
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        ServerName::try_from(host.to_string()).map_err(|e| invalid(format!("{host}: {e}")))
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Runs a server on `addr` with the driver the flags name, until killed. `setup` builds
/// each connection's machine and handler from the peer's address.
pub fn serve<M, H, S>(driver: Driver, addr: &str, read_size: usize, setup: S) -> io::Result<()>
where
    M: Machine + Send + 'static,
    H: Handler<M> + Send + 'static,
    S: Fn(SocketAddr) -> (M, H) + Send + Sync + 'static,
{
    match driver {
        Driver::Std => super::std_io::serve(super::std_io::bind(addr)?, read_size, setup),
        Driver::Mio => super::mio_io::serve(super::mio_io::bind(addr)?, read_size, setup),
        Driver::Tokio => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(async {
                let listener = super::tokio_io::bind(addr).await?;
                super::tokio_io::serve(listener, read_size, setup).await
            }),
    }
}

/// `--driver` of the client programs: which generic driver runs the one connection.
#[derive(Args, Clone, Copy, Debug, Default)]
pub struct ClientDriverArgs {
    /// Which driver runs the connection.
    #[arg(long, value_enum, default_value_t = Driver::Std)]
    pub driver: Driver,
}

/// Connects to `addr` (HOST:PORT) with the driver `driver` names and runs `machine` with
/// `handler` until it is closed or the peer goes away. Each address HOST resolves to is
/// tried in turn while the connection itself is refused, as `TcpStream::connect` does.
pub fn connect<M, H>(
    driver: Driver,
    addr: &str,
    machine: &mut M,
    read_size: usize,
    mut handler: H,
) -> io::Result<()>
where
    M: Machine,
    H: Handler<M>,
{
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{addr}: no address"));
    for (i, &to) in addrs.iter().enumerate() {
        let more = i + 1 < addrs.len();
        let lent = super::Lend(&mut handler);
        let result = match driver {
            Driver::Std => super::std_io::connect(to, machine, read_size, lent),
            Driver::Mio => super::mio_io::connect(to, machine, read_size, lent),
            Driver::Tokio => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(super::tokio_io::connect(to, machine, read_size, lent)),
        };
        match result {
            Err(e) if more && refused(&e) => last = e,
            other => return other,
        }
    }
    Err(last)
}

/// The connection was never made, so the next address may be tried.
fn refused(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::HostUnreachable
    )
}

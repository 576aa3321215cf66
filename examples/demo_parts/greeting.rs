//! The greeting protocol's part of the demo: TCP (both framings; std, mio and tokio
//! servers) and UDP, servers on free loopback ports, clients run against them.

use crate::support::cli::Driver;
use crate::support::{greeting, mio_io, std_io, tokio_io};
use std::io;
use wirestate::greeting::{ClientConfig, Framing, Server, ServerConfig};

pub fn run(_work_dir: &std::path::Path) -> io::Result<()> {
    let names: Vec<String> = ["Michael", "Tracy", "Sarah", "Zoë"]
        .map(String::from)
        .to_vec();
    let mut out = io::stdout().lock();

    let listener = std_io::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || greeting::serve_tcp(listener, Framing::Chunk));
    println!("-- TCP, chunk framing (the classic peers' way), std server on {addr}");
    greeting::run_client(
        Driver::Std,
        &addr.to_string(),
        ClientConfig::new(Framing::Chunk),
        &names,
        &mut out,
    )?;

    let listener = mio_io::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        mio_io::serve(listener, greeting::READ_SIZE, |_peer| {
            (
                Server::new(ServerConfig::new(Framing::Line)),
                crate::support::events(greeting::log_errors),
            )
        })
    });
    println!("-- TCP, line framing, mio server on {addr}");
    greeting::run_client(
        Driver::Std,
        &addr.to_string(),
        ClientConfig::new(Framing::Line),
        &names,
        &mut out,
    )?;

    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || -> io::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            tokio_io::serve(listener, greeting::READ_SIZE, |_peer| {
                (
                    Server::new(ServerConfig::new(Framing::Chunk)),
                    crate::support::events(greeting::log_errors),
                )
            })
            .await
        })
    });
    println!("-- TCP, chunk framing, tokio server on {addr}");
    greeting::run_client(
        Driver::Std,
        &addr.to_string(),
        ClientConfig::new(Framing::Chunk),
        &names,
        &mut out,
    )?;

    let socket = greeting::bind_udp("127.0.0.1:0")?;
    let addr = socket.local_addr()?;
    std::thread::spawn(move || greeting::serve_udp(&socket));
    println!("-- UDP on {addr}");
    greeting::run_udp_client(addr, &names, &mut out)?;
    Ok(())
}

//! The blocking `std::net` driver: one machine per socket, one thread per connection.

use super::Clock;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;
use wirestate::Machine;

/// Binds `addr` and prints `listening on ADDR` to stderr, as every example server does.
pub fn bind(addr: &str) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    eprintln!("listening on {}", listener.local_addr()?);
    Ok(listener)
}

/// Writes everything the machine has queued.
pub fn flush<M: Machine>(stream: &mut TcpStream, machine: &mut M) -> io::Result<()> {
    while let Some(bytes) = machine.poll_transmit() {
        stream.write_all(&bytes)?;
    }
    Ok(())
}

/// Runs the driver loop for one machine on one connected stream until the machine is
/// closed or the peer goes away. `on_event` sees every event and may call the machine's
/// typed send methods. `read_size` is the size of each `read`: with the greeting
/// protocol's chunk framing it is the classic peers' `recv(1024)`.
pub fn drive<M, H>(
    stream: &mut TcpStream,
    machine: &mut M,
    read_size: usize,
    mut on_event: H,
) -> io::Result<()>
where
    M: Machine,
    H: FnMut(&mut M, M::Event),
{
    let clock = Clock::new();
    let mut buf = vec![0u8; read_size.max(1)];
    let mut eof = false;
    loop {
        while let Some(event) = machine.poll_event() {
            on_event(machine, event);
        }
        flush(stream, machine)?;
        if machine.is_closed() {
            let _ = stream.shutdown(Shutdown::Write);
            return Ok(());
        }
        let deadline = machine.poll_timeout();
        if eof {
            // The peer is gone; only a timer can still move the machine.
            match deadline {
                Some(d) => {
                    std::thread::sleep(clock.until(d));
                    machine.handle_timeout(clock.now());
                    continue;
                }
                None => return Ok(()),
            }
        }
        let wait = deadline.map(|d| clock.until(d).max(Duration::from_millis(1)));
        stream.set_read_timeout(wait)?;
        match stream.read(&mut buf) {
            Ok(0) => {
                eof = true;
                machine.handle_eof(clock.now());
            }
            Ok(n) => machine.handle_input(clock.now(), &buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                machine.handle_timeout(clock.now())
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Accepts connections forever, one thread each. `setup` builds the machine and the
/// event handler for each new peer.
pub fn serve<M, H, S>(listener: TcpListener, read_size: usize, setup: S) -> io::Result<()>
where
    M: Machine + Send + 'static,
    H: FnMut(&mut M, M::Event) + Send + 'static,
    S: Fn(SocketAddr) -> (M, H) + Send + Sync + 'static,
{
    let setup = std::sync::Arc::new(setup);
    for conn in listener.incoming() {
        let mut stream = match conn {
            Ok(s) => s,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let setup = setup.clone();
        std::thread::spawn(move || {
            let peer = stream
                .peer_addr()
                .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
            let (mut machine, handler) = setup(peer);
            if let Err(e) = drive(&mut stream, &mut machine, read_size, handler) {
                eprintln!("{peer}: {e}");
            }
        });
    }
    Ok(())
}

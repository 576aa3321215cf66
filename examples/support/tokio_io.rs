//! The tokio driver: one task per connection, each owning its machine.
//!
//! It is the loop from the `Machine` docs and knows nothing of any protocol. Reading and
//! writing run concurrently in one `select!` of single, cancel-safe `read` and `write`
//! calls on the two halves of the stream, so a peer that is slow to read our replies
//! never stops us from reading its next request, and the reverse. Two bounds keep memory
//! flat: reading stops while more than [`MAX_PENDING`] bytes of replies wait for the peer
//! (TCP then slows a client that sends without reading), and a body chunk is asked for
//! only when nothing is waiting to be written. The timer is reset only when the machine's
//! deadline changes. Work per wake-up is one read or one write plus the events it
//! decodes, and tokio's cooperative budget on the socket makes a busy connection yield.

use super::quick_ack::{ack_now, Acks};
use super::{deliver_events, Clock, Handler};
use bytes::{Buf, Bytes};
use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep_until, Instant as TokioInstant};
use wirestate::{Instant, Machine};

/// Most reply bytes queued for a peer before the driver stops reading from it.
pub const MAX_PENDING: usize = 256 * 1024;

/// Binds `addr` and prints `listening on ADDR` to stderr, as every example server does.
pub async fn bind(addr: &str) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    Ok(listener)
}

/// Accepts connections until the listener fails, one task each. `setup` builds the
/// machine and the handler for each new peer from its address.
pub async fn serve<M, H, S>(listener: TcpListener, read_size: usize, mut setup: S) -> io::Result<()>
where
    M: Machine + Send + 'static,
    H: Handler<M> + Send + 'static,
    S: FnMut(SocketAddr) -> (M, H),
{
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            // Out of file descriptors and the like: keep serving who we have.
            Err(e) if e.kind() != ErrorKind::InvalidInput => {
                eprintln!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let _ = stream.set_nodelay(true);
        let (mut machine, handler) = setup(peer);
        tokio::spawn(async move {
            if let Err(e) = drive(stream, &mut machine, read_size, handler, Acks::Delayed).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

/// Runs the driver loop for one machine on one connected stream until the machine is
/// closed or the peer goes away. `acks` is [`Acks::AtOnce`] on the client side (see
/// `quick_ack.rs`).
pub async fn drive<M, H>(
    mut stream: TcpStream,
    machine: &mut M,
    read_size: usize,
    mut handler: H,
    acks: Acks,
) -> io::Result<()>
where
    M: Machine,
    H: Handler<M>,
{
    let clock = Clock::new();
    let start = TokioInstant::now();
    let to_tokio = |at: Instant| start + std::time::Duration::from_millis(at.as_millis());
    let (mut rd, mut wr) = stream.split();
    let mut buf = vec![0u8; read_size.max(1)];
    let mut pending: VecDeque<Bytes> = VecDeque::new();
    let mut pending_len = 0usize;
    let mut eof = false;
    let mut deadline: Option<Instant> = None;
    let sleep = sleep_until(start);
    tokio::pin!(sleep);
    loop {
        deliver_events(machine, &mut handler);
        queue(machine, &mut pending, &mut pending_len);
        if pending.is_empty() && machine.wants_body() {
            handler.on_send_ready(machine);
            // What the handler did may have queued events (closing the machine queues
            // `Closed`); no socket event would come for them, so they go round again.
            if deliver_events(machine, &mut handler) {
                continue;
            }
            queue(machine, &mut pending, &mut pending_len);
        }
        if pending.is_empty() {
            if machine.is_closed() {
                let _ = wr.shutdown().await;
                return Ok(());
            }
            if machine.wants_tls() {
                // This driver carries plaintext only; the machine must not go on in the clear.
                return Err(io::Error::other(
                    "the machine asked for TLS, which this driver was not given",
                ));
            }
        }
        let next = machine.poll_timeout();
        if next != deadline {
            deadline = next;
            if let Some(at) = next {
                sleep.as_mut().reset(to_tokio(at));
            }
        }
        let can_read = !eof && machine.wants_input() && pending_len <= MAX_PENDING;
        if !can_read && pending.is_empty() && deadline.is_none() {
            // Nothing can move the machine again: the peer is gone (or the machine takes no
            // input) and no timer is set.
            return Ok(());
        }
        tokio::select! {
            read = rd.read(&mut buf), if can_read => match read {
                Ok(0) => {
                    eof = true;
                    machine.handle_eof(clock.now());
                }
                Ok(n) => {
                    if acks == Acks::AtOnce {
                        ack_now(rd.as_ref());
                    }
                    machine.handle_input(clock.now(), &buf[..n])
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            },
            written = wr.write(pending.front().map_or(&[][..], |b| &b[..])), if !pending.is_empty() => {
                match written {
                    Ok(0) => return Err(ErrorKind::WriteZero.into()),
                    Ok(n) => {
                        pending_len -= n;
                        let front = pending.front_mut().expect("a write implies pending bytes");
                        front.advance(n);
                        if front.is_empty() {
                            pending.pop_front();
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            () = &mut sleep, if deadline.is_some() => {
                deadline = None;
                machine.handle_timeout(clock.now());
            }
        }
    }
}

/// Moves the machine's transmits into the driver's write queue.
fn queue<M: Machine>(machine: &mut M, pending: &mut VecDeque<Bytes>, len: &mut usize) {
    while let Some(bytes) = machine.poll_transmit() {
        if !bytes.is_empty() {
            *len += bytes.len();
            pending.push_back(bytes);
        }
    }
}

/// Connects to `addr` and runs the driver loop for `machine` until it is closed or the
/// peer goes away: the client side of [`serve`].
pub async fn connect<M, H>(
    addr: SocketAddr,
    machine: &mut M,
    read_size: usize,
    handler: H,
) -> io::Result<()>
where
    M: Machine,
    H: Handler<M>,
{
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    drive(stream, machine, read_size, handler, Acks::AtOnce).await
}

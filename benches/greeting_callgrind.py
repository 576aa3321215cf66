#!/usr/bin/env python3
"""Instructions (and, with --cache, first-level cache misses) per message of a greeting
server under valgrind's callgrind: the stable figure beside the load bench's CPU times.

It starts SERVER under callgrind, opens --conns lockstep connections, sends --messages
messages round robin over them, has callgrind dump its counters, sends twice as many
more, dumps again, and divides the second dump's counts by its messages: start-up and
connection set-up are in the first dump, not in the figure.

    benches/greeting_callgrind.py target/release/examples/greeting_mio_server
    benches/greeting_callgrind.py --conns 1000 --cache target/release/epoll_greeting

SERVER must take `--addr HOST:PORT` (ours and benches/peers/epoll_greeting.c do). Build
ours as the load bench does: `cargo build --profile bench --example greeting_mio_server`.
Needs valgrind (Debian: valgrind), which provides callgrind_control.
"""
import argparse
import glob
import os
import socket
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    parser.add_argument("server", help="the server program")
    parser.add_argument("--conns", type=int, default=100, help="connections (default 100)")
    parser.add_argument(
        "--messages", type=int, default=10000, help="messages before the first dump (default 10000)"
    )
    parser.add_argument("--cache", action="store_true", help="simulate the caches too (slower)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = parser.parse_args()

    port = args.port or free_port()
    out = tempfile.mkdtemp(prefix="greeting-callgrind-")
    tool = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.%p"]
    if args.cache:
        tool.append("--cache-sim=yes")
    server = subprocess.Popen(
        tool + [args.server, "--addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        socks = connect(port, args.conns)
        exchange(socks, args.messages)
        dump(server.pid, out)
        exchange(socks, 2 * args.messages)
        counts = dump(server.pid, out)
    finally:
        server.kill()
        server.wait()
        for f in glob.glob(f"{out}/*"):
            os.remove(f)
        os.rmdir(out)
    per = {k: v / (2 * args.messages) for k, v in counts.items()}
    shown = ["Ir", "D1mr", "D1mw"] if args.cache else ["Ir"]
    figures = ", ".join(f"{k} {per[k]:.1f}" for k in shown if k in per)
    print(f"{args.server}: {args.conns} connections, per message: {figures}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port, n):
    """n connections, each past its `Welcome!`; waits for the server to listen."""
    deadline = time.monotonic() + 60
    socks = []
    while len(socks) < n:
        try:
            s = socket.create_connection(("127.0.0.1", port))
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                sys.exit("the server did not start listening within 60 s")
            time.sleep(0.1)
            continue
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        welcome = s.recv(1024)
        if welcome != b"Welcome!":
            sys.exit(f"expected Welcome!, got {welcome!r}")
        socks.append(s)
    return socks


def exchange(socks, n):
    """n lockstep messages, round robin over the connections."""
    for i in range(n):
        s = socks[i % len(socks)]
        name = b"name-%04d" % (i % 10000)
        s.sendall(name)
        reply = s.recv(1024)
        if reply != b"Hello, " + name + b"!":
            sys.exit(f"expected Hello, {name.decode()}!, got {reply!r}")


def dump(pid, out):
    """Has callgrind write its counters since the last dump; returns them by event."""
    before = set(glob.glob(f"{out}/cg.{pid}*"))
    subprocess.run(
        ["callgrind_control", "-d", str(pid)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    deadline = time.monotonic() + 30
    while True:
        new = set(glob.glob(f"{out}/cg.{pid}*")) - before
        if new:
            break
        if time.monotonic() > deadline:
            sys.exit("callgrind wrote no dump within 30 s")
        time.sleep(0.1)
    time.sleep(0.3)  # let the file be written out whole
    names, totals = [], None
    with open(new.pop()) as f:
        for line in f:
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith(("summary:", "totals:")):
                totals = [int(x) for x in line.split()[1:]]
    if totals is None:
        sys.exit("no totals in callgrind's dump")
    return dict(zip(names, totals))


if __name__ == "__main__":
    main()

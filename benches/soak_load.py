#!/usr/bin/env python3
"""Load and sampling for benches/soak.sh: runs WORKERS threads doing whole transactions
against one server for SECONDS, samples the server's throughput, RSS (/proc/PID/status)
and open file descriptors (/proc/PID/fd) every SAMPLE seconds, then checks:

* fds: the count after the load (connections closed, 2 s to settle) equals the count
  before it;
* RSS: the median of the last quarter of the samples is at most the median of the
  second quarter plus MARGIN (10% + 2 MiB: allocator and page-cache noise), i.e. no
  steady growth once warmed up;
* every transaction succeeded and throughput never fell to zero.

Prints one line per sample and a summary; exits 1 on a failed check.
"""
import argparse
import os
import socket
import statistics
import sys
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Conn:
    def __init__(self, addr):
        self.s = socket.create_connection(addr, timeout=20)
        self.f = self.s.makefile("rb")

    def line(self):
        l = self.f.readline()
        if not l.endswith(b"\n"):
            raise IOError(f"closed mid-line: {l!r}")
        return l

    def send(self, b):
        self.s.sendall(b)

    def close(self):
        self.f.close()
        self.s.close()


def greeting(addr):
    c = Conn(addr)
    assert c.line() == b"Welcome!\n"
    for name in (b"Ada", b"Bo", b"Cy"):
        c.send(name + b"\n")
        assert c.line() == b"Hello, " + name + b"!\n"
    c.send(b"exit\n")
    c.close()


def http(addr):
    c = Conn(addr)
    c.send(b"GET /index.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = c.f.read()
    assert data.startswith(b"HTTP/1.1 200"), data[:40]
    c.close()


def smtp_reply(c):
    while True:
        l = c.line()
        if l[3:4] != b"-":
            return l


def smtp(addr):
    c = Conn(addr)
    assert smtp_reply(c).startswith(b"220")
    for cmd, code in (
        (b"EHLO soak.example\r\n", b"250"),
        (b"MAIL FROM:<a@example.org>\r\n", b"250"),
        (b"RCPT TO:<b@example.org>\r\n", b"250"),
        (b"DATA\r\n", b"354"),
        (b"Subject: soak\r\n\r\n" + b"line of text\r\n" * 20 + b".\r\n", b"250"),
        (b"QUIT\r\n", b"221"),
    ):
        c.send(cmd)
        r = smtp_reply(c)
        assert r.startswith(code), (cmd, r)
    c.close()


def pop3(addr):
    c = Conn(addr)
    assert c.line().startswith(b"+OK")
    for cmd in (b"USER u\r\n", b"PASS p\r\n", b"STAT\r\n"):
        c.send(cmd)
        l = c.line()
        assert l.startswith(b"+OK"), (cmd, l)
    c.send(b"RETR 1\r\n")
    assert c.line().startswith(b"+OK")
    while c.line() != b".\r\n":
        pass
    c.send(b"QUIT\r\n")
    assert c.line().startswith(b"+OK")
    c.close()


def pop3_capa(addr):
    # The maildrop is locked per session (RFC 1939 section 8), so only one worker logs
    # in; the others open sessions that stay in AUTHORIZATION.
    c = Conn(addr)
    assert c.line().startswith(b"+OK")
    c.send(b"CAPA\r\n")
    assert c.line().startswith(b"+OK")
    while c.line() != b".\r\n":
        pass
    c.send(b"QUIT\r\n")
    assert c.line().startswith(b"+OK")
    c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", required=True, choices=["greeting", "http", "smtp", "pop3"])
    ap.add_argument("--addr", required=True, help="HOST:PORT")
    ap.add_argument("--pid", type=int, required=True, help="the server's process id")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--sample", type=float, default=5)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--maildir", help="SMTP: empty new/ at every sample so the disk does not fill")
    a = ap.parse_args()
    host, port = a.addr.rsplit(":", 1)
    addr = (host, int(port))
    tx = {"greeting": greeting, "http": http, "smtp": smtp, "pop3": pop3}[a.protocol]

    tx(addr)  # warm up
    time.sleep(0.5)
    fds_before = fds(a.pid)
    count = [0]
    errors = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(tx):
        while not stop.is_set():
            try:
                tx(addr)
                with lock:
                    count[0] += 1
            except Exception as e:  # reported, and the run fails
                with lock:
                    errors.append(repr(e))

    kinds = [tx] + [pop3_capa if a.protocol == "pop3" else tx] * (a.workers - 1)
    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in kinds]
    for t in threads:
        t.start()
    start = time.monotonic()
    samples = []  # (t, tx/s, rss KiB, fds)
    last_count, last_t = 0, start
    while time.monotonic() - start < a.seconds:
        time.sleep(a.sample)
        now = time.monotonic()
        with lock:
            c = count[0]
        rate = (c - last_count) / (now - last_t)
        last_count, last_t = c, now
        s = (round(now - start, 1), round(rate), rss_kib(a.pid), fds(a.pid))
        samples.append(s)
        print(f"{a.protocol} t={s[0]}s tx/s={s[1]} rss={s[2]}KiB fds={s[3]}", flush=True)
        if a.maildir:
            new = os.path.join(a.maildir, "new")
            for name in os.listdir(new):
                os.unlink(os.path.join(new, name))
    stop.set()
    for t in threads:
        t.join(30)
    time.sleep(2)
    fds_after = fds(a.pid)

    q = max(1, len(samples) // 4)
    second = [s[2] for s in samples[q : 2 * q]] or [samples[0][2]]
    last = [s[2] for s in samples[-q:]]
    base, end = statistics.median(second), statistics.median(last)
    margin = base * 0.10 + 2048
    rates = [s[1] for s in samples]
    total = count[0]
    print(
        f"SUMMARY {a.protocol}: {total} transactions in {a.seconds:.0f} s "
        f"({total / a.seconds:.0f}/s; per sample median {statistics.median(rates):.0f}, "
        f"min {min(rates)}, max {max(rates)}); RSS median {base:.0f} KiB (2nd quarter) -> "
        f"{end:.0f} KiB (last quarter), margin {margin:.0f} KiB; fds {fds_before} before, "
        f"{fds_after} after; {len(errors)} errors"
    )
    ok = True
    if errors:
        print(f"FAIL: {len(errors)} failed transactions, first: {errors[0]}")
        ok = False
    if fds_after != fds_before:
        print(f"FAIL: file descriptors leaked: {fds_before} before, {fds_after} after")
        ok = False
    if end > base + margin:
        print(f"FAIL: RSS grew from {base:.0f} KiB to {end:.0f} KiB (margin {margin:.0f} KiB)")
        ok = False
    if min(rates) == 0:
        print("FAIL: a sample with no completed transaction")
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

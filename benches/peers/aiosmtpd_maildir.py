"""aiosmtpd delivering each message into a Maildir the durable way, as smtp_server does:
write tmp/NAME, fsync it, rename into new/, fsync new/, and only then answer 250. The
file work runs in the default thread pool (loop.run_in_executor), so concurrent
connections' fsyncs overlap: aiosmtpd's best case, not a handler that blocks the loop.

    python3 aiosmtpd_maildir.py PORT MAILDIR [--no-fsync]

Prints "listening on 127.0.0.1:PORT" once the socket is bound."""

import asyncio
import itertools
import os
import sys
import time

from aiosmtpd.smtp import SMTP

if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0)
if len(sys.argv) < 3 or not sys.argv[1].isdigit() or any(a != "--no-fsync" for a in sys.argv[3:]):
    print("usage: python3 aiosmtpd_maildir.py PORT MAILDIR [--no-fsync]", file=sys.stderr)
    sys.exit(2)
port, root = int(sys.argv[1]), sys.argv[2]
sync = "--no-fsync" not in sys.argv[3:]
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(root, sub), exist_ok=True)
counter = itertools.count()
newdir = os.path.join(root, "new")


def deliver(data: bytes) -> None:
    name = f"{time.time_ns()}.P{os.getpid()}Q{next(counter)}.aiosmtpd"
    tmp = os.path.join(root, "tmp", name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data.replace(b"\r\n", b"\n"))
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, os.path.join(newdir, name))
    if sync:
        dfd = os.open(newdir, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        await asyncio.get_running_loop().run_in_executor(None, deliver, data)
        return "250 2.0.0 Ok: queued"


async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(
        lambda: SMTP(Handler(), hostname="bench.test", decode_data=False),
        "127.0.0.1",
        port,
    )
    print(f"listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    await srv.serve_forever()


asyncio.run(main())

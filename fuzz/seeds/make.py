"""Writes the seed corpus under fuzz/seeds/TARGET/ from the protocol transcripts in
tests/transcripts, so every fuzz run starts from real exchanges. Each seed is the bytes
one side of a transcript sends, behind the control byte(s) the target reads first
(all zero: default configuration, no extra split). Run from the repository root:
python3 fuzz/seeds/make.py"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "fuzz" / "seeds"


def sides(path):
    """Each side's lines as bytes, in the one transcript format of tests/common:
    `C: x` / `S: x` is x with CRLF, `c: x` / `s: x` is x with no terminator."""
    client, server = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        tag, _, rest = line.partition(":")
        rest = rest[1:] if rest.startswith(" ") else rest
        text = rest.encode() + (b"\r\n" if tag in ("C", "S") else b"")
        if tag in ("C", "c"):
            client.append(text)
        elif tag in ("S", "s"):
            server.append(text)
    return client, server


def crlf(lines):
    return b"".join(lines)


def write(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


for t in sorted((ROOT / "tests/transcripts/smtp").glob("*.txt")):
    c, s = sides(t)
    write("smtp_server", t.stem, b"\0\0" + crlf(c))
    write("smtp_client", t.stem, b"\0" + crlf(s))
    write("smtp_reply", t.stem, b"\0" + crlf(s))
    for i, line in enumerate(c[:12]):
        write("smtp_command", f"{t.stem}-{i}", line.rstrip(b"\r\n"))

for t in sorted((ROOT / "tests/transcripts/pop3").glob("*.txt")):
    c, s = sides(t)
    write("pop3_server", t.stem, b"\0" + crlf(c))
    write("pop3_client", t.stem, b"\0" + crlf(s))
    for i, line in enumerate(c):
        write("pop3_command", f"{t.stem}-{i}", line.rstrip(b"\r\n"))
    for i, line in enumerate(l for l in s if l.startswith((b"+OK", b"-ERR"))):
        write("pop3_response", f"{t.stem}-{i}", line.rstrip(b"\r\n"))

for t in sorted((ROOT / "tests/transcripts/http").glob("*.txt")):
    c, s = sides(t)
    write("http_request", t.stem, b"\0" + crlf(c))
    write("http_response", t.stem, b"\0" + crlf(s))
write("http_chunked", "extensions-trailers",
      b"\x05\0" + b"4;name=value\r\nWiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n")

for t in sorted((ROOT / "tests/transcripts/greeting").glob("*.txt")):
    c, _ = sides(t)
    write("greeting_server", t.stem, b"\0" + b"".join(m + b"\n" for m in c))
write("line", "mixed", b"\x20\0HELO a\r\nbare\nc\rr\r\n")
write("dot", "stuffed", b"\0Hi\r\n..dot\r\n.\r\n")

"""Writes the seed corpus under fuzz/seeds/TARGET/ from the protocol transcripts in
tests/transcripts, so every fuzz run starts from real exchanges. Each seed is the bytes
one side of a transcript sends, behind the control byte(s) the target reads first
(all zero: default configuration, no extra split). Run from the repository root:
python3 fuzz/seeds/make.py"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "fuzz" / "seeds"


def sides(path):
    client, server = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("C: ") or line == "C:":
            client.append(line[3:])
        elif line.startswith("S: ") or line == "S:":
            server.append(line[3:])
    return client, server


def crlf(lines):
    return "".join(l + "\r\n" for l in lines).encode()


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
        write("smtp_command", f"{t.stem}-{i}", line.encode())

for t in sorted((ROOT / "tests/transcripts/pop3").glob("*.txt")):
    c, s = sides(t)
    write("pop3_server", t.stem, b"\0" + crlf(c))
    write("pop3_client", t.stem, b"\0" + crlf(s))
    for i, line in enumerate(c):
        write("pop3_command", f"{t.stem}-{i}", line.encode())
    for i, line in enumerate(l for l in s if l.startswith(("+OK", "-ERR"))):
        write("pop3_response", f"{t.stem}-{i}", line.encode())

for t in sorted((ROOT / "tests/transcripts/http").glob("*.txt")):
    c, s = sides(t)
    write("http_request", t.stem, b"\0" + crlf(c))
    write("http_response", t.stem, b"\0" + crlf(s))
write("http_chunked", "extensions-trailers",
      b"\x05\0" + b"4;name=value\r\nWiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n")

for t in sorted((ROOT / "tests/transcripts/greeting").glob("*.txt")):
    c, _ = sides(t)
    write("greeting_server", t.stem, b"\0" + "\n".join(c).encode() + b"\n")
write("line", "mixed", b"\x20\0HELO a\r\nbare\nc\rr\r\n")
write("dot", "stuffed", b"\0Hi\r\n..dot\r\n.\r\n")

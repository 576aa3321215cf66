#!/usr/bin/env bash
# Soak: runs each server program at load for SOAK_SECONDS (default 600, ten minutes),
# sampling throughput, RSS and open file descriptors every SOAK_SAMPLE seconds (default
# 5), and fails if RSS grows beyond the margin (last quarter's median over the second
# quarter's median plus 10% + 2 MiB) or a file descriptor leaks (the count before the
# load and after it must be equal). The load is benches/soak_load.py: SOAK_WORKERS
# (default 8) threads each doing whole transactions (greeting: 3 messages and exit;
# HTTP: GET with Connection: close; SMTP: EHLO, MAIL, RCPT, DATA, QUIT; POP3: USER,
# PASS, STAT, RETR, QUIT in one worker, as the maildrop lock allows one session; CAPA
# and QUIT in the others), a new connection each time, so accept and close are soaked
# too. .ci/run runs it for 20 s a server on each driver (debug builds).
#
#   benches/soak.sh                         # every server, 10 minutes each, mio driver
#   SOAK_SECONDS=60 benches/soak.sh smtp    # one server, one minute
#   SOAK_DRIVER=tokio benches/soak.sh       # the tokio driver
#   SOAK_PROFILE=debug benches/soak.sh      # debug builds (the short CI run)
set -euo pipefail
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
cd "$(dirname "$0")/.."
secs=${SOAK_SECONDS:-600}
sample=${SOAK_SAMPLE:-5}
workers=${SOAK_WORKERS:-8}
driver=${SOAK_DRIVER:-mio}
profile=${SOAK_PROFILE:-release}
if [ $# -gt 0 ]; then protocols=("$@"); else protocols=(greeting http smtp pop3); fi
for p in "${protocols[@]}"; do
  case "$p" in greeting|http|smtp|pop3) ;; *) echo "unknown server: $p" >&2; usage >&2; exit 2 ;; esac
done

case "$profile" in
  release) profile_flag=(--release) ;;
  debug) profile_flag=() ;;
  *) echo "SOAK_PROFILE must be release or debug, not $profile" >&2; exit 2 ;;
esac
cargo build "${profile_flag[@]}" --quiet --example greeting_server --example http_server \
  --example smtp_server --example pop3_server
bin=target/$profile/examples
work=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

failed=0
for p in "${protocols[@]}"; do
  dir="$work/$p"
  mkdir -p "$dir/Maildir/new" "$dir/Maildir/cur" "$dir/Maildir/tmp" "$dir/www"
  extra=()
  case "$p" in
    greeting) args=(--framing line) ;;
    http) echo "soak" >"$dir/www/index.txt"; args=(--root "$dir/www") ;;
    smtp) args=(--maildir "$dir/Maildir"); extra=(--maildir "$dir/Maildir") ;;
    pop3)
      printf 'Subject: soak\r\n\r\n%s' "$(printf 'line of text\r\n%.0s' $(seq 20))" \
        >"$dir/Maildir/cur/1.soak.host:2,"
      args=(--maildir "$dir/Maildir" --user u --pass p) ;;
  esac
  "$bin/${p}_server" "${args[@]}" --driver "$driver" --addr 127.0.0.1:0 2>"$dir/stderr" &
  server=$!
  addr=""
  for _ in $(seq 100); do
    addr=$(sed -n 's/^listening on //p' "$dir/stderr" | head -n1)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "$p server did not start"; cat "$dir/stderr"; exit 1; }
  echo "== $p on $driver at $addr (pid $server), ${secs}s"
  if ! python3 benches/soak_load.py --protocol "$p" --addr "$addr" --pid "$server" \
      --seconds "$secs" --sample "$sample" --workers "$workers" "${extra[@]}"; then
    failed=1
  fi
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
done
exit "$failed"

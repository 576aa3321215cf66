#!/usr/bin/env bash
# Instructions per iteration of every contender of benches/http_peers.rs, under
# `valgrind --tool=callgrind`: each contender runs N and then 2N iterations in a process
# of its own, and (Ir(2N) - Ir(N)) / N is what one iteration costs, start-up
# cancelled. Only the part the bench's clock times is collected (--toggle-collect on its
# `measured` function), so building the fresh machines of a batch is not counted. Instruction counts do not drift with the machine's load the way
# times do, so they are the second, stable figure beside the bench's times.
#
#   benches/callgrind.sh [N]          (default N = 2000)
#
# Env: CONTENDERS and INPUTS (space-separated) narrow the table; BIN counts an
# http_peers binary built elsewhere (say, from an older commit) instead of building.
# Needs valgrind, a C compiler and python3.
#
# picohttpparser's SSE4.2 build cannot run under valgrind (VEX does not decode
# PCMPESTRI), so its rows count its scalar build instead: benches/peers/pico_count.c
# with the picohttpparser.c that the picohttpparser-sys crate ships, compiled with
# -O3 -mno-sse4.2, parsing the same head bytes (`http_peers --dump`). The time bench
# measures the SSE4.2 build.
set -euo pipefail
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
if [ $# -gt 1 ] || [[ -n "${1:-}" && ! "$1" =~ ^[1-9][0-9]*$ ]]; then usage >&2; echo "error: the one argument is N, a whole number" >&2; exit 2; fi

cd "$(dirname "$0")/.."
N=${1:-2000}
CONTENDERS=${CONTENDERS:-"httparse pico slice machine machine_ref machine_kept machine_msg server_new"}
INPUTS=${INPUTS:-"req req_short resp resp_short chunked_post"}

command -v valgrind >/dev/null || { echo "valgrind is not installed (Debian: valgrind)" >&2; exit 1; }

bin=${BIN:-$(cargo bench --bench http_peers --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "http_peers" and m.get("executable"):
        print(m["executable"])')}
[ -x "$bin" ] || { echo "could not build benches/http_peers.rs" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy, so that a build meanwhile cannot change what is counted.
cp "$bin" "$tmp/http_peers"
bin=$tmp/http_peers

pico_c=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/picohttpparser-sys-1.*/deps/picohttpparser 2>/dev/null | tail -1)
if [[ " $CONTENDERS " == *" pico "* ]]; then
    [ -n "$pico_c" ] || { echo "picohttpparser-sys is not in the cargo registry: cargo fetch" >&2; exit 1; }
    cc -O3 -mno-sse4.2 -I"$pico_c" "$pico_c/picohttpparser.c" benches/peers/pico_count.c -o "$tmp/pico_count"
fi

# Total instructions of one run.
ir() {
    local out="$tmp/cg.$1.$2.$3"
    if [ "$1" = pico ]; then
        local role=req
        [[ "$2" == resp* ]] && role=resp
        "$bin" --dump "$2" >"$tmp/head.$2"
        if ! valgrind --tool=callgrind --callgrind-out-file="$out" "$tmp/pico_count" "$tmp/head.$2" "$role" "$3" \
            >"$tmp/log" 2>&1; then
            echo "ERR"
            return
        fi
        awk '/^summary:/ { print $2 }' "$out"
        return
    fi
    # Only the timed part of each batch is counted (the bench's `measured`), so set-up
    # outside the clock (building fresh machines, answering kept-alive requests) is not.
    if ! valgrind --tool=callgrind --toggle-collect='*measured*' --callgrind-out-file="$out" "$bin" --only "$1" --input "$2" --iters "$3" \
        >"$tmp/log" 2>&1; then
        echo "ERR"
        return
    fi
    awk '/^summary:/ { print $2 }' "$out"
}

applies() {
    case "$1:$2" in
        machine_kept:req_short | machine_kept:resp* | machine_msg:req* | machine_msg:resp*) return 1 ;;
        server_new:req) return 0 ;;
        server_new:*) return 1 ;;
    esac
    return 0
}

printf '%-14s %-13s %10s\n' contender input "Ir/iter"
for input in $INPUTS; do
    for c in $CONTENDERS; do
        applies "$c" "$input" || continue
        a=$(ir "$c" "$input" "$N")
        b=$(ir "$c" "$input" $((2 * N)))
        if [ "$a" = ERR ] || [ "$b" = ERR ]; then
            printf '%-14s %-13s %10s\n' "$c" "$input" "failed: $(tail -1 "$tmp/log")"
            continue
        fi
        printf '%-14s %-13s %10.1f\n' "$c" "$input" "$(awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN { print (b - a) / n }')"
    done
done

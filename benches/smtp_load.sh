#!/usr/bin/env bash
# SMTP load bench against Postfix's smtp-source, every contender in one run, interleaved
# round by round (issue 13's durable delivery, issue 11's load bench).
#
#   benches/smtp_load.sh            # 3 rounds of 3000 messages per contender and load
#   SMTP_LOAD_MESSAGES=5000 SMTP_LOAD_ROUNDS=5 benches/smtp_load.sh
#   SMTP_LOAD_DIR=/some/disk benches/smtp_load.sh   # where the Maildirs go (default /var/tmp)
#   SMTP_LOAD_LOADS=connection benches/smtp_load.sh # only the first load below
#   SMTP_LOAD_BASELINE=/tmp/smtp_server.old benches/smtp_load.sh
#       # also an older smtp_server build, as base-std/mio/tokio and base-mio-nofsync
#
# Two loads, both `smtp-source -s 20 -l 4096 -m N` (20 parallel sessions, 4 KiB
# messages, N messages), timed from start to exit; figure = N / seconds:
#   connection  one message per connection (smtp-source without -d): connect, greeting,
#               EHLO, MAIL, RCPT, DATA, QUIT for every message. The client's own work
#               and the round trips then take as long as the disk: smtp-sink, which
#               does nothing, is no faster than the disk limit below, and since a
#               session waits for its 250 before it goes on, no server can get near
#               the limit under this load.
#   session     the same sessions kept open (`-d`): MAIL, RCPT, DATA per message, so
#               the disk's share of each message's time is larger and the durable
#               figures say more about delivery.
# and one load of our own client, since smtp-source waits for each reply before the next
# command (four round trips per message, the bound under the tables):
#   pipelined   20 `smtp_send --count N/20` at once (examples/smtp_send.rs), sessions
#               kept open, the same 4096-octet message: with PIPELINING and CHUNKING a
#               transaction is one write (MAIL, RCPT, BDAT 4096 LAST and the data) and
#               one round trip; a server offering neither gets MAIL, RCPT, DATA
#               pipelined where it offers PIPELINING, each in turn where it does not.
#               Not in the default LOADS: SMTP_LOAD_LOADS="session pipelined".
#
# Every run writes into a directory of its own, and nothing is removed before the end.
# On ext4 without a journal (this machine's root) a new inode is never one freed in
# the last 60 seconds (5 minutes if its table block is dirty: `recently_deleted()` in
# fs/ext4/ialloc.c), and the allocator checks every such inode one by one from the
# start of the group: removing the last run's thousands of files right before the next
# made every file creation walk past them, and nearly half of the server's CPU time
# was in `recently_deleted` (perf), whoever came next paying for it.
#
# Part 1, durable (fsync before every 250), on one disk:
#   ours-std, ours-mio, ours-tokio  smtp_server --driver X (release build): tmp/, fsync,
#                                  rename into new/, group fsync of new/, then 250
#   aiosmtpd                        benches/peers/aiosmtpd_maildir.py: the same four steps
#                                  in aiosmtpd's thread pool, then 250
#   postfix                         a private Postfix: smtpd -> cleanup (its 250 comes after
#                                  the queue file is fsynced) -> qmgr -> virtual(8) into a
#                                  Maildir; "postfix" is the acceptance rate, and
#                                  "postfix-delivered" the rate until all N are in new/
#   limit                           benches/peers/maildir_limit.c: 20 threads doing only
#                                  write, fsync, rename, fsync new/ (the disk's limit)
# Part 2, the protocol path without fsync:
#   ours-std/mio/tokio --no-fsync, aiosmtpd --no-fsync, smtp-sink (Postfix's test
#   server: no disk at all), limit nosync.
# Under each table, the bound for a server as fast as smtp-sink whose sessions then
# wait for the disk as limit's writers do: 1 / (1/smtp-sink + 1/limit), from medians
# (a model, not a measurement).
#
# Needs: postfix (smtp-source, smtp-sink, and root for the private instance), python3
# with aiosmtpd, cc. Prints a median (min-max) table with ratios.
set -euo pipefail
usage() { sed -n '2,59p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
if [ $# -gt 0 ]; then usage >&2; echo "error: no arguments; the settings are SMTP_LOAD_* variables" >&2; exit 2; fi

N=${SMTP_LOAD_MESSAGES:-3000}
ROUNDS=${SMTP_LOAD_ROUNDS:-3}
LOADS=${SMTP_LOAD_LOADS:-connection session}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${SMTP_LOAD_DIR:-/var/tmp}/wirestate-smtp-load.XXXXXX")
chmod 755 "$work"
results="$work/results.txt"
: >"$results"
pids=()
pf_conf=""

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "$pf_conf" ]; then /usr/sbin/postfix -c "$pf_conf" stop >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

for tool in /usr/sbin/smtp-source /usr/sbin/smtp-sink cc python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
python3 -c 'import aiosmtpd' || { echo "missing aiosmtpd" >&2; exit 1; }

(cd "$repo" && cargo build --release --quiet --example smtp_server --example smtp_send)
ours="$repo/target/release/examples/smtp_server"
sender="$repo/target/release/examples/smtp_send"
cc -O2 -pthread -o "$work/maildir_limit" "$repo/benches/peers/maildir_limit.c"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
    for _ in $(seq 1 200); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    echo "nothing listens on $1" >&2
    return 1
}

now() { date +%s.%N; }

# The current load's extra smtp-source flag (see the top).
load=connection
load_flags() { if [ "$load" = session ]; then echo -d; fi; }

# The pipelined load's message: 4096 octets, headers included, as smtp-source's -l 4096.
message="$work/message.eml"
python3 - "$message" <<'PY'
import sys
head = b"From: bench@bench.test\r\nTo: box@bench.test\r\nSubject: load\r\n\r\n"
line = b"x" * 70 + b"\r\n"
body = (line * (4096 // len(line) + 1))[: 4096 - len(head) - 2] + b"\r\n"
open(sys.argv[1], "wb").write(head + body)
PY

# The pipelined load: 20 sessions of smtp_send --count, N messages in all.
pipelined() {
    local port=$1 i pids_p=() each=$((N / 20)) rest=$((N % 20)) status=0
    for i in $(seq 0 19); do
        "$sender" --addr "127.0.0.1:$port" --from bench@bench.test --to box@bench.test \
            --no-tls --quiet --count $((each + (i < rest ? 1 : 0))) "$message" &
        pids_p+=("$!")
    done
    for i in "${pids_p[@]}"; do wait "$i" || status=1; done
    return $status
}

# Runs the load against $1 and prints messages/s.
source_rate() {
    local port=$1 t0 t1
    t0=$(now)
    if [ "$load" = pipelined ]; then
        pipelined "$port" >/dev/null || { echo "smtp_send failed against $port" >&2; exit 1; }
        t1=$(now)
        python3 -c "print(f'{$N/($t1-$t0):.1f}')"
        return
    fi
    # shellcheck disable=SC2046
    /usr/sbin/smtp-source -s 20 $(load_flags) -l 4096 -m "$N" -f bench@bench.test \
        -t box@bench.test "127.0.0.1:$port" >/dev/null
    t1=$(now)
    python3 -c "print(f'{$N/($t1-$t0):.1f}')"
}

# A new, empty Maildir for one run, printed; never one removed just before (see the top).
fresh() {
    local dir
    mkdir -p "$work/runs"
    dir=$(mktemp -d "$work/runs/$load-$1.XXXXXX")
    mkdir -p "$dir/tmp" "$dir/new" "$dir/cur"
    echo "$dir"
}

count_new() { find "$1/new" -type f | wc -l; }

record() { echo "$load/$1 $2" >>"$results"; printf '  %-20s %8s msg/s\n' "$1" "$2"; }

# CPU time (user + system, in microseconds) a process and its reaped children used.
cpu_us() {
    python3 - "$1" <<'PY'
import os, sys
f = open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")", 1)[1].split()
print(int((int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])) * 1e6 / os.sysconf("SC_CLK_TCK")))
PY
}

# A server program: start, load, stop, check every message arrived.
run_server() {
    local name=$1 dir=$2
    shift 2
    local port pid rate got
    port=$(free_port)
    if [ "$dir" != - ]; then dir=$(fresh "$name"); fi
    "$@" "$port" "$dir" 2>"$work/$name.err" &
    pid=$!
    pids+=("$pid")
    wait_port "$port"
    rate=$(source_rate "$port")
    # Server CPU per message: steadier than the rate on a loaded machine.
    echo "$load/$name-cpu $(( $(cpu_us "$pid") / N ))" >>"$results"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    if [ "$dir" != - ]; then
        got=$(count_new "$dir")
        [ "$got" -eq "$N" ] || { echo "$name: $got of $N messages in new/" >&2; exit 1; }
    fi
    record "$name" "$rate"
}

ours_run() {
    local driver=$1 extra=$2 port=$3 dir=$4
    # shellcheck disable=SC2086
    exec "$ours" --addr "127.0.0.1:$port" --maildir "$dir" --driver "$driver" $extra
}
base_run() {
    local driver=$1 extra=$2 port=$3 dir=$4
    # shellcheck disable=SC2086
    exec "$SMTP_LOAD_BASELINE" --addr "127.0.0.1:$port" --maildir "$dir" --driver "$driver" $extra
}
aiosmtpd_run() { exec python3 "$repo/benches/peers/aiosmtpd_maildir.py" "$3" "$4" $2; }
# smtp-sink refuses to run as root without a user to switch to.
sink_run() { exec /usr/sbin/smtp-sink -u nobody "127.0.0.1:$3" 256; }

limit_run() {
    local name=$1 extra=${2:-} dir rate
    dir=$(fresh "$name")
    # shellcheck disable=SC2086
    rate=$("$work/maildir_limit" "$dir" 20 "$N" 4096 $extra | awk '{print $6}')
    record "$name" "$rate"
}

# A private Postfix instance (root needed to start master and drop to its users):
# everything for bench.test goes to virtual(8), into $work/pf/vmail/box/ as a Maildir.
postfix_setup() {
    local pf="$work/pf"
    pf_port=$(free_port)
    pf_conf="$pf/conf"
    mkdir -p "$pf_conf" "$pf/queue" "$pf/data" "$pf/vmail"
    chown postfix "$pf/data"
    chown 65534:65534 "$pf/vmail"
    cat >"$pf_conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = bench.test
virtual_mailbox_base = $pf/vmail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
maillog_file_prefixes = $pf
maillog_file = $pf/maillog
syslog_name = wirestate-bench
EOF
    sed "s/^smtp      inet.*/127.0.0.1:$pf_port inet n - n - - smtpd/" /etc/postfix/master.cf \
        >"$pf_conf/master.cf"
    /usr/sbin/postfix -c "$pf_conf" start >/dev/null
    wait_port "$pf_port"
}

postfix_run() {
    local box="$work/pf/vmail/box" t0 rate t1 got before
    # The one mailbox grows from run to run: what this run delivered is the increase.
    before=$( [ -d "$box/new" ] && count_new "$box" || echo 0)
    t0=$(now)
    rate=$(source_rate "$pf_port")
    for _ in $(seq 1 1200); do
        got=$(( $( [ -d "$box/new" ] && count_new "$box" || echo 0) - before ))
        [ "$got" -ge "$N" ] && break
        sleep 0.1
    done
    t1=$(now)
    [ "$got" -eq "$N" ] || { echo "postfix: $got of $N delivered" >&2; exit 1; }
    record postfix "$rate"
    record postfix-delivered "$(python3 -c "print(f'{$N/($t1-$t0):.1f}')")"
}

postfix_setup
echo "smtp_load: $N messages x $ROUNDS rounds, 20 sessions, 4096-octet messages, loads: $LOADS, in $work"
for r in $(seq 1 "$ROUNDS"); do
    for load in $LOADS; do
        echo "round $r, $load: durable"
        for driver in std mio tokio; do
            run_server "ours-$driver" maildir ours_run "$driver" ""
            if [ -n "${SMTP_LOAD_BASELINE:-}" ]; then
                run_server "base-$driver" maildir base_run "$driver" ""
            fi
        done
        run_server aiosmtpd maildir aiosmtpd_run - ""
        postfix_run
        limit_run limit
        echo "round $r, $load: no fsync"
        for driver in std mio tokio; do
            run_server "ours-$driver-nofsync" maildir ours_run "$driver" --no-fsync
        done
        if [ -n "${SMTP_LOAD_BASELINE:-}" ]; then
            run_server base-mio-nofsync maildir base_run mio --no-fsync
        fi
        run_server aiosmtpd-nofsync maildir aiosmtpd_run - --no-fsync
        run_server smtp-sink - sink_run - ""
        limit_run limit-nosync nosync
    done
done

python3 - "$results" <<'EOF'
import statistics, sys
loads = {}
for line in open(sys.argv[1]):
    key, rate = line.split()
    load, name = key.split("/", 1)
    loads.setdefault(load, {}).setdefault(name, []).append(float(rate))
for load, rates in loads.items():
    cpu = {k[:-4]: v for k, v in rates.items() if k.endswith("-cpu")}
    rates = {k: v for k, v in rates.items() if not k.endswith("-cpu")}
    med = {k: statistics.median(v) for k, v in rates.items()}
    def ratio(a, b):
        return f"{med[a] / med[b]:.2f}x" if a in med and b in med and med[b] else "-"
    print(f"\nload: {load}")
    print(f"{'contender':22} {'median msg/s':>12} {'min-max':>17} {'/limit':>7} {'/postfix':>9} {'server CPU us/msg (min-max)':>28}")
    for name, v in rates.items():
        base = "limit-nosync" if "nofsync" in name or "nosync" in name or name == "smtp-sink" else "limit"
        pf = "-" if base != "limit" else ratio(name, "postfix")
        c = cpu.get(name)
        c = f"{statistics.median(c):.0f} ({min(c):.0f}-{max(c):.0f})" if c else "-"
        print(f"{name:22} {med[name]:12.1f} {min(v):8.1f}-{max(v):<8.1f} {ratio(name, base):>7} {pf:>9} {c:>28}")
    if med.get("smtp-sink") and med.get("limit"):
        bound = 1 / (1 / med["smtp-sink"] + 1 / med["limit"])
        print(f"{'bound (model)':22} {bound:12.1f} {'':17} {bound / med['limit']:6.2f}x"
              "   1/(1/smtp-sink + 1/limit): smtp-sink's protocol time, then limit's disk time")
EOF

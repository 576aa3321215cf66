r"""CPU per message of greeting servers under the same lockstep load, interleaved trials.

Usage: python3 benches/peers/greeting_cpu.py CONNS ROUNDS TRIALS LABEL=COMMAND...
e.g.   python3 benches/peers/greeting_cpu.py 1000 30 5 "C=target/release/epoll_greeting" \
           "mio=target/release/examples/greeting_mio_server --framing chunk"

Each server is started with `--addr 127.0.0.1:0`, gets CONNS connections, and ROUNDS
lockstep rounds (every connection sends one name, then every reply is read, so each server
read is one message). Server CPU = the sum over its threads of on-CPU nanoseconds
(/proc/PID/task/*/schedstat) across the timed rounds, which stays exact on a machine
shared with other work, unlike the 10 ms ticks of /proc/PID/stat. RSS per connection =
(VmRSS with CONNS idle connections - VmRSS before any) / CONNS. Servers take turns within
each trial, the first one rotating. The first server is the base of the ratios, which
are given both as a ratio of medians and paired within each trial (median, quartiles,
and a 95% bootstrap interval of the median).
The client is Python, so messages per second here measure the client, not the servers:
use benches/greeting.rs (WIRESTATE_LOAD=1) for throughput.
How many trials: on a shared machine one trial's paired ratio spreads by about +-10%
(quartiles), so 60 trials give an interval of the median about +-4% wide and 200 trials
about +-2.5% (1,000 connections, 30 rounds: about 8 minutes for two servers)."""
import os, socket, subprocess, sys, time, glob, statistics, selectors, random
if len(sys.argv) > 1 and sys.argv[1] in ('-h', '--help'):
    print(__doc__)
    sys.exit(0)
if len(sys.argv) < 5 or not all(a.isdigit() for a in sys.argv[1:4]) or any('=' not in a for a in sys.argv[4:]):
    print(__doc__.split('\n\n')[1], file=sys.stderr)
    print('error: want CONNS ROUNDS TRIALS (whole numbers) and at least one LABEL=COMMAND', file=sys.stderr)
    sys.exit(2)
N = int(sys.argv[1]); ROUNDS = int(sys.argv[2]); TRIALS = int(sys.argv[3])
servers = [x.split('=', 1) for x in sys.argv[4:]]
def cpu_ns(pid):
    t = 0
    for f in glob.glob(f'/proc/{pid}/task/*/schedstat'):
        try: t += int(open(f).read().split()[0])
        except OSError: pass
    return t
def rss(pid):
    for l in open(f'/proc/{pid}/status'):
        if l.startswith('VmRSS:'): return int(l.split()[1]) * 1024
def start(cmd):
    p = subprocess.Popen(cmd.split() + ['--addr', '127.0.0.1:0'], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    line = p.stderr.readline().decode()
    port = int(line.strip().rsplit(':', 1)[1])
    return p, port
res = {name: [] for name, _ in servers}
for trial in range(TRIALS):
    order = servers[trial % len(servers):] + servers[:trial % len(servers)]
    for name, cmd in order:
        p, port = start(cmd); time.sleep(0.3)
        r0 = rss(p.pid)
        socks = []
        for i in range(N):
            s = socket.create_connection(('127.0.0.1', port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            socks.append(s)
        for s in socks:
            got = b''
            while len(got) < 8: got += s.recv(64)
        time.sleep(0.3); r1 = rss(p.pid)
        def rnd():
            for s in socks: s.sendall(b'Ada')
            for s in socks:
                got = b''
                while len(got) < 11: got += s.recv(64)
        rnd()
        c0 = cpu_ns(p.pid)
        for _ in range(ROUNDS): rnd()
        c1 = cpu_ns(p.pid)
        for s in socks: s.close()
        p.kill(); p.wait()
        res[name].append(((c1 - c0) / 1e3 / (N * ROUNDS), (r1 - r0) / N))
        print(f'trial {trial} {name:12} {res[name][-1][0]:.2f} us/msg  {res[name][-1][1]:.0f} B/conn', flush=True)
print(f'\n{N} connections, {ROUNDS} lockstep messages each per trial, {TRIALS} trials')
for name, _ in servers:
    v = sorted(x[0] for x in res[name]); b = sorted(x[1] for x in res[name])
    print(f'{name:12} cpu/msg median {statistics.median(v):.2f} us ({v[0]:.2f}-{v[-1]:.2f})   RSS/conn median {statistics.median(b):.0f} B')
base = statistics.median(x[0] for x in res[servers[0][0]]) if servers else 1
for name, _ in servers:
    print(f'{name:12} cpu/msg vs {servers[0][0]}: {statistics.median(x[0] for x in res[name]) / base:.3f}x')
# The ratio of medians above mixes trials run at different moments. Paired within each
# trial (the two servers ran one right after the other), the ratios cancel most of the
# machine's drift; their quartiles say how finely this run can tell the servers apart.
# The 95% bootstrap interval of the paired median (10,000 resamples of the trials, a fixed
# seed so a run's interval can be reproduced from its trial lines) says whether the run
# can answer "within 5%": only if the whole interval is below 1.05.
def bootstrap(r, n=10000):
    rng = random.Random(1)
    meds = sorted(statistics.median(rng.choices(r, k=len(r))) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n)]
for name, _ in servers[1:]:
    r = sorted(x[0] / b[0] for x, b in zip(res[name], res[servers[0][0]]))
    q = statistics.quantiles(r, n=4) if len(r) >= 2 else [r[0]] * 3
    lo, hi = bootstrap(r)
    print(f'{name:12} paired per trial vs {servers[0][0]}: median {statistics.median(r):.3f}x, '
          f'quartiles {q[0]:.3f}-{q[2]:.3f}, range {r[0]:.3f}-{r[-1]:.3f}, '
          f'95% interval {lo:.3f}-{hi:.3f}, {sum(x < 1 for x in r)} of {len(r)} trials below 1')

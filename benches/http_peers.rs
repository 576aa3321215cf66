//! HTTP head parsing beside its peers, every contender in one process, interleaved round
//! by round, so a drift in the machine's speed hits all of them alike.
//!
//! `cargo bench --bench http_peers` runs every contender on every input for
//! `--rounds` rounds (default 7) and prints, per input, each contender's median ns/op with
//! the min-max over the rounds, and the ratios that the goals of issue 13 name, each
//! taken within a round (so both sides of a ratio saw the same machine) and given as the
//! median and min-max of those per-round ratios.
//!
//! `--only CONTENDER --input INPUT --iters N` runs one contender N times and nothing
//! else: `benches/callgrind.sh` runs that under `valgrind --tool=callgrind` with N and 2N
//! and subtracts, so start-up cancels and what is left is instructions per iteration.
//! `--dump INPUT` writes an input's head, for the scalar picohttpparser counter.
//!
//! Inputs: httparse's `REQ` (720 bytes), `REQ_SHORT`, `RESP` (699 bytes), `RESP_SHORT`
//! (its benches/parse.rs), and llhttp's 520-byte chunked POST (its bench/native.ts,
//! "nodejs/http-parser"), the bytes unchanged so numbers compare with theirs.
//!
//! Contenders:
//! - `httparse`: `Request::parse` / `Response::parse` into a reused array of 16 headers.
//!   It validates bytes and splits fields; it decides no framing.
//! - `pico`: picohttpparser (`phr_parse_request` / `phr_parse_response`) through
//!   `picohttpparser-sys`, built with SSE4.2 (its default `sse4` feature passes
//!   `-msse4` to the C compiler), into a reused array of 16 headers.
//! - `slice`: `HeadParser::parse_request_bytes` / `parse_response_bytes`: field offsets
//!   into the parser's reused list, plus what the peers leave out: the Host count,
//!   Content-Length and Transfer-Encoding rules, the body framing and persistence.
//! - `machine`: a fresh `Server` (or a `Client` that has sent its GET), built outside
//!   the timing in batches: `handle_input` + `poll_event` up to the head event, which
//!   owns its bytes. This is the path users run.
//! - `machine_ref`: the `machine` row with `Server::poll_request_ref` (or
//!   `Client::poll_response_ref`) in place of `poll_event`: the head read where it lies
//!   in the receive buffer, no owned head built (the chunked POST's body is not read).
//! - `machine_kept`: one `Server` for every request (REQ and the chunked POST): `handle_input`,
//!   `poll_event` to the head and once more to its `End`, which is what a kept-alive
//!   connection does per request; the responses that let it go on are written in
//!   batches outside the timing.
//! - `machine_msg` (chunked POST only): a fresh `Server` through the whole message: the
//!   head, the body's `Data` and its `End`.
//! - `server_new` (listed under REQ): `Server::new` with the default configuration and
//!   its drop, which the `machine` rows leave out.
//!
//! The bench profile builds every contender the same way: thin LTO, one codegen unit,
//! and picohttpparser's C at the same `-O` level.

use bytes::Bytes;
use clap::Parser;
use std::hint::black_box;
use std::time::Instant as Clock;
use wirestate::http::{
    Client, ClientConfig, ClientEvent, HeadParser, Limits, Method, RequestHead, ResponseHead,
    Server, ServerConfig, ServerEvent, StatusCode,
};
use wirestate::{Instant, Machine};

const REQ_SHORT: &[u8] = b"\
GET / HTTP/1.0\r\n\
Host: example.com\r\n\
Cookie: session=60; user_id=1\r\n\r\n";

const REQ: &[u8] = b"\
GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n\
Keep-Alive: 115\r\n\
Connection: keep-alive\r\n\
Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; __utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral|padding=under256\r\n\r\n";

const RESP_SHORT: &[u8] = b"\
HTTP/1.0 200 OK\r\n\
Date: Wed, 21 Oct 2015 07:28:00 GMT\r\n\
Set-Cookie: session=60; user_id=1\r\n\r\n";

const RESP: &[u8] = b"\
HTTP/1.1 200 OK\r\n\
Date: Wed, 21 Oct 2015 07:28:00 GMT\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n\
Keep-Alive: 115\r\n\
Connection: keep-alive\r\n\
Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; __utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral|padding=under256\r\n\r\n";

/// llhttp's bench/native.ts "nodejs/http-parser" request, 520 bytes: a 499-byte head and
/// 21 bytes of chunked body (one 11-byte chunk and the last chunk).
const CHUNKED_POST: &[u8] = b"\
POST /joyent/http-parser HTTP/1.1\r\n\
Host: github.com\r\n\
DNT: 1\r\n\
Accept-Encoding: gzip, deflate, sdch\r\n\
Accept-Language: ru-RU,ru;q=0.8,en-US;q=0.6,en;q=0.4\r\n\
User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/39.0.2171.65 Safari/537.36\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8\r\n\
Referer: https://github.com/joyent/http-parser\r\n\
Connection: keep-alive\r\n\
Transfer-Encoding: chunked\r\n\
Cache-Control: max-age=0\r\n\r\n\
b\r\nhello world\r\n0\r\n\r\n";

/// Length of [`CHUNKED_POST`]'s head.
const CHUNKED_POST_HEAD: usize = 499;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Request,
    Response,
}

struct Input {
    name: &'static str,
    bytes: &'static [u8],
    /// Where the head ends (the peers parse only the head).
    head: usize,
    role: Role,
}

const INPUTS: [Input; 5] = [
    Input {
        name: "req",
        bytes: REQ,
        head: REQ.len(),
        role: Role::Request,
    },
    Input {
        name: "req_short",
        bytes: REQ_SHORT,
        head: REQ_SHORT.len(),
        role: Role::Request,
    },
    Input {
        name: "resp",
        bytes: RESP,
        head: RESP.len(),
        role: Role::Response,
    },
    Input {
        name: "resp_short",
        bytes: RESP_SHORT,
        head: RESP_SHORT.len(),
        role: Role::Response,
    },
    Input {
        name: "chunked_post",
        bytes: CHUNKED_POST,
        head: CHUNKED_POST_HEAD,
        role: Role::Request,
    },
];

const CONTENDERS: [&str; 8] = [
    "httparse",
    "pico",
    "slice",
    "machine",
    "machine_ref",
    "machine_kept",
    "machine_msg",
    "server_new",
];

/// Whether `contender` runs on `input`.
fn applies(contender: &str, input: &Input) -> bool {
    match contender {
        // A kept-alive connection needs a request that keeps it: REQ_SHORT is HTTP/1.0
        // without `keep-alive`, so its connection ends after one request.
        "machine_kept" => input.role == Role::Request && input.name != "req_short",
        "machine_msg" => input.name == "chunked_post",
        // Construction reads no input: listed once.
        "server_new" => input.name == "req",
        _ => true,
    }
}

/// Machines built ahead of a timed batch, and dropped after it.
const BATCH: usize = 256;

/// One contender on one input, ready to run `n` iterations at a time. Everything it
/// reuses (header arrays, parsers, the kept-alive server) is created once, here.
struct Runner {
    input: &'static Input,
    kind: &'static str,
    headers: Box<[httparse::Header<'static>; 16]>,
    pico: Box<[picohttpparser_sys::phr_header; 16]>,
    parser: HeadParser,
    kept: Server,
    fresh_servers: Vec<Server>,
    fresh_clients: Vec<Client>,
}

fn fresh_client() -> Client {
    let mut c = Client::new(ClientConfig::default());
    let mut req = RequestHead::new(Method::Get, "/").unwrap();
    req.headers.append("Host", "www.kittyhell.com").unwrap();
    c.send_request(req).unwrap();
    c.send_end().unwrap();
    while c.poll_transmit().is_some() {}
    c
}

impl Runner {
    /// Builds `k` fresh servers outside the timing, then times `each` on every one.
    #[inline(always)]
    fn time_fresh_servers(&mut self, k: usize, mut each: impl FnMut(&mut Server)) -> u128 {
        self.fresh_servers
            .extend((0..k).map(|_| Server::new(ServerConfig::default())));
        let t = Clock::now();
        measured(|| self.fresh_servers.iter_mut().for_each(&mut each));
        let spent = t.elapsed().as_nanos();
        self.fresh_servers.clear();
        spent
    }

    /// The same for `k` fresh clients, each awaiting the response to one GET.
    #[inline(always)]
    fn time_fresh_clients(&mut self, k: usize, mut each: impl FnMut(&mut Client)) -> u128 {
        self.fresh_clients.extend((0..k).map(|_| fresh_client()));
        let t = Clock::now();
        measured(|| self.fresh_clients.iter_mut().for_each(&mut each));
        let spent = t.elapsed().as_nanos();
        self.fresh_clients.clear();
        spent
    }

    fn new(input: &'static Input, kind: &'static str) -> Runner {
        let mut config = ServerConfig::default();
        // Requests are answered in batches outside the timing, so a batch is read ahead.
        config.limits.max_pipeline = BATCH;
        Runner {
            input,
            kind,
            headers: Box::new([httparse::EMPTY_HEADER; 16]),
            pico: Box::new([picohttpparser_sys::phr_header::default(); 16]),
            parser: HeadParser::new(&Limits::default()),
            kept: Server::new(config),
            fresh_servers: Vec::with_capacity(BATCH),
            fresh_clients: Vec::with_capacity(BATCH),
        }
    }

    /// Runs `n` iterations; returns the nanoseconds spent in the measured part.
    fn run(&mut self, n: usize) -> u128 {
        let mut spent = 0;
        let mut left = n;
        while left > 0 {
            let k = left.min(BATCH);
            spent += self.batch(k);
            left -= k;
        }
        spent
    }

    fn batch(&mut self, k: usize) -> u128 {
        let input = self.input;
        let bytes = input.bytes;
        match (self.kind, input.role) {
            ("httparse", role) => {
                let t = Clock::now();
                measured(|| {
                    for _ in 0..k {
                        let head = black_box(&bytes[..input.head]);
                        let status = if role == Role::Request {
                            httparse::Request::new(&mut self.headers[..]).parse(head)
                        } else {
                            httparse::Response::new(&mut self.headers[..]).parse(head)
                        };
                        assert_eq!(status.unwrap(), httparse::Status::Complete(input.head));
                    }
                });
                t.elapsed().as_nanos()
            }
            ("pico", role) => {
                let t = Clock::now();
                measured(|| {
                    for _ in 0..k {
                        let n = pico_parse(black_box(&bytes[..input.head]), role, &mut self.pico);
                        assert_eq!(n, input.head as i32);
                    }
                });
                t.elapsed().as_nanos()
            }
            ("slice", Role::Request) => {
                let t = Clock::now();
                measured(|| {
                    for _ in 0..k {
                        let req = self
                            .parser
                            .parse_request_bytes(black_box(bytes))
                            .unwrap()
                            .unwrap();
                        assert_eq!(req.len, input.head);
                        black_box(&req);
                    }
                });
                t.elapsed().as_nanos()
            }
            ("slice", Role::Response) => {
                let t = Clock::now();
                measured(|| {
                    for _ in 0..k {
                        let resp = self
                            .parser
                            .parse_response_bytes(black_box(bytes), &Method::Get)
                            .unwrap()
                            .unwrap();
                        assert_eq!(resp.len, input.head);
                        black_box(&resp);
                    }
                });
                t.elapsed().as_nanos()
            }
            ("machine", Role::Request) => self.time_fresh_servers(k, |s| {
                s.handle_input(Instant::ZERO, black_box(bytes));
                match s.poll_event() {
                    Some(e @ ServerEvent::Request { .. }) => drop(black_box(e)),
                    other => panic!("{other:?}"),
                }
            }),
            ("machine_ref", Role::Request) => self.time_fresh_servers(k, |s| {
                s.handle_input(Instant::ZERO, black_box(bytes));
                let r = s.poll_request_ref().expect("a head read in place");
                black_box(&r);
            }),
            ("machine_ref", Role::Response) => self.time_fresh_clients(k, |c| {
                c.handle_input(Instant::ZERO, black_box(bytes));
                let r = c.poll_response_ref().expect("a head read in place");
                black_box(&r);
            }),
            ("machine", Role::Response) => self.time_fresh_clients(k, |c| {
                c.handle_input(Instant::ZERO, black_box(bytes));
                match c.poll_event() {
                    Some(e @ ClientEvent::Response(_)) => drop(black_box(e)),
                    other => panic!("{other:?}"),
                }
            }),
            ("machine_kept", _) => {
                let s = &mut self.kept;
                let t = Clock::now();
                measured(|| {
                    for _ in 0..k {
                        s.handle_input(Instant::ZERO, black_box(bytes));
                        match s.poll_event() {
                            Some(e @ ServerEvent::Request { .. }) => drop(black_box(e)),
                            other => panic!("{other:?}"),
                        }
                        // The chunked POST's body comes before its end.
                        loop {
                            match s.poll_event() {
                                Some(ServerEvent::Data(d)) => drop(black_box(d)),
                                Some(ServerEvent::End { .. }) => break,
                                other => panic!("{other:?}"),
                            }
                        }
                    }
                });
                let spent = t.elapsed().as_nanos();
                for _ in 0..k {
                    s.respond(ResponseHead::new(StatusCode::OK), Bytes::new())
                        .unwrap();
                }
                while s.poll_transmit().is_some() {}
                spent
            }
            ("server_new", _) => {
                let t = Clock::now();
                measured(|| {
                    for _ in 0..k {
                        drop(black_box(Server::new(black_box(ServerConfig::default()))));
                    }
                });
                t.elapsed().as_nanos()
            }
            ("machine_msg", _) => self.time_fresh_servers(k, |s| {
                s.handle_input(Instant::ZERO, black_box(bytes));
                loop {
                    match s.poll_event() {
                        Some(ServerEvent::End { .. }) => break,
                        Some(e @ (ServerEvent::Request { .. } | ServerEvent::Data(_))) => {
                            drop(black_box(e))
                        }
                        other => panic!("{other:?}"),
                    }
                }
            }),
            (other, _) => panic!("no contender {other}"),
        }
    }
}

/// Runs the timed part of a batch. Never inlined, so that `benches/callgrind.sh`
/// counts exactly what the clock measures (`--toggle-collect=*measured*`).
#[inline(never)]
fn measured<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// picohttpparser on `head`: the bytes it consumed, or its negative status.
fn pico_parse(head: &[u8], role: Role, headers: &mut [picohttpparser_sys::phr_header; 16]) -> i32 {
    use std::os::raw::{c_char, c_int};
    let mut num_headers = headers.len();
    let mut minor: c_int = 0;
    let buf = head.as_ptr().cast::<c_char>();
    // SAFETY: every pointer is valid for the call: `buf` for `head.len()` bytes, the
    // out-parameters are locals, and `headers` holds `num_headers` entries. The C code
    // only reads `buf` and writes pointers into it to the out-parameters.
    unsafe {
        if role == Role::Request {
            let (mut method, mut method_len) = (std::ptr::null(), 0);
            let (mut path, mut path_len) = (std::ptr::null(), 0);
            picohttpparser_sys::phr_parse_request(
                buf,
                head.len(),
                &mut method,
                &mut method_len,
                &mut path,
                &mut path_len,
                &mut minor,
                headers.as_mut_ptr(),
                &mut num_headers,
                0,
            )
        } else {
            let (mut status, mut msg, mut msg_len) = (0, std::ptr::null(), 0);
            picohttpparser_sys::phr_parse_response(
                buf,
                head.len(),
                &mut minor,
                &mut status,
                &mut msg,
                &mut msg_len,
                headers.as_mut_ptr(),
                &mut num_headers,
                0,
            )
        }
    }
}

#[derive(Parser)]
#[command(about = "HTTP head parsing beside httparse and picohttpparser, interleaved")]
struct Args {
    /// Rounds; every contender runs once per round on every input.
    #[arg(long, default_value_t = 7)]
    rounds: usize,
    /// Milliseconds per contender and input in each round.
    #[arg(long, default_value_t = 40)]
    ms: u64,
    /// Run only this contender (with --input and --iters), for callgrind.
    #[arg(long, value_parser = CONTENDERS)]
    only: Option<String>,
    /// The input for --only.
    #[arg(long, value_parser = ["req", "req_short", "resp", "resp_short", "chunked_post"])]
    input: Option<String>,
    /// Iterations for --only.
    #[arg(long, default_value_t = 1000)]
    iters: usize,
    /// Write this input's head to stdout and exit (for benches/peers/pico_count.c).
    #[arg(long, value_parser = ["req", "req_short", "resp", "resp_short", "chunked_post"])]
    dump: Option<String>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn spread(v: &[f64]) -> (f64, f64) {
    v.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &x| {
        (lo.min(x), hi.max(x))
    })
}

fn main() {
    let args = Args::parse();
    if let Some(name) = args.dump {
        use std::io::Write;
        let input = INPUTS.iter().find(|i| i.name == name).unwrap();
        std::io::stdout()
            .write_all(&input.bytes[..input.head])
            .unwrap();
        return;
    }
    if let Some(only) = args.only {
        let name = args.input.expect("--only needs --input");
        let input = INPUTS.iter().find(|i| i.name == name).unwrap();
        let kind = CONTENDERS.iter().find(|c| **c == only).unwrap();
        assert!(applies(kind, input), "{only} does not run on {name}");
        let mut r = Runner::new(input, kind);
        black_box(r.run(args.iters));
        return;
    }
    assert!(args.rounds >= 1);
    // Every (input, contender) pair, each with its iteration count from a calibration
    // run, then `rounds` rounds in which every pair runs once, in the same order.
    let mut pairs: Vec<(Runner, usize, Vec<f64>)> = Vec::new();
    for input in &INPUTS {
        for kind in CONTENDERS {
            if !applies(kind, input) {
                continue;
            }
            let mut r = Runner::new(input, kind);
            r.run(BATCH); // warm up
            let mut n = BATCH;
            while r.run(n) < 5_000_000 {
                n *= 2;
            }
            let per = r.run(n) as f64 / n as f64;
            let iters = ((args.ms as f64 * 1e6 / per) as usize).max(BATCH);
            pairs.push((r, iters, Vec::new()));
        }
    }
    for _ in 0..args.rounds {
        for (r, iters, times) in &mut pairs {
            times.push(r.run(*iters) as f64 / *iters as f64);
        }
    }
    let rounds = args.rounds;
    let time = |input: &str, kind: &str| -> Option<&Vec<f64>> {
        pairs
            .iter()
            .find(|(r, _, _)| r.input.name == input && r.kind == kind)
            .map(|(_, _, t)| t)
    };
    println!("{rounds} rounds; ns/op: median (min-max)");
    for input in &INPUTS {
        println!(
            "\n{} ({} bytes, head {})",
            input.name,
            input.bytes.len(),
            input.head
        );
        for kind in CONTENDERS {
            if let Some(t) = time(input.name, kind) {
                let mut t = t.clone();
                let (lo, hi) = spread(&t);
                println!("  {kind:<14} {:>9.1} ({lo:.1}-{hi:.1})", median(&mut t));
            }
        }
        // Each ratio from the same round's pair of times.
        for (num, den) in [
            ("slice", "httparse"),
            ("slice", "pico"),
            ("machine", "httparse"),
            ("machine", "pico"),
            ("machine_ref", "httparse"),
            ("machine_ref", "pico"),
            ("machine_kept", "httparse"),
            ("machine_msg", "httparse"),
        ] {
            let (Some(a), Some(b)) = (time(input.name, num), time(input.name, den)) else {
                continue;
            };
            let mut q: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
            let (lo, hi) = spread(&q);
            println!(
                "  {:<26} {:>6.2}x ({lo:.2}-{hi:.2})",
                format!("{num} / {den}"),
                median(&mut q)
            );
        }
    }
}

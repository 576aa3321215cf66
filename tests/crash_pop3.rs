//! Crash safety of `pop3_server` during UPDATE, by test: a client marks a random subset
//! of a maildrop deleted and sends QUIT, and the server is killed with SIGKILL a random
//! few hundred microseconds later (seeded; the seed is printed), while it is unlinking
//! the marked files one by one (RFC 1939 section 6). Afterwards every message is either
//! still there, byte for byte, or was marked deleted by the client; never anything else
//! (no unmarked message gone, none changed, nothing new). If the client read `+OK` to
//! QUIT, every marked message is gone. The next round starts a new server on the same
//! maildrop, which takes over the lock file the killed one left.
//!
//! `WIRESTATE_KILLS=50` runs the full length (default 3 kills); `WIRESTATE_SEED=N`
//! repeats a run.

mod common;

use common::run::{env_u64, Rng};
use common::{example_bin, spawn_server};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

const MESSAGES: usize = 400;

#[test]
fn killed_during_update_deletes_only_what_was_marked() {
    let kills = env_u64("WIRESTATE_KILLS").unwrap_or(3);
    let seed = env_u64("WIRESTATE_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1
    });
    eprintln!("crash_pop3: {kills} kills, seed {seed} (WIRESTATE_SEED={seed} repeats it)");
    let mut rng = Rng(seed);
    let bin = example_bin("pop3_server");
    let dir = std::env::temp_dir().join(format!("wirestate-crash-pop3-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let (mut mid_update, mut quit_ok) = (0, 0);
    let drivers = ["std", "mio", "tokio"];
    for k in 0..kills {
        // A fresh maildrop each round, in the same directory (and lock file).
        for sub in ["new", "cur"] {
            let _ = fs::remove_dir_all(dir.join(sub));
        }
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let mut content = BTreeMap::new();
        for i in 0..MESSAGES {
            let name = format!("{}.M{i:06}P1Q{i}.crash", 1_700_000_000 + i);
            let body = format!("Subject: {i}\n\nround {k} message {i}\n{}\n", "y".repeat(i));
            // Half in new/, half in cur/ with flags: both are the maildrop.
            let path = if i % 2 == 0 {
                dir.join("new").join(&name)
            } else {
                dir.join("cur").join(format!("{name}:2,S"))
            };
            fs::write(&path, &body).unwrap();
            content.insert(path, body);
        }
        // The server lists by unique id: the file name before ":2,".
        let mut paths: Vec<_> = content.keys().cloned().collect();
        paths.sort_by_key(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.split(":2,").next().unwrap().to_string()
        });
        let driver = drivers[k as usize % drivers.len()];
        let (mut server, addr) = spawn_server(
            &bin,
            &[
                "--maildir",
                dir.to_str().unwrap(),
                "--user",
                "u",
                "--pass",
                "p",
                "--driver",
                driver,
            ],
        );
        let w = TcpStream::connect(addr).unwrap();
        w.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut r = BufReader::new(w.try_clone().unwrap());
        let mut w = w;
        let mut line = String::new();
        let mut status = |r: &mut BufReader<TcpStream>| {
            line.clear();
            r.read_line(&mut line).unwrap();
            line.clone()
        };
        assert!(status(&mut r).starts_with("+OK"));
        w.write_all(b"USER u\r\nPASS p\r\n").unwrap();
        assert!(status(&mut r).starts_with("+OK"));
        let pass = status(&mut r);
        assert!(pass.starts_with("+OK"), "round {k}: {pass}");
        // The listing is sorted by unique id, which is the file name before ":2,".
        let mut marked = Vec::new();
        let mut dele = String::new();
        for (i, p) in paths.iter().enumerate() {
            if rng.below(3) != 0 {
                marked.push(p.clone());
                dele.push_str(&format!("DELE {}\r\n", i + 1));
            }
        }
        w.write_all(dele.as_bytes()).unwrap();
        for _ in &marked {
            let s = status(&mut r);
            assert!(s.starts_with("+OK"), "round {k}: DELE: {s}");
        }
        w.write_all(b"QUIT\r\n").unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(1500)));
        server.0.kill().unwrap();
        server.0.wait().unwrap();
        let mut reply = String::new();
        let _ = r.read_line(&mut reply);
        let ok = reply.starts_with("+OK");
        quit_ok += usize::from(ok);

        let mut gone = 0;
        for (path, body) in &content {
            let is_marked = marked.contains(path);
            match fs::read_to_string(path) {
                Ok(now) => {
                    assert_eq!(&now, body, "round {k}: {} changed", path.display());
                    assert!(
                        !(ok && is_marked),
                        "round {k}: +OK to QUIT but {} is there",
                        path.display()
                    );
                }
                Err(e) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
                    assert!(
                        is_marked,
                        "round {k}: {} was not marked but is gone",
                        path.display()
                    );
                    gone += 1;
                }
            }
        }
        let count = |sub: &str| fs::read_dir(dir.join(sub)).unwrap().count();
        assert_eq!(
            count("new") + count("cur"),
            MESSAGES - gone,
            "round {k}: files appeared"
        );
        if gone > 0 && gone < marked.len() {
            mid_update += 1;
        }
    }
    eprintln!(
        "crash_pop3: {kills} kills; {mid_update} landed in the middle of UPDATE (some marked \
         files unlinked, some not), {quit_ok} after the +OK; every unmarked message intact"
    );
    let _ = fs::remove_dir_all(&dir);
}

//! The clients against a raw-socket server that drops the connection at every point of
//! a transaction: what `smtp_send` and `pop3_fetch` then report must match what was and
//! was not done. SMTP: the replies received are printed as they came, a drop anywhere
//! before the reply to the final dot is a failure (exit 1) naming the lost connection,
//! and no reply the server never sent is invented. POP3: every message whose RETR
//! completed is saved whole, no partial file is left for the one cut off, and since
//! deletions happen only in UPDATE (RFC 1939 section 6) a drop before the reply to QUIT
//! deleted nothing, which the scripted server confirms by never having seen QUIT.

mod common;

use common::example_bin;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;

/// A scripted server: for each line it reads (the greeting needs none), it sends the
/// scripted reply; it drops the connection before its step `drop_at`. Returns the
/// lines the client sent.
fn scripted(
    script: Vec<(&'static str, String)>,
    drop_at: usize,
    half: bool,
) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        // A client waiting for a reply to a line the script does not expect must not
        // hang the test: give up after a while (the assertions then show the lines).
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut w: TcpStream = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let mut seen = Vec::new();
        for (step, (until, reply)) in script.into_iter().enumerate() {
            // Read client lines until one starts with `until` ("" = read nothing).
            if !until.is_empty() {
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return seen;
                    }
                    let line = line.trim_end().to_string();
                    let done = line.starts_with(until);
                    seen.push(line);
                    if done {
                        break;
                    }
                }
            }
            if step == drop_at {
                if half {
                    // Half of this reply, then the drop: a cut-off multi-line answer.
                    let _ = w.write_all(&reply.as_bytes()[..reply.len() / 2]);
                }
                return seen;
            }
            let _ = w.write_all(reply.as_bytes());
        }
        seen
    });
    (port, handle)
}

fn smtp_script() -> Vec<(&'static str, String)> {
    vec![
        ("", "220 raw ESMTP\r\n".into()),
        ("EHLO", "250-raw\r\n250 8BITMIME\r\n".into()),
        ("MAIL", "250 2.1.0 ok\r\n".into()),
        ("RCPT", "250 2.1.5 ok\r\n".into()),
        ("RCPT", "550 5.1.1 no such user\r\n".into()),
        ("DATA", "354 go ahead\r\n".into()),
        (".", "250 2.0.0 queued as X\r\n".into()),
        ("QUIT", "221 bye\r\n".into()),
    ]
}

#[test]
fn smtp_send_reports_each_drop_point_truthfully() {
    let bin = example_bin("smtp_send");
    let dir = std::env::temp_dir().join(format!("wirestate-crash-clients-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let msg = dir.join("msg.eml");
    std::fs::write(&msg, "Subject: drop\n\nline one\nline two\n").unwrap();
    let script = smtp_script();
    for drop_at in 0..script.len() {
        let (port, server) = scripted(smtp_script(), drop_at, false);
        let out = Command::new(&bin)
            .args(["--addr", &format!("127.0.0.1:{port}"), "--no-tls"])
            .args([
                "--from",
                "a@example.org",
                "--to",
                "b@example.org",
                "--to",
                "c@example.org",
            ])
            .arg(&msg)
            .output()
            .unwrap();
        let seen = server.join().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("drop before step {drop_at}\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver saw: {seen:?}");
        // Every reply line printed is one the server sent before the drop, in order.
        let sent: Vec<String> = script[..drop_at]
            .iter()
            .flat_map(|(_, r)| r.lines().map(str::to_string).collect::<Vec<_>>())
            .collect();
        let printed: Vec<&str> = stdout.lines().collect();
        assert_eq!(printed, sent, "{what}");
        // The exit status says what happened to the message: 0 accepted (the lost QUIT
        // changes nothing), 75 unknown (the dot went out, no reply came back), 1 not
        // delivered.
        let code = out.status.code();
        match drop_at {
            7 => {
                assert_eq!(code, Some(1), "{what}: c was refused, so not all accepted");
                assert!(stderr.contains("the message was accepted"), "{what}");
            }
            6 => {
                assert_eq!(code, Some(75), "{what}");
                assert!(
                    stderr.contains("may or may not have been delivered"),
                    "{what}"
                );
            }
            _ => {
                assert_eq!(code, Some(1), "{what}");
                assert!(stderr.contains("the message was not sent"), "{what}");
            }
        }
        // Each recipient's fate as far as the client knows it.
        if (2..7).contains(&drop_at) {
            let b = if drop_at > 3 {
                "b@example.org: 250 2.1.5 ok"
            } else {
                "b@example.org: no reply"
            };
            let c = if drop_at > 4 {
                "c@example.org: 550 5.1.1 no such user"
            } else {
                "c@example.org: no reply"
            };
            assert!(stderr.contains(b), "{what}\nwanted {b}");
            assert!(stderr.contains(c), "{what}\nwanted {c}");
        }
        // The data was sent only once DATA was answered 354.
        let data_seen = seen.iter().any(|l| l == "line one");
        assert_eq!(data_seen, drop_at >= 6, "{what}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn pop3_script(messages: &[&str]) -> Vec<(&'static str, String)> {
    let mut s = vec![
        ("", "+OK raw\r\n".to_string()),
        ("CAPA", "+OK\r\nUSER\r\nUIDL\r\n.\r\n".into()),
        ("USER", "+OK\r\n".into()),
        ("PASS", "+OK\r\n".into()),
    ];
    let mut list = "+OK\r\n".to_string();
    let mut uidl = "+OK\r\n".to_string();
    for (i, m) in messages.iter().enumerate() {
        list.push_str(&format!("{} {}\r\n", i + 1, m.len()));
        uidl.push_str(&format!("{} uid{}\r\n", i + 1, i + 1));
    }
    list.push_str(".\r\n");
    uidl.push_str(".\r\n");
    s.push(("UIDL", uidl));
    s.push(("LIST", list));
    for m in messages {
        s.push(("RETR", format!("+OK\r\n{m}.\r\n")));
        s.push(("DELE", "+OK\r\n".into()));
    }
    s.push(("QUIT", "+OK bye\r\n".into()));
    s
}

#[test]
fn pop3_fetch_keeps_what_it_fetched_and_deletes_nothing_on_a_drop() {
    let bin = example_bin("pop3_fetch");
    let messages = [
        "Subject: 1\r\n\r\none\r\n",
        "Subject: 2\r\n\r\ntwo\r\n",
        "Subject: 3\r\n\r\nthree\r\n",
    ];
    let script = pop3_script(&messages);
    let mut points = 0;
    for (drop_at, half) in (0..script.len()).flat_map(|i| [(i, false), (i, true)]) {
        let out_dir = std::env::temp_dir().join(format!(
            "wirestate-crash-pop3fetch-{}-{drop_at}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&out_dir);
        std::fs::create_dir_all(&out_dir).unwrap();
        let (port, server) = scripted(pop3_script(&messages), drop_at, half);
        let out = Command::new(&bin)
            .args([
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--user",
                "u",
                "--pass",
                "p",
            ])
            .args(["--allow-plaintext-auth", "--delete", "--out"])
            .arg(&out_dir)
            .output()
            .unwrap();
        let seen = server.join().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!(
            "drop {} step {drop_at} ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver saw: {seen:?}",
            if half { "in" } else { "before" },
            script[drop_at].0
        );
        let mut saved: Vec<String> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        saved.sort();
        // Saved files are whole messages (LF or CRLF ends), never a cut-off one.
        for s in &saved {
            let s = s.replace("\r\n", "\n");
            assert!(
                messages.iter().any(|m| m.replace("\r\n", "\n") == s),
                "{what}\npartial file saved: {s:?}"
            );
        }
        {
            assert!(!out.status.success(), "{what}");
            assert!(!stderr.is_empty(), "{what}");
            assert!(!stdout.contains("deleted on the server"), "{what}");
            // It says how far it got.
            assert!(stderr.contains(&format!("{} of ", saved.len())), "{what}");
            if drop_at >= 3 {
                assert!(
                    stderr.contains("deleted nothing unless it had received QUIT"),
                    "{what}"
                );
            }
        }
        // No drop reached past RETR of message k means at most k-1 messages saved.
        let retr_done = script[..drop_at]
            .iter()
            .filter(|(c, _)| *c == "RETR")
            .count();
        assert!(saved.len() <= retr_done, "{what}");
        points += 1;
        let _ = std::fs::remove_dir_all(&out_dir);
    }
    assert_eq!(points, 2 * script.len());
}

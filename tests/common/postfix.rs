//! A private Postfix on loopback: its own `main.cf`, `master.cf`, queue, data directory
//! and log under a test (or bench) directory, started with `postfix -c DIR start` and
//! stopped when dropped. Shared by the interop tests and `benches/tls.rs` (included there
//! with `#[path]`), so it uses nothing else from `tests/common`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A running private Postfix; `postfix stop` when dropped.
pub struct Postfix {
    conf: PathBuf,
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .output();
    }
}

impl Postfix {
    /// Writes `root/postfix-conf/main.cf` (the shared part: queue and data under `root`,
    /// loopback only, relaying for loopback clients, no DNS, the log in `root/maillog`;
    /// then `main_conf`, the host name, transports and TLS) and `master.cf` (the system's,
    /// with its `smtp inet` line replaced by `listeners`), starts Postfix and waits up to
    /// 30 s for every one of `ports` to accept a connection; or says why it could not.
    /// Postfix's master needs root to bind and to drop to its own user.
    pub fn start(
        root: &Path,
        main_conf: &str,
        listeners: &str,
        ports: &[u16],
    ) -> Result<Postfix, String> {
        let conf = root.join("postfix-conf");
        for d in ["postfix-conf", "postfix-queue", "postfix-data"] {
            std::fs::create_dir_all(root.join(d)).map_err(|e| format!("{d}: {e}"))?;
        }
        let _ = Command::new("chown")
            .arg("postfix")
            .arg(root.join("postfix-data"))
            .status();
        let r = root.display();
        let main = format!(
            "compatibility_level = 3.6\n\
             queue_directory = {r}/postfix-queue\n\
             data_directory = {r}/postfix-data\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             mydestination =\n\
             inet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\n\
             mynetworks = 127.0.0.0/8\n\
             smtpd_relay_restrictions = permit_mynetworks, reject\n\
             smtp_dns_support_level = disabled\n\
             maillog_file_prefixes = {r}\n\
             maillog_file = {r}/maillog\n\
             {main_conf}"
        );
        std::fs::write(conf.join("main.cf"), main).map_err(|e| format!("main.cf: {e}"))?;
        let master = std::fs::read_to_string("/etc/postfix/master.cf")
            .map_err(|e| format!("/etc/postfix/master.cf: {e}"))?;
        let master: String = master
            .lines()
            .map(|l| {
                if l.starts_with("smtp      inet") {
                    listeners.to_string()
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        std::fs::write(conf.join("master.cf"), master).map_err(|e| format!("master.cf: {e}"))?;
        let out = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(&conf)
            .arg("start")
            .output()
            .map_err(|e| format!("run postfix start: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "postfix start: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let pf = Postfix { conf };
        let deadline = Instant::now() + Duration::from_secs(30);
        while ports
            .iter()
            .any(|p| TcpStream::connect(("127.0.0.1", *p)).is_err())
        {
            if Instant::now() > deadline {
                return Err(format!(
                    "postfix never listened on {ports:?}; its log:\n{}",
                    log(root)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(pf)
    }
}

/// What the Postfix started in `root` has logged so far.
pub fn log(root: &Path) -> String {
    std::fs::read_to_string(root.join("maillog")).unwrap_or_default()
}

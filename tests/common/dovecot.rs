//! A private Dovecot on loopback: its own configuration, base, state and log in a test
//! directory, run in the foreground (`dovecot -F -c FILE`) and stopped when dropped.
//! `benches/tls.rs` includes it with `#[path]`, beside `run.rs` as `crate::run`.

use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A running private Dovecot; SIGTERM when dropped, so its master stops its children.
pub struct Dovecot {
    child: std::process::Child,
    root: PathBuf,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        super::run::stop(&mut self.child, Duration::from_secs(5));
    }
}

/// The uid and gid Dovecot serves mail as in `root`. Dovecot refuses to serve mail as
/// root (`first_valid_uid`), so as root it is `nobody` and each of `owned` (paths under
/// `root`) is given to it; otherwise the current user. `root` is made world-readable:
/// Dovecot's auth process runs as the `dovecot` user and must read files there.
pub fn mail_owner(root: &Path, owned: &[&str]) -> (u32, u32) {
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let me = std::fs::metadata(root).unwrap();
    if me.uid() != 0 {
        return (me.uid(), me.gid());
    }
    let (uid, gid) = (65534, 65534);
    for entry in owned {
        std::os::unix::fs::chown(root.join(entry), Some(uid), Some(gid)).unwrap();
    }
    (uid, gid)
}

impl Dovecot {
    /// Writes `root/dovecot.conf` (the shared part: loopback only, `run/`, `state/`
    /// and `dovecot.log` under `root`, an unchrooted anvil; then `service_conf`, the
    /// protocols, listeners, passdb and userdb), starts Dovecot and waits up to 20 s
    /// for every one of `ports` to accept a connection, failing with Dovecot's version
    /// and log if one does not.
    pub fn start(root: &Path, service_conf: &str, ports: &[u16]) -> Dovecot {
        for d in ["run", "state"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let r = root.display();
        let conf = format!(
            "listen = 127.0.0.1\n\
             base_dir = {r}/run\n\
             state_dir = {r}/state\n\
             log_path = {r}/dovecot.log\n\
             info_log_path = {r}/dovecot.log\n\
             service anvil {{\n  chroot =\n}}\n\
             {service_conf}"
        );
        let path = root.join("dovecot.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new("dovecot")
            .args(["-F", "-c"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dovecot");
        let d = Dovecot {
            child,
            root: root.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while ports
            .iter()
            .any(|p| TcpStream::connect(("127.0.0.1", *p)).is_err())
        {
            assert!(
                Instant::now() < deadline,
                "dovecot {} did not listen on {ports:?}; its log:\n{}",
                version(),
                d.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }

    /// What Dovecot has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("dovecot.log")).unwrap_or_default()
    }
}

/// `dovecot --version`, for messages.
pub fn version() -> String {
    Command::new("dovecot")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

//! A private aiosmtpd (an independent Python SMTP server) on loopback that saves each
//! message's bytes, exactly as received, as `DIR/N.eml` and answers `250 2.0.0 saved N`.

use super::ChildGuard;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SAVE: &str = r#"
import sys, time, os
from aiosmtpd.controller import Controller
port, out = int(sys.argv[1]), sys.argv[2]
class Save:
    n = 0
    async def handle_DATA(self, server, conn, envelope):
        Save.n += 1
        with open(os.path.join(out, '%d.eml' % Save.n), 'wb') as f:
            f.write(envelope.original_content)
        return '250 2.0.0 saved %d' % Save.n
c = Controller(Save(), hostname='127.0.0.1', port=port, enable_SMTPUTF8=True, decode_data=False)
c.start()
time.sleep(300)
"#;

/// A running aiosmtpd; stopped when dropped.
pub struct Aiosmtpd {
    _child: ChildGuard,
    /// The loopback port it listens on.
    pub port: u16,
}

/// Starts aiosmtpd saving into `dir` and waits until it listens. `None` when python3 or
/// the aiosmtpd module is missing locally (the caller skips); under `CI=true` a missing
/// peer fails the test instead.
pub fn start(dir: &Path) -> Option<Aiosmtpd> {
    if !super::require_peer("python3") {
        return None;
    }
    let installed = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "aiosmtpd missing under CI=true"
        );
        eprintln!("skipping: python module aiosmtpd is not installed");
        return None;
    }
    let port = super::run::free_port();
    let child = ChildGuard(
        Command::new("python3")
            .args(["-c", SAVE, &port.to_string(), dir.to_str().unwrap()])
            .stdout(Stdio::null())
            .spawn()
            .expect("start aiosmtpd"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "aiosmtpd never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Aiosmtpd {
        _child: child,
        port,
    })
}

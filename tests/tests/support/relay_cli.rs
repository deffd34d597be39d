//! The relay (`kiosk-sync-server`, built into this package as `kiosk-sync-server-e2e`) as its
//! own process: the demo relay on a data folder, and its admin commands.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// A relay process serving the demo event from a data folder.
pub struct RelayProcess {
    child: Child,
    pub url: String,
    /// The kiosk enrollment code this start printed (5 tablets).
    pub kiosk_code: String,
}

impl RelayProcess {
    /// Starts `demo` on `data_dir` at a free loopback port, reading its address and kiosk
    /// code from what it prints.
    pub fn start(data_dir: &Path) -> RelayProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server-e2e"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(["demo", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the relay starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let (mut url, mut kiosk_code) = (None, None);
        // Bounded: the demo prints a dozen lines before it serves.
        for _ in 0..200 {
            let Some(Ok(line)) = lines.next() else { break };
            if url.is_none() {
                url = line
                    .split_whitespace()
                    .find(|w| w.starts_with("http://"))
                    .map(|w| w.trim_end_matches(',').to_owned());
            }
            if let Some(code) = line.split("enrollment code, kiosk").nth(1) {
                kiosk_code = code.rsplit(' ').next().map(str::to_owned);
            }
            if line.contains("health:") {
                break;
            }
        }
        // Keep reading, so the relay never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        RelayProcess {
            child,
            url: url.expect("the relay prints its address"),
            kiosk_code: kiosk_code.expect("the relay prints a kiosk code"),
        }
    }

    /// Stops the relay (SIGKILL: the store is durable at every commit) and waits for it.
    pub fn stop(mut self) {
        self.child.kill().expect("stops");
        self.child.wait().expect("exits");
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs an admin command of the relay on `data_dir`.
pub fn relay_admin(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server-e2e"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("the relay command runs")
}

/// What an admin command that must succeed printed.
pub fn admin_ok(data_dir: &Path, args: &[&str]) -> String {
    let output = relay_admin(data_dir, args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

//! A relay as its own process, for tests and benches that kill, restart or measure it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `kiosk-sync-server --data-dir DIR <subcommand> --listen 127.0.0.1:0` and returns
/// the process and its base URL, read from the first line it prints.
pub fn spawn_relay(data_dir: &Path, subcommand: &str) -> (Child, String) {
    spawn_relay_with(data_dir, &[], subcommand, Stdio::null())
}

/// [`spawn_relay`] with `global` flags before the subcommand (`--database-url URL`, say)
/// and its error output going to `stderr`.
pub fn spawn_relay_with(
    data_dir: &Path,
    global: &[&str],
    subcommand: &str,
    stderr: Stdio,
) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(global)
        .args([subcommand, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("relay starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines
        .next()
        .expect("the relay prints a line")
        .expect("utf-8");
    // Keep reading, so the relay never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the relay prints its address")
        .trim_end_matches(',')
        .to_owned();
    (child, url)
}

/// Runs an admin subcommand against `data_dir` and returns what it printed.
pub fn admin(data_dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

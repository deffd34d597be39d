//! Scripts that play a scenario against a relay (a browser, a Kotlin or Python shell): run
//! under a time limit so a hung script cannot hang CI, and required to print
//! `PASS <check>` for every check they must pass.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `command`, killing it after `limit`; fails, naming `what`, unless it succeeded.
/// Returns what it printed. Blocking.
pub fn run_with_limit(mut command: Command, limit: Duration, what: &str) -> String {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} could not start: {e}"));
    let started = Instant::now();
    while child.try_wait().expect("waitable").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!(
        "{what} took {:.1} s\n{stdout}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Fails, naming `what` and the check, unless `stdout` has `PASS <check>` for each one.
pub fn assert_every_check_passed(stdout: &str, checks: &[&str], what: &str) {
    for check in checks {
        assert!(
            stdout
                .lines()
                .any(|line| line.trim() == format!("PASS {check}")),
            "{what} did not pass `{check}`:\n{stdout}"
        );
    }
}

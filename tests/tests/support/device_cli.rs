//! The `kiosk-device` CLI (built into this package as `kiosk-device-e2e`) run on a tablet
//! store, for the end-to-end tests that play a tablet from a terminal.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the CLI with `args` on the store at `store`.
pub fn device_cli(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-device-e2e"))
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .expect("the device CLI runs")
}

/// What a run that must succeed printed; a failed run fails the test with its error.
pub fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the device CLI failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

//! Running a browser script of `tests/browser/` against a relay: finds Debian's Chromium,
//! Node and the script's npm packages (a missing one fails, naming the script that installs
//! it), runs the script under a time limit so a hung browser cannot hang CI, and requires
//! every named check the script must print as `PASS <check>`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::scripted::{assert_every_check_passed, run_with_limit};

/// The workspace's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

/// Where screenshots go: `KIOSK_SCREENSHOT_DIR`, else `tests/browser/screenshots/`
/// (git-ignored).
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("KIOSK_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/browser/screenshots"))
}

/// Chromium (`KIOSK_CHROMIUM`, else Debian's), after checking that Node and the script's
/// packages are there too.
pub fn chromium() -> PathBuf {
    let chromium = std::env::var_os("KIOSK_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let browser_dir = repo_root().join("tests/browser");
    for needed in [
        chromium.clone(),
        browser_dir.join("node_modules/playwright-core/package.json"),
        browser_dir.join("node_modules/axe-core/axe.min.js"),
    ] {
        assert!(
            needed.exists(),
            "{} is missing: run scripts/install-browser-test-tools.sh (the README's test command does)",
            needed.display()
        );
    }
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: run scripts/install-browser-test-tools.sh (the README's test command does)"
    );
    chromium
}

/// Runs `tests/browser/<script>` with `env` (plus `KIOSK_CHROMIUM` and
/// `KIOSK_SCREENSHOT_DIR`), kills it after `limit`, and fails unless it succeeded and printed
/// `PASS <check>` for every one of `checks`. Returns what it printed. Blocking.
pub fn run_script(
    script: &str,
    env: &[(&str, String)],
    checks: &[&str],
    limit: Duration,
) -> String {
    let chromium = chromium();
    let screenshots = screenshot_dir();
    println!("screenshots in {}", screenshots.display());
    let mut command = Command::new("node");
    command
        .arg(repo_root().join("tests/browser").join(script))
        .current_dir(repo_root().join("tests/browser"))
        .env("KIOSK_SCREENSHOT_DIR", &screenshots)
        .env("KIOSK_CHROMIUM", &chromium);
    for (name, value) in env {
        command.env(name, value);
    }
    let stdout = run_with_limit(command, limit, script);
    assert_every_check_passed(&stdout, checks, script);
    stdout
}

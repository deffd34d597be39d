//! The HR console in a real browser: Debian's headless Chromium, driven by playwright-core
//! from `tests/browser/console.mjs`, logs in to a relay on loopback with a one-time
//! password, chooses a password, lists and searches registrations a kiosk captured and
//! synced, opens one, switches to English and logs out; each main page is screenshotted and
//! checked with axe-core (no serious or critical violations).
//!
//! The script prints `PASS <check>` per check and this harness requires every one by name.
//! Chromium and the npm packages come from `scripts/install-browser-test-tools.sh` (the
//! README's test command runs it first); `KIOSK_CHROMIUM` overrides where Chromium is
//! looked for, and `KIOSK_SCREENSHOT_DIR` where the screenshots go (by default
//! `tests/browser/screenshots/`, git-ignored).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::HttpTransport;
use kiosk_core::visitor::VisitorSession;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::storage::{Accessor, RelayStore};
use kiosk_tests::hr::visitor;
use kiosk_tests::{file_relay, sync_now, tablet};

/// Every check the script must pass, in the order it runs them.
const CHECKS: &[&str] = &[
    "login_page_is_swedish_and_passes_axe",
    "skip_link_is_first_and_moves_focus_to_main",
    "wrong_password_is_announced_and_passes_axe",
    "one_time_password_opens_the_password_page",
    "password_page_passes_axe",
    "new_password_opens_the_list",
    "list_shows_the_readable_registrations_and_passes_axe",
    "search_by_receipt_code_finds_one_registration",
    "detail_page_shows_the_registration_and_passes_axe",
    "english_switch_sets_html_lang_and_passes_axe",
    "logout_ends_the_session",
];

/// The whole browser run must finish within this, so a hung browser cannot hang CI.
const LIMIT: Duration = Duration::from_secs(120);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

/// Chromium, Node and the script's packages; a missing one fails the test, naming the
/// script that installs them.
fn chromium() -> PathBuf {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hr_uses_the_console_in_a_real_browser_and_every_page_passes_axe() {
    let chromium = chromium();
    let relay = file_relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.store.clone();
    let screenshots = std::env::var_os("KIOSK_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/browser/screenshots"));

    let (receipt, one_time) = tokio::task::spawn_blocking(move || {
        // A kiosk captures four visitors, one with protected personal data, and syncs.
        let tablet = tablet();
        let transport = HttpTransport::new(&url);
        tablet.device.enroll(&code, &transport).expect("enrolls");
        let mut session =
            VisitorSession::start(tablet.device.clone(), Timestamp::now()).expect("session");
        let mut receipts = Vec::new();
        for (given, restricted) in [
            ("Signe", false),
            ("Tove", true),
            ("Åsa", false),
            ("Wilma", false),
        ] {
            session
                .update(visitor(given, restricted), Timestamp::now())
                .expect("draft");
            receipts.push(session.submit(Timestamp::now()).expect("captured"));
        }
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!(report.received, 4);
        // An archivist without the clearance, with a one-time password to replace.
        let (_, one_time) = provision_user(
            store.as_ref(),
            "arkivarie",
            "Arvid Arkivarie",
            vec![Role::Archivist],
            0,
        )
        .expect("provisioned");
        (receipts[2].receipt_code.clone(), one_time)
    })
    .await
    .expect("captured and provisioned");

    let mut script = Command::new("node");
    script
        .arg(repo_root().join("tests/browser/console.mjs"))
        .current_dir(repo_root().join("tests/browser"))
        .env("KIOSK_RELAY_URL", relay.server.url())
        .env("KIOSK_HR_USERNAME", "arkivarie")
        .env("KIOSK_HR_ONE_TIME_PASSWORD", &one_time)
        .env("KIOSK_HR_NEW_PASSWORD", "ett eget långt lösenord")
        .env("KIOSK_RECEIPT_CODE", &receipt)
        .env("KIOSK_EXPECTED_NAME", "Åsa Lindqvist")
        .env("KIOSK_EXPECTED_ROWS", "3")
        .env("KIOSK_SCREENSHOT_DIR", &screenshots)
        .env("KIOSK_CHROMIUM", &chromium)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        let mut child = script.spawn().expect("node starts");
        let started = Instant::now();
        while child.try_wait().expect("waitable").is_none() {
            if started.elapsed() > LIMIT {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        child.wait_with_output().expect("output")
    })
    .await
    .expect("ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!(
        "the browser test took {:.1} s; screenshots in {}\n{stdout}",
        started.elapsed().as_secs_f64(),
        screenshots.display()
    );
    assert!(
        output.status.success(),
        "the browser script failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    for check in CHECKS {
        assert!(
            stdout.lines().any(|l| l.trim() == format!("PASS {check}")),
            "the browser script did not pass `{check}`:\n{stdout}"
        );
    }
    // Every page was the archivist's own doing: the list and the read are in the access log.
    let logged: Vec<&'static str> = relay
        .store
        .access_log_entries(0, 10_000)
        .expect("log")
        .into_iter()
        .filter(|(_, e)| e.accessor == Accessor::Operator("hr:arkivarie".into()))
        .map(|(_, e)| e.action.as_str())
        .collect();
    assert!(
        logged.contains(&"list") && logged.contains(&"read"),
        "{logged:?}"
    );
}

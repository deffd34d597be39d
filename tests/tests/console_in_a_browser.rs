//! The HR console in a real browser: Debian's headless Chromium, driven by playwright-core
//! from `tests/browser/console.mjs`, logs in to a relay on loopback with a one-time
//! password, chooses a password, lists and searches registrations a kiosk captured and
//! synced, opens one, records that its visitor asked not to be contacted (a confirmation
//! page first, then the record flagged with the date), reviews a capture a revoked tablet
//! sent (its page, the decision, the confirmation), switches to English and logs out; each main page is screenshotted and
//! checked with axe-core (no serious or critical violations).
//!
//! The script prints `PASS <check>` per check and this harness requires every one by name.
//! Chromium and the npm packages come from `scripts/install-browser-test-tools.sh` (the
//! README's test command runs it first); `KIOSK_CHROMIUM` overrides where Chromium is
//! looked for, and `KIOSK_SCREENSHOT_DIR` where the screenshots go (by default
//! `tests/browser/screenshots/`, git-ignored).

use std::time::Duration;

use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::HttpTransport;
use kiosk_core::visitor::VisitorSession;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::storage::Accessor;
use kiosk_tests::browser::run_script;
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
    "do_not_contact_has_a_confirmation_then_the_record_shows_it_and_passes_axe",
    "quarantined_capture_shows_its_content_and_why_and_passes_axe",
    "quarantine_decision_has_its_own_page_and_a_confirmation_and_passes_axe",
    "english_switch_sets_html_lang_and_passes_axe",
    "logout_ends_the_session",
];

/// The whole browser run must finish within this, so a hung browser cannot hang CI.
const LIMIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hr_uses_the_console_in_a_real_browser_and_every_page_passes_axe() {
    let relay = file_relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.store.clone();

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
        // HR revokes the tablet; what it captures then is quarantined for review.
        let key = tablet
            .device
            .device_id()
            .public_key()
            .expect("key")
            .to_bytes();
        assert!(
            store
                .revoke_device(&key, kiosk_sync_server::now_ms())
                .expect("revokes")
        );
        session
            .update(visitor("Karin", false), Timestamp::now())
            .expect("draft");
        session.submit(Timestamp::now()).expect("captured");
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!(report.quarantined, 1);
        // An archivist without the clearance, with a one-time password to replace.
        let (_, one_time) = provision_user(
            store.as_ref(),
            "arkivarie",
            "Arvid Arkivarie",
            vec![Role::Archivist],
            0,
        )
        .expect("provisioned");
        (receipts[2].hr_receipt_code.clone(), one_time)
    })
    .await
    .expect("captured and provisioned");

    let relay_url = relay.server.url();
    tokio::task::spawn_blocking(move || {
        run_script(
            "console.mjs",
            &[
                ("KIOSK_RELAY_URL", relay_url),
                ("KIOSK_HR_USERNAME", "arkivarie".into()),
                ("KIOSK_HR_ONE_TIME_PASSWORD", one_time),
                ("KIOSK_HR_NEW_PASSWORD", "ett eget långt lösenord".into()),
                ("KIOSK_RECEIPT_CODE", receipt),
                ("KIOSK_EXPECTED_NAME", "Åsa Lindqvist".into()),
                ("KIOSK_EXPECTED_ROWS", "3".into()),
            ],
            CHECKS,
            LIMIT,
        )
    })
    .await
    .expect("the browser run");
    // Every page was the archivist's own doing: the list and the read are in the access log.
    // Store calls block: off the async threads.
    let entries = kiosk_tests::off_runtime(|| relay.store.access_log_entries(0, 10_000));
    let logged: Vec<&'static str> = entries
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

//! Central HR's whole day in a real browser (Debian's headless Chromium through
//! playwright-core, `tests/browser/hr_workflow.mjs`), against a relay on loopback: an HR
//! officer who is admin, recruiter and archivist logs in, creates and publishes an event,
//! creates an enrollment code, and a tablet (the `kiosk-device` CLI, set up without an
//! event) enrolls with it, receives the event, captures visitors and syncs; the officer
//! assigns themselves the event, finds a registration by its receipt code, adds a note and
//! sets its status, exports CSV and checks its content, revokes the tablet, and finds each
//! step in the access log. Every main page is screenshotted and checked with axe-core.
//!
//! Afterwards the relay's own store is asked, not the pages: the event is published with
//! the officer as its author, the tablet is revoked, the note is in the record, and the
//! access log names the officer for each step.

use std::time::Duration;

use kiosk_core::documents::{RegistrationDocument, actor_id};
use kiosk_sync_server::hr::accounts::{PasswordHash, Role};
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::storage::Accessor;
use kiosk_tests::browser::run_script;
use kiosk_tests::file_relay;

/// Every check the script must pass, in the order it runs them.
const CHECKS: &[&str] = &[
    "admin_logs_in_to_the_events_page",
    "event_is_created_and_passes_axe",
    "invalid_event_input_is_shown_on_the_form",
    "event_is_published",
    "enrollment_code_is_shown_as_text_and_qr_and_passes_axe",
    "cli_tablet_enrolls_receives_the_event_captures_and_syncs",
    "devices_page_shows_the_tablet_and_its_counts",
    "admin_assigns_the_event_to_themselves",
    "registration_is_found_by_receipt_code",
    "note_and_status_are_saved_and_shown",
    "csv_export_has_bom_semicolons_and_the_registration",
    "tablet_is_revoked_after_confirmation",
    "access_log_shows_each_step_and_passes_axe",
];

const LIMIT: Duration = Duration::from_secs(240);
const USERNAME: &str = "hr-chef";
const PASSWORD: &str = "ett långt lösenord för hr";
/// The event the officer creates in the browser.
const EVENT_ID: &str = "uppsala-rekryteringsdag-2027";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hr_runs_an_event_from_creation_to_export_in_a_real_browser() {
    let relay = file_relay().await;
    let store = relay.store.clone();
    let officer = tokio::task::spawn_blocking(move || {
        let (officer, _) = provision_user(
            store.as_ref(),
            USERNAME,
            "Hedda Chef",
            vec![Role::Admin, Role::Recruiter, Role::Archivist],
            0,
        )
        .expect("provisioned");
        store
            .set_hr_password(officer.id, &PasswordHash::new(PASSWORD), false)
            .expect("password");
        officer
    })
    .await
    .expect("officer");

    let tablet_dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("KIOSK_RELAY_URL", relay.server.url()),
        ("KIOSK_HR_USERNAME", USERNAME.to_owned()),
        ("KIOSK_HR_PASSWORD", PASSWORD.to_owned()),
        ("KIOSK_EVENT_ID", EVENT_ID.to_owned()),
        (
            "KIOSK_DEVICE_CLI",
            env!("CARGO_BIN_EXE_kiosk-device-e2e").to_owned(),
        ),
        (
            "KIOSK_TABLET_STORE",
            tablet_dir
                .path()
                .join("kiosk.sqlite3")
                .to_string_lossy()
                .into_owned(),
        ),
    ];
    let stdout =
        tokio::task::spawn_blocking(move || run_script("hr_workflow.mjs", &env, CHECKS, LIMIT))
            .await
            .expect("the browser run");
    let receipt = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RECEIPT "))
        .expect("the script names the registration it worked on")
        .trim()
        .to_owned();

    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        // The event: published, written by the officer's own actor.
        let event = store
            .event(&kiosk_core::ids::EventId::parse(EVENT_ID).expect("slug"))
            .expect("reads")
            .expect("the event exists");
        assert!(event.current_form().is_ok(), "published");

        // The tablet: revoked.
        let devices = store.device_keys(Some(EVENT_ID)).expect("devices");
        assert_eq!(devices.len(), 1, "one tablet enrolled for the event");
        let device = store.device(&devices[0]).expect("reads").expect("known");
        assert!(device.revoked_at.is_some(), "the tablet is revoked");

        // The registration: the officer's note and status, written as the officer.
        let rows = store
            .list_registrations(
                &kiosk_sync_server::storage::RegistrationFilter {
                    search: Some(receipt.clone()),
                    limit: 5,
                    ..Default::default()
                },
                &Accessor::Operator("test".into()),
                kiosk_sync_server::now_ms(),
            )
            .expect("lists");
        assert_eq!(rows.len(), 1, "one registration has the receipt code");
        assert_eq!(rows[0].status, "contacted");
        let stored = store
            .stored_registration(&rows[0].id)
            .expect("reads")
            .expect("stored");
        let reader = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
        let mut document =
            RegistrationDocument::load_chunks(&stored.changes, &reader).expect("document");
        let annotations = document.annotations().expect("annotations");
        assert_eq!(annotations.notes.len(), 1);
        assert_eq!(annotations.notes[0].author, USERNAME);
        assert!(
            document.authors().contains(&actor_id(&officer.actor_key())),
            "the note and status name the officer's actor"
        );

        // The access log: the officer's list, read, change and export of that record.
        let actions: Vec<&'static str> = store
            .access_log_entries(0, 100_000)
            .expect("log")
            .into_iter()
            .filter(|(_, e)| {
                e.accessor == Accessor::Operator(format!("hr:{USERNAME}")) && e.doc_id == rows[0].id
            })
            .map(|(_, e)| e.action.as_str())
            .collect();
        for action in ["list", "read", "change", "export"] {
            assert!(actions.contains(&action), "{action} missing: {actions:?}");
        }
        assert_eq!(store.verify_access_log().expect("verifies").broken_at, None);
    })
    .await
    .expect("the store's side");
}

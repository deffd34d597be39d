//! The event form builder in a real browser (Debian's headless Chromium through
//! playwright-core, `tests/browser/console_event_builder.mjs`), against a relay on loopback:
//! an admin builds an event row by row, sees every mistake of one submit named by its
//! field, fixes them, previews the visitor's form in both languages and publishes it
//! through the confirmation page, then sees the builder in English at a phone's width;
//! every page has zero axe-core violations.
//!
//! Afterwards the relay's store is asked, not the pages: the event holds the rows as built
//! (codes made from the labels), its published version is the draft; and a kiosk set up
//! without an event enrolls, syncs, gets that form and captures with it.

mod support {
    pub mod device_cli;
}

use std::time::Duration;

use kiosk_core::ids::EventId;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::hr::accounts::{PasswordHash, Role};
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::now_ms;
use kiosk_sync_server::storage::{Accessor, RegistrationFilter};
use kiosk_tests::browser::run_script;
use kiosk_tests::file_relay;
use support::device_cli::{device_cli, stdout_of};

/// Every check the script must pass, in the order it runs them.
const CHECKS: &[&str] = &[
    "lists_are_built_row_by_row_and_the_draft_is_kept",
    "every_mistake_is_named_by_its_field_in_one_submit",
    "fixed_errors_create_the_event",
    "preview_shows_the_visitor_form_in_both_languages",
    "publishing_is_confirmed_on_its_own_page",
    "the_builder_speaks_english_and_fits_a_phone",
];

/// The pages the script checks with axe-core; each must report zero violations.
const AXE_PAGES: usize = 8;

const LIMIT: Duration = Duration::from_secs(240);
const USERNAME: &str = "hr-admin";
const PASSWORD: &str = "ett långt lösenord för hr";
const EVENT_ID: &str = "hostmassan-goteborg-2027";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hr_builds_previews_and_publishes_an_event_form_and_a_kiosk_gets_it() {
    let relay = file_relay().await;
    let url = relay.server.url();
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let (admin, _) =
            provision_user(store.as_ref(), USERNAME, "Ada Admin", vec![Role::Admin], 0)
                .expect("provisioned");
        store
            .set_hr_password(admin.id, &PasswordHash::new(PASSWORD), false)
            .expect("password");
    })
    .await
    .expect("admin");

    let env = [
        ("KIOSK_RELAY_URL", url.clone()),
        ("KIOSK_HR_USERNAME", USERNAME.to_owned()),
        ("KIOSK_HR_PASSWORD", PASSWORD.to_owned()),
        ("KIOSK_EVENT_ID", EVENT_ID.to_owned()),
    ];
    let stdout = tokio::task::spawn_blocking(move || {
        run_script("console_event_builder.mjs", &env, CHECKS, LIMIT)
    })
    .await
    .expect("the browser run");
    let axe: Vec<&str> = stdout.lines().filter(|l| l.starts_with("AXE ")).collect();
    assert_eq!(axe.len(), AXE_PAGES, "{stdout}");
    for line in &axe {
        assert!(line.contains(": 0 violations"), "not zero: {line}");
    }

    let store = relay.store.clone();
    let dir = relay.dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        let event = store
            .event(&EventId::parse(EVENT_ID).expect("slug"))
            .expect("reads")
            .expect("the event exists");
        let codes = |choices: &[kiosk_core::form::Choice]| -> Vec<String> {
            choices.iter().map(|c| c.code.clone()).collect()
        };
        let form = &event.current_form().expect("published").form;
        assert_eq!(
            codes(&form.interest_areas),
            ["juridik", "skane-lan", "ekonomi-och-arendehandlaggning"]
        );
        assert_eq!(codes(&form.locations), ["malmo", "goteborg"]);
        let version = event.current_version.clone().expect("a current version");
        assert_eq!(
            version,
            event.draft_form.version(),
            "the draft is what was published"
        );

        // A kiosk set up without an event gets the published form on its first sync and
        // captures with it.
        let code = kiosk_sync_server::enrollment::create_code(
            store.as_ref(),
            EVENT_ID,
            EnrolledRole::Kiosk,
            None,
            1,
            now_ms() + 3_600_000,
            now_ms(),
        )
        .expect("code")
        .display();
        let tablet = dir.join("kiosk.sqlite3");
        stdout_of(&device_cli(&tablet, &["init", "--event-from-relay"]));
        stdout_of(&device_cli(
            &tablet,
            &["enroll", "--relay", &url, "--code", &code],
        ));
        stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        stdout_of(&device_cli(&tablet, &["capture", "--demo", "2"]));
        let synced = stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        assert!(synced.contains("2 received"), "{synced}");
        let rows = store
            .list_registrations(
                &RegistrationFilter {
                    events: Some(vec![EVENT_ID.into()]),
                    limit: 10,
                    ..RegistrationFilter::default()
                },
                &Accessor::Operator("test".into()),
                now_ms(),
            )
            .expect("lists");
        assert_eq!(rows.len(), 2);
        let built = codes(&form.interest_areas);
        for row in rows {
            let bytes = store
                .registration_document(&row.id)
                .expect("reads")
                .expect("stored");
            let reader = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
            let (_, registration) =
                kiosk_core::documents::RegistrationDocument::load_with_content(&bytes, &reader)
                    .expect("a registration");
            assert_eq!(
                registration.form_version, version,
                "captured with the published form"
            );
            assert!(
                registration
                    .interests
                    .iter()
                    .all(|code| built.contains(code)),
                "{:?}",
                registration.interests
            );
        }
    })
    .await
    .expect("the kiosk's run");
}

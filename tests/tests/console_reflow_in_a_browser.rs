//! Every HR console page fits a phone and a desk (WCAG 1.4.10, reflow), in a real browser
//! (Debian's headless Chromium through playwright-core, `tests/browser/console_reflow.mjs`),
//! against a relay on loopback whose store is full enough to make tables long: more than 30
//! registrations (some with protected personal data), a real tablet that synced, was revoked
//! and had two captures quarantined, a dozen more tablets, ten more users, and the access log
//! the visits write. At 390 and 1280 px, in Swedish and English, no page scrolls sideways
//! and axe-core finds no violation; each is screenshotted. After a failed submit (a wrong
//! password, a malformed subject-access search) the focus is on the error summary.

use std::time::Duration;

use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::{DeviceId, Timestamp};
use kiosk_core::protocol::PushOutcome;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::HttpTransport;
use kiosk_core::validation::validate;
use kiosk_core::visitor::VisitorSession;
use kiosk_sync_server::hr::accounts::{PasswordHash, Role};
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::now_ms;
use kiosk_sync_server::storage::{
    IngestOutcome, capture_for_tests, enroll_for_tests, ingest_for_tests,
};
use kiosk_tests::browser::run_script;
use kiosk_tests::hr::visitor;
use kiosk_tests::{file_relay, sync_now, tablet};

/// The pages the script opens at both widths in both languages, in order.
const PAGES: &[&str] = &[
    "login",
    "registrations",
    "registration",
    "restricted",
    "events",
    "event",
    "devices",
    "device_revoke",
    "users",
    "user_access",
    "export",
    "quarantine",
    "access_log",
    "retention",
    "reconciliation",
    "closing_report",
    "subject_access",
    "subject_access_result",
    "subject_access_printable",
    "disclosure",
    "disclosure_printable",
    "password",
    "accessibility",
];

/// The checks besides the pages'.
const FOCUS_CHECKS: &[&str] = &[
    "wrong_password_puts_the_focus_on_the_error_summary",
    "failed_subject_access_search_puts_the_focus_on_the_error_summary",
];

/// 23 pages × 2 widths × 2 languages, each measured, checked by axe-core and screenshotted.
const LIMIT: Duration = Duration::from_secs(600);
const USERNAME: &str = "hr-chef";
const PASSWORD: &str = "ett långt lösenord för hr";
/// Registrations stored besides the real tablet's: more than a phone's screen of rows.
const GENERATED: u64 = 32;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_fits_a_phone_and_a_desk_in_both_languages_and_passes_axe() {
    let relay = file_relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.store.clone();

    tokio::task::spawn_blocking(move || {
        // A real tablet captures four visitors (one with protected personal data) and syncs;
        // revoked, its next two captures are quarantined.
        let tablet = tablet();
        let transport = HttpTransport::new(&url);
        tablet.device.enroll(&code, &transport).expect("enrolls");
        let capture = |names: &[(&str, bool)]| {
            let mut session =
                VisitorSession::start(tablet.device.clone(), Timestamp::now()).expect("session");
            for (given, restricted) in names {
                session
                    .update(visitor(given, *restricted), Timestamp::now())
                    .expect("draft");
                session.submit(Timestamp::now()).expect("captured");
            }
        };
        capture(&[
            ("Signe", false),
            ("Tove", true),
            ("Åsa", false),
            ("Wilma", false),
        ]);
        assert_eq!(
            sync_now(&tablet.device, &transport)
                .expect("syncs")
                .received,
            4
        );
        let key = tablet
            .device
            .device_id()
            .public_key()
            .expect("key")
            .to_bytes();
        assert!(store.revoke_device(&key, now_ms()).expect("revokes"));
        capture(&[("Ebba", false), ("Hedvig", false)]);
        assert_eq!(
            sync_now(&tablet.device, &transport)
                .expect("syncs")
                .quarantined,
            2
        );

        // Another kiosk's captures, received over the last weeks.
        let kiosk = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        enroll_for_tests(
            store.as_ref(),
            kiosk.verifying_key().to_bytes(),
            kiosk_core::demo::DEMO_EVENT_ID,
            EnrolledRole::Kiosk,
            None,
        );
        let mut generator = RegistrationGenerator::new(kiosk_core::demo::demo_event(), 11);
        for seq in 1..=GENERATED {
            let (input, mut context) = generator.next_input();
            context.device = DeviceId::from_public_key(&kiosk.verifying_key());
            let registration = validate(&input, generator.event(), &context).expect("valid");
            let item = capture_for_tests(&registration, &kiosk.verifying_key());
            let days_ago = i64::try_from(seq).expect("small");
            let outcome = ingest_for_tests(
                store.as_ref(),
                kiosk.verifying_key().to_bytes(),
                seq,
                now_ms() - days_ago * DAY_MS,
                vec![item],
            );
            let IngestOutcome::Committed { outcomes, .. } = outcome else {
                panic!("not committed");
            };
            assert!(matches!(outcomes[0], PushOutcome::Stored { .. }));
        }

        // A dozen more tablets, a few of them staff tablets with their recruiters.
        for n in 0..12_u8 {
            let (role, recruiter) = if n % 4 == 0 {
                (EnrolledRole::Staff, Some(format!("rekryterare-{n}")))
            } else {
                (EnrolledRole::Kiosk, None)
            };
            enroll_for_tests(
                store.as_ref(),
                [40 + n; 32],
                kiosk_core::demo::DEMO_EVENT_ID,
                role,
                recruiter.as_deref(),
            );
        }
        // Ten more users with long names and every mix of roles.
        for n in 0..10 {
            let roles = match n % 3 {
                0 => vec![Role::Recruiter],
                1 => vec![Role::Archivist, Role::Recruiter],
                _ => vec![Role::Admin],
            };
            provision_user(
                store.as_ref(),
                &format!("handlaggare-{n}"),
                &format!("Handläggare Nummer {n} Långnamnsdotter-Andersson"),
                roles,
                0,
            )
            .expect("provisioned");
        }

        // The officer: admin, recruiter and archivist, cleared, assigned the demo event.
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
        assert!(store.set_hr_clearance(officer.id, true).expect("clears"));
        store
            .assign_hr_event(officer.id, kiosk_core::demo::DEMO_EVENT_ID)
            .expect("assigns");
    })
    .await
    .expect("seeded");

    let checks: Vec<String> = std::iter::once(FOCUS_CHECKS[0].to_owned())
        .chain(PAGES.iter().map(|page| {
            format!("{page}_fits_a_phone_and_a_desk_in_both_languages_with_no_axe_violation")
        }))
        .chain(std::iter::once(FOCUS_CHECKS[1].to_owned()))
        .collect();
    let env = [
        ("KIOSK_RELAY_URL", relay.server.url()),
        ("KIOSK_HR_USERNAME", USERNAME.to_owned()),
        ("KIOSK_HR_PASSWORD", PASSWORD.to_owned()),
        ("KIOSK_EVENT_ID", kiosk_core::demo::DEMO_EVENT_ID.to_owned()),
        ("KIOSK_VISITOR_EMAIL", "signe@exempel.se".to_owned()),
    ];
    tokio::task::spawn_blocking(move || {
        let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
        run_script("console_reflow.mjs", &env, &checks, LIMIT)
    })
    .await
    .expect("the browser run");
}

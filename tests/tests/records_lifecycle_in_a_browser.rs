//! A record's whole life in the HR console, in a real browser (Debian's headless Chromium
//! through playwright-core, `tests/browser/records_lifecycle.mjs`), against a relay on
//! loopback: three registrations received three years ago and one received ten days ago are
//! in the relay's store; an officer who is archivist and recruiter starts *gallring* (after
//! being asked to confirm) and sees the three old ones removed, sets a legal hold on the
//! recent one and records its visitor's talent-pool withdrawal, answers a subject-access
//! request for her by email (JSON file and printable page), finds that a removed visitor's
//! email matches nothing, and reads the accessibility statement from the footer. Every main
//! page is screenshotted and checked with axe-core.
//!
//! Afterwards the relay's own store is asked, not the pages: the old records are removed
//! citing the 24-month rule, the recent one is kept on legal hold with its withdrawal, the
//! access log names the officer for the subject-access request, and its chain is whole.

use std::time::Duration;

use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::DeviceId;
use kiosk_core::protocol::PushOutcome;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::validation::validate;
use kiosk_sync_server::hr::accounts::{PasswordHash, Role};
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::now_ms;
use kiosk_sync_server::storage::{
    AccessAction, Accessor, IngestItem, IngestOutcome, RelayStore, capture_for_tests,
    enroll_for_tests, ingest_for_tests,
};
use kiosk_tests::browser::run_script;
use kiosk_tests::file_relay;

/// Every check the script must pass, in the order it runs them.
const CHECKS: &[&str] = &[
    "archivist_logs_in_and_the_retention_page_shows_the_rule_and_three_due",
    "retention_run_needs_the_confirmation_tied_to_its_checkbox",
    "retention_run_removes_the_three_due_records_and_passes_axe",
    "detail_page_shows_when_the_record_falls_due",
    "provenance_bundle_downloads_from_the_record_page",
    "legal_hold_needs_a_reason_and_is_set_with_one",
    "talent_pool_withdrawal_asks_for_a_confirmation_first",
    "talent_pool_withdrawal_shows_what_to_tell_the_visitor_and_passes_axe",
    "subject_access_by_email_lists_the_registration_and_passes_axe",
    "subject_access_json_holds_the_record_its_retention_and_accesses",
    "subject_access_printable_page_names_the_visitor_and_passes_axe",
    "removed_visitors_email_matches_nothing",
    "accessibility_statement_from_the_footer_passes_axe",
];

const LIMIT: Duration = Duration::from_secs(180);
const USERNAME: &str = "arkivarie";
const PASSWORD: &str = "ett långt lösenord för arkivet";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Received three years ago: past the demo event's 24 months.
const LONG_AGO_DAYS: i64 = 3 * 365;
/// The visitor whose record the officer keeps and reports on.
const GIVEN: &str = "Märta";
const FAMILY: &str = "Öberg";
const EMAIL: &str = "marta.oberg@exempel.se";
/// The email the three old visitors gave; nothing matches it once they are removed.
const REMOVED_EMAIL: &str = "tidigare.besokare@exempel.se";

/// What is stored before the browser starts: the old records' ids and Märta's.
struct Seeded {
    old: Vec<String>,
    marta: String,
}

/// A kiosk for the demo event, and the store's registrations made as its captures.
struct Kiosk<'a> {
    store: &'a dyn RelayStore,
    key: ed25519_dalek::SigningKey,
    generator: RegistrationGenerator,
    seq: u64,
}

impl Kiosk<'_> {
    /// Stores a registration of `given family <email>` received `days_ago`; returns its id.
    fn capture(
        &mut self,
        (given, family, email): (&str, &str, &str),
        talent_pool: bool,
        days_ago: i64,
    ) -> String {
        let (mut input, mut context) = self.generator.next_input();
        input.given_name = given.to_owned();
        input.family_name = family.to_owned();
        input.email = email.to_owned();
        input.protected_personal_data = false;
        input.talent_pool_opt_in = talent_pool;
        context.device = DeviceId::from_public_key(&self.key.verifying_key());
        let registration = validate(&input, self.generator.event(), &context).expect("valid");
        let item = capture_for_tests(&registration, &self.key.verifying_key());
        let IngestItem::Store { doc_id, .. } = &item else {
            panic!("a capture");
        };
        let doc_id = doc_id.clone();
        self.seq += 1;
        let outcome = ingest_for_tests(
            self.store,
            self.key.verifying_key().to_bytes(),
            self.seq,
            now_ms() - days_ago * DAY_MS,
            vec![item],
        );
        let IngestOutcome::Committed { outcomes, .. } = outcome else {
            panic!("not committed");
        };
        assert!(matches!(outcomes[0], PushOutcome::Stored { .. }));
        doc_id
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archivist_removes_holds_withdraws_and_reports_a_record_in_a_real_browser() {
    let relay = file_relay().await;
    let store = relay.store.clone();
    let seeded = tokio::task::spawn_blocking(move || {
        let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        enroll_for_tests(
            store.as_ref(),
            key.verifying_key().to_bytes(),
            kiosk_core::demo::DEMO_EVENT_ID,
            EnrolledRole::Kiosk,
            None,
        );
        let mut kiosk = Kiosk {
            store: store.as_ref(),
            key,
            generator: RegistrationGenerator::new(kiosk_core::demo::demo_event(), 7),
            seq: 0,
        };
        let old = [("Agnes", "Berg"), ("Bertil", "Ek"), ("Cecilia", "Lund")]
            .into_iter()
            .map(|(given, family)| {
                kiosk.capture((given, family, REMOVED_EMAIL), false, LONG_AGO_DAYS)
            })
            .collect();
        let marta = kiosk.capture((GIVEN, FAMILY, EMAIL), true, 10);

        let (officer, _) = provision_user(
            store.as_ref(),
            USERNAME,
            "Arvid Arkivarie",
            vec![Role::Archivist, Role::Recruiter],
            0,
        )
        .expect("provisioned");
        store
            .set_hr_password(officer.id, &PasswordHash::new(PASSWORD), false)
            .expect("password");
        store
            .assign_hr_event(officer.id, kiosk_core::demo::DEMO_EVENT_ID)
            .expect("assigns");
        Seeded { old, marta }
    })
    .await
    .expect("seeded");

    let env = [
        ("KIOSK_RELAY_URL", relay.server.url()),
        ("KIOSK_HR_USERNAME", USERNAME.to_owned()),
        ("KIOSK_HR_PASSWORD", PASSWORD.to_owned()),
        ("KIOSK_EVENT_ID", kiosk_core::demo::DEMO_EVENT_ID.to_owned()),
        ("KIOSK_REGISTRATION_ID", seeded.marta.clone()),
        ("KIOSK_VISITOR_GIVEN", GIVEN.to_owned()),
        ("KIOSK_VISITOR_FAMILY", FAMILY.to_owned()),
        ("KIOSK_VISITOR_EMAIL", EMAIL.to_owned()),
        ("KIOSK_REMOVED_EMAIL", REMOVED_EMAIL.to_owned()),
    ];
    tokio::task::spawn_blocking(move || run_script("records_lifecycle.mjs", &env, CHECKS, LIMIT))
        .await
        .expect("the browser run");

    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        // The old records: removed, citing the event's rule.
        for id in &seeded.old {
            let removal = store
                .removal(id)
                .expect("reads")
                .unwrap_or_else(|| panic!("{id} is removed"));
            assert!(
                removal.reason.contains("24 months after receipt"),
                "the removal cites the rule: {}",
                removal.reason
            );
            assert!(store.stored_registration(id).expect("reads").is_none());
        }

        // Märta's record: kept, on legal hold, out of the talent pool.
        assert!(store.removal(&seeded.marta).expect("reads").is_none());
        assert!(
            store
                .stored_registration(&seeded.marta)
                .expect("reads")
                .is_some(),
            "the recent record is still stored"
        );
        let retention = store
            .record_retention(&seeded.marta)
            .expect("reads")
            .expect("a retention view");
        let hold = retention.legal_hold.expect("on legal hold");
        assert_eq!(hold.set_by, format!("hr:{USERNAME}"));
        assert!(retention.talent_pool_withdrawn_at.is_some(), "withdrawn");

        // The access log: the officer's subject-access request gave her record.
        let officer = Accessor::Operator(format!("hr:{USERNAME}"));
        let subject_access = store
            .access_log_entries(0, 100_000)
            .expect("log")
            .into_iter()
            .filter(|(_, e)| {
                e.accessor == officer
                    && e.doc_id == seeded.marta
                    && e.action == AccessAction::SubjectAccess
            })
            .count();
        assert!(
            subject_access >= 1,
            "no subject_access entry for the record"
        );
        assert_eq!(store.verify_access_log().expect("verifies").broken_at, None);
    })
    .await
    .expect("the store's side");
}

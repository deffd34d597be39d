//! The HR console's registration list in a real browser (Debian's headless Chromium,
//! driven by playwright-core from `tests/browser/console_lists.mjs`): filters chosen from
//! lists find what their labels promise, a phone number typed as people say it (070-…)
//! finds its +4670… record, the total and page N of M are shown and the pages step both
//! ways, a record opened from page 2 of a filtered list steps to its neighbour and leads
//! back to the same page of the same list, and a recruiter with no event is told why. Each
//! page is checked with axe-core and must have no violation at all.
//!
//! The script prints `PASS <check>` per check and this harness requires every one by name.

use std::time::Duration;

use kiosk_core::language::Language;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::storage::{
    PasswordHash, ingest_generated_for_tests, receipt_code_for_tests,
};
use kiosk_tests::browser::run_script;
use kiosk_tests::file_relay;

/// Every check the script must pass, in the order it runs them.
const CHECKS: &[&str] = &[
    "list_shows_the_total_and_page_one_of_m_without_axe_violations",
    "filters_chosen_from_lists_find_what_their_labels_promise",
    "a_typed_070_number_finds_its_e164_record",
    "pages_step_forward_and_back_with_page_n_of_m",
    "a_record_steps_within_the_filter_and_back_keeps_filter_and_page",
    "the_list_in_english_shows_the_total_without_axe_violations",
    "a_recruiter_with_no_event_is_told_why_and_whom_to_ask",
];

/// The whole browser run must finish within this, so a hung browser cannot hang CI.
const LIMIT: Duration = Duration::from_secs(180);

const PASSWORD: &str = "ett eget långt lösenord";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_from_lists_totals_pages_and_the_way_back_work_in_a_real_browser() {
    let relay = file_relay().await;
    let store = relay.store.clone();
    let env = tokio::task::spawn_blocking(move || {
        let registrations = ingest_generated_for_tests(store.as_ref(), 200);
        let open: Vec<_> = registrations.iter().filter(|r| !r.restricted).collect();
        let count = |keep: &dyn Fn(&kiosk_core::registration::Registration) -> bool| {
            open.iter().filter(|r| keep(r)).count()
        };
        let malmo = count(&|r| r.locations.iter().any(|l| l == "malmo"));
        let asylum = count(&|r| r.interests.iter().any(|i| i == "asylum-officer"));
        let out_of_pool = count(&|r| r.consents.talent_pool.is_none());
        assert!(malmo > 0 && asylum > 0, "the generator picks both");
        assert!(
            out_of_pool > 50,
            "page 2 of the out-of-pool list: {out_of_pool}"
        );
        let with_phone = open
            .iter()
            .find(|r| {
                r.person
                    .phone
                    .as_deref()
                    .is_some_and(|p| p.starts_with("+467") && p.len() == 12)
            })
            .expect("a Swedish mobile number");
        let n = &with_phone.person.phone.as_deref().expect("phone")[3..];
        let typed = format!("0{}-{} {} {}", &n[..2], &n[2..5], &n[5..7], &n[7..]);
        for (username, roles) in [
            ("arkivarie", vec![Role::Archivist]),
            ("rekryterare", vec![Role::Recruiter]),
            ("admin", vec![Role::Admin]),
        ] {
            let (user, _) = provision_user(store.as_ref(), username, "Ada Admin", roles, 0)
                .expect("provisioned");
            store
                .set_hr_password(user.id, &PasswordHash::new(PASSWORD), false)
                .expect("a password");
        }
        let event = kiosk_core::demo::demo_event();
        vec![
            ("KIOSK_HR_USERNAME", "arkivarie".to_owned()),
            ("KIOSK_HR_UNASSIGNED", "rekryterare".to_owned()),
            ("KIOSK_HR_PASSWORD", PASSWORD.to_owned()),
            ("KIOSK_TOTAL", open.len().to_string()),
            ("KIOSK_MALMO", malmo.to_string()),
            ("KIOSK_ASYLUM", asylum.to_string()),
            ("KIOSK_OUT_OF_POOL", out_of_pool.to_string()),
            ("KIOSK_PHONE_TYPED", typed),
            (
                "KIOSK_PHONE_RECEIPT",
                receipt_code_for_tests(&with_phone.id),
            ),
            (
                "KIOSK_EVENT_NAME",
                event.name.get(Language::Swedish).to_owned(),
            ),
        ]
    })
    .await
    .expect("registrations and users");
    let mut env: Vec<(&str, String)> = env;
    env.push(("KIOSK_RELAY_URL", relay.server.url()));
    tokio::task::spawn_blocking(move || run_script("console_lists.mjs", &env, CHECKS, LIMIT))
        .await
        .expect("the browser run");
}

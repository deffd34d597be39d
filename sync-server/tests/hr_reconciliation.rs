//! Reconciliation through the JSON API and the console: per event and per tablet, captured
//! against received; a tablet silent with unsent records is flagged and comes first, in the
//! event's list, across events and on the console page (in words); the closing report is
//! signed by the relay's key over its canonical JSON, and a changed byte breaks the
//! signature. Admins and archivists only; an unknown event is a 404 that says so.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::{CalendarDate, EventId};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::hr::reconciliation::{CLOSING_REPORT_TAG, canonical_json};
use kiosk_sync_server::storage::{
    Accessor, IngestBatch, IngestItem, capture_for_tests, enroll_for_tests, ingest_for_tests,
};
use kiosk_sync_server::{AppState, now_ms};
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{self, Answer, bearer};

const DEMO: &str = kiosk_core::demo::DEMO_EVENT_ID;
/// An event that starts later than the demo event, with no tablet silent.
const LATER: &str = "later-fair-2099";
const HOUR_MS: i64 = 3_600_000;

fn kiosk(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// `count` registrations of the demo event captured by `key`, the first numbered
/// `first_seq` in its journal.
fn captures(
    generator: &mut RegistrationGenerator,
    key: &VerifyingKey,
    first_seq: u64,
    count: u64,
) -> Vec<IngestItem> {
    (0..count)
        .map(|i| {
            let registration = generator.next_registration().expect("valid");
            let mut item = capture_for_tests(&registration, key);
            if let IngestItem::Store { journal_seq, .. } = &mut item {
                *journal_seq = Some(first_seq + i);
            }
            item
        })
        .collect()
}

/// The demo event with two kiosks: `steady` captured 2 and sent both just now; `silent`
/// captured 3 (its sync request declared so) but sent only its first, and has not been
/// heard from for two days. A later event has one steady kiosk.
fn relay() -> (AppState, String, String) {
    let state = AppState::demo_in_memory().expect("state");
    let store = state.store.as_ref();
    let mut later = kiosk_core::demo::demo_event();
    later.id = EventId::parse(LATER).expect("a slug");
    later.starts_on = CalendarDate::parse("2099-01-01").expect("a date");
    later.ends_on = None;
    store.put_event(&later).expect("event");

    let steady = kiosk(31).verifying_key();
    let silent = kiosk(32).verifying_key();
    let elsewhere = kiosk(33).verifying_key();
    for key in [steady, silent] {
        enroll_for_tests(store, key.to_bytes(), DEMO, EnrolledRole::Kiosk, None);
    }
    enroll_for_tests(
        store,
        elsewhere.to_bytes(),
        LATER,
        EnrolledRole::Kiosk,
        None,
    );
    let mut generator = RegistrationGenerator::new(kiosk_core::demo::demo_event(), 9);
    let now = now_ms();
    ingest_for_tests(
        store,
        steady.to_bytes(),
        1,
        now,
        captures(&mut generator, &steady, 1, 2),
    );
    // Its request declared 3 captured (its journal count) but carried only the first (a
    // batch limit, then no network); the other two wait on the tablet.
    store
        .ingest(&IngestBatch {
            device_key: silent.to_bytes(),
            seq: 1,
            received_at: now - 48 * HOUR_MS,
            items: captures(&mut generator, &silent, 1, 1),
            accessor: Accessor::Device {
                device_key: silent.to_bytes(),
                recruiter: None,
            },
            pull: None,
            declared_journal: Some(3),
        })
        .expect("ingests");
    (
        state,
        hex::encode(steady.to_bytes()),
        hex::encode(silent.to_bytes()),
    )
}

async fn get_as(state: &AppState, roles: Vec<Role>, username: &str, path: &str) -> Answer {
    let user = user_with(state, username, roles);
    hr_api::call_as(state, "GET", path, &bearer(state, &user), None).await
}

fn counts(device: &Value) -> [u64; 4] {
    ["captured", "received", "stored", "unsent"].map(|name| device[name].as_u64().expect(name))
}

#[tokio::test]
async fn a_silent_kiosk_with_unsent_records_is_flagged_and_listed_first() {
    let (state, steady, silent) = relay();
    let answer = get_as(
        &state,
        vec![Role::Admin],
        "admin.anna",
        &format!("/api/v1/events/{DEMO}/reconciliation"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(body["event"]["id"], DEMO);
    assert!(body["generated_at"].as_i64().is_some());
    let devices = body["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 2);
    // Enrolled second, listed first.
    assert_eq!(devices[0]["id"], silent.as_str());
    assert_eq!(devices[0]["silent_with_unsent"], true);
    assert_eq!(counts(&devices[0]), [3, 1, 1, 2]);
    assert_eq!(devices[1]["id"], steady.as_str());
    assert_eq!(devices[1]["silent_with_unsent"], false);
    assert_eq!(counts(&devices[1]), [2, 2, 2, 0]);
    let totals = &body["totals"];
    assert_eq!(counts(totals), [5, 3, 3, 2]);
    assert_eq!(totals["devices"], 2);
    assert_eq!(totals["silent_with_unsent"], 1);
}

#[tokio::test]
async fn the_overview_puts_events_and_tablets_with_silent_records_first() {
    let (state, _, silent) = relay();
    let answer = get_as(
        &state,
        vec![Role::Archivist],
        "arkiv.bo",
        "/api/v1/reconciliation",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let events = answer.body["events"].as_array().expect("events");
    // The later event starts last and would come first by date.
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["event"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [DEMO, LATER]);
    assert_eq!(events[0]["totals"]["unsent"], 2);
    assert_eq!(events[1]["totals"]["silent_with_unsent"], 0);
    let silent_devices = answer.body["silent_devices"].as_array().expect("list");
    assert_eq!(silent_devices.len(), 1);
    assert_eq!(silent_devices[0]["id"], silent.as_str());
    assert_eq!(silent_devices[0]["event_id"], DEMO);
    assert_eq!(silent_devices[0]["unsent"], 2);
}

#[tokio::test]
async fn a_recruiter_is_refused_and_an_unknown_event_is_not_found() {
    let (state, _, _) = relay();
    let recruiter = user_with(&state, "rekryterare.gun", vec![Role::Recruiter]);
    let token = bearer(&state, &recruiter);
    for path in [
        "/api/v1/reconciliation".to_owned(),
        format!("/api/v1/events/{DEMO}/reconciliation"),
        format!("/api/v1/events/{DEMO}/closing-report"),
    ] {
        let answer = hr_api::call_as(&state, "GET", &path, &token, None).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(answer.code(), Some("missing_role"), "{path}");
        assert!(
            answer.body["message"]
                .as_str()
                .expect("a message")
                .contains("admin or archivist"),
            "{}",
            answer.body
        );
    }
    let admin = user_with(&state, "admin.cecilia", vec![Role::Admin]);
    let token = bearer(&state, &admin);
    for path in [
        "/api/v1/events/no-such-fair/reconciliation",
        "/api/v1/events/no-such-fair/closing-report",
        "/api/v1/events/Not%20a%20slug/reconciliation",
    ] {
        let answer = hr_api::call_as(&state, "GET", path, &token, None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.code(), Some("unknown_event"), "{path}");
        assert_eq!(answer.body["message"], "no such event");
    }
}

#[tokio::test]
async fn the_closing_report_is_signed_by_the_relay_and_a_changed_byte_fails() {
    let (state, _, silent) = relay();
    let answer = get_as(
        &state,
        vec![Role::Archivist],
        "arkiv.dora",
        &format!("/api/v1/events/{DEMO}/closing-report"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let body = &answer.body;
    let relay_key = state.keys.signing.verifying_key();
    assert_eq!(body["relay_key_hex"], hex::encode(relay_key.to_bytes()));
    let report = &body["report"];
    assert_eq!(report["generated_by"], "arkiv.dora");
    assert_eq!(report["event"]["id"], DEMO);
    assert_eq!(report["devices"][0]["id"], silent.as_str());
    assert_eq!(report["totals"]["unsent"], 2);
    assert_eq!(report["removals"], 0);
    assert!(report["quarantine_decisions"]["accepted"].is_u64());

    let canonical = canonical_json(report);
    // The answer carries the signed bytes as they are.
    assert!(
        answer
            .text
            .contains(std::str::from_utf8(&canonical).expect("utf-8"))
    );
    assert_eq!(body["digest_hex"], hex::encode(Sha256::digest(&canonical)));
    let signature: [u8; 64] = hex::decode(body["signature_hex"].as_str().expect("hex"))
        .expect("hex")
        .try_into()
        .expect("64 bytes");
    let signature = Signature::from_bytes(&signature);
    let signed = |bytes: &[u8]| [CLOSING_REPORT_TAG, bytes].concat();
    relay_key
        .verify_strict(&signed(&canonical), &signature)
        .expect("the relay's signature verifies");

    let mut changed = canonical.clone();
    let at = changed
        .windows(b"\"unsent\":2".len())
        .position(|w| w == b"\"unsent\":2")
        .expect("the unsent count")
        + b"\"unsent\":".len();
    changed[at] = b'0';
    assert!(
        relay_key
            .verify_strict(&signed(&changed), &signature)
            .is_err()
    );
}

#[tokio::test]
async fn the_console_page_names_the_silent_tablet_in_words_and_links_the_closing_report() {
    let (state, steady, silent) = relay();
    user_with(&state, "admin.erik", vec![Role::Admin]);
    let mut browser = Browser::new(&state);
    let login = browser.log_in("admin.erik", PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);

    let page = browser.get("/console/reconciliation?lang=en").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains(r#"href="/console/reconciliation" aria-current="page""#)
    );
    let silent_row = page.body.find(&silent[..8]).expect("the silent tablet");
    let steady_row = page.body.find(&steady[..8]).expect("the steady tablet");
    assert!(silent_row < steady_row, "the silent tablet comes first");
    let row_end = silent_row + page.body[silent_row..].find("</tr>").expect("its row");
    assert!(
        page.body[silent_row..row_end].contains("Silent with registrations that have not arrived"),
        "{}",
        &page.body[silent_row..row_end]
    );
    assert!(
        page.body
            .contains(&format!(r#"href="/console/events/{DEMO}/closing-report""#))
    );

    let swedish = browser.get("/console/reconciliation?lang=sv").await;
    assert!(
        swedish
            .body
            .contains("Tyst med registreringar som inte har kommit fram")
    );

    let report = browser
        .get(&format!("/console/events/{DEMO}/closing-report?lang=en"))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.body.contains(r#"<html lang="en">"#));
    assert!(report.body.contains("admin.erik"));
    assert!(report.body.contains(&silent), "full tablet keys on paper");
    assert!(report.body.contains("kiosk-closing-report-v1"));
    assert!(report.body.contains("/console/accessibility"));

    let unknown = browser
        .get("/console/events/no-such-fair/closing-report")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_console_page_refuses_a_recruiter_in_words() {
    let (state, _, _) = relay();
    user_with(&state, "rekryterare.fia", vec![Role::Recruiter]);
    let mut browser = Browser::new(&state);
    browser.log_in("rekryterare.fia", PASSWORD).await;
    let page = browser.get("/console/reconciliation?lang=en").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.body
            .contains("Reconciliation is for admins and archivists.")
    );
    assert!(!page.body.contains(r#"href="/console/reconciliation""#));
}

//! Disclosure exports for a request for public documents, through the JSON API and the
//! console: every field of each requested record, with review marks on contact details,
//! the names of restricted records, notes and free text; restricted content only with the
//! clearance; unknown and removed ids reported as such; a `disclosure` log entry per record
//! included; archivists only.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use kiosk_core::demo::{DEMO_EVENT_ID, demo_event};
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::registration::Registration;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::{
    Accessor, RelayStore, capture_for_tests, enroll_for_tests, ingest_for_tests,
    receipt_code_for_tests,
};
use kiosk_sync_server::{AppState, now_ms};
use serde_json::{Value, json};
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{Answer, bearer, call_as, logged};

/// A relay with an open registration (with a note by recruiter `rut`), a restricted one and
/// one removed under a rule; archivist `arvid` and recruiter `rut`.
struct Relay {
    state: AppState,
    open: Registration,
    restricted: Registration,
    removed: Registration,
    arvid: String,
    rut: String,
}

const RULE: &str = "gallring 24 månader efter registrering (beslut 2026:1)";

impl Relay {
    async fn new() -> Relay {
        let state = AppState::demo_in_memory().expect("relay");
        let store = state.store.as_ref();
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
        enroll_for_tests(
            store,
            key.to_bytes(),
            DEMO_EVENT_ID,
            kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
            None,
        );
        let mut generator = RegistrationGenerator::new(demo_event(), 4);
        let mut next = |restricted: bool| {
            let mut registration = generator.next_registration().expect("valid");
            registration.restricted = restricted;
            registration.person.email = Some("visitor@x.se".into());
            registration.person.phone = Some("+46701234567".into());
            registration
        };
        let (open, restricted, removed) = (next(false), next(true), next(false));
        let items = [&open, &restricted, &removed]
            .into_iter()
            .map(|r| capture_for_tests(r, &key))
            .collect();
        ingest_for_tests(store, key.to_bytes(), 1, 1_000, items);
        let removal = store
            .remove_registration(
                removed.id.as_str(),
                RULE,
                &Accessor::Operator("retention".into()),
                1_767_225_600_000,
            )
            .expect("removed");
        assert_eq!(format!("{removal:?}"), "Removed");
        let arvid_user = user_with(&state, "arvid", vec![Role::Archivist]);
        let rut_user = user_with(&state, "rut", vec![Role::Recruiter]);
        assert!(
            store
                .assign_hr_event(rut_user.id, DEMO_EVENT_ID)
                .expect("assigned")
        );
        let relay = Relay {
            arvid: bearer(&state, &arvid_user),
            rut: bearer(&state, &rut_user),
            state,
            open,
            restricted,
            removed,
        };
        let note = call_as(
            &relay.state,
            "POST",
            &format!("/api/v1/registrations/{}/notes", relay.open.id),
            &relay.rut,
            Some(json!({ "text": "Verkar osäker på sin utbildning" })),
        )
        .await;
        assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
        relay
    }

    fn store(&self) -> &dyn RelayStore {
        self.state.store.as_ref()
    }

    async fn ask(&self, body: Value) -> Answer {
        call_as(
            &self.state,
            "POST",
            "/api/v1/disclosure",
            &self.arvid,
            Some(body),
        )
        .await
    }

    fn clear_arvid(&self) {
        let (user, _) = self
            .store()
            .hr_user_by_username("arvid")
            .expect("read")
            .expect("arvid");
        assert!(
            self.store()
                .set_hr_clearance(user.id, true)
                .expect("cleared")
        );
    }

    fn all(&self) -> Value {
        json!({ "records": [
            self.open.id.to_string(),
            receipt_code_for_tests(&self.restricted.id),
            self.removed.id.to_string(),
            "0190b1a4-0000-7000-8000-000000000000",
        ] })
    }
}

fn record(answer: &Answer, index: usize) -> &Value {
    &answer.body["records"][index]
}

#[tokio::test]
async fn fields_needing_a_secrecy_review_are_marked_with_their_reason_and_each_record_is_logged() {
    let relay = Relay::new().await;
    let answer = relay.ask(relay.all()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.body["notice"]["sv"]
            .as_str()
            .expect("notice")
            .contains("handläggare")
    );
    assert!(
        answer.body["notice"]["en"]
            .as_str()
            .expect("notice")
            .contains("official decides")
    );
    let open = record(&answer, 0);
    assert_eq!(open["state"], "held");
    let fields = &open["fields"];
    assert_eq!(fields["email"]["review"], true);
    assert_eq!(fields["email"]["reason"], "contact_details");
    assert_eq!(fields["phone"]["reason"], "contact_details");
    assert_eq!(fields["given_name"]["review"], false);
    assert_eq!(fields["event_id"]["review"], false);
    assert_eq!(
        fields["given_name"]["value"],
        relay.open.person.given_name.as_str()
    );
    assert!(fields["given_name"]["decision"].is_null());
    assert_eq!(open["notes"][0]["review"], true);
    assert_eq!(open["notes"][0]["reason"], "assessment");
    assert_eq!(
        open["notes"][0]["value"]["text"],
        "Verkar osäker på sin utbildning"
    );
    assert_eq!(
        logged(relay.store(), relay.open.id.as_str(), "arvid"),
        ["disclosure"]
    );
    assert!(
        answer
            .header(axum::http::header::CONTENT_DISPOSITION)
            .expect("attachment")
            .contains("utlamnande-")
    );

    relay.clear_arvid();
    let answer = relay.ask(relay.all()).await;
    let restricted = record(&answer, 1);
    assert_eq!(restricted["state"], "held");
    assert_eq!(
        restricted["fields"]["given_name"]["reason"],
        "protected_identity"
    );
    assert_eq!(
        restricted["fields"]["email"]["reason"],
        "protected_identity"
    );
    assert_eq!(restricted["fields"]["phone"]["review"], true);
    // Where and when a protected person was can lead to them too.
    for field in ["event_id", "captured_at", "locations", "receipt_code"] {
        assert_eq!(
            restricted["fields"][field]["reason"], "protected_identity",
            "{field}"
        );
    }
    assert_eq!(
        logged(relay.store(), relay.restricted.id.as_str(), "arvid"),
        ["disclosure"]
    );
}

#[tokio::test]
async fn without_the_clearance_a_restricted_record_is_answered_as_not_held_and_removed_ids_are_reported()
 {
    let relay = Relay::new().await;
    let answer = relay.ask(relay.all()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let restricted = record(&answer, 1);
    let unknown = record(&answer, 3);
    assert_eq!(restricted["state"], "not_held");
    // Byte for byte the line of an id the relay never held, but for what was asked.
    let without_asked = |line: &Value| {
        let mut line = line.clone();
        line.as_object_mut().expect("a line").remove("asked");
        line.to_string()
    };
    assert_eq!(without_asked(restricted), without_asked(unknown));
    assert!(!answer.text.contains(&relay.restricted.person.given_name));
    assert!(!answer.text.contains(relay.restricted.id.as_str()));
    assert!(
        logged(relay.store(), relay.restricted.id.as_str(), "arvid").is_empty(),
        "nothing in the log the archivist reviews tells it apart either"
    );

    let removed = record(&answer, 2);
    assert_eq!(removed["state"], "removed");
    assert_eq!(removed["rule"], RULE);
    assert_eq!(removed["removed_at"], 1_767_225_600_000_i64);
    assert_eq!(unknown["state"], "not_held");
    assert!(
        unknown["message"]
            .as_str()
            .expect("message")
            .contains("never received or removed")
    );
    assert!(logged(relay.store(), relay.removed.id.as_str(), "arvid").is_empty());

    // The request goes to the cleared users' inbox, with the record it matched.
    let requests = relay.store().restricted_requests(10).expect("requests");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].kind, "disclosure");
    assert_eq!(requests[0].requested_by, "hr:arvid");
    assert_eq!(requests[0].doc_ids, [relay.restricted.id.to_string()]);

    // The printable page cannot tell them apart either.
    let restricted_only = json!({ "records": [kiosk_sync_server::storage::receipt_code_for_tests(&relay.restricted.id)] });
    let nothing = json!({ "records": [kiosk_sync_server::storage::receipt_code_for_tests(
        &kiosk_core::ids::RegistrationId::parse("0190b1a4-0000-7000-8000-000000000000").expect("id")
    )] });
    let page = |body| {
        call_as(
            &relay.state,
            "POST",
            "/api/v1/disclosure?format=html",
            &relay.arvid,
            Some(body),
        )
    };
    let (a, b) = (
        page(restricted_only.clone()).await,
        page(nothing.clone()).await,
    );
    let strip = |text: &str, body: &Value| {
        text.replace(body["records"][0].as_str().expect("code"), "ASKED")
    };
    assert_eq!(a.status, b.status);
    let (a, b) = (strip(&a.text, &restricted_only), strip(&b.text, &nothing));
    // The printable page is stamped with its time to the minute; compare without it.
    let untimed = |text: &str| {
        text.lines()
            .filter(|l| !l.contains("generated") && !l.contains("Skapad") && !l.contains("Created"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(untimed(&a), untimed(&b));
}

#[tokio::test]
async fn an_event_and_a_date_range_select_its_registrations() {
    let relay = Relay::new().await;
    let answer = relay
        .ask(json!({ "event_id": DEMO_EVENT_ID, "from": 0, "before": now_ms() + 86_400_000 * 365 * 10 }))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let states: Vec<&str> = answer.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["state"].as_str().expect("state"))
        .collect();
    assert_eq!(
        states,
        ["held"],
        "without the clearance the event's restricted record is left out"
    );
    let empty = relay
        .ask(json!({ "event_id": DEMO_EVENT_ID, "from": 0, "before": 1 }))
        .await;
    assert_eq!(empty.body["records"].as_array().map(Vec::len), Some(0));
    let unknown = relay
        .ask(json!({ "event_id": "no-such-fair", "from": 0, "before": 1 }))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_recruiters_are_refused() {
    let relay = Relay::new().await;
    for (body, field) in [
        (json!({}), "selection"),
        (json!({ "records": [] }), "records"),
        (json!({ "records": ["not an id"] }), "records"),
        (json!({ "records": vec!["x"; 501] }), "records"),
        (json!({ "event_id": DEMO_EVENT_ID }), "from"),
        (
            json!({ "event_id": DEMO_EVENT_ID, "from": 5, "before": 5 }),
            "before",
        ),
        (
            json!({ "records": [relay.open.id.to_string()], "event_id": DEMO_EVENT_ID }),
            "selection",
        ),
    ] {
        let answer = relay.ask(body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = answer.body["message"].as_str().expect("message");
        assert!(
            message.starts_with(&format!("{field}:")),
            "{body}: {message}"
        );
    }
    let recruiter = call_as(
        &relay.state,
        "POST",
        "/api/v1/disclosure",
        &relay.rut,
        Some(relay.all()),
    )
    .await;
    assert_eq!(recruiter.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_printable_page_has_the_notice_the_review_marks_and_blank_decisions() {
    let relay = Relay::new().await;
    let answer = call_as(
        &relay.state,
        "POST",
        "/api/v1/disclosure?format=html",
        &relay.arvid,
        Some(relay.all()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let page = &answer.text;
    assert!(page.contains("avgör inte vad som lämnas ut"));
    assert!(page.contains("Lämnas ut med maskning"));
    assert!(page.contains("Pröva: "));
    assert!(page.contains(RULE));
    assert!(page.contains("aldrig mottagen eller gallrad"));
    assert!(!page.contains("<script"));
    // The reasons for review are named in words; their codes stay in the JSON.
    assert!(page.contains("<dt>Kontaktuppgifter</dt>"));
    assert!(page.contains("<dt>Skyddade personuppgifter</dt>"));
    for code in ["contact_details", "protected_identity", "free_text"] {
        assert!(!page.contains(code), "{code} is a code, not a word");
    }
    // Tablets by name or fingerprint, never by their whole key.
    let whole_key = page
        .split(|c: char| !c.is_ascii_hexdigit())
        .any(|run| run.len() >= 32);
    assert!(!whole_key, "no 64-character tablet keys");
}

#[tokio::test]
async fn the_console_page_makes_the_export_in_swedish_and_english_and_needs_the_csrf_token() {
    let relay = Relay::new().await;
    let mut browser = Browser::new(&relay.state);
    browser.log_in("arvid", PASSWORD).await;
    let page = browser.get("/console/disclosure").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Utlämnande</h1>"));
    let english = browser.get("/console/disclosure?lang=en").await;
    assert!(english.body.contains("<h1>Disclosure</h1>"));
    let csrf = english.csrf_field();
    let id = relay.open.id.to_string();

    let refused = browser
        .post(
            "/console/disclosure",
            &[("records", &id), ("format", "html")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(logged(relay.store(), &id, "arvid").is_empty());

    let made = browser
        .post(
            "/console/disclosure",
            &[("csrf_token", &csrf), ("records", &id), ("format", "html")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(
        made.body
            .contains("<h1>Material for the release of public documents</h1>")
    );
    assert!(made.body.contains("Released with redaction"));
    assert_eq!(logged(relay.store(), &id, "arvid"), ["disclosure"]);

    let bad = browser
        .post(
            "/console/disclosure",
            &[
                ("csrf_token", &csrf),
                ("records", "nonsense"),
                ("format", "json"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("one a line"));
    let dates = browser
        .post(
            "/console/disclosure",
            &[
                ("csrf_token", &csrf),
                ("event", DEMO_EVENT_ID),
                ("from", "2026-13-01"),
                ("to", "2026-01-01"),
            ],
        )
        .await;
    assert_eq!(dates.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dates.body.contains(r##"href="#from""##));
}

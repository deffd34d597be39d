//! HR's edits of registrations through the JSON API and the console: notes, a rating per
//! user and the status, by recruiters of the record's event (restricted records only with
//! the clearance), each authored by the user's own Automerge actor, access-logged, pulled
//! by the event's staff tablets and shown by lists; refusals and bad input write nothing
//! but the refusal's log entry. And the restricted inbox, for cleared users only.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use kiosk_core::documents::{RegistrationDocument, actor_id};
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::{DeviceId, EventId};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::registration::Registration;
use kiosk_core::validation::validate;
use kiosk_sync_server::hr::accounts::{HrUser, Role};
use kiosk_sync_server::storage::{
    Accessor, IngestBatch, IngestOutcome, PullPage, PullQuery, PullScope, RelayStore,
    capture_for_tests, enroll_for_tests, ingest_for_tests,
};
use kiosk_sync_server::{AppState, now_ms};
use serde_json::{Value, json};
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{self, Answer, bearer};

const DEMO: &str = kiosk_core::demo::DEMO_EVENT_ID;
const OTHER_EVENT: &str = "goteborg-fair-2026";

/// A relay with the demo event and a kiosk enrolled for it.
struct Relay {
    state: AppState,
    kiosk: ed25519_dalek::SigningKey,
    generator: RegistrationGenerator,
    seq: u64,
}

impl Relay {
    fn new() -> Relay {
        let state = AppState::demo_in_memory().expect("relay");
        let kiosk = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        enroll_for_tests(
            state.store.as_ref(),
            kiosk.verifying_key().to_bytes(),
            DEMO,
            EnrolledRole::Kiosk,
            None,
        );
        Relay {
            state,
            kiosk,
            generator: RegistrationGenerator::new(kiosk_core::demo::demo_event(), 7),
            seq: 0,
        }
    }

    fn store(&self) -> &dyn RelayStore {
        self.state.store.as_ref()
    }

    /// Stores a visitor's registration as ingest stores a checked capture; `event` moves
    /// it to another event (the store does not check), `protected` takes the minimal path.
    fn capture(&mut self, given: &str, protected: bool, event: &str) -> String {
        let (mut input, mut context) = self.generator.next_input();
        input.given_name = given.to_owned();
        if protected {
            input.protected_personal_data = true;
            input.email = "kontakt@example.se".to_owned();
            input.phone.clear();
            input.education_level.clear();
            input.talent_pool_opt_in = false;
        }
        context.device = DeviceId::from_public_key(&self.kiosk.verifying_key());
        let mut registration: Registration =
            validate(&input, self.generator.event(), &context).expect("valid");
        registration.event_id = EventId::parse(event).expect("event id");
        let key = self.kiosk.verifying_key();
        self.seq += 1;
        let outcome = ingest_for_tests(
            self.store(),
            key.to_bytes(),
            self.seq,
            now_ms(),
            vec![capture_for_tests(&registration, &key)],
        );
        assert!(matches!(outcome, IngestOutcome::Committed { .. }));
        registration.id.to_string()
    }

    /// A user with `roles`, assigned `events`, with an API token; returns the user and the
    /// `Authorization` header value.
    fn user(&self, username: &str, roles: Vec<Role>, events: &[&str]) -> (HrUser, String) {
        let user = user_with(&self.state, username, roles);
        for event in events {
            assert!(
                self.store()
                    .assign_hr_event(user.id, event)
                    .expect("assign")
            );
        }
        let bearer = bearer(&self.state, &user);
        (user, bearer)
    }

    fn clear(&self, user: &HrUser) {
        assert!(
            self.store()
                .set_hr_clearance(user.id, true)
                .expect("cleared")
        );
    }

    /// Sends an edit of record `doc` (`notes`, `rating` or `status`) as `bearer`.
    async fn edit(&self, method: &str, doc: &str, edit: &str, bearer: &str, body: Value) -> Answer {
        let path = format!("/api/v1/registrations/{doc}/{edit}");
        self.call(method, &path, bearer, Some(body)).await
    }

    /// Adds a note with `text` to record `doc` as `bearer`.
    async fn add_note(&self, doc: &str, bearer: &str, text: &str) -> Answer {
        let body = json!({ "text": text });
        self.edit("POST", doc, "notes", bearer, body).await
    }

    /// Sets record `doc`'s status as `bearer`.
    async fn set_status(&self, doc: &str, bearer: &str, status: &str) -> Answer {
        let body = json!({ "status": status });
        self.edit("PUT", doc, "status", bearer, body).await
    }

    async fn call(&self, method: &str, path: &str, bearer: &str, body: Option<Value>) -> Answer {
        hr_api::call_as(&self.state, method, path, bearer, body).await
    }

    /// The actions the access log holds about `doc_id` by `username`, in order.
    fn logged(&self, doc_id: &str, username: &str) -> Vec<&'static str> {
        hr_api::logged(self.store(), doc_id, username)
    }

    /// Every change the relay holds of `doc_id`.
    fn changes(&self, doc_id: &str) -> Vec<u8> {
        self.store()
            .stored_registration(doc_id)
            .expect("read")
            .expect("stored")
            .changes
    }
}

/// The ids of the registrations a list answered with, in order.
fn ids(answer: &Answer) -> Vec<String> {
    answer.body["registrations"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_recruiter_adds_a_note_rates_and_sets_the_status_and_the_detail_shows_them() {
    let mut relay = Relay::new();
    let doc = relay.capture("Signe", false, DEMO);
    let (_, rut) = relay.user("rut", vec![Role::Recruiter], &[DEMO]);
    let path = format!("/api/v1/registrations/{doc}");

    let note = relay.add_note(&doc, &rut, "  Ring efter mässan. ").await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    assert_eq!(note.body["note"]["author"], "rut");
    assert_eq!(note.body["note"]["text"], "Ring efter mässan.");
    assert!(
        note.body["note"]["id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    assert!(note.body["note"]["written_at"].as_i64().is_some());
    let rated = relay
        .edit("PUT", &doc, "rating", &rut, json!({ "score": 4 }))
        .await;
    assert_eq!(rated.status, StatusCode::OK, "{}", rated.body);
    assert_eq!(rated.body, json!({ "rater": "rut", "score": 4 }));
    let status = relay.set_status(&doc, &rut, "contacted").await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);

    let detail = relay.call("GET", &path, &rut, None).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(detail.body["status"], "contacted");
    assert_eq!(detail.body["ratings"], json!({ "rut": 4 }));
    assert_eq!(detail.body["notes"][0]["text"], "Ring efter mässan.");
    assert_eq!(detail.body["notes"][0]["id"], note.body["note"]["id"]);

    // Clearing the rating removes it; the same status again changes (and logs) nothing.
    let cleared = relay
        .edit("PUT", &doc, "rating", &rut, json!({ "score": null }))
        .await;
    assert_eq!(cleared.status, StatusCode::OK);
    let again = relay.set_status(&doc, &rut, "contacted").await;
    assert_eq!(again.status, StatusCode::OK);
    let detail = relay.call("GET", &path, &rut, None).await;
    assert_eq!(detail.body["ratings"], json!({}));
    assert_eq!(
        relay.logged(&doc, "rut"),
        ["change", "change", "change", "read", "change", "read"]
    );
}

#[tokio::test]
async fn the_list_filters_by_the_status_hr_set() {
    let mut relay = Relay::new();
    let chosen = relay.capture("Signe", false, DEMO);
    let other = relay.capture("Tove", false, DEMO);
    let (_, rut) = relay.user("rut", vec![Role::Recruiter], &[DEMO]);
    let set = relay.set_status(&chosen, &rut, "shortlisted").await;
    assert_eq!(set.status, StatusCode::OK);
    let shortlisted = relay
        .call(
            "GET",
            "/api/v1/registrations?status=shortlisted",
            &rut,
            None,
        )
        .await;
    assert_eq!(ids(&shortlisted), [chosen]);
    assert_eq!(
        shortlisted.body["registrations"][0]["status"],
        "shortlisted"
    );
    let new = relay
        .call("GET", "/api/v1/registrations?status=new", &rut, None)
        .await;
    assert_eq!(ids(&new), [other]);
}

#[tokio::test]
async fn an_hr_edit_is_authored_by_the_users_own_actor_key() {
    let mut relay = Relay::new();
    let doc = relay.capture("Signe", false, DEMO);
    let (user, rut) = relay.user("rut", vec![Role::Recruiter], &[DEMO]);
    let before = relay.changes(&doc);
    let answer = relay.add_note(&doc, &rut, "Bra samtal.").await;
    assert_eq!(answer.status, StatusCode::CREATED);

    let added = relay.changes(&doc)[before.len()..].to_vec();
    let (mut capture, _) = RegistrationDocument::load_unattributed(&before).expect("capture");
    let kiosk = actor_id(&relay.kiosk.verifying_key());
    assert_eq!(capture.authors(), std::slice::from_ref(&kiosk));
    let (mut whole, _) =
        RegistrationDocument::load_unattributed(&relay.changes(&doc)).expect("record");
    let mut authors = whole.authors();
    authors.retain(|a| *a != kiosk);
    assert_eq!(
        authors,
        [actor_id(&user.actor_key())],
        "only the user wrote the edit"
    );
    assert!(!added.is_empty());
    let note = &whole.annotations().expect("annotations").notes[0];
    assert_eq!(note.author, "rut");
    assert_eq!(note.device, DeviceId::from_public_key(&user.actor_key()));
}

#[tokio::test]
async fn a_recruiter_of_another_event_is_refused_logged_and_nothing_is_written() {
    let mut relay = Relay::new();
    let doc = relay.capture("Signe", false, DEMO);
    let (_, sam) = relay.user("sam", vec![Role::Recruiter], &[OTHER_EVENT]);
    let before = relay.changes(&doc);
    let path = format!("/api/v1/registrations/{doc}");
    for (method, action, body) in [
        ("POST", "notes", json!({ "text": "Inte min." })),
        ("PUT", "rating", json!({ "score": 2 })),
        ("PUT", "status", json!({ "status": "hired" })),
    ] {
        let refused = relay
            .call(method, &format!("{path}/{action}"), &sam, Some(body))
            .await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::FORBIDDEN, Some("not_assigned")),
            "{action}"
        );
        assert!(!refused.body.to_string().contains("Signe"));
    }
    assert_eq!(relay.changes(&doc), before, "nothing written");
    assert_eq!(
        relay.logged(&doc, "sam"),
        ["read_refused", "read_refused", "read_refused"]
    );

    // An archivist reads every record but edits none; the attempt is logged all the same.
    let (_, arvid) = relay.user("arvid", vec![Role::Archivist], &[]);
    let refused = relay.set_status(&doc, &arvid, "hired").await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, Some("missing_role"))
    );
    assert_eq!(relay.changes(&doc), before);
    assert_eq!(relay.logged(&doc, "arvid"), ["read_refused"]);

    // An admin without a reading role is refused the record, and logged; an id that names
    // no record logs nothing.
    let (_, ada) = relay.user("ada", vec![Role::Admin], &[]);
    let refused = relay.call("GET", &path, &ada, None).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, Some("missing_role"))
    );
    assert!(!refused.body.to_string().contains("Signe"));
    assert_eq!(relay.logged(&doc, "ada"), ["read_refused"]);
    let nobody = "0190a0b0-0000-7000-8000-000000000000";
    let refused = relay
        .call(
            "GET",
            &format!("/api/v1/registrations/{nobody}"),
            &ada,
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(relay.logged(nobody, "ada").is_empty());
}

#[tokio::test]
async fn a_restricted_record_is_edited_only_with_the_clearance() {
    let mut relay = Relay::new();
    let doc = relay.capture("Tove", true, DEMO);
    let (rut_user, rut) = relay.user("rut", vec![Role::Recruiter], &[DEMO]);
    let before = relay.changes(&doc);
    let refused = relay.set_status(&doc, &rut, "contacted").await;
    // Answered as an id the relay never held: without the clearance, rut cannot tell.
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::NOT_FOUND, Some("unknown_registration"))
    );
    assert_eq!(relay.changes(&doc), before);
    assert_eq!(relay.logged(&doc, "rut"), ["read_refused"]);

    relay.clear(&rut_user);
    let allowed = relay.set_status(&doc, &rut, "contacted").await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    assert_eq!(relay.logged(&doc, "rut"), ["read_refused", "change"]);
}

#[tokio::test]
async fn bad_notes_scores_and_statuses_are_422_naming_the_field_and_write_nothing() {
    let mut relay = Relay::new();
    let doc = relay.capture("Signe", false, DEMO);
    let (_, rut) = relay.user("rut", vec![Role::Recruiter], &[DEMO]);
    let before = relay.changes(&doc);
    let path = format!("/api/v1/registrations/{doc}");
    let long = "å".repeat(2_001);
    for (method, action, body, field) in [
        ("POST", "notes", json!({ "text": "" }), "text"),
        ("POST", "notes", json!({ "text": " \n " }), "text"),
        ("POST", "notes", json!({ "text": long }), "text"),
        ("PUT", "rating", json!({ "score": 0 }), "score"),
        ("PUT", "rating", json!({ "score": 6 }), "score"),
        ("PUT", "status", json!({ "status": "archived" }), "status"),
    ] {
        let refused = relay
            .call(method, &format!("{path}/{action}"), &rut, Some(body))
            .await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")),
            "{action}: {}",
            refused.body
        );
        assert!(
            refused.body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&format!("{field}: "))),
            "names {field}: {}",
            refused.body
        );
    }
    // A body without the score must not clear a rating: it is malformed, not null.
    let missing = relay.edit("PUT", &doc, "rating", &rut, json!({})).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::BAD_REQUEST, Some("malformed_body"))
    );
    assert_eq!(relay.changes(&doc), before, "nothing written");
    assert!(relay.logged(&doc, "rut").is_empty(), "nothing logged");

    let unknown = relay
        .call(
            "POST",
            "/api/v1/registrations/0190f1c2-0000-7000-8000-000000000000/notes",
            &rut,
            Some(json!({ "text": "Finns inte." })),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, Some("unknown_registration"))
    );
}

/// What staff tablet `device_key` (recruiter `rut`, the demo event) pulls after
/// `after_seq`, in a sync request numbered `seq` that pushes nothing.
fn staff_pull(store: &dyn RelayStore, device_key: [u8; 32], seq: u64, after_seq: u64) -> PullPage {
    let outcome = store
        .ingest(&IngestBatch {
            device_key,
            seq,
            received_at: now_ms(),
            items: Vec::new(),
            accessor: Accessor::Device {
                device_key,
                recruiter: Some("rut".into()),
            },
            pull: Some(PullQuery {
                scope: PullScope {
                    device_key,
                    event_id: DEMO.into(),
                    role: EnrolledRole::Staff,
                },
                after_seq,
                max_changes: 500,
            }),
            declared_journal: None,
        })
        .expect("pulled");
    match outcome {
        IngestOutcome::Committed { page, .. } => page,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_note_hr_writes_reaches_the_staff_tablets_of_the_event() {
    let mut relay = Relay::new();
    let doc = relay.capture("Signe", false, DEMO);
    let (_, rut) = relay.user("rut", vec![Role::Recruiter], &[DEMO]);
    let staff = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let staff_key = staff.verifying_key().to_bytes();
    enroll_for_tests(
        relay.store(),
        staff_key,
        DEMO,
        EnrolledRole::Staff,
        Some("rut"),
    );
    let first = staff_pull(relay.store(), staff_key, 1, 0);
    assert_eq!(first.documents.len(), 1);
    let mut tablet_copy =
        RegistrationDocument::load_chunks(&first.documents[0].changes, &staff.verifying_key())
            .expect("the capture");

    let answer = relay.add_note(&doc, &rut, "Hör av dig på måndag.").await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let second = staff_pull(relay.store(), staff_key, 2, first.through_seq);
    assert_eq!(second.documents.len(), 1, "only the new change");
    assert_eq!(second.documents[0].doc_id, doc);
    tablet_copy
        .apply_change_chunks(&second.documents[0].changes)
        .expect("merges");
    let notes = tablet_copy.annotations().expect("annotations").notes;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, "Hör av dig på måndag.");
    assert_eq!(notes[0].author, "rut");
}

#[tokio::test]
async fn the_restricted_inbox_shows_restricted_records_to_cleared_users_only() {
    let mut relay = Relay::new();
    let open = relay.capture("Signe", false, DEMO);
    let older = relay.capture("Tove", true, DEMO);
    let newer = relay.capture("Ulla", true, DEMO);
    let elsewhere = relay.capture("Vera", true, OTHER_EVENT);
    let (rut_user, rut) = relay.user("rut", vec![Role::Recruiter], &[DEMO]);
    let (arvid_user, arvid) = relay.user("arvid", vec![Role::Archivist], &[]);

    let refused = relay
        .call("GET", "/api/v1/registrations/restricted", &rut, None)
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, Some("restricted"))
    );
    for doc in [&open, &older, &newer, &elsewhere] {
        assert!(relay.logged(doc, "rut").is_empty(), "nothing logged");
    }

    relay.clear(&rut_user);
    relay.clear(&arvid_user);
    // Contacted records go after the uncontacted ones, however old.
    let contacted = relay.set_status(&older, &rut, "contacted").await;
    assert_eq!(contacted.status, StatusCode::OK);
    let inbox = relay
        .call("GET", "/api/v1/registrations/restricted", &rut, None)
        .await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    assert_eq!(
        ids(&inbox),
        [newer.clone(), older.clone()],
        "the recruiter's event only"
    );
    assert_eq!(relay.logged(&newer, "rut"), ["list"]);
    assert!(
        relay.logged(&open, "rut").is_empty(),
        "open records are not in it"
    );

    let all = relay
        .call("GET", "/api/v1/registrations/restricted", &arvid, None)
        .await;
    assert_eq!(ids(&all), [newer.clone(), elsewhere, older]);
    let bad = relay
        .call(
            "GET",
            "/api/v1/registrations/restricted?limit=0",
            &arvid,
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_detail_page_edits_through_its_forms_and_ties_errors_to_their_fields() {
    let mut relay = Relay::new();
    let doc = relay.capture("Signe", false, DEMO);
    relay.user("rut", vec![Role::Recruiter], &[DEMO]);
    relay.user("arvid", vec![Role::Archivist], &[]);
    let detail = format!("/console/registrations/{doc}");

    let mut archivist = Browser::new(&relay.state);
    archivist.log_in("arvid", PASSWORD).await;
    let page = archivist.get(&detail).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains(&format!(r#"action="{detail}/notes""#)),
        "no forms"
    );
    // The receipt code the record was filed under (from the seal), not one made from its id.
    let filed = relay
        .store()
        .receipt_code(&doc)
        .expect("reads")
        .expect("filed");
    assert!(
        page.body.contains(&filed),
        "the detail shows the filed receipt code"
    );

    let mut browser = Browser::new(&relay.state);
    browser.log_in("rut", PASSWORD).await;
    let page = browser.get(&detail).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!(r#"action="{detail}/notes""#)));
    assert!(
        page.body
            .contains(r#"<label for="text">Anteckning</label>"#)
    );
    let csrf = page.csrf_field();

    let refused = browser
        .post(
            &format!("{detail}/notes"),
            &[("csrf_token", &csrf), ("text", "  ")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("Skriv en anteckning på 1–2 000 tecken.")
    );
    assert!(
        refused
            .body
            .contains(r#"aria-describedby="text-hint text-error""#)
    );
    assert!(
        refused.body.contains(r##"href="#text""##),
        "the summary links the field"
    );
    assert!(refused.body.contains("<title>Fel: "));

    let forged = browser
        .post(
            &format!("{detail}/notes"),
            &[("csrf_token", "forged"), ("text", "Hej")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let saved = browser
        .post(
            &format!("{detail}/notes"),
            &[("csrf_token", &csrf), ("text", "Stark kandidat.")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("{detail}?saved=note").as_str())
    );
    for (action, field, value) in [("rating", "score", "5"), ("status", "status", "hired")] {
        let answer = browser
            .post(
                &format!("{detail}/{action}"),
                &[("csrf_token", &csrf), (field, value)],
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{action}: {}",
            answer.body
        );
    }
    let page = browser.get(&format!("{detail}?saved=status&lang=en")).await;
    assert!(page.body.contains("The status is saved."));
    assert!(page.body.contains("Stark kandidat."));
    assert!(
        page.body
            .contains(r#"<option value="hired" selected>Hired</option>"#)
    );
    assert!(
        page.body
            .contains(r#"<option value="5" selected>5</option>"#)
    );
    assert!(page.body.contains(r#"<th scope="row">rut</th>"#));

    let refused = browser
        .post(
            &format!("{detail}/status"),
            &[("csrf_token", &csrf), ("status", "archived")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Choose one of the statuses."));
    assert!(refused.body.contains(r#"aria-describedby="status-error""#));
}

#[tokio::test]
async fn the_restricted_console_page_explains_itself_to_cleared_users_and_refuses_others() {
    let mut relay = Relay::new();
    let doc = relay.capture("Tove", true, DEMO);
    let (rut, _) = relay.user("rut", vec![Role::Recruiter], &[DEMO]);
    let mut browser = Browser::new(&relay.state);
    browser.log_in("rut", PASSWORD).await;
    let page = browser.get("/console/restricted").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.body
            .contains("kräver behörighet för skyddade personuppgifter")
    );
    assert!(relay.logged(&doc, "rut").is_empty());

    relay.clear(&rut);
    let page = browser.get("/console/restricted").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Skyddade personuppgifter</h1>"));
    assert!(
        page.body.contains("inte får spridas"),
        "says why they are apart"
    );
    assert!(page.body.contains("<caption>"));
    assert!(
        page.body
            .contains(&format!(r#"href="/console/registrations/{doc}""#))
    );
    assert!(!page.body.contains("Tove"), "no names in the inbox");
    assert_eq!(relay.logged(&doc, "rut"), ["list"]);
}

//! Archivists review quarantined captures through the JSON API and the console: the list
//! shows no personal data; accepting an authentic, valid capture merges it into the
//! registrations, keeping it apart leaves it out; a decision is final; a capture that is
//! not authentic or not valid cannot be accepted (but can be kept apart); only archivists
//! review, and bad input is refused naming its field.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use kiosk_core::capture::sign_and_seal;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::identity::DeviceIdentity;
use kiosk_core::ids::EventId;
use kiosk_core::protocol::ErrorCode;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::validation::validate;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::{
    IngestItem, IngestOutcome, RelayStore, enroll_for_tests, ingest_for_tests,
};
use kiosk_sync_server::{AppState, now_ms};
use serde_json::{Value, json};
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{self, Answer};

const DEMO: &str = kiosk_core::demo::DEMO_EVENT_ID;

/// A relay with the demo event, a kiosk enrolled for it and then revoked (so its pushes
/// are quarantined), and an archivist `arvid` with an API token.
struct Relay {
    state: AppState,
    kiosk: DeviceIdentity,
    generator: RegistrationGenerator,
    seq: u64,
    arvid: String,
}

/// How a test capture is made wrong, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    Authentic,
    /// Signed and sealed by another tablet than the one that pushed it.
    ByAnotherTablet,
    /// A registration of an event the kiosk was not enrolled for.
    ForAnotherEvent,
    /// Bytes that are no seal.
    Garbage,
    /// Captured, signed and pushed by a staff tablet, which never creates registrations.
    FromAStaffTablet,
    /// Signed and pushed by the kiosk, but the registration names another capturing device.
    NamingAnotherDevice,
}

/// The staff tablet of [`Capture::FromAStaffTablet`].
fn staff_tablet() -> DeviceIdentity {
    DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[7; 32]))
}

impl Relay {
    fn new() -> Relay {
        let state = AppState::demo_in_memory().expect("relay");
        let kiosk =
            DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[5; 32]));
        let key = kiosk.public_key().to_bytes();
        enroll_for_tests(state.store.as_ref(), key, DEMO, EnrolledRole::Kiosk, None);
        assert!(state.store.revoke_device(&key, now_ms()).expect("revoked"));
        let staff = staff_tablet().public_key().to_bytes();
        enroll_for_tests(
            state.store.as_ref(),
            staff,
            DEMO,
            EnrolledRole::Staff,
            Some("stina"),
        );
        let arvid = bearer(&state, "arvid", Role::Archivist);
        Relay {
            state,
            kiosk,
            generator: RegistrationGenerator::new(kiosk_core::demo::demo_event(), 11),
            seq: 0,
            arvid,
        }
    }

    fn store(&self) -> &dyn RelayStore {
        self.state.store.as_ref()
    }

    /// Quarantines a capture of visitor `given` pushed by the (revoked) kiosk, as ingest
    /// keeps one; returns its registration id.
    fn quarantine(&mut self, given: &str, kind: Capture) -> String {
        let author = match kind {
            Capture::ByAnotherTablet => {
                DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[6; 32]))
            }
            Capture::FromAStaffTablet => staff_tablet(),
            _ => DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[5; 32])),
        };
        let (mut input, mut context) = self.generator.next_input();
        input.given_name = given.to_owned();
        context.device = match kind {
            Capture::NamingAnotherDevice => {
                DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[6; 32]))
                    .device_id()
            }
            _ => author.device_id(),
        };
        let mut registration = validate(&input, self.generator.event(), &context).expect("valid");
        if kind == Capture::ForAnotherEvent {
            registration.event_id = EventId::parse("another-fair-2026").expect("id");
        }
        let mut document = RegistrationDocument::create(
            &registration,
            &author.public_key(),
            registration.captured_at,
        )
        .expect("document");
        let hashes = document.change_hashes();
        let sealed = match kind {
            Capture::Garbage => b"not a sealed capture".to_vec(),
            _ => sign_and_seal(
                &author,
                self.state.keys.sealing.sealing_key(),
                &registration.id,
                document.save_changes(),
                &hashes,
            )
            .expect("sealed"),
        };
        let device_key = match kind {
            Capture::FromAStaffTablet => author.public_key().to_bytes(),
            _ => self.kiosk.public_key().to_bytes(),
        };
        self.seq += 1;
        let quarantined = IngestItem::Quarantine {
            doc_id: registration.id.to_string(),
            sealed,
            change_hashes: hashes.iter().map(|h| h.0).collect(),
            code: ErrorCode::Revoked,
            journal_seq: None,
        };
        let outcome = ingest_for_tests(
            self.store(),
            device_key,
            self.seq,
            now_ms(),
            vec![quarantined],
        );
        assert!(matches!(outcome, IngestOutcome::Committed { .. }));
        registration.id.to_string()
    }

    async fn call(&self, method: &str, path: &str, bearer: &str, body: Option<Value>) -> Answer {
        hr_api::call_as(&self.state, method, path, bearer, body).await
    }

    /// The quarantine list as the archivist sees it.
    async fn list(&self) -> Vec<Value> {
        let answer = self
            .call("GET", "/api/v1/quarantine", &self.arvid, None)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["captures"]
            .as_array()
            .expect("captures")
            .clone()
    }

    /// The id of the quarantined capture of `doc_id`.
    async fn capture_id(&self, doc_id: &str) -> u64 {
        self.list()
            .await
            .iter()
            .find(|c| c["doc_id"] == doc_id)
            .and_then(|c| c["id"].as_u64())
            .expect("listed")
    }

    async fn review(&self, id: u64, decision: &str, reason: &str) -> Answer {
        self.call(
            "POST",
            &format!("/api/v1/quarantine/{id}/review"),
            &self.arvid,
            Some(json!({ "decision": decision, "reason": reason })),
        )
        .await
    }

    /// Whether the relay holds registration `doc_id` among its registrations.
    fn is_stored(&self, doc_id: &str) -> bool {
        self.store()
            .stored_registration(doc_id)
            .expect("read")
            .is_some()
    }

    /// The access-log actions about `doc_id` by `username`.
    fn logged(&self, doc_id: &str, username: &str) -> Vec<&'static str> {
        hr_api::logged(self.store(), doc_id, username)
    }
}

/// A user with `role` and an API token; returns the `Authorization` header value.
fn bearer(state: &AppState, username: &str, role: Role) -> String {
    hr_api::bearer(state, &user_with(state, username, vec![role]))
}

#[tokio::test]
async fn accepting_an_authentic_capture_merges_it_into_the_registrations() {
    let mut relay = Relay::new();
    let doc = relay.quarantine("Signe", Capture::Authentic);
    let listed = relay
        .call("GET", "/api/v1/quarantine", &relay.arvid, None)
        .await;
    assert!(
        !listed.text.contains("Signe"),
        "no personal data in the list"
    );
    let capture = &listed.body["captures"][0];
    assert_eq!(capture["doc_id"], doc.as_str());
    assert_eq!(capture["code"], "revoked");
    assert_eq!(capture["event_id"], DEMO);
    assert_eq!(
        capture["device_id"],
        hex::encode(relay.kiosk.public_key().to_bytes())
    );
    assert_eq!(capture["review"], Value::Null);
    assert!(!relay.is_stored(&doc));

    let id = capture["id"].as_u64().expect("id");
    let accepted = relay
        .review(id, "accept", "Surfplattan spärrades av misstag.")
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(accepted.body["review"]["decision"], "accepted");
    assert_eq!(accepted.body["review"]["reviewer"], "arvid");
    assert_eq!(
        accepted.body["review"]["reason"],
        "Surfplattan spärrades av misstag."
    );

    let registrations = relay
        .call("GET", "/api/v1/registrations", &relay.arvid, None)
        .await;
    assert_eq!(registrations.body["registrations"][0]["id"], doc.as_str());
    assert_eq!(
        registrations.body["registrations"][0]["given_name"],
        "Signe"
    );
    let read = relay
        .call(
            "GET",
            &format!("/api/v1/registrations/{doc}"),
            &relay.arvid,
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(relay.logged(&doc, "arvid"), ["change", "list", "read"]);
}

#[tokio::test]
async fn a_capture_kept_apart_stays_out_of_the_registrations_and_a_decision_is_final() {
    let mut relay = Relay::new();
    let kept = relay.quarantine("Signe", Capture::Authentic);
    let id = relay.capture_id(&kept).await;
    let answer = relay.review(id, "keep_apart", "  Okänd besökare.  ").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["review"]["decision"], "kept_apart");
    assert_eq!(answer.body["review"]["reason"], "Okänd besökare.");
    assert!(!relay.is_stored(&kept));
    let registrations = relay
        .call("GET", "/api/v1/registrations", &relay.arvid, None)
        .await;
    assert_eq!(registrations.body["registrations"], json!([]));
    assert_eq!(relay.list().await[0]["review"]["decision"], "kept_apart");

    for decision in ["accept", "keep_apart"] {
        let again = relay.review(id, decision, "Ändrade mig.").await;
        assert_eq!(
            (again.status, again.code()),
            (StatusCode::CONFLICT, Some("already_reviewed")),
            "{decision}"
        );
    }
    assert!(!relay.is_stored(&kept));
    assert_eq!(
        relay.logged(&kept, "arvid"),
        ["change"],
        "one review, one entry"
    );

    let accepted = relay.quarantine("Tove", Capture::Authentic);
    let id = relay.capture_id(&accepted).await;
    assert_eq!(
        relay.review(id, "accept", "Äkta.").await.status,
        StatusCode::OK
    );
    let again = relay.review(id, "keep_apart", "Ändrade mig.").await;
    assert_eq!(again.code(), Some("already_reviewed"));
    assert!(relay.is_stored(&accepted));
}

#[tokio::test]
async fn a_capture_that_is_not_authentic_or_valid_cannot_be_accepted_but_can_be_kept_apart() {
    let mut relay = Relay::new();
    for (kind, why) in [
        (Capture::Garbage, "not a sealed capture"),
        (Capture::ByAnotherTablet, "another device"),
        (Capture::ForAnotherEvent, "another event"),
        (Capture::FromAStaffTablet, "not a kiosk"),
        // The seal itself binds the registration to its signer, so this fails first there.
        (Capture::NamingAnotherDevice, "signature does not verify"),
    ] {
        let doc = relay.quarantine("Signe", kind);
        let id = relay.capture_id(&doc).await;
        let refused = relay.review(id, "accept", "Ser äkta ut.").await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::CONFLICT, Some("cannot_accept")),
            "{kind:?}: {}",
            refused.body
        );
        assert!(
            refused.body["message"]
                .as_str()
                .is_some_and(|m| m.contains(why)),
            "{kind:?} names why: {}",
            refused.body
        );
        assert!(!relay.is_stored(&doc));
        assert!(relay.logged(&doc, "arvid").is_empty(), "nothing recorded");
        let kept = relay.review(id, "keep_apart", "Kan inte godtas.").await;
        assert_eq!(kept.status, StatusCode::OK, "{kind:?}");
    }
}

#[tokio::test]
async fn only_archivists_review_and_bad_input_is_refused_naming_its_field() {
    let mut relay = Relay::new();
    let doc = relay.quarantine("Signe", Capture::Authentic);
    let id = relay.capture_id(&doc).await;
    let recruiter = bearer(&relay.state, "rut", Role::Recruiter);
    let admin = bearer(&relay.state, "anna", Role::Admin);
    for caller in [&recruiter, &admin] {
        let list = relay.call("GET", "/api/v1/quarantine", caller, None).await;
        assert_eq!(
            (list.status, list.code()),
            (StatusCode::FORBIDDEN, Some("missing_role"))
        );
        let review = relay
            .call(
                "POST",
                &format!("/api/v1/quarantine/{id}/review"),
                caller,
                Some(json!({ "decision": "accept", "reason": "Jag vill." })),
            )
            .await;
        assert_eq!(
            (review.status, review.code()),
            (StatusCode::FORBIDDEN, Some("missing_role"))
        );
    }
    let long = "x".repeat(501);
    for (decision, reason, field) in [
        ("maybe", "Ett skäl.", "decision"),
        ("accept", "   ", "reason"),
        ("keep_apart", long.as_str(), "reason"),
    ] {
        let refused = relay.review(id, decision, reason).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")),
            "{field}"
        );
        assert!(
            refused.body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&format!("{field}: "))),
            "{}",
            refused.body
        );
    }
    assert_eq!(
        relay.list().await[0]["review"],
        Value::Null,
        "nothing recorded"
    );
    assert!(!relay.is_stored(&doc));
    let unknown = relay.review(id + 1000, "keep_apart", "Finns inte.").await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, Some("unknown_quarantine"))
    );
}

#[tokio::test]
async fn the_quarantine_page_reviews_a_capture_and_then_shows_the_decision() {
    let mut relay = Relay::new();
    let doc = relay.quarantine("Signe", Capture::Authentic);
    let id = relay.capture_id(&doc).await;
    let mut browser = Browser::new(&relay.state);
    browser.log_in("arvid", PASSWORD).await;
    let page = browser.get("/console/quarantine").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Karantän</h1>"));
    assert!(
        page.body
            .contains("<caption>Insändningar i karantän, nyast först</caption>")
    );
    assert!(page.body.contains("Surfplattan var återkallad"));
    assert!(!page.body.contains("Signe"), "no personal data");
    let radio = format!(r#"id="decision-{id}-accept""#);
    assert!(page.body.contains(&radio));
    assert!(
        page.body
            .contains(&format!(r#"<label for="reason-{id}">Skäl</label>"#))
    );
    let csrf = page.csrf_field();
    let action = format!("/console/quarantine/{id}/review");

    let refused = browser
        .post(&action, &[("csrf_token", &csrf), ("reason", "")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("Välj om insändningen ska godtas eller hållas åtskild.")
    );
    assert!(refused.body.contains("Skriv ett skäl på 1–500 tecken."));
    assert!(
        refused
            .body
            .contains(&format!(r#"aria-describedby="decision-{id}-error""#))
    );
    assert!(refused.body.contains(&format!(
        r#"aria-describedby="reason-{id}-hint reason-{id}-error""#
    )));
    assert!(refused.body.contains(&format!(r##"href="#reason-{id}""##)));

    let saved = browser
        .post(
            &action,
            &[
                ("csrf_token", &csrf),
                ("decision", "accept"),
                ("reason", "Äkta."),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = browser
        .get(saved.location.as_deref().expect("back to the list"))
        .await;
    assert!(page.body.contains("Beslutet är sparat."));
    assert!(page.body.contains("Godtagen"));
    assert!(
        !page.body.contains(&radio),
        "a reviewed capture has no form"
    );
    assert!(relay.is_stored(&doc));

    let again = browser
        .post(
            &action,
            &[
                ("csrf_token", &csrf),
                ("decision", "keep_apart"),
                ("reason", "Nej."),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("Ett beslut är slutgiltigt."));

    let mut recruiter = Browser::new(&relay.state);
    user_with(&relay.state, "rut", vec![Role::Recruiter]);
    recruiter.log_in("rut", PASSWORD).await;
    assert_eq!(
        recruiter.get("/console/quarantine").await.status,
        StatusCode::FORBIDDEN
    );
}

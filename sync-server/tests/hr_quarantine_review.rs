//! Archivists review quarantined captures through the JSON API and the console: the list
//! shows no personal data; accepting an authentic, valid capture merges it into the
//! registrations, keeping it apart leaves it out; a decision is final; a capture that is
//! not authentic or not valid cannot be accepted (but can be kept apart); only archivists
//! review, and bad input is refused naming its field. In the console a capture has its own
//! page (why in words, the content under a record's rules, each view logged) and the
//! decision its own page, confirmed before it is recorded.

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
    /// Authentic, from a visitor with protected personal data.
    Restricted,
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
        input.protected_personal_data = kind == Capture::Restricted;
        if kind == Capture::Restricted {
            // The minimal path: one contact channel, nothing more.
            input.email = "skyddad@example.se".to_owned();
            input.phone.clear();
            input.education_level.clear();
            input.talent_pool_opt_in = false;
        }
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

/// The label in Swedish of the first interest of quarantined capture `id`, and its code.
fn first_interest(relay: &Relay, id: u64) -> (String, String) {
    let (_, kept) = relay
        .store()
        .quarantined_capture(id)
        .expect("reads")
        .expect("kept");
    let registration = relay
        .state
        .keys
        .sealing
        .open(&kept)
        .expect("opens")
        .registration;
    let code = registration.interests[0].clone();
    let event = kiosk_core::demo::demo_event();
    let form = &event
        .published_form(&registration.form_version)
        .expect("the cited form")
        .form;
    let label = form
        .interest_areas
        .iter()
        .find(|c| c.code == code)
        .expect("a listed interest")
        .label
        .get(kiosk_core::language::Language::Swedish)
        .to_owned();
    (label, code)
}

#[tokio::test]
async fn the_quarantine_page_reviews_a_capture_and_then_shows_the_decision() {
    let mut relay = Relay::new();
    let doc = relay.quarantine("Signe", Capture::Authentic);
    let id = relay.capture_id(&doc).await;
    assert!(
        relay
            .store()
            .rename_device(
                &relay.kiosk.public_key().to_bytes(),
                Some("Kiosk 1, Göteborg")
            )
            .expect("renamed"),
        "the kiosk is known"
    );
    let mut browser = Browser::new(&relay.state);
    browser.log_in("arvid", PASSWORD).await;
    let page = browser.get("/console/quarantine").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Kiosk 1, Göteborg"),
        "the tablet by the name HR gave it"
    );
    assert!(page.body.contains("<h1>Karantän</h1>"));
    assert!(
        page.body
            .contains("<caption>Insändningar i karantän, nyast först</caption>")
    );
    assert!(page.body.contains("Surfplattan var återkallad"));
    assert!(!page.body.contains("Signe"), "no personal data in the list");
    assert!(
        !page
            .body
            .contains("<form method=\"post\" action=\"/console/quarantine/"),
        "no decision in a table cell"
    );
    let capture = format!("/console/quarantine/{id}");
    assert!(page.body.contains(&format!(r#"href="{capture}""#)));
    assert!(
        relay.logged(&doc, "arvid").is_empty(),
        "the list reads no content"
    );

    // The capture's page: why in words, and the content with labels, each view logged.
    let page = browser.get(&capture).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Insändning i karantän</h1>"));
    assert!(page.body.contains("Kiosk 1, Göteborg"), "the tablet's name");
    assert!(
        page.body
            .contains("HR hade återkallat surfplattan när den skickade insändningen")
    );
    assert!(page.body.contains("<dd>Signe</dd>"));
    let (label, code) = first_interest(&relay, id);
    assert!(
        page.body.contains(&format!("<li>{label}</li>")),
        "the interest's label"
    );
    if label != code {
        assert!(
            !page.body.contains(&format!("<li>{code}</li>")),
            "not its code"
        );
    }
    assert_eq!(relay.logged(&doc, "arvid"), ["read"]);
    browser.get(&capture).await;
    assert_eq!(
        relay.logged(&doc, "arvid"),
        ["read", "read"],
        "one entry per view"
    );
    let decide = format!("{capture}/review");
    assert!(page.body.contains(&format!(r#"href="{decide}""#)));
    let english = browser.get(&format!("{capture}?lang=en")).await;
    assert!(
        english
            .body
            .contains("HR had revoked the tablet when it sent the capture")
    );
    browser.get(&format!("{capture}?lang=sv")).await;

    // The decision on a page of its own; every mistake at once.
    let page = browser.get(&decide).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Beslut om insändningen</h1>"));
    assert!(page.body.contains(r#"id="decision-accept""#));
    assert!(page.body.contains(r#"<label for="reason">Skäl</label>"#));
    let csrf = page.csrf_field();
    let refused = browser
        .post(&decide, &[("csrf_token", &csrf), ("reason", "")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("Välj om insändningen ska godtas eller hållas åtskild.")
    );
    assert!(refused.body.contains("Skriv ett skäl på 1–500 tecken."));
    assert!(refused.body.contains(r##"href="#decision-accept""##));
    assert!(refused.body.contains(r##"href="#reason""##));
    assert!(
        refused
            .body
            .contains(r#"aria-describedby="reason-hint reason-error""#)
    );

    // A valid decision asks for its confirmation and records nothing yet.
    let decision = [
        ("csrf_token", csrf.as_str()),
        ("decision", "accept"),
        ("reason", "Äkta, gjord innan surfplattan försvann."),
    ];
    let asked = browser.post(&decide, &decision).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(asked.body.contains("<h1>Godta insändningen?</h1>"));
    assert!(asked.body.contains(r#"name="confirmed" value="yes""#));
    assert!(!relay.is_stored(&doc), "nothing before the confirmation");
    assert!(relay.list().await.iter().all(|c| c["review"].is_null()));

    let mut confirmed = decision.to_vec();
    confirmed.push(("confirmed", "yes"));
    let saved = browser.post(&decide, &confirmed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = browser
        .get(saved.location.as_deref().expect("back to the list"))
        .await;
    assert!(page.body.contains("Beslutet är sparat."));
    assert!(page.body.contains("Godtagen"));
    assert!(relay.is_stored(&doc));

    // Decided: the decision page leads to the capture, which shows the decision.
    let again = browser
        .post(
            &decide,
            &[
                ("csrf_token", &csrf),
                ("decision", "keep_apart"),
                ("reason", "Nej."),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(again.location.as_deref(), Some(capture.as_str()));
    let page = browser.get(&capture).await;
    assert!(page.body.contains("<strong>Godtagen</strong> av arvid"));
    assert!(!page.body.contains(&format!(r#"href="{decide}""#)));

    let mut recruiter = Browser::new(&relay.state);
    user_with(&relay.state, "rut", vec![Role::Recruiter]);
    recruiter.log_in("rut", PASSWORD).await;
    for path in ["/console/quarantine", capture.as_str(), decide.as_str()] {
        assert_eq!(
            recruiter.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert!(relay.logged(&doc, "rut").is_empty());
}

#[tokio::test]
async fn a_restricted_capture_shows_its_content_only_to_a_cleared_archivist_and_logs_each_view() {
    let mut relay = Relay::new();
    let doc = relay.quarantine("Skyddad", Capture::Restricted);
    let id = relay.capture_id(&doc).await;
    let capture = format!("/console/quarantine/{id}");

    let mut arvid = Browser::new(&relay.state);
    arvid.log_in("arvid", PASSWORD).await;
    let page = arvid.get(&capture).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        !page.body.contains("Skyddad"),
        "no content without the clearance"
    );
    assert!(page.body.contains("Innehållet visas inte"));
    assert_eq!(relay.logged(&doc, "arvid"), ["read_refused"]);
    // Nor does he decide on it blind: refused, logged, nothing recorded.
    let blind = relay.review(id, "keep_apart", "Okänd besökare.").await;
    assert_eq!(blind.status, StatusCode::FORBIDDEN, "{}", blind.body);
    assert_eq!(
        relay.logged(&doc, "arvid"),
        ["read_refused", "read_refused"]
    );
    assert_eq!(
        relay.list().await[0]["review"],
        Value::Null,
        "no decision recorded"
    );

    let cleared = user_with(&relay.state, "klara", vec![Role::Archivist]);
    relay
        .store()
        .set_hr_clearance(cleared.id, true)
        .expect("cleared");
    let mut klara = Browser::new(&relay.state);
    klara.log_in("klara", PASSWORD).await;
    let page = klara.get(&capture).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<dd>Skyddad</dd>"));
    assert!(page.body.contains("Personen har skyddade personuppgifter."));
    assert_eq!(relay.logged(&doc, "klara"), ["read"]);
}

#[tokio::test]
async fn a_capture_that_does_not_open_says_why_it_was_kept_apart_and_reads_nothing() {
    let mut relay = Relay::new();
    let doc = relay.quarantine("Garbage", Capture::Garbage);
    let id = relay.capture_id(&doc).await;
    let mut arvid = Browser::new(&relay.state);
    arvid.log_in("arvid", PASSWORD).await;
    // Bytes that are no seal: the page still says why it was kept apart, and why its
    // content cannot be shown.
    let page = arvid.get(&format!("/console/quarantine/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Innehållet kan inte visas:"));
    assert!(relay.logged(&doc, "arvid").is_empty(), "nothing was read");
}

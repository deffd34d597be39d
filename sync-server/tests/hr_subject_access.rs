//! Subject access (*registerutdrag*) through the JSON API and the console: one identifier
//! finds every registration of its person, across events, and nobody else's; the answer
//! holds notes, ratings, the status history and the access log about each record; every
//! record given is one `subject_access` log entry; restricted records need the clearance,
//! and without it a lookup that matched only restricted records is answered, byte for byte,
//! as one that matched nothing, while the request goes to the cleared users;
//! matching nobody is 404 `no_match` and logs nothing; bad input is 422 naming the field;
//! only archivists ask.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::{StatusCode, header};
use kiosk_core::demo::{DEMO_EVENT_ID, demo_event};
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::EventId;
use kiosk_core::registration::Registration;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::{
    RelayStore, capture_for_tests, enroll_for_tests, ingest_for_tests, receipt_code_for_tests,
};
use serde_json::{Value, json};
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{Answer, bearer, call_as, logged};

const OTHER_EVENT: &str = "host-fair-2026";

/// A relay holding Anna's two registrations (two events, her email typed in two cases),
/// Hanna's (a similar email, another phone) and, unless `anna_restricted` is false, a
/// restricted one of Anna's; an archivist `arvid` and a recruiter `rut` assigned to both
/// events.
struct Relay {
    state: AppState,
    anna: Vec<Registration>,
    anna_restricted: Registration,
    hanna: Registration,
    arvid: String,
    rut: String,
}

fn registration(
    generator: &mut RegistrationGenerator,
    event: &str,
    email: Option<&str>,
    phone: Option<&str>,
    restricted: bool,
) -> Registration {
    let mut registration = generator.next_registration().expect("valid");
    registration.event_id = EventId::parse(event).expect("id");
    registration.person.email = email.map(str::to_owned);
    registration.person.phone = phone.map(str::to_owned);
    registration.restricted = restricted;
    registration
}

impl Relay {
    async fn new() -> Relay {
        let state = AppState::demo_in_memory().expect("relay");
        let store = state.store.as_ref();
        let mut other = demo_event();
        other.id = EventId::parse(OTHER_EVENT).expect("id");
        store.put_event(&other).expect("event");
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
        enroll_for_tests(
            store,
            key.to_bytes(),
            DEMO_EVENT_ID,
            kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
            None,
        );
        let mut generator = RegistrationGenerator::new(demo_event(), 3);
        let phone = Some("+46701234567");
        let anna = vec![
            registration(
                &mut generator,
                DEMO_EVENT_ID,
                Some("Anna@x.se"),
                phone,
                false,
            ),
            registration(&mut generator, OTHER_EVENT, Some("anna@x.se"), None, false),
        ];
        let anna_restricted = registration(&mut generator, OTHER_EVENT, None, phone, true);
        let hanna = registration(
            &mut generator,
            DEMO_EVENT_ID,
            Some("hanna@x.se"),
            Some("+46701234568"),
            false,
        );
        let items = anna
            .iter()
            .chain([&anna_restricted, &hanna])
            .map(|r| capture_for_tests(r, &key))
            .collect();
        ingest_for_tests(store, key.to_bytes(), 1, 1_000, items);
        let arvid_user = user_with(&state, "arvid", vec![Role::Archivist]);
        let rut_user = user_with(&state, "rut", vec![Role::Recruiter]);
        for event in [DEMO_EVENT_ID, OTHER_EVENT] {
            assert!(store.assign_hr_event(rut_user.id, event).expect("assigned"));
        }
        let arvid = bearer(&state, &arvid_user);
        let rut = bearer(&state, &rut_user);
        Relay {
            state,
            anna,
            anna_restricted,
            hanna,
            arvid,
            rut,
        }
    }

    fn store(&self) -> &dyn RelayStore {
        self.state.store.as_ref()
    }

    async fn ask(&self, bearer: &str, body: Value) -> Answer {
        call_as(
            &self.state,
            "POST",
            "/api/v1/subject-access",
            bearer,
            Some(body),
        )
        .await
    }

    /// The ids of the registrations an answer gives, sorted.
    fn ids(answer: &Answer) -> Vec<String> {
        let mut ids: Vec<String> = answer.body["registrations"]
            .as_array()
            .expect("registrations")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect();
        ids.sort();
        ids
    }

    fn anna_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.anna.iter().map(|r| r.id.to_string()).collect();
        ids.sort();
        ids
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
}

#[tokio::test]
async fn each_kind_of_identifier_finds_both_of_the_persons_registrations_and_no_one_elses() {
    let relay = Relay::new().await;
    let code = receipt_code_for_tests(&relay.anna[0].id);
    for body in [
        json!({ "email": "  ANNA@x.se " }),
        json!({ "phone": "070-123 45 67" }),
        json!({ "receipt_code": code.to_lowercase().replace('-', " ") }),
    ] {
        let answer = relay.ask(&relay.arvid, body.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.body);
        let ids = Relay::ids(&answer);
        // By phone the second registration (email only) is not Anna's as far as the relay
        // can tell; the first is.
        if body.get("phone").is_some() {
            assert_eq!(ids, [relay.anna[0].id.to_string()], "{body}");
        } else {
            assert_eq!(ids, relay.anna_ids(), "{body}");
        }
        assert!(!ids.contains(&relay.hanna.id.to_string()));
        let disposition = answer
            .header(header::CONTENT_DISPOSITION)
            .expect("attachment");
        assert!(disposition.starts_with("attachment; filename=\"registerutdrag-"));
        assert!(disposition.ends_with(".json\""), "{disposition}");
    }
    // Three requests, each giving its records once: one entry per record per request.
    let first = relay.anna[0].id.to_string();
    let second = relay.anna[1].id.to_string();
    let subject = |doc: &str| {
        logged(relay.store(), doc, "arvid")
            .into_iter()
            .filter(|a| *a == "subject_access")
            .count()
    };
    assert_eq!(subject(&first), 3);
    assert_eq!(subject(&second), 2);
    assert_eq!(subject(&relay.hanna.id.to_string()), 0);
}

#[tokio::test]
async fn the_answer_holds_the_content_notes_ratings_status_history_and_access_log() {
    let relay = Relay::new().await;
    let doc = relay.anna[0].id.to_string();
    let base = format!("/api/v1/registrations/{doc}");
    let state = &relay.state;
    let rut = &relay.rut;
    let note = call_as(
        state,
        "POST",
        &format!("{base}/notes"),
        rut,
        Some(json!({ "text": "Stark kandidat" })),
    )
    .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    for status in ["contacted", "interviewing"] {
        let set = call_as(
            state,
            "PUT",
            &format!("{base}/status"),
            rut,
            Some(json!({ "status": status })),
        )
        .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    }
    let rating = call_as(
        state,
        "PUT",
        &format!("{base}/rating"),
        rut,
        Some(json!({ "score": 4 })),
    )
    .await;
    assert_eq!(rating.status, StatusCode::OK, "{}", rating.body);

    let answer = relay
        .ask(&relay.arvid, json!({ "email": "anna@x.se" }))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let record = answer.body["registrations"]
        .as_array()
        .expect("registrations")
        .iter()
        .find(|r| r["id"] == doc.as_str())
        .expect("the record")
        .clone();
    assert_eq!(record["email"], "Anna@x.se");
    assert_eq!(record["event_id"], DEMO_EVENT_ID);
    assert_eq!(
        record["receipt_code"],
        receipt_code_for_tests(&relay.anna[0].id)
    );
    assert!(record["consents"]["privacy_notice"]["notice_version"].is_string());
    assert_eq!(record["notes"][0]["text"], "Stark kandidat");
    assert_eq!(
        record["notes"][0]["author"].as_str().map(|a| !a.is_empty()),
        Some(true)
    );
    assert_eq!(record["ratings"]["rut"], 4);
    assert_eq!(record["status"], "interviewing");
    let history: Vec<&str> = record["status_history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|change| change["status"].as_str().expect("status"))
        .collect();
    assert_eq!(history, ["new", "contacted", "interviewing"]);
    assert_eq!(record["status_history"][0]["author"]["kind"], "kiosk");
    assert_eq!(record["status_history"][1]["author"]["username"], "rut");
    let actions: Vec<&str> = record["access_log"]
        .as_array()
        .expect("access log")
        .iter()
        .map(|entry| entry["action"].as_str().expect("action"))
        .collect();
    assert!(actions.contains(&"change"), "{actions:?}");
    assert!(record["access_log"][0]["by"]["kind"].is_string());
    // Where the record stands in its lifecycle: 24 months after receipt, no hold.
    let retention = &record["retention"];
    assert_eq!(retention["months_after_receipt"], 24);
    assert!(retention["due_at"].as_i64() > retention["received_at"].as_i64());
    assert!(retention["legal_hold"].is_null());
}

#[tokio::test]
async fn without_the_clearance_a_restricted_match_is_not_told_apart_and_with_it_it_is_given() {
    let relay = Relay::new().await;
    let restricted = relay.anna_restricted.id.to_string();
    let answer = relay
        .ask(&relay.arvid, json!({ "phone": "+46 70 123 45 67" }))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(Relay::ids(&answer), [relay.anna[0].id.to_string()]);
    assert!(
        answer.body.get("restricted_withheld").is_none(),
        "no count of what was not given"
    );
    assert!(
        answer.body["restricted_notice"]
            .as_str()
            .expect("notice")
            .contains("clearance")
    );
    assert!(
        !answer.text.contains(&restricted),
        "no detail of the restricted record"
    );
    assert!(
        logged(relay.store(), &restricted, "arvid").is_empty(),
        "the access log the archivist reviews does not tell either"
    );
    // Its receipt code must not lead, through its contact details, to the person's other
    // records: they would show the protected phone number.
    let code = receipt_code_for_tests(&relay.anna_restricted.id);
    let answer = relay
        .ask(&relay.arvid, json!({ "receipt_code": code }))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    assert!(!answer.text.contains("70 123"), "{}", answer.text);

    relay.clear_arvid();
    let answer = relay
        .ask(&relay.arvid, json!({ "phone": "+46701234567" }))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(Relay::ids(&answer).contains(&restricted));
    assert!(answer.body["restricted_notice"].is_null());
    assert_eq!(
        logged(relay.store(), &restricted, "arvid"),
        ["subject_access"]
    );
}

/// An archivist without the clearance asking for a person who has only a restricted record
/// gets, byte for byte, the answer for a person the relay has never seen: by email, phone
/// and receipt code, as JSON and as the printable page, and in the console. The request
/// goes to the cleared users' restricted inbox instead.
#[tokio::test]
async fn only_a_restricted_match_and_no_match_are_the_same_answer_without_the_clearance() {
    let relay = Relay::new().await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    let mut generator = RegistrationGenerator::new(demo_event(), 11);
    let hidden = registration(
        &mut generator,
        DEMO_EVENT_ID,
        Some("skyddad@x.se"),
        Some("+46709999999"),
        true,
    );
    ingest_for_tests(
        relay.store(),
        key.to_bytes(),
        2,
        2_000,
        vec![capture_for_tests(&hidden, &key)],
    );
    let hidden_code = receipt_code_for_tests(&hidden.id);
    let nobody_code = receipt_code_for_tests(
        &kiosk_core::ids::RegistrationId::parse("0190b1a4-0000-7000-8000-000000000000")
            .expect("id"),
    );
    let log_before = relay
        .store()
        .access_log_entries(0, 10_000)
        .expect("log")
        .len();
    for path in [
        "/api/v1/subject-access",
        "/api/v1/subject-access?format=html",
    ] {
        for (hidden_body, nobody_body) in [
            (
                json!({ "email": "skyddad@x.se" }),
                json!({ "email": "ingen@x.se" }),
            ),
            (
                json!({ "phone": "+46709999999" }),
                json!({ "phone": "+46708888888" }),
            ),
            (
                json!({ "receipt_code": hidden_code }),
                json!({ "receipt_code": nobody_code }),
            ),
        ] {
            let ask = |body| call_as(&relay.state, "POST", path, &relay.arvid, Some(body));
            let only_restricted = ask(hidden_body.clone()).await;
            let nothing = ask(nobody_body).await;
            assert_eq!(
                only_restricted.status,
                StatusCode::NOT_FOUND,
                "{hidden_body}"
            );
            assert_eq!(only_restricted.status, nothing.status, "{hidden_body}");
            assert_eq!(only_restricted.text, nothing.text, "{path} {hidden_body}");
            assert_eq!(
                only_restricted.header(header::CONTENT_TYPE),
                nothing.header(header::CONTENT_TYPE)
            );
            assert_eq!(
                only_restricted.header(header::CONTENT_LENGTH),
                nothing.header(header::CONTENT_LENGTH)
            );
        }
    }
    assert_eq!(
        relay
            .store()
            .access_log_entries(0, 10_000)
            .expect("log")
            .len(),
        log_before,
        "neither answer reads or logs a record"
    );

    // The console's answers differ only in the identifier typed, which the page repeats.
    let mut browser = Browser::new(&relay.state);
    browser.log_in("arvid", PASSWORD).await;
    let csrf = browser
        .get("/console/subject-access?lang=en")
        .await
        .csrf_field();
    let mut pages = Vec::new();
    for value in ["skyddad@x.se", "ingen@x.se"] {
        let page = browser
            .post(
                "/console/subject-access?lang=en",
                &[("csrf_token", &csrf), ("kind", "email"), ("value", value)],
            )
            .await;
        pages.push((page.status, page.body.replace(value, "IDENTIFIER")));
    }
    assert_eq!(pages[0], pages[1]);

    // The cleared users see the request, with the record it matched; the archivist's
    // restricted inbox stays closed to them.
    let refused = call_as(
        &relay.state,
        "GET",
        "/api/v1/registrations/restricted",
        &relay.arvid,
        None,
    )
    .await;
    assert_eq!(refused.code(), Some("restricted"));
    let cleared = user_with(&relay.state, "cecilia", vec![Role::Archivist]);
    assert!(
        relay
            .store()
            .set_hr_clearance(cleared.id, true)
            .expect("cleared")
    );
    let inbox = call_as(
        &relay.state,
        "GET",
        "/api/v1/registrations/restricted",
        &bearer(&relay.state, &cleared),
        None,
    )
    .await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    let requests = inbox.body["requests"].as_array().expect("requests");
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|r| r["requested_by"] == "hr:arvid"
        && r["kind"] == "subject_access"
        && r["doc_ids"] == json!([hidden.id.to_string()])));
    assert!(
        !inbox.text.contains("skyddad@x.se"),
        "the identifier is not kept"
    );
    let mut cleared_browser = Browser::new(&relay.state);
    cleared_browser.log_in("cecilia", PASSWORD).await;
    let page = cleared_browser.get("/console/restricted?lang=en").await;
    assert!(
        page.body.contains("Requests waiting for a cleared user"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&hidden.id.to_string()));
}

#[tokio::test]
async fn matching_nobody_is_404_no_match_and_logs_nothing() {
    let relay = Relay::new().await;
    let before = relay
        .store()
        .access_log_entries(0, 10_000)
        .expect("log")
        .len();
    for body in [
        json!({ "email": "nobody@x.se" }),
        json!({ "email": "nna@x.se" }),
        json!({ "phone": "+46709999999" }),
        json!({ "receipt_code": "ZZZZ-ZZZZ" }),
    ] {
        let answer = relay.ask(&relay.arvid, body.clone()).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(answer.code(), Some("no_match"));
        let message = answer.body["message"].as_str().expect("message");
        assert!(message.contains("removed"), "{message}");
        assert!(message.contains("gallrats"), "{message}");
    }
    let after = relay
        .store()
        .access_log_entries(0, 10_000)
        .expect("log")
        .len();
    assert_eq!(after, before);
}

#[tokio::test]
async fn malformed_identifiers_are_422_naming_the_field() {
    let relay = Relay::new().await;
    for (body, field) in [
        (
            json!({ "email": "anna@x.se", "phone": "+46701234567" }),
            "identifier",
        ),
        (json!({}), "identifier"),
        (json!({ "email": "   " }), "identifier"),
        (json!({ "receipt_code": "not-a-code" }), "receipt_code"),
        (json!({ "email": "anna-at-x.se" }), "email"),
        (json!({ "phone": "12" }), "phone"),
    ] {
        let answer = relay.ask(&relay.arvid, body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(answer.code(), Some("invalid_field"));
        let message = answer.body["message"].as_str().expect("message");
        assert!(
            message.starts_with(&format!("{field}:")),
            "{body}: {message}"
        );
        assert!(
            !message.contains("anna"),
            "no personal data in errors: {message}"
        );
    }
    let unknown = relay.ask(&relay.arvid, json!({ "name": "Anna" })).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_recruiter_is_refused_and_nothing_is_read() {
    let relay = Relay::new().await;
    let answer = relay.ask(&relay.rut, json!({ "email": "anna@x.se" })).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.code(), Some("missing_role"));
    assert!(logged(relay.store(), &relay.anna[0].id.to_string(), "rut").is_empty());
}

#[tokio::test]
async fn the_printable_page_is_html_in_the_callers_language_without_scripts() {
    let relay = Relay::new().await;
    for (path, heading) in [
        ("/api/v1/subject-access?format=html", "Registerutdrag"),
        (
            "/api/v1/subject-access?format=html&lang=en",
            "Subject access report",
        ),
    ] {
        let answer = call_as(
            &relay.state,
            "POST",
            path,
            &relay.arvid,
            Some(json!({ "email": "anna@x.se" })),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let content_type = answer.header(header::CONTENT_TYPE).expect("type");
        assert!(content_type.starts_with("text/html"), "{content_type}");
        assert!(answer.text.starts_with("<!DOCTYPE html>"));
        assert!(
            answer.text.contains(&format!("<h1>{heading}</h1>")),
            "{heading}"
        );
        assert!(answer.text.contains("@media print"));
        assert!(!answer.text.contains("<script"));
        assert!(answer.text.contains("Anna@x.se"));
    }
    let bad = call_as(
        &relay.state,
        "POST",
        "/api/v1/subject-access?format=pdf",
        &relay.arvid,
        Some(json!({ "email": "anna@x.se" })),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// The text of the `<dd>` after the `<dt>` labelled `label`, the first one in `html`.
fn field(html: &str, label: &str) -> String {
    let marker = format!("<dt>{label}</dt><dd>");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("a {label} field"))
        + marker.len();
    let end = start + html[start..].find("</dd>").expect("its end");
    html[start..end].to_owned()
}

/// Whether `text` holds a run of at least 32 hex digits (a key, a hash), which a person
/// cannot read.
fn holds_a_long_hex_run(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run >= 32 {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn the_printable_report_is_a_plain_document_with_what_article_15_requires() {
    let relay = Relay::new().await;
    let state = &relay.state;
    let kiosk = ed25519_dalek::SigningKey::from_bytes(&[9; 32])
        .verifying_key()
        .to_bytes();
    assert!(
        relay
            .store()
            .rename_device(&kiosk, Some("Kiosk 1, Göteborg"))
            .expect("named")
    );
    let anna = &relay.anna[0];
    let base = format!("/api/v1/registrations/{}", anna.id);
    let note = call_as(
        state,
        "POST",
        &format!("{base}/notes"),
        &relay.rut,
        Some(json!({ "text": "Stark kandidat" })),
    )
    .await;
    assert_eq!(note.status, StatusCode::CREATED);
    let set = call_as(
        state,
        "PUT",
        &format!("{base}/status"),
        &relay.rut,
        Some(json!({ "status": "contacted" })),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK);
    // The recruiter's list shows the record 40 times: 40 access-log entries.
    for _ in 0..40 {
        let listed = call_as(state, "GET", "/api/v1/registrations", &relay.rut, None).await;
        assert_eq!(listed.status, StatusCode::OK);
    }

    let ask = |lang: &'static str| {
        call_as(
            state,
            "POST",
            if lang == "sv" {
                "/api/v1/subject-access?format=html"
            } else {
                "/api/v1/subject-access?format=html&lang=en"
            },
            &relay.arvid,
            Some(json!({ "email": "anna@x.se" })),
        )
    };
    let swedish = ask("sv").await;
    assert_eq!(swedish.status, StatusCode::OK, "{}", swedish.text);
    let text = &swedish.text;
    // Each element Art. 15 asks for, in plain Swedish.
    for element in [
        "registerutdrag enligt artikel 15",
        "Varför vi behandlar uppgifterna (ändamål)",
        "Med vilken rätt (rättslig grund)",
        "artikel 6.1 e",
        "Talangpoolen bygger på ditt samtycke",
        "Vilka uppgifter vi har",
        "Vem som får ta del av uppgifterna (mottagare)",
        "Hur länge vi sparar uppgifterna",
        "Registreringen sparas i 24 månader från att myndigheten tog emot den",
        "Varifrån uppgifterna kommer",
        "Du lämnade själv uppgifterna på en surfplatta på evenemanget",
        "rättade (artikel 16)",
        "raderas (artikel 17)",
        "begränsas (artikel 18)",
        "Integritetsskyddsmyndigheten (IMY), Box 8114, 104 20 Stockholm, www.imy.se",
        "Inga beslut om dig fattas automatiskt.",
    ] {
        assert!(text.contains(element), "the report says: {element}");
    }
    // Anna's first registration's section.
    let receipt = receipt_code_for_tests(&anna.id);
    let section = |html: &str| -> String {
        html.split(r#"<section class="record">"#)
            .find(|part| part.contains(&receipt))
            .expect("the record's section")
            .to_owned()
    };
    let whole = text;
    let text = &section(whole);
    // Answers by their labels, the language as a word, the event by its name.
    let demo = demo_event();
    let form = &demo.current_form().expect("published").form;
    let interests: Vec<&str> = anna
        .interests
        .iter()
        .map(|code| {
            form.interest_areas
                .iter()
                .find(|choice| &choice.code == code)
                .expect("a demo code")
                .label
                .sv
                .as_str()
        })
        .collect();
    assert_eq!(field(text, "Intresseområden"), interests.join(", "));
    let language = field(text, "Språk");
    assert!(
        ["svenska", "engelska"].contains(&language.as_str()),
        "{language}"
    );
    assert_eq!(field(text, "Evenemang"), demo.name.sv);
    // Tablets by the name HR gave, beside the fingerprint; staff by role.
    let fingerprint = &hex::encode(kiosk)[..8];
    assert_eq!(
        field(text, "Överförande surfplatta"),
        format!("Kiosk 1, Göteborg ({fingerprint})")
    );
    assert!(
        text.contains("<td>Rekryterare</td>"),
        "the note's author by role"
    );
    assert!(
        text.contains(&format!("<td>Kiosk 1, Göteborg ({fingerprint})</td>")),
        "the capture's author: the kiosk by its name"
    );
    assert!(
        !holds_a_long_hex_run(whole),
        "no key or hash a person cannot read"
    );
    assert!(!whole.contains("hr:"), "no log names");
    assert!(!whole.contains(">rut<"), "no usernames");
    assert!(!whole.contains("<dd>sv</dd>") && !whole.contains("<dd>en</dd>"));
    // The 40 list views are one row per day, with their count.
    assert!(
        text.contains("<td>Visad i lista</td><td>40</td>"),
        "summarised"
    );
    assert!(
        text.matches("Visad i lista").count() <= 2,
        "not a row per view"
    );

    let english = ask("en").await;
    let text = &english.text;
    for element in [
        "Article 15",
        "(purposes)",
        "(legal basis)",
        "(recipients)",
        "How long we keep the data",
        "kept for 24 months from when the agency received it",
        "Where the data comes from",
        "corrected (Article 16)",
        "erased (Article 17)",
        "restricted (Article 18)",
        "Integritetsskyddsmyndigheten, IMY",
    ] {
        assert!(text.contains(element), "the report says: {element}");
    }
    assert!(["Swedish", "English"].contains(&field(text, "Language").as_str()));
    assert_eq!(field(text, "Event"), demo.name.en);
    assert!(!holds_a_long_hex_run(text) && !text.contains("hr:"));
    assert!(section(text).contains("<td>Shown in a list</td><td>40</td>"));
}

#[tokio::test]
async fn the_console_page_finds_the_person_in_swedish_and_english_and_needs_the_csrf_token() {
    let relay = Relay::new().await;
    let mut browser = Browser::new(&relay.state);
    browser.log_in("arvid", PASSWORD).await;
    let page = browser.get("/console/subject-access").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Registerutdrag</h1>"));
    assert!(page.body.contains(r#"aria-current="page""#));
    let english = browser.get("/console/subject-access?lang=en").await;
    assert!(english.body.contains("<h1>Subject access</h1>"));
    let csrf = english.csrf_field();

    let refused = browser
        .post(
            "/console/subject-access",
            &[("kind", "email"), ("value", "anna@x.se")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let wrong = browser
        .post(
            "/console/subject-access",
            &[
                ("csrf_token", "wrong"),
                ("kind", "email"),
                ("value", "anna@x.se"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(logged(relay.store(), &relay.anna[0].id.to_string(), "arvid").is_empty());

    let found = browser
        .post(
            "/console/subject-access",
            &[
                ("csrf_token", &csrf),
                ("kind", "email"),
                ("value", "anna@x.se"),
            ],
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains("2 registrations found."));
    assert!(
        found
            .body
            .contains(&receipt_code_for_tests(&relay.anna[1].id))
    );
    assert!(
        found
            .body
            .contains(r#"action="/console/subject-access/download""#)
    );

    let file = browser
        .post(
            "/console/subject-access/download",
            &[
                ("csrf_token", &csrf),
                ("kind", "email"),
                ("value", "anna@x.se"),
                ("format", "json"),
            ],
        )
        .await;
    assert_eq!(file.status, StatusCode::OK);
    let value: Value = serde_json::from_str(&file.body).expect("json");
    assert_eq!(value["registrations"].as_array().map(Vec::len), Some(2));
    let printable = browser
        .post(
            "/console/subject-access/download",
            &[
                ("csrf_token", &csrf),
                ("kind", "email"),
                ("value", "anna@x.se"),
                ("format", "html"),
            ],
        )
        .await;
    assert!(printable.body.contains("<h1>Subject access report</h1>"));
    assert!(printable.body.contains(r#"href="/console/print.css""#));

    let none = browser
        .post(
            "/console/subject-access",
            &[
                ("csrf_token", &csrf),
                ("kind", "receipt_code"),
                ("value", "ZZZZ-ZZZZ"),
            ],
        )
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert!(none.body.contains("can no longer be found"));
    let bad = browser
        .post(
            "/console/subject-access",
            &[
                ("csrf_token", &csrf),
                ("kind", "receipt_code"),
                ("value", "nope"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains(r##"href="#value""##));
    let css = browser.get("/console/print.css").await;
    assert_eq!(css.status, StatusCode::OK);
}

#[tokio::test]
async fn the_console_page_is_for_archivists_only() {
    let relay = Relay::new().await;
    let mut browser = Browser::new(&relay.state);
    browser.log_in("rut", PASSWORD).await;
    assert_eq!(
        browser.get("/console/subject-access").await.status,
        StatusCode::FORBIDDEN
    );
}

/// Without the clearance, a restricted record's id is answered exactly as an id the relay
/// never held: its detail, its retention and an edit of it (archivist and assigned
/// recruiter alike), and the access log, which never shows an entry about it to a reviewer
/// without the clearance (else a cleared user's read would name it there).
#[tokio::test]
async fn without_the_clearance_a_restricted_records_id_is_answered_as_an_unknown_one() {
    let relay = Relay::new().await;
    let restricted = relay.anna_restricted.id.to_string();
    let unknown = RegistrationGenerator::new(demo_event(), 99)
        .next_registration()
        .expect("valid")
        .id
        .to_string();
    // A cleared archivist reads it: the access log now names it.
    let cecilia = user_with(&relay.state, "cecilia", vec![Role::Archivist]);
    assert!(
        relay
            .store()
            .set_hr_clearance(cecilia.id, true)
            .expect("cleared")
    );
    let cecilia = bearer(&relay.state, &cecilia);
    let read = call_as(
        &relay.state,
        "GET",
        &format!("/api/v1/registrations/{restricted}"),
        &cecilia,
        None,
    )
    .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);

    let answers = |caller: String, id: String| {
        let state = relay.state.clone();
        async move {
            let mut said = Vec::new();
            for (method, path, body) in [
                ("GET", format!("/api/v1/registrations/{id}"), None),
                (
                    "POST",
                    format!("/api/v1/registrations/{id}/notes"),
                    Some(json!({ "text": "ring" })),
                ),
                ("GET", format!("/api/v1/registrations/{id}/retention"), None),
            ] {
                let answer = call_as(&state, method, &path, &caller, body).await;
                said.push((path.replace(&id, "ID"), answer.status, answer.text));
            }
            said
        }
    };
    for caller in [&relay.arvid, &relay.rut] {
        assert_eq!(
            answers(caller.clone(), restricted.clone()).await,
            answers(caller.clone(), unknown.clone()).await
        );
    }
    // The log shows an uncleared archivist nothing about it, filtered or not.
    let log = |query: String| {
        let state = relay.state.clone();
        let arvid = relay.arvid.clone();
        async move {
            call_as(
                &state,
                "GET",
                &format!("/api/v1/access-log{query}"),
                &arvid,
                None,
            )
            .await
        }
    };
    let by_record = log(format!("?record={restricted}")).await;
    assert_eq!(by_record.status, StatusCode::OK);
    assert_eq!(
        by_record.text,
        log(format!("?record={unknown}")).await.text,
        "the log names the restricted record to a reviewer without the clearance"
    );
    let all = log("?limit=500".into()).await;
    assert!(!all.text.contains(&restricted), "{}", all.text);
    // A cleared reviewer sees the read, and the refused attempts.
    let cleared_view = call_as(
        &relay.state,
        "GET",
        &format!("/api/v1/access-log?record={restricted}"),
        &cecilia,
        None,
    )
    .await;
    assert!(
        cleared_view.text.contains("read_refused") && cleared_view.text.contains("\"read\""),
        "{}",
        cleared_view.text
    );
}

//! "Seen before" and "asked not to be contacted" from the keyed blind indexes, through the
//! API and the console: the index is written by the background pass, not by ingest; the same
//! email (typed differently) at two events is flagged for an archivist and for a recruiter
//! assigned to both events, not for a recruiter of one; a restricted record is never flagged
//! and never counted; a visitor who withdrew their talent-pool consent is flagged "do not
//! contact" on a later registration, with the legal basis recorded.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use ed25519_dalek::SigningKey;
use kiosk_core::ids::{EventId, RegistrationId, Timestamp};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::registration::{Registration, TalentPoolOptIn};
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::{capture_for_tests, enroll_for_tests, ingest_for_tests};
use serde_json::Value;
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{self, ApiSession};

const FAIR: &str = kiosk_core::demo::DEMO_EVENT_ID;
const DESK: &str = "umea-service-desk";

struct Fixture {
    state: AppState,
    /// The visitor at the fair, opted in to the talent pool (earliest open record).
    first: String,
    /// The same visitor at the desk later, their email typed otherwise.
    again: String,
    /// A restricted record of the same email, earlier than both.
    restricted: String,
    /// Someone else at the desk.
    other: String,
}

fn registration(
    generator: &mut kiosk_core::generator::RegistrationGenerator,
    event: &str,
    minute: i64,
    email: &str,
    restricted: bool,
) -> Registration {
    let mut r = generator.next_registration().expect("valid");
    let at = Timestamp(1_767_000_000_000 + minute * 60_000);
    r.id = RegistrationId::from_parts(at, [minute as u8; 10]);
    r.captured_at = at;
    r.event_id = EventId::parse(event).expect("an event id");
    r.person.email = Some(email.to_owned());
    r.restricted = restricted;
    r
}

fn fixture() -> Fixture {
    let state = AppState::demo_in_memory().expect("state");
    let store = state.store.as_ref();
    let mut desk = kiosk_core::demo::demo_event();
    desk.id = EventId::parse(DESK).expect("an event id");
    store.put_event(&desk).expect("event");
    let key = SigningKey::from_bytes(&[61; 32]).verifying_key();
    enroll_for_tests(store, key.to_bytes(), FAIR, EnrolledRole::Kiosk, None);
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 17);
    let restricted = registration(&mut generator, FAIR, 1, "anna.aberg@example.se", true);
    let mut first = registration(&mut generator, FAIR, 2, "anna.aberg@example.se", false);
    first.consents.talent_pool = Some(TalentPoolOptIn {
        notice_version: first.form_version.clone(),
        language: first.language,
        at: first.captured_at,
    });
    let again = registration(&mut generator, DESK, 3, "  Anna.Aberg@EXAMPLE.se ", false);
    let other = registration(&mut generator, DESK, 4, "someone.else@example.se", false);
    let records = [&restricted, &first, &again, &other];
    let items = records.iter().map(|r| capture_for_tests(r, &key)).collect();
    ingest_for_tests(store, key.to_bytes(), 1, 0, items);
    Fixture {
        first: first.id.to_string(),
        again: again.id.to_string(),
        restricted: restricted.id.to_string(),
        other: other.id.to_string(),
        state,
    }
}

async fn record(state: &AppState, session: &ApiSession, id: &str) -> Value {
    let answer = hr_api::call(
        state,
        "GET",
        &format!("/api/v1/registrations/{id}"),
        &session.headers(),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body
}

fn seen_before(answer: &Value) -> Vec<String> {
    answer["seen_before"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("an id").to_owned())
        .collect()
}

fn index_now(state: &AppState) -> u64 {
    kiosk_sync_server::blind_index::index_pending(
        state.store.as_ref(),
        &state.index_keys,
        kiosk_sync_server::now_ms(),
    )
    .expect("indexes")
}

#[tokio::test]
async fn the_same_email_at_two_events_is_seen_before_only_by_readers_of_both() {
    let f = fixture();
    let archivist = ApiSession::log_in(&f.state, "arkiv", vec![Role::Archivist]).await;
    assert!(
        seen_before(&record(&f.state, &archivist, &f.again).await).is_empty(),
        "ingest wrote no index: nothing is flagged before the background pass"
    );
    assert!(
        f.state
            .store
            .blind_index_of(&f.again)
            .expect("reads")
            .is_empty()
    );
    assert_eq!(index_now(&f.state), 4, "every record indexed once");
    assert_eq!(index_now(&f.state), 0, "and not again");

    assert_eq!(
        seen_before(&record(&f.state, &archivist, &f.again).await),
        vec![f.first.clone()],
        "the earlier open record, not the restricted one"
    );
    assert!(seen_before(&record(&f.state, &archivist, &f.first).await).is_empty());
    assert!(seen_before(&record(&f.state, &archivist, &f.other).await).is_empty());

    let both = ApiSession::log_in(&f.state, "rekryterare", vec![Role::Recruiter]).await;
    let one = ApiSession::log_in(&f.state, "desken", vec![Role::Recruiter]).await;
    for event in [FAIR, DESK] {
        f.state
            .store
            .assign_hr_event(both.user.id, event)
            .expect("assigned");
    }
    f.state
        .store
        .assign_hr_event(one.user.id, DESK)
        .expect("assigned");
    assert_eq!(
        seen_before(&record(&f.state, &both, &f.again).await),
        vec![f.first.clone()]
    );
    assert!(
        seen_before(&record(&f.state, &one, &f.again).await).is_empty(),
        "a recruiter of one event is not told of a record they may not read"
    );

    // A cleared archivist reads the restricted record: it is never flagged.
    let cleared = user_with(&f.state, "skyddad", vec![Role::Archivist]);
    f.state
        .store
        .set_hr_clearance(cleared.id, true)
        .expect("cleared");
    let cleared = ApiSession::log_in_existing(&f.state, "skyddad").await;
    assert!(seen_before(&record(&f.state, &cleared, &f.restricted).await).is_empty());
    assert_eq!(
        seen_before(&record(&f.state, &cleared, &f.again).await),
        vec![f.first.clone()],
        "nor counted on another record, even for a cleared reader"
    );

    // The console says it too, in Swedish, with a link to the earlier record.
    let mut browser = Browser::new(&f.state);
    browser.log_in("arkiv", PASSWORD).await;
    let page = browser
        .get(&format!("/console/registrations/{}", f.again))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Har registrerat sig förut"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("/console/registrations/{}", f.first))
    );
    let page = browser
        .get(&format!("/console/registrations/{}?lang=en", f.again))
        .await;
    assert!(page.body.contains("Seen before"));
    // The list flags the later record's row alone.
    let list = browser.get("/console/registrations").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body.matches("data-flag=\"seen-before\"").count(),
        1,
        "{}",
        list.body
    );
    let mut browser = Browser::new(&f.state);
    browser.log_in("desken", PASSWORD).await;
    let list = browser.get("/console/registrations").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("data-flag=\"seen-before\""));
    let page = browser
        .get(&format!("/console/registrations/{}", f.again))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("data-flag=\"seen-before\""));
}

#[tokio::test]
async fn a_withdrawn_visitors_later_registration_is_flagged_do_not_contact() {
    let f = fixture();
    index_now(&f.state);
    let archivist = ApiSession::log_in(&f.state, "arkiv", vec![Role::Archivist]).await;
    assert_eq!(
        record(&f.state, &archivist, &f.again).await["do_not_contact"],
        serde_json::json!([])
    );
    let withdrawn = hr_api::call(
        &f.state,
        "POST",
        &format!("/api/v1/registrations/{}/talent-pool-withdrawal", f.first),
        &archivist.headers(),
        None,
    )
    .await;
    assert!(withdrawn.status.is_success(), "{}", withdrawn.text);
    let answer = record(&f.state, &archivist, &f.again).await;
    let flags = answer["do_not_contact"].as_array().expect("a list");
    assert_eq!(flags.len(), 1, "{answer}");
    assert_eq!(flags[0]["field"], "email");
    assert_eq!(flags[0]["basis"], "talent_pool_consent_withdrawn");
    assert!(flags[0]["keep_until"].as_i64() > flags[0]["added_at"].as_i64());
    assert_eq!(
        record(&f.state, &archivist, &f.other).await["do_not_contact"],
        serde_json::json!([]),
        "someone else is not flagged"
    );
    let mut browser = Browser::new(&f.state);
    browser.log_in("arkiv", PASSWORD).await;
    let page = browser
        .get(&format!("/console/registrations/{}", f.again))
        .await;
    assert!(page.body.contains("Har bett att inte bli kontaktad"));
    assert!(
        page.body
            .contains("återkallat sitt samtycke till talangpoolen")
    );
    let list = browser.get("/console/registrations").await;
    assert!(list.body.contains("data-flag=\"do-not-contact\""));

    // A relay restored from a backup taken before the list's row (the withdrawal replayed,
    // the row not) lists the withdrawal again when it starts.
    assert!(
        f.state
            .store
            .prune_do_not_contact(i64::MAX)
            .expect("prunes")
            >= 1,
        "the rows gone, as after such a restore"
    );
    assert_eq!(
        record(&f.state, &archivist, &f.again).await["do_not_contact"],
        serde_json::json!([])
    );
    assert_eq!(
        kiosk_sync_server::blind_index::list_withdrawals(
            f.state.store.as_ref(),
            &f.state.index_keys
        )
        .expect("lists"),
        1
    );
    let answer = record(&f.state, &archivist, &f.again).await;
    assert_eq!(
        answer["do_not_contact"][0]["basis"], "talent_pool_consent_withdrawn",
        "{answer}"
    );
}

#[tokio::test]
async fn a_visitor_who_asked_not_to_be_contacted_is_flagged_and_the_request_is_logged() {
    let f = fixture();
    let archivist = ApiSession::log_in(&f.state, "arkiv", vec![Role::Archivist]).await;
    let fair_only = ApiSession::log_in(&f.state, "massan", vec![Role::Recruiter]).await;
    f.state
        .store
        .assign_hr_event(fair_only.user.id, FAIR)
        .expect("assigned");
    let path = format!("/api/v1/registrations/{}/do-not-contact", f.other);
    let refused = hr_api::call(&f.state, "POST", &path, &fair_only.headers(), None).await;
    assert!(refused.status.is_client_error(), "{}", refused.text);
    assert_eq!(
        record(&f.state, &archivist, &f.other).await["do_not_contact"],
        serde_json::json!([]),
        "a refused request adds nothing"
    );
    let asked = hr_api::call(&f.state, "POST", &path, &archivist.headers(), None).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text);
    let flags = record(&f.state, &archivist, &f.other).await["do_not_contact"].clone();
    assert_eq!(flags[0]["basis"], "objected_to_contact", "{flags}");
    assert!(
        hr_api::logged(f.state.store.as_ref(), &f.other, "arkiv").contains(&"change"),
        "the request is in the access log"
    );
    assert_eq!(
        record(&f.state, &archivist, &f.again).await["do_not_contact"],
        serde_json::json!([]),
        "another person is not flagged"
    );
}

#[tokio::test]
async fn the_consoles_do_not_contact_form_acts_only_after_its_confirmation_and_is_logged() {
    let f = fixture();
    let archivist = ApiSession::log_in(&f.state, "arkiv", vec![Role::Archivist]).await;
    let flags = |answer: Value| answer["do_not_contact"].clone();
    let detail = format!("/console/registrations/{}", f.other);
    let path = format!("{detail}/do-not-contact");

    // A recruiter of the fair alone may not read the desk's record: refused, nothing added.
    let fair_only = user_with(&f.state, "massan", vec![Role::Recruiter]);
    f.state
        .store
        .assign_hr_event(fair_only.id, FAIR)
        .expect("assigned");
    let mut outsider = Browser::new(&f.state);
    outsider.log_in("massan", PASSWORD).await;
    let own = outsider
        .get(&format!("/console/registrations/{}", f.first))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let outsiders_csrf = own.csrf_field();
    for confirmed in ["", "yes"] {
        let refused = outsider
            .post(
                &path,
                &[("csrf_token", &outsiders_csrf), ("confirmed", confirmed)],
            )
            .await;
        assert!(refused.status.is_client_error(), "{}", refused.body);
        assert!(!refused.body.contains(r#"name="confirmed" value="yes""#));
    }
    assert!(
        hr_api::logged(f.state.store.as_ref(), &f.other, "massan").contains(&"read_refused"),
        "the refused attempts are in the access log"
    );
    assert_eq!(
        flags(record(&f.state, &archivist, &f.other).await),
        serde_json::json!([]),
        "a refused request adds nothing"
    );

    let mut browser = Browser::new(&f.state);
    browser.log_in("arkiv", PASSWORD).await;
    let page = browser.get(&detail).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(&format!(r#"action="{path}""#)),
        "the form is offered: {}",
        page.body
    );
    assert!(page.body.contains("Besökaren vill inte bli kontaktad"));
    assert!(!page.body.contains("data-flag=\"do-not-contact\""));
    let csrf = page.csrf_field();

    // Without the session's CSRF token: refused, nothing added.
    let forged = "0".repeat(64);
    let refused = browser
        .post(&path, &[("csrf_token", &forged), ("confirmed", "yes")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    // The form's button asks first, with the basis and how long it is kept; anything but
    // `yes` is no confirmation either.
    for confirmed in ["", "true"] {
        let asked = browser
            .post(&path, &[("csrf_token", &csrf), ("confirmed", confirmed)])
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        assert!(
            asked
                .body
                .contains("<h1>Registrera att besökaren inte vill bli kontaktad?</h1>"),
            "{}",
            asked.body
        );
        assert!(asked.body.contains("objected_to_contact"));
        assert!(asked.body.contains("I tre år från i dag"));
        assert!(asked.body.contains(r#"name="confirmed" value="yes""#));
        assert!(
            asked.body.contains(&format!(r#"href="{detail}""#)),
            "cancel leads back"
        );
    }
    assert_eq!(
        flags(record(&f.state, &archivist, &f.other).await),
        serde_json::json!([]),
        "nothing before the confirmation"
    );
    assert!(
        !hr_api::logged(f.state.store.as_ref(), &f.other, "arkiv").contains(&"change"),
        "nor logged as a change"
    );

    let confirmed = browser
        .post(&path, &[("csrf_token", &csrf), ("confirmed", "yes")])
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    assert_eq!(
        confirmed.location.as_deref(),
        Some(format!("{detail}?saved=do-not-contact").as_str())
    );
    let recorded = flags(record(&f.state, &archivist, &f.other).await);
    assert_eq!(recorded[0]["basis"], "objected_to_contact", "{recorded}");
    assert!(
        hr_api::logged(f.state.store.as_ref(), &f.other, "arkiv").contains(&"change"),
        "the request is in the access log as the API logs it"
    );

    // The record says so, with the date, in both languages; the form is gone.
    let page = browser.get(&format!("{detail}?saved=do-not-contact")).await;
    assert!(
        page.body.contains("Begäran är registrerad"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Har bett att inte bli kontaktad"));
    assert!(
        page.body
            .contains("Personen har bett att inte bli kontaktad.")
    );
    let added_at = recorded[0]["added_at"].as_i64().expect("a time");
    let day = shown_after(&page.body, "Antecknat: ");
    // Swedish time is one or two hours ahead of UTC.
    assert!(
        [HOUR_MS, 2 * HOUR_MS]
            .map(|ahead| utc_date(added_at + ahead))
            .contains(&day),
        "the date it was recorded on, not {day}"
    );
    assert!(!page.body.contains(&format!(r#"action="{path}""#)));
    let page = browser.get(&format!("{detail}?lang=en")).await;
    assert!(page.body.contains("Asked not to be contacted"));
    assert_eq!(shown_after(&page.body, "Recorded: "), day);
    // Someone else is not flagged.
    assert_eq!(
        flags(record(&f.state, &archivist, &f.again).await),
        serde_json::json!([])
    );
}

const HOUR_MS: i64 = 60 * 60 * 1000;

/// The ten characters (a date) after `label` on a page.
fn shown_after(body: &str, label: &str) -> String {
    let at = body
        .find(label)
        .unwrap_or_else(|| panic!("{label} in {body}"))
        + label.len();
    body[at..at + 10].to_owned()
}

/// `YYYY-MM-DD` of `ms` after the epoch, UTC.
fn utc_date(ms: i64) -> String {
    let (year, month, day) = kiosk_core::ids::civil_from_days(ms.div_euclid(24 * HOUR_MS));
    format!("{year:04}-{month:02}-{day:02}")
}

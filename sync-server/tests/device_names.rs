//! Tablets get a name HR chooses ("Kiosk 1, Göteborg"): given with the enrollment code (API
//! and console) and carried to the tablets the code enrolls, changed later on the devices
//! page or by the API, shown beside the key's fingerprint; a name too long or with control
//! characters is refused naming the field, in Swedish and English, and changes nothing.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use kiosk_core::protocol::enrollment::{EnrolledRole, EnrollmentCode};
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::enroll_for_tests;
use kiosk_sync_server::{AppState, now_ms};
use serde_json::json;
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{self, ApiSession};

const EVENT: &str = kiosk_core::demo::DEMO_EVENT_ID;
const KIOSK: [u8; 32] = [21; 32];

/// A relay with the unnamed kiosk `KIOSK` enrolled for the demo event.
fn state_with_kiosk() -> AppState {
    let state = AppState::demo_in_memory().expect("state");
    enroll_for_tests(
        state.store.as_ref(),
        KIOSK,
        EVENT,
        EnrolledRole::Kiosk,
        None,
    );
    state
}

fn name_of(state: &AppState, key: &[u8; 32]) -> Option<String> {
    state
        .store
        .device(key)
        .expect("reads")
        .expect("enrolled")
        .name
}

/// Redeems `code` (as shown once) for a new kiosk `key`, as a tablet's enrollment does.
fn redeem(state: &AppState, code: &str, key: [u8; 32]) {
    let code = EnrollmentCode::parse(code).expect("a code");
    state
        .store
        .redeem_enrollment_code(
            &code.lookup_hash(),
            &key,
            EnrolledRole::Kiosk,
            &|_| true,
            now_ms(),
            1 << 40,
        )
        .expect("storage")
        .expect("enrolled");
}

#[tokio::test]
async fn the_api_names_tablets_with_their_code_and_later_and_refuses_bad_names() {
    let state = state_with_kiosk();
    let admin = ApiSession::log_in(&state, "anna", vec![Role::Admin]).await;
    let headers = admin.headers();
    let hex = hex::encode(KIOSK);
    let path = format!("/api/v1/devices/{hex}/name");

    let code = |name: serde_json::Value| json!({ "event_id": EVENT, "role": "kiosk", "uses": 1, "valid_hours": 1, "name": name });
    let made = hr_api::call(
        &state,
        "POST",
        "/api/v1/enrollment-codes",
        &headers,
        Some(code(json!("  Kiosk 2,   Malmö "))),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    redeem(
        &state,
        made.body["code"].as_str().expect("a code"),
        [23; 32],
    );
    assert_eq!(
        name_of(&state, &[23; 32]).as_deref(),
        Some("Kiosk 2, Malmö")
    );

    for bad in [json!("x".repeat(61)), json!("Kiosk\n1")] {
        let refused = hr_api::call(
            &state,
            "POST",
            "/api/v1/enrollment-codes",
            &headers,
            Some(code(bad.clone())),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(refused.code(), Some("invalid_field"));
        assert!(refused.text.contains("name"), "{}", refused.text);
        let refused = hr_api::call(
            &state,
            "POST",
            &path,
            &headers,
            Some(json!({ "name": bad })),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text.contains("60"), "{}", refused.text);
    }
    assert_eq!(
        name_of(&state, &KIOSK),
        None,
        "a refused name changes nothing"
    );

    let named = hr_api::call(
        &state,
        "POST",
        &path,
        &headers,
        Some(json!({ "name": "Kiosk 1, Göteborg" })),
    )
    .await;
    assert_eq!(named.status, StatusCode::OK, "{}", named.text);
    assert_eq!(
        named.body,
        json!({ "id": hex, "name": "Kiosk 1, Göteborg" })
    );
    let listed = hr_api::call(&state, "GET", "/api/v1/devices", &headers, None).await;
    let kiosk = listed.body["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["id"] == hex)
        .expect("the kiosk")
        .clone();
    assert_eq!(
        (kiosk["name"].as_str(), kiosk["fingerprint"].as_str()),
        (Some("Kiosk 1, Göteborg"), Some("15151515"))
    );

    let cleared = hr_api::call(
        &state,
        "POST",
        &path,
        &headers,
        Some(json!({ "name": null })),
    )
    .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(name_of(&state, &KIOSK), None);

    let unknown = hr_api::call(
        &state,
        "POST",
        &format!("/api/v1/devices/{}/name", hex::encode([99; 32])),
        &headers,
        Some(json!({ "name": "Ghost" })),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let recruiter = ApiSession::log_in(&state, "rut", vec![Role::Recruiter]).await;
    let refused = hr_api::call(
        &state,
        "POST",
        &path,
        &recruiter.headers(),
        Some(json!({ "name": "Mine" })),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(name_of(&state, &KIOSK), None);
}

#[tokio::test]
async fn on_the_devices_page_an_admin_names_a_tablet_and_a_bad_name_is_refused_at_its_field() {
    let state = state_with_kiosk();
    user_with(&state, "anna", vec![Role::Admin]);
    let mut admin = Browser::new(&state);
    assert_eq!(
        admin.log_in("anna", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let hex = hex::encode(KIOSK);
    let page = admin.get("/console/devices").await;
    assert!(page.body.contains("(inget namn)"), "unnamed so far");
    let rename = format!("/console/devices/{hex}/name");
    assert!(page.body.contains(&format!(r#"href="{rename}""#)));

    let form = admin.get(&rename).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("<h1>Byt namn på surfplattan</h1>"));
    assert!(form.body.contains(r#"name="name""#));
    let csrf = form.csrf_field();

    let refused = admin
        .post(
            &format!("{rename}?lang=en"),
            &[("csrf_token", &csrf), ("name", &"x".repeat(61))],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(r##"href="#name""##),
        "in the error summary"
    );
    assert!(
        refused
            .body
            .contains(r#"aria-describedby="name-hint name-error""#)
    );
    assert!(
        refused
            .body
            .contains("Enter a name of at most 60 characters, without line breaks.")
    );
    assert_eq!(name_of(&state, &KIOSK), None);

    let saved = admin
        .post(
            &rename,
            &[("csrf_token", &csrf), ("name", " Kiosk 1, Göteborg ")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        saved.location.as_deref(),
        Some("/console/devices?renamed=1")
    );
    assert_eq!(
        name_of(&state, &KIOSK).as_deref(),
        Some("Kiosk 1, Göteborg")
    );
    // Back in Swedish (the refusal above switched the console to English).
    let page = admin.get("/console/devices?renamed=1&lang=sv").await;
    assert!(page.body.contains("Surfplattans namn är sparat."));
    assert!(page.body.contains("Kiosk 1, Göteborg"));
    assert!(page.body.contains("15151515"), "the fingerprint beside it");
    // The form opens with the name as it is.
    assert!(
        admin
            .get(&rename)
            .await
            .body
            .contains(r#"value="Kiosk 1, Göteborg""#)
    );

    let missing = admin
        .post(
            &format!("/console/devices/{}/name", hex::encode([99; 32])),
            &[("csrf_token", &csrf), ("name", "Ghost")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // The code form takes a name for the tablets it enrolls, and refuses a bad one there.
    let refused = admin
        .post(
            "/console/devices/enrollment-codes",
            &[
                ("csrf_token", &csrf),
                ("event_id", EVENT),
                ("role", "kiosk"),
                ("recruiter", ""),
                ("name", "Kiosk\t3"),
                ("uses", "1"),
                ("valid_hours", "24"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Skriv ett namn på högst 60 tecken"));
    let made = admin
        .post(
            "/console/devices/enrollment-codes",
            &[
                ("csrf_token", &csrf),
                ("event_id", EVENT),
                ("role", "kiosk"),
                ("recruiter", ""),
                ("name", "Kiosk 3, Umeå"),
                ("uses", "1"),
                ("valid_hours", "24"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(
        made.body.contains("Kiosk 3, Umeå"),
        "the code page names it"
    );
    let start = made.body.find(r#"class="secret code">"#).expect("the code") + 20;
    let end = start + made.body[start..].find('<').expect("its end");
    redeem(&state, &made.body[start..end], [24; 32]);
    assert_eq!(name_of(&state, &[24; 32]).as_deref(), Some("Kiosk 3, Umeå"));
}

#[tokio::test]
async fn a_tablets_name_is_shown_on_the_record_reconciliation_and_access_log_pages() {
    use kiosk_sync_server::storage::{AccessAction, AccessEntry, Accessor};
    let state = AppState::demo_in_memory().expect("state");
    let store = state.store.as_ref();
    // A registration the kiosk captured, as a tablet's capture names it.
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let kiosk = key.to_bytes();
    enroll_for_tests(store, kiosk, EVENT, EnrolledRole::Kiosk, None);
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
    let mut registration = generator.next_registration().expect("valid");
    registration.restricted = false;
    registration.capturing_device = kiosk_core::ids::DeviceId::from_public_key(&key);
    let capture = kiosk_sync_server::storage::capture_for_tests(&registration, &key);
    kiosk_sync_server::storage::ingest_for_tests(store, kiosk, 1, 0, vec![capture]);
    assert!(
        store
            .rename_device(&kiosk, Some("Kiosk 1, Göteborg"))
            .expect("named")
    );
    store
        .log_access(&AccessEntry {
            at: now_ms(),
            accessor: Accessor::Device {
                device_key: kiosk,
                recruiter: None,
            },
            action: AccessAction::Pull,
            doc_id: registration.id.to_string(),
        })
        .expect("logged");
    let label = format!("Kiosk 1, Göteborg ({})", &hex::encode(kiosk)[..8]);
    user_with(&state, "arvid", vec![Role::Archivist, Role::Admin]);
    let mut arvid = Browser::new(&state);
    assert_eq!(
        arvid.log_in("arvid", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    let record = arvid
        .get(&format!("/console/registrations/{}", registration.id))
        .await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.body);
    assert!(record.body.contains(&label), "captured by the named tablet");
    let log = arvid.get("/console/access-log").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(
        log.body.contains(&format!("Surfplatta {label}")),
        "the pull's tablet"
    );
    let reconciliation = arvid.get("/console/reconciliation").await;
    assert_eq!(reconciliation.status, StatusCode::OK);
    assert!(reconciliation.body.contains("Kiosk 1, Göteborg"));
    for page in [&record.body, &log.body, &reconciliation.body] {
        assert!(!page.contains(&hex::encode(kiosk)), "never the whole key");
    }
}

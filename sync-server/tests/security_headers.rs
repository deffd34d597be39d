//! Every answer of the relay carries the same protective headers, set by one layer: the
//! HR API's JSON with personal data is kept by no cache and never sniffed, the API's
//! printable HTML page has a content policy, errors carry them too, and the console keeps
//! its own. Over TLS every answer adds `Strict-Transport-Security` (tested in
//! `connection_limits.rs`, which serves TLS).

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::{StatusCode, header};
use kiosk_core::demo::{DEMO_EVENT_ID, demo_event};
use kiosk_core::generator::RegistrationGenerator;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::{capture_for_tests, enroll_for_tests, ingest_for_tests};
use serde_json::json;
use support::console_browser::user_with;
use support::hr_api::{Answer, bearer, call, call_as};

/// A relay holding one registration with a known email, and an archivist who may read it.
fn relay() -> (AppState, String) {
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
    let mut generator = RegistrationGenerator::new(demo_event(), 3);
    let mut registration = generator.next_registration().expect("valid");
    registration.person.email = Some("anna@x.se".to_owned());
    registration.restricted = false;
    ingest_for_tests(
        store,
        key.to_bytes(),
        1,
        1_000,
        vec![capture_for_tests(&registration, &key)],
    );
    let archivist = user_with(
        &state,
        "arvid",
        vec![Role::Archivist, Role::Recruiter, Role::Admin],
    );
    assert!(
        store
            .assign_hr_event(archivist.id, DEMO_EVENT_ID)
            .expect("assigned")
    );
    let token = bearer(&state, &archivist);
    (state, token)
}

fn assert_protected(answer: &Answer, what: &str) {
    assert_eq!(
        answer.header(header::CACHE_CONTROL).as_deref(),
        Some("no-store"),
        "{what}: Cache-Control"
    );
    assert_eq!(
        answer.header(header::X_CONTENT_TYPE_OPTIONS).as_deref(),
        Some("nosniff"),
        "{what}: X-Content-Type-Options"
    );
    let policy = answer
        .header(header::CONTENT_SECURITY_POLICY)
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(policy.contains("default-src 'none'"), "{what}: {policy}");
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: {policy}"
    );
    assert!(!policy.contains("unsafe-inline"), "{what}: {policy}");
    assert!(
        answer.header(header::STRICT_TRANSPORT_SECURITY).is_none(),
        "{what}: no HSTS over plain HTTP"
    );
}

#[tokio::test]
async fn every_api_answer_with_personal_data_is_kept_by_no_cache_and_never_sniffed() {
    let (state, token) = relay();
    for path in [
        "/api/v1/me",
        "/api/v1/registrations",
        "/api/v1/access-log",
        "/api/v1/users",
        "/api/v1/openapi.json",
    ] {
        let answer = call_as(&state, "GET", path, &token, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text);
        assert_protected(&answer, path);
    }
    let subject = call_as(
        &state,
        "POST",
        "/api/v1/subject-access",
        &token,
        Some(json!({ "email": "anna@x.se" })),
    )
    .await;
    assert_eq!(subject.status, StatusCode::OK, "{}", subject.text);
    assert_protected(&subject, "subject access (JSON)");
}

#[tokio::test]
async fn errors_and_the_tablets_routes_carry_the_same_headers() {
    let (state, _) = relay();
    let refused = call(&state, "GET", "/api/v1/registrations", &[], None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_protected(&refused, "an API error");
    let health = call(&state, "GET", "/healthz", &[], None).await;
    assert_protected(&health, "/healthz");
    let form = call(
        &state,
        "GET",
        &format!("/v1/events/{DEMO_EVENT_ID}/form"),
        &[],
        None,
    )
    .await;
    assert_protected(&form, "the event form");
}

#[tokio::test]
async fn the_apis_printable_page_has_a_content_policy_that_allows_its_own_style_only() {
    let (state, token) = relay();
    let answer = call_as(
        &state,
        "POST",
        "/api/v1/subject-access?format=html",
        &token,
        Some(json!({ "email": "anna@x.se" })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(
        answer
            .header(header::CONTENT_TYPE)
            .is_some_and(|t| t.starts_with("text/html")),
        "an HTML page"
    );
    assert_protected(&answer, "the printable page");
    let policy = answer
        .header(header::CONTENT_SECURITY_POLICY)
        .expect("a policy");
    assert!(policy.contains("style-src 'self' 'sha256-"), "{policy}");
    assert_eq!(
        answer.header(header::X_FRAME_OPTIONS).as_deref(),
        Some("DENY")
    );
}

#[tokio::test]
async fn the_console_keeps_its_headers_and_its_stylesheet_may_be_cached() {
    let (state, _) = relay();
    let login = call(&state, "GET", "/console/login", &[], None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert_protected(&login, "the console's login page");
    assert_eq!(
        login.header(header::REFERRER_POLICY).as_deref(),
        Some("no-referrer")
    );
    let css = call(&state, "GET", "/console/console.css", &[], None).await;
    assert_eq!(
        css.header(header::CACHE_CONTROL).as_deref(),
        Some("max-age=3600")
    );
    assert_eq!(
        css.header(header::X_CONTENT_TYPE_OPTIONS).as_deref(),
        Some("nosniff")
    );
}

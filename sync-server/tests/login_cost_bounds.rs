//! What an HR login may cost a client that knows no password: Argon2id (19 MiB, two passes)
//! runs for at most a few logins at once, whatever the number of clients, and not at all for
//! a username no account can have.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use kiosk_sync_server::hr::sessions::PasswordChecks;
use kiosk_sync_server::{AppState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A JSON login from `peer`; the status and the error's code.
async fn login(state: &AppState, peer: SocketAddr, username: &str) -> (StatusCode, Value) {
    let mut request = Request::post("/api/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "username": username, "password": "not the password at all" }).to_string(),
        ))
        .expect("request");
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = router(state.clone())
        .oneshot(request)
        .await
        .expect("answer");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_run_a_bounded_number_at_once_whatever_the_clients() {
    let mut state = AppState::demo_in_memory().expect("state");
    state.password_checks = Arc::new(PasswordChecks::new(2));
    // Many clients at once, each from its own address, so no rate limit refuses any: only
    // the bound on password checks keeps their memory (19 MiB each) in check.
    let logins: Vec<_> = (0..16u8)
        .map(|n| {
            let state = state.clone();
            tokio::spawn(async move {
                let peer = SocketAddr::from(([198, 51, 100, n + 1], 40_000));
                login(&state, peer, &format!("nobody{n}")).await
            })
        })
        .collect();
    for answer in logins {
        let (status, body) = answer.await.expect("joins");
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "wrong_credentials");
    }
    assert_eq!(state.password_checks.started(), 16, "each cost a check");
    assert!(
        state.password_checks.peak() <= 2,
        "{} checks ran at once",
        state.password_checks.peak()
    );
}

#[tokio::test]
async fn a_username_no_account_can_have_is_refused_without_a_password_check() {
    let state = AppState::demo_in_memory().expect("state");
    let peer = SocketAddr::from(([198, 51, 100, 7], 40_000));
    for username in ["x".repeat(100_000), "Anna Admin".to_owned(), "a".to_owned()] {
        let (status, body) = login(&state, peer, &username).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("wrong_credentials")),
            "{body}"
        );
    }
    assert_eq!(state.password_checks.started(), 0);
    // A name one could have still costs a check, so a wrong username and a wrong password
    // take the same time.
    let (status, _) = login(&state, peer, "nobody").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(state.password_checks.started(), 1);
}

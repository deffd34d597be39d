//! The relay behind a reverse proxy: forwarding headers are believed only from a trusted
//! proxy's address, so a client cannot choose the address its enrollment and login attempts are
//! counted against; from a trusted proxy, the client it names is counted (and logged);
//! malformed headers are ignored without an error. Every answer carries a request id, a
//! trusted proxy's plain one kept (its log lines: `request_log_lines.rs`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{Request, StatusCode};
use kiosk_sync_server::client_address::TrustedProxies;
use kiosk_sync_server::enrollment::MAX_FAILURES_PER_WINDOW;
use kiosk_sync_server::{AppState, router};
use tower::ServiceExt;

const PROXY: &str = "10.0.0.2:40000";
const STRANGER: &str = "203.0.113.5:50000";

fn relay() -> AppState {
    let mut state = AppState::demo_in_memory().expect("relay");
    state.trusted_proxies =
        Arc::new(TrustedProxies::parse_list("10.0.0.0/8").expect("trusted range"));
    state
}

struct Answer {
    status: StatusCode,
    request_id: Option<String>,
}

/// `request` as if it came over a connection from `peer`.
async fn send(state: &AppState, peer: &str, request: Request<Body>) -> Answer {
    let mut request = request;
    let peer: SocketAddr = peer.parse().expect("peer");
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = router(state.clone())
        .oneshot(request)
        .await
        .expect("answer");
    Answer {
        status: response.status(),
        request_id: response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// An enrollment attempt with a body that is no enrollment: refused, and counted.
async fn enroll(state: &AppState, peer: &str, headers: &[(&str, &str)]) -> StatusCode {
    let mut request = Request::post("/v1/enroll").header("content-type", "application/cbor");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Body::from(&b"not an enrollment"[..]))
        .expect("request");
    send(state, peer, request).await.status
}

/// A login with an unknown username (each its own, so only the address limit is reached).
async fn log_in(
    state: &AppState,
    peer: &str,
    attempt: u32,
    headers: &[(&str, &str)],
) -> StatusCode {
    let mut request = Request::post("/api/v1/login").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = serde_json::json!({ "username": format!("nobody{attempt}"), "password": "wrong" });
    let request = request.body(Body::from(body.to_string())).expect("request");
    send(state, peer, request).await.status
}

async fn get(state: &AppState, peer: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get("/healthz");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(state, peer, request.body(Body::empty()).expect("request")).await
}

#[tokio::test]
async fn a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored_and_the_peer_is_counted() {
    let state = relay();
    for attempt in 0..MAX_FAILURES_PER_WINDOW {
        // A new made-up address each time: were they believed, none would reach the limit.
        let forged = format!("198.51.100.{attempt}");
        let status = enroll(&state, STRANGER, &[("x-forwarded-for", &forged)]).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "attempt {attempt}");
        assert!(status.is_client_error(), "attempt {attempt}: {status}");
    }
    let status = enroll(
        &state,
        STRANGER,
        &[
            ("x-forwarded-for", "198.51.100.200"),
            ("forwarded", "for=198.51.100.201"),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the peer itself is counted"
    );
}

#[tokio::test]
async fn from_a_trusted_proxy_the_forwarded_client_is_counted_not_the_proxy() {
    let state = relay();
    let client = [("x-forwarded-for", "198.51.100.7, 10.0.0.9")];
    for _ in 0..MAX_FAILURES_PER_WINDOW {
        assert_ne!(
            enroll(&state, PROXY, &client).await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    assert_eq!(
        enroll(&state, PROXY, &client).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the forwarded client reached its limit"
    );
    // Another client behind the same proxy is not held back by the first one's attempts.
    let other = enroll(&state, PROXY, &[("forwarded", "for=\"[2001:db8::5]:443\"")]).await;
    assert_ne!(other, StatusCode::TOO_MANY_REQUESTS);
    assert!(other.is_client_error());
}

/// Failed logins one address may make in the login window.
const LOGIN_FAILURES_PER_ADDRESS: u32 = 20;

#[tokio::test]
async fn logins_are_limited_by_the_peer_whatever_it_forges_and_by_the_client_a_proxy_names() {
    let state = relay();
    for attempt in 0..LOGIN_FAILURES_PER_ADDRESS {
        let forged = format!("198.51.100.{attempt}");
        let status = log_in(&state, STRANGER, attempt, &[("x-forwarded-for", &forged)]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let status = log_in(
        &state,
        STRANGER,
        99,
        &[("x-forwarded-for", "198.51.100.250")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the peer itself is counted"
    );

    let first = [("x-forwarded-for", "192.0.2.10")];
    for attempt in 0..LOGIN_FAILURES_PER_ADDRESS {
        let status = log_in(&state, PROXY, 100 + attempt, &first).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    assert_eq!(
        log_in(&state, PROXY, 200, &first).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the forwarded client reached its limit"
    );
    assert_eq!(
        log_in(&state, PROXY, 201, &[("x-forwarded-for", "192.0.2.11")]).await,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy may still try"
    );
}

#[tokio::test]
async fn malformed_forwarding_headers_from_a_trusted_proxy_are_ignored_without_an_error() {
    let state = relay();
    for (name, value) in [
        ("x-forwarded-for", "not-an-address"),
        ("x-forwarded-for", "198.51.100.9,,"),
        ("forwarded", "for=unknown"),
        ("forwarded", "for=\"[2001:db8::1\""),
    ] {
        let answer = get(&state, PROXY, &[(name, value)]).await;
        assert_eq!(answer.status, StatusCode::OK, "{name}: {value}");
    }
    // Ignored means the proxy's own address counts: every malformed attempt lands on it.
    for attempt in 0..MAX_FAILURES_PER_WINDOW {
        let status = enroll(&state, PROXY, &[("x-forwarded-for", "garbage")]).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "attempt {attempt}");
    }
    assert_eq!(
        enroll(&state, PROXY, &[("x-forwarded-for", "still garbage")]).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_only_a_trusted_proxys_plain_one_is_kept() {
    let state = relay();
    let own = get(&state, STRANGER, &[]).await.request_id.expect("an id");
    assert_eq!(own.len(), 16);
    assert!(own.bytes().all(|b| b.is_ascii_hexdigit()), "{own}");
    let again = get(&state, STRANGER, &[]).await.request_id.expect("an id");
    assert_ne!(own, again, "each request its own");

    let kept = get(&state, PROXY, &[("x-request-id", "edge-4711.a_b:c")]).await;
    assert_eq!(kept.request_id.as_deref(), Some("edge-4711.a_b:c"));

    let from_stranger = get(&state, STRANGER, &[("x-request-id", "edge-4711")]).await;
    assert_ne!(from_stranger.request_id.as_deref(), Some("edge-4711"));
    for bad in ["has spaces in it", "quote\"d", &"x".repeat(65)] {
        let replaced = get(&state, PROXY, &[("x-request-id", bad)]).await;
        let id = replaced.request_id.expect("an id");
        assert_ne!(id, bad);
        assert_eq!(id.len(), 16, "a new one");
    }
}

//! The HR JSON API through the router for tests: a request with headers and an optional
//! JSON body, and the answer's status, headers, text and JSON; a user logged in through
//! the API (its cookie and CSRF token); and a user's API token.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use kiosk_sync_server::hr::accounts::{HrUser, Role};
use kiosk_sync_server::hr::issue_api_token;
use kiosk_sync_server::storage::{Accessor, RelayStore};
use kiosk_sync_server::{AppState, now_ms, router};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::console_browser::{PASSWORD, user_with};

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON; `null` if it is not JSON.
    pub body: Value,
}

impl Answer {
    /// The error's `code`.
    pub fn code(&self) -> Option<&str> {
        self.body["code"].as_str()
    }

    /// The text of header `name`, if the answer has it.
    pub fn header(&self, name: header::HeaderName) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The `name=value` of the cookie the answer sets, if any.
    pub fn cookie(&self) -> Option<String> {
        self.header(header::SET_COOKIE)
            .and_then(|c| c.split(';').next().map(str::to_owned))
    }
}

/// Sends `method path` with `headers` and `body` (as JSON) through the relay's router.
pub async fn call(
    state: &AppState,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("request");
    let response = router(state.clone())
        .oneshot(request)
        .await
        .expect("answer");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// Sends `method path` with `body` as the holder of the API token `bearer` (the
/// `Authorization` header's value).
pub async fn call_as(
    state: &AppState,
    method: &str,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> Answer {
    call(state, method, path, &[("authorization", bearer)], body).await
}

/// A user logged in through the API: the user, the session cookie and the CSRF token.
pub struct ApiSession {
    pub user: HrUser,
    pub cookie: String,
    pub csrf: String,
}

impl ApiSession {
    /// A new user with `roles` who has chosen their own password, logged in.
    pub async fn log_in(state: &AppState, username: &str, roles: Vec<Role>) -> ApiSession {
        user_with(state, username, roles);
        ApiSession::log_in_existing(state, username).await
    }

    /// A user made with [`user_with`] (whose password is [`PASSWORD`]), logged in.
    pub async fn log_in_existing(state: &AppState, username: &str) -> ApiSession {
        let (user, _) = state
            .store
            .hr_user_by_username(username)
            .expect("reads")
            .expect("a user");
        let answer = call(
            state,
            "POST",
            "/api/v1/login",
            &[],
            Some(json!({ "username": username, "password": PASSWORD })),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        ApiSession {
            user,
            cookie: answer.cookie().expect("a session cookie"),
            csrf: answer.body["csrf_token"]
                .as_str()
                .expect("a CSRF token")
                .to_owned(),
        }
    }

    /// The headers of a request that changes state: the cookie and the CSRF token.
    pub fn headers(&self) -> [(&str, &str); 2] {
        [
            ("cookie", self.cookie.as_str()),
            ("x-csrf-token", self.csrf.as_str()),
        ]
    }
}

/// The actions the access log holds about record `doc_id` by HR user `username`, in order.
pub fn logged(store: &dyn RelayStore, doc_id: &str, username: &str) -> Vec<&'static str> {
    store
        .access_log_entries(0, 10_000)
        .expect("log")
        .into_iter()
        .filter(|(_, e)| {
            e.doc_id == doc_id && e.accessor == Accessor::Operator(format!("hr:{username}"))
        })
        .map(|(_, e)| e.action.as_str())
        .collect()
}

/// An API token for `user`, valid for an hour, as the `Authorization` header's value.
pub fn bearer(state: &AppState, user: &HrUser) -> String {
    let now = now_ms();
    let token = issue_api_token(state.store.as_ref(), user.id, "test", now, now + 3_600_000)
        .expect("token");
    format!("Bearer {token}")
}

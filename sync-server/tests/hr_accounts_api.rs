//! HR accounts through the JSON API: one-time passwords that must be replaced, sessions by
//! cookie with CSRF tokens, API tokens by bearer, roles, the restricted clearance no one
//! grants themselves nor to or from an account of their making, with its recorded history,
//! and the login rate limit. Each refusal has its status and code, and
//! changes nothing.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use std::sync::Arc;

use axum::http::{StatusCode, header};
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::storage::{Credential, CredentialKind, RelayStore};
use kiosk_sync_server::{AppState, now_ms};
use serde_json::json;
use support::hr_api::{Answer, call};

/// A logged-in console session: its cookie header and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

impl Session {
    fn get(&self) -> Vec<(&str, &str)> {
        vec![("cookie", self.cookie.as_str())]
    }

    fn post(&self) -> Vec<(&str, &str)> {
        vec![
            ("cookie", self.cookie.as_str()),
            ("x-csrf-token", self.csrf.as_str()),
        ]
    }
}

fn session_of(answer: &Answer) -> Session {
    Session {
        cookie: answer.cookie().expect("a session cookie"),
        csrf: answer.body["csrf_token"]
            .as_str()
            .expect("a CSRF token")
            .to_owned(),
    }
}

async fn login(state: &AppState, username: &str, password: &str) -> Answer {
    call(
        state,
        "POST",
        "/api/v1/login",
        &[],
        Some(json!({ "username": username, "password": password })),
    )
    .await
}

const OWN_PASSWORD: &str = "ett eget lösenord";

/// A user provisioned with `role` who has already replaced the one-time password.
async fn user_with_own_password(state: &AppState, username: &str, role: Role) -> Session {
    let (_, one_time) = provision_user(
        state.store.as_ref(),
        username,
        "Test Person",
        vec![role],
        now_ms(),
    )
    .expect("provisioned");
    first_login(state, username, &one_time).await
}

/// Logs in with a one-time password and replaces it with [`OWN_PASSWORD`].
async fn first_login(state: &AppState, username: &str, one_time: &str) -> Session {
    let first = session_of(&login(state, username, one_time).await);
    let changed = call(
        state,
        "POST",
        "/api/v1/password",
        &first.post(),
        Some(json!({ "current_password": one_time, "new_password": OWN_PASSWORD })),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    session_of(&changed)
}

fn relay() -> AppState {
    AppState::demo_in_memory().expect("relay")
}

#[tokio::test]
async fn the_first_admin_must_replace_the_one_time_password_before_anything_else() {
    let state = relay();
    let (_, one_time) = provision_user(
        state.store.as_ref(),
        "anna.admin",
        "Anna Admin",
        vec![Role::Admin],
        now_ms(),
    )
    .expect("provisioned");
    let answer = login(&state, "anna.admin", &one_time).await;
    assert_eq!(answer.status, StatusCode::OK);
    let cookie = answer.header(header::SET_COOKIE).expect("cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let first = session_of(&answer);

    let me = call(&state, "GET", "/api/v1/me", &first.get(), None).await;
    assert_eq!(me.body["must_change_password"], true);
    let refused = call(
        &state,
        "POST",
        "/api/v1/users",
        &first.post(),
        Some(json!({ "username": "bo", "display_name": "Bo", "roles": ["recruiter"] })),
    )
    .await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );

    let same = call(
        &state,
        "POST",
        "/api/v1/password",
        &first.post(),
        Some(json!({ "current_password": one_time, "new_password": one_time })),
    )
    .await;
    assert_eq!(same.status, StatusCode::BAD_REQUEST, "{}", same.body);
    let changed = call(
        &state,
        "POST",
        "/api/v1/password",
        &first.post(),
        Some(json!({ "current_password": one_time, "new_password": OWN_PASSWORD })),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    let second = session_of(&changed);
    let old = call(&state, "GET", "/api/v1/me", &first.get(), None).await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the old session ended"
    );
    assert_eq!(
        login(&state, "anna.admin", &one_time).await.status,
        StatusCode::UNAUTHORIZED,
        "the one-time password is used up"
    );

    let created = call(
        &state,
        "POST",
        "/api/v1/users",
        &second.post(),
        Some(json!({ "username": "bo.rekryterare", "display_name": "Bo", "roles": ["recruiter"] })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["user"]["roles"], json!(["recruiter"]));
    let bo_password = created.body["one_time_password"]
        .as_str()
        .expect("shown once");
    assert_eq!(
        login(&state, "bo.rekryterare", bo_password).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn requests_that_change_state_need_the_session_csrf_token() {
    let state = relay();
    let admin = user_with_own_password(&state, "anna.admin", Role::Admin).await;
    let body = json!({ "username": "cecilia", "display_name": "Cecilia", "roles": ["archivist"] });
    for auth in [
        admin.get(),
        vec![
            ("cookie", admin.cookie.as_str()),
            ("x-csrf-token", "a forged token"),
        ],
    ] {
        let refused = call(&state, "POST", "/api/v1/users", &auth, Some(body.clone())).await;
        assert_eq!(
            (refused.status, refused.body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("csrf"))
        );
    }
    assert!(
        state
            .store
            .hr_user_by_username("cecilia")
            .expect("read")
            .is_none()
    );
    let created = call(&state, "POST", "/api/v1/users", &admin.post(), Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED);
}

#[tokio::test]
async fn wrong_passwords_are_refused_alike_and_the_sixth_try_is_rate_limited() {
    let state = relay();
    user_with_own_password(&state, "anna.admin", Role::Admin).await;
    let unknown = login(&state, "nobody", "whatever password").await;
    let wrong = login(&state, "anna.admin", "not the password").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.body, wrong.body,
        "an unknown user is not told apart"
    );
    for _ in 0..4 {
        assert_eq!(
            login(&state, "anna.admin", "not the password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = login(&state, "anna.admin", OWN_PASSWORD).await;
    assert_eq!(
        (limited.status, limited.body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("login_rate_limited"))
    );
    assert!(
        limited
            .header(header::RETRY_AFTER)
            .is_some_and(|s| s.parse::<u64>().is_ok())
    );
    assert!(limited.header(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn expired_and_idle_sessions_are_not_logged_in() {
    let state = relay();
    let (user, _) = provision_user(
        state.store.as_ref(),
        "erik",
        "Erik",
        vec![Role::Admin],
        now_ms(),
    )
    .expect("provisioned");
    let now = now_ms();
    for (secret, expires_at, last_used_at) in [
        ("expired", now - 1, now - 10),
        ("idle", now + 3_600_000, now - 31 * 60_000),
    ] {
        let credential = Credential {
            kind: CredentialKind::Session,
            user_id: user.id,
            csrf_hash: None,
            expires_at,
            last_used_at,
        };
        let hash = kiosk_sync_server::hr::sessions::secret_hash(secret);
        state
            .store
            .put_hr_credential(&hash, &credential, None, last_used_at)
            .expect("stored");
        let cookie = format!("kiosk_session={secret}");
        let answer = call(&state, "GET", "/api/v1/me", &[("cookie", &cookie)], None).await;
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("not_logged_in")),
            "{secret}"
        );
    }
    let answer = call(&state, "GET", "/api/v1/me", &[], None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_recruiter_cannot_create_users() {
    let state = relay();
    let recruiter = user_with_own_password(&state, "rut", Role::Recruiter).await;
    let refused = call(
        &state,
        "POST",
        "/api/v1/users",
        &recruiter.post(),
        Some(json!({ "username": "evil", "display_name": "Evil", "roles": ["admin"] })),
    )
    .await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("missing_role"))
    );
    assert!(
        state
            .store
            .hr_user_by_username("evil")
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn no_admin_grants_themselves_the_restricted_clearance() {
    let state = relay();
    let admin = user_with_own_password(&state, "anna.admin", Role::Admin).await;
    let me = call(&state, "GET", "/api/v1/me", &admin.get(), None).await;
    let my_id = me.body["id"].as_u64().expect("id");
    let refused = call(
        &state,
        "POST",
        &format!("/api/v1/users/{my_id}/clearance"),
        &admin.post(),
        Some(json!({ "restricted_clearance": true, "reason": "Handlägger ärenden med skyddade personuppgifter." })),
    )
    .await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("self_grant"))
    );
    let (me_now, _) = state.store.hr_user(my_id).expect("read").expect("exists");
    assert!(!me_now.restricted_clearance);

    let (other, _) = provision_user(
        state.store.as_ref(),
        "bo.berg",
        "Bo",
        vec![Role::Recruiter],
        now_ms(),
    )
    .expect("provisioned");
    // A grant names why, by API as in the console: without a reason nothing changes.
    for body in [
        json!({ "restricted_clearance": true }),
        json!({ "restricted_clearance": true, "reason": "   " }),
    ] {
        let refused = call(
            &state,
            "POST",
            &format!("/api/v1/users/{}/clearance", other.id),
            &admin.post(),
            Some(body),
        )
        .await;
        assert_eq!(
            (refused.status, refused.body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")),
            "{}",
            refused.body
        );
        assert!(refused.text.contains("reason"), "{}", refused.body);
        let (other_now, _) = state
            .store
            .hr_user(other.id)
            .expect("read")
            .expect("exists");
        assert!(!other_now.restricted_clearance, "nothing granted");
    }
    let granted = call(
        &state,
        "POST",
        &format!("/api/v1/users/{}/clearance", other.id),
        &admin.post(),
        Some(json!({ "restricted_clearance": true, "reason": "Handlägger ärenden med skyddade personuppgifter." })),
    )
    .await;
    assert_eq!(granted.status, StatusCode::OK);
    assert_eq!(granted.body["restricted_clearance"], true);
    let changes = state.store.hr_account_changes(other.id).expect("changes");
    assert!(
        changes.iter().any(|change| change.reason.as_deref()
            == Some("Handlägger ärenden med skyddade personuppgifter.")),
        "the grant is recorded with its reason: {changes:?}"
    );
    let missing = call(
        &state,
        "POST",
        "/api/v1/users/999999/clearance",
        &admin.post(),
        Some(json!({ "restricted_clearance": true, "reason": "Handlägger ärenden med skyddade personuppgifter." })),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_tokens_authenticate_by_bearer_only_and_expire() {
    let state = relay();
    let admin = user_with_own_password(&state, "anna.admin", Role::Admin).await;
    let created = call(
        &state,
        "POST",
        "/api/v1/tokens",
        &admin.post(),
        Some(json!({ "label": "Export script", "days": 30 })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token = created.body["token"]
        .as_str()
        .expect("shown once")
        .to_owned();
    let bearer = format!("Bearer {token}");
    let me = call(
        &state,
        "GET",
        "/api/v1/me",
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(me.body["username"], "anna.admin");
    // A bearer call needs no CSRF token: no browser sends it on its own.
    let made = call(
        &state,
        "POST",
        "/api/v1/users",
        &[("authorization", &bearer)],
        Some(json!({ "username": "dora", "display_name": "Dora", "roles": ["archivist"] })),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED);
    let as_cookie = format!("kiosk_session={token}");
    let refused = call(&state, "GET", "/api/v1/me", &[("cookie", &as_cookie)], None).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "a token is no session"
    );
    let minted = call(
        &state,
        "POST",
        "/api/v1/tokens",
        &[("authorization", &bearer)],
        Some(json!({ "label": "another", "days": 1 })),
    )
    .await;
    assert_eq!(
        minted.status,
        StatusCode::UNAUTHORIZED,
        "a token mints no tokens"
    );
    let too_long = call(
        &state,
        "POST",
        "/api/v1/tokens",
        &admin.post(),
        Some(json!({ "label": "forever", "days": 100000 })),
    )
    .await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);

    let (user, _) = state
        .store
        .hr_user_by_username("anna.admin")
        .expect("read")
        .expect("exists");
    let hash = kiosk_sync_server::hr::sessions::secret_hash("old-token");
    let expired = Credential {
        kind: CredentialKind::ApiToken,
        user_id: user.id,
        csrf_hash: None,
        expires_at: now_ms() - 1,
        last_used_at: now_ms() - 10,
    };
    state
        .store
        .put_hr_credential(&hash, &expired, Some("old"), now_ms() - 10)
        .expect("stored");
    let answer = call(
        &state,
        "GET",
        "/api/v1/me",
        &[("authorization", "Bearer old-token")],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_bodies_and_bad_names_get_a_clear_error_and_change_nothing() {
    let state = relay();
    let admin = user_with_own_password(&state, "anna.admin", Role::Admin).await;
    let missing = call(
        &state,
        "POST",
        "/api/v1/login",
        &[],
        Some(json!({ "username": "anna.admin" })),
    )
    .await;
    assert_eq!(
        (missing.status, missing.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_body"))
    );
    assert!(
        missing.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("password")),
        "names the missing field: {}",
        missing.body
    );
    for body in [
        json!({ "username": "Has Spaces", "display_name": "X", "roles": ["admin"] }),
        json!({ "username": "ok.name", "display_name": "X", "roles": [] }),
        json!({ "username": "ok.name", "display_name": "X", "roles": ["superuser"] }),
        json!({ "username": "ok.name", "display_name": "X", "roles": ["admin"], "extra": 1 }),
    ] {
        let refused = call(&state, "POST", "/api/v1/users", &admin.post(), Some(body)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    }
    assert!(
        state
            .store
            .hr_user_by_username("ok.name")
            .expect("read")
            .is_none()
    );
    let taken = call(
        &state,
        "POST",
        "/api/v1/users",
        &admin.post(),
        Some(json!({ "username": "anna.admin", "display_name": "X", "roles": ["admin"] })),
    )
    .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
}

#[test]
fn provisioning_refuses_a_taken_username_and_keeps_the_first_user() {
    let state = relay();
    let store: Arc<dyn RelayStore> = state.store.clone();
    provision_user(store.as_ref(), "anna", "Anna", vec![Role::Admin], now_ms()).expect("first");
    assert!(
        provision_user(
            store.as_ref(),
            "anna",
            "Other",
            vec![Role::Recruiter],
            now_ms()
        )
        .is_err()
    );
    let (user, _) = store
        .hr_user_by_username("anna")
        .expect("read")
        .expect("kept");
    assert_eq!(
        (user.display_name.as_str(), user.roles.clone()),
        ("Anna", vec![Role::Admin])
    );
}

/// Sets user `id`'s clearance as `by`; the answer.
async fn set_clearance(state: &AppState, by: &Session, id: u64, cleared: bool) -> Answer {
    call(
        state,
        "POST",
        &format!("/api/v1/users/{id}/clearance"),
        &by.post(),
        Some(json!({ "restricted_clearance": cleared, "reason": "Ändrad uppgift." })),
    )
    .await
}

fn id_of(state: &AppState, username: &str) -> u64 {
    let (user, _) = state
        .store
        .hr_user_by_username(username)
        .expect("reads")
        .expect("exists");
    user.id
}

fn cleared(state: &AppState, id: u64) -> bool {
    let (user, _) = state.store.hr_user(id).expect("reads").expect("exists");
    user.restricted_clearance
}

/// `(by, granted)` of each change of user `id`'s clearance, newest first, as `admin` reads
/// them through the API.
async fn history(state: &AppState, admin: &Session, id: u64) -> Vec<(Option<String>, bool)> {
    let answer = call(
        state,
        "GET",
        &format!("/api/v1/users/{id}/clearance-history"),
        &admin.get(),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let changes = answer.body["changes"].as_array().expect("changes");
    let mut seqs: Vec<u64> = changes
        .iter()
        .map(|c| c["seq"].as_u64().expect("seq"))
        .collect();
    assert!(seqs.is_sorted_by(|a, b| a > b), "newest first: {seqs:?}");
    seqs.dedup();
    assert_eq!(seqs.len(), changes.len());
    changes
        .iter()
        .map(|c| {
            assert!(c["at"].as_i64().is_some_and(|at| at > 0), "{c}");
            (
                c["by"].as_str().map(str::to_owned),
                c["granted"].as_bool().expect("granted"),
            )
        })
        .collect()
}

#[tokio::test]
async fn no_admin_sets_the_clearance_of_an_account_they_created_nor_of_their_creator() {
    let state = relay();
    let anna = user_with_own_password(&state, "anna.admin", Role::Admin).await;
    // Anna makes a second admin account, whose one-time password she holds.
    let created = call(
        &state,
        "POST",
        "/api/v1/users",
        &anna.post(),
        Some(json!({ "username": "bo.admin", "display_name": "Bo", "roles": ["admin"] })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let one_time = created.body["one_time_password"].as_str().expect("shown");
    let bo = first_login(&state, "bo.admin", one_time).await;
    let (anna_id, bo_id) = (id_of(&state, "anna.admin"), id_of(&state, "bo.admin"));

    for (by, id, cleared) in [
        (&anna, bo_id, true),
        (&bo, anna_id, true),
        (&anna, bo_id, false),
        (&bo, anna_id, false),
    ] {
        let refused = set_clearance(&state, by, id, cleared).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::FORBIDDEN, Some("creator_grant")),
            "{}",
            refused.body
        );
        assert!(
            refused.body["message"]
                .as_str()
                .is_some_and(|m| m.contains("an admin other than the one who created the account")),
            "{}",
            refused.body
        );
    }
    assert!(!cleared(&state, anna_id) && !cleared(&state, bo_id));
    assert!(history(&state, &anna, anna_id).await.is_empty());
    assert!(history(&state, &anna, bo_id).await.is_empty());

    // An admin of other origin may, and each change is recorded with who made it.
    let cecilia = user_with_own_password(&state, "cecilia.admin", Role::Admin).await;
    let cecilia_id = id_of(&state, "cecilia.admin");
    for (by, id, cleared) in [
        (&cecilia, bo_id, true),
        (&cecilia, anna_id, true),
        (&bo, cecilia_id, true),
        (&cecilia, anna_id, false),
        // Setting what is set changes and records nothing.
        (&anna, cecilia_id, true),
    ] {
        let answer = set_clearance(&state, by, id, cleared).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.body["restricted_clearance"], cleared);
    }
    assert!(cleared(&state, bo_id) && cleared(&state, cecilia_id) && !cleared(&state, anna_id));
    let by = |name: &str| Some(name.to_owned());
    assert_eq!(
        history(&state, &bo, anna_id).await,
        [(by("cecilia.admin"), false), (by("cecilia.admin"), true)]
    );
    assert_eq!(
        history(&state, &anna, bo_id).await,
        [(by("cecilia.admin"), true)]
    );
    assert_eq!(
        history(&state, &anna, cecilia_id).await,
        [(by("bo.admin"), true)]
    );

    let listed = call(&state, "GET", "/api/v1/users", &anna.get(), None).await;
    assert_eq!(listed.status, StatusCode::OK);
    let users: Vec<(String, serde_json::Value, serde_json::Value)> = listed.body["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (
                u["username"].as_str().expect("username").to_owned(),
                u["created_by"].clone(),
                u["clearance_granted_by"].clone(),
            )
        })
        .collect();
    assert_eq!(
        users,
        [
            ("anna.admin".into(), json!(null), json!(null)),
            (
                "bo.admin".into(),
                json!("anna.admin"),
                json!("cecilia.admin")
            ),
            ("cecilia.admin".into(), json!(null), json!("bo.admin")),
        ]
    );

    let missing = call(
        &state,
        "GET",
        "/api/v1/users/999999/clearance-history",
        &anna.get(),
        None,
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, Some("unknown_user"))
    );
    let recruiter = user_with_own_password(&state, "rut", Role::Recruiter).await;
    let refused = call(
        &state,
        "GET",
        &format!("/api/v1/users/{bo_id}/clearance-history"),
        &recruiter.get(),
        None,
    )
    .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, Some("missing_role"))
    );
}

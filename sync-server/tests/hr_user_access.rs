//! Taking an HR user's access away through the JSON API and the command line: disabling
//! (sessions and API tokens end at once, no login until enabled again), removing a role or
//! the clearance with a reason, an admin's password reset to a one-time password that opens
//! nothing but a password change, and a user's API tokens listed and revoked. Every change
//! is in the access log and the user's change history; an admin takes nothing from
//! themselves, and the last enabled admin stays.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use std::path::Path;
use std::process::{Command, Output};

use axum::http::StatusCode;
use kiosk_sync_server::hr::accounts::{HrUser, Role};
use kiosk_sync_server::hr::issue_api_token;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{AccessAction, Accessor, RelayStore, SqliteStore};
use kiosk_sync_server::{AppState, now_ms};
use serde_json::{Value, json};
use support::console_browser::{PASSWORD, user_with};
use support::hr_api::{Answer, ApiSession, call, call_as};

fn relay() -> AppState {
    AppState::demo_in_memory().expect("relay")
}

/// A token of `user` valid for `days` days, as the `Authorization` header's value.
fn token_for(state: &AppState, user: &HrUser, label: &str, days: i64) -> String {
    let now = now_ms();
    let token = issue_api_token(
        state.store.as_ref(),
        user.id,
        label,
        now,
        now + days * 24 * 3_600_000,
    )
    .expect("token");
    format!("Bearer {token}")
}

async fn post(state: &AppState, admin: &ApiSession, path: &str, body: Option<Value>) -> Answer {
    call(state, "POST", path, &admin.headers(), body).await
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

/// The access log's account changes, as their `doc_id`s (`disable:rut`), with who made
/// them.
fn account_changes_logged(store: &dyn RelayStore) -> Vec<(String, String)> {
    store
        .access_log_entries(0, 10_000)
        .expect("log")
        .into_iter()
        .filter(|(_, e)| e.action == AccessAction::AccountChange)
        .map(|(_, e)| {
            let who = match e.accessor {
                Accessor::Operator(name) => name,
                Accessor::Device { .. } => "device".into(),
                Accessor::Visitor => "visitor".into(),
            };
            (e.doc_id, who)
        })
        .collect()
}

#[tokio::test]
async fn a_one_year_api_token_stops_working_the_moment_its_user_is_disabled() {
    let state = relay();
    let admin = ApiSession::log_in(&state, "anna", vec![Role::Admin]).await;
    let arvid = user_with(&state, "arvid", vec![Role::Archivist]);
    let year = token_for(&state, &arvid, "export script", 365);
    let session = ApiSession::log_in_existing(&state, "arvid").await;
    let works = call_as(&state, "GET", "/api/v1/registrations", &year, None).await;
    assert_eq!(works.status, StatusCode::OK, "{}", works.body);

    let disabled = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/disable", arvid.id),
        Some(json!({ "reason": "left the agency" })),
    )
    .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    assert_eq!(disabled.body["user"]["disabled"], true);

    for path in ["/api/v1/registrations", "/api/v1/me"] {
        let refused = call_as(&state, "GET", path, &year, None).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{path}");
        let refused = call(&state, "GET", path, &[("cookie", &session.cookie)], None).await;
        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "the session ended: {path}"
        );
    }
    let refused = login(&state, "arvid", PASSWORD).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, Some("account_disabled"))
    );
    let wrong = login(&state, "arvid", "inte lösenordet alls").await;
    assert_eq!(
        wrong.code(),
        Some("wrong_credentials"),
        "only the password's holder learns the account is disabled"
    );
    // A token written after the disable (as by a login racing it) opens nothing either.
    let late = token_for(&state, &arvid, "late", 1);
    let refused = call_as(&state, "GET", "/api/v1/me", &late, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let again = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/disable", arvid.id),
        None,
    )
    .await;
    assert_eq!(again.code(), Some("unchanged"));

    let enabled = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/enable", arvid.id),
        None,
    )
    .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.body);
    assert_eq!(
        login(&state, "arvid", PASSWORD).await.status,
        StatusCode::OK
    );
    let still = call_as(&state, "GET", "/api/v1/me", &year, None).await;
    assert_eq!(
        still.status,
        StatusCode::UNAUTHORIZED,
        "enabling gives back the login, not the ended token"
    );

    let history = call(
        &state,
        "GET",
        &format!("/api/v1/users/{}/access-changes", arvid.id),
        &admin.headers(),
        None,
    )
    .await;
    let changes: Vec<(&str, Option<&str>, &str)> = history.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap_or_default(),
                c["reason"].as_str(),
                c["by"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("enable", None, "hr:anna"),
            ("disable", Some("left the agency"), "hr:anna")
        ]
    );
    assert_eq!(
        account_changes_logged(state.store.as_ref()),
        [
            ("disable:arvid".to_owned(), "hr:anna".to_owned()),
            ("enable:arvid".to_owned(), "hr:anna".to_owned())
        ]
    );
}

#[tokio::test]
async fn an_admin_takes_nothing_from_themselves_and_the_last_enabled_admin_stays() {
    let state = relay();
    let anna = ApiSession::log_in(&state, "anna", vec![Role::Admin]).await;
    let bo = user_with(&state, "bosse", vec![Role::Admin, Role::Recruiter]);
    for (path, body) in [
        ("disable", None),
        (
            "roles/remove",
            Some(json!({ "role": "admin", "reason": "x" })),
        ),
        ("password-reset", None),
    ] {
        let refused = post(
            &state,
            &anna,
            &format!("/api/v1/users/{}/{path}", anna.user.id),
            body,
        )
        .await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::FORBIDDEN, Some("self_change")),
            "{path}"
        );
    }
    // A second admin may go; then anna is the last one, and the command line, which acts
    // as no admin, cannot disable her or take her role.
    let removed = post(
        &state,
        &anna,
        &format!("/api/v1/users/{}/roles/remove", bo.id),
        Some(json!({ "role": "admin", "reason": "moved to recruiting" })),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(removed.body["user"]["roles"], json!(["recruiter"]));
    use kiosk_sync_server::hr::user_access::{AccessRequest, ChangedBy, change_access};
    let operator = ChangedBy::Operator("relay-operator".into());
    for request in [
        AccessRequest::Disable,
        AccessRequest::RemoveRole(Role::Admin),
    ] {
        let refused = change_access(
            state.store.as_ref(),
            &operator,
            anna.user.id,
            request,
            Some("test"),
        )
        .expect_err("refused");
        assert_eq!(
            refused.to_string(),
            "this would leave no enabled administrator"
        );
    }
    let (anna_now, _) = state
        .store
        .hr_user(anna.user.id)
        .expect("reads")
        .expect("kept");
    assert!(!anna_now.disabled && anna_now.has(Role::Admin));
    // Non-admins change nothing.
    let rut = ApiSession::log_in(&state, "rut", vec![Role::Recruiter]).await;
    let refused = call(
        &state,
        "POST",
        &format!("/api/v1/users/{}/disable", bo.id),
        &rut.headers(),
        None,
    )
    .await;
    assert_eq!(refused.code(), Some("missing_role"));
}

#[tokio::test]
async fn removing_a_role_or_the_clearance_needs_a_reason_and_takes_effect_at_once() {
    let state = relay();
    let admin = ApiSession::log_in(&state, "anna", vec![Role::Admin]).await;
    let rut = user_with(&state, "rut", vec![Role::Recruiter, Role::Archivist]);
    assert!(state.store.set_hr_clearance(rut.id, true).expect("cleared"));
    let token = token_for(&state, &rut, "laptop", 30);
    let inbox = call_as(
        &state,
        "GET",
        "/api/v1/registrations/restricted",
        &token,
        None,
    )
    .await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);

    for (path, body) in [
        ("clearance/remove", json!({})),
        ("clearance/remove", json!({ "reason": "  " })),
        ("roles/remove", json!({ "role": "archivist" })),
    ] {
        let refused = post(
            &state,
            &admin,
            &format!("/api/v1/users/{}/{path}", rut.id),
            Some(body),
        )
        .await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")),
            "{path}: {}",
            refused.body
        );
        assert!(
            refused.body["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("reason")
        );
    }
    let unknown_role = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/roles/remove", rut.id),
        Some(json!({ "role": "chef", "reason": "x" })),
    )
    .await;
    assert_eq!(unknown_role.code(), Some("invalid_field"));

    let withdrawn = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/clearance/remove", rut.id),
        Some(json!({ "reason": "no longer handles protected records" })),
    )
    .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    assert_eq!(withdrawn.body["user"]["restricted_clearance"], false);
    let refused = call_as(
        &state,
        "GET",
        "/api/v1/registrations/restricted",
        &token,
        None,
    )
    .await;
    assert_eq!(
        refused.code(),
        Some("restricted"),
        "the same token, at once"
    );
    let history = call(
        &state,
        "GET",
        &format!("/api/v1/users/{}/clearance-history", rut.id),
        &admin.headers(),
        None,
    )
    .await;
    assert_eq!(history.body["changes"][0]["granted"], false);
    assert_eq!(history.body["changes"][0]["by"], "anna");

    let removed = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/roles/remove", rut.id),
        Some(json!({ "role": "archivist", "reason": "left the archive" })),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let refused = call_as(&state, "GET", "/api/v1/access-log", &token, None).await;
    assert_eq!(refused.code(), Some("missing_role"));
    let again = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/roles/remove", rut.id),
        Some(json!({ "role": "archivist", "reason": "again" })),
    )
    .await;
    assert_eq!(again.code(), Some("unchanged"));
    assert_eq!(
        account_changes_logged(state.store.as_ref()),
        [
            ("remove_clearance:rut".to_owned(), "hr:anna".to_owned()),
            ("remove_role.archivist:rut".to_owned(), "hr:anna".to_owned())
        ]
    );
}

#[tokio::test]
async fn an_admin_password_reset_opens_nothing_but_a_password_change_and_ends_sessions() {
    let state = relay();
    let admin = ApiSession::log_in(&state, "anna", vec![Role::Admin]).await;
    let session = ApiSession::log_in(&state, "arvid", vec![Role::Archivist]).await;
    let token = token_for(&state, &session.user, "script", 30);

    let reset = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/password-reset", session.user.id),
        None,
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(reset.body["user"]["must_change_password"], true);
    let one_time = reset.body["one_time_password"]
        .as_str()
        .expect("shown once")
        .to_owned();
    for headers in [
        vec![("cookie", session.cookie.as_str())],
        vec![("authorization", token.as_str())],
    ] {
        let ended = call(&state, "GET", "/api/v1/me", &headers, None).await;
        assert_eq!(ended.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login(&state, "arvid", PASSWORD).await.code(),
        Some("wrong_credentials")
    );
    let fresh = login(&state, "arvid", &one_time).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    let cookie = fresh.cookie().expect("cookie");
    let csrf = fresh.body["csrf_token"].as_str().expect("csrf").to_owned();
    let refused = call(
        &state,
        "GET",
        "/api/v1/registrations",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(refused.code(), Some("password_change_required"));
    let refused = call(
        &state,
        "POST",
        "/api/v1/tokens",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({ "label": "x", "days": 1 })),
    )
    .await;
    assert_eq!(refused.code(), Some("password_change_required"));
    let changed = call(
        &state,
        "POST",
        "/api/v1/password",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({ "current_password": one_time, "new_password": "ett nytt eget lösenord" })),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        account_changes_logged(state.store.as_ref()),
        [("reset_password:arvid".to_owned(), "hr:anna".to_owned())]
    );
    assert!(
        !state
            .store
            .access_log_entries(0, 10_000)
            .expect("log")
            .iter()
            .any(|(_, e)| e.doc_id.contains(&one_time)),
        "no secret in the log"
    );
}

#[tokio::test]
async fn an_admin_lists_a_users_tokens_without_secrets_and_revokes_one_alone() {
    let state = relay();
    let admin = ApiSession::log_in(&state, "anna", vec![Role::Admin]).await;
    let arvid = user_with(&state, "arvid", vec![Role::Archivist]);
    let first = token_for(&state, &arvid, "export script", 365);
    let second = token_for(&state, &arvid, "laptop", 30);

    let listed = call(
        &state,
        "GET",
        &format!("/api/v1/users/{}/tokens", arvid.id),
        &admin.headers(),
        None,
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let tokens = listed.body["tokens"].as_array().expect("tokens").clone();
    let mut labels: Vec<&str> = tokens.iter().filter_map(|t| t["label"].as_str()).collect();
    labels.sort_unstable();
    assert_eq!(labels, ["export script", "laptop"]);
    for secret in [&first, &second] {
        let secret = secret.trim_start_matches("Bearer ");
        assert!(!listed.text.contains(secret), "no secret is listed");
    }
    let laptop = tokens
        .iter()
        .find(|t| t["label"] == "laptop")
        .and_then(|t| t["id"].as_u64())
        .expect("an id");

    let revoked = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/tokens/{laptop}/revoke", arvid.id),
        Some(json!({ "reason": "laptop lost" })),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    assert_eq!(
        call_as(&state, "GET", "/api/v1/me", &second, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call_as(&state, "GET", "/api/v1/me", &first, None)
            .await
            .status,
        StatusCode::OK,
        "the other token still works"
    );
    let again = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/tokens/{laptop}/revoke", arvid.id),
        None,
    )
    .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::NOT_FOUND, Some("unknown_token"))
    );
    // A token id of another user is not this user's to revoke.
    let anna_token = token_for(&state, &admin.user, "mine", 1);
    let anna_listed = call(
        &state,
        "GET",
        &format!("/api/v1/users/{}/tokens", admin.user.id),
        &admin.headers(),
        None,
    )
    .await;
    let anna_id = anna_listed.body["tokens"][0]["id"].as_u64().expect("id");
    let refused = post(
        &state,
        &admin,
        &format!("/api/v1/users/{}/tokens/{anna_id}/revoke", arvid.id),
        None,
    )
    .await;
    assert_eq!(refused.code(), Some("unknown_token"));
    assert_eq!(
        call_as(&state, "GET", "/api/v1/me", &anna_token, None)
            .await
            .status,
        StatusCode::OK
    );
    let by_archivist = call_as(
        &state,
        "GET",
        &format!("/api/v1/users/{}/tokens", arvid.id),
        &first,
        None,
    )
    .await;
    assert_eq!(by_archivist.code(), Some("missing_role"));
    assert_eq!(
        account_changes_logged(state.store.as_ref()),
        [(format!("revoke_token.{laptop}:arvid"), "hr:anna".to_owned())]
    );
}

fn cli(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("runs")
}

#[test]
fn the_command_line_disables_resets_removes_and_revokes_and_keeps_the_last_admin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (arvid, token) = {
        let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store");
        let (anna, _) =
            kiosk_sync_server::hr::provision_user(&store, "anna", "Anna", vec![Role::Admin], 0)
                .expect("anna");
        let (arvid, _) = kiosk_sync_server::hr::provision_user(
            &store,
            "arvid",
            "Arvid",
            vec![Role::Archivist, Role::Recruiter],
            0,
        )
        .expect("arvid");
        assert!(store.set_hr_clearance(arvid.id, true).expect("cleared"));
        let now = now_ms();
        issue_api_token(&store, arvid.id, "export", now, now + 3_600_000).expect("token");
        let _ = anna;
        let token = store.hr_api_tokens(arvid.id, now).expect("tokens")[0].id;
        (arvid, token)
    };
    let ok = |output: Output| {
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let listed = ok(cli(dir.path(), &["list-tokens", "--username", "arvid"]));
    assert!(listed.contains("export"), "{listed}");
    ok(cli(
        dir.path(),
        &[
            "revoke-token",
            "--username",
            "arvid",
            "--token",
            &token.to_string(),
        ],
    ));
    ok(cli(
        dir.path(),
        &[
            "remove-clearance",
            "--username",
            "arvid",
            "--reason",
            "no longer handles protected records",
        ],
    ));
    ok(cli(
        dir.path(),
        &[
            "remove-role",
            "--username",
            "arvid",
            "--role",
            "recruiter",
            "--reason",
            "archive only",
        ],
    ));
    let reset = ok(cli(dir.path(), &["reset-password", "--username", "arvid"]));
    let one_time = reset.lines().nth(2).map(str::trim).expect("the password");
    ok(cli(
        dir.path(),
        &[
            "disable-user",
            "--username",
            "arvid",
            "--reason",
            "left",
            "--by",
            "it-support",
        ],
    ));
    let refused = cli(dir.path(), &["disable-user", "--username", "anna"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("no enabled administrator"), "{stderr}");
    let refused = cli(
        dir.path(),
        &["remove-role", "--username", "arvid", "--role", "archivist"],
    );
    assert!(!refused.status.success(), "a role is removed with a reason");

    let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store");
    let (now, password) = store.hr_user(arvid.id).expect("reads").expect("kept");
    assert!(now.disabled && now.must_change_password && !now.restricted_clearance);
    assert_eq!(now.roles, [Role::Archivist]);
    assert!(password.matches(one_time));
    assert!(
        store
            .hr_api_tokens(arvid.id, now_ms())
            .expect("tokens")
            .is_empty()
    );
    let logged = account_changes_logged(&store);
    let names: Vec<&str> = logged.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("revoke_token.{token}:arvid").as_str(),
            "remove_clearance:arvid",
            "remove_role.recruiter:arvid",
            "reset_password:arvid",
            "disable:arvid"
        ]
    );
    assert_eq!(logged[4].1, "it-support");
    assert_eq!(logged[0].1, "relay-operator");
}

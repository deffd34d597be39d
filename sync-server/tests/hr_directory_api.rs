//! The user directory and the access-log review through the JSON API: `GET /api/v1/users`
//! for admins, events assigned to recruiters only, and `GET /api/v1/access-log` for
//! archivists with its filters, paging, malformed filters named, and reviews that are not
//! themselves logged.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::{AccessAction, AccessEntry, Accessor, RelayStore};
use serde_json::{Value, json};
use support::console_browser::user_with;
use support::hr_api::{self, ApiSession};

const EVENT: &str = kiosk_core::demo::DEMO_EVENT_ID;

fn state() -> AppState {
    AppState::demo_in_memory().expect("state")
}

/// A user logged in through the API, and their relay.
struct Session {
    state: AppState,
    api: ApiSession,
}

impl Session {
    async fn of(state: &AppState, username: &str, roles: Vec<Role>) -> Session {
        Session {
            state: state.clone(),
            api: ApiSession::log_in(state, username, roles).await,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let cookie = [("cookie", self.api.cookie.as_str())];
        let answer = hr_api::call(&self.state, "GET", path, &cookie, None).await;
        (answer.status, answer.body)
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let headers = self.api.headers();
        let answer = hr_api::call(&self.state, "POST", path, &headers, Some(body)).await;
        (answer.status, answer.body)
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        let headers = self.api.headers();
        let answer = hr_api::call(&self.state, "DELETE", path, &headers, None).await;
        (answer.status, answer.body)
    }
}

#[tokio::test]
async fn admins_list_users_with_roles_clearance_and_assigned_events() {
    let state = state();
    let admin = Session::of(&state, "anna", vec![Role::Admin]).await;
    let rut = user_with(&state, "rut", vec![Role::Recruiter]);
    let (status, body) = admin
        .post(
            &format!("/api/v1/users/{}/events", rut.id),
            json!({ "event_id": EVENT }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = admin
        .post(
            &format!("/api/v1/users/{}/clearance", rut.id),
            json!({ "restricted_clearance": true, "reason": "Handlägger ärenden med skyddade personuppgifter." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = admin.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    let users = body["users"].as_array().expect("users");
    let names: Vec<&str> = users
        .iter()
        .map(|u| u["username"].as_str().expect("a username"))
        .collect();
    assert_eq!(names, ["anna", "rut"]);
    assert_eq!(users[1]["id"], rut.id);
    assert_eq!(users[1]["roles"], json!(["recruiter"]));
    assert_eq!(users[1]["restricted_clearance"], true);
    assert_eq!(users[1]["must_change_password"], false);
    assert_eq!(users[1]["assigned_events"], json!([EVENT]));
    assert_eq!(users[0]["assigned_events"], json!([]));
    assert_eq!(
        users[1]["created_by"],
        Value::Null,
        "provisioned by no admin"
    );
    assert_eq!(users[1]["clearance_granted_by"], "anna");
    assert_eq!(users[0]["clearance_granted_by"], Value::Null);
    assert!(
        !body.to_string().contains("password_hash") && !body.to_string().contains("salt"),
        "never a password"
    );

    for roles in [vec![Role::Recruiter], vec![Role::Archivist]] {
        let name = format!("user-{}", roles[0].as_str());
        let other = Session::of(&state, &name, roles).await;
        let (status, body) = other.get("/api/v1/users").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("missing_role"))
        );
    }
    let status = hr_api::call(&state, "GET", "/api/v1/users", &[], None)
        .await
        .status;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn events_are_assigned_to_recruiters_only() {
    let state = state();
    let admin = Session::of(&state, "anna", vec![Role::Admin]).await;
    let arvid = user_with(&state, "arvid", vec![Role::Archivist]);
    let (status, body) = admin
        .post(
            &format!("/api/v1/users/{}/events", arvid.id),
            json!({ "event_id": EVENT }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_recruiter"))
    );
    assert!(
        state
            .store
            .hr_assigned_events(arvid.id)
            .expect("reads")
            .is_empty()
    );
    let (status, body) = admin
        .post("/api/v1/users/999/events", json!({ "event_id": EVENT }))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_user"))
    );
}

/// Entries 1–6: anna lists and reads doc-a, bertil is refused doc-b, a staff tablet pulls
/// doc-a, anna exports doc-b, bertil reads doc-a; at 1000, 2000, … 6000.
fn six_entries(store: &dyn RelayStore) {
    let entry = |n: i64, accessor: Accessor, action, doc: &str| AccessEntry {
        at: n * 1000,
        accessor,
        action,
        doc_id: doc.into(),
    };
    let anna = || Accessor::Operator("hr:anna".into());
    let bertil = || Accessor::Operator("hr:bertil".into());
    let tablet = Accessor::Device {
        device_key: [3; 32],
        recruiter: Some("Rut Rekryterare".into()),
    };
    for logged in [
        entry(1, anna(), AccessAction::List, "doc-a"),
        entry(2, anna(), AccessAction::Read, "doc-a"),
        entry(3, bertil(), AccessAction::ReadRefused, "doc-b"),
        entry(4, tablet, AccessAction::Pull, "doc-a"),
        entry(5, anna(), AccessAction::Export, "doc-b"),
        entry(6, bertil(), AccessAction::Read, "doc-a"),
    ] {
        store.log_access(&logged).expect("logged");
    }
}

/// The `seq` of each entry of an answer.
fn seqs(body: &Value) -> Vec<u64> {
    body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["seq"].as_u64().expect("a number"))
        .collect()
}

#[tokio::test]
async fn archivists_review_the_access_log_filtered_newest_first_and_paged() {
    let state = state();
    six_entries(state.store.as_ref());
    let archivist = Session::of(&state, "arvid", vec![Role::Archivist]).await;

    let (status, body) = archivist.get("/api/v1/access-log").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(seqs(&body), [6, 5, 4, 3, 2, 1]);
    assert_eq!(body["next_before"], Value::Null);
    assert_eq!(
        body["entries"][2],
        json!({
            "seq": 4, "at": 4000, "accessor_kind": "device", "accessor": hex::encode([3; 32]),
            "recruiter": "Rut Rekryterare", "action": "pull", "record": "doc-a",
        })
    );

    for (query, expected) in [
        ("user=anna", vec![5, 2, 1]),
        ("user=bertil&action=read", vec![6]),
        ("record=doc-a", vec![6, 4, 2, 1]),
        ("action=read_refused", vec![3]),
        ("from=2000&to=4000", vec![4, 3, 2]),
        ("user=nobody", vec![]),
    ] {
        let (status, body) = archivist.get(&format!("/api/v1/access-log?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(seqs(&body), expected, "{query}");
    }

    let (_, first) = archivist.get("/api/v1/access-log?limit=4").await;
    assert_eq!(seqs(&first), [6, 5, 4, 3]);
    let before = first["next_before"].as_u64().expect("more to read");
    let (_, second) = archivist
        .get(&format!("/api/v1/access-log?limit=4&before={before}"))
        .await;
    assert_eq!(seqs(&second), [2, 1]);
    assert_eq!(second["next_before"], Value::Null);

    // Six entries before the reviews, six after: reading the log is not logged.
    assert_eq!(
        state.store.verify_access_log().expect("verifies").entries,
        6
    );

    let admin = Session::of(&state, "anna", vec![Role::Admin]).await;
    let (status, body) = admin.get("/api/v1/access-log").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("missing_role"))
    );
}

#[tokio::test]
async fn a_malformed_access_log_filter_is_400_naming_the_parameter() {
    let state = state();
    let archivist = Session::of(&state, "arvid", vec![Role::Archivist]).await;
    for (query, parameter) in [
        ("user=Anna%20Berg", "user"),
        ("record=doc%3Ba", "record"),
        ("action=peek", "action"),
        ("from=yesterday", "from"),
        ("to=1.5", "to"),
        ("before=-1", "before"),
        ("limit=0", "limit"),
        ("sort=oldest", "sort"),
    ] {
        let (status, body) = archivist.get(&format!("/api/v1/access-log?{query}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_filter")),
            "{query}"
        );
        let message = body["message"].as_str().expect("a message");
        assert!(
            message.starts_with(&format!("bad filter {parameter}:")),
            "{message}"
        );
    }
}

#[tokio::test]
async fn an_admin_takes_an_event_from_a_recruiter_and_only_an_admin_may() {
    let state = state();
    let admin = Session::of(&state, "anna", vec![Role::Admin]).await;
    let recruiter = Session::of(&state, "rut", vec![Role::Recruiter]).await;
    let rut = recruiter.api.user.id;
    let (status, body) = admin
        .post(
            &format!("/api/v1/users/{rut}/events"),
            json!({ "event_id": EVENT }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Nobody but an admin takes it, not even the recruiter themselves.
    let path = format!("/api/v1/users/{rut}/events/{EVENT}");
    let (status, body) = recruiter.delete(&path).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("missing_role"))
    );
    assert_eq!(state.store.hr_assigned_events(rut).expect("reads"), [EVENT]);

    let (status, body) = admin.delete(&path).await;
    assert_eq!(
        (status, body["events"].clone()),
        (StatusCode::OK, json!([]))
    );
    assert!(
        state
            .store
            .hr_assigned_events(rut)
            .expect("reads")
            .is_empty()
    );
    // Again: nothing to take, nothing changes.
    let (status, body) = admin.delete(&path).await;
    assert_eq!(
        (status, body["events"].clone()),
        (StatusCode::OK, json!([]))
    );
    let (status, body) = admin
        .delete(&format!("/api/v1/users/999/events/{EVENT}"))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_user"))
    );
}

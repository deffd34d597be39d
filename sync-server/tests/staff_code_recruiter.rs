//! A staff enrollment code names the HR user the tablet acts for: an existing, enabled
//! user with the recruiter role who is assigned to the code's event, by username. The API
//! and the `create-code` command refuse anything else, each with its own clear error and
//! nothing stored; the demo's staff code names the demo recruiter, assigned to the demo
//! event, and its tablet syncs.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use axum::http::StatusCode;
use kiosk_core::demo::DEMO_EVENT_ID;
use kiosk_core::protocol::enrollment::{EnrolledRole, EnrollmentCode};
use kiosk_core::sync::{BatchLimits, HttpTransport, NoListener};
use kiosk_sync_server::AppState;
use kiosk_sync_server::enrollment::{RecruiterRefusal, create_code};
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::hr::user_access::{AccessRequest, ChangedBy, change_access};
use kiosk_sync_server::storage::SqliteStore;
use kiosk_sync_server::storage::prelude::*;
use serde_json::json;
use support::console_browser::user_with;
use support::hr_api::{Answer, ApiSession, call};

async fn ask_for_code(state: &AppState, admin: &ApiSession, role: &str, recruiter: &str) -> Answer {
    call(
        state,
        "POST",
        "/api/v1/enrollment-codes",
        &admin.headers(),
        Some(json!({
            "event_id": DEMO_EVENT_ID,
            "role": role,
            "recruiter": (!recruiter.is_empty()).then_some(recruiter),
            "uses": 1,
            "valid_hours": 1,
        })),
    )
    .await
}

#[tokio::test]
async fn a_staff_code_names_an_enabled_recruiter_assigned_to_the_event_or_is_refused() {
    let state = AppState::demo_in_memory().expect("relay");
    let admin = ApiSession::log_in(&state, "anna", vec![Role::Admin]).await;
    let store = state.store.as_ref();
    user_with(&state, "arvid", vec![Role::Archivist]);
    let rut = user_with(&state, "rut", vec![Role::Recruiter]);
    let rita = user_with(&state, "rita", vec![Role::Recruiter]);
    assert!(
        store
            .assign_hr_event(rita.id, DEMO_EVENT_ID)
            .expect("assigned")
    );
    change_access(
        store,
        &ChangedBy::Operator("test".into()),
        rita.id,
        AccessRequest::Disable,
        None,
    )
    .expect("disabled");

    for (recruiter, message) in [
        ("Ingen Alls", "recruiter: no HR user has this username"),
        ("ingen.alls", "recruiter: no HR user has this username"),
        ("Rut Testsson", "recruiter: no HR user has this username"),
        (
            "arvid",
            "recruiter: this HR user does not have the recruiter role",
        ),
        (
            "rut",
            "recruiter: this recruiter is not assigned to the event; assign the event first",
        ),
        ("rita", "recruiter: this HR user is disabled"),
    ] {
        let refused = ask_for_code(&state, &admin, "staff", recruiter).await;
        assert_eq!(
            (
                refused.status,
                refused.code(),
                refused.body["message"].as_str()
            ),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("bad_recruiter"),
                Some(message)
            ),
            "{recruiter}"
        );
    }
    let missing = ask_for_code(&state, &admin, "staff", "").await;
    assert_eq!(missing.code(), Some("malformed_body"));
    assert!(
        missing.text.contains("names its recruiter"),
        "{}",
        missing.text
    );
    let kiosk = ask_for_code(&state, &admin, "kiosk", "rut").await;
    assert!(
        kiosk.text.contains("only a staff code names one"),
        "{}",
        kiosk.text
    );

    // Assigned, the same recruiter is accepted, by username only.
    assert!(
        store
            .assign_hr_event(rut.id, DEMO_EVENT_ID)
            .expect("assigned")
    );
    let made = ask_for_code(&state, &admin, "staff", "rut").await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);

    // The library function every path uses refuses alike.
    let refused = create_code(
        store,
        DEMO_EVENT_ID,
        EnrolledRole::Staff,
        Some("arvid".into()),
        1,
        i64::MAX,
        0,
    )
    .expect_err("refused");
    assert!(matches!(
        refused,
        kiosk_sync_server::enrollment::CodeError::Recruiter(RecruiterRefusal::NotARecruiter)
    ));
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
fn create_code_refuses_a_staff_code_for_anyone_but_an_assigned_recruiter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rut = {
        let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store");
        kiosk_sync_server::store_demo_event(&store).expect("event");
        kiosk_sync_server::hr::provision_user(&store, "rut", "Rut", vec![Role::Recruiter], 0)
            .expect("rut")
            .0
    };
    let staff_code = |recruiter: &str| {
        cli(
            dir.path(),
            &[
                "create-code",
                "--event",
                DEMO_EVENT_ID,
                "--role",
                "staff",
                "--recruiter",
                recruiter,
            ],
        )
    };
    for (recruiter, message) in [
        ("Ingen Alls", "no HR user has this username"),
        ("rut", "not assigned to the event"),
    ] {
        let refused = staff_code(recruiter);
        assert!(!refused.status.success(), "{recruiter}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(message), "{recruiter}: {stderr}");
    }
    {
        let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store");
        assert!(
            store
                .assign_hr_event(rut.id, DEMO_EVENT_ID)
                .expect("assigned")
        );
    }
    let made = staff_code("rut");
    assert!(made.status.success(), "{made:?}");
    EnrollmentCode::parse(String::from_utf8_lossy(&made.stdout).trim()).expect("a code");
}

#[test]
fn the_demos_staff_code_names_the_demo_recruiter_and_its_tablet_syncs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(&data)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    let mut lines = BufReader::new(demo.stdout.take().expect("stdout")).lines();
    let mut url = None;
    let mut staff_code = None;
    // The demo prints its address, then its codes; at most a few dozen lines.
    for line in lines.by_ref().take(60) {
        let line = line.expect("utf-8");
        if url.is_none() {
            url = line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .map(|w| w.trim_end_matches(',').to_owned());
        }
        if let Some((_, code)) = line.split_once("enrollment code, staff (2 tablets, 7 days): ") {
            staff_code = Some(code.trim().to_owned());
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    let url = url.expect("the demo prints its address");
    let code = EnrollmentCode::parse(&staff_code.expect("a staff code")).expect("parses");

    let tablet = kiosk_core::generator::demo_staff(&dir.path().join("staff.sqlite3"), "482915")
        .expect("opens");
    let transport = HttpTransport::new(&url);
    tablet
        .enroll(&code, &transport)
        .expect("the staff tablet enrolls");
    let certificate = tablet.certificate().expect("reads").expect("enrolled");
    assert_eq!(certificate.recruiter.as_deref(), Some("rekryterare"));
    let report = kiosk_core::sync::sync(
        &tablet,
        &transport,
        &NoListener,
        BatchLimits::default(),
        kiosk_core::ids::Timestamp::now,
    )
    .expect("syncs");
    assert!(report.refused.is_empty(), "{report:?}");
    demo.kill().expect("stops");
    demo.wait().expect("reaped");

    let store = SqliteStore::open(&data.join("relay.sqlite3")).expect("store");
    let (recruiter, _) = store
        .hr_user_by_username("rekryterare")
        .expect("reads")
        .expect("the demo recruiter");
    assert_eq!(
        store.hr_assigned_events(recruiter.id).expect("reads"),
        [DEMO_EVENT_ID]
    );
}

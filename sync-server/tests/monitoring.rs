//! What an operator's monitoring sees: `/readyz` turns 503 with the right reason for each
//! condition (a store that cannot be written, too little free disk, an unreadable key file,
//! a failed verification of the access log's chain, a missing or stale backup) and 200
//! again once it clears, telling anyone the codes and only monitoring the texts; `/metrics` counts a real enrollment, push and login, is served on
//! the separate metrics listener, and on the relay's own listener only with the token.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use kiosk_core::demo::DEMO_EVENT_ID;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::{BatchLimits, HttpTransport, NoListener};
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::observe::backup_status::{self, VerifiedBackup};
use kiosk_sync_server::observe::{MonitorSettings, Observer};
use kiosk_sync_server::storage::{AccessAction, AccessEntry, Accessor, SqliteStore};
use serde_json::Value;
use support::hr_api::{ApiSession, call};

/// A relay on a SQLite file in a data directory with its key files, as `serve` runs it.
struct Relay {
    dir: tempfile::TempDir,
    state: AppState,
}

impl Relay {
    fn new() -> Relay {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store");
        kiosk_sync_server::store_demo_event(&store).expect("event");
        let keys = RelayKeys::load_or_create(dir.path()).expect("keys");
        let mut state = AppState::new(Arc::new(store), keys);
        state.observe = Arc::new(Observer::new(MonitorSettings {
            data_dir: Some(dir.path().to_owned()),
            min_free_disk: 0,
            // No reuse: each probe here must see the change just made.
            cache_for: Duration::ZERO,
            probe_timeout: Duration::from_millis(300),
            ..MonitorSettings::default()
        }));
        Relay { dir, state }
    }

    /// The relay with its monitoring settings changed by `change`.
    fn set(&mut self, change: impl FnOnce(&mut MonitorSettings)) {
        let mut settings = self.state.observe.settings.clone();
        change(&mut settings);
        self.state.observe = Arc::new(Observer::new(settings));
    }

    async fn ready(&self) -> (StatusCode, Vec<String>) {
        let answer = call(&self.state, "GET", "/readyz", &[], None).await;
        let codes = answer.body["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| r["code"].as_str().expect("a code").to_owned())
            .collect();
        (answer.status, codes)
    }

    async fn assert_ready(&self) {
        assert_eq!(self.ready().await, (StatusCode::OK, vec![]));
    }

    /// Not ready for `code` alone: the relay's own listener says the code and no text; the
    /// metrics listener, which only monitoring reaches, gives the text too.
    async fn assert_not_ready_for(&self, code: &str) {
        let answer = call(&self.state, "GET", "/readyz", &[], None).await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            answer.body
        );
        assert_eq!(answer.body["status"], "not_ready");
        let reasons = answer.body["reasons"].as_array().expect("reasons");
        assert_eq!(reasons.len(), 1, "{}", answer.body);
        assert_eq!(
            reasons[0],
            serde_json::json!({ "code": code }),
            "only the code"
        );
        assert!(answer.body.get("message").is_none(), "{}", answer.body);

        let (status, full) = in_full(&self.state).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{full}");
        let reasons = full["reasons"].as_array().expect("reasons");
        assert_eq!(reasons.len(), 1, "{full}");
        assert_eq!(reasons[0]["code"], code, "{full}");
        assert!(
            reasons[0]["message"].as_str().is_some_and(|m| m.len() > 10),
            "{full}"
        );
    }
}

/// `/readyz` as the metrics listener (`--metrics-listen`) answers it.
async fn in_full(state: &AppState) -> (StatusCode, Value) {
    use tower::ServiceExt;
    let request = axum::http::Request::get("/readyz")
        .body(axum::body::Body::empty())
        .expect("request");
    let response = kiosk_sync_server::observe::metrics::metrics_router(state.clone())
        .oneshot(request)
        .await
        .expect("answer");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, serde_json::from_slice(&bytes).expect("JSON"))
}

#[tokio::test]
async fn the_relays_own_readyz_tells_codes_and_the_texts_go_to_monitoring_only() {
    let mut relay = Relay::new();
    let token = "the-metrics-token-of-this-readiness-test";
    relay.set(|s| {
        s.min_free_disk = u64::MAX;
        s.metrics_token = Some(kiosk_sync_server::hr::sessions::secret_hash(token));
    });
    // Anyone who reaches the relay: the status and the code, no text naming sizes or flags.
    let public = call(&relay.state, "GET", "/readyz", &[], None).await;
    assert_eq!(public.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!public.text.contains("MiB"), "{}", public.text);
    assert!(!public.text.contains("--min-free-disk"), "{}", public.text);
    assert_eq!(
        public.body["reasons"][0],
        serde_json::json!({ "code": "low_disk" })
    );
    // A wrong token is no token.
    let wrong = call(
        &relay.state,
        "GET",
        "/readyz",
        &[("Authorization", "Bearer not-the-token-of-this-test")],
        None,
    )
    .await;
    assert!(!wrong.text.contains("--min-free-disk"), "{}", wrong.text);
    // The monitoring system, with the metrics token: the texts.
    let bearer = format!("Bearer {token}");
    let operator = call(
        &relay.state,
        "GET",
        "/readyz",
        &[("Authorization", bearer.as_str())],
        None,
    )
    .await;
    assert_eq!(operator.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        operator.body["reasons"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--min-free-disk")),
        "{}",
        operator.text
    );
    assert!(
        operator.body["message"].as_str().is_some(),
        "{}",
        operator.text
    );
    // And the metrics say which code holds.
    let metrics = call(
        &relay.state,
        "GET",
        "/metrics",
        &[("Authorization", bearer.as_str())],
        None,
    )
    .await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .text
            .lines()
            .any(|l| l == r#"kiosk_not_ready{reason="low_disk"} 1"#),
        "{}",
        metrics.text
    );
    assert!(
        metrics
            .text
            .lines()
            .any(|l| l == r#"kiosk_not_ready{reason="no_backup"} 0"#),
        "{}",
        metrics.text
    );
}

#[tokio::test]
async fn too_little_free_disk_is_not_ready_until_the_threshold_is_met() {
    let mut relay = Relay::new();
    relay.assert_ready().await;
    relay.set(|s| s.min_free_disk = u64::MAX);
    relay.assert_not_ready_for("low_disk").await;
    relay.set(|s| s.min_free_disk = 1);
    relay.assert_ready().await;
}

#[tokio::test]
async fn a_missing_or_unreadable_key_file_is_not_ready_until_it_is_back() {
    let relay = Relay::new();
    let signing = relay.dir.path().join("relay-signing.key");
    let aside = relay.dir.path().join("aside.key");
    std::fs::rename(&signing, &aside).expect("moved");
    relay.assert_not_ready_for("key_file_unreadable").await;
    // A directory in its place cannot be read (permissions would not stop root).
    std::fs::create_dir(&signing).expect("dir");
    relay.assert_not_ready_for("key_file_unreadable").await;
    std::fs::remove_dir(&signing).expect("removed");
    std::fs::write(&signing, b"short").expect("written");
    relay.assert_not_ready_for("key_file_unreadable").await;
    std::fs::rename(&aside, &signing).expect("back");
    relay.assert_ready().await;
}

#[tokio::test]
async fn a_missing_or_stale_backup_is_not_ready_when_an_age_is_set_and_a_fresh_one_clears_it() {
    let mut relay = Relay::new();
    relay.set(|s| s.max_backup_age = Some(Duration::from_secs(3600)));
    relay.assert_not_ready_for("no_backup").await;
    let now = kiosk_sync_server::now_ms();
    let backup = |verified_at| VerifiedBackup {
        verified_at,
        watermark: 1,
        how: "sqlite-backup".into(),
    };
    backup_status::record(relay.dir.path(), &backup(now - 2 * 3_600_000)).expect("records");
    relay.assert_not_ready_for("backup_stale").await;
    std::fs::write(relay.dir.path().join("backup-status.json"), b"{").expect("written");
    relay.assert_not_ready_for("backup_status_unreadable").await;
    backup_status::record(relay.dir.path(), &backup(now)).expect("records");
    relay.assert_ready().await;
    // Without an age set, no backup is asked for.
    relay.set(|s| s.max_backup_age = None);
    std::fs::remove_file(relay.dir.path().join("backup-status.json")).expect("removed");
    relay.assert_ready().await;
}

#[tokio::test]
async fn the_sqlite_backup_command_records_a_verified_backup_that_readiness_accepts() {
    let relay = Relay::new();
    let (data, target) = (relay.dir.path(), relay.dir.path().join("copy.sqlite3"));
    let output = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data)
        .args(["backup", "--to"])
        .arg(&target)
        .env("RUST_LOG", "error")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let recorded = backup_status::newest(data)
        .expect("reads")
        .expect("recorded");
    // The record names where the backup is.
    assert_eq!(recorded.how, target.display().to_string());
    let mut relay = relay;
    relay.set(|s| s.max_backup_age = Some(Duration::from_secs(3600)));
    relay.assert_ready().await;
}

#[tokio::test]
async fn a_failed_chain_verification_is_not_ready_until_the_chain_verifies_again() {
    let relay = Relay::new();
    for i in 0..3 {
        relay
            .state
            .store
            .log_access(&AccessEntry {
                at: 1_767_225_600_000 + i,
                accessor: Accessor::Operator("hr:arvid".into()),
                action: AccessAction::Read,
                doc_id: format!("doc-{i}"),
            })
            .expect("logged");
    }
    let archivist = ApiSession::log_in(&relay.state, "arvid", vec![Role::Archivist]).await;
    let verify = || async {
        call(
            &relay.state,
            "GET",
            "/api/v1/access-log/verification",
            &archivist.headers(),
            None,
        )
        .await
    };
    assert_eq!(verify().await.body["chain"]["broken_at"], Value::Null);
    relay.assert_ready().await;

    let conn = rusqlite::Connection::open(relay.dir.path().join("relay.sqlite3")).expect("opens");
    conn.execute_batch(
        "DROP TRIGGER access_log_no_update;
         UPDATE access_log SET doc_id = 'forged' WHERE seq = 2;",
    )
    .expect("tampered");
    assert_eq!(verify().await.body["chain"]["broken_at"], 2);
    relay.assert_not_ready_for("access_log_chain_broken").await;

    conn.execute("UPDATE access_log SET doc_id = 'doc-1' WHERE seq = 2", [])
        .expect("put back");
    assert_eq!(verify().await.body["chain"]["broken_at"], Value::Null);
    relay.assert_ready().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_be_written_is_not_ready_and_is_ready_once_the_writer_is_free() {
    let relay = Relay::new();
    relay.assert_ready().await;
    // Another process holding the write lock: the probe's write waits past its bound.
    let holder = rusqlite::Connection::open(relay.dir.path().join("relay.sqlite3")).expect("opens");
    holder.execute_batch("BEGIN IMMEDIATE;").expect("locks");
    relay.assert_not_ready_for("store_unwritable").await;
    // A probe storm meanwhile starts no second write: every check waits for the same one.
    for _ in 0..3 {
        relay.assert_not_ready_for("store_unwritable").await;
    }
    holder.execute_batch("ROLLBACK;").expect("unlocks");
    // The waiting write goes through once the lock is gone; poll, with a bound.
    let mut ready = false;
    for _ in 0..50 {
        if relay.ready().await.0 == StatusCode::OK {
            ready = true;
            break;
        }
    }
    assert!(ready, "ready again once the store takes writes");
}

#[tokio::test]
async fn a_verdict_is_reused_within_the_cache_time_but_what_the_relay_knows_shows_at_once() {
    let mut relay = Relay::new();
    relay.set(|s| s.cache_for = Duration::from_secs(3600));
    relay.assert_ready().await;
    // Within the cache time the files are not looked at again: a probe storm costs nothing.
    let signing = relay.dir.path().join("relay-signing.key");
    let aside = relay.dir.path().join("aside.key");
    std::fs::rename(&signing, &aside).expect("moved");
    for _ in 0..10 {
        relay.assert_ready().await;
    }
    // A refusal the relay already knows of is not cached away.
    relay.state.store_health.full(kiosk_sync_server::now_ms());
    relay.assert_not_ready_for("store_full").await;
    relay.state.store_health.written();
    relay.assert_ready().await;
    std::fs::rename(&aside, &signing).expect("back");
}

#[tokio::test]
async fn metrics_are_not_on_the_relays_listener_without_a_token_and_refused_without_it() {
    let mut relay = Relay::new();
    let absent = call(&relay.state, "GET", "/metrics", &[], None).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    let token = "a-long-enough-metrics-token";
    let token_file = relay.dir.path().join("metrics.token");
    std::fs::write(&token_file, format!("{token}\n")).expect("written");
    let hash = kiosk_sync_server::observe::read_metrics_token(&token_file).expect("reads");
    relay.set(|s| s.metrics_token = Some(hash));
    let refused = call(&relay.state, "GET", "/metrics", &[], None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let wrong = call(
        &relay.state,
        "GET",
        "/metrics",
        &[("authorization", "Bearer not-the-token-at-all")],
        None,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let bearer = format!("Bearer {token}");
    let served = call(
        &relay.state,
        "GET",
        "/metrics",
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(served.status, StatusCode::OK);
    assert!(
        served.text.contains("kiosk_store_registrations"),
        "{}",
        served.text
    );
    assert!(served.text.ends_with("# EOF\n"));
    // A token file that holds no usable token is refused at start.
    std::fs::write(&token_file, "short").expect("written");
    assert!(kiosk_sync_server::observe::read_metrics_token(&token_file).is_err());
}

/// The samples of a text exposition: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line");
            (series.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

/// GET `path` from `base` (http://host:port) in plain HTTP/1.1 with `headers`: the status
/// and the body.
fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    request(base, "GET", path, headers, None)
}

fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    json: Option<&str>,
) -> (u16, String) {
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = json {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    head.push_str(json.unwrap_or(""));
    stream.write_all(head.as_bytes()).expect("sends");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, body.to_owned())
}

#[test]
fn metrics_count_a_real_enrollment_push_and_login_and_the_metrics_listener_serves_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    let (code, password) = {
        let store = SqliteStore::open(&{
            std::fs::create_dir_all(&data).expect("dir");
            data.join("relay.sqlite3")
        })
        .expect("store");
        kiosk_sync_server::store_demo_event(&store).expect("event");
        let code = kiosk_sync_server::enrollment::create_code(
            &store,
            DEMO_EVENT_ID,
            EnrolledRole::Kiosk,
            None,
            1,
            i64::MAX,
            0,
        )
        .expect("code");
        let (_, password) =
            kiosk_sync_server::hr::provision_user(&store, "anna", "Anna", vec![Role::Admin], 0)
                .expect("user");
        (code, password)
    };
    let token_file = dir.path().join("metrics.token");
    std::fs::write(&token_file, "the-metrics-token-of-this-test\n").expect("written");
    let mut relay = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(&data)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            "--min-free-disk",
            "1",
        ])
        .arg("--metrics-token-file")
        .arg(&token_file)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay starts");
    let mut lines = BufReader::new(relay.stdout.take().expect("stdout")).lines();
    let (mut base, mut metrics) = (None, None);
    for line in lines.by_ref().take(2) {
        let line = line.expect("utf-8");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .map(|w| w.trim_end_matches(',').to_owned());
        if line.starts_with("Metrics on") {
            metrics = url.map(|u| u.trim_end_matches("/metrics").to_owned());
        } else {
            base = url;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    let (base, metrics) = (
        base.expect("relay address"),
        metrics.expect("metrics address"),
    );

    let tablet =
        kiosk_core::generator::demo_kiosk(&dir.path().join("kiosk.sqlite3")).expect("opens");
    let transport = HttpTransport::new(&base);
    tablet.enroll(&code, &transport).expect("enrolls");
    kiosk_core::generator::capture_generated(&tablet, 2, 7).expect("captures");
    let report = kiosk_core::sync::sync(
        &tablet,
        &transport,
        &NoListener,
        BatchLimits::default(),
        kiosk_core::ids::Timestamp::now,
    )
    .expect("syncs");
    assert!(report.refused.is_empty(), "{report:?}");
    let wrong = r#"{"username":"anna","password":"not the password at all"}"#;
    assert_eq!(
        request(&base, "POST", "/api/v1/login", &[], Some(wrong)).0,
        401
    );
    let right = format!(r#"{{"username":"anna","password":"{password}"}}"#);
    assert_eq!(
        request(&base, "POST", "/api/v1/login", &[], Some(&right)).0,
        200
    );

    let (status, text) = get(&metrics, "/metrics", &[]);
    assert_eq!(status, 200, "{text}");
    let found = samples(&text);
    let value = |series: &str| found.get(series).copied().unwrap_or(0.0);
    assert_eq!(
        value(r#"kiosk_enrollments_total{outcome="enrolled"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        value(r#"kiosk_pushes_total{outcome="stored",code="none"}"#),
        2.0,
        "{text}"
    );
    assert!(value("kiosk_pulls_total") >= 1.0, "{text}");
    assert_eq!(value(r#"kiosk_logins_total{outcome="ok"}"#), 1.0, "{text}");
    assert_eq!(
        value(r#"kiosk_logins_total{outcome="failed"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        value(r#"kiosk_http_requests_total{route="/v1/enroll",method="POST",status="200"}"#),
        1.0,
        "{text}"
    );
    assert!(
        value(r#"kiosk_http_requests_total{route="/v1/sync",method="POST",status="200"}"#) >= 1.0,
        "{text}"
    );
    assert!(
        value(r#"kiosk_http_request_duration_seconds_count{route="/v1/sync",method="POST"}"#)
            >= 1.0,
        "{text}"
    );
    assert_eq!(value("kiosk_store_registrations"), 2.0, "{text}");
    assert_eq!(value("kiosk_store_devices"), 1.0, "{text}");
    assert!(value("kiosk_store_size_bytes") > 0.0, "{text}");
    // A kiosk's sync and a login read no record: nothing is logged yet.
    assert_eq!(found.get("kiosk_access_log_entries"), Some(&0.0), "{text}");
    assert_eq!(value("kiosk_backup_newest_age_seconds"), -1.0, "{text}");
    assert_eq!(value("kiosk_tablets_silent_with_unsent"), 0.0, "{text}");
    // No label names a device, a user or a raw path.
    assert!(!text.contains("anna"), "{text}");
    assert!(!text.contains("/v1/events/sthlm"), "{text}");

    // The relay's own listener serves them only with the token.
    assert_eq!(get(&base, "/metrics", &[]).0, 401);
    let (status, text) = get(
        &base,
        "/metrics",
        &[("Authorization", "Bearer the-metrics-token-of-this-test")],
    );
    assert_eq!(status, 200);
    assert!(text.contains("kiosk_enrollments_total"));
    assert_eq!(get(&metrics, "/readyz", &[]).0, 200);
    relay.kill().expect("stops");
    relay.wait().expect("reaped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_readiness_probes_the_database_and_backup_confirm_records_the_backup() {
    use kiosk_sync_server::storage::PgStore;
    use kiosk_sync_server::storage::postgres::test_cluster::fresh_database_url;

    // The synchronous PostgreSQL client blocks: off the async threads.
    let url = tokio::task::block_in_place(fresh_database_url);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = tokio::task::block_in_place(|| {
        let store = PgStore::open(&url).expect("opens");
        kiosk_sync_server::store_demo_event(&store).expect("event");
        store
    });
    let keys = RelayKeys::load_or_create(dir.path()).expect("keys");
    let mut state = AppState::new(Arc::new(store), keys);
    state.observe = Arc::new(Observer::new(MonitorSettings {
        data_dir: Some(dir.path().to_owned()),
        min_free_disk: 0,
        max_backup_age: Some(Duration::from_secs(3600)),
        cache_for: Duration::ZERO,
        probe_timeout: Duration::from_millis(500),
        ..MonitorSettings::default()
    }));
    let relay = Relay { dir, state };
    relay.assert_not_ready_for("no_backup").await;

    let admin = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
            .arg("--data-dir")
            .arg(relay.dir.path())
            .args(args)
            .env("RUST_LOG", "error")
            .env("KIOSK_DATABASE_URL", &url)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let mark = admin(&["backup-mark"]);
    admin(&["backup-confirm", "--mark", &mark]);
    let recorded = backup_status::newest(relay.dir.path())
        .expect("reads")
        .expect("recorded");
    assert_eq!(recorded.how, "postgres-confirm");
    relay.assert_ready().await;

    // Another session holding the probe's table: its write waits past the bound.
    let locker = url.clone();
    let (locked, unlock) = (
        std::sync::mpsc::channel::<()>(),
        std::sync::mpsc::channel::<()>(),
    );
    let holder = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&locker, postgres::NoTls).expect("connects");
        let mut tx = client.transaction().expect("begins");
        tx.batch_execute("LOCK TABLE failure_counts IN ACCESS EXCLUSIVE MODE")
            .expect("locks");
        locked.0.send(()).expect("told");
        unlock.1.recv().expect("told to unlock");
        tx.rollback().expect("unlocks");
    });
    locked.1.recv().expect("locked");
    relay.assert_not_ready_for("store_unwritable").await;
    unlock.0.send(()).expect("told");
    holder.join().expect("unlocked");
    let mut ready = false;
    for _ in 0..50 {
        if relay.ready().await.0 == StatusCode::OK {
            ready = true;
            break;
        }
    }
    assert!(ready, "ready again once the database takes writes");
}

//! A relay killed with SIGKILL in the middle of a retention run leaves no record
//! half-removed: each one is whole or gone with its removal record and log entry. The next
//! start resumes the run, which then removes exactly what it set out to remove.

use std::process::Child;
use std::time::{Duration, Instant};

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{
    SqliteStore, capture_for_tests, enroll_for_tests, ingest_for_tests,
};
use kiosk_sync_server::{now_ms, store_demo_event};
use rusqlite::Connection;

mod support {
    #[allow(dead_code)] // `admin` is for other tests
    pub mod relay_process;
}
use support::relay_process::spawn_relay;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const DUE: usize = 3_000;
const RECENT: usize = 200;

/// Fills the store with `DUE` records received three years ago and `RECENT` received
/// yesterday, all from one kiosk of the demo event.
fn seed(store: &SqliteStore) {
    store_demo_event(store).expect("event");
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    enroll_for_tests(
        store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 11);
    let now = now_ms();
    let mut seq = 0;
    for (count, received_at) in [(DUE, now - 3 * 365 * DAY_MS), (RECENT, now - DAY_MS)] {
        let mut left = count;
        while left > 0 {
            let batch = left.min(500);
            let items = (0..batch)
                .map(|_| {
                    let registration = generator.next_registration().expect("valid");
                    capture_for_tests(&registration, &key)
                })
                .collect();
            seq += 1;
            ingest_for_tests(store, key.to_bytes(), seq, received_at, items);
            left -= batch;
        }
    }
}

fn count(conn: &Connection, sql: &str) -> usize {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0))
        .expect("counts") as usize
}

/// Waits until `sql` counts at least `least`, reading the database beside the relay.
fn wait_for(conn: &Connection, sql: &str, least: usize, limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        let now = count(conn, sql);
        if now >= least || start.elapsed() > limit {
            return now;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn kill(mut relay: Child) {
    relay.kill().expect("SIGKILL");
    relay.wait().expect("reaped");
}

/// Every record is whole or removed, never in between; the log and the removal records
/// agree. Returns how many were removed.
fn check_nothing_half_removed(conn: &Connection) -> usize {
    let removed = count(conn, "SELECT COUNT(*) FROM removals");
    let stored = count(conn, "SELECT COUNT(*) FROM registrations");
    assert_eq!(removed + stored, DUE + RECENT, "every record counted once");
    for table in ["registration_changes", "registration_index", "quarantine"] {
        assert_eq!(
            count(
                conn,
                &format!(
                    "SELECT COUNT(*) FROM {table} WHERE doc_id IN (SELECT doc_id FROM removals)"
                )
            ),
            0,
            "a removed record left rows in {table}"
        );
    }
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) FROM registrations r
             WHERE NOT EXISTS (SELECT 1 FROM registration_changes c WHERE c.doc_id = r.doc_id)"
        ),
        0,
        "a stored record lost its change rows"
    );
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) FROM access_log WHERE action = 'remove'"
        ),
        removed,
        "one log entry per removal"
    );
    // Run 1 is the one under test (a nightly run at 02:00 UTC may add another).
    let run_removed = count(conn, "SELECT removed FROM retention_runs WHERE id = 1");
    assert_eq!(run_removed, removed, "the run's count is the removals'");
    removed
}

#[test]
fn sigkill_mid_retention_run_removes_nothing_by_halves_and_the_run_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    std::fs::create_dir_all(&data).expect("data dir");
    let database = data.join("relay.sqlite3");
    {
        let store = SqliteStore::open(&database).expect("store");
        // The log key a relay's first start makes and binds: a store whose log has leaves
        // is refused without it.
        kiosk_sync_server::transparency::checkpoint::load_for_store(&data, None, &store, false)
            .expect("binds the log key");
        seed(&store);
        // Lists have indexed the records, as on a relay in use.
        store
            .list_registrations(
                &kiosk_sync_server::storage::RegistrationFilter {
                    limit: 1,
                    ..Default::default()
                },
                &kiosk_sync_server::storage::Accessor::Operator("seed".into()),
                now_ms(),
            )
            .expect("lists");
        // A run started just before the relay went down: the start resumes it.
        store
            .start_retention_run("hr:arkiv", now_ms())
            .expect("starts")
            .expect("the first run");
    }
    let watcher = Connection::open(&database).expect("reads beside the relay");
    watcher
        .busy_timeout(Duration::from_secs(5))
        .expect("timeout");

    let (relay, _) = spawn_relay(&data, "serve");
    let seen = wait_for(
        &watcher,
        "SELECT COUNT(*) FROM removals",
        1,
        Duration::from_secs(60),
    );
    kill(relay);
    assert!(seen > 0, "the run removed nothing before the kill");
    let removed = check_nothing_half_removed(&watcher);
    assert!(
        removed < DUE,
        "the kill came after the run's end ({removed} removed): no mid-run kill was tested"
    );
    assert_eq!(
        count(
            &watcher,
            "SELECT COUNT(*) FROM retention_runs WHERE finished_at IS NULL"
        ),
        1,
        "the run is left unfinished"
    );

    // The next start resumes the run and finishes it.
    let (relay, _) = spawn_relay(&data, "serve");
    let finished = wait_for(
        &watcher,
        "SELECT COUNT(*) FROM retention_runs WHERE id = 1 AND finished_at IS NOT NULL",
        1,
        Duration::from_secs(120),
    );
    kill(relay);
    assert_eq!(finished, 1, "the resumed run finished");
    assert_eq!(check_nothing_half_removed(&watcher), DUE);

    drop(watcher);
    let store = SqliteStore::open(&database).expect("store");
    assert_eq!(
        store.counts().expect("counts").registrations as usize,
        RECENT
    );
    let verdict = store.verify_access_log().expect("verifies");
    assert_eq!(verdict.broken_at, None, "the access log's chain is whole");
}

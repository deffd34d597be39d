//! The relay's backup decides when a kiosk may erase its sealed copies, and a relay
//! restored from a backup gets back, from the tablets, whatever the backup lacked: back up,
//! sync more, restore the backup, sync again, and nothing is lost.
//!
//! SQLite-only, whatever `KIOSK_TEST_STORE` says: `backup` and `restore` copy the SQLite
//! file; on PostgreSQL the operator's own tools back the database up.

use std::path::Path;
use std::sync::Arc;

use kiosk_core::device::Device;
use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::{BatchLimits, HttpTransport, NoListener, SyncReport, sync};
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::SqliteStore;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::{AppState, now_ms, store_demo_event};
use kiosk_tests::{TestRelay, demo_code};

async fn start(data_dir: &Path) -> (Arc<SqliteStore>, TestRelay) {
    let store = Arc::new(SqliteStore::open(&data_dir.join("relay.sqlite3")).expect("store"));
    let keys = RelayKeys::load_or_create(data_dir).expect("keys");
    let server = TestRelay::start(AppState::new(store.clone(), keys)).await;
    (store, server)
}

fn sync_with(device: &Device, url: &str) -> SyncReport {
    sync(
        device,
        &HttpTransport::new(url),
        &NoListener,
        BatchLimits::default(),
        Timestamp::now,
    )
    .expect("syncs")
}

fn capture(device: &Arc<Device>, count: usize, seed: u64) {
    kiosk_core::generator::capture_generated(device, count, seed).expect("captured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_up_sync_more_restore_the_backup_sync_again_and_nothing_is_lost() {
    let data = tempfile::tempdir().expect("tempdir");
    let backups = tempfile::tempdir().expect("tempdir");
    let tablet_dir = tempfile::tempdir().expect("tempdir");
    let (store, server) = start(data.path()).await;
    store_demo_event(store.as_ref()).expect("demo event");
    let code = demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000);
    let device =
        kiosk_core::generator::demo_kiosk(&tablet_dir.path().join("kiosk.sqlite3")).expect("opens");
    let first_backup = backups.path().join("first.sqlite3");

    let (tablet, url, relay) = (device.clone(), server.url(), store.clone());
    let backup_path = first_backup.clone();
    tokio::task::spawn_blocking(move || {
        tablet
            .enroll(&code, &HttpTransport::new(&url))
            .expect("enrolls");
        capture(&tablet, 20, 1);
        let report = sync_with(&tablet, &url);
        assert_eq!((report.received, report.erased), (20, 0));
        assert_eq!(
            tablet.state_counts().expect("counts").received,
            20,
            "kept sealed: no backup holds them yet"
        );

        let backup = relay.backup(&backup_path).expect("backs up");
        assert!(
            relay.backup(&backup_path).is_err(),
            "a backup never overwrites another"
        );
        capture(&tablet, 10, 2);
        let report = sync_with(&tablet, &url);
        assert_eq!(report.received, 10);
        assert_eq!(
            report.erased, 20,
            "the backup (watermark {}) holds the first twenty",
            backup.watermark
        );
        capture(&tablet, 5, 3);
    })
    .await
    .expect("tablet thread");
    server.stop().await.expect("stops");
    drop(store);

    // The relay's disk is lost after the ten were received; it is restored from the backup,
    // which holds only the first twenty.
    let restored =
        SqliteStore::restore(&first_backup, &data.path().join("relay.sqlite3"), now_ms())
            .expect("restores");
    assert!(
        restored.moved_aside.is_some(),
        "the replaced store is kept aside"
    );
    let (store, server) = start(data.path()).await;
    assert_eq!(store.counts().expect("counts").registrations, 20);

    let (tablet, url, relay) = (device.clone(), server.url(), store.clone());
    let second_backup = backups.path().join("second.sqlite3");
    tokio::task::spawn_blocking(move || {
        let report = sync_with(&tablet, &url);
        assert_eq!(
            report.resent, 10,
            "received before the restore, not in the backup"
        );
        assert_eq!(report.received, 15, "the ten again and the five new");
        assert_eq!(
            relay.counts().expect("counts").registrations,
            35,
            "nothing lost, nothing twice"
        );
        let close = tablet.close_report().expect("report");
        assert_eq!((close.captured, close.received), (35, 35));
        assert!(
            close.is_complete(),
            "the restored relay's journal is the tablet's"
        );

        relay.backup(&second_backup).expect("backs up");
        let report = sync_with(&tablet, &url);
        assert_eq!(report.erased, 15);
        assert_eq!(tablet.state_counts().expect("counts").deleted, 35);
    })
    .await
    .expect("tablet thread");
    server.stop().await.expect("stops");
}

#[test]
fn a_restore_takes_only_a_whole_relay_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = dir.path().join("relay.sqlite3");
    let other_application = dir.path().join("notes.sqlite3");
    rusqlite::Connection::open(&other_application)
        .and_then(|c| c.execute_batch("CREATE TABLE notes (text TEXT)"))
        .expect("another application's database");
    let error = SqliteStore::restore(&other_application, &database, 0).expect_err("refused");
    assert!(
        error.to_string().contains("not a Kiosk relay store"),
        "{error}"
    );

    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, b"not a database at all").expect("writes");
    assert!(SqliteStore::restore(&garbage, &database, 0).is_err());
    assert!(!database.exists(), "nothing put in place");
}

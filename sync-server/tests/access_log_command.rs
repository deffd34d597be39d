//! The relay's `verify-access-log` and `access-log` commands on a data directory named by a
//! config file, over a log the store wrote itself: an intact chain prints its length and
//! head and exits 0; an entry edited in the file makes the command name it and exit 1.

use std::path::Path;
use std::process::{Command, Output};

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{
    Accessor, IngestBatch, IngestItem, IngestOutcome, PullQuery, PullScope, SqliteStore,
    enroll_for_tests,
};

const STAFF_TABLET: [u8; 32] = [5; 32];
const RECRUITER: &str = "anna";
/// 2023-11-14 22:13:20 UTC.
const PULLED_AT: i64 = 1_700_000_000_000;

fn doc_id(n: u64) -> String {
    format!("019ce0a0-6a80-7000-8000-{n:012x}")
}

/// Runs the relay binary with `--config FILE` only: no data-dir flag or environment, and a
/// working directory of its own, so a config file that was not read cannot go unnoticed.
fn run_with_config(config: &Path, args: &[&str]) -> Output {
    let elsewhere = tempfile::tempdir().expect("tempdir");
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .args(args)
        .arg("--config")
        .arg(config)
        .current_dir(elsewhere.path())
        .env_remove("KIOSK_DATA_DIR")
        .env_remove("KIOSK_CONFIG")
        .env("RUST_LOG", "error")
        .output()
        .expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

const KIOSK: [u8; 32] = [6; 32];
const EVENT: &str = "019ce0a0-0000-7000-8000-000000000001";

/// A tablet enrolled on `store`, as the enrollment route records one.
fn enroll(store: &SqliteStore, key: [u8; 32], role: EnrolledRole) {
    let recruiter = (role == EnrolledRole::Staff).then_some(RECRUITER);
    enroll_for_tests(store, key, EVENT, role, recruiter);
}

/// A kiosk's three captures (placeholder bytes: the store does not read them).
fn captures() -> IngestBatch {
    IngestBatch {
        device_key: KIOSK,
        seq: 1,
        received_at: PULLED_AT,
        items: (1..=3)
            .map(|n| IngestItem::Store {
                doc_id: doc_id(n),
                event_id: EVENT.into(),
                document: vec![n as u8],
                change_hashes: vec![[n as u8; 32]],
                capture_signature: vec![0; 64],
                receipt_code: format!("R-{n}"),
                receipt_tag: None,
                restricted: false,
                journal_seq: Some(n),
                listing: None,
            })
            .collect(),
        accessor: Accessor::Device {
            device_key: KIOSK,
            recruiter: None,
        },
        pull: None,
        declared_journal: None,
    }
}

#[test]
fn the_command_verifies_a_stored_chain_and_names_the_entry_edited_in_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = dir.path().join("relay.toml");
    // Relative to the config file's directory.
    std::fs::write(&config, "data_dir = \"data\"\n").expect("writes");

    let head = {
        let store = SqliteStore::open(&data.join("relay.sqlite3")).expect("store");
        // The log key a relay's first start makes and binds: a store whose log has leaves
        // is refused without it.
        kiosk_sync_server::transparency::checkpoint::load_for_store(&data, None, &store, false)
            .expect("binds the log key");
        enroll(&store, KIOSK, EnrolledRole::Kiosk);
        enroll(&store, STAFF_TABLET, EnrolledRole::Staff);
        // A read of a registration the relay does not hold logs nothing.
        let reader = Accessor::Operator("hr-officer".into());
        assert!(
            store
                .read_registration(&doc_id(99), &reader, PULLED_AT)
                .expect("reads")
                .is_none()
        );
        store.ingest(&captures()).expect("stores");
        // A staff tablet's first pull: three registrations, logged with the request.
        let pulled = IngestBatch {
            device_key: STAFF_TABLET,
            seq: 1,
            received_at: PULLED_AT,
            items: Vec::new(),
            accessor: Accessor::Device {
                device_key: STAFF_TABLET,
                recruiter: Some(RECRUITER.into()),
            },
            pull: Some(PullQuery {
                scope: PullScope {
                    device_key: STAFF_TABLET,
                    event_id: EVENT.into(),
                    role: EnrolledRole::Staff,
                },
                after_seq: 0,
                max_changes: 100,
            }),
            declared_journal: None,
        };
        assert!(matches!(
            store.ingest(&pulled).expect("ingests"),
            IngestOutcome::Committed { .. }
        ));
        let verdict = store.verify_access_log().expect("verifies");
        assert_eq!((verdict.entries, verdict.broken_at), (3, None));
        verdict.head
    };

    let intact = run_with_config(&config, &["verify-access-log"]);
    assert!(intact.status.success(), "{}", text(&intact.stderr));
    assert_eq!(
        text(&intact.stdout),
        format!(
            "access log: 3 entries, head {}, chain intact",
            hex::encode(head)
        )
    );

    let listed = run_with_config(&config, &["access-log", "--after", "1", "--limit", "1"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let listed = text(&listed.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    for part in [
        "2  ",
        "2023-11-14 22:13 UTC",
        &hex::encode(STAFF_TABLET)[..16],
        RECRUITER,
        "pull",
        &doc_id(2),
    ] {
        assert!(listed.contains(part), "{part} missing from {listed}");
    }

    // A signed checkpoint, kept outside the database, holds while the log is intact.
    let checkpoint = dir.path().join("kept-elsewhere").join("log.checkpoint");
    let signed = run_with_config(
        &config,
        &[
            "access-log-checkpoint",
            "--to",
            checkpoint.to_str().expect("utf-8"),
        ],
    );
    assert!(signed.status.success(), "{}", text(&signed.stderr));
    assert!(text(&signed.stdout).contains("checkpoint of 3 entries"));
    let again = run_with_config(
        &config,
        &[
            "access-log-checkpoint",
            "--to",
            checkpoint.to_str().expect("utf-8"),
        ],
    );
    assert!(
        !again.status.success(),
        "a checkpoint file is never overwritten"
    );
    let held = run_with_config(
        &config,
        &[
            "verify-access-log",
            "--checkpoint",
            checkpoint.to_str().expect("utf-8"),
        ],
    );
    assert!(held.status.success(), "{}", text(&held.stderr));
    assert!(
        text(&held.stdout).contains("still has its 3 entries"),
        "{}",
        text(&held.stdout)
    );

    // A hand with write access to the file drops the trigger and edits the middle entry.
    let conn = rusqlite::Connection::open(data.join("relay.sqlite3")).expect("opens");
    conn.execute_batch(
        "DROP TRIGGER access_log_no_update;
         UPDATE access_log SET doc_id = 'someone else' WHERE seq = 2;",
    )
    .expect("tampers");
    drop(conn);
    let broken = run_with_config(&config, &["verify-access-log"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(text(&broken.stdout).is_empty(), "{}", text(&broken.stdout));
    assert!(
        text(&broken.stderr).contains("access log: chain broken at entry 2 of 3"),
        "{}",
        text(&broken.stderr)
    );
}

//! The relay schema's versions: an unversioned store (the last build before versions, kept
//! as a fixture, and an older one) upgraded by `open` equals a fresh store and keeps its
//! rows; a newer or foreign file is refused untouched; opening a current store writes nothing.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::Connection;

use super::{APPLICATION_ID, CURRENT_VERSION};
use crate::storage::prelude::*;
use crate::storage::{LifecycleEntry, LifecycleJournal};
use crate::storage::{SqliteStore, StorageError};

/// sqlite_master of a new store as the last unversioned build (e67fde6) made it.
const UNVERSIONED: &str = include_str!("../schema_unversioned.sql");

/// An unversioned store as e67fde6 left a new file: its schema, and its relay_state row.
fn unversioned_store(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("opens");
    conn.execute_batch(UNVERSIONED).expect("the old schema");
    conn.execute(
        "INSERT INTO relay_state (id, epoch, commit_seq) VALUES (1, ?1, 41)",
        [[7u8; 16].as_slice()],
    )
    .expect("relay state");
    conn
}

/// Every table (columns, foreign keys, strictness), index and trigger, normalised so that
/// the same object reads the same however it came to be (created whole, or altered).
fn shape(path: &Path) -> BTreeMap<String, String> {
    let conn = Connection::open(path).expect("opens");
    let mut shape = BTreeMap::new();
    let objects: Vec<(String, String, Option<String>)> = conn
        .prepare(
            "SELECT type, name, sql FROM sqlite_master
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
        )
        .expect("prepares")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("reads")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (kind, name, sql) in objects {
        let described = if kind == "table" {
            let columns: Vec<String> = conn
                .prepare(
                    "SELECT cid, name, type, \"notnull\", dflt_value, pk
                     FROM pragma_table_info(?1) ORDER BY cid",
                )
                .expect("prepares")
                .query_map([&name], |r| {
                    Ok(format!(
                        "{} {} {} notnull={} default={:?} pk={}",
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, i64>(5)?
                    ))
                })
                .expect("reads")
                .collect::<Result<_, _>>()
                .expect("columns");
            let keys: Vec<String> = conn
                .prepare(
                    "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?1)
                     ORDER BY \"from\"",
                )
                .expect("prepares")
                .query_map([&name], |r| {
                    Ok(format!(
                        "{} -> {}({:?})",
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?
                    ))
                })
                .expect("reads")
                .collect::<Result<_, _>>()
                .expect("keys");
            let strict: bool = conn
                .query_row(
                    "SELECT strict FROM pragma_table_list WHERE name = ?1",
                    [&name],
                    |r| r.get(0),
                )
                .expect("table list");
            format!(
                "{}\nforeign keys: {}\nstrict: {strict}",
                columns.join("\n"),
                keys.join(", ")
            )
        } else {
            // Indexes and triggers by their text, with its layout taken out.
            sql.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        };
        shape.insert(format!("{kind} {name}"), described);
    }
    shape
}

/// Asserts that two stores have the same shape, naming only the objects that differ.
fn same_shape(upgraded: &Path, fresh: &Path) {
    let (upgraded, fresh) = (shape(upgraded), shape(fresh));
    let differing: Vec<String> = upgraded
        .keys()
        .chain(fresh.keys())
        .filter(|key| upgraded.get(*key) != fresh.get(*key))
        .map(|key| {
            format!(
                "{key}:\n  upgraded: {:?}\n  fresh:    {:?}",
                upgraded.get(key),
                fresh.get(key)
            )
        })
        .collect();
    assert!(differing.is_empty(), "{}", differing.join("\n"));
}

fn header(path: &Path) -> (u32, u32) {
    let conn = Connection::open(path).expect("opens");
    let version = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    let application = conn
        .pragma_query_value(None, "application_id", |r| r.get::<_, i64>(0))
        .expect("application id") as u32;
    (version, application)
}

fn fresh(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("fresh.sqlite3");
    drop(SqliteStore::open(&path).expect("a fresh store"));
    path
}

#[test]
fn the_fixture_is_the_schema_of_the_last_unversioned_build() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = dir.path().join("old.sqlite3");
    drop(unversioned_store(&old));
    let shape = shape(&old);
    assert_eq!(header(&old), (0, 0), "unversioned, unmarked");
    // The three columns the old probes added, present as the old build left them.
    for column in ["created_by", "disabled_at"] {
        assert!(shape["table hr_users"].contains(column), "{column}");
    }
    assert!(shape["table devices"].contains("declared_journal"));
    assert!(shape["table talent_pool_withdrawals"].contains("commit_seq"));
    assert!(shape["trigger access_log_no_delete"].contains("access_log_horizon"));
}

#[test]
fn an_unversioned_store_upgraded_by_open_equals_a_fresh_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = fresh(dir.path());
    let old = dir.path().join("old.sqlite3");
    drop(unversioned_store(&old));
    assert_eq!(header(&old), (0, 0));

    drop(SqliteStore::open(&old).expect("upgrades"));

    same_shape(&old, &fresh);
    assert_eq!(header(&old), (CURRENT_VERSION, APPLICATION_ID));
    assert_eq!(header(&fresh), (CURRENT_VERSION, APPLICATION_ID));
}

/// An unversioned store from a build before the probed columns, the access log's horizon,
/// the covering indexes, the change log's capture rows and the numbered withdrawals.
fn older_unversioned_store(path: &Path) {
    let older = UNVERSIONED
        .replace(
            "    -- The admin who created the user; NULL for the command line, the demo and users\n    -- created before the relay recorded it. Added to older stores by `create_schema`.\n    created_by            INTEGER REFERENCES hr_users (id),\n    -- When the user was disabled (NULL: enabled). Added to older stores by `create_schema`.\n    disabled_at           INTEGER\n",
            "",
        )
        .replace("    created_at            INTEGER NOT NULL,\n", "    created_at            INTEGER NOT NULL\n")
        .replace(", declared_journal INTEGER", "")
        .replace(", commit_seq INTEGER", "")
        .replace(
            "CREATE INDEX talent_pool_withdrawals_by_commit\n         ON talent_pool_withdrawals (commit_seq);\n",
            "",
        );
    assert_eq!(
        older.matches("created_by").count(),
        0,
        "fixture as expected"
    );
    let conn = Connection::open(path).expect("opens");
    conn.execute_batch(&older).expect("the older schema");
    conn.execute_batch(
        "DROP TRIGGER access_log_horizon_is_set_once;
         DROP TRIGGER access_log_horizon_only_moves_forward;
         DROP TRIGGER access_log_horizon_is_kept;
         DROP TABLE access_log_horizon;
         DROP TRIGGER access_log_no_delete;
         CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
         BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
         DROP INDEX access_log_by_operator;
         CREATE INDEX access_log_by_actor ON access_log (actor, seq);
         DROP INDEX registration_index_list_by_time;
         DROP INDEX registration_index_list_by_event;
         CREATE INDEX registration_index_by_time ON registration_index (captured_at);
         CREATE INDEX registration_index_by_event ON registration_index (event_id);
         DROP TABLE staff_unlocks;
         DROP TABLE quarantine_reviews;
         INSERT INTO relay_state (id, epoch, commit_seq) VALUES (1, zeroblob(16), 9);
         INSERT INTO registrations (doc_id, event_id, device_key, document, change_hashes,
                                    capture_signature, receipt_code, restricted, received_at)
         VALUES ('older-record', 'demo-event', zeroblob(32), x'00', randomblob(32),
                 zeroblob(64), 'R-OLD', 0, 5);
         INSERT INTO talent_pool_withdrawals (doc_id, withdrawn_at, recorded_by)
         VALUES ('older-record', 6, 'hr:arvid');",
    )
    .expect("an older build's file");
}

#[test]
fn an_older_unversioned_store_is_completed_to_a_fresh_ones_schema_and_its_rows_numbered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = fresh(dir.path());
    let old = dir.path().join("older.sqlite3");
    older_unversioned_store(&old);

    assert_ne!(shape(&old), shape(&fresh), "an older file than the fixture");

    drop(SqliteStore::open(&old).expect("upgrades"));

    same_shape(&old, &fresh);
    let conn = Connection::open(&old).expect("opens");
    let (commit_seq, withdrawal, change_rows): (i64, Option<i64>, i64) = conn
        .query_row(
            "SELECT (SELECT commit_seq FROM relay_state),
                    (SELECT commit_seq FROM talent_pool_withdrawals),
                    (SELECT count(*) FROM registration_changes WHERE doc_id = 'older-record')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("reads");
    assert_eq!(
        commit_seq, 10,
        "one new number for the unnumbered withdrawals"
    );
    assert_eq!(withdrawal, Some(10), "pulled past every cursor");
    assert_eq!(
        change_rows, 1,
        "the capture's change row, for retries and pulls"
    );
}

#[test]
fn a_store_written_by_a_newer_relay_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fresh(dir.path());
    Connection::open(&path)
        .and_then(|c| c.pragma_update(None, "user_version", CURRENT_VERSION + 1))
        .expect("a newer relay's version");
    let before = std::fs::read(&path).expect("reads");

    let error = SqliteStore::open(&path).expect_err("refused");

    assert!(
        matches!(
            error,
            StorageError::NewerSchema { found, supported, .. }
                if found == CURRENT_VERSION + 1 && supported == CURRENT_VERSION
        ),
        "{error:?}"
    );
    let told = error.to_string();
    assert!(
        told.contains(&format!("version {}", CURRENT_VERSION + 1))
            && told.contains(&format!("up to {CURRENT_VERSION}"))
            && told.contains("fresh.sqlite3"),
        "{told}"
    );
    assert_eq!(
        std::fs::read(&path).expect("reads"),
        before,
        "not a byte written"
    );
}

#[test]
fn another_applications_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let notes = dir.path().join("notes.sqlite3");
    Connection::open(&notes)
        .and_then(|c| c.execute_batch("CREATE TABLE notes (text TEXT)"))
        .expect("another application's database");
    let device_store = dir.path().join("device.sqlite3");
    Connection::open(&device_store)
        .and_then(|c| {
            c.execute_batch("CREATE TABLE meta (key TEXT)")?;
            c.pragma_update(None, "application_id", 0x4B49_4F53)?;
            c.pragma_update(None, "user_version", 5)
        })
        .expect("a device store");
    for path in [notes, device_store] {
        let before = std::fs::read(&path).expect("reads");
        let error = SqliteStore::open(&path).expect_err("refused");
        assert!(
            matches!(error, StorageError::NotARelayStore { .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("not a Kiosk relay store"),
            "{error}"
        );
        assert_eq!(std::fs::read(&path).expect("reads"), before);
    }
}

#[test]
fn opening_a_current_store_again_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fresh(dir.path());
    let shape_before = shape(&path);
    let bytes_before = std::fs::read(&path).expect("reads");

    drop(SqliteStore::open(&path).expect("opens again"));

    assert_eq!(shape(&path), shape_before);
    assert_eq!(
        std::fs::read(&path).expect("reads"),
        bytes_before,
        "not a byte written"
    );
    assert_eq!(header(&path), (CURRENT_VERSION, APPLICATION_ID));
}

#[test]
fn a_step_another_process_took_meanwhile_is_not_taken_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.sqlite3");
    drop(unversioned_store(&path));
    // This connection read the version before another process upgraded the file.
    let mut late = Connection::open(&path).expect("opens");
    let found = super::stored_version(&late, "old").expect("reads");
    assert_eq!(found, 0);
    drop(SqliteStore::open(&path).expect("the other process upgrades"));
    let schema_cookie = |conn: &Connection| -> i64 {
        conn.pragma_query_value(None, "schema_version", |r| r.get(0))
            .expect("reads")
    };
    let before = schema_cookie(&late);

    super::upgrade_from(&mut late, "old", found, CURRENT_VERSION).expect("nothing left to do");

    assert_eq!(schema_cookie(&late), before, "no step ran again");
    assert_eq!(header(&path), (CURRENT_VERSION, APPLICATION_ID));
}

#[test]
fn the_rows_of_an_unversioned_store_survive_its_upgrade() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.sqlite3");
    let conn = unversioned_store(&path);
    conn.execute_batch(
        "INSERT INTO devices (device_key, event_id, role, recruiter, enrolled_with,
                              certified_at, expires_at, last_seq, chain_count, chain_head,
                              declared_journal)
         VALUES (x'0101010101010101010101010101010101010101010101010101010101010101',
                 'demo-event', 'staff', 'arvid', zeroblob(32), 10, 99999, 3, 3, zeroblob(32), 3);
         INSERT INTO registrations (doc_id, event_id, device_key, document, change_hashes,
                                    capture_signature, receipt_code, restricted, received_at)
         VALUES ('kept-record', 'demo-event',
                 x'0101010101010101010101010101010101010101010101010101010101010101',
                 x'C0FFEE', randomblob(32), zeroblob(64), 'R-KEPT', 0, 20);
         INSERT INTO registration_changes (doc_id, hash, event_id, commit_seq, actor,
                                           restricted, change)
         SELECT doc_id, change_hashes, event_id, 40, device_key, 0, NULL FROM registrations;
         INSERT INTO removals (doc_id, event_id, device_key, restricted, removed_at,
                               commit_seq, reason)
         VALUES ('removed-record', 'demo-event', zeroblob(32), 0, 30, 41, 'operator: test');
         INSERT INTO legal_holds (doc_id, reason, set_by, set_at)
         VALUES ('kept-record', 'dispute', 'hr:arkivarie', 25);
         INSERT INTO hr_users (username, display_name, roles, password_salt, password_hash,
                               password_memory_kib, password_passes, must_change_password,
                               created_at, disabled_at)
         VALUES ('arvid', 'Arvid', 'recruiter', zeroblob(16), zeroblob(32), 19456, 2, 0, 1, 7);",
    )
    .expect("rows in the old schema");
    drop(conn);

    let store = SqliteStore::open(&path).expect("upgrades");

    let device = store.device(&[1; 32]).expect("reads").expect("kept");
    assert_eq!(
        (
            device.event_id.as_str(),
            device.recruiter.as_deref(),
            device.last_seq
        ),
        ("demo-event", Some("arvid"), 3)
    );
    assert_eq!(store.counts().expect("counts").registrations, 1);
    assert_eq!(
        store.registration_document("kept-record").expect("reads"),
        Some(vec![0xC0, 0xFF, 0xEE])
    );
    assert_eq!(
        store.receipt_code("kept-record").expect("reads").as_deref(),
        Some("R-KEPT")
    );
    assert_eq!(
        store
            .removal("removed-record")
            .expect("reads")
            .map(|r| r.reason),
        Some("operator: test".to_owned())
    );
    let holds = store.legal_holds().expect("reads");
    assert_eq!(holds.len(), 1);
    assert_eq!(
        (holds[0].doc_id.as_str(), holds[0].set_by.as_str()),
        ("kept-record", "hr:arkivarie")
    );
    let (user, _) = store
        .hr_user_by_username("arvid")
        .expect("reads")
        .expect("kept");
    assert!(user.disabled, "disabled before the upgrade, disabled after");
    let state = store.backup_state().expect("reads");
    assert_eq!(
        state.epoch, [7; 16],
        "the epoch is the store's, not a new one"
    );
    let conn = Connection::open(&path).expect("opens");
    let commit_seq: i64 = conn
        .query_row("SELECT commit_seq FROM relay_state", [], |r| r.get(0))
        .expect("reads");
    assert_eq!(commit_seq, 41, "no commit number taken by the upgrade");
}

#[test]
fn a_backup_from_before_versions_is_upgraded_when_restored_and_the_journal_replayed_onto_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = fresh(dir.path());
    let backup = dir.path().join("old.backup");
    let conn = unversioned_store(&backup);
    conn.execute_batch(
        "INSERT INTO registrations (doc_id, event_id, device_key, document, change_hashes,
                                    capture_signature, receipt_code, restricted, received_at)
         VALUES ('kept-record', 'demo-event', zeroblob(32), x'C0FFEE', randomblob(32),
                 zeroblob(64), 'R-KEPT', 0, 20);",
    )
    .expect("a record");
    drop(conn);
    let backup_bytes = std::fs::read(&backup).expect("reads");
    let database = dir.path().join("relay.sqlite3");
    // A withdrawal made after the backup, in the journal beside the database.
    LifecycleJournal::for_database(&database)
        .append(&[LifecycleEntry::Withdrawal {
            doc_id: "kept-record".into(),
            at: 50,
            by: "hr:arvid".into(),
        }])
        .expect("journalled");

    let report = SqliteStore::restore(&backup, &database, 100).expect("restores");

    assert_eq!(report.replayed.withdrawals, 1);
    assert_eq!(header(&database), (CURRENT_VERSION, APPLICATION_ID));
    same_shape(&database, &fresh);
    let conn = Connection::open(&database).expect("opens");
    let (withdrawal, last): (Option<i64>, i64) = conn
        .query_row(
            "SELECT (SELECT commit_seq FROM talent_pool_withdrawals),
                    (SELECT commit_seq FROM relay_state)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("reads");
    assert_eq!(withdrawal, Some(last), "numbered, so staff tablets pull it");
    assert!(last > 41, "past every commit the backup held");
    drop(conn);
    let store = SqliteStore::open(&database).expect("opens");
    assert_eq!(store.counts().expect("counts").registrations, 1);
    assert_eq!(
        std::fs::read(&backup).expect("reads"),
        backup_bytes,
        "the backup untouched"
    );
}

#[test]
fn a_backup_from_a_newer_relay_is_refused_before_anything_is_put_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backup = fresh(dir.path());
    Connection::open(&backup)
        .and_then(|c| {
            c.pragma_update(None, "journal_mode", "DELETE")?;
            c.pragma_update(None, "user_version", CURRENT_VERSION + 1)
        })
        .expect("a newer relay's backup");
    let backup_bytes = std::fs::read(&backup).expect("reads");
    let database = dir.path().join("relay.sqlite3");

    let planned = SqliteStore::plan_restore(&backup, &database).expect_err("refused");
    let restored = SqliteStore::restore(&backup, &database, 100).expect_err("refused");

    for error in [planned, restored] {
        assert!(
            matches!(
                error,
                StorageError::NewerSchema { found, supported, .. }
                    if found == CURRENT_VERSION + 1 && supported == CURRENT_VERSION
            ),
            "{error:?}"
        );
    }
    assert!(!database.exists(), "nothing put in place");
    assert_eq!(std::fs::read(&backup).expect("reads"), backup_bytes);
}

#[test]
fn a_restore_over_a_newer_relays_store_is_refused_and_touches_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backup = fresh(dir.path());
    Connection::open(&backup)
        .and_then(|c| c.pragma_update(None, "journal_mode", "DELETE"))
        .expect("a backup of this relay");
    let database = dir.path().join("relay.sqlite3");
    drop(SqliteStore::open(&database).expect("the live store"));
    Connection::open(&database)
        .and_then(|c| c.pragma_update(None, "user_version", CURRENT_VERSION + 1))
        .expect("written by a newer relay since");
    let before = std::fs::read(&database).expect("reads");

    let error = SqliteStore::restore(&backup, &database, 100).expect_err("refused");

    assert!(
        matches!(&error, StorageError::NewerSchema { path, .. } if path.ends_with("relay.sqlite3")),
        "{error:?}"
    );
    assert_eq!(
        std::fs::read(&database).expect("reads"),
        before,
        "left in place"
    );
}

/// A store the previous version (8) wrote, with an enrolled tablet and an unused code, is
/// brought to the current version: both keep their rows, have no name, and a name can then
/// be given; the upgraded store has a fresh one's shape.
#[test]
fn a_version_8_store_is_upgraded_to_name_its_tablets_and_keeps_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v8.sqlite3");
    let mut conn = Connection::open(&path).expect("opens");
    super::upgrade_from(&mut conn, "v8", 0, 8).expect("version 8");
    conn.execute_batch(
        "INSERT INTO devices (device_key, event_id, role, recruiter, enrolled_with,
                              certified_at, expires_at, last_seq, chain_count, chain_head)
         VALUES (x'0202020202020202020202020202020202020202020202020202020202020202',
                 'demo-event', 'kiosk', NULL, zeroblob(32), 10, 99999, 4, 0, zeroblob(32));
         INSERT INTO enrollment_codes (lookup, answer_secret, event_id, role, recruiter,
                                       expires_at, max_uses, created_at)
         VALUES (zeroblob(32), zeroblob(32), 'demo-event', 'kiosk', NULL, 99999, 1, 5);",
    )
    .expect("rows in the version 8 schema");
    drop(conn);
    assert_eq!(header(&path).0, 8);

    let store = SqliteStore::open(&path).expect("upgrades");

    assert_eq!(header(&path), (CURRENT_VERSION, APPLICATION_ID));
    let device = store.device(&[2; 32]).expect("reads").expect("kept");
    assert_eq!((device.last_seq, device.name), (4, None));
    assert!(
        store
            .rename_device(&[2; 32], Some("Kiosk 1, Göteborg"))
            .expect("renames")
    );
    let device = store.device(&[2; 32]).expect("reads").expect("kept");
    assert_eq!(device.name.as_deref(), Some("Kiosk 1, Göteborg"));
    drop(store);
    same_shape(&path, &fresh(dir.path()));
}

/// A store at version 17 holds a record's leaves in the index on the whole commitment;
/// upgraded, the leaves are found through the index on its first 8 bytes, which replaced
/// it (built from the leaves held), and the store has a fresh one's shape.
#[test]
fn a_version_17_stores_leaves_are_found_by_record_after_the_index_is_keyed_by_a_prefix() {
    use crate::transparency::leaf::{Leaf, LeafKind};

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v17.sqlite3");
    let mut conn = Connection::open(&path).expect("opens");
    super::upgrade_from(&mut conn, "v17", 0, 17).expect("version 17");
    let leaf = |record: [u8; 32]| Leaf {
        kind: LeafKind::Capture,
        record,
        subject: [3; 32],
        author: [4; 32],
        accepted_at: 5,
    };
    let tx = conn.transaction().expect("begins");
    crate::storage::sqlite::tlog::append(&tx, &[leaf([1; 32]), leaf([2; 32]), leaf([1; 32])])
        .expect("appends");
    tx.commit().expect("commits");
    drop(conn);
    assert_eq!(header(&path).0, 17);

    let store = SqliteStore::open(&path).expect("upgrades");

    assert_eq!(header(&path), (CURRENT_VERSION, APPLICATION_ID));
    let found: Vec<u64> = store
        .log_leaves_of_record(&[1; 32], 0, 10)
        .expect("reads")
        .into_iter()
        .map(|(index, _)| index)
        .collect();
    assert_eq!(found, [0, 2]);
    drop(store);
    let indexes: Vec<String> = Connection::open(&path)
        .expect("opens")
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tlog_leaves'")
        .expect("prepares")
        .query_map([], |r| r.get(0))
        .expect("reads")
        .collect::<Result<_, _>>()
        .expect("names");
    assert_eq!(indexes, ["tlog_leaves_by_record_prefix"]);
    same_shape(&path, &fresh(dir.path()));
}

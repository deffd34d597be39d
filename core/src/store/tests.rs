use super::*;
use crate::ids::{RegistrationId, Timestamp};
use crate::journal::{JournalHead, verify_chain};

fn id(n: u8) -> RegistrationId {
    RegistrationId::from_parts(Timestamp(1_773_310_000_000 + i64::from(n)), [n; 10])
}

fn capture(store: &mut DeviceStore, n: u8) -> RegistrationId {
    let doc_id = id(n);
    let entry = store
        .journal_head()
        .expect("head")
        .next(&doc_id, vec![[n; 32]]);
    store
        .insert_capture(&entry, &[0xAB, n], Timestamp(1_773_310_000_000))
        .expect("inserts");
    doc_id
}

fn file_digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("readable")
}

#[test]
fn a_new_store_is_marked_as_ours_at_the_current_version_in_wal_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.sqlite3");
    let (store, created) = DeviceStore::open_or_create(&path).expect("creates");
    assert!(created);
    assert_eq!(
        store.schema_version().expect("version"),
        schema::CURRENT_VERSION
    );
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    let synchronous: i64 = store
        .conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .expect("synchronous");
    assert_eq!(synchronous, 2, "FULL");
    drop(store);
    let (_, created) = DeviceStore::open_or_create(&path).expect("opens");
    assert!(!created);
}

#[test]
fn a_non_sqlite_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "Inköpslista: mjölk, bröd, kaffe\n".repeat(100)).expect("writes");
    let before = file_digest(&path);
    let error = DeviceStore::open_or_create(&path).expect_err("refused");
    assert!(matches!(error, StoreError::NotSqlite { .. }), "{error}");
    assert_eq!(file_digest(&path), before);
}

#[test]
fn another_applications_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.sqlite3");
    let other = Connection::open(&path).expect("opens");
    other
        .execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');")
        .expect("writes");
    drop(other);
    let before = file_digest(&path);
    let error = DeviceStore::open_or_create(&path).expect_err("refused");
    assert!(matches!(error, StoreError::Foreign { .. }), "{error}");
    assert_eq!(file_digest(&path), before);
}

#[test]
fn a_truncated_store_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.sqlite3");
    let (mut store, _) = DeviceStore::open_or_create(&path).expect("creates");
    for n in 0..200 {
        capture(&mut store, n);
    }
    store.checkpoint().expect("checkpoint");
    drop(store);
    let whole = std::fs::read(&path).expect("readable");
    for cut in [whole.len() / 2, whole.len() - 4096, whole.len() - 1, 50] {
        std::fs::write(&path, &whole[..cut]).expect("writes");
        let error = DeviceStore::open_or_create(&path).expect_err("refused");
        assert!(
            matches!(error, StoreError::Truncated { .. }),
            "cut at {cut}: {error}"
        );
        assert_eq!(
            std::fs::read(&path).expect("readable").len(),
            cut,
            "untouched"
        );
    }
}

#[test]
fn a_store_with_damaged_pages_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.sqlite3");
    let (mut store, _) = DeviceStore::open_or_create(&path).expect("creates");
    for n in 0..100 {
        capture(&mut store, n);
    }
    store.checkpoint().expect("checkpoint");
    drop(store);
    let mut bytes = std::fs::read(&path).expect("readable");
    // Scribble over the second page (a b-tree page), keeping the header intact.
    for byte in &mut bytes[4096..4096 + 64] {
        *byte = 0xFF;
    }
    std::fs::write(&path, &bytes).expect("writes");
    let error = DeviceStore::open_or_create(&path).expect_err("refused");
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    assert_eq!(std::fs::read(&path).expect("readable"), bytes, "untouched");
}

#[test]
fn a_store_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.sqlite3");
    let (store, _) = DeviceStore::open_or_create(&path).expect("creates");
    store
        .conn
        .pragma_update(None, "user_version", schema::CURRENT_VERSION + 1)
        .expect("sets");
    drop(store);
    let error = DeviceStore::open_existing(&path).expect_err("refused");
    assert!(
        matches!(error, StoreError::NewerSchema { found, .. } if found == schema::CURRENT_VERSION + 1)
    );
}

fn schema_of(store: &DeviceStore) -> Vec<(String, String)> {
    let mut statement = store
        .conn
        .prepare(
            "SELECT m.name, group_concat(p.name || ' ' || p.type || ' ' || p.\"notnull\", ', ')
             FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' GROUP BY m.name ORDER BY m.name",
        )
        .expect("prepares");
    let rows = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("queries");
    let mut schema: Vec<(String, String)> = rows.map(|r| r.expect("row")).collect();
    let mut indexes = store
        .conn
        .prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' ORDER BY name")
        .expect("prepares");
    let index_rows = indexes
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("queries");
    schema.extend(index_rows.map(|r| r.expect("row")));
    schema
}

#[test]
fn a_version_1_store_upgrades_to_the_fresh_schema_and_keeps_its_captures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old_path = dir.path().join("old.sqlite3");
    let old = DeviceStore::create_at_version(&old_path, 1).expect("creates v1");
    let mut head = JournalHead::EMPTY;
    for n in 0..5 {
        let entry = head.next(&id(n), vec![[n; 32]]);
        old.conn
            .execute(
                "INSERT INTO journal (seq, doc_id, change_hashes, previous, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![entry.seq as i64, entry.doc_id.as_str(), [n; 32].as_slice(), entry.previous.as_slice(), entry.hash.as_slice()],
            )
            .expect("v1 journal row");
        old.conn
            .execute(
                "INSERT INTO sealed_documents (doc_id, sealed, state, captured_at) VALUES (?1, x'00', 'captured', 7)",
                [entry.doc_id.as_str()],
            )
            .expect("v1 document row");
        head = JournalHead {
            count: entry.seq,
            head: entry.hash,
        };
    }
    drop(old);

    let upgraded = DeviceStore::open_existing(&old_path).expect("upgrades");
    assert_eq!(
        upgraded.schema_version().expect("version"),
        schema::CURRENT_VERSION
    );
    let fresh_path = dir.path().join("fresh.sqlite3");
    let (fresh, _) = DeviceStore::open_or_create(&fresh_path).expect("creates");
    assert_eq!(schema_of(&upgraded), schema_of(&fresh));
    assert_eq!(
        verify_chain(&upgraded.journal_entries().expect("entries")),
        Ok(head)
    );
    assert_eq!(upgraded.state_counts().expect("counts").captured, 5);
}

#[test]
fn documents_only_move_forward_and_erasure_drops_the_sealed_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut store, _) =
        DeviceStore::open_or_create(&dir.path().join("d.sqlite3")).expect("creates");
    let a = capture(&mut store, 1);
    let b = capture(&mut store, 2);
    let at = Timestamp(1_773_320_000_000);
    store
        .set_states(&[a.clone(), b.clone()], DocumentState::Sent, at)
        .expect("sent");
    store
        .set_states(std::slice::from_ref(&a), DocumentState::Received, at)
        .expect("received");
    let refused = store.set_states(&[a.clone(), b.clone()], DocumentState::Deleted, at);
    assert!(matches!(
        refused,
        Err(StoreError::InvalidTransition { from: "sent", .. })
    ));
    assert_eq!(
        store.document_state(&a).expect("state"),
        Some(DocumentState::Received),
        "nothing half-applied"
    );
    store
        .set_states(std::slice::from_ref(&a), DocumentState::Deleted, at)
        .expect("deleted");
    assert!(
        store
            .sealed_documents(DocumentState::Deleted, 10)
            .expect("list")
            .is_empty()
    );
    let back = store.set_states(std::slice::from_ref(&a), DocumentState::Captured, at);
    assert!(matches!(back, Err(StoreError::InvalidTransition { .. })));
    let unknown = store.set_states(&[id(99)], DocumentState::Sent, at);
    assert!(matches!(unknown, Err(StoreError::UnknownDocument { .. })));
    assert_eq!(
        store.state_counts().expect("counts"),
        StateCounts {
            captured: 0,
            sent: 1,
            received: 0,
            deleted: 1
        }
    );
}

#[test]
fn a_creation_that_died_half_way_leaves_nothing_in_the_way() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.sqlite3");
    let leftover = dir.path().join("device.sqlite3.creating");
    std::fs::write(&leftover, b"SQLite format 3\0 half a header").expect("writes");
    let (store, created) = DeviceStore::open_or_create(&path).expect("creates");
    assert!(created);
    assert!(!leftover.exists(), "the leftover is cleared");
    assert_eq!(
        store.schema_version().expect("version"),
        schema::CURRENT_VERSION
    );
}

#[test]
fn a_journal_entry_that_does_not_follow_the_head_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut store, _) =
        DeviceStore::open_or_create(&dir.path().join("d.sqlite3")).expect("creates");
    capture(&mut store, 1);
    let stale = JournalHead::EMPTY.next(&id(2), vec![[2; 32]]);
    let refused = store.insert_capture(&stale, b"x", Timestamp(0));
    assert!(matches!(
        refused,
        Err(StoreError::JournalOutOfOrder { seq: 1 })
    ));
    assert_eq!(store.journal_head().expect("head").count, 1);
    assert_eq!(
        store.state_counts().expect("counts").captured,
        1,
        "nothing half-written"
    );
}

/// A capture in one thread and sync-like writes (state moves, meta, erasure) in another,
/// each through its own connection to the same file: every capture is stored, none is
/// refused with "database is locked".
#[test]
fn captures_beside_sync_writes_on_another_connection_all_succeed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.sqlite3");
    drop(DeviceStore::open_or_create(&path).expect("creates"));
    const CAPTURES: u8 = 120;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let syncing = {
        let (path, done) = (path.clone(), done.clone());
        std::thread::spawn(move || {
            let mut store = DeviceStore::open_existing(&path).expect("opens");
            let mut rounds = 0u64;
            // Bounded, so a broken capture thread cannot hang the test.
            while !done.load(std::sync::atomic::Ordering::Relaxed) && rounds < 100_000 {
                let pending: Vec<RegistrationId> = store
                    .pending_captures(10)
                    .expect("reads pending")
                    .into_iter()
                    .map(|p| p.doc_id)
                    .collect();
                store
                    .set_states_and_meta(
                        &pending,
                        DocumentState::Sent,
                        Timestamp(1_773_310_000_000),
                        &[("sync_round", &rounds.to_le_bytes())],
                    )
                    .expect("a sync step is stored");
                rounds += 1;
            }
            rounds
        })
    };
    let mut store = DeviceStore::open_existing(&path).expect("opens");
    for n in 0..CAPTURES {
        let doc_id = id(n);
        let entry = store
            .journal_head()
            .expect("head")
            .next(&doc_id, vec![[n; 32]]);
        store
            .insert_capture(&entry, &[0xAB, n], Timestamp(1_773_310_000_000))
            .unwrap_or_else(|e| panic!("capture {n} refused beside a sync: {e}"));
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(syncing.join().expect("the sync thread ends") > 0);
    assert_eq!(
        store.journal_head().expect("head").count,
        u64::from(CAPTURES)
    );
}

/// Two processes (or threads) that open one store of an older version at once, as a capture
/// and a sync do after an update: each must find the store upgraded, never run a migration
/// the other already ran ("duplicate column name"). The version is read inside the
/// upgrade's transaction, which holds the write lock from its start.
#[test]
fn two_connections_opening_an_older_store_at_once_both_open_it_upgraded() {
    let previous = schema::CURRENT_VERSION - 1;
    for round in 0..20 {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.sqlite3");
        drop(DeviceStore::create_at_version(&path, previous).expect("creates the older store"));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let (path, barrier) = (path.clone(), std::sync::Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    DeviceStore::open_existing(&path)
                        .and_then(|store| store.schema_version())
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        for opener in openers {
            assert_eq!(
                opener.join().expect("the opening thread ends"),
                Ok(schema::CURRENT_VERSION),
                "round {round}"
            );
        }
    }
}

/// A version-5 store's pulled registration upgrades with nothing to send again; changes
/// sent again after a restore count as to send, but unlike unsent ones they keep no
/// expired copy; `set_resend` changes nothing else of a row and passes over one not held.
#[test]
fn changes_sent_again_count_as_to_send_but_keep_no_expired_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v5.sqlite3");
    let old = DeviceStore::create_at_version(&path, 5).expect("creates v5");
    for (doc_id, unsent) in [("resent", &[][..]), ("unsent", &[7u8; 32][..])] {
        old.conn
            .execute(
                "INSERT INTO pulled_registrations (doc_id, document, unsent, expires_at, updated_at)
                 VALUES (?1, x'01', ?2, 10, 0)",
                rusqlite::params![doc_id, unsent],
            )
            .expect("v5 pulled row");
    }
    drop(old);
    let mut store = DeviceStore::open_existing(&path).expect("upgrades");
    let rows = store.all_pulled().expect("reads");
    assert!(rows.iter().all(|r| r.resend.is_empty()), "{rows:?}");
    assert_eq!(store.unsent_edit_count(5).expect("counts"), 1);
    let changed = store
        .set_resend(&[
            ("resent".to_owned(), vec![[9; 32]]),
            ("not-held".to_owned(), vec![[9; 32]]),
        ])
        .expect("sets");
    assert_eq!(changed, 1);
    let row = store.pulled("resent").expect("reads").expect("held");
    assert_eq!(
        (row.resend, row.unsent, row.document, row.expires_at),
        (vec![[9; 32]], vec![], vec![1], 10)
    );
    assert_eq!(store.unsent_edit_count(9).expect("counts"), 2);
    assert_eq!(store.pulled_with_unsent(10, 9).expect("reads").len(), 2);
    // Expired: changes only sent again are not sent, nor counted; unsent ones still are.
    assert_eq!(store.unsent_edit_count(10).expect("counts"), 1);
    let expired = store.pulled_with_unsent(10, 10).expect("reads");
    assert_eq!(
        expired
            .iter()
            .map(|r| r.doc_id.as_str())
            .collect::<Vec<_>>(),
        ["unsent"]
    );
    // Re-queued after a restore even when expired: it still holds unsent changes.
    assert_eq!(
        store.unexpired_pulled_ids(10).expect("reads"),
        vec!["unsent".to_owned()]
    );
    assert_eq!(store.unexpired_pulled_ids(9).expect("reads").len(), 2);
    assert_eq!(store.erase_expired_pulled(11).expect("erases"), 1);
    assert!(store.pulled("resent").expect("reads").is_none());
    assert!(store.pulled("unsent").expect("reads").is_some());
}

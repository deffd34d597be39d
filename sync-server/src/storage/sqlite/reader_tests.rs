//! Reads beside writes in the SQLite store: a read does not wait for an open write
//! transaction (nor a write for an open read), lists find what ingest stored without
//! indexing anything themselves, every listed row is logged, and a removal committed
//! between a read and its access-log commit never leaves the relay. Threads are lined up
//! with channels, each wait bounded; nothing is timed.

use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use kiosk_core::annotations::RecordStatus;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::registration::Registration;

use super::*;

/// How long a test waits for a step another thread should take at once; reached only
/// when that thread is blocked, and then the test fails instead of hanging.
const STUCK: Duration = Duration::from_secs(60);

type BetweenReadAndLog = Box<dyn Fn(&SqliteStore) + Send + Sync>;

/// A step run between a read and its access-log commit, for tests only.
#[derive(Default)]
pub(super) struct ReadHooks {
    between: Mutex<Option<BetweenReadAndLog>>,
}

impl std::fmt::Debug for ReadHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadHooks").finish_non_exhaustive()
    }
}

impl ReadHooks {
    /// Runs the step set by [`Self::once`], once: it is taken before it runs, so a store
    /// call inside it that logs a read of its own does not run it again.
    pub(super) fn between_read_and_log(&self, store: &SqliteStore) {
        let hook = self
            .between
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(hook) = hook {
            hook(store);
        }
    }

    fn once(&self, hook: impl Fn(&SqliteStore) + Send + Sync + 'static) {
        *self.between.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(hook));
    }
}

fn file_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("opens");
    (dir, store)
}

/// A kiosk of the demo event with key `[seed; 32]`.
fn kiosk(store: &SqliteStore, seed: u8) -> ed25519_dalek::VerifyingKey {
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key();
    enroll_for_tests(
        store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    key
}

/// Stores `count` open (not restricted) generated registrations as request `seq` of
/// `kiosk`; returns them.
fn push(
    store: &SqliteStore,
    kiosk: &ed25519_dalek::VerifyingKey,
    seq: u64,
    count: usize,
) -> Vec<Registration> {
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), seq);
    let registrations: Vec<Registration> = (0..count)
        .map(|_| {
            let mut registration = generator.next_registration().expect("valid");
            registration.restricted = false;
            registration
        })
        .collect();
    let items = registrations
        .iter()
        .map(|registration| capture_for_tests(registration, kiosk))
        .collect();
    let outcome = ingest_for_tests(store, kiosk.to_bytes(), seq, 1_000, items);
    assert!(matches!(outcome, IngestOutcome::Committed { .. }));
    registrations
}

fn archivist() -> Accessor {
    Accessor::Operator("hr:arkivarie".into())
}

fn every(limit: u32) -> RegistrationFilter {
    RegistrationFilter {
        limit,
        ..RegistrationFilter::default()
    }
}

/// The ids of the access log's entries of `action`, in log order.
fn logged(store: &SqliteStore, action: AccessAction) -> Vec<String> {
    store
        .access_log_entries(0, 100_000)
        .expect("log")
        .into_iter()
        .filter(|(_, entry)| entry.action == action)
        .map(|(_, entry)| entry.doc_id)
        .collect()
}

fn ids(rows: &[RegistrationSummary]) -> Vec<String> {
    rows.iter().map(|row| row.id.clone()).collect()
}

#[test]
fn a_read_while_a_write_transaction_is_open_does_not_wait_for_it_and_sees_the_last_commit() {
    let (_dir, store) = file_store();
    let kiosk = kiosk(&store, 3);
    let stored = push(&store, &kiosk, 1, 3);
    let (held_tx, held) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let (read_tx, read) = mpsc::channel();
    let store = &store;
    let stored = &stored;
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let mut conn = store.conn();
            let tx = conn.transaction().expect("a write transaction");
            tx.execute(
                "UPDATE registrations SET receipt_code = 'UNCOMMITTED' WHERE doc_id = ?1",
                [stored[0].id.to_string()],
            )
            .expect("a write");
            held_tx.send(()).expect("told");
            // Held until the reads are done (or the test gave up on them).
            let _ = release.recv_timeout(STUCK);
            drop(tx);
        });
        held.recv_timeout(STUCK)
            .expect("the writer holds its transaction");
        let reads = scope.spawn(move || {
            let counts = store.counts();
            let code = store.receipt_code(&stored[0].id.to_string());
            let record = store.stored_registration(&stored[1].id.to_string());
            let _ = read_tx.send((counts, code, record));
        });
        let got = read.recv_timeout(STUCK);
        release_tx.send(()).expect("released");
        writer.join().expect("writer");
        reads.join().expect("reads");
        let (counts, code, record) = got.expect("the reads finished while the write was open");
        assert_eq!(counts.expect("counts").registrations, 3);
        // The reader sees the last commit, not the open transaction's write.
        assert_ne!(code.expect("code").as_deref(), Some("UNCOMMITTED"));
        assert!(record.expect("record").is_some());
    });
}

#[test]
fn ingest_does_not_wait_for_an_open_read_and_the_read_keeps_its_snapshot() {
    let (_dir, store) = file_store();
    let kiosk = kiosk(&store, 3);
    push(&store, &kiosk, 1, 2);
    let mut reader = store.reader().expect("a reader");
    let snapshot = reader
        .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)
        .expect("a read transaction");
    let count = |conn: &Connection| -> i64 {
        conn.query_row("SELECT COUNT(*) FROM registrations", [], |r| r.get(0))
            .expect("a count")
    };
    assert_eq!(count(&snapshot), 2);
    // Committed while the read is open: this thread would deadlock here were ingest to
    // wait for the reader.
    push(&store, &kiosk, 2, 4);
    assert_eq!(
        count(&snapshot),
        2,
        "an open read keeps the commit it began with"
    );
    drop(snapshot);
    drop(reader);
    assert_eq!(store.counts().expect("counts").registrations, 6);
}

#[test]
fn the_pool_serves_several_reads_at_once_and_no_more_than_its_bound() {
    let (_dir, store) = file_store();
    let held: Vec<_> = (0..read_pool::READERS)
        .map(|_| store.reader().expect("a reader"))
        .collect();
    // Every reader is taken; a write goes on regardless.
    let kiosk = kiosk(&store, 3);
    push(&store, &kiosk, 1, 1);
    let pool = store.readers.as_ref().expect("a file store has readers");
    assert_eq!(pool.open_count(), read_pool::READERS);
    drop(held);
    assert_eq!(store.counts().expect("counts").registrations, 1);
    assert_eq!(pool.open_count(), read_pool::READERS, "readers are reused");
}

#[test]
fn a_capture_is_in_the_list_index_when_its_ingest_commits_and_no_list_indexes() {
    let (_dir, store) = file_store();
    let kiosk = kiosk(&store, 3);
    let stored = push(&store, &kiosk, 1, 5);
    let (rows, watermark, commit_seq) = {
        let conn = store.conn();
        let rows: Vec<String> = conn
            .prepare("SELECT doc_id FROM registration_index ORDER BY doc_id")
            .expect("statement")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("ids");
        let watermark: i64 = conn
            .query_row(
                "SELECT watermark FROM registration_index_state WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .expect("a watermark");
        let commit_seq: i64 = conn
            .query_row("SELECT commit_seq FROM relay_state WHERE id = 1", [], |r| {
                r.get(0)
            })
            .expect("the counter");
        (rows, watermark, commit_seq)
    };
    let mut expected: Vec<String> = stored.iter().map(|r| r.id.to_string()).collect();
    expected.sort();
    assert_eq!(rows, expected, "indexed in the ingest's own commit");
    assert_eq!(watermark, commit_seq, "nothing left for a catch-up");

    // A list's read finds every row as it is; it writes nothing to the index.
    let listed = store
        .read(|conn| registration_index::list(conn, &every(50)))
        .expect("lists");
    assert_eq!(listed.len(), 5);

    // An HR edit's new status is listed from its own commit on.
    let editor = crate::storage::HrEditor {
        actor_key: ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key(),
        accessor: archivist(),
    };
    let doc_id = stored[2].id.to_string();
    store
        .apply_hr_edit(
            &doc_id,
            &crate::storage::HrEdit::SetStatus(RecordStatus::Shortlisted),
            &editor,
            2_000,
        )
        .expect("edited");
    let shortlisted = store
        .read(|conn| {
            registration_index::list(
                conn,
                &RegistrationFilter {
                    status: Some("shortlisted".into()),
                    ..every(50)
                },
            )
        })
        .expect("lists");
    assert_eq!(ids(&shortlisted), [doc_id]);
}

#[test]
fn a_store_left_with_an_unindexed_backlog_is_indexed_at_open_in_bounded_rounds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.sqlite3");
    let stored = {
        let store = SqliteStore::open(&path).expect("opens");
        let kiosk = kiosk(&store, 3);
        let mut stored = push(&store, &kiosk, 1, 3);
        stored.extend(push(&store, &kiosk, 2, 4));
        stored.extend(push(&store, &kiosk, 3, 2));
        // As a build that indexed at the first list left it: nothing indexed yet.
        store
            .conn()
            .execute_batch(
                "DELETE FROM registration_index;
                 UPDATE registration_index_state SET watermark = -1;",
            )
            .expect("unindexed");
        stored
    };
    let mut conn = Connection::open(&path).expect("opens");
    // Rounds of about two changes, whole commits each.
    let indexed = registration_index::catch_up(&mut conn, 2).expect("caught up");
    assert_eq!(indexed, 9);
    drop(conn);
    let store = SqliteStore::open(&path).expect("opens again");
    let rows = store
        .list_registrations(&every(50), &archivist(), 3_000)
        .expect("lists");
    let mut expected: Vec<String> = stored.iter().map(|r| r.id.to_string()).collect();
    expected.sort();
    let mut got = ids(&rows);
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn every_row_a_list_answers_is_in_the_access_log_and_no_other() {
    let (_dir, store) = file_store();
    let kiosk = kiosk(&store, 3);
    push(&store, &kiosk, 1, 6);
    let rows = store
        .list_registrations(&every(4), &archivist(), 3_000)
        .expect("lists");
    assert_eq!(rows.len(), 4);
    assert_eq!(logged(&store, AccessAction::List), ids(&rows));
    let restricted = store
        .restricted_registrations(None, &archivist(), 3_000, 10)
        .expect("inbox");
    assert!(restricted.is_empty());
    assert_eq!(logged(&store, AccessAction::List).len(), 4);
}

/// Removes `doc_id` from inside the step between a read and its log.
fn remove_between_read_and_log(store: &SqliteStore, doc_id: String) {
    store.read_hooks.once(move |store| {
        let outcome = store
            .remove_registration(&doc_id, "erasure", &archivist(), 2_500)
            .expect("removes");
        assert_eq!(outcome, RemovalOutcome::Removed);
    });
}

fn a_removal_between_a_list_and_its_log_does_not_leave(store: &SqliteStore) {
    let kiosk = kiosk(store, 3);
    push(store, &kiosk, 1, 6);
    let first = store
        .list_registrations(&every(6), &archivist(), 2_000)
        .expect("lists");
    let gone = first[1].id.clone();
    remove_between_read_and_log(store, gone.clone());
    let page = store
        .list_registrations(&every(4), &archivist(), 3_000)
        .expect("lists");
    assert!(!ids(&page).contains(&gone), "a removed record was answered");
    // The page is filled from past its last row: a full page still says more may follow.
    let mut expected = ids(&first);
    expected.retain(|id| *id != gone);
    expected.truncate(4);
    assert_eq!(ids(&page), expected);
    // Exactly what was answered is logged (after the first, unhooked list).
    let listed = logged(store, AccessAction::List);
    assert_eq!(listed[first.len()..], ids(&page)[..]);
    assert!(!listed[first.len()..].contains(&gone));
}

#[test]
fn a_removal_between_a_list_and_its_log_does_not_leave_a_file_store() {
    let (_dir, store) = file_store();
    a_removal_between_a_list_and_its_log_does_not_leave(&store);
}

#[test]
fn a_removal_between_a_list_and_its_log_does_not_leave_a_store_in_memory() {
    let store = SqliteStore::in_memory().expect("store");
    a_removal_between_a_list_and_its_log_does_not_leave(&store);
}

#[test]
fn a_removal_between_a_read_or_an_export_and_its_log_does_not_leave() {
    let (_dir, store) = file_store();
    let kiosk = kiosk(&store, 3);
    let stored = push(&store, &kiosk, 1, 3);
    let read_id = stored[0].id.to_string();
    remove_between_read_and_log(&store, read_id.clone());
    let read = store
        .read_registration(&read_id, &archivist(), 3_000)
        .expect("reads");
    assert!(
        read.is_none(),
        "a record removed before the log was answered"
    );
    assert!(logged(&store, AccessAction::Read).is_empty());

    let export_id = stored[1].id.to_string();
    remove_between_read_and_log(&store, export_id.clone());
    let page = store
        .export_registrations(&every(10), &archivist(), 3_000)
        .expect("exports");
    let exported: Vec<String> = page.records.iter().map(|r| r.id.clone()).collect();
    assert_eq!(exported, [stored[2].id.to_string()]);
    assert_eq!(logged(&store, AccessAction::Export), exported);
}

#[test]
fn a_removal_between_a_disclosure_and_its_log_is_answered_as_removed() {
    let (_dir, store) = file_store();
    let kiosk = kiosk(&store, 3);
    let stored = push(&store, &kiosk, 1, 2);
    let gone = stored[0].id.to_string();
    let kept = stored[1].id.to_string();
    remove_between_read_and_log(&store, gone.clone());
    let selection = crate::storage::DisclosureSelection::Records(vec![
        crate::storage::AskedRecord::Id(gone.clone()),
        crate::storage::AskedRecord::Id(kept.clone()),
    ]);
    let outcome = store
        .disclosure(&selection, true, &archivist(), 3_000)
        .expect("discloses");
    let crate::storage::DisclosureOutcome::Items(items) = outcome else {
        panic!("not too many");
    };
    assert!(matches!(
        &items[0],
        crate::storage::DisclosureItem::Removed { asked, .. } if *asked == gone
    ));
    assert!(matches!(
        &items[1],
        crate::storage::DisclosureItem::Held { record, .. } if record.doc_id == kept
    ));
    assert_eq!(logged(&store, AccessAction::Disclosure), [kept]);
}

#[test]
fn a_restricted_record_removed_between_a_disclosure_and_its_log_is_not_routed_to_the_cleared() {
    let (_dir, store) = file_store();
    let kiosk = kiosk(&store, 4);
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 9);
    let mut restricted = generator.next_registration().expect("valid");
    restricted.restricted = true;
    let mut held = generator.next_registration().expect("valid");
    held.restricted = true;
    let items = [&restricted, &held]
        .iter()
        .map(|registration| capture_for_tests(registration, &kiosk))
        .collect();
    ingest_for_tests(&store, kiosk.to_bytes(), 1, 1_000, items);
    let gone = restricted.id.to_string();
    let kept = held.id.to_string();
    remove_between_read_and_log(&store, gone.clone());
    let selection = crate::storage::DisclosureSelection::Records(vec![
        crate::storage::AskedRecord::Id(gone.clone()),
        crate::storage::AskedRecord::Id(kept.clone()),
    ]);
    store
        .disclosure(&selection, false, &archivist(), 3_000)
        .expect("discloses");
    let routed = store.restricted_requests(10).expect("reads");
    assert_eq!(routed.len(), 1, "the request still waits for the cleared");
    assert_eq!(
        routed[0].doc_ids,
        [kept],
        "naming only the record still held"
    );
}

#[test]
fn a_credential_deleted_between_its_read_and_its_use_mark_opens_nothing() {
    use crate::storage::{Credential, CredentialKind};
    let (_dir, store) = file_store();
    let user = store
        .create_hr_user(
            &crate::storage::suite::fixtures::new_user("rut", vec![Role::Recruiter], None),
            1,
        )
        .expect("stored")
        .expect("a new username");
    let secret = [7; 32];
    let session = Credential {
        kind: CredentialKind::Session,
        user_id: user,
        csrf_hash: Some([4; 32]),
        expires_at: i64::MAX,
        last_used_at: 0,
    };
    store
        .put_hr_credential(&secret, &session, None, 1)
        .expect("stored");
    // The logout commits after the reader found the session open, before its use is marked.
    store.read_hooks.once(move |store| {
        store.delete_hr_credential(&secret).expect("logged out");
    });
    let now = 10 * CREDENTIAL_USE_GRAIN_MS;
    assert!(store.hr_credential(&secret, now).expect("read").is_none());
    assert!(store.hr_credential(&secret, now).expect("read").is_none());
}

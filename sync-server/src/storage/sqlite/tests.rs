//! Group commit in the SQLite store. Groups are lined up deterministically: the test holds
//! the connection, so the first caller leads and waits for it while the others queue; the
//! queue is watched through `GroupCommit::wait_until`, no sleeps.

use std::sync::{Mutex, PoisonError};
use std::thread;

use rusqlite::Connection;

use super::*;

type BeforeApply = Box<dyn Fn(&IngestBatch) + Send + Sync>;
type BeforeCommit = Box<dyn Fn(&Connection) -> rusqlite::Result<()> + Send + Sync>;

/// Failure injection for tests only.
#[derive(Default)]
pub(super) struct Hooks {
    apply: Mutex<Option<BeforeApply>>,
    commit: Mutex<Option<BeforeCommit>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}

impl Hooks {
    /// Called inside the batch's savepoint, before its writes.
    pub(super) fn before_apply(&self, batch: &IngestBatch) {
        let hook = self.apply.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hook) = hook.as_ref() {
            hook(batch);
        }
    }

    /// Called in the group's transaction, just before COMMIT.
    pub(super) fn before_commit(&self, conn: &Connection) -> rusqlite::Result<()> {
        let hook = self.commit.lock().unwrap_or_else(PoisonError::into_inner);
        hook.as_ref().map_or(Ok(()), |hook| hook(conn))
    }
}

const EVENT: &str = "demo-event";

fn file_store() -> (tempfile::TempDir, std::path::PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.sqlite3");
    let store = SqliteStore::open(&path).expect("opens");
    (dir, path, store)
}

/// Enrolls devices `0..count`; device `n`'s key is `[n + 1; 32]`.
fn enroll(store: &SqliteStore, count: u8) -> Vec<[u8; 32]> {
    let grant = EnrollmentGrant {
        lookup: [0xee; 32],
        answer_secret: [0; 32],
        event_id: EVENT.to_owned(),
        role: EnrolledRole::Kiosk,
        recruiter: None,
        expires_at: i64::MAX,
        max_uses: 1000,
    };
    store.add_enrollment_code(&grant, 0).expect("code");
    (0..count)
        .map(|n| {
            let key = [n + 1; 32];
            store
                .redeem_enrollment_code(
                    &grant.lookup,
                    &key,
                    EnrolledRole::Kiosk,
                    &|_| true,
                    0,
                    1 << 40,
                )
                .expect("storage")
                .expect("enrolled");
            key
        })
        .collect()
}

fn doc_id(device: &[u8; 32], journal_seq: u64) -> String {
    format!("00000000-0000-4000-8000-{:04x}{journal_seq:08x}", device[0])
}

fn document(device: &[u8; 32], journal_seq: u64) -> Vec<u8> {
    format!("registration {} {journal_seq}", device[0]).into_bytes()
}

fn hashes(device: &[u8; 32], journal_seq: u64) -> Vec<[u8; 32]> {
    let mut hash = [device[0]; 32];
    hash[..8].copy_from_slice(&journal_seq.to_be_bytes());
    vec![hash]
}

/// A batch of `journal.len()` captures, each its own journal entry.
fn batch(device: &[u8; 32], seq: u64, journal: std::ops::RangeInclusive<u64>) -> IngestBatch {
    IngestBatch {
        device_key: *device,
        seq,
        received_at: 1_000 + seq as i64,
        items: journal
            .map(|j| IngestItem::Store {
                doc_id: doc_id(device, j),
                event_id: EVENT.to_owned(),
                document: document(device, j),
                change_hashes: hashes(device, j),
                capture_signature: vec![7; 64],
                receipt_code: format!("R{}-{j}", device[0]),
                restricted: false,
                journal_seq: Some(j),
            })
            .collect(),
        accessor: Accessor::Device {
            device_key: *device,
            recruiter: None,
        },
        pull: None,
        declared_journal: None,
    }
}

/// What `batch(device, _, journal)` stores, as the outcomes list it.
fn stored(device: &[u8; 32], journal: std::ops::RangeInclusive<u64>) -> Vec<PushOutcome> {
    journal
        .map(|j| PushOutcome::Stored(hashes(device, j)))
        .collect()
}

fn assert_committed(
    outcome: &StorageResult<IngestOutcome>,
    device: &[u8; 32],
    journal: std::ops::RangeInclusive<u64>,
) {
    let Ok(IngestOutcome::Committed {
        outcomes: got,
        journal: head,
        ..
    }) = outcome
    else {
        panic!("expected a commit, got {outcome:?}");
    };
    assert_eq!(*got, stored(device, journal.clone()));
    assert_eq!(head.count, *journal.end(), "the chain covers the batch");
}

/// Runs `batches` concurrently as one group, in the given queue order: the first leads
/// (and waits for the connection the test holds) while the others queue behind it.
fn ingest_as_one_group(
    store: &SqliteStore,
    batches: Vec<IngestBatch>,
) -> Vec<thread::Result<StorageResult<IngestOutcome>>> {
    let held = store.conn();
    thread::scope(|scope| {
        let mut handles = Vec::new();
        for (queued, batch) in batches.into_iter().enumerate() {
            handles.push(scope.spawn(move || store.ingest(&batch)));
            // The first becomes the leader (waiting for the connection); each next one is
            // queued before the one after it arrives, so the queue order is the given one.
            store
                .group
                .wait_until(|leading, waiting| leading && waiting == queued);
        }
        drop(held);
        handles.into_iter().map(|h| h.join()).collect()
    })
}

fn joined(result: thread::Result<StorageResult<IngestOutcome>>) -> StorageResult<IngestOutcome> {
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[test]
fn concurrent_ingests_share_one_commit_and_each_gets_its_own_outcome() {
    let (_dir, _path, store) = file_store();
    let devices = enroll(&store, 16);
    let held = store.conn();
    let results: Vec<_> = thread::scope(|scope| {
        let handles: Vec<_> = devices
            .iter()
            .map(|device| {
                let store = &store;
                scope.spawn(move || store.ingest(&batch(device, 1, 1..=10)))
            })
            .collect();
        // Nobody is told the order: one leads, fifteen queue behind it, in any order.
        store
            .group
            .wait_until(|leading, waiting| leading && waiting == 15);
        drop(held);
        handles.into_iter().map(|h| joined(h.join())).collect()
    });
    for (device, result) in devices.iter().zip(&results) {
        assert_committed(result, device, 1..=10);
    }
    let (commits, batches) = store.commit_stats();
    assert_eq!(batches, 16);
    assert!(commits < batches, "{commits} commits for {batches} batches");
    assert_eq!(commits, 1);
    assert_eq!(store.counts().expect("counts").registrations, 160);
    for device in &devices {
        assert_eq!(
            store
                .device(device)
                .expect("device")
                .expect("known")
                .last_seq,
            1
        );
        for j in 1..=10 {
            let stored = store.registration_document(&doc_id(device, j));
            assert_eq!(stored.expect("reads"), Some(document(device, j)));
        }
    }
}

#[test]
fn a_lone_ingest_commits_at_once_on_its_own() {
    let (_dir, _path, store) = file_store();
    let devices = enroll(&store, 1);
    for seq in 1..=3 {
        let journal = seq * 2 - 1..=seq * 2;
        let outcome = store.ingest(&batch(&devices[0], seq, journal.clone()));
        assert_committed(&outcome, &devices[0], journal);
        assert_eq!(store.commit_stats(), (seq, seq));
    }
}

#[test]
fn same_device_batches_in_one_group_are_checked_in_queue_order() {
    let (_dir, _path, store) = file_store();
    let devices = enroll(&store, 1);
    let device = &devices[0];
    let results = ingest_as_one_group(
        &store,
        vec![
            batch(device, 5, 1..=3),
            batch(device, 3, 4..=6),
            batch(device, 5, 4..=6),
            batch(device, 7, 4..=6),
        ],
    );
    let results: Vec<_> = results.into_iter().map(joined).collect();
    assert_committed(&results[0], device, 1..=3);
    for stale in &results[1..3] {
        assert!(
            matches!(stale, Ok(IngestOutcome::StaleSeq { last_accepted: 5 })),
            "{stale:?}"
        );
    }
    assert_committed(&results[3], device, 4..=6);
    assert_eq!(store.commit_stats(), (1, 4));
    assert_eq!(
        store
            .device(device)
            .expect("device")
            .expect("known")
            .last_seq,
        7
    );
    assert_eq!(store.counts().expect("counts").registrations, 6);
}

#[test]
fn a_failing_batch_is_undone_alone_and_the_rest_of_its_group_commits() {
    let (_dir, _path, store) = file_store();
    let devices = enroll(&store, 3);
    // A capture is inserted, then a journal entry whose document id cannot be read stops
    // the chain: the error comes after the batch has written.
    let mut failing = batch(&devices[1], 1, 1..=2);
    if let IngestItem::Store { doc_id, .. } = &mut failing.items[1] {
        *doc_id = "not a registration id".to_owned();
    }
    let results = ingest_as_one_group(
        &store,
        vec![
            batch(&devices[0], 1, 1..=2),
            failing,
            batch(&devices[2], 1, 1..=2),
        ],
    );
    let results: Vec<_> = results.into_iter().map(joined).collect();
    assert_committed(&results[0], &devices[0], 1..=2);
    assert!(
        matches!(
            results[1],
            Err(StorageError::Undecodable("journal document id"))
        ),
        "{:?}",
        results[1]
    );
    assert_committed(&results[2], &devices[2], 1..=2);
    assert_eq!(store.commit_stats(), (1, 3));

    // Nothing of the failing batch remains: not its first capture, not its sequence.
    assert_eq!(store.counts().expect("counts").registrations, 4);
    let first = store.registration_document(&doc_id(&devices[1], 1));
    assert_eq!(first.expect("reads"), None);
    let record = store.device(&devices[1]).expect("device").expect("known");
    assert_eq!(record.last_seq, 0);
    let retry = store.ingest(&batch(&devices[1], 1, 1..=2));
    assert_committed(&retry, &devices[1], 1..=2);
}

#[test]
fn a_panicking_batch_panics_its_own_caller_only_even_as_leader() {
    let (_dir, _path, store) = file_store();
    let devices = enroll(&store, 3);
    let doomed = devices[0];
    *store.hooks.apply.lock().expect("hooks") = Some(Box::new(move |batch: &IngestBatch| {
        assert!(batch.device_key != doomed, "injected failure");
    }));
    let mut results = ingest_as_one_group(
        &store,
        vec![
            batch(&devices[0], 1, 1..=2),
            batch(&devices[1], 1, 1..=2),
            batch(&devices[2], 1, 1..=2),
        ],
    )
    .into_iter();
    assert!(
        results.next().expect("leader").is_err(),
        "the leader panics"
    );
    assert_committed(&joined(results.next().expect("second")), &devices[1], 1..=2);
    assert_committed(&joined(results.next().expect("third")), &devices[2], 1..=2);
    assert_eq!(store.commit_stats(), (1, 3));
    assert_eq!(store.counts().expect("counts").registrations, 4);
    let record = store.device(&doomed).expect("device").expect("known");
    assert_eq!(record.last_seq, 0);
}

#[test]
fn a_failed_commit_fails_every_caller_of_the_group_and_stores_nothing() {
    let (_dir, _path, store) = file_store();
    let devices = enroll(&store, 3);
    // A deferred foreign key violated inside the transaction makes the COMMIT itself fail.
    store
        .conn()
        .execute_batch(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (parent INTEGER REFERENCES parent (id)
                                 DEFERRABLE INITIALLY DEFERRED);",
        )
        .expect("test tables");
    *store.hooks.commit.lock().expect("hooks") = Some(Box::new(|conn: &Connection| {
        conn.execute("INSERT INTO child (parent) VALUES (1)", [])
            .map(|_| ())
    }));
    let results = ingest_as_one_group(&store, devices.iter().map(|d| batch(d, 1, 1..=2)).collect());
    for result in results {
        let result = joined(result);
        assert!(
            matches!(
                &result,
                Err(StorageError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation
            ),
            "{result:?}"
        );
    }
    assert_eq!(store.commit_stats(), (0, 0));
    assert_eq!(store.counts().expect("counts").registrations, 0);

    // The store goes on: the same requests, retried, are stored.
    *store.hooks.commit.lock().expect("hooks") = None;
    for device in &devices {
        assert_committed(&store.ingest(&batch(device, 1, 1..=2)), device, 1..=2);
    }
}

#[test]
fn a_group_takes_at_most_its_bound_and_the_rest_follow_in_the_next() {
    let store = SqliteStore::in_memory().expect("store");
    let devices = enroll(&store, MAX_GROUP_BATCHES as u8 + 6);
    let results = ingest_as_one_group(&store, devices.iter().map(|d| batch(d, 1, 1..=1)).collect());
    for (device, result) in devices.iter().zip(results) {
        assert_committed(&joined(result), device, 1..=1);
    }
    assert_eq!(store.commit_stats(), (2, MAX_GROUP_BATCHES as u64 + 6));
}

#[test]
fn answered_ingests_are_in_the_file_when_it_is_opened_again() {
    let (_dir, path, store) = file_store();
    let devices = enroll(&store, 4);
    let results = ingest_as_one_group(&store, devices.iter().map(|d| batch(d, 1, 1..=5)).collect());
    for (device, result) in devices.iter().zip(results) {
        assert_committed(&joined(result), device, 1..=5);
    }
    drop(store);

    let reopened = SqliteStore::open(&path).expect("reopens");
    assert_eq!(reopened.counts().expect("counts").registrations, 20);
    for device in &devices {
        let record = reopened.device(device).expect("device").expect("known");
        assert_eq!(record.last_seq, 1);
        for j in 1..=5 {
            let stored = reopened.registration_document(&doc_id(device, j));
            assert_eq!(stored.expect("reads"), Some(document(device, j)));
        }
    }
}

#[test]
fn other_store_calls_run_beside_ingest_groups() {
    let (_dir, _path, store) = file_store();
    let devices = enroll(&store, 8);
    thread::scope(|scope| {
        for device in &devices {
            let store = &store;
            scope.spawn(move || {
                for seq in 1..=5 {
                    let journal = seq * 3 - 2..=seq * 3;
                    let outcome = store.ingest(&batch(device, seq, journal.clone()));
                    assert_committed(&outcome, device, journal);
                    // Reads and writes that lock the connection between this device's pushes.
                    assert_eq!(
                        store
                            .device(device)
                            .expect("device")
                            .expect("known")
                            .last_seq,
                        seq
                    );
                    assert!(store.revoke_device(&[0xaa; 32], 1).is_ok());
                    store.counts().expect("counts");
                }
            });
        }
    });
    assert_eq!(store.counts().expect("counts").registrations, 8 * 15);
    let (commits, batches) = store.commit_stats();
    assert_eq!(batches, 40);
    assert!(commits <= batches);
}

/// A staff tablet's scope of the test event, for a device that pushed nothing.
fn staff_scope() -> PullScope {
    PullScope {
        device_key: [0x55; 32],
        event_id: EVENT.to_owned(),
        role: EnrolledRole::Staff,
    }
}

fn pulled_ids(page: &PullPage) -> Vec<String> {
    page.documents.iter().map(|d| d.doc_id.clone()).collect()
}

#[test]
fn pull_pages_end_on_whole_commits_and_a_cursor_resumes_exactly_after_them() {
    let store = SqliteStore::in_memory().expect("store");
    let device = enroll(&store, 1)[0];
    // Commits 1, 2, 3 store three, two and one registrations.
    for (seq, journal) in [(1, 1..=3), (2, 4..=5), (3, 6..=6)] {
        let outcome = store.ingest(&batch(&device, seq, journal.clone()));
        assert_committed(&outcome, &device, journal);
    }
    let everything = store.pull(&staff_scope(), 0, 1_000).expect("pulls");
    assert_eq!(everything.documents.len(), 6);
    assert_eq!((everything.through_seq, everything.more), (3, false));
    assert_eq!(everything.documents[0].changes, document(&device, 1));

    // A page of at most 4 changes ends with the commit holding the 4th change, whole.
    let first = store.pull(&staff_scope(), 0, 4).expect("pulls");
    assert_eq!(first.through_seq, 2);
    assert!(first.more);
    assert_eq!(first.documents.len(), 5, "commit 2 is sent whole");
    let second = store
        .pull(&staff_scope(), first.through_seq, 4)
        .expect("pulls");
    assert_eq!(pulled_ids(&second), vec![doc_id(&device, 6)]);
    assert_eq!((second.through_seq, second.more), (3, false));
    let nothing = store.pull(&staff_scope(), 3, 4).expect("pulls");
    assert!(nothing.documents.is_empty());
    assert_eq!(nothing.through_seq, 3);
}

#[test]
fn a_pull_skips_restricted_records_the_pullers_own_changes_and_other_events() {
    let store = SqliteStore::in_memory().expect("store");
    let device = enroll(&store, 1)[0];
    let mut request = batch(&device, 1, 1..=3);
    if let IngestItem::Store { restricted, .. } = &mut request.items[1] {
        *restricted = true;
    }
    if let IngestItem::Store { event_id, .. } = &mut request.items[2] {
        *event_id = "other-event".to_owned();
    }
    assert_committed(&store.ingest(&request), &device, 1..=3);
    let page = store.pull(&staff_scope(), 0, 100).expect("pulls");
    assert_eq!(pulled_ids(&page), vec![doc_id(&device, 1)]);
    let own = PullScope {
        device_key: device,
        ..staff_scope()
    };
    assert!(
        store
            .pull(&own, 0, 100)
            .expect("pulls")
            .documents
            .is_empty(),
        "a tablet is not sent its own changes"
    );
    let kiosk = PullScope {
        role: EnrolledRole::Kiosk,
        ..staff_scope()
    };
    assert!(
        store
            .pull(&kiosk, 0, 100)
            .expect("pulls")
            .documents
            .is_empty()
    );
}

#[test]
fn a_removal_erases_the_record_is_pulled_as_removed_and_a_capture_of_it_is_refused() {
    let store = SqliteStore::in_memory().expect("store");
    let device = enroll(&store, 1)[0];
    assert_committed(&store.ingest(&batch(&device, 1, 1..=2)), &device, 1..=2);
    let removed = doc_id(&device, 1);
    // A second, different copy of the same id, kept in quarantine.
    let mut conflicting = batch(&device, 2, 1..=1);
    if let IngestItem::Store {
        document,
        change_hashes,
        ..
    } = &mut conflicting.items[0]
    {
        document.push(0);
        change_hashes[0][31] ^= 1;
    }
    store.ingest(&conflicting).expect("kept apart");
    assert_eq!(store.counts().expect("counts").quarantined, 1);
    let operator = Accessor::Operator("hr".into());
    assert_eq!(
        store
            .remove_registration(&removed, "withdrawn", &operator, 5)
            .expect("removes"),
        crate::storage::RemovalOutcome::Removed
    );
    assert_eq!(
        store
            .remove_registration(&removed, "again", &operator, 6)
            .expect("reads"),
        crate::storage::RemovalOutcome::NoRecord
    );
    assert!(
        store
            .registration_document(&removed)
            .expect("reads")
            .is_none()
    );
    let removal = store
        .removal(&removed)
        .expect("reads")
        .expect("a removal record");
    assert_eq!((removal.event_id.as_str(), removal.removed_at), (EVENT, 5));

    let staff = store.pull(&staff_scope(), 1, 100).expect("pulls");
    assert_eq!(staff.removed, vec![removed.clone()]);
    let kiosk = PullScope {
        device_key: device,
        role: EnrolledRole::Kiosk,
        ..staff_scope()
    };
    assert_eq!(
        store.pull(&kiosk, 1, 100).expect("pulls").removed,
        vec![removed.clone()]
    );
    assert!(
        store
            .pull(&kiosk, staff.through_seq, 100)
            .expect("pulls")
            .removed
            .is_empty(),
        "a cursor past the removal does not repeat it"
    );

    assert_eq!(
        store.counts().expect("counts").quarantined,
        0,
        "quarantined copies are erased too"
    );
    // The kiosk sends its copy again (after a relay restore, say): refused, not stored.
    let again = batch(&device, 3, 1..=1);
    let Ok(IngestOutcome::Committed { outcomes, .. }) = store.ingest(&again) else {
        panic!("expected a commit");
    };
    assert_eq!(outcomes[0].code(), Some(ErrorCode::Removed));
    assert!(
        store
            .registration_document(&removed)
            .expect("reads")
            .is_none()
    );
    let log = store.access_log_entries(0, 10).expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].1.action, AccessAction::Remove);
}

#[test]
fn a_restricted_records_removal_is_told_to_its_kiosk_but_not_to_staff_tablets() {
    let store = SqliteStore::in_memory().expect("store");
    let device = enroll(&store, 1)[0];
    let mut request = batch(&device, 1, 1..=1);
    if let IngestItem::Store { restricted, .. } = &mut request.items[0] {
        *restricted = true;
    }
    assert_committed(&store.ingest(&request), &device, 1..=1);
    let id = doc_id(&device, 1);
    let operator = Accessor::Operator("hr".into());
    assert_eq!(
        store
            .remove_registration(&id, "withdrawn", &operator, 5)
            .expect("removes"),
        crate::storage::RemovalOutcome::Removed
    );
    assert!(store.removal(&id).expect("reads").expect("kept").restricted);
    assert!(
        store
            .pull(&staff_scope(), 0, 100)
            .expect("pulls")
            .removed
            .is_empty()
    );
    let kiosk = PullScope {
        device_key: device,
        role: EnrolledRole::Kiosk,
        ..staff_scope()
    };
    assert_eq!(store.pull(&kiosk, 0, 100).expect("pulls").removed, vec![id]);
}

#[test]
fn a_pull_inside_an_ingest_is_logged_in_the_same_commit() {
    let store = SqliteStore::in_memory().expect("store");
    let devices = enroll(&store, 2);
    assert_committed(
        &store.ingest(&batch(&devices[0], 1, 1..=2)),
        &devices[0],
        1..=2,
    );
    let mut pulling = batch(&devices[1], 1, 1..=1);
    pulling.items.clear();
    pulling.pull = Some(PullQuery {
        scope: PullScope {
            device_key: devices[1],
            ..staff_scope()
        },
        after_seq: 0,
        max_changes: 100,
    });
    let Ok(IngestOutcome::Committed { page, .. }) = store.ingest(&pulling) else {
        panic!("expected a commit");
    };
    assert_eq!(page.documents.len(), 2);
    let log = store.access_log_entries(0, 10).expect("log");
    let logged: Vec<&str> = log.iter().map(|(_, e)| e.doc_id.as_str()).collect();
    assert_eq!(logged, vec![doc_id(&devices[0], 1), doc_id(&devices[0], 2)]);
    assert!(log.iter().all(|(_, e)| e.action == AccessAction::Pull));
}

#[test]
fn a_withdrawal_is_pulled_past_the_cursor_and_one_without_a_number_gets_one_at_open() {
    let (_dir, path, store) = file_store();
    let registrations = crate::storage::ingest_generated_for_tests(&store, 20);
    let opted_in: Vec<String> = registrations
        .iter()
        .filter(|r| !r.restricted && r.consents.talent_pool.is_some())
        .map(|r| r.id.to_string())
        .collect();
    assert!(
        opted_in.len() >= 2,
        "the generated visitors include opt-ins"
    );
    let scope = PullScope {
        device_key: [0x55; 32],
        event_id: kiosk_core::demo::DEMO_EVENT_ID.to_owned(),
        role: EnrolledRole::Staff,
    };
    let first = store.pull(&scope, 0, 1_000).expect("pulls");
    assert!(first.withdrawn.is_empty());

    let hr = Accessor::Operator("hr".into());
    assert!(matches!(
        store.withdraw_talent_pool(&opted_in[0], &hr, "hr", 5),
        Ok(WithdrawalOutcome::Withdrawn { already: false, .. })
    ));
    let next = store.pull(&scope, first.through_seq, 1_000).expect("pulls");
    assert_eq!(next.withdrawn, [opted_in[0].clone()]);
    assert!(
        next.documents.is_empty(),
        "the document itself did not change"
    );
    assert!(
        next.through_seq > first.through_seq,
        "the cursor moves past it"
    );
    let kiosk = PullScope {
        role: EnrolledRole::Kiosk,
        ..scope.clone()
    };
    assert!(
        store
            .pull(&kiosk, first.through_seq, 1_000)
            .expect("pulls")
            .withdrawn
            .is_empty(),
        "kiosks hold no copies to mark"
    );

    // A withdrawal written without a number, in a store from before numbering (schema
    // version 4), gets one when the store opens and is upgraded, past every cursor.
    {
        let conn = store.conn();
        conn.execute(
            "INSERT INTO talent_pool_withdrawals (doc_id, withdrawn_at, recorded_by, commit_seq)
             VALUES (?1, 6, 'hr', NULL)",
            [&opted_in[1]],
        )
        .expect("inserted");
        conn.pragma_update(None, "user_version", 4)
            .expect("the version before numbering");
    }
    drop(store);
    let reopened = SqliteStore::open(&path).expect("reopens");
    let later = reopened
        .pull(&scope, next.through_seq, 1_000)
        .expect("pulls");
    assert_eq!(later.withdrawn, [opted_in[1].clone()]);
}

/// A revoked tablet's pushes are all quarantined, each after asking whether it was already:
/// looked up by the tablet alone, that question reads every capture the tablet ever had
/// quarantined, so each request would cost more than the last, inside the transaction every
/// other tablet waits for.
#[test]
fn asking_whether_a_push_was_quarantined_reads_that_document_only() {
    let store = SqliteStore::in_memory().expect("store");
    let conn = store.conn();
    let mut statement = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {QUARANTINED_ALREADY}"))
        .expect("plans");
    let plan: Vec<String> = statement
        .query_map(
            params!["doc", [0u8; 32].as_slice(), "revoked", [0u8].as_slice()],
            |r| r.get(3),
        )
        .expect("plans")
        .collect::<rusqlite::Result<_>>()
        .expect("plans");
    assert!(
        plan.iter()
            .any(|step| step.contains("quarantine") && step.contains("doc_id=?")),
        "{plan:?}"
    );
}

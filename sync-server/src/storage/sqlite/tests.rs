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

use crate::storage::suite::fixtures::{assert_committed, batch, doc_id, document, enroll};

fn file_store() -> (tempfile::TempDir, std::path::PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.sqlite3");
    let store = SqliteStore::open(&path).expect("opens");
    (dir, path, store)
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

/// An HR officer's short write that comes while a group runs waits for the request under
/// way only (once the group has written a few dozen items): the group commits it, the
/// short write goes, and the group's other requests commit after it in the next group, in
/// their order.
#[test]
fn a_short_write_waiting_mid_group_goes_after_the_request_under_way_not_the_whole_group() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let (_dir, _path, store) = file_store();
    let devices = enroll(&store, 4);
    let (in_first, first_entered) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = Mutex::new(released);
    let in_first = Mutex::new(in_first);
    let short_done = std::sync::Arc::new(AtomicBool::new(false));
    let seen_by_later = std::sync::Arc::new(Mutex::new(Vec::new()));
    let first_device = devices[0];
    {
        let short_done = short_done.clone();
        let seen_by_later = seen_by_later.clone();
        *store.hooks.apply.lock().expect("hooks") = Some(Box::new(move |batch: &IngestBatch| {
            if batch.device_key == first_device {
                in_first.lock().expect("sender").send(()).expect("told");
                released.lock().expect("receiver").recv().expect("released");
            } else {
                seen_by_later
                    .lock()
                    .expect("seen")
                    .push(short_done.load(Ordering::SeqCst));
            }
        }));
    }
    let held = store.conn();
    thread::scope(|scope| {
        let mut handles = Vec::new();
        for (queued, device) in devices.iter().enumerate() {
            let store = &store;
            // The first request is past the items a group writes before it yields.
            let journal = if queued == 0 { 1..=40 } else { 1..=3 };
            handles.push(scope.spawn(move || store.ingest(&batch(device, 1, journal))));
            store
                .group
                .wait_until(|leading, waiting| leading && waiting == queued);
        }
        drop(held);
        // The group runs and is held in its first request's writes.
        first_entered.recv().expect("the first request is applied");
        let short = {
            let store = &store;
            let short_done = short_done.clone();
            scope.spawn(move || {
                let conn = store.conn_first();
                short_done.store(true, Ordering::SeqCst);
                drop(conn);
            })
        };
        while !store.turn.short_write_waits() {
            thread::yield_now();
        }
        release.send(()).expect("released");
        short.join().expect("the short write ran");
        for (n, (device, handle)) in devices.iter().zip(handles).enumerate() {
            let journal = if n == 0 { 1..=40 } else { 1..=3 };
            assert_committed(&joined(handle.join()), device, journal);
        }
    });
    assert_eq!(
        *seen_by_later.lock().expect("seen"),
        [true, true, true],
        "the later requests ran after the short write"
    );
    assert_eq!(store.commit_stats(), (2, 4), "the group split in two");
    assert_eq!(store.counts().expect("counts").registrations, 49);
}

/// A retention batch gives the writer up to a waiting write after a few removals, and
/// removes its whole batch when nobody waits.
#[test]
fn a_retention_batch_ends_early_for_a_waiting_write_and_runs_whole_otherwise() {
    let (_dir, _path, store) = file_store();
    let device = enroll(&store, 1)[0];
    store.ingest(&batch(&device, 1, 1..=40)).expect("stored");
    let due_at = store
        .record_retention(&doc_id(&device, 1))
        .expect("reads")
        .expect("held")
        .due_at;
    let run = store
        .start_retention_run("arvid", due_at + 1_000)
        .expect("starts")
        .expect("none going");
    let step = |others_wait: &dyn Fn() -> bool| {
        retention::run_step(
            &mut store.conn(),
            None,
            run.id,
            25,
            due_at + 2_000,
            others_wait,
        )
        .expect("steps")
    };
    assert_eq!(step(&|| true), RunStep::Removed(10), "a write waits");
    assert_eq!(step(&|| false), RunStep::Removed(25), "nobody waits");
    assert_eq!(step(&|| true), RunStep::Removed(5), "the rest");
    assert!(matches!(step(&|| false), RunStep::Finished(_)));
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
fn a_group_holds_the_writer_for_a_bounded_number_of_items_and_the_rest_follow() {
    let store = SqliteStore::in_memory().expect("store");
    let devices = enroll(&store, 4);
    // Each batch weighs 101 items against the group's 256: two fit in one group, so four
    // batches take two commits, however many batches a group could hold.
    const { assert!(MAX_GROUP_BATCHES >= 4 && 2 * 101 <= MAX_GROUP_ITEMS && 3 * 101 > MAX_GROUP_ITEMS) };
    let results = ingest_as_one_group(
        &store,
        devices.iter().map(|d| batch(d, 1, 1..=100)).collect(),
    );
    for (device, result) in devices.iter().zip(results) {
        assert_committed(&joined(result), device, 1..=100);
    }
    assert_eq!(store.commit_stats(), (2, 4));
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

/// The suite's `concurrent_ingests_from_many_tablets_are_all_stored` on a file store, where
/// the requests also share commits.
#[test]
fn other_store_calls_run_beside_ingest_groups() {
    let (_dir, _path, store) = file_store();
    crate::storage::suite::ingest_pull::concurrent_ingests_from_many_tablets_are_all_stored(&store);
    let (commits, batches) = store.commit_stats();
    assert_eq!(batches, 40);
    assert!(commits <= batches);
}

/// The SQLite side of the suite's `a_withdrawal_is_pulled_past_the_cursor_and_not_by_kiosks`:
/// a withdrawal written without a number, in a store from before numbering (schema version
/// 4), gets one when the store opens and is upgraded, past every cursor.
#[test]
fn a_withdrawal_without_a_number_gets_one_past_every_cursor_when_the_store_opens() {
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
    let hr = Accessor::Operator("hr".into());
    assert!(matches!(
        store.withdraw_talent_pool(&opted_in[0], &hr, "hr", 5),
        Ok(WithdrawalOutcome::Withdrawn { already: false, .. })
    ));
    let next = store.pull(&scope, 0, 1_000).expect("pulls");
    assert_eq!(next.withdrawn, [opted_in[0].clone()]);

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

/// A store indexed before the list index kept addresses (schema version 7) is indexed again
/// when it opens upgraded, so a search by a whole address finds a registration stored then;
/// else the address index would find only newer ones and hide it.
#[test]
fn registrations_indexed_before_addresses_are_found_by_a_whole_address_after_the_upgrade() {
    let (_dir, path, store) = file_store();
    let registrations = crate::storage::ingest_generated_for_tests(&store, 10);
    let visitor = registrations
        .iter()
        .find(|r| !r.restricted && r.person.email.is_some())
        .expect("a generated visitor with an address");
    let email = visitor.person.email.clone().expect("an address");
    {
        let conn = store.conn();
        conn.execute("UPDATE registration_index SET email = ''", [])
            .expect("as version 7 left it");
        // One other row already has the address in the index (as a row written by the
        // upgraded build would): the index finds something, so it must find every row.
        conn.execute(
            "UPDATE registration_index SET email = ?1
             WHERE doc_id = (SELECT doc_id FROM registration_index WHERE doc_id != ?2 LIMIT 1)",
            rusqlite::params![email.to_lowercase(), visitor.id.to_string()],
        )
        .expect("one row with the address");
        conn.pragma_update(None, "user_version", 7)
            .expect("the version before addresses");
    }
    drop(store);
    let reopened = SqliteStore::open(&path).expect("reopens");
    let filter = RegistrationFilter {
        search: Some(email.to_uppercase()),
        include_restricted: true,
        limit: 50,
        ..RegistrationFilter::default()
    };
    let found: Vec<String> = reopened
        .list_registrations(&filter, &Accessor::Operator("hr".into()), 1)
        .expect("listed")
        .into_iter()
        .map(|row| row.id)
        .collect();
    assert!(found.contains(&visitor.id.to_string()), "{found:?}");
}

/// A quarantined copy kept before the relay wrote `quarantined` leaves (its `tlog_nonce`
/// NULL, as the upgrade leaves earlier rows) gets them on its first resend and not on the
/// next: the log grows by its number of changes exactly once.
#[test]
fn a_copy_kept_apart_before_its_leaves_gets_them_once_when_sent_twice() {
    use crate::storage::suite::fixtures::hashes;
    let store = SqliteStore::in_memory().expect("store");
    let device = enroll(&store, 1)[0];
    let changes = hashes(&device, 1).len() as u64;
    let send = |seq: u64| {
        let mut request = batch(&device, seq, 1..=1);
        request.items = vec![IngestItem::Quarantine {
            doc_id: doc_id(&device, 1),
            sealed: document(&device, 1),
            change_hashes: hashes(&device, 1),
            code: kiosk_core::protocol::ErrorCode::Revoked,
            journal_seq: Some(1),
        }];
        store.ingest(&request).expect("kept apart");
        store.log_tip().expect("reads").size
    };
    let first = send(1);
    store
        .conn()
        .execute("UPDATE quarantine SET tlog_nonce = NULL", [])
        .expect("as before the upgrade");
    let resent = send(2);
    assert_eq!(
        resent,
        first + changes,
        "its leaves written on the first resend"
    );
    assert_eq!(send(3), resent, "and only once");
}

/// A restore's replay of a removal of an id the store holds only as a copy kept apart
/// erases the copy and appends a `removed` leaf under the copy's nonce, so the removal
/// links to its `quarantined` leaves.
#[test]
fn a_replayed_removal_of_a_quarantine_only_id_is_logged_under_the_copys_nonce() {
    use crate::storage::model::LifecycleEntry;
    use crate::storage::suite::fixtures::hashes;
    use crate::transparency::leaf::{Leaf, LeafKind, record_commitment};
    let store = SqliteStore::in_memory().expect("store");
    let device = enroll(&store, 1)[0];
    let id = doc_id(&device, 1);
    let mut request = batch(&device, 1, 1..=1);
    request.items = vec![IngestItem::Quarantine {
        doc_id: id.clone(),
        sealed: document(&device, 1),
        change_hashes: hashes(&device, 1),
        code: kiosk_core::protocol::ErrorCode::Revoked,
        journal_seq: Some(1),
    }];
    store.ingest(&request).expect("kept apart");
    let nonce = store
        .quarantine_nonce(&id, &device)
        .expect("reads")
        .expect("the copy's nonce");
    let before = store.log_tip().expect("reads").size;
    {
        let mut conn = store.conn();
        let tx = conn.transaction().expect("begins");
        let done = lifecycle_journal::replay(
            &tx,
            vec![LifecycleEntry::Removal {
                doc_id: id.clone(),
                event_id: "event".into(),
                device_key: hex::encode(device),
                restricted: false,
                at: 9_000,
                reason: "rule 1".into(),
                journal_seq: None,
                change_hashes: None,
            }],
        )
        .expect("replays");
        tx.commit().expect("commits");
        assert_eq!(done.removals_of_absent, 1);
    }
    let appended: Vec<Leaf> = store
        .log_leaves(before, 10)
        .expect("reads")
        .iter()
        .map(|bytes| Leaf::decode(bytes).expect("decodes"))
        .collect();
    assert_eq!(appended.len(), 1, "one removed leaf");
    assert_eq!(appended[0].kind, LeafKind::Removed);
    assert_eq!(appended[0].record, record_commitment(&nonce, &id));
}

/// The upgrade that writes each quarantined copy's nonce rule (from the version before it):
/// a copy logged while no registration held its id keeps the record's nonce, one another
/// tablet sent under a registered id its own, each still proven under the nonce it was
/// logged under; a copy not logged yet stays so; a tablet's kept certificate stays.
#[test]
fn copies_logged_before_the_rule_upgrade_keep_their_nonce_and_certificates_stay() {
    use crate::storage::suite::fixtures::hashes;
    use crate::storage::traits::DeviceStore;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.sqlite3");
    let store = SqliteStore::open(&path).expect("opens");
    let devices = enroll(&store, 4);
    let (owner, early, late, unlogged) = (devices[0], devices[1], devices[2], devices[3]);
    let id = doc_id(&owner, 1);
    let send = |store: &SqliteStore, device: &[u8; 32], seq: u64| {
        let mut request = batch(device, seq, 1..=1);
        request.items = vec![IngestItem::Quarantine {
            doc_id: id.clone(),
            sealed: document(device, 5),
            change_hashes: hashes(device, 5),
            code: kiosk_core::protocol::ErrorCode::NotPermitted,
            journal_seq: Some(5),
        }];
        store.ingest(&request).expect("kept apart");
        store.log_tip().expect("reads").size
    };
    send(&store, &early, 1);
    store.ingest(&batch(&owner, 1, 1..=1)).expect("stored");
    send(&store, &late, 1);
    let logged_size = send(&store, &unlogged, 1);
    let nonces = |store: &SqliteStore| {
        (
            store.quarantine_nonce(&id, &early).expect("reads"),
            store.quarantine_nonce(&id, &late).expect("reads"),
        )
    };
    let before = nonces(&store);
    drop(store);
    Connection::open(&path)
        .expect("opens")
        .execute_batch(&format!(
            "ALTER TABLE quarantine DROP COLUMN nonce_rule;
             UPDATE quarantine SET tlog_nonce = NULL WHERE device_key = x'{unlogged}';
             -- The build before stored the registration under the first copy's nonce.
             UPDATE registrations SET tlog_nonce =
                 (SELECT tlog_nonce FROM quarantine WHERE device_key = x'{early}');
             -- And kept one certificate per tablet: the table's shape before step 19.
             DROP TABLE device_certificates;
             CREATE TABLE device_certificates (
                 device_key BLOB PRIMARY KEY NOT NULL CHECK (length(device_key) = 32),
                 issued_at  INTEGER NOT NULL,
                 envelope   BLOB NOT NULL
             ) STRICT;
             INSERT INTO device_certificates VALUES (x'{owner}', 7, x'010203');
             PRAGMA user_version = {version};",
            unlogged = hex::encode(unlogged),
            early = hex::encode(early),
            owner = hex::encode(owner),
            version = super::schema::QUARANTINE_RULE_VERSION - 1
        ))
        .expect("set back");

    let store = SqliteStore::open(&path).expect("upgrades");
    let rules: Vec<(Vec<u8>, Option<String>)> = store
        .conn()
        .prepare("SELECT device_key, nonce_rule FROM quarantine ORDER BY device_key")
        .expect("prepares")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("reads")
        .collect::<Result<_, _>>()
        .expect("reads");
    assert_eq!(
        rules,
        vec![
            (early.to_vec(), Some("record".to_owned())),
            (late.to_vec(), Some("copy".to_owned())),
            (unlogged.to_vec(), None),
        ]
    );
    assert_eq!(nonces(&store), before, "the nonces they were logged under");
    assert_eq!(before.0, store.record_nonce(&id).expect("reads"));
    assert_ne!(before.1, before.0);
    assert_eq!(send(&store, &early, 2), logged_size, "not logged again");
    assert_eq!(
        store.kept_certificate(&owner, None, 7).expect("reads"),
        Some((7, vec![1, 2, 3])),
        "the certificate the old table kept"
    );
    // The rebuilt table keeps a later certificate beside it.
    store.keep_certificate(&owner, 9, &[4]).expect("keeps");
    assert_eq!(
        store.kept_certificate(&owner, None, 8).expect("reads"),
        Some((7, vec![1, 2, 3]))
    );
}

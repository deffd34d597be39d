//! The records lifecycle on PostgreSQL, on records stored directly (the suite's lifecycle
//! functions store theirs through `SyncStore::ingest`, ported separately): removal erases
//! every row, holds and removals take turns on a record, withdrawals are numbered, and a
//! retention run goes on one instance at a time and is carried on by another when its
//! instance dies.

use kiosk_core::annotations::RecordStatus;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::registration::Registration;
use postgres::{Client, NoTls};

use super::PgStore;
use super::email_tags::EmailTags;
use super::ingest::{NewCapture, insert_capture};
use super::test_cluster::fresh_database_url;
use crate::rules::access_chain::{ChainWalk, EntryFields, GENESIS};
use crate::storage::suite::fixtures::{generated, operator, visitor_kiosk};
use crate::storage::{
    AccessAction, AskedRecord, DisclosureItem, DisclosureOutcome, DisclosureSelection, EventStore,
    HoldChange, LifecycleStore, MatchedBy, RegistrationListing, RemovalOutcome, RetentionRun,
    RunStep, SubjectLookup, WithdrawalOutcome, receipt_code_for_tests,
};

/// When the seeded records were received (relay time, ms): 2024-01-01.
const RECEIVED: i64 = 1_704_067_200_000;

fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).expect("connects")
}

/// A store on a new database holding the demo event, and the database's URL.
fn store() -> (PgStore, String) {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    store
        .put_event(&kiosk_core::demo::demo_event())
        .expect("event stored");
    (store, url)
}

/// Stores `registration` as ingest would (its document, change hashes, list-index row),
/// pushed by the visitor kiosk and received at `received_at`.
fn put_record(client: &mut Client, registration: &Registration, received_at: i64) -> String {
    let key = visitor_kiosk();
    let mut document = RegistrationDocument::create(registration, &key, registration.captured_at)
        .expect("document");
    let bytes = document.save_changes();
    let hashes: Vec<[u8; 32]> = document.change_hashes().iter().map(|h| h.0).collect();
    let doc_id = registration.id.to_string();
    let event_id = registration.event_id.to_string();
    let code = receipt_code_for_tests(&registration.id);
    let device = key.to_bytes().to_vec();
    let listing = RegistrationListing::of(registration, RecordStatus::New.as_str());
    let capture = NewCapture {
        doc_id: &doc_id,
        event_id: &event_id,
        device_key: &device,
        document: &bytes,
        change_hashes: &hashes,
        capture_signature: &[0u8; 64],
        receipt_code: &code,
        receipt_tag: None,
        restricted: registration.restricted,
        received_at,
        certified_at: None,
        listing: Some(Some(listing)),
    };
    let mut tx = client.transaction().expect("transaction");
    insert_capture(&mut tx, &capture, 1, EmailTags::NONE).expect("registration");
    tx.commit().expect("committed");
    doc_id
}

/// `count` generated registrations (seed `seed`) stored as received at [`RECEIVED`].
fn put_generated(url: &str, count: usize, seed: u64) -> (Vec<Registration>, Vec<String>) {
    let mut client = connect(url);
    let registrations = generated(count, seed);
    let ids = registrations
        .iter()
        .map(|registration| put_record(&mut client, registration, RECEIVED))
        .collect();
    (registrations, ids)
}

/// Rows that name `doc_id` in `table`.
fn rows_of(client: &mut Client, table: &str, doc_id: &str) -> i64 {
    client
        .query_one(
            &format!("SELECT COUNT(*) FROM {table} WHERE doc_id = $1"),
            &[&doc_id],
        )
        .expect("counts")
        .get(0)
}

fn commit_seq(client: &mut Client) -> i64 {
    client
        .query_one("SELECT commit_seq FROM relay_state WHERE id = 1", &[])
        .expect("state")
        .get(0)
}

/// The records the access log names under `action`, in log order (read directly: the
/// access log's own store methods are ported separately).
fn logged(url: &str, action: AccessAction) -> Vec<String> {
    connect(url)
        .query(
            "SELECT doc_id FROM access_log WHERE action = $1 ORDER BY seq",
            &[&action.as_str()],
        )
        .expect("log")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Whether the stored access log is one unbroken chain from its genesis.
fn chain_verifies(url: &str) -> bool {
    let mut walk = ChainWalk::from(0, GENESIS);
    for row in connect(url)
        .query(
            "SELECT seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash
             FROM access_log ORDER BY seq",
            &[],
        )
        .expect("log")
    {
        let seq: i64 = row.get(0);
        let fields = EntryFields {
            seq: seq as u64,
            at: row.get(1),
            actor_kind: row.get(2),
            actor: row.get(3),
            recruiter: row.get(4),
            action: row.get(5),
            doc_id: row.get(6),
        };
        walk.next(&fields, row.get(7), row.get(8));
    }
    walk.verdict().broken_at.is_none()
}

/// Every table that holds a copy of a record's content.
const RECORD_TABLES: [&str; 5] = [
    "registrations",
    "registration_changes",
    "registration_index",
    "quarantine",
    "talent_pool_withdrawals",
];

#[test]
fn a_removal_deletes_every_row_of_the_record_numbers_it_and_keeps_only_the_removal_record() {
    let (store, url) = store();
    let (registrations, ids) = put_generated(&url, 2, 1);
    let mut client = connect(&url);
    client
        .execute(
            "INSERT INTO quarantine (doc_id, device_key, payload, code, received_at)
             VALUES ($1, $2, $3, 'conflict', 1)",
            &[&ids[0], &vec![1u8; 32], &b"a kept-apart copy".to_vec()],
        )
        .expect("quarantined copy");
    let before = commit_seq(&mut client);

    let by = operator("arvid");
    assert_eq!(
        store
            .remove_registration(&ids[0], "asked by the visitor", &by, 77)
            .expect("removes"),
        RemovalOutcome::Removed
    );
    for table in RECORD_TABLES {
        assert_eq!(rows_of(&mut client, table, &ids[0]), 0, "{table} emptied");
    }
    assert_eq!(
        rows_of(&mut client, "registrations", &ids[1]),
        1,
        "the other stays"
    );
    assert_eq!(rows_of(&mut client, "registration_index", &ids[1]), 1);
    let removal = store.removal(&ids[0]).expect("reads").expect("recorded");
    assert_eq!(
        (
            removal.removed_at,
            removal.reason.as_str(),
            removal.restricted
        ),
        (77, "asked by the visitor", registrations[0].restricted)
    );
    let numbered: i64 = client
        .query_one(
            "SELECT commit_seq FROM removals WHERE doc_id = $1",
            &[&ids[0]],
        )
        .expect("removal row")
        .get(0);
    assert_eq!(numbered, before + 1, "numbered by the sequencer");
    assert_eq!(commit_seq(&mut client), before + 1);
    assert_eq!(logged(&url, AccessAction::Remove), [ids[0].clone()]);
    assert!(chain_verifies(&url));

    // Refusals take no number.
    assert_eq!(
        store
            .remove_registration(&ids[0], "again", &by, 78)
            .expect("answers"),
        RemovalOutcome::NoRecord
    );
    assert_eq!(commit_seq(&mut client), before + 1);
    assert_eq!(store.record_retention(&ids[0]).expect("reads"), None);
}

#[test]
fn a_held_record_is_not_removed_until_the_hold_is_lifted_and_its_history_keeps_both() {
    let (store, url) = store();
    let (_, ids) = put_generated(&url, 1, 2);
    let doc = &ids[0];
    let by = operator("arvid");
    assert_eq!(
        store
            .change_legal_hold(doc, true, "case 12", "arvid", 5)
            .expect("holds"),
        HoldChange::Done
    );
    assert_eq!(
        store
            .change_legal_hold(doc, true, "case 13", "bo", 6)
            .expect("answers"),
        HoldChange::AlreadySo
    );
    assert_eq!(
        store
            .remove_registration(doc, "x", &by, 7)
            .expect("answers"),
        RemovalOutcome::OnLegalHold
    );
    let holds = store.legal_holds().expect("reads");
    assert_eq!(holds.len(), 1);
    assert_eq!(
        (
            holds[0].reason.as_str(),
            holds[0].set_by.as_str(),
            holds[0].set_at
        ),
        ("case 12", "arvid", 5)
    );
    assert_eq!(
        store
            .record_retention(doc)
            .expect("reads")
            .expect("held")
            .legal_hold,
        Some(holds[0].clone())
    );
    assert_eq!(
        store
            .change_legal_hold(doc, false, "case closed", "bo", 8)
            .expect("lifts"),
        HoldChange::Done
    );
    assert_eq!(
        store
            .change_legal_hold(doc, false, "again", "bo", 9)
            .expect("answers"),
        HoldChange::AlreadySo
    );
    let history = store.legal_hold_history(doc).expect("reads");
    assert_eq!(
        history
            .iter()
            .map(|h| (h.hold, h.reason.as_str(), h.by.as_str(), h.at))
            .collect::<Vec<_>>(),
        [
            (true, "case 12", "arvid", 5),
            (false, "case closed", "bo", 8)
        ]
    );
    assert_eq!(
        store
            .remove_registration(doc, "x", &by, 10)
            .expect("removes"),
        RemovalOutcome::Removed
    );
    assert_eq!(
        store
            .change_legal_hold(doc, true, "too late", "arvid", 11)
            .expect("answers"),
        HoldChange::NoRecord
    );
    assert!(store.legal_holds().expect("reads").is_empty());
}

/// Polls (bounded) until a backend of the database waits for a lock.
fn wait_for_a_lock_wait(client: &mut Client) {
    for _ in 0..10_000 {
        let waiting: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .expect("activity")
            .get(0);
        if waiting > 0 {
            return;
        }
        std::thread::yield_now();
    }
    panic!("no backend came to wait for the record's lock");
}

#[test]
fn a_hold_committed_while_a_removal_waits_for_the_record_stops_the_removal() {
    let (store, url) = store();
    let (_, ids) = put_generated(&url, 1, 3);
    let doc = ids[0].clone();
    // Another instance's hold, still uncommitted, holding the record's row.
    let mut other = connect(&url);
    let mut hold = other.transaction().expect("begins");
    hold.query_one(
        "SELECT 1 FROM registrations WHERE doc_id = $1 FOR UPDATE",
        &[&doc],
    )
    .expect("row locked");
    hold.execute(
        "INSERT INTO legal_holds (doc_id, reason, set_by, set_at) VALUES ($1, 'case', 'bo', 1)",
        &[&doc],
    )
    .expect("hold");
    let mut watcher = connect(&url);
    let outcome = std::thread::scope(|scope| {
        let removal = scope.spawn(|| {
            store
                .remove_registration(&doc, "x", &operator("arvid"), 2)
                .expect("answers")
        });
        wait_for_a_lock_wait(&mut watcher);
        hold.commit().expect("hold committed");
        removal.join().expect("no panic")
    });
    assert_eq!(outcome, RemovalOutcome::OnLegalHold);
    assert_eq!(rows_of(&mut watcher, "registrations", &doc), 1);
    assert_eq!(store.removal(&doc).expect("reads"), None);
}

#[test]
fn a_withdrawal_is_numbered_once_and_drops_the_record_from_talent_pool_lists() {
    let (store, url) = store();
    let (registrations, ids) = put_generated(&url, 12, 4);
    let opted = registrations
        .iter()
        .position(Registration::in_talent_pool)
        .expect("one opted in");
    let never = registrations
        .iter()
        .position(|r| !r.in_talent_pool())
        .expect("one did not");
    let mut client = connect(&url);
    let before = commit_seq(&mut client);
    let by = operator("arvid");
    assert_eq!(
        store
            .withdraw_talent_pool(&ids[opted], &by, "Arvid", 50)
            .expect("withdraws"),
        WithdrawalOutcome::Withdrawn {
            withdrawn_at: 50,
            already: false
        }
    );
    let row = client
        .query_one(
            "SELECT commit_seq, recorded_by FROM talent_pool_withdrawals WHERE doc_id = $1",
            &[&ids[opted]],
        )
        .expect("withdrawal row");
    assert_eq!(
        (row.get::<_, Option<i64>>(0), row.get::<_, String>(1)),
        (Some(before + 1), "Arvid".to_owned())
    );
    let listed: bool = client
        .query_one(
            "SELECT talent_pool FROM registration_index WHERE doc_id = $1",
            &[&ids[opted]],
        )
        .expect("index row")
        .get(0);
    assert!(!listed, "off the talent-pool lists at once");
    assert_eq!(
        store
            .withdraw_talent_pool(&ids[opted], &by, "Bo", 60)
            .expect("answers"),
        WithdrawalOutcome::Withdrawn {
            withdrawn_at: 50,
            already: true
        }
    );
    assert_eq!(
        store
            .withdraw_talent_pool(&ids[never], &by, "Bo", 60)
            .expect("answers"),
        WithdrawalOutcome::NeverOptedIn
    );
    assert_eq!(
        store
            .withdraw_talent_pool("no-such-record", &by, "Bo", 60)
            .expect("answers"),
        WithdrawalOutcome::NoRecord
    );
    assert_eq!(
        commit_seq(&mut client),
        before + 1,
        "only the withdrawal numbered"
    );
    assert_eq!(logged(&url, AccessAction::Change), [ids[opted].clone()]);
    assert_eq!(
        store
            .record_retention(&ids[opted])
            .expect("reads")
            .expect("held")
            .talent_pool_withdrawn_at,
        Some(50)
    );
}

/// Three records due at the returned time, the second one held.
fn three_due(store: &PgStore, url: &str) -> (Vec<String>, i64) {
    let (_, ids) = put_generated(url, 3, 5);
    store
        .change_legal_hold(&ids[1], true, "case 12", "arvid", 5)
        .expect("holds");
    let due_at = store
        .record_retention(&ids[0])
        .expect("reads")
        .expect("held")
        .due_at;
    (ids, due_at)
}

#[test]
fn a_retention_run_removes_what_is_due_keeps_what_is_held_and_finishes() {
    let (store, url) = store();
    let (ids, due_at) = three_due(&store, &url);
    let rules = store.retention_rules().expect("rules");
    assert_eq!(rules.len(), 1);
    let due = store.retention_due(due_at).expect("due");
    assert_eq!((due[0].due, due[0].held), (3, 1));
    assert_eq!(store.retention_due(due_at - 1).expect("due")[0].due, 0);

    let run = store
        .start_retention_run("arvid", due_at)
        .expect("starts")
        .expect("none going");
    assert_eq!((run.finished_at, run.removed, run.held), (None, 0, 0));
    assert_eq!(
        store
            .retention_run_step(run.id, 1, due_at + 1)
            .expect("steps"),
        RunStep::Removed(1)
    );
    assert_eq!(
        store
            .retention_run_step(run.id, 10, due_at + 2)
            .expect("steps"),
        RunStep::Removed(1)
    );
    let RunStep::Finished(finished) = store
        .retention_run_step(run.id, 10, due_at + 3)
        .expect("steps")
    else {
        panic!("expected the run to finish");
    };
    assert_eq!(
        (finished.finished_at, finished.removed, finished.held),
        (Some(due_at + 3), 2, 1)
    );
    assert!(
        !store.retention_job.is_held(),
        "the run's end releases the lock"
    );
    assert_eq!(
        store
            .retention_run_step(run.id, 10, due_at + 4)
            .expect("steps"),
        RunStep::Finished(finished.clone()),
        "a finished run stays finished"
    );
    assert_eq!(
        store.retention_runs(10).expect("reads"),
        std::slice::from_ref(&finished)
    );
    assert_eq!(store.unfinished_retention_run().expect("reads"), None);
    for removed in [&ids[0], &ids[2]] {
        let removal = store.removal(removed).expect("reads").expect("removed");
        assert_eq!(removal.reason, rules[0].citation(run.id));
    }
    let mut client = connect(&url);
    assert_eq!(rows_of(&mut client, "registrations", &ids[1]), 1, "held");
    assert_eq!(logged(&url, AccessAction::Remove).len(), 2);
    assert!(
        store.retention_run_step(i64::MAX, 10, due_at).is_err(),
        "no such run"
    );
}

#[test]
fn a_retention_batch_locks_its_records_before_the_access_log_so_a_reads_log_never_deadlocks_it() {
    let (store, url) = store();
    let (_, mut ids) = put_generated(&url, 3, 8);
    ids.sort_unstable();
    let due_at = store
        .record_retention(&ids[0])
        .expect("reads")
        .expect("held")
        .due_at;
    let run = store
        .start_retention_run("schedule", due_at)
        .expect("starts")
        .expect("none going");
    // A read's log on another instance: it holds the middle record (key share), as reads
    // do before they log, and will take the access log's chain lock next.
    let mut reader = connect(&url);
    let mut log = reader.transaction().expect("begins");
    log.query_one(
        "SELECT 1 FROM registrations WHERE doc_id = $1 FOR KEY SHARE",
        &[&ids[1]],
    )
    .expect("key share");
    let mut watcher = connect(&url);
    let step = std::thread::scope(|scope| {
        let step = scope.spawn(|| store.retention_run_step(run.id, 10, due_at + 1));
        wait_for_a_lock_wait(&mut watcher);
        // Had the batch taken the chain lock before the middle record's row, this would
        // close a cycle, and one of the two would be aborted as deadlocked.
        log.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&i64::from_be_bytes(*b"kioskacl")],
        )
        .expect("the chain lock is free while the batch waits for a record");
        log.commit().expect("the read's log commits");
        step.join().expect("no panic")
    });
    assert_eq!(step.expect("the batch goes on"), RunStep::Removed(3));
}

/// A second store on the database at `url`: another relay instance.
fn instance(url: &str) -> PgStore {
    PgStore::open(url).expect("opens")
}

#[test]
fn runs_started_at_once_on_two_instances_give_one_run_and_one_instance_carries_it() {
    let (a, url) = store();
    let b = instance(&url);
    let (_, due_at) = three_due(&a, &url);
    let start = std::sync::Barrier::new(2);
    let answers: Vec<Result<RetentionRun, RetentionRun>> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&a, &b]
            .into_iter()
            .enumerate()
            .map(|(n, store)| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    store
                        .start_retention_run(&format!("instance-{n}"), due_at)
                        .expect("answers")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let started: Vec<&RetentionRun> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(started.len(), 1, "{answers:?}");
    let run = started[0].clone();
    assert!(
        answers
            .iter()
            .all(|a| a.as_ref().unwrap_or_else(|going| going).id == run.id)
    );

    // Both instances' jobs drive the run: the first to step carries it, the other is
    // refused (as contention: try again later) until the run is finished.
    assert_eq!(
        a.retention_run_step(run.id, 1, due_at + 1).expect("steps"),
        RunStep::Removed(1)
    );
    let refused = b
        .retention_run_step(run.id, 1, due_at + 1)
        .expect_err("another instance carries the run");
    assert!(refused.is_locked(), "{refused}");
    assert!(!b.retention_job.is_held());
    assert_eq!(
        a.retention_run_step(run.id, 1, due_at + 2).expect("steps"),
        RunStep::Removed(1)
    );
    let RunStep::Finished(finished) = a.retention_run_step(run.id, 1, due_at + 3).expect("steps")
    else {
        panic!("expected the run to finish");
    };
    assert_eq!((finished.removed, finished.held), (2, 1));
    assert_eq!(
        b.retention_run_step(run.id, 1, due_at + 4)
            .expect("answers"),
        RunStep::Finished(finished),
        "the other instance is told the run is finished"
    );
    assert_eq!(b.retention_runs(10).expect("reads").len(), 1);
}

/// Ends the session that holds the retention run's lock, as the death of its instance
/// would, and waits (bounded) until the server has let the lock go.
fn kill_the_lock_holder(client: &mut Client) {
    let terminated: bool = client
        .query_one(
            "SELECT pg_terminate_backend(pid) FROM pg_locks
             WHERE locktype = 'advisory' AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .expect("one lock holder")
        .get(0);
    assert!(terminated);
    for _ in 0..10_000 {
        let held: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                &[],
            )
            .expect("locks")
            .get(0);
        if held == 0 {
            return;
        }
        std::thread::yield_now();
    }
    panic!("the killed session's lock was not released");
}

#[test]
fn a_run_whose_instance_died_mid_run_is_carried_on_by_another_to_its_end() {
    let (a, url) = store();
    let b = instance(&url);
    let (_, ids) = put_generated(&url, 7, 6);
    let due_at = a
        .record_retention(&ids[0])
        .expect("reads")
        .expect("held")
        .due_at;
    let run = a
        .start_retention_run("schedule", due_at)
        .expect("starts")
        .expect("none going");
    assert_eq!(
        a.retention_run_step(run.id, 2, due_at + 1).expect("steps"),
        RunStep::Removed(2)
    );
    assert!(
        b.retention_run_step(run.id, 2, due_at + 1).is_err(),
        "a carries it"
    );

    let mut admin = connect(&url);
    kill_the_lock_holder(&mut admin);

    // The other instance's job, trying again, takes the run over and ends it.
    let mut removed_by_b = 0;
    let finished = loop {
        match b
            .retention_run_step(run.id, 2, due_at + 2)
            .expect("b steps")
        {
            RunStep::Removed(n) => removed_by_b += n,
            RunStep::Finished(finished) => break finished,
        }
        assert!(removed_by_b <= 5, "no record removed twice");
    };
    assert_eq!(removed_by_b, 5);
    assert_eq!((finished.removed, finished.held), (7, 0));
    for doc in &ids {
        assert_eq!(rows_of(&mut admin, "registrations", doc), 0);
        assert!(a.removal(doc).expect("reads").is_some());
    }
    assert_eq!(
        logged(&url, AccessAction::Remove).len(),
        7,
        "each removal logged once"
    );
    assert!(chain_verifies(&url));
    // The instance that lost its connection finds its job done, not an error.
    assert_eq!(
        a.retention_run_step(run.id, 2, due_at + 3)
            .expect("answers"),
        RunStep::Finished(finished)
    );
}

/// Three registrations of one person (by email), the third restricted, and one of someone
/// else.
fn one_person(url: &str) -> (Vec<Registration>, Vec<String>) {
    let mut registrations = generated(4, 11);
    for (n, registration) in registrations.iter_mut().enumerate() {
        registration.restricted = n == 2;
        registration.person.email = Some(if n < 3 {
            "Same.Person@example.se".to_owned()
        } else {
            "someone.else@example.se".to_owned()
        });
    }
    let mut client = connect(url);
    let ids = registrations
        .iter()
        .map(|registration| put_record(&mut client, registration, RECEIVED))
        .collect();
    (registrations, ids)
}

#[test]
fn subject_access_reads_a_persons_records_logs_each_and_routes_the_restricted_one() {
    let (store, url) = store();
    let (_, ids) = one_person(&url);
    let reader = operator("archivist");
    let found = store
        .subject_access(
            &SubjectLookup::Email("same.person@example.se".to_owned()),
            false,
            &reader,
            100,
        )
        .expect("reads");
    let mut read: Vec<&str> = found
        .records
        .iter()
        .map(|(record, _)| record.doc_id.as_str())
        .collect();
    read.sort_unstable();
    let mut expected = vec![ids[0].as_str(), ids[1].as_str()];
    expected.sort_unstable();
    assert_eq!(read, expected);
    assert!(
        found
            .records
            .iter()
            .all(|(_, by)| by == &[MatchedBy::Email])
    );
    let mut logged_reads = logged(&url, AccessAction::SubjectAccess);
    logged_reads.sort_unstable();
    assert_eq!(logged_reads, expected);
    let routed: Vec<(String, String)> = connect(&url)
        .query("SELECT kind, doc_ids FROM restricted_requests", &[])
        .expect("requests")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(routed, [("subject_access".to_owned(), ids[2].clone())]);

    // A second request shows the first's entries with each record.
    let again = store
        .subject_access(
            &SubjectLookup::Email("same.person@example.se".to_owned()),
            true,
            &reader,
            200,
        )
        .expect("reads");
    assert_eq!(again.records.len(), 3, "cleared: the restricted one too");
    for (record, _) in &again.records {
        let earlier = usize::from(!record.restricted);
        assert_eq!(record.access.len(), earlier, "{}", record.doc_id);
    }
    assert!(chain_verifies(&url));
}

#[test]
fn a_disclosure_names_what_is_held_withheld_removed_and_not_held() {
    let (store, url) = store();
    let (_, ids) = one_person(&url);
    let reader = operator("registrar");
    assert_eq!(
        store
            .remove_registration(&ids[1], "retention", &reader, 50)
            .expect("removes"),
        RemovalOutcome::Removed
    );
    let asked = vec![
        AskedRecord::Id(ids[0].clone()),
        AskedRecord::Id(ids[1].clone()),
        AskedRecord::Id(ids[2].clone()),
        AskedRecord::Id("never-held".to_owned()),
    ];
    let DisclosureOutcome::Items(items) = store
        .disclosure(&DisclosureSelection::Records(asked), false, &reader, 60)
        .expect("reads")
    else {
        panic!("expected items");
    };
    assert!(matches!(&items[0], DisclosureItem::Held { record, .. } if record.doc_id == ids[0]));
    assert!(matches!(
        &items[1],
        DisclosureItem::Removed { removed_at: 50, reason, .. } if reason == "retention"
    ));
    assert!(
        matches!(&items[2], DisclosureItem::NotHeld { .. }),
        "withheld"
    );
    assert!(matches!(&items[3], DisclosureItem::NotHeld { .. }));
    assert_eq!(logged(&url, AccessAction::Disclosure), [ids[0].clone()]);
    let routed: i64 = connect(&url)
        .query_one(
            "SELECT COUNT(*) FROM restricted_requests WHERE kind = 'disclosure'",
            &[],
        )
        .expect("requests")
        .get(0);
    assert_eq!(routed, 1);
    let too_many = store
        .disclosure(
            &DisclosureSelection::Event {
                event_id: kiosk_core::demo::DEMO_EVENT_ID.to_owned(),
                from: 0,
                before: i64::MAX,
                limit: 1,
            },
            true,
            &reader,
            70,
        )
        .expect("reads");
    assert!(matches!(too_many, DisclosureOutcome::TooMany));
}

#[test]
fn the_reconciliation_tally_counts_an_events_devices_journals_and_removals() {
    let (store, url) = store();
    let event = kiosk_core::demo::DEMO_EVENT_ID;
    let device = visitor_kiosk().to_bytes();
    crate::storage::enroll_for_tests(
        &store,
        device,
        event,
        kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
        None,
    );
    let (_, ids) = put_generated(&url, 3, 7);
    let mut client = connect(&url);
    for (seq, doc) in ids.iter().enumerate() {
        client
            .execute(
                "INSERT INTO device_journal (device_key, seq, doc_id, change_hashes)
                 VALUES ($1, $2, $3, '')",
                &[&device.as_slice(), &(seq as i64 + 1), doc],
            )
            .expect("journal entry");
    }
    client
        .execute(
            "UPDATE devices SET declared_journal = 5 WHERE device_key = $1",
            &[&device.as_slice()],
        )
        .expect("declared");
    store
        .remove_registration(&ids[0], "x", &operator("arvid"), 9)
        .expect("removes");
    let tally = store.reconciliation_tally(event).expect("tallies");
    let journal = tally.devices.get(&device).expect("the device");
    assert_eq!(
        (journal.highest_seq, journal.entries, journal.removed),
        (5, 3, 1)
    );
    assert_eq!(
        (tally.removals, tally.accepted, tally.kept_apart),
        (1, 0, 0)
    );
    assert!(
        store
            .reconciliation_tally("another-event")
            .expect("tallies")
            .devices
            .is_empty()
    );
}

/// A step that fails lets the run's lock go: the instance may not drive the run on after an
/// error, and a lock kept meanwhile would stall it for every other instance.
#[test]
fn a_failed_step_lets_another_instance_carry_the_run() {
    let (a, url) = store();
    let b = instance(&url);
    let (_, due_at) = three_due(&a, &url);
    let run = a
        .start_retention_run("operator", due_at)
        .expect("answers")
        .expect("started");
    assert_eq!(
        a.retention_run_step(run.id, 1, due_at + 1).expect("steps"),
        RunStep::Removed(1)
    );
    assert!(a.retention_job.is_held());
    // A step of a run that does not exist fails on the instance holding the lock.
    a.retention_run_step(run.id + 1_000, 1, due_at + 1)
        .expect_err("no such run");
    assert!(
        !a.retention_job.is_held(),
        "the failed step let the lock go"
    );
    assert!(matches!(
        b.retention_run_step(run.id, 10, due_at + 2)
            .expect("the other instance carries it on"),
        RunStep::Removed(1..)
    ));
    assert!(b.retention_job.is_held());
}

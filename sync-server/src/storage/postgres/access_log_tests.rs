//! What only the PostgreSQL access log can show: one chain while several relay instances
//! (and several requests of each) append at once, appends split over statements, and the
//! triggers that keep the table append-only whatever SQL runs.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use super::{append, lock_chain};
use crate::rules::access_chain::GENESIS;
use crate::storage::model::{AccessAction, AccessEntry, Accessor};
use crate::storage::postgres::test_cluster::fresh_database_url;
use crate::storage::postgres::{PgStore, take_commit_number};
use crate::storage::traits::AccessLogStore;

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connects")
}

fn read_by(name: &str, doc_id: String, at: i64) -> AccessEntry {
    AccessEntry {
        at,
        accessor: Accessor::Operator(format!("hr:{name}")),
        action: AccessAction::Read,
        doc_id,
    }
}

fn pulled(device: u8, doc_id: String, at: i64) -> AccessEntry {
    AccessEntry {
        at,
        accessor: Accessor::Device {
            device_key: [device; 32],
            recruiter: device.is_multiple_of(2).then(|| "anna".to_owned()),
        },
        action: AccessAction::Pull,
        doc_id,
    }
}

/// Every entry of the log, in number order, paging as a reviewer does.
fn whole_log(store: &PgStore) -> Vec<(u64, AccessEntry)> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or(0, |(seq, _)| *seq);
        let page = store.access_log_entries(after, 500).expect("reads");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

const INSTANCES: usize = 2;
const THREADS_PER_INSTANCE: usize = 3;
const ROUNDS: usize = 30;

/// Appends from two instances of one database, three threads each, every one mixing single
/// entries, batches, and batches inside numbered writes (which take the sequencer first,
/// then the chain lock): every append succeeds, the log verifies as one chain holding each
/// entry once, and a reviewer paging through the other instance meanwhile never sees a
/// number before every lower one (a cursor moved past a hole would miss that entry).
#[test]
fn appends_from_two_instances_at_once_form_one_chain_that_verifies() {
    let url = fresh_database_url();
    let stores: Vec<PgStore> = (0..INSTANCES)
        .map(|_| PgStore::open(&url).expect("opens"))
        .collect();
    let clock = AtomicI64::new(1);
    let writing = AtomicBool::new(true);
    let mut expected = HashSet::new();
    let reviewed = std::thread::scope(|scope| {
        let reviewer = scope.spawn(|| {
            // Polls until the writers are done and it has caught up (bounded).
            let mut cursor = 0_u64;
            let mut seen = Vec::new();
            for _ in 0..100_000 {
                let done = !writing.load(Ordering::SeqCst);
                let page = stores[1].access_log_entries(cursor, 200).expect("reviews");
                for (seq, entry) in &page {
                    assert_eq!(
                        *seq,
                        cursor + 1,
                        "entry {seq} visible before {}",
                        cursor + 1
                    );
                    cursor = *seq;
                    seen.push(entry.doc_id.clone());
                }
                if page.is_empty() {
                    if done {
                        return seen;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
            panic!("the reviewer did not catch up");
        });
        let writers: Vec<_> = (0..INSTANCES * THREADS_PER_INSTANCE)
            .map(|writer| {
                let store = &stores[writer % INSTANCES];
                let clock = &clock;
                scope.spawn(move || {
                    let mut wrote = Vec::new();
                    for round in 0..ROUNDS {
                        let doc = |i: usize| format!("w{writer}-r{round}-e{i}");
                        let at = clock.fetch_add(1, Ordering::Relaxed);
                        match round % 3 {
                            0 => {
                                store
                                    .log_access(&read_by("arvid", doc(0), at))
                                    .expect("appends one");
                                wrote.push(doc(0));
                            }
                            1 => {
                                let batch: Vec<_> = (0..1 + round % 7)
                                    .map(|i| pulled(writer as u8, doc(i), at))
                                    .collect();
                                store
                                    .write(|tx| append(tx, &batch))
                                    .expect("appends a batch");
                                wrote.extend(batch.into_iter().map(|e| e.doc_id));
                            }
                            _ => {
                                let batch: Vec<_> =
                                    (0..3).map(|i| read_by("bo", doc(i), at)).collect();
                                store
                                    .write(|tx| {
                                        take_commit_number(tx)?;
                                        append(tx, &batch)
                                    })
                                    .expect("appends inside a numbered write");
                                wrote.extend(batch.into_iter().map(|e| e.doc_id));
                            }
                        }
                    }
                    wrote
                })
            })
            .collect();
        let wrote: Vec<_> = writers.into_iter().map(|writer| writer.join()).collect();
        // Before a writer's panic is passed on: the reviewer stops waiting for more.
        writing.store(false, Ordering::SeqCst);
        for writer in wrote {
            expected.extend(writer.expect("the writer did not panic"));
        }
        reviewer.join().expect("the reviewer did not panic")
    });

    let total = expected.len() as u64;
    for store in &stores {
        let verdict = store.verify_access_log().expect("verifies");
        assert_eq!((verdict.entries, verdict.broken_at), (total, None));
        assert_eq!(
            Some(verdict.head),
            store.access_log_entry_hash(total).expect("reads"),
            "the head is the last entry's hash"
        );
    }
    let stored: Vec<String> = whole_log(&stores[0])
        .into_iter()
        .map(|(_, e)| e.doc_id)
        .collect();
    assert_eq!(stored.len() as u64, total, "no entry twice");
    assert_eq!(stored.iter().cloned().collect::<HashSet<_>>(), expected);
    assert_eq!(reviewed, stored, "the reviewer saw every entry, in order");
}

/// Prunings through one instance while another appends: the horizon always names entries
/// the log holds, and the chain verifies from it to the last entry.
#[test]
fn pruning_through_one_instance_while_another_appends_leaves_a_chain_that_verifies() {
    let url = fresh_database_url();
    let appender = PgStore::open(&url).expect("opens");
    let pruner = PgStore::open(&url).expect("a second instance");
    const APPENDS: i64 = 120;
    let pruned = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for at in 1..=APPENDS {
                appender
                    .log_access(&read_by("arvid", format!("doc-{at}"), at))
                    .expect("appends");
            }
        });
        let mut pruned = 0_u64;
        for older_than in (0..APPENDS).step_by(10) {
            match pruner
                .prune_access_log(older_than, "test rule", older_than)
                .expect("prunes")
            {
                crate::storage::model::AccessLogPruning::Pruned { removed, .. } => {
                    pruned += removed
                }
                crate::storage::model::AccessLogPruning::NothingDue { .. } => {}
                broken => panic!("{broken:?}"),
            }
            assert_eq!(
                pruner.verify_access_log().expect("verifies").broken_at,
                None
            );
        }
        writer.join().expect("the writer did not panic");
        pruned
    });
    let verdict = pruner.verify_access_log().expect("verifies");
    assert_eq!((verdict.entries, verdict.broken_at), (APPENDS as u64, None));
    assert_eq!(
        whole_log(&appender).len() as u64,
        APPENDS as u64 - pruned,
        "what was pruned is gone, the rest is kept"
    );
}

/// An append longer than one INSERT statement (1,000 rows) is one chain across its
/// statements, and a later append links onto its last entry.
#[test]
fn an_append_longer_than_one_statement_links_across_its_statements() {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    let batch: Vec<_> = (0..2_500)
        .map(|i| pulled((i % 5) as u8, format!("doc-{i}"), i64::from(i)))
        .collect();
    store.write(|tx| append(tx, &batch)).expect("appends");
    store
        .log_access(&read_by("arvid", "doc-last".into(), 9))
        .expect("appends");
    let verdict = store.verify_access_log().expect("verifies");
    assert_eq!((verdict.entries, verdict.broken_at), (2_501, None));
    let mut client = connect(&url);
    let link = |client: &mut postgres::Client, column: &str, seq: i64| -> Vec<u8> {
        client
            .query_one(
                &*format!("SELECT {column} FROM access_log WHERE seq = $1"),
                &[&seq],
            )
            .expect("reads")
            .get(0)
    };
    assert_eq!(
        link(&mut client, "previous", 1_001),
        link(&mut client, "hash", 1_000)
    );
    assert_eq!(
        link(&mut client, "previous", 2_501),
        link(&mut client, "hash", 2_500)
    );
    assert_eq!(link(&mut client, "previous", 1), GENESIS.to_vec());
    let logged: Vec<_> = whole_log(&store).into_iter().map(|(_, e)| e).collect();
    assert_eq!(&logged[..2_500], &batch[..], "stored as given, in order");
}

/// The triggers hold on PostgreSQL as on SQLite: no UPDATE, no DELETE at or after the
/// horizon, no TRUNCATE, no row that does not continue the chain; and a log tampered with
/// past them (triggers off, as a superuser could) breaks where it was changed and takes
/// no further appends onto a head that is not a hash.
#[test]
fn the_table_refuses_rewrites_and_a_tampered_log_breaks_where_it_was_changed() {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    for n in 1..=4 {
        store
            .log_access(&pulled(n, format!("doc-{n}"), i64::from(n)))
            .expect("appends");
    }
    let mut client = connect(&url);
    let refusal = |client: &mut postgres::Client, sql: &str| -> String {
        let error = client.batch_execute(sql).expect_err("refused");
        error
            .as_db_error()
            .map(|e| e.message().to_owned())
            .unwrap_or_else(|| error.to_string())
    };
    for (sql, says) in [
        (
            "UPDATE access_log SET doc_id = 'other' WHERE seq = 2",
            "append-only",
        ),
        ("DELETE FROM access_log WHERE seq = 1", "append-only"),
        ("TRUNCATE access_log", "append-only"),
        (
            "INSERT INTO access_log VALUES (6, 0, 'operator', 'x', NULL, 'read', 'd',
                 (SELECT hash FROM access_log WHERE seq = 4), '\\x00')",
            "only grows at its end",
        ),
        (
            "INSERT INTO access_log VALUES (5, 0, 'operator', 'x', NULL, 'read', 'd',
                 decode(repeat('00', 32), 'hex'), '\\x00')",
            "only grows at its end",
        ),
    ] {
        let refused = refusal(&mut client, sql);
        assert!(refused.contains(says), "{sql}: {refused}");
    }
    assert_eq!(store.verify_access_log().expect("verifies").broken_at, None);

    // Past the triggers: `session_replication_role = replica` fires none.
    client
        .batch_execute(
            "SET session_replication_role = replica;
             UPDATE access_log SET at = 99 WHERE seq = 3;",
        )
        .expect("tampers");
    let verdict = store.verify_access_log().expect("verifies");
    assert_eq!((verdict.entries, verdict.broken_at), (4, Some(3)));
    client
        .batch_execute("UPDATE access_log SET hash = '\\x0102' WHERE seq = 4")
        .expect("tampers");
    assert!(
        store.log_access(&pulled(5, "doc-5".into(), 5)).is_err(),
        "nothing is linked onto a head that is not a hash"
    );
    assert_eq!(store.verify_access_log().expect("verifies").entries, 4);
}

/// The chain lock is held to the end of the transaction that took it: another instance's
/// append waits for it (observed as a lock wait), and goes on once it ends.
#[test]
fn an_append_waits_while_another_instance_holds_the_chain_lock() {
    let url = fresh_database_url();
    let holder = PgStore::open(&url).expect("opens");
    let other = PgStore::open(&url).expect("a second instance");
    let (locked, locked_rx) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        // Dropped if this thread panics, so the held transaction ends and the scope too.
        let release = release;
        let holder = &holder;
        let holding = scope.spawn(move || {
            holder.write(|tx| {
                lock_chain(tx)?;
                append(tx, &[read_by("arvid", "doc-1".into(), 1)])?;
                locked.send(()).expect("sends");
                release_rx.recv().expect("released");
                Ok(())
            })
        });
        locked_rx.recv().expect("the lock was taken");
        let waiting = scope.spawn(|| other.log_access(&read_by("bo", "doc-2".into(), 2)));
        let mut observer = connect(&url);
        let mut waited = false;
        for _ in 0..2_000 {
            let advisory: i64 = observer
                .query_one(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                    &[],
                )
                .expect("asks")
                .get(0);
            if advisory > 0 {
                waited = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(waited, "the second append did not wait for the chain lock");
        release.send(()).expect("releases");
        holding.join().expect("no panic").expect("commits");
        waiting.join().expect("no panic").expect("appends after it");
    });
    let log = whole_log(&other);
    let docs: Vec<&str> = log.iter().map(|(_, e)| e.doc_id.as_str()).collect();
    assert_eq!(docs, ["doc-1", "doc-2"]);
    assert_eq!(other.verify_access_log().expect("verifies").broken_at, None);
}

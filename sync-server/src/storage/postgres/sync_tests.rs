//! Ingest and pull with several relay instances on one database: what the store suite,
//! which runs one store, cannot show.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use super::PgStore;
use super::test_cluster::fresh_database_url;
use crate::rules::access_chain::{ChainWalk, EntryFields, GENESIS};
use crate::storage::suite::fixtures::{
    EVENT, STAFF_PULLER, assert_committed, batch, doc_id, document, enroll, enroll_staff, hashes,
    staff_scope,
};
use crate::storage::{
    AcceptedCapture, Accessor, DeviceStore, IngestBatch, IngestItem, IngestOutcome, PullPage,
    PullQuery, QuarantineStore, ReviewAction, ReviewOutcome, SyncStore, TransparencyLogStore,
};
use kiosk_core::protocol::{ErrorCode, PushOutcome};

/// Two instances (two pools) on one new database, and its URL.
fn two_instances() -> (PgStore, PgStore, String) {
    let url = fresh_database_url();
    let first = PgStore::open(&url).expect("opens");
    let second = PgStore::open(&url).expect("a second instance opens");
    (first, second, url)
}

/// Staff tablet [`STAFF_PULLER`]'s sync request `seq`: no pushes, a page after `after`.
fn staff_pull(seq: u64, after: u64, max_changes: usize) -> IngestBatch {
    IngestBatch {
        device_key: STAFF_PULLER,
        seq,
        received_at: 5_000,
        items: Vec::new(),
        accessor: Accessor::Device {
            device_key: STAFF_PULLER,
            recruiter: None,
        },
        pull: Some(PullQuery {
            scope: staff_scope(),
            after_seq: after,
            max_changes,
        }),
        declared_journal: None,
    }
}

fn page_of(outcome: IngestOutcome) -> PullPage {
    match outcome {
        IngestOutcome::Committed { page, .. } => page,
        other => panic!("expected a pull, got {other:?}"),
    }
}

/// The commit-order guarantee (issue 18, point 2): kiosks push through two instances at
/// once while a staff tablet pulls small pages all the while, alternating instances and
/// moving its cursor to each page's end. Should a commit with a lower number become
/// visible after a pull's cursor passed it, that pull would skip it for good; every
/// capture must instead arrive exactly once.
#[test]
fn a_staff_tablet_pulling_while_two_instances_store_misses_no_capture_and_gets_none_twice() {
    const KIOSKS: u8 = 8;
    const REQUESTS: u64 = 12;
    const PER_REQUEST: u64 = 2;
    let (first, second, _) = two_instances();
    let kiosks = enroll(&first, KIOSKS);
    enroll_staff(&second, STAFF_PULLER, EVENT);
    let writing = AtomicBool::new(true);
    let pulled: Vec<(String, Vec<u8>)> = thread::scope(|scope| {
        let writers: Vec<_> = kiosks
            .iter()
            .enumerate()
            .map(|(n, kiosk)| {
                // Half the kiosks sync through each instance.
                let store: &PgStore = if n % 2 == 0 { &first } else { &second };
                scope.spawn(move || {
                    for seq in 1..=REQUESTS {
                        let journal = (seq - 1) * PER_REQUEST + 1..=seq * PER_REQUEST;
                        let outcome = store.ingest(&batch(kiosk, seq, journal.clone()));
                        assert_committed(&outcome, kiosk, journal);
                    }
                })
            })
            .collect();
        let reader = scope.spawn(|| {
            let mut pulled = Vec::new();
            let (mut seq, mut cursor) = (0, 0);
            loop {
                // Read before the pull: a pull that starts after every writer finished
                // and reaches the end has seen everything.
                let last_round = !writing.load(Ordering::SeqCst);
                seq += 1;
                let store: &PgStore = if seq % 2 == 0 { &first } else { &second };
                let page = page_of(store.ingest(&staff_pull(seq, cursor, 3)).expect("pulls"));
                assert!(page.through_seq >= cursor, "the cursor never goes back");
                cursor = page.through_seq;
                pulled.extend(page.documents.into_iter().map(|d| (d.doc_id, d.changes)));
                if last_round && !page.more {
                    return pulled;
                }
            }
        });
        for writer in writers {
            writer.join().expect("a writer failed");
        }
        writing.store(false, Ordering::SeqCst);
        reader.join().expect("the reader failed")
    });
    let expected: HashSet<String> = kiosks
        .iter()
        .flat_map(|kiosk| (1..=REQUESTS * PER_REQUEST).map(move |j| doc_id(kiosk, j)))
        .collect();
    let ids: HashSet<String> = pulled.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(pulled.len(), ids.len(), "no capture pulled twice");
    let missed: Vec<&String> = expected.difference(&ids).collect();
    assert!(missed.is_empty(), "pulls skipped {missed:?}");
    assert_eq!(ids, expected);
    for kiosk in &kiosks {
        for j in 1..=REQUESTS * PER_REQUEST {
            let id = doc_id(kiosk, j);
            let (_, changes) = pulled.iter().find(|(d, _)| *d == id).expect("pulled");
            assert_eq!(*changes, document(kiosk, j), "the capture's own bytes");
        }
    }
}

/// The sequence check holds across instances: one tablet's request retried through both
/// instances at once (its device row locked, the second check reading the first's commit)
/// is stored once; every other copy is answered as stale.
#[test]
fn one_request_sent_through_two_instances_at_once_is_stored_once() {
    let (first, second, _) = two_instances();
    let kiosk = enroll(&first, 1)[0];
    let start = std::sync::Barrier::new(6);
    let outcomes: Vec<IngestOutcome> = thread::scope(|scope| {
        let sending: Vec<_> = (0..6)
            .map(|n| {
                let store: &PgStore = if n % 2 == 0 { &first } else { &second };
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    store.ingest(&batch(&kiosk, 1, 1..=3)).expect("answered")
                })
            })
            .collect();
        sending
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let committed = outcomes
        .iter()
        .filter(|o| matches!(o, IngestOutcome::Committed { .. }))
        .count();
    assert_eq!(committed, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            IngestOutcome::Committed { .. } | IngestOutcome::StaleSeq { last_accepted: 1 }
        )),
        "{outcomes:?}"
    );
    let counts = second.counts().expect("counts");
    assert_eq!(counts.registrations, 3);
    let report = first.device_report(&kiosk).expect("reads").expect("known");
    assert_eq!(report.journal.count, 3);
    assert_eq!(report.record.last_seq, 1);
}

/// Two instances appending access log entries at once (pulls logged by ingest) keep one
/// chain: every pull's entries are numbered on, none refused by the log's trigger.
#[test]
fn pulls_logged_through_two_instances_at_once_keep_one_verifiable_chain() {
    let (first, second, url) = two_instances();
    let kiosks = enroll(&first, 2);
    for kiosk in &kiosks {
        assert_committed(&first.ingest(&batch(kiosk, 1, 1..=2)), kiosk, 1..=2);
    }
    // Two staff tablets of the event, each pulling through its own instance.
    let pullers = [STAFF_PULLER, [0x56; 32]];
    for puller in pullers {
        enroll_staff(&first, puller, EVENT);
    }
    thread::scope(|scope| {
        for (puller, store) in pullers.iter().zip([&first, &second]) {
            scope.spawn(move || {
                for seq in 1..=10 {
                    let mut request = staff_pull(seq, 0, 100);
                    request.device_key = *puller;
                    request.accessor = Accessor::Device {
                        device_key: *puller,
                        recruiter: None,
                    };
                    if let Some(query) = &mut request.pull {
                        query.scope.device_key = *puller;
                    }
                    let page = page_of(store.ingest(&request).expect("pulls"));
                    assert_eq!(page.documents.len(), 4);
                }
            });
        }
    });
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let rows = client
        .query(
            "SELECT seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash
             FROM access_log ORDER BY seq",
            &[],
        )
        .expect("reads the log");
    let mut walk = ChainWalk::from(0, GENESIS);
    for row in &rows {
        let seq: i64 = row.get(0);
        walk.next(
            &EntryFields {
                seq: seq as u64,
                at: row.get(1),
                actor_kind: row.get(2),
                actor: row.get(3),
                recruiter: row.get(4),
                action: row.get(5),
                doc_id: row.get(6),
            },
            row.get(7),
            row.get(8),
        );
    }
    let verdict = walk.verdict();
    assert_eq!(
        verdict.entries,
        2 * 10 * 4,
        "every pulled record logged once"
    );
    assert_eq!(verdict.broken_at, None, "one chain, numbered and linked");
}

/// A quarantined capture decided by several reviewers at once through two instances, some
/// accepting and some keeping it apart, gets one decision: the first recorded, every other
/// answered as reviewed already (not a refused insert), and it is stored as a registration
/// exactly when the decision recorded is to accept it.
#[test]
fn one_quarantined_capture_reviewed_through_two_instances_at_once_is_decided_once() {
    let (first, second, _) = two_instances();
    let kiosk = enroll(&first, 1)[0];
    let mut request = batch(&kiosk, 1, 1..=1);
    request.items = vec![IngestItem::Quarantine {
        doc_id: doc_id(&kiosk, 1),
        sealed: document(&kiosk, 1),
        change_hashes: hashes(&kiosk, 1),
        code: ErrorCode::Revoked,
        journal_seq: Some(1),
    }];
    first.ingest(&request).expect("kept apart");
    let id = second.quarantined_captures(None, 10).expect("lists")[0].id;
    let accept = ReviewAction::Accept(AcceptedCapture {
        event_id: EVENT.to_owned(),
        document: document(&kiosk, 1),
        change_hashes: hashes(&kiosk, 1),
        capture_signature: vec![7; 64],
        receipt_code: "R1-1".to_owned(),
        receipt_tag: None,
        restricted: false,
    });
    let start = std::sync::Barrier::new(6);
    let decided: Vec<(ReviewAction, ReviewOutcome)> = thread::scope(|scope| {
        let reviewing: Vec<_> = (0..6)
            .map(|n| {
                let store: &PgStore = if n % 2 == 0 { &first } else { &second };
                let action = if n % 3 == 0 {
                    ReviewAction::KeepApart
                } else {
                    accept.clone()
                };
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    let by = Accessor::Operator(format!("archivist-{n}"));
                    let outcome = store
                        .review_quarantined(id, &action, "checked", "archivist", &by, 10)
                        .expect("answered");
                    (action, outcome)
                })
            })
            .collect();
        reviewing
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let recorded: Vec<&ReviewAction> = decided
        .iter()
        .filter(|(_, outcome)| *outcome == ReviewOutcome::Recorded)
        .map(|(action, _)| action)
        .collect();
    assert_eq!(recorded.len(), 1, "{decided:?}");
    assert!(
        decided.iter().all(|(_, outcome)| matches!(
            outcome,
            ReviewOutcome::Recorded | ReviewOutcome::AlreadyReviewed
        )),
        "{decided:?}"
    );
    let review = first
        .quarantined_capture(id)
        .expect("reads")
        .expect("held")
        .0
        .review
        .expect("reviewed");
    assert_eq!(review.decision, recorded[0].decision());
    let stored = second.counts().expect("counts").registrations;
    let accepted = matches!(recorded[0], ReviewAction::Accept(_));
    assert_eq!(
        stored,
        u64::from(accepted),
        "stored once, and only if accepted"
    );
}

/// Ingest writes a capture's index row in the statement that stores it; the row is the one
/// re-indexing the stored record writes, every column alike (the sealed ones opened: each
/// sealing draws a new nonce).
#[test]
fn the_index_row_ingest_writes_is_the_one_reindexing_the_record_writes() {
    use super::record_seal::{Field, RecordKey};
    let (store, _, url) = two_instances();
    let registrations = crate::storage::ingest_generated_for_tests(&store, 12);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let rows = |client: &mut postgres::Client| -> Vec<String> {
        client
            .query(
                "SELECT i.doc_id, row(i.doc_id, i.event_id, i.captured_at, i.restricted,
                        i.talent_pool, i.status, i.interests, i.locations, i.receipt_code)::TEXT,
                        i.given_name, i.family_name, i.search, k.key
                 FROM registration_index i JOIN record_keys k ON k.doc_id = i.doc_id
                 ORDER BY i.doc_id",
                &[],
            )
            .expect("reads the index")
            .iter()
            .map(|r| {
                let doc_id: &str = r.get(0);
                let key = RecordKey::from_stored(r.get(5)).expect("a key");
                let open = |n: usize, field| key.open_text(doc_id, field, r.get(n)).expect("opens");
                format!(
                    "{} {} {} {}",
                    r.get::<_, String>(1),
                    open(2, Field::GivenName),
                    open(3, Field::FamilyName),
                    open(4, Field::Search)
                )
            })
            .collect()
    };
    let written = rows(&mut client);
    assert_eq!(written.len(), registrations.len(), "every capture indexed");
    client
        .execute("DELETE FROM registration_index", &[])
        .expect("empties the index");
    store
        .write(|tx| {
            for registration in &registrations {
                super::index_writes::index_one(
                    tx,
                    super::email_tags::EmailTags::NONE,
                    &registration.id.to_string(),
                )?;
            }
            Ok(())
        })
        .expect("re-indexes");
    assert_eq!(rows(&mut client), written);
}

/// Ingest reads what a request's captures decide on once, ahead, and writes new captures in
/// one statement per table (`capture_rows`): a capture named again later in the same
/// request must still be answered as a retry of the one just stored (stored once, the held
/// hashes answered), and other bytes under that id quarantined, exactly as when each
/// capture went in at once; the journal keeps every numbered entry.
#[test]
fn captures_repeated_within_one_request_are_decided_as_if_written_one_by_one() {
    let store = PgStore::open(&fresh_database_url()).expect("opens");
    let device = enroll(&store, 1)[0];
    let mut request = batch(&device, 1, 1..=2);
    let retry = request.items[0].clone();
    let mut other_bytes = request.items[1].clone();
    if let IngestItem::Store {
        document,
        change_hashes,
        journal_seq,
        ..
    } = &mut other_bytes
    {
        *document = b"other bytes".to_vec();
        *change_hashes = vec![[0xab; 32]];
        *journal_seq = Some(3);
    }
    request.items.push(retry);
    request.items.push(other_bytes);
    let IngestOutcome::Committed {
        outcomes, journal, ..
    } = store.ingest(&request).expect("ingested")
    else {
        panic!("expected a commit");
    };
    assert_eq!(
        outcomes,
        vec![
            PushOutcome::Stored(hashes(&device, 1)),
            PushOutcome::Stored(hashes(&device, 2)),
            PushOutcome::Stored(hashes(&device, 1)),
            PushOutcome::Quarantined(ErrorCode::NotPermitted, vec![[0xab; 32]]),
        ]
    );
    assert_eq!(
        journal.count, 3,
        "the journal holds all three numbered entries"
    );
    let counts = store.counts().expect("counts");
    assert_eq!((counts.registrations, counts.quarantined), (2, 1));
}

/// A quarantined copy kept before the relay wrote `quarantined` leaves (`logged` false, as
/// migration 13 leaves every earlier row) gets its leaves when its tablet sends it again,
/// once: the log grows by its number of changes on the first resend and not on the next,
/// so the tablet gets proofs without an archivist's acceptance. A new copy is logged.
#[test]
fn a_copy_kept_apart_before_its_leaves_gets_them_once_when_sent_again() {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    let device = enroll(&store, 1)[0];
    let changes = hashes(&device, 1).len() as u64;
    let send = |seq: u64| {
        let mut request = batch(&device, seq, 1..=1);
        request.items = vec![IngestItem::Quarantine {
            doc_id: doc_id(&device, 1),
            sealed: document(&device, 1),
            change_hashes: hashes(&device, 1),
            code: ErrorCode::Revoked,
            journal_seq: Some(1),
        }];
        store.ingest(&request).expect("kept apart");
        store.log_tip().expect("reads").size
    };
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let logged = |client: &mut postgres::Client| -> bool {
        client
            .query_one("SELECT logged FROM quarantine", &[])
            .expect("one copy")
            .get(0)
    };
    let first = send(1);
    assert!(logged(&mut client), "a new copy is written with its leaves");
    client
        .execute("UPDATE quarantine SET logged = false", &[])
        .expect("as before the upgrade");
    let resent = send(2);
    assert_eq!(resent, first + changes, "its leaves written on the resend");
    assert!(logged(&mut client));
    assert_eq!(send(3), resent, "and only once");
}

/// The upgrade that writes each quarantined copy's nonce rule (from the version before it,
/// with every row marked not logged as migration 13 left them): copies whose leaves the log
/// holds are marked logged under the rule they were hashed under, read from the log, so
/// sending them again appends nothing and each is proven under its nonce, including one
/// logged while no registration held its id (the record's nonce) and one another tablet sent
/// under a registered id (its copy nonce).
#[test]
fn copies_logged_before_the_rule_upgrade_keep_their_nonce_and_are_never_logged_twice() {
    use crate::storage::traits::TransparencyLogStore;
    use crate::transparency::leaf::{Leaf, LeafKind, record_commitment};
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    let devices = enroll(&store, 3);
    let (owner, early, late) = (devices[0], devices[1], devices[2]);
    let id = doc_id(&owner, 1);
    let send = |device: &[u8; 32], seq: u64| {
        let mut request = batch(device, seq, 1..=1);
        request.items = vec![IngestItem::Quarantine {
            doc_id: id.clone(),
            sealed: document(device, 5),
            change_hashes: hashes(device, 5),
            code: ErrorCode::NotPermitted,
            journal_seq: Some(5),
        }];
        store.ingest(&request).expect("kept apart");
        store.log_tip().expect("reads").size
    };
    send(&early, 1);
    store.ingest(&batch(&owner, 1, 1..=1)).expect("stored");
    let logged_size = send(&late, 1);
    let nonces = |store: &PgStore| {
        (
            store.quarantine_nonce(&id, &early).expect("reads"),
            store.quarantine_nonce(&id, &late).expect("reads"),
        )
    };
    let before = nonces(&store);
    drop(store);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    client
        .batch_execute(&format!(
            "ALTER TABLE quarantine DROP COLUMN nonce_rule;
             ALTER TABLE registrations DROP COLUMN nonce_device, DROP COLUMN certified_at;
             ALTER TABLE quarantine DROP COLUMN certified_at;
             UPDATE quarantine SET logged = false;
             -- Another copy of the late tablet, kept before the relay wrote leaves: none
             -- in the log, though its tablet's other copy has them.
             INSERT INTO quarantine (doc_id, device_key, payload, code, received_at, logged)
                 SELECT doc_id, device_key, payload, '{revoked}', received_at + 1000, false
                 FROM quarantine WHERE device_key = '\\x{late}';
             ALTER TABLE device_certificates DROP CONSTRAINT device_certificates_pkey;
             ALTER TABLE device_certificates ADD PRIMARY KEY (device_key);
             UPDATE kiosk_relay_schema SET version = {version};",
            revoked = ErrorCode::Revoked.as_str(),
            late = hex::encode(late),
            version = super::schema::QUARANTINE_RULE_VERSION - 1
        ))
        .expect("set back");

    let store = PgStore::open(&url).expect("upgrades");
    let version: i64 = client
        .query_one("SELECT version FROM kiosk_relay_schema", &[])
        .expect("reads")
        .get(0);
    assert_eq!(version, i64::from(super::schema::CURRENT_VERSION));
    let rules: Vec<(Vec<u8>, Option<String>, bool)> = client
        .query(
            "SELECT device_key, nonce_rule, logged FROM quarantine ORDER BY device_key, id",
            &[],
        )
        .expect("reads")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    assert_eq!(
        rules,
        vec![
            (early.to_vec(), Some("record".to_owned()), true),
            (late.to_vec(), Some("copy".to_owned()), true),
            (late.to_vec(), None, false),
        ]
    );
    assert_eq!(nonces(&store), before, "the nonces they were logged under");
    assert_eq!(
        before.0,
        store.record_nonce(&id).expect("reads"),
        "the first copy, logged before the registration, under the record's nonce"
    );
    let leaves = store.log_leaves(0, 1_000).expect("reads");
    for (device, nonce) in [(early, before.0), (late, before.1)] {
        let record = record_commitment(&nonce.expect("a nonce"), &id);
        assert!(
            leaves.iter().any(|bytes| {
                let leaf = Leaf::decode(bytes).expect("decodes");
                leaf.kind == LeafKind::Quarantined && leaf.record == record && leaf.author == device
            }),
            "each copy's leaves are found under the nonce it is answered with"
        );
    }
    let send = |device: &[u8; 32], seq: u64| {
        let mut request = batch(device, seq, 1..=1);
        request.items = vec![IngestItem::Quarantine {
            doc_id: id.clone(),
            sealed: document(device, 5),
            change_hashes: hashes(device, 5),
            code: ErrorCode::NotPermitted,
            journal_seq: Some(5),
        }];
        store.ingest(&request).expect("kept apart");
        store.log_tip().expect("reads").size
    };
    assert_eq!(send(&early, 2), logged_size, "not logged a second time");
    assert_eq!(send(&late, 2), logged_size, "not logged a second time");
    // The copy never logged gets its leaves when its tablet sends it again, under the
    // rule of its tablet's other copy.
    let mut request = batch(&late, 3, 1..=1);
    request.items = vec![IngestItem::Quarantine {
        doc_id: id.clone(),
        sealed: document(&late, 5),
        change_hashes: hashes(&late, 5),
        code: ErrorCode::Revoked,
        journal_seq: Some(5),
    }];
    store.ingest(&request).expect("kept apart");
    assert_eq!(
        store.log_tip().expect("reads").size,
        logged_size + hashes(&late, 5).len() as u64,
        "its leaves written once it is sent again"
    );
    assert_eq!(store.quarantine_nonce(&id, &late).expect("reads"), before.1);
}

/// During a rolling upgrade an instance of a build before version 15 still running writes
/// copies logged with no rule: they are answered under the nonce their leaves were hashed
/// under, read from the log, the record's or the tablet's copy nonce alike. Under an id no
/// registration holds, the rule an older build answered under says `record` for both
/// tablets, so only the log tells the second tablet's copy nonce.
#[test]
fn a_copy_an_older_instance_logged_without_a_rule_is_proven_under_its_nonce() {
    use crate::storage::traits::TransparencyLogStore;
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    let devices = enroll(&store, 4);
    let (owner, first, second, unknown) = (devices[0], devices[1], devices[2], devices[3]);
    // The owner never sends its record: no registration holds the id.
    let id = doc_id(&owner, 1);
    let keep_apart = |device: &[u8; 32]| {
        let mut request = batch(device, 1, 1..=1);
        request.items = vec![IngestItem::Quarantine {
            doc_id: id.clone(),
            sealed: document(device, 5),
            change_hashes: hashes(device, 5),
            code: ErrorCode::NotPermitted,
            journal_seq: Some(5),
        }];
        store.ingest(&request).expect("kept apart");
    };
    keep_apart(&first);
    keep_apart(&second);
    let nonces = || {
        (
            store.quarantine_nonce(&id, &first).expect("reads"),
            store.quarantine_nonce(&id, &second).expect("reads"),
        )
    };
    let before = nonces();
    assert!(before.0.is_some() && before.1.is_some() && before.0 != before.1);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    client
        .execute("UPDATE quarantine SET nonce_rule = NULL", &[])
        .expect("as an older build writes them");
    let after = nonces();
    assert_eq!(after, before, "found from the log");
    assert_ne!(after.0, after.1, "each tablet its own nonce");
    assert_eq!(
        store.quarantine_nonce(&id, &unknown).expect("reads"),
        None,
        "a tablet with no copy has none"
    );
}

/// In a rolling upgrade, a copy an instance of a build before version 15 logged (no rule
/// written, its leaves under the key's nonce) holds the record's nonce: a record another
/// tablet stores later under its id (`record_later`), or a third tablet's first copy, takes
/// a nonce no other tablet holds.
fn a_copy_an_older_instance_logged_keeps_the_records_nonce(record_later: bool) {
    use crate::storage::traits::TransparencyLogStore;
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    let devices = enroll(&store, 3);
    let (owner, first, third) = (devices[0], devices[1], devices[2]);
    let id = doc_id(&owner, 1);
    let keep_apart = |device: &[u8; 32]| {
        let mut request = batch(device, 1, 1..=1);
        request.items = vec![IngestItem::Quarantine {
            doc_id: id.clone(),
            sealed: document(device, 5),
            change_hashes: hashes(device, 5),
            code: ErrorCode::NotPermitted,
            journal_seq: Some(5),
        }];
        store.ingest(&request).expect("kept apart");
        store
            .quarantine_nonce(&id, device)
            .expect("reads")
            .expect("logged")
    };
    let first_nonce = keep_apart(&first);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    client
        .execute("UPDATE quarantine SET nonce_rule = NULL", &[])
        .expect("as an older build writes it");
    assert_eq!(
        store.quarantine_nonce(&id, &first).expect("reads"),
        Some(first_nonce),
        "still the record key's"
    );
    if record_later {
        store.ingest(&batch(&owner, 1, 1..=1)).expect("stored");
        let record = store.record_nonce(&id).expect("reads").expect("stored");
        assert_ne!(record, first_nonce, "not the nonce the first tablet holds");
    } else {
        let third_nonce = keep_apart(&third);
        assert_ne!(
            third_nonce, first_nonce,
            "a third tablet's copies: the copy rule"
        );
    }
}

#[test]
fn a_record_stored_after_a_copy_an_older_instance_logged_takes_a_nonce_of_its_own() {
    a_copy_an_older_instance_logged_keeps_the_records_nonce(true);
}

#[test]
fn another_tablets_first_copy_after_one_an_older_instance_logged_takes_its_copy_nonce() {
    a_copy_an_older_instance_logged_keeps_the_records_nonce(false);
}

//! The transparency log: every accepted change, HR edit, removal and legal hold appends its
//! leaf in the commit of what it records (and a request that fails appends none); the stored
//! leaves, subtrees and head make one tree whose proofs, served from the store, equal the
//! in-memory library's; a record's leaves are found by its commitment through the store's
//! index; a removal erases the record's nonce while every leaf still verifies.

use kiosk_core::annotations::RecordStatus;
use kiosk_core::tlog::hash::{Hash, leaf_hash};
use kiosk_core::tlog::tree::{
    MemoryTree, consistency_proof, inclusion_proof, verify_consistency, verify_inclusion,
};

use super::fixtures::*;
use crate::storage::{
    Accessor, HoldChange, HrEdit, HrEditOutcome, HrEditor, IngestItem, IngestOutcome, LogTip,
    RelayStore, RemovalOutcome, ingest_generated_for_tests,
};
use crate::transparency::leaf::{Leaf, LeafKind, operator_author, record_commitment};
use crate::transparency::source::StoreSubtrees;

/// Every stored leaf, decoded, in index order.
fn leaves(store: &dyn RelayStore) -> Vec<(Vec<u8>, Leaf)> {
    let mut all = Vec::new();
    loop {
        let page = store.log_leaves(all.len() as u64, 1_000).expect("reads");
        if page.is_empty() {
            return all;
        }
        all.extend(page.into_iter().map(|bytes| {
            let leaf = Leaf::decode(&bytes).expect("a leaf of this format");
            (bytes, leaf)
        }));
    }
}

/// The stored log as one tree: its tip is the root of its leaves, every stored subtree is
/// that tree's, and every leaf's inclusion proof (from the store) verifies. Returns the
/// tree built from the stored leaves.
fn check_log(store: &dyn RelayStore) -> MemoryTree {
    let tip = store.log_tip().expect("reads");
    let stored = leaves(store);
    assert_eq!(stored.len() as u64, tip.size, "one stored leaf per index");
    let mut tree = MemoryTree::new();
    for (bytes, _) in &stored {
        tree.push(leaf_hash(bytes));
    }
    assert_eq!(
        tree.root(),
        tip.root,
        "the head is the root of the stored leaves"
    );
    for level in 0..crate::transparency::append::LOWEST_STORED_LEVEL {
        assert!(
            store.log_level(level, 0, 1).expect("reads").is_empty(),
            "no subtree of level {level} is stored: it is computed from its leaves"
        );
    }
    for level in crate::transparency::append::LOWEST_STORED_LEVEL..64u8 {
        let count = tip.size >> level;
        if count == 0 {
            break;
        }
        let nodes = store
            .log_level(level, 0, count as usize + 1)
            .expect("reads");
        assert_eq!(
            nodes.len() as u64,
            count,
            "every perfect subtree of level {level}"
        );
        for (index, hash) in nodes {
            let ours: Hash = hash.as_slice().try_into().expect("32 bytes");
            assert_eq!(
                Some(ours),
                kiosk_core::tlog::tree::SubtreeSource::perfect_subtree(&tree, level, index).ok(),
                "subtree {level}/{index}"
            );
        }
    }
    // Each record's leaves, found by its commitment alone (the store's index, not a scan),
    // are exactly the log's leaves about it, from any index on and within any limit.
    let mut records: Vec<[u8; 32]> = stored.iter().map(|(_, leaf)| leaf.record).collect();
    records.sort_unstable();
    records.dedup();
    for record in &records {
        let expected: Vec<(u64, Vec<u8>)> = stored
            .iter()
            .enumerate()
            .filter(|(_, (_, leaf))| leaf.record == *record)
            .map(|(index, (bytes, _))| (index as u64, bytes.clone()))
            .collect();
        assert_eq!(
            store
                .log_leaves_of_record(record, 0, 10_000)
                .expect("reads"),
            expected,
            "a record's leaves by its commitment"
        );
        if let Some(second) = expected.get(1) {
            assert_eq!(
                store
                    .log_leaves_of_record(record, second.0, 1)
                    .expect("reads"),
                expected[1..2],
                "from an index on, within a limit"
            );
        }
    }
    let source = StoreSubtrees(store);
    for (index, (bytes, _)) in stored.iter().enumerate() {
        let proof = inclusion_proof(&source, index as u64, tip.size).expect("a proof");
        verify_inclusion(&leaf_hash(bytes), index as u64, tip.size, &proof, &tip.root)
            .expect("verifies");
    }
    tree
}

fn editor() -> HrEditor {
    HrEditor {
        actor_key: ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]).verifying_key(),
        accessor: operator("hr:rut"),
    }
}

fn kinds(log: &[(Vec<u8>, Leaf)]) -> Vec<LeafKind> {
    log.iter().map(|(_, leaf)| leaf.kind).collect()
}

pub(crate) fn captures_hr_edits_holds_and_removals_each_append_their_leaves(
    store: &dyn RelayStore,
) {
    assert_eq!(
        store.log_tip().expect("reads").size,
        0,
        "a fresh log is empty"
    );
    let registrations = ingest_generated_for_tests(store, 3);
    let kiosk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let captured = leaves(store);
    assert!(captured.len() >= 3, "a leaf per stored change");
    let mut held_changes = 0;
    for registration in &registrations {
        let id = registration.id.to_string();
        let nonce = store.record_nonce(&id).expect("reads").expect("a nonce");
        let commitment = record_commitment(&nonce, &id);
        let evidence = store.capture_evidence(&id).expect("reads").expect("held");
        let changes: Vec<[u8; 32]> = evidence
            .change_hashes
            .chunks_exact(32)
            .map(|chunk| chunk.try_into().expect("32 bytes"))
            .collect();
        held_changes += changes.len();
        let of_record: Vec<&Leaf> = captured
            .iter()
            .map(|(_, leaf)| leaf)
            .filter(|leaf| leaf.record == commitment)
            .collect();
        assert_eq!(
            of_record.len(),
            changes.len(),
            "one leaf per change of {id}"
        );
        for (leaf, hash) in of_record.iter().zip(&changes) {
            assert_eq!(leaf.kind, LeafKind::Capture);
            assert_eq!(leaf.author, kiosk.to_bytes(), "the capturing tablet");
            assert_eq!(
                leaf.subject,
                crate::transparency::leaf::change_subject(&nonce, hash)
            );
        }
    }
    assert_eq!(held_changes, captured.len(), "no leaf without its change");

    let id = registrations[0].id.to_string();
    let nonce = store.record_nonce(&id).expect("reads").expect("a nonce");
    let edit = HrEdit::SetStatus(RecordStatus::Contacted);
    let outcome = store
        .apply_hr_edit(&id, &edit, &editor(), 20)
        .expect("applies");
    assert!(matches!(
        outcome,
        HrEditOutcome::Applied { changed: true, .. }
    ));
    // The same status again changes nothing, and appends nothing.
    store
        .apply_hr_edit(&id, &edit, &editor(), 21)
        .expect("applies");
    assert_eq!(
        store
            .change_legal_hold(&id, true, "tvist", "hr:arkiv", 30)
            .expect("sets"),
        HoldChange::Done
    );
    assert_eq!(
        store
            .change_legal_hold(&id, true, "tvist", "hr:arkiv", 31)
            .expect("sets"),
        HoldChange::AlreadySo
    );
    assert_eq!(
        store
            .change_legal_hold(&id, false, "avgjord", "hr:arkiv", 40)
            .expect("lifts"),
        HoldChange::Done
    );
    let by = Accessor::Operator("hr:arkiv".into());
    assert_eq!(
        store
            .remove_registration(&id, "gallring enligt beslut 12", &by, 50)
            .expect("removes"),
        RemovalOutcome::Removed
    );
    let log = leaves(store);
    let after: Vec<Leaf> = log[captured.len()..]
        .iter()
        .map(|(_, leaf)| *leaf)
        .collect();
    assert_eq!(
        kinds(&log[captured.len()..]),
        [
            LeafKind::HrEdit,
            LeafKind::LegalHoldSet,
            LeafKind::LegalHoldLifted,
            LeafKind::Removed
        ]
    );
    let commitment = record_commitment(&nonce, &id);
    assert!(
        after.iter().all(|leaf| leaf.record == commitment),
        "all about the record"
    );
    assert_eq!(
        after[0].author,
        editor().actor_key.to_bytes(),
        "the HR user's actor"
    );
    assert_eq!(after[0].accepted_at, 20);
    assert_eq!(after[1].author, operator_author("hr:arkiv"));
    assert_eq!(
        after[3].subject,
        crate::transparency::leaf::removal_subject(50, "gallring enligt beslut 12")
    );
    assert_eq!(
        (
            after[1].accepted_at,
            after[2].accepted_at,
            after[3].accepted_at
        ),
        (30, 40, 50)
    );
    check_log(store);
}

pub(crate) fn a_staff_tablets_changes_append_a_leaf_each_and_a_retry_none(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    enroll_staff(store, STAFF_PULLER, EVENT);
    assert_committed(&store.ingest(&batch(&device, 1, 1..=1)), &device, 1..=1);
    let captured = store.log_tip().expect("reads").size;
    assert_eq!(captured, hashes(&device, 1).len() as u64);
    let id = doc_id(&device, 1);
    let annotate = |seq| {
        let mut request = batch(&STAFF_PULLER, seq, 1..=1);
        request.items = vec![IngestItem::Annotate {
            doc_id: id.clone(),
            changes: vec![
                ([0xa1; 32], b"a note".to_vec()),
                ([0xa2; 32], b"b".to_vec()),
            ],
        }];
        request.accessor = Accessor::Device {
            device_key: STAFF_PULLER,
            recruiter: Some("rut".into()),
        };
        request
    };
    for seq in 1..=2 {
        assert!(matches!(
            store.ingest(&annotate(seq)),
            Ok(IngestOutcome::Committed { .. })
        ));
    }
    let log = leaves(store);
    assert_eq!(
        log.len() as u64,
        captured + 2,
        "two changes, two leaves, once"
    );
    let nonce = store.record_nonce(&id).expect("reads").expect("held");
    for ((_, leaf), hash) in log[captured as usize..]
        .iter()
        .zip([[0xa1; 32], [0xa2; 32]])
    {
        assert_eq!(leaf.kind, LeafKind::StaffEdit);
        assert_eq!(leaf.author, STAFF_PULLER);
        assert_eq!(
            leaf.subject,
            crate::transparency::leaf::change_subject(&nonce, &hash)
        );
    }
    check_log(store);
}

pub(crate) fn a_request_that_fails_appends_no_leaf(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    assert_committed(&store.ingest(&batch(&device, 1, 1..=1)), &device, 1..=1);
    let before = store.log_tip().expect("reads");
    let mut failing = batch(&device, 2, 2..=3);
    if let IngestItem::Store { doc_id: id, .. } = &mut failing.items[1] {
        *id = "not a registration id".to_owned();
    }
    assert!(store.ingest(&failing).is_err(), "refused with an error");
    assert_eq!(
        store.log_tip().expect("reads"),
        before,
        "the first capture's leaves went too"
    );
    assert_eq!(leaves(store).len() as u64, before.size);
    assert_committed(&store.ingest(&batch(&device, 2, 2..=3)), &device, 2..=3);
    let after = store.log_tip().expect("reads");
    assert_eq!(
        after.size,
        before.size + (hashes(&device, 2).len() + hashes(&device, 3).len()) as u64
    );
    check_log(store);
}

pub(crate) fn a_removed_records_nonce_is_erased_and_every_leaf_still_verifies(
    store: &dyn RelayStore,
) {
    let registrations = ingest_generated_for_tests(store, 4);
    let id = registrations[1].id.to_string();
    let nonce = store.record_nonce(&id).expect("reads").expect("a nonce");
    let before: LogTip = store.log_tip().expect("reads");
    let before_leaves = leaves(store);
    let by = Accessor::Operator("retention-run:1".into());
    assert_eq!(
        store
            .remove_registration(&id, "rule 24 months, decision D-1", &by, 99)
            .expect("removes"),
        RemovalOutcome::Removed
    );
    assert_eq!(
        store.record_nonce(&id).expect("reads"),
        None,
        "erased with the record"
    );
    let after = store.log_tip().expect("reads");
    assert_eq!(after.size, before.size + 1);
    let log = leaves(store);
    assert_eq!(
        &log[..before_leaves.len()],
        &before_leaves[..],
        "earlier leaves unchanged"
    );
    let removed = log.last().expect("a leaf").1;
    assert_eq!(removed.kind, LeafKind::Removed);
    assert_eq!(
        removed.record,
        record_commitment(&nonce, &id),
        "cites the record"
    );
    let source = StoreSubtrees(store);
    let proof = consistency_proof(&source, before.size, after.size).expect("a proof");
    verify_consistency(before.size, after.size, &before.root, &after.root, &proof)
        .expect("the log only grew");
    // Every earlier leaf of the removed record still verifies against the new root.
    check_log(store);
}

pub(crate) fn proofs_served_from_the_store_equal_the_in_memory_librarys(store: &dyn RelayStore) {
    let devices = enroll(store, 3);
    for device in &devices {
        for seq in 1..=4u64 {
            let journal = seq * 2 - 1..=seq * 2;
            assert_committed(
                &store.ingest(&batch(device, seq, journal.clone())),
                device,
                journal,
            );
        }
    }
    let tree = check_log(store);
    let size = store.log_tip().expect("reads").size;
    assert!(size >= 24, "enough leaves for uneven trees");
    let source = StoreSubtrees(store);
    for new in 1..=size {
        for old in 1..=new {
            assert_eq!(
                consistency_proof(&source, old, new).expect("from the store"),
                tree.consistency_proof(old, new).expect("in memory"),
                "consistency {old} → {new}"
            );
        }
        for index in 0..new {
            assert_eq!(
                inclusion_proof(&source, index, new).expect("from the store"),
                tree.inclusion_proof(index, new).expect("in memory"),
                "inclusion of {index} in {new}"
            );
        }
    }
}

/// The log key is recorded at first start and never replaced silently, even while the log
/// is empty (tablets enrolled since carry it); only an explicit replacement of the key
/// recorded when it was asked for takes effect, and only while the log has no leaves.
pub(crate) fn a_recorded_log_key_is_replaced_only_when_told_and_while_the_log_is_empty(
    store: &dyn RelayStore,
) {
    use crate::storage::LogKeyBinding;
    let first = LogKeyBinding {
        public_key: [1; 32],
        origin: "relay.example/log".to_owned(),
    };
    let second = LogKeyBinding {
        public_key: [2; 32],
        origin: "relay.example/log".to_owned(),
    };
    assert_eq!(store.recorded_log_key().expect("reads"), None);
    assert_eq!(store.bind_log_key(&first, None).expect("binds"), first);
    assert_eq!(
        store.recorded_log_key().expect("reads"),
        Some(first.clone())
    );
    // Empty, but enrolled tablets may already carry the first key: it stays.
    assert_eq!(
        store.bind_log_key(&second, None).expect("answers"),
        first,
        "an empty log keeps its recorded key unless told to replace it"
    );
    assert_eq!(
        store.recorded_log_key().expect("reads"),
        Some(first.clone())
    );
    // A replacement of a key other than the recorded one (another instance's, recorded
    // while this one started) changes nothing.
    assert_eq!(
        store.bind_log_key(&second, Some(&second)).expect("answers"),
        first
    );
    // The operator's explicit replacement, while nothing is signed.
    assert_eq!(
        store.bind_log_key(&second, Some(&first)).expect("binds"),
        second
    );
    ingest_generated_for_tests(store, 1);
    assert!(store.log_tip().expect("reads").size > 0);
    assert_eq!(store.bind_log_key(&second, None).expect("answers"), second);
    assert_eq!(
        store.bind_log_key(&first, Some(&second)).expect("answers"),
        second,
        "a log with leaves keeps its key, even when told to replace it"
    );
    let renamed = LogKeyBinding {
        origin: "relay.example/other".to_owned(),
        ..second.clone()
    };
    assert_eq!(store.bind_log_key(&renamed, None).expect("answers"), second);
    assert_eq!(store.recorded_log_key().expect("reads"), Some(second));
}

/// The leaves a committed request reports appended ([`IngestOutcome::Committed`]'s
/// `appended`, which a sync answer proves without looking them up) are exactly the log's
/// from `first_index` on, one per stored change, the second request's following the
/// first's; a request resent whole under a new number (its captures held already) and a
/// stale one report and append none.
pub(crate) fn a_requests_reported_leaves_are_the_ones_it_appended_and_a_resent_or_stale_one_none(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    let appended_by =
        |request: &crate::storage::IngestBatch| match store.ingest(request).expect("stored") {
            IngestOutcome::Committed { appended, .. } => appended,
            other => panic!("expected a commit, got {other:?}"),
        };
    let mut end = store.log_tip().expect("reads").size;
    for (seq, journal) in [(1, 1..=3), (2, 4..=5)] {
        let changes: usize = journal.clone().map(|j| hashes(&device, j).len()).sum();
        let appended = appended_by(&batch(&device, seq, journal));
        assert_eq!(
            appended.first_index, end,
            "request {seq}'s leaves start at the log's end before it"
        );
        assert_eq!(appended.leaves.len(), changes, "a leaf per stored change");
        let stored = store
            .log_leaves(appended.first_index, appended.leaves.len())
            .expect("reads");
        let reported: Vec<Vec<u8>> = appended.leaves.iter().map(|l| l.to_vec()).collect();
        assert_eq!(
            reported, stored,
            "the leaves reported are the log's, in order"
        );
        end = store.log_tip().expect("reads").size;
        assert_eq!(end, appended.first_index + changes as u64);
        assert_eq!(
            appended.indexed().map(|(index, _)| index).last(),
            Some(end - 1),
            "indexed from first_index"
        );
    }
    let resent = appended_by(&batch(&device, 3, 1..=5));
    assert!(
        resent.leaves.is_empty(),
        "captures held already append no leaf: {resent:?}"
    );
    assert!(matches!(
        store.ingest(&batch(&device, 2, 6..=6)).expect("read"),
        IngestOutcome::StaleSeq { .. }
    ));
    assert_eq!(
        store.log_tip().expect("reads").size,
        end,
        "neither appended a leaf"
    );
}

/// [`RelayStore::record_nonces`] answers each id asked, in the order asked, as
/// `record_nonce` does one at a time: `None` for an id the store does not hold, the same
/// nonce again for an id asked twice, nothing for no id; also for more ids than one
/// statement names (a backend may read them in parts).
pub(crate) fn record_nonces_keep_the_order_asked_with_none_for_a_missing_id_and_repeats(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    store.ingest(&batch(&device, 1, 1..=3)).expect("stored");
    let (a, b, c) = (doc_id(&device, 1), doc_id(&device, 2), doc_id(&device, 3));
    let missing = doc_id(&device, 9);
    let one_by_one = |ids: &[&str]| -> Vec<_> {
        ids.iter()
            .map(|id| store.record_nonce(id).expect("reads"))
            .collect()
    };
    let asked = [c.as_str(), &missing, &a, &c, &b];
    let nonces = store.record_nonces(&asked).expect("reads");
    assert_eq!(nonces, one_by_one(&asked));
    assert!(nonces[0].is_some() && nonces[2].is_some() && nonces[4].is_some());
    assert_eq!(nonces[1], None, "an id not held");
    assert_eq!(nonces[3], nonces[0], "an id asked twice, answered twice");
    assert!(
        nonces[0] != nonces[2] && nonces[2] != nonces[4],
        "each record its own nonce"
    );
    assert!(store.record_nonces(&[]).expect("reads").is_empty());
    // Many ids, the held ones where a backend reading in parts would split them.
    let absent: Vec<String> = (100..1_300).map(|j| doc_id(&device, j)).collect();
    let mut many: Vec<&str> = absent.iter().map(String::as_str).collect();
    for (at, id) in [(0, &b), (499, &a), (500, &c), (1_000, &b), (1_199, &a)] {
        many[at] = id;
    }
    assert_eq!(
        store.record_nonces(&many).expect("reads"),
        one_by_one(&many)
    );
}

//! Ingest and pull: a sync request is stored whole or not at all, merges are idempotent,
//! conflicts are kept apart, every commit takes the next number of one counter, and a pull
//! cursor resumes exactly after the last whole commit a page held.

use std::thread;

use kiosk_core::journal::JournalHead;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{ErrorCode, PushOutcome};

use super::fixtures::*;
use crate::storage::{
    AccessAction, Accessor, IngestItem, IngestOutcome, PullScope, RelayStore, WithdrawalOutcome,
};

pub(crate) fn a_stored_capture_is_read_back_with_its_receipt_code_and_counted(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    assert_committed(&store.ingest(&batch(&device, 1, 1..=2)), &device, 1..=2);
    let id = doc_id(&device, 2);
    assert_eq!(
        store.registration_document(&id).expect("reads"),
        Some(document(&device, 2))
    );
    assert_eq!(
        store.receipt_code(&id).expect("reads").as_deref(),
        Some(format!("R{}-2", device[0]).as_str())
    );
    let held = store
        .stored_registration(&id)
        .expect("reads")
        .expect("held");
    assert_eq!(
        (held.event_id.as_str(), held.restricted, held.changes),
        (EVENT, false, document(&device, 2))
    );
    assert_eq!(
        store.registration_document("no-such-id").expect("reads"),
        None
    );
    assert_eq!(store.receipt_code("no-such-id").expect("reads"), None);
    assert!(
        store
            .stored_registration("no-such-id")
            .expect("reads")
            .is_none()
    );
    let counts = store.counts().expect("counts");
    assert_eq!(
        (counts.registrations, counts.quarantined, counts.devices),
        (2, 0, 1)
    );
    assert!(
        store.access_log_entries(0, 10).expect("log").is_empty(),
        "storing a capture reads nothing out"
    );
}

pub(crate) fn a_sequence_number_not_above_the_last_accepted_stores_nothing(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    assert_committed(&store.ingest(&batch(&device, 5, 1..=1)), &device, 1..=1);
    for stale in [5, 4, 0] {
        let outcome = store
            .ingest(&batch(&device, stale, 2..=3))
            .expect("answered");
        assert_eq!(outcome, IngestOutcome::StaleSeq { last_accepted: 5 });
    }
    assert_eq!(store.counts().expect("counts").registrations, 1);
    assert_eq!(
        store
            .registration_document(&doc_id(&device, 2))
            .expect("reads"),
        None
    );
    let record = store.device(&device).expect("reads").expect("known");
    assert_eq!(record.last_seq, 5);
    assert_committed(&store.ingest(&batch(&device, 6, 2..=3)), &device, 2..=3);
    assert_eq!(
        store
            .device(&device)
            .expect("reads")
            .expect("known")
            .last_seq,
        6
    );
}

pub(crate) fn a_resent_capture_is_answered_with_every_hash_held_and_stored_once(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    let first = store.ingest(&batch(&device, 1, 1..=2));
    assert_committed(&first, &device, 1..=2);
    // The answer was lost: the tablet sends the same request under its next number.
    let again = store.ingest(&batch(&device, 2, 1..=2));
    assert_committed(&again, &device, 1..=2);
    assert_eq!(store.counts().expect("counts").registrations, 2);
    assert_eq!(store.counts().expect("counts").quarantined, 0);
    assert_eq!(
        store
            .registration_document(&doc_id(&device, 1))
            .expect("reads"),
        Some(document(&device, 1))
    );
}

pub(crate) fn a_different_copy_of_a_held_capture_is_quarantined_not_merged(store: &dyn RelayStore) {
    let devices = enroll(store, 2);
    assert_committed(
        &store.ingest(&batch(&devices[0], 1, 1..=1)),
        &devices[0],
        1..=1,
    );
    let mut conflicting = batch(&devices[0], 2, 1..=1);
    if let IngestItem::Store {
        document,
        change_hashes,
        ..
    } = &mut conflicting.items[0]
    {
        document.push(0);
        change_hashes[0][31] ^= 1;
    }
    let Ok(IngestOutcome::Committed { outcomes, .. }) = store.ingest(&conflicting) else {
        panic!("expected a commit");
    };
    assert!(
        matches!(outcomes[..], [PushOutcome::Quarantined(..)]),
        "{outcomes:?}"
    );
    // Another tablet sending the same id: kept apart as well.
    let mut other = batch(&devices[1], 1, 1..=1);
    if let IngestItem::Store { doc_id: id, .. } = &mut other.items[0] {
        *id = doc_id(&devices[0], 1);
    }
    let Ok(IngestOutcome::Committed { outcomes, .. }) = store.ingest(&other) else {
        panic!("expected a commit");
    };
    assert!(
        matches!(outcomes[..], [PushOutcome::Quarantined(..)]),
        "{outcomes:?}"
    );
    assert_eq!(
        store
            .registration_document(&doc_id(&devices[0], 1))
            .expect("reads"),
        Some(document(&devices[0], 1)),
        "the record is the first copy"
    );
    let counts = store.counts().expect("counts");
    assert_eq!((counts.registrations, counts.quarantined), (1, 2));
}

pub(crate) fn a_flagged_capture_is_kept_apart_and_counted_against_its_device(
    store: &dyn RelayStore,
) {
    let devices = enroll(store, 2);
    let device = devices[0];
    let flagged = |seq| {
        let mut request = batch(&device, seq, 1..=1);
        request.items = vec![IngestItem::Quarantine {
            doc_id: doc_id(&device, 1),
            sealed: vec![9; 100],
            change_hashes: hashes(&device, 1),
            code: ErrorCode::Revoked,
            journal_seq: Some(1),
        }];
        request
    };
    for seq in 1..=2 {
        // The same bytes again (a retry) are not kept twice.
        let Ok(IngestOutcome::Committed {
            outcomes, journal, ..
        }) = store.ingest(&flagged(seq))
        else {
            panic!("expected a commit");
        };
        assert_eq!(
            outcomes,
            [PushOutcome::Quarantined(
                ErrorCode::Revoked,
                hashes(&device, 1)
            )]
        );
        assert_eq!(journal.count, 1, "a quarantined capture is in the journal");
    }
    assert_eq!(store.quarantined_bytes(&device).expect("reads"), 100);
    assert_eq!(store.quarantined_bytes(&devices[1]).expect("reads"), 0);
    let counts = store.counts().expect("counts");
    assert_eq!((counts.registrations, counts.quarantined), (0, 1));
    assert_eq!(
        store
            .registration_document(&doc_id(&device, 1))
            .expect("reads"),
        None
    );
}

pub(crate) fn a_staff_tablets_changes_merge_once_and_are_logged_once(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    enroll_staff(store, STAFF_PULLER, EVENT);
    assert_committed(&store.ingest(&batch(&device, 1, 1..=1)), &device, 1..=1);
    let id = doc_id(&device, 1);
    let note = ([0xa1; 32], b"a note".to_vec());
    let annotate = |seq| {
        let mut request = batch(&STAFF_PULLER, seq, 1..=1);
        request.items = vec![IngestItem::Annotate {
            doc_id: id.clone(),
            changes: vec![note.clone()],
        }];
        request.accessor = Accessor::Device {
            device_key: STAFF_PULLER,
            recruiter: Some("rut".into()),
        };
        request
    };
    let mut expected = hashes(&device, 1);
    expected.push(note.0);
    for seq in 1..=2 {
        let Ok(IngestOutcome::Committed { outcomes, .. }) = store.ingest(&annotate(seq)) else {
            panic!("expected a commit");
        };
        assert_eq!(outcomes, [PushOutcome::Stored(expected.clone())]);
    }
    let held = store
        .stored_registration(&id)
        .expect("reads")
        .expect("held");
    let mut changes = document(&device, 1);
    changes.extend_from_slice(&note.1);
    assert_eq!(held.changes, changes, "the capture, then the change, once");
    let log = store.access_log_entries(0, 10).expect("log");
    assert_eq!(log.len(), 1, "a retry of held changes is not logged again");
    assert_eq!(
        (log[0].1.action, log[0].1.doc_id.as_str()),
        (AccessAction::Change, id.as_str())
    );

    // Other staff tablets pull the change, the one that made it does not.
    enroll_staff(store, [0x66; 32], EVENT);
    let other = Puller::new(store, [0x66; 32], 0);
    let scope = PullScope {
        device_key: [0x66; 32],
        ..staff_scope()
    };
    let (page, _) = other.pull(&scope, 0, 100);
    assert_eq!(pulled_ids(&page), std::slice::from_ref(&id));
    assert_eq!(page.documents[0].changes, changes);
    let own = Puller::new(store, STAFF_PULLER, 2);
    let (page, _) = own.pull(&staff_scope(), 0, 100);
    assert_eq!(page.documents[0].changes, document(&device, 1));
}

pub(crate) fn changes_to_a_registration_not_held_are_refused_as_removed(store: &dyn RelayStore) {
    enroll_staff(store, STAFF_PULLER, EVENT);
    let mut request = batch(&STAFF_PULLER, 1, 1..=1);
    request.items = vec![IngestItem::Annotate {
        doc_id: doc_id(&[1; 32], 1),
        changes: vec![([0xa1; 32], b"a note".to_vec())],
    }];
    let Ok(IngestOutcome::Committed { outcomes, .. }) = store.ingest(&request) else {
        panic!("expected a commit");
    };
    assert_eq!(outcomes[0].code(), Some(ErrorCode::Removed));
    assert!(store.access_log_entries(0, 10).expect("log").is_empty());
}

pub(crate) fn the_journal_head_grows_only_without_gaps(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    assert_eq!(
        store
            .device_report(&device)
            .expect("reads")
            .expect("known")
            .journal,
        JournalHead::EMPTY
    );
    assert_committed(&store.ingest(&batch(&device, 1, 1..=2)), &device, 1..=2);
    // Entry 4 arrives before 3: the head waits at 2.
    let Ok(IngestOutcome::Committed { journal, .. }) = store.ingest(&batch(&device, 2, 4..=4))
    else {
        panic!("expected a commit");
    };
    assert_eq!(journal.count, 2);
    let Ok(IngestOutcome::Committed { journal: full, .. }) =
        store.ingest(&batch(&device, 3, 3..=3))
    else {
        panic!("expected a commit");
    };
    assert_eq!(full.count, 4, "the gap filled, the head reaches past it");
    assert_ne!(full.head, journal.head);
    assert_eq!(
        store
            .device_report(&device)
            .expect("reads")
            .expect("known")
            .journal,
        full
    );
}

pub(crate) fn every_commit_takes_the_next_number_of_one_counter(store: &dyn RelayStore) {
    let devices = enroll(store, 2);
    let first = commit_seq(&store.ingest(&batch(&devices[0], 1, 1..=1)));
    let second = commit_seq(&store.ingest(&batch(&devices[1], 1, 1..=1)));
    // A stale request takes no number.
    store
        .ingest(&batch(&devices[1], 1, 2..=2))
        .expect("answered");
    let mut nothing = batch(&devices[0], 2, 1..=1);
    nothing.items.clear();
    let empty = commit_seq(&store.ingest(&nothing));
    store
        .remove_registration(&doc_id(&devices[0], 1), "test", &operator("hr"), 5)
        .expect("removes");
    let after_removal = commit_seq(&store.ingest(&batch(&devices[1], 2, 2..=2)));
    assert!(first >= 1);
    assert_eq!(second, first + 1);
    assert_eq!(
        empty,
        second + 1,
        "a request with nothing in it still commits"
    );
    assert_eq!(
        after_removal,
        empty + 2,
        "the removal took the number between"
    );
}

/// Moved from the SQLite store's tests: there, the page's cursor was the store's counter;
/// here every pull commits (it is a sync request), so a page that reaches the end has the
/// pull's own number.
pub(crate) fn pull_pages_end_on_whole_commits_and_a_cursor_resumes_exactly_after_them(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    enroll_staff(store, STAFF_PULLER, EVENT);
    let puller = Puller::new(store, STAFF_PULLER, 0);
    // Commits 1, 2, 3 store three, two and one registrations.
    let mut commits = Vec::new();
    for (seq, journal) in [(1, 1..=3), (2, 4..=5), (3, 6..=6)] {
        let outcome = store.ingest(&batch(&device, seq, journal.clone()));
        assert_committed(&outcome, &device, journal);
        commits.push(commit_seq(&outcome));
    }
    assert_eq!(commits, [commits[0], commits[0] + 1, commits[0] + 2]);
    let (everything, own) = puller.pull(&staff_scope(), 0, 1_000);
    assert_eq!(everything.documents.len(), 6);
    assert_eq!((everything.through_seq, everything.more), (own, false));
    assert_eq!(everything.documents[0].changes, document(&device, 1));

    // A page of at most 4 changes ends with the commit holding the 4th change, whole.
    let (first, _) = puller.pull(&staff_scope(), 0, 4);
    assert_eq!(first.through_seq, commits[1]);
    assert!(first.more);
    assert_eq!(first.documents.len(), 5, "commit 2 is sent whole");
    let (second, own) = puller.pull(&staff_scope(), first.through_seq, 4);
    assert_eq!(pulled_ids(&second), vec![doc_id(&device, 6)]);
    assert_eq!((second.through_seq, second.more), (own, false));
    let (nothing, own) = puller.pull(&staff_scope(), second.through_seq, 4);
    assert!(nothing.documents.is_empty());
    assert_eq!(nothing.through_seq, own);
    let (from_commit_3, _) = puller.pull(&staff_scope(), commits[1], 100);
    assert_eq!(pulled_ids(&from_commit_3), vec![doc_id(&device, 6)]);
}

pub(crate) fn a_pull_skips_restricted_records_the_pullers_own_changes_and_other_events(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    enroll_staff(store, STAFF_PULLER, EVENT);
    let mut request = batch(&device, 1, 1..=3);
    if let IngestItem::Store { restricted, .. } = &mut request.items[1] {
        *restricted = true;
    }
    if let IngestItem::Store { event_id, .. } = &mut request.items[2] {
        *event_id = "other-event".to_owned();
    }
    assert_committed(&store.ingest(&request), &device, 1..=3);
    let puller = Puller::new(store, STAFF_PULLER, 0);
    let (page, _) = puller.pull(&staff_scope(), 0, 100);
    assert_eq!(pulled_ids(&page), vec![doc_id(&device, 1)]);
    let own = PullScope {
        device_key: device,
        ..staff_scope()
    };
    let (page, _) = Puller::new(store, device, 1).pull(&own, 0, 100);
    assert!(
        page.documents.is_empty(),
        "a tablet is not sent its own changes"
    );
    let kiosk = PullScope {
        role: EnrolledRole::Kiosk,
        ..staff_scope()
    };
    assert!(puller.pull(&kiosk, 0, 100).0.documents.is_empty());
}

pub(crate) fn a_pull_inside_an_ingest_is_logged_in_the_same_commit(store: &dyn RelayStore) {
    let devices = enroll(store, 2);
    assert_committed(
        &store.ingest(&batch(&devices[0], 1, 1..=2)),
        &devices[0],
        1..=2,
    );
    let pulling = staff_pull(&devices[1]);
    let Ok(IngestOutcome::Committed { page, .. }) = store.ingest(&pulling) else {
        panic!("expected a commit");
    };
    assert_eq!(page.documents.len(), 2);
    let log = store.access_log_entries(0, 10).expect("log");
    let logged: Vec<&str> = log.iter().map(|(_, e)| e.doc_id.as_str()).collect();
    assert_eq!(logged, vec![doc_id(&devices[0], 1), doc_id(&devices[0], 2)]);
    assert!(log.iter().all(|(_, e)| e.action == AccessAction::Pull));
    assert!(log.iter().all(|(_, e)| e.accessor == pulling.accessor));
}

/// A tablet revoked after its request was checked, while the request waited for the
/// writer, is sent nothing: the store itself looks at the revocation in the commit.
pub(crate) fn a_tablet_revoked_before_its_commit_is_sent_nothing(store: &dyn RelayStore) {
    let devices = enroll(store, 2);
    assert_committed(
        &store.ingest(&batch(&devices[0], 1, 1..=2)),
        &devices[0],
        1..=2,
    );
    assert!(store.revoke_device(&devices[1], 5).expect("revokes"));
    let pulling = staff_pull(&devices[1]);
    let Ok(IngestOutcome::Committed { page, .. }) = store.ingest(&pulling) else {
        panic!("expected a commit");
    };
    assert!(
        page.documents.is_empty(),
        "nothing sent to a revoked tablet"
    );
    assert!(
        store
            .access_log_entries(0, 10)
            .expect("log")
            .iter()
            .all(|(_, e)| e.action != AccessAction::Pull),
        "and nothing logged as pulled"
    );
}

/// Moved from the SQLite store's tests (whose upgrade of an unnumbered withdrawal stays
/// there).
pub(crate) fn a_withdrawal_is_pulled_past_the_cursor_and_not_by_kiosks(store: &dyn RelayStore) {
    let registrations = crate::storage::ingest_generated_for_tests(store, 20);
    let opted_in: Vec<String> = registrations
        .iter()
        .filter(|r| !r.restricted && r.consents.talent_pool.is_some())
        .map(|r| r.id.to_string())
        .collect();
    assert!(
        opted_in.len() >= 2,
        "the generated visitors include opt-ins"
    );
    let event = kiosk_core::demo::DEMO_EVENT_ID;
    enroll_staff(store, STAFF_PULLER, event);
    let puller = Puller::new(store, STAFF_PULLER, 0);
    let scope = PullScope {
        device_key: STAFF_PULLER,
        event_id: event.to_owned(),
        role: EnrolledRole::Staff,
    };
    let (first, _) = puller.pull(&scope, 0, 1_000);
    assert!(first.withdrawn.is_empty());

    let hr = operator("hr");
    assert!(matches!(
        store.withdraw_talent_pool(&opted_in[0], &hr, "hr", 5),
        Ok(WithdrawalOutcome::Withdrawn { already: false, .. })
    ));
    let (next, _) = puller.pull(&scope, first.through_seq, 1_000);
    assert_eq!(next.withdrawn, [opted_in[0].clone()]);
    assert!(
        next.documents.is_empty(),
        "the document itself did not change"
    );
    assert!(
        next.through_seq > first.through_seq,
        "the cursor moves past it"
    );
    let (past, _) = puller.pull(&scope, next.through_seq, 1_000);
    assert!(
        past.withdrawn.is_empty(),
        "a cursor past it does not repeat it"
    );
    let kiosk = PullScope {
        role: EnrolledRole::Kiosk,
        ..scope.clone()
    };
    assert!(
        puller
            .pull(&kiosk, first.through_seq, 1_000)
            .0
            .withdrawn
            .is_empty(),
        "kiosks hold no copies to mark"
    );
}

/// The behaviour of the SQLite store's group-commit tests that any backend owes: many
/// tablets pushing at once each get their own answer and everything answered is stored.
pub(crate) fn concurrent_ingests_from_many_tablets_are_all_stored(store: &dyn RelayStore) {
    let devices = enroll(store, 8);
    thread::scope(|scope| {
        for device in &devices {
            scope.spawn(move || {
                for seq in 1..=5 {
                    let journal = seq * 3 - 2..=seq * 3;
                    let outcome = store.ingest(&batch(device, seq, journal.clone()));
                    assert_committed(&outcome, device, journal);
                    // Reads and writes between this device's pushes.
                    assert_eq!(
                        store
                            .device(device)
                            .expect("device")
                            .expect("known")
                            .last_seq,
                        seq
                    );
                    assert!(
                        !store
                            .revoke_device(&[0xaa; 32], 1)
                            .expect("revokes nothing")
                    );
                    store.counts().expect("counts");
                }
            });
        }
    });
    assert_eq!(store.counts().expect("counts").registrations, 8 * 15);
    for device in &devices {
        for j in 1..=15 {
            assert_eq!(
                store
                    .registration_document(&doc_id(device, j))
                    .expect("reads"),
                Some(document(device, j))
            );
        }
    }
}

pub(crate) fn a_fresh_store_has_an_epoch_and_no_backup_watermark(store: &dyn RelayStore) {
    let state = store.backup_state().expect("reads");
    assert_eq!(state.watermark, None);
    assert_ne!(state.epoch, [0; 16], "an epoch is drawn, not left zero");
    let device = enroll(store, 1)[0];
    store.ingest(&batch(&device, 1, 1..=1)).expect("stores");
    assert_eq!(
        store.backup_state().expect("reads"),
        state,
        "ingest keeps the epoch"
    );
    assert_eq!(
        store.counts().expect("counts"),
        crate::storage::RelayCounts {
            registrations: 1,
            quarantined: 0,
            devices: 1,
        }
    );
}

pub(crate) fn a_device_report_counts_what_the_relay_holds_from_it(store: &dyn RelayStore) {
    let devices = enroll(store, 2);
    let device = devices[0];
    assert!(store.device_report(&[0x77; 32]).expect("reads").is_none());
    let fresh = store.device_report(&device).expect("reads").expect("known");
    assert_eq!(
        (
            fresh.received,
            fresh.stored,
            fresh.quarantined,
            fresh.last_contact
        ),
        (0, 0, 0, None)
    );
    let mut request = batch(&device, 1, 1..=3);
    request.items.push(IngestItem::Quarantine {
        doc_id: doc_id(&device, 4),
        sealed: vec![1; 10],
        change_hashes: hashes(&device, 4),
        code: ErrorCode::Revoked,
        journal_seq: Some(4),
    });
    request.declared_journal = Some(4);
    store.ingest(&request).expect("stores");
    let report = store.device_report(&device).expect("reads").expect("known");
    assert_eq!(
        (report.received, report.stored, report.quarantined),
        (4, 3, 1)
    );
    assert_eq!(report.journal.count, 4);
    assert_eq!(report.last_contact, Some(request.received_at));
    assert_eq!(report.record.last_seq, 1);
    let other = store
        .device_report(&devices[1])
        .expect("reads")
        .expect("known");
    assert_eq!(other.received, 0);
}

/// A request is stored whole or not at all: one whose second capture cannot join the
/// tablet's journal (its id is no registration id) leaves nothing of its first capture or
/// its sequence number behind, and the tablet can send it again.
pub(crate) fn a_request_that_fails_is_undone_whole_and_can_be_sent_again(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    let mut failing = batch(&device, 1, 1..=2);
    if let IngestItem::Store { doc_id: id, .. } = &mut failing.items[1] {
        *id = "not a registration id".to_owned();
    }
    let state = store.backup_state().expect("reads");
    assert!(store.ingest(&failing).is_err(), "refused with an error");
    assert_eq!(store.counts().expect("counts").registrations, 0);
    assert_eq!(
        store
            .registration_document(&doc_id(&device, 1))
            .expect("reads"),
        None
    );
    let record = store.device(&device).expect("device").expect("known");
    assert_eq!(record.last_seq, 0);
    let report = store.device_report(&device).expect("reads").expect("known");
    assert_eq!((report.received, report.journal), (0, JournalHead::EMPTY));
    assert_eq!(store.backup_state().expect("reads"), state);
    let retry = store.ingest(&batch(&device, 1, 1..=2));
    assert_committed(&retry, &device, 1..=2);
}

/// The sequence check and the write are one: a tablet's request sent several times at once
/// (retries racing each other) is stored once, the others answered as stale.
pub(crate) fn the_same_request_sent_at_once_is_stored_once(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    let start = std::sync::Barrier::new(6);
    let results: Vec<IngestOutcome> = thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    store.ingest(&batch(&device, 1, 1..=3)).expect("answered")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let committed = results
        .iter()
        .filter(|r| matches!(r, IngestOutcome::Committed { .. }))
        .count();
    assert_eq!(committed, 1, "{results:?}");
    assert!(
        results.iter().all(|r| matches!(
            r,
            IngestOutcome::Committed { .. } | IngestOutcome::StaleSeq { last_accepted: 1 }
        )),
        "{results:?}"
    );
    assert_eq!(store.counts().expect("counts").registrations, 3);
    assert_eq!(
        store
            .device_report(&device)
            .expect("reads")
            .expect("known")
            .journal
            .count,
        3
    );
}

//! The records lifecycle: removal (erased, told to tablets, never stored again), legal
//! holds (which stop every removal), talent-pool withdrawal, retention rules and runs,
//! subject access, disclosure, and the reconciliation tally.

use kiosk_core::demo::DEMO_EVENT_ID;
use kiosk_core::protocol::ErrorCode;
use kiosk_core::protocol::enrollment::EnrolledRole;

use super::fixtures::*;
use crate::storage::{
    AccessAction, AskedRecord, DisclosureItem, DisclosureOutcome, DisclosureSelection, HoldChange,
    IngestItem, IngestOutcome, MatchedBy, PullScope, RegistrationFilter, RelayStore,
    RemovalOutcome, ReviewAction, RunStep, SubjectLookup, WithdrawalOutcome,
    receipt_code_for_tests,
};

fn actions(store: &dyn RelayStore, action: AccessAction) -> Vec<String> {
    store
        .access_log_entries(0, 100_000)
        .expect("log")
        .into_iter()
        .filter(|(_, entry)| entry.action == action)
        .map(|(_, entry)| entry.doc_id)
        .collect()
}

/// Moved from the SQLite store's tests (its check that the bytes are gone from the file
/// stays there).
pub(crate) fn a_removal_erases_the_record_is_pulled_as_removed_and_a_capture_of_it_is_refused(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    enroll_staff(store, STAFF_PULLER, EVENT);
    let first = store.ingest(&batch(&device, 1, 1..=2));
    assert_committed(&first, &device, 1..=2);
    let first = commit_seq(&first);
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
    let operator = operator("hr");
    assert_eq!(
        store
            .remove_registration(&removed, "withdrawn", &operator, 5)
            .expect("removes"),
        RemovalOutcome::Removed
    );
    assert_eq!(
        store
            .remove_registration(&removed, "again", &operator, 6)
            .expect("reads"),
        RemovalOutcome::NoRecord
    );
    assert!(
        store
            .registration_document(&removed)
            .expect("reads")
            .is_none()
    );
    assert!(
        store
            .stored_registration(&removed)
            .expect("reads")
            .is_none()
    );
    assert!(store.receipt_code(&removed).expect("reads").is_none());
    let removal = store
        .removal(&removed)
        .expect("reads")
        .expect("a removal record");
    assert_eq!((removal.event_id.as_str(), removal.removed_at), (EVENT, 5));
    assert_eq!(
        (removal.reason.as_str(), removal.restricted),
        ("withdrawn", false)
    );
    assert!(store.removal(&doc_id(&device, 2)).expect("reads").is_none());

    let staff = Puller::new(store, STAFF_PULLER, 0);
    let (page, _) = staff.pull(&staff_scope(), first, 100);
    assert_eq!(page.removed, vec![removed.clone()]);
    let kiosk = PullScope {
        device_key: device,
        role: EnrolledRole::Kiosk,
        ..staff_scope()
    };
    let kiosk_puller = Puller::new(store, device, 2);
    assert_eq!(
        kiosk_puller.pull(&kiosk, first, 100).0.removed,
        vec![removed.clone()]
    );
    assert!(
        kiosk_puller
            .pull(&kiosk, page.through_seq, 100)
            .0
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
    let again = batch(&device, kiosk_puller.last_seq() + 1, 1..=1);
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

/// Moved from the SQLite store's tests.
pub(crate) fn a_restricted_records_removal_is_told_to_its_kiosk_but_not_to_staff_tablets(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    enroll_staff(store, STAFF_PULLER, EVENT);
    let mut request = batch(&device, 1, 1..=1);
    if let IngestItem::Store { restricted, .. } = &mut request.items[0] {
        *restricted = true;
    }
    assert_committed(&store.ingest(&request), &device, 1..=1);
    let id = doc_id(&device, 1);
    assert_eq!(
        store
            .remove_registration(&id, "withdrawn", &operator("hr"), 5)
            .expect("removes"),
        RemovalOutcome::Removed
    );
    assert!(store.removal(&id).expect("reads").expect("kept").restricted);
    let (staff, _) = Puller::new(store, STAFF_PULLER, 0).pull(&staff_scope(), 0, 100);
    assert!(staff.removed.is_empty());
    let kiosk = PullScope {
        device_key: device,
        role: EnrolledRole::Kiosk,
        ..staff_scope()
    };
    let (page, _) = Puller::new(store, device, 1).pull(&kiosk, 0, 100);
    assert_eq!(page.removed, vec![id]);
}

pub(crate) fn a_record_on_legal_hold_is_not_removed_until_the_hold_is_lifted(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    store.ingest(&batch(&device, 1, 1..=1)).expect("stored");
    let id = doc_id(&device, 1);
    assert_eq!(
        store
            .change_legal_hold(&id, true, "case 12", "arvid", 5)
            .expect("holds"),
        HoldChange::Done
    );
    assert_eq!(
        store
            .remove_registration(&id, "withdrawn", &operator("hr"), 6)
            .expect("answers"),
        RemovalOutcome::OnLegalHold
    );
    assert_eq!(
        store.registration_document(&id).expect("reads"),
        Some(document(&device, 1)),
        "nothing happened to it"
    );
    assert!(store.removal(&id).expect("reads").is_none());
    assert!(actions(store, AccessAction::Remove).is_empty());
    assert_eq!(
        store
            .remove_registration("no-such-record", "x", &operator("hr"), 6)
            .expect("answers"),
        RemovalOutcome::NoRecord
    );

    assert_eq!(
        store
            .change_legal_hold(&id, false, "case closed", "arvid", 7)
            .expect("lifts"),
        HoldChange::Done
    );
    assert_eq!(
        store
            .remove_registration(&id, "withdrawn", &operator("hr"), 8)
            .expect("removes"),
        RemovalOutcome::Removed
    );
    assert_eq!(
        actions(store, AccessAction::Remove),
        std::slice::from_ref(&id)
    );
    assert_eq!(
        store
            .change_legal_hold(&id, true, "too late", "arvid", 9)
            .expect("answers"),
        HoldChange::NoRecord
    );
}

pub(crate) fn holds_are_set_once_lifted_once_and_their_history_kept(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    let mut request = batch(&device, 1, 1..=2);
    if let IngestItem::Store { restricted, .. } = &mut request.items[1] {
        *restricted = true;
    }
    store.ingest(&request).expect("stored");
    let (open, restricted) = (doc_id(&device, 1), doc_id(&device, 2));
    let hold = |id: &str, on: bool, reason: &str, at: i64| {
        store
            .change_legal_hold(id, on, reason, "arvid", at)
            .expect("answers")
    };
    assert_eq!(hold(&open, true, "case 12", 5), HoldChange::Done);
    assert_eq!(hold(&open, true, "case 13", 6), HoldChange::AlreadySo);
    assert_eq!(hold(&restricted, true, "case 12", 7), HoldChange::Done);
    assert_eq!(
        hold("no-such-record", true, "case 12", 7),
        HoldChange::NoRecord
    );
    let holds = store.legal_holds().expect("lists");
    let mut seen: Vec<(&str, &str, &str, i64, bool)> = holds
        .iter()
        .map(|h| {
            (
                h.doc_id.as_str(),
                h.reason.as_str(),
                h.set_by.as_str(),
                h.set_at,
                h.restricted,
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        (open.as_str(), "case 12", "arvid", 5, false),
        (restricted.as_str(), "case 12", "arvid", 7, true),
    ];
    expected.sort();
    assert_eq!(seen, expected, "the first reason stands");
    let standing = store
        .record_retention(&open)
        .expect("reads")
        .expect("held")
        .legal_hold
        .expect("on hold");
    assert_eq!((standing.reason.as_str(), standing.set_at), ("case 12", 5));

    assert_eq!(hold(&open, false, "case closed", 8), HoldChange::Done);
    assert_eq!(hold(&open, false, "again", 9), HoldChange::AlreadySo);
    assert_eq!(store.legal_holds().expect("lists").len(), 1);
    assert!(
        store
            .record_retention(&open)
            .expect("reads")
            .expect("held")
            .legal_hold
            .is_none()
    );
    let history: Vec<(bool, String, String, i64)> = store
        .legal_hold_history(&open)
        .expect("reads")
        .into_iter()
        .map(|h| (h.hold, h.reason, h.by, h.at))
        .collect();
    assert_eq!(
        history,
        [
            (true, "case 12".to_owned(), "arvid".to_owned(), 5),
            (false, "case closed".to_owned(), "arvid".to_owned(), 8),
        ],
        "oldest first, only what changed"
    );
    assert!(
        store
            .legal_hold_history("no-such-record")
            .expect("reads")
            .is_empty()
    );
}

pub(crate) fn a_withdrawal_is_recorded_once_and_a_visitor_who_never_opted_in_has_none(
    store: &dyn RelayStore,
) {
    let registrations = crate::storage::ingest_generated_for_tests(store, 20);
    let opted_in = registrations
        .iter()
        .find(|r| !r.restricted && r.consents.talent_pool.is_some())
        .expect("an opt-in");
    let never = registrations
        .iter()
        .find(|r| r.consents.talent_pool.is_none())
        .expect("a visitor who did not opt in");
    let id = opted_in.id.to_string();
    let hr = operator("hr:rut");
    assert_eq!(
        store
            .withdraw_talent_pool(&id, &hr, "rut", 5)
            .expect("withdraws"),
        WithdrawalOutcome::Withdrawn {
            withdrawn_at: 5,
            already: false
        }
    );
    assert_eq!(
        store
            .withdraw_talent_pool(&id, &hr, "rut", 9)
            .expect("answers"),
        WithdrawalOutcome::Withdrawn {
            withdrawn_at: 5,
            already: true
        },
        "in effect since the first"
    );
    assert_eq!(
        store
            .withdraw_talent_pool(&never.id.to_string(), &hr, "rut", 5)
            .expect("answers"),
        WithdrawalOutcome::NeverOptedIn
    );
    assert_eq!(
        store
            .withdraw_talent_pool("no-such-record", &hr, "rut", 5)
            .expect("answers"),
        WithdrawalOutcome::NoRecord
    );
    assert_eq!(
        store
            .record_retention(&id)
            .expect("reads")
            .expect("held")
            .talent_pool_withdrawn_at,
        Some(5)
    );
    assert_eq!(
        actions(store, AccessAction::Change),
        std::slice::from_ref(&id),
        "logged once"
    );
    let exported = store
        .export_registrations(
            &RegistrationFilter {
                talent_pool: Some(true),
                limit: 100,
                ..RegistrationFilter::default()
            },
            &operator("hr:arvid"),
            10,
        )
        .expect("exports");
    assert!(
        exported.records.iter().all(|r| r.id != id && r.talent_pool),
        "out of the talent pool at once"
    );
}

pub(crate) fn every_event_with_records_has_a_retention_rule_and_due_counts(store: &dyn RelayStore) {
    assert!(store.retention_rules().expect("reads").is_empty());
    // Records of an event the relay has no document of are kept under the default rule;
    // the demo event's records under its form's rule.
    let device = enroll(store, 1)[0];
    store.ingest(&batch(&device, 1, 1..=3)).expect("stored");
    let demo = kiosk_core::demo::demo_event();
    store.put_event(&demo).expect("stored");
    push_registrations(store, &generated(2, 3));
    let mut rules = store.retention_rules().expect("reads");
    rules.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    let default = crate::rules::retention_rules::rule_for(EVENT.to_owned(), None);
    let demo_rule = crate::rules::retention_rules::rule_for(DEMO_EVENT_ID.to_owned(), Some(&demo));
    let mut expected = vec![default.clone(), demo_rule.clone()];
    expected.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    assert_eq!(rules, expected);

    let id = doc_id(&device, 1);
    let record = store.record_retention(&id).expect("reads").expect("held");
    assert_eq!(record.received_at, 1_001);
    assert_eq!(record.rule, default);
    assert_eq!(record.due_at, default.due_at(1_001));
    assert_eq!(
        (record.legal_hold, record.talent_pool_withdrawn_at),
        (None, None)
    );
    assert!(
        store
            .record_retention("no-such-record")
            .expect("reads")
            .is_none()
    );

    store
        .change_legal_hold(&id, true, "case 12", "arvid", 5)
        .expect("holds");
    let due = |as_of| {
        store
            .retention_due(as_of)
            .expect("reads")
            .into_iter()
            .find(|d| d.rule.event_id == EVENT)
            .map(|d| (d.due, d.held))
            .expect("the event's count")
    };
    assert_eq!(due(record.due_at - 1), (0, 0), "not yet due");
    assert_eq!(due(record.due_at), (3, 1), "all due, one held");
}

/// Three records of [`EVENT`] received at 1 001, one of them held; returns them and the
/// time they fall due.
fn three_due(store: &dyn RelayStore) -> (Vec<String>, i64) {
    let device = enroll(store, 1)[0];
    store.ingest(&batch(&device, 1, 1..=3)).expect("stored");
    let ids: Vec<String> = (1..=3).map(|j| doc_id(&device, j)).collect();
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

pub(crate) fn a_retention_run_removes_what_is_due_keeps_what_is_held_and_finishes(
    store: &dyn RelayStore,
) {
    let (ids, due_at) = three_due(store);
    let run = store
        .start_retention_run("arvid", due_at)
        .expect("starts")
        .expect("none going");
    assert_eq!(
        (run.started_by.as_str(), run.as_of, run.started_at),
        ("arvid", due_at, due_at)
    );
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
    assert_eq!(
        store
            .retention_run_step(run.id, 10, due_at + 4)
            .expect("steps"),
        RunStep::Finished(finished.clone()),
        "a finished run stays finished"
    );
    assert_eq!(
        store.retention_run(run.id).expect("reads"),
        Some(finished.clone())
    );
    assert_eq!(
        store.retention_runs(10).expect("reads"),
        std::slice::from_ref(&finished)
    );
    assert_eq!(store.unfinished_retention_run().expect("reads"), None);

    let rule = crate::rules::retention_rules::rule_for(EVENT.to_owned(), None);
    for removed in [&ids[0], &ids[2]] {
        let removal = store.removal(removed).expect("reads").expect("removed");
        assert_eq!(
            removal.reason,
            rule.citation(run.id),
            "the rule and the run cited"
        );
        assert!(
            store
                .registration_document(removed)
                .expect("reads")
                .is_none()
        );
    }
    assert!(
        store
            .registration_document(&ids[1])
            .expect("reads")
            .is_some(),
        "held"
    );
    assert_eq!(actions(store, AccessAction::Remove).len(), 2);
}

pub(crate) fn only_one_retention_run_goes_at_a_time(store: &dyn RelayStore) {
    let (_, due_at) = three_due(store);
    assert!(store.retention_runs(10).expect("reads").is_empty());
    let first = store
        .start_retention_run("arvid", due_at)
        .expect("starts")
        .expect("none going");
    assert_eq!(
        store
            .start_retention_run("bo", due_at + 1)
            .expect("answers"),
        Err(first.clone()),
        "the run going is resumed, not doubled"
    );
    assert_eq!(
        store.unfinished_retention_run().expect("reads"),
        Some(first.clone())
    );
    while let RunStep::Removed(_) = store
        .retention_run_step(first.id, 1, due_at + 2)
        .expect("steps")
    {}
    let second = store
        .start_retention_run("bo", due_at + 3)
        .expect("starts")
        .expect("none going");
    assert_ne!(second.id, first.id);
    let runs: Vec<i64> = store
        .retention_runs(10)
        .expect("reads")
        .iter()
        .map(|run| run.id)
        .collect();
    assert_eq!(runs, [second.id, first.id], "newest first");
    assert_eq!(store.retention_runs(1).expect("reads").len(), 1);
    assert_eq!(store.retention_run(i64::MAX).expect("reads"), None);
}

/// Three registrations of one person (by email), one restricted, and one of someone else.
fn one_person(store: &dyn RelayStore) -> Vec<kiosk_core::registration::Registration> {
    let mut registrations = generated(4, 11);
    for (n, registration) in registrations.iter_mut().enumerate() {
        registration.restricted = n == 2;
        registration.person.email = Some(if n < 3 {
            "Same.Person@example.se".to_owned()
        } else {
            "someone.else@example.se".to_owned()
        });
    }
    push_registrations(store, &registrations);
    registrations
}

pub(crate) fn subject_access_reads_every_record_of_a_person_and_logs_each(store: &dyn RelayStore) {
    let registrations = one_person(store);
    let ids: Vec<String> = registrations.iter().map(|r| r.id.to_string()).collect();
    let reader = operator("hr:arvid");
    // Read once before, so the answer carries that entry.
    store
        .read_registration(&ids[0], &operator("hr:rut"), 3)
        .expect("reads");
    let found = store
        .subject_access(
            &SubjectLookup::Email("same.person@example.se".into()),
            true,
            &reader,
            10,
        )
        .expect("finds");
    let mut expected: Vec<&kiosk_core::registration::Registration> =
        registrations[..3].iter().collect();
    expected.sort_by_key(|r| (r.captured_at, r.id.to_string()));
    let got: Vec<String> = found
        .records
        .iter()
        .map(|(r, _)| r.doc_id.clone())
        .collect();
    let want: Vec<String> = expected.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(
        got, want,
        "oldest capture first, restricted ones for the cleared"
    );
    assert!(
        found
            .records
            .iter()
            .all(|(_, by)| by == &[MatchedBy::Email])
    );
    let first = found
        .records
        .iter()
        .find(|(r, _)| r.doc_id == ids[0])
        .expect("found");
    assert_eq!(first.0.registration, registrations[0]);
    assert_eq!(
        Some(first.0.changes.clone()),
        store
            .stored_registration(&ids[0])
            .expect("reads")
            .map(|s| s.changes)
    );
    assert_eq!(
        first.0.receipt_code,
        receipt_code_for_tests(&registrations[0].id)
    );
    let earlier: Vec<AccessAction> = first.0.access.iter().map(|(_, e)| e.action).collect();
    assert_eq!(
        earlier,
        [AccessAction::Read],
        "the entries about it before this read"
    );
    let mut logged = actions(store, AccessAction::SubjectAccess);
    logged.sort();
    let mut want_logged = want.clone();
    want_logged.sort();
    assert_eq!(logged, want_logged);

    // A receipt code finds its registration and the person's others.
    let by_code = store
        .subject_access(
            &SubjectLookup::ReceiptCode(receipt_code_for_tests(&registrations[1].id)),
            true,
            &reader,
            11,
        )
        .expect("finds");
    let matched: Vec<(String, Vec<MatchedBy>)> = by_code
        .records
        .iter()
        .map(|(r, by)| (r.doc_id.clone(), by.clone()))
        .filter(|(id, _)| id == &ids[1] || id == &ids[0])
        .collect();
    assert_eq!(by_code.records.len(), 3);
    // The receipt's own record matches by its code and by its own contact details.
    let mut own = vec![MatchedBy::Email];
    if registrations[1].person.phone.is_some() {
        own.push(MatchedBy::Phone);
    }
    own.push(MatchedBy::ReceiptCode);
    assert!(matched.contains(&(ids[1].clone(), own)), "{matched:?}");
    assert!(matched.contains(&(ids[0].clone(), vec![MatchedBy::Email])));
    let nobody = store
        .subject_access(
            &SubjectLookup::Email("nobody@example.se".into()),
            true,
            &reader,
            12,
        )
        .expect("finds");
    assert!(nobody.records.is_empty());
}

pub(crate) fn an_uncleared_request_matching_restricted_records_waits_for_the_cleared(
    store: &dyn RelayStore,
) {
    let registrations = one_person(store);
    let restricted = registrations[2].id.to_string();
    assert!(store.restricted_requests(10).expect("reads").is_empty());
    let reader = operator("hr:bo");
    let found = store
        .subject_access(
            &SubjectLookup::Email("same.person@example.se".into()),
            false,
            &reader,
            10,
        )
        .expect("finds");
    assert_eq!(found.records.len(), 2);
    assert!(found.records.iter().all(|(r, _)| !r.restricted));
    assert!(
        !actions(store, AccessAction::SubjectAccess).contains(&restricted),
        "not read, so not logged as read"
    );
    let DisclosureOutcome::Items(items) = store
        .disclosure(
            &DisclosureSelection::Records(vec![AskedRecord::Id(restricted.clone())]),
            false,
            &reader,
            11,
        )
        .expect("reads")
    else {
        panic!("expected items");
    };
    assert!(
        matches!(&items[..], [DisclosureItem::NotHeld { asked }] if *asked == restricted),
        "answered as if the relay held no such record"
    );
    let requests = store.restricted_requests(10).expect("reads");
    let seen: Vec<(&str, &str, i64, &[String])> = requests
        .iter()
        .map(|r| {
            (
                r.kind.as_str(),
                r.requested_by.as_str(),
                r.at,
                r.doc_ids.as_slice(),
            )
        })
        .collect();
    let wanted = [restricted.clone()];
    assert_eq!(
        seen,
        [
            ("disclosure", "hr:bo", 11, &wanted[..]),
            ("subject_access", "hr:bo", 10, &wanted[..]),
        ],
        "newest first"
    );
    assert_eq!(store.restricted_requests(1).expect("reads").len(), 1);
    // Nothing restricted matched: nothing waits.
    store
        .subject_access(
            &SubjectLookup::Email("someone.else@example.se".into()),
            false,
            &reader,
            12,
        )
        .expect("finds");
    assert_eq!(store.restricted_requests(10).expect("reads").len(), 2);
}

pub(crate) fn a_disclosure_names_what_is_held_withheld_removed_and_not_held(
    store: &dyn RelayStore,
) {
    let registrations = one_person(store);
    let ids: Vec<String> = registrations.iter().map(|r| r.id.to_string()).collect();
    store
        .remove_registration(&ids[3], "retention rule 24 months", &operator("hr"), 7)
        .expect("removes");
    let reader = operator("hr:arvid");
    let asked = DisclosureSelection::Records(vec![
        AskedRecord::Id(ids[0].clone()),
        AskedRecord::ReceiptCode(receipt_code_for_tests(&registrations[1].id)),
        AskedRecord::Id(ids[2].clone()),
        AskedRecord::Id(ids[3].clone()),
        AskedRecord::Id("never-received".into()),
    ]);
    let DisclosureOutcome::Items(items) =
        store.disclosure(&asked, true, &reader, 20).expect("reads")
    else {
        panic!("expected items");
    };
    assert_eq!(items.len(), 5, "in the order asked");
    let held = |item: &DisclosureItem| match item {
        DisclosureItem::Held { record, .. } => Some(record.doc_id.clone()),
        _ => None,
    };
    assert_eq!(held(&items[0]), Some(ids[0].clone()));
    assert_eq!(held(&items[1]), Some(ids[1].clone()));
    assert_eq!(
        held(&items[2]),
        Some(ids[2].clone()),
        "restricted, read by the cleared"
    );
    assert!(
        matches!(&items[3], DisclosureItem::Removed { removed_at: 7, reason, .. }
            if reason == "retention rule 24 months"),
        "{:?}",
        items[3]
    );
    assert!(matches!(&items[4], DisclosureItem::NotHeld { asked } if asked == "never-received"));
    if let DisclosureItem::Held { record, .. } = &items[0] {
        assert_eq!(record.registration, registrations[0]);
        assert!(
            record.access.is_empty(),
            "a disclosure carries no access history"
        );
    }
    let mut logged = actions(store, AccessAction::Disclosure);
    logged.sort();
    let mut want = ids[..3].to_vec();
    want.sort();
    assert_eq!(logged, want);

    // An event's range, with a bound on how many.
    let all = DisclosureSelection::Event {
        event_id: DEMO_EVENT_ID.to_owned(),
        from: i64::MIN,
        before: i64::MAX,
        limit: 3,
    };
    let DisclosureOutcome::Items(items) = store.disclosure(&all, true, &reader, 21).expect("reads")
    else {
        panic!("expected items");
    };
    assert_eq!(items.len(), 3);
    let too_few = DisclosureSelection::Event {
        event_id: DEMO_EVENT_ID.to_owned(),
        from: i64::MIN,
        before: i64::MAX,
        limit: 2,
    };
    let before = store.access_log_entries(0, 1_000).expect("log").len();
    assert!(matches!(
        store
            .disclosure(&too_few, true, &reader, 22)
            .expect("reads"),
        DisclosureOutcome::TooMany
    ));
    assert_eq!(
        store.access_log_entries(0, 1_000).expect("log").len(),
        before,
        "nothing read or logged"
    );
}

pub(crate) fn the_reconciliation_tally_counts_an_events_devices_and_removals(
    store: &dyn RelayStore,
) {
    let devices = enroll(store, 2);
    let (busy, quiet) = (devices[0], devices[1]);
    let mut request = batch(&busy, 1, 1..=3);
    request.items.push(IngestItem::Quarantine {
        doc_id: doc_id(&busy, 5),
        sealed: vec![1; 10],
        change_hashes: hashes(&busy, 5),
        code: ErrorCode::Revoked,
        journal_seq: Some(5),
    });
    request.items.push(IngestItem::Quarantine {
        doc_id: doc_id(&busy, 6),
        sealed: vec![2; 10],
        change_hashes: hashes(&busy, 6),
        code: ErrorCode::Revoked,
        journal_seq: Some(6),
    });
    request.declared_journal = Some(8);
    store.ingest(&request).expect("stored");
    store
        .remove_registration(&doc_id(&busy, 1), "withdrawn", &operator("hr"), 5)
        .expect("removes");
    let quarantined = store.quarantined_captures(None, 10).expect("lists");
    let by = operator("hr:arvid");
    store
        .review_quarantined(
            quarantined[0].id,
            &ReviewAction::KeepApart,
            "x",
            "arvid",
            &by,
            6,
        )
        .expect("reviews");
    let accepted = ReviewAction::Accept(crate::storage::AcceptedCapture {
        event_id: EVENT.to_owned(),
        document: document(&busy, 5),
        change_hashes: hashes(&busy, 5),
        capture_signature: vec![7; 64],
        receipt_code: "R1-5".into(),
        receipt_tag: None,
        restricted: false,
    });
    assert_eq!(quarantined[1].doc_id, doc_id(&busy, 5));
    store
        .review_quarantined(quarantined[1].id, &accepted, "y", "arvid", &by, 7)
        .expect("reviews");

    let tally = store.reconciliation_tally(EVENT).expect("tallies");
    assert_eq!(tally.devices.len(), 2);
    let busy_tally = tally.devices[&busy];
    assert_eq!(
        (
            busy_tally.highest_seq,
            busy_tally.entries,
            busy_tally.removed
        ),
        (8, 5, 1),
        "declared 8, holds entries 1-3, 5, 6, one removed"
    );
    assert_eq!(busy_tally.missing(), 3);
    assert_eq!(tally.devices[&quiet], Default::default());
    assert_eq!(
        (tally.accepted, tally.kept_apart, tally.removals),
        (1, 1, 1)
    );
    let other = store.reconciliation_tally("other-event").expect("tallies");
    assert!(other.devices.is_empty());
    assert_eq!(other.removals, 0);
}

/// Starting a run checks for one going in the same transaction: runs started at once by
/// several operators give one run, which each of them is told about.
pub(crate) fn retention_runs_started_at_once_start_one(store: &dyn RelayStore) {
    let (_, due_at) = three_due(store);
    let start = std::sync::Barrier::new(4);
    let answers: Vec<Result<crate::storage::RetentionRun, crate::storage::RetentionRun>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|n| {
                    let start = &start;
                    scope.spawn(move || {
                        start.wait();
                        store
                            .start_retention_run(&format!("operator-{n}"), due_at)
                            .expect("answers")
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
    let started: Vec<_> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(started.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| a.as_ref().unwrap_or_else(|going| going).id == started[0].id)
    );
    assert_eq!(store.retention_runs(10).expect("reads").len(), 1);
}

/// A talent-pool withdrawal appends one `talent-pool-withdrawn` leaf naming who withdrew
/// it, in the same commit; answering "already withdrawn" or "never opted in" appends none.
pub(crate) fn a_talent_pool_withdrawal_appends_a_leaf_naming_who_withdrew(store: &dyn RelayStore) {
    use crate::transparency::leaf::{
        Leaf, LeafKind, accessor_author, decision_subject, record_commitment,
    };
    let registrations = crate::storage::ingest_generated_for_tests(store, 20);
    let opted_in: Vec<String> = registrations
        .iter()
        .filter(|r| r.consents.talent_pool.is_some())
        .map(|r| r.id.to_string())
        .take(2)
        .collect();
    let never = registrations
        .iter()
        .find(|r| r.consents.talent_pool.is_none())
        .expect("a visitor who did not opt in")
        .id
        .to_string();
    let hr = operator("hr:rut");
    let visitor = crate::storage::Accessor::Visitor;
    let before = store.log_tip().expect("reads").size;
    store
        .withdraw_talent_pool(&opted_in[0], &hr, "hr:rut", 5)
        .expect("withdraws");
    store
        .withdraw_talent_pool(
            &opted_in[1],
            &visitor,
            crate::rules::access_chain::VISITOR_ACTOR,
            6,
        )
        .expect("withdraws");
    let after = store.log_tip().expect("reads").size;
    assert_eq!(after, before + 2, "a leaf per withdrawal");
    store
        .withdraw_talent_pool(&opted_in[0], &hr, "hr:rut", 9)
        .expect("answers");
    store
        .withdraw_talent_pool(&never, &hr, "hr:rut", 9)
        .expect("answers");
    assert_eq!(
        store.log_tip().expect("reads").size,
        after,
        "no leaf for no change"
    );
    let leaves = store.log_leaves(before, 10).expect("reads");
    for ((id, by, at), bytes) in [(&opted_in[0], &hr, 5), (&opted_in[1], &visitor, 6)]
        .into_iter()
        .zip(&leaves)
    {
        let leaf = Leaf::decode(bytes).expect("decodes");
        let nonce = store.record_nonce(id).expect("reads").expect("held");
        assert_eq!(leaf.kind, LeafKind::TalentPoolWithdrawn);
        assert_eq!(leaf.record, record_commitment(&nonce, id));
        assert_eq!(
            leaf.subject,
            decision_subject(&nonce, LeafKind::TalentPoolWithdrawn, at, "")
        );
        assert_eq!(leaf.author, accessor_author(by), "who withdrew it");
        assert_eq!(leaf.accepted_at, at);
    }
}

//! The visitor's receipt in the store: a receipt tag finds its record (with what the
//! visitor's page may show) until HR clears it or the record is removed; a tag is stored
//! once; the receipt key is bound on first use; visitor requests queue until handled and go
//! with their record; the visitor's access-log entries read back as the visitor's.

use kiosk_core::registration::Registration;

use crate::storage::{
    AccessAction, AccessEntry, Accessor, IngestItem, RelayStore, VisitorRequestAdded,
    VisitorRequestKind, WithdrawalOutcome, capture_for_tests, enroll_for_tests, ingest_for_tests,
};

use super::fixtures::operator;

/// `count` generated registrations of the demo event stored as one kiosk's captures, the
/// `i`-th with receipt tag `tags(i)` (`None`: sealed before receipts); returned in order.
fn ingest_with_tags(
    store: &dyn RelayStore,
    count: usize,
    tags: impl Fn(usize) -> Option<[u8; 32]>,
) -> Vec<Registration> {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    enroll_for_tests(
        store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
        None,
    );
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
    let registrations: Vec<Registration> = (0..count)
        .map(|_| generator.next_registration().expect("valid"))
        .collect();
    let items = registrations
        .iter()
        .enumerate()
        .map(|(i, registration)| {
            let mut item = capture_for_tests(registration, &key);
            if let IngestItem::Store { receipt_tag, .. } = &mut item {
                *receipt_tag = tags(i);
            }
            item
        })
        .collect();
    ingest_for_tests(store, key.to_bytes(), 1, 1_000, items);
    registrations
}

fn tag(i: usize) -> [u8; 32] {
    [0x40 + i as u8; 32]
}

pub(crate) fn a_receipt_tag_finds_its_record_until_hr_clears_it_or_it_is_removed(
    store: &dyn RelayStore,
) {
    let registrations = ingest_with_tags(store, 16, |i| (i < 15).then(|| tag(i)));
    for (i, r) in registrations.iter().enumerate().take(15) {
        let found = store
            .record_by_receipt_tag(&tag(i))
            .expect("reads")
            .expect("found by its tag");
        assert_eq!(found.doc_id, r.id.as_str());
        assert_eq!(found.event_id, r.event_id.as_str());
        assert_eq!(found.received_at, 1_000);
        assert_eq!(found.restricted, r.restricted);
        assert_eq!(found.talent_pool, r.in_talent_pool());
        assert!(store.has_receipt_tag(r.id.as_str()).expect("reads"));
    }
    assert_eq!(
        store.record_by_receipt_tag(&[0xEE; 32]).expect("reads"),
        None
    );
    // A capture sealed before receipts has no tag.
    assert!(
        !store
            .has_receipt_tag(registrations[15].id.as_str())
            .expect("reads")
    );

    // HR withdraws receipt 0: it finds nothing from then on.
    let first = registrations[0].id.as_str();
    assert!(
        store
            .clear_receipt_tag(first, "hr:arkiv", 1_500)
            .expect("clears")
    );
    assert!(
        !store
            .clear_receipt_tag(first, "hr:arkiv", 1_600)
            .expect("answers"),
        "once"
    );
    assert_eq!(store.record_by_receipt_tag(&tag(0)).expect("reads"), None);
    assert!(!store.has_receipt_tag(first).expect("reads"));

    // A removed record's tag goes with it.
    let second = registrations[1].id.as_str();
    store
        .remove_registration(second, "test", &operator("hr:arkiv"), 2_000)
        .expect("removes");
    assert_eq!(store.record_by_receipt_tag(&tag(1)).expect("reads"), None);

    // A withdrawal of the talent-pool consent shows at once.
    let (i, in_pool) = registrations
        .iter()
        .enumerate()
        .skip(2)
        .take(13)
        .find(|(_, r)| r.in_talent_pool())
        .expect("a generated visitor in the talent pool");
    let outcome = store
        .withdraw_talent_pool(in_pool.id.as_str(), &Accessor::Visitor, "visitor", 3_000)
        .expect("withdraws");
    assert!(matches!(outcome, WithdrawalOutcome::Withdrawn { .. }));
    assert!(
        !store
            .record_by_receipt_tag(&tag(i))
            .expect("reads")
            .expect("found")
            .talent_pool
    );
}

pub(crate) fn a_receipt_tag_sent_twice_is_kept_by_the_first_record_only(store: &dyn RelayStore) {
    let registrations = ingest_with_tags(store, 2, |_| Some(tag(9)));
    let found = store
        .record_by_receipt_tag(&tag(9))
        .expect("reads")
        .expect("found");
    assert_eq!(found.doc_id, registrations[0].id.as_str());
    assert!(
        !store
            .has_receipt_tag(registrations[1].id.as_str())
            .expect("reads"),
        "both stored, the second without the tag"
    );
    assert!(
        store
            .registration_document(registrations[1].id.as_str())
            .expect("reads")
            .is_some()
    );
}

pub(crate) fn the_receipt_key_is_bound_on_first_use_and_another_is_refused_until_rebound(
    store: &dyn RelayStore,
) {
    assert!(
        store.bind_receipt_key(&[1; 32]).expect("binds"),
        "first use"
    );
    assert!(store.bind_receipt_key(&[1; 32]).expect("answers"), "again");
    assert!(
        !store.bind_receipt_key(&[2; 32]).expect("answers"),
        "another"
    );
    store.rebind_receipt_key(&[2; 32]).expect("rebinds");
    assert!(store.bind_receipt_key(&[2; 32]).expect("answers"));
    assert!(!store.bind_receipt_key(&[1; 32]).expect("answers"));
}

pub(crate) fn visitor_requests_queue_until_handled_and_go_with_their_record(
    store: &dyn RelayStore,
) {
    let registrations = ingest_with_tags(store, 3, |i| Some(tag(i)));
    let (a, b) = (registrations[0].id.as_str(), registrations[1].id.as_str());
    let access = store
        .add_visitor_request(a, VisitorRequestKind::SubjectAccess, None, 10)
        .expect("adds")
        .added()
        .expect("held");
    let correction = store
        .add_visitor_request(
            b,
            VisitorRequestKind::Correction,
            Some("Mitt efternamn stavas Öberg"),
            20,
        )
        .expect("adds")
        .added()
        .expect("held");
    assert_eq!(
        store
            .add_visitor_request(
                "no-such-record",
                VisitorRequestKind::SubjectAccess,
                None,
                30
            )
            .expect("answers"),
        VisitorRequestAdded::NoRecord
    );
    let open = store.visitor_requests(true, 10).expect("lists");
    assert_eq!(
        open.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![access, correction],
        "oldest first"
    );
    assert_eq!(open[0].kind, VisitorRequestKind::SubjectAccess);
    assert_eq!(open[0].text, None);
    assert_eq!(
        open[0].reference,
        crate::storage::receipt_code_for_tests(&registrations[0].id)
    );
    assert_eq!(open[0].restricted, registrations[0].restricted);
    assert_eq!(open[1].kind, VisitorRequestKind::Correction);
    assert_eq!(open[1].text.as_deref(), Some("Mitt efternamn stavas Öberg"));

    let before = store
        .mark_visitor_request_handled(access, "hr:arkiv", 40)
        .expect("marks")
        .expect("was open");
    assert_eq!(before.handled_at, None);
    assert_eq!(
        store
            .mark_visitor_request_handled(access, "hr:arkiv", 50)
            .expect("answers"),
        None,
        "handled once"
    );
    let open = store.visitor_requests(true, 10).expect("lists");
    assert_eq!(
        open.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![correction]
    );
    let all = store.visitor_requests(false, 10).expect("lists");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].handled_at, Some(40));
    assert_eq!(all[0].handled_by.as_deref(), Some("hr:arkiv"));
    assert_eq!(store.visitor_requests_of(b).expect("lists").len(), 1);

    // The correction's text is personal data: it goes with its record.
    store
        .remove_registration(b, "test", &operator("hr:arkiv"), 60)
        .expect("removes");
    assert!(store.visitor_requests_of(b).expect("lists").is_empty());
    assert_eq!(store.visitor_requests(false, 10).expect("lists").len(), 1);
}

pub(crate) fn a_visitor_request_is_added_once_while_one_of_its_kind_is_open(
    store: &dyn RelayStore,
) {
    let registrations = ingest_with_tags(store, 2, |i| Some(tag(i)));
    let (a, b) = (registrations[0].id.as_str(), registrations[1].id.as_str());
    let correction = |doc_id: &str, at: i64| {
        store
            .add_visitor_request(doc_id, VisitorRequestKind::Correction, Some("Fel"), at)
            .expect("answers")
    };
    let first = correction(a, 10).added().expect("added");
    // A refreshed page, or a photographed code used a thousand times, adds nothing.
    for at in 11..20 {
        assert_eq!(correction(a, at), VisitorRequestAdded::AlreadyOpen(first));
    }
    // Another kind, and another record, are queued apart.
    let access = store
        .add_visitor_request(a, VisitorRequestKind::SubjectAccess, None, 20)
        .expect("answers");
    assert!(access.added().is_some(), "{access:?}");
    assert!(correction(b, 21).added().is_some());
    assert_eq!(store.visitor_requests(true, 100).expect("lists").len(), 3);
    // Once handled, the visitor may ask again.
    store
        .mark_visitor_request_handled(first, "hr:arkiv", 30)
        .expect("marks")
        .expect("was open");
    let again = correction(a, 40).added().expect("added again");
    assert_ne!(again, first);
    assert_eq!(
        store.visitor_requests_of(a).expect("lists").len(),
        3,
        "two corrections (one handled) and one registerutdrag"
    );
}

pub(crate) fn the_visitors_access_log_entries_read_back_as_theirs_and_the_chain_holds(
    store: &dyn RelayStore,
) {
    let registrations = ingest_with_tags(store, 1, |i| Some(tag(i)));
    let doc_id = registrations[0].id.to_string();
    for action in [
        AccessAction::Read,
        AccessAction::AccessRequested,
        AccessAction::CorrectionRequested,
    ] {
        store
            .log_access(&AccessEntry {
                at: 5_000,
                accessor: Accessor::Visitor,
                action,
                doc_id: doc_id.clone(),
            })
            .expect("logs");
    }
    let entries = store.access_log_entries(0, 100).expect("reads");
    let visitor: Vec<AccessAction> = entries
        .iter()
        .filter(|(_, e)| e.accessor == Accessor::Visitor)
        .map(|(_, e)| e.action)
        .collect();
    assert_eq!(
        visitor,
        vec![
            AccessAction::Read,
            AccessAction::AccessRequested,
            AccessAction::CorrectionRequested
        ]
    );
    assert_eq!(store.verify_access_log().expect("walks").broken_at, None);
}

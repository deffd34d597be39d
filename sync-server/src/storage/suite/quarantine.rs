//! Quarantine review: captures kept apart are listed for HR without their bytes, read one
//! at a time with them, and decided once (accepted into the registrations, or kept apart).

use kiosk_core::protocol::ErrorCode;

use super::fixtures::*;
use crate::storage::{
    AcceptedCapture, AccessAction, IngestItem, QuarantineReview, RelayStore, ReviewAction,
    ReviewDecision, ReviewOutcome,
};

/// Keeps `count` flagged captures of kiosk `device` apart, one per request; returns their
/// document ids, in order.
fn flag(store: &dyn RelayStore, device: &[u8; 32], count: u64) -> Vec<String> {
    (1..=count)
        .map(|j| {
            let mut request = batch(device, j, j..=j);
            request.items = vec![IngestItem::Quarantine {
                doc_id: doc_id(device, j),
                sealed: document(device, j),
                change_hashes: hashes(device, j),
                code: ErrorCode::Revoked,
                journal_seq: Some(j),
            }];
            store.ingest(&request).expect("kept apart");
            doc_id(device, j)
        })
        .collect()
}

fn accept(device: &[u8; 32], j: u64) -> ReviewAction {
    ReviewAction::Accept(AcceptedCapture {
        event_id: EVENT.to_owned(),
        document: document(device, j),
        change_hashes: hashes(device, j),
        capture_signature: vec![7; 64],
        receipt_code: format!("R{}-{j}", device[0]),
        receipt_tag: None,
        restricted: false,
    })
}

pub(crate) fn quarantined_captures_list_newest_first_without_their_bytes(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    let ids = flag(store, &device, 5);
    let listed = store.quarantined_captures(None, 100).expect("lists");
    let listed_ids: Vec<&str> = listed.iter().map(|c| c.doc_id.as_str()).collect();
    let mut newest_first: Vec<&str> = ids.iter().map(String::as_str).collect();
    newest_first.reverse();
    assert_eq!(listed_ids, newest_first);
    assert!(listed.windows(2).all(|w| w[0].id > w[1].id));
    for capture in &listed {
        assert_eq!(capture.device_key, device);
        assert_eq!(
            capture.event_id.as_deref(),
            Some(EVENT),
            "the device's event"
        );
        assert_eq!(capture.code, ErrorCode::Revoked.as_str());
        assert!(capture.review.is_none());
    }
    let page = store
        .quarantined_captures(Some(listed[1].id), 2)
        .expect("lists");
    assert_eq!(page, listed[2..4], "below the id given, at most the limit");

    let (one, bytes) = store
        .quarantined_capture(listed[0].id)
        .expect("reads")
        .expect("held");
    assert_eq!(one, listed[0]);
    assert_eq!(bytes, document(&device, 5), "the bytes kept");
    assert!(
        store
            .quarantined_capture(u64::MAX)
            .expect("reads")
            .is_none()
    );
    assert!(
        store.access_log_entries(0, 10).expect("log").is_empty(),
        "reviewing reads nothing out of the relay"
    );
}

pub(crate) fn accepting_a_quarantined_capture_stores_it_as_a_registration_once(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    let ids = flag(store, &device, 2);
    let capture = store.quarantined_captures(None, 10).expect("lists")[1].clone();
    assert_eq!(capture.doc_id, ids[0]);
    let by = operator("hr:arvid");
    assert_eq!(
        store
            .review_quarantined(capture.id, &accept(&device, 1), "checked", "arvid", &by, 50)
            .expect("reviews"),
        ReviewOutcome::Recorded
    );
    assert_eq!(
        store.registration_document(&ids[0]).expect("reads"),
        Some(document(&device, 1))
    );
    assert_eq!(
        store.receipt_code(&ids[0]).expect("reads").as_deref(),
        Some(format!("R{}-1", device[0]).as_str())
    );
    let (reviewed, _) = store
        .quarantined_capture(capture.id)
        .expect("reads")
        .expect("kept");
    assert_eq!(
        reviewed.review,
        Some(QuarantineReview {
            decision: ReviewDecision::Accepted,
            reason: "checked".into(),
            reviewer: "arvid".into(),
            reviewed_at: 50,
        })
    );
    assert_eq!(
        store
            .review_quarantined(capture.id, &accept(&device, 1), "again", "arvid", &by, 60)
            .expect("reviews"),
        ReviewOutcome::AlreadyReviewed
    );
    assert_eq!(
        store
            .review_quarantined(u64::MAX, &ReviewAction::KeepApart, "x", "arvid", &by, 60)
            .expect("reviews"),
        ReviewOutcome::Unknown
    );
    assert_eq!(store.counts().expect("counts").registrations, 1);
    let log = store.access_log_entries(0, 10).expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].1.action,
            log[0].1.doc_id.as_str(),
            &log[0].1.accessor
        ),
        (AccessAction::Change, ids[0].as_str(), &by)
    );

    // Staff tablets get it as any other capture.
    enroll_staff(store, STAFF_PULLER, EVENT);
    let (page, _) = Puller::new(store, STAFF_PULLER, 0).pull(&staff_scope(), 0, 100);
    assert_eq!(pulled_ids(&page), [ids[0].clone()]);
}

pub(crate) fn keeping_a_capture_apart_is_recorded_once_and_stores_nothing(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    let ids = flag(store, &device, 1);
    let capture = store.quarantined_captures(None, 10).expect("lists")[0].clone();
    let by = operator("hr:arvid");
    assert_eq!(
        store
            .review_quarantined(
                capture.id,
                &ReviewAction::KeepApart,
                "a copy",
                "arvid",
                &by,
                70
            )
            .expect("reviews"),
        ReviewOutcome::Recorded
    );
    assert_eq!(store.registration_document(&ids[0]).expect("reads"), None);
    let listed = store.quarantined_captures(None, 10).expect("lists");
    assert_eq!(
        listed[0]
            .review
            .as_ref()
            .map(|r| (r.decision, r.reviewed_at)),
        Some((ReviewDecision::KeptApart, 70))
    );
    assert_eq!(
        store
            .review_quarantined(
                capture.id,
                &accept(&device, 1),
                "changed mind",
                "arvid",
                &by,
                80
            )
            .expect("reviews"),
        ReviewOutcome::AlreadyReviewed,
        "a decision is final"
    );
    assert_eq!(store.registration_document(&ids[0]).expect("reads"), None);
    let log = store.access_log_entries(0, 10).expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].1.action, AccessAction::Change);
}

pub(crate) fn a_quarantined_capture_whose_record_is_held_or_removed_is_not_stored_again(
    store: &dyn RelayStore,
) {
    let devices = enroll(store, 2);
    let device = devices[0];
    flag(store, &device, 2);
    let listed = store.quarantined_captures(None, 10).expect("lists");
    let (second, first) = (listed[0].clone(), listed[1].clone());
    // Record 1 arrives from elsewhere meanwhile (the same capture, through another path).
    let mut elsewhere = batch(&devices[1], 1, 1..=1);
    if let IngestItem::Store { doc_id: id, .. } = &mut elsewhere.items[0] {
        *id = first.doc_id.clone();
    }
    store.ingest(&elsewhere).expect("stored");
    let by = operator("hr:arvid");
    assert_eq!(
        store
            .review_quarantined(first.id, &accept(&device, 1), "ok", "arvid", &by, 50)
            .expect("reviews"),
        ReviewOutcome::AlreadyStored
    );
    assert_eq!(
        store.registration_document(&first.doc_id).expect("reads"),
        Some(document(&devices[1], 1)),
        "the record held is kept"
    );
    // Record 2 is stored, then removed: its quarantined copy goes with it.
    store.ingest(&batch(&device, 3, 2..=2)).expect("stored");
    store
        .remove_registration(&second.doc_id, "test", &by, 60)
        .expect("removes");
    assert!(
        store
            .quarantined_capture(second.id)
            .expect("reads")
            .is_none()
    );
    assert_eq!(
        store
            .review_quarantined(second.id, &accept(&device, 2), "ok", "arvid", &by, 70)
            .expect("reviews"),
        ReviewOutcome::Unknown
    );
    assert_eq!(
        store.registration_document(&second.doc_id).expect("reads"),
        None
    );
}

/// Accepting a quarantined capture appends, beside the capture's leaves (authored by the
/// tablet), one `quarantine-accepted` leaf naming the archivist who decided, in the same
/// commit; keeping a capture apart appends nothing.
pub(crate) fn an_acceptance_from_quarantine_appends_a_leaf_naming_who_accepted(
    store: &dyn RelayStore,
) {
    use crate::transparency::leaf::{
        Leaf, LeafKind, accessor_author, decision_subject, record_commitment,
    };
    let device = enroll(store, 1)[0];
    let ids = flag(store, &device, 2);
    let captures = store.quarantined_captures(None, 10).expect("lists");
    let by = operator("hr:arvid");
    let before = store.log_tip().expect("reads").size;
    store
        .review_quarantined(
            captures[0].id,
            &ReviewAction::KeepApart,
            "no",
            "arvid",
            &by,
            40,
        )
        .expect("reviews");
    assert_eq!(
        store.log_tip().expect("reads").size,
        before,
        "kept apart: no leaf"
    );
    store
        .review_quarantined(
            captures[1].id,
            &accept(&device, 1),
            "checked",
            "arvid",
            &by,
            50,
        )
        .expect("reviews");
    let leaves: Vec<Leaf> = store
        .log_leaves(before, 1_000)
        .expect("reads")
        .iter()
        .map(|bytes| Leaf::decode(bytes).expect("decodes"))
        .collect();
    let nonce = store.record_nonce(&ids[0]).expect("reads").expect("held");
    let decisions: Vec<&Leaf> = leaves
        .iter()
        .filter(|leaf| leaf.kind == LeafKind::QuarantineAccepted)
        .collect();
    assert_eq!(decisions.len(), 1, "one decision leaf");
    let decided = decisions[0];
    assert_eq!(decided.record, record_commitment(&nonce, &ids[0]));
    assert_eq!(
        decided.subject,
        decision_subject(&nonce, LeafKind::QuarantineAccepted, 50, "checked")
    );
    assert_eq!(decided.author, accessor_author(&by));
    assert_eq!(decided.accepted_at, 50);
    // The accepted capture's changes, each its own leaf by the tablet, then the decision.
    let changes = hashes(&device, 1).len();
    assert!(changes > 0);
    let captured: Vec<usize> = leaves
        .iter()
        .enumerate()
        .filter(|(_, leaf)| leaf.kind == LeafKind::Capture)
        .map(|(at, _)| at)
        .collect();
    assert_eq!(captured.len(), changes, "a capture leaf per change");
    assert!(
        leaves
            .iter()
            .filter(|leaf| leaf.kind == LeafKind::Capture)
            .all(|leaf| leaf.author == device),
        "the capture's own leaves stay the tablet's"
    );
    let decided_at = leaves
        .iter()
        .position(|leaf| leaf.kind == LeafKind::QuarantineAccepted)
        .expect("decided");
    assert!(
        captured.iter().all(|&at| at < decided_at),
        "the decision follows the changes it accepted"
    );
}

/// A capture kept apart gets a `quarantined` leaf per change, authored by its tablet, under
/// the record's nonce; the same copy kept again appends none; an acceptance stores the record
/// under that same nonce, so its `capture` and decision leaves link to the `quarantined` ones.
pub(crate) fn a_quarantined_capture_is_logged_under_the_nonce_its_acceptance_keeps(
    store: &dyn RelayStore,
) {
    use crate::transparency::leaf::{Leaf, LeafKind, change_subject, record_commitment};
    let device = enroll(store, 1)[0];
    let before = store.log_tip().expect("reads").size;
    let ids = flag(store, &device, 1);
    let leaves: Vec<Leaf> = store
        .log_leaves(before, 1_000)
        .expect("reads")
        .iter()
        .map(|bytes| Leaf::decode(bytes).expect("decodes"))
        .collect();
    let kept = hashes(&device, 1);
    assert_eq!(leaves.len(), kept.len(), "one leaf per change");
    let nonce = store
        .quarantine_nonce(&ids[0], &device)
        .expect("reads")
        .expect("a nonce");
    for (leaf, hash) in leaves.iter().zip(&kept) {
        assert_eq!(leaf.kind, LeafKind::Quarantined);
        assert_eq!(leaf.author, device);
        assert_eq!(leaf.record, record_commitment(&nonce, &ids[0]));
        assert_eq!(leaf.subject, change_subject(&nonce, hash));
    }
    // The same push again (its answer lost): kept once, logged once.
    let mut request = batch(&device, 2, 1..=1);
    request.items = vec![IngestItem::Quarantine {
        doc_id: ids[0].clone(),
        sealed: document(&device, 1),
        change_hashes: kept.clone(),
        code: ErrorCode::Revoked,
        journal_seq: Some(1),
    }];
    store.ingest(&request).expect("kept apart");
    let size = store.log_tip().expect("reads").size;
    assert_eq!(size, before + kept.len() as u64, "a retry appends nothing");
    let captures = store.quarantined_captures(None, 10).expect("lists");
    store
        .review_quarantined(
            captures[0].id,
            &accept(&device, 1),
            "checked",
            "arvid",
            &operator("hr:arvid"),
            50,
        )
        .expect("reviews");
    assert_eq!(
        store.record_nonce(&ids[0]).expect("reads"),
        Some(nonce),
        "the record keeps the nonce its quarantined leaves were hashed under"
    );
    // What a provenance reader sees: the acceptance's `capture` leaves carry the same
    // record commitment (leaf bytes 2..34) as the `quarantined` ones, so they link.
    let logged = store.log_leaves(before, 1_000).expect("reads");
    let commitments = |kind: LeafKind| -> Vec<[u8; 32]> {
        logged
            .iter()
            .filter(|bytes| bytes[1] == kind as u8)
            .map(|bytes| bytes[2..34].try_into().expect("32 bytes"))
            .collect()
    };
    let quarantined = commitments(LeafKind::Quarantined);
    let captured = commitments(LeafKind::Capture);
    assert_eq!(
        captured.len(),
        kept.len(),
        "a capture leaf per accepted change"
    );
    assert!(
        captured.iter().all(|record| quarantined.contains(record)) && !quarantined.is_empty(),
        "the accepted capture's leaves link to its quarantined ones"
    );
}

/// A capture another tablet sends under a record's id is kept apart under a nonce of that
/// tablet's copies, never the record's (which would let it link every leaf of the record),
/// and `quarantine_nonce` gives it that copy nonce; a copy the record's own tablet sends is
/// logged under the record's nonce.
pub(crate) fn a_copy_under_another_tablets_record_never_gets_that_records_nonce(
    store: &dyn RelayStore,
) {
    use crate::transparency::leaf::{Leaf, LeafKind, change_subject, record_commitment};
    let devices = enroll(store, 2);
    let (owner, other) = (devices[0], devices[1]);
    store.ingest(&batch(&owner, 1, 1..=1)).expect("stored");
    let id = doc_id(&owner, 1);
    let record = store
        .record_nonce(&id)
        .expect("reads")
        .expect("a stored record's nonce");
    let keep_apart = |device: &[u8; 32], seq: u64| {
        let before = store.log_tip().expect("reads").size;
        let mut request = batch(device, seq, 1..=1);
        request.items = vec![IngestItem::Quarantine {
            doc_id: id.clone(),
            sealed: document(device, 7),
            change_hashes: hashes(device, 7),
            code: ErrorCode::NotPermitted,
            journal_seq: Some(1),
        }];
        store.ingest(&request).expect("kept apart");
        let leaves: Vec<Leaf> = store
            .log_leaves(before, 1_000)
            .expect("reads")
            .iter()
            .map(|bytes| Leaf::decode(bytes).expect("decodes"))
            .collect();
        assert_eq!(leaves.len(), hashes(device, 7).len(), "a leaf per change");
        leaves
    };

    let foreign = keep_apart(&other, 2);
    let copy = store
        .quarantine_nonce(&id, &other)
        .expect("reads")
        .expect("the copy's nonce");
    assert_ne!(
        copy, record,
        "another tablet's copy never gets the record's nonce"
    );
    for (leaf, hash) in foreign.iter().zip(&hashes(&other, 7)) {
        assert_eq!(leaf.kind, LeafKind::Quarantined);
        assert_eq!(leaf.record, record_commitment(&copy, &id));
        assert_ne!(leaf.record, record_commitment(&record, &id));
        assert_eq!(leaf.subject, change_subject(&copy, hash));
    }

    let own = keep_apart(&owner, 2);
    assert_eq!(
        store.quarantine_nonce(&id, &owner).expect("reads"),
        Some(record),
        "the record's own tablet is given the record's nonce"
    );
    for leaf in &own {
        assert_eq!(leaf.record, record_commitment(&record, &id));
    }
}

/// Keeps apart a copy `device` sends under `id` (the bytes of its journal entry `entry`), in
/// request `seq`; returns the leaves the push appended.
fn keep_copy_apart(
    store: &dyn RelayStore,
    device: &[u8; 32],
    seq: u64,
    id: &str,
    entry: u64,
) -> Vec<crate::transparency::leaf::Leaf> {
    let before = store.log_tip().expect("reads").size;
    let mut request = batch(device, seq, 1..=1);
    request.items = vec![IngestItem::Quarantine {
        doc_id: id.to_owned(),
        sealed: document(device, entry),
        change_hashes: hashes(device, entry),
        code: ErrorCode::NotPermitted,
        journal_seq: Some(entry),
    }];
    store.ingest(&request).expect("kept apart");
    store
        .log_leaves(before, 1_000)
        .expect("reads")
        .iter()
        .map(|bytes| crate::transparency::leaf::Leaf::decode(bytes).expect("decodes"))
        .collect()
}

/// Whether `leaves` are what the answer to `device` proves for its copy of `id` (with the
/// changes of its journal entry `entry`): each found under the nonce `quarantine_nonce` gives
/// that tablet now, as the answer looks them up.
fn proven_to(
    store: &dyn RelayStore,
    device: &[u8; 32],
    id: &str,
    entry: u64,
    leaves: &[crate::transparency::leaf::Leaf],
) -> bool {
    use crate::transparency::leaf::{LeafKind, change_subject, record_commitment};
    let Some(nonce) = store.quarantine_nonce(id, device).expect("reads") else {
        return false;
    };
    let hashes = hashes(device, entry);
    leaves.len() == hashes.len()
        && leaves.iter().zip(&hashes).all(|(leaf, hash)| {
            leaf.kind == LeafKind::Quarantined
                && leaf.author == *device
                && leaf.record == record_commitment(&nonce, id)
                && leaf.subject == change_subject(&nonce, hash)
        })
}

/// Two tablets' copies under an id no registration holds get nonces of their own (the
/// second never learns the first's from its answer), and each is proven to its own tablet;
/// a second copy of the same tablet keeps its nonce.
pub(crate) fn copies_of_two_tablets_under_an_unregistered_id_get_nonces_of_their_own(
    store: &dyn RelayStore,
) {
    let devices = enroll(store, 2);
    let (first, second) = (devices[0], devices[1]);
    let id = doc_id(&first, 1);
    let first_leaves = keep_copy_apart(store, &first, 1, &id, 1);
    let second_leaves = keep_copy_apart(store, &second, 1, &id, 1);
    let first_nonce = store.quarantine_nonce(&id, &first).expect("reads");
    let second_nonce = store.quarantine_nonce(&id, &second).expect("reads");
    assert!(first_nonce.is_some() && second_nonce.is_some());
    assert_ne!(
        first_nonce, second_nonce,
        "the second tablet is not given the first's nonce"
    );
    assert!(proven_to(store, &first, &id, 1, &first_leaves));
    assert!(proven_to(store, &second, &id, 1, &second_leaves));
    // The second tablet's nonce does not find the first's leaves.
    let commitment = crate::transparency::leaf::record_commitment;
    assert_ne!(
        commitment(&second_nonce.expect("a nonce"), &id),
        first_leaves[0].record
    );
    // Another copy of the second tablet (other bytes) is logged under its nonce again.
    let again = keep_copy_apart(store, &second, 2, &id, 2);
    assert_eq!(
        store.quarantine_nonce(&id, &second).expect("reads"),
        second_nonce
    );
    assert!(proven_to(store, &second, &id, 2, &again));
    let third = [9; 32];
    assert_eq!(
        store.quarantine_nonce(&id, &third).expect("reads"),
        None,
        "a tablet with no copy kept apart is given no nonce"
    );
}

/// Accepting the copy of the second tablet to have one kept apart under an unregistered id
/// (its copies under a nonce of their own) stores the record under that tablet's nonce: its
/// `quarantined` leaves link to the record, and the first tablet's nonce (which it was
/// given) finds none of the record's leaves.
pub(crate) fn accepting_a_second_tablets_copy_stores_the_record_under_that_copys_nonce(
    store: &dyn RelayStore,
) {
    use crate::transparency::leaf::{LeafKind, record_commitment};
    let devices = enroll(store, 2);
    let (first, second) = (devices[0], devices[1]);
    let id = doc_id(&first, 1);
    keep_copy_apart(store, &first, 1, &id, 1);
    let second_leaves = keep_copy_apart(store, &second, 1, &id, 1);
    let first_nonce = store
        .quarantine_nonce(&id, &first)
        .expect("reads")
        .expect("a nonce");
    let second_nonce = store
        .quarantine_nonce(&id, &second)
        .expect("reads")
        .expect("a nonce");
    let copy = store
        .quarantined_captures(None, 10)
        .expect("lists")
        .into_iter()
        .find(|c| c.device_key == second)
        .expect("the second tablet's copy");
    let before = store.log_tip().expect("reads").size;
    let outcome = store
        .review_quarantined(
            copy.id,
            &accept(&second, 1),
            "checked",
            "arvid",
            &operator("hr:arvid"),
            50,
        )
        .expect("reviews");
    assert_eq!(outcome, ReviewOutcome::Recorded);
    let record = store.record_nonce(&id).expect("reads").expect("stored");
    assert_eq!(
        store.record_nonces(&[id.as_str()]).expect("reads"),
        vec![Some(record)],
        "a sync answer reads the nonce the record follows"
    );
    assert_ne!(record, first_nonce, "not the first tablet's nonce");
    assert_eq!(record, second_nonce, "the accepted copy's own nonce");
    for leaf in &second_leaves {
        assert_eq!(
            leaf.record,
            record_commitment(&record, &id),
            "its quarantined leaves link to the record"
        );
    }
    let accepted: Vec<_> = store
        .log_leaves(before, 1_000)
        .expect("reads")
        .iter()
        .map(|bytes| crate::transparency::leaf::Leaf::decode(bytes).expect("decodes"))
        .collect();
    assert!(accepted.iter().any(|l| l.kind == LeafKind::Capture));
    for leaf in &accepted {
        assert_eq!(leaf.record, record_commitment(&record, &id));
        assert_ne!(leaf.record, record_commitment(&first_nonce, &id));
    }
    assert_eq!(
        store.quarantine_nonce(&id, &first).expect("reads"),
        Some(first_nonce),
        "the first tablet's copies keep the nonce they were proven under"
    );
}

/// A record keeps the issue time of the certificate its tablet held when the relay received
/// it, so the provenance bundle finds that certificate by it and not by comparing the
/// enrolling instance's clock with the receiving one's: a copy kept apart, its tablet
/// enrolled again (a later certificate), then the copy accepted keeps the copy's.
pub(crate) fn an_accepted_copy_keeps_the_certificate_its_tablet_held_when_it_was_received(
    store: &dyn RelayStore,
) {
    use crate::storage::EnrollmentGrant;
    use kiosk_core::protocol::enrollment::EnrolledRole;
    let device = enroll(store, 1)[0];
    let ids = flag(store, &device, 1);
    let held = store.device(&device).expect("reads").expect("enrolled");
    // Enrolled again, by an instance whose clock is far behind the receiving one's.
    let again = EnrollmentGrant {
        lookup: [0x5a; 32],
        answer_secret: [0; 32],
        event_id: EVENT.to_owned(),
        role: EnrolledRole::Kiosk,
        recruiter: None,
        expires_at: i64::MAX,
        max_uses: 1,
        name: None,
    };
    store.add_enrollment_code(&again, 0).expect("code");
    let later = store
        .redeem_enrollment_code(
            &again.lookup,
            &device,
            EnrolledRole::Kiosk,
            &|_| true,
            0,
            1 << 40,
        )
        .expect("storage")
        .expect("enrolled")
        .0;
    assert!(later.certified_at > held.certified_at);
    let captures = store.quarantined_captures(None, 10).expect("lists");
    store
        .review_quarantined(
            captures[0].id,
            &accept(&device, 1),
            "checked",
            "arvid",
            &operator("hr:arvid"),
            50,
        )
        .expect("reviews");
    assert_eq!(
        store
            .capture_evidence(&ids[0])
            .expect("reads")
            .expect("stored")
            .certified_at,
        Some(held.certified_at),
        "the certificate held when the copy was received, not the later one"
    );
}

/// Copies logged while no registration held their id are still proven under the nonce they
/// were logged under once a registration appears, whichever tablet's it is: the one whose
/// copy came first, or another.
pub(crate) fn a_copy_logged_before_a_registration_appears_is_still_proven_afterwards(
    store: &dyn RelayStore,
) {
    let devices = enroll(store, 3);
    let (owner, early, late) = (devices[0], devices[1], devices[2]);
    let id = doc_id(&owner, 1);
    // Another tablet's copy first, then the owner's own, both before the registration.
    let early_leaves = keep_copy_apart(store, &early, 1, &id, 1);
    let owner_copy = doc_id(&owner, 2);
    let owner_leaves = keep_copy_apart(store, &owner, 1, &owner_copy, 2);
    let before = (
        store.quarantine_nonce(&id, &early).expect("reads"),
        store.quarantine_nonce(&owner_copy, &owner).expect("reads"),
    );
    // The registrations appear: `id` captured by the owner (not the tablet whose copy came
    // first), `owner_copy` by a third tablet after the owner's copy.
    store.ingest(&batch(&owner, 2, 1..=1)).expect("answers");
    assert!(
        store.record_nonce(&id).expect("reads").is_some(),
        "stored as the owner's registration"
    );
    let mut foreign = batch(&late, 1, 1..=1);
    if let IngestItem::Store { doc_id, .. } = &mut foreign.items[0] {
        *doc_id = owner_copy.clone();
    }
    store.ingest(&foreign).expect("answers");
    assert!(
        store.record_nonce(&owner_copy).expect("reads").is_some(),
        "stored as the third tablet's registration"
    );
    assert_eq!(
        (
            store.quarantine_nonce(&id, &early).expect("reads"),
            store.quarantine_nonce(&owner_copy, &owner).expect("reads"),
        ),
        before,
        "the nonces the copies were logged under"
    );
    // Neither record is stored under the nonce another tablet's copies were given, which
    // would let that tablet find every leaf of it.
    assert_ne!(store.record_nonce(&id).expect("reads"), before.0);
    assert_ne!(store.record_nonce(&owner_copy).expect("reads"), before.1);
    assert!(proven_to(store, &early, &id, 1, &early_leaves));
    assert!(proven_to(store, &owner, &owner_copy, 2, &owner_leaves));
    // A copy the third tablet sends after the registration still gets a nonce of its own.
    let late_leaves = keep_copy_apart(store, &late, 2, &id, 3);
    assert!(proven_to(store, &late, &id, 3, &late_leaves));
    assert_ne!(
        store.quarantine_nonce(&id, &late).expect("reads"),
        store.record_nonce(&id).expect("reads")
    );
}

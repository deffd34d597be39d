//! Keyed blind indexes in the store: the duplicate index is written by the background pass
//! (never by ingest) and goes with its record at removal; do-not-contact rows keep their
//! legal basis and go only when their own retention ends.

use crate::blind_index::{BASIS_WITHDRAWN, index_pending};
use crate::rules::blind_index::BlindIndexKeys;
use crate::storage::{BlindIndexEntry, RelayStore, ingest_generated_for_tests};

use super::fixtures::operator;

fn keys() -> BlindIndexKeys {
    BlindIndexKeys::derive(&[0x1D; 32])
}

pub(crate) fn the_duplicate_index_is_written_by_the_pass_and_removed_with_its_record(
    store: &dyn RelayStore,
) {
    let registrations = ingest_generated_for_tests(store, 6);
    let ids: Vec<String> = registrations.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(
        store.unindexed_registrations(100).expect("lists").len(),
        6,
        "ingest indexed nothing"
    );
    for id in &ids {
        assert!(store.blind_index_of(id).expect("reads").is_empty());
    }
    assert_eq!(index_pending(store, &keys(), 10).expect("indexes"), 6);
    assert!(
        store
            .unindexed_registrations(100)
            .expect("lists")
            .is_empty()
    );
    let open = registrations
        .iter()
        .find(|r| !r.restricted && r.person.email.is_some())
        .expect("an open record with an email");
    let id = open.id.to_string();
    let entries = store.blind_index_of(&id).expect("reads");
    assert!(entries.iter().any(|e| e.field == "email"), "{entries:?}");
    assert!(entries.iter().all(|e| e.value.len() == 4), "truncated");
    for restricted in registrations.iter().filter(|r| r.restricted) {
        assert!(
            store
                .blind_index_of(restricted.id.as_str())
                .expect("reads")
                .is_empty(),
            "a restricted record is not indexed"
        );
    }
    // The same values of another record are its candidates; a record is not its own.
    assert!(
        store
            .blind_index_candidates(&id, &entries)
            .expect("reads")
            .iter()
            .all(|c| c != &id)
    );
    assert_eq!(
        store
            .blind_index_candidates("someone-else", &entries)
            .expect("reads"),
        vec![id.clone()]
    );

    store
        .remove_registration(&id, "test", &operator("hr"), 20)
        .expect("removes");
    assert!(
        store.blind_index_of(&id).expect("reads").is_empty(),
        "gone at removal"
    );
    assert!(
        store
            .blind_index_candidates("someone-else", &entries)
            .expect("reads")
            .is_empty()
    );
    assert!(
        !store.write_blind_index(&id, &entries, 30).expect("answers"),
        "a removed record is not indexed again"
    );
    assert!(
        store
            .unindexed_registrations(100)
            .expect("lists")
            .is_empty()
    );
}

pub(crate) fn do_not_contact_rows_keep_their_basis_until_their_own_retention(
    store: &dyn RelayStore,
) {
    let registrations = ingest_generated_for_tests(store, 2);
    let entry = BlindIndexEntry {
        field: "email".to_owned(),
        value: vec![0xAB; 32],
    };
    store
        .add_do_not_contact(std::slice::from_ref(&entry), BASIS_WITHDRAWN, 100, 1_000)
        .expect("adds");
    // Asked again later: the first basis and date stay, the later end is kept.
    store
        .add_do_not_contact(
            std::slice::from_ref(&entry),
            "objected_to_contact",
            200,
            2_000,
        )
        .expect("adds");
    let found = store
        .do_not_contact_matches(std::slice::from_ref(&entry), 500)
        .expect("reads");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].basis, BASIS_WITHDRAWN);
    assert_eq!((found[0].added_at, found[0].keep_until), (100, 2_000));
    // Removing the records it came from leaves it: it is not a copy of a record.
    for r in &registrations {
        store
            .remove_registration(r.id.as_str(), "test", &operator("hr"), 300)
            .expect("removes");
    }
    assert_eq!(
        store
            .do_not_contact_matches(std::slice::from_ref(&entry), 500)
            .expect("reads")
            .len(),
        1
    );
    assert_eq!(store.prune_do_not_contact(1_500).expect("prunes"), 0);
    assert_eq!(store.prune_do_not_contact(2_001).expect("prunes"), 1);
    assert!(
        store
            .do_not_contact_matches(std::slice::from_ref(&entry), 0)
            .expect("reads")
            .is_empty()
    );
}

pub(crate) fn the_index_key_is_bound_on_first_use_and_another_is_refused(store: &dyn RelayStore) {
    let ours = keys().fingerprint();
    assert!(store.bind_index_key(&ours).expect("binds"), "first use");
    assert!(
        store.bind_index_key(&ours).expect("answers"),
        "the same key again"
    );
    let other = BlindIndexKeys::derive(&[0x2E; 32]).fingerprint();
    assert!(
        !store.bind_index_key(&other).expect("answers"),
        "another key"
    );
    assert!(
        store.bind_index_key(&ours).expect("answers"),
        "the first stays bound"
    );
}

pub(crate) fn another_index_key_rebinds_and_the_duplicate_index_is_written_again(
    store: &dyn RelayStore,
) {
    ingest_generated_for_tests(store, 3);
    assert!(store.bind_index_key(&keys().fingerprint()).expect("binds"));
    assert_eq!(index_pending(store, &keys(), 10).expect("indexes"), 3);
    let entry = BlindIndexEntry {
        field: "phone".to_owned(),
        value: vec![0xCD; 32],
    };
    store
        .add_do_not_contact(std::slice::from_ref(&entry), BASIS_WITHDRAWN, 10, 1_000)
        .expect("adds");
    let other = BlindIndexKeys::derive(&[0x2E; 32]);
    store
        .rebind_index_key(&other.fingerprint())
        .expect("rebinds");
    assert!(store.bind_index_key(&other.fingerprint()).expect("answers"));
    assert_eq!(
        store.unindexed_registrations(100).expect("lists").len(),
        3,
        "every record is indexed again under the new key"
    );
    assert_eq!(index_pending(store, &other, 20).expect("indexes"), 3);
    assert_eq!(
        store
            .do_not_contact_matches(std::slice::from_ref(&entry), 20)
            .expect("reads")
            .len(),
        1,
        "do-not-contact rows stay to their retention"
    );
}

pub(crate) fn withdrawals_are_listed_for_the_do_not_contact_list_while_their_record_is_held(
    store: &dyn RelayStore,
) {
    let registrations = ingest_generated_for_tests(store, 12);
    let opted_in = registrations
        .iter()
        .find(|r| r.consents.talent_pool.is_some())
        .expect("an opted-in record");
    let id = opted_in.id.to_string();
    assert!(store.talent_pool_withdrawals().expect("lists").is_empty());
    store
        .withdraw_talent_pool(&id, &operator("hr"), "hr", 40)
        .expect("withdraws");
    assert_eq!(
        store.talent_pool_withdrawals().expect("lists"),
        vec![(id.clone(), 40)]
    );
    store
        .remove_registration(&id, "test", &operator("hr"), 50)
        .expect("removes");
    assert!(store.talent_pool_withdrawals().expect("lists").is_empty());
}

pub(crate) fn a_record_whose_indexing_failed_waits_for_its_retry_and_is_counted_until_indexed(
    store: &dyn RelayStore,
) {
    use crate::storage::BlindIndexFailures;
    let registrations = ingest_generated_for_tests(store, 3);
    let ids: Vec<String> = registrations.iter().map(|r| r.id.to_string()).collect();
    let (failing, given_up, other) = (&ids[0], &ids[1], &ids[2]);
    assert_eq!(
        store.blind_index_failures().expect("counts"),
        BlindIndexFailures::default()
    );
    // A first failed attempt: no longer new, not due before its time, counted as waiting.
    assert!(
        store
            .postpone_blind_index(failing, 1, Some(1_000), 100)
            .expect("postpones")
    );
    assert!(
        !store
            .unindexed_registrations(100)
            .expect("lists")
            .contains(failing)
    );
    assert!(
        store
            .due_blind_index_retries(999, 10)
            .expect("lists")
            .is_empty()
    );
    assert_eq!(
        store.due_blind_index_retries(1_000, 10).expect("lists"),
        vec![(failing.clone(), 1)]
    );
    assert!(store.blind_index_of(failing).expect("reads").is_empty());
    // The last attempt failed: given up on, never due, counted apart.
    assert!(
        store
            .postpone_blind_index(given_up, 10, None, 100)
            .expect("postpones")
    );
    assert_eq!(
        store.blind_index_failures().expect("counts"),
        BlindIndexFailures {
            retrying: 1,
            given_up: 1
        }
    );
    assert_eq!(
        store.due_blind_index_retries(i64::MAX, 10).expect("lists"),
        vec![(failing.clone(), 1)]
    );
    // A start makes it due again, its attempts counted from zero.
    assert_eq!(store.retry_given_up_blind_index(2_000).expect("retries"), 1);
    assert_eq!(store.retry_given_up_blind_index(2_000).expect("retries"), 0);
    assert_eq!(
        store.due_blind_index_retries(2_000, 10).expect("lists"),
        vec![(failing.clone(), 1), (given_up.clone(), 0)]
    );
    // Indexed at last: the failure is cleared, and it is counted no more.
    let entries = [BlindIndexEntry {
        field: "email".to_owned(),
        value: vec![1, 2, 3, 4],
    }];
    assert!(
        store
            .write_blind_index(failing, &entries, 3_000)
            .expect("writes")
    );
    assert_eq!(store.blind_index_of(failing).expect("reads"), entries);
    assert_eq!(
        store.due_blind_index_retries(i64::MAX, 10).expect("lists"),
        vec![(given_up.clone(), 0)]
    );
    assert!(
        store
            .postpone_blind_index(given_up, 1, Some(4_000), 3_000)
            .expect("postpones")
    );
    assert_eq!(
        store.blind_index_failures().expect("counts"),
        BlindIndexFailures {
            retrying: 1,
            given_up: 0
        }
    );
    // A removed record's failure goes with it, and none is recorded for it after.
    store
        .remove_registration(given_up, "test", &operator("hr"), 5_000)
        .expect("removes");
    assert_eq!(
        store.blind_index_failures().expect("counts"),
        BlindIndexFailures::default()
    );
    assert!(
        store
            .due_blind_index_retries(i64::MAX, 10)
            .expect("lists")
            .is_empty()
    );
    assert!(
        !store
            .postpone_blind_index(given_up, 2, Some(6_000), 5_000)
            .expect("answers")
    );
    assert_eq!(
        store.unindexed_registrations(100).expect("lists"),
        vec![other.clone()]
    );
}

//! Witnesses' cosignatures: the newest per witness and tree size is kept (an older one, or
//! one naming another root for that size, changes nothing), served for exactly the
//! checkpoint it cosigns, and the trees cosigned by every named witness (or any) are listed
//! largest first.

use crate::storage::RelayStore;
use crate::storage::model::StoredCosignature;

fn cosignature(witness: &str, size: u64, root: u8, time: u64) -> StoredCosignature {
    StoredCosignature {
        witness: witness.to_owned(),
        size,
        root: [root; 32],
        time,
        line: format!("\u{2014} {witness} line-{size}-{time}"),
    }
}

pub(crate) fn a_witnesss_newest_cosignature_per_size_is_kept_and_served_for_its_checkpoint(
    store: &dyn RelayStore,
) {
    assert!(
        store
            .cosigned_by_all(u64::MAX, &[], 1)
            .expect("reads")
            .is_empty()
    );
    assert!(
        store
            .cosignatures_of(5, &[1; 32])
            .expect("reads")
            .is_empty()
    );
    let first = cosignature("arkiv+aa", 5, 1, 100);
    assert!(store.store_cosignature(&first).expect("stores"));
    // The same again, an older one, or another root for the same size: nothing changes.
    assert!(!store.store_cosignature(&first).expect("stores"));
    assert!(
        !store
            .store_cosignature(&cosignature("arkiv+aa", 5, 1, 99))
            .expect("stores")
    );
    assert!(
        !store
            .store_cosignature(&cosignature("arkiv+aa", 5, 2, 200))
            .expect("stores")
    );
    assert_eq!(
        store.cosignatures_of(5, &[1; 32]).expect("reads"),
        vec![first]
    );
    assert!(
        store
            .cosignatures_of(5, &[2; 32])
            .expect("reads")
            .is_empty()
    );
    // A newer one replaces it; a second witness is kept beside it.
    let newer = cosignature("arkiv+aa", 5, 1, 150);
    let dpo = cosignature("dso+bb", 5, 1, 120);
    assert!(store.store_cosignature(&newer).expect("stores"));
    assert!(store.store_cosignature(&dpo).expect("stores"));
    assert_eq!(
        store.cosignatures_of(5, &[1; 32]).expect("reads"),
        vec![newer, dpo]
    );
}

pub(crate) fn the_trees_cosigned_by_every_named_witness_are_those_all_of_them_cosigned(
    store: &dyn RelayStore,
) {
    for c in [
        cosignature("arkiv+aa", 3, 3, 10),
        cosignature("dso+bb", 3, 3, 11),
        cosignature("arkiv+aa", 9, 9, 12),
        cosignature("dso+bb", 7, 7, 13),
        cosignature("gone+cc", 9, 9, 14),
        cosignature("arkiv+aa", 12, 12, 15),
    ] {
        assert!(store.store_cosignature(&c).expect("stores"));
    }
    let both = ["arkiv+aa".to_owned(), "dso+bb".to_owned()];
    assert_eq!(
        store.cosigned_by_all(100, &both, 8).expect("reads"),
        vec![(3, [3; 32])],
        "only size 3 is cosigned by both; a witness not named counts for nothing"
    );
    assert_eq!(
        store.cosigned_by_all(100, &[], 2).expect("reads"),
        vec![(12, [12; 32]), (9, [9; 32])],
        "any witness, largest first, within the limit"
    );
    assert_eq!(
        store.cosigned_by_all(8, &[], 8).expect("reads"),
        vec![(7, [7; 32]), (3, [3; 32])],
        "never past the size asked"
    );
}

//! Rate-limit counts: attempts counted per key up to a maximum in a window, all keys of an
//! attempt or none, taken back when forgiven, bounded scopes sharing an overflow key, and
//! keys whose window ended forgotten by a prune.

use crate::storage::{AttemptOutcome, FailureKey, FailureRule, RelayStore};

const TIGHT: FailureRule = FailureRule {
    scope: "suite-tight",
    window_ms: 1_000,
    max_failures: 2,
    max_tracked: None,
};

const LOOSE: FailureRule = FailureRule {
    scope: "suite-loose",
    window_ms: 2_000,
    max_failures: 4,
    max_tracked: None,
};

const BOUNDED: FailureRule = FailureRule {
    scope: "suite-bounded",
    window_ms: 1_000,
    max_failures: 2,
    max_tracked: Some(3),
};

fn key(rule: FailureRule, subject: &str) -> FailureKey {
    FailureKey::new(rule, &[7; 32], subject)
}

fn counted(store: &dyn RelayStore, keys: &[FailureKey], now: i64) -> bool {
    match store.begin_attempt(keys, now).expect("asks") {
        AttemptOutcome::Counted => true,
        AttemptOutcome::Refused { .. } => false,
    }
}

pub(crate) fn attempts_are_counted_up_to_the_maximum_then_refused_until_the_window_ends(
    store: &dyn RelayStore,
) {
    let anna = key(TIGHT, "anna");
    assert!(counted(store, &[anna], 100));
    assert!(counted(store, &[anna], 200));
    assert_eq!(
        store.begin_attempt(&[anna], 600).expect("asks"),
        AttemptOutcome::Refused {
            retry_after_ms: 500
        },
        "the window started with the first attempt, at 100"
    );
    assert!(
        counted(store, &[key(TIGHT, "bert")], 600),
        "another key is not affected"
    );
    assert!(
        !counted(store, &[anna], 1_099),
        "refused attempts do not move the window"
    );
    assert!(counted(store, &[anna], 1_100), "a new window starts afresh");
    assert!(counted(store, &[anna], 1_100));
    assert!(!counted(store, &[anna], 1_100));
}

pub(crate) fn an_attempt_is_counted_under_all_its_keys_or_none(store: &dyn RelayStore) {
    let (tight, loose) = (key(TIGHT, "anna"), key(LOOSE, "10.0.0.1"));
    assert!(counted(store, &[tight, loose], 0));
    assert!(counted(store, &[tight, loose], 0));
    // The tight key is full: the attempt is refused and the loose key not counted.
    for _ in 0..5 {
        assert!(!counted(store, &[tight, loose], 10));
    }
    assert!(counted(store, &[loose], 10), "the loose key has two left");
    assert!(counted(store, &[loose], 10));
    assert!(!counted(store, &[loose], 10));
    // Both full: the refusal names the window of the first key given.
    assert_eq!(
        store.begin_attempt(&[loose, tight], 100).expect("asks"),
        AttemptOutcome::Refused {
            retry_after_ms: 1_900
        }
    );
    assert_eq!(
        store.begin_attempt(&[tight, loose], 100).expect("asks"),
        AttemptOutcome::Refused {
            retry_after_ms: 900
        }
    );
}

pub(crate) fn a_forgiven_attempt_is_taken_back_and_never_below_none(store: &dyn RelayStore) {
    let anna = key(TIGHT, "anna");
    for _ in 0..10 {
        assert!(counted(store, &[anna], 0));
        store.forgive_attempt(&[anna]).expect("forgives");
    }
    // Forgiving more than was counted leaves none, not fewer.
    for _ in 0..5 {
        store.forgive_attempt(&[anna]).expect("forgives");
    }
    store
        .forgive_attempt(&[key(TIGHT, "never counted")])
        .expect("forgiving an unknown key does nothing");
    assert!(counted(store, &[anna], 0));
    assert!(counted(store, &[anna], 0));
    assert!(!counted(store, &[anna], 0));
}

pub(crate) fn past_its_bound_a_scopes_new_keys_share_one_overflow_key(store: &dyn RelayStore) {
    for n in 0..3 {
        assert!(counted(store, &[key(BOUNDED, &format!("addr-{n}"))], 0));
    }
    // The fourth and fifth new keys are counted under the overflow key, which then is full.
    assert!(counted(store, &[key(BOUNDED, "addr-3")], 0));
    assert!(counted(store, &[key(BOUNDED, "addr-4")], 0));
    assert!(!counted(store, &[key(BOUNDED, "addr-5")], 0));
    assert!(
        counted(store, &[key(BOUNDED, "addr-0")], 0),
        "a key counted apart stays apart"
    );
    // Forgiving a key not counted apart takes the attempt back from the overflow key.
    store
        .forgive_attempt(&[key(BOUNDED, "addr-3")])
        .expect("forgives");
    assert!(counted(store, &[key(BOUNDED, "addr-6")], 0));
    assert!(!counted(store, &[key(BOUNDED, "addr-7")], 0));
    // Once the windows have ended, new keys are counted apart again.
    assert!(counted(store, &[key(BOUNDED, "addr-8")], 1_000));
    assert!(counted(store, &[key(BOUNDED, "addr-8")], 1_000));
    assert!(!counted(store, &[key(BOUNDED, "addr-8")], 1_000));
    assert!(
        counted(store, &[key(BOUNDED, "addr-9")], 1_000),
        "addr-8 was counted apart, not under the overflow key"
    );
}

pub(crate) fn a_prune_forgets_only_keys_whose_window_ended(store: &dyn RelayStore) {
    let (tight, loose) = (key(TIGHT, "anna"), key(LOOSE, "10.0.0.1"));
    for _ in 0..2 {
        assert!(counted(store, &[tight], 0));
    }
    for _ in 0..4 {
        assert!(counted(store, &[loose], 0));
    }
    assert_eq!(store.prune_failure_counts(999).expect("prunes"), 0);
    assert_eq!(store.prune_failure_counts(1_500).expect("prunes"), 1);
    assert!(
        !counted(store, &[loose], 1_500),
        "the loose key is kept, full"
    );
    assert!(counted(store, &[tight], 1_500));
    assert_eq!(store.prune_failure_counts(10_000).expect("prunes"), 2);
    assert_eq!(store.prune_failure_counts(10_000).expect("prunes"), 0);
}

pub(crate) fn attempts_at_once_on_one_key_are_counted_up_to_its_maximum_only(
    store: &dyn RelayStore,
) {
    const MANY: FailureRule = FailureRule {
        scope: "suite-many",
        window_ms: 60_000,
        max_failures: 20,
        max_tracked: None,
    };
    let shared = key(MANY, "10.0.0.1");
    let counted_in_all: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..6)
            .map(|thread| {
                scope.spawn(move || {
                    let own = key(LOOSE, &format!("user-{thread}"));
                    (0..10)
                        .filter(|_| {
                            // Each attempt also counts a key of the thread's own, so both
                            // orders of taking keys meet.
                            let keys = if thread % 2 == 0 {
                                [shared, own]
                            } else {
                                [own, shared]
                            };
                            let _ = store.forgive_attempt(&[own]);
                            counted(store, &keys, 0)
                        })
                        .count()
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("no panic"))
            .sum()
    });
    assert_eq!(counted_in_all, 20);
}

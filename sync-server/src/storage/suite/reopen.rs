//! What a store promises across a restart: everything it answered is there when it is
//! opened again, and its counters and chains go on from where they were; two instances on the
//! same data agree on what only one may record. Each test takes an
//! opener that opens the same stored data on every call.

use crate::storage::Role;
use crate::storage::{
    AccessAction, AccessEntry, Credential, CredentialKind, IngestOutcome, RelayStore,
    RemovalOutcome,
};

use super::fixtures::*;

pub(crate) fn answered_ingests_are_there_when_the_store_is_opened_again(
    open: &dyn Fn() -> Box<dyn RelayStore>,
) {
    let store = open();
    let devices = enroll(&*store, 4);
    let mut last_commit = 0;
    for device in &devices {
        let outcome = store.ingest(&batch(device, 1, 1..=5));
        assert_committed(&outcome, device, 1..=5);
        last_commit = commit_seq(&outcome);
    }
    let state = store.backup_state().expect("reads");
    drop(store);

    let reopened = open();
    assert_eq!(reopened.counts().expect("counts").registrations, 20);
    assert_eq!(
        reopened.backup_state().expect("reads"),
        state,
        "the same epoch"
    );
    for device in &devices {
        let record = reopened.device(device).expect("device").expect("known");
        assert_eq!(record.last_seq, 1);
        for j in 1..=5 {
            let stored = reopened.registration_document(&doc_id(device, j));
            assert_eq!(stored.expect("reads"), Some(document(device, j)));
        }
        let report = reopened
            .device_report(device)
            .expect("reads")
            .expect("known");
        assert_eq!(report.journal.count, 5);
    }
    // The sequence check and the commit counter go on from where they were.
    assert_eq!(
        reopened
            .ingest(&batch(&devices[0], 1, 6..=6))
            .expect("answers"),
        IngestOutcome::StaleSeq { last_accepted: 1 }
    );
    let next = reopened.ingest(&batch(&devices[0], 2, 6..=6));
    assert_committed(&next, &devices[0], 6..=6);
    assert_eq!(commit_seq(&next), last_commit + 1);
}

pub(crate) fn removals_holds_and_accounts_are_there_when_the_store_is_opened_again(
    open: &dyn Fn() -> Box<dyn RelayStore>,
) {
    let store = open();
    let device = enroll(&*store, 1)[0];
    store.ingest(&batch(&device, 1, 1..=3)).expect("stored");
    let (removed, held) = (doc_id(&device, 1), doc_id(&device, 2));
    assert_eq!(
        store
            .remove_registration(&removed, "withdrawn", &operator("hr"), 5)
            .expect("removes"),
        RemovalOutcome::Removed
    );
    store
        .change_legal_hold(&held, true, "case 12", "arvid", 6)
        .expect("holds");
    let rut = add_user(&*store, "rut", vec![Role::Recruiter], None);
    store.assign_hr_event(rut, EVENT).expect("assigned");
    store
        .put_hr_credential(
            &[1; 32],
            &Credential {
                kind: CredentialKind::Session,
                user_id: rut,
                csrf_hash: Some([2; 32]),
                expires_at: i64::MAX,
                last_used_at: 0,
            },
            None,
            7,
        )
        .expect("stored");
    assert!(store.revoke_device(&device, 8).expect("revokes"));
    let log = store.verify_access_log().expect("verifies");
    drop(store);

    let reopened = open();
    assert!(
        reopened
            .registration_document(&removed)
            .expect("reads")
            .is_none()
    );
    assert_eq!(
        reopened
            .removal(&removed)
            .expect("reads")
            .map(|r| r.removed_at),
        Some(5)
    );
    assert_eq!(
        reopened
            .remove_registration(&held, "withdrawn", &operator("hr"), 9)
            .expect("answers"),
        RemovalOutcome::OnLegalHold,
        "the hold stands"
    );
    let (user, _) = reopened.hr_user(rut).expect("reads").expect("kept");
    assert_eq!(user.username, "rut");
    assert_eq!(reopened.hr_assigned_events(rut).expect("reads"), [EVENT]);
    assert!(
        reopened
            .hr_credential(&[1; 32], 10)
            .expect("reads")
            .is_some()
    );
    assert_eq!(
        reopened
            .device(&device)
            .expect("reads")
            .expect("kept")
            .revoked_at,
        Some(8)
    );
    assert_eq!(reopened.verify_access_log().expect("verifies"), log);
    // The chain goes on from its head.
    reopened
        .log_access(&AccessEntry {
            at: 11,
            accessor: operator("hr:rut"),
            action: AccessAction::Read,
            doc_id: doc_id(&device, 3),
        })
        .expect("appends");
    let grown = reopened.verify_access_log().expect("verifies");
    assert_eq!((grown.entries, grown.broken_at), (log.entries + 1, None));
}

/// Relay instances started together on one empty log, each told to replace the key it saw
/// recorded when it started (`--new-log-key`) by its own: one replacement wins and every
/// instance is answered with it, never one replacing another's replacement under it.
///
/// (Instances binding a first key together are not raced here: both stores serialize
/// binders (the head's lock, SQLite's writer), so such a race passed on the code before
/// first-writer-wins as well; what `ON CONFLICT DO NOTHING` adds guards an older build
/// binding without the head's lock, which this build cannot play.)
pub(crate) fn of_instances_replacing_the_log_key_together_one_replacement_wins(
    open: &dyn Fn() -> Box<dyn RelayStore>,
) {
    use crate::storage::LogKeyBinding;
    let key = |byte: u8| LogKeyBinding {
        public_key: [byte; 32],
        origin: "relay.example/log".to_owned(),
    };
    let instances: Vec<Box<dyn RelayStore>> = (0..4).map(|_| open()).collect();
    let together = |replacing: Option<LogKeyBinding>, first_key: u8| -> Vec<LogKeyBinding> {
        let barrier = std::sync::Barrier::new(instances.len());
        std::thread::scope(|scope| {
            let bound: Vec<_> = instances
                .iter()
                .enumerate()
                .map(|(n, store)| {
                    let (barrier, replacing) = (&barrier, replacing.clone());
                    scope.spawn(move || {
                        barrier.wait();
                        store
                            .bind_log_key(&key(first_key + n as u8), replacing.as_ref())
                            .expect("answers")
                    })
                })
                .collect();
            bound
                .into_iter()
                .map(|handle| handle.join().expect("binds"))
                .collect()
        })
    };
    // The key recorded when they started.
    let winner = instances[0].bind_log_key(&key(1), None).expect("binds");
    assert_eq!(winner, key(1));
    // All started with --new-log-key over the key recorded then.
    let bound = together(Some(winner.clone()), 11);
    let replaced = bound[0].clone();
    assert!(
        bound.iter().all(|key| *key == replaced),
        "every instance is answered with one key: {bound:?}"
    );
    assert!(
        (11..=14).map(key).any(|key| key == replaced),
        "one of theirs"
    );
    assert_eq!(
        instances[0].recorded_log_key().expect("reads"),
        Some(replaced)
    );
}

//! The access log: appended with what it records, hash-chained in the format logs were
//! always written in (so any backend's log verifies the same way), read back in order,
//! filtered and paged for review, and pruned only from its start.

use crate::rules::access_chain::GENESIS;
use crate::storage::{
    AccessAction, AccessEntry, AccessLogPruning, AccessLogQuery, AccessLogVerdict, Accessor,
    IngestItem, RelayStore,
};

use super::fixtures::*;

fn entry(n: u8, action: AccessAction) -> AccessEntry {
    AccessEntry {
        at: 1_000 + i64::from(n),
        accessor: Accessor::Device {
            device_key: [n; 32],
            recruiter: Some("anna".into()),
        },
        action,
        doc_id: format!("doc-{n}"),
    }
}

fn log_all(store: &dyn RelayStore, entries: &[AccessEntry]) {
    for entry in entries {
        store.log_access(entry).expect("appends");
    }
}

/// Moved from the SQLite store's `access_log` tests.
pub(crate) fn an_empty_log_verifies_with_no_entries(store: &dyn RelayStore) {
    assert_eq!(
        store.verify_access_log().expect("verifies"),
        AccessLogVerdict {
            entries: 0,
            head: GENESIS,
            broken_at: None
        }
    );
    assert_eq!(store.access_log_entry_hash(1).expect("reads"), None);
    assert!(store.access_log_entries(0, 10).expect("reads").is_empty());
    assert_eq!(store.access_log_horizon().expect("reads"), None);
}

/// Moved from the SQLite store's `access_log` tests (its check of the stored link column
/// stays there).
pub(crate) fn entries_appended_in_several_calls_form_one_chain_that_verifies(
    store: &dyn RelayStore,
) {
    log_all(
        store,
        &[entry(1, AccessAction::Pull), entry(2, AccessAction::Pull)],
    );
    let operator = AccessEntry {
        accessor: Accessor::Operator("hr".into()),
        ..entry(3, AccessAction::Remove)
    };
    store.log_access(&operator).expect("appends");
    let verdict = store.verify_access_log().expect("verifies");
    assert_eq!((verdict.entries, verdict.broken_at), (3, None));
    assert_eq!(
        store.access_log_entry_hash(3).expect("reads"),
        Some(verdict.head),
        "the head is the last entry's hash"
    );
    let hashes: Vec<[u8; 32]> = (1..=3)
        .map(|seq| {
            store
                .access_log_entry_hash(seq)
                .expect("reads")
                .expect("held")
        })
        .collect();
    assert!(hashes[0] != hashes[1] && hashes[1] != hashes[2]);
    assert_eq!(store.access_log_entry_hash(4).expect("reads"), None);

    let read = store.access_log_entries(1, 10).expect("reads");
    assert_eq!(read, vec![(2, entry(2, AccessAction::Pull)), (3, operator)]);
    assert_eq!(store.access_log_entries(0, 1).expect("reads").len(), 1);
}

/// Moved from the SQLite store's `access_log` tests: a first pull of 5000 registrations,
/// one append of 5000 entries in the pull's commit.
pub(crate) fn a_first_pull_of_5000_entries_is_one_append_that_verifies(store: &dyn RelayStore) {
    let device = enroll(store, 1)[0];
    enroll_staff(store, STAFF_PULLER, EVENT);
    let mut request = batch(&device, 1, 1..=5_000);
    for item in &mut request.items {
        if let IngestItem::Store { journal_seq, .. } = item {
            *journal_seq = None;
        }
    }
    store.ingest(&request).expect("stored");
    let started = std::time::Instant::now();
    let (page, _) = Puller::new(store, STAFF_PULLER, 0).pull(&staff_scope(), 0, 5_000);
    // A figure to read, not a timing assertion (benchmarks measure time).
    eprintln!(
        "pulled and logged 5000 registrations in {:?}",
        started.elapsed()
    );
    assert_eq!(page.documents.len(), 5_000);
    let verdict = store.verify_access_log().expect("verifies");
    assert_eq!((verdict.entries, verdict.broken_at), (5_000, None));
    let last = store.access_log_entries(4_999, 10).expect("reads");
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].1.action, AccessAction::Pull);
}

/// Moved from the SQLite store's `access_log` tests: the vector `rules::access_chain`
/// pins, stored and read back through the store.
pub(crate) fn stored_entries_carry_the_hash_format_logs_were_always_written_in(
    store: &dyn RelayStore,
) {
    store
        .log_access(&AccessEntry {
            at: 1_767_225_600_000,
            accessor: Accessor::Device {
                device_key: [7; 32],
                recruiter: Some("anna".into()),
            },
            action: AccessAction::Pull,
            doc_id: "019ce0a0-6a80-7000-8000-000000000001".into(),
        })
        .expect("appends");
    let hash = store
        .access_log_entry_hash(1)
        .expect("reads")
        .expect("held");
    assert_eq!(
        hex::encode(hash),
        "2da710f0db664e40571dded532e766df6b31050e607f721d12dc996e9f4c7727"
    );
}

fn by(name: &str, action: AccessAction, doc: &str, at: i64) -> AccessEntry {
    AccessEntry {
        at,
        accessor: Accessor::Operator(name.into()),
        action,
        doc_id: doc.into(),
    }
}

/// Seven entries, numbered 1–7.
fn seven(store: &dyn RelayStore) {
    let tablet = AccessEntry {
        at: 50,
        accessor: Accessor::Device {
            device_key: [1; 32],
            recruiter: Some("hr:anna".into()),
        },
        action: AccessAction::Pull,
        doc_id: "doc-a".into(),
    };
    log_all(
        store,
        &[
            by("hr:anna", AccessAction::List, "doc-a", 10),
            by("hr:anna", AccessAction::Read, "doc-a", 20),
            by("hr:bertil", AccessAction::Read, "doc-b", 30),
            by("hr:anna", AccessAction::ReadRefused, "doc-b", 40),
            tablet,
            by("hr:anna", AccessAction::Export, "doc-b", 60),
            by("hr:bertil", AccessAction::Read, "doc-a", 70),
        ],
    );
}

fn seqs(store: &dyn RelayStore, asked: AccessLogQuery) -> Vec<u64> {
    store
        .query_access_log(&asked)
        .expect("reads")
        .into_iter()
        .map(|(seq, _)| seq)
        .collect()
}

fn all() -> AccessLogQuery {
    AccessLogQuery {
        limit: 100,
        ..AccessLogQuery::default()
    }
}

/// Moved from the SQLite store's `access_log_query` tests (its query-plan check stays
/// there).
pub(crate) fn each_filter_narrows_and_entries_come_newest_first(store: &dyn RelayStore) {
    seven(store);
    assert_eq!(seqs(store, all()), [7, 6, 5, 4, 3, 2, 1]);
    let anna = || AccessLogQuery {
        operator: Some("hr:anna".into()),
        ..all()
    };
    // A tablet whose recruiter has the same name is not the person.
    assert_eq!(seqs(store, anna()), [6, 4, 2, 1]);
    let on_b = AccessLogQuery {
        doc_id: Some("doc-b".into()),
        ..anna()
    };
    assert_eq!(seqs(store, on_b), [6, 4]);
    let reads = AccessLogQuery {
        action: Some(AccessAction::Read),
        ..all()
    };
    assert_eq!(seqs(store, reads), [7, 3, 2]);
    let window = AccessLogQuery {
        from: Some(20),
        until: Some(50),
        ..all()
    };
    assert_eq!(seqs(store, window), [5, 4, 3, 2]);
    let read = store
        .query_access_log(&AccessLogQuery {
            doc_id: Some("doc-a".into()),
            action: Some(AccessAction::Pull),
            ..all()
        })
        .expect("reads");
    assert!(matches!(
        &read[..],
        [(
            5,
            AccessEntry {
                accessor: Accessor::Device {
                    recruiter: Some(_),
                    ..
                },
                ..
            }
        )]
    ));
}

/// Moved from the SQLite store's `access_log_query` tests.
pub(crate) fn pages_continue_below_the_last_entry_shown_until_none_is_left(store: &dyn RelayStore) {
    seven(store);
    let page = |before| AccessLogQuery {
        before_seq: before,
        limit: 3,
        ..all()
    };
    assert_eq!(seqs(store, page(None)), [7, 6, 5]);
    assert_eq!(seqs(store, page(Some(5))), [4, 3, 2]);
    assert_eq!(seqs(store, page(Some(2))), [1]);
    assert!(seqs(store, page(Some(1))).is_empty());
}

pub(crate) fn a_query_without_restricted_hides_entries_about_restricted_records(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    let mut request = batch(&device, 1, 1..=3);
    for n in [1, 2] {
        if let IngestItem::Store { restricted, .. } = &mut request.items[n] {
            *restricted = true;
        }
    }
    store.ingest(&request).expect("stored");
    let (open, held, removed) = (doc_id(&device, 1), doc_id(&device, 2), doc_id(&device, 3));
    store
        .remove_registration(&removed, "withdrawn", &operator("hr"), 5)
        .expect("removes");
    for id in [&open, &held, &removed] {
        store
            .log_access(&by("hr:anna", AccessAction::ReadRefused, id, 6))
            .expect("appends");
    }
    let cleared = seqs(store, all());
    assert_eq!(cleared.len(), 4, "the removal and three refusals");
    let uncleared = store
        .query_access_log(&AccessLogQuery {
            without_restricted: true,
            ..all()
        })
        .expect("reads");
    let about: Vec<&str> = uncleared.iter().map(|(_, e)| e.doc_id.as_str()).collect();
    assert_eq!(
        about,
        [open.as_str()],
        "held or removed, restricted ones are left out"
    );
}

/// A log of `n` entries, entry `i` made at time `i`.
fn log_of(store: &dyn RelayStore, n: i64) {
    for i in 1..=n {
        store
            .log_access(&AccessEntry {
                at: i,
                accessor: Accessor::Operator("hr:arvid".into()),
                action: AccessAction::Read,
                doc_id: format!("doc-{i}"),
            })
            .expect("appends");
    }
}

fn pruned(store: &dyn RelayStore, older_than: i64) -> AccessLogPruning {
    store
        .prune_access_log(older_than, "test rule", 100)
        .expect("prunes")
}

/// Moved from the SQLite store's `access_log_retention` tests.
pub(crate) fn pruning_removes_the_old_prefix_and_the_chain_still_verifies_from_the_horizon(
    store: &dyn RelayStore,
) {
    log_of(store, 10);
    let before = store.verify_access_log().expect("verifies");
    let fourth = store.access_log_entry_hash(4).expect("reads");
    let AccessLogPruning::Pruned { removed, horizon } = pruned(store, 5) else {
        panic!("nothing pruned");
    };
    assert_eq!((removed, horizon.first_kept), (4, 5));
    assert_eq!(
        (horizon.pruned_at, horizon.rule.as_str()),
        (100, "test rule")
    );
    assert_eq!(
        Some(horizon.last_removed_hash),
        fourth,
        "the link the first kept entry carries"
    );
    assert_eq!(store.access_log_horizon().expect("reads"), Some(horizon));
    let after = store.verify_access_log().expect("verifies");
    assert_eq!(after, before, "same length, head, and no break");
    assert_eq!(store.access_log_entries(0, 100).expect("reads").len(), 6);
    assert_eq!(store.access_log_entry_hash(4).expect("reads"), None, "gone");
    // The log goes on growing from its end.
    store
        .log_access(&by("hr:arvid", AccessAction::Read, "doc-11", 11))
        .expect("appends");
    let grown = store.verify_access_log().expect("verifies");
    assert_eq!((grown.entries, grown.broken_at), (11, None));
    // A later pruning moves the horizon on.
    assert!(matches!(
        pruned(store, 8),
        AccessLogPruning::Pruned { removed: 3, horizon } if horizon.first_kept == 8
    ));
    assert_eq!(store.verify_access_log().expect("verifies").broken_at, None);
}

/// Moved from the SQLite store's `access_log_retention` tests.
pub(crate) fn pruning_keeps_the_newest_entry_and_does_nothing_when_nothing_is_due(
    store: &dyn RelayStore,
) {
    assert_eq!(
        pruned(store, 1_000),
        AccessLogPruning::NothingDue { horizon: None },
        "an empty log"
    );
    log_of(store, 3);
    assert_eq!(
        pruned(store, 1),
        AccessLogPruning::NothingDue { horizon: None }
    );
    assert!(matches!(
        pruned(store, 1_000),
        AccessLogPruning::Pruned { removed: 2, horizon } if horizon.first_kept == 3
    ));
    assert!(matches!(
        pruned(store, 1_000),
        AccessLogPruning::NothingDue { horizon: Some(_) }
    ));
    assert_eq!(store.access_log_entries(0, 10).expect("reads").len(), 1);
    assert_eq!(store.verify_access_log().expect("verifies").broken_at, None);
}

/// Every operation that logs (a pull, a read, a list, an export, an edit, a withdrawal, a
/// removal, a subject access, an account change, an entry of its own) extends one chain,
/// numbered without gaps, that verifies to the last entry's hash.
pub(crate) fn every_logged_operation_extends_one_chain_that_verifies(store: &dyn RelayStore) {
    use crate::storage::Role;
    use crate::storage::{
        AccountAction, AccountChange, HrEdit, HrEditor, PullScope, RegistrationFilter,
        SubjectLookup, WithdrawalOutcome,
    };
    use kiosk_core::annotations::RecordStatus;

    let registrations = crate::storage::ingest_generated_for_tests(store, 12);
    let open: Vec<_> = registrations.iter().filter(|r| !r.restricted).collect();
    let id = |n: usize| open[n].id.to_string();
    let reader = operator("hr:arvid");
    let event = kiosk_core::demo::DEMO_EVENT_ID;
    enroll_staff(store, STAFF_PULLER, event);
    Puller::new(store, STAFF_PULLER, 0).pull(
        &PullScope {
            event_id: event.to_owned(),
            ..staff_scope()
        },
        0,
        1_000,
    );
    store.read_registration(&id(0), &reader, 10).expect("reads");
    let few = RegistrationFilter {
        limit: 3,
        ..RegistrationFilter::default()
    };
    store.list_registrations(&few, &reader, 11).expect("lists");
    store
        .export_registrations(&few, &reader, 12)
        .expect("exports");
    let editor = HrEditor {
        actor_key: ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]).verifying_key(),
        accessor: reader.clone(),
    };
    store
        .apply_hr_edit(&id(1), &HrEdit::SetStatus(RecordStatus::Hired), &editor, 13)
        .expect("applies");
    let opted_in = open
        .iter()
        .find(|r| r.consents.talent_pool.is_some())
        .expect("an opt-in among the generated visitors");
    assert!(matches!(
        store.withdraw_talent_pool(&opted_in.id.to_string(), &reader, "arvid", 14),
        Ok(WithdrawalOutcome::Withdrawn { .. })
    ));
    store
        .remove_registration(&id(2), "withdrawn", &reader, 15)
        .expect("removes");
    let email = open[3]
        .person
        .email
        .clone()
        .expect("visitors leave an email");
    store
        .subject_access(
            &SubjectLookup::Email(email.to_lowercase()),
            true,
            &reader,
            16,
        )
        .expect("finds");
    let rut = add_user(store, "rut", vec![Role::Recruiter], None);
    store
        .change_hr_account(&AccountChange {
            user_id: rut,
            action: AccountAction::Disable,
            reason: None,
            by_user: None,
            by_name: "hr:arvid".into(),
            at: 17,
        })
        .expect("disables");
    store
        .log_access(&by("hr:arvid", AccessAction::ReadRefused, &id(4), 18))
        .expect("appends");

    let entries = store.access_log_entries(0, 100_000).expect("reads");
    let numbers: Vec<u64> = entries.iter().map(|(seq, _)| *seq).collect();
    let expected: Vec<u64> = (1..=entries.len() as u64).collect();
    assert_eq!(numbers, expected, "numbered from 1 without gaps");
    let mut kinds: Vec<&str> = entries.iter().map(|(_, e)| e.action.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "account_change",
            "change",
            "export",
            "list",
            "pull",
            "read",
            "read_refused",
            "remove",
            "subject_access"
        ]
    );
    let verdict = store.verify_access_log().expect("verifies");
    assert_eq!(
        (verdict.entries, verdict.broken_at),
        (entries.len() as u64, None)
    );
    assert_eq!(
        store.access_log_entry_hash(verdict.entries).expect("reads"),
        Some(verdict.head)
    );
}

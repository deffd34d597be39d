//! What the relay's readiness and metrics read: a write probe that changes nothing, and the
//! monitoring figures (store size, access-log length, tablets silent with unsent captures).

use super::fixtures::*;
use crate::storage::{AccessAction, AccessEntry, RelayStore};

pub(crate) fn the_write_probe_succeeds_and_changes_nothing_a_sync_reads(store: &dyn RelayStore) {
    let devices = enroll(store, 1);
    store.ingest(&batch(&devices[0], 1, 1..=2)).expect("stores");
    let (state, counts) = (store.backup_state(), store.counts());
    let entries = store
        .monitoring_figures(0)
        .expect("reads")
        .access_log_entries;
    for _ in 0..3 {
        store.probe_write().expect("the store takes writes");
    }
    assert_eq!(store.backup_state().expect("reads"), state.expect("reads"));
    assert_eq!(store.counts().expect("reads"), counts.expect("reads"));
    assert_eq!(
        store
            .monitoring_figures(0)
            .expect("reads")
            .access_log_entries,
        entries,
        "a probe writes no access-log entry"
    );
}

pub(crate) fn monitoring_figures_count_the_access_log_and_silent_tablets_with_unsent_captures(
    store: &dyn RelayStore,
) {
    let fresh = store.monitoring_figures(i64::MAX).expect("reads");
    assert_eq!((fresh.access_log_entries, fresh.silent_with_unsent), (0, 0));
    assert!(
        fresh.store_bytes.is_some_and(|bytes| bytes > 0),
        "{fresh:?}"
    );

    let devices = enroll(store, 3);
    // Kiosk 0 captured five and sent two; kiosk 1 sent all it captured; kiosk 2 never
    // synced (the relay knows nothing it holds).
    let mut behind = batch(&devices[0], 1, 1..=2);
    behind.declared_journal = Some(5);
    store.ingest(&behind).expect("stores");
    let mut caught_up = batch(&devices[1], 1, 1..=2);
    caught_up.declared_journal = Some(2);
    store.ingest(&caught_up).expect("stores");
    let contact = behind.received_at;

    let silent = |since| {
        store
            .monitoring_figures(since)
            .expect("reads")
            .silent_with_unsent
    };
    assert_eq!(silent(contact + 1), 1, "kiosk 0, silent since its sync");
    assert_eq!(silent(contact), 0, "not silent before its last contact");
    store
        .revoke_device(&devices[0], contact + 2)
        .expect("revoked");
    assert_eq!(silent(contact + 1), 0, "a revoked tablet is not waited for");

    let before = store
        .monitoring_figures(0)
        .expect("reads")
        .access_log_entries;
    for i in 0..3 {
        store
            .log_access(&AccessEntry {
                at: 10_000 + i,
                accessor: operator("arvid"),
                action: AccessAction::Read,
                doc_id: format!("doc-{i}"),
            })
            .expect("logged");
    }
    assert_eq!(
        store
            .monitoring_figures(0)
            .expect("reads")
            .access_log_entries,
        before + 3
    );
}

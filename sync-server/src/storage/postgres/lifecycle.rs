//! [`LifecycleStore`] on PostgreSQL: removal, retention, legal holds, withdrawal, subject access, disclosure and reconciliation.
//!
//! PLACEHOLDERS: every method is `todo!` until its SQL is ported from the SQLite store.

use crate::storage::StorageResult;
use crate::storage::model::{
    Accessor, AppliedRule, DisclosureOutcome, DisclosureSelection, EventTally, HoldChange,
    HoldHistoryEntry, LegalHold, RecordRetention, Removal, RemovalOutcome, RetentionDue,
    RetentionRun, RunStep, SubjectAccessFound, SubjectLookup, WithdrawalOutcome,
};

use super::PgStore;
use crate::storage::traits::LifecycleStore;

#[allow(unused_variables, clippy::todo)]
impl LifecycleStore for PgStore {
    fn removal(&self, doc_id: &str) -> StorageResult<Option<Removal>> {
        todo!("postgres: LifecycleStore::removal")
    }

    fn remove_registration(
        &self,
        doc_id: &str,
        reason: &str,
        by: &Accessor,
        at: i64,
    ) -> StorageResult<RemovalOutcome> {
        todo!("postgres: LifecycleStore::remove_registration")
    }

    fn retention_rules(&self) -> StorageResult<Vec<AppliedRule>> {
        todo!("postgres: LifecycleStore::retention_rules")
    }

    fn retention_due(&self, as_of: i64) -> StorageResult<Vec<RetentionDue>> {
        todo!("postgres: LifecycleStore::retention_due")
    }

    fn record_retention(&self, doc_id: &str) -> StorageResult<Option<RecordRetention>> {
        todo!("postgres: LifecycleStore::record_retention")
    }

    fn change_legal_hold(
        &self,
        doc_id: &str,
        hold: bool,
        reason: &str,
        by: &str,
        at: i64,
    ) -> StorageResult<HoldChange> {
        todo!("postgres: LifecycleStore::change_legal_hold")
    }

    fn legal_holds(&self) -> StorageResult<Vec<LegalHold>> {
        todo!("postgres: LifecycleStore::legal_holds")
    }

    fn legal_hold_history(&self, doc_id: &str) -> StorageResult<Vec<HoldHistoryEntry>> {
        todo!("postgres: LifecycleStore::legal_hold_history")
    }

    fn withdraw_talent_pool(
        &self,
        doc_id: &str,
        by: &Accessor,
        by_name: &str,
        at: i64,
    ) -> StorageResult<WithdrawalOutcome> {
        todo!("postgres: LifecycleStore::withdraw_talent_pool")
    }

    fn start_retention_run(
        &self,
        by: &str,
        at: i64,
    ) -> StorageResult<Result<RetentionRun, RetentionRun>> {
        todo!("postgres: LifecycleStore::start_retention_run")
    }

    fn retention_run_step(&self, run_id: i64, batch: usize, at: i64) -> StorageResult<RunStep> {
        todo!("postgres: LifecycleStore::retention_run_step")
    }

    fn retention_run(&self, run_id: i64) -> StorageResult<Option<RetentionRun>> {
        todo!("postgres: LifecycleStore::retention_run")
    }

    fn retention_runs(&self, limit: u32) -> StorageResult<Vec<RetentionRun>> {
        todo!("postgres: LifecycleStore::retention_runs")
    }

    fn unfinished_retention_run(&self) -> StorageResult<Option<RetentionRun>> {
        todo!("postgres: LifecycleStore::unfinished_retention_run")
    }

    fn subject_access(
        &self,
        lookup: &SubjectLookup,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<SubjectAccessFound> {
        todo!("postgres: LifecycleStore::subject_access")
    }

    fn disclosure(
        &self,
        selection: &DisclosureSelection,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<DisclosureOutcome> {
        todo!("postgres: LifecycleStore::disclosure")
    }

    fn reconciliation_tally(&self, event_id: &str) -> StorageResult<EventTally> {
        todo!("postgres: LifecycleStore::reconciliation_tally")
    }
}

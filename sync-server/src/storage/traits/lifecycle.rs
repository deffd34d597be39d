//! A record's lifecycle: removal, retention rules and runs, legal holds, talent-pool
//! withdrawal, subject access, disclosure and the event's reconciliation tally.

use crate::storage::StorageResult;
use crate::storage::model::{
    Accessor, AppliedRule, DisclosureOutcome, DisclosureSelection, EventTally, HoldChange,
    HoldHistoryEntry, LegalHold, RecordRetention, Removal, RemovalOutcome, RetentionDue,
    RetentionRun, RunStep, SubjectAccessFound, SubjectLookup, WithdrawalOutcome,
};

/// Removal, retention, legal holds, withdrawal, subject access, disclosure and
/// reconciliation.
pub trait LifecycleStore {
    /// The removal record of a registration, if it was removed (its bytes erased).
    fn removal(&self, doc_id: &str) -> StorageResult<Option<Removal>>;

    /// Removes a registration: erases its bytes and changes, keeps a removal record citing
    /// `reason`, logs the removal, and numbers it so tablets learn of it. Nothing happens to
    /// a record on legal hold, or when the relay holds no such registration.
    fn remove_registration(
        &self,
        doc_id: &str,
        reason: &str,
        by: &Accessor,
        at: i64,
    ) -> StorageResult<RemovalOutcome>;

    /// The retention rule of every event that has records, as it stands now.
    fn retention_rules(&self) -> StorageResult<Vec<AppliedRule>>;

    /// Per event with records: its rule, and how many records are due at `as_of` and how
    /// many of those a legal hold keeps.
    fn retention_due(&self, as_of: i64) -> StorageResult<Vec<RetentionDue>>;

    /// When one stored record falls due, under which rule, and what stops or changed it.
    fn record_retention(&self, doc_id: &str) -> StorageResult<Option<RecordRetention>>;

    /// Sets (`hold`) or lifts a legal hold on a stored record, recording who and why.
    fn change_legal_hold(
        &self,
        doc_id: &str,
        hold: bool,
        reason: &str,
        by: &str,
        at: i64,
    ) -> StorageResult<HoldChange>;

    fn legal_holds(&self) -> StorageResult<Vec<LegalHold>>;

    /// Every hold set or lifted on a record, oldest first.
    fn legal_hold_history(&self, doc_id: &str) -> StorageResult<Vec<HoldHistoryEntry>>;

    /// Records a talent-pool withdrawal, in effect at once (logged as a `change`).
    fn withdraw_talent_pool(
        &self,
        doc_id: &str,
        by: &Accessor,
        by_name: &str,
        at: i64,
    ) -> StorageResult<WithdrawalOutcome>;

    /// Starts a retention run as of `at`; `Err` with the run still going, if one is.
    fn start_retention_run(
        &self,
        by: &str,
        at: i64,
    ) -> StorageResult<Result<RetentionRun, RetentionRun>>;

    /// Removes up to `batch` records the run finds due, or finishes it.
    fn retention_run_step(&self, run_id: i64, batch: usize, at: i64) -> StorageResult<RunStep>;

    fn retention_run(&self, run_id: i64) -> StorageResult<Option<RetentionRun>>;

    /// The newest runs first.
    fn retention_runs(&self, limit: u32) -> StorageResult<Vec<RetentionRun>>;

    /// The run a killed relay left unfinished, to resume.
    fn unfinished_retention_run(&self) -> StorageResult<Option<RetentionRun>>;

    /// Every registration `lookup` names (a receipt code's registration and those sharing its
    /// email or phone), restricted ones read only if `cleared` (else counted), each with the
    /// access-log entries about it; each record read is logged `subject_access` by `reader`
    /// before it is answered. Withheld restricted ones are not read (nothing of them is
    /// logged as read): the request is routed to the users who hold the clearance (see
    /// [`super::HrAccountStore::restricted_requests`]) in the log's commit.
    fn subject_access(
        &self,
        lookup: &SubjectLookup,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<SubjectAccessFound>;

    /// The registrations `selection` names, for an official's secrecy review: held ones read
    /// whole (restricted ones only if `cleared`), the rest named as withheld, removed (with
    /// the removal's time and rule) or not held. Each record read is logged `disclosure` by
    /// `reader` before it is answered. Withheld restricted ones are not read: the request is
    /// routed to the users who hold the clearance in the log's commit.
    fn disclosure(
        &self,
        selection: &DisclosureSelection,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<DisclosureOutcome>;

    /// Event `event_id`'s devices with how far their journals reach as the relay saw them,
    /// and the event's quarantine decisions and removals, read together (counts only).
    fn reconciliation_tally(&self, event_id: &str) -> StorageResult<EventTally>;
}

//! A record's lifecycle as the store speaks of it: retention rules and runs, what is due,
//! legal holds, talent-pool withdrawals and removals. The date arithmetic and the rules are
//! [`crate::rules`]'s.

/// What is kept of a removed registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub event_id: String,
    /// The record was restricted: its removal is not told to staff tablets either.
    pub restricted: bool,
    pub removed_at: i64,
    /// Why: the retention rule and decision a run cites, or an operator's reason.
    pub reason: String,
}

/// One event's retention at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionDue {
    pub rule: AppliedRule,
    /// Records past their date (held ones included).
    pub due: u64,
    /// Of those, records a legal hold keeps.
    pub held: u64,
}

/// Where one record stands in its lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRetention {
    pub received_at: i64,
    pub rule: AppliedRule,
    /// The earliest time a retention run removes it (later while a legal hold stands).
    pub due_at: i64,
    pub legal_hold: Option<LegalHold>,
    pub talent_pool_withdrawn_at: Option<i64>,
}

/// The retention rule applied to one event's records. Which rule applies, and what it
/// makes due, is [`crate::rules::retention_rules`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRule {
    pub event_id: String,
    pub months: u16,
    /// The decision the rule cites.
    pub decision: String,
}

/// What a removal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalOutcome {
    Removed,
    /// The relay holds no such registration (never did, or already removed).
    NoRecord,
    /// A legal hold stops every removal until an archivist lifts it.
    OnLegalHold,
}

/// A legal hold on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHold {
    pub doc_id: String,
    pub reason: String,
    pub set_by: String,
    pub set_at: i64,
    /// The held record is restricted: only users with the clearance see the hold.
    pub restricted: bool,
}

/// What setting or lifting a hold did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldChange {
    Done,
    /// Nothing to do: already held (when setting) or not held (when lifting).
    AlreadySo,
    NoRecord,
}

/// One hold set or lifted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldHistoryEntry {
    /// Set (`true`) or lifted.
    pub hold: bool,
    pub reason: String,
    pub by: String,
    pub at: i64,
}

/// What recording a talent-pool withdrawal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawalOutcome {
    /// Recorded now, or earlier (`already`): either way in effect since `withdrawn_at`.
    Withdrawn {
        withdrawn_at: i64,
        already: bool,
    },
    /// The visitor never joined the talent pool: nothing to withdraw.
    NeverOptedIn,
    NoRecord,
}

/// One retention run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionRun {
    pub id: i64,
    pub started_at: i64,
    pub started_by: String,
    pub as_of: i64,
    pub finished_at: Option<i64>,
    pub removed: u64,
    /// Due records a legal hold kept, counted when the run finished.
    pub held: u64,
}

/// What one step of a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStep {
    /// Removed this many; more may be due.
    Removed(u64),
    /// Nothing more was due: the run is finished (and the WAL truncated).
    Finished(RetentionRun),
}

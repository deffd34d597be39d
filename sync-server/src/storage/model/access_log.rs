//! The access log as the store speaks of it: who touched which record and how, the review
//! filters, and what pruning the log's start did. The hash chain is
//! [`crate::rules::access_chain`]'s.

/// Who touched a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accessor {
    /// A tablet, by its key; a staff tablet names its recruiter.
    Device {
        device_key: [u8; 32],
        recruiter: Option<String>,
    },
    /// A person at the relay (an operator, later an HR user), by name.
    Operator(String),
    /// The visitor themselves, with their receipt on the visitor's page
    /// ([`crate::visitor_receipt`]): who they are is known only by the record.
    Visitor,
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessAction {
    /// A staff tablet received the record.
    Pull,
    /// Someone at the relay read the record.
    Read,
    /// Someone at the relay changed the record (notes, status).
    Change,
    /// The record was removed (gallring, withdrawal): its bytes erased.
    Remove,
    /// The record left the relay in an export.
    Export,
    /// Someone at the relay asked to read the record and was refused (no clearance for a
    /// restricted record, or not assigned to its event).
    ReadRefused,
    /// The record was a row of a list or search someone at the relay saw (its name, status).
    List,
    /// The record was given to its subject in a subject-access export.
    SubjectAccess,
    /// The record was put in a disclosure export, for an official's secrecy review.
    Disclosure,
    /// An HR user's access was changed (disabled, enabled, a role or the clearance removed,
    /// the password reset, a token revoked); `doc_id` names the change and the user, as
    /// `disable:rut`, never a reason.
    AccountChange,
    /// The visitor asked, from their receipt page, for a registerutdrag.
    AccessRequested,
    /// The visitor asked, from their receipt page, for an error to be corrected.
    CorrectionRequested,
}

impl AccessAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessAction::Pull => "pull",
            AccessAction::Read => "read",
            AccessAction::Change => "change",
            AccessAction::Remove => "remove",
            AccessAction::Export => "export",
            AccessAction::ReadRefused => "read_refused",
            AccessAction::List => "list",
            AccessAction::SubjectAccess => "subject_access",
            AccessAction::Disclosure => "disclosure",
            AccessAction::AccountChange => "account_change",
            AccessAction::AccessRequested => "access_requested",
            AccessAction::CorrectionRequested => "correction_requested",
        }
    }

    /// Every action, in the order a reviewer's choice lists them.
    pub const ALL: [AccessAction; 12] = [
        AccessAction::Pull,
        AccessAction::Read,
        AccessAction::Change,
        AccessAction::Remove,
        AccessAction::Export,
        AccessAction::ReadRefused,
        AccessAction::List,
        AccessAction::SubjectAccess,
        AccessAction::Disclosure,
        AccessAction::AccountChange,
        AccessAction::AccessRequested,
        AccessAction::CorrectionRequested,
    ];

    pub fn parse(text: &str) -> Option<AccessAction> {
        AccessAction::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// One entry: a registration id is not personal data, so entries may be shown and logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    /// Relay time, ms since the Unix epoch.
    pub at: i64,
    pub accessor: Accessor,
    pub action: AccessAction,
    pub doc_id: String,
}

/// What a review page asks for; `None` leaves a filter out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessLogQuery {
    /// Entries made by the person of this name (an HR user is `hr:<username>`).
    pub operator: Option<String>,
    pub doc_id: Option<String>,
    pub action: Option<AccessAction>,
    /// Relay time, ms since the Unix epoch: entries at or after this…
    pub from: Option<i64>,
    /// …and at or before this.
    pub until: Option<i64>,
    /// Entries numbered below this: the last entry of the previous page.
    pub before_seq: Option<u64>,
    pub limit: usize,
    /// Leaves out entries about restricted records, held or removed: a reviewer without
    /// the clearance must not learn from the log that one exists.
    pub without_restricted: bool,
}

/// Where the log starts after pruning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogHorizon {
    /// The first entry the log still holds; every entry before it was removed.
    pub first_kept: u64,
    /// The hash of the last entry removed: the link the first kept entry must carry.
    pub last_removed_hash: [u8; 32],
    /// Relay time of the pruning that set it, ms since the Unix epoch.
    pub pruned_at: i64,
    /// The retention rule it was pruned under, as written then.
    pub rule: String,
}

/// What a pruning did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessLogPruning {
    /// `removed` entries went; the log now starts at `horizon`.
    Pruned {
        removed: u64,
        horizon: AccessLogHorizon,
    },
    /// No entry was old enough (or only the newest, which stays); the horizon, if any, is
    /// where it was.
    NothingDue { horizon: Option<AccessLogHorizon> },
    /// The chain is broken at entry `at`: nothing is removed, since removing could erase
    /// the evidence of what broke it.
    ChainBroken { at: u64 },
}

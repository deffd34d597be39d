//! The lifecycle journal's entries: the decisions a restore must never undo (removals,
//! withdrawals, holds, access taken from HR users, revoked tablets), and what replaying
//! them did. Writing the journal file is the backend's.

use serde::{Deserialize, Serialize};

use super::accounts::PasswordHash;

/// One decision a restore must not undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LifecycleEntry {
    /// A registration was removed (its bytes erased, a removal record kept).
    Removal {
        doc_id: String,
        event_id: String,
        /// Hex of the capturing device's key: the removal is told to that tablet.
        device_key: String,
        restricted: bool,
        at: i64,
        reason: String,
        /// The capture's entry in its tablet's journal (number, change hashes as hex), so a
        /// restored relay that never held the record still confirms the tablet's journal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        journal_seq: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change_hashes: Option<String>,
    },
    /// The visitor withdrew their talent-pool consent.
    Withdrawal { doc_id: String, at: i64, by: String },
    /// HR withdrew the visitor's receipt (a lost receipt): a restore must not make it work
    /// again, nor may a tablet's copy sent again bring its tag back.
    ReceiptWithdrawal { doc_id: String, at: i64, by: String },
    /// Access was taken from an HR user (or given back): disabled, enabled, a role or the
    /// clearance removed, the password reset, a token revoked. `change` is the name the
    /// change history and the access log give it (`disable`, `remove_role.archivist`,
    /// `revoke_token.7`); the user is named by id and username, so an id that a later
    /// timeline gave someone else is never matched.
    Access {
        user_id: u64,
        username: String,
        change: String,
        at: i64,
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The password a reset or a change set (its Argon2id hash only), so a restore
        /// never brings back one that was replaced.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<JournalPassword>,
    },
    /// A tablet was revoked (lost, stolen, retired): a restore must not let it sync or
    /// pull again.
    Revocation {
        /// Hex of the device's key.
        device_key: String,
        at: i64,
    },
    /// A legal hold was set (`hold`) or lifted.
    Hold {
        doc_id: String,
        hold: bool,
        at: i64,
        reason: String,
        by: String,
    },
}

/// A password as stored, in the journal: hex salt and hash, cost, and whether it must be
/// changed at the next login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalPassword {
    pub salt: String,
    pub hash: String,
    pub memory_kib: u32,
    pub passes: u32,
    pub must_change: bool,
}

impl JournalPassword {
    pub(crate) fn of(password: &PasswordHash, must_change: bool) -> Self {
        JournalPassword {
            salt: hex::encode(password.salt),
            hash: hex::encode(password.hash),
            memory_kib: password.memory_kib,
            passes: password.passes,
            must_change,
        }
    }
}

impl LifecycleEntry {
    pub(crate) fn at(&self) -> i64 {
        match self {
            LifecycleEntry::Removal { at, .. }
            | LifecycleEntry::Withdrawal { at, .. }
            | LifecycleEntry::ReceiptWithdrawal { at, .. }
            | LifecycleEntry::Access { at, .. }
            | LifecycleEntry::Revocation { at, .. }
            | LifecycleEntry::Hold { at, .. } => *at,
        }
    }
}

/// What replaying did to the restored store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Removals carried out again: the record's bytes erased, its removal record back.
    pub removals: u64,
    /// Of those, records the backup did not even hold: only the removal record is back, so
    /// tablets erase their copies and a push of it is refused.
    pub removals_of_absent: u64,
    /// Withdrawals recorded again (for a record the backup lacks, in effect once a tablet
    /// sends it again).
    pub withdrawals: u64,
    /// Receipts HR withdrew, withdrawn again.
    pub receipt_withdrawals: u64,
    pub holds_set: u64,
    pub holds_lifted: u64,
    /// Changes that took access from HR users (or gave it back) carried out again: a
    /// restore never enables a disabled user or brings back a revoked token, a removed role
    /// or a withdrawn clearance.
    pub access_changes: u64,
    /// Tablets revoked again: a restore never lets a revoked tablet sync or pull.
    pub revocations: u64,
    /// Removals not carried out because the restored record is on legal hold (the record
    /// was removed after a hold was lifted, and that lift is not known here).
    pub removals_held: Vec<String>,
    /// Journal lines that could not be read.
    pub unreadable: u64,
}

impl Replayed {
    pub fn is_empty(&self) -> bool {
        self.removals
            + self.withdrawals
            + self.receipt_withdrawals
            + self.holds_set
            + self.holds_lifted
            + self.access_changes
            + self.revocations
            == 0
            && self.removals_held.is_empty()
    }
}

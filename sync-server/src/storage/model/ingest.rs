//! Sync requests as the store speaks of them: one request's documents after every check,
//! what storing them did, the pull read in the same transaction, and the backup state every
//! response carries.

use kiosk_core::journal::JournalHead;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{ErrorCode, PulledDocument, PushOutcome};

use super::access_log::Accessor;
use crate::transparency::leaf::LEAF_LEN;

/// One document of a sync request, after every check.
#[derive(Debug, Clone)]
pub enum IngestItem {
    /// A capture that passed every check: merged into the record.
    Store {
        doc_id: String,
        event_id: String,
        document: Vec<u8>,
        change_hashes: Vec<[u8; 32]>,
        capture_signature: Vec<u8>,
        receipt_code: String,
        /// The keyed hash of the visitor's receipt ([`crate::visitor_receipt::key`]);
        /// `None` for a capture sealed before receipts.
        receipt_tag: Option<[u8; 32]>,
        restricted: bool,
        journal_seq: Option<u64>,
        /// The capture's list fields when the caller read them already (ingest's checks
        /// read the registration); `None` and the store reads them from `document`.
        listing: Option<Box<super::RegistrationListing>>,
    },
    /// A staff tablet's changes of a registration that passed every check: merged.
    Annotate {
        doc_id: String,
        /// The changes the relay did not hold yet, with their hashes.
        changes: Vec<([u8; 32], Vec<u8>)>,
    },
    /// An authentic capture that failed a later check: kept apart, not merged.
    Quarantine {
        doc_id: String,
        sealed: Vec<u8>,
        change_hashes: Vec<[u8; 32]>,
        code: ErrorCode,
        journal_seq: Option<u64>,
    },
}

/// One sync request's documents, stored in one transaction.
#[derive(Debug, Clone)]
pub struct IngestBatch {
    pub device_key: [u8; 32],
    pub seq: u64,
    pub received_at: i64,
    pub items: Vec<IngestItem>,
    /// Who the access log names for what this request reads and changes.
    pub accessor: Accessor,
    /// What the tablet pulls, read in the same transaction that stores its pushes and
    /// writes the access log: what leaves the relay is exactly what the log holds, and a
    /// removal cannot slip between the read and the answer.
    pub pull: Option<PullQuery>,
    /// The journal count the tablet declared (how many it has captured), for
    /// reconciliation; `None` leaves the last one recorded.
    pub declared_journal: Option<u64>,
}

/// A pull to read inside an ingest transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullQuery {
    pub scope: PullScope,
    pub after_seq: u64,
    pub max_changes: usize,
}

/// What the transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// The sequence number was not above the last accepted; nothing was stored.
    StaleSeq { last_accepted: u64 },
    Committed {
        /// One per item, in order: stored (every change hash the relay holds for the
        /// document), quarantined (the capture's hashes) or refused.
        outcomes: Vec<PushOutcome>,
        /// The device's journal as far as the relay holds it without a gap.
        journal: JournalHead,
        /// The number this commit took from the store's counter: a backup whose watermark
        /// reaches it holds everything this request stored.
        commit_seq: u64,
        /// What the request's pull read (empty without one).
        page: PullPage,
        /// The transparency-log leaves the request appended, so its answer proves them
        /// without looking them up again.
        appended: AppendedLeaves,
    },
}

/// The transparency-log leaves one request appended in its transaction (none for a
/// request that stored nothing new).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppendedLeaves {
    /// The log index of the first of `leaves`; the others follow it.
    pub first_index: u64,
    /// Each leaf's bytes, in log order.
    pub leaves: Vec<[u8; LEAF_LEN]>,
}

impl AppendedLeaves {
    /// Each leaf with its log index.
    pub fn indexed(&self) -> impl Iterator<Item = (u64, &[u8; LEAF_LEN])> {
        (self.first_index..).zip(&self.leaves)
    }
}

/// Which timeline the store is on and how far its backups reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupState {
    /// New after every restore: receipts of another epoch may name data the store lost.
    pub epoch: [u8; 16],
    /// Every commit numbered at or below this is in a completed backup.
    pub watermark: Option<u64>,
}

/// Whose pull a page is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullScope {
    pub device_key: [u8; 32],
    pub event_id: String,
    /// Staff tablets get registrations; kiosks only the removals of their own captures.
    pub role: EnrolledRole,
}

/// One page of a pull.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullPage {
    /// Registrations with changes numbered in the page's range, each with those changes
    /// (not the puller's own), in commit order.
    pub documents: Vec<PulledDocument>,
    /// Documents in scope removed in the page's range.
    pub removed: Vec<String>,
    /// Staff tablets: documents in scope whose talent-pool consent was withdrawn in the
    /// page's range.
    pub withdrawn: Vec<String>,
    /// Every change and removal in scope numbered at or below this is in this page or an
    /// earlier one: the next cursor.
    pub through_seq: u64,
    /// Changes numbered above `through_seq` wait.
    pub more: bool,
}

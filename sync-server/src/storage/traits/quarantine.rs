//! Quarantined captures: the review list, one capture's kept bytes, and HR's decision.

use crate::storage::StorageResult;
use crate::storage::model::{Accessor, QuarantinedCapture, ReviewAction, ReviewOutcome};

/// Quarantined captures and their review.
pub trait QuarantineStore {
    /// Up to `limit` quarantined captures numbered below `before`, newest first, with their
    /// reviews; nothing of the documents.
    fn quarantined_captures(
        &self,
        before: Option<u64>,
        limit: u32,
    ) -> StorageResult<Vec<QuarantinedCapture>>;

    /// One quarantined capture with the bytes kept of it, for review (not logged: nothing
    /// leaves the relay).
    fn quarantined_capture(&self, id: u64) -> StorageResult<Option<(QuarantinedCapture, Vec<u8>)>>;

    /// Records HR's final decision on quarantined capture `id` (by user `reviewer`, whom the
    /// access log names `by`) and, on accepting, stores the capture as a registration; one
    /// transaction with a `change` entry in the access log.
    fn review_quarantined(
        &self,
        id: u64,
        action: &ReviewAction,
        reason: &str,
        reviewer: &str,
        by: &Accessor,
        at: i64,
    ) -> StorageResult<ReviewOutcome>;
}

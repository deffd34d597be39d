//! [`QuarantineStore`] on PostgreSQL: quarantined captures and their review.
//!
//! PLACEHOLDERS: every method is `todo!` until its SQL is ported from the SQLite store.

use crate::storage::StorageResult;
use crate::storage::model::{Accessor, QuarantinedCapture, ReviewAction, ReviewOutcome};

use super::PgStore;
use crate::storage::traits::QuarantineStore;

#[allow(unused_variables, clippy::todo)]
impl QuarantineStore for PgStore {
    fn quarantined_captures(
        &self,
        before: Option<u64>,
        limit: u32,
    ) -> StorageResult<Vec<QuarantinedCapture>> {
        todo!("postgres: QuarantineStore::quarantined_captures")
    }

    fn quarantined_capture(&self, id: u64) -> StorageResult<Option<(QuarantinedCapture, Vec<u8>)>> {
        todo!("postgres: QuarantineStore::quarantined_capture")
    }

    fn review_quarantined(
        &self,
        id: u64,
        action: &ReviewAction,
        reason: &str,
        reviewer: &str,
        by: &Accessor,
        at: i64,
    ) -> StorageResult<ReviewOutcome> {
        todo!("postgres: QuarantineStore::review_quarantined")
    }
}

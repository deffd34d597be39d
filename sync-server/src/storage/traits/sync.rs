//! Sync requests: storing a request's documents whole (with its pull read in the same
//! transaction), and what every sync answer and ingest check reads beside it.

use crate::storage::StorageResult;
use crate::storage::model::{BackupState, IngestBatch, IngestOutcome, RelayCounts};

pub trait SyncStore {
    fn ingest(&self, batch: &IngestBatch) -> StorageResult<IngestOutcome>;

    /// The store's epoch and backup watermark, which every sync response carries.
    fn backup_state(&self) -> StorageResult<BackupState>;

    /// Bytes of captures from one device kept in quarantine.
    fn quarantined_bytes(&self, device_key: &[u8; 32]) -> StorageResult<u64>;

    fn counts(&self) -> StorageResult<RelayCounts>;
}

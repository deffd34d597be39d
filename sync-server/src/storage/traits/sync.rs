//! Sync requests: storing a request's documents whole (with its pull read in the same
//! transaction), and what every sync answer and ingest check reads beside it.

use crate::storage::StorageResult;
use crate::storage::model::{
    BackupState, IngestBatch, IngestOutcome, MonitoringFigures, RelayCounts,
};

/// Ingest and what a sync answer reads beside it.
pub trait SyncStore {
    /// Stores a sync request whole or not at all, and returns only once it is durable;
    /// requests that arrive together may share one transaction and its commit.
    fn ingest(&self, batch: &IngestBatch) -> StorageResult<IngestOutcome>;

    /// The store's epoch and backup watermark, which every sync response carries.
    fn backup_state(&self) -> StorageResult<BackupState>;

    /// Bytes of captures from one device kept in quarantine.
    fn quarantined_bytes(&self, device_key: &[u8; 32]) -> StorageResult<u64>;

    /// How many registrations, quarantined captures and devices the store holds.
    fn counts(&self) -> StorageResult<RelayCounts>;

    /// The figures the relay's metrics read (see [`MonitoringFigures`]); tablets count as
    /// silent when their last contact is before `silent_before` (ms).
    fn monitoring_figures(&self, silent_before: i64) -> StorageResult<MonitoringFigures>;

    /// One small write that changes nothing, committed durably as any write: readiness
    /// proves with it that the store takes writes now (disk, locks, connection).
    fn probe_write(&self) -> StorageResult<()>;
}

//! The access log: appending, walking its chain, reading and reviewing entries, and pruning
//! its start under the log's own retention.

use crate::rules::access_chain::AccessLogVerdict;
use crate::storage::StorageResult;
use crate::storage::model::{AccessEntry, AccessLogHorizon, AccessLogPruning, AccessLogQuery};

/// The access log: append, chain, review and pruning.
pub trait AccessLogStore {
    /// Appends one entry to the access log on its own (a refused attempt, say).
    fn log_access(&self, entry: &AccessEntry) -> StorageResult<()>;

    /// Walks the access log's hash chain.
    fn verify_access_log(&self) -> StorageResult<AccessLogVerdict>;

    /// The hash of access-log entry `seq`, if the log holds it (for checkpoints).
    fn access_log_entry_hash(&self, seq: u64) -> StorageResult<Option<[u8; 32]>>;

    /// Up to `limit` access-log entries after `after_seq`, for review.
    fn access_log_entries(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, AccessEntry)>>;

    /// One page of the access log as `query` filters it, newest first (not logged: entries
    /// name records by id and people by username, no personal data of visitors).
    fn query_access_log(&self, query: &AccessLogQuery) -> StorageResult<Vec<(u64, AccessEntry)>>;

    /// Where the access log starts once retention removed its oldest entries, if it did.
    fn access_log_horizon(&self) -> StorageResult<Option<AccessLogHorizon>>;

    /// Removes the access-log entries made before `older_than` from the log's start (never
    /// its newest entry), moving the horizon there under `rule`; refused over a broken chain.
    fn prune_access_log(
        &self,
        older_than: i64,
        rule: &str,
        now: i64,
    ) -> StorageResult<AccessLogPruning>;
}

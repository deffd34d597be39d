//! [`AccessLogStore`] on PostgreSQL: the access log: append, chain, review and pruning.
//!
//! PLACEHOLDERS: every method is `todo!` until its SQL is ported from the SQLite store.

use crate::rules::access_chain::AccessLogVerdict;
use crate::storage::StorageResult;
use crate::storage::model::{AccessEntry, AccessLogHorizon, AccessLogPruning, AccessLogQuery};

use super::PgStore;
use crate::storage::traits::AccessLogStore;

#[allow(unused_variables, clippy::todo)]
impl AccessLogStore for PgStore {
    fn log_access(&self, entry: &AccessEntry) -> StorageResult<()> {
        todo!("postgres: AccessLogStore::log_access")
    }

    fn verify_access_log(&self) -> StorageResult<AccessLogVerdict> {
        todo!("postgres: AccessLogStore::verify_access_log")
    }

    fn access_log_entry_hash(&self, seq: u64) -> StorageResult<Option<[u8; 32]>> {
        todo!("postgres: AccessLogStore::access_log_entry_hash")
    }

    fn access_log_entries(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, AccessEntry)>> {
        todo!("postgres: AccessLogStore::access_log_entries")
    }

    fn query_access_log(&self, query: &AccessLogQuery) -> StorageResult<Vec<(u64, AccessEntry)>> {
        todo!("postgres: AccessLogStore::query_access_log")
    }

    fn access_log_horizon(&self) -> StorageResult<Option<AccessLogHorizon>> {
        todo!("postgres: AccessLogStore::access_log_horizon")
    }

    fn prune_access_log(
        &self,
        older_than: i64,
        rule: &str,
        now: i64,
    ) -> StorageResult<AccessLogPruning> {
        todo!("postgres: AccessLogStore::prune_access_log")
    }
}

//! The transparency log's reads: what `verify-log`, proofs and checkpoints need. Appends
//! have no method of their own: each write that records something appends its leaves in its
//! own transaction (see [`crate::transparency`]).

use kiosk_core::tlog::hash::Hash;

use crate::storage::StorageResult;
use crate::storage::model::{LogKeyBinding, LogTip};
use crate::transparency::leaf::Nonce;

pub trait TransparencyLogStore {
    /// The log's size and root as committed.
    fn log_tip(&self) -> StorageResult<LogTip>;

    /// Stored leaves from index `from` on, in order, at most `limit` (capped at
    /// [`crate::storage::model::LOG_READ_LIMIT`]).
    fn log_leaves(&self, from: u64, limit: usize) -> StorageResult<Vec<Vec<u8>>>;

    /// One stored perfect subtree: the hash of leaves `[index·2^level, (index+1)·2^level)`;
    /// `None` if the store has none (not complete yet, or below
    /// [`crate::transparency::append::LOWEST_STORED_LEVEL`], which is not stored).
    fn log_subtree(&self, level: u8, index: u64) -> StorageResult<Option<Hash>>;

    /// Stored subtrees of one level from index `from` on, in order, at most `limit` (capped
    /// at [`crate::storage::model::LOG_READ_LIMIT`]), as stored (a hash of any length, so a
    /// damaged row is reported rather than skipped).
    fn log_level(&self, level: u8, from: u64, limit: usize) -> StorageResult<Vec<(u64, Vec<u8>)>>;

    /// The stored leaves about one record (their record commitment, bytes 2..34, is
    /// `record`) from index `from` on, in order, at most `limit` (capped at
    /// [`crate::storage::model::LOG_READ_LIMIT`]), as `(index, leaf)`. Found through the
    /// leaves' index on their commitment, whatever the log's size: the index holds nothing
    /// the leaves do not say, so nothing of it is erased with the record.
    fn log_leaves_of_record(
        &self,
        record: &[u8; 32],
        from: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, Vec<u8>)>>;

    /// The nonce kept beside a stored registration (`None` once it is removed).
    fn record_nonce(&self, doc_id: &str) -> StorageResult<Option<Nonce>>;

    /// [`Self::record_nonce`] of each of `doc_ids`, in order, in one read: a sync answer's
    /// pushes (a read each was a measurable part of the log's cost per capture).
    fn record_nonces(&self, doc_ids: &[&str]) -> StorageResult<Vec<Option<Nonce>>> {
        doc_ids.iter().map(|id| self.record_nonce(id)).collect()
    }

    /// The nonce the `quarantined` leaves of the copies of `doc_id` that `device_key` sent
    /// and had kept apart were hashed under, as written on them when they were logged
    /// ([`NonceRule`]): the record's for the registration's own tablet, or the first to
    /// have a copy kept apart while no registration held the id; else a nonce of that
    /// tablet's copies only, so no tablet learns another's nonce. A record stored later
    /// takes the nonce of its own tablet's copies (so an accepted copy's leaves link to
    /// it), never another tablet's. What is stored under the id later does not change
    /// this nonce. `None` once removed, or when no copy of that tablet is logged.
    ///
    /// [`NonceRule`]: crate::storage::model::NonceRule
    fn quarantine_nonce(&self, doc_id: &str, device_key: &[u8]) -> StorageResult<Option<Nonce>>;

    /// The log key recorded for this log, if any.
    fn recorded_log_key(&self) -> StorageResult<Option<LogKeyBinding>>;

    /// Records `key` as the log's key when none is recorded yet (the first start, or a log
    /// from before keys were recorded): the first writer wins, so of relay instances started
    /// together with different keys every one but the first is answered with the first's
    /// key (and refused) at once. A recorded key is never replaced silently: tablets
    /// enrolled since carry it, even while the log is empty. Only with `replacing` (the
    /// operator's `serve --new-log-key`, naming the key recorded when it started), while
    /// that key is still the recorded one and the log has no leaves, does `key` take its
    /// place, in one transaction with reading both; another instance's key recorded
    /// meanwhile is kept. Returns the key recorded afterwards: `key`, or the one before.
    fn bind_log_key(
        &self,
        key: &LogKeyBinding,
        replacing: Option<&LogKeyBinding>,
    ) -> StorageResult<LogKeyBinding>;
}

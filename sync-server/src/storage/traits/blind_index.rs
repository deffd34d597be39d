//! Keyed blind indexes at the relay (see [`crate::rules::blind_index`]): the duplicate index
//! a background pass writes per record after ingest, its candidates, and the do-not-contact
//! list with its legal basis and retention.

use crate::storage::StorageResult;
use crate::storage::model::{BlindIndexEntry, BlindIndexFailures, DoNotContactEntry};

pub trait BlindIndexStore {
    /// Up to `limit` held registrations the background pass has not indexed yet, oldest
    /// received first. Ingest writes nothing here: every new record is listed until indexed.
    fn unindexed_registrations(&self, limit: u32) -> StorageResult<Vec<String>>;

    /// Records `entries` as registration `doc_id`'s duplicate index and marks it indexed (a
    /// failed attempt recorded before is cleared); `false` (and nothing written) if the
    /// record is no longer held.
    fn write_blind_index(
        &self,
        doc_id: &str,
        entries: &[BlindIndexEntry],
        at: i64,
    ) -> StorageResult<bool>;

    /// Up to `limit` held registrations whose indexing failed and whose next try is due at
    /// `at`, earliest due first, each with how many attempts failed so far.
    fn due_blind_index_retries(&self, at: i64, limit: u32) -> StorageResult<Vec<(String, u32)>>;

    /// Records that indexing registration `doc_id` failed for the `attempts`th time: no
    /// entries, tried again from `retry_at`, or (`None`) not before
    /// [`BlindIndexStore::retry_given_up_blind_index`]. `false` (and nothing written) if the
    /// record is no longer held. A later [`BlindIndexStore::write_blind_index`] clears it.
    fn postpone_blind_index(
        &self,
        doc_id: &str,
        attempts: u32,
        retry_at: Option<i64>,
        at: i64,
    ) -> StorageResult<bool>;

    /// How many held records' indexing failed: waiting for a retry, and given up.
    fn blind_index_failures(&self) -> StorageResult<BlindIndexFailures>;

    /// Makes every record given up on due again at `at`, its attempts counted from zero (a
    /// relay starting, after the cause may have been fixed); returns how many.
    fn retry_given_up_blind_index(&self, at: i64) -> StorageResult<u64>;

    /// Registration `doc_id`'s duplicate-index entries (none if not indexed or not held).
    fn blind_index_of(&self, doc_id: &str) -> StorageResult<Vec<BlindIndexEntry>>;

    /// Registrations other than `doc_id` with any of `entries`, at most
    /// [`crate::storage::model::MAX_BLIND_CANDIDATES`]: candidates, to be confirmed against
    /// the records.
    fn blind_index_candidates(
        &self,
        doc_id: &str,
        entries: &[BlindIndexEntry],
    ) -> StorageResult<Vec<String>>;

    /// Adds `entries` to the do-not-contact list on `basis`, kept until `keep_until`; an
    /// entry held already keeps its first basis and the later of the two dates.
    fn add_do_not_contact(
        &self,
        entries: &[BlindIndexEntry],
        basis: &str,
        at: i64,
        keep_until: i64,
    ) -> StorageResult<()>;

    /// The do-not-contact rows among `entries`, still kept at `at`.
    fn do_not_contact_matches(
        &self,
        entries: &[BlindIndexEntry],
        at: i64,
    ) -> StorageResult<Vec<DoNotContactEntry>>;

    /// Every held registration whose talent-pool consent was withdrawn, with when: a relay
    /// restored from a backup puts them on the do-not-contact list again at start (the
    /// withdrawals are replayed, the list's rows are not).
    fn talent_pool_withdrawals(&self) -> StorageResult<Vec<(String, i64)>>;

    /// Removes do-not-contact rows kept until before `at`; returns how many.
    fn prune_do_not_contact(&self, at: i64) -> StorageResult<u64>;

    /// Records `fingerprint` as the index key's if none is recorded yet; `true` if the
    /// recorded one is `fingerprint` (the rows were written under this key).
    fn bind_index_key(&self, fingerprint: &[u8; 32]) -> StorageResult<bool>;

    /// Records `fingerprint` as the index key's in place of another, and drops the
    /// duplicate index written under the other (the background pass writes it again under
    /// this key). Do-not-contact rows stay to their retention: nothing rebuilds them.
    fn rebind_index_key(&self, fingerprint: &[u8; 32]) -> StorageResult<()>;
}

//! Witnesses' cosignatures of the log's checkpoints: kept once verified (the checks are
//! [`crate::witness::intake`]'s), served with the checkpoint they cosign.

use kiosk_core::tlog::hash::Hash;

use crate::storage::StorageResult;
use crate::storage::model::StoredCosignature;

pub trait CosignatureStore {
    /// Keeps a verified cosignature: the newest per witness and size (an older or equal
    /// time, or another root for that size, changes nothing). Returns whether it was kept.
    fn store_cosignature(&self, cosignature: &StoredCosignature) -> StorageResult<bool>;

    /// Every witness's kept cosignature of the checkpoint of `size` leaves with `root`, by
    /// witness key.
    fn cosignatures_of(&self, size: u64, root: &Hash) -> StorageResult<Vec<StoredCosignature>>;

    /// The largest trees of at most `at_most` leaves that every one of `witnesses` (vkey
    /// text, as kept) cosigned, any witness when `witnesses` is empty: size and root,
    /// largest first, at most `limit`. Whether a root is still the log's is the caller's
    /// to check (rows kept from before a restore may name another):
    /// [`crate::witness::intake::newest_cosigned_tree`] is the one choice every caller
    /// makes.
    fn cosigned_by_all(
        &self,
        at_most: u64,
        witnesses: &[String],
        limit: usize,
    ) -> StorageResult<Vec<(u64, Hash)>>;
}

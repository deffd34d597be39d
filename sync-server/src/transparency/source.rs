//! Proofs served from the store: the store's perfect subtrees as a
//! [`SubtreeSource`], so [`kiosk_core::tlog::tree`] computes roots and proofs from
//! O(log² n) lookups, never reading all leaves. Stored subtrees never change once written,
//! so a proof for any size up to the committed one reads a consistent tree without a
//! snapshot.

use kiosk_core::tlog::hash::Hash;
use kiosk_core::tlog::tree::SubtreeSource;

use crate::storage::{RelayStore, StorageError};

/// The store's subtrees.
#[derive(Debug)]
pub struct StoreSubtrees<'a>(pub &'a dyn RelayStore);

/// Why a proof could not be read from the store.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A subtree the tree needs is not stored: the log is damaged (or the size is past it).
    #[error("the log's subtree {level}/{index} is not stored")]
    Missing { level: u8, index: u64 },
}

impl SubtreeSource for StoreSubtrees<'_> {
    type Error = SourceError;

    fn perfect_subtree(&self, level: u8, index: u64) -> Result<Hash, SourceError> {
        self.0
            .log_subtree(level, index)?
            .ok_or(SourceError::Missing { level, index })
    }
}

//! Proofs served from the store: the store's perfect subtrees as a
//! [`SubtreeSource`], so [`kiosk_core::tlog::tree`] computes roots and proofs from
//! O(log² n) lookups, never reading all leaves. Subtrees below
//! [`LOWEST_STORED_LEVEL`] are not stored: they are computed from their at most 8 leaves. Stored subtrees never change once written,
//! so a proof for any size up to the committed one reads a consistent tree without a
//! snapshot.

use kiosk_core::tlog::hash::{Hash, leaf_hash, node_hash};
use kiosk_core::tlog::tree::SubtreeSource;

use super::append::LOWEST_STORED_LEVEL;
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
        if level >= LOWEST_STORED_LEVEL {
            return self
                .0
                .log_subtree(level, index)?
                .ok_or(SourceError::Missing { level, index });
        }
        let missing = SourceError::Missing { level, index };
        let width = 1u64 << level;
        let first = index
            .checked_mul(width)
            .ok_or(SourceError::Missing { level, index })?;
        let leaves = self.0.log_leaves(first, width as usize)?;
        if leaves.len() as u64 != width {
            return Err(missing);
        }
        let mut hashes: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        while hashes.len() > 1 {
            hashes = hashes
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
        }
        Ok(hashes[0])
    }
}

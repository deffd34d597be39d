//! Proofs served from the store: the store's perfect subtrees as a
//! [`SubtreeSource`], so [`kiosk_core::tlog::tree`] computes roots and proofs from
//! O(log² n) lookups, never reading all leaves. Subtrees below
//! [`LOWEST_STORED_LEVEL`] are not stored: they are computed from their at most 8 leaves. Stored subtrees never change once written,
//! so a proof for any size up to the committed one reads a consistent tree without a
//! snapshot. [`CachedSubtrees`] keeps what it read, for the many proofs of one answer.

use std::cell::RefCell;
use std::collections::HashMap;

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

/// The most subtrees a [`CachedSubtrees`] keeps (48 bytes each in a map of at most 2^17
/// slots: about 6 MiB); past it, it starts again.
const CACHE_LIMIT: usize = 65_536;

/// The store's subtrees, each read once: the inclusion proofs of one sync answer's leaves,
/// which lie next to each other, share most of their subtrees and the tree's right edge.
/// Below [`LOWEST_STORED_LEVEL`] the whole block of leaves a stored subtree of that level
/// would cover is read at once and every subtree in it kept. Subtrees never change once the
/// leaves under them are in the log, so what was read stays right for any size; keep one
/// for the proofs of one answer, not longer.
#[derive(Debug)]
pub struct CachedSubtrees<'a> {
    store: &'a dyn RelayStore,
    known: RefCell<HashMap<(u8, u64), Hash>>,
    limit: usize,
}

impl<'a> CachedSubtrees<'a> {
    pub fn new(store: &'a dyn RelayStore) -> CachedSubtrees<'a> {
        CachedSubtrees::with_limit(store, CACHE_LIMIT)
    }

    /// With room for `limit` subtrees (tests use a small one to start again often).
    fn with_limit(store: &'a dyn RelayStore, limit: usize) -> CachedSubtrees<'a> {
        CachedSubtrees {
            store,
            known: RefCell::new(HashMap::new()),
            limit,
        }
    }

    fn keep(&self, level: u8, index: u64, hash: Hash) {
        let mut known = self.known.borrow_mut();
        if known.len() >= self.limit {
            known.clear();
        }
        known.insert((level, index), hash);
    }
}

impl SubtreeSource for CachedSubtrees<'_> {
    type Error = SourceError;

    fn perfect_subtree(&self, level: u8, index: u64) -> Result<Hash, SourceError> {
        if let Some(hash) = self.known.borrow().get(&(level, index)) {
            return Ok(*hash);
        }
        let missing = SourceError::Missing { level, index };
        if level >= LOWEST_STORED_LEVEL {
            let hash = self.store.log_subtree(level, index)?.ok_or(missing)?;
            self.keep(level, index, hash);
            return Ok(hash);
        }
        // The block of 2^LOWEST_STORED_LEVEL leaves holding the subtree, or as much of it as
        // the log holds: every perfect subtree inside what was read is kept.
        let block = index >> (LOWEST_STORED_LEVEL - level);
        let first = block
            .checked_mul(1 << LOWEST_STORED_LEVEL)
            .ok_or(SourceError::Missing { level, index })?;
        let leaves = self.store.log_leaves(first, 1 << LOWEST_STORED_LEVEL)?;
        let mut row: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        // The asked subtree is taken as it is computed, not looked up afterwards: the cache
        // may start again while the block is kept.
        let mut asked = None;
        for row_level in 0..LOWEST_STORED_LEVEL {
            let row_first = block << (LOWEST_STORED_LEVEL - row_level);
            if row_level == level {
                asked = row.get((index - row_first) as usize).copied();
            }
            for (offset, hash) in row.iter().enumerate() {
                self.keep(row_level, row_first + offset as u64, *hash);
            }
            row = row
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
        }
        asked.ok_or(missing)
    }
}

#[cfg(test)]
mod tests {
    use kiosk_core::tlog::tree::{consistency_proof, inclusion_proof, root};

    use super::*;
    use crate::storage::SqliteStore;
    use crate::transparency::leaf::{Leaf, LeafKind};

    fn store_of(size: u64) -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("opens");
        let leaves: Vec<Leaf> = (0..size)
            .map(|i| Leaf {
                kind: LeafKind::Capture,
                record: leaf_hash(&i.to_be_bytes()),
                subject: leaf_hash(&(!i).to_be_bytes()),
                author: [7; 32],
                accepted_at: i as i64,
            })
            .collect();
        // In uneven pieces, as requests append them.
        for piece in leaves.chunks(23) {
            store.append_log_leaves_for_bench(piece).expect("appends");
        }
        (dir, store)
    }

    #[test]
    fn one_cache_serves_every_proof_and_root_as_the_uncached_store_does() {
        let (_dir, store) = store_of(150);
        let cached = CachedSubtrees::new(&store);
        for size in [1u64, 2, 15, 16, 17, 33, 64, 100, 150] {
            assert_eq!(
                root(&cached, size).expect("root"),
                root(&StoreSubtrees(&store), size).expect("root"),
                "root at {size}"
            );
            same_proofs(&cached, &store, size, "");
        }
    }

    /// Every inclusion and consistency proof at `size` from `cached` is the uncached
    /// store's (`what` says which cache, in a failure).
    fn same_proofs(cached: &CachedSubtrees<'_>, store: &SqliteStore, size: u64, what: &str) {
        for index in 0..size {
            assert_eq!(
                inclusion_proof(cached, index, size).expect("proof"),
                inclusion_proof(&StoreSubtrees(store), index, size).expect("proof"),
                "inclusion of {index} in {size}{what}"
            );
        }
        for old in 1..size {
            assert_eq!(
                consistency_proof(cached, old, size).expect("proof"),
                consistency_proof(&StoreSubtrees(store), old, size).expect("proof"),
                "consistency {old} → {size}{what}"
            );
        }
    }

    #[test]
    fn a_cache_that_fills_up_and_starts_again_still_serves_every_proof() {
        // Limits below one block's 31 subtrees make the cache start again while a block is
        // kept, the case where a looked-up-afterwards subtree would be missing.
        let (_dir, store) = store_of(70);
        for limit in [1usize, 5, 17, 31, 40] {
            let cached = CachedSubtrees::with_limit(&store, limit);
            for size in [16u64, 33, 70] {
                same_proofs(&cached, &store, size, &format!(" with room for {limit}"));
            }
        }
    }

    #[test]
    fn a_subtree_past_the_log_is_missing_from_the_cache_too() {
        let (_dir, store) = store_of(20);
        let cached = CachedSubtrees::new(&store);
        // Leaves 16..20 are held: a subtree of 8 from leaf 16 is not.
        assert!(matches!(
            cached.perfect_subtree(3, 2),
            Err(SourceError::Missing { level: 3, index: 2 })
        ));
        assert!(matches!(
            cached.perfect_subtree(4, 1),
            Err(SourceError::Missing { level: 4, index: 1 })
        ));
        assert!(cached.perfect_subtree(2, 4).is_ok(), "leaves 16..20 are");
    }
}

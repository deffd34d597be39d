//! The right edge of the tree: the few perfect subtrees (one per set bit of the size) that
//! together make up all leaves so far. It is all the relay needs in memory to append a leaf
//! and compute the new root, and each append says which perfect subtrees it completed, so
//! the store persists exactly those and can later serve any proof.

use super::proofs::{fold_row, perfect_pieces};
use super::{SubtreeSource, TreeError};
use crate::tlog::hash::{Hash, node_hash};

/// The right edge of a tree of `size()` leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// The perfect subtrees left to right, largest first: one per set bit of `size`.
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frontier of the first `size` leaves, from the store's perfect subtrees (one lookup
    /// per set bit of `size`), as the relay does on start.
    pub fn from_perfect_subtrees<S: SubtreeSource>(
        size: u64,
        src: &S,
    ) -> Result<Self, TreeError<S::Error>> {
        let mut hashes = Vec::with_capacity(size.count_ones() as usize);
        for (level, index) in perfect_pieces(0, size) {
            hashes.push(
                src.perfect_subtree(level, index)
                    .map_err(TreeError::Source)?,
            );
        }
        Ok(Frontier { size, hashes })
    }

    /// How many leaves the tree has.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tree head of these leaves.
    pub fn root(&self) -> Hash {
        fold_row(&self.hashes)
    }

    /// The frontier's perfect subtrees as `(level, index, hash)`, left to right.
    pub fn subtrees(&self) -> impl Iterator<Item = (u8, u64, Hash)> + '_ {
        perfect_pieces(0, self.size)
            .zip(&self.hashes)
            .map(|((level, index), hash)| (level, index, *hash))
    }

    /// Appends one leaf and returns every perfect subtree this completed as
    /// `(level, index, hash)`, the leaf itself (level 0) first and the largest last.
    ///
    /// # Panics
    /// When the tree already has 2^64 − 1 leaves (a billion appends a second would take five
    /// centuries to get there).
    pub fn append(&mut self, leaf_hash: Hash) -> Vec<(u8, u64, Hash)> {
        let old_size = self.size;
        let new_size = old_size
            .checked_add(1)
            .expect("a transparency log never reaches 2^64 leaves");
        let mut completed = Vec::with_capacity(old_size.trailing_ones() as usize + 1);
        completed.push((0, old_size, leaf_hash));
        let mut hash = leaf_hash;
        let mut level: u8 = 0;
        // Each set low bit of the old size is a subtree of the same height that the new one
        // now pairs with, as in binary addition's carry.
        while (old_size >> level) & 1 == 1 {
            let Some(left) = self.hashes.pop() else {
                unreachable!("one frontier hash per set bit of the size");
            };
            hash = node_hash(&left, &hash);
            level += 1;
            completed.push((level, (new_size >> level) - 1, hash));
        }
        self.hashes.push(hash);
        self.size = new_size;
        completed
    }
}

//! A whole tree in memory: every perfect subtree, kept as [`Frontier::append`] reports them.
//! For tests, the witness and tools that hold a small log; the relay keeps the same
//! subtrees in its database instead.

use super::{Frontier, SubtreeSource, TreeError};
use super::{consistency_proof, inclusion_proof, root};
use crate::tlog::hash::{Hash, leaf_hash};

/// An append-only tree that holds all its perfect subtrees.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is `perfect_subtree(l, i)`.
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

/// A perfect subtree the tree does not (yet) have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the tree has no perfect subtree at level {level}, index {index}")]
pub struct MissingSubtree {
    pub level: u8,
    pub index: u64,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree of these entries, in order.
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut tree = Self::new();
        for entry in entries {
            tree.push_entry(entry);
        }
        tree
    }

    /// Appends an entry (hashed as a leaf).
    pub fn push_entry(&mut self, data: &[u8]) {
        self.push(leaf_hash(data));
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf_hash: Hash) {
        for (level, index, hash) in self.frontier.append(leaf_hash) {
            let level = usize::from(level);
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            debug_assert_eq!(self.levels[level].len() as u64, index);
            self.levels[level].push(hash);
        }
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The current tree head.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// The tree head at an earlier (or the current) size.
    pub fn root_at(&self, size: u64) -> Result<Hash, TreeError<MissingSubtree>> {
        root(self, size)
    }

    pub fn inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<Vec<Hash>, TreeError<MissingSubtree>> {
        inclusion_proof(self, index, size)
    }

    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, TreeError<MissingSubtree>> {
        consistency_proof(self, old_size, new_size)
    }
}

impl SubtreeSource for MemoryTree {
    type Error = MissingSubtree;

    fn perfect_subtree(&self, level: u8, index: u64) -> Result<Hash, MissingSubtree> {
        let missing = MissingSubtree { level, index };
        let row = self.levels.get(usize::from(level)).ok_or(missing)?;
        let index = usize::try_from(index).map_err(|_overflow| missing)?;
        row.get(index).copied().ok_or(missing)
    }
}

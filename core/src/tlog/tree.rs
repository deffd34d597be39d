//! The log's Merkle tree (RFC 9162 §2.1): tree heads, inclusion and consistency proofs, their
//! verification, and the right edge of the tree the relay appends to.
//!
//! The tree is never held whole. A store (the relay's database, or [`MemoryTree`] in tests
//! and the witness) serves *perfect subtrees*: `perfect_subtree(level, index)` is the Merkle
//! Tree Hash of leaves `[index·2^level, (index+1)·2^level)`, level 0 being the leaf hashes.
//! Every tree of any size is a row of such subtrees (one per set bit of its size), so a root
//! or a proof needs O(log² n) lookups at most and never reads the leaves.
//!
//! - [`root`], [`inclusion_proof`], [`consistency_proof`]: computed from a [`SubtreeSource`],
//!   with the shapes of RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1 (PROOF / SUBPROOF).
//! - [`verify_inclusion`], [`verify_consistency`]: the algorithms of RFC 9162 §2.1.3.2 and
//!   §2.1.4.2, bounded before any hashing.
//! - [`Frontier`]: one hash per set bit of the size; appending a leaf says which perfect
//!   subtrees it completed, which is exactly what a store must persist.

mod frontier;
mod memory;
mod proofs;
mod verify;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

pub use frontier::Frontier;
pub use memory::{MemoryTree, MissingSubtree};
pub use proofs::{consistency_proof, inclusion_proof, root};
pub use verify::{MAX_PROOF_LEN, ProofError, verify_consistency, verify_inclusion};

use super::hash::Hash;

/// Where the tree's perfect subtrees come from: the relay's log table, or memory.
pub trait SubtreeSource {
    type Error;

    /// The Merkle Tree Hash of leaves `[index·2^level, (index+1)·2^level)`; level 0 is the
    /// leaf hash at `index`. Only asked for subtrees that lie wholly inside the tree size the
    /// caller asked about.
    fn perfect_subtree(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

/// Why a root or proof could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError<E> {
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the old tree size {old} is larger than the new size {new}")]
    SizesOutOfOrder { old: u64, new: u64 },
    /// RFC 9162 defines consistency only from a non-empty tree; a client that has seen no
    /// tree head yet has nothing to be consistent with.
    #[error("there is no consistency proof from the empty tree")]
    OldTreeEmpty,
    #[error("the subtree store failed")]
    Source(#[source] E),
}

//! Appending leaves, the same for every backend: from the log's stored head (its size and
//! right edge) and the leaves one transaction appends, what that transaction writes: the
//! leaves by index, every perfect subtree the appends completed from
//! [`LOWEST_STORED_LEVEL`] up (as [`kiosk_core::tlog::tree::Frontier::append`] returns them)
//! and the new head. A backend
//! reads the head, calls [`append`] and writes the result in the transaction that stores
//! what the leaves record, so nothing is accepted without its leaf and no leaf stands for
//! something that was rolled back.

use std::collections::HashMap;

use kiosk_core::tlog::hash::{EMPTY_ROOT, Hash, leaf_hash, node_hash};
use kiosk_core::tlog::tree::{Frontier, SubtreeSource, TreeError};

use super::leaf::{LEAF_LEN, Leaf};

/// The lowest level of perfect subtrees the store keeps. Below it a subtree is computed from
/// its at most 8 leaves when a proof needs it ([`super::source::StoreSubtrees`]): storing
/// levels 0-3 would cost about 15 rows per 16 leaves, most of an append's cost, for lookups
/// a proof makes at most four times.
pub const LOWEST_STORED_LEVEL: u8 = 4;

/// The log's tail as stored: its size and the right edge, one hash per set bit of the size,
/// the largest subtree first (the perfect subtree `(level, (size >> level) - 1)` for each
/// set bit `level`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHead {
    pub size: u64,
    pub frontier: Vec<Hash>,
}

/// Why a stored head does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the log's stored head does not match its size {size}: {found} bytes of right edge")]
pub struct HeadError {
    pub size: u64,
    pub found: usize,
}

impl LogHead {
    pub fn empty() -> LogHead {
        LogHead {
            size: 0,
            frontier: Vec::new(),
        }
    }

    /// From the stored size and right edge (concatenated hashes).
    pub fn decode(size: u64, frontier: &[u8]) -> Result<LogHead, HeadError> {
        let wrong = HeadError {
            size,
            found: frontier.len(),
        };
        if frontier.len() != size.count_ones() as usize * 32 {
            return Err(wrong);
        }
        Ok(LogHead {
            size,
            frontier: frontier
                .chunks_exact(32)
                .map(|chunk| chunk.try_into().expect("32 bytes"))
                .collect(),
        })
    }

    pub fn encode_frontier(&self) -> Vec<u8> {
        self.frontier.concat()
    }

    /// The tree's root (RFC 9162 MTH) from its right edge.
    pub fn root(&self) -> Hash {
        let mut edge = self.frontier.iter().rev();
        let Some(last) = edge.next() else {
            return EMPTY_ROOT;
        };
        edge.fold(*last, |right, left| node_hash(left, &right))
    }
}

/// `(level, index)` of each subtree on the right edge of a tree of `size` leaves, the
/// largest first.
pub fn frontier_positions(size: u64) -> Vec<(u8, u64)> {
    (0..64u8)
        .rev()
        .filter(|level| size >> level & 1 == 1)
        .map(|level| (level, (size >> level) - 1))
        .collect()
}

/// What one transaction writes to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The index of the first leaf in `leaves`.
    pub first_index: u64,
    pub leaves: Vec<[u8; LEAF_LEN]>,
    /// Every perfect subtree completed from [`LOWEST_STORED_LEVEL`] up: `(level, index,
    /// hash)`.
    pub nodes: Vec<(u8, u64, Hash)>,
    pub head: LogHead,
}

/// The right edge as a [`SubtreeSource`] for [`Frontier::from_perfect_subtrees`].
struct Edge(HashMap<(u8, u64), Hash>);

/// The stored right edge lacks a subtree the frontier asked for: the head is inconsistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the log's right edge lacks subtree {level}/{index}")]
pub struct EdgeMissing {
    pub level: u8,
    pub index: u64,
}

impl SubtreeSource for Edge {
    type Error = EdgeMissing;

    fn perfect_subtree(&self, level: u8, index: u64) -> Result<Hash, EdgeMissing> {
        self.0
            .get(&(level, index))
            .copied()
            .ok_or(EdgeMissing { level, index })
    }
}

/// Appends `leaves` after `head`: what to write.
pub fn append(head: &LogHead, leaves: &[Leaf]) -> Result<Appended, EdgeMissing> {
    let known: HashMap<(u8, u64), Hash> = frontier_positions(head.size)
        .into_iter()
        .zip(head.frontier.iter().copied())
        .collect();
    let mut frontier =
        Frontier::from_perfect_subtrees(head.size, &Edge(known)).map_err(|e| match e {
            TreeError::Source(missing) => missing,
            // Sizes and indexes are not what can go wrong in a frontier.
            _ => EdgeMissing { level: 0, index: 0 },
        })?;
    let mut encoded = Vec::with_capacity(leaves.len());
    let mut nodes = Vec::with_capacity(leaves.len() / 8 + 1);
    for leaf in leaves {
        let bytes = leaf.encode();
        nodes.extend(
            frontier
                .append(leaf_hash(&bytes))
                .into_iter()
                .filter(|(level, _, _)| *level >= LOWEST_STORED_LEVEL),
        );
        encoded.push(bytes);
    }
    Ok(Appended {
        first_index: head.size,
        leaves: encoded,
        nodes,
        head: LogHead {
            size: frontier.size(),
            frontier: frontier.subtrees().map(|(_, _, hash)| hash).collect(),
        },
    })
}

#[cfg(test)]
mod tests {
    use kiosk_core::tlog::tree::{MemoryTree, root};

    use super::*;
    use crate::transparency::leaf::LeafKind;

    fn leaf(n: u8) -> Leaf {
        Leaf::change(
            LeafKind::Capture,
            &[n; 32],
            "doc",
            &[n; 32],
            &[1; 32],
            n as i64,
        )
    }

    #[test]
    fn appends_in_several_transactions_give_the_root_of_one_tree() {
        let mut head = LogHead::empty();
        let mut memory = MemoryTree::new();
        let mut written: HashMap<(u8, u64), Hash> = HashMap::new();
        for (round, count) in [1usize, 2, 5, 1, 8, 3, 13, 17, 40].into_iter().enumerate() {
            let leaves: Vec<Leaf> = (0..count).map(|i| leaf((round * 16 + i) as u8)).collect();
            let appended = append(&head, &leaves).expect("appends");
            assert_eq!(appended.first_index, head.size);
            for bytes in &appended.leaves {
                memory.push(leaf_hash(bytes));
            }
            for (level, index, hash) in &appended.nodes {
                assert!(*level >= LOWEST_STORED_LEVEL, "no lower level stored");
                assert!(
                    written.insert((*level, *index), *hash).is_none(),
                    "written once"
                );
            }
            head = appended.head;
            assert_eq!(head.root(), root(&memory, head.size).expect("root"));
            // Every complete subtree of a stored level is stored.
            for level in LOWEST_STORED_LEVEL..64 {
                for index in 0..head.size >> level {
                    assert!(written.contains_key(&(level, index)), "{level}/{index}");
                }
            }
            // Every stored subtree is the tree's.
            for ((level, index), hash) in &written {
                assert_eq!(memory.perfect_subtree(*level, *index).expect("in"), *hash);
            }
            let stored = LogHead::decode(head.size, &head.encode_frontier()).expect("decodes");
            assert_eq!(stored, head);
        }
    }

    #[test]
    fn a_head_whose_edge_does_not_match_its_size_is_refused() {
        assert_eq!(
            LogHead::decode(3, &[0; 32]),
            Err(HeadError { size: 3, found: 32 })
        );
        assert_eq!(LogHead::empty().root(), EMPTY_ROOT);
        assert_eq!(frontier_positions(6), vec![(2, 0), (1, 2)]);
    }
}

//! Roots and proofs computed from perfect subtrees (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1).
//!
//! The recursions are the RFC's, over leaf ranges `[start, end)` instead of copied lists.
//! Every range they hash starts at a multiple of the largest power of two not above its
//! length, so it splits into aligned perfect subtrees (one per set bit of its length): a
//! perfect range is one lookup, and only the ragged right edge costs more.

use super::{SubtreeSource, TreeError};
use crate::tlog::hash::{EMPTY_ROOT, Hash, node_hash};

/// The tree head (Merkle Tree Hash) of the first `size` leaves.
pub fn root<S: SubtreeSource>(src: &S, size: u64) -> Result<Hash, TreeError<S::Error>> {
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    range_hash(src, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1), the
/// sibling next to the leaf first.
pub fn inclusion_proof<S: SubtreeSource>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if index >= size {
        return Err(TreeError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::with_capacity(64);
    path(src, index, 0, size, &mut proof)?;
    Ok(proof)
}

/// The proof that the tree of `old_size` leaves is a prefix of the tree of `new_size`
/// leaves (RFC 9162 §2.1.4.1); empty when the sizes are equal.
pub fn consistency_proof<S: SubtreeSource>(
    src: &S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if old_size > new_size {
        return Err(TreeError::SizesOutOfOrder {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 {
        return Err(TreeError::OldTreeEmpty);
    }
    let mut proof = Vec::with_capacity(128);
    if old_size < new_size {
        subproof(src, old_size, 0, new_size, true, &mut proof)?;
    }
    Ok(proof)
}

/// The perfect subtrees `(level, index)` that make up leaves `[start, start + len)`, left to
/// right (largest first). `start` must be a multiple of the largest of them.
pub(super) fn perfect_pieces(start: u64, len: u64) -> impl Iterator<Item = (u8, u64)> {
    let mut offset = start;
    (0..64u8).rev().filter_map(move |level| {
        if (len >> level) & 1 == 0 {
            return None;
        }
        debug_assert_eq!(offset % (1u64 << level), 0, "unaligned subtree");
        let piece = (level, offset >> level);
        // Cannot overflow: offset + 2^level <= start + len, which fits in u64.
        offset += 1u64 << level;
        Some(piece)
    })
}

/// Folds a row of subtree hashes (left to right) into their Merkle Tree Hash: RFC 9162's
/// split puts the largest power of two on the left, so the row nests to the right.
pub(super) fn fold_row(row: &[Hash]) -> Hash {
    let mut iter = row.iter().rev();
    let Some(last) = iter.next() else {
        return EMPTY_ROOT;
    };
    iter.fold(*last, |right, left| node_hash(left, &right))
}

/// MTH(D[start:end]) for a non-empty, suitably aligned range.
fn range_hash<S: SubtreeSource>(
    src: &S,
    start: u64,
    end: u64,
) -> Result<Hash, TreeError<S::Error>> {
    let mut row = Vec::with_capacity(64);
    for (level, index) in perfect_pieces(start, end - start) {
        row.push(
            src.perfect_subtree(level, index)
                .map_err(TreeError::Source)?,
        );
    }
    Ok(fold_row(&row))
}

/// The largest power of two strictly below `n` (n ≥ 2): RFC 9162's split point `k`.
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// PATH(index, D[start:end]) of RFC 9162 §2.1.3.1.
fn path<S: SubtreeSource>(
    src: &S,
    index: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), TreeError<S::Error>> {
    if end - start <= 1 {
        return Ok(());
    }
    let mid = start + split(end - start);
    if index < mid {
        path(src, index, start, mid, out)?;
        out.push(range_hash(src, mid, end)?);
    } else {
        path(src, index, mid, end, out)?;
        out.push(range_hash(src, start, mid)?);
    }
    Ok(())
}

/// SUBPROOF(old_size, D[start:end], whole) of RFC 9162 §2.1.4.1, with `start < old_size <= end`.
fn subproof<S: SubtreeSource>(
    src: &S,
    old_size: u64,
    start: u64,
    end: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), TreeError<S::Error>> {
    if old_size == end {
        // The old tree's root is this very node: the verifier knows it when the old tree
        // is exactly this subtree, otherwise the proof must carry it.
        if !whole {
            out.push(range_hash(src, start, end)?);
        }
        return Ok(());
    }
    let mid = start + split(end - start);
    if old_size <= mid {
        subproof(src, old_size, start, mid, whole, out)?;
        out.push(range_hash(src, mid, end)?);
    } else {
        subproof(src, old_size, mid, end, false, out)?;
        out.push(range_hash(src, start, mid)?);
    }
    Ok(())
}

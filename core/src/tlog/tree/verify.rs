//! Proof verification, as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) write it.
//!
//! Both check the proof's length against the tree sizes by walking the same counters
//! without hashing first, so a malformed or oversized proof costs no hashing at all.
//! A proof binds a leaf (or an old root) to a root; the tree *size* is bound by the signed
//! checkpoint that carries the root and the size together, which callers must check.

use crate::tlog::hash::{Hash, node_hash};

/// The longest proof accepted: a consistency proof in a tree of 2^64 leaves has at most
/// 2·64 hashes, an inclusion proof at most 64.
pub const MAX_PROOF_LEN: usize = 2 * 64;

/// Why a proof was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the proof has {len} hashes, more than the {MAX_PROOF_LEN} any tree needs")]
    TooLong { len: usize },
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the old tree size {old} is larger than the new size {new}")]
    SizesOutOfOrder { old: u64, new: u64 },
    #[error("there is no consistency proof from the empty tree")]
    OldTreeEmpty,
    #[error("the proof has {got} hashes where these tree sizes need {want}")]
    WrongLength { got: usize, want: usize },
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

/// Checks that `leaf_hash` is leaf number `index` of the tree of `size` leaves whose root is
/// `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(ProofError::TooLong { len: proof.len() });
    }
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let want = inclusion_len(index, size);
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }

    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want,
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root` (RFC 9162 §2.1.4.2). Equal sizes need an empty
/// proof and equal roots; a different root at the same size is a fork.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(ProofError::TooLong { len: proof.len() });
    }
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 {
        return Err(ProofError::OldTreeEmpty);
    }
    let want = consistency_len(old_size, new_size);
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    if old_size == new_size {
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }

    // Step 2: an old tree that is a perfect subtree is not repeated in the proof.
    let (seed, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        // Cannot be empty: the length check above guarantees at least one hash here.
        let Some((first, rest)) = proof.split_first() else {
            return Err(ProofError::WrongLength { got: 0, want });
        };
        (first, rest)
    };
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr = *seed;
    let mut sr = *seed;
    for c in rest {
        if sn == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want,
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// How many hashes the RFC 9162 §2.1.3.2 walk consumes for `index < size`.
fn inclusion_len(index: u64, size: u64) -> usize {
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut len = 0;
    while sn != 0 {
        if fn_ & 1 == 0 && fn_ == sn {
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        }
        fn_ >>= 1;
        sn >>= 1;
        len += 1;
    }
    len
}

/// How many hashes the RFC 9162 §2.1.4.2 walk consumes for `0 < old_size <= new_size`.
fn consistency_len(old_size: u64, new_size: u64) -> usize {
    if old_size == new_size {
        return 0;
    }
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // The first hash seeds the walk unless the old tree is a perfect subtree.
    let mut len = usize::from(!old_size.is_power_of_two());
    while sn != 0 {
        if fn_ & 1 == 0 && fn_ == sn {
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        }
        fn_ >>= 1;
        sn >>= 1;
        len += 1;
    }
    len
}

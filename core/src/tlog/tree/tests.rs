//! The tree against an independent implementation written here from RFC 6962 §2.1's
//! recursive definitions (MTH, PATH, PROOF/SUBPROOF), against ct-merkle 0.3, and the
//! lookup bound the relay depends on.

use std::cell::Cell;

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use super::*;
use crate::tlog::hash::{EMPTY_ROOT, leaf_hash};

// ---- RFC 6962 §2.1, written straight from the text, sharing no code with the module ----

type H = [u8; 32];

fn rfc_leaf(data: &[u8]) -> H {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(data);
    hasher.finalize().into()
}

fn rfc_node(left: &H, right: &H) -> H {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// "k is the largest power of two smaller than n (i.e., k < n <= 2k)".
fn rfc_k(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) over the leaf hashes `hashes[i] = MTH({d(i)})`.
fn rfc_mth(hashes: &[H]) -> H {
    match hashes.len() {
        0 => Sha256::digest(b"").into(),
        1 => hashes[0],
        n => {
            let k = rfc_k(n);
            rfc_node(&rfc_mth(&hashes[..k]), &rfc_mth(&hashes[k..]))
        }
    }
}

/// PATH(m, D[n]).
fn rfc_path(m: usize, hashes: &[H]) -> Vec<H> {
    let n = hashes.len();
    if n == 1 {
        return Vec::new();
    }
    let k = rfc_k(n);
    if m < k {
        let mut path = rfc_path(m, &hashes[..k]);
        path.push(rfc_mth(&hashes[k..]));
        path
    } else {
        let mut path = rfc_path(m - k, &hashes[k..]);
        path.push(rfc_mth(&hashes[..k]));
        path
    }
}

/// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
fn rfc_proof(m: usize, hashes: &[H]) -> Vec<H> {
    rfc_subproof(m, hashes, true)
}

fn rfc_subproof(m: usize, hashes: &[H], b: bool) -> Vec<H> {
    let n = hashes.len();
    if m == n {
        return if b { Vec::new() } else { vec![rfc_mth(hashes)] };
    }
    let k = rfc_k(n);
    if m <= k {
        let mut proof = rfc_subproof(m, &hashes[..k], b);
        proof.push(rfc_mth(&hashes[k..]));
        proof
    } else {
        let mut proof = rfc_subproof(m - k, &hashes[k..], false);
        proof.push(rfc_mth(&hashes[..k]));
        proof
    }
}

// ---- helpers ----

fn entries(n: usize, salt: u64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("entry {i} of {salt}").into_bytes())
        .collect()
}

fn flip(hash: &H, bit: usize) -> H {
    let mut altered = *hash;
    altered[bit / 8 % 32] ^= 1 << (bit % 8);
    altered
}

/// Checks every inclusion and consistency proof of a tree of these entries against the RFC
/// definitions, and that altering any part of each makes it fail.
fn check_tree(entries: &[Vec<u8>], bit: usize) {
    let hashes: Vec<H> = entries.iter().map(|e| rfc_leaf(e)).collect();
    let tree = MemoryTree::from_entries(entries.iter().map(Vec::as_slice));
    let n = hashes.len();
    let roots: Vec<H> = (0..=n).map(|size| rfc_mth(&hashes[..size])).collect();
    assert_eq!(tree.root(), roots[n]);

    for (size, want) in roots.iter().enumerate() {
        assert_eq!(tree.root_at(size as u64), Ok(*want), "root at {size}");
    }

    for index in 0..n {
        let proof = tree.inclusion_proof(index as u64, n as u64).expect("proof");
        assert_eq!(proof, rfc_path(index, &hashes), "PATH({index}, D[{n}])");
        let leaf = hashes[index];
        let root = roots[n];
        assert_eq!(
            verify_inclusion(&leaf, index as u64, n as u64, &proof, &root),
            Ok(())
        );

        // Any altered hash fails.
        assert!(
            verify_inclusion(&flip(&leaf, bit), index as u64, n as u64, &proof, &root).is_err()
        );
        assert!(
            verify_inclusion(&leaf, index as u64, n as u64, &proof, &flip(&root, bit)).is_err()
        );
        for i in 0..proof.len() {
            let mut altered = proof.clone();
            altered[i] = flip(&altered[i], bit);
            assert!(verify_inclusion(&leaf, index as u64, n as u64, &altered, &root).is_err());
        }
        // Another index fails.
        for other in [index.wrapping_sub(1), index + 1, index ^ 2] {
            if other != index && other < n {
                assert!(
                    verify_inclusion(&leaf, other as u64, n as u64, &proof, &root).is_err(),
                    "leaf {index} of {n} verified at {other}"
                );
            }
        }
        // Another tree head (size and its root) fails.
        for other in [n - 1, n + 1, 2 * n, n / 2] {
            if other != n && other > index && other <= n {
                assert!(
                    verify_inclusion(&leaf, index as u64, other as u64, &proof, &roots[other])
                        .is_err(),
                    "leaf {index} of {n} verified in size {other}"
                );
            }
        }
        // Too short or too long fails.
        if let Some((_, shorter)) = proof.split_last() {
            assert!(verify_inclusion(&leaf, index as u64, n as u64, shorter, &root).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root);
        assert!(verify_inclusion(&leaf, index as u64, n as u64, &longer, &root).is_err());
    }

    for old in 1..=n {
        let proof = tree.consistency_proof(old as u64, n as u64).expect("proof");
        assert_eq!(proof, rfc_proof(old, &hashes), "PROOF({old}, D[{n}])");
        let (old_root, new_root) = (roots[old], roots[n]);
        assert_eq!(
            verify_consistency(old as u64, n as u64, &old_root, &new_root, &proof),
            Ok(()),
            "PROOF({old}, D[{n}])"
        );
        assert!(
            verify_consistency(
                old as u64,
                n as u64,
                &flip(&old_root, bit),
                &new_root,
                &proof
            )
            .is_err()
        );
        assert!(
            verify_consistency(
                old as u64,
                n as u64,
                &old_root,
                &flip(&new_root, bit),
                &proof
            )
            .is_err()
        );
        for i in 0..proof.len() {
            let mut altered = proof.clone();
            altered[i] = flip(&altered[i], bit);
            assert!(
                verify_consistency(old as u64, n as u64, &old_root, &new_root, &altered).is_err(),
                "altered hash {i} of PROOF({old}, D[{n}]) verified"
            );
        }
        // Another old tree head, or another new one, fails.
        for other in [old - 1, old + 1, old * 2, old / 2] {
            if other != old && other >= 1 && other <= n {
                assert!(
                    verify_consistency(other as u64, n as u64, &roots[other], &new_root, &proof)
                        .is_err(),
                    "PROOF({old}, D[{n}]) verified from {other}"
                );
            }
        }
        for other in [n - 1, n + 1, 2 * n] {
            if other != n && other >= old && other <= n {
                assert!(
                    verify_consistency(old as u64, other as u64, &old_root, &roots[other], &proof)
                        .is_err(),
                    "PROOF({old}, D[{n}]) verified to {other}"
                );
            }
        }
        let mut longer = proof.clone();
        longer.push(new_root);
        assert!(verify_consistency(old as u64, n as u64, &old_root, &new_root, &longer).is_err());
        if let Some((_, shorter)) = proof.split_last() {
            assert!(
                verify_consistency(old as u64, n as u64, &old_root, &new_root, shorter).is_err()
            );
        }
    }
}

// ---- properties ----

#[test]
fn every_proof_of_every_tree_up_to_64_leaves_matches_rfc6962_and_refuses_alterations() {
    for n in 1..=64 {
        check_tree(&entries(n, n as u64), n * 7);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn every_proof_of_random_trees_up_to_300_leaves_matches_rfc6962_and_refuses_alterations(
        entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..300),
        bit in 0usize..256,
    ) {
        check_tree(&entries, bit);
    }

    #[test]
    fn frontier_appends_give_rfc6962_roots_and_return_exactly_the_completed_subtrees(
        entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..300),
    ) {
        let hashes: Vec<H> = entries.iter().map(|e| rfc_leaf(e)).collect();
        let mut frontier = Frontier::new();
        prop_assert_eq!(frontier.root(), EMPTY_ROOT);
        let mut tree = MemoryTree::new();
        for (i, entry) in entries.iter().enumerate() {
            let completed = frontier.append(leaf_hash(entry));
            tree.push_entry(entry);
            let size = i + 1;
            // A subtree of height l ends here exactly when 2^l divides the new size.
            let expected: Vec<(u8, u64, H)> = (0..=size.trailing_zeros())
                .map(|l| {
                    let width = 1usize << l;
                    let start = size - width;
                    (l as u8, (start / width) as u64, rfc_mth(&hashes[start..size]))
                })
                .collect();
            prop_assert_eq!(completed, expected);
            prop_assert_eq!(frontier.size(), size as u64);
            prop_assert_eq!(frontier.root(), rfc_mth(&hashes[..size]));
            prop_assert_eq!(frontier.subtrees().count(), size.count_ones() as usize);
        }
        for size in 0..=entries.len() as u64 {
            let rebuilt = Frontier::from_perfect_subtrees(size, &tree).expect("subtrees");
            prop_assert_eq!(rebuilt.root(), rfc_mth(&hashes[..size as usize]));
        }
        prop_assert_eq!(Frontier::from_perfect_subtrees(entries.len() as u64, &tree), Ok(frontier));
    }

    /// ct-merkle 0.3 (an independent, maintained RFC 6962 implementation) computes the same
    /// roots and byte-identical proofs, and accepts ours.
    #[test]
    fn proofs_are_byte_identical_to_ct_merkle_and_verify_with_it(
        entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..200),
    ) {
        use ct_merkle::mem_backed_tree::MemoryBackedTree;
        use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};

        let mut theirs = MemoryBackedTree::<Sha256, Vec<u8>>::new();
        let mut old_roots = Vec::new();
        for entry in &entries {
            theirs.push(entry.clone());
            old_roots.push(theirs.root());
        }
        let ours = MemoryTree::from_entries(entries.iter().map(Vec::as_slice));
        let n = entries.len();
        let their_root = theirs.root();
        prop_assert_eq!(their_root.as_bytes().to_vec(), ours.root().to_vec());

        for (index, entry) in entries.iter().enumerate() {
            let proof = ours.inclusion_proof(index as u64, n as u64).expect("proof");
            prop_assert_eq!(theirs.prove_inclusion(index).as_bytes().to_vec(), proof.concat());
            let proof = InclusionProof::<Sha256>::from_digests(
                proof.iter().map(<&ct_merkle::digest::Output<Sha256>>::from),
            );
            prop_assert!(their_root.verify_inclusion(entry, index as u64, &proof).is_ok());
        }
        for old in 1..=n {
            let proof = ours.consistency_proof(old as u64, n as u64).expect("proof");
            prop_assert_eq!(theirs.prove_consistency(n - old).as_bytes().to_vec(), proof.concat());
            let old_root: &RootHash<Sha256> = &old_roots[old - 1];
            let proof = ConsistencyProof::<Sha256>::from_digests(
                proof.iter().map(<&ct_merkle::digest::Output<Sha256>>::from),
            );
            prop_assert!(their_root.verify_consistency(old_root, &proof).is_ok());
        }
    }
}

// ---- bounds ----

/// A stand-in for the relay's database: any perfect subtree, made up, with every lookup
/// counted. The hashes do not form a real tree; only the number of lookups matters here.
struct CountingSource {
    lookups: Cell<u64>,
}

impl SubtreeSource for CountingSource {
    type Error = std::convert::Infallible;

    fn perfect_subtree(&self, level: u8, index: u64) -> Result<Hash, Self::Error> {
        self.lookups.set(self.lookups.get() + 1);
        let mut data = [0u8; 9];
        data[0] = level;
        data[1..].copy_from_slice(&index.to_be_bytes());
        Ok(leaf_hash(&data))
    }
}

#[test]
fn proofs_at_a_million_leaves_and_beyond_take_at_most_log_squared_lookups() {
    let src = CountingSource {
        lookups: Cell::new(0),
    };
    for size in [1_000_000u64, 1_048_577, (1 << 40) + 12_345, u64::MAX] {
        let log = u64::from(64 - size.leading_zeros());
        let bound = log * log;
        for index in [0, 1, size / 2, size - 2, size - 1] {
            src.lookups.set(0);
            let proof = inclusion_proof(&src, index, size).expect("proof");
            assert!(proof.len() as u64 <= log);
            assert!(src.lookups.get() <= bound, "{} lookups", src.lookups.get());
        }
        for old in [1, 2, 3, size / 3, size - 1, size] {
            src.lookups.set(0);
            let proof = consistency_proof(&src, old, size).expect("proof");
            assert!(proof.len() <= MAX_PROOF_LEN);
            assert!(src.lookups.get() <= bound, "{} lookups", src.lookups.get());
        }
        src.lookups.set(0);
        root(&src, size).expect("root");
        assert_eq!(src.lookups.get(), u64::from(size.count_ones()));
    }
}

#[test]
fn refusals_name_what_was_wrong_before_any_hashing() {
    let h = leaf_hash(b"x");
    let too_long = vec![h; MAX_PROOF_LEN + 1];
    assert_eq!(
        verify_inclusion(&h, 0, 2, &too_long, &h),
        Err(ProofError::TooLong {
            len: MAX_PROOF_LEN + 1
        })
    );
    assert_eq!(
        verify_consistency(1, 2, &h, &h, &too_long),
        Err(ProofError::TooLong {
            len: MAX_PROOF_LEN + 1
        })
    );
    assert_eq!(
        verify_inclusion(&h, 2, 2, &[h], &h),
        Err(ProofError::IndexOutOfRange { index: 2, size: 2 })
    );
    assert_eq!(
        verify_inclusion(&h, 0, 4, &[h], &h),
        Err(ProofError::WrongLength { got: 1, want: 2 })
    );
    assert_eq!(
        verify_consistency(3, 2, &h, &h, &[]),
        Err(ProofError::SizesOutOfOrder { old: 3, new: 2 })
    );
    assert_eq!(
        verify_consistency(0, 2, &EMPTY_ROOT, &h, &[]),
        Err(ProofError::OldTreeEmpty)
    );
    // The same size with another root is a fork.
    assert_eq!(
        verify_consistency(5, 5, &h, &EMPTY_ROOT, &[]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(verify_consistency(5, 5, &h, &h, &[]), Ok(()));

    let tree = MemoryTree::from_entries([b"a".as_slice(), b"b"]);
    assert_eq!(
        tree.inclusion_proof(2, 2),
        Err(TreeError::IndexOutOfRange { index: 2, size: 2 })
    );
    assert_eq!(
        tree.consistency_proof(2, 1),
        Err(TreeError::SizesOutOfOrder { old: 2, new: 1 })
    );
    assert_eq!(tree.consistency_proof(0, 2), Err(TreeError::OldTreeEmpty));
    // A size the store has not reached is a store error, not a wrong proof.
    assert_eq!(
        tree.inclusion_proof(0, 3),
        Err(TreeError::Source(MissingSubtree { level: 0, index: 2 }))
    );
}

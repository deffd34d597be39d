//! RFC 9162 §2.1.1 Merkle tree hashing with SHA-256: the domain-separated leaf and node
//! hashes every other part of the log (proofs, frontier, checkpoints) is built from.

use sha2::{Digest, Sha256};

/// A SHA-256 output: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The prefix byte of a leaf hash; a leaf can never be mistaken for a node.
const LEAF_PREFIX: u8 = 0x00;
/// The prefix byte of an interior node hash.
const NODE_PREFIX: u8 = 0x01;

/// The hash of one log entry: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([LEAF_PREFIX])
        .chain_update(data)
        .finalize()
        .into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([NODE_PREFIX])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        let computed: Hash = Sha256::digest(b"").into();
        assert_eq!(EMPTY_ROOT, computed);
    }

    /// RFC 6962 test vectors as transparency-dev/merkle's `rfc6962_test.go` states them.
    #[test]
    fn leaf_and_node_hashes_match_the_rfc6962_vectors() {
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            hex::encode(leaf_hash(b"L123456")),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
        );
        // The first two of RFC 6962's eight test leaves ("" and 00) and their parent, from
        // transparency-dev/merkle's `testonly/constants.go`.
        assert_eq!(
            hex::encode(leaf_hash(&[0x00])),
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
        );
        let left = leaf_hash(b"");
        let right = leaf_hash(&[0x00]);
        assert_eq!(
            hex::encode(node_hash(&left, &right)),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
        );
        assert_ne!(node_hash(&left, &right), node_hash(&right, &left));
    }
}

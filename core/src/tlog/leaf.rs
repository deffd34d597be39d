//! The log's leaf format as far as every party recomputes it: the layout, and the record
//! commitment and change subject hashed under a record's nonce (`docs/provenance.md`,
//! "Leaves"). The relay builds its leaves with these functions and a tablet recomputes them
//! to know that a proven leaf is about the very document and change it sent: one
//! implementation, so the two can never drift apart.
//!
//! A leaf is 106 bytes, fixed: `version (1) ‖ kind (1) ‖ record commitment (32) ‖
//! subject (32) ‖ author (32) ‖ accepted-at (8, ms since the Unix epoch, big endian)`.

use sha2::{Digest, Sha256};

/// The leaf format this build writes and reads.
pub const LEAF_VERSION: u8 = 1;

/// Bytes of every leaf of [`LEAF_VERSION`].
pub const LEAF_LEN: usize = 1 + 1 + 32 + 32 + 32 + 8;

/// Where a leaf's parts lie in its bytes.
pub const RECORD: std::ops::Range<usize> = 2..34;
pub const SUBJECT: std::ops::Range<usize> = 34..66;
pub const AUTHOR: std::ops::Range<usize> = 66..98;

/// The tag of [`record_commitment`].
pub const RECORD_TAG: &[u8] = b"kiosk-tlog-record-v1";

/// The tag of [`change_subject`].
pub const CHANGE_TAG: &[u8] = b"kiosk-tlog-change-v1";

/// A record's nonce: 32 random bytes the relay keeps beside the record and erases with it.
/// Without it nobody can tell which document or change a leaf is about.
pub type Nonce = [u8; 32];

/// SHA-256(`tag` ‖ each of `parts`), the one way every leaf field is hashed.
pub fn tagged_hash(tag: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut hash = Sha256::new().chain_update(tag);
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

/// SHA-256("kiosk-tlog-record-v1" ‖ nonce ‖ doc id).
pub fn record_commitment(nonce: &Nonce, doc_id: &str) -> [u8; 32] {
    tagged_hash(RECORD_TAG, &[nonce, doc_id.as_bytes()])
}

/// SHA-256("kiosk-tlog-change-v1" ‖ nonce ‖ change hash).
pub fn change_subject(nonce: &Nonce, change_hash: &[u8; 32]) -> [u8; 32] {
    tagged_hash(CHANGE_TAG, &[nonce, change_hash])
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_commitment_and_subject_are_the_documented_hashes() {
        let mut expected = Sha256::new();
        expected.update(b"kiosk-tlog-record-v1");
        expected.update([7u8; 32]);
        expected.update(b"doc");
        let expected: [u8; 32] = expected.finalize().into();
        assert_eq!(record_commitment(&[7; 32], "doc"), expected);
        let mut expected = Sha256::new();
        expected.update(b"kiosk-tlog-change-v1");
        expected.update([7u8; 32]);
        expected.update([9u8; 32]);
        let expected: [u8; 32] = expected.finalize().into();
        assert_eq!(change_subject(&[7; 32], &[9; 32]), expected);
    }

    proptest! {
        /// A commitment recomputes from its nonce and document alone, and names no other
        /// document or nonce: what lets a tablet tell a leaf about its record from any other.
        #[test]
        fn a_commitment_recomputes_and_matches_only_its_own_nonce_and_document(
            nonce in any::<[u8; 32]>(),
            other_nonce in any::<[u8; 32]>(),
            doc in "[0-9a-f-]{1,40}",
            other_doc in "[0-9a-f-]{1,40}",
            change in any::<[u8; 32]>(),
            other_change in any::<[u8; 32]>(),
        ) {
            prop_assert_eq!(record_commitment(&nonce, &doc), record_commitment(&nonce, &doc));
            prop_assert_eq!(
                record_commitment(&nonce, &doc) == record_commitment(&nonce, &other_doc),
                doc == other_doc
            );
            prop_assert_eq!(
                record_commitment(&nonce, &doc) == record_commitment(&other_nonce, &doc),
                nonce == other_nonce
            );
            prop_assert_eq!(
                change_subject(&nonce, &change) == change_subject(&nonce, &other_change),
                change == other_change
            );
            // The two tags keep a change's subject apart from any record's commitment.
            prop_assert_ne!(change_subject(&nonce, &change), record_commitment(&nonce, &doc));
        }
    }
}

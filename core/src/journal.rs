//! The hash-chained journal of captures. Each entry commits to the one before it, so a
//! tablet's journal head names its whole capture history; the relay recomputes the chain
//! from what it receives and signs only heads it computed itself.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::RegistrationId;

const JOURNAL_TAG: &[u8] = b"kiosk-journal-v1";

/// The hash before the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// One capture in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// 1 for the first capture, then one more each time.
    pub seq: u64,
    pub doc_id: RegistrationId,
    pub change_hashes: Vec<[u8; 32]>,
    pub previous: [u8; 32],
    pub hash: [u8; 32],
}

/// How many captures a journal holds and the hash of the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHead {
    pub count: u64,
    pub head: [u8; 32],
}

impl JournalHead {
    pub const EMPTY: JournalHead = JournalHead {
        count: 0,
        head: GENESIS,
    };

    /// The entry that follows this head.
    pub fn next(&self, doc_id: &RegistrationId, change_hashes: Vec<[u8; 32]>) -> JournalEntry {
        let seq = self.count + 1;
        let hash = entry_hash(seq, doc_id, &change_hashes, &self.head);
        JournalEntry {
            seq,
            doc_id: doc_id.clone(),
            change_hashes,
            previous: self.head,
            hash,
        }
    }

    /// The short hex form people compare on screens: the first 8 bytes.
    pub fn short(&self) -> String {
        hex::encode(&self.head[..8])
    }
}

/// The hash of an entry: tag, sequence, id, hashes and the previous hash, length-prefixed.
pub fn entry_hash(
    seq: u64,
    doc_id: &RegistrationId,
    change_hashes: &[[u8; 32]],
    previous: &[u8; 32],
) -> [u8; 32] {
    let id = doc_id.as_str().as_bytes();
    let mut hasher = Sha256::new();
    hasher.update(JOURNAL_TAG);
    hasher.update(seq.to_be_bytes());
    hasher.update((id.len() as u32).to_be_bytes());
    hasher.update(id);
    hasher.update((change_hashes.len() as u32).to_be_bytes());
    for hash in change_hashes {
        hasher.update(hash);
    }
    hasher.update(previous);
    hasher.finalize().into()
}

/// Where a journal's chain breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("journal entry {seq} is out of sequence")]
    Gap { seq: u64 },
    #[error("journal entry {seq} does not follow the entry before it")]
    Broken { seq: u64 },
    #[error("journal entry {seq} does not hash to its recorded hash")]
    Altered { seq: u64 },
}

/// Checks a whole journal from its first entry and returns its head.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a JournalEntry>,
) -> Result<JournalHead, ChainError> {
    let mut head = JournalHead::EMPTY;
    for entry in entries {
        if entry.seq != head.count + 1 {
            return Err(ChainError::Gap { seq: entry.seq });
        }
        if entry.previous != head.head {
            return Err(ChainError::Broken { seq: entry.seq });
        }
        let expected = entry_hash(
            entry.seq,
            &entry.doc_id,
            &entry.change_hashes,
            &entry.previous,
        );
        if expected != entry.hash {
            return Err(ChainError::Altered { seq: entry.seq });
        }
        head = JournalHead {
            count: entry.seq,
            head: entry.hash,
        };
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ids::Timestamp;

    fn chain(length: usize) -> Vec<JournalEntry> {
        let mut head = JournalHead::EMPTY;
        (0..length)
            .map(|i| {
                let id = RegistrationId::from_parts(Timestamp(i as i64), [i as u8; 10]);
                let entry = head.next(&id, vec![[i as u8; 32]]);
                head = JournalHead {
                    count: entry.seq,
                    head: entry.hash,
                };
                entry
            })
            .collect()
    }

    proptest! {
        #[test]
        fn any_change_to_any_entry_breaks_the_chain(length in 1usize..20, victim in 0usize..20, what in 0u8..4) {
            let mut entries = chain(length);
            let head = verify_chain(&entries).expect("intact");
            prop_assert_eq!(head.count, length as u64);
            let victim = victim % length;
            match what {
                0 => entries[victim].change_hashes[0][0] ^= 1,
                1 => entries[victim].doc_id = RegistrationId::from_parts(Timestamp(99), [99; 10]),
                2 => entries[victim].previous[0] ^= 1,
                _ => { entries.remove(victim); }
            }
            let result = verify_chain(&entries);
            let truncated_at_end = what == 3 && victim == length - 1;
            if truncated_at_end {
                prop_assert_ne!(result.map(|h| h.head), Ok(head.head));
            } else {
                prop_assert!(result.is_err());
            }
        }
    }
}

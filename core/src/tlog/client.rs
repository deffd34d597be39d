//! What every client of the log checks (a tablet after each sync, the witness before it
//! cosigns, `verify-log` against a saved checkpoint), so they all decide the same way:
//! opening a signed checkpoint with the log's pinned key, and whether a newer checkpoint
//! extends the one the client already holds (C2SP tlog-witness's rules: a smaller size, or
//! another root at the same size, is a fork; otherwise the consistency proof decides).
//!
//! Storing the accepted checkpoint (by compare-and-swap) and keeping evidence of a fork are
//! the callers'; this module only decides.

use super::checkpoint::{Checkpoint, CheckpointError};
use super::hash::{EMPTY_ROOT, Hash};
use super::note::{NoteError, NoteVerifier, OpenedNote, open};
use super::tree::{ProofError, verify_consistency};

/// A checkpoint whose signature by the log's key verified, with the note it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    /// The signed note verbatim (log signature and any cosignatures), to keep as evidence
    /// and pass on.
    pub note: String,
    /// Signature lines by keys other than the log's (witnesses' cosignatures among them).
    pub unverified_lines: usize,
}

/// Why a signed checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenCheckpointError {
    #[error("the checkpoint note: {0}")]
    Note(#[from] NoteError),
    #[error("the checkpoint text: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("the checkpoint is for log {found:?}, not {expected:?}")]
    WrongOrigin { expected: String, found: String },
}

/// Opens a checkpoint note with the log's key. The key's name must be the checkpoint's
/// origin (as the C2SP checkpoint spec recommends and our relay does), so a key that signs
/// for two logs cannot pass one log's tree head off as the other's.
pub fn open_checkpoint(
    note: &str,
    log: &NoteVerifier,
) -> Result<SignedCheckpoint, OpenCheckpointError> {
    let OpenedNote {
        text,
        unverified_lines,
        ..
    } = open(note, std::slice::from_ref(log))?;
    let checkpoint = Checkpoint::parse(&text)?;
    if checkpoint.origin != log.name() {
        return Err(OpenCheckpointError::WrongOrigin {
            expected: log.name().to_owned(),
            found: checkpoint.origin,
        });
    }
    Ok(SignedCheckpoint {
        checkpoint,
        note: note.to_owned(),
        unverified_lines,
    })
}

/// Why a newer checkpoint does not extend the one a client holds. Every variant but
/// `OriginChanged` is evidence that the log showed two histories (keep both checkpoints and
/// the proof).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtendError {
    #[error("the new checkpoint is for log {new:?}, the held one for {old:?}")]
    OriginChanged { old: String, new: String },
    #[error("the log shrank from {old} to {new} leaves")]
    Shrank { old: u64, new: u64 },
    #[error("the log shows another root at the same size {size}")]
    RootChanged { size: u64 },
    #[error("a checkpoint of size 0 must have the empty tree's root")]
    EmptyTreeRoot,
    #[error("the consistency proof from {old} to {new} leaves fails: {error}")]
    Inconsistent {
        old: u64,
        new: u64,
        error: ProofError,
    },
}

/// Checks that `new` extends `old`: same log, not smaller, and `proof` proves `old`'s tree a
/// prefix of `new`'s (an empty proof when the sizes are equal, which then needs equal roots;
/// none needed from the empty tree).
pub fn check_extends(
    old: &Checkpoint,
    new: &Checkpoint,
    proof: &[Hash],
) -> Result<(), ExtendError> {
    if old.origin != new.origin {
        return Err(ExtendError::OriginChanged {
            old: old.origin.clone(),
            new: new.origin.clone(),
        });
    }
    if (old.size == 0 && old.root != EMPTY_ROOT) || (new.size == 0 && new.root != EMPTY_ROOT) {
        return Err(ExtendError::EmptyTreeRoot);
    }
    if new.size < old.size {
        return Err(ExtendError::Shrank {
            old: old.size,
            new: new.size,
        });
    }
    if new.size == old.size && new.root != old.root {
        return Err(ExtendError::RootChanged { size: new.size });
    }
    if old.size == 0 {
        // Every tree extends the empty one; there is no proof to check (RFC 9162 has none).
        return Ok(());
    }
    verify_consistency(old.size, new.size, &old.root, &new.root, proof).map_err(|error| {
        ExtendError::Inconsistent {
            old: old.size,
            new: new.size,
            error,
        }
    })
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::tlog::cosignature::CosignatureSigner;
    use crate::tlog::note::NoteSigner;
    use crate::tlog::tree::MemoryTree;

    const LOG: &str = "relay.example.se/kiosk-log";

    fn log_signer() -> NoteSigner {
        NoteSigner::new(LOG, &SigningKey::from_bytes(&[1; 32])).expect("log key")
    }

    fn tree(n: u64) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for i in 0..n {
            tree.push_entry(&i.to_be_bytes());
        }
        tree
    }

    fn head(tree: &MemoryTree, size: u64) -> Checkpoint {
        Checkpoint::new(LOG, size, tree.root_at(size).expect("root"))
    }

    #[test]
    fn a_signed_checkpoint_opens_with_the_log_key_and_keeps_its_cosignatures() {
        let body = head(&tree(5), 5).to_body();
        let witness = CosignatureSigner::new(
            "archive.example.se/witness",
            &SigningKey::from_bytes(&[2; 32]),
        )
        .expect("witness");
        let note = format!(
            "{}{}",
            log_signer().sign(&body).expect("signed"),
            witness.cosign(&body, 1_700_000_000).expect("cosigned")
        );
        let opened = open_checkpoint(&note, &log_signer().verifier()).expect("opens");
        assert_eq!(opened.checkpoint, head(&tree(5), 5));
        assert_eq!(opened.note, note);
        assert_eq!(opened.unverified_lines, 1);
    }

    #[test]
    fn another_key_another_origin_or_a_non_checkpoint_is_refused() {
        let body = head(&tree(5), 5).to_body();
        let note = log_signer().sign(&body).expect("signed");
        let other = NoteSigner::new(LOG, &SigningKey::from_bytes(&[9; 32])).expect("other key");
        assert_eq!(
            open_checkpoint(&note, &other.verifier()),
            Err(OpenCheckpointError::Note(NoteError::NoVerifiedSignature))
        );
        // The same key under another log's name: that log's checkpoint is not ours.
        let elsewhere = NoteSigner::new("elsewhere.example/log", &SigningKey::from_bytes(&[1; 32]))
            .expect("key");
        let foreign = elsewhere
            .sign(&Checkpoint::new("elsewhere.example/log", 1, [0; 32]).to_body())
            .expect("signed");
        let renamed = NoteSigner::new("elsewhere.example/log", &SigningKey::from_bytes(&[1; 32]))
            .expect("key")
            .sign(&head(&tree(5), 5).to_body())
            .expect("signed");
        assert!(open_checkpoint(&foreign, &elsewhere.verifier()).is_ok());
        assert_eq!(
            open_checkpoint(&renamed, &elsewhere.verifier()),
            Err(OpenCheckpointError::WrongOrigin {
                expected: "elsewhere.example/log".into(),
                found: LOG.into()
            })
        );
        let not_a_checkpoint = log_signer().sign("hello\n").expect("signed");
        assert_eq!(
            open_checkpoint(&not_a_checkpoint, &log_signer().verifier()),
            Err(OpenCheckpointError::Checkpoint(
                CheckpointError::TooFewLines
            ))
        );
    }

    #[test]
    fn a_grown_log_with_its_proof_extends_every_earlier_checkpoint() {
        let t = tree(40);
        for old in 0..=40 {
            for new in old..=40 {
                let proof = if old == 0 {
                    Vec::new()
                } else {
                    t.consistency_proof(old, new).expect("proof")
                };
                assert_eq!(
                    check_extends(&head(&t, old), &head(&t, new), &proof),
                    Ok(())
                );
            }
        }
    }

    #[test]
    fn shrinking_another_root_a_bad_proof_or_another_log_is_refused() {
        let t = tree(20);
        let proof = t.consistency_proof(7, 20).expect("proof");
        assert_eq!(
            check_extends(&head(&t, 20), &head(&t, 7), &[]),
            Err(ExtendError::Shrank { old: 20, new: 7 })
        );
        // A different history of the same size (a split view or an edited log).
        let other = {
            let mut other = tree(19);
            other.push_entry(b"rewritten");
            other
        };
        assert_eq!(
            check_extends(&head(&t, 20), &head(&other, 20), &[]),
            Err(ExtendError::RootChanged { size: 20 })
        );
        // The right proof for the right sizes, but the new tree is another one.
        assert!(matches!(
            check_extends(&head(&t, 7), &head(&other, 20), &proof),
            Err(ExtendError::Inconsistent {
                old: 7,
                new: 20,
                error: ProofError::RootMismatch
            })
        ));
        let mut altered = proof.clone();
        altered[0][0] ^= 1;
        assert!(matches!(
            check_extends(&head(&t, 7), &head(&t, 20), &altered),
            Err(ExtendError::Inconsistent { .. })
        ));
        assert!(matches!(
            check_extends(&head(&t, 7), &head(&t, 20), &proof[1..]),
            Err(ExtendError::Inconsistent {
                error: ProofError::WrongLength { .. },
                ..
            })
        ));
        let mut foreign = head(&t, 20);
        foreign.origin = "elsewhere.example/log".into();
        assert!(matches!(
            check_extends(&head(&t, 7), &foreign, &proof),
            Err(ExtendError::OriginChanged { .. })
        ));
        let bogus_empty = Checkpoint::new(LOG, 0, [1; 32]);
        assert_eq!(
            check_extends(&bogus_empty, &head(&t, 20), &[]),
            Err(ExtendError::EmptyTreeRoot)
        );
    }
}

//! Requiring witnesses: opens a checkpoint note only when the log signed it *and* every
//! witness the caller names cosigned it (C2SP tlog-cosignature). This is what closes the
//! split-view gap: a relay can show two tablets two different trees, each signed with its
//! log key, but a witness cosigns only one tree per size, so a verifier that requires the
//! witness's cosignature refuses the tree the witness never saw.
//!
//! This module owns that policy only; the note, checkpoint and cosignature formats are
//! [`crate::tlog`]'s. Tablets, `verify-log --witness` and the relay's cosignature intake call
//! [`open_cosigned`].

use crate::tlog::checkpoint::{Checkpoint, CheckpointError};
use crate::tlog::client::{OpenCheckpointError, open_checkpoint};
use crate::tlog::cosignature::{CosignatureError, CosignatureVerifier};
use crate::tlog::note::{NoteError, NoteVerifier};

/// A checkpoint whose log signature and required cosignatures all verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignedCheckpoint {
    pub checkpoint: Checkpoint,
    /// Each required witness's name and the time (POSIX seconds) of its newest cosignature,
    /// in the order the caller named them.
    pub cosigned: Vec<(String, u64)>,
}

/// Why a checkpoint was not accepted as cosigned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignedError {
    #[error("the checkpoint's log signature does not verify: {0}")]
    LogSignature(#[source] NoteError),
    #[error("the signed text is not a checkpoint: {0}")]
    Checkpoint(#[source] CheckpointError),
    /// C2SP tlog-checkpoint: the log's key is named after its origin, so a checkpoint of one
    /// log can never pass as another's.
    #[error("the checkpoint's origin is not the log key's name {key_name}")]
    WrongOrigin { key_name: String },
    #[error("no witness is required, so no cosignature can be checked")]
    NoWitnessRequired,
    #[error("witness {name} has not cosigned this checkpoint: {source}")]
    NotCosigned {
        name: String,
        #[source]
        source: CosignatureError,
    },
}

/// Opens `note` (a signed checkpoint with cosignature lines) and requires the log's
/// signature and a valid cosignature from every witness in `witnesses` (at least one).
/// Freshness of the cosignatures' times is the caller's policy.
pub fn open_cosigned(
    note: &str,
    log: &NoteVerifier,
    witnesses: &[CosignatureVerifier],
) -> Result<CosignedCheckpoint, CosignedError> {
    // Cheap refusals first: an empty policy would accept any signed checkpoint.
    if witnesses.is_empty() {
        return Err(CosignedError::NoWitnessRequired);
    }
    let checkpoint = open_signed(note, log)?;
    let cosigned = witnesses
        .iter()
        .map(|witness| {
            witness
                .verify(note)
                .map(|time| (witness.name().to_owned(), time))
                .map_err(|source| CosignedError::NotCosigned {
                    name: witness.name().to_owned(),
                    source,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CosignedCheckpoint {
        checkpoint,
        cosigned,
    })
}

/// Opens a checkpoint note signed by the log (cosignatures, if any, are not checked): the
/// note's signature by `log`, the checkpoint's syntax, and its origin being the key's name,
/// as [`crate::tlog::client::open_checkpoint`] decides for every client.
pub fn open_signed(note: &str, log: &NoteVerifier) -> Result<Checkpoint, CosignedError> {
    open_checkpoint(note, log)
        .map(|signed| signed.checkpoint)
        .map_err(|e| match e {
            OpenCheckpointError::Note(e) => CosignedError::LogSignature(e),
            OpenCheckpointError::Checkpoint(e) => CosignedError::Checkpoint(e),
            OpenCheckpointError::WrongOrigin { .. } => CosignedError::WrongOrigin {
                key_name: log.name().to_owned(),
            },
        })
}

/// Reads the log's verifier key (`<name>+<8 hex>+<base64(0x01 ‖ key)>`).
pub fn parse_log_vkey(vkey: &str) -> Result<NoteVerifier, NoteError> {
    NoteVerifier::parse(vkey)
}

/// Reads a witness's verifier key (`<name>+<8 hex>+<base64(0x04 ‖ key)>`).
pub fn parse_witness_vkey(vkey: &str) -> Result<CosignatureVerifier, CosignatureError> {
    CosignatureVerifier::parse(vkey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::cosignature::CosignatureSigner;
    use crate::tlog::note::{self, NoteSigner};
    use crate::tlog::tree::MemoryTree;
    use ed25519_dalek::SigningKey;

    const ORIGIN: &str = "relay.example.se/kiosk-log";

    /// Keys whose base64 holds a `+` (half of all keys) read back, for logs and witnesses;
    /// a vkey of the other type, a wrong key ID or a missing part is refused.
    #[test]
    fn verifier_keys_with_a_plus_in_their_base64_read_back() {
        let mut plus = 0;
        for seed in 0..64u8 {
            let key = SigningKey::from_bytes(&[seed; 32]);
            let log = NoteSigner::new(ORIGIN, &key).expect("name").verifier();
            let witness = CosignatureSigner::new("w.example/witness", &key)
                .expect("name")
                .verifier();
            plus += usize::from(log.to_string().matches('+').count() > 2);
            assert_eq!(parse_log_vkey(&log.to_string()), Ok(log.clone()));
            assert_eq!(
                parse_witness_vkey(&witness.to_string()),
                Ok(witness.clone())
            );
            assert!(parse_log_vkey(&witness.to_string()).is_err());
            assert!(parse_witness_vkey(&log.to_string()).is_err());
        }
        assert!(plus > 0, "some keys hold a +");
        let good = log_signer().verifier().to_string();
        let (name, rest) = good.split_once('+').expect("parts");
        assert!(parse_log_vkey(&format!("other{name}+{rest}")).is_err());
        assert!(parse_log_vkey(name).is_err());
        assert!(parse_log_vkey(&format!("{name}+{}", &rest[..8])).is_err());
    }

    fn log_signer() -> NoteSigner {
        NoteSigner::new(ORIGIN, &SigningKey::from_bytes(&[7; 32])).expect("name")
    }

    fn witness(seed: u8, name: &str) -> CosignatureSigner {
        CosignatureSigner::new(name, &SigningKey::from_bytes(&[seed; 32])).expect("name")
    }

    fn signed_tree(entries: &[&[u8]]) -> String {
        let tree = MemoryTree::from_entries(entries.iter().copied());
        let body = Checkpoint::new(ORIGIN, tree.size(), tree.root()).to_body();
        log_signer().sign(&body).expect("signs")
    }

    fn cosign(note: &str, witness: &CosignatureSigner, time: u64) -> String {
        let (body, _) = note::parse_note(note).expect("note");
        format!("{note}{}", witness.cosign(body, time).expect("cosigns"))
    }

    #[test]
    fn a_checkpoint_cosigned_by_every_required_witness_opens() {
        let archive = witness(1, "arkiv.example.se/witness");
        let dpo = witness(2, "dso.example.se/witness");
        let note = cosign(
            &cosign(&signed_tree(&[b"a", b"b"]), &archive, 100),
            &dpo,
            200,
        );
        let opened = open_cosigned(
            &note,
            &log_signer().verifier(),
            &[dpo.verifier(), archive.verifier()],
        )
        .expect("opens");
        assert_eq!(opened.checkpoint.size, 2);
        assert_eq!(
            opened.cosigned,
            vec![
                ("dso.example.se/witness".to_owned(), 200),
                ("arkiv.example.se/witness".to_owned(), 100)
            ]
        );
    }

    /// The split view: the relay signs two different trees of the same log; the witness
    /// cosigned only the first, so a verifier requiring it refuses the second.
    #[test]
    fn a_tree_the_witness_never_cosigned_is_refused_though_the_log_signed_it() {
        let archive = witness(1, "arkiv.example.se/witness");
        let seen = cosign(&signed_tree(&[b"a", b"b"]), &archive, 100);
        let other = signed_tree(&[b"a", b"B"]);
        let log = log_signer().verifier();
        assert!(open_signed(&other, &log).is_ok(), "the log did sign it");
        assert!(open_cosigned(&seen, &log, &[archive.verifier()]).is_ok());
        let refused = open_cosigned(&other, &log, &[archive.verifier()])
            .expect_err("the witness never saw it");
        assert!(
            matches!(&refused, CosignedError::NotCosigned { name, source: CosignatureError::Missing { .. } } if name == "arkiv.example.se/witness"),
            "{refused:?}"
        );
        // Grafting the witness's line for the first tree onto the second does not help.
        let (_, lines) = note::parse_note(&seen).expect("note");
        let grafted = format!("{other}{}", lines[1].to_line());
        assert!(matches!(
            open_cosigned(&grafted, &log, &[archive.verifier()]),
            Err(CosignedError::NotCosigned {
                source: CosignatureError::Invalid { .. },
                ..
            })
        ));
    }

    #[test]
    fn one_missing_witness_of_two_or_an_empty_policy_or_another_log_is_refused() {
        let archive = witness(1, "arkiv.example.se/witness");
        let dpo = witness(2, "dso.example.se/witness");
        let note = cosign(&signed_tree(&[b"a"]), &archive, 100);
        let log = log_signer().verifier();
        assert!(matches!(
            open_cosigned(&note, &log, &[archive.verifier(), dpo.verifier()]),
            Err(CosignedError::NotCosigned { name, .. }) if name == "dso.example.se/witness"
        ));
        assert_eq!(
            open_cosigned(&note, &log, &[]),
            Err(CosignedError::NoWitnessRequired)
        );
        let stranger = NoteSigner::new(ORIGIN, &SigningKey::from_bytes(&[9; 32]))
            .expect("name")
            .verifier();
        assert!(matches!(
            open_cosigned(&note, &stranger, &[archive.verifier()]),
            Err(CosignedError::LogSignature(NoteError::NoVerifiedSignature))
        ));
        // A key named after another origin signing our checkpoint text.
        let elsewhere =
            NoteSigner::new("other.example/log", &SigningKey::from_bytes(&[7; 32])).expect("name");
        let tree = MemoryTree::from_entries([&b"a"[..]]);
        let foreign = elsewhere
            .sign(&Checkpoint::new(ORIGIN, 1, tree.root()).to_body())
            .expect("signs");
        assert!(matches!(
            open_signed(&foreign, &elsewhere.verifier()),
            Err(CosignedError::WrongOrigin { .. })
        ));
    }
}

//! The relay's half of witnessing: taking a witness's cosignature
//! (`POST /v1/log/cosignature`, `docs/protocol.md` "Witnesses") and serving checkpoints
//! with the cosignatures kept for them.
//!
//! A body is accepted only when, in this order (cheap checks first): it is at most
//! [`MAX_COSIGNATURE_BODY`] bytes of UTF-8 in signed-note syntax; it carries a line of a
//! witness named in the relay's configuration; the log key (this relay's) signed the
//! checkpoint; the checkpoint is this relay's tree (its root at that size is the stored
//! tree's); and the witness's cosignature verifies. Only then is it stored.

use kiosk_core::cosigned_checkpoint::{CosignedError, open_signed};
use kiosk_core::tlog::cosignature::{CosignatureError, CosignatureVerifier};
use kiosk_core::tlog::hash::Hash;
use kiosk_core::tlog::note::{NoteError, NoteVerifier, parse_note};
use kiosk_core::tlog::tree::root;

use crate::storage::model::StoredCosignature;
use crate::storage::{RelayStore, StorageError};
use crate::transparency::source::StoreSubtrees;

/// The largest cosignature body taken: a checkpoint (~100 bytes), the log's signature and
/// a few cosignature lines, with room to spare.
pub const MAX_COSIGNATURE_BODY: usize = 8 * 1024;

/// Why a cosignature was refused; `code` is the machine-readable code the answer carries.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the body is larger than {MAX_COSIGNATURE_BODY} bytes")]
    TooLarge,
    #[error("the body is not a signed note: {0}")]
    Malformed(#[source] NoteError),
    #[error("no witness this relay trusts signed the body")]
    UnknownWitness,
    #[error("the checkpoint is not one this relay's log key signed: {0}")]
    NotSignedByLog(#[source] CosignedError),
    /// The log key signed a tree that is not the stored one: the store was edited or the
    /// key is used elsewhere. Logged loudly by the caller.
    #[error("the checkpoint of size {size}, signed by the log key, is not this relay's tree")]
    NotOurTree { size: u64 },
    #[error("the cosignature of witness {witness} does not verify: {source}")]
    BadCosignature {
        witness: String,
        #[source]
        source: CosignatureError,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl IntakeError {
    /// The HTTP status and machine-readable code of the refusal.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            IntakeError::TooLarge => (413, "too_large"),
            IntakeError::Malformed(_) => (400, "malformed_note"),
            IntakeError::UnknownWitness => (403, "unknown_witness"),
            IntakeError::NotSignedByLog(_) => (422, "not_our_checkpoint"),
            IntakeError::NotOurTree { .. } => (409, "not_our_tree"),
            IntakeError::BadCosignature { .. } => (422, "bad_cosignature"),
            IntakeError::Storage(_) => (503, "store_unavailable"),
        }
    }
}

/// Checks a posted cosignature body and keeps each configured witness's verified
/// cosignature in it; returns what was kept (newer than what the store had).
pub fn accept(
    body: &[u8],
    log: &NoteVerifier,
    witnesses: &[CosignatureVerifier],
    store: &dyn RelayStore,
) -> Result<Vec<StoredCosignature>, IntakeError> {
    if body.len() > MAX_COSIGNATURE_BODY {
        return Err(IntakeError::TooLarge);
    }
    let note = std::str::from_utf8(body)
        .map_err(|_| IntakeError::Malformed(NoteError::ControlCharacter))?;
    let (_, lines) = parse_note(note).map_err(IntakeError::Malformed)?;
    // Which trusted witnesses' lines it carries, by name and key ID (no crypto yet).
    let present: Vec<&CosignatureVerifier> = witnesses
        .iter()
        .filter(|witness| {
            lines
                .iter()
                .any(|line| line.name == witness.name() && line.key_id == witness.key_id())
        })
        .collect();
    if present.is_empty() {
        return Err(IntakeError::UnknownWitness);
    }
    let checkpoint = open_signed(note, log).map_err(IntakeError::NotSignedByLog)?;
    if !is_our_tree(store, checkpoint.size, &checkpoint.root)? {
        return Err(IntakeError::NotOurTree {
            size: checkpoint.size,
        });
    }
    let mut kept = Vec::new();
    for witness in present {
        let time = witness
            .verify(note)
            .map_err(|source| IntakeError::BadCosignature {
                witness: witness.name().to_owned(),
                source,
            })?;
        // The line of the newest cosignature by this witness (the one `verify` timed).
        let line = newest_line(note, witness, time).ok_or(IntakeError::BadCosignature {
            witness: witness.name().to_owned(),
            source: CosignatureError::Missing {
                name: witness.name().to_owned(),
            },
        })?;
        let cosignature = StoredCosignature {
            witness: witness.to_string(),
            size: checkpoint.size,
            root: checkpoint.root,
            time,
            line,
        };
        if store.store_cosignature(&cosignature)? {
            kept.push(cosignature);
        }
    }
    Ok(kept)
}

/// Whether the stored log has a tree of `size` leaves with `root`.
fn is_our_tree(store: &dyn RelayStore, size: u64, want: &Hash) -> Result<bool, IntakeError> {
    if size > store.log_tip()?.size {
        return Ok(false);
    }
    match root(&StoreSubtrees(store), size) {
        Ok(stored) => Ok(stored == *want),
        Err(kiosk_core::tlog::tree::TreeError::Source(
            crate::transparency::source::SourceError::Storage(e),
        )) => Err(e.into()),
        Err(_) => Ok(false),
    }
}

/// How many cosigned trees are tried, largest first, for one whose root is still the log's.
const COSIGNED_CANDIDATES: usize = 8;

/// The one choice of "the cosigned tree" every reader makes (a sync answer, `GET
/// /v1/log/checkpoint?cosigned=1`, the provenance bundle): the largest of at most
/// `tip_size` leaves that every witness in `witnesses` (the configured ones, or for a sync
/// those the tablet names, [`required_witnesses`]) cosigned and whose root is the log's root
/// at that size; if no tree is cosigned by all of them, the largest any one of them cosigned
/// (a reader requiring them all then waits; one requiring fewer is served); with no witness
/// given, the largest any witness cosigned. A tree past the
/// tip, or rows whose root the log no longer has (kept from before a restore), are never
/// named: a tablet would take them for a fork, and a bundle would prove nothing.
pub fn newest_cosigned_tree(
    store: &dyn RelayStore,
    tip_size: u64,
    witnesses: &[CosignatureVerifier],
) -> Result<Option<(u64, Hash)>, StorageError> {
    let all: Vec<String> = witnesses.iter().map(ToString::to_string).collect();
    // No witness given: any witness's (empty is "any" to the store).
    if let Some(tree) = largest_of_ours(store, tip_size, &all)? {
        return Ok(Some(tree));
    }
    if all.len() < 2 {
        return Ok(None);
    }
    // None cosigned by all of them: the largest any one of them did (never one only a
    // witness no longer trusted cosigned). At most 16 witnesses, each one bounded read.
    let mut largest: Option<(u64, Hash)> = None;
    for one in &all {
        if let Some(tree) = largest_of_ours(store, tip_size, std::slice::from_ref(one))?
            && largest.is_none_or(|(size, _)| tree.0 > size)
        {
            largest = Some(tree);
        }
    }
    Ok(largest)
}

/// The largest tree of at most `tip_size` leaves every one of `witnesses` (vkey text; any
/// when empty) cosigned whose root is the log's, of the [`COSIGNED_CANDIDATES`] largest.
fn largest_of_ours(
    store: &dyn RelayStore,
    tip_size: u64,
    witnesses: &[String],
) -> Result<Option<(u64, Hash)>, StorageError> {
    for (size, root) in store.cosigned_by_all(tip_size, witnesses, COSIGNED_CANDIDATES)? {
        match is_our_tree(store, size, &root) {
            Ok(true) => return Ok(Some((size, root))),
            Ok(false) => continue,
            Err(IntakeError::Storage(error)) => return Err(error),
            Err(_) => continue,
        }
    }
    Ok(None)
}

/// The witnesses a sync answer's cosigned tree must be cosigned by: of the relay's
/// `configured` ones, those the request `named` (`log_witnesses`, as
/// [`kiosk_core::protocol::witness_key_name`] spells them), or all of them when it named
/// none (a tablet requiring none, or one before the field). Also returns how many named
/// witnesses the relay does not take cosignatures from: such a tablet cannot be proven
/// anything it requires of them, and waits. When it names none the relay knows, the answer
/// is as to a tablet naming none.
pub fn required_witnesses(
    configured: &[CosignatureVerifier],
    named: &[String],
) -> (Vec<CosignatureVerifier>, usize) {
    let names: Vec<String> = configured
        .iter()
        .map(|witness| kiosk_core::protocol::witness_key_name(witness.name(), witness.key_id()))
        .collect();
    let unknown = named.iter().filter(|name| !names.contains(name)).count();
    let known: Vec<CosignatureVerifier> = configured
        .iter()
        .zip(&names)
        .filter(|(_, name)| named.contains(name))
        .map(|(witness, _)| witness.clone())
        .collect();
    if known.is_empty() {
        (configured.to_vec(), unknown)
    } else {
        (known, unknown)
    }
}

/// The signature line (without newline) of `witness` in `note` whose timestamp is `time`.
fn newest_line(note: &str, witness: &CosignatureVerifier, time: u64) -> Option<String> {
    let (_, lines) = parse_note(note).ok()?;
    lines
        .into_iter()
        .filter(|line| line.name == witness.name() && line.key_id == witness.key_id())
        .find(|line| {
            line.signature
                .get(..8)
                .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
                .is_some_and(|bytes| u64::from_be_bytes(bytes) == time)
        })
        .map(|line| line.to_line().trim_end_matches('\n').to_owned())
}

/// The checkpoint note `signed` (the log's signed note of the tree of `size` leaves with
/// `root`) with every cosignature kept for that tree appended, one line each: what
/// `GET /v1/log/checkpoint` serves.
pub fn with_cosignatures(
    signed: &str,
    size: u64,
    root: &Hash,
    store: &dyn RelayStore,
) -> Result<String, StorageError> {
    let mut note = signed.to_owned();
    for cosignature in store.cosignatures_of(size, root)? {
        note.push_str(&cosignature.line);
        note.push('\n');
    }
    Ok(note)
}

#[cfg(test)]
mod tests;

//! The tablet's check of the relay's transparency log, as a witness would make it (C2SP
//! tlog-witness): every sync answer's checkpoint must verify with the pinned log key, be
//! consistent with the checkpoint the tablet holds, and prove that each push it
//! acknowledges is in the log. Pure: it reads an answer and what the tablet holds, and
//! says what to store or what fork it found; [`super::log_state`] stores it.
//!
//! Each proven leaf must be about exactly what the tablet sent: the answer gives the record's
//! nonce with each inclusion (the tablet sent the record, so the nonce tells it nothing
//! new), and the tablet recomputes the record commitment from (nonce, document id) and the
//! subject from (nonce, change hash) with [`crate::tlog::leaf`], the relay's own functions.
//! A leaf of the right kind whose author is this tablet, about this push's document and one
//! of its changes, each change once, whose inclusion proof leads to the checkpoint's root,
//! proves that the relay committed that change in the one history this tablet has seen,
//! which it can never take back without a fork that this tablet (or a witness) catches. A
//! leaf about another document or change is a fork; an inclusion without a nonce (a relay
//! that does not give it) is checked as far as it goes and proves nothing.

use crate::protocol::{LogInclusion, PushOutcome, SyncResponse};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::client::{ExtendError, OpenCheckpointError, check_extends, open_checkpoint};
use crate::tlog::hash::{Hash, leaf_hash};
use crate::tlog::leaf::{
    AUTHOR, LEAF_LEN, LEAF_VERSION, RECORD, SUBJECT, change_subject, record_commitment,
};
use crate::tlog::note::{self, NoteVerifier};
use crate::tlog::tree::verify_inclusion;

/// Leaf kinds a tablet's push can be recorded as: a capture, a change the relay held
/// before its log existed (appended when the relay was upgraded; a capture sent again after
/// a restore, or a staff edit whose answer was lost across the upgrade, may be one), and a
/// staff tablet's edit.
const KIND_CAPTURE: u8 = 1;
const KIND_STAFF_EDIT: u8 = 2;
const KIND_ACCEPTED_BEFORE_LOG: u8 = 7;
/// The most leaves one answer may prove: far above any batch (100 documents of a few
/// changes each), so a hostile answer cannot make the tablet hash without end.
const MAX_INCLUSIONS: usize = 10_000;

/// What one push of the request sent, for binding its leaves to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pushed<'a> {
    pub doc_id: &'a str,
    /// The change hashes the tablet counts on for this push: a capture's journalled
    /// changes, an edit push's changes.
    pub hashes: &'a [[u8; 32]],
    /// A capture (else a staff edit).
    pub capture: bool,
}

/// What the tablet holds of the log before an answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HeldLog {
    /// The pinned log key (vkey text), if any.
    pub key: Option<String>,
    /// The latest checkpoint the tablet accepted (signed note text), if any.
    pub checkpoint: Option<String>,
    /// The relay epoch of the answer that checkpoint came in (`None` if not recorded).
    pub epoch: Option<[u8; 16]>,
}

impl HeldLog {
    /// The size the tablet names in its request: its checkpoint's, 0 without one.
    pub fn size(&self) -> u64 {
        self.checkpoint
            .as_deref()
            .and_then(|note| checkpoint_of(note).ok())
            .map_or(0, |c| c.size)
    }
}

/// An answer whose log checked out: what to store, and how many of this tablet's leaves
/// each push has proven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checked {
    /// The key to pin, when the tablet pinned none before.
    pub pin_key: Option<String>,
    /// The answer's checkpoint, to store in place of the held one.
    pub checkpoint: String,
    /// Per push, in order, the change hashes with a leaf proven in the checkpoint, each
    /// bound to this push's document and change by the nonce.
    pub proven: Vec<Vec<[u8; 32]>>,
    /// The relay epoch the checkpoint came in.
    pub epoch: [u8; 16],
    /// The relay was restored from a backup since the held checkpoint (a new epoch): its
    /// log was rolled back with its store, so consistency with the held checkpoint was not
    /// asked; the held one is kept aside.
    pub restored: bool,
}

/// Why an answer's log is a fork: the relay showed a history that cannot be the one it
/// showed before. Machine names in `code`, an English line for the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkFound {
    pub code: &'static str,
    pub detail: String,
    /// The inclusion that failed, if that is what failed.
    pub inclusion: Option<LogInclusion>,
}

impl ForkFound {
    fn new(code: &'static str, detail: impl Into<String>) -> ForkFound {
        ForkFound {
            code,
            detail: detail.into(),
            inclusion: None,
        }
    }
}

/// What became of an answer's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LogVerdict {
    /// No log: the tablet pins no key and the answer names none (a relay without a log).
    NoLog,
    /// The tablet pins a log key, and the answer has no checkpoint: it proves nothing, and
    /// is not applied (the relay's log may be switched off, or hidden).
    Missing,
    Checked(Checked),
    Fork(ForkFound),
}

/// Checks `response`'s log against what the tablet holds. `pushes` is what the request's
/// pushes sent, in order.
pub(crate) fn check(
    held: &HeldLog,
    response: &SyncResponse,
    device_key: &[u8; 32],
    pushes: &[Pushed<'_>],
) -> LogVerdict {
    // A key named by the answer must be the pinned one: the log key never changes.
    let key_text = match (&held.key, &response.log_key) {
        (Some(pinned), Some(named)) if pinned != named => {
            return LogVerdict::Fork(ForkFound::new(
                "other_log_key",
                format!("the answer names the log key {named}, not the pinned {pinned}"),
            ));
        }
        (Some(pinned), _) => pinned.clone(),
        (None, Some(named)) => named.clone(),
        // A checkpoint with no key to check it by proves nothing.
        (None, None) => return LogVerdict::NoLog,
    };
    let Some(note_text) = &response.log_checkpoint else {
        return if held.key.is_some() {
            LogVerdict::Missing
        } else {
            // A key named without a checkpoint: nothing to pin it by yet.
            LogVerdict::NoLog
        };
    };
    let verifier = match parse_vkey(&key_text) {
        Ok(verifier) => verifier,
        Err(error) if held.key.is_some() => {
            return LogVerdict::Fork(ForkFound::new(
                "bad_log_key",
                format!("the pinned log key does not parse: {error}"),
            ));
        }
        Err(error) => {
            return LogVerdict::Fork(ForkFound::new(
                "bad_log_key",
                format!("the answer's log key does not parse: {error}"),
            ));
        }
    };
    // Opened and compared as the witness and `verify-log` do ([`crate::tlog::client`]).
    let new = match open_checkpoint(note_text, &verifier) {
        Ok(signed) => signed.checkpoint,
        Err(error @ OpenCheckpointError::WrongOrigin { .. }) => {
            return LogVerdict::Fork(ForkFound::new("other_log_origin", error.to_string()));
        }
        Err(error) => {
            return LogVerdict::Fork(ForkFound::new(
                "bad_checkpoint_signature",
                format!("the checkpoint does not verify with the log key: {error}"),
            ));
        }
    };
    // A relay restored from a backup starts a new epoch, and its log is the backup's: a
    // prefix of what the tablet saw, to which the restored relay appends anew. No proof can
    // link the two, so consistency is asked only within an epoch (the tablet's journal
    // check still shows anything the restore lost; a witness sees the rollback).
    let restored = held.checkpoint.is_some()
        && held
            .epoch
            .is_some_and(|epoch| epoch != response.relay_epoch);
    if !restored && let Some(fork) = check_consistency(held, &new, &response.log_consistency) {
        return LogVerdict::Fork(fork);
    }
    match check_inclusions(response, &new, device_key, pushes) {
        Ok(proven) => LogVerdict::Checked(Checked {
            pin_key: held.key.is_none().then_some(key_text),
            checkpoint: note_text.clone(),
            proven,
            epoch: response.relay_epoch,
            restored,
        }),
        Err(fork) => LogVerdict::Fork(*fork),
    }
}

/// Reads a C2SP vkey `<name>+<key id hex>+<base64(0x01 ‖ key)>`, with the error as text.
pub(crate) fn parse_vkey(text: &str) -> Result<NoteVerifier, String> {
    NoteVerifier::parse(text).map_err(|e| e.to_string())
}

/// The held checkpoint's body, as stored (it verified when it was stored).
pub(crate) fn checkpoint_of(note_text: &str) -> Result<Checkpoint, String> {
    let (text, _) = note::parse_note(note_text).map_err(|e| e.to_string())?;
    Checkpoint::parse(text).map_err(|e| e.to_string())
}

/// A smaller tree, another root at the same size, or a proof that does not lead from the
/// held root to the new one: a fork (decided by [`check_extends`], as a witness decides).
fn check_consistency(held: &HeldLog, new: &Checkpoint, proof: &[Hash]) -> Option<ForkFound> {
    let old = match held.checkpoint.as_deref().map(checkpoint_of) {
        None => return None,
        Some(Ok(old)) => old,
        Some(Err(error)) => {
            return Some(ForkFound::new(
                "held_checkpoint_unreadable",
                format!("the checkpoint this tablet holds does not read: {error}"),
            ));
        }
    };
    let error = check_extends(&old, new, proof).err()?;
    let code = match error {
        ExtendError::OriginChanged { .. } => "other_log_origin",
        ExtendError::Shrank { .. } => "smaller_tree",
        ExtendError::RootChanged { .. } => "different_root",
        ExtendError::EmptyTreeRoot => "bad_empty_root",
        ExtendError::Inconsistent { .. } => "bad_consistency_proof",
    };
    Some(ForkFound::new(
        code,
        format!("the log does not extend the checkpoint this tablet holds: {error}"),
    ))
}

/// A push's record and changes as its leaves name them under the nonce the answer gave.
#[derive(Clone)]
struct Bound {
    nonce: [u8; 32],
    record: [u8; 32],
    /// Subject → change hash, for each change the push sent.
    changes: std::collections::HashMap<[u8; 32], [u8; 32]>,
}

impl Bound {
    fn new(nonce: &[u8; 32], pushed: &Pushed<'_>) -> Bound {
        Bound {
            nonce: *nonce,
            record: record_commitment(nonce, pushed.doc_id),
            changes: pushed
                .hashes
                .iter()
                .map(|hash| (change_subject(nonce, hash), *hash))
                .collect(),
        }
    }
}

/// Each inclusion must be this tablet's leaf, of a push stored in this answer, about that
/// push's document and one of its changes (each once), in the checkpoint's tree. Returns
/// per push the change hashes proven; an inclusion without a nonce proves none.
fn check_inclusions(
    response: &SyncResponse,
    checkpoint: &Checkpoint,
    device_key: &[u8; 32],
    pushes: &[Pushed<'_>],
) -> Result<Vec<Vec<[u8; 32]>>, Box<ForkFound>> {
    let mut proven = vec![Vec::new(); response.outcomes.len()];
    if response.log_inclusions.len() > MAX_INCLUSIONS {
        return Err(Box::new(ForkFound::new(
            "too_many_inclusions",
            format!(
                "the answer proves {} leaves, more than the {MAX_INCLUSIONS} any answer needs",
                response.log_inclusions.len()
            ),
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(response.log_inclusions.len());
    let mut counted = std::collections::HashSet::with_capacity(response.log_inclusions.len());
    // A record has one nonce: every inclusion of a push must give the same one. Per push,
    // once its nonce is known, the subject of each change it sent (hashed once, not per
    // inclusion).
    let mut bound: Vec<Option<Bound>> = vec![None; response.outcomes.len()];
    for inclusion in &response.log_inclusions {
        // Never the nonce: it is the record's secret in the log, even in evidence text.
        let failed = |why: String| {
            Box::new(ForkFound {
                code: "bad_inclusion_proof",
                detail: format!(
                    "leaf {} for push {}: {why}",
                    inclusion.index, inclusion.push
                ),
                inclusion: Some(inclusion.clone()),
            })
        };
        let push = inclusion.push as usize;
        match response.outcomes.get(push) {
            Some(PushOutcome::Stored(_)) => {}
            _ => return Err(failed("no push of this answer was stored there".into())),
        }
        let Some(pushed) = pushes.get(push) else {
            return Err(failed("no push of this request was sent there".into()));
        };
        let leaf = &inclusion.leaf;
        let kinds: &[u8] = if pushed.capture {
            &[KIND_CAPTURE, KIND_ACCEPTED_BEFORE_LOG]
        } else {
            &[KIND_STAFF_EDIT, KIND_ACCEPTED_BEFORE_LOG]
        };
        if leaf.len() != LEAF_LEN || leaf[0] != LEAF_VERSION || !kinds.contains(&leaf[1]) {
            return Err(failed(
                "the leaf is not a record of this push's kind".into(),
            ));
        }
        if leaf[AUTHOR] != device_key[..] {
            return Err(failed(
                "the leaf names another author than this tablet".into(),
            ));
        }
        if !seen.insert(inclusion.index) {
            return Err(failed("the same leaf is claimed twice".into()));
        }
        // Cheap comparisons first; the Merkle path is hashed last.
        let change = match &inclusion.nonce {
            None => None,
            Some(nonce) => {
                let slot = &mut bound[push];
                let bound = match slot {
                    Some(bound) if bound.nonce != *nonce => {
                        return Err(failed(
                            "the leaves of one push are given under two nonces".into(),
                        ));
                    }
                    Some(bound) => bound,
                    None => slot.insert(Bound::new(nonce, pushed)),
                };
                if leaf[RECORD] != bound.record[..] {
                    return Err(failed("the leaf is about another document".into()));
                }
                let subject: [u8; 32] = leaf[SUBJECT].try_into().expect("32 bytes");
                let Some(change) = bound.changes.get(&subject) else {
                    return Err(failed("the leaf is about no change this push sent".into()));
                };
                if !counted.insert((push, *change)) {
                    return Err(failed("the same change is claimed twice".into()));
                }
                Some(*change)
            }
        };
        verify_inclusion(
            &leaf_hash(leaf),
            inclusion.index,
            checkpoint.size,
            &inclusion.proof,
            &checkpoint.root,
        )
        .map_err(|error| failed(error.to_string()))?;
        // Without the nonce the leaf is in the log, but about what cannot be told.
        if let Some(change) = change {
            proven[push].push(change);
        }
    }
    Ok(proven)
}

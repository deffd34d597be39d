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
//!
//! With witnesses pinned, the answer's cosigned checkpoint must extend into the answer's
//! tree (a split view otherwise; one larger than the answer's is ignored), and only leaves
//! inside the largest cosigned tree the tablet accepted count: fresh when accepted, it
//! keeps counting once its cosignatures grow stale. A log that went back in a new relay
//! epoch (a restore) is taken only when every witness cosigned it after cosigning the tree
//! the tablet holds (or taken as without witnesses when it holds no cosigned tree yet);
//! every restore is kept for staff to acknowledge either way.

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
/// A capture's change the relay kept apart for HR review: the only kind a quarantined
/// capture's leaves may be.
const KIND_QUARANTINED: u8 = 10;

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
    /// When the checkpoint was stored, tablet time in ms (`None` if not recorded). For the
    /// record only: whether witnesses confirmed a restore is decided on their clocks.
    pub stored_at: Option<i64>,
    /// The witnesses' verifier keys (vkey text) whose cosignatures the tablet requires;
    /// empty: none required.
    pub witnesses: Vec<String>,
    /// The newest checkpoint the required witnesses cosigned (the note with its
    /// cosignature lines), if any.
    pub witnessed: Option<String>,
}

impl HeldLog {
    /// The size the tablet names in its request: its checkpoint's, 0 without one.
    pub fn size(&self) -> u64 {
        self.checkpoint
            .as_deref()
            .and_then(|note| checkpoint_of(note).ok())
            .map_or(0, |c| c.size)
    }

    /// The required witnesses as a sync request names them
    /// ([`crate::protocol::witness_key_name`]), at most [`MAX_WITNESSES`]; a pinned key that
    /// does not parse is left out (the answer's check refuses it anyway).
    pub fn witness_names(&self) -> Vec<String> {
        self.witness_verifiers()
            .filter_map(Result::ok)
            .map(|witness| crate::protocol::witness_key_name(witness.name(), witness.key_id()))
            .collect()
    }

    /// The required witnesses' pinned keys, parsed, in pinned order, at most
    /// [`MAX_WITNESSES`]: the one place they are read. Each caller decides what a key that
    /// does not parse means (left out of a request's names; a refusal when checking).
    pub fn witness_verifiers(
        &self,
    ) -> impl Iterator<
        Item = Result<
            crate::tlog::cosignature::CosignatureVerifier,
            crate::tlog::cosignature::CosignatureError,
        >,
    > + '_ {
        self.witnesses
            .iter()
            .take(MAX_WITNESSES)
            .map(|vkey| crate::cosigned_checkpoint::parse_witness_vkey(vkey))
    }

    /// The size of the tree the required witnesses cosigned, 0 without one.
    pub fn witnessed_size(&self) -> u64 {
        self.witnessed
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
    /// The relay was restored from a backup since the held checkpoint (a new epoch) and
    /// its log does not extend the held one: the held one is kept aside.
    pub restored: Option<Restore>,
    /// With required witnesses: the cosigned checkpoint to store in place of the held one
    /// (`None`: the held one stays).
    pub witnessed: Option<String>,
    /// With required witnesses: per push, the number of its proven leaves inside the tree
    /// the witnesses cosigned; `None` when no witness is required.
    pub within_witnessed: Option<Vec<usize>>,
    /// The answer's cosigned tree counted although a required witness's cosignature is
    /// more than [`MAX_COSIGNATURE_AHEAD_SECS`] ahead of the tablet clock: the tablet clock
    /// is behind (or the witness's ahead), which staff should have fixed.
    pub clock_behind_witness: bool,
}

/// A log that went back in a new relay epoch: from the held size to the answer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Restore {
    pub from: u64,
    pub to: u64,
    /// The required witnesses cosigned the restored log after cosigning the tree the
    /// tablet holds: their operators accepted the restore (staff are told all the same).
    pub witnessed: bool,
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
    /// A new epoch whose log does not extend the held one, and the required witnesses have
    /// not cosigned it since the held checkpoint was stored: not applied, tried again later.
    RestoreUnconfirmed {
        from: u64,
        to: u64,
    },
}

/// A cosignature older than this (tablet clock) does not count: a witness that stopped
/// cosigning, or a relay replaying an old cosigned tree, cannot vouch for what it shows now.
/// One ahead of the tablet clock counts ([`MAX_COSIGNATURE_AHEAD_SECS`]).
pub(crate) const MAX_COSIGNATURE_AGE_SECS: u64 = 7 * 24 * 60 * 60;
/// The most witnesses a tablet requires (each costs a signature check per answer).
pub(crate) const MAX_WITNESSES: usize = 16;
/// Checks `response`'s log against what the tablet holds. `pushes` is what the request's
/// pushes sent, in order. `now` is the tablet clock, for the cosignatures' freshness.
pub(crate) fn check(
    held: &HeldLog,
    response: &SyncResponse,
    device_key: &[u8; 32],
    pushes: &[Pushed<'_>],
    now: crate::ids::Timestamp,
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
    // Consistency is asked in every epoch: a relay restored from a backup newer than the
    // tablet's view proves it as usual. A relay restored from an older backup (a new epoch)
    // shows a log that went back, which no proof links to the held one: that is never
    // silent. Witnesses must have cosigned the restored log since, or staff see it.
    let new_epoch = held.checkpoint.is_some()
        && held
            .epoch
            .is_some_and(|epoch| epoch != response.relay_epoch);
    let mut restored = None;
    if let Some(fork) = check_consistency(held, &new, &response.log_consistency) {
        if !new_epoch || fork.code == "held_checkpoint_unreadable" {
            return LogVerdict::Fork(fork);
        }
        restored = Some(Restore {
            from: held.size(),
            to: new.size,
            witnessed: false,
        });
    }
    let (cosigned, dropped_ahead) = if held.witnesses.is_empty() {
        (None, false)
    } else {
        match check_cosigned(held, &verifier, &new, response, now) {
            Ok(cosigned) => cosigned,
            // A restore is refused, not kept as a fork, unless the witnesses confirm it:
            // a cosigned tree the restored log does not extend confirms nothing.
            Err(_) if restored.is_some() => (None, false),
            Err(fork) => return LogVerdict::Fork(*fork),
        }
    };
    // The tree the witnesses vouch for after this answer: grows only, but a confirmed
    // restore starts it anew from the restored log's cosigned tree.
    let mut witnessed = None;
    let mut witnessed_size = held.witnessed_size();
    // Also when a cosignature did not count for being too far ahead: the tablet clock is
    // then likely over a day behind, and staff must hear it, not only see captures wait.
    let clock_behind_witness =
        dropped_ahead || cosigned.as_ref().is_some_and(|tree| tree.clock_behind);
    if let Some(restore) = &mut restored
        && !held.witnesses.is_empty()
    {
        // Witness clock against witness clock: each required witness must have cosigned
        // the restored log after it cosigned the tree the tablet holds. The tablet's clock,
        // however skewed, never decides, and nothing of it is stored in the held note: a
        // held time far ahead of the tablet clock is one the witness signed itself, so it
        // holds back a confirmation only as long as that witness's own clock stays behind
        // a time it once signed (a witness clock set back), as it would for any tablet.
        let held_times = held
            .witnessed
            .as_deref()
            .and_then(|note| cosignature_times(held, &verifier, note));
        match (cosigned, held_times) {
            (Some(tree), Some(held)) if cosigned_after(&tree.times, &held) => {
                restore.witnessed = true;
                witnessed_size = tree.size;
                witnessed = Some(tree.note);
            }
            // No tree the witnesses cosigned is held yet (just enrolled, or the witnesses
            // were replaced): they vouched for nothing the restore could have undone, so it
            // is taken as one without witnesses is, kept for staff to acknowledge, instead
            // of refusing every sync for good.
            (cosigned, None) => {
                if let Some(tree) = cosigned {
                    witnessed_size = tree.size;
                    witnessed = Some(tree.note);
                }
            }
            _ => {
                return LogVerdict::RestoreUnconfirmed {
                    from: restore.from,
                    to: restore.to,
                };
            }
        }
    } else if let Some(tree) = cosigned
        && tree.size > witnessed_size
    {
        witnessed_size = tree.size;
        witnessed = Some(tree.note);
    }
    match check_inclusions(response, &new, device_key, pushes) {
        Ok(proven) => LogVerdict::Checked(Checked {
            pin_key: held.key.is_none().then_some(key_text),
            checkpoint: note_text.clone(),
            proven,
            epoch: response.relay_epoch,
            restored,
            witnessed,
            within_witnessed: (!held.witnesses.is_empty())
                .then(|| within(response, witnessed_size)),
            clock_behind_witness,
        }),
        Err(fork) => LogVerdict::Fork(*fork),
    }
}

/// A checkpoint every required witness cosigned, recently enough to count.
struct CosignedTree {
    /// The note verbatim, with its cosignature lines.
    note: String,
    size: u64,
    /// Each required witness's cosignature time, POSIX seconds, in the pinned order.
    times: Vec<u64>,
    /// A cosignature is more than [`MAX_COSIGNATURE_AHEAD_SECS`] ahead of the tablet clock.
    clock_behind: bool,
}

/// How far past the tablet clock a cosignature's time may lie before staff are told the
/// tablet clock is behind its witness's (clocks drift a little; more is worth fixing). It
/// counts all the same, up to [`MAX_COSIGNATURE_FUTURE_SECS`] ahead.
pub(crate) const MAX_COSIGNATURE_AHEAD_SECS: u64 = 10 * 60;

/// How far past the tablet clock a cosignature's time may lie and still count: a day (the
/// relay refuses to take one further ahead of its own clock, `docs/protocol.md`
/// "Witnesses"). Clocks that disagree by more than that are no drift to live with.
pub const MAX_COSIGNATURE_FUTURE_SECS: u64 = 24 * 60 * 60;

/// Each required witness's cosignature time in `note` (pinned order), if the note opens
/// with the log key and every required witness.
fn cosignature_times(held: &HeldLog, log: &NoteVerifier, note: &str) -> Option<Vec<u64>> {
    let witnesses = held
        .witness_verifiers()
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let opened = crate::cosigned_checkpoint::open_cosigned(note, log, &witnesses).ok()?;
    Some(opened.cosigned.into_iter().map(|(_, time)| time).collect())
}

/// Whether every witness's time in `new` is later than its time in `held` (same order).
fn cosigned_after(new: &[u64], held: &[u64]) -> bool {
    new.len() == held.len() && new.iter().zip(held).all(|(new, held)| new > held)
}

/// Opens the answer's cosigned checkpoint with the log key and every required witness.
/// One that does not open, or whose cosignatures are stale, does not count (`None`); one
/// that opens but is not a prefix of the answer's tree is a fork (a split view: the relay
/// shows this tablet a tree the witnesses did not see). The flag is set when it did not
/// count because a cosignature lies more than [`MAX_COSIGNATURE_FUTURE_SECS`] ahead of the
/// tablet clock (the tablet clock is behind: staff are told).
fn check_cosigned(
    held: &HeldLog,
    log: &NoteVerifier,
    new: &Checkpoint,
    response: &SyncResponse,
    now: crate::ids::Timestamp,
) -> Result<(Option<CosignedTree>, bool), Box<ForkFound>> {
    use crate::cosigned_checkpoint::open_cosigned;
    let Some(note_text) = &response.log_cosigned else {
        return Ok((None, false));
    };
    let witnesses = held
        .witness_verifiers()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            Box::new(ForkFound::new(
                "bad_witness_key",
                format!("a pinned witness key does not parse: {error}"),
            ))
        })?;
    let Ok(opened) = open_cosigned(note_text, log, &witnesses) else {
        return Ok((None, false));
    };
    // A cosigned tree larger than the answer's is no claim about it: the relay read its
    // tip before a newer cosignature landed. Ignored, not counted, never a fork; another
    // root at the same size, or a proof that fails, still is one.
    if opened.checkpoint.size > new.size {
        return Ok((None, false));
    }
    if let Err(error) = check_extends(&opened.checkpoint, new, &response.log_cosigned_consistency) {
        return Err(Box::new(ForkFound::new(
            "cosigned_not_prefix",
            format!("the log does not extend the tree the witnesses cosigned: {error}"),
        )));
    }
    let times: Vec<u64> = opened.cosigned.iter().map(|(_, time)| *time).collect();
    // Seconds on both sides; a tablet clock before 1970 reads as 0 (nothing is stale).
    let now_secs = u64::try_from(now.millis().div_euclid(1000)).unwrap_or(0);
    // Freshness is what the tablet clock is asked: a witness that stopped cosigning, or a
    // relay replaying an old cosigned tree, cannot vouch for what it shows now. A time
    // ahead of the tablet clock is no sign of staleness: the witness signed it, and the
    // clocks disagree. It counts, and staff hear that the tablet clock is behind.
    // Yet not without bound: a witness never signs a time far ahead of its clock (it
    // signs increasing times, and the relay refuses one a day ahead of its own), so a time
    // more than [`MAX_COSIGNATURE_FUTURE_SECS`] ahead is a witness clock gone wrong whose
    // cosignature a relay could replay after a rollback to "confirm" it: not counted.
    let fresh = |time: &u64| match now_secs.checked_sub(*time) {
        Some(age) => age <= MAX_COSIGNATURE_AGE_SECS,
        None => *time - now_secs <= MAX_COSIGNATURE_FUTURE_SECS,
    };
    let ahead_limit = now_secs.saturating_add(MAX_COSIGNATURE_AHEAD_SECS);
    let clock_behind = times.iter().any(|time| *time > ahead_limit);
    if !times.iter().all(fresh) {
        return Ok((None, clock_behind));
    }
    Ok((
        Some(CosignedTree {
            note: note_text.clone(),
            size: opened.checkpoint.size,
            clock_behind,
            times,
        }),
        false,
    ))
}

/// Per push, how many of its proven changes lie inside the first `size` leaves. Only
/// inclusions with a nonce count: [`check_inclusions`] bound each of them to a change the
/// push sent, each change once, so the count is of distinct changes; one without a nonce
/// proves nothing, inside the witnessed tree or not.
fn within(response: &SyncResponse, size: u64) -> Vec<usize> {
    let mut counts = vec![0usize; response.outcomes.len()];
    for inclusion in &response.log_inclusions {
        if inclusion.index < size
            && inclusion.nonce.is_some()
            && let Some(count) = counts.get_mut(inclusion.push as usize)
        {
            *count += 1;
        }
    }
    counts
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

/// Each inclusion must be this tablet's leaf, of a push stored (or, a capture, kept apart
/// for HR review) in this answer, about that push's document and one of its changes (each
/// once), in the checkpoint's tree. Returns
/// per push the change hashes proven; an inclusion without a nonce proves none.
fn check_inclusions(
    response: &SyncResponse,
    checkpoint: &Checkpoint,
    device_key: &[u8; 32],
    pushes: &[Pushed<'_>],
) -> Result<Vec<Vec<[u8; 32]>>, Box<ForkFound>> {
    let mut proven = vec![Vec::new(); response.outcomes.len()];
    // Bounded by the request, not by a fixed number an honest answer could pass (a staff
    // tablet's batch of long-edited documents): each change pushed is proven at most once,
    // so more inclusions than changes pushed is a lie, refused before anything is hashed.
    let pushed: usize = pushes.iter().map(|p| p.hashes.len()).sum();
    if response.log_inclusions.len() > pushed {
        return Err(Box::new(ForkFound::new(
            "too_many_inclusions",
            format!(
                "the answer proves {} leaves, more than the {pushed} changes the request pushed",
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
        // The detail line names indexes only; the evidence keeps the inclusion with its
        // nonce (this tablet's own record's), so IT can recompute what the leaf is about.
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
        let quarantined = match response.outcomes.get(push) {
            Some(PushOutcome::Stored(_)) => false,
            Some(PushOutcome::Quarantined(..)) => true,
            _ => {
                return Err(failed(
                    "no push of this answer was stored or kept apart there".into(),
                ));
            }
        };
        let Some(pushed) = pushes.get(push) else {
            return Err(failed("no push of this request was sent there".into()));
        };
        let leaf = &inclusion.leaf;
        let kinds: &[u8] = match (pushed.capture, quarantined) {
            (true, false) => &[KIND_CAPTURE, KIND_ACCEPTED_BEFORE_LOG],
            (true, true) => &[KIND_QUARANTINED],
            (false, false) => &[KIND_STAFF_EDIT, KIND_ACCEPTED_BEFORE_LOG],
            // A staff edit kept apart is refused on the tablet: nothing of it is proven.
            (false, true) => &[],
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::tree::MemoryTree;

    const DOC: &str = "019ce0a0-6a80-7000-8000-000000000001";

    fn response(outcomes: Vec<PushOutcome>, inclusions: Vec<LogInclusion>) -> SyncResponse {
        SyncResponse {
            outcomes,
            log_inclusions: inclusions,
            ..SyncResponse::empty([1; 32], [0; 32], [2; 16])
        }
    }

    fn leaf(kind: u8, nonce: &[u8; 32], change: &[u8; 32], author: &[u8; 32]) -> Vec<u8> {
        let mut leaf = vec![LEAF_VERSION, kind];
        leaf.extend_from_slice(&record_commitment(nonce, DOC));
        leaf.extend_from_slice(&change_subject(nonce, change));
        leaf.extend_from_slice(author);
        leaf.extend_from_slice(&0i64.to_be_bytes());
        leaf
    }

    /// `changes` changes of one capture push, each with its leaf proven in a tree of them.
    fn proven_push(changes: u32) -> (Vec<[u8; 32]>, SyncResponse, Checkpoint) {
        let author = [1; 32];
        let nonce = [3; 32];
        let hashes: Vec<[u8; 32]> = (0..changes)
            .map(|i| crate::tlog::leaf::tagged_hash(b"change", &[&i.to_be_bytes()]))
            .collect();
        let leaves: Vec<Vec<u8>> = hashes
            .iter()
            .map(|h| leaf(KIND_CAPTURE, &nonce, h, &author))
            .collect();
        let tree = MemoryTree::from_entries(leaves.iter().map(Vec::as_slice));
        let inclusions = leaves
            .iter()
            .enumerate()
            .map(|(index, bytes)| LogInclusion {
                push: 0,
                index: index as u64,
                leaf: bytes.clone(),
                proof: tree
                    .inclusion_proof(index as u64, tree.size())
                    .expect("proof"),
                nonce: Some(nonce),
            })
            .collect();
        let checkpoint = Checkpoint::new("relay.test/log", tree.size(), tree.root());
        let answer = response(vec![PushOutcome::Stored(hashes.clone())], inclusions);
        (hashes, answer, checkpoint)
    }

    /// An honest answer proving more than ten thousand changes (a staff tablet's batch of
    /// long-edited documents) is taken: the bound is what the request pushed.
    #[test]
    fn an_answer_proving_each_of_more_than_ten_thousand_changes_pushed_is_taken() {
        let (hashes, answer, checkpoint) = proven_push(10_001);
        let pushes = [Pushed {
            doc_id: DOC,
            hashes: &hashes,
            capture: true,
        }];
        let proven = check_inclusions(&answer, &checkpoint, &[1; 32], &pushes).expect("taken");
        assert_eq!(proven[0].len(), hashes.len());
    }

    /// More inclusions than changes pushed is refused before any leaf is hashed.
    #[test]
    fn more_inclusions_than_changes_pushed_is_a_fork() {
        let (hashes, mut answer, checkpoint) = proven_push(3);
        let extra = answer.log_inclusions[0].clone();
        answer.log_inclusions.push(extra);
        let pushes = [Pushed {
            doc_id: DOC,
            hashes: &hashes,
            capture: true,
        }];
        let fork = check_inclusions(&answer, &checkpoint, &[1; 32], &pushes).expect_err("a fork");
        assert_eq!(fork.code, "too_many_inclusions");
    }

    /// A record has one nonce: two inclusions of one push under two nonces is a fork, even
    /// when each leaf would recompute under its own.
    #[test]
    fn two_nonces_for_one_push_is_a_fork() {
        let author = [1; 32];
        let hashes = [[5u8; 32], [6u8; 32]];
        let leaves = [
            leaf(KIND_CAPTURE, &[3; 32], &hashes[0], &author),
            leaf(KIND_CAPTURE, &[4; 32], &hashes[1], &author),
        ];
        let tree = MemoryTree::from_entries(leaves.iter().map(Vec::as_slice));
        let inclusions = leaves
            .iter()
            .enumerate()
            .map(|(index, bytes)| LogInclusion {
                push: 0,
                index: index as u64,
                leaf: bytes.clone(),
                proof: tree.inclusion_proof(index as u64, 2).expect("proof"),
                nonce: Some([3 + index as u8; 32]),
            })
            .collect();
        let answer = response(vec![PushOutcome::Stored(hashes.to_vec())], inclusions);
        let checkpoint = Checkpoint::new("relay.test/log", 2, tree.root());
        let pushes = [Pushed {
            doc_id: DOC,
            hashes: &hashes,
            capture: true,
        }];
        let fork = check_inclusions(&answer, &checkpoint, &author, &pushes).expect_err("a fork");
        assert!(fork.detail.contains("two nonces"), "{fork:?}");
    }

    /// Within the request's bound, one change proven by two leaves is still a fork.
    #[test]
    fn one_change_proven_twice_within_the_bound_is_a_fork() {
        let (hashes, mut answer, checkpoint) = proven_push(2);
        // The second inclusion proves the first change again (its own leaf, re-proven).
        let first = answer.log_inclusions[0].clone();
        answer.log_inclusions[1] = LogInclusion { index: 1, ..first };
        let tree = MemoryTree::from_entries(
            answer
                .log_inclusions
                .iter()
                .map(|inclusion| inclusion.leaf.as_slice()),
        );
        for (index, inclusion) in answer.log_inclusions.iter_mut().enumerate() {
            inclusion.proof = tree.inclusion_proof(index as u64, 2).expect("proof");
        }
        let checkpoint = Checkpoint::new(checkpoint.origin, 2, tree.root());
        let pushes = [Pushed {
            doc_id: DOC,
            hashes: &hashes,
            capture: true,
        }];
        let fork = check_inclusions(&answer, &checkpoint, &[1; 32], &pushes).expect_err("a fork");
        assert!(fork.detail.contains("same change"), "{fork:?}");
    }
}

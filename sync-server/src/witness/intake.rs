//! The relay's half of witnessing: taking a witness's cosignature
//! (`POST /v1/log/cosignature`, `docs/protocol.md` "Witnesses") and serving checkpoints
//! with the cosignatures kept for them.
//!
//! A body is accepted only when, in this order (cheap checks first): it is at most
//! [`MAX_COSIGNATURE_BODY`] bytes of UTF-8 in signed-note syntax; it carries a line of a
//! witness named in the relay's configuration; the log key (this relay's) signed the
//! checkpoint; the checkpoint is this relay's tree (its root at that size is the stored
//! tree's); the witness's cosignature verifies; and its time is at most
//! [`MAX_COSIGNATURE_FUTURE_SECS`] ahead of the relay's clock. Only then is it stored.

use kiosk_core::cosigned_checkpoint::{CosignedError, open_signed};
use kiosk_core::tlog::cosignature::{CosignatureError, CosignatureVerifier};
use kiosk_core::tlog::hash::Hash;
use kiosk_core::tlog::note::{NoteError, NoteVerifier, parse_note};
use kiosk_core::tlog::tree::root;

use crate::storage::model::StoredCosignature;
use crate::storage::{LogTip, RelayStore, StorageError};
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
    /// Dated more than [`MAX_COSIGNATURE_FUTURE_SECS`] ahead of this relay's clock: a
    /// witness clock gone wrong. Kept, it could be replayed to a tablet as "newer" than a
    /// later cosignature (confirming a rollback), so it is not taken.
    #[error(
        "the cosignature of witness {witness} is dated {ahead} s ahead of this relay's clock (at most {MAX_COSIGNATURE_FUTURE_SECS} s is taken); set the witness's clock right"
    )]
    TimeAhead { witness: String, ahead: u64 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// How far ahead of the relay's clock a cosignature's time may lie and be taken: a day, as
/// far as a tablet counts one ahead of its own clock (core's constant, so the two agree).
pub use kiosk_core::sync::MAX_COSIGNATURE_FUTURE_SECS;

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
            IntakeError::TimeAhead { .. } => (422, "cosignature_time_ahead"),
            IntakeError::Storage(_) => (503, "store_unavailable"),
        }
    }
}

/// Checks a posted cosignature body and keeps each configured witness's verified
/// cosignature in it; returns what was kept (newer than what the store had). The relay's
/// clock is the system's: [`accept_at`].
pub fn accept(
    body: &[u8],
    log: &NoteVerifier,
    witnesses: &[CosignatureVerifier],
    store: &dyn RelayStore,
) -> Result<Vec<StoredCosignature>, IntakeError> {
    let now = u64::try_from(crate::state::now_ms().div_euclid(1000)).unwrap_or(0);
    accept_at(body, log, witnesses, store, now)
}

/// [`accept`] with the relay's clock reading `now` (POSIX seconds).
pub fn accept_at(
    body: &[u8],
    log: &NoteVerifier,
    witnesses: &[CosignatureVerifier],
    store: &dyn RelayStore,
    now: u64,
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
    // Every line checked before any is kept: a body refused keeps nothing.
    let mut checked = Vec::new();
    for witness in present {
        let time = witness
            .verify(note)
            .map_err(|source| IntakeError::BadCosignature {
                witness: witness.name().to_owned(),
                source,
            })?;
        if let Some(ahead) = time
            .checked_sub(now)
            .filter(|ahead| *ahead > MAX_COSIGNATURE_FUTURE_SECS)
        {
            return Err(IntakeError::TimeAhead {
                witness: witness.name().to_owned(),
                ahead,
            });
        }
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
        checked.push(cosignature);
    }
    let mut kept = Vec::new();
    for cosignature in checked {
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
    if let Some(tree) = largest_cosigned_by_every(store, tip_size, witnesses)? {
        return Ok(Some(tree));
    }
    if witnesses.len() < 2 {
        return Ok(None);
    }
    // None cosigned by all of them: the largest any one of them did (never one only a
    // witness no longer trusted cosigned).
    largest_cosigned_by_any(store, tip_size, witnesses)
}

/// The largest tree of at most `tip_size` leaves, whose root is the log's, that every one
/// of `witnesses` cosigned (any witness when none is given): the first choice of
/// [`newest_cosigned_tree`]. With fewer than two witnesses it is
/// [`largest_cosigned_by_any`]'s choice too.
pub fn largest_cosigned_by_every(
    store: &dyn RelayStore,
    tip_size: u64,
    witnesses: &[CosignatureVerifier],
) -> Result<Option<(u64, Hash)>, StorageError> {
    let all: Vec<String> = witnesses.iter().map(ToString::to_string).collect();
    // No witness given: any witness's (empty is "any" to the store).
    largest_of_ours(store, tip_size, &all)
}

/// The largest tree of at most `tip_size` leaves, whose root is the log's, that any one of
/// `witnesses` cosigned (any witness when none is given). Never one only a witness not
/// given cosigned. At most 16 witnesses, each one bounded read.
pub fn largest_cosigned_by_any(
    store: &dyn RelayStore,
    tip_size: u64,
    witnesses: &[CosignatureVerifier],
) -> Result<Option<(u64, Hash)>, StorageError> {
    if witnesses.is_empty() {
        return largest_of_ours(store, tip_size, &[]);
    }
    let mut largest: Option<(u64, Hash)> = None;
    for one in witnesses {
        if let Some(tree) = largest_of_ours(store, tip_size, &[one.to_string()])?
            && largest.is_none_or(|(size, _)| tree.0 > size)
        {
            largest = Some(tree);
        }
    }
    Ok(largest)
}

/// The tree to serve witness `this` (one of the configured `witnesses`) when it names
/// itself fetching the checkpoint (`GET /v1/log/checkpoint?witness=`), so that witnesses
/// polling at different moments of a growing log converge on one size (a tablet requiring
/// them all counts only a tree they all cosigned): the largest tree, at most the tip and
/// whose root is the log's, that another configured witness cosigned, that is larger than
/// the floor, else the tip. The floor is the largest of: the tree all of them cosigned, the
/// largest `this` cosigned per the store, and `held`, the size the witness says it holds
/// (its state can be ahead of the store when a delivery failed; a smaller tree would only
/// cost it a round). A caller lying about `held` only gets the tip or a larger tree. No
/// recency window: an older tree costs at most one round, since the floor then passes it,
/// so witnesses converge within one poll of the slowest whatever their periods and clocks.
/// With one witness configured there is nothing to converge on: the tip.
pub fn tree_for_witness(
    store: &dyn RelayStore,
    tip: LogTip,
    witnesses: &[CosignatureVerifier],
    this: &CosignatureVerifier,
    held: u64,
) -> Result<LogTip, StorageError> {
    if witnesses.len() < 2 || held >= tip.size {
        return Ok(tip);
    }
    let this_key = this.to_string();
    // The largest tree this witness cosigned, of any size (past the tip too, kept from
    // before a restore): nothing at or below it is served to it.
    let passed = store
        .cosigned_by_all(u64::MAX, std::slice::from_ref(&this_key), 1)?
        .first()
        .map_or(0, |(size, _)| *size);
    let all: Vec<String> = witnesses.iter().map(ToString::to_string).collect();
    let common = largest_of_ours(store, tip.size, &all)?.map_or(0, |(size, _)| size);
    let floor = passed.max(common).max(held);
    if floor >= tip.size {
        return Ok(tip);
    }
    let mut best: Option<(u64, Hash)> = None;
    for other in all.iter().filter(|key| **key != this_key) {
        for (size, root) in
            store.cosigned_by_all(tip.size, std::slice::from_ref(other), COSIGNED_CANDIDATES)?
        {
            if size <= floor || best.is_some_and(|(best, _)| size <= best) {
                break;
            }
            match is_our_tree(store, size, &root) {
                Ok(true) => {
                    best = Some((size, root));
                    break;
                }
                Ok(false) => continue,
                Err(IntakeError::Storage(error)) => return Err(error),
                Err(_) => continue,
            }
        }
    }
    Ok(best.map_or(tip, |(size, root)| LogTip { size, root }))
}

/// The configured witnesses (dereferencing to their keys), with the cosigned-tree choice
/// ([`newest_cosigned_tree`]) lately made for them per tip and witness set, so a sync and
/// a `?cosigned=1` read do not make up to 17 reads and root checks each. A choice is kept
/// until a cosignature is taken by this relay ([`Witnesses::cosignature_arrived`]), the
/// tip changes, or [`CHOICE_KEPT_FOR`] passes (a cosignature another relay instance took
/// on a shared store is seen within that); at most [`MAX_CHOICES`] are kept.
#[derive(Debug, Default)]
pub struct Witnesses {
    keys: Vec<CosignatureVerifier>,
    choices: std::sync::Mutex<Choices>,
    /// When each tablet (device key) was last warned of as requiring witnesses this relay
    /// does not know: at most [`MAX_WARNED_TABLETS`].
    warned: std::sync::Mutex<std::collections::HashMap<[u8; 32], std::time::Instant>>,
    /// Whether a checkpoint fetch named a witness not configured here (logged once).
    unknown_named: std::sync::atomic::AtomicBool,
}

/// How often one tablet requiring unknown witnesses is logged.
pub const WARN_EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);
/// The most tablets remembered as warned of; when that many were warned of within the
/// hour, no more are until some age out (the log has said it enough).
pub const MAX_WARNED_TABLETS: usize = 1024;

/// How long a kept choice of cosigned tree is used.
pub const CHOICE_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(30);
/// The most choices kept (tips times witness sets); when full, all are forgotten.
pub const MAX_CHOICES: usize = 64;

type ChoiceKey = (u64, Hash, Vec<String>);
/// The tip, the asking witness (vkey text) and the size it says it holds.
type ServedKey = (u64, Hash, String, u64);

#[derive(Debug, Default)]
struct Choices {
    /// Bumped whenever a cosignature is taken: a choice made from reads begun before is
    /// not kept.
    generation: u64,
    kept: std::collections::HashMap<ChoiceKey, (std::time::Instant, Option<(u64, Hash)>)>,
    /// The trees lately served witnesses naming themselves ([`tree_for_witness`]), under
    /// the same rules and bound as `kept`: the route is public, and each choice costs up to
    /// 2 + 8 per witness reads and root checks.
    served: std::collections::HashMap<ServedKey, (std::time::Instant, LogTip)>,
}

impl From<Vec<CosignatureVerifier>> for Witnesses {
    fn from(keys: Vec<CosignatureVerifier>) -> Self {
        Witnesses {
            keys,
            ..Witnesses::default()
        }
    }
}

impl std::ops::Deref for Witnesses {
    type Target = [CosignatureVerifier];

    fn deref(&self) -> &[CosignatureVerifier] {
        &self.keys
    }
}

impl Witnesses {
    /// [`newest_cosigned_tree`] for `required` (some of these witnesses) and the log's
    /// `tip`, kept for the next reader with the same tip and witnesses.
    pub fn newest_cosigned_tree(
        &self,
        store: &dyn RelayStore,
        tip: LogTip,
        required: &[CosignatureVerifier],
    ) -> Result<Option<(u64, Hash)>, StorageError> {
        let key: ChoiceKey = (
            tip.size,
            tip.root,
            required.iter().map(ToString::to_string).collect(),
        );
        let generation = {
            let choices = self.lock();
            if let Some((at, choice)) = choices.kept.get(&key)
                && at.elapsed() < CHOICE_KEPT_FOR
            {
                return Ok(*choice);
            }
            choices.generation
        };
        let choice = newest_cosigned_tree(store, tip.size, required)?;
        let mut choices = self.lock();
        if choices.generation == generation {
            if choices.kept.len() >= MAX_CHOICES {
                choices.kept.clear();
            }
            choices
                .kept
                .insert(key, (std::time::Instant::now(), choice));
        }
        Ok(choice)
    }

    /// [`tree_for_witness`] for configured witness `this` holding a tree of `held` leaves,
    /// kept for the next fetch with the same tip, witness and size.
    pub fn tree_for_witness(
        &self,
        store: &dyn RelayStore,
        tip: LogTip,
        this: &CosignatureVerifier,
        held: u64,
    ) -> Result<LogTip, StorageError> {
        // Nothing to choose at or past the tip, before any read or cache entry: a caller
        // naming ever other sizes cannot cost reads or push choices out of the cache.
        if self.keys.len() < 2 || held >= tip.size {
            return Ok(tip);
        }
        let key: ServedKey = (tip.size, tip.root, this.to_string(), held);
        let generation = {
            let choices = self.lock();
            if let Some((at, served)) = choices.served.get(&key)
                && at.elapsed() < CHOICE_KEPT_FOR
            {
                return Ok(*served);
            }
            choices.generation
        };
        let served = tree_for_witness(store, tip, &self.keys, this, held)?;
        let mut choices = self.lock();
        if choices.generation == generation {
            if choices.served.len() >= MAX_CHOICES {
                choices.served.clear();
            }
            choices
                .served
                .insert(key, (std::time::Instant::now(), served));
        }
        Ok(served)
    }

    /// Whether to log now that tablet `device` requires witnesses this relay does not
    /// know: once per [`WARN_EVERY`] per tablet, remembering at most
    /// [`MAX_WARNED_TABLETS`].
    pub fn unknown_warning_due(&self, device: &[u8; 32]) -> bool {
        let now = std::time::Instant::now();
        let mut warned = self
            .warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if warned
            .get(device)
            .is_some_and(|at| now.duration_since(*at) < WARN_EVERY)
        {
            return false;
        }
        if warned.len() >= MAX_WARNED_TABLETS && !warned.contains_key(device) {
            warned.retain(|_, at| now.duration_since(*at) < WARN_EVERY);
            if warned.len() >= MAX_WARNED_TABLETS {
                return false;
            }
        }
        warned.insert(*device, now);
        true
    }

    /// Whether this is the first checkpoint fetch naming a witness not configured here:
    /// true once per process, so it is logged once.
    pub fn unknown_name_first_seen(&self) -> bool {
        !self
            .unknown_named
            .swap(true, std::sync::atomic::Ordering::Relaxed)
    }

    /// A cosignature was taken: every kept choice is forgotten.
    pub fn cosignature_arrived(&self) {
        let mut choices = self.lock();
        choices.generation = choices.generation.wrapping_add(1);
        choices.kept.clear();
        choices.served.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Choices> {
        // A panic elsewhere while holding it leaves only a cache: still usable.
        self.choices
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
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

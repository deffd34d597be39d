//! `kiosk-sync-server witness`: an independent check of the relay's transparency log, run on
//! another machine (the archive's, the data-protection officer's). It pulls the relay's
//! newest checkpoint, verifies the log's signature, verifies a consistency proof from the
//! last checkpoint it cosigned, and only then cosigns (C2SP tlog-cosignature v1) and hands
//! the cosignature to the relay. Tablets and `verify-log` that require its cosignature
//! ([`kiosk_core::cosigned_checkpoint`]) then accept only trees this witness saw, which
//! closes the split view: the relay cannot show two audiences two histories.
//!
//! The rules are those of C2SP tlog-witness (<https://c2sp.org/tlog-witness>) with the
//! direction turned around (the witness pulls, since the archive can reach the relay but
//! not the other way round): one state per log, advanced only along a verified consistency
//! proof, saved before any cosignature leaves; another root at the same size, a smaller
//! tree that is not a prefix of the one held, or a proof that does not verify is a refusal
//! for good, with the evidence kept. A smaller tree proven a prefix of the one held is only
//! stale (the relay's store can be behind this state when a delivery failed after the
//! save): the round is skipped, nothing cosigned.
//!
//! - [`source`]: where checkpoints and proofs come from ([`LogSource`], over HTTP).
//! - [`state`]: the saved state, its atomic writes and the evidence of a refusal.
//! - [`run`]: the command: configuration, keys, the loop and its exit codes.

pub mod intake;
pub mod routes;
pub mod run;
pub mod source;
pub mod state;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use kiosk_core::cosigned_checkpoint::{CosignedError, open_signed};
use kiosk_core::tlog::checkpoint::Checkpoint;
use kiosk_core::tlog::client::check_extends;
use kiosk_core::tlog::cosignature::{CosignatureError, CosignatureSigner};
use kiosk_core::tlog::hash::{EMPTY_ROOT, Hash};
use kiosk_core::tlog::note::{NoteVerifier, parse_note};

pub use source::{HttpLogSource, LogSource, SourceError};
use state::{Evidence, Refusal, StateError, WitnessState};

/// What one round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// The first checkpoint this witness saw: trusted on first use, saved and cosigned.
    FirstCosigned { size: u64 },
    /// A larger tree, proven consistent with the last one cosigned: saved and cosigned.
    Cosigned { from: u64, size: u64 },
    /// The same tree as last time; `resubmitted` when the relay's note lacked this
    /// witness's cosignature (lost on the way, or the relay restarted) and it was sent again.
    Unchanged { size: u64, resubmitted: bool },
    /// A tree smaller than the one held (`held` leaves), proven a prefix of it: not a fork,
    /// only behind (the relay's record of this witness can lag its state when a delivery
    /// failed). Nothing cosigned; the next round tries again.
    Stale { size: u64, held: u64 },
}

/// Why a round did not end in a delivered cosignature.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// For good: the relay showed a tree inconsistent with one already cosigned (or this
    /// directory refused before). Never cleared by the witness itself.
    #[error("REFUSED: {reason}; evidence kept in {}", evidence.display())]
    Refused { reason: String, evidence: PathBuf },
    /// Transient: the relay could not be read; tried again next round, nothing cosigned.
    #[error("the relay's log could not be read: {0}")]
    Source(#[source] SourceError),
    /// Transient: the served checkpoint is not one the log key signed (or not a
    /// checkpoint); nothing cosigned, nothing kept.
    #[error("the relay served a checkpoint that does not verify: {0}")]
    Checkpoint(#[source] CosignedError),
    /// Transient: the state was saved and the cosignature made, but the relay did not take
    /// it; the next round sends it again.
    #[error("the cosignature of size {size} could not be delivered: {source}")]
    Delivery {
        size: u64,
        #[source]
        source: SourceError,
    },
    #[error(transparent)]
    State(#[from] StateError),
    /// Another witness process holds this directory: two at once could each cosign from the
    /// same old state, so the second does not start.
    #[error("another witness runs on {0} (its lock file {LOCK_FILE} is held); stop it first")]
    Busy(String),
    #[error(
        "the witness's state belongs to another log key; start it with that key or another directory"
    )]
    OtherLog,
    #[error("cosigning failed: {0}")]
    Cosign(#[source] CosignatureError),
    /// Not a refusal yet, but loud: the relay's log is smaller than the tree this witness
    /// cosigned (rolled back, or restored from a backup). Tried again each round; a history
    /// that differs from the cosigned one when it grows back is refused.
    #[error(
        "the relay's log has {served} entries, fewer than the {held} this witness cosigned: it was rolled back or restored from a backup"
    )]
    LogBehind { served: u64, held: u64 },
}

impl WitnessError {
    /// Whether the witness must stop for good.
    pub fn is_refusal(&self) -> bool {
        matches!(self, WitnessError::Refused { .. })
    }
}

/// One witness of one log: its key, the log's key, its state and where the log comes from.
#[derive(Debug)]
pub struct Witness<S: LogSource> {
    source: S,
    log: NoteVerifier,
    signer: CosignatureSigner,
    dir: PathBuf,
    state: Option<WitnessState>,
    /// Held while this witness lives: an exclusive lock on [`LOCK_FILE`] in its directory.
    _lock: std::fs::File,
}

/// The file a witness locks in its directory, so one process at a time cosigns from it.
pub const LOCK_FILE: &str = "witness.lock";

/// An exclusive lock on `dir`'s [`LOCK_FILE`], or [`WitnessError::Busy`].
fn lock_dir(dir: &Path) -> Result<std::fs::File, WitnessError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(|source| StateError::Io {
            dir: dir.to_owned(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(WitnessError::Busy(dir.display().to_string()))
        }
        Err(std::fs::TryLockError::Error(source)) => Err(StateError::Io {
            dir: dir.to_owned(),
            source,
        }
        .into()),
    }
}

impl<S: LogSource> Witness<S> {
    /// A witness keeping its state in `dir` (which holds its key; see [`run`]). Refuses a
    /// state made for another log key, and a directory that refused before.
    pub fn open(
        source: S,
        log: NoteVerifier,
        signer: CosignatureSigner,
        dir: &Path,
    ) -> Result<Self, WitnessError> {
        let state = state::load(dir)?;
        if let Some(state) = &state
            && state.log_key != log.to_string()
        {
            return Err(WitnessError::OtherLog);
        }
        // A refusal is told before the lock is tried: it stands whoever holds the directory.
        if let Some(refusal) = state.as_ref().and_then(|s| s.refused.as_ref()) {
            return Err(WitnessError::Refused {
                reason: refusal.reason.clone(),
                evidence: dir.join(&refusal.evidence),
            });
        }
        let witness = Witness {
            source,
            log,
            signer,
            dir: dir.to_owned(),
            state,
            _lock: lock_dir(dir)?,
        };
        Ok(witness)
    }

    /// The saved state, if any.
    pub fn state(&self) -> Option<&WitnessState> {
        self.state.as_ref()
    }

    fn check_not_refused(&self) -> Result<(), WitnessError> {
        match self.state.as_ref().and_then(|s| s.refused.as_ref()) {
            Some(refusal) => Err(WitnessError::Refused {
                reason: refusal.reason.clone(),
                evidence: self.dir.join(&refusal.evidence),
            }),
            None => Ok(()),
        }
    }

    /// One round: fetch, verify, prove, save, cosign, deliver. `now` is POSIX seconds.
    pub fn round(&mut self, now: u64) -> Result<Round, WitnessError> {
        self.check_not_refused()?;
        let held_size = self.state.as_ref().map_or(0, |state| state.size);
        let note = self
            .source
            .checkpoint(held_size)
            .map_err(WitnessError::Source)?;
        let checkpoint = open_signed(&note, &self.log).map_err(WitnessError::Checkpoint)?;
        let (size, root) = (checkpoint.size, checkpoint.root);
        if size == 0 && root != EMPTY_ROOT {
            return Err(WitnessError::Checkpoint(CosignedError::Checkpoint(
                kiosk_core::tlog::checkpoint::CheckpointError::BadRoot,
            )));
        }
        let Some(previous) = self.state.clone() else {
            let state = WitnessState::new(&self.log.to_string(), size, &root, &note, now);
            self.save_then_deliver(state, &note)?;
            return Ok(Round::FirstCosigned { size });
        };
        let previous_root = previous.root_hash().ok_or_else(|| StateError::Damaged {
            path: self.dir.join(state::STATE_FILE),
            what: "its root is not base64 of 32 bytes".to_owned(),
        })?;
        if size < previous.size {
            return self.check_stale(now, &checkpoint, &previous, previous_root, &note);
        }
        // A larger tree must come with a proof that it extends the one cosigned (none from
        // the empty tree: RFC 9162 has no proof for it). The decision is the one every
        // client of the log makes (`tlog::client::check_extends`).
        let proof = if size > previous.size && previous.size > 0 {
            self.source
                .consistency(previous.size, size)
                .map_err(WitnessError::Source)?
        } else {
            Vec::new()
        };
        let held = Checkpoint::new(self.log.name(), previous.size, previous_root);
        if let Err(fault) = check_extends(&held, &checkpoint, &proof) {
            let kept = (!proof.is_empty() || size > previous.size)
                .then(|| (previous.size, size, proof_lines(&proof)));
            return Err(self.refuse(
                now,
                &format!(
                    "the relay's tree does not extend the tree this witness cosigned: {fault}"
                ),
                &previous,
                &note,
                kept,
            ));
        }
        if size == previous.size {
            // Already cosigned; send it again only if the relay does not show it.
            if self.signer.verifier().verify(&note).is_ok() {
                return Ok(Round::Unchanged {
                    size,
                    resubmitted: false,
                });
            }
            // Its time too is after every one signed, and remembered before it leaves.
            let mut state = previous;
            state.last_signed = state.next_time(now);
            self.save_then_deliver(state, &note)?;
            return Ok(Round::Unchanged {
                size,
                resubmitted: true,
            });
        }
        let time = previous.next_time(now);
        let state = WitnessState::new(&self.log.to_string(), size, &root, &note, time);
        self.save_then_deliver(state, &note)?;
        Ok(Round::Cosigned {
            from: previous.size,
            size,
        })
    }

    /// A tree smaller than the one held: [`Round::Stale`] when a consistency proof from it
    /// to the held tree verifies (it is a prefix of what was cosigned), else a refusal with
    /// the served checkpoint and the proof kept as evidence.
    fn check_stale(
        &mut self,
        now: u64,
        served: &Checkpoint,
        previous: &WitnessState,
        previous_root: Hash,
        note: &str,
    ) -> Result<Round, WitnessError> {
        // No proof from the empty tree (RFC 9162 has none); its root alone is checked.
        let proof = if served.size > 0 {
            match self.source.consistency(served.size, previous.size) {
                Ok(proof) => proof,
                // No proof to the held size: the relay's log no longer reaches it. A relay
                // serving witnesses a common tree never serves one below the held size while
                // its log is larger, so its log was rolled back or restored from a backup:
                // loud, though not a refusal until it shows a history that differs.
                Err(SourceError::Refused { status: 400, .. }) => {
                    return Err(WitnessError::LogBehind {
                        served: served.size,
                        held: previous.size,
                    });
                }
                Err(error) => return Err(WitnessError::Source(error)),
            }
        } else {
            Vec::new()
        };
        let held = Checkpoint::new(self.log.name(), previous.size, previous_root);
        match check_extends(served, &held, &proof) {
            Ok(()) => Ok(Round::Stale {
                size: served.size,
                held: previous.size,
            }),
            Err(fault) => {
                let lines = proof_lines(&proof);
                Err(self.refuse(
                    now,
                    &format!(
                        "the relay's smaller tree is not a prefix of the tree this witness cosigned: {fault}"
                    ),
                    previous,
                    note,
                    Some((served.size, previous.size, lines)),
                ))
            }
        }
    }

    /// Saves the new state durably, and only then cosigns (at the state's `last_signed`
    /// time) and delivers: a crash after the save leaves a state that the next round
    /// continues from, never a cosignature of a tree, or at a time, the state does not
    /// remember.
    fn save_then_deliver(&mut self, state: WitnessState, note: &str) -> Result<(), WitnessError> {
        let (size, time) = (state.size, state.last_signed);
        state::save(&self.dir, &state)?;
        self.state = Some(state);
        self.deliver(note, size, time)
    }

    fn deliver(&self, note: &str, size: u64, time: u64) -> Result<(), WitnessError> {
        let (body, _) = parse_note(note).map_err(|e| WitnessError::Cosign(e.into()))?;
        let line = self
            .signer
            .cosign(body, time)
            .map_err(WitnessError::Cosign)?;
        self.source
            .submit_cosignature(&format!("{note}{line}"))
            .map_err(|source| WitnessError::Delivery { size, source })
    }

    /// Keeps the evidence, records the refusal for good, and returns it as the error.
    fn refuse(
        &mut self,
        now: u64,
        reason: &str,
        previous: &WitnessState,
        refused_note: &str,
        proof: Option<(u64, u64, String)>,
    ) -> WitnessError {
        let evidence = Evidence {
            reason,
            previous_checkpoint: &previous.checkpoint,
            refused_checkpoint: refused_note,
            proof,
        };
        let name = match state::write_evidence(&self.dir, now, &evidence) {
            Ok(name) => name,
            Err(source) => {
                // Still refuse: nothing was cosigned, and the next round sees the same.
                return WitnessError::State(StateError::Io {
                    dir: self.dir.clone(),
                    source,
                });
            }
        };
        let mut refused = previous.clone();
        refused.refused = Some(Refusal {
            reason: reason.to_owned(),
            at: now,
            evidence: name.clone(),
        });
        if let Err(e) = state::save(&self.dir, &refused) {
            return WitnessError::State(e);
        }
        self.state = Some(refused);
        WitnessError::Refused {
            reason: reason.to_owned(),
            evidence: self.dir.join(name),
        }
    }
}

/// A hash as the log's checkpoints write it, for log lines.
pub fn base64_hash(hash: &Hash) -> String {
    Base64::encode_string(hash)
}

/// A consistency proof as kept in a refusal's evidence: a base64 hash a line.
fn proof_lines(proof: &[Hash]) -> String {
    proof
        .iter()
        .map(|hash| format!("{}\n", base64_hash(hash)))
        .collect()
}

//! The sync client: builds signed requests from what the device holds, and applies the
//! relay's signed receipts. Sans-I/O apart from the [`Transport`] it is handed, so the state
//! machine is tested without a network, and a shell can bring its own networking.
//!
//! A record is marked received only on a receipt that verifies against the pinned relay key,
//! answers this very request, and lists every change the tablet journalled for it. Anything
//! else leaves the record to be sent again: retries are safe because merging is idempotent.
//!
//! Every answer's transparency-log checkpoint is checked before anything in it is applied
//! ([`log_check`]); once the tablet pins a log key, a capture counts as received (stored or
//! kept apart for HR review), and a staff edit's change as stored, only with a proven leaf
//! about exactly that change (and, with witnesses pinned, a capture only inside a tree they
//! cosigned). A fork stops the tablet for good ([`log_state`]). A restore of the relay's
//! log (it went back, or was replaced) sends again what it may have lost: received
//! captures of the old epoch, and a staff tablet's edits counted stored (apart from its
//! unsent ones: a refusal of an edit sent again drops it, and is reported once, in
//! [`SyncReport::resend_refused`]).

mod deadline;
mod log_check;
pub use log_check::MAX_COSIGNATURE_FUTURE_SECS;
mod log_state;
mod transport;

pub use deadline::DeadlineTransport;
pub use log_check::ForkFound;
pub(crate) use log_check::parse_vkey;
pub(crate) use log_state::META_LOG_KEY;
pub use log_state::{ForkEvidence, LogRestore};
pub(crate) use log_state::{
    META_WITNESS_KEYS, META_WITNESSES_OFFERED, checked_witness_keys, same_witnesses,
};
#[cfg(feature = "http-transport")]
pub use transport::{HttpTransport, RootCertificatesError};
pub use transport::{Transport, TransportError, answer_from_status};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::ids::{RegistrationId, Timestamp};
use crate::journal::JournalHead;
use crate::protocol::{
    Command, ErrorCode, PROTOCOL_VERSION, PUSH_TAG, ProtocolError, Push, PushBody, PushOutcome,
    SignedEnvelope, SyncRequest, open_command, open_response,
};
use crate::staff_records::PendingEdit;

/// How much one request may carry, so it fits a mobile background window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_documents: usize,
    pub max_bytes: usize,
}

impl Default for BatchLimits {
    fn default() -> BatchLimits {
        BatchLimits {
            max_documents: 100,
            max_bytes: 2 * 1024 * 1024,
        }
    }
}

/// What became of one record the tablet sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// The relay holds the capture and signed a receipt for it.
    Received,
    /// The relay holds the capture in quarantine for HR to review: received all the same.
    Quarantined,
    /// The relay stored a staff tablet's edits of the record.
    EditsStored,
    /// The relay refused the record; it stays on the tablet.
    Refused(ErrorCode),
}

/// What a shell hears while a sync runs, and how it stops one.
pub trait SyncListener: Send + Sync {
    /// `done` of `total` records have a receipt (or were refused) so far.
    fn progress(&self, done: u64, total: u64);
    /// What became of one record, as its answer arrives.
    fn record(&self, doc_id: &str, outcome: RecordOutcome);
    /// Asked before each request: `true` stops the sync there with [`Error::Cancelled`].
    /// Whatever earlier answers brought is kept; nothing is half-applied.
    fn cancelled(&self) -> bool {
        false
    }
}

/// A listener that ignores everything.
#[derive(Debug, Default)]
pub struct NoListener;

impl SyncListener for NoListener {
    fn progress(&self, _done: u64, _total: u64) {}
    fn record(&self, _doc_id: &str, _outcome: RecordOutcome) {}
}

/// What one sync achieved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncReport {
    pub requests: u32,
    pub received: u64,
    pub quarantined: u64,
    pub refused: Vec<(String, ErrorCode)>,
    /// The journal the relay confirmed at the end.
    pub relay_journal: Option<JournalHead>,
    /// The relay asked this tablet to wipe itself (it was revoked).
    pub wipe_requested: bool,
    /// Sealed copies erased because a relay backup holds them (or the event ended long ago).
    pub erased: u64,
    /// Captures sent again because the relay was restored from a backup: received in
    /// another relay epoch.
    pub resent: u64,
    /// Staff tablets: registrations whose own edits counted stored go again because the
    /// relay's log went back or was replaced; the relay may still hold some or all of them.
    pub edits_resent: u64,
    /// Staff tablets: registrations whose edits, sent again after a restore, the relay
    /// refused (its recruiter no longer assigned, say): dropped, never kept as unsent; told
    /// once ([`crate::user_messages::resend_refused_message`]).
    pub resend_refused: u64,
    /// A new version of the event document arrived (a newly published form, say).
    pub event_updated: bool,
    /// Staff tablets: registrations that arrived or changed.
    pub pulled: u64,
    /// Staff tablets: registrations whose edits the relay stored.
    pub edits_stored: u64,
    /// Documents removed at the relay and erased here.
    pub removed: u64,
    /// The relay sent an unlock for a locked-out staff PIN.
    pub unlock_received: bool,
    /// The relay rotated its keys and this tablet now pins the new ones.
    pub relay_keys_adopted: bool,
    /// Pulled documents that could not be merged (a copy already erased here) and were
    /// skipped.
    pub skipped: u64,
    /// The relay was restored from a backup and its log rolled back with it: the tablet
    /// took the restored log's checkpoint and kept the one it held aside.
    pub log_restored: bool,
    /// Captures the relay stored and proved in its log, not yet inside a tree the required
    /// witnesses cosigned: not received yet, sent again next sync.
    pub awaiting_witness: u64,
    /// A cosignature the required witnesses made was more than ten minutes ahead of the
    /// tablet clock: it counted (only its age is checked), but the tablet clock is behind
    /// the witness's and should be set right
    /// ([`crate::user_messages::clock_behind_witness_message`]).
    pub clock_behind_witness: bool,
    /// Records the relay stored (or kept apart) but did not prove in its log with a leaf
    /// about exactly each change (a relay too old to give the record's nonce, or one that
    /// hides them): not received, edits not stored; sent again next sync, never finishing
    /// until the relay is updated ([`crate::user_messages::log_unproven_message`]).
    pub log_unproven: u64,
}

/// Pushes everything unreceipted (a kiosk's captures, a staff tablet's edits) in bounded
/// batches and pulls what the tablet lacks, until nothing is left to send or to pull, or the
/// relay refuses what remains.
pub fn sync(
    device: &Device,
    transport: &dyn Transport,
    listener: &dyn SyncListener,
    limits: BatchLimits,
    now: impl Fn() -> Timestamp,
) -> Result<SyncReport> {
    // One sync at a time per device: a second waits for the first to end.
    let _turn = device.sync_turn()?;
    // A tablet that saw the relay fork its log syncs no more: nothing the relay says can
    // be trusted, and what the tablet holds is evidence.
    device.refuse_after_fork()?;
    // Changes when the relay announces new keys: later answers are signed with the new key.
    let mut relay_key = device.relay_signing_key()?.ok_or(Error::NotEnrolled)?;
    let device_key = device
        .device_id()
        .public_key()
        .ok_or(Error::NotEnrolled)?
        .to_bytes();
    // Grows by the registrations a restore of the relay's log sends again.
    let mut total = device.unreceipted_count()? + device.edits_to_send_at(now())?;
    let mut report = SyncReport::default();
    let mut skip: Vec<String> = Vec::new();
    // Documents whose `missing-dependencies` a restore explained once in this sync: a
    // second is a refusal, however many answers show a restore.
    let mut retried: Vec<String> = Vec::new();
    let mut stale_retries = 0;
    let mut cursor_reset = false;
    // With nothing to push, one request still asks: the event, the relay's backup watermark
    // (erase copies), its epoch (send again after a restore), commands, and what to pull.
    let mut answered = false;
    let mut more = false;
    loop {
        if listener.cancelled() {
            return Err(Error::Cancelled);
        }
        let captures = next_captures(device, &skip, limits)?;
        let room = limits.max_documents.saturating_sub(captures.len());
        let mut bytes: usize = captures.iter().map(|c| c.sealed.len()).sum();
        let mut edits: Vec<PendingEdit> = Vec::new();
        for edit in device.pending_edits(room + skip.len(), now())? {
            if skip.contains(&edit.doc_id) || edits.len() == room {
                continue;
            }
            // Within the request's byte budget, but never an empty request for it.
            let empty = captures.is_empty() && edits.is_empty();
            if !empty && bytes + edit.changes.len() > limits.max_bytes {
                break;
            }
            bytes += edit.changes.len();
            edits.push(edit);
        }
        if captures.is_empty() && edits.is_empty() && answered && !more {
            break;
        }
        let ids: Vec<RegistrationId> = captures.iter().map(|c| c.doc_id.clone()).collect();
        let seq = device.begin_push(&ids, now())?;
        let pushes = captures
            .iter()
            .map(|c| Push {
                doc_id: c.doc_id.to_string(),
                journal_seq: Some(c.journal_seq),
                body: PushBody::Sealed(c.sealed.clone()),
            })
            .chain(edits.iter().map(|e| Push {
                doc_id: e.doc_id.clone(),
                journal_seq: None,
                body: PushBody::Changes(e.changes.clone()),
            }))
            .collect();
        // Read for each request: the previous answer may have moved it.
        let held_log = device.held_log()?;
        let request = SyncRequest {
            version: PROTOCOL_VERSION,
            device_id: device_key,
            seq,
            sent_at: now().millis(),
            journal: device.journal_head()?.into(),
            pushes,
            pull: device.pull_request()?,
            relay_key: relay_key.to_bytes(),
            log_size: held_log.size(),
            // This tablet takes an edit's `accepted-before-log` leaf ([`log_check`]).
            log_features: vec![crate::protocol::LOG_FEATURE_EDIT_BEFORE_LOG.to_owned()],
            // The relay names the tree these witnesses cosigned, not all of its own.
            log_witnesses: held_log.witness_names(),
        };
        let sent_cursor = request.pull.cursor.clone();
        let envelope = device.sign_envelope(PUSH_TAG, &request).to_bytes();
        let request_hash = SignedEnvelope::hash(&envelope);
        report.requests += 1;
        let answer = match transport.post("/v1/sync", envelope) {
            Ok(answer) => answer,
            Err(TransportError::Refused { status, code }) if matches!(status, 401 | 403) => {
                // The relay does not take this tablet: kept, so it never calls itself
                // complete meanwhile.
                device.keep_sync_refusal(&refusal(status, &code, now()))?;
                return Err(TransportError::Refused { status, code }.into());
            }
            Err(other) => return Err(other.into()),
        };
        let response = open_response(&answer, &relay_key, &device_key, &request_hash)?;
        match response.refused {
            Some(ErrorCode::StaleSeq) if stale_retries < 3 => {
                // Restored from a backup, or a lost response: move past what the relay saw.
                stale_retries += 1;
                device.set_sync_seq(response.last_accepted_seq.unwrap_or(seq))?;
                continue;
            }
            Some(ErrorCode::BadCursor) if !cursor_reset => {
                // A cursor this relay did not write (a damaged store, another relay): pull
                // from the start; merging what the tablet already holds changes nothing.
                cursor_reset = true;
                device.reset_pull_cursor()?;
                continue;
            }
            Some(code) => {
                device.keep_sync_refusal(&refusal(200, code.as_str(), now()))?;
                return Err(Error::RelayRefused { code });
            }
            None => {}
        }
        // One outcome per push, in order; an answer that does not line up proves nothing.
        if response.outcomes.len() != captures.len() + edits.len() {
            return Err(ProtocolError::Malformed.into());
        }
        // The log before anything else of the answer: a fork is kept as evidence and stops
        // the sync with nothing applied; a checked checkpoint is stored by compare-and-swap.
        let pushed: Vec<log_check::Pushed<'_>> = captures
            .iter()
            .map(|c| log_check::Pushed {
                doc_id: c.doc_id.as_str(),
                hashes: &c.change_hashes,
                capture: true,
            })
            .chain(edits.iter().map(|e| log_check::Pushed {
                doc_id: &e.doc_id,
                hashes: &e.hashes,
                capture: false,
            }))
            .collect();
        let checked_log = log_check::check(&held_log, &response, &device_key, &pushed, now());
        let mut within_witnessed = None;
        let mut restored = false;
        let proven = match checked_log {
            log_check::LogVerdict::NoLog => None,
            log_check::LogVerdict::Missing => return Err(Error::LogMissing),
            log_check::LogVerdict::RestoreUnconfirmed { from, to } => {
                // Kept, so hand-back tells staff until an answer is taken again.
                device.keep_unconfirmed_restore(from, to, now())?;
                return Err(Error::LogRestoreUnconfirmed { from, to });
            }
            log_check::LogVerdict::Fork(found) => {
                let code = found.code.to_owned();
                let evidence = log_state::ForkEvidence::new(
                    found,
                    &held_log,
                    (&response, &answer),
                    &pushed,
                    now(),
                );
                device.keep_log_fork(&evidence)?;
                return Err(Error::LogFork { code });
            }
            log_check::LogVerdict::Checked(checked) => {
                restored = checked.restored.is_some();
                if restored {
                    // Before the checkpoint is swapped: a crash between the two sees the
                    // restore again and queues the same edits again, which is harmless
                    // (though that sync counts none in `edits_resent`).
                    let requeued = device.requeue_own_edits(now())?;
                    report.edits_resent += requeued.registrations;
                    // A registration that already had changes to send is counted once.
                    total += requeued.newly_to_send;
                }
                if !device.swap_log_checkpoint(&held_log, &checked, now())? {
                    return Err(Error::LogChanged);
                }
                report.log_restored |= restored;
                report.clock_behind_witness |= checked.clock_behind_witness;
                within_witnessed = checked.within_witnessed;
                Some(checked.proven)
            }
        };
        let (capture_outcomes, edit_outcomes) = response.outcomes.split_at(captures.len());
        let mut received = Vec::new();
        // Told to the listener once the answer is kept, never before.
        let mut outcomes: Vec<(String, RecordOutcome)> = Vec::new();
        for (position, (capture, outcome)) in captures.iter().zip(capture_outcomes).enumerate() {
            // Received only if the relay holds every change this tablet journalled: stored,
            // or kept in quarantine as a received record for HR to review.
            let covers =
                |stored: &[[u8; 32]]| capture.change_hashes.iter().all(|h| stored.contains(h));
            // With a log: stored, or kept apart for HR review, only with a proven leaf of its
            // own for every journalled change (`capture`, or `quarantined`): a relay cannot
            // answer "quarantined" to skip its log, and the tablet later erase its copy.
            let logged = proven.as_ref().is_none_or(|p| {
                capture
                    .change_hashes
                    .iter()
                    .all(|h| p[position].contains(h))
            });
            // With required witnesses: every one of those leaves inside the tree they
            // cosigned, or the capture waits (sent again next sync) for a witnessed tree.
            let witnessed = within_witnessed
                .as_ref()
                .is_none_or(|w| w[position] >= capture.change_hashes.len());
            match outcome {
                PushOutcome::Stored(stored) if covers(stored) && logged && witnessed => {
                    received.push(capture.doc_id.clone());
                    report.received += 1;
                    outcomes.push((capture.doc_id.to_string(), RecordOutcome::Received));
                }
                PushOutcome::Quarantined(_, stored) if covers(stored) && logged && witnessed => {
                    received.push(capture.doc_id.clone());
                    report.quarantined += 1;
                    outcomes.push((capture.doc_id.to_string(), RecordOutcome::Quarantined));
                }
                PushOutcome::Stored(stored) | PushOutcome::Quarantined(_, stored)
                    if covers(stored) && logged =>
                {
                    report.awaiting_witness += 1;
                }
                PushOutcome::Stored(stored) | PushOutcome::Quarantined(_, stored)
                    if covers(stored) =>
                {
                    report.log_unproven += 1;
                }
                PushOutcome::Stored(_) | PushOutcome::Quarantined(..) => {}
                PushOutcome::Rejected(code, _) => {
                    report.refused.push((capture.doc_id.to_string(), *code));
                    outcomes.push((capture.doc_id.to_string(), RecordOutcome::Refused(*code)));
                }
            }
        }
        for (position, (edit, outcome)) in edits.iter().zip(edit_outcomes).enumerate() {
            match outcome {
                PushOutcome::Stored(stored) => {
                    // With a log: only changes with a proven leaf count as stored; the rest
                    // stay unsent and go again, and the relay answers them with the leaves
                    // it wrote when it first stored them.
                    let stored: Vec<[u8; 32]> = match &proven {
                        None => stored.clone(),
                        Some(p) => p[captures.len() + position]
                            .iter()
                            .filter(|h| stored.contains(h))
                            .copied()
                            .collect(),
                    };
                    device.edits_stored(&edit.doc_id, &stored, now())?;
                    if edit.hashes.iter().all(|h| stored.contains(h)) {
                        report.edits_stored += 1;
                        outcomes.push((edit.doc_id.clone(), RecordOutcome::EditsStored));
                    } else {
                        // Held at the relay (its outcome lists them) but not proven.
                        if let PushOutcome::Stored(held) = outcome
                            && edit.hashes.iter().all(|h| held.contains(h))
                        {
                            report.log_unproven += 1;
                        }
                        skip.push(edit.doc_id.clone());
                    }
                }
                PushOutcome::Rejected(ErrorCode::MissingDependencies, _)
                    if restored && !retried.contains(&edit.doc_id) =>
                {
                    // Built before this answer showed the restore: an earlier change of this
                    // tablet's, lost with it, is now queued to go again, so the next request
                    // sends them all in causal order. Neither refused nor skipped, once.
                    retried.push(edit.doc_id.clone());
                }
                PushOutcome::Quarantined(code, _) | PushOutcome::Rejected(code, _) => {
                    let refused = device.edits_refused(&edit.doc_id)?;
                    // Either, never both: told once per registration.
                    if refused.dropped {
                        report.resend_refused += 1;
                    }
                    if refused.unsent {
                        // The edit stays on the tablet, unsent, for staff to see.
                        report.refused.push((edit.doc_id.clone(), *code));
                        outcomes.push((edit.doc_id.clone(), RecordOutcome::Refused(*code)));
                    }
                    skip.push(edit.doc_id.clone());
                }
            }
        }
        // Pulled documents and the cursor that covers them are kept in one commit, before
        // the receipt; an answer that pulled nothing keeps its cursor with the receipt.
        let quiet = response.pulled.is_empty()
            && response.withdrawn.is_empty()
            && response.removed.is_empty();
        let pulled = device.apply_pull(
            response.event.as_deref(),
            &response.pulled,
            &response.withdrawn,
            &response.removed,
            if quiet {
                None
            } else {
                response.cursor.as_ref()
            },
            now(),
        )?;
        let effects = device.record_receipt(
            &crate::store::ReceiptStamp {
                received: &received,
                epoch: &response.relay_epoch,
                commit_seq: response.commit_seq,
                backup_watermark: response.backup_watermark,
            },
            &answer,
            if quiet {
                response.cursor.as_ref()
            } else {
                None
            },
            now(),
        )?;
        report.erased += effects.erased;
        report.resent += effects.resend;
        report.event_updated |= pulled.event_updated;
        report.pulled += pulled.pulled;
        report.removed += pulled.removed;
        report.skipped += pulled.skipped;
        let mut adopted = None;
        let mut announcements = Vec::new();
        for command in &response.commands {
            // Each command is signed on its own, bound to this device, and kept.
            match open_command(command, &relay_key, &device_key)?.command {
                // Taken after the others: a wipe or unlock beside it is signed by the key
                // pinned until then, and checked against that key.
                Command::AdoptRelayKeys { .. } => announcements.push(command),
                Command::Wipe => {
                    device.keep_wipe_order(command)?;
                    report.wipe_requested = true;
                }
                Command::UnlockStaffPin { .. } => {
                    report.unlock_received |=
                        crate::staff_unlock::keep_unlock_order(device, command)?;
                }
            }
        }
        for command in announcements {
            let (key, changed) = crate::key_rotation::adopt_relay_keys(device, command)?;
            if changed {
                adopted = Some(key);
            }
        }
        // Whatever got no receipt stays sent; it is not offered again in this run.
        skip.extend(
            ids.into_iter()
                .filter(|id| !received.contains(id))
                .map(|id| id.to_string()),
        );
        answered = true;
        // A relay that says "more" must have moved the cursor; if not, stop rather than spin.
        more = response.more && response.cursor.is_some() && response.cursor != sent_cursor;
        if let Some(key) = adopted {
            // One more request, naming the new key: the relay learns this tablet adopted
            // it, and the receipt kept is signed by the key pinned from now on.
            relay_key = key;
            report.relay_keys_adopted = true;
            more = true;
        }
        report.relay_journal = Some(response.journal_confirmed.into());
        for (doc_id, outcome) in &outcomes {
            listener.record(doc_id, *outcome);
        }
        listener.progress(
            report.received
                + report.quarantined
                + report.edits_stored
                + report.refused.len() as u64
                + report.resend_refused,
            total,
        );
    }
    // Only a sync that ends replaces these; one that stops leaves the last ones standing.
    device.keep_awaiting_witness(report.awaiting_witness)?;
    device.keep_clock_behind_witness(report.clock_behind_witness)?;
    report.erased += device.erase_copies_after_event(now())?;
    report.erased += device.erase_expired_copies(now())?;
    // Its own commit after the last step's: the erasures above commit only when they erase.
    device.keep_last_sync(now())?;
    Ok(report)
}

/// A refusal to keep, with the relay's code cut to a short machine word.
fn refusal(status: u16, code: &str, at: Timestamp) -> crate::device::SyncRefusal {
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    crate::device::SyncRefusal {
        status,
        code: if code.is_empty() {
            "refused".into()
        } else {
            code
        },
        at,
    }
}

/// The next captures to push: unreceipted, not skipped in this run, within the limits.
fn next_captures(
    device: &Device,
    skip: &[String],
    limits: BatchLimits,
) -> Result<Vec<crate::store::PendingCapture>> {
    let pending = device
        .pending_captures(limits.max_documents + skip.len())?
        .into_iter()
        .filter(|p| !skip.iter().any(|s| s == p.doc_id.as_str()));
    let mut batch = Vec::new();
    let mut bytes = 0;
    for capture in pending.take(limits.max_documents) {
        if !batch.is_empty() && bytes + capture.sealed.len() > limits.max_bytes {
            break;
        }
        bytes += capture.sealed.len();
        batch.push(capture);
    }
    Ok(batch)
}

#[cfg(test)]
mod log_tests;
#[cfg(test)]
mod tests;

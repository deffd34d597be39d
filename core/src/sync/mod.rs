//! The sync client: builds signed requests from what the device holds, and applies the
//! relay's signed receipts. Sans-I/O apart from the [`Transport`] it is handed, so the state
//! machine is tested without a network, and a shell can bring its own networking.
//!
//! A record is marked received only on a receipt that verifies against the pinned relay key,
//! answers this very request, and lists every change the tablet journalled for it. Anything
//! else leaves the record to be sent again: retries are safe because merging is idempotent.

mod transport;

#[cfg(feature = "http-transport")]
pub use transport::{HttpTransport, RootCertificatesError};
pub use transport::{Transport, TransportError};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::ids::{RegistrationId, Timestamp};
use crate::journal::JournalHead;
use crate::protocol::{
    Command, ErrorCode, PROTOCOL_VERSION, PUSH_TAG, ProtocolError, Push, PushBody, PushOutcome,
    SignedEnvelope, SyncRequest, open_command, open_response,
};

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

/// What a shell hears while a sync runs.
pub trait SyncListener: Send + Sync {
    /// `done` of `total` records have a receipt (or were refused) so far.
    fn progress(&self, done: u64, total: u64);
    /// A record the relay refused; it stays on the tablet.
    fn refused(&self, doc_id: &str, code: ErrorCode);
}

/// A listener that ignores everything.
#[derive(Debug, Default)]
pub struct NoListener;

impl SyncListener for NoListener {
    fn progress(&self, _done: u64, _total: u64) {}
    fn refused(&self, _doc_id: &str, _code: ErrorCode) {}
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
    /// Received records sent again because the relay was restored from a backup.
    pub resent: u64,
}

/// Pushes everything unreceipted, in bounded batches, until nothing is left or the relay
/// refuses what remains.
pub fn sync(
    device: &Device,
    transport: &dyn Transport,
    listener: &dyn SyncListener,
    limits: BatchLimits,
    now: impl Fn() -> Timestamp,
) -> Result<SyncReport> {
    let relay_key = device.relay_signing_key()?.ok_or(Error::NotEnrolled)?;
    let device_key = device
        .device_id()
        .public_key()
        .ok_or(Error::NotEnrolled)?
        .to_bytes();
    let total = device.unreceipted_count()?;
    let mut report = SyncReport::default();
    let mut skip: Vec<RegistrationId> = Vec::new();
    let mut stale_retries = 0;
    // With nothing to push, one empty request still asks: the relay's backup watermark
    // (erase copies), its epoch (send again after a restore) and commands (a wipe).
    let mut answered = false;
    loop {
        let pending: Vec<_> = device
            .pending_captures(limits.max_documents + skip.len())?
            .into_iter()
            .filter(|p| !skip.contains(&p.doc_id))
            .collect();
        let mut batch = Vec::new();
        let mut bytes = 0;
        for capture in pending.into_iter().take(limits.max_documents) {
            if !batch.is_empty() && bytes + capture.sealed.len() > limits.max_bytes {
                break;
            }
            bytes += capture.sealed.len();
            batch.push(capture);
        }
        if batch.is_empty() && answered {
            break;
        }
        let ids: Vec<RegistrationId> = batch.iter().map(|c| c.doc_id.clone()).collect();
        let seq = device.begin_push(&ids, now())?;
        let request = SyncRequest {
            version: PROTOCOL_VERSION,
            device_id: device_key,
            seq,
            sent_at: now().millis(),
            journal: device.journal_head()?.into(),
            pushes: batch
                .iter()
                .map(|c| Push {
                    doc_id: c.doc_id.to_string(),
                    journal_seq: Some(c.journal_seq),
                    body: PushBody::Sealed(c.sealed.clone()),
                })
                .collect(),
        };
        let envelope = device.sign_envelope(PUSH_TAG, &request).to_bytes();
        let request_hash = SignedEnvelope::hash(&envelope);
        report.requests += 1;
        let answer = transport.post("/v1/sync", envelope)?;
        let response = open_response(&answer, &relay_key, &device_key, &request_hash)?;
        match response.refused {
            Some(ErrorCode::StaleSeq) if stale_retries < 3 => {
                // Restored from a backup, or a lost response: move past what the relay saw.
                stale_retries += 1;
                device.set_sync_seq(response.last_accepted_seq.unwrap_or(seq))?;
                continue;
            }
            Some(code) => return Err(Error::RelayRefused { code }),
            None => {}
        }
        // One outcome per push, in order; an answer that does not line up proves nothing.
        if response.outcomes.len() != batch.len() {
            return Err(ProtocolError::Malformed.into());
        }
        let mut received = Vec::new();
        for (capture, outcome) in batch.iter().zip(&response.outcomes) {
            // Received only if the relay holds every change this tablet journalled: stored,
            // or kept in quarantine as a received record for HR to review.
            let covers =
                |stored: &[[u8; 32]]| capture.change_hashes.iter().all(|h| stored.contains(h));
            match outcome {
                PushOutcome::Stored(stored) if covers(stored) => {
                    received.push(capture.doc_id.clone());
                    report.received += 1;
                }
                PushOutcome::Quarantined(_, stored) if covers(stored) => {
                    received.push(capture.doc_id.clone());
                    report.quarantined += 1;
                }
                PushOutcome::Stored(_) | PushOutcome::Quarantined(..) => {}
                PushOutcome::Rejected(code, _) => {
                    listener.refused(capture.doc_id.as_str(), *code);
                    report.refused.push((capture.doc_id.to_string(), *code));
                }
            }
        }
        let effects = device.record_receipt(
            &crate::store::ReceiptStamp {
                received: &received,
                epoch: &response.relay_epoch,
                commit_seq: response.commit_seq,
                backup_watermark: response.backup_watermark,
            },
            &answer,
            now(),
        )?;
        report.erased += effects.erased;
        report.resent += effects.resend;
        for command in &response.commands {
            // Each command is signed on its own, bound to this device, and kept.
            if open_command(command, &relay_key, &device_key)?.command == Command::Wipe {
                device.keep_wipe_order(command)?;
                report.wipe_requested = true;
            }
        }
        // Whatever got no receipt stays sent; it is not offered again in this run.
        skip.extend(ids.into_iter().filter(|id| !received.contains(id)));
        answered = true;
        report.relay_journal = Some(response.journal_confirmed.into());
        listener.progress(
            report.received + report.quarantined + report.refused.len() as u64,
            total,
        );
    }
    report.erased += device.erase_copies_after_event(now())?;
    Ok(report)
}

#[cfg(test)]
mod tests;

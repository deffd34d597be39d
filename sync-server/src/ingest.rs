//! What the relay does with a tablet's sync request: every check of the trust model, in
//! order, before anything is stored; then one transaction; then a signed receipt.
//!
//! Garbage (no valid signature) is refused and stores nothing. An authentic capture that
//! fails a later check, or comes from a revoked or expired tablet, is kept in quarantine:
//! it is a received public record, not merged and not dropped.

use kiosk_core::capture::{SealError, receipt_code};
use kiosk_core::documents::actor_id;
use kiosk_core::event::Event;
use kiosk_core::ids::EventId;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{
    Command, ErrorCode, JournalState, PROTOCOL_VERSION, Push, PushBody, PushOutcome, RECEIPT_TAG,
    SignedEnvelope, SyncRequest, SyncResponse, sign_command,
};
use kiosk_core::validation::revalidate;

use crate::keys::RelayKeys;
use crate::storage::{
    DeviceRecord, IngestBatch, IngestItem, IngestOutcome, RelayStore, StorageResult,
};

/// Runs the checks on every push and stores what passes, in one transaction. Returns the
/// signed response bytes.
pub fn handle_sync(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    device: &DeviceRecord,
    request: &SyncRequest,
    request_hash: [u8; 32],
    now: i64,
) -> StorageResult<Vec<u8>> {
    let revoked = device.revoked_at.is_some();
    let backup = store.backup_state()?;
    let mut response = SyncResponse {
        version: PROTOCOL_VERSION,
        device_id: device.device_key,
        request_hash,
        refused: None,
        last_accepted_seq: None,
        outcomes: Vec::new(),
        journal_confirmed: JournalState {
            count: 0,
            head: kiosk_core::journal::GENESIS,
        },
        relay_epoch: backup.epoch,
        commit_seq: None,
        backup_watermark: backup.watermark,
        removed: Vec::new(),
        commands: if revoked {
            vec![sign_command(
                Command::Wipe,
                device.device_key,
                now,
                &keys.signing,
            )]
        } else {
            Vec::new()
        },
    };
    // A replay is answered before any seal is opened, so it costs next to nothing. The
    // transaction checks the sequence again, for requests racing each other.
    if request.seq > i64::MAX as u64 {
        response.refused = Some(ErrorCode::Malformed);
        return Ok(SignedEnvelope::sign(RECEIPT_TAG, &response, &keys.signing).to_bytes());
    }
    if request.seq <= device.last_seq {
        response.refused = Some(ErrorCode::StaleSeq);
        response.last_accepted_seq = Some(device.last_seq);
        return Ok(SignedEnvelope::sign(RECEIPT_TAG, &response, &keys.signing).to_bytes());
    }
    // A kiosk captures for its own event only, so one event serves the whole request.
    let event = EventId::parse(&device.event_id)
        .map(|id| store.event(&id))
        .transpose()?
        .flatten();
    let checked = check_pushes(keys, device, event.as_ref(), &request.pushes, now);
    let mut items = Vec::new();
    for result in &checked {
        match result {
            Checked::Item(item) => items.push(item.clone()),
            Checked::Rejected(code, _) => tracing::warn!(code = code.as_str(), "push refused"),
        }
    }
    let batch = IngestBatch {
        device_key: device.device_key,
        seq: request.seq,
        received_at: now,
        items,
    };
    match store.ingest(&batch)? {
        IngestOutcome::StaleSeq { last_accepted } => {
            response.refused = Some(ErrorCode::StaleSeq);
            response.last_accepted_seq = Some(last_accepted);
        }
        IngestOutcome::Committed {
            stored,
            quarantined,
            journal,
            commit_seq,
        } => {
            response.commit_seq = Some(commit_seq);
            response.outcomes = outcomes_in_push_order(&checked, stored, quarantined);
            response.journal_confirmed = journal.into();
        }
    }
    Ok(SignedEnvelope::sign(RECEIPT_TAG, &response, &keys.signing).to_bytes())
}

/// One outcome per push, in the request's order. The store lists what it stored and what
/// it quarantined, each in item order; a capture it was asked to store was stored exactly
/// when the next stored entry is that document with those hashes, else quarantined.
fn outcomes_in_push_order(
    checked: &[Checked],
    stored: Vec<(String, Vec<[u8; 32]>)>,
    quarantined: Vec<(String, ErrorCode, Vec<[u8; 32]>)>,
) -> Vec<PushOutcome> {
    let mut stored = stored.into_iter().peekable();
    let mut quarantined = quarantined.into_iter();
    checked
        .iter()
        .map(|result| match result {
            Checked::Rejected(code, message) => PushOutcome::Rejected(*code, (*message).to_owned()),
            Checked::Item(item) => {
                if let IngestItem::Store {
                    doc_id,
                    change_hashes,
                    ..
                } = item
                    && let Some((_, hashes)) =
                        stored.next_if(|(id, hashes)| id == doc_id && hashes == change_hashes)
                {
                    return PushOutcome::Stored(hashes);
                }
                match quarantined.next() {
                    Some((_, code, hashes)) => PushOutcome::Quarantined(code, hashes),
                    // The store answers for every item; if it did not, claim nothing.
                    None => PushOutcome::Rejected(
                        ErrorCode::Malformed,
                        "the relay could not account for this document".to_owned(),
                    ),
                }
            }
        })
        .collect()
}

/// The largest sealed capture taken. A registration's is under 1 KiB (free text is bounded
/// by validation); anything near this is not a capture.
pub const MAX_SEALED_CAPTURE: usize = 64 * 1024;

/// Below this many pushes, checking them on one thread is quicker than starting others.
const PARALLEL_CHECK_MIN: usize = 16;

/// Runs [`check_push`] on every push, on as many threads as the machine has cores for
/// a large batch: opening seals is the relay's main cost, and the pushes are independent.
fn check_pushes(
    keys: &RelayKeys,
    device: &DeviceRecord,
    event: Option<&Event>,
    pushes: &[Push],
    now: i64,
) -> Vec<Checked> {
    let check = |push| check_push(keys, device, event, push, now);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || pushes.len() < PARALLEL_CHECK_MIN {
        return pushes.iter().map(check).collect();
    }
    let chunk = pushes.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = pushes
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(check).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a check does not panic"))
            .collect()
    })
}

enum Checked {
    Item(IngestItem),
    Rejected(ErrorCode, &'static str),
}

fn check_push(
    keys: &RelayKeys,
    device: &DeviceRecord,
    event: Option<&Event>,
    push: &Push,
    now: i64,
) -> Checked {
    let revoked = device.revoked_at.is_some();
    let expired = now >= device.expires_at;
    let sealed = match &push.body {
        PushBody::Sealed(sealed) if sealed.len() > MAX_SEALED_CAPTURE => {
            return Checked::Rejected(
                ErrorCode::TooLarge,
                "the sealed capture is larger than any registration can be",
            );
        }
        PushBody::Sealed(sealed) => sealed,
        PushBody::Changes(_) => {
            return Checked::Rejected(
                ErrorCode::NotPermitted,
                "this relay takes only sealed captures from tablets",
            );
        }
    };
    let opened = match keys.sealing.open(sealed) {
        Ok(opened) => opened,
        Err(SealError::BadCaptureSignature | SealError::DocumentMismatch) => {
            return Checked::Rejected(
                ErrorCode::BadCaptureSignature,
                "the capture signature does not verify",
            );
        }
        Err(_) => {
            return Checked::Rejected(
                ErrorCode::SealUnreadable,
                "the seal does not open with a key this relay holds",
            );
        }
    };
    let payload = &opened.payload;
    if payload.doc_id.as_str() != push.doc_id {
        return Checked::Rejected(ErrorCode::Malformed, "the seal holds another document");
    }
    let Some(device_key) = payload.device_id.public_key() else {
        return Checked::Rejected(ErrorCode::DeviceMismatch, "the capture names no device");
    };
    if device_key.to_bytes() != device.device_key {
        return Checked::Rejected(
            ErrorCode::DeviceMismatch,
            "the capture was made by another device",
        );
    }
    // Authentic from here on: whatever fails now is quarantined, never dropped.
    let quarantine = |code| {
        Checked::Item(IngestItem::Quarantine {
            doc_id: push.doc_id.clone(),
            sealed: sealed.clone(),
            change_hashes: payload.change_hashes.clone(),
            code,
            journal_seq: push.journal_seq,
        })
    };
    if revoked {
        return quarantine(ErrorCode::Revoked);
    }
    if expired {
        return quarantine(ErrorCode::CertificateExpired);
    }
    // Registrations are created by kiosks; staff tablets only annotate (a later issue).
    if device.role != EnrolledRole::Kiosk {
        return quarantine(ErrorCode::NotPermitted);
    }
    let mut document = opened.document;
    let registration = opened.registration;
    if document.authors() != vec![actor_id(&device_key)] {
        return quarantine(ErrorCode::ForeignActor);
    }
    // A capture creates a registration: one change, depending on nothing.
    let changes = document.change_hashes();
    if changes.len() != 1 || !document.change_deps(&changes[0]).is_empty() {
        return quarantine(ErrorCode::NotPermitted);
    }
    if registration.event_id.as_str() != device.event_id
        || registration.capturing_device != payload.device_id
    {
        return quarantine(ErrorCode::WrongEvent);
    }
    let Some(event) = event else {
        return quarantine(ErrorCode::WrongEvent);
    };
    let known_fields = document.fields_within(kiosk_core::documents::registration_field_paths());
    if !known_fields || revalidate(&registration, event).is_err() {
        return quarantine(ErrorCode::InvalidRegistration);
    }
    Checked::Item(IngestItem::Store {
        doc_id: push.doc_id.clone(),
        event_id: registration.event_id.to_string(),
        document: payload.document.clone(),
        change_hashes: payload.change_hashes.clone(),
        capture_signature: payload.capture_signature.clone(),
        receipt_code: receipt_code::for_registration(&registration.id),
        restricted: registration.restricted,
        journal_seq: push.journal_seq,
    })
}

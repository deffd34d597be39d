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
    Command, DocumentKind, ErrorCode, JournalState, PROTOCOL_VERSION, Push, PushBody, Quarantined,
    RECEIPT_TAG, Rejected, SignedEnvelope, StoredReceipt, SyncRequest, SyncResponse,
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
    let expired = now >= device.expires_at;
    let mut response = SyncResponse {
        version: PROTOCOL_VERSION,
        device_id: device.device_key,
        request_hash,
        refused: None,
        last_accepted_seq: None,
        receipts: Vec::new(),
        quarantined: Vec::new(),
        rejected: Vec::new(),
        journal_confirmed: JournalState {
            count: 0,
            head: kiosk_core::journal::GENESIS,
        },
        backup_watermark: None,
        removed: Vec::new(),
        commands: if revoked {
            vec![Command::Wipe]
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
    let mut items = Vec::new();
    let mut rejected = Vec::new();
    let mut events = EventCache::default();
    for push in &request.pushes {
        match check_push(&mut events, store, keys, device, push, revoked, expired)? {
            Checked::Item(item) => items.push(item),
            Checked::Rejected(code, message) => {
                tracing::warn!(code = code.as_str(), "push refused");
                rejected.push(Rejected {
                    doc_id: push.doc_id.clone(),
                    code,
                    message: message.to_owned(),
                })
            }
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
        } => {
            response.receipts = stored
                .into_iter()
                .map(|(doc_id, stored_hashes)| StoredReceipt {
                    doc_id,
                    stored_hashes,
                })
                .collect();
            response.quarantined = quarantined
                .into_iter()
                .map(|(doc_id, code, stored_hashes)| Quarantined {
                    doc_id,
                    code,
                    stored_hashes,
                })
                .collect();
            response.rejected = rejected;
            response.journal_confirmed = journal.into();
        }
    }
    Ok(SignedEnvelope::sign(RECEIPT_TAG, &response, &keys.signing).to_bytes())
}

enum Checked {
    Item(IngestItem),
    Rejected(ErrorCode, &'static str),
}

/// Events read once per request: a batch of captures almost always cites one event.
#[derive(Default)]
struct EventCache {
    events: Vec<(EventId, Option<Event>)>,
}

impl EventCache {
    fn get(&mut self, store: &dyn RelayStore, id: &EventId) -> StorageResult<Option<&Event>> {
        let index = match self.events.iter().position(|(known, _)| known == id) {
            Some(index) => index,
            None => {
                self.events.push((id.clone(), store.event(id)?));
                self.events.len() - 1
            }
        };
        Ok(self.events[index].1.as_ref())
    }
}

fn check_push(
    events: &mut EventCache,
    store: &dyn RelayStore,
    keys: &RelayKeys,
    device: &DeviceRecord,
    push: &Push,
    revoked: bool,
    expired: bool,
) -> StorageResult<Checked> {
    let sealed = match (&push.kind, &push.body) {
        (DocumentKind::Registration, PushBody::Sealed(sealed)) => sealed,
        (_, PushBody::Changes(_)) => {
            return Ok(Checked::Rejected(
                ErrorCode::NotPermitted,
                "this relay takes only sealed captures from tablets",
            ));
        }
    };
    let opened = match keys.sealing.open(sealed) {
        Ok(opened) => opened,
        Err(SealError::BadCaptureSignature | SealError::DocumentMismatch) => {
            return Ok(Checked::Rejected(
                ErrorCode::BadCaptureSignature,
                "the capture signature does not verify",
            ));
        }
        Err(_) => {
            return Ok(Checked::Rejected(
                ErrorCode::SealUnreadable,
                "the seal does not open with a key this relay holds",
            ));
        }
    };
    let payload = &opened.payload;
    if payload.doc_id.as_str() != push.doc_id {
        return Ok(Checked::Rejected(
            ErrorCode::Malformed,
            "the seal holds another document",
        ));
    }
    let Some(device_key) = payload.device_id.public_key() else {
        return Ok(Checked::Rejected(
            ErrorCode::DeviceMismatch,
            "the capture names no device",
        ));
    };
    if device_key.to_bytes() != device.device_key {
        return Ok(Checked::Rejected(
            ErrorCode::DeviceMismatch,
            "the capture was made by another device",
        ));
    }
    // Authentic from here on: whatever fails now is quarantined, never dropped.
    let quarantine = |code| {
        Ok(Checked::Item(IngestItem::Quarantine {
            doc_id: push.doc_id.clone(),
            sealed: sealed.clone(),
            change_hashes: payload.change_hashes.clone(),
            code,
            journal_seq: push.journal_seq,
        }))
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
    let Some(event) = events.get(store, &registration.event_id)? else {
        return quarantine(ErrorCode::WrongEvent);
    };
    let known_fields = document.fields_within(kiosk_core::documents::registration_field_paths());
    if !known_fields || revalidate(&registration, event).is_err() {
        return quarantine(ErrorCode::InvalidRegistration);
    }
    Ok(Checked::Item(IngestItem::Store {
        doc_id: push.doc_id.clone(),
        event_id: registration.event_id.to_string(),
        document: payload.document.clone(),
        change_hashes: payload.change_hashes.clone(),
        capture_signature: payload.capture_signature.clone(),
        receipt_code: receipt_code::for_registration(&registration.id),
        restricted: registration.restricted,
        journal_seq: push.journal_seq,
    }))
}

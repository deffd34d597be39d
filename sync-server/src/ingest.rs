//! What the relay does with a tablet's sync request: every check of the trust model, in
//! order, before anything is stored; then one transaction; then a signed receipt.
//!
//! Garbage (no valid signature) is refused and stores nothing. An authentic capture that
//! fails a later check, or comes from a revoked or expired tablet, is kept in quarantine:
//! it is a received public record, not merged and not dropped.

use std::borrow::Cow;
use std::sync::Arc;

mod log_answer;

pub use log_answer::LogSigner;
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub use log_answer::answer_leaves_for_bench;

use kiosk_core::capture::{CapturePayload, SealError};
use kiosk_core::documents::{
    BoundError, ChunkLimits, RegistrationDocument, StaffAuthor, StaffEditRefusal, actor_id,
    check_change_chunks,
};
use kiosk_core::event::Event;
use kiosk_core::ids::EventId;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{
    Command, ErrorCode, Push, PushBody, PushOutcome, RECEIPT_TAG, SignedEnvelope, SyncRequest,
    SyncResponse, sign_command,
};
use kiosk_core::registration::Registration;
use kiosk_core::validation::revalidate;

use ed25519_dalek::SigningKey;

use crate::keys::RelayKeys;
use crate::pull::{CursorKey, PullStart};
use crate::storage::{
    AcceptedCapture, Accessor, DeviceRecord, IngestBatch, IngestItem, IngestOutcome, PullQuery,
    PullScope, RelayStore, StorageResult,
};

/// The most changes one answer carries to a staff tablet (whole commits at a time): about
/// 500 registrations' captures, well within a mobile background window.
pub const MAX_PULL_CHANGES: usize = 500;

/// The largest staff edit taken at once (a few notes are a few KiB).
pub const MAX_STAFF_CHANGES: usize = 64 * 1024;

/// The most bytes of captures kept in quarantine from a revoked or expired tablet (about
/// 20,000 real captures, far more than one tablet holds unsent): past it, its pushes are
/// refused unopened, so a stolen tablet's key cannot fill the relay's disk after HR revoked
/// it.
pub const MAX_QUARANTINE_PER_STOPPED_TABLET: u64 = 32 * 1024 * 1024;

/// The most pushes one request carries (a tablet sends at most 100): every push may cost
/// the opening of a seal, so their number, not only the body's size, bounds the work.
pub const MAX_PUSHES_PER_REQUEST: usize = 1000;

/// Runs the checks on every push and stores what passes, in one transaction, then answers
/// with what the tablet lacks. Returns the signed response bytes.
///
/// The same as [`check_sync`] followed by [`CheckedSync::commit`].
pub fn handle_sync(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    device: &DeviceRecord,
    request: &SyncRequest,
    request_hash: [u8; 32],
    now: i64,
) -> StorageResult<Vec<u8>> {
    match check_sync(store, keys, device, request, request_hash, now)? {
        Prepared::Answered(answer) => Ok(answer),
        Prepared::Checked(checked) => checked.commit(store, keys, request),
    }
}

/// A sync request after [`check_sync`]: answered already (refused before any seal was
/// opened), or checked and ready to store.
#[derive(Debug)]
pub enum Prepared {
    /// The signed answer: nothing of the request is stored.
    Answered(Vec<u8>),
    /// Boxed: it carries the whole unsigned answer beside the checked batch.
    Checked(Box<CheckedSync>),
}

/// A sync request whose pushes passed through every check: what is left is the store's
/// transaction (the writer) and the signed answer.
pub struct CheckedSync {
    response: SyncResponse,
    checked: Vec<Checked>,
    batch: IngestBatch,
    device_key: [u8; 32],
    event_id: Option<EventId>,
    entitled: bool,
    start: PullStart,
    cursor_key: CursorKey,
    after_seq: u64,
    /// The relay key the store recorded this tablet pinning, before this request.
    pinned: Option<[u8; 32]>,
    /// Signs the transparency log's checkpoint the answer carries; `None` answers without
    /// the log's fields (a relay without a log key).
    log: Option<Arc<dyn LogSigner>>,
    /// The witnesses the relay takes cosignatures from: the answer names the newest tree
    /// all of them cosigned.
    witnesses: Arc<crate::witness::intake::Witnesses>,
}

/// The CPU-bound half of a sync: the request's own refusals, then every push's checks
/// (seal opening, signature, document reading, the form's rules), on the calling thread
/// and as many more as the batch is worth. Takes no writer: requests are checked side by
/// side, and only [`CheckedSync::commit`] queues for the store's ingest transaction.
pub fn check_sync(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    device: &DeviceRecord,
    request: &SyncRequest,
    request_hash: [u8; 32],
    now: i64,
) -> StorageResult<Prepared> {
    let revoked = device.revoked_at.is_some();
    let backup = store.backup_state()?;
    let response = SyncResponse {
        backup_watermark: backup.watermark,
        commands: device_commands(store, keys, device, &request.relay_key, now)?,
        ..SyncResponse::empty(device.device_key, request_hash, backup.epoch)
    };
    // Signed with the key the tablet pins while the relay still holds it (a key rotation
    // under way), so a tablet that has not adopted the new keys can check the answer.
    let signer = keys.signing_for(&request.relay_key);
    let refuse =
        |response: SyncResponse, code| Ok(Prepared::Answered(refusal(response, code, signer)));
    // A replay is answered before any seal is opened, so it costs next to nothing. The
    // transaction checks the sequence again, for requests racing each other.
    if request.seq > i64::MAX as u64 {
        return refuse(response, ErrorCode::Malformed);
    }
    if request.seq <= device.last_seq {
        let mut response = response;
        response.last_accepted_seq = Some(device.last_seq);
        return refuse(response, ErrorCode::StaleSeq);
    }
    // Each push costs a seal's opening at most; their number bounds a request's work.
    if request.pushes.len() > MAX_PUSHES_PER_REQUEST {
        return refuse(response, ErrorCode::TooLarge);
    }
    // A tablet pulls for the event its certificate names, and only a staff tablet pulls
    // registrations.
    if request.pull.event_id != device.event_id {
        return refuse(response, ErrorCode::WrongEvent);
    }
    if request.pull.registrations && device.role != EnrolledRole::Staff {
        return refuse(response, ErrorCode::NotPermitted);
    }
    let start = PullStart {
        device: device.device_key,
        event_id: device.event_id.clone(),
        epoch: backup.epoch,
    };
    let cursor_key = CursorKey::derive(keys.derivation_root());
    let Ok(after_seq) = cursor_key.read(request.pull.cursor.as_ref(), &start) else {
        return refuse(response, ErrorCode::BadCursor);
    };
    // A kiosk captures for its own event only, so one event serves the whole request.
    let event_id = EventId::parse(&device.event_id);
    let event = event_id
        .as_ref()
        .map(|id| store.event(id))
        .transpose()?
        .flatten();
    // A revoked or expired tablet's captures are quarantined up to its share; past it they
    // are refused before any seal is opened.
    let stopped = revoked || now >= device.expires_at;
    let keeps_no_more = stopped
        && request
            .pushes
            .iter()
            .any(|p| matches!(p.body, PushBody::Sealed(_)))
        && store.quarantined_bytes(&device.device_key)? >= MAX_QUARANTINE_PER_STOPPED_TABLET;
    // Whether a staff tablet's recruiter still stands is asked once a request: every edit
    // and the pull below depend on it.
    let standing = Standing {
        keeps_no_more,
        recruiter_stands: crate::enrollment::tablet_may_act(store, device)?,
        device_key: ed25519_dalek::VerifyingKey::from_bytes(&device.device_key).ok(),
    };
    let checked = check_pushes(
        store,
        keys,
        device,
        event.as_ref(),
        &request.pushes,
        standing,
        now,
    );
    let mut items = Vec::new();
    for result in &checked {
        match result {
            Checked::Item(item) | Checked::Edit { item, .. } => items.push(item.clone()),
            Checked::Rejected(code, _) => tracing::warn!(code = code.as_str(), "push refused"),
        }
    }
    // A revoked or expired tablet is told to wipe, and is sent nothing more; a staff tablet
    // whose recruiter no longer stands (unassigned, disabled, role taken) is sent nothing
    // until they do again.
    let entitled = !revoked && now < device.expires_at && standing.recruiter_stands;
    let pull = entitled.then(|| PullQuery {
        scope: PullScope {
            device_key: device.device_key,
            event_id: device.event_id.clone(),
            role: device.role,
        },
        after_seq,
        max_changes: MAX_PULL_CHANGES,
    });
    let batch = IngestBatch {
        device_key: device.device_key,
        seq: request.seq,
        received_at: now,
        items,
        accessor: Accessor::Device {
            device_key: device.device_key,
            recruiter: device.recruiter.clone(),
        },
        pull,
        declared_journal: Some(request.journal.count),
    };
    Ok(Prepared::Checked(Box::new(CheckedSync {
        response,
        checked,
        batch,
        device_key: device.device_key,
        event_id,
        entitled,
        start,
        cursor_key,
        after_seq,
        pinned: device.relay_key,
        log: None,
        witnesses: Arc::default(),
    })))
}

impl std::fmt::Debug for CheckedSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the documents, nor the cursor key.
        f.debug_struct("CheckedSync")
            .field("pushes", &self.checked.len())
            .field("items", &self.batch.items.len())
            .field("seq", &self.batch.seq)
            .finish_non_exhaustive()
    }
}

impl CheckedSync {
    /// The answer carries the transparency log's checkpoint signed by `log`, its proofs
    /// and, for a tablet with no checkpoint yet, the log key.
    pub fn with_log(mut self: Box<Self>, log: Arc<dyn LogSigner>) -> Box<Self> {
        self.log = Some(log);
        self
    }

    /// The witnesses the relay is configured with, whose common cosigned tree the answer
    /// names.
    pub fn with_witnesses(
        mut self: Box<Self>,
        witnesses: Arc<crate::witness::intake::Witnesses>,
    ) -> Box<Self> {
        self.witnesses = witnesses;
        self
    }

    /// Stores what passed the checks in the store's ingest transaction (shared with the
    /// requests queued beside it), then signs the answer: the only part of a sync that
    /// waits for the writer.
    pub fn commit(
        self: Box<Self>,
        store: &dyn RelayStore,
        keys: &RelayKeys,
        request: &SyncRequest,
    ) -> StorageResult<Vec<u8>> {
        self.commit_with(store, keys, request, |_| {})
    }

    /// [`CheckedSync::commit`], showing `answered` the answer of a committed request before
    /// it is signed (the relay's metrics count its outcomes and pull page).
    pub fn commit_with(
        self: Box<Self>,
        store: &dyn RelayStore,
        keys: &RelayKeys,
        request: &SyncRequest,
        answered: impl FnOnce(&SyncResponse),
    ) -> StorageResult<Vec<u8>> {
        let CheckedSync {
            mut response,
            checked,
            batch,
            device_key,
            event_id,
            entitled,
            start,
            cursor_key,
            after_seq,
            pinned,
            log,
            witnesses,
        } = *self;
        let (page, appended) = match store.ingest(&batch)? {
            IngestOutcome::StaleSeq { last_accepted } => {
                response.last_accepted_seq = Some(last_accepted);
                return Ok(refusal(
                    response,
                    ErrorCode::StaleSeq,
                    keys.signing_for(&request.relay_key),
                ));
            }
            IngestOutcome::Committed {
                outcomes,
                journal,
                commit_seq,
                page,
                appended,
            } => {
                response.commit_seq = Some(commit_seq);
                response.outcomes = outcomes_in_push_order(&checked, outcomes);
                if request.pushes.is_empty() && journal.count < request.journal.count {
                    // Nothing left to send, yet the tablet journalled more than the relay
                    // holds: records only its erased copies held are gone (an older backup
                    // restored?).
                    tracing::warn!(
                        device = %hex::encode(&device_key[..8]),
                        tablet_journal = request.journal.count,
                        relay_journal = journal.count,
                        "a tablet's journal is ahead of what the relay holds, with nothing left to send"
                    );
                }
                response.journal_confirmed = journal.into();
                (page, appended)
            }
        };
        // Removed documents the tablet just pushed are named too, so it erases them.
        let pushed_removed = request
            .pushes
            .iter()
            .zip(&response.outcomes)
            .filter(|(_, o)| o.code() == Some(ErrorCode::Removed))
            .map(|(p, _)| p.doc_id.clone());
        response.removed = page.removed;
        response.removed.extend(pushed_removed);
        if entitled && let Some(id) = &event_id {
            response.event = store.event_changes_since(id, &request.pull.event_heads)?;
        }
        response.pulled = page.documents;
        response.withdrawn = page.withdrawn;
        response.more = page.more;
        // A tablet sent nothing (revoked, expired) keeps its cursor where it was.
        response.cursor = Some(cursor_key.write(&start, page.through_seq.max(after_seq)));
        if let Some(log) = &log {
            log_answer::fill(
                store,
                log.as_ref(),
                &witnesses,
                request,
                (&checked, &appended),
                &device_key,
                &mut response,
            )?;
        }
        answered(&response);
        // The key the tablet named, once it is one this relay signs with, is the one it
        // pins: recorded, so retiring the previous keys knows who has not adopted the new.
        // Only once the relay holds every capture the tablet journaled: until then some may
        // wait on it sealed to the previous key, which retiring would strand.
        if keys.holds_signing_key(&request.relay_key)
            && pinned != Some(request.relay_key)
            && response.journal_confirmed == request.journal
            && let Err(error) = store.note_relay_key(&device_key, &request.relay_key)
        {
            // The request is stored; the next sync records the key again.
            tracing::warn!(%error, "recording which relay key a tablet pins");
        }
        let signer = keys.signing_for(&request.relay_key);
        Ok(SignedEnvelope::sign(RECEIPT_TAG, &response, signer).to_bytes())
    }
}

/// `response` signed as a refusal of the whole request with `code`.
fn refusal(mut response: SyncResponse, code: ErrorCode, signer: &SigningKey) -> Vec<u8> {
    response.refused = Some(code);
    SignedEnvelope::sign(RECEIPT_TAG, &response, signer).to_bytes()
}

/// The signed commands a device gets in every answer, signed with the key it pins
/// (`pinned`, as its request named it): the new keys while it pins the previous ones of a
/// rotation under way, a wipe for a revoked tablet, the latest unlock of a staff tablet's
/// PIN.
fn device_commands(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    device: &DeviceRecord,
    pinned: &[u8; 32],
    now: i64,
) -> StorageResult<Vec<kiosk_core::protocol::SignedCommand>> {
    let signer = keys.signing_for(pinned);
    let mut commands = Vec::new();
    if let Some(announcement) = keys.announcement_for(pinned) {
        commands.push(sign_command(announcement, device.device_key, now, signer));
    }
    if device.revoked_at.is_some() {
        commands.push(sign_command(Command::Wipe, device.device_key, now, signer));
    }
    if device.role == EnrolledRole::Staff
        && device.revoked_at.is_none()
        && let Some((counter, issued_at)) =
            store.outstanding_staff_unlock(&device.device_key, now)?
    {
        commands.push(sign_command(
            Command::UnlockStaffPin { counter },
            device.device_key,
            // The time HR issued it, not this answer's: the tablet judges its age by it.
            issued_at,
            signer,
        ));
    }
    Ok(commands)
}

/// One outcome per push, in the request's order: the checks' refusals where they refused,
/// the store's outcomes (one per item, in order) elsewhere.
fn outcomes_in_push_order(checked: &[Checked], stored: Vec<PushOutcome>) -> Vec<PushOutcome> {
    let mut stored = stored.into_iter();
    checked
        .iter()
        .map(|result| match result {
            Checked::Rejected(code, message) => PushOutcome::Rejected(*code, message.to_string()),
            // The store answers for every item; if it did not, claim nothing.
            Checked::Item(_) | Checked::Edit { .. } => stored.next().unwrap_or_else(|| {
                PushOutcome::Rejected(
                    ErrorCode::Malformed,
                    "the relay could not account for this document".to_owned(),
                )
            }),
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
    store: &dyn RelayStore,
    keys: &RelayKeys,
    device: &DeviceRecord,
    event: Option<&Event>,
    pushes: &[Push],
    standing: Standing,
    now: i64,
) -> Vec<Checked> {
    let check = |push| check_push(store, keys, device, event, push, standing, now);
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

/// What the request's tablet may still do, decided once a request from the store, and its
/// key.
#[derive(Debug, Clone, Copy)]
struct Standing {
    /// A revoked or expired tablet past its quarantine share: its captures are refused
    /// without being opened.
    keeps_no_more: bool,
    /// A staff tablet's recruiter is still an enabled recruiter assigned to its event
    /// (always true for a kiosk).
    recruiter_stands: bool,
    /// The tablet's key, decoded once a request rather than once a push (decoding is a
    /// point decompression); `None` if the stored key is no Ed25519 key, which every push
    /// that needs it is refused for.
    device_key: Option<ed25519_dalek::VerifyingKey>,
}

enum Checked {
    Item(IngestItem),
    /// A staff edit push to store ([`IngestItem::Annotate`], the changes not held yet),
    /// with every change hash the push sent, each once: the answer proves those the relay
    /// holds, new or stored before.
    Edit {
        item: IngestItem,
        pushed: Vec<[u8; 32]>,
    },
    /// With a message for people: it names the rule, never the content.
    Rejected(ErrorCode, Cow<'static, str>),
}

/// Checks one push, cheapest rule first: sizes, then the seal's decryption (HPKE, bounded
/// by the sealed size), then the document's bounds and the capture signature over the hashes
/// computed from its bytes, all without Automerge. A revoked or expired tablet's authentic
/// capture, or one from a staff tablet, is quarantined at that point, its document never
/// read; only a capture that may be stored is read with Automerge, within a capture's
/// bounds.
fn check_push(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    device: &DeviceRecord,
    event: Option<&Event>,
    push: &Push,
    standing: Standing,
    now: i64,
) -> Checked {
    // A record is named by its id's one written form everywhere it is stored, checked and
    // erased: another spelling of the same id (upper case, braces, no hyphens) would be
    // another record to the store, so a removed one could come back under it. (What is no
    // registration id at all is refused further on, as before: no such document, or no
    // signature over it.)
    if is_another_spelling(&push.doc_id) {
        return Checked::Rejected(
            ErrorCode::Malformed,
            "the registration id is not written in its canonical form".into(),
        );
    }
    let revoked = device.revoked_at.is_some();
    let expired = now >= device.expires_at;
    let sealed = match &push.body {
        PushBody::Sealed(_) if standing.keeps_no_more => {
            let code = if revoked {
                ErrorCode::Revoked
            } else {
                ErrorCode::CertificateExpired
            };
            return Checked::Rejected(
                code,
                "the relay keeps no more captures of this stopped tablet; it was not opened".into(),
            );
        }
        PushBody::Sealed(sealed) if sealed.len() > MAX_SEALED_CAPTURE => {
            return Checked::Rejected(
                ErrorCode::TooLarge,
                "the sealed capture is larger than any registration can be".into(),
            );
        }
        PushBody::Sealed(sealed) => sealed,
        PushBody::Changes(changes) => {
            return check_staff_edit(store, device, push, changes, standing, now);
        }
    };
    let Some(device_key) = standing.device_key else {
        return Checked::Rejected(
            ErrorCode::DeviceMismatch,
            "the device key is not valid".into(),
        );
    };
    #[cfg(test)]
    check_hold::at_check(&push.doc_id);
    let unsealed = match keys.unseal(sealed) {
        Ok(unsealed) => unsealed,
        Err(SealError::UnknownKeyId(key_id)) if keys.retired_sealing_key(&key_id) => {
            return Checked::Rejected(
                ErrorCode::RetiredRelayKey,
                "the seal names a relay key that was retired after a key rotation".into(),
            );
        }
        Err(_) => {
            return Checked::Rejected(
                ErrorCode::SealUnreadable,
                "the seal does not open with a key this relay holds".into(),
            );
        }
    };
    let signed = match unsealed.verify_unread(&device_key, &push.doc_id) {
        Ok(signed) => signed,
        Err(SealError::TooLarge(bound)) => return too_large(bound),
        Err(_) => {
            return Checked::Rejected(
                ErrorCode::BadCaptureSignature,
                "the capture signature does not verify for this tablet".into(),
            );
        }
    };
    // Authentic from here on: whatever fails now is quarantined, never dropped.
    let quarantine = |code, change_hashes| {
        Checked::Item(IngestItem::Quarantine {
            doc_id: push.doc_id.clone(),
            sealed: sealed.clone(),
            change_hashes,
            code,
            journal_seq: push.journal_seq,
        })
    };
    let stopped_code = if revoked {
        Some(ErrorCode::Revoked)
    } else if expired {
        Some(ErrorCode::CertificateExpired)
    } else if device.role != EnrolledRole::Kiosk {
        // Registrations are created by kiosks; staff tablets only annotate (a later issue).
        Some(ErrorCode::NotPermitted)
    } else {
        None
    };
    if let Some(code) = stopped_code {
        return quarantine(code, signed.change_hashes().to_vec());
    }
    let opened = match signed.read() {
        Ok(opened) => opened,
        Err(SealError::TooLarge(bound)) => return too_large(bound),
        // The signature verified over the push's id and this tablet: the document itself
        // names another.
        Err(_) => {
            return Checked::Rejected(
                ErrorCode::Malformed,
                "the seal holds another document or another tablet's capture".into(),
            );
        }
    };
    let payload = &opened.payload;
    let quarantine = |code| quarantine(code, payload.change_hashes.clone());
    let mut document = opened.document;
    let registration = opened.registration;
    match check_capture_change(&mut document, &device_key) {
        Ok(()) => {}
        Err(CaptureFault::ForeignActor) => return quarantine(ErrorCode::ForeignActor),
        Err(CaptureFault::NotOneChange) => return quarantine(ErrorCode::NotPermitted),
    }
    if registration.event_id.as_str() != device.event_id
        || registration.capturing_device != payload.device_id
    {
        return quarantine(ErrorCode::WrongEvent);
    }
    let Some(event) = event else {
        return quarantine(ErrorCode::WrongEvent);
    };
    if !valid_capture(&document, &registration, event) {
        return quarantine(ErrorCode::InvalidRegistration);
    }
    let capture = stored_capture(keys, payload, &registration);
    // A capture opens its record empty: its HR status is new.
    let listing = crate::storage::RegistrationListing::of(
        &registration,
        kiosk_core::annotations::RecordStatus::New.as_str(),
    );
    Checked::Item(IngestItem::Store {
        doc_id: push.doc_id.clone(),
        event_id: capture.event_id,
        document: capture.document,
        change_hashes: capture.change_hashes,
        capture_signature: capture.capture_signature,
        receipt_code: capture.receipt_code,
        receipt_tag: capture.receipt_tag,
        restricted: capture.restricted,
        journal_seq: push.journal_seq,
        listing: Some(Box::new(listing)),
    })
}

/// Whether `doc_id` is a registration id written otherwise than the core writes it.
fn is_another_spelling(doc_id: &str) -> bool {
    kiosk_core::ids::RegistrationId::parse(doc_id).is_some_and(|id| id.to_string() != doc_id)
}

/// A push whose Automerge bytes were refused by their bounds, unread.
fn too_large(bound: BoundError) -> Checked {
    tracing::warn!(bound = %bound, "automerge bytes refused unread");
    Checked::Rejected(
        ErrorCode::TooLarge,
        format!("refused unread: {bound}").into(),
    )
}

/// Why an authentic capture's document is not a capture by its tablet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaptureFault {
    /// A change is by another author than the tablet.
    ForeignActor,
    /// It is not one change depending on nothing.
    NotOneChange,
}

/// Checks that `document` is what a capture by the tablet `device_key` is: changes by that
/// tablet only, and (as a capture creates a registration) one change, depending on nothing.
/// Ingest checks a kiosk's push with it, and quarantine review a capture it accepts.
pub(crate) fn check_capture_change(
    document: &mut RegistrationDocument,
    device_key: &ed25519_dalek::VerifyingKey,
) -> Result<(), CaptureFault> {
    if document.authors() != vec![actor_id(device_key)] {
        return Err(CaptureFault::ForeignActor);
    }
    let changes = document.change_hashes();
    if changes.len() != 1 || !document.change_deps(&changes[0]).is_empty() {
        return Err(CaptureFault::NotOneChange);
    }
    Ok(())
}

/// Whether a capture's `registration` (in `document`) is a valid one of `event`: no fields
/// but a registration's, valid against the event's form, and opening the record (the
/// annotation containers present and empty, status new).
pub(crate) fn valid_capture(
    document: &RegistrationDocument,
    registration: &Registration,
    event: &Event,
) -> bool {
    document.fields_within(kiosk_core::documents::registration_field_paths())
        && revalidate(registration, event).is_ok()
        && document.opens_record()
}

/// What the relay stores of a capture that passed the checks.
pub(crate) fn stored_capture(
    keys: &RelayKeys,
    payload: &CapturePayload,
    registration: &Registration,
) -> AcceptedCapture {
    AcceptedCapture {
        event_id: registration.event_id.to_string(),
        document: payload.document.clone(),
        change_hashes: payload.change_hashes.clone(),
        capture_signature: payload.capture_signature.clone(),
        // Exported from the seal as it opened: the same code the kiosk showed at submit.
        receipt_code: payload.receipt_code.clone(),
        // Only the keyed hash of the receipt's hash is kept: the hash itself is dropped
        // with the payload, and the secret never reached the relay.
        receipt_tag: payload
            .receipt_hash
            .as_ref()
            .map(|hash| keys.receipt.tag(hash)),
        restricted: registration.restricted,
    }
}

/// Checks a staff tablet's changes of a registration against the trust model: a staff
/// tablet of the registration's event, a registration it could have pulled, and only the
/// operations a staff tablet may make (see `kiosk_core::documents::staff_edits`).
fn check_staff_edit(
    store: &dyn RelayStore,
    device: &DeviceRecord,
    push: &Push,
    changes: &[u8],
    standing: Standing,
    now: i64,
) -> Checked {
    if device.role != EnrolledRole::Staff {
        return Checked::Rejected(
            ErrorCode::NotPermitted,
            "a kiosk only creates registrations; it does not change them".into(),
        );
    }
    if device.revoked_at.is_some() {
        return Checked::Rejected(ErrorCode::Revoked, "this tablet was revoked".into());
    }
    if now >= device.expires_at {
        return Checked::Rejected(
            ErrorCode::CertificateExpired,
            "this tablet's certificate has expired".into(),
        );
    }
    if changes.len() > MAX_STAFF_CHANGES {
        return Checked::Rejected(
            ErrorCode::TooLarge,
            "the changes are larger than any edit".into(),
        );
    }
    // Bounded before the stored record or the changes are read with Automerge.
    let mut pushed = match check_change_chunks(changes, &ChunkLimits::STAFF_EDIT) {
        Ok(chunks) => chunks.hashes,
        Err(bound) if bound.is_too_large() => return too_large(bound),
        Err(_) => {
            return Checked::Rejected(
                ErrorCode::Malformed,
                StaffEditRefusal::Unreadable.to_string().into(),
            );
        }
    };
    // Each once, as the tablet counts them.
    let mut seen = std::collections::HashSet::with_capacity(pushed.len());
    pushed.retain(|hash| seen.insert(*hash));
    let Some(recruiter) = device.recruiter.as_deref() else {
        return Checked::Rejected(
            ErrorCode::NotPermitted,
            "the tablet names no recruiter".into(),
        );
    };
    if !standing.recruiter_stands {
        return Checked::Rejected(
            ErrorCode::NotPermitted,
            "the tablet's recruiter is no longer an enabled recruiter assigned to its event".into(),
        );
    }
    let Some(device_key) = standing.device_key else {
        return Checked::Rejected(
            ErrorCode::DeviceMismatch,
            "the device key is not valid".into(),
        );
    };
    let unknown = || {
        Checked::Rejected(
            ErrorCode::UnknownDocument,
            "this relay holds no such registration for the tablet's event".into(),
        )
    };
    let stored = match store.stored_registration(&push.doc_id) {
        Ok(Some(stored)) => stored,
        Ok(None) => {
            // Only a removal this tablet could have known of is named as such.
            return match store.removal(&push.doc_id) {
                Ok(Some(removal)) if removal.event_id == device.event_id && !removal.restricted => {
                    Checked::Rejected(
                        ErrorCode::Removed,
                        "the registration was removed at the relay".into(),
                    )
                }
                _ => unknown(),
            };
        }
        Err(_) => return unknown(),
    };
    // A restricted record, or another event's, is never sent to a staff tablet, so an edit
    // of one is answered as if it did not exist.
    if stored.restricted || stored.event_id != device.event_id {
        return unknown();
    }
    let Ok((mut document, _)) = RegistrationDocument::load_unattributed(&stored.changes) else {
        return unknown();
    };
    let author = StaffAuthor {
        device: &device_key,
        recruiter,
    };
    match document.apply_staff_changes(changes, author) {
        Ok(added) => {
            let hashes: Vec<[u8; 32]> = added.iter().map(|h| h.0).collect();
            let changes = hashes
                .iter()
                .map(|h| (*h, document.change_chunks(std::slice::from_ref(h))))
                .collect();
            Checked::Edit {
                item: IngestItem::Annotate {
                    doc_id: push.doc_id.clone(),
                    changes,
                },
                pushed,
            }
        }
        Err(refusal) => {
            let code = match refusal {
                StaffEditRefusal::Unreadable => ErrorCode::Malformed,
                StaffEditRefusal::ForeignActor => ErrorCode::ForeignActor,
                StaffEditRefusal::MissingDependencies => ErrorCode::MissingDependencies,
                StaffEditRefusal::NotPermitted(_) => ErrorCode::NotPermitted,
                StaffEditRefusal::Invalid(_) => ErrorCode::InvalidRegistration,
                StaffEditRefusal::TooLarge(_) => ErrorCode::TooLarge,
            };
            // The refusal's own text names the rule, never the content.
            Checked::Rejected(code, refusal.to_string().into())
        }
    }
}

/// For tests: holds the check of a named push just before its seal is opened, until the
/// test lets it go, so a test sees what else runs while a check is under way.
#[cfg(test)]
pub(crate) mod check_hold {
    use std::sync::{Arc, Condvar, Mutex, PoisonError};

    /// Pushes whose checks are held, by document id (unique per test).
    static HELD: Mutex<Vec<(String, Arc<Hold>)>> = Mutex::new(Vec::new());

    #[derive(Debug, Default)]
    pub(crate) struct Hold {
        /// Whether the check arrived, and whether it may go on.
        state: Mutex<(bool, bool)>,
        changed: Condvar,
    }

    /// Holds the check of the push of `doc_id`.
    pub(crate) fn hold(doc_id: &str) -> Arc<Hold> {
        let hold = Arc::new(Hold::default());
        HELD.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((doc_id.to_owned(), hold.clone()));
        hold
    }

    pub(super) fn at_check(doc_id: &str) {
        let hold = HELD
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(id, _)| id == doc_id)
            .map(|(_, hold)| hold.clone());
        let Some(hold) = hold else { return };
        let mut state = hold.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 = true;
        hold.changed.notify_all();
        while !state.1 {
            state = hold
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    impl Hold {
        /// Waits until the held check has arrived, for at most `bound`: whether it did.
        pub(crate) fn arrived(&self, bound: std::time::Duration) -> bool {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let (state, _) = self
                .changed
                .wait_timeout_while(state, bound, |state| !state.0)
                .unwrap_or_else(PoisonError::into_inner);
            state.0
        }

        /// Lets the held check go on.
        pub(crate) fn release(&self) {
            self.state.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
            self.changed.notify_all();
        }
    }
}

/// The tests' sync request: tablet `device_id`'s request number `seq` for the demo event,
/// carrying `pushes`, nothing journalled, pulling no registrations.
#[cfg(test)]
pub(crate) fn demo_request(device_id: [u8; 32], seq: u64, pushes: Vec<Push>) -> SyncRequest {
    SyncRequest {
        version: kiosk_core::protocol::PROTOCOL_VERSION,
        device_id,
        seq,
        sent_at: 0,
        journal: kiosk_core::protocol::JournalState {
            count: 0,
            head: [0; 32],
        },
        pushes,
        pull: kiosk_core::protocol::PullRequest {
            event_id: kiosk_core::demo::DEMO_EVENT_ID.into(),
            event_heads: Vec::new(),
            registrations: false,
            cursor: None,
        },
        // A key this relay does not hold: answered with its current key.
        relay_key: [0; 32],
        log_size: 0,
        log_features: Vec::new(),
        log_witnesses: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    mod log_answer;

    use kiosk_core::protocol::PushOutcome;
    use kiosk_core::protocol::SyncResponse;

    use super::*;
    use crate::storage::SqliteStore;
    use crate::storage::prelude::*;

    /// A revoked tablet's captures are kept in quarantine, but not without end: a stolen
    /// tablet's key would otherwise fill the relay's disk 8 MiB a request after HR revoked
    /// it. Past its share, its pushes are refused unopened, as cheaply as a stale request.
    #[test]
    fn a_revoked_tablet_past_its_quarantine_share_is_refused_unopened() {
        let store = SqliteStore::in_memory().expect("store");
        crate::state::store_demo_event(&store).expect("event");
        let keys = RelayKeys::from_seeds([11; 32], [12; 32]);
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let device_key = key.verifying_key().to_bytes();
        crate::storage::enroll_for_tests(
            &store,
            device_key,
            kiosk_core::demo::DEMO_EVENT_ID,
            EnrolledRole::Kiosk,
            None,
        );
        assert!(store.revoke_device(&device_key, 1).expect("revoked"));
        store
            .quarantine_for_tests(&device_key, MAX_QUARANTINE_PER_STOPPED_TABLET as usize)
            .expect("filled");
        let device = store.device(&device_key).expect("store").expect("enrolled");
        // Not even a seal: opening it would answer `seal_unreadable`.
        let request = demo_request(
            device_key,
            1,
            vec![Push {
                doc_id: "019ce0a0-6a80-7000-8000-000000000001".into(),
                journal_seq: None,
                body: PushBody::Sealed(vec![0; 100]),
            }],
        );
        let answer = handle_sync(&store, &keys, &device, &request, [0; 32], 2).expect("answers");
        let response: SyncResponse = SignedEnvelope::from_bytes(&answer)
            .expect("envelope")
            .decode()
            .expect("response");
        assert_eq!(response.outcomes.len(), 1);
        assert_eq!(response.outcomes[0].code(), Some(ErrorCode::Revoked));
        let counts = store.counts().expect("counts");
        assert_eq!(counts.quarantined, 1, "nothing more was kept");
    }

    /// A kiosk tablet enrolled for the demo event, and a sealed capture of it.
    #[test]
    fn a_push_naming_its_record_in_another_spelling_of_its_id_is_refused_and_stores_nothing() {
        let store = SqliteStore::in_memory().expect("store");
        crate::store_demo_event(&store).expect("event");
        let keys = RelayKeys::from_seeds([1; 32], [2; 32]);
        let key = kiosk(&store, 7);
        let mut push = sealed_capture(&key, &keys, 11);
        let canonical = push.doc_id.clone();
        // The same id to a parser, and the capture signature verifies over the parsed id.
        push.doc_id = canonical.to_uppercase();
        let response = sync_now(&store, &keys, &key, &request_of(&key, vec![push]));
        assert_eq!(response.outcomes.len(), 1);
        assert_eq!(response.outcomes[0].code(), Some(ErrorCode::Malformed));
        assert_eq!(store.counts().expect("counts").registrations, 0);
        for id in [canonical.clone(), canonical.to_uppercase()] {
            assert!(store.registration_document(&id).expect("read").is_none());
        }
        assert!(!is_another_spelling(&canonical));
        assert!(is_another_spelling(&canonical.replace('-', "")));
        assert!(is_another_spelling(&format!("{{{canonical}}}")));
        assert!(!is_another_spelling(kiosk_core::demo::DEMO_EVENT_ID));
    }

    /// During a key rotation the relay answers a tablet with the key it names, tells a
    /// tablet that names the previous key the new ones, opens seals to either key, and
    /// records which key each tablet pins; after retirement a seal to the old key is
    /// refused by name.
    #[test]
    fn a_rotation_answers_each_tablet_with_its_key_and_a_seal_to_a_retired_key_is_refused_by_name()
    {
        let store = SqliteStore::in_memory().expect("store");
        crate::store_demo_event(&store).expect("event");
        let old = RelayKeys::from_seeds([1; 32], [2; 32]);
        let new = RelayKeys::from_seeds([3; 32], [4; 32]);
        let (old_public, new_public) = (
            old.signing.verifying_key().to_bytes(),
            new.signing.verifying_key().to_bytes(),
        );
        let old_seal_id = old.sealing.sealing_key().key_id.clone();
        let key = kiosk(&store, 7);
        let device_key = key.verifying_key().to_bytes();
        let old_capture = sealed_capture(&key, &old, 11);
        let ring = RelayKeys::rotating_for_tests(
            RelayKeys::from_seeds([1; 32], [2; 32]),
            RelayKeys::from_seeds([3; 32], [4; 32]),
        );
        let sync_as = |keys: &RelayKeys, seq: u64, pinned: [u8; 32], pushes: Vec<Push>| {
            let mut request = demo_request(device_key, seq, pushes);
            request.relay_key = pinned;
            let device = store.device(&device_key).expect("store").expect("enrolled");
            let answer = handle_sync(&store, keys, &device, &request, [0; 32], 1_000_000_000)
                .expect("answers");
            let envelope = SignedEnvelope::from_bytes(&answer).expect("envelope");
            let response: SyncResponse = envelope.decode().expect("response");
            (envelope.signer, response)
        };

        // A tablet that has not adopted: answered with the old key, its old seal opened, and
        // told the new keys in a command signed with the old key.
        let (signer, response) = sync_as(&ring, 1, old_public, vec![old_capture]);
        assert_eq!(signer, old_public);
        assert_eq!(response.stored_count(), 1);
        let commands: Vec<Command> = response
            .commands
            .iter()
            .map(|c| {
                kiosk_core::protocol::open_command(c, &old.signing.verifying_key(), &device_key)
                    .expect("signed with the key the tablet pins")
                    .command
            })
            .collect();
        assert_eq!(
            commands,
            vec![Command::AdoptRelayKeys {
                signing_key: new_public,
                sealing_key: new.sealing.sealing_key().clone(),
            }]
        );
        let pinned = |store: &SqliteStore| {
            store
                .device(&device_key)
                .expect("store")
                .expect("enrolled")
                .relay_key
        };
        assert_eq!(pinned(&store), Some(old_public));
        assert_eq!(
            store
                .devices_not_pinning(&new_public, 1_000_000_000)
                .expect("counts"),
            1
        );

        // Named the new key while the relay lacks captures the tablet journaled (they may be
        // sealed to the old key): not yet counted as adopted.
        let mut ahead = demo_request(device_key, 2, Vec::new());
        ahead.relay_key = new_public;
        ahead.journal.count = 5;
        let device = store.device(&device_key).expect("store").expect("enrolled");
        handle_sync(&store, &ring, &device, &ahead, [0; 32], 1_000_000_000).expect("answers");
        assert_eq!(pinned(&store), Some(old_public));

        // Adopted: answered with the new key, no announcement, a new seal opened.
        let (signer, response) =
            sync_as(&ring, 3, new_public, vec![sealed_capture(&key, &new, 12)]);
        assert_eq!(signer, new_public);
        assert_eq!(response.stored_count(), 1);
        assert!(response.commands.is_empty());
        assert_eq!(pinned(&store), Some(new_public));
        assert_eq!(
            store
                .devices_not_pinning(&new_public, 1_000_000_000)
                .expect("counts"),
            0
        );

        // Retired: a seal to the old key is refused with its own code, and nothing stored.
        let mut retired = RelayKeys::from_seeds([3; 32], [4; 32]);
        retired.retired.push(crate::keys::RetiredKeys {
            signing_public: old_public,
            sealing_key_id: old_seal_id,
        });
        let (_, response) = sync_as(
            &retired,
            4,
            new_public,
            vec![sealed_capture(&key, &old, 13)],
        );
        assert_eq!(response.rejected_codes(), vec![ErrorCode::RetiredRelayKey]);
        assert_eq!(store.counts().expect("counts").registrations, 2);
        // A seal to a key this relay never held stays `seal_unreadable`.
        let stranger = RelayKeys::from_seeds([5; 32], [6; 32]);
        let (_, response) = sync_as(
            &retired,
            5,
            new_public,
            vec![sealed_capture(&key, &stranger, 14)],
        );
        assert_eq!(response.rejected_codes(), vec![ErrorCode::SealUnreadable]);

        // A revoked tablet's capture sealed to the previous key is quarantined, and holds
        // the retirement back until HR has reviewed it (it could not be opened after).
        assert!(store.revoke_device(&device_key, 2).expect("revokes"));
        let (_, response) = sync_as(&ring, 6, old_public, vec![sealed_capture(&key, &old, 15)]);
        assert_eq!(response.quarantined_codes(), vec![ErrorCode::Revoked]);
        let blockers = crate::key_rotation::RetireBlockers::of(&store, &ring, 1_000_000_000)
            .expect("asks the store");
        assert_eq!(
            blockers,
            crate::key_rotation::RetireBlockers {
                not_adopted: 0,
                unreviewed_quarantine: 1,
            }
        );
    }

    fn kiosk(store: &SqliteStore, seed: u8) -> ed25519_dalek::SigningKey {
        let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        crate::storage::enroll_for_tests(
            store,
            key.verifying_key().to_bytes(),
            kiosk_core::demo::DEMO_EVENT_ID,
            EnrolledRole::Kiosk,
            None,
        );
        key
    }

    fn sealed_capture(key: &ed25519_dalek::SigningKey, keys: &RelayKeys, seed: u64) -> Push {
        let mut registration =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), seed)
                .next_registration()
                .expect("valid");
        registration.capturing_device =
            kiosk_core::ids::DeviceId::from_public_key(&key.verifying_key());
        let mut document = RegistrationDocument::create(
            &registration,
            &key.verifying_key(),
            registration.captured_at,
        )
        .expect("document");
        let hashes = document.change_hashes();
        let sealed = kiosk_core::capture::sign_and_seal(
            &kiosk_core::identity::DeviceIdentity::from_signing_key(key.clone()),
            keys.sealing.sealing_key(),
            &registration.id,
            document.save_changes(),
            &hashes,
        )
        .expect("seals");
        Push {
            doc_id: registration.id.to_string(),
            journal_seq: None,
            body: PushBody::Sealed(sealed),
        }
    }

    fn request_of(key: &ed25519_dalek::SigningKey, pushes: Vec<Push>) -> SyncRequest {
        demo_request(key.verifying_key().to_bytes(), 1, pushes)
    }

    fn sync_now(
        store: &SqliteStore,
        keys: &RelayKeys,
        key: &ed25519_dalek::SigningKey,
        request: &SyncRequest,
    ) -> SyncResponse {
        let device = store
            .device(&key.verifying_key().to_bytes())
            .expect("store")
            .expect("enrolled");
        // Within the certificate `enroll_for_tests` issues.
        let now = 1_000_000_000;
        let answer = handle_sync(store, keys, &device, request, [0; 32], now).expect("answers");
        SignedEnvelope::from_bytes(&answer)
            .expect("envelope")
            .decode()
            .expect("response")
    }

    struct ReleaseOnDrop<'a>(&'a check_hold::Hold);

    impl Drop for ReleaseOnDrop<'_> {
        fn drop(&mut self) {
            self.0.release();
        }
    }

    /// The checks (seal opening, signature, document reading, the form's rules) run outside
    /// the store's writer and under no lock shared between requests: while one tablet's
    /// request is held inside its checks, another tablet's request is checked, stored and
    /// answered; the held one is stored once it goes on. Were the checks under the writer
    /// or serialised, the second sync would wait for the first and never be answered.
    #[test]
    fn a_request_held_in_its_checks_blocks_neither_another_requests_checks_nor_the_writer() {
        let store = SqliteStore::in_memory().expect("store");
        crate::state::store_demo_event(&store).expect("event");
        let keys = RelayKeys::from_seeds([31; 32], [32; 32]);
        let (first, second) = (kiosk(&store, 41), kiosk(&store, 42));
        let held_push = sealed_capture(&first, &keys, 7001);
        let other_push = sealed_capture(&second, &keys, 7002);
        let (held_id, other_id) = (held_push.doc_id.clone(), other_push.doc_id.clone());
        let hold = check_hold::hold(&held_id);
        std::thread::scope(|scope| {
            // Whatever fails below, the held check goes on, so the scope can end.
            let _release = ReleaseOnDrop(&hold);
            let held = scope
                .spawn(|| sync_now(&store, &keys, &first, &request_of(&first, vec![held_push])));
            // Bounds on waiting, not timing claims: a blocked sync never gets there.
            let bound = std::time::Duration::from_secs(120);
            assert!(hold.arrived(bound), "the held check was never reached");
            let (answered, answer) = std::sync::mpsc::channel();
            let (store, keys, second) = (&store, &keys, &second);
            scope.spawn(move || {
                let response = sync_now(store, keys, second, &request_of(second, vec![other_push]));
                answered.send(response).expect("the test waits");
            });
            let response = answer
                .recv_timeout(bound)
                .expect("the second sync waited for the first one's checks");
            assert!(
                matches!(response.outcomes.as_slice(), [PushOutcome::Stored(_)]),
                "{:?}",
                response.outcomes
            );
            assert!(
                store
                    .registration_document(&other_id)
                    .expect("store")
                    .is_some()
            );
            assert!(
                store
                    .registration_document(&held_id)
                    .expect("store")
                    .is_none(),
                "the held request is still being checked"
            );
            hold.release();
            let response = held.join().expect("the held sync answers");
            assert!(
                matches!(response.outcomes.as_slice(), [PushOutcome::Stored(_)]),
                "{:?}",
                response.outcomes
            );
        });
        assert!(
            store
                .registration_document(&held_id)
                .expect("store")
                .is_some()
        );
        assert_eq!(store.counts().expect("counts").registrations, 2);
    }
}

#[cfg(test)]
mod receipt_tests {
    use kiosk_core::capture::CapturePayload;
    use kiosk_core::ids::DeviceId;
    use kiosk_core::receipt::ReceiptSecret;

    use super::*;

    fn payload(registration: &Registration, receipt_hash: Option<[u8; 32]>) -> CapturePayload {
        CapturePayload {
            doc_id: registration.id.clone(),
            device_id: DeviceId::from_public_key(
                &ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key(),
            ),
            document: Vec::new(),
            change_hashes: Vec::new(),
            capture_signature: Vec::new(),
            receipt_code: "ABCD-EFGH".into(),
            receipt_hash,
        }
    }

    /// What ingest stores of a capture's receipt: the tag under the relay's receipt key of a
    /// format-3 seal's receipt hash, never the hash; and nothing for a format-2 seal, made
    /// before receipts.
    #[test]
    fn a_capture_keeps_only_its_receipts_tag_and_a_format_2_capture_has_none() {
        let keys = RelayKeys::from_seeds([1; 32], [2; 32]);
        let registration =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 3)
                .next_registration()
                .expect("valid");
        let hash = ReceiptSecret::from_bytes([9; 16]).hash();
        let stored = stored_capture(&keys, &payload(&registration, Some(hash)), &registration);
        assert_eq!(stored.receipt_tag, Some(keys.receipt.tag(&hash)));
        assert_ne!(
            stored.receipt_tag,
            Some(hash),
            "the hash itself is not kept"
        );
        let other = RelayKeys::from_seeds([5; 32], [6; 32]);
        assert_ne!(
            other.receipt.tag(&hash),
            keys.receipt.tag(&hash),
            "another relay's key makes another tag"
        );
        let before_receipts = stored_capture(&keys, &payload(&registration, None), &registration);
        assert_eq!(before_receipts.receipt_tag, None);
    }
}

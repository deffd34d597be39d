//! A staff tablet's registrations: pulled from the relay, kept encrypted at rest, annotated
//! offline (notes, its recruiter's rating, status) and pushed back as Automerge changes.
//!
//! Each registration is one Automerge document, stored whole and encrypted with
//! XChaCha20-Poly1305 under a key derived from the data key the platform key store holds,
//! with the registration id as associated data (a row copied under another id does not
//! open). Copies expire at the event's end plus [`PULLED_COPY_DAYS`] days (for a standing
//! desk, that long after the relay received the registration) and are then erased, unless
//! they hold the tablet's own changes the relay has not stored yet.
//!
//! Kiosks also pull: their event document, so a newly published form reaches them, and
//! which of their captures were removed at the relay.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::annotations::{Annotations, Note, RecordStatus};
use crate::device::{Device, DeviceRole};
use crate::documents::{EventDocument, RegistrationDocument};
use crate::error::{Error, Result};
use crate::ids::{RegistrationId, Timestamp};
use crate::protocol::{PullCursor, PullRequest, PulledDocument};
use crate::registration::Registration;
use crate::staff::StaffSession;
use crate::store::{PulledRow, StoreError};

/// The most change bytes one push of edits carries: under the relay's 64 KiB limit for a
/// staff push, with room to spare.
pub const MAX_EDIT_PUSH_BYTES: usize = 60 * 1024;

/// Days a pulled copy is kept after the event's end.
pub const PULLED_COPY_DAYS: i64 = 7;
const DAY_MS: i64 = 24 * 3_600_000;
const NONCE_LEN: usize = 24;

pub(crate) const META_PULL_CURSOR: &str = "pull_cursor";
pub(crate) const META_EVENT_HEADS: &str = "event_heads";

/// One registration as a staff tablet shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub registration: Registration,
    pub annotations: Annotations,
    /// Changes made on this tablet that the relay may lack and the tablet still sends:
    /// never stored, or sent again after a restore of the relay's log (as hand-back counts
    /// them, [`Device::unsent_edit_count`]).
    pub unsent_changes: usize,
    /// The visitor withdrew the talent-pool consent since the capture (the registration
    /// keeps the opt-in as given).
    pub talent_pool_withdrawn: bool,
}

/// A staff tablet's changes of one registration that the relay lacks.
#[derive(Debug, Clone)]
pub(crate) struct PendingEdit {
    pub doc_id: String,
    pub changes: Vec<u8>,
    pub hashes: Vec<[u8; 32]>,
}

/// What a refusal of a registration's changes did to them: one of the two, or neither
/// (a registration no longer held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Refused {
    /// The registration holds changes the relay never stored: everything stays, unsent
    /// ones and those sent again alike, for staff to see.
    pub unsent: bool,
    /// The registration held only changes sent again after a restore: all of them dropped.
    pub dropped: bool,
}

/// What a re-queue after a restore did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Requeued {
    /// Registrations that got changes to send again.
    pub registrations: u64,
    /// Of those, the ones that had nothing to send before (not yet in a sync's total).
    pub newly_to_send: u64,
}

/// What applying a pull did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PullEffects {
    pub event_updated: bool,
    pub pulled: u64,
    pub removed: u64,
    /// Pulled registrations whose talent-pool consent the visitor withdrew.
    pub withdrawn: u64,
    /// Pulled documents that could not be merged and were skipped.
    pub skipped: u64,
}

/// Encrypts a document for the store.
fn seal_copy(key: &[u8; 32], doc_id: &str, document: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce: [u8; NONCE_LEN] = rand::random();
    let payload = Payload {
        msg: document,
        aad: doc_id.as_bytes(),
    };
    let ciphertext = cipher
        .encrypt(&XNonce::from(nonce), payload)
        .expect("encrypting a document in memory cannot fail");
    [nonce.as_slice(), &ciphertext].concat()
}

/// Decrypts a stored copy; a copy that does not open is reported, never guessed at.
fn open_copy(key: &[u8; 32], doc_id: &str, stored: &[u8]) -> Result<Vec<u8>> {
    let undecodable = || {
        Error::Store(StoreError::Undecodable {
            what: "pulled registration",
        })
    };
    if stored.len() <= NONCE_LEN {
        return Err(undecodable());
    }
    let (nonce, ciphertext) = stored.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| undecodable())?;
    let payload = Payload {
        msg: ciphertext,
        aad: doc_id.as_bytes(),
    };
    XChaCha20Poly1305::new(key.into())
        .decrypt(&XNonce::from(nonce), payload)
        .map_err(|_| undecodable())
}

impl Device {
    /// What this tablet asks the relay for in a sync.
    pub(crate) fn pull_request(&self) -> Result<PullRequest> {
        // Enrolled without an event: ask for the one the certificate names.
        let event_id = match self.event()? {
            Some(event) => event.id.to_string(),
            None => self.certificate()?.ok_or(Error::NoEvent)?.event_id,
        };
        let inner = self.lock()?;
        let event_heads = inner
            .store
            .meta(META_EVENT_HEADS)?
            .map(|blob| {
                blob.chunks_exact(32)
                    .map(|c| c.try_into().expect("32-byte chunk"))
                    .collect()
            })
            .unwrap_or_default();
        let cursor = inner
            .store
            .meta(META_PULL_CURSOR)?
            .filter(|c| !c.is_empty())
            .map(PullCursor);
        Ok(PullRequest {
            event_id,
            event_heads,
            registrations: self.role() == DeviceRole::Staff,
            cursor,
        })
    }

    /// Forgets the pull cursor, so the next pull starts over (after the relay refused it).
    pub(crate) fn reset_pull_cursor(&self) -> Result<()> {
        self.lock()?.store.set_meta(META_PULL_CURSOR, &[])?;
        Ok(())
    }

    /// Applies what a sync answer brought: the event's new changes, pulled registrations,
    /// talent-pool withdrawals, removals and the next cursor, in one commit for the
    /// registrations and the cursor.
    pub(crate) fn apply_pull(
        &self,
        event: Option<&[u8]>,
        pulled: &[PulledDocument],
        withdrawn: &[String],
        removed: &[String],
        cursor: Option<&PullCursor>,
        now: Timestamp,
    ) -> Result<PullEffects> {
        let mut effects = PullEffects::default();
        if let Some(changes) = event {
            self.apply_event_changes(changes)?;
            effects.event_updated = true;
        }
        let mut inner = self.lock()?;
        let ends = inner
            .event
            .as_ref()
            .and_then(|e| e.ends_on.as_ref())
            .map(|end| end.end().millis());
        let key = self.records_key();
        let mut rows = Vec::new();
        for document in pulled {
            let existing = inner.store.pulled(&document.doc_id)?;
            let merged = match &existing {
                Some(row) => {
                    let mut doc = self.open_record(row)?;
                    doc.apply_change_chunks(&document.changes).map(|_| doc)
                }
                None => RegistrationDocument::load_chunks(&document.changes, &self.identity_key()),
            };
            // A document that does not merge (later changes of a copy this tablet already
            // erased as expired, or bytes it cannot read) is skipped, never allowed to stop
            // the page: the cursor still moves, or every later sync would fail on it.
            let mut doc = match merged {
                Ok(doc) if doc.read().is_ok_and(|r| r.id.as_str() == document.doc_id) => doc,
                _ => {
                    effects.skipped += 1;
                    continue;
                }
            };
            let talent_pool_withdrawn = existing.as_ref().is_some_and(|r| r.talent_pool_withdrawn);
            let (unsent, resend) = existing
                .map(|row| (row.unsent, row.resend))
                .unwrap_or_default();
            let expires_at = ends.unwrap_or(document.received_at) + PULLED_COPY_DAYS * DAY_MS;
            rows.push(PulledRow {
                doc_id: document.doc_id.clone(),
                document: seal_copy(key, &document.doc_id, &doc.save()),
                unsent,
                resend,
                expires_at,
                talent_pool_withdrawn,
            });
        }
        effects.pulled = rows.len() as u64;
        if rows.is_empty() && withdrawn.is_empty() && removed.is_empty() && cursor.is_none() {
            return Ok(effects);
        }
        let cursor_bytes = cursor.map(|c| c.0.clone());
        let meta: Vec<(&str, &[u8])> = cursor_bytes
            .as_deref()
            .map(|c| vec![(META_PULL_CURSOR, c)])
            .unwrap_or_default();
        if self.role() == DeviceRole::Staff {
            effects.withdrawn = withdrawn.len() as u64;
            effects.removed =
                inner
                    .store
                    .put_pulled(&rows, withdrawn, removed, &meta, now.millis())?;
        } else {
            inner.store.put_pulled(&[], &[], &[], &meta, now.millis())?;
            effects.removed = inner.store.erase_removed_captures(removed, now.millis())?;
        }
        Ok(effects)
    }

    /// Merges the relay's event changes into the tablet's copy of the relay's event
    /// document (or starts that copy), and installs the event for new visitor sessions. The
    /// event must be the one the tablet serves: the installed one, or with none installed
    /// the one its certificate names.
    fn apply_event_changes(&self, changes: &[u8]) -> Result<()> {
        let expected_id = match self.event()? {
            Some(event) => event.id.to_string(),
            None => self.certificate()?.ok_or(Error::NoEvent)?.event_id,
        };
        let mut inner = self.lock()?;
        let from_relay = inner
            .store
            .meta(META_EVENT_HEADS)?
            .is_some_and(|h| !h.is_empty());
        let mut document = match (from_relay, inner.store.meta(crate::device::META_EVENT)?) {
            (true, Some(bytes)) => {
                let mut document = EventDocument::load(&bytes, &self.identity_key())?;
                document.apply_change_chunks(changes)?;
                document
            }
            _ => EventDocument::load_chunks(changes, &self.identity_key())?,
        };
        let event = document.read()?;
        if event.id.as_str() != expected_id {
            return Err(Error::EnrollmentMismatch("event"));
        }
        event.current_form()?;
        let heads = document.head_bytes().concat();
        let bytes = document.save();
        inner.store.set_meta_all(&[
            (crate::device::META_EVENT, &bytes),
            (META_EVENT_HEADS, &heads),
        ])?;
        inner.event = Some(event);
        Ok(())
    }

    /// Registrations with this tablet's changes to send at `now` (unsent, or sent again
    /// after a restore from an unexpired copy), at most `limit`.
    pub(crate) fn pending_edits(&self, limit: usize, now: Timestamp) -> Result<Vec<PendingEdit>> {
        let inner = self.lock()?;
        let mut edits = Vec::new();
        for row in inner.store.pulled_with_unsent(limit, now.millis())? {
            let mut doc = self.open_record(&row)?;
            // Unsent and sent-again changes together in the document's causal order, so
            // each change's dependencies go first; any the document lacks (none are
            // expected) last.
            // Looked up by set: after a restore `resend` holds every change this tablet made
            // to the record, and a list scan per change would be quadratic on each sync.
            let to_send: std::collections::HashSet<&[u8; 32]> =
                row.unsent.iter().chain(&row.resend).collect();
            let causal = doc.change_hashes();
            let mut ordered: Vec<[u8; 32]> = causal
                .iter()
                .map(|h| h.0)
                .filter(|h| to_send.contains(h))
                .collect();
            let in_order: std::collections::HashSet<&[u8; 32]> = ordered.iter().collect();
            let lacking: Vec<[u8; 32]> = row
                .unsent
                .iter()
                .filter(|h| !in_order.contains(h))
                .copied()
                .collect();
            ordered.extend(lacking);
            // The oldest that fit the relay's limit for one push; the rest follow in the
            // next request.
            let mut changes = Vec::new();
            let mut hashes = Vec::new();
            for hash in &ordered {
                let chunk = doc.change_chunks(std::slice::from_ref(hash));
                if !hashes.is_empty() && changes.len() + chunk.len() > MAX_EDIT_PUSH_BYTES {
                    break;
                }
                changes.extend_from_slice(&chunk);
                hashes.push(*hash);
            }
            edits.push(PendingEdit {
                changes,
                doc_id: row.doc_id,
                hashes,
            });
        }
        Ok(edits)
    }

    /// The relay stored `stored` of a registration's changes: they are no longer unsent,
    /// nor sent again.
    pub(crate) fn edits_stored(
        &self,
        doc_id: &str,
        stored: &[[u8; 32]],
        now: Timestamp,
    ) -> Result<()> {
        let mut inner = self.lock()?;
        let Some(mut row) = inner.store.pulled(doc_id)? else {
            return Ok(());
        };
        row.unsent.retain(|h| !stored.contains(h));
        row.resend.retain(|h| !stored.contains(h));
        inner
            .store
            .put_pulled(&[row], &[], &[], &[], now.millis())?;
        Ok(())
    }

    /// The relay refused a push of a registration's changes. With no unsent changes, all
    /// it sends again after a restore is dropped, not only the push's: the relay stored
    /// them once, and a refusal now (a recruiter no longer assigned, an expired
    /// certificate, a dependency the restore lost) would otherwise be sent and refused
    /// every sync, told each time, and keep the copy past its expiry. With unsent changes
    /// nothing is dropped: an unsent edit may depend on those sent again, and without them
    /// would be refused as `missing-dependencies` every sync; they go together once the
    /// relay takes them, and stay for staff to see meanwhile.
    pub(crate) fn edits_refused(&self, doc_id: &str) -> Result<Refused> {
        let mut inner = self.lock()?;
        let Some(row) = inner.store.pulled(doc_id)? else {
            return Ok(Refused::default());
        };
        if !row.unsent.is_empty() {
            return Ok(Refused {
                unsent: true,
                dropped: false,
            });
        }
        let dropped = !row.resend.is_empty();
        if dropped {
            inner.store.set_resend(&[(row.doc_id, Vec::new())])?;
        }
        Ok(Refused {
            unsent: false,
            dropped,
        })
    }

    /// After the relay's log went back or was replaced (a restore): every change this
    /// tablet made to a registration it holds, and counted stored, is sent again, so edits
    /// counted stored on a leaf the restored log may lack (or that the tablet can no longer
    /// trust) reach the relay again, as captures do. The tablet keeps no leaf index per
    /// change, so it sends all its own: the relay answers a change it still holds with its
    /// leaves. They are kept apart from the unsent ones ([`Device::edits_refused`]). Copies
    /// expired at `now` are passed over (they are erased, not sent) unless they hold unsent
    /// changes, which may depend on the ones the restore lost.
    pub(crate) fn requeue_own_edits(&self, now: Timestamp) -> Result<Requeued> {
        /// Documents read (and decrypted) per batch, outside the lock; each batch's
        /// changes are written in one commit under it.
        const BATCH: usize = 64;
        let author = self.identity_key();
        let ids = self.lock()?.store.unexpired_pulled_ids(now.millis())?;
        let mut requeued = Requeued::default();
        for batch in ids.chunks(BATCH) {
            let mut rows = Vec::with_capacity(batch.len());
            {
                let inner = self.lock()?;
                for doc_id in batch {
                    rows.extend(inner.store.pulled(doc_id)?);
                }
            }
            let mut resend = Vec::new();
            let mut newly = 0;
            for row in rows {
                let mut doc = self.open_record(&row)?;
                let again: Vec<[u8; 32]> = doc
                    .change_hashes_by(&author)
                    .into_iter()
                    .filter(|h| !row.unsent.contains(h))
                    .collect();
                // Already queued: not counted again. After a crash between a re-queue and
                // the checkpoint's swap, the next sync sees the restore again and finds
                // them all queued, so its `edits_resent` is 0 although they are sent.
                if !again.is_empty() && again != row.resend {
                    // A row with changes to send already is in the sync's total.
                    if row.unsent.is_empty() && row.resend.is_empty() {
                        newly += 1;
                    }
                    resend.push((row.doc_id, again));
                }
            }
            if !resend.is_empty() {
                let changed = self.lock()?.store.set_resend(&resend)?;
                requeued.registrations += changed;
                // A row erased meanwhile is not set: never more new ones than rows set.
                requeued.newly_to_send += newly.min(changed);
            }
        }
        Ok(requeued)
    }

    /// How many registrations hold changes of this tablet the relay may lack and the
    /// tablet still sends, now.
    pub fn unsent_edit_count(&self) -> Result<u64> {
        self.edits_to_send_at(Timestamp::now())
    }

    /// How many registrations hold changes to send at `now`: unsent, or sent again after
    /// a restore from a copy not expired.
    pub(crate) fn edits_to_send_at(&self, now: Timestamp) -> Result<u64> {
        Ok(self.lock()?.store.unsent_edit_count(now.millis())?)
    }

    /// Erases pulled copies past their expiry. Returns how many.
    pub fn erase_expired_copies(&self, now: Timestamp) -> Result<u64> {
        Ok(self.lock()?.store.erase_expired_pulled(now.millis())?)
    }

    /// A stored copy's document, decrypted, written as this device from here on.
    fn open_record(&self, row: &PulledRow) -> Result<RegistrationDocument> {
        RegistrationDocument::load(
            &open_copy(self.records_key(), &row.doc_id, &row.document)?,
            &self.identity_key(),
        )
    }

    /// A pulled registration's document and row, read under the caller's lock.
    pub(crate) fn load_record(
        &self,
        inner: &crate::device::Inner,
        doc_id: &RegistrationId,
    ) -> Result<(RegistrationDocument, PulledRow)> {
        let row =
            inner
                .store
                .pulled(doc_id.as_str())?
                .ok_or_else(|| Error::UnknownRegistration {
                    doc_id: doc_id.to_string(),
                })?;
        let doc = self.open_record(&row)?;
        Ok((doc, row))
    }

    /// Applies one staff edit to a pulled registration and keeps it, to be pushed. Read,
    /// edit and write happen under one lock, so a pull or another edit in between cannot
    /// be overwritten.
    fn edit_record(
        &self,
        doc_id: &RegistrationId,
        now: Timestamp,
        edit: impl FnOnce(&mut RegistrationDocument) -> Result<Option<automerge::ChangeHash>>,
    ) -> Result<()> {
        if self.role() != DeviceRole::Staff {
            return Err(Error::NotStaff);
        }
        let mut inner = self.lock()?;
        let (mut doc, mut row) = self.load_record(&inner, doc_id)?;
        let Some(change) = edit(&mut doc)? else {
            return Ok(());
        };
        row.unsent.push(change.0);
        row.document = seal_copy(self.records_key(), &row.doc_id, &doc.save());
        inner
            .store
            .put_pulled(&[row], &[], &[], &[], now.millis())?;
        Ok(())
    }

    /// The recruiter this staff tablet is bound to, from its certificate.
    fn recruiter(&self) -> Result<String> {
        self.certificate()?
            .and_then(|c| c.recruiter)
            .ok_or(Error::NotStaff)
    }
}

impl StaffSession {
    /// The registrations this tablet holds, newest first.
    pub fn registrations(&self) -> Result<Vec<StaffRecord>> {
        let now = Timestamp::now().millis();
        let rows = self.device.lock()?.store.all_pulled()?;
        let mut records = Vec::new();
        for row in rows {
            let doc = self.device.open_record(&row)?;
            records.push(StaffRecord {
                registration: doc.read()?,
                annotations: doc.annotations()?,
                unsent_changes: row.changes_to_send(now),
                talent_pool_withdrawn: row.talent_pool_withdrawn,
            });
        }
        records.sort_by(|a, b| b.registration.id.as_str().cmp(a.registration.id.as_str()));
        Ok(records)
    }

    /// One registration this tablet holds.
    pub fn registration(&self, doc_id: &RegistrationId) -> Result<StaffRecord> {
        let inner = self.device.lock()?;
        let (doc, row) = self.device.load_record(&inner, doc_id)?;
        let now = Timestamp::now().millis();
        Ok(StaffRecord {
            registration: doc.read()?,
            annotations: doc.annotations()?,
            unsent_changes: row.changes_to_send(now),
            talent_pool_withdrawn: row.talent_pool_withdrawn,
        })
    }

    /// Adds a note in this tablet's recruiter's name.
    pub fn add_note(&self, doc_id: &RegistrationId, text: &str, now: Timestamp) -> Result<()> {
        let note = Note {
            id: RegistrationId::new(now).to_string(),
            author: self.device.recruiter()?,
            device: self.device.device_id(),
            written_at: now,
            text: text.trim().to_owned(),
        };
        crate::annotations::check_note(&note)?;
        self.device
            .edit_record(doc_id, now, |doc| doc.add_note(note, now))
    }

    /// Sets this tablet's recruiter's rating (1–5), or clears it with `None`.
    pub fn rate(&self, doc_id: &RegistrationId, score: Option<i64>, now: Timestamp) -> Result<()> {
        if score.is_some_and(|s| !crate::annotations::RATING_RANGE.contains(&s)) {
            return Err(crate::annotations::AnnotationError::RatingOutOfRange.into());
        }
        let recruiter = self.device.recruiter()?;
        self.device
            .edit_record(doc_id, now, |doc| doc.set_rating(&recruiter, score, now))
    }

    pub fn set_status(
        &self,
        doc_id: &RegistrationId,
        status: RecordStatus,
        now: Timestamp,
    ) -> Result<()> {
        self.device
            .edit_record(doc_id, now, |doc| doc.set_status(status, now))
    }
}

#[cfg(test)]
mod tests;

//! A tablet's device: its identity, its store, the relay key it pinned and the event it
//! serves. Kiosk sessions (visitors) and staff sessions (recruiters) are opened from it.
//!
//! The device is shared between the shell's threads behind an `Arc`; the store is behind
//! one lock, so captures are appended to the journal one at a time.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::capture::{RelaySealingKey, seal_capture};
use crate::documents::{EventDocument, RegistrationDocument};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::identity::DeviceIdentity;
use crate::ids::{DeviceId, FormVersion, RegistrationId, Timestamp};
use crate::journal::JournalHead;
use crate::protocol::enrollment::{
    DeviceCertificate, EnrollRequest, EnrollResponse, EnrolledRole, EnrollmentCode,
};
use crate::protocol::{Command, DeviceCommand, SignedCommand};
use crate::receipt::ReceiptSecret;
use crate::secrets::{DataKey, SecretStore};
use crate::store::{DeviceStore, DocumentState, PendingCapture, StateCounts};
use crate::validation::{CaptureContext, RegistrationInput, validate};

/// The name of the data key in the platform's secret store.
pub const DATA_KEY_NAME: &str = "kiosk-device-data-key";

const META_DEVICE_KEY: &str = "device_key";
const META_ROLE: &str = "role";
const META_RELAY_KEY: &str = "relay_key";
pub(crate) const META_EVENT: &str = "event";
pub(crate) const META_STAFF_PIN: &str = "staff_pin";
pub(crate) const META_STAFF_UNLOCK: &str = "staff_unlock";
pub(crate) const META_RELAY_SIGNING_KEY: &str = "relay_signing_key";
/// The relay signing key pinned before the last key rotation the tablet adopted: what it
/// kept signed before (a receipt, a wipe, an unlock) still verifies. A meta value: no schema
/// step.
pub(crate) const META_PREVIOUS_RELAY_SIGNING_KEY: &str = "previous_relay_signing_key";
const META_CERTIFICATE: &str = "certificate";
const META_SYNC_SEQ: &str = "sync_seq";
const META_WIPE_ORDER: &str = "wipe_order";
pub(crate) const META_LAST_RECEIPT: &str = "last_receipt";
/// The relay's refusal that ended the last sync (`status code at`), empty once a sync is
/// answered again. A meta value, not a column: it needs no schema step.
const META_SYNC_REFUSAL: &str = "sync_refusal";
/// When the last sync completed (8 bytes, big-endian milliseconds), for a shell's staff
/// screen and its background sync. A meta value: it needs no schema step.
const META_LAST_SYNC: &str = "last_sync";
/// The relay's address as the tablet enrolled with it (`https://relay.example.se`): tablets
/// at fairs reach the relay over the internet, so a visitor's phone can open the receipt page
/// there. Not secret; a meta value: no schema step.
const META_RELAY_ADDRESS: &str = "relay_address";
/// The longest relay address kept.
pub const MAX_RELAY_ADDRESS_LEN: usize = 2_048;

/// What a tablet is enrolled as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceRole {
    /// Faces visitors; staff see only counts and the journal.
    Kiosk,
    /// A recruiter's tablet; later also holds pulled registrations.
    Staff,
}

impl DeviceRole {
    fn as_str(self) -> &'static str {
        match self {
            DeviceRole::Kiosk => "kiosk",
            DeviceRole::Staff => "staff",
        }
    }

    fn parse(bytes: &[u8]) -> Option<DeviceRole> {
        match bytes {
            b"kiosk" => Some(DeviceRole::Kiosk),
            b"staff" => Some(DeviceRole::Staff),
            _ => None,
        }
    }
}

/// What a visitor gets back after submitting: their receipt, shown once. It lives only in
/// this value: the store, its WAL and the logs never see the secret, its code or its hash
/// (the seal carries the hash, encrypted to the relay).
#[derive(Clone, PartialEq, Eq)]
pub struct Receipt {
    pub registration_id: RegistrationId,
    /// The visitor's receipt secret: [`ReceiptSecret::code`] is what the screen types out.
    pub secret: ReceiptSecret,
    /// The receipt page's address with the code in its fragment (what the QR code holds),
    /// made from the relay address the tablet enrolled with; `None` while it knows none
    /// (enrolled over a shell's own transport that did not give one).
    pub page_address: Option<String>,
    /// HR's short reference for the record (`K7QM-4XRT`), which the relay derives from the
    /// seal and shows HR: for staff tools and desks, not for the visitor's screen.
    pub hr_receipt_code: String,
    pub captured_at: Timestamp,
}

impl Receipt {
    /// The receipt code as shown: 27 symbols in groups of four.
    pub fn code(&self) -> String {
        self.secret.code()
    }
}

/// Not the secret, its code or the address carrying it: a receipt printed into a log gives
/// nothing away.
impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receipt")
            .field("registration_id", &self.registration_id)
            .field("secret", &self.secret)
            .field("page_address", &self.page_address.as_ref().map(|_| "…"))
            .field("hr_receipt_code", &self.hr_receipt_code)
            .field("captured_at", &self.captured_at)
            .finish()
    }
}

/// Whether `address` can be the relay's address in a receipt page's address: `https://` or
/// `http://`, a host, no whitespace or control characters, no query or fragment (the page
/// address appends a path and a fragment), at most [`MAX_RELAY_ADDRESS_LEN`] bytes.
pub fn usable_relay_address(address: &str) -> bool {
    let rest = address
        .strip_prefix("https://")
        .or_else(|| address.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with('/')
            && address.len() <= MAX_RELAY_ADDRESS_LEN
            && address
                .chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '?' | '#' | '\\'))
    })
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: DeviceStore,
    relay_key: Option<RelaySealingKey>,
    pub(crate) event: Option<Event>,
    /// The relay's address the receipt page's address is made from.
    relay_address: Option<String>,
    /// Set once the device carried out a wipe: nothing works on it any more.
    wiped: bool,
}

/// An opened device.
#[derive(Debug)]
pub struct Device {
    identity: DeviceIdentity,
    /// Keys the staff PIN hash; derived from the data key, never stored.
    pin_pepper: [u8; 32],
    /// Encrypts a staff tablet's pulled registrations; derived from the data key.
    records_key: [u8; 32],
    role: DeviceRole,
    inner: Mutex<Inner>,
    /// Held for a whole sync, so two syncs of one device never interleave.
    syncing: Mutex<()>,
}

impl Device {
    /// Opens the device store at `path`, creating the device (key pair, data key) if there
    /// is none yet. An existing store keeps the role it was created with.
    pub fn open(
        path: &Path,
        secrets: &dyn SecretStore,
        role_if_new: DeviceRole,
    ) -> Result<Arc<Device>> {
        let (mut store, _) = DeviceStore::open_or_create(path)?;
        let (identity, role, data_key) = match store.meta(META_DEVICE_KEY)? {
            Some(encrypted) => {
                let data_key = load_data_key(secrets)?.ok_or(Error::DataKeyMissing)?;
                let identity = DeviceIdentity::decrypt(&encrypted, &data_key)?;
                let role = store
                    .meta(META_ROLE)?
                    .and_then(|r| DeviceRole::parse(&r))
                    .ok_or(crate::store::StoreError::Undecodable {
                        what: "device role",
                    })?;
                (identity, role, data_key)
            }
            None if store.journal_head()? == JournalHead::EMPTY => {
                // A new store, or one whose creation never finished: nothing was accepted.
                let data_key = match load_data_key(secrets)? {
                    Some(key) => key,
                    None => {
                        let key = DataKey::generate();
                        secrets.store(DATA_KEY_NAME, key.as_bytes())?;
                        key
                    }
                };
                let identity = DeviceIdentity::generate();
                store.set_meta_all(&[
                    (META_DEVICE_KEY, &identity.encrypt(&data_key)),
                    (META_ROLE, role_if_new.as_str().as_bytes()),
                ])?;
                (identity, role_if_new, data_key)
            }
            None => return Err(crate::store::StoreError::NoIdentity.into()),
        };
        let relay_key = store
            .meta(META_RELAY_KEY)?
            .map(|bytes| {
                RelaySealingKey::from_stored(&bytes)
                    .ok_or(crate::store::StoreError::Undecodable { what: "relay key" })
            })
            .transpose()?;
        let event = store
            .meta(META_EVENT)?
            .map(|bytes| EventDocument::load(&bytes, &identity.public_key())?.read())
            .transpose()?;
        let relay_address = store
            .meta(META_RELAY_ADDRESS)?
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|address| usable_relay_address(address));
        let pin_pepper = data_key.derive(b"kiosk-staff-pin-pepper-v1");
        let records_key = data_key.derive(b"kiosk-staff-records-v1");
        Ok(Arc::new(Device {
            identity,
            pin_pepper,
            records_key,
            role,
            inner: Mutex::new(Inner {
                store,
                relay_key,
                event,
                relay_address,
                wiped: false,
            }),
            syncing: Mutex::new(()),
        }))
    }

    pub fn device_id(&self) -> DeviceId {
        self.identity.device_id()
    }

    pub fn role(&self) -> DeviceRole {
        self.role
    }

    pub(crate) fn pin_pepper(&self) -> &[u8; 32] {
        &self.pin_pepper
    }

    pub(crate) fn records_key(&self) -> &[u8; 32] {
        &self.records_key
    }

    /// The device's public key, the Automerge actor of everything it writes.
    pub(crate) fn identity_key(&self) -> ed25519_dalek::VerifyingKey {
        self.identity.public_key()
    }

    /// Waits for any other sync of this device to end. A sync that panicked left nothing
    /// half-written (each step is one transaction), so its poisoned turn is taken over.
    pub(crate) fn sync_turn(&self) -> Result<MutexGuard<'_, ()>> {
        Ok(self
            .syncing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        let inner = self.inner.lock().map_err(|_| Error::Poisoned)?;
        if inner.wiped {
            return Err(Error::Wiped);
        }
        Ok(inner)
    }

    /// Pins the relay's sealing key. Enrollment does this; tests may do it directly.
    pub fn pin_relay_key(&self, key: RelaySealingKey) -> Result<()> {
        // The id is derived from the key: a mismatched id would make every seal unopenable.
        if RelaySealingKey::new(key.public_key)? != key {
            return Err(crate::capture::SealError::InvalidRelayKey.into());
        }
        let bytes = crate::cbor::to_vec(&key);
        let mut inner = self.lock()?;
        inner.store.set_meta(META_RELAY_KEY, &bytes)?;
        inner.relay_key = Some(key);
        Ok(())
    }

    pub fn relay_key(&self) -> Result<Option<RelaySealingKey>> {
        Ok(self.lock()?.relay_key.clone())
    }

    /// Keeps `address` as the relay's address (`https://relay.example.se`), which the receipt
    /// page's address is made from. Enrolling with [`Device::enroll_at`] keeps it too; a
    /// shell that enrolled over its own transport, or moved the relay, tells it here.
    pub fn set_relay_address(&self, address: &str) -> Result<()> {
        if !usable_relay_address(address) {
            return Err(Error::InvalidRelayAddress);
        }
        let mut inner = self.lock()?;
        inner
            .store
            .set_meta(META_RELAY_ADDRESS, address.as_bytes())?;
        inner.relay_address = Some(address.to_owned());
        Ok(())
    }

    /// The relay's address the tablet enrolled with, if it knows one.
    pub fn relay_address(&self) -> Result<Option<String>> {
        Ok(self.lock()?.relay_address.clone())
    }

    /// Enrolls the tablet with a code HR gave: proves it holds its key, checks that the
    /// relay's answer is authenticated by the code and certifies this device for its role
    /// and installed event (or, with none installed, for the event HR made the code for,
    /// which the first sync then delivers), then pins the relay's keys and keeps the
    /// certificate.
    pub fn enroll(
        &self,
        code: &EnrollmentCode,
        transport: &dyn crate::sync::Transport,
    ) -> Result<DeviceCertificate> {
        self.enroll_expecting(code, transport, None)
    }

    /// [`Device::enroll`], also checking the relay's sealing key id against the one the
    /// enrollment QR code carries, so not even a copy of the relay's database can hand the
    /// tablet other keys.
    pub fn enroll_expecting(
        &self,
        code: &EnrollmentCode,
        transport: &dyn crate::sync::Transport,
        expected_relay_key_id: Option<&str>,
    ) -> Result<DeviceCertificate> {
        self.enroll_at(code, transport, expected_relay_key_id, None)
    }

    /// [`Device::enroll_expecting`] at the relay whose address is `relay_address` (what the
    /// transport posts to), kept in the same commit as the keys for the receipt page's
    /// address. An unusable address is refused before anything is sent.
    pub fn enroll_at(
        &self,
        code: &EnrollmentCode,
        transport: &dyn crate::sync::Transport,
        expected_relay_key_id: Option<&str>,
        relay_address: Option<&str>,
    ) -> Result<DeviceCertificate> {
        if relay_address.is_some_and(|address| !usable_relay_address(address)) {
            return Err(Error::InvalidRelayAddress);
        }
        let role = match self.role {
            DeviceRole::Kiosk => EnrolledRole::Kiosk,
            DeviceRole::Staff => EnrolledRole::Staff,
        };
        let request = EnrollRequest::new(code, &self.identity, role);
        let answer = transport.post("/v1/enroll", crate::cbor::to_vec(&request))?;
        let response: EnrollResponse = ciborium::from_reader(answer.as_slice())
            .map_err(|_| crate::protocol::enrollment::EnrollAnswerError::Malformed)?;
        let device_key = self.identity.public_key().to_bytes();
        let (answer, certificate) = response.open(code, &device_key)?;
        if expected_relay_key_id.is_some_and(|id| id != answer.relay_sealing_key.key_id) {
            return Err(Error::EnrollmentMismatch("relay key"));
        }
        let role_matches = matches!(
            (certificate.role, self.role),
            (EnrolledRole::Kiosk, DeviceRole::Kiosk) | (EnrolledRole::Staff, DeviceRole::Staff)
        );
        if !role_matches {
            return Err(Error::EnrollmentMismatch("role"));
        }
        // A tablet set up for an event must be enrolled for that event; one set up without
        // an event takes the certificate's, and receives it with its first sync.
        let event_matches = self
            .event()?
            .is_none_or(|e| e.id.as_str() == certificate.event_id);
        if !event_matches {
            return Err(Error::EnrollmentMismatch("event"));
        }
        // The log key is pinned once and never replaced (its rotation is out of scope): an
        // enrollment naming another one is refused, and one that parses is required.
        let pinned_log_key = self.log_key()?;
        if let Some(key) = &answer.log_key {
            if crate::sync::parse_vkey(key).is_err() {
                return Err(crate::protocol::enrollment::EnrollAnswerError::Malformed.into());
            }
            if pinned_log_key.as_ref().is_some_and(|pinned| pinned != key) {
                return Err(Error::EnrollmentMismatch("log key"));
            }
        }
        // Witnesses named by the relay are pinned only when none are: once pinned, they
        // are replaced only by an explicit `require_witnesses`, never by an enrollment.
        // Others offered once some are pinned are kept aside for staff to see (a warning
        // until `require_witnesses` settles it), never silently ignored.
        let pinned_witnesses = self.witness_keys()?;
        let offered = if answer.witness_keys.is_empty() {
            Ok(Vec::new())
        } else {
            crate::sync::checked_witness_keys(&answer.witness_keys)
        };
        let (witnesses, other_offered) = match offered {
            Ok(offered) if offered.is_empty() => (None, String::new()),
            Ok(offered) if pinned_witnesses.is_empty() => (Some(offered.join("\n")), String::new()),
            Ok(offered) if crate::sync::same_witnesses(&offered, &pinned_witnesses) => {
                (None, String::new())
            }
            Ok(offered) => (None, offered.join("\n")),
            // With witnesses pinned, a list this tablet cannot take (too many, a key it does
            // not read) does not stop the enrollment: it is kept aside for staff like any
            // other witnesses offered, bounded (16 keys of at most 512 bytes).
            Err(_) if !pinned_witnesses.is_empty() => (
                None,
                answer
                    .witness_keys
                    .iter()
                    .take(16)
                    .map(|key| key.chars().take(512).collect::<String>())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Err(_) => {
                return Err(crate::protocol::enrollment::EnrollAnswerError::Malformed.into());
            }
        };
        let certificate_bytes = crate::cbor::to_vec(&answer.certificate);
        let sealing_bytes = crate::cbor::to_vec(&answer.relay_sealing_key);
        let log_key = answer
            .log_key
            .as_deref()
            .filter(|_| pinned_log_key.is_none())
            .map(|key| (crate::sync::META_LOG_KEY, key.as_bytes()));
        let mut inner = self.lock()?;
        let mut values: Vec<(&str, &[u8])> = vec![
            (META_RELAY_SIGNING_KEY, answer.relay_signing_key.as_slice()),
            (META_RELAY_KEY, &sealing_bytes),
            (META_CERTIFICATE, &certificate_bytes),
            // A new enrollment is what a refused tablet was told to get.
            (META_SYNC_REFUSAL, &[]),
            // A receipt kept from before speaks for an enrollment the relay may no longer
            // know (restored from an older backup): nothing counts as confirmed until this
            // enrollment's first answered sync. Empty, not absent, says so.
            (META_LAST_RECEIPT, &[]),
        ];
        if let Some(address) = relay_address {
            values.push((META_RELAY_ADDRESS, address.as_bytes()));
        }
        // The log key is pinned in the same commit as the relay's keys.
        if let Some((key, value)) = log_key {
            values.push((key, value));
        }
        if let Some(keys) = &witnesses {
            values.push((crate::sync::META_WITNESS_KEYS, keys.as_bytes()));
        }
        values.push((
            crate::sync::META_WITNESSES_OFFERED,
            other_offered.as_bytes(),
        ));
        inner.store.set_meta_all(&values)?;
        inner.relay_key = Some(answer.relay_sealing_key);
        if let Some(address) = relay_address {
            inner.relay_address = Some(address.to_owned());
        }
        Ok(certificate)
    }

    /// The relay's signing key pinned at enrollment.
    pub fn relay_signing_key(&self) -> Result<Option<ed25519_dalek::VerifyingKey>> {
        let bytes = self.lock()?.store.meta(META_RELAY_SIGNING_KEY)?;
        bytes
            .map(|b| {
                <[u8; 32]>::try_from(b.as_slice())
                    .ok()
                    .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok())
                    .ok_or(
                        crate::store::StoreError::Undecodable {
                            what: "relay signing key",
                        }
                        .into(),
                    )
            })
            .transpose()
    }

    /// The relay signing keys what this tablet kept may be signed with: the pinned one, and
    /// the one pinned before the last key rotation it adopted.
    pub(crate) fn kept_relay_signing_keys(&self) -> Result<Vec<ed25519_dalek::VerifyingKey>> {
        let mut keys: Vec<_> = self.relay_signing_key()?.into_iter().collect();
        let previous = self.lock()?.store.meta(META_PREVIOUS_RELAY_SIGNING_KEY)?;
        if let Some(key) = previous
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok())
        {
            keys.push(key);
        }
        Ok(keys)
    }

    /// Pins the keys a relay key rotation announced, in one commit: the new signing key,
    /// the new sealing key (new captures are sealed to it at once), and the signing key
    /// pinned until now as the previous one. Checked by the caller
    /// ([`crate::key_rotation`]).
    pub(crate) fn pin_rotated_relay_keys(
        &self,
        previous_signing: &ed25519_dalek::VerifyingKey,
        signing: &ed25519_dalek::VerifyingKey,
        sealing: RelaySealingKey,
    ) -> Result<()> {
        let sealing_bytes = crate::cbor::to_vec(&sealing);
        let mut inner = self.lock()?;
        inner.store.set_meta_all(&[
            (META_RELAY_SIGNING_KEY, signing.as_bytes().as_slice()),
            (META_RELAY_KEY, &sealing_bytes),
            (
                META_PREVIOUS_RELAY_SIGNING_KEY,
                previous_signing.as_bytes().as_slice(),
            ),
        ])?;
        inner.relay_key = Some(sealing);
        Ok(())
    }

    /// The certificate the relay issued at enrollment.
    pub fn certificate(&self) -> Result<Option<DeviceCertificate>> {
        let bytes = self.lock()?.store.meta(META_CERTIFICATE)?;
        bytes
            .map(|b| {
                let envelope: crate::protocol::SignedEnvelope = ciborium::from_reader(b.as_slice())
                    .map_err(|_| crate::store::StoreError::Undecodable {
                        what: "certificate",
                    })?;
                envelope.decode().map_err(|_| {
                    crate::store::StoreError::Undecodable {
                        what: "certificate",
                    }
                    .into()
                })
            })
            .transpose()
    }

    /// The next sync sequence number, persisted before it is used so it never repeats, in
    /// the same commit that marks `doc_ids` sent.
    pub(crate) fn begin_push(&self, doc_ids: &[RegistrationId], at: Timestamp) -> Result<u64> {
        let mut inner = self.lock()?;
        let next = stored_sync_seq(&inner.store)?
            .checked_add(1)
            .filter(|n| *n <= i64::MAX as u64)
            .ok_or(Error::RelayRefused {
                code: crate::protocol::ErrorCode::StaleSeq,
            })?;
        inner.store.set_states_and_meta(
            doc_ids,
            DocumentState::Sent,
            at,
            &[(META_SYNC_SEQ, &next.to_be_bytes())],
        )?;
        Ok(next)
    }

    /// Moves the sequence past `last_accepted` (after a `stale_seq` answer).
    pub(crate) fn set_sync_seq(&self, last_accepted: u64) -> Result<()> {
        let mut inner = self.lock()?;
        let current = stored_sync_seq(&inner.store)?;
        inner
            .store
            .set_meta(META_SYNC_SEQ, &current.max(last_accepted).to_be_bytes())?;
        Ok(())
    }

    pub(crate) fn pending_captures(&self, limit: usize) -> Result<Vec<PendingCapture>> {
        Ok(self.lock()?.store.pending_captures(limit)?)
    }

    pub(crate) fn unreceipted_count(&self) -> Result<u64> {
        let counts = self.state_counts()?;
        Ok(counts.captured + counts.sent)
    }

    pub(crate) fn sign_envelope<T: serde::Serialize>(
        &self,
        tag: &[u8],
        message: &T,
    ) -> crate::protocol::SignedEnvelope {
        crate::protocol::SignedEnvelope::sign(tag, message, &self.identity)
    }

    /// Installs the event this tablet serves (later delivered by pull). New visitor sessions
    /// get its current form; sessions already open keep the version they showed.
    pub fn install_event(&self, event: &Event, at: Timestamp) -> Result<()> {
        event.check_integrity()?;
        event.current_form()?;
        let bytes = EventDocument::create(event, &self.identity.public_key(), at)?.save();
        let mut inner = self.lock()?;
        // A document made here is not the relay's: the next pull fetches the relay's whole.
        inner.store.set_meta_all(&[
            (META_EVENT, &bytes),
            (crate::staff_records::META_EVENT_HEADS, &[]),
        ])?;
        inner.event = Some(event.clone());
        Ok(())
    }

    pub fn event(&self) -> Result<Option<Event>> {
        Ok(self.lock()?.event.clone())
    }

    /// Validates, builds the document, signs and seals it, and appends it to the journal in
    /// one durable commit. Plaintext never reaches disk. Nothing is stored if any step fails.
    pub(crate) fn capture(
        &self,
        input: &RegistrationInput,
        form_version: &FormVersion,
        now: Timestamp,
    ) -> Result<Receipt> {
        let mut inner = self.lock()?;
        let relay = inner.relay_key.clone().ok_or(Error::NoRelayKey)?;
        let event = inner.event.as_ref().ok_or(Error::NoEvent)?;
        let context = CaptureContext {
            registration_id: RegistrationId::new(now),
            event_id: event.id.clone(),
            form_version: form_version.clone(),
            captured_at: now,
            device: self.device_id(),
        };
        let registration = validate(input, event, &context)?;
        let mut document =
            RegistrationDocument::create(&registration, &self.identity.public_key(), now)?;
        let hashes = document.change_hashes();
        // The receipt secret (and HR's receipt code) leave with the receipt and are never
        // stored: the seal carries only the secret's hash, encrypted to the relay.
        let sealed = seal_capture(
            &self.identity,
            &relay,
            &registration.id,
            document.save_changes(),
            &hashes,
        )?;
        let entry = inner
            .store
            .journal_head()?
            .next(&registration.id, hashes.iter().map(|h| h.0).collect());
        inner.store.insert_capture(&entry, &sealed.sealed, now)?;
        let page_address = inner
            .relay_address
            .as_deref()
            .map(|relay| sealed.receipt.page_address(relay));
        Ok(Receipt {
            registration_id: registration.id,
            secret: sealed.receipt,
            page_address,
            hr_receipt_code: sealed.receipt_code,
            captured_at: now,
        })
    }

    /// Counts by state, for staff and for sync.
    pub fn state_counts(&self) -> Result<StateCounts> {
        Ok(self.lock()?.store.state_counts()?)
    }

    pub fn journal_head(&self) -> Result<JournalHead> {
        Ok(self.lock()?.store.journal_head()?)
    }

    /// The whole journal, oldest first: ids and hashes, nothing a visitor typed.
    pub fn journal_entries(&self) -> Result<Vec<crate::journal::JournalEntry>> {
        Ok(self.lock()?.store.journal_entries()?)
    }

    /// Walks the whole journal and checks its chain.
    pub fn verify_journal(&self) -> Result<JournalHead> {
        Ok(crate::journal::verify_chain(&self.journal_entries()?)?)
    }

    /// Where one document is on its way to the relay, if this device holds it.
    pub fn document_state(&self, doc_id: &RegistrationId) -> Result<Option<DocumentState>> {
        Ok(self.lock()?.store.document_state(doc_id)?)
    }

    /// Sealed documents not yet receipted, oldest first, for the next push.
    pub fn unreceipted(&self, limit: usize) -> Result<Vec<(RegistrationId, Vec<u8>)>> {
        let inner = self.lock()?;
        let mut documents = inner
            .store
            .sealed_documents(DocumentState::Captured, limit)?;
        let room = limit.saturating_sub(documents.len());
        documents.extend(inner.store.sealed_documents(DocumentState::Sent, room)?);
        Ok(documents)
    }

    /// Records a state change the sync client has proven (sent, receipted, erased).
    pub fn set_document_states(
        &self,
        doc_ids: &[RegistrationId],
        state: DocumentState,
        at: Timestamp,
    ) -> Result<()> {
        let mut inner = self.lock()?;
        inner.store.set_states(doc_ids, state, at)?;
        if state == DocumentState::Deleted {
            inner.store.checkpoint()?;
        }
        Ok(())
    }
}

/// How long after an event's end a kiosk keeps received sealed copies that no relay
/// backup is known to hold: 30 days.
pub const SEALED_COPY_GRACE_MS: i64 = 30 * 24 * 3_600_000;

/// What a revoked tablet's wipe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WipeOutcome {
    /// Everything is erased: the store's files, and the data key in the secret store.
    Wiped,
    /// Records still lack a receipt, or a relay backup holding them; the wipe waits (they
    /// are sent, and erased as backups cover them, first).
    Waiting {
        unreceipted: u64,
        not_backed_up: u64,
    },
}

impl Device {
    /// Keeps a wipe command the relay signed for this device, checked against the pinned
    /// relay key, so it is carried out even if the tablet restarts first.
    pub(crate) fn keep_wipe_order(&self, command: &SignedCommand) -> Result<()> {
        let relay_key = self.relay_signing_key()?.ok_or(Error::NotEnrolled)?;
        let device = self.identity.public_key().to_bytes();
        let opened = crate::protocol::open_command(command, &relay_key, &device)?;
        if opened.command != Command::Wipe {
            return Ok(());
        }
        self.lock()?.store.set_meta(META_WIPE_ORDER, &command.0)?;
        Ok(())
    }

    /// The wipe command this tablet holds, if the relay sent one; checked again.
    pub fn wipe_order(&self) -> Result<Option<DeviceCommand>> {
        let Some(bytes) = self.lock()?.store.meta(META_WIPE_ORDER)? else {
            return Ok(None);
        };
        let keys = self.kept_relay_signing_keys()?;
        let device = self.identity.public_key().to_bytes();
        // Kept before a relay key rotation, it is signed by the key pinned before.
        let mut opened = Err(crate::protocol::ProtocolError::BadSignature);
        for key in keys.iter() {
            opened = crate::protocol::open_command(&SignedCommand(bytes.clone()), key, &device);
            if opened.is_ok() {
                break;
            }
        }
        if keys.is_empty() {
            return Err(Error::NotEnrolled);
        }
        Ok(Some(opened?))
    }

    /// Carries out the relay's wipe command once every record has a receipt and a relay
    /// backup holds it (its sealed copy was erased): erases the store (journal, keys, event)
    /// and the data key. A tablet without a signed wipe command for itself refuses, so no
    /// one can wipe a tablet by asking.
    pub fn wipe(&self, secrets: &dyn SecretStore) -> Result<WipeOutcome> {
        if self.wipe_order()?.is_none() {
            return Err(Error::NoWipeOrder);
        }
        let counts = self.state_counts()?;
        let (unreceipted, not_backed_up) = (counts.captured + counts.sent, counts.received);
        if unreceipted + not_backed_up > 0 {
            return Ok(WipeOutcome::Waiting {
                unreceipted,
                not_backed_up,
            });
        }
        let mut inner = self.lock()?;
        inner.store.erase()?;
        inner.wiped = true;
        inner.relay_key = None;
        inner.event = None;
        drop(inner);
        secrets.delete(DATA_KEY_NAME)?;
        Ok(WipeOutcome::Wiped)
    }

    /// Marks `received` as received and keeps the relay's signed receipt that proved it,
    /// in one commit, so the tablet can show later what the relay confirmed (the
    /// close-of-event count), and prove it.
    /// Also applies what the receipt says of the relay's store: received copies of another
    /// relay epoch go back to be sent again, and copies the relay's backup holds are erased.
    /// `cursor`, when given, is kept in the same commit (an answer that pulled nothing: one
    /// commit instead of two).
    pub(crate) fn record_receipt(
        &self,
        stamp: &crate::store::ReceiptStamp<'_>,
        envelope: &[u8],
        cursor: Option<&crate::protocol::PullCursor>,
        at: Timestamp,
    ) -> Result<crate::store::ReceiptEffects> {
        // An answered request ends any refusal kept from an earlier sync.
        let mut meta: Vec<(&str, &[u8])> =
            vec![(META_LAST_RECEIPT, envelope), (META_SYNC_REFUSAL, &[])];
        if let Some(cursor) = cursor {
            meta.push((crate::staff_records::META_PULL_CURSOR, &cursor.0));
        }
        Ok(self.lock()?.store.apply_receipt(stamp, at, &meta)?)
    }

    /// Erases every received sealed copy once the event ended more than
    /// [`SEALED_COPY_GRACE_MS`] ago, backed up or not: the relay has had its chance.
    /// Returns how many were erased.
    pub fn erase_copies_after_event(&self, now: Timestamp) -> Result<u64> {
        let mut inner = self.lock()?;
        let ended = inner
            .event
            .as_ref()
            .and_then(|e| e.ends_on.as_ref())
            .is_some_and(|end| now.millis() >= end.end().millis() + SEALED_COPY_GRACE_MS);
        if !ended {
            return Ok(0);
        }
        Ok(inner.store.erase_all_received(now)?)
    }

    /// The closing count of the event on this tablet: what it captured, what the relay
    /// received (by receipts), and the journal the relay last confirmed, from its signed
    /// receipt, checked again against the pinned relay key.
    pub fn close_report(&self) -> Result<CloseReport> {
        let counts = self.state_counts()?;
        let journal = self.journal_head()?;
        let stored = self
            .lock()?
            .store
            .meta(META_LAST_RECEIPT)?
            .filter(|bytes| !bytes.is_empty());
        let keys = self.kept_relay_signing_keys()?;
        let relay_confirmed = match stored {
            Some(bytes) if !keys.is_empty() => {
                let envelope = crate::protocol::SignedEnvelope::from_bytes(&bytes)?;
                // A receipt kept before a relay key rotation is signed by the previous key.
                let signed_by_kept_key = keys
                    .iter()
                    .any(|key| envelope.verify(crate::protocol::RECEIPT_TAG, key).is_ok());
                if !signed_by_kept_key {
                    return Err(crate::protocol::ProtocolError::BadSignature.into());
                }
                // Only what the report needs: a receipt kept from an older protocol version
                // (version 3 had no `withdrawn`) reads as well as a current one.
                let response: KeptReceipt = envelope.decode()?;
                Some(JournalHead::from(response.journal_confirmed))
            }
            _ => None,
        };
        Ok(CloseReport {
            captured: journal.count,
            received: counts.received + counts.deleted,
            unreceipted: counts.captured + counts.sent,
            journal,
            relay_confirmed,
            refused: self.sync_refusal()?.is_some() || self.log_fork()?.is_some(),
        })
    }

    /// Keeps the relay's refusal that ended a sync, so the tablet never calls itself
    /// complete while the relay refuses it, even after a restart.
    pub(crate) fn keep_sync_refusal(&self, refusal: &SyncRefusal) -> Result<()> {
        let text = format!(
            "{} {} {}",
            refusal.status,
            refusal.code,
            refusal.at.millis()
        );
        self.lock()?
            .store
            .set_meta(META_SYNC_REFUSAL, text.as_bytes())?;
        Ok(())
    }

    /// The relay's refusal that ended the last sync, if no sync was answered since.
    pub fn sync_refusal(&self) -> Result<Option<SyncRefusal>> {
        let Some(bytes) = self.lock()?.store.meta(META_SYNC_REFUSAL)? else {
            return Ok(None);
        };
        if bytes.is_empty() {
            return Ok(None);
        }
        let undecodable = || crate::store::StoreError::Undecodable {
            what: "sync refusal",
        };
        let text = String::from_utf8(bytes).map_err(|_| undecodable())?;
        let mut parts = text.splitn(3, ' ');
        let (Some(status), Some(code), Some(at)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(undecodable().into());
        };
        Ok(Some(SyncRefusal {
            status: status.parse().map_err(|_| undecodable())?,
            code: code.to_owned(),
            at: Timestamp(at.parse().map_err(|_| undecodable())?),
        }))
    }

    /// Keeps `at` as the time the last sync completed, so it outlives a restart.
    pub(crate) fn keep_last_sync(&self, at: Timestamp) -> Result<()> {
        self.lock()?
            .store
            .set_meta(META_LAST_SYNC, &at.millis().to_be_bytes())?;
        Ok(())
    }

    /// When a sync last completed on this tablet, `None` before the first.
    pub fn last_sync_at(&self) -> Result<Option<Timestamp>> {
        let Some(bytes) = self.lock()?.store.meta(META_LAST_SYNC)? else {
            return Ok(None);
        };
        let millis = <[u8; 8]>::try_from(bytes.as_slice()).map_err(|_| {
            crate::store::StoreError::Undecodable {
                what: "last sync time",
            }
        })?;
        Ok(Some(Timestamp(i64::from_be_bytes(millis))))
    }

    /// Whether handing the tablet back loses nothing, and if not, why: the one answer
    /// `status`, `close` and a shell's staff overview give.
    pub fn hand_back(&self) -> Result<HandBack> {
        // Before anything else: a tablet that saw the relay's log fork is evidence.
        if let Some(fork) = self.log_fork()? {
            return Ok(HandBack::LogFork { code: fork.code });
        }
        if let Some(refusal) = self.sync_refusal()? {
            return Ok(HandBack::RelayRefuses(refusal));
        }
        let report = self.close_report()?;
        let awaiting = self.awaiting_witness()?.min(report.unreceipted);
        if awaiting > 0 {
            return Ok(HandBack::AwaitingWitness {
                captures: awaiting,
                unreceipted: report.unreceipted,
            });
        }
        if report.unreceipted > 0 {
            return Ok(HandBack::Unsent {
                unreceipted: report.unreceipted,
            });
        }
        // A staff tablet's notes, ratings and statuses the relay lacks are only here.
        let edits = self.unsent_edit_count()?;
        if edits > 0 {
            return Ok(HandBack::UnsentEdits { records: edits });
        }
        // Enrolled again and not synced since: the relay this enrollment reaches has
        // confirmed nothing yet.
        let enrolled_unconfirmed = self
            .lock()?
            .store
            .meta(META_LAST_RECEIPT)?
            .is_some_and(|bytes| bytes.is_empty());
        if enrolled_unconfirmed && report.journal.count > 0 {
            return Ok(HandBack::Unconfirmed {
                tablet: report.journal.count,
            });
        }
        // Without a kept receipt there is no relay journal to compare with (every record
        // has a receipt, so none is missing for want of sending).
        match report.relay_confirmed {
            Some(relay) if relay != report.journal && report.journal.count > 0 => {
                Ok(HandBack::RelayLacks {
                    tablet: report.journal.count,
                    relay: relay.count,
                })
            }
            // A restore of the relay's log no witness confirmed: staff must see it and
            // tell IT/security before the tablet goes back. Last: whatever else the restore
            // left (records to send again, records the relay lacks) says more.
            _ => Ok(match self.log_restore()? {
                Some(restore) => HandBack::LogRestored {
                    from: restore.from,
                    to: restore.to,
                },
                None => match self.unconfirmed_log_restore()? {
                    Some(restore) => HandBack::LogRestoreUnconfirmed {
                        from: restore.from,
                        to: restore.to,
                    },
                    None => HandBack::Safe,
                },
            }),
        }
    }
}

/// What the close report reads of the kept receipt, whatever protocol version signed it.
#[derive(serde::Deserialize)]
struct KeptReceipt {
    journal_confirmed: crate::protocol::JournalState,
}

/// The relay refused a sync outright (not a network failure): the tablet is unknown to it
/// (a relay restored from a backup older than the enrollment), revoked, or misconfigured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRefusal {
    /// The HTTP status (401, 403, …), or 200 for a refusal inside a signed answer.
    pub status: u16,
    /// The relay's machine-readable code (`unknown_device`).
    pub code: String,
    pub at: Timestamp,
}

/// Whether a tablet may be handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandBack {
    /// Every record has a receipt and the relay's signed journal is this tablet's.
    Safe,
    /// Records without a receipt: sync.
    Unsent { unreceipted: u64 },
    /// A staff tablet holds notes, ratings or statuses of `records` registrations that the
    /// relay lacks (not synced yet, or refused while its recruiter does not stand): sync.
    UnsentEdits { records: u64 },
    /// The relay refused the last sync: no sync gets through until the tablet is enrolled
    /// again (or the relay's side is fixed).
    RelayRefuses(SyncRefusal),
    /// Everything was sent, yet the relay confirms fewer journal entries than the tablet
    /// holds: records whose copies the tablet already erased (a relay backup held them) are
    /// missing at the relay, restored from an older backup. No sync can send them again.
    RelayLacks { tablet: u64, relay: u64 },
    /// Enrolled again and not synced since: the relay has not confirmed any of the
    /// tablet's `tablet` journal entries under this enrollment. Sync.
    Unconfirmed { tablet: u64 },
    /// The relay showed a transparency log contradicting the one this tablet saw before:
    /// the tablet keeps the evidence, syncs no more, and goes to IT/security, not out.
    LogFork { code: String },
    /// The relay's log went back from `from` to `to` entries in a new relay epoch (restored
    /// from an older backup), and no witness confirmed it: records are sent again by
    /// themselves, but staff must tell IT/security and acknowledge it
    /// ([`Device::acknowledge_log_restore`]).
    LogRestored { from: u64, to: u64 },
    /// Of `unreceipted` captures without a receipt, `captures` are stored and logged at
    /// the relay but not yet inside a tree the required witnesses cosigned: sync again
    /// later (the witness cosigns on its own schedule); tell IT if it lasts.
    AwaitingWitness { captures: u64, unreceipted: u64 },
    /// The last sync saw the relay restored from a backup (its log from `from` to `to`
    /// entries) that the required witnesses have not confirmed: nothing of it was applied;
    /// sync again later, tell IT/security if it lasts.
    LogRestoreUnconfirmed { from: u64, to: u64 },
}

impl HandBack {
    pub fn is_safe(&self) -> bool {
        *self == HandBack::Safe
    }
}

/// An event's close on a tablet: *N captured / N received*, provable from both sides: the
/// tablet's journal head over N entries, and the head the relay computed and signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseReport {
    /// The relay refused the last sync (see [`Device::sync_refusal`]).
    pub refused: bool,
    pub captured: u64,
    pub received: u64,
    pub unreceipted: u64,
    pub journal: JournalHead,
    /// The journal the relay confirmed in its last receipt.
    pub relay_confirmed: Option<JournalHead>,
}

impl CloseReport {
    /// Everything captured is received, and the relay's signed journal is this tablet's.
    pub fn is_complete(&self) -> bool {
        !self.refused
            && self.unreceipted == 0
            && self.received == self.captured
            && self.relay_confirmed == Some(self.journal)
    }
}

/// The last sync sequence number used (0 before the first sync).
fn stored_sync_seq(store: &DeviceStore) -> Result<u64> {
    Ok(store
        .meta(META_SYNC_SEQ)?
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map_or(0, u64::from_be_bytes))
}

fn load_data_key(secrets: &dyn SecretStore) -> Result<Option<DataKey>> {
    let Some(mut bytes) = secrets.load(DATA_KEY_NAME)? else {
        return Ok(None);
    };
    let key: Result<[u8; 32], _> = bytes.as_slice().try_into();
    zeroize::Zeroize::zeroize(&mut bytes);
    key.map(|k| Some(DataKey::from_bytes(k)))
        .map_err(|_| Error::WrongDataKey)
}

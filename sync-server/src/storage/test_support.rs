//! Filling a store without the HTTP exchanges and seals: enrolled devices, captures and
//! sync requests for tests and benches. Written with store calls only, so the store needs
//! nothing of the layers above it.

use kiosk_core::protocol::enrollment::EnrolledRole;

use super::model::{
    Accessor, EnrollmentGrant, HrUser, IngestBatch, IngestItem, IngestOutcome, NewHrUser,
    PasswordHash, Role,
};
use super::prelude::*;

/// Enrolls `key` for `event_id` as `role` (a staff tablet bound to `recruiter`), through a
/// single-use code made for it, as the enrollment route records a device: for tests that
/// need enrolled devices in a store without the HTTP exchange.
#[doc(hidden)]
pub fn enroll_for_tests(
    store: &dyn RelayStore,
    key: [u8; 32],
    event_id: &str,
    role: EnrolledRole,
    recruiter: Option<&str>,
) {
    // As `enrollment::create_code` asks: a staff tablet's recruiter is an enabled recruiter
    // assigned to the event.
    if let (EnrolledRole::Staff, Some(username)) = (role, recruiter) {
        recruiter_for_tests(store, username, event_id);
    }
    let grant = EnrollmentGrant {
        lookup: key,
        answer_secret: [0; 32],
        event_id: event_id.to_owned(),
        role,
        recruiter: recruiter.map(str::to_owned),
        expires_at: i64::MAX,
        max_uses: 1,
        name: None,
    };
    store.add_enrollment_code(&grant, 0).expect("code");
    store
        .redeem_enrollment_code(&key, &key, role, &|_| true, 0, 1 << 40)
        .expect("storage")
        .expect("enrolled");
}

/// `registration` as ingest stores a kiosk's capture that passed every check, the tablet
/// `key` its author (the document made here; no seal, a zero capture signature): for tests
/// and benches that fill a store without sealing captures.
#[doc(hidden)]
pub fn capture_for_tests(
    registration: &kiosk_core::registration::Registration,
    key: &ed25519_dalek::VerifyingKey,
) -> IngestItem {
    let mut document = kiosk_core::documents::RegistrationDocument::create(
        registration,
        key,
        registration.captured_at,
    )
    .expect("document");
    IngestItem::Store {
        doc_id: registration.id.to_string(),
        event_id: registration.event_id.to_string(),
        change_hashes: document.change_hashes().iter().map(|h| h.0).collect(),
        document: document.save_changes(),
        capture_signature: vec![0; 64],
        receipt_code: receipt_code_for_tests(&registration.id),
        receipt_tag: None,
        restricted: registration.restricted,
        journal_seq: None,
        // As ingest's checks hand them over.
        listing: Some(Box::new(crate::storage::RegistrationListing::of(
            registration,
            kiosk_core::annotations::RecordStatus::New.as_str(),
        ))),
    }
}

/// [`capture_for_tests`] signed as a kiosk signs a capture, by `signer`, which is made the
/// registration's capturing tablet: for tests of the capture signature's check.
#[doc(hidden)]
pub fn signed_capture_for_tests(
    registration: &kiosk_core::registration::Registration,
    signer: &ed25519_dalek::SigningKey,
) -> IngestItem {
    let key = signer.verifying_key();
    let mut registration = registration.clone();
    registration.capturing_device = kiosk_core::ids::DeviceId::from_public_key(&key);
    let mut item = capture_for_tests(&registration, &key);
    if let IngestItem::Store {
        change_hashes,
        capture_signature,
        ..
    } = &mut item
    {
        let hashes: Vec<automerge::ChangeHash> = change_hashes
            .iter()
            .map(|h| automerge::ChangeHash(*h))
            .collect();
        let message = kiosk_core::capture::capture_message(
            &registration.capturing_device,
            &registration.id,
            &hashes,
        );
        *capture_signature = ed25519_dalek::Signer::sign(signer, &message)
            .to_bytes()
            .to_vec();
    }
    item
}

/// The receipt code [`capture_for_tests`] files `id` under. Real codes come out of the seal
/// (`kiosk_core::capture::receipt_code`) and no id derives them; a store filled without
/// seals needs codes its tests can name, so these are a keyed hash of the id under a key
/// only tests use.
#[doc(hidden)]
pub fn receipt_code_for_tests(id: &kiosk_core::ids::RegistrationId) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(b"kiosk-receipt-code-for-tests")
        .chain_update(id.as_str())
        .finalize();
    let mut secret = [0u8; kiosk_core::capture::receipt_code::SECRET_LEN];
    secret.copy_from_slice(&digest[..kiosk_core::capture::receipt_code::SECRET_LEN]);
    kiosk_core::capture::receipt_code::from_secret(&secret)
}

/// Stores `items` as kiosk `device_key`'s sync request number `seq`, received at
/// `received_at`, pulling nothing: for tests and benches.
#[doc(hidden)]
pub fn ingest_for_tests(
    store: &dyn RelayStore,
    device_key: [u8; 32],
    seq: u64,
    received_at: i64,
    items: Vec<IngestItem>,
) -> IngestOutcome {
    store
        .ingest(&IngestBatch {
            device_key,
            seq,
            received_at,
            items,
            accessor: Accessor::Device {
                device_key,
                recruiter: None,
            },
            pull: None,
            declared_journal: None,
        })
        .expect("ingested")
}

/// Stores `count` generated registrations of the demo event (some restricted) as the
/// captures of one kiosk, enrolled here, in one sync request; returns them, in order. The
/// same kiosk and generator seed each time: for tests that need a store of registrations.
#[doc(hidden)]
pub fn ingest_generated_for_tests(
    store: &dyn RelayStore,
    count: usize,
) -> Vec<kiosk_core::registration::Registration> {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    enroll_for_tests(
        store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
    let registrations: Vec<_> = (0..count)
        .map(|_| generator.next_registration().expect("valid"))
        .collect();
    let items = registrations
        .iter()
        .map(|registration| capture_for_tests(registration, &key))
        .collect();
    ingest_for_tests(store, key.to_bytes(), 1, 0, items);
    registrations
}

/// Makes HR user `username` a recruiter assigned to `event_id`, creating them (as no admin,
/// display name the username) if missing, as `enrollment::create_code` wants a staff code's
/// recruiter. The user is created with a password no password matches (nobody logs in as
/// them without a reset). Panics if an existing user cannot be (disabled, or without the
/// recruiter role).
fn recruiter_for_tests(store: &dyn RelayStore, username: &str, event_id: &str) -> HrUser {
    let user = match store.hr_user_by_username(username).expect("reads") {
        Some((user, _)) => user,
        None => {
            let new_user = NewHrUser {
                username: username.to_owned(),
                display_name: username.to_owned(),
                roles: vec![Role::Recruiter],
                // No cost: no password is hashed against it, so none matches.
                password: PasswordHash {
                    salt: [0; 16],
                    hash: [0; 32],
                    memory_kib: 0,
                    passes: 0,
                },
                must_change_password: true,
                created_by: None,
            };
            let id = store
                .create_hr_user(&new_user, 0)
                .expect("stored")
                .expect("a new username");
            store.hr_user(id).expect("reads").expect("created").0
        }
    };
    assert!(
        user.has(Role::Recruiter) && !user.disabled,
        "{username} is not an enabled recruiter"
    );
    store.assign_hr_event(user.id, event_id).expect("assigned");
    user
}

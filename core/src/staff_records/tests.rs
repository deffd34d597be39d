use std::sync::Arc;

use super::*;
use crate::generator::RegistrationGenerator;
use crate::protocol::enrollment::{DeviceCertificate, EnrolledRole};

const PIN: &str = "482915";

/// A staff tablet bound to recruiter "anna" (its certificate stored as enrollment would),
/// holding `count` pulled registrations of the demo event.
fn staff_with_records(dir: &tempfile::TempDir, count: usize) -> (Arc<Device>, Vec<Registration>) {
    let device =
        crate::generator::demo_staff(&dir.path().join("staff.sqlite3"), PIN).expect("opens");
    let relay = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let certificate = DeviceCertificate {
        version: crate::protocol::PROTOCOL_VERSION,
        device_key: device.identity_key().to_bytes(),
        event_id: crate::demo::DEMO_EVENT_ID.into(),
        role: EnrolledRole::Staff,
        recruiter: Some("anna".into()),
        issued_at: 0,
        expires_at: i64::MAX,
    };
    let envelope = crate::protocol::SignedEnvelope::sign(b"kiosk-cert-v1", &certificate, &relay);
    device
        .lock()
        .expect("lock")
        .store
        .set_meta("certificate", &crate::cbor::to_vec(&envelope))
        .expect("stores");
    let mut generator = RegistrationGenerator::new(crate::demo::demo_event(), 3);
    let kiosk = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    let registrations: Vec<Registration> = (0..count)
        .map(|_| generator.next_registration().expect("valid"))
        .collect();
    let pulled: Vec<PulledDocument> = registrations
        .iter()
        .map(|r| PulledDocument {
            doc_id: r.id.to_string(),
            received_at: 1_772_000_000_000,
            changes: RegistrationDocument::create(r, &kiosk, r.captured_at)
                .expect("created")
                .save_changes(),
        })
        .collect();
    device
        .apply_pull(None, &pulled, &[], &[], None, Timestamp::now())
        .expect("applies");
    (device, registrations)
}

fn session(device: &Arc<Device>) -> StaffSession {
    crate::staff::unlock(device, PIN, Timestamp::now()).expect("opens")
}

/// After the demo event's end plus the copy days.
fn expired() -> Timestamp {
    let end = crate::demo::demo_event()
        .ends_on
        .expect("the demo fair ends")
        .end();
    Timestamp(end.millis() + PULLED_COPY_DAYS * DAY_MS + 1)
}

#[test]
fn pulled_registrations_are_readable_in_staff_mode_and_encrypted_on_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, registrations) = staff_with_records(&dir, 3);
    let records = session(&device).registrations().expect("lists");
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| registrations.contains(&r.registration))
    );
    device
        .lock()
        .expect("lock")
        .store
        .checkpoint()
        .expect("checkpoints");
    let file = std::fs::read(dir.path().join("staff.sqlite3")).expect("reads");
    for registration in &registrations {
        let name = registration.person.family_name.as_bytes();
        assert!(
            !file.windows(name.len()).any(|w| w == name),
            "no name in plaintext on disk"
        );
    }
}

#[test]
fn a_copy_moved_under_another_id_does_not_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, registrations) = staff_with_records(&dir, 2);
    let (first, second) = (registrations[0].id.as_str(), registrations[1].id.as_str());
    {
        let inner = device.lock().expect("lock");
        let row = inner.store.pulled(first).expect("reads").expect("held");
        assert!(open_copy(device.records_key(), second, &row.document).is_err());
        assert!(open_copy(device.records_key(), first, &row.document).is_ok());
        assert!(
            open_copy(&[0; 32], first, &row.document).is_err(),
            "another key"
        );
    }
}

#[test]
fn copies_expire_after_the_event_unless_they_hold_unsent_edits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, registrations) = staff_with_records(&dir, 3);
    let edited = &registrations[0].id;
    session(&device)
        .add_note(edited, "Ring på måndag", Timestamp::now())
        .expect("noted");
    assert_eq!(device.unsent_edit_count().expect("counts"), 1);
    assert_eq!(
        device
            .erase_expired_copies(Timestamp::now())
            .expect("erases"),
        0
    );
    assert_eq!(device.erase_expired_copies(expired()).expect("erases"), 2);
    let left = session(&device).registrations().expect("lists");
    assert_eq!(
        left.len(),
        1,
        "the copy with an unsent note waits for its sync"
    );
    assert_eq!(&left[0].registration.id, edited);
    assert_eq!(left[0].unsent_changes, 1);
}

#[test]
fn invalid_edits_and_edits_of_registrations_the_tablet_lacks_are_refused_and_nothing_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, _) = staff_with_records(&dir, 1);
    let unknown = crate::ids::RegistrationId::new(Timestamp::now());
    assert!(matches!(
        session(&device).add_note(&unknown, "text", Timestamp::now()),
        Err(Error::UnknownRegistration { .. })
    ));
    let record = &session(&device).registrations().expect("lists")[0];
    assert!(matches!(
        session(&device).add_note(&record.registration.id, "  ", Timestamp::now()),
        Err(Error::Annotation(
            crate::annotations::AnnotationError::EmptyNote
        ))
    ));
    assert!(matches!(
        session(&device).rate(&record.registration.id, Some(6), Timestamp::now()),
        Err(Error::Annotation(
            crate::annotations::AnnotationError::RatingOutOfRange
        ))
    ));
    assert_eq!(
        device.unsent_edit_count().expect("counts"),
        0,
        "nothing kept"
    );
}

#[test]
fn a_revoked_staff_tablets_wipe_erases_its_pulled_registrations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, _) = staff_with_records(&dir, 2);
    let relay = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    device
        .lock()
        .expect("lock")
        .store
        .set_meta(
            crate::device::META_RELAY_SIGNING_KEY,
            relay.verifying_key().as_bytes(),
        )
        .expect("pins");
    let wipe = crate::protocol::sign_command(
        crate::protocol::Command::Wipe,
        device.identity_key().to_bytes(),
        0,
        &relay,
    );
    device.keep_wipe_order(&wipe).expect("kept");
    let secrets = crate::secrets::MemorySecretStore::default();
    assert_eq!(
        device.wipe(&secrets).expect("wipes"),
        crate::device::WipeOutcome::Wiped
    );
    assert!(
        !dir.path().join("staff.sqlite3").exists(),
        "the store is gone"
    );
    assert!(matches!(session_result(&device), Err(Error::Wiped)));
}

fn session_result(device: &Arc<Device>) -> Result<StaffSession> {
    crate::staff::unlock(device, PIN, Timestamp::now())
}

#[test]
fn a_pulled_change_of_a_copy_no_longer_held_is_skipped_and_the_cursor_still_moves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, registrations) = staff_with_records(&dir, 1);
    // Another registration's later change alone, without its capture: what a tablet gets
    // for a record whose copy it already erased as expired.
    let mut generator = RegistrationGenerator::new(crate::demo::demo_event(), 77);
    let gone = generator.next_registration().expect("valid");
    let kiosk = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    let mut document = RegistrationDocument::create(&gone, &kiosk, gone.captured_at).expect("doc");
    let capture_heads = document.head_bytes();
    document
        .set_status(
            crate::annotations::RecordStatus::Contacted,
            Timestamp::now(),
        )
        .expect("set");
    let orphan = PulledDocument {
        doc_id: gone.id.to_string(),
        received_at: 1_772_000_000_000,
        changes: document.changes_since(&capture_heads),
    };
    let garbage = PulledDocument {
        doc_id: registrations[0].id.to_string(),
        received_at: 1_772_000_000_000,
        changes: b"not automerge".to_vec(),
    };
    let cursor = PullCursor(b"next".to_vec());
    let effects = device
        .apply_pull(
            None,
            &[orphan, garbage],
            &[],
            &[],
            Some(&cursor),
            Timestamp::now(),
        )
        .expect("the page applies");
    assert_eq!((effects.pulled, effects.skipped), (0, 2));
    assert_eq!(
        device.pull_request().expect("request").cursor,
        Some(cursor),
        "the cursor moves past what was skipped"
    );
    assert_eq!(session(&device).registrations().expect("lists").len(), 1);
}

#[test]
fn unsent_edits_larger_than_one_push_go_in_several_oldest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, registrations) = staff_with_records(&dir, 1);
    let id = &registrations[0].id;
    // Forty notes of 2,000 letters that do not compress: about 80 KB of changes.
    let mut state: u64 = 7;
    for _ in 0..40 {
        let text: String = (0..crate::annotations::MAX_NOTE_CHARS)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(b'a' + (state >> 59) as u8 % 26)
            })
            .collect();
        session(&device)
            .add_note(id, &text, Timestamp::now())
            .expect("noted");
    }
    let first = device.pending_edits(10, Timestamp::now()).expect("edits");
    assert_eq!(first.len(), 1);
    assert!(first[0].changes.len() <= MAX_EDIT_PUSH_BYTES);
    assert!(first[0].hashes.len() < 40, "not all fit in one push");
    device
        .edits_stored(id.as_str(), &first[0].hashes, Timestamp::now())
        .expect("stored");
    let second = device.pending_edits(10, Timestamp::now()).expect("edits");
    assert_eq!(first[0].hashes.len() + second[0].hashes.len(), 40);
    assert!(
        second[0]
            .hashes
            .iter()
            .all(|h| !first[0].hashes.contains(h))
    );
}

#[test]
fn a_staff_tablet_with_a_note_the_relay_lacks_is_not_safe_to_hand_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, registrations) = staff_with_records(&dir, 2);
    assert!(
        session(&device)
            .overview()
            .expect("reads")
            .safe_to_hand_back
    );
    session(&device)
        .add_note(&registrations[0].id, "Ring på måndag", Timestamp::now())
        .expect("noted");
    // The note is only on this tablet (unsynced, or refused while its recruiter does not
    // stand): handing the tablet back would lose it.
    assert_eq!(
        device.hand_back().expect("reads"),
        crate::device::HandBack::UnsentEdits { records: 1 }
    );
    assert!(
        !session(&device)
            .overview()
            .expect("reads")
            .safe_to_hand_back
    );
}

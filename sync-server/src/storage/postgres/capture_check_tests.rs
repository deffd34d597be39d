//! The capture signature's check on PostgreSQL, where a record's document is sealed under its
//! own key: a record as ingest stored it verifies; one whose change hashes, signature or
//! document (resealed under its key, or bytes that no longer open) was altered in the
//! database does not; one with no stored signature says so. The same on SQLite is shown
//! through the console and API (`tests/capture_signature_shown.rs`).

use ed25519_dalek::SigningKey;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::ids::DeviceId;
use kiosk_core::protocol::enrollment::EnrolledRole;

use super::PgStore;
use super::record_keys::stored_key;
use super::record_seal::Field;
use super::test_cluster::fresh_database_url;
use crate::rules::capture_check::{CaptureCheck, check_capture};
use crate::storage::suite::fixtures::generated;
use crate::storage::traits::RegistrationStore;
use crate::storage::{enroll_for_tests, ingest_for_tests, signed_capture_for_tests};

fn check(store: &PgStore, id: &str) -> CaptureCheck {
    let evidence = store.capture_evidence(id).expect("reads").expect("held");
    check_capture(id, &evidence)
}

#[test]
fn an_altered_record_does_not_verify_and_one_without_a_signature_says_so() {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    // As a relay instance with its keys opens it (the suite's stores are opened so too).
    store
        .use_email_tags(crate::storage::email_tag_secret(&SigningKey::from_bytes(
            &[0x5A; 32],
        )))
        .expect("tags addresses");
    let signer = SigningKey::from_bytes(&[44; 32]);
    let key = signer.verifying_key();
    enroll_for_tests(
        &store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    let records: Vec<_> = generated(5, 21)
        .into_iter()
        .map(|mut r| {
            r.capturing_device = DeviceId::from_public_key(&key);
            r
        })
        .collect();
    let items = records
        .iter()
        .map(|r| signed_capture_for_tests(r, &signer))
        .collect();
    ingest_for_tests(&store, key.to_bytes(), 1, 0, items);
    let ids: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
    for id in &ids {
        assert_eq!(check(&store, id), CaptureCheck::Verifies, "as stored");
    }

    let mut db = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let mut alter = |set: &str, value: &[u8], id: &str| {
        let changed = db
            .execute(
                &format!("UPDATE registrations SET {set} = $1 WHERE doc_id = $2"),
                &[&value, &id],
            )
            .expect("altered");
        assert_eq!(changed, 1);
    };
    let evidence = store
        .capture_evidence(&ids[0])
        .expect("reads")
        .expect("held");
    let mut hashes = evidence.change_hashes.clone();
    hashes[3] ^= 1;
    alter("change_hashes", &hashes, &ids[0]);
    let evidence = store
        .capture_evidence(&ids[1])
        .expect("reads")
        .expect("held");
    let mut signature = evidence.capture_signature.clone();
    signature[10] ^= 1;
    alter("capture_signature", &signature, &ids[1]);
    // A forged document as the tablet's change, sealed under the record's own key: it
    // opens and reads, and no signature covers it.
    let mut forged = records[2].clone();
    forged.person.given_name = "Någon annan".to_owned();
    let mut document =
        RegistrationDocument::create(&forged, &key, forged.captured_at).expect("document");
    let stored: Option<Vec<u8>> = postgres::Client::connect(&url, postgres::NoTls)
        .expect("connects")
        .query_one("SELECT key FROM record_keys WHERE doc_id = $1", &[&ids[2]])
        .expect("a key")
        .get(0);
    let resealed = stored_key(stored.as_deref()).expect("a record key").seal(
        &ids[2],
        Field::Document,
        &document.save_changes(),
    );
    alter("document", &resealed, &ids[2]);
    // Bytes that no longer open under the record's key.
    alter("document", &[0x55; 80], &ids[3]);
    alter("capture_signature", &[], &ids[4]);

    for (id, want) in ids.iter().zip([
        CaptureCheck::DoesNotVerify,
        CaptureCheck::DoesNotVerify,
        CaptureCheck::DoesNotVerify,
        CaptureCheck::DoesNotVerify,
        CaptureCheck::NoSignature,
    ]) {
        assert_eq!(check(&store, id), want, "{id}");
    }
}

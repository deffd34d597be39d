//! A record's page in the console and its API answer name the tablet that captured it (by the
//! name HR gave it) and say whether its capture signature verifies, checked as it is read
//! against what the store holds: a record as the tablet signed it verifies; one whose
//! document, change hashes or signature was altered in the store since says loudly that it
//! does not (in Swedish and English); one with no stored signature says so.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use std::sync::Arc;

use axum::http::StatusCode;
use ed25519_dalek::SigningKey;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::ids::DeviceId;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::registration::Registration;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::{
    DeviceStore, SqliteStore, enroll_for_tests, ingest_for_tests, signed_capture_for_tests,
};
use kiosk_sync_server::{AppState, store_demo_event};
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{self, ApiSession};

const EVENT: &str = kiosk_core::demo::DEMO_EVENT_ID;
const TABLET_NAME: &str = "Kiosk 3, Umeå";

/// A relay on a database file (so the test can alter rows behind its back), with a named
/// kiosk that captured `count` open registrations, each signed as a kiosk signs.
struct Relay {
    state: AppState,
    db: std::path::PathBuf,
    signer: SigningKey,
    records: Vec<Registration>,
    _dir: tempfile::TempDir,
}

fn relay(count: usize) -> Relay {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("relay.db");
    let store = SqliteStore::open(&db).expect("store");
    store_demo_event(&store).expect("event");
    let signer = SigningKey::from_bytes(&[33; 32]);
    let key = signer.verifying_key().to_bytes();
    enroll_for_tests(&store, key, EVENT, EnrolledRole::Kiosk, None);
    assert!(store.rename_device(&key, Some(TABLET_NAME)).expect("named"));
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 11);
    let records: Vec<Registration> = std::iter::from_fn(|| generator.next_registration().ok())
        .filter(|r| !r.restricted)
        .take(count)
        .map(|mut r| {
            r.capturing_device = DeviceId::from_public_key(&signer.verifying_key());
            r
        })
        .collect();
    let items = records
        .iter()
        .map(|r| signed_capture_for_tests(r, &signer))
        .collect();
    ingest_for_tests(&store, key, 1, 0, items);
    let state = AppState::new(Arc::new(store), RelayKeys::from_seeds([11; 32], [12; 32]));
    Relay {
        state,
        db,
        signer,
        records,
        _dir: dir,
    }
}

impl Relay {
    /// Changes record `id`'s row as someone with write access to the database file could.
    fn alter(&self, id: &str, set: &str, value: Vec<u8>) {
        let conn = rusqlite::Connection::open(&self.db).expect("opens");
        let changed = conn
            .execute(
                &format!("UPDATE registrations SET {set} = ?1 WHERE doc_id = ?2"),
                rusqlite::params![value, id],
            )
            .expect("altered");
        assert_eq!(changed, 1);
    }

    /// `record` with another email, written as the same tablet's change: a document that
    /// reads well and was never signed.
    fn forged_document(&self, record: &Registration) -> (Vec<u8>, Vec<u8>) {
        let mut forged = record.clone();
        forged.person.email = Some("someone.else@example.org".to_owned());
        let key = self.signer.verifying_key();
        let mut document =
            RegistrationDocument::create(&forged, &key, forged.captured_at).expect("document");
        let hashes = document.change_hashes().iter().flat_map(|h| h.0).collect();
        (document.save_changes(), hashes)
    }
}

/// The value of the record page's capture-signature line.
fn shown_check(body: &str) -> &str {
    let marker = "data-capture-signature=\"";
    let start = body.find(marker).expect("a capture-signature line") + marker.len();
    &body[start..start + body[start..].find('"').expect("closing quote")]
}

#[tokio::test]
async fn the_record_page_and_api_say_whether_the_capture_signature_verifies() {
    let relay = relay(5);
    let ids: Vec<String> = relay.records.iter().map(|r| r.id.to_string()).collect();
    // 0 untouched; 1 its document replaced by a forged one (hashes as stored); 2 its
    // document and hashes both replaced (the signature no longer covers them); 3 its
    // signature altered; 4 no signature stored.
    let (forged, _) = relay.forged_document(&relay.records[1]);
    relay.alter(&ids[1], "document", forged);
    let (forged, forged_hashes) = relay.forged_document(&relay.records[2]);
    relay.alter(&ids[2], "document", forged);
    relay.alter(&ids[2], "change_hashes", forged_hashes);
    let evidence = relay
        .state
        .store
        .capture_evidence(&ids[3])
        .expect("reads")
        .expect("held");
    let mut signature = evidence.capture_signature;
    signature[0] ^= 0x80;
    relay.alter(&ids[3], "capture_signature", signature);
    relay.alter(&ids[4], "capture_signature", Vec::new());
    let expected = [
        "verifies",
        "does_not_verify",
        "does_not_verify",
        "does_not_verify",
        "no_signature",
    ];

    user_with(&relay.state, "arkiv", vec![Role::Archivist]);
    let mut browser = Browser::new(&relay.state);
    assert_eq!(
        browser.log_in("arkiv", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    for (id, want) in ids.iter().zip(expected) {
        let page = browser.get(&format!("/console/registrations/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{id}");
        assert_eq!(shown_check(&page.body), want, "{id}");
        assert!(page.body.contains(TABLET_NAME), "the tablet by its name");
        let alarmed = page.body.contains("capture-alert");
        assert_eq!(alarmed, want == "does_not_verify", "{id}: the warning");
        if want == "does_not_verify" {
            assert!(
                page.body
                    .contains("Registreringen kan ha ändrats i databasen efter att den togs emot."),
                "Swedish warning"
            );
        }
        if want == "no_signature" {
            assert!(page.body.contains("Ingen signatur finns sparad"));
        }
        if want == "verifies" {
            assert!(page.body.contains("Stämmer: registreringen är oförändrad"));
        }
    }
    // In English too.
    let english = browser
        .get(&format!("/console/registrations/{}?lang=en", ids[3]))
        .await;
    assert_eq!(english.status, StatusCode::OK);
    assert!(
        english
            .body
            .contains("The registration may have been altered in the database"),
        "English warning"
    );

    let api = ApiSession::log_in_existing(&relay.state, "arkiv").await;
    for (id, want) in ids.iter().zip(expected) {
        let answer = hr_api::call(
            &relay.state,
            "GET",
            &format!("/api/v1/registrations/{id}"),
            &api.headers(),
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(answer.body["capture"]["signature"], want, "{id}");
        assert_eq!(answer.body["capture"]["tablet_name"], TABLET_NAME);
        assert_eq!(
            answer.body["capture"]["device"],
            hex::encode(relay.signer.verifying_key().to_bytes())
        );
    }
}

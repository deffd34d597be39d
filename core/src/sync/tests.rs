//! The sync client's state on the tablet, with transports that never reach a relay.

use super::*;
use crate::device::{DeviceRole, HandBack};
use crate::secrets::MemorySecretStore;

/// A relay that does not know the tablet (restored from a backup older than its enrollment).
struct UnknownDevice;

impl Transport for UnknownDevice {
    fn post(&self, _path: &str, _body: Vec<u8>) -> std::result::Result<Vec<u8>, TransportError> {
        Err(TransportError::Refused {
            status: 401,
            code: "unknown_device".into(),
        })
    }
}

struct Offline;

impl Transport for Offline {
    fn post(&self, _path: &str, _body: Vec<u8>) -> std::result::Result<Vec<u8>, TransportError> {
        Err(TransportError::Unreachable("no network".into()))
    }
}

fn sync_with(device: &Device, transport: &dyn Transport) -> Result<SyncReport> {
    sync(
        device,
        transport,
        &NoListener,
        BatchLimits::default(),
        || Timestamp(1_773_310_000_000),
    )
}

#[test]
fn a_relay_that_refuses_the_tablet_is_remembered_and_the_tablet_is_never_safe_meanwhile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.sqlite3");
    let secrets = MemorySecretStore::default();
    let device = Device::open(&path, &secrets, DeviceRole::Kiosk).expect("opens");
    device
        .install_event(&crate::demo::demo_event(), Timestamp(1_773_300_000_000))
        .expect("installs");
    let relay = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    device
        .lock()
        .expect("store")
        .store
        .set_meta(
            crate::device::META_RELAY_SIGNING_KEY,
            relay.verifying_key().as_bytes(),
        )
        .expect("pins");
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);

    let refused = sync_with(&device, &UnknownDevice).expect_err("refused");
    assert!(
        matches!(
            refused,
            Error::Transport(TransportError::Refused { status: 401, .. })
        ),
        "{refused}"
    );
    let still_refused = |device: &Device| match device.hand_back().expect("reads") {
        HandBack::RelayRefuses(refusal) => {
            assert_eq!(
                (refusal.status, refusal.code.as_str()),
                (401, "unknown_device")
            )
        }
        other => panic!("safe while the relay refuses the tablet: {other:?}"),
    };
    still_refused(&device);
    assert!(!device.close_report().expect("reads").is_complete());
    // Being offline later says nothing new about the relay: the refusal stays.
    sync_with(&device, &Offline).expect_err("offline");
    still_refused(&device);
    drop(device);
    let reopened = Device::open(&path, &secrets, DeviceRole::Kiosk).expect("opens");
    still_refused(&reopened);
}

/// A tablet updated from protocol version 3 keeps the last receipt a version-3 relay signed
/// (no `withdrawn` list): its close report, status and hand-back still read the journal the
/// relay confirmed in it, offline, before any version-4 sync.
#[test]
fn a_receipt_kept_from_protocol_version_3_still_gives_the_close_report() {
    use ciborium::value::Value;
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = MemorySecretStore::default();
    let device = Device::open(
        &dir.path().join("device.sqlite3"),
        &secrets,
        DeviceRole::Kiosk,
    )
    .expect("opens");
    let relay = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let journal = device.journal_head().expect("head");
    let response = crate::protocol::SyncResponse {
        version: 4,
        journal_confirmed: journal.into(),
        commit_seq: Some(3),
        ..crate::protocol::SyncResponse::empty(
            device.device_id().public_key().expect("a key").to_bytes(),
            [1; 32],
            [2; 16],
        )
    };
    // The same answer as version 3 spelled it: no `withdrawn`, version 3.
    let Value::Map(entries) =
        ciborium::from_reader::<Value, _>(crate::cbor::to_vec(&response).as_slice()).expect("cbor")
    else {
        panic!("a map")
    };
    let version_3: Vec<(Value, Value)> = entries
        .into_iter()
        .filter(|(k, _)| k.as_text() != Some("withdrawn"))
        .map(|(k, v)| {
            if k.as_text() == Some("version") {
                (k, Value::from(3))
            } else {
                (k, v)
            }
        })
        .collect();
    let kept = crate::protocol::SignedEnvelope::sign(
        crate::protocol::RECEIPT_TAG,
        &Value::Map(version_3),
        &relay,
    )
    .to_bytes();
    {
        let mut inner = device.lock().expect("store");
        inner
            .store
            .set_meta(
                crate::device::META_RELAY_SIGNING_KEY,
                relay.verifying_key().as_bytes(),
            )
            .expect("pins");
        inner
            .store
            .set_meta(crate::device::META_LAST_RECEIPT, &kept)
            .expect("keeps the version-3 receipt");
    }
    let report = device
        .close_report()
        .expect("a version-3 receipt still reads");
    assert_eq!(report.relay_confirmed, Some(journal));
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);
}

/// A relay that answers every sync of `device` with an empty, signed receipt.
struct AnsweringRelay {
    signing: ed25519_dalek::SigningKey,
    device: [u8; 32],
}

impl Transport for AnsweringRelay {
    fn post(&self, path: &str, body: Vec<u8>) -> std::result::Result<Vec<u8>, TransportError> {
        assert_eq!(path, "/v1/sync");
        let response = crate::protocol::SyncResponse {
            commit_seq: Some(1),
            ..crate::protocol::SyncResponse::empty(
                self.device,
                SignedEnvelope::hash(&body),
                [2; 16],
            )
        };
        Ok(SignedEnvelope::sign(crate::protocol::RECEIPT_TAG, &response, &self.signing).to_bytes())
    }
}

#[test]
fn the_time_of_the_last_completed_sync_is_kept_across_a_restart_and_a_failed_sync_leaves_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.sqlite3");
    let secrets = MemorySecretStore::default();
    let device = Device::open(&path, &secrets, DeviceRole::Kiosk).expect("opens");
    device
        .install_event(&crate::demo::demo_event(), Timestamp(1_773_300_000_000))
        .expect("installs");
    let signing = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    device
        .lock()
        .expect("store")
        .store
        .set_meta(
            crate::device::META_RELAY_SIGNING_KEY,
            signing.verifying_key().as_bytes(),
        )
        .expect("pins");
    assert_eq!(device.last_sync_at().expect("reads"), None, "never synced");

    // Offline and refused syncs did not complete: no time is kept.
    sync_with(&device, &Offline).expect_err("offline");
    assert_eq!(device.last_sync_at().expect("reads"), None);

    let relay = AnsweringRelay {
        signing,
        device: device.device_id().public_key().expect("a key").to_bytes(),
    };
    sync_with(&device, &relay).expect("an answered sync completes");
    let synced_at = Some(Timestamp(1_773_310_000_000));
    assert_eq!(device.last_sync_at().expect("reads"), synced_at);

    // A later failure leaves the last success standing.
    sync_with(&device, &UnknownDevice).expect_err("refused");
    assert_eq!(device.last_sync_at().expect("reads"), synced_at);

    drop(device);
    let reopened = Device::open(&path, &secrets, DeviceRole::Kiosk).expect("opens");
    assert_eq!(reopened.last_sync_at().expect("reads"), synced_at);
}

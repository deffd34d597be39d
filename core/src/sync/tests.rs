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

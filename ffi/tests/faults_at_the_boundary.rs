//! Faults a shell can cause, seen from Rust through the same exports the bindings call:
//! each ends as a typed `KioskError`, never a panic, and leaves the store usable.

use std::sync::{Arc, Mutex};

use kiosk_ffi::foreign::{PlatformSecretStore, RelayAnswer, RelayTransport, SyncListener};
use kiosk_ffi::types::{DeviceRole, RecordOutcome, SyncFailure, SyncOptions, SyncSummary};
use kiosk_ffi::{KioskDevice, KioskError};

#[derive(Default)]
struct MemorySecrets(Mutex<std::collections::HashMap<String, Vec<u8>>>);

impl PlatformSecretStore for MemorySecrets {
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, KioskError> {
        Ok(self.0.lock().expect("lock").get(&name).cloned())
    }
    fn store(&self, name: String, secret: Vec<u8>) -> Result<(), KioskError> {
        self.0.lock().expect("lock").insert(name, secret);
        Ok(())
    }
    fn delete(&self, name: String) -> Result<(), KioskError> {
        self.0.lock().expect("lock").remove(&name);
        Ok(())
    }
}

/// A secret store whose platform call fails, as a locked Keychain would.
struct LockedSecrets;

impl PlatformSecretStore for LockedSecrets {
    fn load(&self, _name: String) -> Result<Option<Vec<u8>>, KioskError> {
        Err(KioskError::Callback {
            detail: "keychain locked".into(),
        })
    }
    fn store(&self, _name: String, _secret: Vec<u8>) -> Result<(), KioskError> {
        Err(KioskError::Callback {
            detail: "keychain locked".into(),
        })
    }
    fn delete(&self, _name: String) -> Result<(), KioskError> {
        Ok(())
    }
}

struct Unreachable;

impl RelayTransport for Unreachable {
    fn post(&self, _path: String, _body: Vec<u8>) -> Result<RelayAnswer, KioskError> {
        Err(KioskError::Callback {
            detail: "offline".into(),
        })
    }
}

#[derive(Default)]
struct Quiet(Mutex<Vec<String>>);

impl SyncListener for Quiet {
    fn progress(&self, _done: u64, _total: u64) -> Result<(), KioskError> {
        Ok(())
    }
    fn record_state(&self, _id: String, _outcome: RecordOutcome) -> Result<(), KioskError> {
        Ok(())
    }
    fn finished(&self, _summary: SyncSummary) -> Result<(), KioskError> {
        self.0.lock().expect("lock").push("finished".into());
        Ok(())
    }
    fn failed(&self, failure: SyncFailure) -> Result<(), KioskError> {
        self.0.lock().expect("lock").push(failure.kind);
        Ok(())
    }
}

fn open(
    dir: &tempfile::TempDir,
    secrets: Arc<dyn PlatformSecretStore>,
) -> Result<Arc<KioskDevice>, KioskError> {
    KioskDevice::open(
        dir.path().join("kiosk.sqlite3").display().to_string(),
        secrets,
        DeviceRole::Kiosk,
    )
}

#[test]
fn a_failing_secret_store_is_a_secret_store_error_and_a_later_open_succeeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = open(&dir, Arc::new(LockedSecrets)).expect_err("no data key");
    assert!(matches!(error, KioskError::SecretStore { .. }), "{error:?}");
    let secrets = Arc::new(MemorySecrets::default());
    let device = open(&dir, secrets.clone()).expect("opens once the store answers");
    assert_eq!(device.device_id().expect("id").len(), 64);
    assert_eq!(
        secrets.0.lock().expect("lock").len(),
        1,
        "the data key was stored"
    );
}

#[test]
fn every_call_on_a_closed_device_and_its_sessions_answers_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = open(&dir, Arc::new(MemorySecrets::default())).expect("opens");
    device.install_demo_event().expect("event");
    device.close_store();
    for result in [
        device.device_id().map(drop),
        device.install_demo_event(),
        device.set_staff_pin("482913".into()),
        Arc::clone(&device).start_visitor_session().map(drop),
    ] {
        assert!(
            matches!(result, Err(KioskError::Closed { .. })),
            "{result:?}"
        );
    }
}

#[test]
fn a_visitor_session_needs_an_enrolled_tablet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = open(&dir, Arc::new(MemorySecrets::default())).expect("opens");
    device.install_demo_event().expect("event");
    let error = device.start_visitor_session().expect_err("not enrolled");
    let KioskError::NotReady {
        code, message_sv, ..
    } = error
    else {
        panic!("not ready, not {error:?}");
    };
    assert_eq!(code, "not_enrolled");
    assert!(message_sv.contains("inte registrerad"));
}

#[tokio::test]
async fn sync_settings_out_of_range_are_refused_naming_the_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = open(&dir, Arc::new(MemorySecrets::default())).expect("opens");
    for options in [
        SyncOptions {
            max_documents: 0,
            ..SyncOptions::default()
        },
        SyncOptions {
            request_timeout_ms: 10,
            ..SyncOptions::default()
        },
    ] {
        let error = device
            .sync(Arc::new(Unreachable), Arc::new(Quiet::default()), options)
            .await
            .expect_err("refused");
        assert!(
            matches!(&error, KioskError::InvalidInput { field, reason, .. }
                if field == "sync_setting" && reason == "out_of_range"),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_sync_of_an_unenrolled_tablet_fails_and_the_listener_hears_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = open(&dir, Arc::new(MemorySecrets::default())).expect("opens");
    let listener = Arc::new(Quiet::default());
    let error = device
        .sync(
            Arc::new(Unreachable),
            listener.clone(),
            SyncOptions::default(),
        )
        .await
        .expect_err("not enrolled");
    assert!(matches!(error, KioskError::NotReady { ref code, .. } if code == "not_enrolled"));
    assert_eq!(
        *listener.0.lock().expect("lock"),
        vec!["not_ready".to_owned()]
    );
}

#[tokio::test]
async fn a_mistyped_enrollment_code_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = open(&dir, Arc::new(MemorySecrets::default())).expect("opens");
    device.install_demo_event().expect("event");
    let error = device
        .enroll(Arc::new(Unreachable), "not a code".into(), None)
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, KioskError::InvalidInput { field, .. } if field == "enrollment_code"),
        "{error:?}"
    );
}

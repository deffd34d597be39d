//! Tablets enroll with a real relay on a loopback port, capture offline, and sync: every
//! registration arrives exactly once, receipted, and the tablet is then safe to hand back.
//! Forged, replayed and garbage requests are refused and change nothing at the relay.

use std::sync::{Arc, Mutex};

use kiosk_core::device::Device;
use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::{EnrolledRole, EnrollmentCode};
use kiosk_core::protocol::{ErrorCode, SignedEnvelope};
use kiosk_core::store::DocumentState;
use kiosk_core::sync::{BatchLimits, HttpTransport, NoListener, Transport, TransportError, sync};
use kiosk_sync_server::enrollment::create_code;
use kiosk_sync_server::now_ms;
use kiosk_sync_server::storage::prelude::*;
use kiosk_tests::{Backend, FileRelay, file_relay, file_relay_on, sync_now, tablet};

async fn relay() -> FileRelay {
    file_relay().await
}

fn capture(device: &Arc<Device>, count: usize, seed: u64) {
    kiosk_core::generator::capture_generated(device, count, seed).expect("captured");
}

/// Records every request and can lose responses, as a flaky network would.
struct Recording {
    inner: HttpTransport,
    sent: Mutex<Vec<Vec<u8>>>,
    lose_next_responses: Mutex<u32>,
}

impl Recording {
    fn new(url: &str) -> Recording {
        Recording {
            inner: HttpTransport::new(url),
            sent: Mutex::new(Vec::new()),
            lose_next_responses: Mutex::new(0),
        }
    }
}

impl Transport for Recording {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.sent.lock().expect("lock").push(body.clone());
        let answer = self.inner.post(path, body)?;
        let mut lose = self.lose_next_responses.lock().expect("lock");
        if *lose > 0 {
            *lose -= 1;
            return Err(TransportError::Unreachable("response lost".into()));
        }
        Ok(answer)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_enrolls_captures_offline_and_syncs_everything_exactly_once() {
    let relay = relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 2, 3_600_000);
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let tablet = tablet();
        let transport = Recording::new(&url);
        let certificate = tablet.device.enroll(&code, &transport).expect("enrolls");
        assert_eq!(certificate.role, EnrolledRole::Kiosk);
        assert_eq!(certificate.event_id, kiosk_core::demo::DEMO_EVENT_ID);

        capture(&tablet.device, 250, 1);
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!(
            (report.requests, report.received),
            (3, 250),
            "batches of 100"
        );
        assert!(report.refused.is_empty());
        assert_eq!(
            report.relay_journal,
            Some(tablet.device.journal_head().expect("head"))
        );
        let counts = tablet.device.state_counts().expect("counts");
        assert_eq!((counts.captured, counts.sent, counts.received), (0, 0, 250));
        assert_eq!(store.counts().expect("counts").registrations, 250);

        // Nothing left to push: a second sync only asks, in one empty request.
        let idle = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!((idle.requests, idle.received), (1, 0));
        assert_eq!(store.counts().expect("counts").registrations, 250);

        // A replayed request is refused as stale and stores nothing new.
        let first = transport.sent.lock().expect("lock")[1].clone();
        let replay = HttpTransport::new(&url).post("/v1/sync", first);
        let answer = replay.expect("the relay answers a replay with a signed refusal");
        let envelope = SignedEnvelope::from_bytes(&answer).expect("envelope");
        let response: kiosk_core::protocol::SyncResponse = envelope.decode().expect("response");
        assert_eq!(response.refused, Some(ErrorCode::StaleSeq));
        assert_eq!(store.counts().expect("counts").registrations, 250);
    })
    .await
    .expect("tablet thread");
    relay.server.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_responses_are_retried_and_each_registration_is_stored_once() {
    let relay = relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let tablet = tablet();
        let transport = Recording::new(&url);
        tablet.device.enroll(&code, &transport).expect("enrolls");
        capture(&tablet.device, 30, 2);
        *transport.lose_next_responses.lock().expect("lock") = 1;
        let lost = sync_now(&tablet.device, &transport);
        assert!(matches!(lost, Err(kiosk_core::Error::Transport(_))));
        let counts = tablet.device.state_counts().expect("counts");
        assert_eq!(
            (counts.sent, counts.received),
            (30, 0),
            "no receipt, nothing marked received"
        );
        assert_eq!(
            store.counts().expect("counts").registrations,
            30,
            "the relay did store them"
        );

        let report = sync_now(&tablet.device, &transport).expect("retry");
        assert_eq!(report.received, 30);
        assert_eq!(
            store.counts().expect("counts").registrations,
            30,
            "stored exactly once"
        );
        assert_eq!(tablet.device.state_counts().expect("counts").received, 30);
    })
    .await
    .expect("tablet thread");
    relay.server.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_tablets_captures_are_quarantined_and_it_is_told_to_wipe() {
    let relay = relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let tablet = tablet();
        let transport = HttpTransport::new(&url);
        tablet.device.enroll(&code, &transport).expect("enrolls");
        capture(&tablet.device, 3, 3);
        assert!(
            !sync_now(&tablet.device, &transport)
                .expect("syncs")
                .wipe_requested
        );
        let key = tablet
            .device
            .device_id()
            .public_key()
            .expect("key")
            .to_bytes();
        assert!(store.revoke_device(&key, now_ms()).expect("revokes"));
        capture(&tablet.device, 2, 4);
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!((report.received, report.quarantined), (0, 2));
        assert!(report.wipe_requested);
        let counts = store.counts().expect("counts");
        assert_eq!(
            (counts.registrations, counts.quarantined),
            (3, 2),
            "kept apart, not merged, not lost"
        );
        let states = tablet.device.state_counts().expect("counts");
        assert_eq!(states.received, 5, "the relay holds all five");
        let fresh_code = {
            let now = now_ms();
            create_code(
                store.as_ref(),
                kiosk_core::demo::DEMO_EVENT_ID,
                EnrolledRole::Kiosk,
                None,
                1,
                now + 60_000,
                now,
            )
            .expect("code")
        };
        match tablet.device.enroll(&fresh_code, &transport) {
            Err(kiosk_core::Error::Transport(TransportError::Refused { status: 403, code })) => {
                assert_eq!(
                    code, "revoked",
                    "a new code does not bring a revoked tablet back"
                )
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            tablet
                .device
                .document_state(&tablet.device.journal_entries().expect("journal")[4].doc_id)
                .expect("state"),
            Some(DocumentState::Received)
        );
    })
    .await
    .expect("tablet thread");
    relay.server.stop().await.expect("stops");
}

/// Fails every request after the first `allowed`, as a network dropping mid-sync would.
struct FailsAfter {
    inner: HttpTransport,
    allowed: Mutex<u32>,
}

impl Transport for FailsAfter {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let mut allowed = self.allowed.lock().expect("lock");
        if *allowed == 0 {
            return Err(TransportError::Unreachable("network dropped".into()));
        }
        *allowed -= 1;
        self.inner.post(path, body)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_tablet_wipes_itself_only_once_everything_it_holds_has_a_receipt() {
    // SQLite-only: the wipe waits for the relay's backup, and `backup` copies the SQLite
    // file (on PostgreSQL the operator's own tools back the database up).
    let relay = file_relay_on(Backend::Sqlite).await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.sqlite().clone();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kiosk.sqlite3");
        let secrets = kiosk_core::secrets::MemorySecretStore::default();
        let device =
            Device::open(&path, &secrets, kiosk_core::device::DeviceRole::Kiosk).expect("opens");
        device
            .install_event(&kiosk_core::demo::demo_event(), Timestamp::now())
            .expect("event");
        let transport = HttpTransport::new(&url);
        device.enroll(&code, &transport).expect("enrolls");
        capture(&device, 3, 5);
        sync_now(&device, &transport).expect("syncs");
        assert!(
            matches!(device.wipe(&secrets), Err(kiosk_core::Error::NoWipeOrder)),
            "no one wipes a tablet by asking: only a command the relay signed for it"
        );

        let key = device.device_id().public_key().expect("key").to_bytes();
        assert!(store.revoke_device(&key, now_ms()).expect("revokes"));
        capture(&device, 2, 6);
        // The first request gets its receipt and the wipe order; the network drops before
        // the second, so one capture is still unreceipted and the wipe must wait.
        let flaky = FailsAfter {
            inner: HttpTransport::new(&url),
            allowed: Mutex::new(1),
        };
        let one_at_a_time = BatchLimits {
            max_documents: 1,
            ..BatchLimits::default()
        };
        assert!(sync(&device, &flaky, &NoListener, one_at_a_time, Timestamp::now).is_err());
        assert!(device.wipe_order().expect("reads").is_some(), "order kept");
        assert_eq!(
            device.wipe(&secrets).expect("waits"),
            kiosk_core::device::WipeOutcome::Waiting {
                unreceipted: 1,
                not_backed_up: 4
            }
        );
        assert!(
            path.exists(),
            "nothing erased while a capture lacks a receipt"
        );

        let report = sync_now(&device, &transport).expect("syncs");
        assert_eq!(report.quarantined, 1);
        let close = device.close_report().expect("report");
        assert_eq!((close.captured, close.received), (5, 5));
        assert!(close.is_complete(), "the relay signed the tablet's journal");
        assert_eq!(
            device.wipe(&secrets).expect("waits"),
            kiosk_core::device::WipeOutcome::Waiting {
                unreceipted: 0,
                not_backed_up: 5
            },
            "after erasure the relay holds the only copy: the wipe waits for a backup"
        );
        let backups = tempfile::tempdir().expect("tempdir");
        store
            .backup(&backups.path().join("relay-backup.sqlite3"))
            .expect("backs up");
        let report = sync_now(&device, &transport).expect("syncs");
        assert_eq!(report.erased, 5, "the backup holds all five");
        assert_eq!(
            device.wipe(&secrets).expect("wipes"),
            kiosk_core::device::WipeOutcome::Wiped
        );
        assert!(!path.exists(), "the store's files are gone");
        assert!(
            kiosk_core::secrets::SecretStore::load(&secrets, kiosk_core::device::DATA_KEY_NAME)
                .expect("reads")
                .is_none(),
            "the data key is gone"
        );
        assert!(matches!(
            device.state_counts(),
            Err(kiosk_core::Error::Wiped)
        ));
        let counts = store.counts().expect("counts");
        assert_eq!(
            (counts.registrations, counts.quarantined),
            (3, 2),
            "the relay holds all five: three merged, two kept apart"
        );
    })
    .await
    .expect("tablet thread");
    relay.server.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_expired_and_exhausted_codes_are_refused_and_failures_are_rate_limited() {
    let relay = relay().await;
    let url = relay.server.url();
    let good = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let expired = relay.code(EnrolledRole::Kiosk, 1, -1);
    let staff = relay.code(EnrolledRole::Staff, 1, 3_600_000);
    tokio::task::spawn_blocking(move || {
        let transport = HttpTransport::new(&url);
        let refusal = |result: kiosk_core::Result<_>| match result {
            Err(kiosk_core::Error::Transport(TransportError::Refused { status, code })) => {
                (status, code)
            }
            other => panic!("expected a refusal, got {other:?}"),
        };
        let first = tablet();
        assert_eq!(
            refusal(first.device.enroll(&EnrollmentCode::generate(), &transport)),
            (403, "unknown_code".into())
        );
        assert_eq!(
            refusal(first.device.enroll(&expired, &transport)),
            (403, "expired_code".into())
        );
        assert_eq!(
            refusal(first.device.enroll(&staff, &transport)),
            (403, "wrong_role".into()),
            "a staff code does not enroll a kiosk"
        );
        first.device.enroll(&good, &transport).expect("enrolls");
        first
            .device
            .enroll(&good, &transport)
            .expect("the same tablet may enroll again");
        let second = tablet();
        assert_eq!(
            refusal(second.device.enroll(&good, &transport)),
            (403, "exhausted_code".into())
        );
        // The kiosk's attempt did not use the staff code's one use.
        let staff_dir = tempfile::tempdir().expect("tempdir");
        let staff_tablet = Device::open(
            &staff_dir.path().join("staff.sqlite3"),
            &kiosk_core::secrets::MemorySecretStore::default(),
            kiosk_core::device::DeviceRole::Staff,
        )
        .expect("opens");
        staff_tablet
            .install_event(&kiosk_core::demo::demo_event(), Timestamp::now())
            .expect("event");
        staff_tablet
            .enroll(&staff, &transport)
            .expect("the staff code still enrolls a staff tablet");
        assert!(
            second.device.relay_signing_key().expect("reads").is_none(),
            "nothing pinned"
        );
        for _ in 0..10 {
            let _ = second
                .device
                .enroll(&EnrollmentCode::generate(), &transport);
        }
        assert_eq!(
            refusal(
                second
                    .device
                    .enroll(&EnrollmentCode::generate(), &transport)
            ),
            (429, "rate_limited".into())
        );
    })
    .await
    .expect("tablet thread");
    relay.server.stop().await.expect("stops");
}

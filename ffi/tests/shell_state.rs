//! What a shell reads to pick its screen, through the exports the bindings call: the
//! tablet's setup state (enrolled, its event, PIN, wipe, last sync, refusal), readable
//! without the PIN, and the staff overview's reason behind "safe to hand back" with what
//! staff should do. The relay is played here with its own keys, as the real one answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ed25519_dalek::SigningKey;
use kiosk_core::capture::RelayOpeningKey;
use kiosk_core::protocol::enrollment::{
    CERTIFICATE_TAG, DeviceCertificate, EnrollAnswer, EnrollRequest, EnrollResponse, EnrolledRole,
    EnrollmentCode,
};
use kiosk_core::protocol::{PROTOCOL_VERSION, RECEIPT_TAG, SignedEnvelope, SyncResponse};
use kiosk_ffi::foreign::{PlatformSecretStore, RelayAnswer, RelayTransport, SyncListener};
use kiosk_ffi::types::{
    DeviceRole, HandBackState, Language, RecordOutcome, RegistrationDraft, SyncFailure,
    SyncOptions, SyncSummary,
};
use kiosk_ffi::{KioskDevice, KioskError};

const EXPIRES_AT_MS: i64 = 4_102_444_800_000;
const PIN: &str = "482913";

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

struct Quiet;

impl SyncListener for Quiet {
    fn progress(&self, _done: u64, _total: u64) -> Result<(), KioskError> {
        Ok(())
    }
    fn record_state(&self, _id: String, _outcome: RecordOutcome) -> Result<(), KioskError> {
        Ok(())
    }
    fn finished(&self, _summary: SyncSummary) -> Result<(), KioskError> {
        Ok(())
    }
    fn failed(&self, _failure: SyncFailure) -> Result<(), KioskError> {
        Ok(())
    }
}

/// A relay that enrolls kiosks for the demo event and answers syncs that push nothing with
/// an empty signed receipt, or, once told to, refuses the tablet as unknown (a relay
/// restored from a backup older than the enrollment).
struct PlayedRelay {
    code: EnrollmentCode,
    signing: SigningKey,
    sealing: RelayOpeningKey,
    device: Mutex<Option<[u8; 32]>>,
    refuses: AtomicBool,
}

impl PlayedRelay {
    fn new() -> Arc<PlayedRelay> {
        Arc::new(PlayedRelay {
            code: EnrollmentCode::generate(),
            signing: SigningKey::from_bytes(&[2; 32]),
            sealing: RelayOpeningKey::from_seed(&[3; 32]),
            device: Mutex::new(None),
            refuses: AtomicBool::new(false),
        })
    }

    fn enroll(&self, body: &[u8]) -> Vec<u8> {
        let request: EnrollRequest = ciborium::from_reader(body).expect("an enroll request");
        *self.device.lock().expect("lock") = Some(request.device_key);
        let certificate = DeviceCertificate {
            version: PROTOCOL_VERSION,
            device_key: request.device_key,
            event_id: kiosk_core::demo::DEMO_EVENT_ID.to_owned(),
            role: EnrolledRole::Kiosk,
            recruiter: None,
            issued_at: 1_773_310_000_000,
            expires_at: EXPIRES_AT_MS,
        };
        let answer = EnrollAnswer {
            certificate: SignedEnvelope::sign(CERTIFICATE_TAG, &certificate, &self.signing),
            relay_signing_key: self.signing.verifying_key().to_bytes(),
            relay_sealing_key: self.sealing.sealing_key().clone(),
            log_key: None,
            witness_keys: Vec::new(),
        };
        kiosk_core::cbor::to_vec(&EnrollResponse::new(
            &self.code.answer_secret(),
            &request.device_key,
            &answer,
        ))
    }

    fn receipt(&self, body: &[u8]) -> Vec<u8> {
        let response = SyncResponse {
            commit_seq: Some(1),
            ..SyncResponse::empty(
                self.device.lock().expect("lock").expect("enrolled first"),
                SignedEnvelope::hash(body),
                [4; 16],
            )
        };
        SignedEnvelope::sign(RECEIPT_TAG, &response, &self.signing).to_bytes()
    }
}

impl RelayTransport for PlayedRelay {
    fn post(&self, path: String, body: Vec<u8>) -> Result<RelayAnswer, KioskError> {
        let answer = |body| Ok(RelayAnswer { status: 200, body });
        match path.as_str() {
            "/v1/enroll" => answer(self.enroll(&body)),
            "/v1/sync" if self.refuses.load(Ordering::SeqCst) => Ok(RelayAnswer {
                status: 401,
                body: br#"{"code":"unknown_device","message":"unknown device"}"#.to_vec(),
            }),
            "/v1/sync" => answer(self.receipt(&body)),
            other => panic!("the played relay has no {other}"),
        }
    }
}

fn open(path: &std::path::Path, secrets: &Arc<MemorySecrets>) -> Arc<KioskDevice> {
    KioskDevice::open(
        path.display().to_string(),
        secrets.clone(),
        DeviceRole::Kiosk,
    )
    .expect("opens")
}

async fn sync(device: &KioskDevice, relay: &Arc<PlayedRelay>) -> Result<SyncSummary, KioskError> {
    device
        .sync(relay.clone(), Arc::new(Quiet), SyncOptions::default())
        .await
}

fn now_ms() -> i64 {
    kiosk_core::ids::Timestamp::now().millis()
}

#[tokio::test]
async fn setup_state_follows_a_tablet_from_new_through_enrollment_sync_and_refusal_and_survives_a_restart()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kiosk.sqlite3");
    let secrets = Arc::new(MemorySecrets::default());
    let device = open(&path, &secrets);
    let relay = PlayedRelay::new();

    let new = device.setup_state().expect("a new tablet answers");
    assert_eq!(new.role, DeviceRole::Kiosk);
    assert!(
        !new.enrolled && !new.staff_pin_set && !new.wipe_ordered,
        "{new:?}"
    );
    assert_eq!(new.enrollment_expires_at_ms, None);
    assert_eq!(new.event_name, None);
    assert_eq!(new.last_sync_ok_at_ms, None);
    assert_eq!(new.relay_refusal, None);

    device
        .enroll(relay.clone(), relay.code.display(), None)
        .await
        .expect("enrolls");
    device.set_staff_pin(PIN.into()).expect("sets the PIN");
    let enrolled = device.setup_state().expect("answers");
    assert!(enrolled.enrolled && enrolled.staff_pin_set, "{enrolled:?}");
    assert_eq!(enrolled.enrollment_expires_at_ms, Some(EXPIRES_AT_MS));
    assert_eq!(
        enrolled.event_name, None,
        "enrolled without an event: it comes with the first sync"
    );
    assert_eq!(enrolled.last_sync_ok_at_ms, None, "not synced yet");

    device.install_demo_event().expect("installs");
    let before = now_ms();
    sync(&device, &relay).await.expect("an answered sync");
    let after = now_ms();
    let synced = device.setup_state().expect("answers");
    let name = synced.event_name.clone().expect("the event's name");
    assert_eq!(name.sv, kiosk_core::demo::demo_event().name.sv);
    let synced_at = synced.last_sync_ok_at_ms.expect("the sync's time is kept");
    assert!((before..=after).contains(&synced_at), "{synced_at}");
    assert_eq!(synced.relay_refusal, None);

    relay.refuses.store(true, Ordering::SeqCst);
    let refused = sync(&device, &relay).await.expect_err("refused");
    assert!(
        matches!(refused, KioskError::Rejected { .. }),
        "{refused:?}"
    );
    let after_refusal = device.setup_state().expect("answers");
    assert_eq!(
        after_refusal.last_sync_ok_at_ms,
        Some(synced_at),
        "a refused sync leaves the last success standing"
    );
    let refusal = after_refusal.relay_refusal.clone().expect("the refusal");
    assert_eq!(
        (refusal.status, refusal.code.as_str()),
        (401, "unknown_device")
    );
    assert!(
        refusal.message_en.contains("enroll it again"),
        "{refusal:?}"
    );
    assert!(
        refusal.message_sv.contains("registrera den igen"),
        "{refusal:?}"
    );

    device.close_store();
    drop(device);
    let reopened = open(&path, &secrets);
    assert_eq!(
        reopened.setup_state().expect("answers after a restart"),
        after_refusal
    );
}

#[tokio::test]
async fn the_overview_says_why_a_kiosk_is_not_safe_to_hand_back_and_what_staff_should_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = Arc::new(MemorySecrets::default());
    let device = open(&dir.path().join("kiosk.sqlite3"), &secrets);
    let relay = PlayedRelay::new();
    device.install_demo_event().expect("installs");
    device
        .enroll(relay.clone(), relay.code.display(), None)
        .await
        .expect("enrolls");
    device.set_staff_pin(PIN.into()).expect("sets the PIN");
    let staff = device
        .clone()
        .unlock_staff(PIN.into())
        .await
        .expect("unlocks");

    let empty = staff.overview().expect("overview");
    assert_eq!(empty.hand_back, HandBackState::Safe);
    assert!(empty.safe_to_hand_back);
    assert!(empty.hand_back_advice.sv.contains("kan lämnas tillbaka"));

    let visitor = device.clone().start_visitor_session().expect("a session");
    visitor
        .submit(RegistrationDraft {
            language: Some(Language::Swedish),
            given_name: "Åsa".into(),
            family_name: "Lind".into(),
            phone: "070-123 45 67".into(),
            interests: vec!["it-development".into()],
            locations: vec!["stockholm".into()],
            privacy_notice_acknowledged: true,
            ..RegistrationDraft::default()
        })
        .expect("captured");
    let unsent = staff.overview().expect("overview");
    assert_eq!(unsent.hand_back, HandBackState::Unsent { unreceipted: 1 });
    assert!(!unsent.safe_to_hand_back);
    assert!(
        unsent
            .hand_back_advice
            .en
            .contains("1 unsent registration(s)")
    );
    assert!(unsent.hand_back_advice.sv.contains("synkronisera"));
    assert!(
        !unsent.hand_back_advice.sv.contains("Åsa") && !unsent.hand_back_advice.en.contains("Lind"),
        "no visitor's data in staff texts"
    );

    relay.refuses.store(true, Ordering::SeqCst);
    sync(&device, &relay).await.expect_err("refused");
    let refused = staff.overview().expect("overview");
    assert_eq!(
        refused.hand_back,
        HandBackState::RelayRefuses {
            code: "unknown_device".into()
        },
        "the refusal comes before the unsent record: no sync gets through until staff act"
    );
    assert!(!refused.safe_to_hand_back);
    assert!(refused.hand_back_advice.en.contains("enroll it again"));
}

/// Records the relay stored but did not prove in its log reach the shells in the sync
/// summary, counted and with the core's words in both languages, which a recruiter reads
/// as "stored, not proven yet, sent again"; a sync without them carries no text.
#[test]
fn the_sync_summary_tells_staff_of_records_stored_but_not_yet_proven_in_the_relays_log() {
    let report = kiosk_core::sync::SyncReport {
        received: 1,
        log_unproven: 2,
        ..kiosk_core::sync::SyncReport::default()
    };
    let summary = SyncSummary::from(report);
    assert_eq!((summary.received, summary.log_unproven), (1, 2));
    let text = summary.log_unproven_message.expect("a text");
    assert!(
        text.en.starts_with("2 registration(s)")
            && text.en.contains("not yet proven")
            && text.en.contains("sent again"),
        "{}",
        text.en
    );
    assert!(
        text.sv.starts_with("2 anmälning(ar)")
            && text.sv.contains("inte bevisade")
            && text.sv.contains("skickas igen"),
        "{}",
        text.sv
    );
    let quiet = SyncSummary::from(kiosk_core::sync::SyncReport::default());
    assert_eq!((quiet.log_unproven, quiet.log_unproven_message), (0, None));
}

/// Edits sent again after a restore that the relay refused reach the shells once, counted
/// and in the core's words in both languages (dropped, to be made again if needed), and
/// apart from the captures and edits sent again; a sync without them carries no text.
#[test]
fn the_sync_summary_tells_staff_of_edits_sent_again_after_a_restore_and_refused() {
    let report = kiosk_core::sync::SyncReport {
        resent: 1,
        edits_resent: 3,
        resend_refused: 2,
        ..kiosk_core::sync::SyncReport::default()
    };
    let summary = SyncSummary::from(report);
    assert_eq!(
        (summary.resent, summary.edits_resent, summary.resend_refused),
        (1, 3, 2)
    );
    let text = summary.resend_refused_message.expect("a text");
    assert!(
        text.en.contains("of 2 registration(s)") && text.en.contains("not accepted"),
        "{}",
        text.en
    );
    assert!(
        text.sv.contains("i 2 anmälning(ar)") && text.sv.contains("togs inte emot"),
        "{}",
        text.sv
    );
    let quiet = SyncSummary::from(kiosk_core::sync::SyncReport::default());
    assert_eq!(
        (quiet.resend_refused, quiet.resend_refused_message),
        (0, None)
    );
}

//! A tablet pins a relay's keys only from an answer meant for exactly this tablet: one
//! authenticated by the code it typed, certifying its own role and its event, from the relay
//! whose sealing key the QR code named. Each mismatch is refused with what did not match,
//! and leaves the tablet as it was (nothing pinned, no certificate), so it can enroll again.
//! The answers come from a relay played here that knows the code, as a relay that is
//! misconfigured or impersonated with a leaked code would.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use kiosk_core::Error;
use kiosk_core::capture::RelayOpeningKey;
use kiosk_core::device::{Device, DeviceRole};
use kiosk_core::protocol::enrollment::{
    CERTIFICATE_TAG, DeviceCertificate, EnrollAnswer, EnrollRequest, EnrollResponse, EnrolledRole,
    EnrollmentCode,
};
use kiosk_core::protocol::{PROTOCOL_VERSION, SignedEnvelope};
use kiosk_core::secrets::MemorySecretStore;
use kiosk_core::sync::{Transport, TransportError};

const OTHER_EVENT: &str = "goteborg-it-dagen-2027";

/// A relay that answers every enrollment with a certificate for `role` and `event_id`.
struct PlayedRelay {
    code: EnrollmentCode,
    role: EnrolledRole,
    event_id: String,
    signing: SigningKey,
    sealing: RelayOpeningKey,
    /// The transparency log's verifier key the answer names, if any.
    log_key: Option<String>,
    /// The witnesses' verifier keys the answer names.
    witness_keys: Vec<String>,
}

impl PlayedRelay {
    fn new(code: &EnrollmentCode, role: EnrolledRole, event_id: &str) -> PlayedRelay {
        PlayedRelay {
            code: code.clone(),
            role,
            event_id: event_id.to_owned(),
            signing: SigningKey::from_bytes(&[2; 32]),
            sealing: RelayOpeningKey::from_seed(&[3; 32]),
            log_key: None,
            witness_keys: Vec::new(),
        }
    }
}

impl Transport for PlayedRelay {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        assert_eq!(path, "/v1/enroll");
        let request: EnrollRequest = ciborium::from_reader(body.as_slice()).expect("a request");
        assert_eq!(request.version, PROTOCOL_VERSION);
        let certificate = DeviceCertificate {
            version: PROTOCOL_VERSION,
            device_key: request.device_key,
            event_id: self.event_id.clone(),
            role: self.role,
            recruiter: (self.role == EnrolledRole::Staff).then(|| "rekryterare".to_owned()),
            issued_at: 1_773_310_000_000,
            expires_at: i64::MAX,
        };
        let answer = EnrollAnswer {
            certificate: SignedEnvelope::sign(CERTIFICATE_TAG, &certificate, &self.signing),
            relay_signing_key: self.signing.verifying_key().to_bytes(),
            relay_sealing_key: self.sealing.sealing_key().clone(),
            log_key: self.log_key.clone(),
            witness_keys: self.witness_keys.clone(),
        };
        Ok(kiosk_core::cbor::to_vec(&EnrollResponse::new(
            &self.code.answer_secret(),
            &request.device_key,
            &answer,
        )))
    }
}

fn device(dir: &tempfile::TempDir, role: DeviceRole, with_demo_event: bool) -> Arc<Device> {
    let device = Device::open(
        &dir.path().join("tablet.sqlite3"),
        &MemorySecretStore::default(),
        role,
    )
    .expect("opens");
    if with_demo_event {
        device
            .install_event(
                &kiosk_core::demo::demo_event(),
                kiosk_core::ids::Timestamp::now(),
            )
            .expect("installs");
    }
    device
}

/// The tablet holds no key and no certificate from a refused answer.
fn assert_nothing_pinned(device: &Device) {
    assert_eq!(device.relay_key().expect("reads"), None);
    assert_eq!(device.relay_signing_key().expect("reads"), None);
    assert_eq!(device.certificate().expect("reads"), None);
}

#[test]
fn a_certificate_for_another_role_is_refused_and_nothing_is_pinned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kiosk = device(&dir, DeviceRole::Kiosk, true);
    let code = EnrollmentCode::generate();
    let relay = PlayedRelay::new(&code, EnrolledRole::Staff, kiosk_core::demo::DEMO_EVENT_ID);
    let refused = kiosk
        .enroll(&code, &relay)
        .expect_err("a staff certificate");
    assert!(
        matches!(refused, Error::EnrollmentMismatch("role")),
        "{refused:?}"
    );
    assert_nothing_pinned(&kiosk);

    // The same tablet enrolls once the answer certifies what it is.
    let right = PlayedRelay::new(&code, EnrolledRole::Kiosk, kiosk_core::demo::DEMO_EVENT_ID);
    assert_eq!(
        kiosk.enroll(&code, &right).expect("enrolls").role,
        EnrolledRole::Kiosk
    );
}

#[test]
fn a_tablet_set_up_for_one_event_refuses_a_certificate_for_another_and_one_without_takes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let set_up = device(&dir, DeviceRole::Staff, true);
    let code = EnrollmentCode::generate();
    let relay = PlayedRelay::new(&code, EnrolledRole::Staff, OTHER_EVENT);
    let refused = set_up.enroll(&code, &relay).expect_err("another event");
    assert!(
        matches!(refused, Error::EnrollmentMismatch("event")),
        "{refused:?}"
    );
    assert_nothing_pinned(&set_up);

    // Without an installed event (the documented set-up), the certificate's event is taken.
    let fresh_dir = tempfile::tempdir().expect("tempdir");
    let fresh = device(&fresh_dir, DeviceRole::Staff, false);
    let certificate = fresh.enroll(&code, &relay).expect("enrolls");
    assert_eq!(certificate.event_id, OTHER_EVENT);
    assert_eq!(
        fresh.event().expect("reads"),
        None,
        "its first sync brings it"
    );
}

#[test]
fn a_relay_key_other_than_the_qr_codes_is_refused_and_nothing_is_pinned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kiosk = device(&dir, DeviceRole::Kiosk, true);
    let code = EnrollmentCode::generate();
    let relay = PlayedRelay::new(&code, EnrolledRole::Kiosk, kiosk_core::demo::DEMO_EVENT_ID);
    let other_key = RelayOpeningKey::from_seed(&[4; 32])
        .sealing_key()
        .key_id
        .clone();
    let refused = kiosk
        .enroll_expecting(&code, &relay, Some(&other_key))
        .expect_err("another relay key");
    assert!(
        matches!(refused, Error::EnrollmentMismatch("relay key")),
        "{refused:?}"
    );
    assert_nothing_pinned(&kiosk);

    let expected = relay.sealing.sealing_key().key_id.clone();
    kiosk
        .enroll_expecting(&code, &relay, Some(&expected))
        .expect("the QR code's key enrolls");
    assert_eq!(
        kiosk.relay_key().expect("reads"),
        Some(relay.sealing.sealing_key().clone())
    );
}

#[test]
fn an_answer_tagged_with_another_code_is_refused_and_nothing_is_pinned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kiosk = device(&dir, DeviceRole::Kiosk, true);
    let typed = EnrollmentCode::generate();
    let impostor = PlayedRelay::new(
        &EnrollmentCode::generate(),
        EnrolledRole::Kiosk,
        kiosk_core::demo::DEMO_EVENT_ID,
    );
    let refused = kiosk.enroll(&typed, &impostor).expect_err("not authentic");
    assert!(matches!(refused, Error::Enrollment(_)), "{refused:?}");
    assert_nothing_pinned(&kiosk);
}

/// The log's verifier key (vkey text) from seed `seed`.
fn log_key(seed: u8) -> String {
    kiosk_core::tlog::note::NoteSigner::new("relay.test/log", &SigningKey::from_bytes(&[seed; 32]))
        .expect("a signer")
        .verifier()
        .to_string()
}

/// The enrollment answer's log key is pinned with the relay's keys; enrolling again with
/// the same key is fine, with another one is refused (the log key never changes; its
/// rotation is out of scope), and so is a key that does not read.
#[test]
fn the_log_key_is_pinned_at_enrollment_and_never_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kiosk = device(&dir, DeviceRole::Kiosk, true);
    let code = EnrollmentCode::generate();
    let mut relay = PlayedRelay::new(&code, EnrolledRole::Kiosk, kiosk_core::demo::DEMO_EVENT_ID);
    relay.log_key = Some(log_key(5));
    kiosk.enroll(&code, &relay).expect("enrolls");
    assert_eq!(kiosk.log_key().expect("reads"), Some(log_key(5)));
    kiosk
        .enroll(&code, &relay)
        .expect("enrolls again with the same log");

    relay.log_key = Some(log_key(6));
    let refused = kiosk.enroll(&code, &relay).expect_err("another log key");
    assert!(
        matches!(refused, Error::EnrollmentMismatch("log key")),
        "{refused:?}"
    );
    assert_eq!(kiosk.log_key().expect("reads"), Some(log_key(5)));

    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = device(&other_dir, DeviceRole::Kiosk, true);
    relay.log_key = Some("not a key".into());
    let refused = other
        .enroll(&code, &relay)
        .expect_err("a key that does not read");
    assert!(matches!(refused, Error::Enrollment(_)), "{refused:?}");
    assert_nothing_pinned(&other);
    assert_eq!(other.log_key().expect("reads"), None);
}

/// A witness's verifier key (vkey text) from seed `seed`.
fn witness_key(seed: u8) -> String {
    kiosk_core::tlog::cosignature::CosignatureSigner::new(
        "witness.test/w",
        &SigningKey::from_bytes(&[seed; 32]),
    )
    .expect("a witness")
    .verifier()
    .to_string()
}

/// The witnesses the enrollment answer names are pinned when none are; enrolling again
/// with others, or with none, keeps them (only `require_witnesses` replaces them); a key
/// that does not read is refused with nothing pinned.
#[test]
fn witness_keys_are_pinned_at_enrollment_and_never_dropped_by_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kiosk = device(&dir, DeviceRole::Kiosk, true);
    let code = EnrollmentCode::generate();
    let mut relay = PlayedRelay::new(&code, EnrolledRole::Kiosk, kiosk_core::demo::DEMO_EVENT_ID);
    relay.witness_keys = vec![witness_key(5)];
    kiosk.enroll(&code, &relay).expect("enrolls");
    assert_eq!(kiosk.witness_keys().expect("reads"), vec![witness_key(5)]);
    for others in [vec![witness_key(6)], Vec::new()] {
        relay.witness_keys = others.clone();
        kiosk.enroll(&code, &relay).expect("enrolls again");
        assert_eq!(kiosk.witness_keys().expect("reads"), vec![witness_key(5)]);
        // Others offered are kept aside for staff to see, not silently ignored.
        assert_eq!(kiosk.witnesses_offered().expect("reads"), others);
    }
    relay.witness_keys = vec![witness_key(6)];
    kiosk.enroll(&code, &relay).expect("enrolls again");
    kiosk_core::staff::set_initial_pin(&kiosk, "135790").expect("a PIN");
    let staff = kiosk_core::staff::unlock(&kiosk, "135790", kiosk_core::ids::Timestamp::now())
        .expect("staff mode");
    assert!(staff.overview().expect("reads").other_witnesses_offered);
    kiosk
        .require_witnesses(&[witness_key(6)])
        .expect("replaced explicitly");
    assert_eq!(kiosk.witness_keys().expect("reads"), vec![witness_key(6)]);
    assert!(
        kiosk.witnesses_offered().expect("reads").is_empty(),
        "settled"
    );
    assert!(!staff.overview().expect("reads").other_witnesses_offered);
    // With witnesses pinned, a list this tablet cannot take (a key it does not read) does
    // not stop enrolling again: it is kept aside for staff, the pinned ones stay.
    relay.witness_keys = vec!["not a key".into()];
    kiosk.enroll(&code, &relay).expect("enrolls again");
    assert_eq!(kiosk.witness_keys().expect("reads"), vec![witness_key(6)]);
    assert_eq!(
        kiosk.witnesses_offered().expect("reads"),
        vec!["not a key".to_owned()]
    );
    assert!(staff.overview().expect("reads").other_witnesses_offered);

    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = device(&other_dir, DeviceRole::Kiosk, true);
    relay.witness_keys = vec!["not a key".into()];
    let refused = other
        .enroll(&code, &relay)
        .expect_err("a key that does not read");
    assert!(matches!(refused, Error::Enrollment(_)), "{refused:?}");
    assert_nothing_pinned(&other);
    assert!(other.witness_keys().expect("reads").is_empty());
}

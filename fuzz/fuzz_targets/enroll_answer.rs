//! What is behind the code-keyed tag of an enrollment answer, which fuzzed bytes never
//! forge: (1) the fuzzed bytes as the device certificate inside a genuinely relay-signed,
//! genuinely tagged answer, and (2) any answer the fuzzed bytes decode to, tagged with the
//! code, opened as a tablet opens it. Nothing opens that certifies another device.
//!
//! Kept in `src/bin/` (found by cargo without a `[[bin]]` entry):
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run enroll_answer`.
#![no_main]

use ed25519_dalek::SigningKey;
use kiosk_core::capture::RelayOpeningKey;
use kiosk_core::protocol::enrollment::{
    CERTIFICATE_TAG, DeviceCertificate, EnrollAnswer, EnrollResponse, EnrollmentCode,
};
use kiosk_core::protocol::{SignedEnvelope, Signer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let code = EnrollmentCode::parse("ABCD-EFGH-JKLM-NPQR-STUV").expect("a valid code");
    // Any 32 bytes name the tablet here, as in `enrollment`.
    let device_key = [8; 32];
    let relay = SigningKey::from_bytes(&[2; 32]);

    // (1) The certificate's payload is the fuzzed bytes, signed by the relay.
    let signature = Signer::sign(&relay, &[CERTIFICATE_TAG, bytes].concat());
    let answer = EnrollAnswer {
        certificate: SignedEnvelope {
            signer: relay.verifying_key().to_bytes(),
            payload: bytes.to_vec(),
            signature: signature.to_bytes(),
        },
        relay_signing_key: relay.verifying_key().to_bytes(),
        relay_sealing_key: RelayOpeningKey::from_seed(&[3; 32]).sealing_key().clone(),
        log_key: None,
    };
    let response = EnrollResponse::new(&code.answer_secret(), &device_key, &answer);
    if let Ok((opened, certificate)) = response.open(&code, &device_key) {
        assert_eq!(opened, answer);
        assert_eq!(certificate.device_key, device_key);
        let decoded: DeviceCertificate = answer.certificate.decode().expect("it opened");
        assert_eq!(certificate, decoded);
    }

    // (2) Any answer at all, tagged with the code.
    if let Ok(answer) = ciborium::from_reader::<EnrollAnswer, _>(bytes) {
        let response = EnrollResponse::new(&code.answer_secret(), &device_key, &answer);
        if let Ok((opened, certificate)) = response.open(&code, &device_key) {
            assert_eq!(opened, answer);
            assert_eq!(certificate.device_key, device_key);
        }
        // Another tablet's key does not open it: the tag binds the answer to one device.
        assert!(response.open(&code, &[9; 32]).is_err());
    }
});

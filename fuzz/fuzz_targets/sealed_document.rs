//! A captured document sealed as a kiosk seals it, signed over its own id and change hashes:
//! whatever the fuzzed bytes, a document that reads as a registration captured by the
//! signing device opens at the relay as exactly that registration, and one captured by
//! anyone else is refused for its capture signature. Only readable documents are sealed, so
//! this runs much faster than the structured half of `sealed_capture`.
//!
//! Kept in `src/bin/` (found by cargo without a `[[bin]]` entry):
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run sealed_document`.
#![no_main]

use kiosk_core::capture::{RelayOpeningKey, SealError, sign_and_seal};
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::identity::DeviceIdentity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    kiosk_fuzz::only_uncaught_panics_crash();
    let Ok((mut document, registration)) = RegistrationDocument::load_unattributed(bytes) else {
        return;
    };
    let hashes = document.change_hashes();
    let relay = RelayOpeningKey::from_seed(&[3; 32]);
    let device = DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[4; 32]));
    let sealed = sign_and_seal(
        &device,
        relay.sealing_key(),
        &registration.id,
        bytes.to_vec(),
        &hashes,
    )
    .expect("a pinned relay key seals anything");
    let opened = relay.open(&sealed);
    if registration.capturing_device == device.device_id() {
        let opened = opened.expect("a document signed by its capturing device opens");
        assert!(
            opened.registration == registration,
            "opened as another registration"
        );
        assert_eq!(opened.payload.document, bytes);
        assert_eq!(opened.payload.doc_id, registration.id);
        assert_eq!(opened.payload.device_id, device.device_id());
        let hashes: Vec<[u8; 32]> = hashes.iter().map(|h| h.0).collect();
        assert_eq!(opened.payload.change_hashes, hashes);
    } else {
        assert_eq!(opened.err(), Some(SealError::BadCaptureSignature));
    }
});

//! A sealed capture as the relay opens it. Random bytes rarely get past the AEAD, so this
//! target also seals the fuzzed bytes as the *document* of a genuinely signed capture,
//! which reaches the CBOR, Automerge and signature checks behind the seal.
#![no_main]

use kiosk_core::capture::{RelayOpeningKey, sign_and_seal};
use kiosk_core::identity::DeviceIdentity;
use kiosk_core::ids::{RegistrationId, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    kiosk_fuzz::only_uncaught_panics_crash();
    let relay = RelayOpeningKey::from_seed(&[3; 32]);
    let _ = relay.open(bytes);
    let device = DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[4; 32]));
    let id = RegistrationId::from_parts(Timestamp(1_773_310_000_000), [5; 10]);
    if let Ok(sealed) = sign_and_seal(&device, relay.sealing_key(), &id, bytes.to_vec(), &[]) {
        // Signed over no change hashes, so no fuzzed document can be accepted as this one.
        assert!(relay.open(&sealed).is_err());
    }
});

//! A tablet's sync request as the relay receives it: any bytes are opened or refused,
//! never a panic, and nothing unsigned is ever accepted.
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let device = SigningKey::from_bytes(&[1; 32]).verifying_key();
    if let Ok(request) = kiosk_core::protocol::open_request(bytes, |_| Some(device)) {
        // Only a request this key really signed opens; fuzzed bytes cannot forge one.
        assert_eq!(request.device_id, device.to_bytes());
    }
});

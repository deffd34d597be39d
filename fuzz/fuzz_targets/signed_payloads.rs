//! The payload behind a valid signature: the fuzzed bytes are signed as the payload of a
//! request (by the device), a response and a command (by the relay), so the decoders of
//! `SyncRequest`, `SyncResponse` and `DeviceCommand` see arbitrary CBOR, which the targets
//! `sync_request` and `sync_response` almost never get past the signature. An enrolled but
//! hostile tablet can send exactly this.
//!
//! Kept in `src/bin/` (found by cargo without a `[[bin]]` entry):
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run signed_payloads`.
#![no_main]

use ed25519_dalek::SigningKey;
use kiosk_core::protocol::{
    COMMAND_TAG, PROTOCOL_VERSION, PUSH_TAG, RECEIPT_TAG, SignedCommand, SignedEnvelope, Signer,
    open_command, open_request, open_response,
};
use libfuzzer_sys::fuzz_target;

/// An envelope over exactly `payload`, signed under `tag`.
fn envelope(tag: &[u8], payload: &[u8], signer: &SigningKey) -> Vec<u8> {
    let signature = Signer::sign(signer, &[tag, payload].concat());
    SignedEnvelope {
        signer: signer.verifying_key().to_bytes(),
        payload: payload.to_vec(),
        signature: signature.to_bytes(),
    }
    .to_bytes()
}

/// SHA-256 of the golden request envelope (`core/src/protocol/tests.rs`).
const GOLDEN_REQUEST_HASH: [u8; 32] = [
    0xc5, 0xa4, 0x1d, 0x88, 0x88, 0xd2, 0x99, 0x1b, 0x87, 0x42, 0x76, 0x98, 0xc2, 0x12, 0x59, 0x51,
    0x47, 0x90, 0x1c, 0xd5, 0x83, 0xd7, 0x5c, 0x1d, 0x5f, 0x11, 0x3f, 0xb2, 0xb3, 0x9c, 0x0e, 0x2b,
];

fuzz_target!(|payload: &[u8]| {
    let device_key = SigningKey::from_bytes(&[1; 32]);
    let relay_key = SigningKey::from_bytes(&[2; 32]);
    let device = device_key.verifying_key();
    let relay = relay_key.verifying_key();

    let request_bytes = envelope(PUSH_TAG, payload, &device_key);
    if let Ok(request) = open_request(&request_bytes, |_| Some(device)) {
        assert_eq!(request.version, PROTOCOL_VERSION);
        assert_eq!(request.device_id, device.to_bytes());
        // What was decoded encodes and opens to the same request.
        let again = SignedEnvelope::sign(PUSH_TAG, &request, &device_key).to_bytes();
        assert_eq!(open_request(&again, |_| Some(device)), Ok(request));
    }
    // The same signed bytes under another tag never open.
    assert!(
        open_request(&envelope(RECEIPT_TAG, payload, &device_key), |_| Some(
            device
        ))
        .is_err()
    );

    // A response to the golden request of `docs/protocol.md` (its hash is fixed, so the
    // golden response's payload, a seed, opens whole).
    let response_bytes = envelope(RECEIPT_TAG, payload, &relay_key);
    let device_id = device.to_bytes();
    if let Ok(response) = open_response(&response_bytes, &relay, &device_id, &GOLDEN_REQUEST_HASH) {
        assert_eq!(response.version, PROTOCOL_VERSION);
        assert_eq!(response.device_id, device_id);
        assert_eq!(response.request_hash, GOLDEN_REQUEST_HASH);
        let again = SignedEnvelope::sign(RECEIPT_TAG, &response, &relay_key).to_bytes();
        assert_eq!(
            open_response(&again, &relay, &device_id, &GOLDEN_REQUEST_HASH),
            Ok(response.clone())
        );
        // The commands inside are opened as a tablet does, each on its own.
        for command in &response.commands {
            let _ = open_command(command, &relay, &device_id);
        }
    }

    let command = SignedCommand(envelope(COMMAND_TAG, payload, &relay_key));
    if let Ok(opened) = open_command(&command, &relay, &device_id) {
        assert_eq!(opened.version, PROTOCOL_VERSION);
        assert_eq!(opened.device_id, device_id);
        let again = SignedEnvelope::sign(COMMAND_TAG, &opened, &relay_key).to_bytes();
        assert_eq!(
            open_command(&SignedCommand(again), &relay, &device_id),
            Ok(opened)
        );
    }
});

//! The relay's answer and the commands in it, as a tablet receives them.
#![no_main]

use ed25519_dalek::SigningKey;
use kiosk_core::protocol::{SignedCommand, open_command, open_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let relay = SigningKey::from_bytes(&[2; 32]).verifying_key();
    let device = [9; 32];
    let _ = open_response(bytes, &relay, &device, &[0; 32]);
    let _ = open_command(&SignedCommand(bytes.to_vec()), &relay, &device);
});

//! The transparency log's decoders of network bytes: a signed note (`note::open`), the
//! checkpoint inside it (`Checkpoint::parse`), a witness's cosignature line, and proof
//! verification with arbitrary sizes and hashes. The fuzzed text is also signed with the
//! log's key and cosigned, so the checkpoint parser and the cosignature verifier see it
//! behind valid signatures, where random bytes never get.
//!
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run tlog_note`.
#![no_main]

use ed25519_dalek::SigningKey;
use kiosk_core::tlog::checkpoint::Checkpoint;
use kiosk_core::tlog::cosignature::CosignatureSigner;
use kiosk_core::tlog::note::{MAX_NOTE_LEN, NoteSigner, open};
use kiosk_core::tlog::tree::{verify_consistency, verify_inclusion};
use libfuzzer_sys::fuzz_target;

const LOG: &str = "relay.example.se/kiosk-log";
const WITNESS: &str = "archive.example.se/witness";
const TIME: u64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let log = NoteSigner::new(LOG, &SigningKey::from_bytes(&[1; 32])).expect("log key");
    let witness =
        CosignatureSigner::new(WITNESS, &SigningKey::from_bytes(&[2; 32])).expect("witness key");
    let trusted = [log.verifier()];

    if let Ok(text) = std::str::from_utf8(data) {
        // As a whole note from the network.
        if let Ok(opened) = open(text, &trusted) {
            assert!(text.starts_with(&opened.text));
            assert_eq!(opened.verified_by, [LOG]);
        }
        let _ = witness.verifier().verify(text);
        // A checkpoint has one spelling: what parses prints back byte for byte.
        if let Ok(checkpoint) = Checkpoint::parse(text) {
            assert_eq!(checkpoint.to_body(), text);
        }

        // As the text behind the log's valid signature.
        if let Ok(note) = log.sign(text) {
            if note.len() <= MAX_NOTE_LEN {
                let opened = open(&note, &trusted).expect("the log's own signature opens");
                assert_eq!(opened.text, text);
                assert_eq!(opened.unverified_lines, 0);
            }
            if Checkpoint::parse(text).is_ok() {
                let line = witness.cosign(text, TIME).expect("a checkpoint cosigns");
                let cosigned = format!("{note}{line}");
                if cosigned.len() <= MAX_NOTE_LEN {
                    assert_eq!(witness.verifier().verify(&cosigned), Ok(TIME));
                }
            }
        }
    }

    // Proof verification with arbitrary sizes and hashes refuses or accepts, never panics.
    if let (Some(sizes), Some(rest)) = (data.get(..16), data.get(16..)) {
        let a = u64::from_le_bytes(sizes[..8].try_into().expect("8 bytes"));
        let b = u64::from_le_bytes(sizes[8..].try_into().expect("8 bytes"));
        let hashes: Vec<[u8; 32]> = rest
            .chunks_exact(32)
            .map(|chunk| chunk.try_into().expect("32 bytes"))
            .collect();
        if let [first, second, proof @ ..] = hashes.as_slice() {
            let _ = verify_inclusion(first, a, b, proof, second);
            let _ = verify_consistency(a, b, first, second, proof);
        }
    }
});

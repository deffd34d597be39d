//! Property tests of the log's network decoders, the CI counterpart of the `tlog_note` fuzz
//! target: arbitrary and mutated notes never panic, a checkpoint that parses prints back
//! byte for byte, and any text the log signs opens to exactly that text.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;

use super::checkpoint::Checkpoint;
use super::cosignature::CosignatureSigner;
use super::note::{MAX_NOTE_LEN, NoteSigner, open};

const LOG: &str = "relay.example.se/kiosk-log";
const WITNESS: &str = "archive.example.se/witness";

fn log() -> NoteSigner {
    NoteSigner::new(LOG, &SigningKey::from_bytes(&[1; 32])).expect("log key")
}

fn witness() -> CosignatureSigner {
    CosignatureSigner::new(WITNESS, &SigningKey::from_bytes(&[2; 32])).expect("witness key")
}

/// A valid cosigned checkpoint note, to mutate.
fn cosigned(size: u64, root: [u8; 32], time: u64) -> String {
    let body = Checkpoint::new(LOG, size, root).to_body();
    let note = log().sign(&body).expect("signed");
    let line = witness().cosign(&body, time).expect("cosigned");
    format!("{note}{line}")
}

/// Checks what must hold for any input; panics are failures too.
fn check(text: &str) {
    let trusted = [log().verifier()];
    if let Ok(opened) = open(text, &trusted) {
        assert!(text.starts_with(&opened.text));
        assert_eq!(opened.verified_by, [LOG]);
    }
    let _ = witness().verifier().verify(text);
    if let Ok(checkpoint) = Checkpoint::parse(text) {
        assert_eq!(checkpoint.to_body(), text);
    }
    if let Ok(note) = log().sign(text)
        && note.len() <= MAX_NOTE_LEN
    {
        let opened = open(&note, &trusted).expect("the log's own signature opens");
        assert_eq!(opened.text, text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_notes_never_panic_and_parsed_checkpoints_print_back_identically(
        text in "[a-z0-9/+=. \n\u{2014}-]{0,200}",
    ) {
        check(&text);
    }

    #[test]
    fn mutated_cosigned_checkpoints_never_panic_and_keep_every_invariant(
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        time in 0..=i64::MAX as u64,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let note = cosigned(size, root, time);
        // The unmutated note opens, parses and carries its cosignature.
        prop_assert!(open(&note, &[log().verifier()]).is_ok());
        prop_assert_eq!(witness().verifier().verify(&note), Ok(time));
        let mut bytes = note.into_bytes();
        let i = at.index(bytes.len());
        if cut {
            bytes.truncate(i);
        } else {
            bytes[i] = byte;
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            check(text);
        }
    }
}

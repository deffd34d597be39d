//! Cosignatures: round trip, the spec's example layout, and refusals.

use super::*;
use crate::tlog::hash::leaf_hash;
use crate::tlog::note::{NoteSigner, NoteVerifier, open};

const LOG: &str = "relay.example.se/kiosk-log";
const WITNESS: &str = "archive.example.se/witness";

fn signed_checkpoint(size: u64) -> (String, String, NoteVerifier) {
    let log = NoteSigner::new(LOG, &SigningKey::from_bytes(&[1; 32])).expect("log signer");
    let body = Checkpoint::new(LOG, size, leaf_hash(&size.to_be_bytes())).to_body();
    let note = log.sign(&body).expect("signed");
    (body, note, log.verifier())
}

fn witness() -> CosignatureSigner {
    CosignatureSigner::new(WITNESS, &SigningKey::from_bytes(&[2; 32])).expect("witness")
}

#[test]
fn a_cosigned_checkpoint_verifies_with_its_time_and_still_opens_with_the_log_key() {
    let (body, note, log) = signed_checkpoint(42);
    let line = witness().cosign(&body, 1_679_315_147).expect("cosigned");
    assert!(line.starts_with("\u{2014} archive.example.se/witness "));
    let cosigned = format!("{note}{line}");
    assert_eq!(witness().verifier().verify(&cosigned), Ok(1_679_315_147));
    // The log's signature still opens it; the witness line is an unknown signature there.
    let opened = open(&cosigned, &[log]).expect("opens");
    assert_eq!(opened.text, body);
    assert_eq!(opened.unverified_lines, 1);
    // A later cosignature of the same checkpoint counts as the latest.
    let later = witness().cosign(&body, 1_700_000_000).expect("cosigned");
    assert_eq!(
        witness().verifier().verify(&format!("{cosigned}{later}")),
        Ok(1_700_000_000)
    );
}

#[test]
fn the_spec_example_line_has_key_id_then_big_endian_time_then_64_signature_bytes() {
    let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\
                \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
                \u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";
    let (_, lines) = parse_note(note).expect("parses");
    let witness = &lines[1];
    assert_eq!(witness.name, "witness.example.com/w1");
    assert_eq!(witness.signature.len(), 8 + 64);
    // The spec's message example says "time 1679315147".
    assert_eq!(
        u64::from_be_bytes(witness.signature[..8].try_into().expect("8 bytes")),
        1_679_315_147
    );
}

#[test]
fn signed_message_is_the_header_the_time_line_and_the_body() {
    assert_eq!(
        signed_message("o\n1\nroot\n", 1_679_315_147),
        "cosignature/v1\ntime 1679315147\no\n1\nroot\n"
    );
}

#[test]
fn vkeys_use_signature_type_4_and_round_trip() {
    let verifier = witness().verifier();
    let vkey = verifier.to_string();
    assert!(vkey.starts_with("archive.example.se/witness+"));
    assert_eq!(vkey.parse::<CosignatureVerifier>(), Ok(verifier.clone()));
    assert_eq!(
        hex::encode(verifier.key_id()),
        hex::encode(key_id(
            WITNESS,
            0x04,
            SigningKey::from_bytes(&[2; 32]).verifying_key().as_bytes()
        ))
    );
    // The same key as a note (type 0x01) vkey is not a cosigner vkey, nor the reverse.
    let as_note_key = NoteVerifier::new(WITNESS, &SigningKey::from_bytes(&[2; 32]).verifying_key())
        .expect("verifier")
        .to_string();
    assert!(CosignatureVerifier::parse(&as_note_key).is_err());
    assert!(NoteVerifier::parse(&vkey).is_err());
}

#[test]
fn wrong_key_altered_checkpoint_altered_time_and_missing_lines_are_refused() {
    let (body, note, _) = signed_checkpoint(42);
    let line = witness().cosign(&body, 1_000).expect("cosigned");
    let cosigned = format!("{note}{line}");

    // Another witness key under the same name has another key ID: not its cosignature.
    let impostor =
        CosignatureSigner::new(WITNESS, &SigningKey::from_bytes(&[3; 32])).expect("impostor");
    assert_eq!(
        impostor.verifier().verify(&cosigned),
        Err(CosignatureError::Missing {
            name: WITNESS.into()
        })
    );
    assert_eq!(
        witness().verifier().verify(&note),
        Err(CosignatureError::Missing {
            name: WITNESS.into()
        })
    );

    // The witness's line moved onto another checkpoint.
    let (_, other_note, _) = signed_checkpoint(43);
    assert_eq!(
        witness().verifier().verify(&format!("{other_note}{line}")),
        Err(CosignatureError::Invalid {
            name: WITNESS.into()
        })
    );

    // The timestamp in the line changed (byte 4 + 7 of the payload is the time's last byte).
    let (_, lines) = parse_note(&cosigned).expect("parses");
    let mut altered = lines[1].clone();
    altered.signature[7] ^= 1;
    let altered_note = format!("{note}{}", altered.to_line());
    assert_eq!(
        witness().verifier().verify(&altered_note),
        Err(CosignatureError::Invalid {
            name: WITNESS.into()
        })
    );

    // A payload of the wrong length.
    let mut short = lines[1].clone();
    short.signature.truncate(8 + 63);
    assert_eq!(
        witness()
            .verifier()
            .verify(&format!("{note}{}", short.to_line())),
        Err(CosignatureError::Malformed {
            name: WITNESS.into()
        })
    );

    // A note signature (type 0x01) by the witness's key is not a cosignature.
    let plain = NoteSigner::new(WITNESS, &SigningKey::from_bytes(&[2; 32])).expect("signer");
    let plain_line = plain.signature_line(&body).expect("line");
    assert_eq!(
        witness().verifier().verify(&format!("{note}{plain_line}")),
        Err(CosignatureError::Missing {
            name: WITNESS.into()
        })
    );
}

#[test]
fn out_of_range_times_and_non_checkpoints_are_refused() {
    let (body, _, _) = signed_checkpoint(42);
    assert_eq!(
        witness().cosign(&body, MAX_TIMESTAMP + 1),
        Err(CosignatureError::TimeOutOfRange {
            time: MAX_TIMESTAMP + 1
        })
    );
    assert!(witness().cosign(&body, MAX_TIMESTAMP).is_ok());
    assert!(matches!(
        witness().cosign("just some text\n", 1),
        Err(CosignatureError::Checkpoint(_))
    ));
    // A line claiming a time above 2^63 - 1.
    let (_, note, _) = signed_checkpoint(42);
    let line = SignatureLine {
        name: WITNESS.into(),
        key_id: witness().key_id(),
        signature: [u64::MAX.to_be_bytes().as_slice(), &[0; 64]].concat(),
    };
    assert_eq!(
        witness()
            .verifier()
            .verify(&format!("{note}{}", line.to_line())),
        Err(CosignatureError::TimeOutOfRange { time: u64::MAX })
    );
    assert!(CosignatureSigner::new("two words", &SigningKey::from_bytes(&[2; 32])).is_err());
}

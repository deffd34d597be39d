//! Signed notes against the vectors of Go's `golang.org/x/mod/sumdb/note` (`note_test.go`:
//! PeterNeumann's fixed key, his signed note, EnochRoot's second signature) and refusals.

use super::*;

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

/// The Go test's private key: "PRIVATE+KEY+<name>+<id>+base64(0x01 ‖ Ed25519 seed)".
fn peter_signing_key() -> SigningKey {
    // The base64 key itself may hold '+': it is everything after the fourth separator.
    let encoded = PETER_SKEY.splitn(5, '+').nth(4).expect("key part");
    let bytes = Base64::decode_vec(encoded).expect("base64");
    assert_eq!(bytes[0], SIGNATURE_TYPE_ED25519);
    let seed: [u8; 32] = bytes[1..].try_into().expect("32-byte seed");
    SigningKey::from_bytes(&seed)
}

fn peter() -> NoteVerifier {
    NoteVerifier::parse(PETER_VKEY).expect("Peter's vkey")
}

fn enoch() -> NoteVerifier {
    NoteVerifier::parse(ENOCH_VKEY).expect("Enoch's vkey")
}

#[test]
fn signing_go_s_text_with_go_s_key_gives_go_s_note_byte_for_byte() {
    let signer = NoteSigner::new("PeterNeumann", &peter_signing_key()).expect("signer");
    assert_eq!(hex::encode(signer.key_id()), "c74f20a3");
    assert_eq!(signer.verifier().to_string(), PETER_VKEY);
    assert_eq!(signer.sign(TEXT), Ok(format!("{TEXT}\n{PETER_SIG}")));
}

#[test]
fn vkeys_round_trip_and_every_mangling_is_refused() {
    for vkey in [PETER_VKEY, ENOCH_VKEY] {
        assert_eq!(NoteVerifier::parse(vkey).expect("vkey").to_string(), vkey);
        assert_eq!(
            vkey.parse::<NoteVerifier>().map(|v| v.to_string()),
            Ok(vkey.to_owned())
        );
    }
    let bytes = PETER_VKEY.as_bytes();
    // Every proper substring.
    for start in 0..bytes.len() {
        for end in start + 1..=bytes.len() {
            if (start, end) != (0, bytes.len()) {
                let part = &PETER_VKEY[start..end];
                assert!(NoteVerifier::parse(part).is_err(), "{part} accepted");
            }
        }
    }
    // Every single byte changed.
    for i in 0..bytes.len() {
        let mut changed = bytes.to_vec();
        changed[i] = changed[i].wrapping_add(1);
        if let Ok(text) = std::str::from_utf8(&changed) {
            assert!(NoteVerifier::parse(text).is_err(), "{text} accepted");
        }
    }
    // Go's two crafted keys: a key of the wrong length and an unknown algorithm, each with
    // a key ID adjusted to match.
    assert!(
        NoteVerifier::parse(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
        .is_err()
    );
    assert!(
        NoteVerifier::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
    // Upper-case hex is another spelling of the same key; refused so there is one.
    assert_eq!(
        NoteVerifier::parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(NoteError::BadVerifierKey)
    );
}

#[test]
fn go_s_note_opens_with_one_two_or_no_trusted_keys() {
    let note = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");

    let opened = open(&note, &[peter()]).expect("opens");
    assert_eq!(opened.text, TEXT);
    assert_eq!(opened.verified_by, ["PeterNeumann"]);
    assert_eq!(opened.unverified_lines, 1);

    let opened = open(&note, &[peter(), enoch()]).expect("opens");
    assert_eq!(opened.verified_by, ["PeterNeumann", "EnochRoot"]);
    assert_eq!(opened.unverified_lines, 0);

    assert_eq!(open(&note, &[]), Err(NoteError::NoVerifiedSignature));
    // A trusted key that did not sign is not a signature.
    assert_eq!(
        open(&format!("{TEXT}\n{ENOCH_SIG}"), &[peter()]),
        Err(NoteError::NoVerifiedSignature)
    );
}

#[test]
fn duplicated_lines_count_once_and_a_forged_unknown_line_is_only_unverified() {
    // Go's case: Peter twice, Enoch twice, and Enoch's signature with "ABCD" spliced in.
    let forged_enoch = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
    let note = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{forged_enoch}");
    let opened = open(&note, &[peter()]).expect("opens");
    assert_eq!(opened.verified_by, ["PeterNeumann"]);
    assert_eq!(opened.unverified_lines, 2);
}

#[test]
fn a_trusted_key_whose_signature_fails_rejects_the_note() {
    let forged = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert_eq!(
        open(&format!("{TEXT}\n{forged}"), &[peter()]),
        Err(NoteError::InvalidSignature {
            name: "PeterNeumann".into()
        })
    );
    // Altered text.
    let altered = TEXT.replace("answer", "antwort");
    assert_eq!(
        open(&format!("{altered}\n{PETER_SIG}"), &[peter()]),
        Err(NoteError::InvalidSignature {
            name: "PeterNeumann".into()
        })
    );
    // The same name with another key is another key: its signature is just unknown.
    let other = NoteSigner::new("PeterNeumann", &SigningKey::from_bytes(&[7; 32])).expect("signer");
    assert_eq!(
        open(&format!("{TEXT}\n{PETER_SIG}"), &[other.verifier()]),
        Err(NoteError::NoVerifiedSignature)
    );
    // Two different trusted keys with the same name and ID cannot be told apart.
    let twin = NoteVerifier {
        key: other.verifier().key,
        ..peter()
    };
    assert_eq!(
        open(&format!("{TEXT}\n{PETER_SIG}"), &[peter(), twin]),
        Err(NoteError::AmbiguousKey {
            name: "PeterNeumann".into()
        })
    );
    // The same key listed twice is harmless.
    assert!(open(&format!("{TEXT}\n{PETER_SIG}"), &[peter(), peter()]).is_ok());
}

#[test]
fn malformed_notes_are_refused_before_any_signature_is_checked() {
    let cases: [(String, NoteError); 8] = [
        (TEXT.to_owned(), NoteError::NoSignatures),
        (format!("{TEXT}\n"), NoteError::NoSignatures),
        (
            format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
            NoteError::NoFinalNewline,
        ),
        (
            format!("\x01{TEXT}\n{PETER_SIG}"),
            NoteError::ControlCharacter,
        ),
        (
            format!(
                "{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
            ),
            NoteError::BadSignatureLine { line: 1 },
        ),
        (
            format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
            NoteError::BadSignatureLine { line: 2 },
        ),
        (
            format!("{TEXT}\n{}", PETER_SIG.replacen('\u{2014}', "-", 1)),
            NoteError::BadSignatureLine { line: 1 },
        ),
        (
            format!("{TEXT}\n{}", PETER_SIG.replacen("x08go", "x08go ", 1)),
            NoteError::BadSignatureLine { line: 1 },
        ),
    ];
    for (note, want) in cases {
        assert_eq!(open(&note, &[peter()]), Err(want), "{note:?}");
    }
    // Go refuses 101 signatures, verified or not; so do we, before verifying any.
    let many = format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1));
    assert_eq!(
        open(&many, &[peter()]),
        Err(NoteError::TooManySignatures {
            count: MAX_SIGNATURES + 1
        })
    );
    assert!(
        open(
            &format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES)),
            &[peter()]
        )
        .is_ok()
    );
    let huge = format!("{}\n{PETER_SIG}", "a\n".repeat(MAX_NOTE_LEN / 2));
    assert!(matches!(
        open(&huge, &[peter()]),
        Err(NoteError::TooLarge { .. })
    ));
    // Go's invalid-UTF-8 case cannot reach `open`: it takes a `&str`, so callers decode
    // with `str::from_utf8` first, which refuses it.
}

#[test]
fn signing_refuses_texts_and_names_that_would_make_a_malformed_note() {
    let key = SigningKey::from_bytes(&[3; 32]);
    for name in [
        "",
        "a b",
        "a+b",
        "tab\there",
        "nbsp\u{a0}",
        &"x".repeat(MAX_KEY_NAME_LEN + 1),
    ] {
        assert_eq!(
            NoteSigner::new(name, &key).map(|_| ()),
            Err(NoteError::BadKeyName),
            "{name:?}"
        );
    }
    let signer = NoteSigner::new("kiosk.example/log", &key).expect("signer");
    assert_eq!(signer.sign("no newline"), Err(NoteError::NoFinalNewline));
    assert_eq!(signer.sign("bell\x07\n"), Err(NoteError::ControlCharacter));
    // A text with empty lines of its own still opens to exactly that text.
    let text = "first\n\nthird\n";
    let note = signer.sign(text).expect("signed");
    let opened = open(&note, &[signer.verifier()]).expect("opens");
    assert_eq!(opened.text, text);
    assert_eq!(opened.verified_by, ["kiosk.example/log"]);
    // The private key never shows in debug output.
    assert!(!format!("{signer:?}").contains(&hex::encode(key.to_bytes())));
}

//! Writes seed inputs, valid ones, into `corpus/<target>/seed-*`, so every target starts from
//! bytes that get past its signatures, tags and seals instead of having to find them:
//!
//! ```sh
//! cd fuzz && cargo run --example make_corpus
//! ```
//!
//! The keys are the fixed ones the targets use. An example rather than a `src/bin/` program,
//! so that `cargo fuzz build` (every bin, with fuzzing flags) does not build it.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use kiosk_core::capture::{RelayOpeningKey, sign_and_seal};
use kiosk_core::demo::demo_event;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::identity::DeviceIdentity;
use kiosk_core::protocol::enrollment::{
    CERTIFICATE_TAG, DeviceCertificate, EnrollAnswer, EnrollRequest, EnrollResponse, EnrolledRole,
    EnrollmentCode,
};
use kiosk_core::protocol::{
    SignedCommand, SignedEnvelope, open_command, open_request, open_response,
};

/// The golden vectors of `docs/protocol.md`, as `core/src/protocol/tests.rs` pins them.
const GOLDEN_REQUEST_HEX: &str = "a3667369676e657258208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c677061796c6f616458daa66776657273696f6e02696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c63736571076773656e745f61741b0000019ce1833b80676a6f75726e616ca265636f756e740264686561645820abababababababababababababababababababababababababababababababab6670757368657381a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030316b6a6f75726e616c5f7365710264626f6479a1667365616c6564467365616c6564697369676e61747572655840c2e1efe46a840ebd67538665fa29101ec5c59b9e9ea67f77d0335d13cab94112d240dc61ace0c320f25c8f7b453d5f0cc3c5c459cac9db99a3ce62fa46e82008";
const GOLDEN_COMMAND_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e02696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e617475726558400b3423c6dc51d4417d5ba380623137796f20a7aea885b41de0af58e299447c03aeb43b8dbdfac2bf7dc5957aadf8d7c8c539fb56f09531fbd0b97d5df79c9105";
const GOLDEN_RESPONSE_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f616459021fac6776657273696f6e02696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6c726571756573745f686173685820c5a41d8888d2991b87427698c212595147901cd583d75c1d5f113fb2b39c0e2b6772656675736564f6716c6173745f61636365707465645f736571f6686f7574636f6d657381a16673746f726564815820cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd716a6f75726e616c5f636f6e6669726d6564a265636f756e740264686561645820abababababababababababababababababababababababababababababababab6b72656c61795f65706f636850eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee6a636f6d6d69745f736571182a706261636b75705f77617465726d61726b18286772656d6f7665648068636f6d6d616e64738158d6a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e02696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e617475726558400b3423c6dc51d4417d5ba380623137796f20a7aea885b41de0af58e299447c03aeb43b8dbdfac2bf7dc5957aadf8d7c8c539fb56f09531fbd0b97d5df79c9105697369676e61747572655840737f7e35435e37fb46c4e30cc73930bf55b5959bb5ecb6a208fbcd99cc691fd668d7de0180a3e356ed960fc6e08f2da4cc0b171cfedd1580f3781e6660bd9a09";

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

struct Corpus {
    root: PathBuf,
    written: usize,
}

impl Corpus {
    fn seed(&mut self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).expect("corpus directory");
        std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed written");
        self.written += 1;
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut corpus = Corpus { root, written: 0 };

    // The keys the targets use.
    let device_key = SigningKey::from_bytes(&[1; 32]);
    let relay_key = SigningKey::from_bytes(&[2; 32]);
    let relay_opening = RelayOpeningKey::from_seed(&[3; 32]);
    let capturing = DeviceIdentity::from_signing_key(SigningKey::from_bytes(&[4; 32]));
    let code = EnrollmentCode::parse("ABCD-EFGH-JKLM-NPQR-STUV").expect("a valid code");
    let enrolling = [8; 32];

    // Requests, responses and commands: the golden vectors, checked to open as the targets
    // open them, and their payloads for `signed_payloads`.
    let request = unhex(GOLDEN_REQUEST_HEX);
    let response = unhex(GOLDEN_RESPONSE_HEX);
    let command = unhex(GOLDEN_COMMAND_HEX);
    let device = device_key.verifying_key();
    let relay = relay_key.verifying_key();
    open_request(&request, |_| Some(device)).expect("the golden request opens: update the vectors");
    open_response(
        &response,
        &relay,
        device.as_bytes(),
        &SignedEnvelope::hash(&request),
    )
    .expect("the golden response opens: update the vectors");
    open_command(&SignedCommand(command.clone()), &relay, device.as_bytes())
        .expect("the golden command opens: update the vectors");
    corpus.seed("sync_request", "golden-request", &request);
    corpus.seed("sync_response", "golden-response", &response);
    corpus.seed("sync_response", "golden-command", &command);
    for (name, bytes) in [
        ("request", &request),
        ("response", &response),
        ("command", &command),
    ] {
        let envelope = SignedEnvelope::from_bytes(bytes).expect("an envelope");
        corpus.seed(
            "signed_payloads",
            &format!("golden-{name}-payload"),
            &envelope.payload,
        );
    }

    // Captured documents, as a kiosk sends them (its changes) and as saved, by the device the
    // sealing targets sign with and by another; and real seals of them.
    for seed in 1..=3u64 {
        let mut generator = RegistrationGenerator::new(demo_event(), seed);
        for (who, identity) in [("signer", Some(&capturing)), ("other", None)] {
            let mut registration = generator.next_registration().expect("a valid registration");
            if let Some(identity) = identity {
                registration.capturing_device = identity.device_id();
            }
            let author = identity
                .map(|i| i.public_key())
                .unwrap_or_else(|| SigningKey::from_bytes(&[5; 32]).verifying_key());
            let mut document =
                RegistrationDocument::create(&registration, &author, registration.captured_at)
                    .expect("a document");
            let changes = document.save_changes();
            let saved = document.save();
            let hashes = document.change_hashes();
            for (format, bytes) in [("changes", &changes), ("saved", &saved)] {
                let name = format!("{seed}-{who}-{format}");
                // Only change chunks are taken from elsewhere; saved documents seed refusals.
                if format == "changes" {
                    RegistrationDocument::load_unattributed(bytes)
                        .expect("the document reads back");
                }
                for target in ["captured_document", "sealed_document", "sealed_capture"] {
                    corpus.seed(target, &name, bytes);
                }
            }
            if identity.is_some() {
                let sealed = sign_and_seal(
                    &capturing,
                    relay_opening.sealing_key(),
                    &registration.id,
                    changes,
                    &hashes,
                )
                .expect("sealed");
                relay_opening.open(&sealed).expect("the seal opens");
                corpus.seed("sealed_capture", &format!("{seed}-sealed"), &sealed);
            }
        }
    }

    // Enrollment: a request, a response that opens, and what is behind its tag.
    let request = EnrollRequest::new(
        &code,
        &SigningKey::from_bytes(&[8; 32]),
        EnrolledRole::Kiosk,
    );
    request.verify().expect("the request verifies");
    corpus.seed("enrollment", "request", &kiosk_core::cbor::to_vec(&request));
    for (role, recruiter) in [
        (EnrolledRole::Kiosk, None),
        (
            EnrolledRole::Staff,
            Some("Recruiter Rekryterare".to_string()),
        ),
    ] {
        let certificate = DeviceCertificate {
            version: 2,
            device_key: enrolling,
            event_id: "sthlm-career-fair-2026".into(),
            role,
            recruiter,
            issued_at: 1_773_310_000_000,
            expires_at: 1_773_910_000_000,
        };
        let answer = EnrollAnswer {
            certificate: SignedEnvelope::sign(CERTIFICATE_TAG, &certificate, &relay_key),
            relay_signing_key: relay.to_bytes(),
            relay_sealing_key: relay_opening.sealing_key().clone(),
        };
        let response = EnrollResponse::new(&code.answer_secret(), &enrolling, &answer);
        response.open(&code, &enrolling).expect("the answer opens");
        let name = format!("{role:?}").to_lowercase();
        corpus.seed(
            "enrollment",
            &format!("response-{name}"),
            &kiosk_core::cbor::to_vec(&response),
        );
        corpus.seed(
            "enroll_answer",
            &format!("certificate-{name}"),
            &kiosk_core::cbor::to_vec(&certificate),
        );
        corpus.seed(
            "enroll_answer",
            &format!("answer-{name}"),
            &kiosk_core::cbor::to_vec(&answer),
        );
    }

    println!(
        "{} seeds written under {}",
        corpus.written,
        corpus.root.display()
    );
}

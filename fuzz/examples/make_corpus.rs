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
use kiosk_core::tlog::checkpoint::Checkpoint;
use kiosk_core::tlog::cosignature::CosignatureSigner;
use kiosk_core::tlog::note::NoteSigner;

/// The golden vectors of `docs/protocol.md`, as `core/src/protocol/tests.rs` pins them.
const GOLDEN_REQUEST_HEX: &str = "a3667369676e657258208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c677061796c6f616459013fa76776657273696f6e03696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c63736571076773656e745f61741b0000019ce1833b80676a6f75726e616ca265636f756e740264686561645820abababababababababababababababababababababababababababababababab6670757368657381a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030316b6a6f75726e616c5f7365710264626f6479a1667365616c6564467365616c65646470756c6ca4686576656e745f69646964656d6f2d666169726b6576656e745f686561647381582011111111111111111111111111111111111111111111111111111111111111116d726567697374726174696f6e73f566637572736f7246637572736f72697369676e617475726558400ac985b5068afc0276e8091c9ab2956af13a977699533e618b222b9fc10c0ea32015fd2f3e8765488f0c1a0deecd15ecfbb64a59e8f435db5fa34301844d5803";
const GOLDEN_COMMAND_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e03696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e61747572655840187ff82cde56e64cfde7e3b5b81904134045f5865544ce5ff6b6ccd86e1664e2d46fe3a1e155ccb4d07ef007f6de7ae89e9126389f85868172fc163e8efbda0c";
const GOLDEN_RESPONSE_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645902cdb06776657273696f6e03696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6c726571756573745f686173685820d21c971eee3411866091412f27b55228c91096269d5e89db3d78583bdab121fc6772656675736564f6716c6173745f61636365707465645f736571f6686f7574636f6d657381a16673746f726564815820cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd716a6f75726e616c5f636f6e6669726d6564a265636f756e740264686561645820abababababababababababababababababababababababababababababababab6b72656c61795f65706f636850eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee6a636f6d6d69745f736571182a706261636b75705f77617465726d61726b18286772656d6f76656481782430313963653061302d366138302d373030302d383030302d30303030303030303030303268636f6d6d616e64738158d6a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e03696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e61747572655840187ff82cde56e64cfde7e3b5b81904134045f5865544ce5ff6b6ccd86e1664e2d46fe3a1e155ccb4d07ef007f6de7ae89e9126389f85868172fc163e8efbda0c656576656e744d6576656e74206368616e6765736670756c6c656481a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030336b72656365697665645f61741b0000019ce1833b80676368616e676573476368616e67657366637572736f724b6e65787420637572736f72646d6f7265f4697369676e617475726558407ca34ed34b81f9b58bbbe53dce20960a15683aa7574aca816c45b4563229dffc99dcf1e076eaabd10be08ccadee0a941d16d6b92e559130297c16a4026b81304";

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
            log_key: None,
            witness_keys: Vec::new(),
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

    // Staff edits of the capture the `staff_changes` target holds (seed 1, kiosk key 1),
    // by the staff key it uses (2): allowed ones and ones the relay refuses.
    let registration = RegistrationGenerator::new(demo_event(), 1)
        .next_registration()
        .expect("a valid registration");
    let capture = RegistrationDocument::create(
        &registration,
        &SigningKey::from_bytes(&[1; 32]).verifying_key(),
        registration.captured_at,
    )
    .expect("a document")
    .save_changes();
    let staff = SigningKey::from_bytes(&[2; 32]).verifying_key();
    let at = registration.captured_at;
    type Edit = Box<dyn Fn(&mut RegistrationDocument)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "note",
            Box::new(move |d| {
                let note = kiosk_core::annotations::Note {
                    id: "n1".into(),
                    author: "anna".into(),
                    device: kiosk_core::ids::DeviceId::from_public_key(&staff),
                    written_at: at,
                    text: "Ring på måndag".into(),
                };
                d.add_note(note, at).expect("noted");
            }),
        ),
        (
            "rating",
            Box::new(move |d| {
                d.set_rating("anna", Some(4), at).expect("rated");
            }),
        ),
        (
            "status",
            Box::new(move |d| {
                d.set_status(kiosk_core::annotations::RecordStatus::Contacted, at)
                    .expect("set");
            }),
        ),
        (
            "person",
            Box::new(move |d| {
                let mut changed = d.read().expect("reads");
                changed.person.given_name = "Mallory".into();
                d.write(&changed, at).expect("written");
            }),
        ),
    ];
    for (name, edit) in edits {
        let mut copy = RegistrationDocument::load_chunks(&capture, &staff).expect("loads");
        let before = copy.head_bytes();
        edit(&mut copy);
        let new = copy.changes_since(&before);
        corpus.seed("staff_changes", name, &new);
    }

    // The transparency log: a signed and cosigned checkpoint with the target's keys, and its
    // bare body (which the target signs itself).
    let log = NoteSigner::new("relay.example.se/kiosk-log", &SigningKey::from_bytes(&[1; 32]))
        .expect("log key");
    let witness = CosignatureSigner::new(
        "archive.example.se/witness",
        &SigningKey::from_bytes(&[2; 32]),
    )
    .expect("witness key");
    let body = Checkpoint::new("relay.example.se/kiosk-log", 3, [0x5a; 32]).to_body();
    let note = log.sign(&body).expect("signed");
    let cosigned = format!(
        "{note}{}",
        witness.cosign(&body, 1_700_000_000).expect("cosigned")
    );
    corpus.seed("tlog_note", "checkpoint-body", body.as_bytes());
    corpus.seed("tlog_note", "cosigned-checkpoint", cosigned.as_bytes());

    println!(
        "{} seeds written under {}",
        corpus.written,
        corpus.root.display()
    );
}

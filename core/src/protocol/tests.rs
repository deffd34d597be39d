use ed25519_dalek::SigningKey;
use proptest::prelude::*;

use super::*;

fn device_key() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn relay_key() -> SigningKey {
    SigningKey::from_bytes(&[2; 32])
}

/// The fixed request of the golden vector in `docs/protocol.md`.
fn golden_request() -> SyncRequest {
    SyncRequest {
        version: PROTOCOL_VERSION,
        device_id: device_key().verifying_key().to_bytes(),
        seq: 7,
        sent_at: 1_773_310_000_000,
        journal: JournalState {
            count: 2,
            head: [0xAB; 32],
        },
        pushes: vec![Push {
            doc_id: "019ce0a0-6a80-7000-8000-000000000001".into(),
            journal_seq: Some(2),
            body: PushBody::Sealed(b"sealed".to_vec()),
        }],
        pull: PullRequest {
            event_id: "demo-fair".into(),
            event_heads: vec![[0x11; 32]],
            registrations: true,
            cursor: Some(PullCursor(b"cursor".to_vec())),
        },
    }
}

fn golden_response(request_hash: [u8; 32]) -> SyncResponse {
    SyncResponse {
        version: PROTOCOL_VERSION,
        device_id: device_key().verifying_key().to_bytes(),
        request_hash,
        refused: None,
        last_accepted_seq: None,
        outcomes: vec![PushOutcome::Stored(vec![[0xCD; 32]])],
        journal_confirmed: JournalState {
            count: 2,
            head: [0xAB; 32],
        },
        relay_epoch: [0xEE; 16],
        commit_seq: Some(42),
        backup_watermark: Some(40),
        removed: vec!["019ce0a0-6a80-7000-8000-000000000002".into()],
        commands: vec![golden_command()],
        event: Some(b"event changes".to_vec()),
        pulled: vec![PulledDocument {
            doc_id: "019ce0a0-6a80-7000-8000-000000000003".into(),
            received_at: 1_773_310_000_000,
            changes: b"changes".to_vec(),
        }],
        withdrawn: vec!["019ce0a0-6a80-7000-8000-000000000004".into()],
        cursor: Some(PullCursor(b"next cursor".to_vec())),
        more: false,
    }
}

/// The wipe of the golden vector, for the golden device.
fn golden_command() -> SignedCommand {
    sign_command(
        Command::Wipe,
        device_key().verifying_key().to_bytes(),
        1_773_310_000_000,
        &relay_key(),
    )
}

const GOLDEN_REQUEST_HEX: &str = "a3667369676e657258208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c677061796c6f616459013fa76776657273696f6e04696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c63736571076773656e745f61741b0000019ce1833b80676a6f75726e616ca265636f756e740264686561645820abababababababababababababababababababababababababababababababab6670757368657381a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030316b6a6f75726e616c5f7365710264626f6479a1667365616c6564467365616c65646470756c6ca4686576656e745f69646964656d6f2d666169726b6576656e745f686561647381582011111111111111111111111111111111111111111111111111111111111111116d726567697374726174696f6e73f566637572736f7246637572736f72697369676e6174757265584003032f1ee0a6302fed3bd903c68a62f2fa1cf2934a41e19cb7cd1b2b46357533cfcc9d1d53cbe6e4afc5dbb6add631eda0ecf09d7894983723659a23eb135902";
const GOLDEN_COMMAND_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e04696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e61747572655840d3482236fcf0bbf67dee441d07e7e5e190a53702c546448f7aba3dd8f076e7310a7215052c695f6c1c7575f28eb6ec93d5af9c2397504547022fde41a2155905";
const GOLDEN_RESPONSE_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645902feb16776657273696f6e04696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6c726571756573745f6861736858200a2988a6278c9b6b2b151b32fd8b8a112e2dea6c242a789ea1839255a1ba437e6772656675736564f6716c6173745f61636365707465645f736571f6686f7574636f6d657381a16673746f726564815820cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd716a6f75726e616c5f636f6e6669726d6564a265636f756e740264686561645820abababababababababababababababababababababababababababababababab6b72656c61795f65706f636850eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee6a636f6d6d69745f736571182a706261636b75705f77617465726d61726b18286772656d6f76656481782430313963653061302d366138302d373030302d383030302d30303030303030303030303268636f6d6d616e64738158d6a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e04696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e61747572655840d3482236fcf0bbf67dee441d07e7e5e190a53702c546448f7aba3dd8f076e7310a7215052c695f6c1c7575f28eb6ec93d5af9c2397504547022fde41a2155905656576656e744d6576656e74206368616e6765736670756c6c656481a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030336b72656365697665645f61741b0000019ce1833b80676368616e676573476368616e6765736977697468647261776e81782430313963653061302d366138302d373030302d383030302d30303030303030303030303466637572736f724b6e65787420637572736f72646d6f7265f4697369676e6174757265584029d92691cecd8eea962db7442c212f4b3f9147f4d17352fd52361a682aad6f3cc82d21defebf664de6fea9b8bc35c8aedabc26c6b2ec7ad59e47f95a3e92430f";

/// The enrollment code of the golden vectors.
fn golden_code() -> enrollment::EnrollmentCode {
    enrollment::EnrollmentCode::parse("2345-6789-ABCD-EFGH-JKLM").expect("a code")
}

/// The enrollment request of the golden vector: the golden device enrolls as a kiosk.
fn golden_enroll_request() -> enrollment::EnrollRequest {
    enrollment::EnrollRequest::new(
        &golden_code(),
        &device_key(),
        enrollment::EnrolledRole::Kiosk,
    )
}

/// The relay's answer of the golden vector, authenticated with the golden code.
fn golden_enroll_response() -> enrollment::EnrollResponse {
    let device = device_key().verifying_key().to_bytes();
    let certificate = enrollment::DeviceCertificate {
        version: PROTOCOL_VERSION,
        device_key: device,
        event_id: "demo-fair".into(),
        role: enrollment::EnrolledRole::Kiosk,
        recruiter: None,
        issued_at: 1_773_310_000_000,
        expires_at: 1_804_846_000_000,
    };
    let answer = enrollment::EnrollAnswer {
        certificate: SignedEnvelope::sign(enrollment::CERTIFICATE_TAG, &certificate, &relay_key()),
        relay_signing_key: relay_key().verifying_key().to_bytes(),
        relay_sealing_key: crate::capture::RelayOpeningKey::from_seed(&[3; 32])
            .sealing_key()
            .clone(),
    };
    enrollment::EnrollResponse::new(&golden_code().answer_secret(), &device, &answer)
}

const GOLDEN_ENROLL_REQUEST_HEX: &str = "a66776657273696f6e046b636f64655f6c6f6f6b75705820a77bcbce7b9cecf0ab29641dd1faa4c6bdd9da032d09037e154273aa1e27066a6a6465766963655f6b657958208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c64726f6c65656b696f736b6570726f6f665840969bfd94f128c3a0c7ab57e51e3b45cd9647c119c15e92bb1a3e2b3344b51d2960cedd94c14142a48cd79567e1cc377c5cf31d63b50e9bc0372d13af176bef026a636f64655f70726f6f665820c0aa470a7405bd953675a3bbf2d535cccd57fe29bd19f5b7d6d89a52bd671282";
const GOLDEN_ENROLL_RESPONSE_HEX: &str = "a266616e73776572590198a36b6365727469666963617465a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645887a76776657273696f6e046a6465766963655f6b657958208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c686576656e745f69646964656d6f2d6661697264726f6c65656b696f736b69726563727569746572f6696973737565645f61741b0000019ce1833b806a657870697265735f61741b000001a439346780697369676e6174757265584052341416aa2287f71966934266300266bbf7b4405aa5ac140156d0202ffe2da7a7a33e56670ab389df1b91037265d634c73fa289d01c3bdd2f6a9315bde8d70b7172656c61795f7369676e696e675f6b657958208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3947172656c61795f7365616c696e675f6b6579a2666b65795f6964486bf94b40917931a56a7075626c69635f6b6579582090ab790ecbf0704232ffe9436faeccc913b66a60e99c688a40bba4d5e2e6145063746167582060b25fbd2dd82ee4307b6efc1e32685d261c9a60992b7db9a2f038c8f269bdbd";

#[test]
fn golden_vectors_of_enrollment_pin_the_bytes_and_the_protocol_document_shows_them() {
    let request = crate::cbor::to_vec(&golden_enroll_request());
    assert_eq!(
        hex::encode(&request),
        GOLDEN_ENROLL_REQUEST_HEX,
        "enrollment request bytes changed: bump the protocol version"
    );
    let response = crate::cbor::to_vec(&golden_enroll_response());
    assert_eq!(
        hex::encode(&response),
        GOLDEN_ENROLL_RESPONSE_HEX,
        "enrollment answer bytes changed: bump the protocol version"
    );
    let flattened: String = include_str!("../../../docs/protocol.md")
        .split_whitespace()
        .collect();
    assert!(
        flattened.contains(GOLDEN_ENROLL_REQUEST_HEX),
        "docs/protocol.md shows the enrollment request vector"
    );
    assert!(
        flattened.contains(GOLDEN_ENROLL_RESPONSE_HEX),
        "docs/protocol.md shows the enrollment answer vector"
    );
    let device = device_key().verifying_key().to_bytes();
    let (answer, certificate) = golden_enroll_response()
        .open(&golden_code(), &device)
        .expect("the golden answer opens");
    assert_eq!(certificate.event_id, "demo-fair");
    assert_eq!(answer.relay_sealing_key.key_id.len(), 16);
}

/// Reads `bytes` as generic CBOR, as a decoder written from `docs/protocol.md` would.
fn cbor_value(bytes: &[u8]) -> ciborium::value::Value {
    ciborium::from_reader(bytes).expect("CBOR")
}

/// The entry `key` of a CBOR map.
fn entry<'a>(map: &'a ciborium::value::Value, key: &str) -> &'a ciborium::value::Value {
    map.as_map()
        .expect("a map")
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no `{key}`"))
}

fn byte_string_of(value: &ciborium::value::Value, len: usize, what: &str) {
    let bytes = value
        .as_bytes()
        .unwrap_or_else(|| panic!("{what} is not a byte string: {value:?}"));
    assert_eq!(bytes.len(), len, "{what}");
}

#[test]
fn every_byte_field_of_the_enrollment_messages_is_a_cbor_byte_string() {
    let request = cbor_value(&crate::cbor::to_vec(&golden_enroll_request()));
    assert_eq!(entry(&request, "version").as_integer(), Some(4.into()));
    byte_string_of(entry(&request, "code_lookup"), 32, "code_lookup");
    byte_string_of(entry(&request, "device_key"), 32, "device_key");
    assert_eq!(entry(&request, "role").as_text(), Some("kiosk"));
    byte_string_of(entry(&request, "proof"), 64, "proof");
    byte_string_of(entry(&request, "code_proof"), 32, "code_proof");

    let response = cbor_value(&crate::cbor::to_vec(&golden_enroll_response()));
    byte_string_of(entry(&response, "tag"), 32, "tag");
    let answer_bytes = entry(&response, "answer").as_bytes().expect("answer bytes");
    let answer = cbor_value(answer_bytes);
    byte_string_of(entry(&answer, "relay_signing_key"), 32, "relay_signing_key");
    let sealing = entry(&answer, "relay_sealing_key");
    // As the seal carries it: 8 bytes, not 16 hex digits.
    byte_string_of(entry(sealing, "key_id"), 8, "relay_sealing_key.key_id");
    byte_string_of(
        entry(sealing, "public_key"),
        32,
        "relay_sealing_key.public_key",
    );
    let certificate = entry(&answer, "certificate");
    byte_string_of(entry(certificate, "signer"), 32, "certificate.signer");
    byte_string_of(entry(certificate, "signature"), 64, "certificate.signature");
    let payload = cbor_value(
        entry(certificate, "payload")
            .as_bytes()
            .expect("certificate payload bytes"),
    );
    assert_eq!(entry(&payload, "version").as_integer(), Some(4.into()));
    byte_string_of(entry(&payload, "device_key"), 32, "certificate.device_key");
    assert_eq!(entry(&payload, "event_id").as_text(), Some("demo-fair"));
    assert_eq!(entry(&payload, "role").as_text(), Some("kiosk"));
    assert!(entry(&payload, "recruiter").is_null());
    assert!(entry(&payload, "issued_at").is_integer());
    assert!(entry(&payload, "expires_at").is_integer());

    // The key id the answer carries is the one every seal names.
    let key = crate::capture::RelayOpeningKey::from_seed(&[3; 32]);
    assert_eq!(
        hex::encode(entry(sealing, "key_id").as_bytes().expect("bytes")),
        key.sealing_key().key_id
    );
}

#[test]
fn golden_vectors_pin_the_bytes_and_the_protocol_document_shows_them() {
    let request = SignedEnvelope::sign(PUSH_TAG, &golden_request(), &device_key()).to_bytes();
    assert_eq!(
        hex::encode(&request),
        GOLDEN_REQUEST_HEX,
        "request bytes changed: bump the protocol version"
    );
    let response = SignedEnvelope::sign(
        RECEIPT_TAG,
        &golden_response(SignedEnvelope::hash(&request)),
        &relay_key(),
    )
    .to_bytes();
    assert_eq!(
        hex::encode(&response),
        GOLDEN_RESPONSE_HEX,
        "response bytes changed: bump the protocol version"
    );
    let document = include_str!("../../../docs/protocol.md");
    assert_eq!(
        hex::encode(&golden_command().0),
        GOLDEN_COMMAND_HEX,
        "command bytes changed: bump the protocol version"
    );
    let flattened: String = document.split_whitespace().collect();
    assert!(
        flattened.contains(GOLDEN_REQUEST_HEX),
        "docs/protocol.md shows the request vector"
    );
    assert!(
        flattened.contains(GOLDEN_RESPONSE_HEX),
        "docs/protocol.md shows the response vector"
    );
    assert!(
        flattened.contains(GOLDEN_COMMAND_HEX),
        "docs/protocol.md shows the command vector"
    );
}

#[test]
fn a_command_acts_only_for_its_device_and_with_the_pinned_relay_key() {
    let device = device_key().verifying_key().to_bytes();
    let relay = relay_key().verifying_key();
    let opened = open_command(&golden_command(), &relay, &device).expect("opens");
    assert_eq!(opened.command, Command::Wipe);
    assert_eq!(
        open_command(&golden_command(), &relay, &[9; 32]),
        Err(ProtocolError::DeviceMismatch),
        "a wipe for another tablet"
    );
    assert_eq!(
        open_command(&golden_command(), &device_key().verifying_key(), &device),
        Err(ProtocolError::BadSignature),
        "signed by someone other than the pinned relay"
    );
    // A receipt's signature cannot pass as a command.
    let as_receipt = SignedEnvelope::sign(
        RECEIPT_TAG,
        &DeviceCommand {
            version: PROTOCOL_VERSION,
            device_id: device,
            command: Command::Wipe,
            issued_at: 0,
        },
        &relay_key(),
    );
    assert_eq!(
        open_command(&SignedCommand(as_receipt.to_bytes()), &relay, &device),
        Err(ProtocolError::BadSignature)
    );
}

#[test]
fn a_request_opens_with_its_signers_key_and_a_response_binds_to_it() {
    let bytes = SignedEnvelope::sign(PUSH_TAG, &golden_request(), &device_key()).to_bytes();
    let device = device_key().verifying_key();
    let opened = open_request(&bytes, |signer| {
        (signer == device.as_bytes()).then_some(device)
    })
    .expect("opens");
    assert_eq!(opened, golden_request());

    let hash = SignedEnvelope::hash(&bytes);
    let response =
        SignedEnvelope::sign(RECEIPT_TAG, &golden_response(hash), &relay_key()).to_bytes();
    let relay = relay_key().verifying_key();
    assert_eq!(
        open_response(&response, &relay, device.as_bytes(), &hash).expect("opens"),
        golden_response(hash)
    );
    assert_eq!(
        open_response(&response, &relay, device.as_bytes(), &[0; 32]),
        Err(ProtocolError::WrongRequest),
        "a receipt for another request"
    );
    assert_eq!(
        open_response(&response, &relay, &[9; 32], &hash),
        Err(ProtocolError::DeviceMismatch),
        "a receipt for another device"
    );
    assert_eq!(
        open_response(&response, &device, device.as_bytes(), &hash),
        Err(ProtocolError::BadSignature),
        "signed by someone other than the pinned relay"
    );
}

#[test]
fn forged_replaced_and_cross_role_signatures_are_refused() {
    let device = device_key().verifying_key();
    let known = |signer: &[u8; 32]| (signer == device.as_bytes()).then_some(device);
    let mut envelope = SignedEnvelope::sign(PUSH_TAG, &golden_request(), &device_key());

    let mut forged = envelope.clone();
    forged.signature[0] ^= 1;
    assert_eq!(
        open_request(&forged.to_bytes(), known),
        Err(ProtocolError::BadSignature)
    );

    let mut altered = envelope.clone();
    let last = altered.payload.len() - 1;
    altered.payload[last] ^= 1;
    assert_eq!(
        open_request(&altered.to_bytes(), known),
        Err(ProtocolError::BadSignature)
    );

    // Signed by another enrolled device, claiming the first device in its payload.
    let other = SigningKey::from_bytes(&[3; 32]);
    let by_other = SignedEnvelope::sign(PUSH_TAG, &golden_request(), &other).to_bytes();
    let both = |signer: &[u8; 32]| {
        [device, other.verifying_key()]
            .into_iter()
            .find(|k| k.as_bytes() == signer)
    };
    assert_eq!(
        open_request(&by_other, both),
        Err(ProtocolError::DeviceMismatch)
    );
    assert_eq!(
        open_request(&by_other, known),
        Err(ProtocolError::UnknownSigner)
    );

    // A request signature cannot pass as a receipt, nor the other way round.
    let as_receipt = SignedEnvelope::sign(RECEIPT_TAG, &golden_request(), &device_key()).to_bytes();
    assert_eq!(
        open_request(&as_receipt, known),
        Err(ProtocolError::BadSignature)
    );

    let mut old = golden_request();
    old.version = 0;
    envelope = SignedEnvelope::sign(PUSH_TAG, &old, &device_key());
    assert_eq!(
        open_request(&envelope.to_bytes(), known),
        Err(ProtocolError::UnsupportedVersion(0))
    );
}

#[test]
fn truncated_and_garbage_bytes_are_malformed() {
    let device = device_key().verifying_key();
    let bytes = SignedEnvelope::sign(PUSH_TAG, &golden_request(), &device_key()).to_bytes();
    for cut in [0, 1, 10, bytes.len() / 2, bytes.len() - 1] {
        assert_eq!(
            open_request(&bytes[..cut], |_| Some(device)),
            Err(ProtocolError::Malformed),
            "cut at {cut}"
        );
    }
    // Valid CBOR, wrong shape.
    let wrong_shape = crate::cbor::to_vec(&vec![1u8, 2, 3]);
    assert_eq!(
        open_request(&wrong_shape, |_| Some(device)),
        Err(ProtocolError::Malformed)
    );
    // A correctly signed payload that is not a request.
    let not_a_request = SignedEnvelope::sign(PUSH_TAG, &"hello", &device_key()).to_bytes();
    assert_eq!(
        open_request(&not_a_request, |_| Some(device)),
        Err(ProtocolError::Malformed)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// The decoder of network bytes never panics, whatever arrives.
    #[test]
    fn any_bytes_are_opened_or_refused_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let device = device_key().verifying_key();
        let _ = open_request(&bytes, |_| Some(device));
        let _ = open_response(&bytes, &device, &[0; 32], &[0; 32]);
    }

    /// Any single flipped byte of a valid request is caught.
    #[test]
    fn any_flipped_byte_of_a_signed_request_is_refused(position in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let device = device_key().verifying_key();
        let mut bytes = SignedEnvelope::sign(PUSH_TAG, &golden_request(), &device_key()).to_bytes();
        let at = position.index(bytes.len());
        bytes[at] ^= flip;
        let known = |signer: &[u8; 32]| (signer == device.as_bytes()).then_some(device);
        prop_assert!(open_request(&bytes, known).is_err());
    }
}

#[test]
fn an_envelope_spelled_another_way_is_refused() {
    // Found by the flipped-byte property: the key `signer` as a byte string instead of a
    // text string decoded to the same envelope, with other bytes and so another hash.
    let device = device_key().verifying_key();
    let mut bytes = SignedEnvelope::sign(PUSH_TAG, &golden_request(), &device_key()).to_bytes();
    bytes[1] ^= 0x20;
    let known = |signer: &[u8; 32]| (signer == device.as_bytes()).then_some(device);
    assert_eq!(open_request(&bytes, known), Err(ProtocolError::Malformed));
    let mut trailing = SignedEnvelope::sign(PUSH_TAG, &golden_request(), &device_key()).to_bytes();
    trailing.push(0);
    assert_eq!(
        open_request(&trailing, known),
        Err(ProtocolError::Malformed)
    );
}

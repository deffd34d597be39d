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
        relay_key: relay_key().verifying_key().to_bytes(),
        log_size: 0,
        log_features: Vec::new(),
        log_witnesses: Vec::new(),
    }
}

fn golden_response(request_hash: [u8; 32]) -> SyncResponse {
    SyncResponse {
        outcomes: vec![PushOutcome::Stored(vec![[0xCD; 32]])],
        journal_confirmed: JournalState {
            count: 2,
            head: [0xAB; 32],
        },
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
        ..SyncResponse::empty(
            device_key().verifying_key().to_bytes(),
            request_hash,
            [0xEE; 16],
        )
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

/// The key rotation of the golden vector: the relay moves the golden device to the signing
/// key from seed 4 and the sealing key from seed 5, signed by the key it pins.
fn golden_rotation() -> SignedCommand {
    sign_command(
        Command::AdoptRelayKeys {
            signing_key: SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes(),
            sealing_key: crate::capture::RelayOpeningKey::from_seed(&[5; 32])
                .sealing_key()
                .clone(),
        },
        device_key().verifying_key().to_bytes(),
        1_773_310_000_000,
        &relay_key(),
    )
}

const GOLDEN_ROTATION_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f616458dca46776657273696f6e05696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e64a17061646f70745f72656c61795f6b657973a26b7369676e696e675f6b65795820ca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c6b7365616c696e675f6b6579a2666b65795f696448989e7671c07bd1d16a7075626c69635f6b65795820402802aae25501861e6da002ef9f3e105b9296c3e3c90c92e600ec9a0ff52657696973737565645f61741b0000019ce1833b80697369676e61747572655840b4404ff476aac3e63ea4af77462dcca6afcf827dc8deed01f6eb68836eb7f14a03c9ea031c78f9849834131aa724caa1493acc92fb28dd415e0f38b9b3027402";
const GOLDEN_REQUEST_HEX: &str = "a3667369676e657258208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c677061796c6f616459016ba86776657273696f6e05696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c63736571076773656e745f61741b0000019ce1833b80676a6f75726e616ca265636f756e740264686561645820abababababababababababababababababababababababababababababababab6670757368657381a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030316b6a6f75726e616c5f7365710264626f6479a1667365616c6564467365616c65646470756c6ca4686576656e745f69646964656d6f2d666169726b6576656e745f686561647381582011111111111111111111111111111111111111111111111111111111111111116d726567697374726174696f6e73f566637572736f7246637572736f726972656c61795f6b657958208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394697369676e61747572655840765d3cb8f0dbf8be17273743c218b596b9107909b0fc55d96dba4d56614ad23e428ebcaa23976e7498852c326fff9886f0fc7e72d4a8442675c5ce34acae6d0e";
const GOLDEN_COMMAND_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e05696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e6174757265584027934613bf326bee5bbd6ff01475359df866a16d038528aa12e0bc607ca7082280652e6d55d82960074daa7160d4a95d9e43a11d990940e6c70be650e11cd608";
const GOLDEN_RESPONSE_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645902feb16776657273696f6e05696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6c726571756573745f686173685820c7ab50f49e02bb80c4d341666f053c015762c70787961a14a56a8c0791d557346772656675736564f6716c6173745f61636365707465645f736571f6686f7574636f6d657381a16673746f726564815820cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd716a6f75726e616c5f636f6e6669726d6564a265636f756e740264686561645820abababababababababababababababababababababababababababababababab6b72656c61795f65706f636850eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee6a636f6d6d69745f736571182a706261636b75705f77617465726d61726b18286772656d6f76656481782430313963653061302d366138302d373030302d383030302d30303030303030303030303268636f6d6d616e64738158d6a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e05696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e6174757265584027934613bf326bee5bbd6ff01475359df866a16d038528aa12e0bc607ca7082280652e6d55d82960074daa7160d4a95d9e43a11d990940e6c70be650e11cd608656576656e744d6576656e74206368616e6765736670756c6c656481a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030336b72656365697665645f61741b0000019ce1833b80676368616e676573476368616e6765736977697468647261776e81782430313963653061302d366138302d373030302d383030302d30303030303030303030303466637572736f724b6e65787420637572736f72646d6f7265f4697369676e617475726558407bf4fabde554df1cb2445e06580084054887c5cb0d1756f50fc6f132da99052521b91ef2b6b59d0075f85817b582c66d5da7629ce34f44ab5addc66e8b33780b";

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
        log_key: None,
        witness_keys: Vec::new(),
    };
    enrollment::EnrollResponse::new(&golden_code().answer_secret(), &device, &answer)
}

const GOLDEN_ENROLL_REQUEST_HEX: &str = "a66776657273696f6e056b636f64655f6c6f6f6b75705820a77bcbce7b9cecf0ab29641dd1faa4c6bdd9da032d09037e154273aa1e27066a6a6465766963655f6b657958208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c64726f6c65656b696f736b6570726f6f665840969bfd94f128c3a0c7ab57e51e3b45cd9647c119c15e92bb1a3e2b3344b51d2960cedd94c14142a48cd79567e1cc377c5cf31d63b50e9bc0372d13af176bef026a636f64655f70726f6f665820c0aa470a7405bd953675a3bbf2d535cccd57fe29bd19f5b7d6d89a52bd671282";
const GOLDEN_ENROLL_RESPONSE_HEX: &str = "a266616e73776572590198a36b6365727469666963617465a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645887a76776657273696f6e056a6465766963655f6b657958208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c686576656e745f69646964656d6f2d6661697264726f6c65656b696f736b69726563727569746572f6696973737565645f61741b0000019ce1833b806a657870697265735f61741b000001a439346780697369676e61747572655840156c61ab92c1481cbe773bc65f26032f5dc65cf4e210264be63b6e3b4ecd1e9f401e188d1ad1eb74b01a4ac9c2c7fef7d0c4df5b79e1b8001553fb7f6fa4a90e7172656c61795f7369676e696e675f6b657958208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3947172656c61795f7365616c696e675f6b6579a2666b65795f6964486bf94b40917931a56a7075626c69635f6b6579582090ab790ecbf0704232ffe9436faeccc913b66a60e99c688a40bba4d5e2e6145063746167582031ec4abc36ecf859c4c5d6a51cb027abcd9c1592191d59eb55d5f34b2ee9d205";

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
    assert_eq!(
        entry(&request, "version").as_integer(),
        Some(PROTOCOL_VERSION.into())
    );
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
    assert_eq!(
        entry(&payload, "version").as_integer(),
        Some(PROTOCOL_VERSION.into())
    );
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
#[ignore = "prints the golden vectors after a deliberate protocol change"]
fn print_golden_vectors() {
    let request = SignedEnvelope::sign(PUSH_TAG, &golden_request(), &device_key()).to_bytes();
    let response = SignedEnvelope::sign(
        RECEIPT_TAG,
        &golden_response(SignedEnvelope::hash(&request)),
        &relay_key(),
    )
    .to_bytes();
    println!("REQUEST {}", hex::encode(&request));
    println!("RESPONSE {}", hex::encode(&response));
    println!("COMMAND {}", hex::encode(&golden_command().0));
    println!("ROTATION {}", hex::encode(&golden_rotation().0));
    println!(
        "ENROLL_REQUEST {}",
        hex::encode(crate::cbor::to_vec(&golden_enroll_request()))
    );
    println!(
        "ENROLL_RESPONSE {}",
        hex::encode(crate::cbor::to_vec(&golden_enroll_response()))
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
    assert_eq!(
        hex::encode(&golden_rotation().0),
        GOLDEN_ROTATION_HEX,
        "key rotation command bytes changed: bump the protocol version"
    );
    let flattened: String = document.split_whitespace().collect();
    assert!(
        flattened.contains(GOLDEN_ROTATION_HEX),
        "docs/protocol.md shows the key rotation command vector"
    );
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

/// The golden request of a tablet that holds a log checkpoint of 5 leaves.
fn golden_log_request() -> SyncRequest {
    SyncRequest {
        log_size: 5,
        log_features: Vec::new(),
        log_witnesses: Vec::new(),
        ..golden_request()
    }
}

/// The log key of the golden vectors: seed 3, origin `relay.example/kiosk-log`.
fn golden_log_signer() -> crate::tlog::note::NoteSigner {
    crate::tlog::note::NoteSigner::new("relay.example/kiosk-log", &SigningKey::from_bytes(&[3; 32]))
        .expect("a signer")
}

/// The golden answer with the log's fields: a tree of 8 leaves (`leaf i` is the byte `i`),
/// its checkpoint, the consistency proof from 5 and leaf 7's inclusion proof.
fn golden_log_response(request_hash: [u8; 32]) -> SyncResponse {
    let leaves: Vec<Vec<u8>> = (0u8..8).map(|i| vec![i]).collect();
    let tree = crate::tlog::tree::MemoryTree::from_entries(leaves.iter().map(Vec::as_slice));
    let body = crate::tlog::checkpoint::Checkpoint::new("relay.example/kiosk-log", 8, tree.root())
        .to_body();
    SyncResponse {
        log_key: Some(golden_log_signer().verifier().to_string()),
        log_checkpoint: Some(golden_log_signer().sign(&body).expect("signs")),
        log_consistency: tree.consistency_proof(5, 8).expect("proof"),
        log_inclusions: vec![LogInclusion {
            push: 0,
            index: 7,
            leaf: leaves[7].clone(),
            proof: tree.inclusion_proof(7, 8).expect("proof"),
            nonce: None,
        }],
        ..golden_response(request_hash)
    }
}

const GOLDEN_LOG_REQUEST_HEX: &str = "a3667369676e657258208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c677061796c6f6164590175a96776657273696f6e05696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c63736571076773656e745f61741b0000019ce1833b80676a6f75726e616ca265636f756e740264686561645820abababababababababababababababababababababababababababababababab6670757368657381a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030316b6a6f75726e616c5f7365710264626f6479a1667365616c6564467365616c65646470756c6ca4686576656e745f69646964656d6f2d666169726b6576656e745f686561647381582011111111111111111111111111111111111111111111111111111111111111116d726567697374726174696f6e73f566637572736f7246637572736f726972656c61795f6b657958208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394686c6f675f73697a6505697369676e61747572655840515169914a9d6d852685f62c9e381c423a72b8f7fad4936df0a7f9ffa0f34614e70fe23a19a4124777504e81fa05edc46a4c20122308d6125523e28a92c10906";
const GOLDEN_LOG_RESPONSE_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f6164590552b56776657273696f6e05696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6c726571756573745f6861736858209f1f6d973723b84862376a8092a2c68768ba5078080bb5a96a5d9ba311eda0ef6772656675736564f6716c6173745f61636365707465645f736571f6686f7574636f6d657381a16673746f726564815820cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd716a6f75726e616c5f636f6e6669726d6564a265636f756e740264686561645820abababababababababababababababababababababababababababababababab6b72656c61795f65706f636850eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee6a636f6d6d69745f736571182a706261636b75705f77617465726d61726b18286772656d6f76656481782430313963653061302d366138302d373030302d383030302d30303030303030303030303268636f6d6d616e64738158d6a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e05696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e6174757265584027934613bf326bee5bbd6ff01475359df866a16d038528aa12e0bc607ca7082280652e6d55d82960074daa7160d4a95d9e43a11d990940e6c70be650e11cd608656576656e744d6576656e74206368616e6765736670756c6c656481a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030336b72656365697665645f61741b0000019ce1833b80676368616e676573476368616e6765736977697468647261776e81782430313963653061302d366138302d373030302d383030302d30303030303030303030303466637572736f724b6e65787420637572736f72646d6f7265f4676c6f675f6b6579784d72656c61792e6578616d706c652f6b696f736b2d6c6f672b33653238333266382b4165314a4b4d596f30634c4736756b444f4a425a6c57457057536336584750354e6a624252685373687a66526e6c6f675f636865636b706f696e7478c172656c61792e6578616d706c652f6b696f736b2d6c6f670a380a3733394a74694432782b71626c6a6f6854614e4c5543484733746a7456334e44674b4d5271334a717151633d0a0ae280942072656c61792e6578616d706c652f6b696f736b2d6c6f6720506967792b416376737144467761796e3050362b5239395437347631353339446d6657614b796a712b53314448757564422b6e4b514c534d4c434e7873332b773375614954304c4b46364e542b6172484333765931507a4c6341343d0a6f6c6f675f636f6e73697374656e63798458204f35212d12f9ad2036492c95f1fe79baf4ec7bd9bef3dffa7579f2293ff546a458209f1afa4dc124cba73134e82ff50f17c8f7164257c79fed9a13f5943a6acb8e3d5820bbb0feb32f648c73fe170518bcec1f675af1b780dc23d6fbf30b745c1ca5fa1158209bcd51240af4005168f033121ba85be5a6ed4f0e6a5fac262066729b8fbfdecb6e6c6f675f696e636c7573696f6e7381a464707573680065696e64657807646c65616641076570726f6f6683582040d88127d4d31a3891f41598eeed41174e5bc89b1eb9bbd66a8cbfc09956a3fd58204b8c129ed14cce2c08cfc6766db7f8cdb133b5f698b8de3d5890ea7ff7f0a8d158209bcd51240af4005168f033121ba85be5a6ed4f0e6a5fac262066729b8fbfdecb697369676e617475726558400061b2ec5d117b10c25a3e04dd08f21473ad51aafaa6428e8c3a1608d031e4378b1c8877d439e1f211e69ee8d2e442a23e858c1a1c3482d20f9094187d626007";

#[test]
#[ignore = "prints the golden vectors of the log's fields after a deliberate change"]
fn print_golden_log_vectors() {
    let request = SignedEnvelope::sign(PUSH_TAG, &golden_log_request(), &device_key()).to_bytes();
    let response = SignedEnvelope::sign(
        RECEIPT_TAG,
        &golden_log_response(SignedEnvelope::hash(&request)),
        &relay_key(),
    )
    .to_bytes();
    println!("LOG_REQUEST {}", hex::encode(&request));
    println!("LOG_RESPONSE {}", hex::encode(&response));
    println!(
        "LOG_CHECKPOINT {:?}",
        golden_log_response([0; 32]).log_checkpoint
    );
}

/// The log's fields are optional map entries within version 5: messages without them keep
/// their bytes (the golden vectors above), and messages with them are pinned here and shown
/// in `docs/protocol.md`.
#[test]
fn golden_vectors_of_the_log_fields_pin_the_bytes_and_the_protocol_document_shows_them() {
    let request = SignedEnvelope::sign(PUSH_TAG, &golden_log_request(), &device_key()).to_bytes();
    assert_eq!(hex::encode(&request), GOLDEN_LOG_REQUEST_HEX);
    let response = SignedEnvelope::sign(
        RECEIPT_TAG,
        &golden_log_response(SignedEnvelope::hash(&request)),
        &relay_key(),
    )
    .to_bytes();
    assert_eq!(hex::encode(&response), GOLDEN_LOG_RESPONSE_HEX);
    let flattened: String = include_str!("../../../docs/protocol.md")
        .split_whitespace()
        .collect();
    assert!(flattened.contains(GOLDEN_LOG_REQUEST_HEX));
    assert!(flattened.contains(GOLDEN_LOG_RESPONSE_HEX));
    // Round trips, and the answer's proofs verify as the tablet checks them.
    let opened = open_response(
        &response,
        &relay_key().verifying_key(),
        &device_key().verifying_key().to_bytes(),
        &SignedEnvelope::hash(&request),
    )
    .expect("opens");
    assert_eq!(opened, golden_log_response(SignedEnvelope::hash(&request)));
    let note = opened.log_checkpoint.expect("a checkpoint");
    let text = crate::tlog::note::open(&note, &[golden_log_signer().verifier()]).expect("signed");
    let checkpoint = crate::tlog::checkpoint::Checkpoint::parse(&text.text).expect("parses");
    let inclusion = &opened.log_inclusions[0];
    crate::tlog::tree::verify_inclusion(
        &crate::tlog::hash::leaf_hash(&inclusion.leaf),
        inclusion.index,
        checkpoint.size,
        &inclusion.proof,
        &checkpoint.root,
    )
    .expect("the inclusion proof verifies");
}

/// A version-5 peer that predates the log reads an answer with the log's fields (unknown
/// map keys are skipped), and a current tablet reads an answer without them: no version
/// step is needed.
#[test]
fn the_log_fields_are_ignored_by_a_peer_without_them_and_optional_for_one_with_them() {
    #[derive(serde::Deserialize)]
    struct EarlierResponse {
        version: u16,
        outcomes: Vec<PushOutcome>,
        more: bool,
    }
    let payload = crate::cbor::to_vec(&golden_log_response([0; 32]));
    let earlier: EarlierResponse =
        ciborium::from_reader(payload.as_slice()).expect("unknown keys are skipped");
    assert_eq!(
        (earlier.version, earlier.outcomes.len(), earlier.more),
        (PROTOCOL_VERSION, 1, false)
    );
    #[derive(serde::Deserialize)]
    struct EarlierRequest {
        seq: u64,
    }
    let request = crate::cbor::to_vec(&golden_log_request());
    let earlier: EarlierRequest =
        ciborium::from_reader(request.as_slice()).expect("unknown keys are skipped");
    assert_eq!(earlier.seq, 7);
    // Without the fields: read as empty.
    let without = crate::cbor::to_vec(&golden_response([0; 32]));
    let read: SyncResponse = ciborium::from_reader(without.as_slice()).expect("reads");
    assert_eq!(read.log_checkpoint, None);
    assert!(read.log_consistency.is_empty() && read.log_inclusions.is_empty());
    let read: SyncRequest =
        ciborium::from_reader(crate::cbor::to_vec(&golden_request()).as_slice()).expect("reads");
    assert_eq!(read.log_size, 0);
    // The enrollment answer's log key likewise.
    let answer = crate::cbor::to_vec(&enrollment::EnrollAnswer {
        log_key: Some(golden_log_signer().verifier().to_string()),
        ..ciborium::from_reader(golden_enroll_response().answer.as_slice()).expect("reads")
    });
    let read: enrollment::EnrollAnswer = ciborium::from_reader(answer.as_slice()).expect("reads");
    assert_eq!(
        read.log_key,
        Some(golden_log_signer().verifier().to_string())
    );
}

/// An inclusion's nonce is an optional 32-byte string: left out when absent (the golden
/// bytes above keep theirs), round-tripped when present, refused at any other length.
#[test]
fn an_inclusions_nonce_is_left_out_when_absent_and_must_be_32_bytes() {
    let without = LogInclusion {
        push: 0,
        index: 7,
        leaf: vec![7],
        proof: vec![[1; 32]],
        nonce: None,
    };
    let bytes = crate::cbor::to_vec(&without);
    assert!(!bytes.windows(5).any(|w| w == b"nonce"), "no nonce key");
    let back: LogInclusion = ciborium::from_reader(bytes.as_slice()).expect("decodes");
    assert_eq!(back, without);
    let with = LogInclusion {
        nonce: Some([9; 32]),
        ..without
    };
    let bytes = crate::cbor::to_vec(&with);
    let back: LogInclusion = ciborium::from_reader(bytes.as_slice()).expect("decodes");
    assert_eq!(back, with);
    // The nonce cut to 31 bytes: its length prefix 0x58 0x20 becomes 0x58 0x1f.
    let at = bytes
        .windows(34)
        .position(|w| w[..2] == [0x58, 0x20] && w[2..] == [9; 32])
        .expect("the nonce's bytes");
    let mut short = bytes;
    short[at + 1] = 0x1f;
    short.remove(at + 2);
    let refused = ciborium::from_reader::<LogInclusion, _>(short.as_slice());
    assert!(refused.is_err(), "a 31-byte nonce is refused");
}

/// `log_features` is bounded while it is decoded: 16 names of 64 bytes are read, a 17th
/// name or a 65-byte one refuses the request, naming the field.
#[test]
fn log_features_past_sixteen_names_or_sixty_four_bytes_are_refused_while_decoding() {
    let with = |features: Vec<String>| {
        crate::cbor::to_vec(&SyncRequest {
            log_features: features,
            ..golden_log_request()
        })
    };
    let decode = |bytes: Vec<u8>| ciborium::from_reader::<SyncRequest, _>(bytes.as_slice());
    let most = vec!["f".repeat(MAX_LOG_FEATURE_BYTES); MAX_LOG_FEATURES];
    let read = decode(with(most.clone())).expect("the most a request may name");
    assert_eq!(read.log_features, most);
    let too_many = decode(with(vec!["f".to_owned(); MAX_LOG_FEATURES + 1]))
        .expect_err("a 17th name is refused");
    assert!(too_many.to_string().contains("log_features"), "{too_many}");
    let too_long = decode(with(vec!["f".repeat(MAX_LOG_FEATURE_BYTES + 1)]))
        .expect_err("a 65-byte name is refused");
    assert!(too_long.to_string().contains("log_features"), "{too_long}");
}

/// `log_witnesses` is bounded while it is decoded, as `log_features` is: 16 names of the
/// longest key name a note allows (with `+` and the key ID) are read, a 17th name or a
/// longer one is refused naming the field.
#[test]
fn log_witnesses_past_sixteen_names_or_the_longest_key_name_are_refused_while_decoding() {
    let with = |witnesses: Vec<String>| {
        crate::cbor::to_vec(&SyncRequest {
            log_witnesses: witnesses,
            ..golden_log_request()
        })
    };
    let decode = |bytes: Vec<u8>| ciborium::from_reader::<SyncRequest, _>(bytes.as_slice());
    let most = vec!["w".repeat(MAX_LOG_WITNESS_BYTES); MAX_LOG_WITNESSES];
    let read = decode(with(most.clone())).expect("the most a request may name");
    assert_eq!(read.log_witnesses, most);
    let too_many = decode(with(vec!["w".to_owned(); MAX_LOG_WITNESSES + 1]))
        .expect_err("a 17th name is refused");
    assert!(too_many.to_string().contains("log_witnesses"), "{too_many}");
    let too_long = decode(with(vec!["w".repeat(MAX_LOG_WITNESS_BYTES + 1)]))
        .expect_err("a longer name is refused");
    assert!(too_long.to_string().contains("log_witnesses"), "{too_long}");
}

/// The witnesses a request names are an optional map entry: a request naming none keeps
/// the bytes it had (the golden vectors), a relay before the field skips it, and a current
/// relay reads a request without it as naming none. A witness is named by its vkey's name
/// and key ID, never its key.
#[test]
fn the_named_witnesses_are_ignored_by_a_relay_without_them_and_optional_for_one_with_them() {
    let witness = crate::tlog::cosignature::CosignatureSigner::new(
        "arkiv.example.se/witness",
        &SigningKey::from_bytes(&[9; 32]),
    )
    .expect("a witness")
    .verifier();
    let name = witness_key_name(witness.name(), witness.key_id());
    let vkey = witness.to_string();
    assert!(vkey.starts_with(&format!("{name}+")), "{name} / {vkey}");
    assert_eq!(name.matches('+').count(), 1);
    let request = SyncRequest {
        log_witnesses: vec![name.clone()],
        ..golden_log_request()
    };
    let bytes = crate::cbor::to_vec(&request);
    #[derive(serde::Deserialize)]
    struct EarlierRequest {
        seq: u64,
        log_size: u64,
    }
    let earlier: EarlierRequest =
        ciborium::from_reader(bytes.as_slice()).expect("unknown keys are skipped");
    assert_eq!((earlier.seq, earlier.log_size), (7, 5));
    let read: SyncRequest = ciborium::from_reader(bytes.as_slice()).expect("reads");
    assert_eq!(read.log_witnesses, vec![name]);
    let without = crate::cbor::to_vec(&golden_log_request());
    assert!(bytes.len() > without.len());
    let read: SyncRequest = ciborium::from_reader(without.as_slice()).expect("reads");
    assert!(read.log_witnesses.is_empty());
}

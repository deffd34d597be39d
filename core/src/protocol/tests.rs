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

const GOLDEN_REQUEST_HEX: &str = "a3667369676e657258208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c677061796c6f616459013fa76776657273696f6e03696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c63736571076773656e745f61741b0000019ce1833b80676a6f75726e616ca265636f756e740264686561645820abababababababababababababababababababababababababababababababab6670757368657381a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030316b6a6f75726e616c5f7365710264626f6479a1667365616c6564467365616c65646470756c6ca4686576656e745f69646964656d6f2d666169726b6576656e745f686561647381582011111111111111111111111111111111111111111111111111111111111111116d726567697374726174696f6e73f566637572736f7246637572736f72697369676e617475726558400ac985b5068afc0276e8091c9ab2956af13a977699533e618b222b9fc10c0ea32015fd2f3e8765488f0c1a0deecd15ecfbb64a59e8f435db5fa34301844d5803";
const GOLDEN_COMMAND_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e03696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e61747572655840187ff82cde56e64cfde7e3b5b81904134045f5865544ce5ff6b6ccd86e1664e2d46fe3a1e155ccb4d07ef007f6de7ae89e9126389f85868172fc163e8efbda0c";
const GOLDEN_RESPONSE_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645902cdb06776657273696f6e03696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6c726571756573745f686173685820d21c971eee3411866091412f27b55228c91096269d5e89db3d78583bdab121fc6772656675736564f6716c6173745f61636365707465645f736571f6686f7574636f6d657381a16673746f726564815820cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd716a6f75726e616c5f636f6e6669726d6564a265636f756e740264686561645820abababababababababababababababababababababababababababababababab6b72656c61795f65706f636850eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee6a636f6d6d69745f736571182a706261636b75705f77617465726d61726b18286772656d6f76656481782430313963653061302d366138302d373030302d383030302d30303030303030303030303268636f6d6d616e64738158d6a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f61645856a46776657273696f6e03696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c67636f6d6d616e646477697065696973737565645f61741b0000019ce1833b80697369676e61747572655840187ff82cde56e64cfde7e3b5b81904134045f5865544ce5ff6b6ccd86e1664e2d46fe3a1e155ccb4d07ef007f6de7ae89e9126389f85868172fc163e8efbda0c656576656e744d6576656e74206368616e6765736670756c6c656481a366646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030336b72656365697665645f61741b0000019ce1833b80676368616e676573476368616e67657366637572736f724b6e65787420637572736f72646d6f7265f4697369676e617475726558407ca34ed34b81f9b58bbbe53dce20960a15683aa7574aca816c45b4563229dffc99dcf1e076eaabd10be08ccadee0a941d16d6b92e559130297c16a4026b81304";

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

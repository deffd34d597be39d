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
            kind: DocumentKind::Registration,
            journal_seq: Some(2),
            body: PushBody::Sealed(b"sealed".to_vec()),
        }],
    }
}

fn golden_response(request_hash: [u8; 32]) -> SyncResponse {
    SyncResponse {
        version: PROTOCOL_VERSION,
        device_id: device_key().verifying_key().to_bytes(),
        request_hash,
        refused: None,
        last_accepted_seq: None,
        receipts: vec![StoredReceipt {
            doc_id: "019ce0a0-6a80-7000-8000-000000000001".into(),
            stored_hashes: vec![[0xCD; 32]],
        }],
        quarantined: vec![],
        rejected: vec![],
        journal_confirmed: JournalState {
            count: 2,
            head: [0xAB; 32],
        },
        backup_watermark: Some(1_773_300_000_000),
        removed: vec![],
        commands: vec![],
    }
}

const GOLDEN_REQUEST_HEX: &str = "a3667369676e657258208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c677061796c6f616458eca66776657273696f6e01696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c63736571076773656e745f61741b0000019ce1833b80676a6f75726e616ca265636f756e740264686561645820abababababababababababababababababababababababababababababababab6670757368657381a466646f635f6964782430313963653061302d366138302d373030302d383030302d303030303030303030303031646b696e646c726567697374726174696f6e6b6a6f75726e616c5f7365710264626f6479a1667365616c6564467365616c6564697369676e6174757265584004869e92b68d9a9b1bb8cef403febf43388ecfea96de43f83f4ab3b9610ce77b2e5c5f0e97c6cfff2cc815e483363ded6879f5cbd3ed39ce6f5661724e954901";
const GOLDEN_RESPONSE_HEX: &str = "a3667369676e657258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394677061796c6f616459016fac6776657273696f6e01696465766963655f696458208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6c726571756573745f686173685820c0b4a359814f425ac5c2aadee7c9fa77e729b1a326eaac976b657182b6b97b056772656675736564f6716c6173745f61636365707465645f736571f668726563656970747381a266646f635f6964782430313963653061302d366138302d373030302d383030302d3030303030303030303030316d73746f7265645f686173686573815820cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd6b71756172616e74696e6564806872656a656374656480716a6f75726e616c5f636f6e6669726d6564a265636f756e740264686561645820abababababababababababababababababababababababababababababababab706261636b75705f77617465726d61726b1b0000019ce0eaa5006772656d6f7665648068636f6d6d616e647380697369676e61747572655840ee338441ee6dc07232d5969781bcb801d98ec40e254f24c836a4b79ea356556875423d9647a29c745f286fe3d268ca1ec5e8dd9c4fa0ccc845658b9b46a9690b";

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
    let flattened: String = document.split_whitespace().collect();
    assert!(
        flattened.contains(GOLDEN_REQUEST_HEX),
        "docs/protocol.md shows the request vector"
    );
    assert!(
        flattened.contains(GOLDEN_RESPONSE_HEX),
        "docs/protocol.md shows the response vector"
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

//! What a kiosk makes of a submission before anything touches disk: the capture signature
//! over the document's change hashes, and the seal that only the relay can open.
//!
//! Sealing is HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
//! ChaCha20-Poly1305, to the relay's pinned key. The sealed envelope names that key's id so
//! the relay can rotate keys. The payload inside carries the document and the capture
//! signature, so the relay can prove later, offline, which enrolled device captured it.

use automerge::ChangeHash;
use ed25519_dalek::{Signature, VerifyingKey};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::documents::{BoundError, ChunkLimits, check_change_chunks};
use crate::identity::DeviceIdentity;
use crate::ids::{DeviceId, RegistrationId};
use crate::receipt::ReceiptSecret;

/// Domain tag of capture signatures.
pub const CAPTURE_TAG: &[u8] = b"kiosk-capture-v1";
/// HPKE `info` of sealed captures.
const SEAL_INFO: &[u8] = b"kiosk-seal-v1";
/// HPKE exporter context of a capture's receipt code: the sender knows the exported secret
/// only while it seals, the relay whenever it opens the seal; nothing on the tablet's disk
/// derives it.
const RECEIPT_CODE_EXPORT: &[u8] = b"kiosk-receipt-code-v1";
/// Format 3 seals carry the visitor's receipt hash beside the document; format 2 (before
/// receipts) is still opened, for captures a tablet sealed before it was updated.
const SEAL_FORMAT_VERSION: u8 = 3;
const SEAL_FORMAT_WITHOUT_RECEIPT: u8 = 2;
/// A relay key id is the first 8 bytes of a hash of the key, shown as 16 hex digits.
const KEY_ID_LEN: usize = 8;

/// Why a seal could not be made or opened. Says nothing of its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the relay public key is not a valid X25519 key")]
    InvalidRelayKey,
    #[error("sealed for relay key {0}, which this relay does not hold")]
    UnknownKeyId(String),
    #[error("the sealed capture is malformed")]
    Malformed,
    #[error("the sealed capture does not open with this key")]
    DoesNotOpen,
    #[error("the capture signature does not verify")]
    BadCaptureSignature,
    #[error("the sealed document is not the one the capture signature names")]
    DocumentMismatch,
    /// Refused before the document was read (see [`crate::documents::bounds`]).
    #[error("the sealed document is not a capture's size: {0}")]
    TooLarge(BoundError),
}

/// The bytes a capture signature covers: the tag, the capturing device, the document id, then
/// each change hash, length-prefixed so no two inputs give the same message.
pub fn capture_message(
    device: &DeviceId,
    doc_id: &RegistrationId,
    change_hashes: &[ChangeHash],
) -> Vec<u8> {
    let mut message = Vec::with_capacity(CAPTURE_TAG.len() + 80 + 32 * change_hashes.len());
    message.extend_from_slice(CAPTURE_TAG);
    message.extend_from_slice(
        device
            .public_key()
            .map(|k| k.to_bytes())
            .unwrap_or_default()
            .as_slice(),
    );
    let id = doc_id.as_str().as_bytes();
    message.extend_from_slice(&(id.len() as u32).to_be_bytes());
    message.extend_from_slice(id);
    message.extend_from_slice(&(change_hashes.len() as u32).to_be_bytes());
    for hash in change_hashes {
        message.extend_from_slice(&hash.0);
    }
    message
}

/// The relay's public sealing key as a tablet pins it.
///
/// On the wire (the enrollment answer, protocol version 4) and in the device store it is a
/// CBOR map `{key_id: bytes (8), public_key: bytes (32)}`; in Rust the id is the 16 hex
/// digits people are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WireSealingKey", from = "WireSealingKey")]
pub struct RelaySealingKey {
    pub key_id: String,
    pub public_key: [u8; 32],
}

/// [`RelaySealingKey`] as CBOR: byte strings, not hex text and arrays of integers.
#[derive(Serialize, Deserialize)]
struct WireSealingKey {
    #[serde(with = "crate::cbor::array")]
    key_id: [u8; KEY_ID_LEN],
    #[serde(with = "crate::cbor::array")]
    public_key: [u8; 32],
}

impl From<RelaySealingKey> for WireSealingKey {
    fn from(key: RelaySealingKey) -> WireSealingKey {
        WireSealingKey {
            // A key id that is not 8 bytes of hex never matches a derived one: such a key
            // is refused wherever it is pinned or opened, so zeros stand in for it here.
            key_id: key.key_id_bytes().unwrap_or_default(),
            public_key: key.public_key,
        }
    }
}

impl From<WireSealingKey> for RelaySealingKey {
    fn from(key: WireSealingKey) -> RelaySealingKey {
        RelaySealingKey {
            key_id: hex::encode(key.key_id),
            public_key: key.public_key,
        }
    }
}

/// [`RelaySealingKey`] as protocol version 3 spelled it (hex text and an array of 32
/// integers): what tablets enrolled before version 4 keep in their store.
#[derive(Deserialize)]
struct LegacySealingKey {
    key_id: String,
    public_key: [u8; 32],
}

impl RelaySealingKey {
    /// Reads a key as the device store keeps it: the current CBOR, or the version-3 shape
    /// a tablet enrolled before version 4 wrote.
    pub fn from_stored(bytes: &[u8]) -> Option<RelaySealingKey> {
        if let Ok(key) = ciborium::from_reader::<RelaySealingKey, _>(bytes) {
            return Some(key);
        }
        let legacy: LegacySealingKey = ciborium::from_reader(bytes).ok()?;
        Some(RelaySealingKey {
            key_id: legacy.key_id,
            public_key: legacy.public_key,
        })
    }
}

impl RelaySealingKey {
    /// The key with its id derived from the key bytes.
    pub fn new(public_key: [u8; 32]) -> Result<RelaySealingKey, SealError> {
        <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(&public_key)
            .map_err(|_| SealError::InvalidRelayKey)?;
        let digest = Sha256::new()
            .chain_update(b"kiosk-relay-key-id-v1")
            .chain_update(public_key)
            .finalize();
        Ok(RelaySealingKey {
            key_id: hex::encode(&digest[..KEY_ID_LEN]),
            public_key,
        })
    }

    /// The key id as it travels in a seal.
    fn key_id_bytes(&self) -> Option<[u8; KEY_ID_LEN]> {
        hex::decode(&self.key_id).ok()?.try_into().ok()
    }
}

/// The relay's private sealing key. Lives on the relay; tests make their own.
pub struct RelayOpeningKey {
    key_id: String,
    key_id_bytes: [u8; KEY_ID_LEN],
    private: <X25519HkdfSha256 as Kem>::PrivateKey,
    public: RelaySealingKey,
}

impl std::fmt::Debug for RelayOpeningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RelayOpeningKey({})", self.key_id)
    }
}

impl RelayOpeningKey {
    pub fn generate() -> RelayOpeningKey {
        let (private, public) = X25519HkdfSha256::gen_keypair();
        Self::from_pair(private, public)
    }

    /// The key pair derived from `seed` (deterministic, for fixed test vectors).
    pub fn from_seed(seed: &[u8; 32]) -> RelayOpeningKey {
        let (private, public) = X25519HkdfSha256::derive_keypair(seed);
        Self::from_pair(private, public)
    }

    fn from_pair(
        private: <X25519HkdfSha256 as Kem>::PrivateKey,
        public: <X25519HkdfSha256 as Kem>::PublicKey,
    ) -> RelayOpeningKey {
        let bytes: [u8; 32] = public.to_bytes().into();
        let public = RelaySealingKey::new(bytes).expect("a generated key is valid");
        RelayOpeningKey {
            key_id: public.key_id.clone(),
            key_id_bytes: public.key_id_bytes().expect("a derived id is 8 bytes"),
            private,
            public,
        }
    }

    pub fn sealing_key(&self) -> &RelaySealingKey {
        &self.public
    }

    /// Opens a sealed capture, reads the document, and verifies the capture signature over
    /// the device, id and change hashes the document itself holds; returns the document
    /// read, so no one reads it twice. The document's bytes are bounded as a capture's
    /// before they are read.
    pub fn open(&self, sealed: &[u8]) -> Result<OpenedCapture, SealError> {
        self.unseal(sealed)?.read()
    }

    /// Decrypts a sealed capture without reading the document inside: HPKE and CBOR only,
    /// bounded by the sealed bytes.
    pub fn unseal(&self, sealed: &[u8]) -> Result<UnsealedCapture, SealError> {
        let SealedEnvelope(version, key_id, encapped_key, ciphertext) =
            ciborium::from_reader(sealed).map_err(|_| SealError::Malformed)?;
        if version != SEAL_FORMAT_VERSION && version != SEAL_FORMAT_WITHOUT_RECEIPT {
            return Err(SealError::Malformed);
        }
        if key_id != self.key_id_bytes {
            return Err(SealError::UnknownKeyId(hex::encode(key_id)));
        }
        let encapped = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&encapped_key)
            .map_err(|_| SealError::Malformed)?;
        // Single-shot HPKE spelled out, so the receipt code can be exported from the context.
        let mut context = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &self.private,
            &encapped,
            SEAL_INFO,
        )
        .map_err(|_| SealError::DoesNotOpen)?;
        let plaintext = context
            .open(&ciphertext, &key_id)
            .map_err(|_| SealError::DoesNotOpen)?;
        let mut code_secret = [0u8; receipt_code::SECRET_LEN];
        context
            .export(RECEIPT_CODE_EXPORT, &mut code_secret)
            .map_err(|_| SealError::DoesNotOpen)?;
        let (document, capture_signature, receipt_hash) = if version == SEAL_FORMAT_VERSION {
            let SealedPayload(document, capture_signature, receipt_hash) =
                ciborium::from_reader(plaintext.as_slice()).map_err(|_| SealError::Malformed)?;
            (document, capture_signature, Some(receipt_hash))
        } else {
            let SealedPayloadWithoutReceipt(document, capture_signature) =
                ciborium::from_reader(plaintext.as_slice()).map_err(|_| SealError::Malformed)?;
            (document, capture_signature, None)
        };
        Ok(UnsealedCapture {
            document,
            capture_signature,
            receipt_code: receipt_code::from_secret(&code_secret),
            receipt_hash,
        })
    }
}

/// A sealed capture decrypted, its document not yet read.
#[derive(Debug)]
pub struct UnsealedCapture {
    document: Vec<u8>,
    capture_signature: Vec<u8>,
    receipt_code: String,
    receipt_hash: Option<[u8; 32]>,
}

impl UnsealedCapture {
    /// Checks that the document is within a capture's bounds and that the capture signature
    /// verifies for `device` over `doc_id` (as the push names it) and the change hashes
    /// computed from the bytes, without handing them to Automerge. What passes is an
    /// authentic capture of that device whatever its content: enough to keep it in
    /// quarantine, never enough to store it as a record (see [`SignedUnread::read`]).
    pub fn verify_unread(
        self,
        device: &VerifyingKey,
        doc_id: &str,
    ) -> Result<SignedUnread, SealError> {
        let checked =
            check_change_chunks(&self.document, &ChunkLimits::CAPTURE).map_err(refused_bytes)?;
        let doc_id = RegistrationId::parse(doc_id).ok_or(SealError::BadCaptureSignature)?;
        let payload = CapturePayload {
            doc_id,
            device_id: DeviceId::from_public_key(device),
            document: self.document,
            change_hashes: checked.hashes,
            capture_signature: self.capture_signature,
            receipt_code: self.receipt_code,
            receipt_hash: self.receipt_hash,
        };
        // With the caller's key, not one decoded again from the id made of it: decoding an
        // Ed25519 key is a point decompression, paid once per request by the relay.
        payload.verify_signature_with(device)?;
        Ok(SignedUnread { payload })
    }

    /// Reads the document (within a capture's bounds) and verifies the capture signature over
    /// the device, id and change hashes the document itself holds.
    pub fn read(self) -> Result<OpenedCapture, SealError> {
        // The ids and hashes are read from the document, so they cannot disagree with it; the
        // signature then decides whether the device named in it captured exactly this.
        let (mut document, registration) = load_capture(&self.document)?;
        let payload = CapturePayload {
            doc_id: registration.id.clone(),
            device_id: registration.capturing_device.clone(),
            change_hashes: document.change_hashes().iter().map(|h| h.0).collect(),
            document: self.document,
            capture_signature: self.capture_signature,
            receipt_code: self.receipt_code,
            receipt_hash: self.receipt_hash,
        };
        payload.verify_signature()?;
        Ok(OpenedCapture {
            payload,
            document,
            registration,
        })
    }
}

/// A capture whose signature verified over the ids its push names and the change hashes of
/// its bytes ([`UnsealedCapture::verify_unread`]), its document not yet read.
#[derive(Debug)]
pub struct SignedUnread {
    payload: CapturePayload,
}

impl SignedUnread {
    /// The change hashes the signature covers, computed from the document's bytes.
    pub fn change_hashes(&self) -> &[[u8; 32]] {
        &self.payload.change_hashes
    }

    /// Reads the document (within a capture's bounds) and checks that it is the one signed:
    /// its registration id, capturing device and change hashes are exactly those the
    /// verified signature covers, so the signature is not checked a second time.
    pub fn read(self) -> Result<OpenedCapture, SealError> {
        // The bytes passed `check_change_chunks` within a capture's bounds in
        // `verify_unread` and have not changed since: they are not inflated and hashed again.
        let (mut document, registration) =
            crate::documents::RegistrationDocument::load_unattributed_checked(
                &self.payload.document,
            )
            .map_err(load_error)?;
        let read_hashes = document.change_hashes();
        let signed = &self.payload;
        if read_hashes.len() != signed.change_hashes.len()
            || read_hashes
                .iter()
                .zip(&signed.change_hashes)
                .any(|(read, signed)| read.0 != *signed)
            || registration.id != signed.doc_id
            || registration.capturing_device != signed.device_id
        {
            return Err(SealError::DocumentMismatch);
        }
        Ok(OpenedCapture {
            payload: self.payload,
            document,
            registration,
        })
    }
}

/// A capture's document read by Automerge within a capture's bounds.
fn load_capture(
    bytes: &[u8],
) -> Result<
    (
        crate::documents::RegistrationDocument,
        crate::registration::Registration,
    ),
    SealError,
> {
    crate::documents::RegistrationDocument::load_unattributed_within(bytes, &ChunkLimits::CAPTURE)
        .map_err(load_error)
}

/// Why a capture's document did not read, as a seal error.
fn load_error(error: crate::Error) -> SealError {
    match error {
        crate::Error::OutOfBounds(bound) => SealError::TooLarge(bound),
        _ => SealError::DocumentMismatch,
    }
}

/// A capture's bytes refused by their bounds: too large, or not a capture's chunks at all
/// (which the signature cannot cover).
fn refused_bytes(bound: BoundError) -> SealError {
    if bound.is_too_large() {
        SealError::TooLarge(bound)
    } else {
        SealError::DocumentMismatch
    }
}

/// A sealed capture, opened and verified.
#[derive(Debug)]
pub struct OpenedCapture {
    pub payload: CapturePayload,
    pub document: crate::documents::RegistrationDocument,
    pub registration: crate::registration::Registration,
}

/// A capture as the relay reads it from a seal: the document, the capture signature, and
/// the ids and hashes the signature covers, read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturePayload {
    pub doc_id: RegistrationId,
    pub device_id: DeviceId,
    /// The document as its changes (see [`crate::documents::Document::save_changes`]).
    pub document: Vec<u8>,
    pub change_hashes: Vec<[u8; 32]>,
    pub capture_signature: Vec<u8>,
    /// The visitor's receipt code, exported from the seal's HPKE context (see
    /// [`receipt_code`]): the relay learns it by opening the seal.
    pub receipt_code: String,
    /// The hash of the visitor's receipt secret ([`crate::receipt::ReceiptSecret::hash`]),
    /// sealed beside the document, never in it; `None` for a seal made before receipts.
    /// Not covered by the capture signature: it proves nothing about the capture, and
    /// whoever could change it inside the seal could as well have sealed anything.
    pub receipt_hash: Option<[u8; 32]>,
}

/// What the seal holds, a CBOR array `[document, capture signature, receipt hash]`:
/// everything else is read from the document, so nothing travels twice.
#[derive(Serialize, Deserialize)]
struct SealedPayload(
    #[serde(with = "crate::cbor::bytes")] Vec<u8>,
    #[serde(with = "crate::cbor::bytes")] Vec<u8>,
    #[serde(with = "crate::cbor::array")] [u8; 32],
);

/// What a format-2 seal holds, `[document, capture signature]`, from before receipts.
#[derive(Serialize, Deserialize)]
struct SealedPayloadWithoutReceipt(
    #[serde(with = "crate::cbor::bytes")] Vec<u8>,
    #[serde(with = "crate::cbor::bytes")] Vec<u8>,
);

impl CapturePayload {
    /// Checks the capture signature against the device id's key, and the document against
    /// the signature; returns the document and what it holds.
    pub fn verify(
        &self,
    ) -> Result<
        (
            crate::documents::RegistrationDocument,
            crate::registration::Registration,
        ),
        SealError,
    > {
        let key = self.verify_signature()?;
        self.check_document(&key)
    }

    /// Checks the capture signature over the ids and hashes this payload names.
    fn verify_signature(&self) -> Result<VerifyingKey, SealError> {
        let key: VerifyingKey = self
            .device_id
            .public_key()
            .ok_or(SealError::BadCaptureSignature)?;
        self.verify_signature_with(&key)?;
        Ok(key)
    }

    /// [`CapturePayload::verify_signature`] with the device's key decoded already (`key` is
    /// the key of `self.device_id`).
    fn verify_signature_with(&self, key: &VerifyingKey) -> Result<(), SealError> {
        let signature = Signature::from_slice(&self.capture_signature)
            .map_err(|_| SealError::BadCaptureSignature)?;
        let hashes: Vec<ChangeHash> = self.change_hashes.iter().map(|h| ChangeHash(*h)).collect();
        key.verify_strict(
            &capture_message(&self.device_id, &self.doc_id, &hashes),
            &signature,
        )
        .map_err(|_| SealError::BadCaptureSignature)
    }

    /// The signature covers ids and hashes; this ties the document to them: it must consist
    /// of exactly the signed changes and be the registration the id names.
    fn check_document(
        &self,
        key: &VerifyingKey,
    ) -> Result<
        (
            crate::documents::RegistrationDocument,
            crate::registration::Registration,
        ),
        SealError,
    > {
        check_change_chunks(&self.document, &ChunkLimits::CAPTURE).map_err(refused_bytes)?;
        let (mut document, registration) =
            crate::documents::RegistrationDocument::load_with_content(&self.document, key)
                .map_err(|_| SealError::DocumentMismatch)?;
        let hashes: Vec<[u8; 32]> = document.change_hashes().iter().map(|h| h.0).collect();
        if hashes != self.change_hashes
            || registration.id != self.doc_id
            || registration.capturing_device != self.device_id
        {
            return Err(SealError::DocumentMismatch);
        }
        Ok((document, registration))
    }
}

/// The id of the relay sealing key a seal names (16 hex digits), without opening it: a
/// relay holding several keys during a rotation picks the one to open with, and tests
/// check which key a tablet sealed to.
pub fn sealed_key_id(sealed: &[u8]) -> Option<String> {
    let SealedEnvelope(_, key_id, _, _) = ciborium::from_reader(sealed).ok()?;
    Some(hex::encode(key_id))
}

/// The seal as it travels, a CBOR array `[version, key id, encapsulated key, ciphertext]`.
#[derive(Serialize, Deserialize)]
struct SealedEnvelope(
    u8,
    #[serde(with = "crate::cbor::array")] [u8; KEY_ID_LEN],
    #[serde(with = "crate::cbor::bytes")] Vec<u8>,
    #[serde(with = "crate::cbor::bytes")] Vec<u8>,
);

/// A capture as it leaves the kiosk's memory: the sealed bytes that are stored and sent, and
/// what is shown to the visitor once and never stored: the receipt code and the receipt
/// secret whose hash the seal carries.
#[derive(Debug)]
pub struct SealedCapture {
    pub sealed: Vec<u8>,
    pub receipt_code: String,
    pub receipt: ReceiptSecret,
}

/// Signs a captured document and seals it to the relay. Returns the sealed envelope.
pub fn sign_and_seal(
    identity: &DeviceIdentity,
    relay: &RelaySealingKey,
    doc_id: &RegistrationId,
    document: Vec<u8>,
    change_hashes: &[ChangeHash],
) -> Result<Vec<u8>, SealError> {
    seal_capture(identity, relay, doc_id, document, change_hashes).map(|c| c.sealed)
}

/// Signs a captured document and seals it to the relay with a new receipt secret's hash,
/// and the receipt code exported from the seal's HPKE context: both exist on the tablet only
/// until the caller has shown them; the relay derives the same code when it opens the seal
/// and learns only the receipt's hash.
pub fn seal_capture(
    identity: &DeviceIdentity,
    relay: &RelaySealingKey,
    doc_id: &RegistrationId,
    document: Vec<u8>,
    change_hashes: &[ChangeHash],
) -> Result<SealedCapture, SealError> {
    seal_capture_with_receipt(
        identity,
        relay,
        doc_id,
        document,
        change_hashes,
        ReceiptSecret::generate(),
    )
}

/// [`seal_capture`] with the receipt secret given (tests and golden vectors).
pub fn seal_capture_with_receipt(
    identity: &DeviceIdentity,
    relay: &RelaySealingKey,
    doc_id: &RegistrationId,
    document: Vec<u8>,
    change_hashes: &[ChangeHash],
    receipt: ReceiptSecret,
) -> Result<SealedCapture, SealError> {
    let signature = identity.sign(&capture_message(
        &identity.device_id(),
        doc_id,
        change_hashes,
    ));
    let mut payload = SealedPayload(document, signature.to_bytes().to_vec(), receipt.hash());
    let mut plaintext = crate::cbor::to_vec(&payload);
    zeroize::Zeroize::zeroize(&mut payload.0);
    let public = <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(&relay.public_key)
        .map_err(|_| SealError::InvalidRelayKey)?;
    let key_id = relay.key_id_bytes().ok_or(SealError::InvalidRelayKey)?;
    // What `single_shot_seal` does, with the context kept for the export: same bytes.
    let sealed = hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        &OpModeS::Base,
        &public,
        SEAL_INFO,
    )
    .and_then(|(encapped, mut context)| {
        let ciphertext = context.seal(&plaintext, &key_id)?;
        let mut code_secret = [0u8; receipt_code::SECRET_LEN];
        context.export(RECEIPT_CODE_EXPORT, &mut code_secret)?;
        Ok((encapped, ciphertext, code_secret))
    });
    zeroize::Zeroize::zeroize(&mut plaintext);
    let (encapped, ciphertext, code_secret) = sealed.map_err(|_| SealError::InvalidRelayKey)?;
    let envelope = SealedEnvelope(
        SEAL_FORMAT_VERSION,
        key_id,
        encapped.to_bytes().to_vec(),
        ciphertext,
    );
    Ok(SealedCapture {
        sealed: crate::cbor::to_vec(&envelope),
        receipt_code: receipt_code::from_secret(&code_secret),
        receipt,
    })
}

/// Receipt codes: what a visitor notes or photographs after submitting, and what HR searches
/// by. Eight characters from an alphabet without look-alikes (no 0/O, 1/I), shown in two
/// groups of four (`K7QM-4XRT`). Made from 40 bits the seal's HPKE context exports (context
/// `kiosk-receipt-code-v1`): the kiosk knows them only while it seals, and the relay learns
/// them when it opens the seal. Nothing a lost kiosk holds (its store, its secrets) derives
/// a code: not the registration id, not the sealed bytes without the relay's key.
pub mod receipt_code {
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

    /// Bytes of exported secret a code is made from (40 bits are used).
    pub const SECRET_LEN: usize = 5;

    /// The receipt code of 40 secret bits, e.g. `K7QM-4XRT`.
    pub fn from_secret(secret: &[u8; SECRET_LEN]) -> String {
        // 40 bits, five bits a character.
        let bits = secret
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars: String = (0..8)
            .map(|i| char::from(ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize]))
            .collect();
        format!("{}-{}", &chars[..4], &chars[4..])
    }

    /// A typed or read-back code in canonical form: upper case, separators dropped. Any
    /// character outside the alphabet is refused rather than guessed.
    pub fn normalize(typed: &str) -> Option<String> {
        let chars: String = typed
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = chars.len() == 8 && chars.bytes().all(|b| ALPHABET.contains(&b));
        valid.then(|| format!("{}-{}", &chars[..4], &chars[4..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_event;
    use crate::documents::RegistrationDocument;
    use crate::generator::RegistrationGenerator;
    use crate::ids::Timestamp;

    fn doc_id() -> RegistrationId {
        RegistrationId::from_parts(Timestamp(1_773_310_000_000), [4; 10])
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// A real captured document by `identity`: (id, bytes, change hashes).
    fn captured(
        identity: &DeviceIdentity,
        seed: u64,
    ) -> (RegistrationId, Vec<u8>, Vec<ChangeHash>) {
        let mut registration = RegistrationGenerator::new(demo_event(), seed)
            .next_registration()
            .expect("valid");
        registration.capturing_device = identity.device_id();
        let mut document = RegistrationDocument::create(
            &registration,
            &identity.public_key(),
            registration.captured_at,
        )
        .expect("document");
        (
            registration.id,
            document.save_changes(),
            document.change_hashes(),
        )
    }

    #[test]
    fn a_sealed_capture_opens_only_with_the_relay_key_and_verifies() {
        let identity = DeviceIdentity::generate();
        let relay = RelayOpeningKey::generate();
        let (id, bytes, hashes) = captured(&identity, 1);
        let sealed = sign_and_seal(&identity, relay.sealing_key(), &id, bytes.clone(), &hashes)
            .expect("seals");
        assert!(
            !sealed
                .windows(16)
                .any(|w| bytes.windows(16).any(|b| b == w))
        );
        let payload = relay.open(&sealed).expect("opens").payload;
        assert_eq!(payload.document, bytes);
        assert_eq!(payload.device_id, identity.device_id());
        assert_eq!(
            payload.change_hashes,
            hashes.iter().map(|h| h.0).collect::<Vec<_>>()
        );

        let other = RelayOpeningKey::generate();
        assert!(matches!(
            other.open(&sealed),
            Err(SealError::UnknownKeyId(_))
        ));
        assert_eq!(relay.open(b"garbage").err(), Some(SealError::Malformed));
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(relay.open(&flipped).err(), Some(SealError::DoesNotOpen));
    }

    #[test]
    fn a_capture_signature_covers_the_device_the_id_and_every_hash() {
        let identity = DeviceIdentity::generate();
        let relay = RelayOpeningKey::generate();
        let (id, bytes, hashes) = captured(&identity, 2);
        let sealed =
            sign_and_seal(&identity, relay.sealing_key(), &id, bytes, &hashes).expect("seals");
        let mut payload = relay.open(&sealed).expect("opens").payload;
        payload.change_hashes[0][0] ^= 1;
        assert_eq!(payload.verify().err(), Some(SealError::BadCaptureSignature));
        let mut moved = relay.open(&sealed).expect("opens").payload;
        moved.doc_id = doc_id();
        assert_eq!(moved.verify().err(), Some(SealError::BadCaptureSignature));
        let mut claimed = relay.open(&sealed).expect("opens").payload;
        claimed.device_id = DeviceIdentity::generate().device_id();
        assert_eq!(claimed.verify().err(), Some(SealError::BadCaptureSignature));
    }

    #[test]
    fn a_genuine_signature_cannot_vouch_for_another_document() {
        let identity = DeviceIdentity::generate();
        let relay = RelayOpeningKey::generate();
        let (id, bytes, hashes) = captured(&identity, 3);
        let (_, other_bytes, _) = captured(&identity, 4);
        let sealed =
            sign_and_seal(&identity, relay.sealing_key(), &id, bytes, &hashes).expect("seals");
        let mut swapped = relay.open(&sealed).expect("opens").payload;
        swapped.document = other_bytes;
        assert_eq!(swapped.verify().err(), Some(SealError::DocumentMismatch));
    }

    #[test]
    fn a_seal_carrying_another_document_than_the_signed_one_does_not_open_as_a_capture() {
        let identity = DeviceIdentity::generate();
        let relay = RelayOpeningKey::generate();
        let (id, _, hashes) = captured(&identity, 5);
        let (_, other_bytes, _) = captured(&identity, 6);
        // The ids and hashes the relay checks are read from the document inside, so the
        // signature over the first document cannot cover the second.
        let swapped = sign_and_seal(&identity, relay.sealing_key(), &id, other_bytes, &hashes)
            .expect("seals");
        assert_eq!(
            relay.open(&swapped).err(),
            Some(SealError::BadCaptureSignature)
        );
        let garbage = sign_and_seal(
            &identity,
            relay.sealing_key(),
            &id,
            b"not automerge".to_vec(),
            &hashes,
        )
        .expect("seals");
        assert_eq!(
            relay.open(&garbage).err(),
            Some(SealError::DocumentMismatch)
        );
    }

    #[test]
    fn a_capture_verified_unread_reads_only_as_the_document_its_signature_names() {
        let identity = DeviceIdentity::generate();
        let relay = RelayOpeningKey::generate();
        let (id, bytes, hashes) = captured(&identity, 8);
        let signed_hashes: Vec<[u8; 32]> = hashes.iter().map(|h| h.0).collect();
        let sealed = sign_and_seal(&identity, relay.sealing_key(), &id, bytes.clone(), &hashes)
            .expect("seals");
        let signed = relay
            .unseal(&sealed)
            .expect("unseals")
            .verify_unread(&identity.public_key(), &id.to_string())
            .expect("authentic");
        assert_eq!(signed.change_hashes(), signed_hashes.as_slice());
        let opened = signed.read().expect("reads");
        assert_eq!(opened.registration.id, id);
        assert_eq!(opened.payload.change_hashes, signed_hashes);

        // The tablet's own key signed another id than the document holds: authentic, so the
        // capture can be kept in quarantine, but it never reads as a record of either id.
        let other_id = doc_id();
        let misnamed = sign_and_seal(&identity, relay.sealing_key(), &other_id, bytes, &hashes)
            .expect("seals");
        let signed = relay
            .unseal(&misnamed)
            .expect("unseals")
            .verify_unread(&identity.public_key(), &other_id.to_string())
            .expect("the signature is the tablet's");
        assert_eq!(signed.read().err(), Some(SealError::DocumentMismatch));

        // Another tablet's key does not verify at all.
        let stranger = DeviceIdentity::generate();
        assert_eq!(
            relay
                .unseal(&sealed)
                .expect("unseals")
                .verify_unread(&stranger.public_key(), &id.to_string())
                .err(),
            Some(SealError::BadCaptureSignature)
        );
    }

    #[test]
    fn a_capture_travels_as_its_one_change_smaller_than_a_saved_document() {
        let identity = DeviceIdentity::generate();
        let relay = RelayOpeningKey::generate();
        let mut registration = RegistrationGenerator::new(demo_event(), 7)
            .next_registration()
            .expect("valid");
        registration.capturing_device = identity.device_id();
        let mut document = RegistrationDocument::create(
            &registration,
            &identity.public_key(),
            registration.captured_at,
        )
        .expect("document");
        let changes = document.save_changes();
        assert!(changes.len() < document.save().len());
        let sealed = sign_and_seal(
            &identity,
            relay.sealing_key(),
            &registration.id,
            changes,
            &document.change_hashes(),
        )
        .expect("seals");
        let opened = relay.open(&sealed).expect("opens");
        assert_eq!(opened.registration, registration);
        assert_eq!(opened.payload.device_id, identity.device_id());
    }

    #[test]
    fn receipt_codes_are_short_unambiguous_and_read_back_tolerantly() {
        let code = receipt_code::from_secret(&[0x12, 0x34, 0x56, 0x78, 0x9a]);
        assert_eq!(code.len(), 9);
        assert!(!code.contains(['0', 'O', '1', 'I']));
        assert_eq!(
            receipt_code::normalize(&code.to_lowercase().replace('-', " ")),
            Some(code.clone())
        );
        assert_eq!(receipt_code::normalize("K7QM-4XR0"), None);
        assert_eq!(receipt_code::normalize("K7QM"), None);
        assert_ne!(
            receipt_code::from_secret(&[0x12, 0x34, 0x56, 0x78, 0x9b]),
            code
        );
    }

    #[test]
    fn a_sealing_key_travels_as_byte_strings_and_a_version_3_stored_key_still_reads() {
        use ciborium::value::Value;
        let key = RelayOpeningKey::from_seed(&[3; 32]).sealing_key().clone();
        let bytes = crate::cbor::to_vec(&key);
        let Value::Map(entries) =
            ciborium::from_reader::<Value, _>(bytes.as_slice()).expect("cbor")
        else {
            panic!("a map")
        };
        assert_eq!(entries[0].0, Value::Text("key_id".into()));
        assert_eq!(entries[0].1.as_bytes().map(Vec::len), Some(8));
        assert_eq!(entries[1].0, Value::Text("public_key".into()));
        assert_eq!(entries[1].1.as_bytes().map(Vec::len), Some(32));
        assert_eq!(RelaySealingKey::from_stored(&bytes), Some(key.clone()));

        // What a tablet enrolled with protocol version 3 kept in its store.
        let legacy = Value::Map(vec![
            (
                Value::Text("key_id".into()),
                Value::Text(key.key_id.clone()),
            ),
            (
                Value::Text("public_key".into()),
                Value::Array(key.public_key.iter().map(|b| Value::from(*b)).collect()),
            ),
        ]);
        let legacy_bytes = crate::cbor::to_vec(&legacy);
        assert!(ciborium::from_reader::<RelaySealingKey, _>(legacy_bytes.as_slice()).is_err());
        assert_eq!(RelaySealingKey::from_stored(&legacy_bytes), Some(key));
        assert_eq!(RelaySealingKey::from_stored(b"garbage"), None);
    }

    #[test]
    fn the_relay_opens_the_receipt_code_the_kiosk_showed_and_no_id_derives_it() {
        let identity = DeviceIdentity::generate();
        let relay = RelayOpeningKey::generate();
        let (id, bytes, hashes) = captured(&identity, 8);
        let first = seal_capture(&identity, relay.sealing_key(), &id, bytes.clone(), &hashes)
            .expect("seals");
        let opened = relay.open(&first.sealed).expect("opens");
        assert_eq!(opened.payload.receipt_code, first.receipt_code);
        assert!(receipt_code::normalize(&first.receipt_code).is_some());
        // The seal carries the receipt secret's hash, never the secret.
        assert_eq!(opened.payload.receipt_hash, Some(first.receipt.hash()));
        assert!(!contains(&first.sealed, first.receipt.as_bytes()));
        // The code is the seal's, not the id's: sealing the same capture again gives another.
        let again =
            seal_capture(&identity, relay.sealing_key(), &id, bytes, &hashes).expect("seals");
        assert_ne!(again.receipt_code, first.receipt_code);
        assert_eq!(
            relay
                .open(&again.sealed)
                .expect("opens")
                .payload
                .receipt_code,
            again.receipt_code
        );
        // A new seal is format 3: `[3, key id, encapped key, ciphertext]`.
        let SealedEnvelope(version, key_id, encapped, _) =
            ciborium::from_reader(first.sealed.as_slice()).expect("a seal");
        assert_eq!(version, 3);
        assert_eq!(hex::encode(key_id), relay.sealing_key().key_id);
        assert_eq!(encapped.len(), 32);
    }

    /// The sealed capture of the golden vectors in `docs/protocol.md`: one sealing (HPKE's
    /// ephemeral key is random), by the golden device to the golden relay sealing key, of the
    /// document `document` with the capture signature over doc id `…0001` and no hashes.
    const GOLDEN_SEALED_HEX: &str = "8402486bf94b40917931a55820b413bc0d7188cecad08afb77c7554a29d8645407c0918576a24a9fe29252ce5d585cce195872380b91dd14891da740d3941b4694959ce2cc6c36e975dc083b6b8540adf66690698587ad2d266204c10959cdf54f28cd4c56d1dc87fa96e3a27755bfe4631ba752eeace8c91b2423f6e778139b4f04dbdce97ca710104de7";
    const GOLDEN_EXPORT_HEX: &str = "bca58bf512";
    const GOLDEN_RECEIPT_CODE: &str = "RLLS-RXAL";

    /// The format-3 sealed capture of the golden vectors in `docs/protocol.md`: one sealing by
    /// the golden device to the golden relay sealing key, of the same document and signature
    /// as [`GOLDEN_SEALED_HEX`], with the receipt secret `00 01 02 … 0f`.
    const GOLDEN_SEALED_V3_HEX: &str = "8403486bf94b40917931a558202f0ce3e2df149a9cefb5f326d8e00c723a8a791a30b0312790980f40684cc571587e44d1cdd0f095ce481954eaf53bd826cb0a092d677115383d77c45079ca0b798af144e43da3d2d16d646bce53e4e268e0b0a413d689ebcbf08b0fd26bd4630fc6a60334ed7dcc2979fa9f9e3c857e4237a1dcb955ecf19c6745508cb7f9f651f91b66333403cdca3445d8dd2b249286ccfc171bdf2be6172268aafc040dc2";
    const GOLDEN_V3_RECEIPT_SECRET_HEX: &str = "000102030405060708090a0b0c0d0e0f";
    const GOLDEN_V3_RECEIPT_HASH_HEX: &str =
        "4d45ddfdeb3165b068a9cf7c061853a6dd3ac1768878bcd7bb949d17d83dbf85";
    const GOLDEN_V3_RECEIPT_CODE: &str = "U8YN-YN7U";

    #[test]
    fn golden_vector_of_a_format_3_seal_opens_as_the_protocol_document_says() {
        let relay = RelayOpeningKey::from_seed(&[3; 32]);
        let sealed = hex::decode(GOLDEN_SEALED_V3_HEX).expect("hex");
        // As a receiver written from `docs/protocol.md` would: the array, HPKE base mode with
        // `info` and `aad` as documented, the exporter, then the three-element payload.
        let seal: ciborium::Value = ciborium::from_reader(sealed.as_slice()).expect("CBOR");
        let ciborium::Value::Array(seal) = seal else {
            panic!("a seal is an array");
        };
        assert_eq!(seal.len(), 4);
        assert_eq!(seal[0], ciborium::Value::Integer(3.into()), "format 3");
        let [key_id, encapped, ciphertext] = [&seal[1], &seal[2], &seal[3]]
            .map(|item| item.as_bytes().expect("a byte string").clone());
        assert_eq!(hex::encode(&key_id), "6bf94b40917931a5");
        let encapped =
            <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&encapped).expect("encapped");
        let mut context = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &relay.private,
            &encapped,
            b"kiosk-seal-v1",
        )
        .expect("receiver");
        let plaintext = context.open(&ciphertext, &key_id).expect("opens");
        let mut exported = [0u8; 5];
        context
            .export(b"kiosk-receipt-code-v1", &mut exported)
            .expect("export");
        assert_eq!(receipt_code::from_secret(&exported), GOLDEN_V3_RECEIPT_CODE);
        let payload: ciborium::Value = ciborium::from_reader(plaintext.as_slice()).expect("CBOR");
        let ciborium::Value::Array(payload) = payload else {
            panic!("[document, signature, receipt hash]");
        };
        assert_eq!(payload.len(), 3, "[document, signature, receipt hash]");
        let [document, signature, receipt_hash] = [&payload[0], &payload[1], &payload[2]]
            .map(|item| item.as_bytes().expect("a byte string").clone());
        assert_eq!(document.as_slice(), b"document");
        let device =
            DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[1; 32]));
        let id = RegistrationId::parse("019ce0a0-6a80-7000-8000-000000000001").expect("id");
        assert_eq!(
            signature.as_slice(),
            device
                .sign(&capture_message(&device.device_id(), &id, &[]))
                .to_bytes()
        );
        // The receipt hash: SHA-256 over the tag and the 16 secret bytes.
        let secret = hex::decode(GOLDEN_V3_RECEIPT_SECRET_HEX).expect("hex");
        let mut hashed = b"kiosk-receipt-v1".to_vec();
        hashed.extend_from_slice(&secret);
        let expected: [u8; 32] = sha2::Sha256::digest(&hashed).into();
        assert_eq!(receipt_hash.as_slice(), expected);
        assert_eq!(hex::encode(expected), GOLDEN_V3_RECEIPT_HASH_HEX);
        // The relay's own opening agrees.
        let unsealed = relay.unseal(&sealed).expect("unseals");
        assert_eq!(unsealed.receipt_code, GOLDEN_V3_RECEIPT_CODE);
        assert_eq!(unsealed.receipt_hash, Some(expected));

        let flattened: String = include_str!("../../docs/protocol.md")
            .split_whitespace()
            .collect();
        for (shown, what) in [
            (GOLDEN_SEALED_V3_HEX, "the format-3 sealed capture vector"),
            (GOLDEN_V3_RECEIPT_SECRET_HEX, "the receipt secret"),
            (GOLDEN_V3_RECEIPT_HASH_HEX, "the receipt hash"),
            (GOLDEN_V3_RECEIPT_CODE, "HR's receipt code of that seal"),
        ] {
            assert!(flattened.contains(shown), "docs/protocol.md shows {what}");
        }
    }

    #[test]
    fn golden_vector_of_a_seal_and_its_receipt_code_opens_as_the_protocol_document_says() {
        let relay = RelayOpeningKey::from_seed(&[3; 32]);
        let sealed = hex::decode(GOLDEN_SEALED_HEX).expect("hex");
        // As a receiver written from `docs/protocol.md` would: the array, then HPKE base mode
        // with `info` and `aad` as documented, then the exporter.
        let SealedEnvelope(version, key_id, encapped, ciphertext) =
            ciborium::from_reader(sealed.as_slice()).expect("a seal");
        assert_eq!(version, 2);
        assert_eq!(hex::encode(key_id), "6bf94b40917931a5");
        let encapped =
            <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&encapped).expect("encapped");
        let mut context = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &relay.private,
            &encapped,
            b"kiosk-seal-v1",
        )
        .expect("receiver");
        let plaintext = context.open(&ciphertext, &key_id).expect("opens");
        let mut exported = [0u8; 5];
        context
            .export(b"kiosk-receipt-code-v1", &mut exported)
            .expect("export");
        assert_eq!(hex::encode(exported), GOLDEN_EXPORT_HEX);
        assert_eq!(receipt_code::from_secret(&exported), GOLDEN_RECEIPT_CODE);
        let SealedPayloadWithoutReceipt(document, signature) =
            ciborium::from_reader(plaintext.as_slice()).expect("[document, signature]");
        assert_eq!(document, b"document");
        let device =
            DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[1; 32]));
        let id = RegistrationId::parse("019ce0a0-6a80-7000-8000-000000000001").expect("id");
        assert_eq!(
            signature,
            device
                .sign(&capture_message(&device.device_id(), &id, &[]))
                .to_bytes()
        );
        // The relay's own opening gives the same code, and a format-2 seal has no receipt.
        let unsealed = relay.unseal(&sealed).expect("unseals");
        assert_eq!(unsealed.receipt_code, GOLDEN_RECEIPT_CODE);
        assert_eq!(unsealed.receipt_hash, None);

        let flattened: String = include_str!("../../docs/protocol.md")
            .split_whitespace()
            .collect();
        for (shown, what) in [
            (GOLDEN_SEALED_HEX, "the sealed capture vector"),
            (GOLDEN_EXPORT_HEX, "the exported secret"),
            (GOLDEN_RECEIPT_CODE, "the receipt code"),
        ] {
            assert!(flattened.contains(shown), "docs/protocol.md shows {what}");
        }
    }
}

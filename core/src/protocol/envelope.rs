//! Signed envelopes: the exact payload bytes, who signed them, and the signature over a
//! domain tag and those bytes. A receiver verifies before it decodes a single field.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::codes::ErrorCode;
use super::messages::{Command, DeviceCommand, SignedCommand, SyncRequest, SyncResponse};
use super::{COMMAND_TAG, PROTOCOL_VERSION, PUSH_TAG, RECEIPT_TAG};
use crate::identity::DeviceIdentity;

/// Why a message was refused before its content was looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the message is not CBOR of the expected shape")]
    Malformed,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the signer is not known here")]
    UnknownSigner,
    #[error("protocol version {0} is not supported (this side speaks {PROTOCOL_VERSION})")]
    UnsupportedVersion(u16),
    #[error("the payload names another device than its signer")]
    DeviceMismatch,
    #[error("the response answers another request")]
    WrongRequest,
}

impl ProtocolError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ProtocolError::Malformed | ProtocolError::WrongRequest => ErrorCode::Malformed,
            ProtocolError::BadSignature => ErrorCode::BadSignature,
            ProtocolError::UnknownSigner => ErrorCode::UnknownDevice,
            ProtocolError::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
            ProtocolError::DeviceMismatch => ErrorCode::DeviceMismatch,
        }
    }
}

/// Something that signs envelopes: a device, or the relay.
pub trait Signer {
    fn public_key(&self) -> VerifyingKey;
    fn sign(&self, message: &[u8]) -> Signature;
}

impl Signer for DeviceIdentity {
    fn public_key(&self) -> VerifyingKey {
        DeviceIdentity::public_key(self)
    }

    fn sign(&self, message: &[u8]) -> Signature {
        DeviceIdentity::sign(self, message)
    }
}

impl Signer for SigningKey {
    fn public_key(&self) -> VerifyingKey {
        self.verifying_key()
    }

    fn sign(&self, message: &[u8]) -> Signature {
        ed25519_dalek::Signer::sign(self, message)
    }
}

/// A payload with its signer and signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEnvelope {
    #[serde(with = "crate::cbor::array")]
    pub signer: [u8; 32],
    #[serde(with = "crate::cbor::bytes")]
    pub payload: Vec<u8>,
    #[serde(with = "crate::cbor::array")]
    pub signature: [u8; 64],
}

fn signed_message(tag: &[u8], payload: &[u8]) -> Vec<u8> {
    [tag, payload].concat()
}

impl SignedEnvelope {
    /// Encodes `message` and signs `tag ‖ payload`.
    pub fn sign<T: Serialize>(tag: &[u8], message: &T, signer: &dyn Signer) -> SignedEnvelope {
        let payload = crate::cbor::to_vec(message);
        let signature = signer.sign(&signed_message(tag, &payload));
        SignedEnvelope {
            signer: signer.public_key().to_bytes(),
            payload,
            signature: signature.to_bytes(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        crate::cbor::to_vec(self)
    }

    /// Decodes an envelope; nothing is trusted yet. Only the one encoding this crate writes
    /// is taken: the signature covers the payload, not the envelope around it, and a
    /// receipt names the request by the hash of its bytes, so a second spelling of the same
    /// envelope (a key as a byte string, trailing bytes) is refused, not hashed otherwise.
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedEnvelope, ProtocolError> {
        let envelope: SignedEnvelope =
            ciborium::from_reader(bytes).map_err(|_| ProtocolError::Malformed)?;
        if envelope.to_bytes() != bytes {
            return Err(ProtocolError::Malformed);
        }
        Ok(envelope)
    }

    /// Checks the signature over `tag ‖ payload` with `key`, strictly (no malleable
    /// signatures, no weak keys).
    pub fn verify(&self, tag: &[u8], key: &VerifyingKey) -> Result<(), ProtocolError> {
        if key.to_bytes() != self.signer {
            return Err(ProtocolError::BadSignature);
        }
        let signature = Signature::from_bytes(&self.signature);
        key.verify_strict(&signed_message(tag, &self.payload), &signature)
            .map_err(|_| ProtocolError::BadSignature)
    }

    /// Decodes the payload; call only after [`SignedEnvelope::verify`].
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, ProtocolError> {
        ciborium::from_reader(self.payload.as_slice()).map_err(|_| ProtocolError::Malformed)
    }

    /// The SHA-256 of an envelope's bytes, as a receipt names the request it answers.
    pub fn hash(bytes: &[u8]) -> [u8; 32] {
        Sha256::digest(bytes).into()
    }
}

/// Opens a tablet's request: decode, find the signer's key with `known_key`, verify, decode
/// the payload, and check it names its signer and a supported version.
pub fn open_request(
    bytes: &[u8],
    known_key: impl FnOnce(&[u8; 32]) -> Option<VerifyingKey>,
) -> Result<SyncRequest, ProtocolError> {
    let envelope = SignedEnvelope::from_bytes(bytes)?;
    let key = known_key(&envelope.signer).ok_or(ProtocolError::UnknownSigner)?;
    envelope.verify(PUSH_TAG, &key)?;
    let request: SyncRequest = envelope.decode()?;
    if request.version != PROTOCOL_VERSION {
        return Err(ProtocolError::UnsupportedVersion(request.version));
    }
    if request.device_id != envelope.signer {
        return Err(ProtocolError::DeviceMismatch);
    }
    Ok(request)
}

/// Opens the relay's answer to the request whose bytes hash to `request_hash`, sent by
/// `device`, with the relay key the tablet pinned.
pub fn open_response(
    bytes: &[u8],
    relay_key: &VerifyingKey,
    device: &[u8; 32],
    request_hash: &[u8; 32],
) -> Result<SyncResponse, ProtocolError> {
    let envelope = SignedEnvelope::from_bytes(bytes)?;
    envelope.verify(RECEIPT_TAG, relay_key)?;
    let response: SyncResponse = envelope.decode()?;
    if response.version != PROTOCOL_VERSION {
        return Err(ProtocolError::UnsupportedVersion(response.version));
    }
    if &response.device_id != device {
        return Err(ProtocolError::DeviceMismatch);
    }
    if &response.request_hash != request_hash {
        return Err(ProtocolError::WrongRequest);
    }
    Ok(response)
}

/// Signs `command` for the device `device_id` with the relay key.
pub fn sign_command(
    command: Command,
    device_id: [u8; 32],
    issued_at: i64,
    relay: &dyn Signer,
) -> SignedCommand {
    let command = DeviceCommand {
        version: PROTOCOL_VERSION,
        device_id,
        command,
        issued_at,
    };
    SignedCommand(SignedEnvelope::sign(COMMAND_TAG, &command, relay).to_bytes())
}

/// Opens a command with the relay key the tablet pinned, and checks it is for `device`.
pub fn open_command(
    signed: &SignedCommand,
    relay_key: &VerifyingKey,
    device: &[u8; 32],
) -> Result<DeviceCommand, ProtocolError> {
    let envelope = SignedEnvelope::from_bytes(&signed.0)?;
    envelope.verify(COMMAND_TAG, relay_key)?;
    let command: DeviceCommand = envelope.decode()?;
    if command.version != PROTOCOL_VERSION {
        return Err(ProtocolError::UnsupportedVersion(command.version));
    }
    if &command.device_id != device {
        return Err(ProtocolError::DeviceMismatch);
    }
    Ok(command)
}

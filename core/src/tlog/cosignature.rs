//! C2SP tlog-cosignature v1 (<https://c2sp.org/tlog-cosignature>) with Ed25519: a witness's
//! timestamped statement that a checkpoint is the largest consistent tree head it has seen
//! for that log. This module owns the cosigned message and the signature line; checking
//! consistency before cosigning is the witness's job, opening the log's own signature
//! [`super::note`]'s.
//!
//! Key ID = SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]; the signed message is
//! `"cosignature/v1\ntime <unix seconds>\n"` followed by the checkpoint body; the line's
//! payload is key ID (4) ‖ timestamp (8, big endian) ‖ Ed25519 signature (64).

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::checkpoint::{Checkpoint, CheckpointError};
use super::note::{
    NoteError, SignatureLine, format_vkey, is_valid_key_name, key_id, parse_note, parse_vkey,
};

/// Signature type 0x04: timestamped Ed25519 checkpoint cosignatures.
pub const SIGNATURE_TYPE_COSIGNATURE: u8 = 0x04;
/// The largest timestamp the spec allows (2^63 − 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// Why a cosignature could not be made or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("the cosigned text is not a checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("the timestamp {time} is above 2^63 - 1")]
    TimeOutOfRange { time: u64 },
    #[error("the note carries no cosignature by {name}")]
    Missing { name: String },
    #[error("the cosignature by {name} is not a timestamp and an Ed25519 signature")]
    Malformed { name: String },
    #[error("the cosignature by {name} does not verify")]
    Invalid { name: String },
}

/// The message a v1 cosignature signs.
pub fn signed_message(checkpoint_body: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{checkpoint_body}")
}

/// A witness's cosigning key under its name.
pub struct CosignatureSigner {
    name: String,
    key_id: [u8; 4],
    key: SigningKey,
}

impl fmt::Debug for CosignatureSigner {
    /// Never prints the private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosignatureSigner")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl CosignatureSigner {
    pub fn new(name: &str, key: &SigningKey) -> Result<Self, CosignatureError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::BadKeyName.into());
        }
        Ok(CosignatureSigner {
            name: name.to_owned(),
            key_id: key_id(
                name,
                SIGNATURE_TYPE_COSIGNATURE,
                key.verifying_key().as_bytes(),
            ),
            key: key.clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// The cosignature line (newline included) for a checkpoint body at `time` (POSIX
    /// seconds), to be added after the note's other signature lines.
    pub fn cosign(&self, checkpoint_body: &str, time: u64) -> Result<String, CosignatureError> {
        if time > MAX_TIMESTAMP {
            return Err(CosignatureError::TimeOutOfRange { time });
        }
        Checkpoint::parse(checkpoint_body)?;
        let signature = self
            .key
            .sign(signed_message(checkpoint_body, time).as_bytes());
        let mut payload = Vec::with_capacity(8 + 64);
        payload.extend_from_slice(&time.to_be_bytes());
        payload.extend_from_slice(&signature.to_bytes());
        Ok(SignatureLine {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: payload,
        }
        .to_line())
    }
}

/// A trusted witness: its name, key ID and public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: [u8; 4],
    key: VerifyingKey,
}

impl CosignatureVerifier {
    pub fn new(name: &str, key: &VerifyingKey) -> Result<Self, CosignatureError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::BadKeyName.into());
        }
        Ok(CosignatureVerifier {
            name: name.to_owned(),
            key_id: key_id(name, SIGNATURE_TYPE_COSIGNATURE, key.as_bytes()),
            key: *key,
        })
    }

    /// Reads a vkey `<name>+<8 hex key ID>+<base64(0x04 ‖ public key)>`.
    pub fn parse(vkey: &str) -> Result<Self, CosignatureError> {
        let (name, key_id, key) = parse_vkey(vkey, SIGNATURE_TYPE_COSIGNATURE)?;
        Ok(CosignatureVerifier { name, key_id, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// Finds this witness's cosignature in a signed checkpoint note and verifies it,
    /// returning when it was made (the latest, if it cosigned more than once). Whether that
    /// time is recent enough, and whether the log's own signature verifies
    /// ([`super::note::open`]), are the caller's to check.
    pub fn verify(&self, note: &str) -> Result<u64, CosignatureError> {
        let (body, lines) = parse_note(note)?;
        Checkpoint::parse(body)?;
        let mut latest = None;
        for line in lines
            .iter()
            .filter(|line| line.name == self.name && line.key_id == self.key_id)
        {
            let malformed = || CosignatureError::Malformed {
                name: self.name.clone(),
            };
            let (time, signature) = line.signature.split_at_checked(8).ok_or_else(malformed)?;
            let time = u64::from_be_bytes(time.try_into().map_err(|_length| malformed())?);
            let signature = Signature::from_slice(signature).map_err(|_length| malformed())?;
            if time > MAX_TIMESTAMP {
                return Err(CosignatureError::TimeOutOfRange { time });
            }
            self.key
                .verify_strict(signed_message(body, time).as_bytes(), &signature)
                .map_err(|_invalid| CosignatureError::Invalid {
                    name: self.name.clone(),
                })?;
            latest = latest.max(Some(time));
        }
        latest.ok_or_else(|| CosignatureError::Missing {
            name: self.name.clone(),
        })
    }
}

impl fmt::Display for CosignatureVerifier {
    /// The vkey text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_vkey(
            &self.name,
            self.key_id,
            SIGNATURE_TYPE_COSIGNATURE,
            &self.key,
        ))
    }
}

impl FromStr for CosignatureVerifier {
    type Err = CosignatureError;

    fn from_str(vkey: &str) -> Result<Self, CosignatureError> {
        Self::parse(vkey)
    }
}

#[cfg(test)]
mod tests;

//! Enrollment: how a tablet joins an event with a code HR gave it, and pins the relay's keys.
//!
//! The code (100 bits, 20 characters in groups of four) never crosses the network: the tablet
//! sends a lookup hash of it and an HMAC, keyed from the code, over its own key; the relay's
//! answer is authenticated with an HMAC keyed from the code and the tablet's key. A network
//! that does not know the code (an evil-twin access point) cannot forge an answer with its
//! own keys, and an eavesdropper cannot reuse what it saw for another key. The relay keeps
//! only the lookup hash and the code's HKDF secret; whoever copies the relay's database
//! while a code is live could answer for it, which the QR code's relay key fingerprint,
//! checked by the tablet, guards against.

use ed25519_dalek::{Signature, VerifyingKey};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::codes::ErrorCode;
use super::envelope::{SignedEnvelope, Signer};
use crate::capture::RelaySealingKey;

/// Domain tag of device certificates.
pub const CERTIFICATE_TAG: &[u8] = b"kiosk-cert-v1";
/// Domain tag of the tablet's proof that it holds the key it enrolls.
pub const ENROLL_TAG: &[u8] = b"kiosk-enroll-v1";

const CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const CODE_CHARS: usize = 20;

/// An enrollment code as HR hands it out: `XXXX-XXXX-XXXX-XXXX-XXXX`, 100 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentCode(String);

impl std::fmt::Debug for EnrollmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnrollmentCode(…)")
    }
}

impl EnrollmentCode {
    pub fn generate() -> EnrollmentCode {
        let chars: String = (0..CODE_CHARS)
            .map(|_| char::from(CODE_ALPHABET[usize::from(rand::random::<u8>() & 31)]))
            .collect();
        EnrollmentCode(chars)
    }

    /// Reads a typed code: case, spaces and hyphens do not matter; any other character, or
    /// the wrong length, is refused.
    pub fn parse(typed: &str) -> Option<EnrollmentCode> {
        let chars: String = typed
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = chars.len() == CODE_CHARS && chars.bytes().all(|b| CODE_ALPHABET.contains(&b));
        valid.then_some(EnrollmentCode(chars))
    }

    /// In groups of four, as shown and typed.
    pub fn display(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("ASCII"))
            .collect::<Vec<_>>()
            .join("-")
    }

    /// What the relay stores and the tablet sends: a hash, never the code.
    pub fn lookup_hash(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(b"kiosk-enroll-lookup-v1")
            .chain_update(self.0.as_bytes())
            .finalize()
            .into()
    }

    /// The secret the relay stores beside the lookup hash to authenticate its answers: the
    /// HKDF pseudo-random key of the code. The code itself cannot be recovered from it.
    pub fn answer_secret(&self) -> [u8; 32] {
        let (secret, _) =
            Hkdf::<Sha256>::extract(Some(b"kiosk-enroll-answer-v1"), self.0.as_bytes());
        secret.into()
    }
}

const CODE_PROOF_TAG: &[u8] = b"kiosk-enroll-code-proof-v1";

fn code_proof(answer_secret: &[u8; 32], device_key: &[u8; 32]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(answer_secret)
        .expect("HMAC takes any key length");
    mac.update(CODE_PROOF_TAG);
    mac.update(device_key);
    mac.finalize().into_bytes().into()
}

/// The key that authenticates an answer to the tablet holding `device_key`.
fn answer_mac(answer_secret: &[u8; 32], device_key: &[u8; 32]) -> Hmac<Sha256> {
    let hkdf = Hkdf::<Sha256>::from_prk(answer_secret).expect("a 32-byte PRK is valid");
    let mut key = [0u8; 32];
    hkdf.expand(device_key, &mut key)
        .expect("32 bytes is a valid HKDF length");
    <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("HMAC takes any key length")
}

/// What a tablet is enrolled as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolledRole {
    Kiosk,
    Staff,
}

/// A tablet's request to join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub version: u16,
    #[serde(with = "crate::cbor::array")]
    pub code_lookup: [u8; 32],
    #[serde(with = "crate::cbor::array")]
    pub device_key: [u8; 32],
    /// What the tablet is; a code for the other kind is refused without being used.
    pub role: EnrolledRole,
    /// Ed25519 by the device key over `kiosk-enroll-v1 ‖ code_lookup`: it holds the key.
    #[serde(with = "crate::cbor::array")]
    pub proof: [u8; 64],
    /// HMAC keyed from the code over this device's key: it knows the code itself, not just
    /// the lookup hash an eavesdropper could copy, and the proof serves no other key.
    #[serde(with = "crate::cbor::array")]
    pub code_proof: [u8; 32],
}

impl EnrollRequest {
    pub fn new(code: &EnrollmentCode, device: &dyn Signer, role: EnrolledRole) -> EnrollRequest {
        let code_lookup = code.lookup_hash();
        let proof = device.sign(&[ENROLL_TAG, &code_lookup].concat());
        let device_key = device.public_key().to_bytes();
        EnrollRequest {
            version: super::PROTOCOL_VERSION,
            code_lookup,
            device_key,
            role,
            proof: proof.to_bytes(),
            code_proof: code_proof(&code.answer_secret(), &device_key),
        }
    }

    /// Checks that the sender knew the code (given the code's stored answer secret).
    pub fn knows_code(&self, answer_secret: &[u8; 32]) -> bool {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(answer_secret)
            .expect("HMAC takes any key length");
        mac.update(CODE_PROOF_TAG);
        mac.update(&self.device_key);
        mac.verify_slice(&self.code_proof).is_ok()
    }

    /// Checks the proof of key possession.
    pub fn verify(&self) -> Result<VerifyingKey, ErrorCode> {
        let key = VerifyingKey::from_bytes(&self.device_key).map_err(|_| ErrorCode::Malformed)?;
        key.verify_strict(
            &[ENROLL_TAG, &self.code_lookup].concat(),
            &Signature::from_bytes(&self.proof),
        )
        .map_err(|_| ErrorCode::BadSignature)?;
        Ok(key)
    }
}

/// What the relay certifies about a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCertificate {
    pub version: u16,
    #[serde(with = "crate::cbor::array")]
    pub device_key: [u8; 32],
    pub event_id: String,
    pub role: EnrolledRole,
    /// The named recruiter a staff tablet is bound to.
    pub recruiter: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// The relay's answer, before it is authenticated with the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollAnswer {
    /// A [`DeviceCertificate`] signed by the relay (tag `kiosk-cert-v1`).
    pub certificate: SignedEnvelope,
    #[serde(with = "crate::cbor::array")]
    pub relay_signing_key: [u8; 32],
    pub relay_sealing_key: RelaySealingKey,
    /// The transparency log's verifier key (C2SP signed-note vkey text), which the tablet
    /// pins with the relay's keys; absent from a relay without a log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_key: Option<String>,
    /// The witnesses' verifier keys (C2SP tlog-cosignature vkey text) whose cosignatures
    /// the tablet requires before it counts a capture received; empty from a relay that
    /// names none. Older tablets ignore it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witness_keys: Vec<String>,
}

/// The answer's bytes with their code-derived tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    #[serde(with = "crate::cbor::bytes")]
    pub answer: Vec<u8>,
    #[serde(with = "crate::cbor::array")]
    pub tag: [u8; 32],
}

/// Why an enrollment answer was not accepted by the tablet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnrollAnswerError {
    #[error("the answer is not authenticated by this code: it may come from an impostor")]
    NotAuthentic,
    #[error("the answer is malformed")]
    Malformed,
    #[error("the certificate is not for this device or not signed by the relay")]
    BadCertificate,
}

impl EnrollResponse {
    /// The relay's side: encodes `answer` and tags it, with the code's stored answer secret,
    /// for the tablet holding `device_key`.
    pub fn new(
        answer_secret: &[u8; 32],
        device_key: &[u8; 32],
        answer: &EnrollAnswer,
    ) -> EnrollResponse {
        let answer = crate::cbor::to_vec(answer);
        let mut mac = answer_mac(answer_secret, device_key);
        mac.update(&answer);
        EnrollResponse {
            answer,
            tag: mac.finalize().into_bytes().into(),
        }
    }

    /// The tablet's side: checks the tag with the code it typed, then the certificate with
    /// the relay key the answer carries. Only then are the keys worth pinning.
    pub fn open(
        &self,
        code: &EnrollmentCode,
        device_key: &[u8; 32],
    ) -> Result<(EnrollAnswer, DeviceCertificate), EnrollAnswerError> {
        let mut mac = answer_mac(&code.answer_secret(), device_key);
        mac.update(&self.answer);
        if mac.verify_slice(&self.tag).is_err() {
            return Err(EnrollAnswerError::NotAuthentic);
        }
        let answer: EnrollAnswer = ciborium::from_reader(self.answer.as_slice())
            .map_err(|_| EnrollAnswerError::Malformed)?;
        let relay = VerifyingKey::from_bytes(&answer.relay_signing_key)
            .map_err(|_| EnrollAnswerError::BadCertificate)?;
        answer
            .certificate
            .verify(CERTIFICATE_TAG, &relay)
            .map_err(|_| EnrollAnswerError::BadCertificate)?;
        let certificate: DeviceCertificate = answer
            .certificate
            .decode()
            .map_err(|_| EnrollAnswerError::BadCertificate)?;
        if &certificate.device_key != device_key {
            return Err(EnrollAnswerError::BadCertificate);
        }
        if RelaySealingKey::new(answer.relay_sealing_key.public_key)
            .ok()
            .as_ref()
            != Some(&answer.relay_sealing_key)
        {
            return Err(EnrollAnswerError::Malformed);
        }
        Ok((answer, certificate))
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::capture::RelayOpeningKey;

    fn answer_for(device: &SigningKey, relay: &SigningKey) -> EnrollAnswer {
        let certificate = DeviceCertificate {
            version: 1,
            device_key: device.verifying_key().to_bytes(),
            event_id: "sthlm-career-fair-2026".into(),
            role: EnrolledRole::Kiosk,
            recruiter: None,
            issued_at: 1,
            expires_at: 2,
        };
        EnrollAnswer {
            certificate: SignedEnvelope::sign(CERTIFICATE_TAG, &certificate, relay),
            relay_signing_key: relay.verifying_key().to_bytes(),
            relay_sealing_key: RelayOpeningKey::generate().sealing_key().clone(),
            log_key: None,
            witness_keys: Vec::new(),
        }
    }

    #[test]
    fn codes_carry_100_bits_in_typeable_groups_and_read_back_tolerantly() {
        let code = EnrollmentCode::generate();
        let shown = code.display();
        assert_eq!(shown.len(), 24);
        assert_eq!(shown.matches('-').count(), 4);
        assert_eq!(
            EnrollmentCode::parse(&shown.to_lowercase().replace('-', " ")),
            Some(code.clone())
        );
        assert_eq!(EnrollmentCode::parse("ABCD-EFGH"), None);
        assert_eq!(
            EnrollmentCode::parse(&shown.replace(|c: char| c.is_ascii_alphabetic(), "0")),
            None
        );
        assert_ne!(EnrollmentCode::generate(), code);
        assert_eq!(format!("{code:?}"), "EnrollmentCode(…)");
    }

    #[test]
    fn the_relays_answer_opens_only_with_the_code_and_for_the_device_that_asked() {
        let code = EnrollmentCode::generate();
        let device = SigningKey::from_bytes(&[1; 32]);
        let relay = SigningKey::from_bytes(&[2; 32]);
        let device_key = device.verifying_key().to_bytes();
        let request = EnrollRequest::new(&code, &device, EnrolledRole::Kiosk);
        assert_eq!(request.verify(), Ok(device.verifying_key()));

        let response = EnrollResponse::new(
            &code.answer_secret(),
            &device_key,
            &answer_for(&device, &relay),
        );
        let (answer, certificate) = response.open(&code, &device_key).expect("authentic");
        assert_eq!(answer.relay_signing_key, relay.verifying_key().to_bytes());
        assert_eq!(certificate.role, EnrolledRole::Kiosk);

        // An evil twin without the code substitutes its own keys.
        let impostor = SigningKey::from_bytes(&[6; 32]);
        let forged = EnrollResponse::new(
            &EnrollmentCode::generate().answer_secret(),
            &device_key,
            &answer_for(&device, &impostor),
        );
        assert_eq!(
            forged.open(&code, &device_key).err(),
            Some(EnrollAnswerError::NotAuthentic)
        );
        let mut swapped = response.clone();
        swapped.answer = crate::cbor::to_vec(&answer_for(&device, &impostor));
        assert_eq!(
            swapped.open(&code, &device_key).err(),
            Some(EnrollAnswerError::NotAuthentic)
        );
        // The answer for one tablet does not serve another.
        let other = SigningKey::from_bytes(&[3; 32]).verifying_key().to_bytes();
        assert_eq!(
            response.open(&code, &other).err(),
            Some(EnrollAnswerError::NotAuthentic)
        );

        let mut stolen_proof = EnrollRequest::new(&code, &device, EnrolledRole::Kiosk);
        stolen_proof.device_key = other;
        assert_eq!(stolen_proof.verify(), Err(ErrorCode::BadSignature));

        // An eavesdropper copies the lookup hash and the code proof onto its own key.
        let eavesdropper = SigningKey::from_bytes(&[4; 32]);
        let seen = EnrollRequest::new(&code, &device, EnrolledRole::Kiosk);
        let mut copied = EnrollRequest::new(
            &EnrollmentCode::generate(),
            &eavesdropper,
            EnrolledRole::Kiosk,
        );
        copied.code_lookup = seen.code_lookup;
        copied.code_proof = seen.code_proof;
        copied.proof =
            ed25519_dalek::Signer::sign(&eavesdropper, &[ENROLL_TAG, &copied.code_lookup].concat())
                .to_bytes();
        assert!(copied.verify().is_ok(), "it holds its own key");
        assert!(
            !copied.knows_code(&code.answer_secret()),
            "but not the code"
        );
        assert!(seen.knows_code(&code.answer_secret()));
    }
}

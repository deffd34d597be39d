//! Whether a stored record's capture signature verifies, checked at read time: the answer to
//! HR's "did this really come from our tablet?". The signature covers `kiosk-capture-v1 ‖
//! device key ‖ doc id ‖ change hashes` ([`kiosk_core::capture::capture_message`]); the check
//! is the one ingest made when the seal opened ([`CapturePayload::verify`]), run again over
//! what the store holds now, so a record whose document, change hashes, capturing tablet
//! or signature was altered in the store since does not verify.

use ed25519_dalek::VerifyingKey;
use kiosk_core::capture::CapturePayload;
use kiosk_core::ids::{DeviceId, RegistrationId};

use crate::storage::CaptureEvidence;

/// What a record's page says of its capture signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureCheck {
    /// Made by the tablet's key over exactly the stored capture.
    Verifies,
    /// A signature is stored and does not cover what is stored: the record may have been
    /// altered in the store.
    DoesNotVerify,
    /// No signature is stored (a record kept before signatures were).
    NoSignature,
}

impl CaptureCheck {
    /// The API's name of the outcome.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureCheck::Verifies => "verifies",
            CaptureCheck::DoesNotVerify => "does_not_verify",
            CaptureCheck::NoSignature => "no_signature",
        }
    }
}

/// Checks record `doc_id`'s stored `evidence`.
pub fn check_capture(doc_id: &str, evidence: &CaptureEvidence) -> CaptureCheck {
    if evidence.capture_signature.is_empty() {
        return CaptureCheck::NoSignature;
    }
    match payload(doc_id, evidence).map(|p| p.verify().is_ok()) {
        Some(true) => CaptureCheck::Verifies,
        _ => CaptureCheck::DoesNotVerify,
    }
}

/// The capture as ingest checked it, rebuilt from the store's rows; `None` if a row is not
/// even the shape one (a key that is no key, hashes that are not 32 bytes each).
fn payload(doc_id: &str, evidence: &CaptureEvidence) -> Option<CapturePayload> {
    let key: [u8; 32] = evidence.device_key.as_slice().try_into().ok()?;
    let key = VerifyingKey::from_bytes(&key).ok()?;
    if !evidence.change_hashes.len().is_multiple_of(32) {
        return None;
    }
    let change_hashes = evidence
        .change_hashes
        .chunks_exact(32)
        .map(|h| h.try_into().expect("chunks of 32"))
        .collect();
    Some(CapturePayload {
        doc_id: RegistrationId::parse(doc_id)?,
        device_id: DeviceId::from_public_key(&key),
        document: evidence.document.clone(),
        change_hashes,
        capture_signature: evidence.capture_signature.clone(),
        // Not part of what is signed.
        receipt_code: String::new(),
        receipt_hash: None,
    })
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use kiosk_core::capture::capture_message;
    use kiosk_core::documents::RegistrationDocument;

    use super::*;

    /// A capture of the demo generator's first registration by tablet `signer`, as stored.
    fn signed(signer: &SigningKey) -> (String, CaptureEvidence) {
        let mut generator =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 3);
        let mut registration = generator.next_registration().expect("valid");
        let key = signer.verifying_key();
        registration.capturing_device = DeviceId::from_public_key(&key);
        let mut document =
            RegistrationDocument::create(&registration, &key, registration.captured_at)
                .expect("document");
        let hashes = document.change_hashes();
        let signature = ed25519_dalek::Signer::sign(
            signer,
            &capture_message(&registration.capturing_device, &registration.id, &hashes),
        );
        let evidence = CaptureEvidence {
            device_key: key.to_bytes().to_vec(),
            document: document.save_changes(),
            change_hashes: hashes.iter().flat_map(|h| h.0).collect(),
            capture_signature: signature.to_bytes().to_vec(),
            certified_at: None,
        };
        (registration.id.to_string(), evidence)
    }

    #[test]
    fn a_capture_as_the_tablet_signed_it_verifies() {
        let (id, evidence) = signed(&SigningKey::from_bytes(&[3; 32]));
        assert_eq!(check_capture(&id, &evidence), CaptureCheck::Verifies);
    }

    #[test]
    fn any_altered_part_of_the_capture_does_not_verify() {
        let (id, evidence) = signed(&SigningKey::from_bytes(&[3; 32]));
        let mut signature = evidence.clone();
        signature.capture_signature[5] ^= 1;
        let mut hashes = evidence.clone();
        hashes.change_hashes[0] ^= 1;
        let mut short_hashes = evidence.clone();
        short_hashes.change_hashes.pop();
        let mut document = evidence.clone();
        let last = document.document.len() - 1;
        document.document[last] ^= 1;
        let mut tablet = evidence.clone();
        tablet.device_key = SigningKey::from_bytes(&[4; 32])
            .verifying_key()
            .to_bytes()
            .to_vec();
        for (what, altered) in [
            ("signature", signature),
            ("hashes", hashes),
            ("hash blob length", short_hashes),
            ("document", document),
            ("capturing tablet", tablet),
        ] {
            assert_eq!(
                check_capture(&id, &altered),
                CaptureCheck::DoesNotVerify,
                "altered {what}"
            );
        }
        let other_id = RegistrationId::new(kiosk_core::ids::Timestamp::now()).to_string();
        assert_eq!(
            check_capture(&other_id, &evidence),
            CaptureCheck::DoesNotVerify,
            "filed under another id"
        );
    }

    #[test]
    fn a_record_without_a_stored_signature_says_so() {
        let (id, mut evidence) = signed(&SigningKey::from_bytes(&[3; 32]));
        evidence.capture_signature.clear();
        assert_eq!(check_capture(&id, &evidence), CaptureCheck::NoSignature);
    }
}

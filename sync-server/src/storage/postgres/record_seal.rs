//! Sealing one personal field of one record under its record key: XChaCha20-Poly1305 with a
//! random 24-byte nonce, stored as nonce ‖ ciphertext ‖ tag. The associated data names the
//! column, the record and (for a change) the change's hash, so a sealed value copied into
//! another column, another record or another change's row does not open. Which fields are
//! sealed and why is [`super::record_keys`]'s module doc.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::storage::{StorageError, StorageResult};

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// What sealing adds to a value's length (nonce and tag).
pub(super) const SEAL_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// Names the format in every associated data: a later format gets a new label.
const LABEL: &[u8] = b"kiosk-relay record field v1";

/// A sealed field's place: the column it is stored in and, for a change, its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field<'a> {
    /// `registrations.document`: the capture as the tablet sealed and signed it, opened.
    Document,
    /// `registration_changes.change` of the change with this hash.
    Change(&'a [u8]),
    /// `quarantine.payload`: a capture kept apart for review.
    QuarantinePayload,
    /// `registration_index.given_name`.
    GivenName,
    /// `registration_index.family_name`.
    FamilyName,
    /// `registration_index.search`: lower-case names, email, phone and receipt code.
    Search,
    /// `visitor_requests.text`: a correction the visitor asked for, in their words.
    VisitorRequestText,
}

impl Field<'_> {
    fn column(&self) -> &'static str {
        match self {
            Field::Document => "registrations.document",
            Field::Change(_) => "registration_changes.change",
            Field::QuarantinePayload => "quarantine.payload",
            Field::GivenName => "registration_index.given_name",
            Field::FamilyName => "registration_index.family_name",
            Field::Search => "registration_index.search",
            Field::VisitorRequestText => "visitor_requests.text",
        }
    }

    /// What the name says, its parts length-prefixed so no two places share bytes.
    fn associated_data(&self, doc_id: &str) -> Vec<u8> {
        let extra: &[u8] = match self {
            Field::Change(hash) => hash,
            _ => &[],
        };
        let mut data = Vec::with_capacity(LABEL.len() + 64 + doc_id.len() + extra.len());
        for part in [LABEL, self.column().as_bytes(), doc_id.as_bytes(), extra] {
            data.extend_from_slice(&(part.len() as u32).to_be_bytes());
            data.extend_from_slice(part);
        }
        data
    }
}

/// One record's key: 32 random bytes, wiped from memory when dropped, never printed.
pub(crate) struct RecordKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(..)")
    }
}

impl RecordKey {
    /// A new random key (the store's keys are made by the server: `record_keys::NEW_KEY_SQL`).
    #[cfg(test)]
    pub(super) fn random() -> RecordKey {
        RecordKey(Zeroizing::new(rand::random()))
    }

    /// A key as stored; `None` unless it is 32 bytes.
    pub(super) fn from_stored(bytes: &[u8]) -> Option<RecordKey> {
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(RecordKey(Zeroizing::new(key)))
    }

    /// The bytes to store in the key table.
    #[cfg(test)]
    pub(super) fn as_stored(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// The record's transparency-log nonce, SHA-256("kiosk-tlog-nonce-v1" ‖ key)
    /// (`super::tlog`): derived, so it is gone when the key is.
    pub(super) fn tlog_nonce(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::new()
            .chain_update(b"kiosk-tlog-nonce-v1")
            .chain_update(self.0.as_slice())
            .finalize()
            .into()
    }

    /// The nonce of the copies a tablet other than the record's capturing one had kept
    /// apart under this record's id, SHA-256("kiosk-tlog-quarantine-nonce-v1" ‖ key ‖
    /// device): never the record's, so that tablet cannot link the record's leaves.
    pub(super) fn quarantine_copy_nonce(&self, device_key: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::new()
            .chain_update(b"kiosk-tlog-quarantine-nonce-v1")
            .chain_update(self.0.as_slice())
            .chain_update(device_key)
            .finalize()
            .into()
    }

    /// `value` sealed for `field` of record `doc_id`.
    pub(super) fn seal(&self, doc_id: &str, field: Field<'_>, value: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let aad = field.associated_data(doc_id);
        let sealed = XChaCha20Poly1305::new((&*self.0).into())
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: value,
                    aad: &aad,
                },
            )
            .expect("sealing a value in memory cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    /// A value [`RecordKey::seal`] sealed for `field` of record `doc_id`; a value sealed
    /// under another key, for another place, or altered, is refused (naming only the field).
    pub(super) fn open(
        &self,
        doc_id: &str,
        field: Field<'_>,
        sealed: &[u8],
    ) -> StorageResult<Vec<u8>> {
        let refused = || StorageError::Undecodable(field.column());
        if sealed.len() < SEAL_OVERHEAD {
            return Err(refused());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| refused())?;
        let aad = field.associated_data(doc_id);
        XChaCha20Poly1305::new((&*self.0).into())
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| refused())
    }

    /// [`RecordKey::open`] of a text field.
    pub(super) fn open_text(
        &self,
        doc_id: &str,
        field: Field<'_>,
        sealed: &[u8],
    ) -> StorageResult<String> {
        String::from_utf8(self.open(doc_id, field, sealed)?)
            .map_err(|_| StorageError::Undecodable(field.column()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_record_column_and_change_under_its_key() {
        let key = RecordKey::random();
        let sealed = key.seal("doc-a", Field::GivenName, b"Astrid");
        assert_eq!(sealed.len(), b"Astrid".len() + SEAL_OVERHEAD);
        assert_eq!(
            key.open_text("doc-a", Field::GivenName, &sealed)
                .expect("opens"),
            "Astrid"
        );
        // Another record, another column, another key: refused.
        assert!(key.open("doc-b", Field::GivenName, &sealed).is_err());
        assert!(key.open("doc-a", Field::FamilyName, &sealed).is_err());
        assert!(
            RecordKey::random()
                .open("doc-a", Field::GivenName, &sealed)
                .is_err()
        );
        // A change's bytes open only as that change.
        let change = key.seal("doc-a", Field::Change(&[1; 32]), b"bytes");
        assert!(key.open("doc-a", Field::Change(&[2; 32]), &change).is_err());
        assert!(key.open("doc-a", Field::Document, &change).is_err());
        // One bit flipped, or cut short: refused.
        let mut altered = sealed.clone();
        altered[30] ^= 1;
        assert!(key.open("doc-a", Field::GivenName, &altered).is_err());
        assert!(key.open("doc-a", Field::GivenName, &sealed[..20]).is_err());
        // The same value sealed twice differs (random nonce).
        assert_ne!(sealed, key.seal("doc-a", Field::GivenName, b"Astrid"));
    }

    #[test]
    fn a_record_key_is_never_printed() {
        let key = RecordKey::random();
        assert_eq!(format!("{key:?}"), "RecordKey(..)");
    }
}

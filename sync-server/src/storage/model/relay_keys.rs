//! The public halves of the relay's keys, as a shared store records them: what tells one
//! relay instance's keys from another's without holding any secret.

/// The relay's signing key (public) and its sealing key's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayKeyIds {
    pub signing_public: [u8; 32],
    pub sealing_key_id: String,
}

/// A secret for one `purpose`, derived from the relay's signing key (an HMAC of the purpose
/// under it): every instance of one store holds the same relay keys, so they derive the same
/// secret, and the store never holds it.
pub fn derived_secret(signing: &ed25519_dalek::SigningKey, purpose: &[u8]) -> [u8; 32] {
    crate::keyed_hash::hmac_sha256(&signing.to_bytes(), &[purpose])
}

/// The secret a PostgreSQL store tags email addresses under, for finding a whole address
/// without keeping it in clear.
pub fn email_tag_secret(signing: &ed25519_dalek::SigningKey) -> [u8; 32] {
    derived_secret(signing, b"kiosk-email-tags-v1")
}

//! The public halves of the relay's keys, as a shared store records them: what tells one
//! relay instance's keys from another's without holding any secret.

/// The relay's signing key (public) and its sealing key's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayKeyIds {
    pub signing_public: [u8; 32],
    pub sealing_key_id: String,
}

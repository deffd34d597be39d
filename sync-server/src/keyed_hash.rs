//! HMAC-SHA-256, the relay's one keyed hash: pull-cursor tags, rate-limit keys, email tags
//! and the secrets derived from the relay's signing key all go through [`hmac_sha256`].

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA-256 under `key` of `parts` one after the other (as of their concatenation).
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

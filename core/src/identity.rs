//! The device's identity: an Ed25519 key pair made on first open, its private half kept
//! encrypted at rest under the data key from the platform's secret store.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::ids::DeviceId;
use crate::secrets::DataKey;

/// Binds the encrypted key to its purpose, so the ciphertext cannot be passed off as another
/// secret under the same data key.
const KEY_AT_REST_AAD: &[u8] = b"kiosk-device-key-v1";
const NONCE_LEN: usize = 24;

/// Decrypting the stored private key failed: the data key is not the one it was stored under,
/// or the bytes were altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the device key cannot be decrypted with this data key")]
pub struct WrongDataKey;

/// The device's signing key. Never leaves the core unencrypted.
#[derive(Debug)]
pub struct DeviceIdentity {
    signing_key: SigningKey,
}

impl DeviceIdentity {
    pub fn generate() -> DeviceIdentity {
        DeviceIdentity {
            signing_key: SigningKey::from_bytes(&rand::random()),
        }
    }

    /// An identity for a key held elsewhere (tests that play a device byte by byte).
    pub fn from_signing_key(signing_key: SigningKey) -> DeviceIdentity {
        DeviceIdentity { signing_key }
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.signing_key.verifying_key()
    }

    pub fn device_id(&self) -> DeviceId {
        DeviceId::from_public_key(&self.public_key())
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        self.signing_key.sign(message)
    }

    /// The private key encrypted under `data_key`: nonce ‖ XChaCha20-Poly1305 ciphertext.
    pub fn encrypt(&self, data_key: &DataKey) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(data_key.as_bytes().into());
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = XNonce::from(nonce_bytes);
        let payload = Payload {
            msg: self.signing_key.as_bytes(),
            aad: KEY_AT_REST_AAD,
        };
        let ciphertext = cipher
            .encrypt(&nonce, payload)
            .expect("encrypting 32 bytes cannot fail");
        [nonce_bytes.as_slice(), &ciphertext].concat()
    }

    /// The identity stored by [`DeviceIdentity::encrypt`].
    pub fn decrypt(stored: &[u8], data_key: &DataKey) -> Result<DeviceIdentity, WrongDataKey> {
        if stored.len() <= NONCE_LEN {
            return Err(WrongDataKey);
        }
        let (nonce, ciphertext) = stored.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| WrongDataKey)?;
        let cipher = XChaCha20Poly1305::new(data_key.as_bytes().into());
        let payload = Payload {
            msg: ciphertext,
            aad: KEY_AT_REST_AAD,
        };
        let mut secret = cipher
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| WrongDataKey)?;
        let bytes: [u8; 32] = secret.as_slice().try_into().map_err(|_| WrongDataKey)?;
        zeroize::Zeroize::zeroize(&mut secret);
        Ok(DeviceIdentity {
            signing_key: SigningKey::from_bytes(&bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_round_trips_under_its_data_key_only() {
        let identity = DeviceIdentity::generate();
        let data_key = DataKey::generate();
        let stored = identity.encrypt(&data_key);
        assert!(
            !stored
                .windows(32)
                .any(|w| w == identity.signing_key.as_bytes())
        );
        let restored = DeviceIdentity::decrypt(&stored, &data_key).expect("right key");
        assert_eq!(restored.public_key(), identity.public_key());
        assert_eq!(
            DeviceIdentity::decrypt(&stored, &DataKey::generate()).map(|i| i.public_key()),
            Err(WrongDataKey)
        );
        let mut altered = stored.clone();
        altered[30] ^= 1;
        assert!(DeviceIdentity::decrypt(&altered, &data_key).is_err());
        assert!(DeviceIdentity::decrypt(&stored[..20], &data_key).is_err());
    }
}

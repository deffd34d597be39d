//! The relay's keys: an Ed25519 key that signs certificates and receipts, and an X25519 key
//! that opens sealed captures. Made on first start in the data directory, readable only by
//! the relay's user, and loaded on every later start.

use std::path::Path;

use ed25519_dalek::SigningKey;
use kiosk_core::capture::RelayOpeningKey;

const SIGNING_KEY_FILE: &str = "relay-signing.key";
const SEALING_SEED_FILE: &str = "relay-sealing.seed";

#[derive(Debug)]
pub struct RelayKeys {
    pub signing: SigningKey,
    pub sealing: RelayOpeningKey,
}

impl RelayKeys {
    /// Loads the keys from `data_dir`, making them if they do not exist yet.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<RelayKeys> {
        crate::private_files::create_dir(data_dir)?;
        let signing = read_or_make_secret(&data_dir.join(SIGNING_KEY_FILE))?;
        let sealing = read_or_make_secret(&data_dir.join(SEALING_SEED_FILE))?;
        Ok(RelayKeys {
            signing: SigningKey::from_bytes(&signing),
            sealing: RelayOpeningKey::from_seed(&sealing),
        })
    }

    /// Keys from fixed seeds, for tests.
    pub fn from_seeds(signing: [u8; 32], sealing: [u8; 32]) -> RelayKeys {
        RelayKeys {
            signing: SigningKey::from_bytes(&signing),
            sealing: RelayOpeningKey::from_seed(&sealing),
        }
    }
}

fn read_or_make_secret(path: &Path) -> std::io::Result<[u8; 32]> {
    match std::fs::read(path) {
        Ok(bytes) => bytes.try_into().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} is not a 32-byte key; it was left as it is",
                    path.display()
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            let secret: [u8; 32] = rand::random();
            let mut file = crate::private_files::new_file_options()
                .write(true)
                .create_new(true)
                .open(path)?;
            file.write_all(&secret)?;
            file.sync_all()?;
            Ok(secret)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_once_with_owner_only_permissions_and_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = RelayKeys::load_or_create(dir.path()).expect("creates");
        let again = RelayKeys::load_or_create(dir.path()).expect("loads");
        assert_eq!(first.signing.verifying_key(), again.signing.verifying_key());
        assert_eq!(first.sealing.sealing_key(), again.sealing.sealing_key());
        #[cfg(unix)]
        for file in [SIGNING_KEY_FILE, SEALING_SEED_FILE] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(file))
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        std::fs::write(dir.path().join(SIGNING_KEY_FILE), b"short").expect("writes");
        assert!(RelayKeys::load_or_create(dir.path()).is_err());
    }
}

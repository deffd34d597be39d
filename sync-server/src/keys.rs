//! The relay's keys: an Ed25519 key that signs certificates and receipts, and an X25519 key
//! that opens sealed captures. Made on first start in the data directory, readable only by
//! the relay's user, and loaded on every later start. Relay instances sharing a PostgreSQL
//! database must all hold the same keys ([`RelayKeys::for_shared_store`]).

use std::path::Path;

use ed25519_dalek::SigningKey;
use kiosk_core::capture::RelayOpeningKey;

use crate::storage::{PgStore, RelayKeyIds, StorageError};

/// The signing key's file in the data directory.
pub const SIGNING_KEY_FILE: &str = "relay-signing.key";
/// The sealing seed's file in the data directory.
pub const SEALING_SEED_FILE: &str = "relay-sealing.seed";
/// The key files in the data directory, each 32 bytes (readiness checks they can be read).
pub const KEY_FILES: [&str; 2] = [SIGNING_KEY_FILE, SEALING_SEED_FILE];
/// The length of each key file.
pub const KEY_FILE_LEN: u64 = 32;

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

impl RelayKeys {
    /// The public halves of these keys.
    pub fn ids(&self) -> RelayKeyIds {
        RelayKeyIds {
            signing_public: self.signing.verifying_key().to_bytes(),
            sealing_key_id: self.sealing.sealing_key().key_id.clone(),
        }
    }

    /// The keys in `data_dir` of one relay instance among several on the PostgreSQL
    /// database of `store`: the keys the database's first instance recorded. A data
    /// directory without keys gets new ones only while the database has none recorded
    /// (the first instance); otherwise, and for other keys than the recorded ones, the
    /// instance is refused: tablets trust only the keys they enrolled with.
    pub fn for_shared_store(
        data_dir: &Path,
        store: &PgStore,
    ) -> Result<RelayKeys, SharedKeysError> {
        let has_keys = [SIGNING_KEY_FILE, SEALING_SEED_FILE]
            .iter()
            .any(|file| data_dir.join(file).exists());
        if !has_keys && store.bound_relay_keys()?.is_some() {
            return Err(SharedKeysError::Missing {
                data_dir: data_dir.display().to_string(),
            });
        }
        let keys = RelayKeys::load_or_create(data_dir)?;
        if store.bind_relay_keys(&keys.ids())? != keys.ids() {
            return Err(SharedKeysError::Other {
                data_dir: data_dir.display().to_string(),
            });
        }
        Ok(keys)
    }
}

/// Why a relay instance may not serve from a shared database with the keys of its data
/// directory. The texts name the files and the remedy, never a key.
#[derive(Debug, thiserror::Error)]
pub enum SharedKeysError {
    #[error(
        "{data_dir} holds no relay keys, and the database's other relay instances have theirs: \
         copy {SIGNING_KEY_FILE} and {SEALING_SEED_FILE} (mode 0600) from an instance that \
         serves this database into {data_dir}, then start again"
    )]
    Missing { data_dir: String },
    #[error(
        "the relay keys in {data_dir} are not the ones the database's other relay instances \
         sign and seal with (tablets would refuse this instance's answers): replace \
         {SIGNING_KEY_FILE} and {SEALING_SEED_FILE} in {data_dir} with the files of an \
         instance that serves this database"
    )]
    Other { data_dir: String },
    #[error("reading or writing the relay keys: {0}")]
    Files(#[from] std::io::Error),
    #[error("{0}")]
    Storage(#[from] StorageError),
}

/// The 32-byte secret in `path`, made (0600) if the file does not exist yet.
pub(crate) fn read_or_make_secret(path: &Path) -> std::io::Result<[u8; 32]> {
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

    #[test]
    fn instances_on_one_database_share_the_first_ones_keys_and_others_are_refused() {
        let url = crate::storage::postgres::test_cluster::fresh_database_url();
        let store = PgStore::open(&url).expect("opens");
        let first_dir = tempfile::tempdir().expect("tempdir");
        let first = RelayKeys::for_shared_store(first_dir.path(), &store).expect("first");

        // A second instance with an empty data directory makes no keys of its own.
        let second_dir = tempfile::tempdir().expect("tempdir");
        let second = PgStore::open(&url).expect("a second instance");
        let refused = RelayKeys::for_shared_store(second_dir.path(), &second)
            .expect_err("no keys copied yet");
        assert!(
            matches!(refused, SharedKeysError::Missing { .. }),
            "{refused}"
        );
        assert!(!second_dir.path().join(SIGNING_KEY_FILE).exists());
        assert!(!second_dir.path().join(SEALING_SEED_FILE).exists());

        // With the first instance's files it serves with the same keys.
        for file in [SIGNING_KEY_FILE, SEALING_SEED_FILE] {
            std::fs::copy(first_dir.path().join(file), second_dir.path().join(file))
                .expect("copied");
        }
        let copied = RelayKeys::for_shared_store(second_dir.path(), &second).expect("shares");
        assert_eq!(copied.ids(), first.ids());

        // Keys made elsewhere are refused, and the text names no key.
        let stranger_dir = tempfile::tempdir().expect("tempdir");
        RelayKeys::load_or_create(stranger_dir.path()).expect("other keys");
        let refused =
            RelayKeys::for_shared_store(stranger_dir.path(), &second).expect_err("other keys");
        assert!(
            matches!(refused, SharedKeysError::Other { .. }),
            "{refused}"
        );
        let text = refused.to_string();
        assert!(!text.contains(&hex::encode(first.ids().signing_public)));
        assert!(!text.contains(&first.ids().sealing_key_id));
    }
}

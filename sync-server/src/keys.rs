//! The relay's keys: an Ed25519 key that signs certificates and receipts, and an X25519 key
//! that opens sealed captures. Made on first start in the data directory, readable only by
//! the relay's user, and loaded on every later start. Relay instances sharing a PostgreSQL
//! database must all hold the same keys ([`RelayKeys::for_shared_store`]).
//!
//! During a key rotation ([`crate::key_rotation`]) the relay holds a ring: the current keys,
//! which it enrolls with and signs for tablets that adopted them, and the previous ones, which
//! still sign answers for tablets that have not and open what those sealed. Secrets derived
//! from the signing key (email tags, pull cursors, rate-limit keys) keep being derived from the
//! first key (the derivation root), so a rotation changes none of them.
use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use kiosk_core::capture::{OpenedCapture, RelayOpeningKey, SealError, UnsealedCapture};
use kiosk_core::protocol::Command;

use crate::storage::{PgStore, RelayKeyIds, StorageError};

/// The signing key's file in the data directory.
pub const SIGNING_KEY_FILE: &str = "relay-signing.key";
/// The sealing seed's file in the data directory.
pub const SEALING_SEED_FILE: &str = "relay-sealing.seed";
/// The key files in the data directory, each 32 bytes (readiness checks they can be read).
pub const KEY_FILES: [&str; 2] = [SIGNING_KEY_FILE, SEALING_SEED_FILE];
/// The length of each key file.
pub const KEY_FILE_LEN: u64 = 32;
/// During a rotation: the signing key tablets that have not adopted the new one still pin.
pub const PREVIOUS_SIGNING_KEY_FILE: &str = "relay-signing.previous.key";
/// During a rotation: the sealing seed of the key those tablets still seal to.
pub const PREVIOUS_SEALING_SEED_FILE: &str = "relay-sealing.previous.seed";
/// Written at the first rotation: the first signing key, which the relay's derived secrets
/// (email tags, pull cursors, rate-limit keys) stay derived from. Never removed.
pub const DERIVATION_ROOT_FILE: &str = "relay-derivation.key";
/// The public halves of retired keys, one `signing_public sealing_key_id` line each (hex):
/// checkpoints they signed still verify, and a seal to one is refused by name.
pub const RETIRED_KEYS_FILE: &str = "relay-retired-keys";

#[derive(Debug)]
pub struct RelayKeys {
    pub signing: SigningKey,
    pub sealing: RelayOpeningKey,
    /// The keys before the current ones, while a rotation is under way.
    pub previous: PreviousKeys,
    /// Keys retired after earlier rotations (public halves only).
    pub retired: Vec<RetiredKeys>,
    derivation_root: SigningKey,
    /// The key visitors' receipt tags are made under ([`crate::visitor_receipt::key`]): a
    /// file of its own, never rotated with the others (a receipt is kept for years).
    pub receipt: crate::visitor_receipt::key::ReceiptKey,
}

/// The previous keys of a rotation under way. Each may be absent on its own (a rotation
/// interrupted half-way leaves a ring that still works).
#[derive(Debug, Default)]
pub struct PreviousKeys {
    pub signing: Option<SigningKey>,
    pub sealing: Option<RelayOpeningKey>,
}

/// A retired key pair, as the relay remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredKeys {
    pub signing_public: [u8; 32],
    pub sealing_key_id: String,
}

impl RelayKeys {
    /// Loads the keys from `data_dir`, making them if they do not exist yet (a new relay).
    /// Finishes a rotation that was interrupted half-way first.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<RelayKeys> {
        crate::private_files::create_dir(data_dir)?;
        crate::key_rotation::finish_interrupted(data_dir)?;
        // A relay that rotated once never makes a first key again: a missing current key
        // there is a damaged directory, not a new relay.
        let rotated = data_dir.join(DERIVATION_ROOT_FILE).exists();
        let read = |file: &str| {
            if rotated {
                read_secret(&data_dir.join(file))
            } else {
                read_or_make_secret(&data_dir.join(file))
            }
        };
        let signing = read(SIGNING_KEY_FILE)?;
        let sealing = read(SEALING_SEED_FILE)?;
        let optional = |file: &str| -> std::io::Result<Option<[u8; 32]>> {
            match read_secret(&data_dir.join(file)) {
                Ok(secret) => Ok(Some(secret)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        };
        let root = optional(DERIVATION_ROOT_FILE)?.unwrap_or(signing);
        let receipt = crate::visitor_receipt::key::ReceiptKey::load_or_create(data_dir)?;
        Ok(RelayKeys {
            receipt,
            signing: SigningKey::from_bytes(&signing),
            sealing: RelayOpeningKey::from_seed(&sealing),
            previous: PreviousKeys {
                signing: optional(PREVIOUS_SIGNING_KEY_FILE)?.map(|k| SigningKey::from_bytes(&k)),
                sealing: optional(PREVIOUS_SEALING_SEED_FILE)?
                    .map(|k| RelayOpeningKey::from_seed(&k)),
            },
            retired: crate::key_rotation::read_retired(data_dir)?,
            derivation_root: SigningKey::from_bytes(&root),
        })
    }

    /// Keys from fixed seeds, for tests.
    pub fn from_seeds(signing: [u8; 32], sealing: [u8; 32]) -> RelayKeys {
        RelayKeys {
            // Derived from the signing seed, so tests with the same seeds share receipts.
            receipt: crate::visitor_receipt::key::ReceiptKey::from_bytes(
                crate::keyed_hash::hmac_sha256(&signing, &[b"kiosk-receipt-key-for-tests"]),
            ),
            signing: SigningKey::from_bytes(&signing),
            sealing: RelayOpeningKey::from_seed(&sealing),
            previous: PreviousKeys::default(),
            retired: Vec::new(),
            derivation_root: SigningKey::from_bytes(&signing),
        }
    }

    /// A ring in the middle of a rotation from the keys of `previous` to `current`, for
    /// tests: derived secrets stay those of `previous`.
    pub fn rotating_for_tests(previous: RelayKeys, current: RelayKeys) -> RelayKeys {
        RelayKeys {
            derivation_root: previous.derivation_root.clone(),
            previous: PreviousKeys {
                signing: Some(previous.signing),
                sealing: Some(previous.sealing),
            },
            ..current
        }
    }

    /// The key the relay's derived secrets (email tags, pull cursors, rate-limit keys) are
    /// derived from: the first signing key, whatever rotations came after.
    pub fn derivation_root(&self) -> &SigningKey {
        &self.derivation_root
    }

    /// Whether a rotation is under way (previous keys are held).
    pub fn rotating(&self) -> bool {
        self.previous.signing.is_some() || self.previous.sealing.is_some()
    }

    /// The key to sign for a tablet that names `pinned` as the key it verifies with: the
    /// previous key for a tablet that has not adopted the current one, else the current.
    pub fn signing_for(&self, pinned: &[u8; 32]) -> &SigningKey {
        match &self.previous.signing {
            Some(previous) if previous.verifying_key().as_bytes() == pinned => previous,
            _ => &self.signing,
        }
    }

    /// Whether `key` is one this relay signs with (current or previous): only then is it
    /// recorded as the key a tablet pins.
    pub fn holds_signing_key(&self, key: &[u8; 32]) -> bool {
        self.signing.verifying_key().as_bytes() == key
            || self
                .previous
                .signing
                .as_ref()
                .is_some_and(|p| p.verifying_key().as_bytes() == key)
    }

    /// The announcement a tablet pinning `pinned` gets while it pins other keys than the
    /// current ones; `None` for a tablet that has adopted them (or pins keys this relay does
    /// not hold: it can verify nothing this relay signs).
    pub fn announcement_for(&self, pinned: &[u8; 32]) -> Option<Command> {
        let current = self.signing.verifying_key();
        if current.as_bytes() == pinned || !self.holds_signing_key(pinned) {
            return None;
        }
        Some(Command::AdoptRelayKeys {
            signing_key: current.to_bytes(),
            sealing_key: self.sealing.sealing_key().clone(),
        })
    }

    /// The opening key for a seal that names `key_id`.
    fn opening_key_for(&self, sealed: &[u8]) -> &RelayOpeningKey {
        let named = kiosk_core::capture::sealed_key_id(sealed);
        match &self.previous.sealing {
            Some(previous) if named.as_deref() == Some(&previous.sealing_key().key_id) => previous,
            _ => &self.sealing,
        }
    }

    /// Decrypts a sealed capture with whichever key of the ring it names.
    pub fn unseal(&self, sealed: &[u8]) -> Result<UnsealedCapture, SealError> {
        self.opening_key_for(sealed).unseal(sealed)
    }

    /// Opens and reads a sealed capture with whichever key of the ring it names.
    pub fn open(&self, sealed: &[u8]) -> Result<OpenedCapture, SealError> {
        self.opening_key_for(sealed).open(sealed)
    }

    /// Whether `key_id` names a sealing key this relay retired.
    pub fn retired_sealing_key(&self, key_id: &str) -> bool {
        self.retired.iter().any(|r| r.sealing_key_id == key_id)
    }

    /// Every signing key this relay ever signed with that it knows of: current, previous,
    /// retired (public halves), for checking what it signed before (checkpoints).
    pub fn signing_publics(&self) -> Vec<VerifyingKey> {
        let mut keys = vec![self.signing.verifying_key()];
        keys.extend(self.previous.signing.as_ref().map(|p| p.verifying_key()));
        keys.extend(
            self.retired
                .iter()
                .filter_map(|r| VerifyingKey::from_bytes(&r.signing_public).ok()),
        );
        keys
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

    /// The public halves of the keys before a rotation under way (each the current one
    /// where the rotation left it unchanged).
    pub fn previous_ids(&self) -> Option<RelayKeyIds> {
        if !self.rotating() {
            return None;
        }
        Some(RelayKeyIds {
            signing_public: self
                .previous
                .signing
                .as_ref()
                .unwrap_or(&self.signing)
                .verifying_key()
                .to_bytes(),
            sealing_key_id: self
                .previous
                .sealing
                .as_ref()
                .unwrap_or(&self.sealing)
                .sealing_key()
                .key_id
                .clone(),
        })
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
        let has_keys = [SIGNING_KEY_FILE, SEALING_SEED_FILE, DERIVATION_ROOT_FILE]
            .iter()
            .any(|file| data_dir.join(file).exists());
        if !has_keys && store.bound_relay_keys()?.is_some() {
            return Err(SharedKeysError::Missing {
                data_dir: data_dir.display().to_string(),
            });
        }
        let keys = RelayKeys::load_or_create(data_dir)?;
        let mut bound = store.bind_relay_keys(&keys.ids())?;
        // The first instance restarted after a rotation moves the database to the new keys;
        // the others must then be given the same key files before they serve again.
        if let Some(previous) = keys.previous_ids()
            && bound == previous
        {
            bound = store
                .rebind_relay_keys(&previous, &keys.ids())?
                .unwrap_or(bound);
        }
        if bound != keys.ids() {
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

/// Reads a 32-byte key file.
pub(crate) fn read_secret(path: &Path) -> std::io::Result<[u8; 32]> {
    let bytes = std::fs::read(path)?;
    bytes.try_into().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} is not a 32-byte key; it was left as it is",
                path.display()
            ),
        )
    })
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
            let secret: [u8; 32] = rand::random();
            write_new_secret(path, &secret)?;
            Ok(secret)
        }
        Err(e) => Err(e),
    }
}

/// Creates `path` (never overwriting) with `secret`, durably, mode 0600.
pub(crate) fn write_new_secret(path: &Path, secret: &[u8; 32]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = crate::private_files::new_file_options()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(secret)?;
    file.sync_all()
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

    #[test]
    fn after_a_rotation_the_first_instance_restarted_moves_the_database_to_the_new_keys() {
        let url = crate::storage::postgres::test_cluster::fresh_database_url();
        let store = PgStore::open(&url).expect("opens");
        let first_dir = tempfile::tempdir().expect("tempdir");
        let before = RelayKeys::for_shared_store(first_dir.path(), &store).expect("first");
        let second_dir = tempfile::tempdir().expect("tempdir");
        let copy_keys = |to: &Path| {
            for entry in std::fs::read_dir(first_dir.path()).expect("lists") {
                let entry = entry.expect("entry");
                std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copied");
            }
        };
        copy_keys(second_dir.path());

        let rotated = crate::key_rotation::rotate(first_dir.path()).expect("rotates");
        let restarted = RelayKeys::for_shared_store(first_dir.path(), &store).expect("rebinds");
        assert_eq!(restarted.ids(), rotated.ids());
        assert_eq!(
            store.bound_relay_keys().expect("reads"),
            Some(rotated.ids())
        );

        // An instance still holding only the old keys is refused until it gets the new files.
        let second = PgStore::open(&url).expect("a second instance");
        let refused = RelayKeys::for_shared_store(second_dir.path(), &second)
            .expect_err("old keys after the rotation");
        assert!(
            matches!(refused, SharedKeysError::Other { .. }),
            "{refused}"
        );
        for entry in std::fs::read_dir(second_dir.path()).expect("lists") {
            std::fs::remove_file(entry.expect("entry").path()).expect("removed");
        }
        copy_keys(second_dir.path());
        let copied = RelayKeys::for_shared_store(second_dir.path(), &second).expect("shares");
        assert_eq!(copied.ids(), rotated.ids());
        assert_eq!(copied.previous_ids(), Some(before.ids()));
    }
}

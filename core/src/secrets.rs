//! Where the device's data key lives: a secret store the platform provides.
//!
//! On a tablet the shell implements [`SecretStore`] over the Keychain or the Android
//! Keystore; the core only asks for named secrets. [`FileSecretStore`] keeps them in a file
//! with owner-only permissions, for tests and the command line; [`MemorySecretStore`] keeps
//! them in memory.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret store failed. The text says what failed, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret store: {0}")]
pub struct SecretStoreError(pub String);

/// Named secrets kept by the platform. Implementations must be safe to call from any thread.
pub trait SecretStore: Send + Sync {
    /// The secret stored under `name`, or `None` if there is none.
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, SecretStoreError>;
    /// Stores `secret` under `name`, replacing any earlier one.
    fn store(&self, name: &str, secret: &[u8]) -> Result<(), SecretStoreError>;
    /// Removes the secret under `name`; removing one that is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), SecretStoreError>;
}

/// The 256-bit key that encrypts the device's private key (and, on staff tablets, pulled
/// records) at rest. Wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; 32]);

impl DataKey {
    pub fn generate() -> DataKey {
        DataKey(rand::random())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> DataKey {
        DataKey(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A separate key for `purpose`, so one data key serves several uses independently.
    pub(crate) fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::new()
            .chain_update(purpose)
            .chain_update(self.0)
            .finalize()
            .into()
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

/// Secrets in memory, for tests.
#[derive(Debug, Default)]
pub struct MemorySecretStore {
    secrets: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl SecretStore for MemorySecretStore {
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, SecretStoreError> {
        let secrets = self.secrets.lock().map_err(|_| poisoned())?;
        Ok(secrets.get(name).cloned())
    }

    fn store(&self, name: &str, secret: &[u8]) -> Result<(), SecretStoreError> {
        let mut secrets = self.secrets.lock().map_err(|_| poisoned())?;
        secrets.insert(name.to_owned(), secret.to_vec());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), SecretStoreError> {
        let mut secrets = self.secrets.lock().map_err(|_| poisoned())?;
        if let Some(mut secret) = secrets.remove(name) {
            zeroize::Zeroize::zeroize(&mut secret);
        }
        Ok(())
    }
}

fn poisoned() -> SecretStoreError {
    SecretStoreError("a thread panicked while holding the secrets".into())
}

/// Secrets in one directory, one file each, readable only by the owner. For tests and the
/// command line; a tablet uses its platform key store instead.
#[derive(Debug, Clone)]
pub struct FileSecretStore {
    directory: PathBuf,
}

impl FileSecretStore {
    pub fn new(directory: impl Into<PathBuf>) -> FileSecretStore {
        FileSecretStore {
            directory: directory.into(),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, SecretStoreError> {
        let safe = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !safe {
            return Err(SecretStoreError(format!("invalid secret name {name:?}")));
        }
        Ok(self.directory.join(format!("{name}.secret")))
    }
}

impl SecretStore for FileSecretStore {
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, SecretStoreError> {
        let path = self.path(name)?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SecretStoreError(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    fn store(&self, name: &str, secret: &[u8]) -> Result<(), SecretStoreError> {
        use std::io::Write;
        let path = self.path(name)?;
        let failed =
            |e: std::io::Error| SecretStoreError(format!("cannot write {}: {e}", path.display()));
        std::fs::create_dir_all(&self.directory).map_err(failed)?;
        let temporary = path.with_extension("secret.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        // A temporary file left by a crash may have other permissions: start afresh.
        let _ = std::fs::remove_file(&temporary);
        let mut file = options.open(&temporary).map_err(failed)?;
        file.write_all(secret).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        std::fs::rename(&temporary, &path).map_err(failed)?;
        // The rename must be durable before anything is encrypted under this secret.
        #[cfg(unix)]
        std::fs::File::open(&self.directory)
            .and_then(|d| d.sync_all())
            .map_err(failed)?;
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), SecretStoreError> {
        use std::io::Write;
        let path = self.path(name)?;
        let failed =
            |e: std::io::Error| SecretStoreError(format!("cannot delete {}: {e}", path.display()));
        // Overwrite before unlinking, so the key does not linger in the file's old blocks
        // on a plain file system.
        match std::fs::OpenOptions::new().write(true).open(&path) {
            Ok(mut file) => {
                let length = file.metadata().map_err(failed)?.len() as usize;
                file.write_all(&vec![0; length]).map_err(failed)?;
                file.sync_all().map_err(failed)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(failed(e)),
        }
        std::fs::remove_file(&path).map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_secrets_round_trip_with_owner_only_permissions() {
        let directory = tempfile::tempdir().expect("tempdir");
        let store = FileSecretStore::new(directory.path().join("secrets"));
        assert_eq!(store.load("data-key"), Ok(None));
        store.store("data-key", &[1, 2, 3]).expect("stores");
        assert_eq!(store.load("data-key"), Ok(Some(vec![1, 2, 3])));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = directory.path().join("secrets/data-key.secret");
            let mode = std::fs::metadata(path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.load("../escape").is_err());
    }

    #[test]
    fn a_data_key_never_prints() {
        assert_eq!(format!("{:?}", DataKey::from_bytes([7; 32])), "DataKey(…)");
    }
}

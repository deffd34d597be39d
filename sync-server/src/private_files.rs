//! The relay's files are for the relay's user only: its data directory and every folder in
//! it are 0700, every file 0600 (the database and its `-wal` and `-shm`, the keys, the lock
//! file, access-log checkpoints, backups), whatever the umask of whoever started it.
//!
//! Files are created with those modes ([`create_dir`], [`new_file_options`]), and SQLite
//! gives a database's `-wal` and `-shm` the mode of the database file. [`secure_data_dir`]
//! runs before the relay or an operator's command opens anything: it tightens what an
//! older version, a copy or a restore left open and says so in the log, and refuses to go
//! on with a file it cannot make private.

use std::path::{Path, PathBuf};

/// The mode of the data directory and every folder in it.
pub const DIR_MODE: u32 = 0o700;
/// The mode of every file the relay writes.
pub const FILE_MODE: u32 = 0o600;

/// A path that was readable or writable by others, and was made private.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tightened {
    pub path: PathBuf,
    /// The permission bits it had.
    pub was: u32,
    /// The permission bits it has now.
    pub now: u32,
}

/// Why the data directory cannot be made private.
#[derive(Debug, thiserror::Error)]
pub enum PrivateFilesError {
    #[error(
        "{} is readable or writable by other users (mode {was:o}) and cannot be made \
         private: {source}; make it owned by the relay's user and mode {want:o}, then start \
         again",
        path.display()
    )]
    CannotTighten {
        path: PathBuf,
        was: u32,
        want: u32,
        source: std::io::Error,
    },
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Creates `dir` and any missing parents as 0700.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)
}

/// Options that create a file as 0600 (add `create`, `create_new`, `write` as needed).
pub fn new_file_options() -> std::fs::OpenOptions {
    #[allow(unused_mut)]
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

/// Creates the data directory if missing, then makes it, every folder in it 0700 and every
/// file in it 0600, logging each it had to change. Symbolic links are left alone (their
/// targets are not the relay's to change). Refuses when a path cannot be changed.
pub fn secure_data_dir(dir: &Path) -> Result<Vec<Tightened>, PrivateFilesError> {
    create_dir(dir).map_err(|source| PrivateFilesError::Unreadable {
        path: dir.to_owned(),
        source,
    })?;
    let mut tightened = Vec::new();
    #[cfg(unix)]
    walk(dir, true, &mut tightened)?;
    for change in &tightened {
        tracing::warn!(
            path = %change.path.display(),
            was = format!("{:o}", change.was),
            now = format!("{:o}", change.now),
            "a relay file was open to other users; made private"
        );
    }
    Ok(tightened)
}

#[cfg(unix)]
fn walk(path: &Path, root: bool, tightened: &mut Vec<Tightened>) -> Result<(), PrivateFilesError> {
    use std::os::unix::fs::PermissionsExt;
    let unreadable = |source| PrivateFilesError::Unreadable {
        path: path.to_owned(),
        source,
    };
    // The data directory itself may be a link to where the data lives.
    let metadata = if root {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    }
    .map_err(unreadable)?;
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return Ok(());
    }
    let want = if kind.is_dir() { DIR_MODE } else { FILE_MODE };
    let was = metadata.permissions().mode() & 0o777;
    // Only bits for others are taken away; an owner's missing bit (a read-only file) is
    // the operator's business.
    if was & 0o077 != 0 {
        let now = was & !0o077;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(now)).map_err(|source| {
            PrivateFilesError::CannotTighten {
                path: path.to_owned(),
                was,
                want,
                source,
            }
        })?;
        tightened.push(Tightened {
            path: path.to_owned(),
            was,
            now,
        });
    }
    if kind.is_dir() {
        for entry in std::fs::read_dir(path).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            walk(&entry.path(), false, tightened)?;
        }
    }
    Ok(())
}

/// The permission bits of the file `path` (following links), for tests of the modes the
/// relay writes files with.
#[cfg(all(test, unix))]
pub(crate) fn mode_for_tests(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .expect("stat")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn open_folders_and_files_are_made_private_and_reported() {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("data");
        std::fs::create_dir_all(data.join("access-checkpoints")).expect("creates");
        std::fs::write(data.join("relay.sqlite3"), b"").expect("writes");
        std::fs::write(data.join("access-checkpoints/a.checkpoint"), b"").expect("writes");
        for (path, bits) in [
            (data.clone(), 0o755),
            (data.join("access-checkpoints"), 0o775),
            (data.join("relay.sqlite3"), 0o644),
            (data.join("access-checkpoints/a.checkpoint"), 0o666),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bits)).expect("chmod");
        }
        let tightened = secure_data_dir(&data).expect("made private");
        assert_eq!(tightened.len(), 4, "{tightened:?}");
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("access-checkpoints")), 0o700);
        assert_eq!(mode(&data.join("relay.sqlite3")), 0o600);
        assert_eq!(mode(&data.join("access-checkpoints/a.checkpoint")), 0o600);
        assert!(secure_data_dir(&data).expect("again").is_empty());
    }

    #[test]
    fn a_missing_data_directory_is_created_private() {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("a/b/data");
        assert!(secure_data_dir(&data).expect("created").is_empty());
        assert_eq!(mode(&data), 0o700);
    }
}

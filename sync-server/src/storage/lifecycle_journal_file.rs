//! The lifecycle journal's file: one JSON line per decision a restore must never undo
//! ([`super::LifecycleEntry`]), appended (0600, flushed to disk) beside the database before
//! the store's transaction commits. Plain file I/O, the same for any backend; what goes in
//! it and how a restore replays it are the backend's.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::model::LifecycleEntry;
use super::{StorageError, StorageResult};

/// The append-only journal file of one relay store.
#[derive(Debug, Clone)]
pub struct LifecycleJournal {
    path: PathBuf,
}

/// The journal of the database at `database`: `relay.lifecycle` beside `relay.sqlite3`.
pub fn journal_path(database: &Path) -> PathBuf {
    database.with_extension("lifecycle")
}

/// Opens `path` for appending, created 0600 whatever the umask.
pub(crate) fn open_private_append(path: &Path) -> std::io::Result<std::fs::File> {
    crate::private_files::new_file_options()
        .create(true)
        .append(true)
        .open(path)
}

impl LifecycleJournal {
    pub fn for_database(database: &Path) -> LifecycleJournal {
        LifecycleJournal {
            path: journal_path(database),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entries` and flushes them to disk; called before the commit that makes them.
    pub fn append(&self, entries: &[LifecycleEntry]) -> StorageResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        // A line torn by a crash mid-append must not swallow the next entry.
        let mut text = if ends_mid_line(&self.path)? {
            String::from("\n")
        } else {
            String::new()
        };
        for entry in entries {
            let line = serde_json::to_string(entry)
                .map_err(|e| StorageError::Backup(format!("lifecycle journal entry: {e}")))?;
            text.push_str(&line);
            text.push('\n');
        }
        let mut file = open_private_append(&self.path).map_err(|e| {
            StorageError::Backup(format!(
                "the lifecycle journal {} cannot be written: {e}",
                self.path.display()
            ))
        })?;
        file.write_all(text.as_bytes())?;
        file.sync_data()?;
        Ok(())
    }

    /// Every entry, oldest first, and how many lines could not be read (a line torn by a
    /// crash mid-write names a decision whose commit never happened).
    pub fn read(&self) -> StorageResult<(Vec<LifecycleEntry>, u64)> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(e) => return Err(e.into()),
        };
        let mut entries = Vec::new();
        let mut unreadable = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str(line) {
                Ok(entry) => entries.push(entry),
                Err(_) => unreadable += 1,
            }
        }
        Ok((entries, unreadable))
    }
}

/// Whether the file at `path` ends without a line break (a torn last line).
fn ends_mid_line(path: &Path) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

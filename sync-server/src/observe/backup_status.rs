//! The newest verified backup, as readiness and the metrics know it: a small file in the
//! data directory (`backup-status.json`, 0600) written by whatever completes a backup
//! that was checked: the SQLite `backup` command (which checks the copy before it counts),
//! PostgreSQL's `backup-confirm` (the operator vouches for the agency's backup), and any
//! scheduled backup later. A file, not the store, so it is read without touching the store
//! and says something even when the store cannot be read.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's name in the data directory.
pub const BACKUP_STATUS_FILE: &str = "backup-status.json";

/// What the newest verified backup was.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerifiedBackup {
    /// Relay time the backup was verified, ms since the Unix epoch.
    pub verified_at: i64,
    /// Every ingest commit numbered at or below this is in it.
    pub watermark: u64,
    /// How it was made: `sqlite-backup`, `postgres-confirm` (or a scheduler's name).
    pub how: String,
}

fn status_path(data_dir: &Path) -> PathBuf {
    data_dir.join(BACKUP_STATUS_FILE)
}

/// Records `backup` as the newest verified backup, replacing the file whole (written
/// beside it, synced, renamed), so a reader sees the old record or the new one.
pub fn record(data_dir: &Path, backup: &VerifiedBackup) -> std::io::Result<()> {
    let path = status_path(data_dir);
    let partial = data_dir.join(format!("{BACKUP_STATUS_FILE}.partial"));
    let _ = std::fs::remove_file(&partial);
    let bytes = serde_json::to_vec(backup).map_err(std::io::Error::other)?;
    {
        let mut file = crate::private_files::new_file_options()
            .write(true)
            .create_new(true)
            .open(&partial)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&partial, &path)
}

/// The newest verified backup recorded in `data_dir`, if any. A file that cannot be read
/// or parsed is an error (readiness names it), not "no backup".
pub fn newest(data_dir: &Path) -> std::io::Result<Option<VerifiedBackup>> {
    let path = status_path(data_dir);
    // A record is a few dozen bytes; a huge file is not one and is not read whole.
    match std::fs::metadata(&path) {
        Ok(meta) if meta.len() > 4096 => {
            return Err(std::io::Error::other(format!(
                "{} is larger than a backup record",
                path.display()
            )));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let bytes = std::fs::read(&path)?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| std::io::Error::other(format!("{} is unreadable: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_backup_is_read_back_and_replaced_by_the_next() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(newest(dir.path()).expect("reads"), None);
        let first = VerifiedBackup {
            verified_at: 1_000,
            watermark: 3,
            how: "sqlite-backup".into(),
        };
        record(dir.path(), &first).expect("records");
        assert_eq!(newest(dir.path()).expect("reads"), Some(first));
        let second = VerifiedBackup {
            verified_at: 2_000,
            watermark: 5,
            how: "postgres-confirm".into(),
        };
        record(dir.path(), &second).expect("records");
        assert_eq!(newest(dir.path()).expect("reads"), Some(second));
        std::fs::write(dir.path().join(BACKUP_STATUS_FILE), b"garbage").expect("writes");
        assert!(newest(dir.path()).is_err(), "garbage is not 'no backup'");
    }
}

//! The newest verified backup, as readiness and the metrics know it: the data directory's
//! backup record ([`crate::scheduled_backup`]'s `backup-status.json`, 0600), written by
//! whatever completes a backup that was checked: a scheduled backup, the SQLite `backup`
//! command (which checks the copy before it counts), PostgreSQL's `backup-confirm` (the
//! operator vouches for the agency's backup). A file, not the store, so it is read without
//! touching the store and says something even when the store cannot be read.

use std::path::{Path, PathBuf};

use crate::scheduled_backup::{self, BackupEntry};

/// The file's name in the data directory.
pub const BACKUP_STATUS_FILE: &str = scheduled_backup::STATUS_FILE;

/// What the newest verified backup was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBackup {
    /// Relay time the backup was verified, ms since the Unix epoch.
    pub verified_at: i64,
    /// Every ingest commit numbered at or below this is in it.
    pub watermark: u64,
    /// Where it is, or how it was made when the relay does not hold it (`postgres-confirm`).
    pub how: String,
}

/// Records `backup` as the newest verified backup that counts, replacing the record whole.
pub fn record(data_dir: &Path, backup: &VerifiedBackup) -> std::io::Result<()> {
    scheduled_backup::try_record_success(
        data_dir,
        BackupEntry {
            at_ms: backup.verified_at,
            path: PathBuf::from(&backup.how),
            watermark: backup.watermark,
            counted: true,
        },
    )
}

/// The newest verified backup that counts, recorded in `data_dir`, if any. A file that
/// cannot be read or parsed is an error (readiness names it), not "no backup".
pub fn newest(data_dir: &Path) -> std::io::Result<Option<VerifiedBackup>> {
    Ok(scheduled_backup::read_backup_status(data_dir)?
        .newest_counted
        .map(|entry| VerifiedBackup {
            verified_at: entry.at_ms,
            watermark: entry.watermark,
            how: entry.path.display().to_string(),
        }))
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

//! Online backup and restore of the relay's SQLite store.
//!
//! A backup copies the live database with SQLite's backup API from its own read connection,
//! so ingest goes on meanwhile (WAL readers do not block writers) and the copy is one
//! consistent snapshot. The copy's own commit counter is the watermark: every commit
//! numbered at or below it is in the file, whatever committed while it was taken. Once the
//! copy is durable under its final name, the live store records the watermark, and tablets
//! learn from their next sync which sealed copies they may erase.
//!
//! A restore puts a backup in place of the database (the relay stopped) under a new epoch,
//! so tablets send again whatever the restored store may lack: receipts of the old epoch
//! no longer count. The database it replaces is moved aside, not deleted.

use std::path::{Path, PathBuf};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{SqliteStore, StorageError, StorageResult};

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    /// Every ingest commit numbered at or below this is in the backup.
    pub watermark: u64,
    pub bytes: u64,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The last commit the restored store holds.
    pub commit_seq: u64,
    /// The store's new epoch, as hex.
    pub epoch: String,
    /// Where the replaced database went, if there was one.
    pub moved_aside: Option<PathBuf>,
}

fn failed(what: impl std::fmt::Display) -> StorageError {
    StorageError::Backup(what.to_string())
}

/// Syncs `path`'s directory, so a rename into it is durable.
fn sync_directory(path: &Path) -> StorageResult<()> {
    #[cfg(unix)]
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Checks that `conn` is a whole relay store and returns its commit counter.
fn check_relay_store(conn: &Connection, path: &Path) -> StorageResult<u64> {
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| failed(format!("{} cannot be checked: {e}", path.display())))?;
    if check != "ok" {
        return Err(failed(format!("{} is damaged: {check}", path.display())));
    }
    let commit_seq: i64 = conn
        .query_row("SELECT commit_seq FROM relay_state WHERE id = 1", [], |r| {
            r.get(0)
        })
        .map_err(|_| failed(format!("{} is not a Kiosk relay store", path.display())))?;
    Ok(commit_seq as u64)
}

impl SqliteStore {
    /// Copies the store to `target` while it keeps serving, and records the copy's
    /// watermark. `target` must not exist yet: a backup never overwrites another.
    pub fn backup(&self, target: &Path) -> StorageResult<BackupReport> {
        let source = self
            .path
            .as_deref()
            .ok_or_else(|| failed("a store in memory has no file to back up"))?;
        if target.exists() {
            return Err(failed(format!(
                "{} exists already; a backup never overwrites a file",
                target.display()
            )));
        }
        let partial = PathBuf::from(format!("{}.partial", target.display()));
        let _ = std::fs::remove_file(&partial);
        // A backup holds everything the store does: readable by the relay's user only
        // (SQLite would create it with the umask's mode).
        crate::private_files::new_file_options()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(|e| failed(format!("cannot create {}: {e}", partial.display())))?;
        let reader = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        // A reader never takes the write lock, so a backup never stops a sync; it may still
        // wait a moment while the serving relay checkpoints the WAL.
        reader.busy_timeout(super::BUSY_TIMEOUT)?;
        let mut copy = Connection::open(&partial)
            .map_err(|e| failed(format!("cannot create {}: {e}", partial.display())))?;
        {
            let backup = Backup::new(&reader, &mut copy)?;
            // All pages in one step: one read transaction, so one consistent snapshot.
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    StepResult::More => {}
                    StepResult::Busy | StepResult::Locked => {
                        std::thread::sleep(std::time::Duration::from_millis(20))
                    }
                    _ => {}
                }
            }
        }
        // A backup is one self-contained file.
        copy.pragma_update(None, "journal_mode", "DELETE")?;
        let watermark = check_relay_store(&copy, &partial)?;
        drop(copy);
        drop(reader);
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, target)?;
        sync_directory(target)?;
        self.conn().execute(
            "UPDATE relay_state
             SET backup_watermark = max(coalesce(backup_watermark, 0), ?1) WHERE id = 1",
            [watermark as i64],
        )?;
        Ok(BackupReport {
            path: target.to_owned(),
            watermark,
            bytes: std::fs::metadata(target)?.len(),
        })
    }

    /// Puts the backup at `backup` in place of the database at `database`, under a new
    /// epoch. The relay must be stopped; the caller makes sure of it. The replaced database
    /// (with its WAL) is moved into a folder beside it, named for the time of the restore.
    pub fn restore(backup: &Path, database: &Path, now_ms: i64) -> StorageResult<RestoreReport> {
        {
            let original = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| failed(format!("cannot open {}: {e}", backup.display())))?;
            check_relay_store(&original, backup)?;
        }
        let incoming = PathBuf::from(format!("{}.restoring", database.display()));
        let _ = std::fs::remove_file(&incoming);
        if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(backup, &incoming)
            .map_err(|e| failed(format!("cannot copy {}: {e}", backup.display())))?;
        let (commit_seq, epoch) = {
            let conn = Connection::open(&incoming)?;
            // Nothing receipted before counts as backed up in the new epoch until a backup
            // of it says so.
            let epoch: Vec<u8> = conn.query_row(
                "UPDATE relay_state SET epoch = randomblob(16), backup_watermark = NULL
                 WHERE id = 1 RETURNING epoch",
                [],
                |r| r.get(0),
            )?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            let commit_seq = check_relay_store(&conn, &incoming)?;
            (commit_seq, hex::encode(epoch))
        };
        std::fs::File::open(&incoming)?.sync_all()?;
        // The old WAL must not be replayed onto the restored file: move the whole database
        // aside first.
        let mut moved_aside = None;
        if database.exists() {
            let aside = PathBuf::from(format!("{}.before-restore-{now_ms}", database.display()));
            std::fs::create_dir_all(&aside)?;
            for suffix in ["", "-wal", "-shm"] {
                let file = PathBuf::from(format!("{}{suffix}", database.display()));
                if file.exists() {
                    let name = file.file_name().ok_or_else(|| failed("no file name"))?;
                    std::fs::rename(&file, aside.join(name))?;
                }
            }
            moved_aside = Some(aside);
        }
        std::fs::rename(&incoming, database)?;
        sync_directory(database)?;
        Ok(RestoreReport {
            commit_seq,
            epoch,
            moved_aside,
        })
    }
}

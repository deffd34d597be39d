//! `serve`'s scheduled, verified backups of the SQLite store, and the record of how they
//! went (which readiness and the console read).
//!
//! Each run copies the store under a temporary name (0600), reopens the copy read-only and
//! checks it whole ([`crate::storage::verify_backup_file`]), and only then renames it into
//! the backup folder; the oldest backups beyond the number to keep are removed after that,
//! never before. Only a verified backup advances the backup watermark that lets tablets
//! erase their sealed copies, and with `offsite_only` only one on another filesystem than
//! the data directory (a disk that fails takes the data directory's own copies with it).
//! A failed run leaves every earlier backup in place and is recorded, with why, in
//! [`STATUS_FILE`] in the data directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::backup_settings::BackupSchedule;
#[cfg(test)]
use crate::storage::verify_backup_file;
use crate::storage::{BackupReport, SqliteStore, StorageError};

/// The file in the data directory that records the newest backup and the last failure.
pub const STATUS_FILE: &str = "backup-status.json";
/// How scheduled backups are named: `relay-<UTC time>.sqlite3`, sortable by name.
const PREFIX: &str = "relay-";
const SUFFIX: &str = ".sqlite3";
/// The most bytes of the status file read: it is a few hundred.
const STATUS_MAX_BYTES: u64 = 64 * 1024;

/// One verified backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupEntry {
    /// When it was completed (ms since the epoch, UTC).
    pub at_ms: i64,
    pub path: PathBuf,
    /// Every commit numbered at or below it is in the backup.
    pub watermark: u64,
    /// Whether it advanced the backup watermark (it was on another filesystem than the
    /// data directory, or the operator did not ask for that).
    pub counted: bool,
}

/// A backup that did not complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFailure {
    pub at_ms: i64,
    /// Why, naming files and the error, never a record's contents.
    pub reason: String,
}

/// What [`STATUS_FILE`] holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupStatus {
    /// The newest verified backup, counted or not.
    pub newest: Option<BackupEntry>,
    /// The newest verified backup that advanced the watermark.
    pub newest_counted: Option<BackupEntry>,
    /// The last failed run, if none succeeded since.
    pub last_failure: Option<BackupFailure>,
}

/// The data directory's backup record: none when there is no file, an error naming the
/// file when it cannot be read or is no record (readiness says so rather than "no backup").
pub fn read_backup_status(data_dir: &Path) -> std::io::Result<BackupStatus> {
    let path = data_dir.join(STATUS_FILE);
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BackupStatus::default()),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, STATUS_MAX_BYTES), &mut bytes)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| std::io::Error::other(format!("{} is unreadable: {e}", path.display())))
}

/// The data directory's backup record; an absent or unreadable file reads as no backup
/// (an unreadable one is logged).
pub fn backup_status(data_dir: &Path) -> BackupStatus {
    read_backup_status(data_dir).unwrap_or_else(|e| {
        tracing::warn!("backup status unreadable: {e}");
        BackupStatus::default()
    })
}

/// When the newest verified backup that counts was completed (ms since the epoch, UTC),
/// and where it was written: the newest that advanced the backup watermark, so with
/// `--backup-offsite-only` one on the data directory's own disk does not count. For
/// readiness and the console; `None` when no backup has counted yet.
pub fn newest_verified_backup(data_dir: &Path) -> Option<(i64, PathBuf)> {
    backup_status(data_dir)
        .newest_counted
        .map(|entry| (entry.at_ms, entry.path))
}

/// The last failed backup (when, and why), if no backup has succeeded since.
pub fn last_backup_failure(data_dir: &Path) -> Option<(i64, String)> {
    backup_status(data_dir)
        .last_failure
        .map(|failure| (failure.at_ms, failure.reason))
}

/// Writes the record atomically (a temporary file renamed over it), 0600.
fn write_status(data_dir: &Path, status: &BackupStatus) -> std::io::Result<()> {
    let path = data_dir.join(STATUS_FILE);
    let partial = data_dir.join(format!("{STATUS_FILE}.partial"));
    let _ = std::fs::remove_file(&partial);
    let bytes = serde_json::to_vec_pretty(status).map_err(std::io::Error::other)?;
    {
        let mut file = crate::private_files::new_file_options()
            .write(true)
            .create_new(true)
            .open(&partial)?;
        std::io::Write::write_all(&mut file, &bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&partial, &path)
}

/// Records a verified backup in the data directory's status (the `backup` command's
/// backups too, which always count); logs a failure to write it.
pub fn record_success(data_dir: &Path, entry: BackupEntry) {
    if let Err(e) = try_record_success(data_dir, entry) {
        tracing::error!("backup status not written: {e}");
    }
}

/// [`record_success`], answering whether the record was written.
pub fn try_record_success(data_dir: &Path, entry: BackupEntry) -> std::io::Result<()> {
    let mut status = backup_status(data_dir);
    if entry.counted {
        status.newest_counted = Some(entry.clone());
    }
    status.newest = Some(entry);
    status.last_failure = None;
    write_status(data_dir, &status)
}

fn record_failure(data_dir: &Path, at_ms: i64, reason: &str) {
    let mut status = backup_status(data_dir);
    status.last_failure = Some(BackupFailure {
        at_ms,
        reason: reason.to_owned(),
    });
    if let Err(e) = write_status(data_dir, &status) {
        tracing::error!("backup status not written: {e}");
    }
}

/// What one scheduled run did.
#[derive(Debug)]
pub struct BackupRun {
    pub report: BackupReport,
    /// Whether it advanced the backup watermark; if not, why.
    pub not_counted: Option<String>,
    /// Older backups removed beyond the number to keep.
    pub removed: Vec<PathBuf>,
}

/// Why a scheduled run failed. The earlier backups are all still there.
#[derive(Debug, thiserror::Error)]
pub enum BackupRunError {
    #[error("backup folder {}: {source}", dir.display())]
    Folder {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Storage(#[from] StorageError),
}

/// Takes one backup by `schedule` of `store` (whose data directory is `data_dir`) at
/// `now_ms`: written, verified, counted when it may be, then the oldest beyond
/// `schedule.keep` removed. The outcome, success or failure, is recorded in
/// [`STATUS_FILE`].
pub fn run_once(
    store: &SqliteStore,
    data_dir: &Path,
    schedule: &BackupSchedule,
    now_ms: i64,
) -> Result<BackupRun, BackupRunError> {
    let run = run(store, data_dir, schedule, now_ms);
    match &run {
        Ok(done) => record_success(
            data_dir,
            BackupEntry {
                at_ms: now_ms,
                path: done.report.path.clone(),
                watermark: done.report.watermark,
                counted: done.not_counted.is_none(),
            },
        ),
        Err(e) => record_failure(data_dir, now_ms, &e.to_string()),
    }
    run
}

fn run(
    store: &SqliteStore,
    data_dir: &Path,
    schedule: &BackupSchedule,
    now_ms: i64,
) -> Result<BackupRun, BackupRunError> {
    let folder = |source| BackupRunError::Folder {
        dir: schedule.dir.clone(),
        source,
    };
    if schedule.offsite_only {
        // Never made here: an unmounted backup disk leaves an empty mount point, and a
        // folder made in it would put "offsite" backups on the machine's own disk.
        if !schedule.dir.is_dir() {
            return Err(folder(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the backup folder does not exist (is its disk mounted?); with \
                 backup_offsite_only the relay does not create it",
            )));
        }
    } else {
        crate::private_files::create_dir(&schedule.dir).map_err(folder)?;
    }
    let target = schedule.dir.join(backup_name(now_ms));
    let report = store.backup_unrecorded(&target)?;
    let not_counted = if schedule.offsite_only && same_filesystem(&schedule.dir, data_dir)? {
        Some(format!(
            "{} is on the same filesystem as the data directory {}, and only backups \
             elsewhere count (backup_offsite_only)",
            schedule.dir.display(),
            data_dir.display()
        ))
    } else {
        None
    };
    if not_counted.is_none() {
        store.record_backup(report.watermark)?;
    }
    // The backup is taken and counted: a folder that cannot be tidied does not undo that.
    let removed = rotate(&schedule.dir, schedule.keep, &report.path).unwrap_or_else(|e| {
        tracing::warn!(
            dir = %schedule.dir.display(),
            "older backups not removed: {e}"
        );
        Vec::new()
    });
    Ok(BackupRun {
        report,
        not_counted,
        removed,
    })
}

/// `relay-20261206T210000.123Z.sqlite3`: UTC, to the millisecond, sortable by name.
fn backup_name(now_ms: i64) -> String {
    let iso = kiosk_core::ids::Timestamp(now_ms).utc_iso8601();
    let stamp: String = iso
        .trim_end_matches('Z')
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{PREFIX}{stamp}.{:03}Z{SUFFIX}", now_ms.rem_euclid(1000))
}

/// A temporary backup file older than this was left by a killed run.
const PARTIAL_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Whether `stamp` is a time as [`backup_name`] writes it (`20261206T214500.123Z`): only
/// such files are rotated, never an operator's own `relay-….sqlite3`.
pub(crate) fn is_stamp(stamp: &str) -> bool {
    let bytes = stamp.as_bytes();
    bytes.len() == 20
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[8] == b'T'
        && bytes[9..15].iter().all(u8::is_ascii_digit)
        && bytes[15] == b'.'
        && bytes[16..19].iter().all(u8::is_ascii_digit)
        && bytes[19] == b'Z'
}

/// Whether `a` and `b` are on one filesystem (one device number).
fn same_filesystem(a: &Path, b: &Path) -> Result<bool, BackupRunError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let device = |path: &Path| {
            std::fs::metadata(path)
                .map(|m| m.dev())
                .map_err(|source| BackupRunError::Folder {
                    dir: path.to_owned(),
                    source,
                })
        };
        Ok(device(a)? == device(b)?)
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        Ok(true)
    }
}

/// Removes the oldest scheduled backups in `dir` beyond `keep` (never `newest`, the one
/// just verified), and what a killed run left under a temporary name. Only files named as
/// this module names them are touched: an operator's own files in the folder stay.
fn rotate(dir: &Path, keep: usize, newest: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut backups = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(stamp) = name
            .strip_suffix(".partial")
            .and_then(|n| n.strip_suffix(SUFFIX))
            .and_then(|n| n.strip_prefix(PREFIX))
        {
            // A killed run's leftover; one a run may still be writing is left alone.
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > PARTIAL_AGE);
            if is_stamp(stamp) && old && entry.path() != newest {
                let _ = std::fs::remove_file(entry.path());
            }
        } else if name
            .strip_suffix(SUFFIX)
            .and_then(|n| n.strip_prefix(PREFIX))
            .is_some_and(is_stamp)
        {
            backups.push(entry.path());
        }
    }
    backups.sort();
    let excess = backups.len().saturating_sub(keep.max(1));
    let mut removed = Vec::new();
    for old in backups.into_iter().take(excess) {
        if old == newest {
            continue;
        }
        std::fs::remove_file(&old)?;
        removed.push(old);
    }
    Ok(removed)
}

/// Runs `schedule` for `store` while the relay serves: the first backup when the newest is
/// older than `every` (at once if there is none), then every `every`. Each run is logged;
/// a failure is tried again at the next.
pub fn spawn(
    store: Arc<SqliteStore>,
    data_dir: PathBuf,
    schedule: BackupSchedule,
    now_ms: fn() -> i64,
) {
    tokio::spawn(async move {
        let since_newest = backup_status(&data_dir)
            .newest
            .map(|entry| now_ms().saturating_sub(entry.at_ms).max(0) as u64)
            .map(std::time::Duration::from_millis);
        let first = since_newest.map_or(std::time::Duration::ZERO, |age| {
            schedule.every.saturating_sub(age)
        });
        tokio::time::sleep(first).await;
        loop {
            let (store, data_dir, taken) = (store.clone(), data_dir.clone(), schedule.clone());
            let ran =
                tokio::task::spawn_blocking(move || run_once(&store, &data_dir, &taken, now_ms()))
                    .await;
            match ran {
                Ok(Ok(run)) => {
                    tracing::info!(
                        file = %run.report.path.display(),
                        bytes = run.report.bytes,
                        watermark = run.report.watermark,
                        removed = run.removed.len(),
                        "backup written and verified"
                    );
                    if let Some(why) = run.not_counted {
                        tracing::warn!("backup kept but not counted for erasure: {why}");
                    }
                }
                Ok(Err(e)) => tracing::error!("backup failed; earlier backups kept: {e}"),
                Err(e) => tracing::error!("backup task failed: {e}"),
            }
            tokio::time::sleep(schedule.every).await;
        }
    });
}

#[cfg(test)]
mod tests;

//! Backups and restores as the store speaks of them: what a backup made, the watermark
//! reported to tablets, what a restore would do and did.

use std::path::PathBuf;

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    /// Every ingest commit numbered at or below this is in the backup.
    pub watermark: u64,
    pub bytes: u64,
}

/// The newest backup watermark ever reported to tablets: once a sync answer carried it,
/// tablets may have erased their sealed copies of every record it covers, and only a backup
/// that holds those commits, in that epoch, can stand in for the store. Kept in a file
/// beside the database (0600), which a restore never replaces, and written before the
/// watermark is ever reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportedWatermark {
    /// The relay epoch, as hex.
    pub epoch: String,
    pub watermark: u64,
}

/// One device's records that a backup lacks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceLoss {
    /// The device's key, as hex (the id the device CLI prints).
    pub device_key: String,
    /// Registration ids the backup lacks that a reported watermark covers: the tablet may
    /// have erased its copy, so nothing but another backup holds them.
    pub erased_on_tablet: Vec<String>,
    /// Registration ids the backup lacks that tablets still hold: they send them again.
    pub still_on_tablet: u64,
}

/// A tablet the replaced store knew and the backup does not: the restored relay answers it
/// `unknown_device` until it is enrolled again (then it sends what it holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTablet {
    pub device_key: String,
    pub event_id: String,
    pub role: String,
}

/// What a restore would do, worked out before anything is touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePlan {
    pub backup: PathBuf,
    pub database: PathBuf,
    /// The backup's epoch (hex) and last commit.
    pub backup_epoch: String,
    pub backup_commit: u64,
    /// The newest watermark ever reported to tablets, from the file beside the database or
    /// the replaced store, whichever says more.
    pub reported: Option<ReportedWatermark>,
    /// Why the backup is older than what tablets were told is backed up; `None` if it is not.
    pub behind: Option<String>,
    /// Whether the store being replaced could be read (it may be lost or damaged).
    pub replaced_readable: bool,
    /// Per device, records the replaced store holds and the backup lacks.
    pub losses: Vec<DeviceLoss>,
    pub unknown_tablets: Vec<UnknownTablet>,
}

impl RestorePlan {
    /// Records only tablets' erased copies held: lost with this backup.
    pub fn erased_records(&self) -> u64 {
        self.losses
            .iter()
            .map(|l| l.erased_on_tablet.len() as u64)
            .sum()
    }
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
    pub plan: RestorePlan,
    /// Whether a lifecycle journal was beside the database to replay.
    pub journal_found: bool,
    /// Removals, withdrawals and holds made after the backup, carried out again.
    pub replayed: super::lifecycle_journal::Replayed,
}

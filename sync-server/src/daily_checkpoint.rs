//! The day's signed access-log checkpoint, written once a UTC day by one relay instance of
//! a store ([`crate::storage::DailyJobStore`]): `serve` asks at every tick
//! ([`CHECKPOINT_TICK`]); the instance that gets the day's turn prunes the access log under
//! its retention, writes the checkpoint into its own data directory's
//! `access-checkpoints/` ([`crate::access_checkpoint::write_in_folder`]), and records the
//! day done with where the file is; the others skip that day. On SQLite (one process) the
//! turn is always the relay's own.
//!
//! An instance that dies holding the turn loses it, and another writes the day's
//! checkpoint at its next tick. One that dies between writing its file and recording the
//! day leaves a file, and the day is written again elsewhere: a second checkpoint of a day
//! states no less than the first, and each verifies on its own.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::access_checkpoint::{self, AccessCheckpoint, CheckpointError};
use crate::keys::RelayKeys;
use crate::storage::{
    AccessLogPruning, DailyJob, DailyJobRun, DailyTurn, RelayStore, StorageResult, months_before,
    retention_rule, utc_day,
};
use crate::transparency::checkpoint::LogKey;

/// How often `serve` asks whether the day's checkpoint is still to be written: short
/// enough that a day whose instance died is written by another within the hour, and one
/// read a tick when the day is done.
pub const CHECKPOINT_TICK: Duration = Duration::from_secs(10 * 60);

/// What a tick did.
#[derive(Debug)]
pub enum DailyCheckpoint {
    /// This instance wrote the day's checkpoint to `path`.
    Written {
        checkpoint: AccessCheckpoint,
        path: PathBuf,
    },
    /// The day's checkpoint was written already (`run` says by which instance, and where).
    Done(DailyJobRun),
    /// Another instance is writing it now.
    Elsewhere,
}

/// How this instance names itself in the record of a day's run: its host and data
/// directory, which together say where its checkpoint files are.
pub fn instance_name(data_dir: &Path) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "(unknown host)".to_owned());
    let dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    format!("{host}:{}", dir.display())
}

/// One tick of the daily checkpoint at `now` (see the module doc): the access log pruned
/// under `retention_months` and the day's checkpoint written into `folder`, if the day's
/// turn is this instance's. A failure gives the turn up, so the next tick (here or on
/// another instance) tries again.
pub fn tick(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    log_key: Option<&LogKey>,
    folder: &Path,
    retention_months: u32,
    instance: &str,
    now: i64,
) -> Result<DailyCheckpoint, CheckpointError> {
    let day = utc_day(now);
    match store.daily_job_turn(DailyJob::AccessCheckpoint, day)? {
        DailyTurn::Done(run) => return Ok(DailyCheckpoint::Done(run)),
        DailyTurn::Elsewhere => return Ok(DailyCheckpoint::Elsewhere),
        DailyTurn::Mine => {}
    }
    // Pruning first, so the day's checkpoint is of the log as it will be kept; a pruning
    // that fails leaves the log as it was, which is still worth a checkpoint.
    if let Err(e) = prune_access_log(store, retention_months, now) {
        tracing::error!("access log not pruned: {e}");
    }
    let (checkpoint, path) =
        match access_checkpoint::write_in_folder(store, keys, log_key, folder, now) {
            Ok(written) => written,
            Err(e) => {
                store.give_up_daily_job(DailyJob::AccessCheckpoint);
                return Err(e);
            }
        };
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into(),
    );
    store.record_daily_job(&DailyJobRun {
        job: DailyJob::AccessCheckpoint,
        day,
        done_at: now,
        done_by: instance.to_owned(),
        detail: format!(
            "{}/{file}: {} entries, head {}",
            access_checkpoint::CHECKPOINT_DIR,
            checkpoint.entries,
            hex::encode(checkpoint.head)
        ),
    })?;
    Ok(DailyCheckpoint::Written { checkpoint, path })
}

/// Prunes the access log under a retention of `months` and logs what it did (counts and
/// entry numbers only).
pub fn prune_access_log(
    store: &dyn RelayStore,
    months: u32,
    now: i64,
) -> StorageResult<AccessLogPruning> {
    let pruning =
        store.prune_access_log(months_before(now, months), &retention_rule(months), now)?;
    match &pruning {
        AccessLogPruning::Pruned { removed, horizon } => tracing::info!(
            removed,
            first_kept = horizon.first_kept,
            "access log pruned under its retention"
        ),
        AccessLogPruning::NothingDue { .. } => {
            tracing::info!(removed = 0, "access log: no entries past their retention")
        }
        AccessLogPruning::ChainBroken { at } => {
            tracing::error!(broken_at = at, "access log not pruned: its chain is broken")
        }
    }
    Ok(pruning)
}

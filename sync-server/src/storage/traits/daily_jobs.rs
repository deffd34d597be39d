//! Jobs run once a day by one relay instance among all of a store's.

use crate::storage::StorageResult;
use crate::storage::model::{DailyJob, DailyJobRun, DailyTurn};

/// Whose turn a day's run of a job is, and the record of the runs done. A day's run is
/// recorded once; while one instance holds the turn, the others are told
/// [`DailyTurn::Elsewhere`]; an instance that dies holding it loses it, so another one
/// carries the day's run on at its next try.
pub trait DailyJobStore {
    /// This instance's turn at `job` for UTC day `day`: [`DailyTurn::Done`] if an instance
    /// recorded that day's run, [`DailyTurn::Elsewhere`] if another instance holds the
    /// turn, else [`DailyTurn::Mine`], held until [`DailyJobStore::record_daily_job`] or
    /// [`DailyJobStore::give_up_daily_job`]. Never waits for another instance.
    fn daily_job_turn(&self, job: DailyJob, day: i64) -> StorageResult<DailyTurn>;

    /// Records `run` done and ends this instance's turn at its job. Refused (an error,
    /// nothing recorded) if this instance does not hold the turn any more (it was lost
    /// with its connection): another instance may be at the day's run. A day recorded
    /// already is left as it was recorded first.
    fn record_daily_job(&self, run: &DailyJobRun) -> StorageResult<()>;

    /// Ends this instance's turn at `job` without recording a run (it failed): the next try,
    /// here or elsewhere, runs it again.
    fn give_up_daily_job(&self, job: DailyJob);

    /// The runs of `job` recorded, newest day first, at most `limit`.
    fn daily_job_runs(&self, job: DailyJob, limit: u32) -> StorageResult<Vec<DailyJobRun>>;
}

//! Daily jobs on PostgreSQL (the signed access-log checkpoint): one instance at a time
//! holds a job's turn, a session-level advisory lock on a connection of its own (see
//! [`super::job_lock`]), and records the day's run in `daily_job_runs` through that same
//! connection, so a run is recorded only while its instance still holds the turn. The
//! other instances, finding the day recorded, skip it; finding the turn held, try again at
//! their next tick. An instance that dies holding the turn loses it with its connection,
//! and the next instance to try carries the day's run on. An instance that dies after its
//! job's work but before recording it leaves that work done and the day not recorded:
//! the day's run is done again elsewhere (for the checkpoint, a second signed checkpoint
//! of that day, which states no less than the first).

use postgres::GenericClient;

use crate::storage::model::{DailyJob, DailyJobRun, DailyTurn};
use crate::storage::{DailyJobStore, StorageError, StorageResult};

use super::PgStore;
use super::job_lock::{JobLock, Turn};

/// The session-level lock of the daily access-log checkpoint ("KRLYCKPT").
pub(super) const ACCESS_CHECKPOINT_LOCK: i64 = 0x4B52_4C59_434B_5054;

const RUN_COLUMNS: &str = "job, day, done_at, done_by, detail";

fn run_row(job: DailyJob, row: &postgres::Row) -> StorageResult<DailyJobRun> {
    let stored: String = row.try_get(0)?;
    if stored != job.as_str() {
        return Err(StorageError::Undecodable("daily job run"));
    }
    Ok(DailyJobRun {
        job,
        day: row.try_get(1)?,
        done_at: row.try_get(2)?,
        done_by: row.try_get(3)?,
        detail: row.try_get(4)?,
    })
}

/// The run of `job` recorded for `day`, if one is.
fn done(
    client: &mut impl GenericClient,
    job: DailyJob,
    day: i64,
) -> StorageResult<Option<DailyJobRun>> {
    client
        .query_opt(
            &format!("SELECT {RUN_COLUMNS} FROM daily_job_runs WHERE job = $1 AND day = $2"),
            &[&job.as_str(), &day],
        )?
        .map(|row| run_row(job, &row))
        .transpose()
}

impl PgStore {
    fn daily_lock(&self, job: DailyJob) -> &JobLock {
        match job {
            DailyJob::AccessCheckpoint => &self.checkpoint_job,
        }
    }
}

impl DailyJobStore for PgStore {
    fn daily_job_turn(&self, job: DailyJob, day: i64) -> StorageResult<DailyTurn> {
        // Most tries find the day done: one read, no lock asked for.
        if let Some(run) = self.read(|tx| done(tx, job, day))? {
            return Ok(DailyTurn::Done(run));
        }
        let Turn::Mine(mut holding) = self.daily_lock(job).turn(&self.config, &self.connector)?
        else {
            return Ok(DailyTurn::Elsewhere);
        };
        // The instance that held the turn until a moment ago may have recorded the day.
        match done(holding.client(), job, day) {
            Ok(Some(run)) => {
                holding.release();
                Ok(DailyTurn::Done(run))
            }
            Ok(None) => Ok(DailyTurn::Mine),
            Err(error) => {
                holding.release();
                Err(error)
            }
        }
    }

    fn record_daily_job(&self, run: &DailyJobRun) -> StorageResult<()> {
        let Some(mut holding) = self.daily_lock(run.job).holding() else {
            return Err(StorageError::TurnNotHeld(run.job.as_str()));
        };
        let recorded = holding.client().execute(
            "INSERT INTO daily_job_runs (job, day, done_at, done_by, detail)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job, day) DO NOTHING",
            &[
                &run.job.as_str(),
                &run.day,
                &run.done_at,
                &run.done_by,
                &run.detail,
            ],
        );
        // Recorded or not, the turn ends: the connection closes and the lock with it.
        holding.release();
        recorded?;
        Ok(())
    }

    fn give_up_daily_job(&self, job: DailyJob) {
        if let Some(holding) = self.daily_lock(job).holding() {
            holding.release();
        }
    }

    fn daily_job_runs(&self, job: DailyJob, limit: u32) -> StorageResult<Vec<DailyJobRun>> {
        self.read(|tx| {
            tx.query(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM daily_job_runs WHERE job = $1
                     ORDER BY day DESC LIMIT $2"
                ),
                &[&job.as_str(), &i64::from(limit)],
            )?
            .iter()
            .map(|row| run_row(job, row))
            .collect()
        })
    }
}

//! Daily jobs of the SQLite store, kept in the process: an SQLite relay is one process (it
//! holds its data directory's run lock), so the turn is this process's, and the days done
//! are remembered while it runs. A restarted relay runs the day's job again, as it did
//! before the store kept turns (a second checkpoint of a day states no less than the first).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::storage::model::{DailyJob, DailyJobRun, DailyTurn};
use crate::storage::{StorageError, StorageResult};

/// Runs remembered per job: more than a year of days.
const KEPT_RUNS: usize = 400;

#[derive(Debug, Default)]
pub(super) struct DailyJobs {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Jobs whose turn is taken.
    taken: HashSet<DailyJob>,
    /// Runs done, per job, oldest first.
    runs: HashMap<DailyJob, Vec<DailyJobRun>>,
}

impl DailyJobs {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn turn(&self, job: DailyJob, day: i64) -> DailyTurn {
        let mut state = self.state();
        if let Some(run) = state
            .runs
            .get(&job)
            .and_then(|runs| runs.iter().find(|run| run.day == day))
        {
            return DailyTurn::Done(run.clone());
        }
        if state.taken.insert(job) {
            DailyTurn::Mine
        } else {
            DailyTurn::Elsewhere
        }
    }

    pub(super) fn record(&self, run: &DailyJobRun) -> StorageResult<()> {
        let mut state = self.state();
        if !state.taken.remove(&run.job) {
            return Err(StorageError::TurnNotHeld(run.job.as_str()));
        }
        let runs = state.runs.entry(run.job).or_default();
        if !runs.iter().any(|done| done.day == run.day) {
            runs.push(run.clone());
            runs.sort_by_key(|done| done.day);
            if runs.len() > KEPT_RUNS {
                runs.remove(0);
            }
        }
        Ok(())
    }

    pub(super) fn give_up(&self, job: DailyJob) {
        self.state().taken.remove(&job);
    }

    pub(super) fn runs(&self, job: DailyJob, limit: u32) -> Vec<DailyJobRun> {
        self.state()
            .runs
            .get(&job)
            .map(|runs| runs.iter().rev().take(limit as usize).cloned().collect())
            .unwrap_or_default()
    }
}

impl crate::storage::DailyJobStore for super::SqliteStore {
    fn daily_job_turn(&self, job: DailyJob, day: i64) -> StorageResult<DailyTurn> {
        Ok(self.daily_jobs.turn(job, day))
    }

    fn record_daily_job(&self, run: &DailyJobRun) -> StorageResult<()> {
        self.daily_jobs.record(run)
    }

    fn give_up_daily_job(&self, job: DailyJob) {
        self.daily_jobs.give_up(job);
    }

    fn daily_job_runs(&self, job: DailyJob, limit: u32) -> StorageResult<Vec<DailyJobRun>> {
        Ok(self.daily_jobs.runs(job, limit))
    }
}

//! The retention job (*gallring*): carries a retention run from start to end, one small
//! batch at a time on the blocking pool, so ingest and HR keep being served between
//! batches. `serve` resumes a run a killed relay left unfinished and starts one a day;
//! archivists start one from the console or API ([`RetentionJob::start`]).
//!
//! Each batch is one transaction ([`crate::storage::LifecycleStore::retention_run_step`]): a
//! record is removed whole or not at all, and what a run removes is decided by its start
//! time, so resuming removes exactly what was left.

use kiosk_core::ids::Timestamp;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::storage::{RelayStore, RetentionRun, RunStep, StorageError};

/// Records removed per transaction: ingest waits for at most one batch.
pub const RUN_BATCH: usize = 100;

/// `serve` runs retention every night at this hour, UTC (03:00 or 04:00 in Sweden, when
/// no fair is open and the relay is quiet).
pub const SCHEDULED_HOUR_UTC: u64 = 2;

/// How long a run that stopped on an error waits before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Who a scheduled run is recorded as started by.
pub const SCHEDULED: &str = "schedule";

/// The relay's one retention job.
#[derive(Debug)]
pub struct RetentionJob {
    store: Arc<dyn RelayStore>,
    /// A task is carrying a run: a second start only reports it.
    driving: AtomicBool,
}

/// What asking for a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    Started(RetentionRun),
    /// A run is going already (or was left unfinished, and is resumed now).
    AlreadyRunning(RetentionRun),
}

impl RetentionJob {
    pub fn new(store: Arc<dyn RelayStore>) -> Arc<RetentionJob> {
        Arc::new(RetentionJob {
            store,
            driving: AtomicBool::new(false),
        })
    }

    /// Starts a run recorded as started by `by`, carried on in the background; a run left
    /// unfinished is resumed instead.
    pub async fn start(self: &Arc<Self>, by: String) -> Result<Started, RetentionJobError> {
        let store = self.store.clone();
        let started =
            blocking(move || store.start_retention_run(&by, Timestamp::now().millis())).await?;
        let (run, outcome) = match started {
            Ok(run) => (run.clone(), Started::Started(run)),
            Err(going) => (going.clone(), Started::AlreadyRunning(going)),
        };
        self.drive(run.id);
        Ok(outcome)
    }

    /// Resumes a run a killed relay left unfinished, if there is one.
    pub async fn resume(self: &Arc<Self>) -> Result<Option<RetentionRun>, RetentionJobError> {
        let store = self.store.clone();
        let left = blocking(move || store.unfinished_retention_run()).await?;
        if let Some(run) = &left {
            tracing::info!(
                run = run.id,
                removed = run.removed,
                "resuming a retention run"
            );
            self.drive(run.id);
        }
        Ok(left)
    }

    /// Carries run `run_id` to its end on a task, unless a task does already.
    fn drive(self: &Arc<Self>, run_id: i64) {
        if self.driving.swap(true, Ordering::AcqRel) {
            return;
        }
        let job = self.clone();
        tokio::spawn(async move {
            let mut run_id = run_id;
            loop {
                match job.finish(run_id).await {
                    Ok(run) => tracing::info!(
                        run = run.id,
                        removed = run.removed,
                        held = run.held,
                        "retention run finished"
                    ),
                    // Another relay instance on the same database carries the run: this
                    // one looks again later, in case that instance stops.
                    Err(RetentionJobError::Storage(error)) if error.is_locked() => {
                        tracing::info!(run = run_id, "retention run carried by another instance");
                        tokio::time::sleep(RETRY_AFTER).await;
                    }
                    Err(error) => {
                        tracing::error!(run = run_id, %error, "retention run stopped; retrying");
                        tokio::time::sleep(RETRY_AFTER).await;
                    }
                }
                job.driving.store(false, Ordering::Release);
                // A run started while this one ended (its start found this task still
                // driving), or this one after an error, is carried on here.
                let store = job.store.clone();
                let left = blocking(move || store.unfinished_retention_run()).await;
                match left {
                    Ok(Some(next)) if !job.driving.swap(true, Ordering::AcqRel) => {
                        run_id = next.id;
                    }
                    _ => return,
                }
            }
        });
    }

    /// Removes batch after batch until the run is finished.
    pub async fn finish(&self, run_id: i64) -> Result<RetentionRun, RetentionJobError> {
        loop {
            let store = self.store.clone();
            let step = blocking(move || {
                store.retention_run_step(run_id, RUN_BATCH, Timestamp::now().millis())
            })
            .await?;
            match step {
                RunStep::Finished(run) => return Ok(run),
                // Let waiting requests have the store between batches.
                RunStep::Removed(_) => tokio::task::yield_now().await,
            }
        }
    }

    /// Resumes what was left now, then starts a run every night at
    /// [`SCHEDULED_HOUR_UTC`].
    pub fn spawn_schedule(self: &Arc<Self>) {
        let job = self.clone();
        tokio::spawn(async move {
            if let Err(error) = job.resume().await {
                tracing::error!(%error, "could not read the unfinished retention run");
            }
            loop {
                tokio::time::sleep(until_next_run(Timestamp::now().millis())).await;
                if let Err(error) = job.start(SCHEDULED.to_owned()).await {
                    tracing::error!(%error, "could not start the scheduled retention run");
                }
            }
        });
    }
}

/// From `now` (ms) to the next [`SCHEDULED_HOUR_UTC`] o'clock.
fn until_next_run(now: i64) -> Duration {
    const DAY: u64 = 24 * 60 * 60 * 1000;
    let into_day = now.rem_euclid(DAY as i64) as u64;
    let at = SCHEDULED_HOUR_UTC * 60 * 60 * 1000;
    Duration::from_millis((at + DAY - into_day - 1) % DAY + 1)
}

/// Why a run stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum RetentionJobError {
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// The batch's transaction was rolled back: nothing of it is half-done.
    #[error("a retention step failed unexpectedly; its batch was rolled back")]
    StepPanicked,
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, RetentionJobError> {
    Ok(tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| RetentionJobError::StepPanicked)??)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nightly_run_waits_for_the_next_scheduled_hour() {
        let hour = 60 * 60 * 1000;
        let midnight = 20_000 * 24 * hour;
        assert_eq!(until_next_run(midnight).as_millis(), 2 * hour as u128);
        assert_eq!(
            until_next_run(midnight + 3 * hour).as_millis(),
            23 * hour as u128
        );
        // Exactly at the hour: the next run is a day away, not now again.
        assert_eq!(
            until_next_run(midnight + 2 * hour).as_millis(),
            24 * hour as u128
        );
    }
}

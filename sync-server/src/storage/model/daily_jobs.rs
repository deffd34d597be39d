//! Jobs the relay runs once a day across all its instances (the signed access-log
//! checkpoint): whose turn it is, and the record of a day's run.

/// A job done once a UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DailyJob {
    /// The signed access-log checkpoint (with the access log's pruning before it).
    AccessCheckpoint,
}

impl DailyJob {
    /// The job's name as stores record it.
    pub fn as_str(self) -> &'static str {
        match self {
            DailyJob::AccessCheckpoint => "access-checkpoint",
        }
    }
}

/// The UTC day (days since 1970-01-01) of relay time `at` (ms).
pub fn utc_day(at: i64) -> i64 {
    at.div_euclid(86_400_000)
}

/// A day's run of a job, as recorded once it was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyJobRun {
    pub job: DailyJob,
    /// The UTC day ([`utc_day`]) it was the run of.
    pub day: i64,
    pub done_at: i64,
    /// The instance that did it, as it names itself (host and data directory).
    pub done_by: String,
    /// What it made and where (for the checkpoint: its file, entries and head).
    pub detail: String,
}

/// Whose turn a day's run of a job is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DailyTurn {
    /// This instance runs it, and holds the turn until it records the run
    /// ([`crate::storage::DailyJobStore::record_daily_job`]) or gives the turn up; if it
    /// dies first, the turn goes with it.
    Mine,
    /// Another instance is running it now.
    Elsewhere,
    /// It was done that day.
    Done(DailyJobRun),
}

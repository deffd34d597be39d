//! What is known of syncing, for the staff screen and the back-off: whether a sync runs and
//! how far it is, when one last completed, and why the last attempt failed. Only
//! bookkeeping; [`crate::sync_loop`] runs the syncs.

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use kiosk_ffi::KioskError;
use kiosk_ffi::types::{SyncFailure, SyncSummary};

/// What the staff screen shows of syncing.
#[derive(Debug, Default)]
pub struct SyncStatus {
    state: Mutex<SyncState>,
}

/// The state of syncing, as last seen.
#[derive(Debug, Clone, Default)]
pub struct SyncState {
    pub running: bool,
    /// `done` of `total` records answered in the running sync.
    pub progress: Option<(u64, u64)>,
    /// When a sync last completed (ms since the epoch), in this process.
    pub last_ok_at_ms: Option<i64>,
    pub last_summary: Option<SyncSummary>,
    /// Why the last attempt failed, if it did.
    pub last_failure: Option<SyncFailure>,
    pub failures_in_a_row: u32,
}

impl SyncStatus {
    fn state(&self) -> MutexGuard<'_, SyncState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `done` of `total` records of the running sync have an answer.
    pub(crate) fn set_progress(&self, done: u64, total: u64) {
        self.state().progress = Some((done, total));
    }

    pub fn snapshot(&self) -> SyncState {
        self.state().clone()
    }

    /// Marks a sync as started, unless one runs already.
    pub(crate) fn begin(&self) -> bool {
        let mut state = self.state();
        if state.running {
            return false;
        }
        state.running = true;
        state.progress = None;
        true
    }

    pub(crate) fn end(&self, result: &Result<SyncSummary, KioskError>) {
        let mut state = self.state();
        state.running = false;
        state.progress = None;
        match result {
            Ok(summary) => {
                state.last_ok_at_ms = Some(now_ms());
                state.last_summary = Some(summary.clone());
                state.last_failure = None;
                state.failures_in_a_row = 0;
            }
            Err(error) => {
                state.last_failure = Some(error.as_sync_failure());
                state.failures_in_a_row = state.failures_in_a_row.saturating_add(1);
            }
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

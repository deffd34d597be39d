//! Background sync: when the relay is reachable the shell syncs by itself between visitors
//! (after a submit, and at most every `sync_every`), backing off while it is not, and never
//! while a visitor's form is open, so a visitor's screen never waits for the network. Staff
//! can ask for a sync at once; its progress and the last success are kept in
//! [`SyncStatus`] for the staff screen.

use std::sync::Arc;
use std::time::Duration;

use kiosk_ffi::KioskError;
use kiosk_ffi::foreign::SyncListener;
use kiosk_ffi::types::{DeviceRole, RecordOutcome, SyncFailure, SyncOptions, SyncSummary};

use crate::state::{Screen, Shell};
pub use crate::sync_status::{SyncState, SyncStatus};

/// How often a waiting sync looks whether the visitor's form has closed.
const BETWEEN_VISITORS_POLL: Duration = Duration::from_secs(2);
/// The longest wait between attempts while the relay cannot be reached.
const MAX_BACK_OFF: Duration = Duration::from_secs(300);
/// How long a sync waits for one answer from the relay.
const REQUEST_TIMEOUT_MS: u64 = 30_000;

/// Hears a running sync's progress for the staff screen.
#[derive(Debug)]
struct ProgressListener(Arc<Shell>);

impl SyncListener for ProgressListener {
    fn progress(&self, done: u64, total: u64) -> Result<(), KioskError> {
        self.0.sync.set_progress(done, total);
        Ok(())
    }

    fn record_state(&self, _id: String, _outcome: RecordOutcome) -> Result<(), KioskError> {
        Ok(())
    }

    fn finished(&self, _summary: SyncSummary) -> Result<(), KioskError> {
        Ok(())
    }

    fn failed(&self, _failure: SyncFailure) -> Result<(), KioskError> {
        Ok(())
    }
}

/// Why syncing did not even start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStarted {
    /// A sync is running already.
    Running,
    /// No relay address is known yet.
    NoRelay,
}

/// Syncs once now, unless a sync is running. Keeps the outcome for the staff screen.
pub async fn sync_once(shell: &Arc<Shell>) -> Result<Result<SyncSummary, KioskError>, NotStarted> {
    let relay = begin(shell)?;
    Ok(run_begun(shell, relay).await)
}

/// Starts a sync in a task of its own and returns at once, the sync already marked as
/// running (so a page drawn next shows its progress), unless one runs already.
pub fn start_in_background(shell: &Arc<Shell>) -> Result<(), NotStarted> {
    let relay = begin(shell)?;
    let shell = Arc::clone(shell);
    tokio::spawn(async move {
        let _ = run_begun(&shell, relay).await;
    });
    Ok(())
}

/// Marks a sync as running and returns the relay to sync with.
fn begin(shell: &Shell) -> Result<String, NotStarted> {
    let Some(relay) = shell.relay_url() else {
        return Err(NotStarted::NoRelay);
    };
    if !shell.sync.begin() {
        return Err(NotStarted::Running);
    }
    Ok(relay)
}

/// Runs a sync [`begin`] marked as running, then carries out a wipe the relay ordered.
async fn run_begun(shell: &Arc<Shell>, relay: String) -> Result<SyncSummary, KioskError> {
    let listener = Arc::new(ProgressListener(Arc::clone(shell)));
    let options = SyncOptions {
        request_timeout_ms: REQUEST_TIMEOUT_MS,
        ..SyncOptions::default()
    };
    let result = shell
        .device
        .sync_over_http(
            relay,
            shell.config.relay_roots_pem.clone(),
            listener,
            options,
        )
        .await;
    match &result {
        Ok(summary) => tracing::info!(
            received = summary.received,
            pulled = summary.pulled,
            requests = summary.requests,
            "synced"
        ),
        Err(error) => tracing::info!(kind = %error, "sync did not complete"),
    }
    // Part of the sync: its end is shown once the ordered wipe was tried.
    if result.is_ok() {
        crate::staff::wipe::after_sync(shell).await;
    }
    shell.sync.end(&result);
    result
}

/// Runs background sync until the process ends.
pub async fn run(shell: Arc<Shell>) {
    loop {
        let wait = next_wait(&shell);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shell.sync_nudge.notified() => {}
        }
        // Never while a visitor fills in the form (a visit ends within the idle limit): the
        // sync waits for the screen between two visitors.
        while matches!(&*shell.screen.lock().await, Screen::Visit(_)) {
            tokio::time::sleep(BETWEEN_VISITORS_POLL).await;
        }
        match shell.device.setup_state() {
            // Not enrolled yet: nothing to sync with; staff enroll at /staff.
            Ok(setup) if !setup.enrolled => continue,
            // A staff tablet would pull registrations that whoever chose the first PIN
            // could read: none before staff chose it. (A kiosk fetches only its event.)
            Ok(setup) if setup.role == DeviceRole::Staff && !setup.staff_pin_set => continue,
            Ok(_) => {}
            // Wiped or closed: there is nothing to sync any more.
            Err(KioskError::NotReady { .. } | KioskError::Closed { .. }) => return,
            Err(error) => tracing::warn!(kind = %error, "the tablet's state could not be read"),
        }
        let _ = sync_once(&shell).await;
    }
}

/// How long to wait before the next attempt: the configured interval, doubled for every
/// failure in a row up to [`MAX_BACK_OFF`].
fn next_wait(shell: &Shell) -> Duration {
    back_off(
        shell.config.sync_every,
        shell.sync.snapshot().failures_in_a_row,
    )
}

fn back_off(every: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.min(10);
    every.saturating_mul(factor).min(MAX_BACK_OFF.max(every))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_the_interval_and_stops_at_five_minutes() {
        let every = Duration::from_secs(30);
        assert_eq!(back_off(every, 0), every);
        assert_eq!(back_off(every, 1), Duration::from_secs(60));
        assert_eq!(back_off(every, 3), Duration::from_secs(240));
        assert_eq!(back_off(every, 4), MAX_BACK_OFF);
        assert_eq!(back_off(every, 40), MAX_BACK_OFF);
    }
}

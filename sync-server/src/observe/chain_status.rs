//! The result of the relay's last verification of the access log's hash chain (the daily
//! checkpoint verifies it), kept where readiness and the metrics read it for nothing.

use std::sync::Mutex;

/// One verification of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCheck {
    /// Relay time of the verification, ms.
    pub at: i64,
    /// Entries the log held, when it verified.
    pub entries: Option<u64>,
    /// The entry where the chain broke; `None`: it verified.
    pub broken_at: Option<u64>,
}

/// The last [`ChainCheck`] this relay made, if any.
#[derive(Debug, Default)]
pub struct ChainStatus {
    last: Mutex<Option<ChainCheck>>,
}

impl ChainStatus {
    pub fn verified(&self, at: i64, entries: u64) {
        self.set(ChainCheck {
            at,
            entries: Some(entries),
            broken_at: None,
        });
    }

    pub fn broken(&self, at: i64, broken_at: u64) {
        self.set(ChainCheck {
            at,
            entries: None,
            broken_at: Some(broken_at),
        });
    }

    fn set(&self, check: ChainCheck) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(check);
    }

    pub fn last(&self) -> Option<ChainCheck> {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Records what a daily-checkpoint tick learnt of the chain: a checkpoint written means it
/// verified; a checkpoint refused for a broken chain means it did not. Ticks that did not
/// verify (the day done already, done elsewhere, other failures) change nothing.
pub fn record_tick<E>(
    status: &ChainStatus,
    ticked: &Result<
        Result<crate::daily_checkpoint::DailyCheckpoint, crate::access_checkpoint::CheckpointError>,
        E,
    >,
    now: i64,
) {
    use crate::access_checkpoint::CheckpointError;
    use crate::daily_checkpoint::DailyCheckpoint;
    match ticked {
        Ok(Ok(DailyCheckpoint::Written { checkpoint, .. })) => {
            status.verified(now, checkpoint.entries)
        }
        Ok(Err(CheckpointError::Broken(at))) => status.broken(now, *at),
        Ok(Err(CheckpointError::BrokenWithin { broken_at, .. })) => status.broken(now, *broken_at),
        _ => {}
    }
}

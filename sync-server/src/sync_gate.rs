//! Bounds on concurrent sync work: one sync at a time per device (the design), and at most a
//! fixed number of requests being checked at once over all devices. A second sync of a
//! device is refused at once with `busy`. A request past the work bound waits for a turn
//! at most [`WORK_WAIT`], then is refused with `busy` (the tablet keeps its copies and tries
//! again): the waiting requests are bounded by the body budget they already hold room in,
//! so a short wait costs no more memory than a refusal, and spares a burst of tablets a
//! round of refusals and retries while turns free up every few milliseconds.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The most bytes of sync bodies held at once, over all clients: eight of the largest
/// (a tablet's usual batch is a few hundred KiB, so many fit). A body is only known to be a
/// device's once all of it is read and its signature checked, so without this bound every
/// connection could hold the largest body (256 × 8 MiB).
pub const BODY_BUDGET: usize = 64 * 1024 * 1024;

/// How long a request past the work bound waits for a turn before it is refused `busy`:
/// far below a tablet's request timeout, and long enough for several batches to be
/// checked meanwhile.
pub const WORK_WAIT: Duration = Duration::from_secs(2);

/// Shared by every sync request of a relay.
#[derive(Debug)]
pub struct SyncGate {
    work: Arc<Semaphore>,
    work_wait: Duration,
    devices: Mutex<HashSet<[u8; 32]>>,
    bodies: Arc<Semaphore>,
    body_budget: usize,
    body_bytes: Arc<AtomicUsize>,
    peak_body_bytes: Arc<AtomicUsize>,
}

impl SyncGate {
    /// A gate letting `max_concurrent` requests be checked at once, within [`BODY_BUDGET`].
    pub fn new(max_concurrent: usize) -> Arc<SyncGate> {
        SyncGate::with_body_budget(max_concurrent, BODY_BUDGET)
    }

    /// A gate letting `max_concurrent` requests be checked at once, and holding at most
    /// `body_budget` bytes of their bodies.
    pub fn with_body_budget(max_concurrent: usize, body_budget: usize) -> Arc<SyncGate> {
        let body_budget = body_budget.clamp(1, u32::MAX as usize);
        Arc::new(SyncGate {
            work: Arc::new(Semaphore::new(max_concurrent)),
            work_wait: WORK_WAIT,
            devices: Mutex::new(HashSet::new()),
            bodies: Arc::new(Semaphore::new(body_budget)),
            body_budget,
            body_bytes: Arc::new(AtomicUsize::new(0)),
            peak_body_bytes: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Room for a body of up to `bytes`, waiting until other requests give theirs back:
    /// meanwhile the body waits in the connection (the client is slowed, nothing is held),
    /// within the body-read timeout.
    pub async fn reserve_body(&self, bytes: usize) -> BodyRoom {
        let bytes = bytes.clamp(1, self.body_budget);
        let permit = self
            .bodies
            .clone()
            .acquire_many_owned(bytes as u32)
            .await
            .expect("the semaphore is never closed");
        let held = self.body_bytes.fetch_add(bytes, Ordering::SeqCst) + bytes;
        self.peak_body_bytes.fetch_max(held, Ordering::SeqCst);
        BodyRoom {
            _permit: permit,
            bytes,
            body_bytes: self.body_bytes.clone(),
        }
    }

    /// Bytes of bodies room is held for now.
    pub fn body_bytes(&self) -> usize {
        self.body_bytes.load(Ordering::SeqCst)
    }

    /// The most bytes of bodies room was held for at once so far.
    pub fn peak_body_bytes(&self) -> usize {
        self.peak_body_bytes.load(Ordering::SeqCst)
    }

    /// A gate sized to the machine: opening seals and checking documents is CPU work, so
    /// a few requests per core keep every core busy without piling requests up in memory.
    pub fn for_this_machine() -> Arc<SyncGate> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        SyncGate::new((cores * 2).max(4))
    }

    /// The same gate with another wait for a work turn (tests).
    pub fn with_work_wait(self: Arc<Self>, work_wait: Duration) -> Arc<SyncGate> {
        let mut gate = Arc::into_inner(self).expect("a gate not yet shared");
        gate.work_wait = work_wait;
        Arc::new(gate)
    }

    /// A turn to check a request: at once if one is free, else the first one given back
    /// within the gate's wait (turns go to waiters in arrival order); `None` past it.
    pub async fn work(&self) -> Option<OwnedSemaphorePermit> {
        let turn = self.work.clone().acquire_owned();
        match tokio::time::timeout(self.work_wait, turn).await {
            Ok(permit) => Some(permit.expect("the semaphore is never closed")),
            Err(_) => None,
        }
    }

    /// `device`'s turn to sync, if no other sync of it is under way; it ends when the
    /// returned turn is dropped.
    pub fn try_device(self: &Arc<Self>, device: [u8; 32]) -> Option<DeviceTurn> {
        let mut devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        devices.insert(device).then(|| DeviceTurn {
            gate: self.clone(),
            device,
        })
    }
}

/// Room held for one request's body until it is answered.
#[derive(Debug)]
pub struct BodyRoom {
    _permit: OwnedSemaphorePermit,
    bytes: usize,
    body_bytes: Arc<AtomicUsize>,
}

impl Drop for BodyRoom {
    fn drop(&mut self) {
        self.body_bytes.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// A device's sync under way; dropping it lets the device sync again.
#[derive(Debug)]
pub struct DeviceTurn {
    gate: Arc<SyncGate>,
    device: [u8; 32],
}

impl Drop for DeviceTurn {
    fn drop(&mut self) {
        let mut devices = self.gate.devices.lock().unwrap_or_else(|p| p.into_inner());
        devices.remove(&self.device);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_has_one_turn_at_a_time_and_gets_it_back_when_done() {
        let gate = SyncGate::new(2);
        let turn = gate.try_device([1; 32]).expect("free");
        assert!(gate.try_device([1; 32]).is_none());
        assert!(gate.try_device([2; 32]).is_some(), "another device is free");
        drop(turn);
        assert!(gate.try_device([1; 32]).is_some());
    }

    #[tokio::test]
    async fn work_past_the_bound_waits_for_a_turn_given_back() {
        let gate = SyncGate::new(2).with_work_wait(Duration::from_secs(600));
        let first = gate.work().await.expect("free");
        let _second = gate.work().await.expect("free");
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.work().await.is_some() }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "no turn is free yet");
        drop(first);
        assert!(
            waiting.await.expect("joins"),
            "the turn given back went to the waiter"
        );
    }

    #[tokio::test]
    async fn work_past_the_bound_is_refused_when_no_turn_comes_back_in_time() {
        let gate = SyncGate::new(1).with_work_wait(Duration::from_millis(20));
        let _held = gate.work().await.expect("free");
        assert!(gate.work().await.is_none(), "refused after the wait");
    }
}

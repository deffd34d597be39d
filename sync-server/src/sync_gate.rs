//! Bounds on concurrent sync work: one sync at a time per device (the design), and at most a
//! fixed number of requests being checked at once over all devices. A request past either
//! bound is refused at once with `busy` rather than queued, so neither memory nor waiting
//! requests grow without a bound; the tablet keeps its copies and tries again.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The most bytes of sync bodies held at once, over all clients: eight of the largest
/// (a tablet's usual batch is a few hundred KiB, so many fit). A body is only known to be a
/// device's once all of it is read and its signature checked, so without this bound every
/// connection could hold the largest body (256 × 8 MiB).
pub const BODY_BUDGET: usize = 64 * 1024 * 1024;

/// Shared by every sync request of a relay.
#[derive(Debug)]
pub struct SyncGate {
    work: Arc<Semaphore>,
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

    /// A turn to check a request, if one is free now.
    pub fn try_work(&self) -> Option<OwnedSemaphorePermit> {
        self.work.clone().try_acquire_owned().ok()
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

    #[test]
    fn work_past_the_bound_is_refused_not_queued() {
        let gate = SyncGate::new(2);
        let first = gate.try_work().expect("free");
        let _second = gate.try_work().expect("free");
        assert!(gate.try_work().is_none());
        drop(first);
        assert!(gate.try_work().is_some());
    }
}

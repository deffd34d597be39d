//! A transport that counts the bytes each way, for the benches' bytes-per-registration
//! figures, and the time spent waiting for answers (HTTP and the relay's work), which
//! tells the relay's share of a sync from the tablet's own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kiosk_core::sync::{HttpTransport, Transport, TransportError};

pub struct Counting {
    inner: HttpTransport,
    pub sent: AtomicU64,
    pub received: AtomicU64,
    waiting_nanos: AtomicU64,
}

impl Counting {
    pub fn new(url: &str) -> Counting {
        Counting {
            inner: HttpTransport::new(url),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            waiting_nanos: AtomicU64::new(0),
        }
    }

    /// Time spent in `post` so far: sending, the relay's work, the answer.
    pub fn waiting(&self) -> Duration {
        Duration::from_nanos(self.waiting_nanos.load(Ordering::Relaxed))
    }
}

impl Transport for Counting {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.sent.fetch_add(body.len() as u64, Ordering::Relaxed);
        let started = Instant::now();
        let answer = self.inner.post(path, body);
        self.waiting_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        let answer = answer?;
        self.received
            .fetch_add(answer.len() as u64, Ordering::Relaxed);
        Ok(answer)
    }
}

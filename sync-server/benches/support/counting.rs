//! A transport that counts the bytes each way, for the benches' bytes-per-registration
//! figures.

use std::sync::atomic::{AtomicU64, Ordering};

use kiosk_core::sync::{HttpTransport, Transport, TransportError};

pub struct Counting {
    inner: HttpTransport,
    pub sent: AtomicU64,
    pub received: AtomicU64,
}

impl Counting {
    pub fn new(url: &str) -> Counting {
        Counting {
            inner: HttpTransport::new(url),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
        }
    }
}

impl Transport for Counting {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.sent.fetch_add(body.len() as u64, Ordering::Relaxed);
        let answer = self.inner.post(path, body)?;
        self.received
            .fetch_add(answer.len() as u64, Ordering::Relaxed);
        Ok(answer)
    }
}

//! A transport that times every sync request answered (a push, with the pull beside it), for
//! the benches' p50 / p99 per push. A refused request (a `busy` answer) is not a push the
//! relay took and is not timed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use kiosk_core::sync::{HttpTransport, Transport, TransportError};

pub struct Timed<'a> {
    inner: HttpTransport,
    pushes: &'a Mutex<Vec<Duration>>,
}

impl<'a> Timed<'a> {
    /// Sends to `url`, adding each answered sync request's time to `pushes`.
    pub fn new(url: &str, pushes: &'a Mutex<Vec<Duration>>) -> Timed<'a> {
        Timed {
            inner: HttpTransport::new(url),
            pushes,
        }
    }
}

impl Transport for Timed<'_> {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let started = Instant::now();
        let answer = self.inner.post(path, body);
        if path == "/v1/sync" && answer.is_ok() {
            self.pushes.lock().expect("lock").push(started.elapsed());
        }
        answer
    }
}

/// The `p` quantile (0..=1) of `times`, sorted here, in milliseconds; NaN when empty.
pub fn quantile_ms(times: &mut [Duration], p: f64) -> f64 {
    if times.is_empty() {
        return f64::NAN;
    }
    times.sort();
    let rank = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len());
    times[rank - 1].as_secs_f64() * 1000.0
}

//! A deadline around a transport the core does not own (a shell's own networking), so a
//! call that never answers ends the sync with an error instead of hanging it for good.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use super::{Transport, TransportError};

/// Runs each call of `inner` on its own thread and gives up waiting after `deadline`. A call
/// given up on runs on to its end and its answer is dropped: the request is retried safely
/// on the next sync, since merging is idempotent.
#[derive(Clone)]
pub struct DeadlineTransport {
    inner: Arc<dyn Transport>,
    deadline: Duration,
}

impl std::fmt::Debug for DeadlineTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadlineTransport")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl DeadlineTransport {
    pub fn new(inner: Arc<dyn Transport>, deadline: Duration) -> DeadlineTransport {
        DeadlineTransport { inner, deadline }
    }
}

impl Transport for DeadlineTransport {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let (answer, answered) = mpsc::sync_channel(1);
        let inner = Arc::clone(&self.inner);
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("kiosk-transport".into())
            .spawn(move || {
                // The receiver is gone if the deadline passed: nobody waits for this answer.
                let _ = answer.send(inner.post(&path, body));
            })
            .map_err(|_| TransportError::Unreachable("no thread for the request".into()))?;
        match answered.recv_timeout(self.deadline) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(TransportError::Unreachable(format!(
                "no answer within {} s",
                self.deadline.as_secs_f64()
            ))),
            // The call panicked: the thread died without answering.
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(TransportError::Unreachable(
                "the transport failed without an answer".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Silent(mpsc::Receiver<()>);
    // The receiver is only touched by the one call that blocks on it.
    struct Shared(std::sync::Mutex<Silent>);

    impl Transport for Shared {
        fn post(&self, _path: &str, _body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
            let silent = self
                .0
                .lock()
                .map_err(|_| TransportError::Unreachable("lock".into()))?;
            let _ = silent.0.recv();
            Err(TransportError::Unreachable("released".into()))
        }
    }

    struct Echo;
    impl Transport for Echo {
        fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
            Ok([path.as_bytes(), &body].concat())
        }
    }

    struct Panics;
    impl Transport for Panics {
        fn post(&self, _path: &str, _body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
            panic!("a transport bug")
        }
    }

    #[test]
    fn a_transport_that_never_answers_ends_in_an_unreachable_error() {
        let (release, wait) = mpsc::channel();
        let transport = DeadlineTransport::new(
            Arc::new(Shared(std::sync::Mutex::new(Silent(wait)))),
            Duration::from_millis(50),
        );
        let error = transport.post("/v1/sync", vec![1]).expect_err("no answer");
        assert!(matches!(error, TransportError::Unreachable(ref m) if m.contains("no answer")));
        release.send(()).expect("the blocked call is still waiting");
    }

    #[test]
    fn an_answer_within_the_deadline_passes_through() {
        let transport = DeadlineTransport::new(Arc::new(Echo), Duration::from_secs(5));
        assert_eq!(transport.post("/p", vec![b'!']).expect("answer"), b"/p!");
    }

    #[test]
    fn a_panicking_transport_ends_in_an_error_not_a_panic() {
        let transport = DeadlineTransport::new(Arc::new(Panics), Duration::from_secs(5));
        assert!(matches!(
            transport.post("/p", vec![]),
            Err(TransportError::Unreachable(_))
        ));
    }
}

//! Slow work (sync, enrollment, the PIN's key derivation) runs on a core-owned thread, and
//! the shell awaits it as a Kotlin `suspend fun`, a Swift `async` call or a Python
//! coroutine. No async runtime is needed: the thread completes a one-shot future. Dropping
//! the future (the shell cancelled its coroutine or task) raises the work's cancel flag.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::error::KioskError;

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// The result of work running on its own thread.
pub(crate) struct Background<T> {
    slot: Arc<Mutex<Slot<Result<T, KioskError>>>>,
    cancel: Arc<AtomicBool>,
}

/// Starts `work` on a new thread; it is handed the cancel flag to check between steps. A
/// panic in the work arrives as an error, like any other failure.
pub(crate) fn on_core_thread<T, F>(name: &str, work: F) -> Background<T>
where
    T: Send + 'static,
    F: FnOnce(Arc<AtomicBool>) -> Result<T, KioskError> + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
    }));
    let cancel = Arc::new(AtomicBool::new(false));
    let background = Background {
        slot: Arc::clone(&slot),
        cancel: Arc::clone(&cancel),
    };
    let deliver = move |result: Result<T, KioskError>| {
        let waker = slot.lock().ok().and_then(|mut slot| {
            slot.value = Some(result);
            slot.waker.take()
        });
        if let Some(waker) = waker {
            waker.wake();
        }
    };
    let spawned = std::thread::Builder::new()
        .name(format!("kiosk-{name}"))
        .spawn({
            let deliver = deliver.clone();
            move || {
                let result = catch_unwind(AssertUnwindSafe(|| work(cancel))).unwrap_or_else(|_| {
                    Err(KioskError::Callback {
                        detail: "the core failed unexpectedly; nothing was half-written".into(),
                    })
                });
                deliver(result);
            }
        });
    if spawned.is_err() {
        deliver(Err(KioskError::Callback {
            detail: "no thread could be started for the work".into(),
        }));
    }
    background
}

impl<T> Future for Background<T> {
    type Output = Result<T, KioskError>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let Ok(mut slot) = self.slot.lock() else {
            return Poll::Ready(Err(KioskError::Callback {
                detail: "the work's result was lost".into(),
            }));
        };
        match slot.value.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(context.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Background<T> {
    fn drop(&mut self) {
        // Finished or not, nobody waits any more: work still running stops at its next check.
        self.cancel.store(true, Ordering::SeqCst);
    }
}

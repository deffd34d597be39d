//! Closing PostgreSQL connections off the async runtime. The synchronous client closes a
//! connection by blocking on a runtime of its own, which panics on a thread that drives
//! async tasks; and the relay drops its store there, when `serve` ends on SIGTERM and its
//! tasks are dropped with the runtime. Left alone, the process would abort on every
//! graceful stop.

/// `T` (a pool, a client), dropped on a thread of its own that the drop waits for.
pub(crate) struct DropOffRuntime<T: Send>(Option<T>);

impl<T: Send> DropOffRuntime<T> {
    pub(crate) fn new(value: T) -> DropOffRuntime<T> {
        DropOffRuntime(Some(value))
    }
}

impl<T: Send> std::ops::Deref for DropOffRuntime<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_ref().expect("present until dropped")
    }
}

impl<T: Send> std::ops::DerefMut for DropOffRuntime<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.as_mut().expect("present until dropped")
    }
}

impl<T: Send> Drop for DropOffRuntime<T> {
    fn drop(&mut self) {
        if let Some(value) = self.0.take() {
            // A scoped thread: the connections are closed when the drop returns, as they
            // would be without the runtime. A failed spawn (no threads left) drops here.
            std::thread::scope(|scope| {
                if let Err(e) = std::thread::Builder::new().spawn_scoped(scope, move || drop(value))
                {
                    tracing::warn!("closing database connections on this thread: {e}");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DropOffRuntime;
    use crate::storage::postgres::test_cluster::fresh_database_url;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connection_dropped_on_a_runtime_thread_is_closed_without_a_panic() {
        let connect = || postgres::Client::connect(&fresh_database_url(), postgres::NoTls);
        let (wrapped, bare) = tokio::task::spawn_blocking(move || {
            (
                DropOffRuntime::new(connect().expect("connects")),
                connect().expect("connects"),
            )
        })
        .await
        .expect("connected");
        // On a runtime's worker thread, as the relay's tasks drop their handles at shutdown.
        let dropped = tokio::spawn(async move { drop(wrapped) }).await;
        assert!(dropped.is_ok(), "dropping the wrapped connection panicked");
        // What the wrapper prevents: the client's own close panics there.
        let dropped = tokio::spawn(async move { drop(bare) }).await;
        assert!(
            dropped.is_err_and(|e| e.is_panic()),
            "a bare client closes on a runtime thread"
        );
    }
}

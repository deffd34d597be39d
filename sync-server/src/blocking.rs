//! Runs blocking work (SQLite, Argon2) off the async threads: the one helper every handler
//! and service uses, so none of them reaches into the route table for it. It names no
//! layer's error: a failed task is [`TaskFailed`], which each layer's error takes in.

/// A blocking task that panicked or was cancelled; its cause was logged where it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the relay could not complete the request; nothing was stored")]
pub struct TaskFailed;

/// Runs `work` on tokio's blocking pool. A task that panicked or was cancelled is logged
/// with its cause and answered as [`TaskFailed`].
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TaskFailed> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(error = %error, "blocking task failed");
        TaskFailed
    })
}

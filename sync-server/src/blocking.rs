//! Runs blocking work (SQLite, Argon2) off the async threads: the one helper every handler
//! and service uses, so none of them reaches into the route table for it.

use crate::error::AppError;

/// Runs `work` on tokio's blocking pool. A task that panicked or was cancelled is logged
/// with its cause and answered as an internal error.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(error = %error, "blocking task failed");
        AppError::Internal
    })
}

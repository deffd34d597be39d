//! The Kiosk relay: an axum service that will verify signed pushes from enrolled tablets,
//! merge and store them, and serve central HR.
//!
//! This first slice serves health and the published forms of the events it knows, from
//! memory; storage, enrollment and sync arrive with their issues. `router` is what tests call
//! with `oneshot`; `serve` is what the binary and end-to-end tests bind to a port.

mod error;
mod routes;
mod state;

pub use error::AppError;
pub use routes::router;
pub use state::AppState;

use std::future::Future;

use tokio::net::TcpListener;

/// Serves `state` on `listener` until `shutdown` completes, then finishes in-flight
/// requests and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

//! The Kiosk relay: an axum service that will verify signed pushes from enrolled tablets,
//! merge and store them, and serve central HR.
//!
//! It enrolls tablets with codes (`enrollment`), takes their signed sync requests and runs
//! every check before storing (`ingest`), keeps what it received in an embedded SQLite store
//! behind a trait (`storage`), and answers with signed receipts. `router` is what tests call
//! with `oneshot`; `serve` is what the binary and end-to-end tests bind to a port.

pub mod enrollment;
mod error;
pub mod ingest;
pub mod keys;
mod routes;
mod state;
pub mod storage;

pub use error::AppError;
pub use routes::{SYNC_BODY_LIMIT, router};
pub use state::{AppState, now_ms, store_demo_event};

use std::future::Future;

use tokio::net::TcpListener;

/// Serves `state` on `listener` until `shutdown` completes, then finishes in-flight
/// requests and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
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

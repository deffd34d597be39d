//! The Kiosk relay: an axum service that will verify signed pushes from enrolled tablets,
//! merge and store them, and serve central HR.
//!
//! It enrolls tablets with codes (`enrollment`), takes their signed sync requests and runs
//! every check before storing (`ingest`), keeps what it received in an embedded SQLite store
//! behind a trait (`storage`), and answers with signed receipts. `router` is what tests call
//! with `oneshot`; `serve` (plain HTTP, loopback) and `serve_tls` (HTTPS, `tls`) are what the
//! binary and end-to-end tests bind to a port. `config` decides, from flags, environment
//! and a file, where and how the binary serves. `hr` holds central HR's accounts, sessions
//! and API.

pub mod access_checkpoint;
pub mod config;
pub mod enrollment;
mod error;
pub mod hr;
pub mod ingest;
pub mod keys;
pub mod pull;
pub mod retention;
mod routes;
mod state;
pub mod storage;
pub mod sync_gate;
pub mod tls;

pub use error::AppError;
pub use routes::{SYNC_BODY_LIMIT, router};
pub use state::{AppState, StoreHealth, now_ms, store_demo_event};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::tls::{ServerConfig, TlsListener};

/// Serves `state` on `listener` until `shutdown` completes, then finishes in-flight
/// requests and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves `state` over TLS with `tls` on `listener` until `shutdown` completes, then
/// finishes in-flight requests and returns. A client whose handshake fails is dropped; the
/// relay keeps accepting others.
pub async fn serve_tls(
    listener: TcpListener,
    state: AppState,
    tls: Arc<ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // `tap_io` is how axum lends a custom listener its `ConnectInfo<SocketAddr>` (the enroll
    // route rate-limits by peer address). The tap itself turns off Nagle's algorithm, which
    // would only delay the small TLS records of an answer.
    let listener = TlsListener::new(listener, tls).tap_io(|stream| {
        let _ = stream.get_ref().0.set_nodelay(true);
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
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

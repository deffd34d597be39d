//! The Kiosk relay: an axum service that will verify signed pushes from enrolled tablets,
//! merge and store them, and serve central HR.
//!
//! It enrolls tablets with codes (`enrollment`), takes their signed sync requests and runs
//! every check before storing (`ingest`), keeps what it received in an embedded SQLite store
//! behind a trait (`storage`), and answers with signed receipts. `router` is what tests call
//! with `oneshot`; `serve` (plain HTTP, loopback) and `serve_tls` (HTTPS, `tls`) are what the
//! binary and end-to-end tests bind to a port, within the bounds of `connections`. `config`
//! decides, from flags, environment and a file, where and how the binary serves. `hr` holds
//! central HR's accounts, sessions and API; `headers` sets what every answer carries.
//! `rules` holds the domain rules every store backend calls (access-log hashing,
//! retention dates and rules, quarantine, the tablets' journal chain).
//! `observe` holds what monitoring sees: `/readyz`'s checks and the Prometheus metrics.

pub mod access_checkpoint;
pub mod backup_settings;
pub mod blind_index;
mod blocking;
pub mod client_address;
pub mod config;
pub mod connections;
pub mod daily_checkpoint;
pub mod enrollment;
mod error;
pub mod headers;
pub mod hr;
pub mod ingest;
pub mod key_export;
pub mod key_rotation;
pub mod keyed_hash;
pub mod keys;
pub mod log_format;
pub mod observe;
pub mod private_files;
pub mod pull;
pub mod request_log;
pub mod restore;
pub mod retention;
mod routes;
pub mod rules;
pub mod scheduled_backup;
mod state;
pub mod storage;
pub mod sync_gate;
pub mod tls;
pub mod tls_reload;
pub mod transparency;
mod unread_body;
pub mod visitor_receipt;
pub mod witness;

pub use error::AppError;
pub use routes::{SYNC_BODY_LIMIT, router};
pub use state::{AppState, StoreHealth, now_ms, store_demo_event};

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use crate::connections::{ConnectionLimits, DEFAULT_LIMITS};
use crate::tls::ServerConfig;

/// Serves `state` on `listener` with the default [`ConnectionLimits`] until `shutdown`
/// completes, then finishes in-flight requests and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ConnectionLimits::default(), shutdown).await
}

/// [`serve`] within `limits`.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    connections::serve_connections(listener, router(state), limits, None, shutdown).await
}

/// Serves `app` (e.g. the metrics listener's routes) on `listener` in plain HTTP, within
/// the default [`ConnectionLimits`], until `shutdown` completes.
pub async fn serve_router(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    connections::serve_connections(listener, app, ConnectionLimits::default(), None, shutdown).await
}

/// Serves `state` over TLS with `tls` on `listener`, with the default [`ConnectionLimits`],
/// until `shutdown` completes, then finishes in-flight requests and returns. A client whose
/// handshake fails or times out is dropped; the relay keeps accepting others.
pub async fn serve_tls(
    listener: TcpListener,
    state: AppState,
    tls: Arc<ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_tls_with(listener, state, tls, ConnectionLimits::default(), shutdown).await
}

/// [`serve_tls`] within `limits`. Every answer carries `Strict-Transport-Security`.
pub async fn serve_tls_with(
    listener: TcpListener,
    state: AppState,
    tls: Arc<ServerConfig>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).layer(axum::middleware::from_fn(
        headers::strict_transport_security,
    ));
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    connections::serve_connections(listener, app, limits, Some(acceptor), shutdown).await
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

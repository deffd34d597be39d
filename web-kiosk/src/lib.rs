//! The visitor's kiosk in a browser: a small web server on loopback that serves the kiosk's
//! screens as server-rendered HTML over one device store, for a desk PC or a laptop locked
//! in a browser's kiosk mode. It drives the core only through what `kiosk-ffi` exports, so
//! anything it does a native shell can do, and it is the tested reference for the rules in
//! `mobile-bindings/SHELLS.md`.
//!
//! - [`visitor`]: welcome, form (ordinary and protected path), thank-you, idle reset.
//! - [`staff`]: staff mode behind the PIN: setup, counts, journal, sync, records.
//! - [`sync_loop`]: background sync between visitors, with back-off; [`sync_status`]: what
//!   is known of it, for staff.
//! - [`guard`]: own host and own origin only; the headers every answer carries.
//! - [`layout`] and [`texts`]: the frame, the assets and every text in Swedish and English.
//! - [`state`]: the one screen a kiosk shows and staff mode, in memory only.
//! - [`form_body`]: reading a posted form, strictly, for visitor and staff posts.
//! - [`config`]: where it listens, its data directory, the relay.
//! - [`enrollment`]: enrolling with a typed code or an enrollment QR text.

pub mod config;
pub mod enrollment;
pub mod form_body;
pub mod guard;
pub mod layout;
pub mod staff;
pub mod state;
pub mod sync_loop;
pub mod sync_status;
pub mod texts;
pub mod visitor;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kiosk_ffi::KioskDevice;
use kiosk_ffi::types::DeviceRole;

use crate::config::Config;
use crate::state::Shell;

/// How often idle screens are looked at (a visit past the core's idle limit, a thank-you
/// shown long enough).
const SWEEP_EVERY: Duration = Duration::from_secs(2);

/// Opens (or creates) the kiosk's device in `config.data_dir`.
pub fn open_device(config: &Config, role_if_new: DeviceRole) -> Result<Arc<KioskDevice>, String> {
    config::create_data_dir(&config.data_dir).map_err(|e| e.to_string())?;
    KioskDevice::open_with_secrets_directory(
        config.store_path().to_string_lossy().into_owned(),
        config.secrets_dir().to_string_lossy().into_owned(),
        role_if_new,
    )
    .map_err(|e| format!("cannot open the kiosk's store: {e}"))
}

/// The shell's routes, guards and headers over `shell`.
pub fn router(shell: Arc<Shell>) -> Router {
    Router::new()
        .merge(visitor::routes())
        .merge(staff::routes())
        .route("/assets/kiosk.css", get(stylesheet))
        .route("/assets/idle.js", get(idle_script))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(too_large_as_page))
        .layer(DefaultBodyLimit::max(visitor::form_post::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shell),
            guard::same_site_only,
        ))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .with_state(shell)
}

/// Serves the shell on `listener` until `shutdown` completes, with background sync and the
/// idle sweep running beside it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shell: Arc<Shell>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn({
        let shell = Arc::clone(&shell);
        async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            loop {
                every.tick().await;
                visitor::sweep(&shell).await;
                staff::sweep(&shell).await;
            }
        }
    });
    let syncing = tokio::spawn(sync_loop::run(Arc::clone(&shell)));
    let served = axum::serve(listener, router(shell))
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    syncing.abort();
    served
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", layout::STYLESHEET)
}

async fn idle_script() -> Response {
    asset("text/javascript; charset=utf-8", layout::IDLE_SCRIPT)
}

/// A static asset: no personal data, so a browser may keep it for a while.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn not_found() -> Response {
    guard::refusal(StatusCode::NOT_FOUND, |t| t.not_found)
}

/// The router's own "too large" answer (the body limit) as a page that says so.
async fn too_large_as_page(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return guard::refusal(StatusCode::PAYLOAD_TOO_LARGE, |t| t.too_large);
    }
    response
}

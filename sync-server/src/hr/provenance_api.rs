//! The provenance bundle's route: `GET /api/v1/registrations/{id}/provenance`, a JSON file
//! made by [`crate::hr::provenance`] (archivists; restricted records with the clearance).
//! The console's record page links to it as a download: a session is a caller here too.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::caller::Caller;
use crate::hr::policy::require_exporter;
use crate::hr::provenance::bundle;
use crate::state::{AppState, now_ms};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/registrations/{id}/provenance",
        get(provenance_bundle),
    )
}

/// The path of record `id`'s bundle.
pub(crate) fn bundle_path(id: &str) -> String {
    format!("/api/v1/registrations/{id}/provenance")
}

async fn provenance_bundle(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    // The role before anything is read.
    let user = require_exporter(&caller.user)?.clone();
    let store = state.store.clone();
    let keys = state.keys.clone();
    let log_key = state.log_key.clone();
    let witnesses = state.witness_keys.clone();
    let stem = format!("provenance-{}", id.trim());
    let value = blocking(move || {
        bundle(
            store.as_ref(),
            keys.as_ref(),
            log_key.as_ref(),
            &witnesses,
            &user,
            id.trim(),
        )
    })
    .await??;
    Ok(crate::hr::printable::json_attachment(
        &stem,
        &value,
        now_ms(),
    ))
}

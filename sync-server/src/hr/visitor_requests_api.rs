//! The JSON API over the archivists' queue of visitor requests
//! ([`crate::hr::visitor_requests`]): `GET /api/v1/visitor-requests` and
//! `POST /api/v1/visitor-requests/{id}/handled`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::caller::Caller;
use crate::hr::visitor_requests::{mark_handled, open_requests};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/visitor-requests", get(list))
        .route("/api/v1/visitor-requests/{id}/handled", post(handled))
}

/// The open requests, oldest first: record, reference, kind and date (archivists).
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, AppError> {
    let (store, user) = (state.store.clone(), caller.user);
    let requests = blocking(move || open_requests(store.as_ref(), &user)).await??;
    Ok(Json(json!({
        "requests": requests
            .iter()
            .map(|r| json!({
                "id": r.id,
                "doc_id": r.doc_id,
                "reference": r.reference,
                "kind": r.kind.as_str(),
                "at": r.at,
            }))
            .collect::<Vec<_>>(),
    })))
}

/// Marks one request handled; `handled` is false for one handled already.
async fn handled(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (store, user) = (state.store.clone(), caller.user);
    let marked = blocking(move || mark_handled(store.as_ref(), &user, id)).await??;
    Ok(Json(json!({ "id": id, "handled": marked })))
}

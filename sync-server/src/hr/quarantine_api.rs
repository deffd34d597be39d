//! The JSON API over quarantine review ([`crate::hr::quarantine`], the service the console
//! calls too): `GET /api/v1/quarantine` and `POST /api/v1/quarantine/{id}/review`.
//! Handlers read the request, ask the service and answer through [`crate::hr::answer`].

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::caller::Caller;
use crate::hr::params::body;
use crate::hr::params::{self, bad_filter};
use crate::hr::quarantine::{Decision, list_page, review_capture};
use crate::state::AppState;
use crate::storage::QuarantinedCapture;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/quarantine", get(list))
        .route("/api/v1/quarantine/{id}/review", post(review))
}

/// The `before` cursor of a list query; unknown parameters are named.
fn parse_before(query: &HashMap<String, String>) -> Result<Option<u64>, AppError> {
    params::only_known(query, &["before"], "not a parameter of this list")?;
    query
        .get("before")
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| bad_filter("before", "a capture id from a page"))
        })
        .transpose()
}

/// A capture as the API shows it.
fn capture_json(capture: &QuarantinedCapture) -> Value {
    json!({
        "id": capture.id,
        "doc_id": capture.doc_id,
        "device_id": hex::encode(capture.device_key),
        "event_id": capture.event_id,
        "code": capture.code,
        "received_at": capture.received_at,
        "review": capture.review,
    })
}

/// Lists quarantined captures, newest first, a page at a time (archivists).
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    // Asked before the query is read, so a caller who may not is told so first.
    crate::hr::policy::may_review_quarantine(&caller.user)?;
    let before = parse_before(&query)?;
    let store = state.store.clone();
    let user = caller.user;
    let (captures, next) = blocking(move || list_page(store.as_ref(), &user, before)).await??;
    Ok(Json(json!({
        "captures": captures.iter().map(capture_json).collect::<Vec<_>>(),
        "next": next,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    decision: String,
    reason: String,
}

/// Records an archivist's final decision on one capture.
async fn review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: Result<Json<ReviewBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let user = crate::hr::policy::may_review_quarantine(&caller.user)?.clone();
    let id = id.parse::<u64>().map_err(|_| AppError::UnknownQuarantine)?;
    let ReviewBody { decision, reason } = body(request)?;
    let decision = Decision::parse(&decision)?;
    let (store, keys) = (state.store.clone(), state.keys.clone());
    let reviewed =
        blocking(move || review_capture(store.as_ref(), &keys, &user, id, decision, &reason))
            .await??;
    Ok(Json(capture_json(&reviewed)))
}

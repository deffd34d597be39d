//! The JSON API over retention, legal holds and talent-pool withdrawals
//! ([`crate::hr::retention`], the service the console calls too): `GET /api/v1/retention`,
//! runs, a record's retention, its legal hold and a withdrawal. Handlers read the request,
//! ask the service and shape the JSON; errors are answered through [`crate::hr::answer`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::caller::Caller;
use crate::hr::params::body;
use crate::hr::policy::require_holder;
use crate::hr::retention::{
    change_hold, overview_of, record_retention_for, retention_run, start_run_as, told_to_visitor,
    withdraw_logged,
};
use crate::state::AppState;
use crate::storage::{LegalHold, RecordRetention, RetentionRun};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/retention", get(overview))
        .route("/api/v1/retention/runs", post(start_run))
        .route("/api/v1/retention/runs/{id}", get(run))
        .route(
            "/api/v1/registrations/{id}/retention",
            get(record_retention),
        )
        .route(
            "/api/v1/registrations/{id}/legal-hold",
            axum::routing::put(set_hold),
        )
        .route(
            "/api/v1/registrations/{id}/legal-hold/lift",
            post(lift_hold),
        )
        .route(
            "/api/v1/registrations/{id}/talent-pool-withdrawal",
            post(withdraw),
        )
}

async fn overview(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, AppError> {
    let store = state.store.clone();
    let user = caller.user;
    let overview = blocking(move || overview_of(store.as_ref(), &user)).await??;
    Ok(Json(json!({
        "as_of": overview.as_of,
        "events": overview.events.iter().zip(&overview.event_names).map(|(due, name)| json!({
            "event_id": due.rule.event_id,
            "event_name": name,
            "months_after_receipt": due.rule.months,
            "decision": due.rule.decision,
            "due": due.due,
            "held": due.held,
        })).collect::<Vec<_>>(),
        "legal_holds": overview.holds.iter().map(hold_json).collect::<Vec<_>>(),
        "runs": overview.runs.iter().map(run_json).collect::<Vec<_>>(),
    })))
}

fn hold_json(hold: &LegalHold) -> Value {
    json!({
        "registration_id": hold.doc_id,
        "reason": hold.reason,
        "set_by": hold.set_by,
        "set_at": hold.set_at,
    })
}

pub(crate) fn run_json(run: &RetentionRun) -> Value {
    json!({
        "id": run.id,
        "started_at": run.started_at,
        "started_by": run.started_by,
        "as_of": run.as_of,
        "finished_at": run.finished_at,
        "removed": run.removed,
        "held": run.held,
    })
}

async fn start_run(State(state): State<AppState>, caller: Caller) -> Result<Response, AppError> {
    let run = start_run_as(&state, &caller.user).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "run": run_json(&run) }))).into_response())
}

async fn run(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let store = state.store.clone();
    let user = caller.user;
    let run = blocking(move || retention_run(store.as_ref(), &user, &id)).await??;
    Ok(Json(json!({ "run": run_json(&run) })))
}

pub(crate) fn retention_json(retention: &RecordRetention) -> Value {
    json!({
        "received_at": retention.received_at,
        "months_after_receipt": retention.rule.months,
        "decision": retention.rule.decision,
        "due_at": retention.due_at,
        "legal_hold": retention.legal_hold.as_ref().map(hold_json),
        "talent_pool_withdrawn_at": retention.talent_pool_withdrawn_at,
    })
}

async fn record_retention(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let store = state.store.clone();
    let user = caller.user;
    let retention =
        blocking(move || record_retention_for(store.as_ref(), &user, &doc_id)).await??;
    Ok(Json(retention_json(&retention)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

async fn hold_route(
    state: AppState,
    caller: Caller,
    doc_id: String,
    hold: bool,
    request: Result<Json<ReasonBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let user = require_holder(&caller.user)?.clone();
    let ReasonBody { reason } = body(request)?;
    let store = state.store.clone();
    let retention =
        blocking(move || change_hold(store.as_ref(), &user, &doc_id, hold, &reason)).await??;
    Ok(Json(retention_json(&retention)))
}

async fn set_hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
    request: Result<Json<ReasonBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    hold_route(state, caller, doc_id, true, request).await
}

async fn lift_hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
    request: Result<Json<ReasonBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    hold_route(state, caller, doc_id, false, request).await
}

async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let store = state.store.clone();
    let user = caller.user;
    let keys = state.index_keys.clone();
    let withdrawn =
        blocking(move || withdraw_logged(store.as_ref(), &keys, &user, &doc_id)).await??;
    let (sv, en) = told_to_visitor(&withdrawn.retention, withdrawn.withdrawn_at);
    Ok(Json(json!({
        "withdrawn_at": withdrawn.withdrawn_at,
        "already_withdrawn": withdrawn.already,
        "earliest_removal_at": withdrawn.retention.due_at,
        "earliest_removal_date": crate::hr::dates::local_date(withdrawn.retention.due_at),
        "on_legal_hold": withdrawn.retention.legal_hold.is_some(),
        "tell_the_visitor": { "sv": sv, "en": en },
    })))
}

//! The JSON API over [`crate::hr::user_access`]: `POST /api/v1/users/{id}/disable`,
//! `…/enable`, `…/roles/remove`, `…/clearance/remove`, `…/password-reset`, the user's
//! tokens and their revocation, and `GET …/access-changes`. Handlers read the request, ask
//! the service and answer; the service's errors become public ones here, through
//! [`crate::hr::answer`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::error::AppError;
use crate::hr::accounts::Role;
use crate::hr::caller::Caller;
use crate::hr::params::body;
use crate::hr::user_access::{AccessRequest, change_access_as, user_access_changes, user_tokens};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users/{id}/disable", post(disable))
        .route("/api/v1/users/{id}/enable", post(enable))
        .route("/api/v1/users/{id}/roles/remove", post(remove_role))
        .route(
            "/api/v1/users/{id}/clearance/remove",
            post(remove_clearance),
        )
        .route("/api/v1/users/{id}/password-reset", post(reset_password))
        .route("/api/v1/users/{id}/tokens", get(tokens))
        .route(
            "/api/v1/users/{id}/tokens/{token}/revoke",
            post(revoke_token),
        )
        .route("/api/v1/users/{id}/access-changes", get(access_changes))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
    reason: Option<String>,
}

/// An optional body: none at all is an empty one.
fn optional_reason(
    request: Result<Json<ReasonBody>, JsonRejection>,
) -> Result<Option<String>, AppError> {
    match request {
        Err(JsonRejection::MissingJsonContentType(_)) => Ok(None),
        other => Ok(body(other)?.reason),
    }
}

async fn answer(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
    request: AccessRequest,
    reason: Option<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let (user, _) = change_access_as(state, caller, user_id, request, reason).await?;
    Ok(Json(json!({ "user": user })))
}

async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    request: Result<Json<ReasonBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let reason = optional_reason(request)?;
    answer(&state, &caller, id, AccessRequest::Disable, reason).await
}

async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    request: Result<Json<ReasonBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let reason = optional_reason(request)?;
    answer(&state, &caller, id, AccessRequest::Enable, reason).await
}

async fn remove_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    request: Result<Json<RoleBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    // Asked before the body is read, so a caller who may not gets the same answer
    // whatever they send.
    crate::hr::policy::may_manage_users(&caller.user)?;
    let RoleBody { role, reason } = body(request)?;
    let role = Role::parse(&role).ok_or(AppError::InvalidField {
        field: "role",
        rule: "admin, recruiter or archivist",
    })?;
    answer(&state, &caller, id, AccessRequest::RemoveRole(role), reason).await
}

async fn remove_clearance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    request: Result<Json<ReasonBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    crate::hr::policy::may_manage_users(&caller.user)?;
    let ReasonBody { reason } = body(request)?;
    answer(&state, &caller, id, AccessRequest::RemoveClearance, reason).await
}

async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    request: Result<Json<ReasonBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let reason = optional_reason(request)?;
    let (user, one_time) =
        change_access_as(&state, &caller, id, AccessRequest::ResetPassword, reason).await?;
    Ok(Json(json!({ "user": user, "one_time_password": one_time })).into_response())
}

async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
) -> Result<Json<serde_json::Value>, AppError> {
    let tokens = user_tokens(&state, &caller, id).await?;
    Ok(Json(json!({ "tokens": tokens })))
}

async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, token)): Path<(u64, u64)>,
    request: Result<Json<ReasonBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let reason = optional_reason(request)?;
    change_access_as(
        &state,
        &caller,
        id,
        AccessRequest::RevokeToken(token),
        reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn access_changes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
) -> Result<Json<serde_json::Value>, AppError> {
    let changes = user_access_changes(&state, &caller, id).await?;
    Ok(Json(json!({ "changes": changes })))
}

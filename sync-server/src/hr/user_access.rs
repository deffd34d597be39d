//! Taking an HR user's access away (admins): disabling a user (their sessions and API tokens
//! end at once; they cannot log in until enabled again), removing a role or the restricted
//! clearance with a reason, resetting a password to a one-time password (which opens
//! nothing but a password change, and ends their sessions and tokens), and listing and
//! revoking a user's API tokens. Every change is recorded with who made it and why
//! (`GET /api/v1/users/{id}/access-changes`) and written to the access log, in one
//! transaction with the change.
//!
//! Guard rails: an admin takes none of this from themselves (they change their own
//! password with `POST /api/v1/password`), and no change leaves the relay without an
//! enabled admin. The JSON handlers are thin: the console and the command line call
//! [`change_access`] too.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::accounts::{self, HrUser, PasswordHash, Role};
use crate::hr::caller::Caller;
use crate::hr::params::body;
use crate::state::{AppState, now_ms};
use crate::storage::{
    AccountAction, AccountChange, AccountChangeOutcome, AccountChangeRecord, RelayStore, TokenInfo,
};

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

/// The longest reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// A reason as given: trimmed, 1–500 characters without control characters (line breaks
/// allowed); `required` says whether none is refused.
pub fn check_reason(reason: Option<&str>, required: bool) -> Result<Option<String>, AppError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        None if required => Err(AppError::InvalidField {
            field: "reason",
            rule: "say why (1–500 characters) / ange varför (1–500 tecken)",
        }),
        None => Ok(None),
        Some(r)
            if r.chars().count() > MAX_REASON_CHARS
                || r.chars().any(|c| c.is_control() && c != '\n' && c != '\r') =>
        {
            Err(AppError::InvalidField {
                field: "reason",
                rule: "at most 500 characters, no control characters / högst 500 tecken",
            })
        }
        Some(r) => Ok(Some(r.to_owned())),
    }
}

/// What to change, as asked (the one-time password of a reset is made here).
#[derive(Debug, Clone)]
pub enum AccessRequest {
    Disable,
    Enable,
    RemoveRole(Role),
    RemoveClearance,
    ResetPassword,
    RevokeToken(u64),
}

/// Who makes a change: an admin (by their account) or the operator on the command line.
#[derive(Debug, Clone)]
pub enum ChangedBy {
    Admin(HrUser),
    /// The command line, with the name the access log gives the operator.
    Operator(String),
}

/// Makes `request` for user `user_id` with `reason` (required for removing a role or the
/// clearance), recording and access-logging it; returns the user as they are now and, for
/// a password reset, the one-time password to show once. Blocking (Argon2id for a reset).
pub fn change_access(
    store: &dyn RelayStore,
    by: &ChangedBy,
    user_id: u64,
    request: AccessRequest,
    reason: Option<&str>,
) -> Result<(HrUser, Option<String>), AppError> {
    let required = matches!(
        request,
        AccessRequest::RemoveRole(_) | AccessRequest::RemoveClearance
    );
    let reason = check_reason(reason, required)?;
    let (by_user, by_name) = match by {
        ChangedBy::Admin(admin) => {
            // Taking access from oneself is refused outright: an admin could lock
            // themselves out, and a reset of one's own password skips the current one.
            if admin.id == user_id && !matches!(request, AccessRequest::RevokeToken(_)) {
                return Err(AppError::SelfChange);
            }
            (Some(admin.id), admin.accessor_name())
        }
        ChangedBy::Operator(name) => (None, name.clone()),
    };
    let mut one_time = None;
    let action = match request {
        AccessRequest::Disable => AccountAction::Disable,
        AccessRequest::Enable => AccountAction::Enable,
        AccessRequest::RemoveRole(role) => AccountAction::RemoveRole(role),
        AccessRequest::RemoveClearance => AccountAction::RemoveClearance,
        AccessRequest::ResetPassword => {
            store.hr_user(user_id)?.ok_or(AppError::UnknownUser)?;
            let password = accounts::one_time_password();
            let hash = PasswordHash::new(&password);
            one_time = Some(password);
            AccountAction::ResetPassword(hash)
        }
        AccessRequest::RevokeToken(token) => AccountAction::RevokeToken(token),
    };
    let change = AccountChange {
        user_id,
        action,
        reason,
        by_user,
        by_name,
        at: now_ms(),
    };
    match store.change_hr_account(&change)? {
        AccountChangeOutcome::Done => {
            tracing::info!(
                by = by_user,
                target = user_id,
                change = change.action.name(),
                "HR user's access changed"
            );
        }
        AccountChangeOutcome::NoSuchUser => return Err(AppError::UnknownUser),
        AccountChangeOutcome::NoSuchToken => return Err(AppError::UnknownToken),
        AccountChangeOutcome::Unchanged => return Err(AppError::AccountUnchanged),
        AccountChangeOutcome::LastAdmin => return Err(AppError::LastAdmin),
    }
    let user = store.hr_user(user_id)?.ok_or(AppError::UnknownUser)?.0;
    Ok((user, one_time))
}

/// [`change_access`] for the caller, who must be an admin.
pub(crate) async fn change_access_as(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
    request: AccessRequest,
    reason: Option<String>,
) -> Result<(HrUser, Option<String>), AppError> {
    let admin = caller.require(Role::Admin)?.clone();
    let store = state.store.clone();
    blocking(move || {
        change_access(
            store.as_ref(),
            &ChangedBy::Admin(admin),
            user_id,
            request,
            reason.as_deref(),
        )
    })
    .await?
}

/// User `user_id`'s unexpired API tokens (admins only).
pub(crate) async fn user_tokens(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
) -> Result<Vec<TokenInfo>, AppError> {
    caller.require(Role::Admin)?;
    let store = state.store.clone();
    blocking(move || -> Result<Vec<TokenInfo>, AppError> {
        store.hr_user(user_id)?.ok_or(AppError::UnknownUser)?;
        Ok(store.hr_api_tokens(user_id, now_ms())?)
    })
    .await?
}

/// The recorded changes of user `user_id`'s access, newest first (admins only).
pub(crate) async fn user_access_changes(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
) -> Result<Vec<AccountChangeRecord>, AppError> {
    caller.require(Role::Admin)?;
    let store = state.store.clone();
    blocking(move || -> Result<Vec<AccountChangeRecord>, AppError> {
        store.hr_user(user_id)?.ok_or(AppError::UnknownUser)?;
        Ok(store.hr_account_changes(user_id)?)
    })
    .await?
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
    caller.require(Role::Admin)?;
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
    caller.require(Role::Admin)?;
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

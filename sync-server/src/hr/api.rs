//! The JSON API for HR accounts: login and logout, the caller's own account and password,
//! users, their clearance, its history and assigned events (admins), and API tokens. Bodies
//! are JSON; errors are `{code, message}`. The handlers are thin: they call
//! [`crate::hr::account_service`], as the console does. The whole API's route table is
//! [`crate::hr::routes`].

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::account_service::{
    check_login, client_address, create_hr_user, end_session, open_session, set_own_password,
    set_user_clearance, user_clearance_history, user_directory,
};
use crate::hr::accounts::{self, AccountError, HrUser};
use crate::hr::caller::Caller;
use crate::hr::params::body;
use crate::hr::sessions;
use crate::state::{AppState, now_ms};
use crate::storage::CredentialKind;

/// The account routes (merged into the API by [`crate::hr::routes`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/password", post(change_password))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}/clearance", post(set_clearance))
        .route(
            "/api/v1/users/{id}/clearance-history",
            get(clearance_history),
        )
        .route("/api/v1/tokens", post(create_token))
        .route("/api/v1/openapi.json", get(openapi))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

/// Opens a console session: the answer sets the cookie and carries the CSRF token.
async fn new_session(state: &AppState, user: HrUser) -> Result<Response, AppError> {
    let (cookie, csrf) = open_session(state, &user).await?;
    let mut response = Json(json!({ "user": user, "csrf_token": csrf })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let LoginBody { username, password } = body(request)?;
    let user = check_login(&state, username, password, &client_address(peer)).await?;
    new_session(&state, user).await
}

async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, AppError> {
    end_session(&state, caller).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, sessions::cleared_cookie());
    Ok(response)
}

/// The API's OpenAPI 3.1 document (kept beside this module; a test checks it against the
/// routes).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn me(caller: Caller) -> Json<HrUser> {
    Json(caller.user)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Sets the caller's own password (a one-time password must be replaced this way first).
/// Every session and token of the user ends; a session caller gets a new session.
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    request: Result<Json<PasswordBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let PasswordBody {
        current_password,
        new_password,
    } = body(request)?;
    set_own_password(&state, caller.user.id, current_password, new_password).await?;
    let mut user = caller.user;
    user.must_change_password = false;
    match caller.kind {
        CredentialKind::Session => new_session(&state, user).await,
        CredentialKind::ApiToken => Ok(Json(json!({ "user": user })).into_response()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    username: String,
    display_name: String,
    roles: Vec<String>,
}

/// Every user with roles, clearance, assigned events, creator and the admin whose clearance
/// grant is in force (admins).
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, AppError> {
    let users = user_directory(&state, &caller).await?;
    Ok(Json(json!({ "users": users })))
}

/// Admins create users; the answer carries a one-time password, shown this once.
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    request: Result<Json<NewUserBody>, JsonRejection>,
) -> Result<Response, AppError> {
    crate::hr::policy::may_manage_users(&caller.user)?;
    let NewUserBody {
        username,
        display_name,
        roles,
    } = body(request)?;
    let (user, one_time) = create_hr_user(&state, &caller, username, display_name, &roles).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": user, "one_time_password": one_time })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClearanceBody {
    restricted_clearance: bool,
    /// Why (1–500 characters): recorded with the change and access-logged.
    #[serde(default)]
    reason: Option<String>,
}

/// Admins grant or withdraw another user's restricted clearance: never their own, nor that of
/// an account they created or that created theirs.
async fn set_clearance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    request: Result<Json<ClearanceBody>, JsonRejection>,
) -> Result<Json<HrUser>, AppError> {
    let admin = crate::hr::policy::may_manage_users(&caller.user)?;
    if admin.id == id {
        return Err(AccountError::SelfGrant.into());
    }
    let ClearanceBody {
        restricted_clearance,
        reason,
    } = body(request)?;
    Ok(Json(
        set_user_clearance(&state, &caller, id, restricted_clearance, reason).await?,
    ))
}

/// The changes of user `id`'s clearance, newest first, each with who made it (admins).
async fn clearance_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
) -> Result<Json<serde_json::Value>, AppError> {
    let changes = user_clearance_history(&state, &caller, id).await?;
    Ok(Json(json!({ "changes": changes })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    label: String,
    days: u32,
}

/// A logged-in user creates an API token for themselves, shown this once. Only from a
/// console session: a token cannot mint further tokens.
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    request: Result<Json<TokenBody>, JsonRejection>,
) -> Result<Response, AppError> {
    crate::hr::policy::may_act(&caller.user)?;
    if caller.kind != CredentialKind::Session {
        return Err(AppError::NotLoggedIn);
    }
    let TokenBody { label, days } = body(request)?;
    if !(1..=sessions::MAX_TOKEN_DAYS).contains(&days) {
        return Err(AppError::BadBody(format!(
            "days must be 1–{}",
            sessions::MAX_TOKEN_DAYS
        )));
    }
    accounts::check_display_name(&label).map_err(|_| {
        AppError::BadBody("label must be 1–100 characters without control characters".into())
    })?;
    let now = now_ms();
    let expires_at = now + i64::from(days) * 24 * 3_600_000;
    let store = state.store.clone();
    let user_id = caller.user.id;
    let token =
        blocking(move || super::issue_api_token(store.as_ref(), user_id, &label, now, expires_at))
            .await??;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "expires_at": expires_at })),
    )
        .into_response())
}

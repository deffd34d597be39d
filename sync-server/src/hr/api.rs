//! The JSON API for HR: login and logout, the caller's own account and password, users,
//! their clearance, its history and assigned events (admins), and API tokens. Bodies are JSON; errors
//! are `{code, message}`. The user handlers are thin: the console calls the same
//! `pub(crate)` functions, which check the caller's role.
//!
//! A caller is a console session (the `kiosk_session` cookie; requests that change state
//! also carry its CSRF token in `X-CSRF-Token`) or an API token (`Authorization: Bearer`).

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::error::AppError;
use crate::hr::accounts::{self, AccountError, HrUser, PasswordHash, Role};
use crate::hr::sessions::{self, CSRF_HEADER, SESSION_IDLE_MS, SESSION_LIFETIME_MS};
use crate::routes::blocking;
use crate::state::{AppState, now_ms};
use crate::storage::{ClearanceChange, Credential, CredentialKind, DirectoryEntry};

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
        .merge(crate::hr::registrations::routes())
        .merge(crate::hr::record_edits::routes())
        .merge(crate::hr::quarantine::routes())
        .merge(crate::hr::export::routes())
        .merge(crate::hr::devices::routes())
        .merge(crate::hr::events::routes())
        .merge(crate::hr::access_log::routes())
        .merge(crate::hr::retention::routes())
        .merge(crate::hr::subject_access::routes())
        .merge(crate::hr::disclosure::routes())
        .merge(crate::hr::reconciliation::routes())
        .merge(crate::hr::user_access::routes())
}

/// The body as `T`, or a clear error naming what was wrong with it.
pub(crate) fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    body.map(|Json(b)| b)
        .map_err(|rejection| AppError::BadBody(rejection.body_text()))
}

/// Who is calling, authenticated by a session or an API token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: HrUser,
    pub kind: CredentialKind,
    secret_hash: [u8; 32],
}

impl Caller {
    /// The caller's user, if they hold `role` and have chosen their own password.
    pub fn require(&self, role: Role) -> Result<&HrUser, AppError> {
        if self.user.must_change_password {
            return Err(AppError::PasswordChangeRequired);
        }
        if !self.user.has(role) {
            return Err(AppError::MissingRole(role.as_str()));
        }
        Ok(&self.user)
    }

    /// Whether the caller's credential still opens `role` at `now`, asked again of the
    /// store (blocking): a long answer (an export's pages) asks as it goes, so disabling
    /// the user, revoking the token, ending the session or taking the role stops it
    /// part-way instead of at the next request.
    pub(crate) fn still_may(
        &self,
        store: &dyn crate::storage::RelayStore,
        role: Role,
        now: i64,
    ) -> Result<(), AppError> {
        let (credential, user) = store
            .hr_credential(&self.secret_hash, now)?
            .ok_or(AppError::NotLoggedIn)?;
        if credential.user_id != self.user.id || credential.kind != self.kind {
            return Err(AppError::NotLoggedIn);
        }
        Caller {
            user,
            kind: credential.kind,
            secret_hash: self.secret_hash,
        }
        .require(role)
        .map(|_| ())
    }

    /// A caller as [`authenticate`] makes one, for tests of handlers' parts.
    #[cfg(test)]
    pub(crate) fn for_tests(user: HrUser, kind: CredentialKind, secret_hash: [u8; 32]) -> Caller {
        Caller {
            user,
            kind,
            secret_hash,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, AppError> {
        authenticate(parts, state, None).await
    }
}

/// The caller of a request, checked as [`Caller`]'s extractor does; a session's CSRF token
/// may come from `X-CSRF-Token` or, for console forms, from the form's `csrf_token` field.
pub(crate) async fn authenticate(
    parts: &Parts,
    state: &AppState,
    form_csrf: Option<&str>,
) -> Result<Caller, AppError> {
    let from_token = sessions::bearer_token(&parts.headers);
    let secret = from_token
        .clone()
        .or_else(|| sessions::session_from_cookies(&parts.headers))
        .ok_or(AppError::NotLoggedIn)?;
    let secret_hash = sessions::secret_hash(&secret);
    let now = now_ms();
    let store = state.store.clone();
    let (credential, user) = blocking(move || store.hr_credential(&secret_hash, now))
        .await??
        .ok_or(AppError::NotLoggedIn)?;
    // A bearer header must hold a token, a cookie a session: neither stands in for the
    // other (a token in a cookie would skip the CSRF check).
    let expected = if from_token.is_some() {
        CredentialKind::ApiToken
    } else {
        CredentialKind::Session
    };
    if credential.kind != expected {
        return Err(AppError::NotLoggedIn);
    }
    if credential.kind == CredentialKind::Session {
        if now - credential.last_used_at >= SESSION_IDLE_MS {
            let store = state.store.clone();
            blocking(move || store.delete_hr_credential(&secret_hash)).await??;
            return Err(AppError::NotLoggedIn);
        }
        if sessions::changes_state(&parts.method) {
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .or(form_csrf)
                .ok_or(AppError::Csrf)?;
            let expected = credential.csrf_hash.ok_or(AppError::Csrf)?;
            if !sessions::secret_matches(given, &expected) {
                return Err(AppError::Csrf);
            }
        }
    }
    Ok(Caller {
        user,
        kind: credential.kind,
        secret_hash,
    })
}

/// Takes event `event_id` from user `user_id`'s assignments (admins only), so they no longer
/// read its registrations; returns the events still assigned. Taking one not assigned
/// changes nothing.
pub(crate) async fn unassign_event_from_recruiter(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
    event_id: String,
) -> Result<Vec<String>, AppError> {
    let admin = caller.require(Role::Admin)?.id;
    let store = state.store.clone();
    blocking(move || -> Result<Vec<String>, AppError> {
        store.hr_user(user_id)?.ok_or(AppError::UnknownUser)?;
        if store.unassign_hr_event(user_id, &event_id)? {
            tracing::info!(
                admin,
                target = user_id,
                event = event_id,
                "event unassigned"
            );
        }
        Ok(store.hr_assigned_events(user_id)?)
    })
    .await?
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

/// A new console session for `user`: the `Set-Cookie` value that carries it and its CSRF
/// token (the JSON login answers with both; the console sets the cookie and redirects).
pub(crate) async fn open_session(
    state: &AppState,
    user: &HrUser,
) -> Result<(HeaderValue, String), AppError> {
    let secret = sessions::new_secret();
    let csrf = sessions::csrf_token_for(&secret);
    let now = now_ms();
    let credential = Credential {
        kind: CredentialKind::Session,
        user_id: user.id,
        csrf_hash: Some(sessions::secret_hash(&csrf)),
        expires_at: now + SESSION_LIFETIME_MS,
        last_used_at: now,
    };
    let store = state.store.clone();
    let hash = sessions::secret_hash(&secret);
    blocking(move || store.put_hr_credential(&hash, &credential, None, now)).await??;
    Ok((
        sessions::session_cookie(&secret, state.secure_cookies),
        csrf,
    ))
}

/// Opens a console session: the answer sets the cookie and carries the CSRF token.
async fn new_session(state: &AppState, user: HrUser) -> Result<Response, AppError> {
    let (cookie, csrf) = open_session(state, &user).await?;
    let mut response = Json(json!({ "user": user, "csrf_token": csrf })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// How the login limiter names a client: its IP address, or `local` without one.
pub(crate) fn client_address(peer: Option<Extension<ConnectInfo<SocketAddr>>>) -> String {
    peer.map_or_else(|| "local".to_owned(), |p| p.0.0.ip().to_string())
}

/// The user with this username and password, counted by the login limiter: an unknown
/// username costs what a wrong password does, and a success is forgiven.
pub(crate) async fn check_login(
    state: &AppState,
    username: String,
    password: String,
    address: &str,
) -> Result<HrUser, AppError> {
    let now = now_ms();
    state
        .login_failures
        .begin_attempt(&username, address, now)
        .map_err(AppError::LoginRateLimited)?;
    // No account has such a name (the rules are public, so refusing it at once tells
    // nothing): it costs no password check.
    if accounts::check_username(&username).is_err() {
        return Err(AppError::WrongCredentials);
    }
    let store = state.store.clone();
    let lookup = username.clone();
    let user = state
        .password_checks
        .run(move || login_outcome(store.hr_user_by_username(&lookup)?, &password))
        .await??
        .ok_or(AppError::WrongCredentials)?;
    state.login_failures.forgive(&username, address);
    tracing::info!(user = user.id, "HR login");
    Ok(user)
}

/// Who logs in with `password` as the user `found` by username: one password check
/// whether or not the user exists, so neither the time nor the cost tells the two apart.
fn login_outcome(
    found: Option<(HrUser, PasswordHash)>,
    password: &str,
) -> Result<Option<HrUser>, AppError> {
    let Some((user, hash)) = found else {
        PasswordHash::waste_a_check(password);
        return Ok(None);
    };
    if !hash.matches(password) {
        return Ok(None);
    }
    // Told only to whoever knows the password: the account is disabled.
    if user.disabled {
        return Err(AppError::AccountDisabled);
    }
    Ok(Some(user))
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

/// Ends the caller's session (or revokes the token it called with).
pub(crate) async fn end_session(state: &AppState, caller: Caller) -> Result<(), AppError> {
    let store = state.store.clone();
    blocking(move || store.delete_hr_credential(&caller.secret_hash)).await??;
    Ok(())
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

/// Replaces user `id`'s password after checking the current one, ending every session and
/// token of theirs.
pub(crate) async fn set_own_password(
    state: &AppState,
    id: u64,
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    accounts::check_password(&new_password)?;
    if new_password == current_password {
        return Err(AccountError::SamePassword.into());
    }
    let store = state.store.clone();
    state
        .password_checks
        .run(move || -> Result<(), AppError> {
            let (_, hash) = store.hr_user(id)?.ok_or(AppError::UnknownUser)?;
            if !hash.matches(&current_password) {
                return Err(AppError::WrongCredentials);
            }
            store.set_hr_password(id, &PasswordHash::new(&new_password), false)?;
            Ok(())
        })
        .await?
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

/// The user directory, by username (admins only).
pub(crate) async fn user_directory(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<DirectoryEntry>, AppError> {
    caller.require(Role::Admin)?;
    let store = state.store.clone();
    Ok(blocking(move || store.hr_directory()).await??)
}

/// Admins create users; the answer carries a one-time password, shown this once.
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    request: Result<Json<NewUserBody>, JsonRejection>,
) -> Result<Response, AppError> {
    caller.require(Role::Admin)?;
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

/// Creates a user with `roles` (by name) and a one-time password to show once (admins
/// only). Refusals: a role that does not exist (`BadBody("roles: …")`), the account rules,
/// a taken username.
pub(crate) async fn create_hr_user(
    state: &AppState,
    caller: &Caller,
    username: String,
    display_name: String,
    roles: &[String],
) -> Result<(HrUser, String), AppError> {
    let admin = caller.require(Role::Admin)?.id;
    let roles: Vec<Role> = roles
        .iter()
        .map(|r| Role::parse(r).ok_or(AppError::BadBody(format!("roles: unknown role {r:?}"))))
        .collect::<Result<_, _>>()?;
    let store = state.store.clone();
    let (user, one_time) = blocking(move || {
        crate::hr::provision_user_by(
            store.as_ref(),
            Some(admin),
            &username,
            &display_name,
            roles,
            now_ms(),
        )
    })
    .await??;
    tracing::info!(admin, user = user.id, "HR user created");
    Ok((user, one_time))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClearanceBody {
    restricted_clearance: bool,
}

/// Admins grant or withdraw another user's restricted clearance: never their own, nor that of
/// an account they created or that created theirs.
async fn set_clearance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    request: Result<Json<ClearanceBody>, JsonRejection>,
) -> Result<Json<HrUser>, AppError> {
    let admin = caller.require(Role::Admin)?;
    if admin.id == id {
        return Err(AccountError::SelfGrant.into());
    }
    let ClearanceBody {
        restricted_clearance,
    } = body(request)?;
    Ok(Json(
        set_user_clearance(&state, &caller, id, restricted_clearance).await?,
    ))
}

/// Grants or withdraws user `id`'s restricted clearance (admins only, as
/// [`accounts::may_set_clearance`] allows), recording who changed it and when.
pub(crate) async fn set_user_clearance(
    state: &AppState,
    caller: &Caller,
    id: u64,
    restricted_clearance: bool,
) -> Result<HrUser, AppError> {
    let admin = caller.require(Role::Admin)?;
    if admin.id == id {
        return Err(AccountError::SelfGrant.into());
    }
    let store = state.store.clone();
    let actor = admin.id;
    blocking(move || -> Result<HrUser, AppError> {
        let target = store.hr_user_origin(id)?.ok_or(AppError::UnknownUser)?;
        // The caller was read with their credential; users are never deleted.
        let by = store.hr_user_origin(actor)?.ok_or(AppError::NotLoggedIn)?;
        // `created_by` never changes once written, so the check holds for the change.
        accounts::may_set_clearance(by, target)?;
        if !store.change_hr_clearance(id, restricted_clearance, Some(actor), now_ms())? {
            return Err(AppError::UnknownUser);
        }
        tracing::info!(
            actor,
            target = id,
            restricted_clearance,
            "clearance changed"
        );
        Ok(store.hr_user(id)?.ok_or(AppError::UnknownUser)?.0)
    })
    .await?
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

/// The changes of user `id`'s clearance, newest first (admins only).
pub(crate) async fn user_clearance_history(
    state: &AppState,
    caller: &Caller,
    id: u64,
) -> Result<Vec<ClearanceChange>, AppError> {
    caller.require(Role::Admin)?;
    let store = state.store.clone();
    blocking(move || -> Result<Vec<ClearanceChange>, AppError> {
        store.hr_user_origin(id)?.ok_or(AppError::UnknownUser)?;
        Ok(store.hr_clearance_history(id)?)
    })
    .await?
}

/// Assigns event `event_id` to recruiter `user_id` (admins only); returns the recruiter's
/// assigned events. Assigning it again changes nothing.
pub(crate) async fn assign_event_to_recruiter(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
    event_id: String,
) -> Result<Vec<String>, AppError> {
    let admin = caller.require(Role::Admin)?.id;
    let store = state.store.clone();
    blocking(move || -> Result<Vec<String>, AppError> {
        let event = kiosk_core::ids::EventId::parse(&event_id).ok_or(AppError::UnknownEvent)?;
        store.event(&event)?.ok_or(AppError::UnknownEvent)?;
        let (user, _) = store.hr_user(user_id)?.ok_or(AppError::UnknownUser)?;
        // Archivists read every event and admins none: only a recruiter's reading
        // depends on the assignment.
        if !user.has(Role::Recruiter) {
            return Err(AppError::NotARecruiter);
        }
        if !store.assign_hr_event(user_id, &event_id)? {
            return Err(AppError::UnknownUser);
        }
        tracing::info!(admin, target = user_id, event = event_id, "event assigned");
        Ok(store.hr_assigned_events(user_id)?)
    })
    .await?
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
    if caller.user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{RelayStore, SqliteStore};

    #[test]
    fn a_login_costs_one_password_check_whether_or_not_the_user_exists() {
        let store = SqliteStore::in_memory().expect("store");
        let (_, password) =
            crate::hr::provision_user(&store, "anna", "Anna", vec![Role::Recruiter], 0)
                .expect("created");
        let found = || store.hr_user_by_username("anna").expect("reads");
        for (found, given) in [
            (found(), "wrong password here"),
            (found(), password.as_str()),
            (None, "wrong password here"),
        ] {
            let before = accounts::password_hashes_on_this_thread();
            let _ = login_outcome(found, given);
            assert_eq!(accounts::password_hashes_on_this_thread() - before, 1);
        }
    }
}

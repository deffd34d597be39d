//! The JSON API over tablets ([`crate::hr::devices`], the services the console calls
//! too): `POST /api/v1/enrollment-codes`, `GET /api/v1/devices`,
//! `POST /api/v1/devices/{id}/revoke`, `POST /api/v1/devices/{id}/unlock-code` and
//! `POST /api/v1/devices/{id}/name` (the name HR gives a tablet,
//! [`crate::hr::device_names`]).
//! Handlers read the request, ask the service and answer through [`crate::hr::answer`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::hr::caller::Caller;
use crate::hr::devices::{
    CodeRequest, create_enrollment_code, device_rows, issue_unlock_code, revoke_device,
};
use crate::hr::params::body;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/enrollment-codes", post(create_code))
        .route("/api/v1/devices", get(list_devices))
        .route("/api/v1/devices/{id}/revoke", post(revoke))
        .route("/api/v1/devices/{id}/unlock-code", post(unlock_code))
        .route("/api/v1/devices/{id}/name", post(rename))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    event_id: String,
    role: String,
    recruiter: Option<String>,
    /// The name the tablets get; optional.
    name: Option<String>,
    uses: u32,
    valid_hours: u32,
}

/// Creates an enrollment code for tablets of one event.
async fn create_code(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    request: Result<Json<CodeBody>, JsonRejection>,
) -> Result<Response, AppError> {
    crate::hr::policy::may_manage_devices(&caller.user)?;
    let CodeBody {
        event_id,
        role,
        recruiter,
        name,
        uses,
        valid_hours,
    } = body(request)?;
    let request = CodeRequest {
        event_id,
        role,
        recruiter,
        name,
        uses,
        valid_hours,
    };
    let created = create_enrollment_code(&state, &caller, &headers, request).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceQuery {
    event: Option<String>,
}

/// Every device, or one event's: role, recruiter, last contact, and how many registrations
/// it journalled against how many the relay received (a silent tablet with unsent records
/// stands out).
async fn list_devices(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<DeviceQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, AppError> {
    crate::hr::policy::may_manage_devices(&caller.user)?;
    let Query(DeviceQuery { event }) =
        query.map_err(|rejection| AppError::BadFilter(rejection.body_text()))?;
    let devices = device_rows(&state, &caller, event).await?;
    Ok(Json(json!({ "devices": devices })))
}

/// Revokes a lost tablet: its later pushes are quarantined and it is told to wipe itself.
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let newly = revoke_device(&state, &caller, &id).await?;
    Ok(Json(
        json!({ "id": id, "revoked": true, "already_revoked": !newly }),
    ))
}

/// Signs an unlock for a staff tablet whose PIN is locked out: it reaches the tablet with
/// its next sync, and the code text serves a tablet that cannot sync.
async fn unlock_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let unlock = issue_unlock_code(&state, &caller, &id).await?;
    Ok((StatusCode::CREATED, Json(unlock)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    /// The new name; null or empty takes the name away.
    name: Option<String>,
}

/// Names a tablet ("Kiosk 1, Göteborg"): shown wherever a person reads of it.
async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: Result<Json<NameBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    crate::hr::policy::may_manage_devices(&caller.user)?;
    let NameBody { name } = body(request)?;
    let name =
        crate::hr::device_names::rename_device(&state, &caller, &id, name.as_deref().unwrap_or(""))
            .await?;
    Ok(Json(json!({ "id": id, "name": name })))
}

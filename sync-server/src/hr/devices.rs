//! Tablets as HR administrators manage them: enrollment codes (as text and as a QR code that
//! carries the relay's key id, so a tablet can check it enrolls with this relay), the
//! devices with their last contact and captured / received counts, revocation, and PIN
//! unlock codes for locked-out staff tablets. Admins only.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kiosk_core::protocol::enrollment::EnrolledRole;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::hr::accounts::Role;
use crate::hr::api::{Caller, body};
use crate::routes::blocking;
use crate::state::{AppState, now_ms};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/enrollment-codes", post(create_code))
        .route("/api/v1/devices", get(list_devices))
        .route("/api/v1/devices/{id}/revoke", post(revoke))
        .route("/api/v1/devices/{id}/unlock-code", post(unlock_code))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    event_id: String,
    role: String,
    recruiter: Option<String>,
    uses: u32,
    valid_hours: u32,
}

/// The relay's address as the caller reached it, for the QR code.
fn relay_url(headers: &HeaderMap, secure: bool) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plausible = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    plausible.then(|| format!("{}://{host}", if secure { "https" } else { "http" }))
}

/// A QR code as SVG: one square per dark module, with the quiet zone.
fn qr_svg(content: &str) -> Option<String> {
    let code = qrcode::QrCode::new(content.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 8;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         role=\"img\" aria-label=\"QR code\"><rect width=\"{size}\" height=\"{size}\" \
         fill=\"#fff\"/><path fill=\"#000\" d=\""
    );
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            svg.push_str(&format!("M{} {}h1v1h-1z", i % width + 4, i / width + 4));
        }
    }
    svg.push_str("\"/></svg>");
    Some(svg)
}

/// Creates an enrollment code for tablets of one event.
async fn create_code(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    request: Result<Json<CodeBody>, JsonRejection>,
) -> Result<Response, AppError> {
    caller.require(Role::Admin)?;
    let CodeBody {
        event_id,
        role,
        recruiter,
        uses,
        valid_hours,
    } = body(request)?;
    let role = match role.as_str() {
        "kiosk" => EnrolledRole::Kiosk,
        "staff" => EnrolledRole::Staff,
        _ => return Err(AppError::BadBody("role: kiosk or staff".into())),
    };
    let recruiter = recruiter
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    match (role, &recruiter) {
        (EnrolledRole::Staff, None) => {
            return Err(AppError::BadBody(
                "recruiter: a staff code names its recruiter".into(),
            ));
        }
        (EnrolledRole::Kiosk, Some(_)) => {
            return Err(AppError::BadBody(
                "recruiter: only a staff code names one".into(),
            ));
        }
        _ => {}
    }
    if recruiter
        .as_ref()
        .is_some_and(|r| r.chars().count() > 100 || r.chars().any(char::is_control))
    {
        return Err(AppError::BadBody("recruiter: 1–100 characters".into()));
    }
    if !(1..=500).contains(&uses) {
        return Err(AppError::BadBody("uses: 1–500".into()));
    }
    if !(1..=24 * 30).contains(&valid_hours) {
        return Err(AppError::BadBody("valid_hours: 1–720".into()));
    }
    let store = state.store.clone();
    let now = now_ms();
    let expires_at = now + i64::from(valid_hours) * 3_600_000;
    let admin = caller.user.id;
    let code = blocking(move || -> Result<_, AppError> {
        let event = kiosk_core::ids::EventId::parse(&event_id).ok_or(AppError::UnknownEvent)?;
        store.event(&event)?.ok_or(AppError::UnknownEvent)?;
        let code = crate::enrollment::create_code(
            store.as_ref(),
            &event_id,
            role,
            recruiter,
            uses,
            expires_at,
            now,
        )?;
        tracing::info!(admin, event = event_id, "enrollment code created");
        Ok(code)
    })
    .await??;
    let key_id = state.keys.sealing.sealing_key().key_id.clone();
    let qr_text = relay_url(&headers, state.secure_cookies).map(|relay| {
        format!(
            "kiosk-enroll:v1?relay={relay}&code={}&key={key_id}",
            code.display()
        )
    });
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "code": code.display(),
            "relay_key_id": key_id,
            "expires_at": expires_at,
            "qr_text": qr_text,
            "qr_svg": qr_text.as_deref().and_then(qr_svg),
        })),
    )
        .into_response())
}

fn device_key(id: &str) -> Result<[u8; 32], AppError> {
    hex::decode(id)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or(AppError::UnknownDevice)
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
    caller.require(Role::Admin)?;
    let Query(DeviceQuery { event }) =
        query.map_err(|rejection| AppError::BadFilter(rejection.body_text()))?;
    let store = state.store.clone();
    blocking(move || -> Result<Json<Value>, AppError> {
        let mut devices = Vec::new();
        for key in store.device_keys(event.as_deref())? {
            let Some(report) = store.device_report(&key)? else {
                continue;
            };
            let record = &report.record;
            devices.push(json!({
                "id": hex::encode(key),
                "event_id": record.event_id,
                "role": match record.role { EnrolledRole::Kiosk => "kiosk", EnrolledRole::Staff => "staff" },
                "recruiter": record.recruiter,
                "enrolled_at": record.certified_at,
                "expires_at": record.expires_at,
                "revoked_at": record.revoked_at,
                "last_contact": report.last_contact,
                "journalled": report.journal.count,
                "received": report.received,
                "quarantined": report.quarantined,
            }));
        }
        Ok(Json(json!({ "devices": devices })))
    })
    .await?
}

/// Revokes a lost tablet: its later pushes are quarantined and it is told to wipe itself.
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.require(Role::Admin)?;
    let key = device_key(&id)?;
    let store = state.store.clone();
    let admin = caller.user.id;
    blocking(move || -> Result<Json<Value>, AppError> {
        store.device(&key)?.ok_or(AppError::UnknownDevice)?;
        let revoked = store.revoke_device(&key, now_ms())?;
        tracing::info!(admin, revoked, "device revocation");
        Ok(Json(
            json!({ "id": id, "revoked": true, "already_revoked": !revoked }),
        ))
    })
    .await?
}

/// Signs an unlock for a staff tablet whose PIN is locked out: it reaches the tablet with
/// its next sync, and the code text serves a tablet that cannot sync.
async fn unlock_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(Role::Admin)?;
    let key = device_key(&id)?;
    let store = state.store.clone();
    let keys = state.keys.clone();
    blocking(move || -> Result<Response, AppError> {
        let now = now_ms();
        let counter = store
            .issue_staff_unlock(&key, now)?
            .ok_or(AppError::NotAStaffTablet)?;
        let command = kiosk_core::protocol::sign_command(
            kiosk_core::protocol::Command::UnlockStaffPin { counter },
            key,
            now,
            &keys.signing,
        );
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "counter": counter,
                "unlock_code": kiosk_core::staff_unlock::unlock_code_text(&command),
            })),
        )
            .into_response())
    })
    .await?
}

//! Tablets as HR administrators manage them: enrollment codes (as text and as a QR code that
//! carries the relay's key id, so a tablet can check it enrolls with this relay), the
//! devices with their last contact and captured / received counts, revocation, and PIN
//! unlock codes for locked-out staff tablets. Admins only. The JSON API
//! ([`crate::hr::devices_api`]) and the console call the same services here, which ask the
//! policy, check the request and return [`HrError`]s.

use axum::http::{HeaderMap, header};
use kiosk_core::protocol::enrollment::EnrolledRole;
use serde::Serialize;

use crate::blocking::blocking;
use crate::enrollment::CodeError;
use crate::hr::caller::Caller;
use crate::hr::error::{Conflict, HrError, HrResult, Missing, StorageContext};
use crate::state::{AppState, now_ms};

/// An enrollment code as asked for, before [`create_enrollment_code`] checks it.
#[derive(Debug, Clone)]
pub(crate) struct CodeRequest {
    pub event_id: String,
    /// `kiosk` or `staff`.
    pub role: String,
    /// The recruiter a staff tablet is bound to; none for a kiosk.
    pub recruiter: Option<String>,
    /// The name the tablets get ("Kiosk 1, Göteborg"); none or empty for no name.
    pub name: Option<String>,
    pub uses: u32,
    pub valid_hours: u32,
}

/// A new enrollment code, to be shown this once (only its hashes are stored).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CreatedCode {
    /// In groups of four, as typed on a tablet.
    pub code: String,
    pub relay_key_id: String,
    pub expires_at: i64,
    /// What the QR code says: the relay's address, the code and the relay's key id; none
    /// when the request named no usable host.
    pub qr_text: Option<String>,
    pub qr_svg: Option<String>,
}

/// The largest number of tablets one code enrolls, and the longest it is valid.
pub(crate) const MAX_USES: u32 = 500;
pub(crate) const MAX_VALID_HOURS: u32 = 24 * 30;

/// The relay's address as the caller reached it, for the QR code.
fn relay_url(headers: &HeaderMap, secure: bool) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plausible = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    plausible.then(|| format!("{}://{host}", if secure { "https" } else { "http" }))
}

/// A QR code as SVG, named `label` for screen readers: one square per dark module, with
/// the quiet zone.
pub(crate) fn qr_svg(content: &str, label: &str) -> Option<String> {
    let code = qrcode::QrCode::new(content.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 8;
    let label = label
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         role=\"img\" aria-label=\"{label}\"><rect width=\"{size}\" height=\"{size}\" \
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

/// A refused code as HR's error: the request's own refusals name their field first.
fn code_refusal(error: CodeError) -> HrError {
    match error {
        CodeError::Storage(source) => HrError::Storage {
            context: "creating an enrollment code",
            source,
        },
        CodeError::Recruiter(refusal) => refusal.into(),
        missing_or_kiosk @ (CodeError::RecruiterMissing | CodeError::RecruiterForKiosk) => {
            HrError::BadBody(missing_or_kiosk.to_string())
        }
    }
}

/// Checks `request` and creates the code (admins only). A refusal of the request names
/// its field first (`BadBody("uses: …")`), so a form can put the error by the field.
pub(crate) async fn create_enrollment_code(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    request: CodeRequest,
) -> HrResult<CreatedCode> {
    crate::hr::policy::may_manage_devices(&caller.user)?;
    let CodeRequest {
        event_id,
        role,
        recruiter,
        name,
        uses,
        valid_hours,
    } = request;
    let role = match role.as_str() {
        "kiosk" => EnrolledRole::Kiosk,
        "staff" => EnrolledRole::Staff,
        _ => return Err(HrError::BadBody("role: kiosk or staff".into())),
    };
    // The recruiter is checked by `enrollment::create_code`, on every path that makes a
    // code: a staff code names an enabled recruiter assigned to the event, by username.
    let recruiter = recruiter
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let name = match name {
        Some(raw) => crate::hr::device_names::device_name(&raw)?,
        None => None,
    };
    if !(1..=MAX_USES).contains(&uses) {
        return Err(HrError::BadBody(format!("uses: 1–{MAX_USES}")));
    }
    if !(1..=MAX_VALID_HOURS).contains(&valid_hours) {
        return Err(HrError::BadBody(format!(
            "valid_hours: 1–{MAX_VALID_HOURS}"
        )));
    }
    let store = state.store.clone();
    let now = now_ms();
    let expires_at = now + i64::from(valid_hours) * 3_600_000;
    let admin = caller.user.id;
    let code = blocking(move || -> HrResult<_> {
        let event = kiosk_core::ids::EventId::parse(&event_id).ok_or(Missing::Event)?;
        store
            .event(&event)
            .context("reading the event of an enrollment code")?
            .ok_or(Missing::Event)?;
        let code = crate::enrollment::create_named_code(
            store.as_ref(),
            &event_id,
            role,
            recruiter,
            name,
            uses,
            expires_at,
            now,
        )
        .map_err(code_refusal)?;
        tracing::info!(admin, event = event_id, "enrollment code created");
        Ok(code)
    })
    .await??;
    let key_id = state.keys.sealing.sealing_key().key_id.clone();
    let qr_text = relay_url(headers, state.secure_cookies)
        .map(|relay| crate::enrollment::qr_text(&relay, &code, &key_id));
    Ok(CreatedCode {
        code: code.display(),
        relay_key_id: key_id,
        expires_at,
        qr_svg: qr_text.as_deref().and_then(|text| qr_svg(text, "QR code")),
        qr_text,
    })
}

fn device_key(id: &str) -> HrResult<[u8; 32]> {
    Ok(hex::decode(id)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or(Missing::Device)?)
}

/// One tablet as HR administrators see it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeviceRow {
    /// The device key in hex.
    pub id: String,
    /// The name HR gave the tablet, if any.
    pub name: Option<String>,
    /// The key's first 8 hex characters, shown beside the name.
    pub fingerprint: String,
    pub event_id: String,
    /// `kiosk` or `staff`.
    pub role: &'static str,
    pub recruiter: Option<String>,
    pub enrolled_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_contact: Option<i64>,
    /// Registrations the tablet's journal holds as captured…
    pub journalled: u64,
    /// …and how many the relay received (merged or quarantined).
    pub received: u64,
    pub quarantined: u64,
}

/// Every enrolled device, or `event`'s, in enrollment order (admins only).
pub(crate) async fn device_rows(
    state: &AppState,
    caller: &Caller,
    event: Option<String>,
) -> HrResult<Vec<DeviceRow>> {
    crate::hr::policy::may_manage_devices(&caller.user)?;
    let store = state.store.clone();
    blocking(move || -> HrResult<Vec<DeviceRow>> {
        let mut devices = Vec::new();
        for key in store
            .device_keys(event.as_deref())
            .context("listing devices")?
        {
            let Some(report) = store
                .device_report(&key)
                .context("reading a device's report")?
            else {
                continue;
            };
            let record = report.record;
            devices.push(DeviceRow {
                id: hex::encode(key),
                fingerprint: crate::hr::device_names::fingerprint(&key),
                name: record.name,
                event_id: record.event_id,
                role: match record.role {
                    EnrolledRole::Kiosk => "kiosk",
                    EnrolledRole::Staff => "staff",
                },
                recruiter: record.recruiter,
                enrolled_at: record.certified_at,
                expires_at: record.expires_at,
                revoked_at: record.revoked_at,
                last_contact: report.last_contact,
                journalled: report.journal.count,
                received: report.received,
                quarantined: report.quarantined,
            });
        }
        Ok(devices)
    })
    .await?
}

/// Revokes device `id` (hex key; admins only); `false` if it was revoked already, which
/// changes nothing.
pub(crate) async fn revoke_device(state: &AppState, caller: &Caller, id: &str) -> HrResult<bool> {
    crate::hr::policy::may_manage_devices(&caller.user)?;
    let key = device_key(id)?;
    let store = state.store.clone();
    let admin = caller.user.id;
    blocking(move || -> HrResult<bool> {
        store
            .device(&key)
            .context("reading a device")?
            .ok_or(Missing::Device)?;
        let revoked = store
            .revoke_device(&key, now_ms())
            .context("revoking a device")?;
        tracing::info!(admin, revoked, "device revocation");
        Ok(revoked)
    })
    .await?
}

/// A staff tablet's PIN unlock, as the relay signed it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UnlockCode {
    pub counter: u64,
    /// The signed unlock as text to type on a tablet that cannot sync.
    pub unlock_code: String,
}

/// Issues an unlock for staff tablet `id` (hex key; admins only).
pub(crate) async fn issue_unlock_code(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> HrResult<UnlockCode> {
    crate::hr::policy::may_manage_devices(&caller.user)?;
    let key = device_key(id)?;
    let store = state.store.clone();
    let keys = state.keys.clone();
    let admin = caller.user.id;
    blocking(move || -> HrResult<UnlockCode> {
        let now = now_ms();
        let counter = store
            .issue_staff_unlock(&key, now)
            .context("issuing a staff PIN unlock")?
            .ok_or(Conflict::NotAStaffTablet)?;
        // Signed with the key the tablet pins (the previous one until it adopts new keys).
        let pinned = store
            .device(&key)
            .context("reading the tablet's pinned relay key")?
            .and_then(|d| d.relay_key)
            .unwrap_or(keys.signing.verifying_key().to_bytes());
        let command = kiosk_core::protocol::sign_command(
            kiosk_core::protocol::Command::UnlockStaffPin { counter },
            key,
            now,
            keys.signing_for(&pinned),
        );
        tracing::info!(admin, counter, "staff PIN unlock issued");
        Ok(UnlockCode {
            counter,
            unlock_code: kiosk_core::staff_unlock::unlock_code_text(&command),
        })
    })
    .await?
}

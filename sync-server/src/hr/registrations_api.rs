//! The JSON API over registrations as HR reads them: the list and its filters, the
//! restricted inbox, one record as JSON, and assigning events to recruiters. Handlers read
//! the request, ask the services ([`crate::hr::registration_lists`],
//! `crate::hr::record_reading`, [`crate::hr::account_service`]) and answer through
//! [`crate::hr::answer`]; the list's filters are read here ([`parse_filter`], which the
//! export and the console's list read them with too). Every read and every refused attempt
//! at a record is written to the access log; a refused attempt shows nothing of the record.
//!
//! Recruiters read the registrations of events assigned to them; archivists read any.
//! Records of visitors with protected personal data need the *restricted* clearance to be
//! read by id; they appear in no general list, search or export, whoever asks, and are
//! listed only in the restricted inbox, uncontacted first, for the users who hold it.
//! The same rules, through assignment only, decide who edits a record
//! ([`crate::hr::record_edits`]).

use axum::extract::rejection::JsonRejection;
use std::collections::HashMap;

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
use crate::hr::policy::require_reader;
use crate::hr::record_access::require_for_record;
use crate::hr::record_reading::read_record;
use crate::hr::registration_lists::{list_readable, restricted_inbox_of};
use crate::state::AppState;
use crate::storage::{ListOrder, RegistrationFilter};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users/{id}/events", post(assign_event))
        .route(
            "/api/v1/users/{id}/events/{event_id}",
            axum::routing::delete(unassign_event),
        )
        .route("/api/v1/registrations/restricted", get(restricted_inbox))
        .route("/api/v1/registrations/{id}", get(read_registration))
        .route(
            "/api/v1/registrations/{id}/do-not-contact",
            post(asked_not_to_be_contacted),
        )
        .route("/api/v1/registrations", get(list_registrations))
}

/// The largest page of a list.
const MAX_PAGE: u32 = 500;

/// A list's filters from the query string; an unknown parameter or a bad value is named.
pub(crate) fn parse_filter(
    query: &HashMap<String, String>,
) -> Result<RegistrationFilter, AppError> {
    let code = |name: &str| -> Result<Option<String>, AppError> {
        match query.get(name) {
            None => Ok(None),
            // Letters of any script ("Malmö" is asked for, and matches no code, rather
            // than refused as not letters).
            Some(v)
                if !v.is_empty()
                    && v.chars().count() <= 64
                    && v.chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_') =>
            {
                Ok(Some(v.clone()))
            }
            Some(_) => Err(bad_filter(name, "letters, digits, '-' or '_', at most 64")),
        }
    };
    const KNOWN: [&str; 11] = [
        "event",
        "interest",
        "location",
        "status",
        "from",
        "before",
        "talent_pool",
        "q",
        "limit",
        "after",
        "order",
    ];
    params::only_known(query, &KNOWN, "not a filter of this list")?;
    let status = code("status")?;
    if let Some(status) = &status
        && kiosk_core::annotations::RecordStatus::parse(status).is_none()
    {
        return Err(bad_filter("status", "not a status"));
    }
    let talent_pool = match query.get("talent_pool").map(String::as_str) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(bad_filter("talent_pool", "true or false")),
    };
    let search = match query.get("q") {
        Some(q) if q.trim().chars().count() >= 2 && q.chars().count() <= 100 => {
            Some(q.trim().to_owned())
        }
        Some(_) => return Err(bad_filter("q", "2–100 characters")),
        None => None,
    };
    let limit = params::limit(query, 50, MAX_PAGE)?;
    let after = match query.get("after") {
        None => None,
        Some(v) => {
            let (at, id) = v
                .split_once('~')
                .ok_or_else(|| bad_filter("after", "a cursor from a page"))?;
            Some((
                at.parse()
                    .map_err(|_| bad_filter("after", "a cursor from a page"))?,
                id.to_owned(),
            ))
        }
    };
    let order = match query.get("order").map(String::as_str) {
        None | Some("newest") => ListOrder::NewestFirst,
        Some("oldest") => ListOrder::OldestFirst,
        Some(_) => return Err(bad_filter("order", "newest or oldest")),
    };
    Ok(RegistrationFilter {
        order,
        offset: 0,
        events: code("event")?.map(|e| vec![e]),
        include_restricted: false,
        interest: code("interest")?,
        location: code("location")?,
        status,
        captured_from: params::millis(query, "from")?,
        captured_before: params::millis(query, "before")?,
        talent_pool,
        search,
        after,
        limit,
    })
}

/// Lists registrations the caller may read, newest first: a recruiter's assigned events
/// only, restricted records only with the clearance. Each listed row is access-logged.
async fn list_registrations(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    // Asked before the query is read, so a caller who may not is told so first.
    require_reader(&caller.user)?;
    let filter = parse_filter(&query)?;
    let store = state.store.clone();
    let user = caller.user;
    let (rows, next) = blocking(move || list_readable(store.as_ref(), &user, filter)).await??;
    Ok(Json(json!({ "registrations": rows, "next": next })))
}

/// The most rows the restricted inbox shows at once, and how many without `limit`.
const MAX_INBOX: u32 = 500;
const DEFAULT_INBOX: u32 = 100;

/// The restricted inbox: registrations of visitors with protected personal data, which no
/// list shows, for users with the clearance (a recruiter's assigned events, an archivist's
/// every event); uncontacted (status new) first, oldest first. Each row is access-logged.
async fn restricted_inbox(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    params::only_known(&query, &["limit"], "not a parameter of this list")?;
    let limit = params::limit(&query, DEFAULT_INBOX, MAX_INBOX)?;
    let store = state.store.clone();
    let user = caller.user;
    let inbox = blocking(move || restricted_inbox_of(store.as_ref(), &user, limit)).await??;
    Ok(Json(
        json!({ "registrations": inbox.rows, "requests": inbox.requests }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    event_id: String,
}

/// Admins assign an event to a recruiter ([`crate::hr::account_service::assign_event_to_recruiter`]).
async fn assign_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    request: Result<Json<AssignBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    crate::hr::policy::may_manage_users(&caller.user)?;
    let AssignBody { event_id } = body(request)?;
    let events =
        crate::hr::account_service::assign_event_to_recruiter(&state, &caller, id, event_id)
            .await?;
    Ok(Json(json!({ "user_id": id, "events": events })))
}

async fn unassign_event(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, event_id)): Path<(u64, String)>,
) -> Result<Json<Value>, AppError> {
    let events =
        crate::hr::account_service::unassign_event_from_recruiter(&state, &caller, id, event_id)
            .await?;
    Ok(Json(json!({ "user_id": id, "events": events })))
}

async fn read_registration(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    require_for_record(&state, &caller.user, &doc_id, require_reader).await?;
    let store = state.store.clone();
    let user = caller.user;
    let index_keys = state.index_keys.clone();
    let (view, tablet_name, flags) = blocking(move || {
        let view = read_record(store.as_ref(), &user, &doc_id)?;
        let flags = crate::hr::duplicates::flags(
            store.as_ref(),
            &index_keys,
            &user,
            &doc_id,
            &view.registration,
            crate::state::now_ms(),
            crate::hr::duplicates::SeenBefore::All,
        )?;
        let name = view
            .registration
            .capturing_device
            .public_key()
            .and_then(|key| {
                crate::hr::device_names::DeviceLabels::new(store.as_ref())
                    .name(&key.to_bytes())
                    .map(str::to_owned)
            });
        Ok::<_, crate::hr::error::HrError>((view, name, flags))
    })
    .await??;
    let mut shown = registration_json(&view.registration, &view.annotations);
    // Which tablet captured it, by the name HR gave it, and whether its capture signature
    // verifies over what the store holds now.
    shown["capture"] = json!({
        "device": view.registration.capturing_device.as_str(),
        "tablet_name": tablet_name,
        "signature": view.capture.as_str(),
    });
    // Earlier registrations of the same email or phone the caller may read (never
    // restricted ones), and do-not-contact entries with their legal basis.
    shown["seen_before"] = json!(flags.seen_before);
    shown["do_not_contact"] = json!(
        flags
            .do_not_contact
            .iter()
            .map(|entry| json!({
                "field": entry.field,
                "basis": entry.basis,
                "added_at": entry.added_at,
                "keep_until": entry.keep_until,
            }))
            .collect::<Vec<_>>()
    );
    // Where the record stands: its due date, a hold, and a talent-pool withdrawal, which
    // takes the visitor out of the pool whatever the document's opt-in says.
    if let Some(retention) = &view.retention {
        shown["talent_pool"] = json!(view.in_talent_pool());
        shown["retention"] = crate::hr::retention_api::retention_json(retention);
    }
    Ok(Json(shown))
}

/// Records that the visitor behind a record asked not to be contacted: later registrations
/// with their email or phone are flagged "do not contact".
async fn asked_not_to_be_contacted(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    require_for_record(&state, &caller.user, &doc_id, require_reader).await?;
    let store = state.store.clone();
    let keys = state.index_keys.clone();
    let user = caller.user;
    blocking(move || {
        crate::hr::duplicates::record_objection_logged(store.as_ref(), &keys, &user, &doc_id)
    })
    .await??;
    Ok(Json(json!({ "do_not_contact": true })))
}

/// The record as the API shows it.
fn registration_json(
    registration: &kiosk_core::registration::Registration,
    annotations: &kiosk_core::annotations::Annotations,
) -> Value {
    let person = &registration.person;
    json!({
        "id": registration.id.as_str(),
        "event_id": registration.event_id.as_str(),
        "form_version": registration.form_version.as_str(),
        "captured_at": registration.captured_at.millis(),
        "language": registration.language.tag(),
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        "phone": person.phone,
        "interests": registration.interests,
        "locations": registration.locations,
        "education_level": registration.education_level,
        "free_text": registration.free_text,
        "talent_pool": registration.consents.talent_pool.is_some(),
        "restricted": registration.restricted,
        "status": annotations.status.as_str(),
        "ratings": annotations.ratings,
        "notes": annotations.notes.iter().map(|note| json!({
            "id": note.id,
            "author": note.author,
            "written_at": note.written_at.millis(),
            "text": note.text,
        })).collect::<Vec<_>>(),
    })
}

//! Quarantine review for archivists: the captures kept apart at ingest (authentic, but from
//! a revoked or expired tablet, or failing a later check), listed without personal data,
//! and one final decision on each: *accept* merges the capture into the registrations as
//! if it had passed ingest, *keep apart* leaves it in quarantine for good. Both record the
//! reason, the reviewer and the time, and are access-logged. The JSON routes and the
//! console's quarantine page both call [`review_capture`].
//!
//! A capture is accepted only if it is one: a seal this relay opens, whose capture
//! signature verifies against the tablet that sent it, holding one change by that tablet
//! that opens a registration of the event the tablet was enrolled for, valid against that
//! event's form (the capture checks of `crate::ingest`, less the tablet's standing, which
//! is what the reviewer judges). Otherwise the answer is 409 `cannot_accept` naming why,
//! and the capture can still be kept apart.

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use kiosk_core::capture::SealError;
use kiosk_core::protocol::enrollment::EnrolledRole;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::blocking::blocking;
use crate::error::{AppError, Refusal, RefusalKind};
use crate::hr::accounts::HrUser;
use crate::hr::caller::Caller;
use crate::hr::params::body;
use crate::hr::params::{self, bad_filter};
use crate::ingest::{check_capture_change, stored_capture, valid_capture};
use crate::keys::RelayKeys;
use crate::state::{AppState, now_ms};
use crate::storage::{
    AcceptedCapture, Accessor, QuarantinedCapture, RelayStore, ReviewAction, ReviewOutcome,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/quarantine", get(list))
        .route("/api/v1/quarantine/{id}/review", post(review))
}

/// Captures per page of the list.
pub(crate) const PAGE: u32 = 100;
/// The longest reason a reviewer gives, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Why a quarantined capture cannot be accepted. Names the rule, never the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AcceptRefusal {
    #[error("the kept bytes are not a sealed capture this relay can open")]
    NotASealedCapture,
    #[error("the capture signature does not verify")]
    BadSignature,
    #[error("the capture was made by another device than the tablet that sent it")]
    OtherDevice,
    #[error("the tablet that sent it is not a kiosk; only kiosks capture registrations")]
    NotAKiosk,
    #[error("the document is not a single change by its tablet that opens a registration")]
    NotACapture,
    #[error("the registration is for another event than its tablet was enrolled for")]
    OtherEvent,
    #[error("the registration's event is not one this relay holds")]
    UnknownEvent,
    #[error("the document is not a valid registration of its event's form")]
    InvalidRegistration,
    #[error("a registration with this id is stored already")]
    AlreadyStored,
    #[error("the registration was removed, and stays removed")]
    Removed,
}

impl Refusal for AcceptRefusal {
    fn answer(&self) -> (RefusalKind, &'static str) {
        (RefusalKind::Conflict, "cannot_accept")
    }

    fn message(&self) -> String {
        format!("the capture cannot be accepted: {self}")
    }
}

/// A reviewer's decision as the API and the console's form name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Accept,
    KeepApart,
}

impl Decision {
    pub(crate) fn parse(text: &str) -> Result<Decision, AppError> {
        match text {
            "accept" => Ok(Decision::Accept),
            "keep_apart" => Ok(Decision::KeepApart),
            _ => Err(AppError::InvalidField {
                field: "decision",
                rule: "accept or keep_apart",
            }),
        }
    }
}

/// `reason` trimmed, if it is 1–500 characters with no control characters but line breaks
/// and tabs; a 422 naming `reason` if not.
pub(crate) fn checked_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    let chars = reason.chars().count();
    let clean = !reason
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    if (1..=MAX_REASON_CHARS).contains(&chars) && clean {
        Ok(reason.to_owned())
    } else {
        Err(AppError::InvalidField {
            field: "reason",
            rule: "a reason is 1–500 characters",
        })
    }
}

/// What accepting capture `capture` would store, if the kept bytes are an acceptable
/// capture (see the module docs).
fn acceptable(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    capture: &QuarantinedCapture,
    kept: &[u8],
) -> Result<AcceptedCapture, AppError> {
    let refuse = |why: AcceptRefusal| Err(AppError::from(why));
    let opened = match keys.sealing.open(kept) {
        Ok(opened) => opened,
        Err(SealError::BadCaptureSignature | SealError::DocumentMismatch) => {
            return refuse(AcceptRefusal::BadSignature);
        }
        Err(_) => return refuse(AcceptRefusal::NotASealedCapture),
    };
    let payload = &opened.payload;
    let device = payload.device_id.public_key();
    let Some(device) = device.filter(|key| key.to_bytes() == capture.device_key) else {
        return refuse(AcceptRefusal::OtherDevice);
    };
    // What a kiosk could not have sent stays apart, whoever reviews it: a staff tablet
    // never creates registrations.
    let sender = store.device(&capture.device_key)?;
    if sender.is_none_or(|record| record.role != EnrolledRole::Kiosk) {
        return refuse(AcceptRefusal::NotAKiosk);
    }
    let mut document = opened.document;
    let registration = opened.registration;
    if registration.capturing_device != payload.device_id {
        return refuse(AcceptRefusal::OtherDevice);
    }
    if payload.doc_id.as_str() != capture.doc_id
        || check_capture_change(&mut document, &device).is_err()
    {
        return refuse(AcceptRefusal::NotACapture);
    }
    if capture.event_id.as_deref() != Some(registration.event_id.as_str()) {
        return refuse(AcceptRefusal::OtherEvent);
    }
    let Some(event) = store.event(&registration.event_id)? else {
        return refuse(AcceptRefusal::UnknownEvent);
    };
    if !valid_capture(&document, &registration, &event) {
        return refuse(AcceptRefusal::InvalidRegistration);
    }
    Ok(stored_capture(payload, &registration))
}

/// Records `user`'s final decision on quarantined capture `id` with `reason` (as typed)
/// and returns the capture as reviewed. Blocking. The caller has checked that `user` is an
/// archivist and `decision`'s input.
pub(crate) fn review_capture(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    user: &HrUser,
    id: u64,
    decision: Decision,
    reason: &str,
) -> Result<QuarantinedCapture, AppError> {
    let reason = checked_reason(reason)?;
    let (capture, kept) = store
        .quarantined_capture(id)?
        .ok_or(AppError::UnknownQuarantine)?;
    if capture.review.is_some() {
        return Err(AppError::AlreadyReviewed);
    }
    let action = match decision {
        Decision::Accept => ReviewAction::Accept(acceptable(store, keys, &capture, &kept)?),
        Decision::KeepApart => ReviewAction::KeepApart,
    };
    let by = Accessor::Operator(user.accessor_name());
    match store.review_quarantined(id, &action, &reason, &user.username, &by, now_ms())? {
        ReviewOutcome::Recorded => {}
        ReviewOutcome::Unknown => return Err(AppError::UnknownQuarantine),
        ReviewOutcome::AlreadyReviewed => return Err(AppError::AlreadyReviewed),
        ReviewOutcome::AlreadyStored => {
            return Err(AcceptRefusal::AlreadyStored.into());
        }
        ReviewOutcome::Removed => return Err(AcceptRefusal::Removed.into()),
    }
    Ok(store
        .quarantined_capture(id)?
        .ok_or(AppError::UnknownQuarantine)?
        .0)
}

/// The page of the list before capture `before` (from the newest without it), and the
/// cursor of the next page if there may be one. Blocking.
pub(crate) fn list_page(
    store: &dyn RelayStore,
    before: Option<u64>,
) -> Result<(Vec<QuarantinedCapture>, Option<u64>), AppError> {
    let captures = store.quarantined_captures(before, PAGE)?;
    let next = (captures.len() == PAGE as usize)
        .then(|| captures.last().map(|c| c.id))
        .flatten();
    Ok((captures, next))
}

/// The `before` cursor of a list query; unknown parameters are named.
pub(crate) fn parse_before(query: &HashMap<String, String>) -> Result<Option<u64>, AppError> {
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
    crate::hr::policy::may_review_quarantine(&caller.user)?;
    let before = parse_before(&query)?;
    let store = state.store.clone();
    let (captures, next) = blocking(move || list_page(store.as_ref(), before)).await??;
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

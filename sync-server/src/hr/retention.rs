//! Retention (*gallring*), legal holds and talent-pool withdrawals, for the JSON API and the
//! console alike.
//!
//! Archivists see each event's rule and what is due, start a run (carried on in the
//! background by [`crate::retention::RetentionJob`]), and set or lift a legal hold on a
//! record, always with a reason; a held record is never removed. Recording that a visitor
//! withdrew their talent-pool consent is for archivists and the recruiters assigned to the
//! record's event (restricted records with the clearance, as reading): it takes effect at
//! once, and the answer carries what to tell the visitor, with the earliest date the record
//! itself may be removed under its rule.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kiosk_core::ids::EventId;
use kiosk_core::language::Localized;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::accounts::HrUser;
use crate::hr::caller::Caller;
use crate::hr::params::body;
use crate::hr::policy::{may_read, require_holder, require_withdrawer};
use crate::hr::record_access::{log_refusal, missing_registration, reachable_record};
use crate::retention::Started;
use crate::state::{AppState, now_ms};
use crate::storage::{
    Accessor, HoldChange, LegalHold, RecordRetention, RelayStore, RetentionDue, RetentionRun,
    WithdrawalOutcome,
};

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

/// Longest reason for a hold, in characters.
const MAX_REASON_CHARS: usize = 500;

/// `reason` trimmed, if it is 1–500 characters; a 422 naming `reason` if not.
pub(crate) fn checked_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::InvalidField {
            field: "reason",
            rule: "a reason has 1–500 characters besides surrounding spaces",
        });
    }
    Ok(reason.to_owned())
}

/// Every event's rule with what is due now, the holds, and the newest runs.
pub(crate) struct Overview {
    pub as_of: i64,
    pub events: Vec<RetentionDue>,
    /// Each event's name, in `events`' order (`None` for an event the relay lacks).
    pub event_names: Vec<Option<Localized>>,
    /// The holds `user` may see: those on restricted records only with the clearance.
    pub holds: Vec<LegalHold>,
    pub runs: Vec<RetentionRun>,
}

/// How many runs the overview shows.
const RUNS_SHOWN: u32 = 20;

pub(crate) fn overview_of(store: &dyn RelayStore, user: &HrUser) -> Result<Overview, AppError> {
    let as_of = now_ms();
    let events = store.retention_due(as_of)?;
    let event_names = events
        .iter()
        .map(|due| {
            let id = EventId::parse(&due.rule.event_id)?;
            store.event(&id).ok().flatten().map(|event| event.name)
        })
        .collect();
    let mut holds = store.legal_holds()?;
    holds.retain(|hold| crate::hr::policy::require_clearance(user, hold.restricted).is_ok());
    Ok(Overview {
        as_of,
        events,
        event_names,
        holds,
        runs: store.retention_runs(RUNS_SHOWN)?,
    })
}

async fn overview(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, AppError> {
    let user = require_holder(&caller.user)?.clone();
    let store = state.store.clone();
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

/// Starts a run as `user`; an unfinished run is carried on instead (409 with its number).
pub(crate) async fn start_run_as(
    state: &AppState,
    user: &HrUser,
) -> Result<RetentionRun, AppError> {
    match state.retention.start(user.accessor_name()).await {
        Ok(Started::Started(run)) => Ok(run),
        Ok(Started::AlreadyRunning(run)) => Err(AppError::RetentionRunning(run.id)),
        Err(error) => {
            tracing::error!(%error, "a retention run could not start");
            Err(AppError::Internal)
        }
    }
}

async fn start_run(State(state): State<AppState>, caller: Caller) -> Result<Response, AppError> {
    let user = require_holder(&caller.user)?;
    let run = start_run_as(&state, user).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "run": run_json(&run) }))).into_response())
}

async fn run(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    require_holder(&caller.user)?;
    let id: i64 = id.parse().map_err(|_| AppError::UnknownRetentionRun)?;
    let store = state.store.clone();
    let run = blocking(move || store.retention_run(id))
        .await??
        .ok_or(AppError::UnknownRetentionRun)?;
    Ok(Json(json!({ "run": run_json(&run) })))
}

/// Refuses `user` a restricted record without the clearance (the attempt is logged), as a
/// read would: its hold and dates are about a protected person too.
fn require_clearance_for(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
) -> Result<(), AppError> {
    match store.stored_registration(doc_id)? {
        Some(stored) if crate::hr::policy::require_clearance(user, stored.restricted).is_err() => {
            log_refusal(store, user, doc_id)?;
            // As a record the relay never held: see `uncleared_as_unknown`.
            Err(AppError::UnknownRegistration)
        }
        _ => Ok(()),
    }
}

/// Where record `doc_id` stands; for archivists (dates and rules only: not logged).
pub(crate) fn retention_of(
    store: &dyn RelayStore,
    doc_id: &str,
) -> Result<RecordRetention, AppError> {
    match store.record_retention(doc_id)? {
        Some(retention) => Ok(retention),
        None => Err(missing_registration(store, doc_id)?.into()),
    }
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
    let user = require_holder(&caller.user)?.clone();
    let store = state.store.clone();
    let retention = blocking(move || {
        require_clearance_for(store.as_ref(), &user, &doc_id)?;
        retention_of(store.as_ref(), &doc_id)
    })
    .await??;
    Ok(Json(retention_json(&retention)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

/// Sets (`hold`) or lifts a legal hold on `doc_id` as archivist `user`, with `reason`.
/// Blocking.
pub(crate) fn change_hold(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
    hold: bool,
    reason: &str,
) -> Result<RecordRetention, AppError> {
    require_holder(user)?;
    let reason = checked_reason(reason)?;
    require_clearance_for(store, user, doc_id)?;
    match store.change_legal_hold(doc_id, hold, &reason, &user.accessor_name(), now_ms())? {
        HoldChange::Done => retention_of(store, doc_id),
        HoldChange::AlreadySo if hold => Err(AppError::AlreadyOnHold),
        HoldChange::AlreadySo => Err(AppError::NotOnHold),
        HoldChange::NoRecord => Err(missing_registration(store, doc_id)?.into()),
    }
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

/// A recorded withdrawal and what to tell the visitor.
#[derive(Debug, Clone)]
pub(crate) struct Withdrawn {
    pub withdrawn_at: i64,
    /// Recorded earlier, not now.
    pub already: bool,
    pub retention: RecordRetention,
}

/// What to tell a visitor who withdrew on `withdrawn_at`, in Swedish and English: the
/// consent is withdrawn, and the registration, a public record, is removed no earlier than
/// its due date (`retention`'s).
pub(crate) fn told_to_visitor(retention: &RecordRetention, withdrawn_at: i64) -> (String, String) {
    let withdrawn = crate::hr::dates::local_date(withdrawn_at);
    let due = crate::hr::dates::local_date(retention.due_at);
    let months = retention.rule.months;
    let mut sv = format!(
        "Ditt samtycke till att finnas i vår talangpool är återkallat från och med \
         {withdrawn}. Vi kontaktar dig inte om andra tjänster. Din registrering är en \
         allmän handling och gallras tidigast {due} ({months} månader efter att vi tog \
         emot den)."
    );
    let mut en = format!(
        "Your consent to our talent pool is withdrawn as of {withdrawn}. We will not \
         contact you about other roles. Your registration is a public record and is \
         removed no earlier than {due} ({months} months after we received it)."
    );
    if retention.legal_hold.is_some() {
        sv.push_str(" Just nu får den inte gallras, eftersom den måste bevaras för ett ärende.");
        en.push_str(" For now it must not be removed, as a case requires it to be kept.");
    }
    (sv, en)
}

/// Records `user`'s report that the visitor behind `doc_id` withdrew their talent-pool
/// consent, if `user` may read the record (the refused attempt is access-logged). Blocking.
pub(crate) fn withdraw_logged(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
) -> Result<Withdrawn, AppError> {
    require_withdrawer(user)?;
    reachable_record(store, user, doc_id, may_read)?;
    let by = Accessor::Operator(user.accessor_name());
    match store.withdraw_talent_pool(doc_id, &by, &user.accessor_name(), now_ms())? {
        WithdrawalOutcome::Withdrawn {
            withdrawn_at,
            already,
        } => Ok(Withdrawn {
            withdrawn_at,
            already,
            retention: retention_of(store, doc_id)?,
        }),
        WithdrawalOutcome::NeverOptedIn => Err(AppError::NoTalentPoolConsent),
        WithdrawalOutcome::NoRecord => Err(missing_registration(store, doc_id)?.into()),
    }
}

async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let store = state.store.clone();
    let user = caller.user;
    let withdrawn = blocking(move || withdraw_logged(store.as_ref(), &user, &doc_id)).await??;
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

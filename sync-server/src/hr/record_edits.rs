//! What recruiters do with a registration beyond reading it: add a note, set their own
//! rating, set the record's status. The JSON routes and the console's detail forms both
//! call [`edit_logged`], so the rules hold in both.
//!
//! A recruiter edits the records of events assigned to them, restricted ones only with the
//! clearance (the read rules of [`crate::hr::registrations_api`], without the archivist's
//! reach: archivists read every record but edit none). A refused attempt is a
//! `read_refused` entry in the access log and writes nothing else. Each edit is made as
//! the user's own Automerge actor ([`HrUser::actor_key`]) and stored with a `change` entry
//! (see [`crate::storage::RegistrationStore::apply_hr_edit`]); staff tablets of the event pull it like any edit.
//!
//! A note names its author by username and its device by the user's actor key. A rating
//! is filed under the rater's username, as a staff tablet files its rating under the
//! recruiter its enrollment code names: a code that names the recruiter by their HR
//! username makes the tablet's rating and the console's one rating.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use kiosk_core::annotations::{
    Annotations, MAX_NOTE_CHARS, Note, RATING_RANGE, RecordStatus, check_note,
};
use kiosk_core::ids::{DeviceId, RegistrationId, Timestamp};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::accounts::HrUser;
use crate::hr::caller::Caller;
use crate::hr::error::{HrError, HrResult, StorageContext};
use crate::hr::params::body;
use crate::hr::policy::{may_edit, require_editor};
use crate::hr::record_access::{missing_registration, reachable_record, require_for_record};
use crate::state::{AppState, now_ms};
use crate::storage::{Accessor, HrEdit, HrEditOutcome, HrEditor, RelayStore};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/registrations/{id}/notes", post(add_note))
        .route("/api/v1/registrations/{id}/rating", put(set_rating))
        .route("/api/v1/registrations/{id}/status", put(set_status))
}

/// A new note by `user` with `text` (trimmed), written at relay time `at`; a 422 naming
/// `text` if it is empty or too long.
pub(crate) fn note_by(user: &HrUser, text: &str, at: i64) -> HrResult<Note> {
    let note = Note {
        id: RegistrationId::new(Timestamp(at)).to_string(),
        author: user.username.clone(),
        device: DeviceId::from_public_key(&user.actor_key()),
        written_at: Timestamp(at),
        text: text.trim().to_owned(),
    };
    // The rule is the whole of the cause: NOTE_RULE names it.
    if check_note(&note).is_err() {
        return Err(HrError::InvalidField {
            field: "text",
            rule: NOTE_RULE,
        });
    }
    Ok(note)
}

const NOTE_RULE: &str = "a note has 1–2000 characters besides surrounding spaces";
const _: () = assert!(MAX_NOTE_CHARS == 2_000, "NOTE_RULE names the limit");

/// `score` if it is a rating (or `None`, which clears one); a 422 naming `score` if not.
pub(crate) fn checked_score(score: Option<i64>) -> HrResult<Option<i64>> {
    match score {
        Some(s) if !RATING_RANGE.contains(&s) => Err(HrError::InvalidField {
            field: "score",
            rule: "a score is 1–5, or null to clear the rating",
        }),
        _ => Ok(score),
    }
}

/// The status `text` names; a 422 naming `status` if it names none.
pub(crate) fn parse_status(text: &str) -> HrResult<RecordStatus> {
    RecordStatus::parse(text).ok_or(HrError::InvalidField {
        field: "status",
        rule: "one of new, shortlisted, contacted, interviewing, not_proceeding, hired",
    })
}

/// Applies `edit` to registration `doc_id` as `user`, if they may edit it; the edit, or the
/// refused attempt, is access-logged. Returns the record's notes, ratings and status after
/// it. Blocking. The caller has checked [`require_editor`] and the edit's input.
pub(crate) fn edit_logged(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
    edit: &HrEdit,
) -> HrResult<Annotations> {
    reachable_record(store, user, doc_id, may_edit)?;
    let editor = HrEditor {
        actor_key: user.actor_key(),
        accessor: Accessor::Operator(user.accessor_name()),
    };
    let outcome = store
        .apply_hr_edit(doc_id, edit, &editor, now_ms())
        .context("applying an HR edit")?;
    match outcome {
        HrEditOutcome::Applied { annotations, .. } => Ok(annotations),
        // Removed between the check and the edit.
        HrEditOutcome::NoRecord => Err(missing_registration(store, doc_id)?),
    }
}

/// Runs [`edit_logged`] off the async threads.
async fn edit(
    state: &AppState,
    user: HrUser,
    doc_id: String,
    edit: HrEdit,
) -> HrResult<Annotations> {
    let store = state.store.clone();
    blocking(move || edit_logged(store.as_ref(), &user, &doc_id, &edit)).await?
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    text: String,
}

/// Adds a note: 201 with the note as stored.
async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
    request: Result<Json<NoteBody>, JsonRejection>,
) -> Result<Response, AppError> {
    require_for_record(&state, &caller.user, &doc_id, require_editor).await?;
    let NoteBody { text } = body(request)?;
    let note = note_by(&caller.user, &text, now_ms())?;
    let shown = note_json(&note);
    edit(&state, caller.user, doc_id, HrEdit::AddNote(note)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "note": shown }))).into_response())
}

/// A note as the API shows it.
pub(crate) fn note_json(note: &Note) -> Value {
    json!({
        "id": note.id,
        "author": note.author,
        "written_at": note.written_at.millis(),
        "text": note.text,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatingBody {
    /// Present, as a number or null: a body that forgets it must not clear a rating.
    #[serde(deserialize_with = "nullable")]
    score: Option<i64>,
}

fn nullable<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Option::<i64>::deserialize(deserializer)
}

/// Sets (or with `null` clears) the caller's own rating.
async fn set_rating(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
    request: Result<Json<RatingBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    require_for_record(&state, &caller.user, &doc_id, require_editor).await?;
    let RatingBody { score } = body(request)?;
    let score = checked_score(score)?;
    let rater = caller.user.username.clone();
    let edit_of = HrEdit::SetRating {
        rater: rater.clone(),
        score,
    };
    edit(&state, caller.user, doc_id, edit_of).await?;
    Ok(Json(json!({ "rater": rater, "score": score })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
}

/// Sets the record's status.
async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
    request: Result<Json<StatusBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    require_for_record(&state, &caller.user, &doc_id, require_editor).await?;
    let StatusBody { status } = body(request)?;
    let status = parse_status(&status)?;
    edit(&state, caller.user, doc_id, HrEdit::SetStatus(status)).await?;
    Ok(Json(json!({ "status": status.as_str() })))
}

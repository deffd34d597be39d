//! The JSON API over events and their forms ([`crate::hr::events`], the rules and steps
//! the console's event pages call too): `GET`/`POST /api/v1/events`,
//! `GET`/`PUT /api/v1/events/{id}` and `POST /api/v1/events/{id}/publish`. Admins only.
//! Handlers read the request, ask the service and answer through [`crate::hr::answer`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kiosk_core::event::Event;
use kiosk_core::form::FormDefinition;
use kiosk_core::language::Localized;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::caller::Caller;
use crate::hr::events::{
    EventInput, create, heads_hex, parse_heads, publish, read, save, summaries,
};
use crate::hr::params::body;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", get(list_events).post(create_event))
        .route("/api/v1/events/{id}", get(read_event).put(update_event))
        .route("/api/v1/events/{id}/publish", post(publish_event))
}

/// The event as the API shows it.
fn event_json(event: &Event, heads: &[[u8; 32]]) -> Value {
    let mut published: Vec<_> = event.published.values().collect();
    published.sort_by_key(|p| p.published_at);
    json!({
        "id": event.id,
        "name": event.name,
        "venue": event.venue,
        "starts_on": event.starts_on,
        "ends_on": event.ends_on,
        "languages": event.languages,
        "draft_form": event.draft_form,
        "draft_version": event.draft_form.version(),
        "current_version": event.current_version,
        "published": published.iter().map(|p| json!({
            "version": p.version,
            "published_at": p.published_at,
        })).collect::<Vec<_>>(),
        "heads": heads_hex(heads),
    })
}

/// Every event, latest start first.
async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, AppError> {
    crate::hr::policy::may_manage_events(&caller.user)?;
    let store = state.store.clone();
    let events = blocking(move || summaries(store.as_ref())).await??;
    Ok(Json(json!({
        "events": events.iter().map(|e| json!({
            "id": e.id,
            "name": e.name,
            "venue": e.venue,
            "starts_on": e.starts_on,
            "ends_on": e.ends_on,
            "current_version": e.current_version,
            "published_versions": e.published_versions,
            "draft_unpublished": e.draft_unpublished,
        })).collect::<Vec<_>>(),
    })))
}

/// `null` or a value, but present: a missing `ends_on` must not turn a fair into a desk.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::deserialize(deserializer)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEventBody {
    id: String,
    name: Localized,
    venue: String,
    starts_on: String,
    #[serde(deserialize_with = "present")]
    ends_on: Option<String>,
    languages: Vec<String>,
    #[serde(alias = "form")]
    draft_form: FormDefinition,
}

async fn create_event(
    State(state): State<AppState>,
    caller: Caller,
    request: Result<Json<NewEventBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let admin = crate::hr::policy::may_manage_events(&caller.user)?.clone();
    let NewEventBody {
        id,
        name,
        venue,
        starts_on,
        ends_on,
        languages,
        draft_form,
    } = body(request)?;
    let input = EventInput {
        name,
        venue,
        starts_on,
        ends_on,
        languages,
        draft_form,
    };
    let store = state.store.clone();
    let (event, heads) = blocking(move || create(store.as_ref(), &admin, &id, &input)).await??;
    Ok((StatusCode::CREATED, Json(event_json(&event, &heads))).into_response())
}

async fn read_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    crate::hr::policy::may_manage_events(&caller.user)?;
    let store = state.store.clone();
    let (event, heads) = blocking(move || read(store.as_ref(), &id)).await??;
    Ok(Json(event_json(&event, &heads)))
}

/// What an admin sends to save an event: the heads they read and every editable part.
/// Published versions and the current version are not among them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventUpdateBody {
    heads: Vec<String>,
    name: Localized,
    venue: String,
    starts_on: String,
    #[serde(deserialize_with = "present")]
    ends_on: Option<String>,
    languages: Vec<String>,
    draft_form: FormDefinition,
}

async fn update_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: Result<Json<EventUpdateBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let admin = crate::hr::policy::may_manage_events(&caller.user)?.clone();
    let EventUpdateBody {
        heads,
        name,
        venue,
        starts_on,
        ends_on,
        languages,
        draft_form,
    } = body(request)?;
    let heads = parse_heads(&heads)?;
    let input = EventInput {
        name,
        venue,
        starts_on,
        ends_on,
        languages,
        draft_form,
    };
    let store = state.store.clone();
    let edited = blocking(move || save(store.as_ref(), &admin, &id, &heads, &input)).await??;
    let mut answer = event_json(&edited.event, &edited.heads);
    answer["merged_concurrent"] = json!(edited.merged_concurrent);
    Ok(Json(answer))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    heads: Vec<String>,
}

/// Publishes the draft as the event holds it now (merged with any change the caller has not
/// read: `merged_concurrent` says so), and answers with the version and the frozen form.
async fn publish_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: Result<Json<PublishBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let admin = crate::hr::policy::may_manage_events(&caller.user)?.clone();
    let PublishBody { heads } = body(request)?;
    let heads = parse_heads(&heads)?;
    let store = state.store.clone();
    let edited = blocking(move || publish(store.as_ref(), &admin, &id, &heads)).await??;
    let frozen = edited
        .published
        .as_ref()
        .and_then(|version| edited.event.published_form(version))
        .ok_or_else(|| {
            tracing::error!("a just-published event holds no published form");
            AppError::Internal
        })?;
    Ok(Json(json!({
        "version": frozen.version,
        "published_at": frozen.published_at,
        "form": frozen.form,
        "current_version": edited.event.current_version,
        "merged_concurrent": edited.merged_concurrent,
        "heads": heads_hex(&edited.heads),
    })))
}

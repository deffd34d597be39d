//! The relay's routes.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::state::AppState;

/// No route yet takes a body; sync requests get their own, larger limit when they arrive.
const DEFAULT_BODY_LIMIT: usize = 16 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/v1/events/{event_id}/form", get(current_form))
        .layer(RequestBodyLimitLayer::new(DEFAULT_BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// The form and privacy notice new visitors get at an event: public, no personal data.
async fn current_form(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let event = kiosk_core::ids::EventId::parse(&event_id)
        .and_then(|id| state.event(&id))
        .ok_or(AppError::UnknownEvent)?;
    let published = event.current_form().map_err(|_| AppError::NotPublished)?;
    Ok(Json(json!({
        "event_id": event.id,
        "name": event.name,
        "version": published.version,
        "published_at": published.published_at,
        "form": published.form,
    })))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    async fn get_json(uri: &str) -> (StatusCode, Value) {
        let response = router(AppState::demo())
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, serde_json::from_slice(&bytes).expect("json"))
    }

    #[tokio::test]
    async fn health_answers_ok() {
        let (status, body) = get_json("/healthz").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
    }

    #[tokio::test]
    async fn the_demo_events_form_is_served_with_its_version() {
        let (status, body) = get_json("/v1/events/sthlm-career-fair-2026/form").await;
        assert_eq!(status, StatusCode::OK);
        let expected = kiosk_core::demo::demo_form().version();
        assert_eq!(body["version"], expected.as_str());
        assert_eq!(
            body["form"]["interest_areas"][0]["code"],
            "migration-officer"
        );
    }

    #[tokio::test]
    async fn an_unknown_event_gets_a_json_error_naming_what_was_wrong() {
        for uri in [
            "/v1/events/no-such-fair/form",
            "/v1/events/NOT%20A%20SLUG/form",
        ] {
            let (status, body) = get_json(uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(body["code"], "unknown_event");
        }
    }
}

//! The relay's one error type: a JSON body `{ "code", "message" }` with the right status.
//! Internals are logged, never sent, and no message carries personal data.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no such event")]
    UnknownEvent,
    #[error("the event has no published form")]
    NotPublished,
}

#[derive(Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::UnknownEvent => (StatusCode::NOT_FOUND, "unknown_event"),
            AppError::NotPublished => (StatusCode::NOT_FOUND, "not_published"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            code,
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

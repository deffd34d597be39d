//! The relay's one error type: a JSON body `{ "code", "message" }` with the right status.
//! Internals are logged, never sent, and no message carries personal data.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiosk_core::protocol::{ErrorCode, ProtocolError};
use serde::Serialize;

use crate::enrollment::EnrollRefusal;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no such event")]
    UnknownEvent,
    #[error("the event has no published form")]
    NotPublished,
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
    #[error("{0}")]
    Enroll(#[from] EnrollRefusal),
    #[error("the relay could not complete the request; nothing was stored")]
    Storage(#[from] StorageError),
    #[error("the relay could not complete the request; nothing was stored")]
    Internal,
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
            AppError::Protocol(e) => {
                let code = e.code();
                let status = match code {
                    ErrorCode::UnknownDevice | ErrorCode::BadSignature => StatusCode::UNAUTHORIZED,
                    ErrorCode::DeviceMismatch => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_REQUEST,
                };
                (status, code.as_str())
            }
            AppError::Enroll(refusal) => {
                let status = match refusal {
                    EnrollRefusal::Malformed | EnrollRefusal::BadProof => StatusCode::BAD_REQUEST,
                    EnrollRefusal::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                    _ => StatusCode::FORBIDDEN,
                };
                (status, refusal.code())
            }
            AppError::Storage(_) | AppError::Internal => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Storage(e) = &self {
            tracing::error!(error = %e, "storage failed");
        }
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            code,
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

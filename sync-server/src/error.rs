//! The relay's one error type: a JSON body `{ "code", "message" }` with the right status.
//! Internals are logged, never sent, and no message carries personal data.
//!
//! A domain module's own refusals (HR's account rules, a quarantined capture that cannot be
//! accepted) speak through [`Refusal`]: the module that refuses says how its refusal is
//! answered, so this module names no domain type above it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiosk_core::protocol::{ErrorCode, ProtocolError};
use serde::Serialize;

use crate::enrollment::{CodeError, EnrollRefusal};
use crate::storage::StorageError;

/// How a domain refusal is answered: the status it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The input breaks a rule (400).
    Invalid,
    /// The caller may not do this (403).
    Forbidden,
    /// The state does not allow it (409).
    Conflict,
    /// Well-formed, but a value names something that cannot take part (422).
    Unprocessable,
}

impl RefusalKind {
    fn status(self) -> StatusCode {
        match self {
            RefusalKind::Invalid => StatusCode::BAD_REQUEST,
            RefusalKind::Forbidden => StatusCode::FORBIDDEN,
            RefusalKind::Conflict => StatusCode::CONFLICT,
            RefusalKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// A refusal a domain module words and classifies itself. Its message is sent, so it
/// names the rule, never a value.
pub trait Refusal: std::error::Error + Send + Sync + 'static {
    /// The answer's kind and its stable code.
    fn answer(&self) -> (RefusalKind, &'static str);

    /// The message sent with it: the refusal's own text unless it says otherwise.
    fn message(&self) -> String {
        self.to_string()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no such event")]
    UnknownEvent,
    #[error("the event has no published form")]
    NotPublished,
    /// Names each field that was wrong and the rule it broke, never the value.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
    #[error("{0}")]
    Enroll(#[from] EnrollRefusal),
    #[error("the relay could not complete the request; nothing was stored")]
    Storage(StorageError),
    #[error("the relay could not complete the request; nothing was stored")]
    Internal,
    /// The store could not be written for lack of space.
    #[error(
        "the relay's disk is full; nothing was stored. The tablet keeps its copies and sends \
         them again later"
    )]
    StoreFull,
    /// Another sync of this tablet is under way, or the relay is checking as many requests
    /// as it takes at once.
    #[error(
        "the relay is busy (another sync of this tablet, or many at once); nothing was stored; try again shortly"
    )]
    Busy,
    #[error("log in first (the session may have expired)")]
    NotLoggedIn,
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("too many failed logins; try again in {0} s")]
    LoginRateLimited(u64),
    #[error("the request's CSRF token is missing or wrong; reload the page and try again")]
    Csrf,
    #[error("this needs the {0} role")]
    MissingRole(&'static str),
    #[error("choose your own password before anything else")]
    PasswordChangeRequired,
    /// A domain module's refusal ([`Refusal`]).
    #[error("{}", .0.message())]
    Refused(Box<dyn Refusal>),
    #[error("the request body is not what this route takes: {0}")]
    BadBody(String),
    #[error("no such user")]
    UnknownUser,
    #[error("no such registration")]
    UnknownRegistration,
    #[error("this registration was removed; its removal record remains")]
    RemovedRegistration,
    #[error("this registration belongs to an event you are not assigned to")]
    NotAssigned,
    #[error("this registration is restricted (protected personal data) and needs the clearance")]
    Restricted,
    #[error("bad filter {0}")]
    BadFilter(String),
    /// A transparency-log proof asked for sizes or an index the log cannot answer.
    #[error("{0}")]
    BadLogRange(String),
    #[error("no such device")]
    UnknownDevice,
    /// A well-formed body with a value its field does not take.
    #[error("{field}: {rule}")]
    InvalidField {
        field: &'static str,
        rule: &'static str,
    },
    #[error("no such quarantined capture")]
    UnknownQuarantine,
    #[error("no such retention run")]
    UnknownRetentionRun,
    /// A staff code's recruiter who may not have a tablet act for them.
    #[error("{0}")]
    BadRecruiter(crate::enrollment::RecruiterRefusal),
    #[error("this account is disabled; an administrator can enable it again")]
    AccountDisabled,
    #[error("an administrator cannot take away their own access")]
    SelfChange,
    #[error("no such API token of this user")]
    UnknownToken,
}

/// When a tablet refused `busy` may try again.
const BUSY_RETRY_AFTER_SECS: u64 = 5;
/// When a tablet refused `store_full` may try again: someone must free space first.
const STORE_FULL_RETRY_AFTER_SECS: u64 = 300;

#[derive(Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

impl AppError {
    /// The stable code this error is answered with.
    #[cfg(test)]
    pub(crate) fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::UnknownEvent => (StatusCode::NOT_FOUND, "unknown_event"),
            AppError::NotPublished => (StatusCode::NOT_FOUND, "not_published"),
            AppError::InvalidEvent(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_event"),
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
            AppError::Storage(e) if e.is_disk_full() => (
                StatusCode::INSUFFICIENT_STORAGE,
                ErrorCode::StoreFull.as_str(),
            ),
            AppError::StoreFull => (
                StatusCode::INSUFFICIENT_STORAGE,
                ErrorCode::StoreFull.as_str(),
            ),
            AppError::Busy => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy.as_str()),
            AppError::Storage(_) | AppError::Internal => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
            AppError::NotLoggedIn => (StatusCode::UNAUTHORIZED, "not_logged_in"),
            AppError::WrongCredentials => (StatusCode::UNAUTHORIZED, "wrong_credentials"),
            AppError::LoginRateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "login_rate_limited"),
            AppError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            AppError::MissingRole(_) => (StatusCode::FORBIDDEN, "missing_role"),
            AppError::PasswordChangeRequired => (StatusCode::FORBIDDEN, "password_change_required"),
            AppError::Refused(refusal) => {
                let (kind, code) = refusal.answer();
                (kind.status(), code)
            }
            AppError::BadBody(_) => (StatusCode::BAD_REQUEST, "malformed_body"),
            AppError::BadLogRange(_) => (StatusCode::BAD_REQUEST, "invalid_log_range"),
            AppError::UnknownUser => (StatusCode::NOT_FOUND, "unknown_user"),
            AppError::UnknownRegistration => (StatusCode::NOT_FOUND, "unknown_registration"),
            AppError::RemovedRegistration => (StatusCode::GONE, "removed"),
            AppError::NotAssigned => (StatusCode::FORBIDDEN, "not_assigned"),
            AppError::Restricted => (StatusCode::FORBIDDEN, "restricted"),
            AppError::BadFilter(_) => (StatusCode::BAD_REQUEST, "invalid_filter"),
            AppError::UnknownDevice => (StatusCode::NOT_FOUND, "unknown_device"),
            AppError::InvalidField { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            AppError::UnknownQuarantine => (StatusCode::NOT_FOUND, "unknown_quarantine"),
            AppError::UnknownRetentionRun => (StatusCode::NOT_FOUND, "unknown_run"),
            AppError::BadRecruiter(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_recruiter"),
            AppError::AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
            AppError::SelfChange => (StatusCode::FORBIDDEN, "self_change"),
            AppError::UnknownToken => (StatusCode::NOT_FOUND, "unknown_token"),
        }
    }
}

impl AppError {
    /// Turns a failure the caller cannot act on into [`AppError::Internal`], logging its
    /// cause with `context` (what was being done) where that is decided: the caller is told
    /// only that the relay could not complete the request. Causes here are library errors
    /// that name rules and shapes, never a value, so no personal data reaches the log.
    pub(crate) fn internal<E: std::fmt::Display>(
        context: &'static str,
    ) -> impl FnOnce(E) -> AppError {
        move |cause| {
            tracing::error!(error = %cause, context, "internal error");
            AppError::Internal
        }
    }
}

impl<R: Refusal> From<R> for AppError {
    fn from(refusal: R) -> AppError {
        AppError::Refused(Box::new(refusal))
    }
}

impl From<StorageError> for AppError {
    /// A full disk gets its own code: the tablet keeps its copies and tries again later.
    fn from(error: StorageError) -> AppError {
        if error.is_disk_full() {
            tracing::error!(error = %error, "the relay's store is out of space");
            AppError::StoreFull
        } else if error.is_locked() {
            tracing::warn!(error = %error, "the relay's store stayed locked past the busy timeout");
            AppError::Busy
        } else {
            AppError::Storage(error)
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
        let mut response = (status, Json(body)).into_response();
        let retry_after = match self {
            AppError::LoginRateLimited(seconds) => Some(seconds),
            AppError::Busy => Some(BUSY_RETRY_AFTER_SECS),
            AppError::StoreFull => Some(STORE_FULL_RETRY_AFTER_SECS),
            _ => None,
        };
        if let Some(seconds) = retry_after
            && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<crate::blocking::TaskFailed> for AppError {
    /// Logged where it failed; answered as any internal failure.
    fn from(_: crate::blocking::TaskFailed) -> AppError {
        AppError::Internal
    }
}

impl From<CodeError> for AppError {
    fn from(error: CodeError) -> AppError {
        match error {
            CodeError::Storage(e) => AppError::Storage(e),
            CodeError::Recruiter(refusal) => AppError::BadRecruiter(refusal),
            missing_or_kiosk => AppError::BadBody(missing_or_kiosk.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status, code and message an error is answered with.
    async fn answered(error: AppError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("a body");
        (status, serde_json::from_slice(&body).expect("JSON"))
    }

    #[tokio::test]
    async fn an_internal_cause_is_answered_as_internal_without_its_text() {
        let error = AppError::internal("testing")("the cause's own words");
        let (status, body) = answered(error).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal");
        assert!(!body["message"].as_str().expect("text").contains("cause"));
    }

    #[derive(Debug, PartialEq, thiserror::Error)]
    #[error("a rule of the test")]
    struct TestRefusal;

    impl Refusal for TestRefusal {
        fn answer(&self) -> (RefusalKind, &'static str) {
            (RefusalKind::Conflict, "test_refusal")
        }
    }

    #[tokio::test]
    async fn a_domain_refusal_is_answered_as_it_says() {
        let error = AppError::from(TestRefusal);
        let (status, body) = answered(error).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "test_refusal");
        assert_eq!(body["message"], "a rule of the test");
    }
}

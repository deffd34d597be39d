//! HR's errors at the HTTP edge: the one match that turns an [`HrError`] into the relay's
//! public [`AppError`], deciding what is sent and what is logged. Services and the policy
//! return [`HrError`] and never name [`AppError`]; handlers (the JSON API and the console
//! pages) convert with `?` or `.into()` through here. A storage failure is logged with the
//! context its service named (ids and rule names only, never personal data) and answered
//! as the relay's one internal error, as before.

use crate::error::AppError;
use crate::hr::error::{Conflict, Denial, HrError, Missing};

impl From<Denial> for AppError {
    fn from(denial: Denial) -> AppError {
        match denial {
            Denial::PasswordChangeRequired => AppError::PasswordChangeRequired,
            Denial::MissingRole(role) => AppError::MissingRole(role),
            Denial::NotAssigned => AppError::NotAssigned,
            Denial::Restricted => AppError::Restricted,
            Denial::SelfChange => AppError::SelfChange,
            Denial::NotLoggedIn => AppError::NotLoggedIn,
        }
    }
}

impl From<Missing> for AppError {
    fn from(missing: Missing) -> AppError {
        match missing {
            Missing::User => AppError::UnknownUser,
            Missing::Event => AppError::UnknownEvent,
            Missing::Registration => AppError::UnknownRegistration,
            Missing::RemovedRegistration => AppError::RemovedRegistration,
            Missing::Token => AppError::UnknownToken,
        }
    }
}

impl From<Conflict> for AppError {
    fn from(conflict: Conflict) -> AppError {
        match conflict {
            Conflict::UsernameTaken => AppError::UsernameTaken,
            Conflict::LastAdmin => AppError::LastAdmin,
            Conflict::Unchanged => AppError::AccountUnchanged,
            Conflict::NotARecruiter => AppError::NotARecruiter,
        }
    }
}

impl From<HrError> for AppError {
    fn from(error: HrError) -> AppError {
        match error {
            HrError::Denied(denial) => denial.into(),
            HrError::NotFound(missing) => missing.into(),
            HrError::Conflict(conflict) => conflict.into(),
            HrError::Account(refusal) => refusal.into(),
            HrError::InvalidField { field, rule } => AppError::InvalidField { field, rule },
            HrError::Task(failed) => failed.into(),
            // A full disk and a lock held too long keep their own answers (the store's
            // conversion logs them); anything else is logged here with what the service
            // was doing, and the caller hears only that the request could not be done.
            HrError::Storage { source, .. } if source.is_disk_full() || source.is_locked() => {
                source.into()
            }
            HrError::Storage { context, source } => {
                tracing::error!(error = %source, context, "HR storage failed");
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hr::error::StorageContext;
    use crate::storage::StorageError;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    /// What the store's own failure was answered with before HR had its own errors.
    async fn answered(error: AppError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("a body");
        (status, serde_json::from_slice(&body).expect("JSON"))
    }

    #[tokio::test]
    async fn a_storage_failure_in_a_service_is_answered_as_the_same_public_500() {
        let failed: Result<(), StorageError> = Err(StorageError::Undecodable("user row"));
        let from_service = AppError::from(failed.context("reading user 7").expect_err("failed"));
        let before = AppError::from(StorageError::Undecodable("user row"));
        assert_eq!(answered(from_service).await, answered(before).await);
    }

    #[test]
    fn every_hr_error_keeps_its_public_code() {
        let cases: Vec<(HrError, &str)> = vec![
            (
                Denial::PasswordChangeRequired.into(),
                "password_change_required",
            ),
            (Denial::MissingRole("admin").into(), "missing_role"),
            (Denial::NotAssigned.into(), "not_assigned"),
            (Denial::Restricted.into(), "restricted"),
            (Denial::SelfChange.into(), "self_change"),
            (Denial::NotLoggedIn.into(), "not_logged_in"),
            (Missing::User.into(), "unknown_user"),
            (Missing::Event.into(), "unknown_event"),
            (Missing::Registration.into(), "unknown_registration"),
            (Missing::RemovedRegistration.into(), "removed"),
            (Missing::Token.into(), "unknown_token"),
            (Conflict::UsernameTaken.into(), "username_taken"),
            (Conflict::LastAdmin.into(), "last_admin"),
            (Conflict::Unchanged.into(), "unchanged"),
            (Conflict::NotARecruiter.into(), "not_a_recruiter"),
        ];
        for (error, code) in cases {
            let hr_text = error.to_string();
            let app = AppError::from(error);
            assert_eq!(app.code(), code);
            // The command line prints the service's words; the API sends the same.
            assert_eq!(app.to_string(), hr_text);
        }
    }
}

//! HR's errors at the HTTP edge: the one match that turns an [`HrError`] into the relay's
//! public [`AppError`], deciding what is sent and what is logged. Services and the policy
//! return [`HrError`] and never name [`AppError`]; handlers (the JSON API and the console
//! pages) convert with `?` or `.into()` through here. A storage failure is logged with the
//! context its service named (ids and rule names only, never personal data) and answered
//! as the relay's one internal error, as before.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{AppError, Refusal, RefusalKind};
use crate::hr::accounts::AccountError;
use crate::hr::error::{AcceptRefusal, Conflict, Denial, HrError, LoginRefusal, Missing};
use crate::hr::events::{EventRefusal, Problem};
use crate::hr::subject_access::{NO_MATCH, SubjectAccessError};

// Here, at the edge, rather than in `accounts`, which stays free of the relay's errors so
// the enrollment and the store can use its types without importing them.
impl Refusal for AccountError {
    fn answer(&self) -> (RefusalKind, &'static str) {
        match self {
            AccountError::SelfGrant => (RefusalKind::Forbidden, "self_grant"),
            AccountError::CreatorGrant => (RefusalKind::Forbidden, "creator_grant"),
            AccountError::BadUsername
            | AccountError::BadDisplayName
            | AccountError::BadPassword
            | AccountError::NoRole
            | AccountError::SamePassword => (RefusalKind::Invalid, "invalid_input"),
        }
    }
}

impl Refusal for AcceptRefusal {
    fn answer(&self) -> (RefusalKind, &'static str) {
        (RefusalKind::Conflict, "cannot_accept")
    }

    fn message(&self) -> String {
        format!("the capture cannot be accepted: {self}")
    }
}

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
            Missing::RetentionRun => AppError::UnknownRetentionRun,
            Missing::Quarantine => AppError::UnknownQuarantine,
            Missing::Device => AppError::UnknownDevice,
        }
    }
}

impl Refusal for Conflict {
    fn answer(&self) -> (RefusalKind, &'static str) {
        let code = match self {
            Conflict::UsernameTaken => "username_taken",
            Conflict::LastAdmin => "last_admin",
            Conflict::Unchanged => "unchanged",
            Conflict::NotARecruiter => return (RefusalKind::Unprocessable, "not_a_recruiter"),
            Conflict::AlreadyOnHold => "already_on_hold",
            Conflict::NotOnHold => "not_on_hold",
            Conflict::NoTalentPoolConsent => "no_talent_pool_consent",
            Conflict::RetentionRunning(_) => "run_in_progress",
            Conflict::AlreadyReviewed => "already_reviewed",
            Conflict::NotAStaffTablet => "not_a_staff_tablet",
            Conflict::EventExists => "event_exists",
            Conflict::UnknownHeads => "unknown_heads",
            Conflict::StaleHeads => "stale_heads",
            Conflict::DraftChangedSince => "draft_changed",
        };
        (RefusalKind::Conflict, code)
    }
}

impl From<LoginRefusal> for AppError {
    fn from(refusal: LoginRefusal) -> AppError {
        match refusal {
            LoginRefusal::WrongCredentials => AppError::WrongCredentials,
            LoginRefusal::Disabled => AppError::AccountDisabled,
            LoginRefusal::RateLimited(seconds) => AppError::LoginRateLimited(seconds),
        }
    }
}

impl From<EventRefusal> for AppError {
    fn from(refusal: EventRefusal) -> AppError {
        match refusal {
            EventRefusal::Invalid(problems) => AppError::InvalidEvent(
                problems
                    .iter()
                    .map(Problem::english)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            EventRefusal::Refused(error) => error.into(),
        }
    }
}

impl IntoResponse for SubjectAccessError {
    /// Nothing matched is 404 `no_match` with [`NO_MATCH`], in English and Swedish.
    fn into_response(self) -> Response {
        match self {
            SubjectAccessError::Hr(error) => AppError::from(error).into_response(),
            SubjectAccessError::NoMatch => (
                StatusCode::NOT_FOUND,
                Json(json!({ "code": "no_match", "message": NO_MATCH })),
            )
                .into_response(),
        }
    }
}

impl From<HrError> for AppError {
    fn from(error: HrError) -> AppError {
        match error {
            HrError::Denied(denial) => denial.into(),
            HrError::NotFound(missing) => missing.into(),
            HrError::Conflict(conflict) => conflict.into(),
            HrError::Login(refusal) => refusal.into(),
            HrError::CannotAccept(refusal) => refusal.into(),
            HrError::UnknownRole(role) => {
                AppError::BadBody(format!("roles: unknown role {role:?}"))
            }
            HrError::Account(refusal) => refusal.into(),
            HrError::BadBody(rule) => AppError::BadBody(rule),
            HrError::Recruiter(refusal) => AppError::BadRecruiter(refusal),
            HrError::InvalidField { field, rule } => AppError::InvalidField { field, rule },
            HrError::Task(failed) => failed.into(),
            // A full disk and a lock held too long keep their own answers (the store's
            // conversion logs them); anything else is logged here with what the service
            // was doing, and the caller hears only that the request could not be done.
            HrError::Storage { source, .. } if source.is_disk_full() || source.is_locked() => {
                source.into()
            }
            // A search the store refused as too broad: the caller can narrow it.
            HrError::Storage {
                source: source @ crate::storage::StorageError::SearchTooBroad { .. },
                ..
            } => AppError::BadFilter(source.to_string()),
            HrError::Unexpected { context, source } => {
                tracing::error!(error = %source, context, "internal error");
                AppError::Internal
            }
            HrError::Checkpoints(error) => {
                tracing::error!("access-log checkpoints not checked: {error}");
                AppError::Internal
            }
            HrError::RetentionJob(error) => {
                tracing::error!(%error, "a retention run could not start");
                AppError::Internal
            }
            HrError::Document { context, source } => {
                tracing::error!(error = %source, context, "HR could not read a stored document");
                AppError::Internal
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
    use crate::hr::error::RecruiterRefusal;
    use crate::storage::StorageError;
    use std::sync::{Arc, Mutex};

    /// What the store's own failure was answered with before HR had its own errors.
    async fn answered(error: AppError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("a body");
        (status, serde_json::from_slice(&body).expect("JSON"))
    }

    /// A log writer tests can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// `work`'s result and what it logged.
    fn logged<T>(work: impl FnOnce() -> T) -> (T, String) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let result = tracing::subscriber::with_default(subscriber, work);
        let text = String::from_utf8(captured.0.lock().expect("log").clone()).expect("UTF-8");
        (result, text)
    }

    #[tokio::test]
    async fn a_storage_failure_in_a_service_is_logged_with_its_context_and_answered_as_before() {
        // A real service failing in its store: the table of users is gone under it.
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        let store = crate::storage::SqliteStore::open(&path).expect("store");
        crate::hr::provision_user(&store, "anna", "Anna Andersson", vec![], 0)
            .expect_err("no role");
        rusqlite::Connection::open(&path)
            .expect("opened")
            .execute_batch("DROP TABLE hr_users")
            .expect("dropped");
        let (answer, log) = logged(|| {
            let failed = crate::hr::reset_to_one_time_password(&store, "anna").expect_err("fails");
            assert!(matches!(failed, HrError::Storage { .. }), "{failed:?}");
            AppError::from(failed)
        });
        assert!(log.contains("HR storage failed"), "{log}");
        assert!(log.contains("reading a user by username"), "{log}");
        assert!(log.contains("no such table"), "{log}");
        // Ids and rules only: not the username asked for, nor anyone's name.
        assert!(!log.contains("anna") && !log.contains("Andersson"), "{log}");
        let before = AppError::from(StorageError::Undecodable("user row"));
        let (status, body) = answered(answer).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!((status, body), answered(before).await);
    }

    #[tokio::test]
    async fn an_event_refusal_is_answered_by_field_or_as_its_error() {
        use crate::hr::events::EventRefusal;
        let invalid = EventRefusal::Invalid(vec![
            crate::hr::events::check_id("Host Fair").expect_err("no slug"),
        ]);
        let (status, body) = answered(AppError::from(invalid)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], "invalid_event");
        assert!(
            body["message"]
                .as_str()
                .expect("text")
                .starts_with("invalid event: id: "),
            "{body}"
        );
        let stale = EventRefusal::from(Conflict::StaleHeads);
        let (status, body) = answered(AppError::from(stale)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "stale_heads");
    }

    #[tokio::test]
    async fn a_subject_access_without_a_match_is_404_no_match_and_a_refusal_its_own_code() {
        let response = SubjectAccessError::NoMatch.into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("a body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body, json!({ "code": "no_match", "message": NO_MATCH }));
        let refused = SubjectAccessError::from(Denial::MissingRole("archivist")).into_response();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn a_refusal_is_answered_without_a_log_line() {
        let (answer, log) = logged(|| AppError::from(HrError::from(Denial::NotAssigned)));
        assert_eq!(answer.code(), "not_assigned");
        assert!(log.is_empty(), "{log}");
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
            (Missing::RetentionRun.into(), "unknown_run"),
            (Missing::Quarantine.into(), "unknown_quarantine"),
            (Missing::Device.into(), "unknown_device"),
            (Conflict::NotAStaffTablet.into(), "not_a_staff_tablet"),
            (Conflict::EventExists.into(), "event_exists"),
            (Conflict::UnknownHeads.into(), "unknown_heads"),
            (Conflict::StaleHeads.into(), "stale_heads"),
            (Conflict::DraftChangedSince.into(), "draft_changed"),
            (HrError::BadBody("uses: 1–500".into()), "malformed_body"),
            (RecruiterRefusal::NotAssigned.into(), "bad_recruiter"),
            (Conflict::AlreadyReviewed.into(), "already_reviewed"),
            (AcceptRefusal::NotAKiosk.into(), "cannot_accept"),
            (Conflict::AlreadyOnHold.into(), "already_on_hold"),
            (Conflict::NotOnHold.into(), "not_on_hold"),
            (
                Conflict::NoTalentPoolConsent.into(),
                "no_talent_pool_consent",
            ),
            (Conflict::RetentionRunning(4).into(), "run_in_progress"),
            (Conflict::UsernameTaken.into(), "username_taken"),
            (Conflict::LastAdmin.into(), "last_admin"),
            (Conflict::Unchanged.into(), "unchanged"),
            (Conflict::NotARecruiter.into(), "not_a_recruiter"),
            (LoginRefusal::WrongCredentials.into(), "wrong_credentials"),
            (LoginRefusal::Disabled.into(), "account_disabled"),
            (LoginRefusal::RateLimited(30).into(), "login_rate_limited"),
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

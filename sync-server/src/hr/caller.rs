//! Who is calling the HR API or console: a console session (the `kiosk_session` cookie;
//! requests that change state also carry its CSRF token in `X-CSRF-Token`, or a console
//! form's `csrf_token` field) or an API token (`Authorization: Bearer`). [`Caller`] is the
//! extractor every HR handler takes; what the caller may do is decided by
//! [`crate::hr::policy`] and the services, not here.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::accounts::HrUser;
use crate::hr::error::{Denial, HrError, StorageContext};
use crate::hr::policy::Question;
use crate::hr::sessions::{self, CSRF_HEADER, SESSION_IDLE_MS};
use crate::state::{AppState, now_ms};
use crate::storage::CredentialKind;

/// Who is calling, authenticated by a session or an API token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: HrUser,
    pub kind: CredentialKind,
    /// The hash of the session or token secret it called with.
    pub(super) secret_hash: [u8; 32],
}

impl Caller {
    /// Whether the caller's credential still lets them do what `question` asks, asked
    /// again of the store (blocking): a long answer (an export's pages) asks as it goes, so
    /// disabling the user, revoking the token, ending the session or taking the role stops
    /// it part-way instead of at the next request.
    pub(crate) fn still_may(
        &self,
        store: &dyn crate::storage::RelayStore,
        question: Question,
        now: i64,
    ) -> Result<(), HrError> {
        let (credential, user) = store
            .hr_credential(&self.secret_hash, now)
            .context("reading a caller's credential")?
            .ok_or(Denial::NotLoggedIn)?;
        if credential.user_id != self.user.id || credential.kind != self.kind {
            return Err(Denial::NotLoggedIn.into());
        }
        question(&user)?;
        Ok(())
    }

    /// A caller as [`authenticate`] makes one, for tests of handlers' parts.
    #[cfg(test)]
    pub(crate) fn for_tests(user: HrUser, kind: CredentialKind, secret_hash: [u8; 32]) -> Caller {
        Caller {
            user,
            kind,
            secret_hash,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, AppError> {
        authenticate(parts, state, None).await
    }
}

/// The caller of a request, checked as [`Caller`]'s extractor does; a session's CSRF token
/// may come from `X-CSRF-Token` or, for console forms, from the form's `csrf_token` field.
pub(crate) async fn authenticate(
    parts: &Parts,
    state: &AppState,
    form_csrf: Option<&str>,
) -> Result<Caller, AppError> {
    let from_token = sessions::bearer_token(&parts.headers);
    let secret = from_token
        .clone()
        .or_else(|| sessions::session_from_cookies(&parts.headers))
        .ok_or(AppError::NotLoggedIn)?;
    let secret_hash = sessions::secret_hash(&secret);
    let now = now_ms();
    let store = state.store.clone();
    let (credential, user) = blocking(move || store.hr_credential(&secret_hash, now))
        .await??
        .ok_or(AppError::NotLoggedIn)?;
    // A bearer header must hold a token, a cookie a session: neither stands in for the
    // other (a token in a cookie would skip the CSRF check).
    let expected = if from_token.is_some() {
        CredentialKind::ApiToken
    } else {
        CredentialKind::Session
    };
    if credential.kind != expected {
        return Err(AppError::NotLoggedIn);
    }
    if credential.kind == CredentialKind::Session {
        if now - credential.last_used_at >= SESSION_IDLE_MS {
            let store = state.store.clone();
            blocking(move || store.delete_hr_credential(&secret_hash)).await??;
            return Err(AppError::NotLoggedIn);
        }
        if sessions::changes_state(&parts.method) {
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .or(form_csrf)
                .ok_or(AppError::Csrf)?;
            let expected = credential.csrf_hash.ok_or(AppError::Csrf)?;
            if !sessions::secret_matches(given, &expected) {
                return Err(AppError::Csrf);
            }
        }
    }
    Ok(Caller {
        user,
        kind: credential.kind,
        secret_hash,
    })
}

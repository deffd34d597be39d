//! Taking an HR user's access away (admins): disabling a user (their sessions and API tokens
//! end at once; they cannot log in until enabled again), removing a role or the restricted
//! clearance with a reason, resetting a password to a one-time password (which opens
//! nothing but a password change, and ends their sessions and tokens), and listing and
//! revoking a user's API tokens. Every change is recorded with who made it and why
//! (`GET /api/v1/users/{id}/access-changes`) and written to the access log, in one
//! transaction with the change.
//!
//! Guard rails: an admin takes none of this from themselves (they change their own
//! password with `POST /api/v1/password`), and no change leaves the relay without an
//! enabled admin. This is the service: the JSON API ([`crate::hr::user_access_api`]), the
//! console and the command line call [`change_access`]; its errors are [`HrError`]s.

use crate::blocking::blocking;
use crate::hr::accounts::{self, HrUser, PasswordHash, Role};
use crate::hr::caller::Caller;
use crate::hr::error::{Conflict, Denial, HrError, HrResult, Missing, StorageContext};
use crate::hr::policy;
use crate::state::{AppState, now_ms};
use crate::storage::{
    AccountAction, AccountChange, AccountChangeOutcome, AccountChangeRecord, RelayStore, TokenInfo,
};

/// The longest reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// A reason as given: trimmed, 1–500 characters without control characters (line breaks
/// allowed); `required` says whether none is refused.
pub fn check_reason(reason: Option<&str>, required: bool) -> HrResult<Option<String>> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        None if required => Err(HrError::InvalidField {
            field: "reason",
            rule: "say why (1–500 characters) / ange varför (1–500 tecken)",
        }),
        None => Ok(None),
        Some(r)
            if r.chars().count() > MAX_REASON_CHARS
                || r.chars().any(|c| c.is_control() && c != '\n' && c != '\r') =>
        {
            Err(HrError::InvalidField {
                field: "reason",
                rule: "at most 500 characters, no control characters / högst 500 tecken",
            })
        }
        Some(r) => Ok(Some(r.to_owned())),
    }
}

/// What to change, as asked (the one-time password of a reset is made here).
#[derive(Debug, Clone)]
pub enum AccessRequest {
    Disable,
    Enable,
    RemoveRole(Role),
    RemoveClearance,
    ResetPassword,
    RevokeToken(u64),
}

/// Who makes a change: an admin (by their account) or the operator on the command line.
#[derive(Debug, Clone)]
pub enum ChangedBy {
    Admin(HrUser),
    /// The command line, with the name the access log gives the operator.
    Operator(String),
}

/// Makes `request` for user `user_id` with `reason` (required for removing a role or the
/// clearance), recording and access-logging it; returns the user as they are now and, for
/// a password reset, the one-time password to show once. Blocking (Argon2id for a reset).
pub fn change_access(
    store: &dyn RelayStore,
    by: &ChangedBy,
    user_id: u64,
    request: AccessRequest,
    reason: Option<&str>,
) -> HrResult<(HrUser, Option<String>)> {
    let required = matches!(
        request,
        AccessRequest::RemoveRole(_) | AccessRequest::RemoveClearance
    );
    let reason = check_reason(reason, required)?;
    let (by_user, by_name) = match by {
        ChangedBy::Admin(admin) => {
            // Taking access from oneself is refused outright: an admin could lock
            // themselves out, and a reset of one's own password skips the current one.
            if admin.id == user_id && !matches!(request, AccessRequest::RevokeToken(_)) {
                return Err(Denial::SelfChange.into());
            }
            (Some(admin.id), admin.accessor_name())
        }
        ChangedBy::Operator(name) => (None, name.clone()),
    };
    let mut one_time = None;
    let action = match request {
        AccessRequest::Disable => AccountAction::Disable,
        AccessRequest::Enable => AccountAction::Enable,
        AccessRequest::RemoveRole(role) => AccountAction::RemoveRole(role),
        AccessRequest::RemoveClearance => AccountAction::RemoveClearance,
        AccessRequest::ResetPassword => {
            store
                .hr_user(user_id)
                .context("reading a user")?
                .ok_or(Missing::User)?;
            let password = accounts::one_time_password();
            let hash = PasswordHash::new(&password);
            one_time = Some(password);
            AccountAction::ResetPassword(hash)
        }
        AccessRequest::RevokeToken(token) => AccountAction::RevokeToken(token),
    };
    let change = AccountChange {
        user_id,
        action,
        reason,
        by_user,
        by_name,
        at: now_ms(),
    };
    match store
        .change_hr_account(&change)
        .context("changing a user's access")?
    {
        AccountChangeOutcome::Done => {
            tracing::info!(
                by = by_user,
                target = user_id,
                change = change.action.name(),
                "HR user's access changed"
            );
        }
        AccountChangeOutcome::NoSuchUser => return Err(Missing::User.into()),
        AccountChangeOutcome::NoSuchToken => return Err(Missing::Token.into()),
        AccountChangeOutcome::Unchanged => return Err(Conflict::Unchanged.into()),
        AccountChangeOutcome::LastAdmin => return Err(Conflict::LastAdmin.into()),
    }
    let user = store
        .hr_user(user_id)
        .context("reading a user")?
        .ok_or(Missing::User)?
        .0;
    Ok((user, one_time))
}

/// [`change_access`] for the caller, who must be an admin.
pub(crate) async fn change_access_as(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
    request: AccessRequest,
    reason: Option<String>,
) -> HrResult<(HrUser, Option<String>)> {
    let admin = crate::hr::policy::may_manage_users(&caller.user)?.clone();
    let store = state.store.clone();
    blocking(move || {
        change_access(
            store.as_ref(),
            &ChangedBy::Admin(admin),
            user_id,
            request,
            reason.as_deref(),
        )
    })
    .await?
}

/// User `user_id`'s unexpired API tokens (admins only).
pub(crate) async fn user_tokens(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
) -> HrResult<Vec<TokenInfo>> {
    policy::may_manage_users(&caller.user)?;
    let store = state.store.clone();
    blocking(move || -> HrResult<Vec<TokenInfo>> {
        known_user(store.as_ref(), user_id)?;
        store
            .hr_api_tokens(user_id, now_ms())
            .context("listing a user's API tokens")
    })
    .await?
}

/// The recorded changes of user `user_id`'s access, newest first (admins only).
pub(crate) async fn user_access_changes(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
) -> HrResult<Vec<AccountChangeRecord>> {
    policy::may_manage_users(&caller.user)?;
    let store = state.store.clone();
    blocking(move || -> HrResult<Vec<AccountChangeRecord>> {
        known_user(store.as_ref(), user_id)?;
        store
            .hr_account_changes(user_id)
            .context("reading a user's access changes")
    })
    .await?
}

/// User `user_id`, or [`Missing::User`].
fn known_user(store: &dyn RelayStore, user_id: u64) -> HrResult<HrUser> {
    Ok(store
        .hr_user(user_id)
        .context("reading a user")?
        .ok_or(Missing::User)?
        .0)
}

/// A user's access as an admin reviews it: the user, their unexpired API tokens and the
/// recorded changes of their access, newest first.
#[derive(Debug)]
pub(crate) struct AccessRecord {
    pub user: HrUser,
    pub tokens: Vec<TokenInfo>,
    pub changes: Vec<AccountChangeRecord>,
}

/// User `user_id`'s [`AccessRecord`] (admins only).
pub(crate) async fn user_access_record(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
) -> HrResult<AccessRecord> {
    policy::may_manage_users(&caller.user)?;
    let store = state.store.clone();
    blocking(move || -> HrResult<AccessRecord> {
        Ok(AccessRecord {
            user: known_user(store.as_ref(), user_id)?,
            tokens: store
                .hr_api_tokens(user_id, now_ms())
                .context("listing a user's API tokens")?,
            changes: store
                .hr_account_changes(user_id)
                .context("reading a user's access changes")?,
        })
    })
    .await?
}

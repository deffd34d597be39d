//! HR accounts as a service: logins and sessions, one's own password, and the admins'
//! work on users (the directory, creating users, clearance and its history, assigned
//! events). The JSON API ([`crate::hr::api`]) and the console call the same functions,
//! which ask the policy ([`crate::hr::policy`]) before touching the store. Errors are
//! [`HrError`]s; the handlers turn them into public answers ([`crate::hr::answer`]).

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::connect_info::ConnectInfo;
use axum::http::HeaderValue;

use crate::blocking::blocking;
use crate::hr::accounts::{self, AccountError, HrUser, PasswordHash, Role};
use crate::hr::caller::Caller;
use crate::hr::error::{
    Conflict, Denial, HrError, HrResult, LoginRefusal, Missing, StorageContext,
};
use crate::hr::policy;
use crate::hr::sessions::{self, SESSION_LIFETIME_MS};
use crate::hr::user_access::check_reason;
use crate::state::{AppState, now_ms};
use crate::storage::{
    AccountAction, AccountChange, AccountChangeOutcome, ClearanceChange, Credential,
    CredentialKind, DirectoryEntry,
};

/// Takes event `event_id` from user `user_id`'s assignments (admins only), so they no longer
/// read its registrations; returns the events still assigned. Taking one not assigned
/// changes nothing.
pub(crate) async fn unassign_event_from_recruiter(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
    event_id: String,
) -> HrResult<Vec<String>> {
    let admin = policy::may_manage_users(&caller.user)?.id;
    let store = state.store.clone();
    blocking(move || -> HrResult<Vec<String>> {
        store
            .hr_user(user_id)
            .context("reading a user")?
            .ok_or(Missing::User)?;
        let unassigned = store
            .unassign_hr_event(user_id, &event_id)
            .context("unassigning an event")?;
        if unassigned {
            tracing::info!(
                admin,
                target = user_id,
                event = event_id,
                "event unassigned"
            );
        }
        store
            .hr_assigned_events(user_id)
            .context("reading a user's assigned events")
    })
    .await?
}

/// A new console session for `user`: the `Set-Cookie` value that carries it and its CSRF
/// token (the JSON login answers with both; the console sets the cookie and redirects).
pub(crate) async fn open_session(
    state: &AppState,
    user: &HrUser,
) -> HrResult<(HeaderValue, String)> {
    let secret = sessions::new_secret();
    let csrf = sessions::csrf_token_for(&secret);
    let now = now_ms();
    let credential = Credential {
        kind: CredentialKind::Session,
        user_id: user.id,
        csrf_hash: Some(sessions::secret_hash(&csrf)),
        expires_at: now + SESSION_LIFETIME_MS,
        last_used_at: now,
    };
    let store = state.store.clone();
    let hash = sessions::secret_hash(&secret);
    blocking(move || store.put_hr_credential(&hash, &credential, None, now))
        .await?
        .context("storing a session")?;
    Ok((
        sessions::session_cookie(&secret, state.secure_cookies),
        csrf,
    ))
}

/// How the login limiter names a client: its IP address, or `local` without one.
pub(crate) fn client_address(peer: Option<Extension<ConnectInfo<SocketAddr>>>) -> String {
    peer.map_or_else(|| "local".to_owned(), |p| p.0.0.ip().to_string())
}

/// The user with this username and password, counted by the login limiter: an unknown
/// username costs what a wrong password does, and a success is forgiven.
pub(crate) async fn check_login(
    state: &AppState,
    username: String,
    password: String,
    address: &str,
) -> HrResult<HrUser> {
    let checked = check_login_uncounted(state, username, password, address).await;
    state.observe.metrics.login(match &checked {
        Ok(_) => "ok",
        Err(HrError::Login(LoginRefusal::RateLimited(_))) => "locked",
        Err(HrError::Login(LoginRefusal::Disabled)) => "disabled",
        Err(HrError::Login(LoginRefusal::WrongCredentials)) => "failed",
        Err(_) => "error",
    });
    checked
}

/// [`check_login`] before the metrics count its outcome.
async fn check_login_uncounted(
    state: &AppState,
    username: String,
    password: String,
    address: &str,
) -> HrResult<HrUser> {
    let now = now_ms();
    // Counted before anything costly: the store's count is one statement, a password check
    // is Argon2id.
    let (store, limiter) = (state.store.clone(), state.login_failures.clone());
    let (counted_name, counted_address) = (username.clone(), address.to_owned());
    blocking(move || limiter.begin_attempt(store.as_ref(), &counted_name, &counted_address, now))
        .await?
        .context("counting a login attempt")?
        .map_err(LoginRefusal::RateLimited)?;
    // No account has such a name (the rules are public, so refusing it at once tells
    // nothing): it costs no password check.
    if accounts::check_username(&username).is_err() {
        return Err(LoginRefusal::WrongCredentials.into());
    }
    let store = state.store.clone();
    let lookup = username.clone();
    let user = state
        .password_checks
        .run(move || {
            let found = store
                .hr_user_by_username(&lookup)
                .context("reading a user by username")?;
            login_outcome(found, &password)
        })
        .await??
        .ok_or(LoginRefusal::WrongCredentials)?;
    let (store, limiter, address) = (
        state.store.clone(),
        state.login_failures.clone(),
        address.to_owned(),
    );
    // The login stands if forgiving fails: the attempt stays counted, nothing worse.
    if let Err(error) =
        blocking(move || limiter.forgive(store.as_ref(), &username, &address)).await?
    {
        tracing::warn!(error = %error, "a successful login's attempt was not forgiven");
    }
    tracing::info!(user = user.id, "HR login");
    Ok(user)
}

/// Who logs in with `password` as the user `found` by username: one password check
/// whether or not the user exists, so neither the time nor the cost tells the two apart.
fn login_outcome(
    found: Option<(HrUser, PasswordHash)>,
    password: &str,
) -> HrResult<Option<HrUser>> {
    let Some((user, hash)) = found else {
        PasswordHash::waste_a_check(password);
        return Ok(None);
    };
    if !hash.matches(password) {
        return Ok(None);
    }
    // Told only to whoever knows the password: the account is disabled.
    if user.disabled {
        return Err(LoginRefusal::Disabled.into());
    }
    Ok(Some(user))
}

/// Ends the caller's session (or revokes the token it called with).
pub(crate) async fn end_session(state: &AppState, caller: Caller) -> HrResult<()> {
    let store = state.store.clone();
    blocking(move || store.delete_hr_credential(&caller.secret_hash))
        .await?
        .context("ending a session")?;
    Ok(())
}

/// Replaces user `id`'s password after checking the current one, ending every session and
/// token of theirs.
pub(crate) async fn set_own_password(
    state: &AppState,
    id: u64,
    current_password: String,
    new_password: String,
) -> HrResult<()> {
    accounts::check_password(&new_password)?;
    if new_password == current_password {
        return Err(AccountError::SamePassword.into());
    }
    let store = state.store.clone();
    state
        .password_checks
        .run(move || -> HrResult<()> {
            let (_, hash) = store
                .hr_user(id)
                .context("reading a user")?
                .ok_or(Missing::User)?;
            if !hash.matches(&current_password) {
                return Err(LoginRefusal::WrongCredentials.into());
            }
            store
                .set_hr_password(id, &PasswordHash::new(&new_password), false)
                .context("setting a password")?;
            Ok(())
        })
        .await?
}

/// The user directory, by username (admins only).
pub(crate) async fn user_directory(
    state: &AppState,
    caller: &Caller,
) -> HrResult<Vec<DirectoryEntry>> {
    policy::may_manage_users(&caller.user)?;
    let store = state.store.clone();
    blocking(move || store.hr_directory())
        .await?
        .context("reading the user directory")
}

/// Creates a user with `roles` (by name) and a one-time password to show once (admins
/// only). Refusals: a role that does not exist ([`HrError::UnknownRole`]), the account
/// rules, a taken username.
pub(crate) async fn create_hr_user(
    state: &AppState,
    caller: &Caller,
    username: String,
    display_name: String,
    roles: &[String],
) -> HrResult<(HrUser, String)> {
    let admin = policy::may_manage_users(&caller.user)?.id;
    let roles: Vec<Role> = roles
        .iter()
        .map(|r| Role::parse(r).ok_or_else(|| HrError::UnknownRole(r.clone())))
        .collect::<Result<_, _>>()?;
    let store = state.store.clone();
    let (user, one_time) = blocking(move || {
        crate::hr::provision_user_by(
            store.as_ref(),
            Some(admin),
            &username,
            &display_name,
            roles,
            now_ms(),
        )
    })
    .await??;
    tracing::info!(admin, user = user.id, "HR user created");
    Ok((user, one_time))
}

/// Grants or withdraws user `id`'s restricted clearance (admins only, as
/// [`crate::hr::policy::may_set_clearance`] allows), recording who changed it and when.
/// Every change is recorded as an access change and access-logged, in one transaction; a
/// grant needs a `reason` (1–500 characters, [`check_reason`]), a withdrawal may have one.
pub(crate) async fn set_user_clearance(
    state: &AppState,
    caller: &Caller,
    id: u64,
    restricted_clearance: bool,
    reason: Option<String>,
) -> HrResult<HrUser> {
    let admin = policy::may_manage_users(&caller.user)?;
    if admin.id == id {
        return Err(AccountError::SelfGrant.into());
    }
    // Access to protected personal data is granted only with a reason, by API as in the
    // console; a withdrawal may give one.
    let reason = check_reason(reason.as_deref(), restricted_clearance)?;
    let store = state.store.clone();
    let actor = admin.id;
    let actor_name = admin.accessor_name();
    blocking(move || -> HrResult<HrUser> {
        let target = store
            .hr_user_origin(id)
            .context("reading a user's origin")?
            .ok_or(Missing::User)?;
        // The caller was read with their credential; users are never deleted.
        let by = store
            .hr_user_origin(actor)
            .context("reading a user's origin")?
            .ok_or(Denial::NotLoggedIn)?;
        // `created_by` never changes once written, so the check holds for the change.
        policy::may_set_clearance(by, target)?;
        // Always an access change, logged in the same transaction: a grant with its reason.
        let change = AccountChange {
            user_id: id,
            action: if restricted_clearance {
                AccountAction::GrantClearance
            } else {
                AccountAction::RemoveClearance
            },
            reason,
            by_user: Some(actor),
            by_name: actor_name,
            at: now_ms(),
        };
        match store
            .change_hr_account(&change)
            .context("changing a user's clearance")?
        {
            // Unchanged: the clearance already is what was asked.
            AccountChangeOutcome::Done | AccountChangeOutcome::Unchanged => {}
            AccountChangeOutcome::NoSuchUser | AccountChangeOutcome::NoSuchToken => {
                return Err(Missing::User.into());
            }
            AccountChangeOutcome::LastAdmin => return Err(Conflict::LastAdmin.into()),
        }
        tracing::info!(
            actor,
            target = id,
            restricted_clearance,
            "clearance changed"
        );
        Ok(store
            .hr_user(id)
            .context("reading a user")?
            .ok_or(Missing::User)?
            .0)
    })
    .await?
}

/// The changes of user `id`'s clearance, newest first (admins only).
pub(crate) async fn user_clearance_history(
    state: &AppState,
    caller: &Caller,
    id: u64,
) -> HrResult<Vec<ClearanceChange>> {
    policy::may_manage_users(&caller.user)?;
    let store = state.store.clone();
    blocking(move || -> HrResult<Vec<ClearanceChange>> {
        store
            .hr_user_origin(id)
            .context("reading a user's origin")?
            .ok_or(Missing::User)?;
        store
            .hr_clearance_history(id)
            .context("reading a user's clearance history")
    })
    .await?
}

/// Assigns event `event_id` to recruiter `user_id` (admins only); returns the recruiter's
/// assigned events. Assigning it again changes nothing.
pub(crate) async fn assign_event_to_recruiter(
    state: &AppState,
    caller: &Caller,
    user_id: u64,
    event_id: String,
) -> HrResult<Vec<String>> {
    let admin = policy::may_manage_users(&caller.user)?.id;
    let store = state.store.clone();
    blocking(move || -> HrResult<Vec<String>> {
        let event = kiosk_core::ids::EventId::parse(&event_id).ok_or(Missing::Event)?;
        store
            .event(&event)
            .context("reading an event")?
            .ok_or(Missing::Event)?;
        let (user, _) = store
            .hr_user(user_id)
            .context("reading a user")?
            .ok_or(Missing::User)?;
        // Archivists read every event and admins none: only a recruiter's reading
        // depends on the assignment.
        if !policy::may_be_assigned_events(&user) {
            return Err(Conflict::NotARecruiter.into());
        }
        let assigned = store
            .assign_hr_event(user_id, &event_id)
            .context("assigning an event")?;
        if !assigned {
            return Err(Missing::User.into());
        }
        tracing::info!(admin, target = user_id, event = event_id, "event assigned");
        store
            .hr_assigned_events(user_id)
            .context("reading a user's assigned events")
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SqliteStore;
    use crate::storage::prelude::*;

    #[test]
    fn a_login_costs_one_password_check_whether_or_not_the_user_exists() {
        let store = SqliteStore::in_memory().expect("store");
        let (_, password) =
            crate::hr::provision_user(&store, "anna", "Anna", vec![Role::Recruiter], 0)
                .expect("created");
        let found = || store.hr_user_by_username("anna").expect("reads");
        for (found, given) in [
            (found(), "wrong password here"),
            (found(), password.as_str()),
            (None, "wrong password here"),
        ] {
            let before = accounts::password_hashes_on_this_thread();
            let _ = login_outcome(found, given);
            assert_eq!(accounts::password_hashes_on_this_thread() - before, 1);
        }
    }
}

//! Central HR at the relay: accounts with roles and the *restricted* clearance
//! ([`accounts`]), console sessions and API tokens ([`sessions`]), and the JSON API
//! ([`api`]; registrations in [`registrations_api`], bulk exports in [`export`]; its route table
//! in [`routes`]), and the console's HTML pages over the same code ([`console`]). Every
//! request names its caller through [`caller::Caller`].
//!
//! Layers, each knowing only those below it: handlers (the JSON API's `*_api` modules and
//! handler functions, and [`console`]'s pages) read a request, call a service and answer;
//! services ([`account_service`], [`user_access`], [`retention`], `record_reading`,
//! `record_access` and the domain functions of the topic modules) ask the access policy
//! (`policy`: who may do what, for which event and clearance; nothing else decides a
//! role) and then the store. Services return [`error::HrError`]; [`answer`] is the one
//! place it becomes the public [`crate::error::AppError`]. Nothing outside [`console`]
//! imports it.

pub mod access_log;
pub mod access_log_api;
pub mod account_service;
pub mod accounts;
pub mod answer;
pub mod api;
pub mod caller;
pub mod console;
pub mod dates;
pub mod device_names;
pub mod devices;
pub mod devices_api;
pub mod disclosure;
pub mod documents_api;
pub(crate) mod duplicates;
pub mod error;
pub mod events;
pub mod events_api;
pub mod export;
pub mod export_api;
pub(crate) mod handler_names;
pub(crate) mod labels;
pub mod language;
pub(crate) mod list_choices;
pub(crate) mod params;
pub(crate) mod plural;
pub(crate) mod policy;
pub mod printable;
pub mod provenance;
pub mod provenance_api;
pub mod quarantine;
pub mod quarantine_api;
pub(crate) mod quarantine_content;
pub mod reconciliation;
pub(crate) mod record_access;
pub mod record_edits;
pub(crate) mod record_reading;
pub(crate) mod registration_lists;
pub mod registrations_api;
pub mod retention;
pub mod retention_api;
pub mod routes;
pub mod sessions;
pub mod subject_access;
pub mod user_access;
pub mod user_access_api;
pub(crate) mod visitor_requests;
pub mod visitor_requests_api;
pub mod wording;

use crate::storage::{Credential, CredentialKind, NewHrUser, RelayStore, StorageResult};
use accounts::{AccountError, HrUser, PasswordHash, Role};
use error::{Conflict, HrResult, Missing, StorageContext};

/// Creates an HR user created by no admin (the command line's `create-admin`, the demo,
/// tests), as [`provision_user_by`] does.
pub fn provision_user(
    store: &dyn RelayStore,
    username: &str,
    display_name: &str,
    roles: Vec<Role>,
    at: i64,
) -> HrResult<(HrUser, String)> {
    provision_user_by(store, None, username, display_name, roles, at)
}

/// Creates an HR user with a one-time password, which they must replace at their first
/// login, recording `creator` (the admin who creates them; `None` for no admin) for the
/// clearance rule ([`policy::may_set_clearance`]); returns the user and the password, to
/// be shown once. Blocking (Argon2id).
pub fn provision_user_by(
    store: &dyn RelayStore,
    creator: Option<u64>,
    username: &str,
    display_name: &str,
    roles: Vec<Role>,
    at: i64,
) -> HrResult<(HrUser, String)> {
    accounts::check_username(username)?;
    accounts::check_display_name(display_name)?;
    if roles.is_empty() {
        return Err(AccountError::NoRole.into());
    }
    let one_time = accounts::one_time_password();
    let new_user = NewHrUser {
        username: username.to_owned(),
        display_name: display_name.trim().to_owned(),
        roles,
        password: PasswordHash::new(&one_time),
        must_change_password: true,
        created_by: creator,
    };
    let id = store
        .create_hr_user(&new_user, at)
        .context("creating a user")?
        .ok_or(Conflict::UsernameTaken)?;
    let user = store
        .hr_user(id)
        .context("reading a new user")?
        .ok_or(Missing::User)?
        .0;
    Ok((user, one_time))
}

/// Issues user `user_id` an API token labelled `label`, valid from `now` until `expires_at`;
/// returns the token, to be shown once (the store keeps only its hash). Blocking.
pub fn issue_api_token(
    store: &dyn RelayStore,
    user_id: u64,
    label: &str,
    now: i64,
    expires_at: i64,
) -> StorageResult<String> {
    let token = sessions::new_secret();
    let credential = Credential {
        kind: CredentialKind::ApiToken,
        user_id,
        csrf_hash: None,
        expires_at,
        last_used_at: now,
    };
    store.put_hr_credential(
        &sessions::secret_hash(&token),
        &credential,
        Some(label),
        now,
    )?;
    Ok(token)
}

/// Gives an existing user a new one-time password (ending their sessions and tokens).
pub fn reset_to_one_time_password(
    store: &dyn RelayStore,
    username: &str,
) -> HrResult<(HrUser, String)> {
    let (user, _) = store
        .hr_user_by_username(username)
        .context("reading a user by username")?
        .ok_or(Missing::User)?;
    let one_time = accounts::one_time_password();
    store
        .set_hr_password(user.id, &PasswordHash::new(&one_time), true)
        .context("setting a one-time password")?;
    Ok((user, one_time))
}

/// Makes HR user `username` a recruiter assigned to `event_id`, creating them (as no admin)
/// if missing, so a staff code may name them: for tests and benches that enroll staff
/// tablets. Panics if an existing user cannot be (disabled, or without the recruiter role).
#[doc(hidden)]
pub fn recruiter_for_tests(store: &dyn RelayStore, username: &str, event_id: &str) -> HrUser {
    let user = match store.hr_user_by_username(username).expect("reads") {
        Some((user, _)) => user,
        None => {
            provision_user(store, username, username, vec![Role::Recruiter], 0)
                .expect("a recruiter")
                .0
        }
    };
    assert!(
        policy::may_have_a_tablet_act_for_them(&user),
        "{username} is not an enabled recruiter"
    );
    store.assign_hr_event(user.id, event_id).expect("assigned");
    user
}

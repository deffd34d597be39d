//! The record-access policy: who may list, read, edit, withdraw a consent on, hold and
//! export registrations, for which event and clearance. The JSON API and the console both
//! ask here, and the console shows an action only where this says it may be done, so no
//! page decides a role of its own. Refusals are the API's (`missing_role`, `not_assigned`,
//! `restricted`); how a refused read is logged and worded is the caller's
//! ([`crate::hr::record_access::reachable_record`]).
//!
//! Roles: recruiters read and edit the records of their assigned events; archivists read
//! every event's records and edit none, hold them and export them; a record of a visitor
//! with protected personal data needs the *restricted* clearance as well. Every role
//! waits until the user has chosen their own password.

use crate::error::AppError;
use crate::hr::accounts::{HrUser, Role};
use crate::storage::{RegistrationFilter, RelayStore};

/// Who may reach a record of an event, restricted or not: [`may_read`] or [`may_edit`].
pub(crate) type RecordRule = fn(&dyn RelayStore, &HrUser, &str, bool) -> Result<(), AppError>;

/// `user` if they have chosen their own password.
fn own_password(user: &HrUser) -> Result<&HrUser, AppError> {
    if user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(user)
}

/// Whether `user` may read registrations at all (which ones is [`may_read`]'s question):
/// a recruiter or an archivist who has chosen their own password.
pub(crate) fn require_reader(user: &HrUser) -> Result<(), AppError> {
    if !(own_password(user)?.has(Role::Recruiter) || user.has(Role::Archivist)) {
        return Err(AppError::MissingRole(Role::Recruiter.as_str()));
    }
    Ok(())
}

/// Whether `user` may edit registrations at all (which ones is [`may_edit`]'s question):
/// a recruiter who has chosen their own password.
pub(crate) fn require_editor(user: &HrUser) -> Result<(), AppError> {
    require_role(user, Role::Recruiter).map(|_| ())
}

/// Whether `user` may record that a visitor withdrew their talent-pool consent at all
/// (which records is [`may_read`]'s question): a recruiter or an archivist.
pub(crate) fn require_withdrawer(user: &HrUser) -> Result<(), AppError> {
    require_reader(user)
}

/// Whether `user` may place and lift legal holds, start retention runs and read
/// retention dates: an archivist.
pub(crate) fn require_holder(user: &HrUser) -> Result<&HrUser, AppError> {
    require_role(user, Role::Archivist)
}

/// Whether `user` may export registrations in bulk, answer subject-access requests and
/// make disclosure exports: an archivist.
pub(crate) fn require_exporter(user: &HrUser) -> Result<&HrUser, AppError> {
    require_role(user, Role::Archivist)
}

fn require_role(user: &HrUser, role: Role) -> Result<&HrUser, AppError> {
    if !own_password(user)?.has(role) {
        return Err(AppError::MissingRole(role.as_str()));
    }
    Ok(user)
}

/// Narrows `filter` to what `user` may list: a recruiter's assigned events only, and never
/// restricted records (the restricted inbox lists those).
pub(crate) fn narrow_to_readable(
    store: &dyn RelayStore,
    user: &HrUser,
    filter: &mut RegistrationFilter,
) -> Result<(), AppError> {
    // Protected records are listed only in the restricted inbox, even for cleared users: a
    // general list or search is seen over shoulders and copied into notes.
    filter.include_restricted = false;
    if !user.has(Role::Archivist) {
        let assigned = store.hr_assigned_events(user.id)?;
        filter.events = Some(match filter.events.take() {
            // Asking for an event not assigned is an empty list, not a refusal.
            Some(asked) => asked.into_iter().filter(|e| assigned.contains(e)).collect(),
            None => assigned,
        });
    }
    Ok(())
}

/// The events whose restricted records `user` may list in the restricted inbox (`None`:
/// every event): a reader with the clearance, of their assigned events unless an
/// archivist.
pub(crate) fn restricted_inbox_events(
    store: &dyn RelayStore,
    user: &HrUser,
) -> Result<Option<Vec<String>>, AppError> {
    require_reader(user)?;
    if !user.restricted_clearance {
        return Err(AppError::Restricted);
    }
    Ok(if user.has(Role::Archivist) {
        None
    } else {
        Some(store.hr_assigned_events(user.id)?)
    })
}

/// Whether `user` may read a record of `event_id`, `restricted` or not; a refusal is for
/// the access log as well as the caller.
pub(crate) fn may_read(
    store: &dyn RelayStore,
    user: &HrUser,
    event_id: &str,
    restricted: bool,
) -> Result<(), AppError> {
    if !user.has(Role::Archivist) {
        require_assigned(store, user, event_id)?;
    }
    require_clearance(user, restricted)
}

/// Whether `user` may edit (notes, their rating, status) a record of `event_id`,
/// `restricted` or not: as [`may_read`], but only through an assignment, since archivists
/// read every record and edit none. A refusal is for the access log as well as the caller.
pub(crate) fn may_edit(
    store: &dyn RelayStore,
    user: &HrUser,
    event_id: &str,
    restricted: bool,
) -> Result<(), AppError> {
    require_assigned(store, user, event_id)?;
    require_clearance(user, restricted)
}

fn require_assigned(store: &dyn RelayStore, user: &HrUser, event_id: &str) -> Result<(), AppError> {
    if store
        .hr_assigned_events(user.id)?
        .iter()
        .any(|e| e == event_id)
    {
        Ok(())
    } else {
        Err(AppError::NotAssigned)
    }
}

pub(crate) fn require_clearance(user: &HrUser, restricted: bool) -> Result<(), AppError> {
    if restricted && !user.restricted_clearance {
        return Err(AppError::Restricted);
    }
    Ok(())
}

/// What a reader of a record may do to it from the record's page: hold it (archivists),
/// and record a consent's withdrawal (whoever may withdraw, when a consent was given).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordActions {
    pub hold: bool,
    pub withdraw: bool,
}

/// The actions of [`RecordActions`] open to `user` on a record they read, whose visitor
/// `opted_in` to the talent pool or not.
pub(crate) fn record_actions(user: &HrUser, opted_in: bool) -> RecordActions {
    RecordActions {
        hold: require_holder(user).is_ok(),
        withdraw: opted_in && require_withdrawer(user).is_ok(),
    }
}

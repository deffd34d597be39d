//! The access policy of HR: who may list, read, edit, withdraw a consent on, hold and
//! export registrations, for which event and clearance, and who may manage users, devices
//! and events, review quarantine, read the access log and reconcile. The JSON API and the
//! console both ask here, and the console shows an action or a menu entry only where this
//! says it may be done, so no page or handler decides a role of its own. Refusals are
//! [`Denial`]s (answered as `missing_role`, `password_change_required`, `not_assigned`,
//! `restricted`); how a refused read is logged and worded is the caller's
//! ([`crate::hr::record_access::reachable_record`]).
//!
//! Roles: recruiters read and edit the records of their assigned events; archivists read
//! every event's records and edit none, hold them, export them, answer subject-access and
//! disclosure requests, review quarantine and read the access log; admins manage users,
//! devices and events; admins and archivists reconcile. A record of a visitor with
//! protected personal data needs the *restricted* clearance as well. Every role waits
//! until the user has chosen their own password.

use crate::hr::accounts::{AccountError, AccountOrigin, HrUser, Role};
use crate::hr::error::{Denial, HrError, StorageContext};
use crate::storage::{RegistrationFilter, RelayStore};

/// Who may reach a record of an event, restricted or not: [`may_read`] or [`may_edit`].
pub(crate) type RecordRule = fn(&dyn RelayStore, &HrUser, &str, bool) -> Result<(), HrError>;

/// A question about what `user` may do at all, as [`may_manage_users`] and the others ask
/// it: for a long answer that asks again as it goes ([`crate::hr::caller::Caller::still_may`]).
pub(crate) type Question = for<'a> fn(&'a HrUser) -> Result<&'a HrUser, Denial>;

/// `user` if they have chosen their own password.
fn own_password(user: &HrUser) -> Result<&HrUser, Denial> {
    if user.must_change_password {
        return Err(Denial::PasswordChangeRequired);
    }
    Ok(user)
}

fn require_role(user: &HrUser, role: Role) -> Result<&HrUser, Denial> {
    if !own_password(user)?.has(role) {
        return Err(Denial::MissingRole(role.as_str()));
    }
    Ok(user)
}

/// Whether `user` may read registrations at all (which ones is [`may_read`]'s question):
/// a recruiter or an archivist who has chosen their own password.
pub(crate) fn require_reader(user: &HrUser) -> Result<&HrUser, Denial> {
    if !(own_password(user)?.has(Role::Recruiter) || user.has(Role::Archivist)) {
        return Err(Denial::MissingRole(Role::Recruiter.as_str()));
    }
    Ok(user)
}

/// Whether `user` may edit registrations at all (which ones is [`may_edit`]'s question):
/// a recruiter who has chosen their own password.
pub(crate) fn require_editor(user: &HrUser) -> Result<&HrUser, Denial> {
    require_role(user, Role::Recruiter)
}

/// Whether `user` may record that a visitor withdrew their talent-pool consent at all
/// (which records is [`may_read`]'s question): a recruiter or an archivist.
pub(crate) fn require_withdrawer(user: &HrUser) -> Result<&HrUser, Denial> {
    require_reader(user)
}

/// Whether `user` may place and lift legal holds, start retention runs and read
/// retention dates: an archivist.
pub(crate) fn require_holder(user: &HrUser) -> Result<&HrUser, Denial> {
    require_role(user, Role::Archivist)
}

/// Whether `user` may export registrations in bulk, answer subject-access requests and
/// make disclosure exports: an archivist.
pub(crate) fn require_exporter(user: &HrUser) -> Result<&HrUser, Denial> {
    require_role(user, Role::Archivist)
}

/// Whether `user` may act at all beyond changing their own password (open an API token,
/// for one): whoever has chosen their own password.
pub(crate) fn may_act(user: &HrUser) -> Result<&HrUser, Denial> {
    own_password(user)
}

/// Why an admin may not grant or withdraw another user's clearance, if they may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClearanceBlock {
    /// Their own: no one raises their own access.
    Own,
    /// An account the admin created.
    CreatedByThem,
    /// The account that created the admin's.
    TheirCreator,
}

/// Whether the admin `actor` may grant or withdraw `target`'s restricted clearance ([`may_manage_users`]
/// decides that they are an admin); `None` if they may.
///
/// The clearance is the one thing no user can give themselves, and an admin controls more
/// than their own account: they choose the one-time password of every account they create
/// (and so can log in as it), and the admin who created them did the same for them. So
/// besides never their own ([`ClearanceBlock::Own`]), an admin may not set the
/// clearance of an account they created, nor of the account that created theirs, in
/// either direction ([`ClearanceBlock::CreatedByThem`], [`ClearanceBlock::TheirCreator`]): a second admin account made by
/// the first cannot grant its maker the clearance, and the maker cannot grant it to a
/// puppet account and use that. It takes an admin of other origin.
///
/// This rule looks one step along `created_by`, no further. An admin who creates several
/// accounts can still chain them (A creates B and C, logs in as B and grants C; or A
/// creates B, B creates C, and C grants A). Such chains are not refused but cannot hide:
/// every account shows who created it, and every clearance change is recorded in the same
/// transaction with who made it and when (`GET /api/v1/users`, with `created_by` and
/// `clearance_granted_by`, and `GET /api/v1/users/{id}/clearance-history`), for the
/// other admins and auditors to review.
pub(crate) fn clearance_block(
    actor: AccountOrigin,
    target: AccountOrigin,
) -> Option<ClearanceBlock> {
    if actor.id == target.id {
        Some(ClearanceBlock::Own)
    } else if target.created_by == Some(actor.id) {
        Some(ClearanceBlock::CreatedByThem)
    } else if actor.created_by == Some(target.id) {
        Some(ClearanceBlock::TheirCreator)
    } else {
        None
    }
}

/// [`clearance_block`] as the account rule it answers with.
pub(crate) fn may_set_clearance(
    actor: AccountOrigin,
    target: AccountOrigin,
) -> Result<(), AccountError> {
    match clearance_block(actor, target) {
        None => Ok(()),
        Some(ClearanceBlock::Own) => Err(AccountError::SelfGrant),
        Some(ClearanceBlock::CreatedByThem | ClearanceBlock::TheirCreator) => {
            Err(AccountError::CreatorGrant)
        }
    }
}

/// Whether `user` may list, create and change HR users, their roles, clearance, tokens
/// and assigned events: an admin.
pub(crate) fn may_manage_users(user: &HrUser) -> Result<&HrUser, Denial> {
    require_role(user, Role::Admin)
}

/// Whether `user` may list, name, revoke and unlock tablets and make enrollment codes: an
/// admin.
pub(crate) fn may_manage_devices(user: &HrUser) -> Result<&HrUser, Denial> {
    require_role(user, Role::Admin)
}

/// Whether `user` may create, edit, publish and close events: an admin.
pub(crate) fn may_manage_events(user: &HrUser) -> Result<&HrUser, Denial> {
    require_role(user, Role::Admin)
}

/// Whether `user` may review quarantined captures (read them, accept or reject them): an
/// archivist, who answers for the records.
pub(crate) fn may_review_quarantine(user: &HrUser) -> Result<&HrUser, Denial> {
    require_role(user, Role::Archivist)
}

/// Whether `user` may read, verify and export the access log: an archivist (which entries
/// is [`sees_restricted`]'s question).
pub(crate) fn may_read_access_log(user: &HrUser) -> Result<&HrUser, Denial> {
    require_role(user, Role::Archivist)
}

/// Whether `user` may reconcile what tablets captured against what the relay received,
/// and read closing reports: an admin (who manages the tablets) or an archivist (who
/// answers for the records).
pub(crate) fn may_reconcile(user: &HrUser) -> Result<&HrUser, Denial> {
    if own_password(user)?.has(Role::Admin) || user.has(Role::Archivist) {
        Ok(user)
    } else {
        Err(Denial::MissingRole("admin or archivist"))
    }
}

/// Whether `user` is shown what concerns visitors with protected personal data where a
/// list mixes them with others (access-log entries, legal holds, subject-access and
/// disclosure answers): only with the clearance; without it such entries are left out.
pub(crate) fn sees_restricted(user: &HrUser) -> bool {
    user.restricted_clearance
}

/// Whether events may be assigned to `user`: recruiters only, since archivists read every
/// event and admins none.
pub(crate) fn may_be_assigned_events(user: &HrUser) -> bool {
    user.has(Role::Recruiter)
}

/// Whether a staff code may name `user` as the recruiter a tablet acts for: an enabled
/// recruiter (the code's event must be assigned to them as well).
pub(crate) fn may_have_a_tablet_act_for_them(user: &HrUser) -> bool {
    may_be_assigned_events(user) && !user.disabled
}

/// Where a user's work starts: the password page while on a one-time password,
/// registrations for readers, events for an admin who reads none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Home {
    Password,
    Registrations,
    Events,
}

/// The first page of `user`'s work ([`Home`]).
pub(crate) fn home(user: &HrUser) -> Home {
    if own_password(user).is_err() {
        Home::Password
    } else if user.has(Role::Admin) && !user.has(Role::Recruiter) && !user.has(Role::Archivist) {
        Home::Events
    } else {
        Home::Registrations
    }
}

/// What `user` may reach at all, as the console's menu offers it: each field is one of the
/// questions above, so the menu and the pages cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Reach {
    pub registrations: bool,
    pub restricted_inbox: bool,
    pub users: bool,
    pub devices: bool,
    pub events: bool,
    pub export: bool,
    pub quarantine: bool,
    pub access_log: bool,
    pub retention: bool,
    pub subject_access: bool,
    pub disclosure: bool,
    pub reconciliation: bool,
}

/// [`Reach`] for `user`.
pub(crate) fn reach(user: &HrUser) -> Reach {
    Reach {
        registrations: require_reader(user).is_ok(),
        restricted_inbox: may_list_restricted(user).is_ok(),
        users: may_manage_users(user).is_ok(),
        devices: may_manage_devices(user).is_ok(),
        events: may_manage_events(user).is_ok(),
        export: require_exporter(user).is_ok(),
        quarantine: may_review_quarantine(user).is_ok(),
        access_log: may_read_access_log(user).is_ok(),
        retention: require_holder(user).is_ok(),
        subject_access: require_exporter(user).is_ok(),
        disclosure: require_exporter(user).is_ok(),
        reconciliation: may_reconcile(user).is_ok(),
    }
}

/// Whether `user` may open the restricted inbox at all (which events is
/// [`restricted_inbox_events`]'s question): a reader with the clearance.
pub(crate) fn may_list_restricted(user: &HrUser) -> Result<&HrUser, Denial> {
    require_reader(user)?;
    require_clearance(user, true)?;
    Ok(user)
}

/// Narrows `filter` to what `user` may list: a recruiter's assigned events only, and never
/// restricted records (the restricted inbox lists those).
pub(crate) fn narrow_to_readable(
    store: &dyn RelayStore,
    user: &HrUser,
    filter: &mut RegistrationFilter,
) -> Result<(), HrError> {
    // Protected records are listed only in the restricted inbox, even for cleared users: a
    // general list or search is seen over shoulders and copied into notes.
    filter.include_restricted = false;
    if !user.has(Role::Archivist) {
        let assigned = store
            .hr_assigned_events(user.id)
            .context("reading a user's assigned events")?;
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
) -> Result<Option<Vec<String>>, HrError> {
    may_list_restricted(user)?;
    Ok(if user.has(Role::Archivist) {
        None
    } else {
        Some(
            store
                .hr_assigned_events(user.id)
                .context("reading a user's assigned events")?,
        )
    })
}

/// Whether `user` may read a record of `event_id`, `restricted` or not; a refusal is for
/// the access log as well as the caller.
pub(crate) fn may_read(
    store: &dyn RelayStore,
    user: &HrUser,
    event_id: &str,
    restricted: bool,
) -> Result<(), HrError> {
    if !user.has(Role::Archivist) {
        require_assigned(store, user, event_id)?;
    }
    Ok(require_clearance(user, restricted)?)
}

/// Whether `user` may edit (notes, their rating, status) a record of `event_id`,
/// `restricted` or not: as [`may_read`], but only through an assignment, since archivists
/// read every record and edit none. A refusal is for the access log as well as the caller.
pub(crate) fn may_edit(
    store: &dyn RelayStore,
    user: &HrUser,
    event_id: &str,
    restricted: bool,
) -> Result<(), HrError> {
    require_assigned(store, user, event_id)?;
    Ok(require_clearance(user, restricted)?)
}

fn require_assigned(store: &dyn RelayStore, user: &HrUser, event_id: &str) -> Result<(), HrError> {
    if store
        .hr_assigned_events(user.id)
        .context("reading a user's assigned events")?
        .iter()
        .any(|e| e == event_id)
    {
        Ok(())
    } else {
        Err(Denial::NotAssigned.into())
    }
}

/// Whether `user` may see a record that is `restricted` or not: the clearance for a
/// restricted one.
pub(crate) fn require_clearance(user: &HrUser, restricted: bool) -> Result<(), Denial> {
    if restricted && !sees_restricted(user) {
        return Err(Denial::Restricted);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SqliteStore;
    use crate::storage::prelude::*;

    fn user(roles: &[Role]) -> HrUser {
        HrUser {
            id: 1,
            username: "u".into(),
            display_name: "U".into(),
            roles: roles.to_vec(),
            restricted_clearance: false,
            must_change_password: false,
            disabled: false,
        }
    }

    fn cleared(mut user: HrUser) -> HrUser {
        user.restricted_clearance = true;
        user
    }

    fn on_one_time_password(mut user: HrUser) -> HrUser {
        user.must_change_password = true;
        user
    }

    const ADMIN: &[Role] = &[Role::Admin];
    const RECRUITER: &[Role] = &[Role::Recruiter];
    const ARCHIVIST: &[Role] = &[Role::Archivist];

    /// Which single roles `question` lets through, and that a one-time password stops
    /// each of them first.
    fn opens_for(question: Question) -> Vec<Role> {
        let mut opened = Vec::new();
        for role in Role::ALL {
            if question(&user(&[role])).is_ok() {
                opened.push(role);
                assert_eq!(
                    question(&on_one_time_password(user(&[role]))).err(),
                    Some(Denial::PasswordChangeRequired),
                    "{role:?} on a one-time password"
                );
            }
        }
        opened
    }

    #[test]
    fn readers_are_recruiters_and_archivists() {
        assert_eq!(
            opens_for(require_reader),
            [Role::Recruiter, Role::Archivist]
        );
        assert_eq!(
            require_reader(&user(ADMIN)).err(),
            Some(Denial::MissingRole("recruiter"))
        );
    }

    #[test]
    fn editors_are_recruiters_only() {
        assert_eq!(opens_for(require_editor), [Role::Recruiter]);
        assert_eq!(
            require_editor(&user(ARCHIVIST)).err(),
            Some(Denial::MissingRole("recruiter"))
        );
    }

    #[test]
    fn withdrawals_are_recorded_by_readers() {
        assert_eq!(
            opens_for(require_withdrawer),
            [Role::Recruiter, Role::Archivist]
        );
    }

    #[test]
    fn holds_and_exports_are_archivists_work() {
        assert_eq!(opens_for(require_holder), [Role::Archivist]);
        assert_eq!(opens_for(require_exporter), [Role::Archivist]);
        assert_eq!(
            require_exporter(&user(RECRUITER)).err(),
            Some(Denial::MissingRole("archivist"))
        );
    }

    #[test]
    fn users_devices_and_events_are_managed_by_admins() {
        assert_eq!(opens_for(may_manage_users), [Role::Admin]);
        assert_eq!(opens_for(may_manage_devices), [Role::Admin]);
        assert_eq!(opens_for(may_manage_events), [Role::Admin]);
        assert_eq!(
            may_manage_users(&user(ARCHIVIST)).err(),
            Some(Denial::MissingRole("admin"))
        );
    }

    #[test]
    fn quarantine_and_the_access_log_are_archivists_work() {
        assert_eq!(opens_for(may_review_quarantine), [Role::Archivist]);
        assert_eq!(opens_for(may_read_access_log), [Role::Archivist]);
    }

    #[test]
    fn admins_and_archivists_reconcile() {
        assert_eq!(opens_for(may_reconcile), [Role::Admin, Role::Archivist]);
        assert_eq!(
            may_reconcile(&user(RECRUITER)).err(),
            Some(Denial::MissingRole("admin or archivist"))
        );
    }

    #[test]
    fn the_restricted_inbox_needs_a_reader_with_the_clearance() {
        assert_eq!(
            may_list_restricted(&user(RECRUITER)).err(),
            Some(Denial::Restricted)
        );
        assert!(may_list_restricted(&cleared(user(RECRUITER))).is_ok());
        assert!(may_list_restricted(&cleared(user(ARCHIVIST))).is_ok());
        assert_eq!(
            may_list_restricted(&cleared(user(ADMIN))).err(),
            Some(Denial::MissingRole("recruiter"))
        );
    }

    #[test]
    fn restricted_entries_are_seen_only_with_the_clearance() {
        assert!(!sees_restricted(&user(ARCHIVIST)));
        assert!(sees_restricted(&cleared(user(ARCHIVIST))));
        assert_eq!(
            require_clearance(&user(ARCHIVIST), true),
            Err(Denial::Restricted)
        );
        assert_eq!(require_clearance(&user(ARCHIVIST), false), Ok(()));
    }

    #[test]
    fn only_enabled_recruiters_have_events_assigned_and_tablets_act_for_them() {
        assert!(may_be_assigned_events(&user(RECRUITER)));
        assert!(!may_be_assigned_events(&user(ARCHIVIST)));
        assert!(!may_be_assigned_events(&user(ADMIN)));
        assert!(may_have_a_tablet_act_for_them(&user(RECRUITER)));
        let mut disabled = user(RECRUITER);
        disabled.disabled = true;
        assert!(may_be_assigned_events(&disabled));
        assert!(!may_have_a_tablet_act_for_them(&disabled));
    }

    #[test]
    fn acting_at_all_needs_ones_own_password() {
        assert!(may_act(&user(&[])).is_ok());
        assert_eq!(
            may_act(&on_one_time_password(user(ADMIN))).err(),
            Some(Denial::PasswordChangeRequired)
        );
    }

    #[test]
    fn no_admin_sets_the_clearance_of_themselves_their_creator_or_their_creation() {
        let origin = |id, created_by| AccountOrigin { id, created_by };
        let anna = origin(1, None);
        let bo = origin(2, Some(1));
        let cecilia = origin(3, None);
        assert_eq!(clearance_block(anna, anna), Some(ClearanceBlock::Own));
        assert_eq!(
            clearance_block(anna, bo),
            Some(ClearanceBlock::CreatedByThem)
        );
        assert_eq!(
            clearance_block(bo, anna),
            Some(ClearanceBlock::TheirCreator)
        );
        assert_eq!(clearance_block(cecilia, bo), None);
        assert_eq!(may_set_clearance(anna, anna), Err(AccountError::SelfGrant));
        assert_eq!(may_set_clearance(anna, bo), Err(AccountError::CreatorGrant));
        assert_eq!(may_set_clearance(bo, anna), Err(AccountError::CreatorGrant));
        assert_eq!(may_set_clearance(bo, cecilia), Ok(()));
    }

    #[test]
    fn a_one_time_password_starts_at_the_password_page() {
        assert_eq!(home(&on_one_time_password(user(RECRUITER))), Home::Password);
    }

    #[test]
    fn an_admin_without_a_reading_role_starts_at_events() {
        assert_eq!(home(&user(ADMIN)), Home::Events);
        assert_eq!(
            home(&user(&[Role::Admin, Role::Archivist])),
            Home::Registrations
        );
        assert_eq!(home(&user(RECRUITER)), Home::Registrations);
    }

    #[test]
    fn the_menu_offers_exactly_what_the_questions_allow() {
        let admin = reach(&user(ADMIN));
        assert!(admin.users && admin.devices && admin.events && admin.reconciliation);
        assert!(!admin.registrations && !admin.export && !admin.quarantine);
        let archivist = reach(&cleared(user(ARCHIVIST)));
        assert!(archivist.registrations && archivist.restricted_inbox && archivist.export);
        assert!(archivist.quarantine && archivist.access_log && archivist.retention);
        assert!(archivist.subject_access && archivist.disclosure && archivist.reconciliation);
        assert!(!archivist.users && !archivist.devices && !archivist.events);
        let recruiter = reach(&user(RECRUITER));
        assert_eq!(
            recruiter,
            Reach {
                registrations: true,
                ..Reach::default()
            }
        );
        assert_eq!(
            reach(&on_one_time_password(cleared(user(&Role::ALL)))),
            Reach::default()
        );
    }

    fn store_with_assignment(user_id: u64, event: &str) -> SqliteStore {
        let store = SqliteStore::in_memory().expect("store");
        let (made, _) =
            crate::hr::provision_user(&store, "rec", "Rec", RECRUITER.to_vec(), 0).expect("a user");
        assert_eq!(made.id, user_id);
        store.assign_hr_event(user_id, event).expect("assigned");
        store
    }

    #[test]
    fn recruiters_read_and_edit_only_their_events_and_restricted_ones_with_the_clearance() {
        let store = store_with_assignment(1, "ev-a");
        let recruiter = user(RECRUITER);
        assert!(may_read(&store, &recruiter, "ev-a", false).is_ok());
        assert!(may_edit(&store, &recruiter, "ev-a", false).is_ok());
        for rule in [may_read as RecordRule, may_edit] {
            assert!(matches!(
                rule(&store, &recruiter, "ev-b", false),
                Err(HrError::Denied(Denial::NotAssigned))
            ));
            assert!(matches!(
                rule(&store, &recruiter, "ev-a", true),
                Err(HrError::Denied(Denial::Restricted))
            ));
            assert!(rule(&store, &cleared(recruiter.clone()), "ev-a", true).is_ok());
        }
    }

    #[test]
    fn archivists_read_every_event_and_edit_none() {
        let store = store_with_assignment(1, "ev-a");
        let archivist = user(ARCHIVIST);
        assert!(may_read(&store, &archivist, "ev-b", false).is_ok());
        assert!(matches!(
            may_read(&store, &archivist, "ev-b", true),
            Err(HrError::Denied(Denial::Restricted))
        ));
        assert!(matches!(
            may_edit(&store, &archivist, "ev-b", false),
            Err(HrError::Denied(Denial::NotAssigned))
        ));
    }

    #[test]
    fn lists_are_narrowed_to_assigned_events_and_never_hold_restricted_records() {
        let store = store_with_assignment(1, "ev-a");
        let mut filter = RegistrationFilter {
            include_restricted: true,
            events: Some(vec!["ev-a".into(), "ev-b".into()]),
            ..RegistrationFilter::default()
        };
        narrow_to_readable(&store, &cleared(user(RECRUITER)), &mut filter).expect("narrowed");
        assert_eq!(filter.events, Some(vec!["ev-a".to_owned()]));
        assert!(!filter.include_restricted);
        let mut filter = RegistrationFilter::default();
        narrow_to_readable(&store, &user(ARCHIVIST), &mut filter).expect("narrowed");
        assert_eq!(filter.events, None);
        assert_eq!(
            restricted_inbox_events(&store, &cleared(user(RECRUITER))).expect("events"),
            Some(vec!["ev-a".to_owned()])
        );
        assert_eq!(
            restricted_inbox_events(&store, &cleared(user(ARCHIVIST))).expect("events"),
            None
        );
    }

    #[test]
    fn a_record_offers_a_hold_to_archivists_and_a_withdrawal_only_where_consent_was_given() {
        let archivist = record_actions(&user(ARCHIVIST), true);
        assert!(archivist.hold && archivist.withdraw);
        let recruiter = record_actions(&user(RECRUITER), false);
        assert!(!recruiter.hold && !recruiter.withdraw);
    }
}

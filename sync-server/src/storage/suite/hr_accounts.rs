//! HR accounts: users, clearance and its history, credentials (sessions and API tokens),
//! event assignments, the directory, and admins' changes of access with the guard rail that
//! keeps one enabled admin.

use super::fixtures::*;
use crate::storage::{
    AccessAction, AccountAction, AccountChange, AccountChangeOutcome, ClearanceChange, Credential,
    CredentialKind, RelayStore,
};
use crate::storage::{AccountOrigin, Role};

fn credential(kind: CredentialKind, user_id: u64, expires_at: i64) -> Credential {
    Credential {
        kind,
        user_id,
        csrf_hash: (kind == CredentialKind::Session).then_some([4; 32]),
        expires_at,
        last_used_at: 0,
    }
}

fn change(user_id: u64, action: AccountAction, at: i64) -> AccountChange {
    AccountChange {
        user_id,
        action,
        reason: Some("left the agency".into()),
        by_user: None,
        by_name: "operator".into(),
        at,
    }
}

pub(crate) fn a_user_reads_back_by_name_and_id_and_a_taken_username_is_refused(
    store: &dyn RelayStore,
) {
    let mut anna = new_user("anna", vec![Role::Admin, Role::Archivist], None);
    anna.password = password(3);
    let id = store
        .create_hr_user(&anna, 5)
        .expect("stored")
        .expect("new");
    let (user, hash) = store
        .hr_user_by_username("anna")
        .expect("reads")
        .expect("found");
    assert_eq!(user.id, id);
    assert_eq!(
        (user.display_name.as_str(), &user.roles[..]),
        ("User anna", &[Role::Admin, Role::Archivist][..])
    );
    assert!(user.must_change_password && !user.restricted_clearance && !user.disabled);
    assert_eq!(hash, password(3));
    assert_eq!(store.hr_user(id).expect("reads"), Some((user, hash)));
    assert_eq!(store.hr_user(id + 1000).expect("reads"), None);
    assert_eq!(store.hr_user_by_username("nobody").expect("reads"), None);

    let taken = new_user("anna", vec![Role::Recruiter], None);
    assert_eq!(store.create_hr_user(&taken, 6).expect("reads"), None);
    let (kept, _) = store.hr_user(id).expect("reads").expect("found");
    assert_eq!(
        kept.roles,
        [Role::Admin, Role::Archivist],
        "the first user is kept"
    );
}

/// Moved from the SQLite store's `hr_accounts` tests, through the trait.
pub(crate) fn a_clearance_change_is_recorded_with_its_author_and_a_repeat_is_not(
    store: &dyn RelayStore,
) {
    let anna = add_user(store, "anna", vec![Role::Admin], None);
    let bo = add_user(store, "bo", vec![Role::Admin], Some(anna));
    assert_eq!(
        store.hr_user_origin(bo).expect("reads"),
        Some(AccountOrigin {
            id: bo,
            created_by: Some(anna)
        })
    );
    assert_eq!(
        store.hr_user_origin(anna).expect("reads"),
        Some(AccountOrigin {
            id: anna,
            created_by: None
        })
    );
    assert_eq!(store.hr_user_origin(999).expect("reads"), None);

    assert!(
        store
            .change_hr_clearance(bo, true, Some(anna), 10)
            .expect("set")
    );
    assert!(
        store
            .change_hr_clearance(bo, true, Some(anna), 11)
            .expect("set again")
    );
    assert!(
        store
            .change_hr_clearance(bo, false, None, 12)
            .expect("withdrawn")
    );
    assert!(
        !store
            .change_hr_clearance(999, true, Some(anna), 13)
            .expect("no such user")
    );
    let history = store.hr_clearance_history(bo).expect("reads");
    assert_eq!(
        history,
        [
            ClearanceChange {
                seq: 2,
                at: 12,
                by: None,
                granted: false
            },
            ClearanceChange {
                seq: 1,
                at: 10,
                by: Some("anna".into()),
                granted: true
            },
        ]
    );
    assert!(store.hr_clearance_history(anna).expect("reads").is_empty());
    let (bo_now, _) = store.hr_user(bo).expect("reads").expect("found");
    assert!(!bo_now.restricted_clearance);
    // The set-up path records a change with no author.
    assert!(store.set_hr_clearance(anna, true).expect("set"));
    let anna_history = store.hr_clearance_history(anna).expect("reads");
    assert_eq!(anna_history.len(), 1);
    assert_eq!(
        (anna_history[0].by.as_deref(), anna_history[0].granted),
        (None, true)
    );
    assert!(!store.set_hr_clearance(999, true).expect("no such user"));
}

pub(crate) fn a_new_password_ends_every_session_and_token_of_the_user(store: &dyn RelayStore) {
    let rut = add_user(store, "rut", vec![Role::Recruiter], None);
    let bo = add_user(store, "bo", vec![Role::Recruiter], None);
    store
        .put_hr_credential(
            &[1; 32],
            &credential(CredentialKind::Session, rut, 1_000),
            None,
            5,
        )
        .expect("stored");
    store
        .put_hr_credential(
            &[2; 32],
            &credential(CredentialKind::ApiToken, rut, 1_000),
            Some("script"),
            5,
        )
        .expect("stored");
    store
        .put_hr_credential(
            &[3; 32],
            &credential(CredentialKind::Session, bo, 1_000),
            None,
            5,
        )
        .expect("stored");
    assert!(
        store
            .set_hr_password(rut, &password(9), false)
            .expect("set")
    );
    assert!(
        !store
            .set_hr_password(999, &password(9), false)
            .expect("no such user")
    );
    assert!(store.hr_credential(&[1; 32], 10).expect("reads").is_none());
    assert!(store.hr_credential(&[2; 32], 10).expect("reads").is_none());
    assert!(store.hr_api_tokens(rut, 10).expect("reads").is_empty());
    assert!(
        store.hr_credential(&[3; 32], 10).expect("reads").is_some(),
        "another user's session goes on"
    );
    let (user, hash) = store.hr_user(rut).expect("reads").expect("found");
    assert_eq!(hash, password(9));
    assert!(!user.must_change_password);
}

pub(crate) fn a_credential_opens_until_it_expires_or_is_deleted(store: &dyn RelayStore) {
    let rut = add_user(store, "rut", vec![Role::Recruiter], None);
    let session = credential(CredentialKind::Session, rut, 100_000);
    store
        .put_hr_credential(&[1; 32], &session, None, 5)
        .expect("stored");
    let (found, user) = store
        .hr_credential(&[1; 32], 10_000)
        .expect("reads")
        .expect("opens");
    assert_eq!(
        (found.kind, found.user_id, found.csrf_hash),
        (session.kind, rut, session.csrf_hash)
    );
    assert_eq!(found.expires_at, 100_000);
    assert_eq!(user.username, "rut");
    // Each use is recorded (to the second: a burst of requests marks it once): the next
    // read sees the last one.
    let (again, _) = store
        .hr_credential(&[1; 32], 20_000)
        .expect("reads")
        .expect("opens");
    assert_eq!(again.last_used_at, 10_000);
    let (burst, _) = store
        .hr_credential(&[1; 32], 20_500)
        .expect("reads")
        .expect("opens");
    assert_eq!(burst.last_used_at, 20_000);
    let (later, _) = store
        .hr_credential(&[1; 32], 30_000)
        .expect("reads")
        .expect("opens");
    assert_eq!(
        later.last_used_at, 20_000,
        "a use within a second of the last mark is not marked"
    );
    assert!(
        store
            .hr_credential(&[1; 32], 100_000)
            .expect("reads")
            .is_none(),
        "expired"
    );
    assert!(
        store
            .hr_credential(&[1; 32], 50_000)
            .expect("reads")
            .is_none(),
        "and gone"
    );
    assert!(store.hr_credential(&[9; 32], 10).expect("reads").is_none());

    store
        .put_hr_credential(&[2; 32], &session, None, 5)
        .expect("stored");
    store.delete_hr_credential(&[2; 32]).expect("deleted");
    assert!(store.hr_credential(&[2; 32], 10).expect("reads").is_none());
    store
        .delete_hr_credential(&[2; 32])
        .expect("deleting nothing is no error");
}

/// Moved from the SQLite store's `hr_accounts` tests.
pub(crate) fn a_credential_written_after_its_user_was_disabled_never_opens_even_once_enabled(
    store: &dyn RelayStore,
) {
    let arvid = add_user(store, "arvid", vec![Role::Archivist], None);
    let change = |action| AccountChange {
        user_id: arvid,
        action,
        reason: None,
        by_user: None,
        by_name: "operator".into(),
        at: 5,
    };
    assert_eq!(
        store
            .change_hr_account(&change(AccountAction::Disable))
            .expect("disables"),
        AccountChangeOutcome::Done
    );
    // A login or token request that passed its checks before the disable, written after
    // it (the disable deleted every credential the user had then).
    store
        .put_hr_credential(
            &[3; 32],
            &Credential {
                kind: CredentialKind::ApiToken,
                user_id: arvid,
                csrf_hash: None,
                expires_at: i64::MAX,
                last_used_at: 6,
            },
            Some("raced"),
            6,
        )
        .expect("writes");
    assert!(
        store.hr_credential(&[3; 32], 7).expect("reads").is_none(),
        "a disabled user's secret opens nothing"
    );
    assert_eq!(
        store
            .change_hr_account(&change(AccountAction::Enable))
            .expect("enables"),
        AccountChangeOutcome::Done
    );
    assert!(
        store.hr_credential(&[3; 32], 7).expect("reads").is_none(),
        "a token that raced the disable works again once the user is enabled"
    );
}

pub(crate) fn assignments_are_added_once_and_taken_away(store: &dyn RelayStore) {
    let rut = add_user(store, "rut", vec![Role::Recruiter], None);
    assert!(store.assign_hr_event(rut, "event-b").expect("assigned"));
    assert!(store.assign_hr_event(rut, "event-a").expect("assigned"));
    assert!(
        store
            .assign_hr_event(rut, "event-a")
            .expect("assigned again")
    );
    assert!(!store.assign_hr_event(999, "event-a").expect("no such user"));
    assert_eq!(
        store.hr_assigned_events(rut).expect("reads"),
        ["event-a", "event-b"]
    );
    assert!(store.unassign_hr_event(rut, "event-a").expect("unassigned"));
    assert!(
        !store
            .unassign_hr_event(rut, "event-a")
            .expect("not assigned")
    );
    assert!(
        !store
            .unassign_hr_event(999, "event-b")
            .expect("no such user")
    );
    assert_eq!(store.hr_assigned_events(rut).expect("reads"), ["event-b"]);
    assert!(store.hr_assigned_events(999).expect("reads").is_empty());
}

/// Moved from the SQLite store's `hr_directory` tests.
pub(crate) fn the_directory_lists_users_by_username_with_their_own_assignments(
    store: &dyn RelayStore,
) {
    let rut = add_user(store, "rut", vec![Role::Recruiter], None);
    let anna = add_user(store, "anna", vec![Role::Admin, Role::Archivist], None);
    store.assign_hr_event(rut, "event-b").expect("assigned");
    store.assign_hr_event(rut, "event-a").expect("assigned");
    store
        .change_hr_clearance(anna, true, None, 1)
        .expect("cleared");

    let listed = store.hr_directory().expect("lists");
    let names: Vec<&str> = listed.iter().map(|e| e.user.username.as_str()).collect();
    assert_eq!(names, ["anna", "rut"]);
    assert_eq!(listed[0].user.roles, [Role::Admin, Role::Archivist]);
    assert!(listed[0].user.restricted_clearance && listed[0].user.must_change_password);
    assert!(listed[0].assigned_events.is_empty());
    assert_eq!(listed[1].assigned_events, ["event-a", "event-b"]);
    assert!(!listed[1].user.restricted_clearance);
}

/// Moved from the SQLite store's `hr_directory` tests.
pub(crate) fn the_directory_names_each_creator_and_the_admin_whose_grant_is_in_force(
    store: &dyn RelayStore,
) {
    let anna = add_user(store, "anna", vec![Role::Admin], None);
    let bo = add_user(store, "bo", vec![Role::Admin], Some(anna));
    let cecilia = add_user(store, "cecilia", vec![Role::Admin], None);
    let rut = add_user(store, "rut", vec![Role::Recruiter], Some(bo));
    store
        .change_hr_clearance(bo, true, Some(cecilia), 1)
        .expect("set");
    store
        .change_hr_clearance(rut, true, Some(anna), 2)
        .expect("set");
    store
        .change_hr_clearance(rut, false, Some(cecilia), 3)
        .expect("set");
    store.change_hr_clearance(anna, true, None, 4).expect("set");

    let listed = store.hr_directory().expect("lists");
    let seen: Vec<(&str, Option<&str>, Option<&str>)> = listed
        .iter()
        .map(|e| {
            (
                e.user.username.as_str(),
                e.created_by.as_deref(),
                e.clearance_granted_by.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("anna", None, None),
            ("bo", Some("anna"), Some("cecilia")),
            ("cecilia", None, None),
            ("rut", Some("bo"), None),
        ]
    );
}

pub(crate) fn a_granted_clearance_is_recorded_with_its_reason_and_logged_and_a_repeat_is_not(
    store: &dyn RelayStore,
) {
    let anna = add_user(store, "anna", vec![Role::Admin], None);
    let rut = add_user(store, "rut", vec![Role::Recruiter], None);
    let grant = |at| AccountChange {
        user_id: rut,
        action: AccountAction::GrantClearance,
        reason: Some("handles protected registrations, case 2027/14".into()),
        by_user: Some(anna),
        by_name: "hr:anna".into(),
        at,
    };
    assert_eq!(
        store.change_hr_account(&grant(5)).expect("grants"),
        AccountChangeOutcome::Done
    );
    assert!(
        store
            .hr_user(rut)
            .expect("reads")
            .expect("found")
            .0
            .restricted_clearance
    );
    assert_eq!(
        store.change_hr_account(&grant(6)).expect("answers"),
        AccountChangeOutcome::Unchanged,
        "granting what is granted changes and records nothing"
    );
    let history = store.hr_clearance_history(rut).expect("reads");
    assert_eq!(history.len(), 1);
    assert!(history[0].granted);
    assert_eq!(history[0].by.as_deref(), Some("anna"));
    let directory = store.hr_directory().expect("lists");
    let entry = directory.iter().find(|e| e.user.id == rut).expect("listed");
    assert_eq!(entry.clearance_granted_by.as_deref(), Some("anna"));
    let recorded: Vec<(i64, String, Option<String>, String)> = store
        .hr_account_changes(rut)
        .expect("reads")
        .into_iter()
        .map(|c| (c.at, c.change, c.reason, c.by))
        .collect();
    assert_eq!(
        recorded,
        [(
            5,
            "grant_clearance".to_owned(),
            Some("handles protected registrations, case 2027/14".to_owned()),
            "hr:anna".to_owned()
        )]
    );
    let logged: Vec<String> = store
        .access_log_entries(0, 100)
        .expect("log")
        .into_iter()
        .filter(|(_, e)| e.action == AccessAction::AccountChange)
        .map(|(_, e)| e.doc_id)
        .collect();
    assert_eq!(logged, ["grant_clearance:rut"]);
}

pub(crate) fn the_last_enabled_admin_cannot_lose_admin_and_changes_are_recorded(
    store: &dyn RelayStore,
) {
    let anna = add_user(store, "anna", vec![Role::Admin], None);
    let bo = add_user(store, "bo", vec![Role::Admin, Role::Recruiter], None);
    assert_eq!(
        store
            .change_hr_account(&change(999, AccountAction::Disable, 5))
            .expect("reads"),
        AccountChangeOutcome::NoSuchUser
    );
    assert_eq!(
        store
            .change_hr_account(&change(bo, AccountAction::Disable, 5))
            .expect("disables"),
        AccountChangeOutcome::Done
    );
    assert!(store.hr_user(bo).expect("reads").expect("found").0.disabled);
    assert_eq!(
        store
            .change_hr_account(&change(bo, AccountAction::Disable, 6))
            .expect("reads"),
        AccountChangeOutcome::Unchanged
    );
    for action in [
        AccountAction::Disable,
        AccountAction::RemoveRole(Role::Admin),
    ] {
        assert_eq!(
            store
                .change_hr_account(&change(anna, action, 7))
                .expect("reads"),
            AccountChangeOutcome::LastAdmin
        );
    }
    assert!(
        !store
            .hr_user(anna)
            .expect("reads")
            .expect("found")
            .0
            .disabled
    );
    assert_eq!(
        store
            .change_hr_account(&change(bo, AccountAction::Enable, 8))
            .expect("enables"),
        AccountChangeOutcome::Done
    );
    // With bo enabled again, anna may lose admin.
    assert_eq!(
        store
            .change_hr_account(&change(anna, AccountAction::RemoveRole(Role::Admin), 9))
            .expect("removes"),
        AccountChangeOutcome::Done
    );
    assert!(
        store
            .hr_user(anna)
            .expect("reads")
            .expect("found")
            .0
            .roles
            .is_empty()
    );
    store.assign_hr_event(bo, "event-a").expect("assigned");
    store
        .change_hr_clearance(bo, true, None, 9)
        .expect("cleared");
    assert_eq!(
        store
            .change_hr_account(&change(bo, AccountAction::RemoveRole(Role::Recruiter), 10))
            .expect("removes"),
        AccountChangeOutcome::Done
    );
    assert!(
        store.hr_assigned_events(bo).expect("reads").is_empty(),
        "a recruiter's assignments go with the role"
    );
    assert_eq!(
        store
            .change_hr_account(&change(bo, AccountAction::RemoveClearance, 11))
            .expect("removes"),
        AccountChangeOutcome::Done
    );
    assert!(
        !store
            .hr_user(bo)
            .expect("reads")
            .expect("found")
            .0
            .restricted_clearance
    );
    assert!(!store.hr_clearance_history(bo).expect("reads")[0].granted);
    assert_eq!(
        store
            .change_hr_account(&change(bo, AccountAction::ResetPassword(password(7)), 12))
            .expect("resets"),
        AccountChangeOutcome::Done
    );
    let (user, hash) = store.hr_user(bo).expect("reads").expect("found");
    assert_eq!(hash, password(7));
    assert!(
        user.must_change_password,
        "a reset password is a one-time password"
    );

    let recorded: Vec<(i64, String, Option<String>)> = store
        .hr_account_changes(bo)
        .expect("reads")
        .into_iter()
        .map(|c| {
            assert_eq!(c.by, "operator");
            (c.at, c.change, c.reason)
        })
        .collect();
    let reason = || Some("left the agency".to_owned());
    assert_eq!(
        recorded,
        [
            (12, "reset_password".to_owned(), reason()),
            (11, "remove_clearance".to_owned(), reason()),
            (10, "remove_role.recruiter".to_owned(), reason()),
            (8, "enable".to_owned(), reason()),
            (5, "disable".to_owned(), reason()),
        ],
        "newest first, refused and unchanged ones not recorded"
    );
    let logged: Vec<String> = store
        .access_log_entries(0, 100)
        .expect("log")
        .into_iter()
        .filter(|(_, e)| e.action == AccessAction::AccountChange)
        .map(|(_, e)| e.doc_id)
        .collect();
    assert_eq!(
        logged,
        [
            "disable:bo",
            "enable:bo",
            "remove_role.admin:anna",
            "remove_role.recruiter:bo",
            "remove_clearance:bo",
            "reset_password:bo"
        ]
    );
}

pub(crate) fn api_tokens_list_newest_first_and_a_revoked_one_is_gone(store: &dyn RelayStore) {
    let rut = add_user(store, "rut", vec![Role::Recruiter], None);
    let bo = add_user(store, "bo", vec![Role::Admin], None);
    let token = |expires_at| credential(CredentialKind::ApiToken, rut, expires_at);
    store
        .put_hr_credential(&[1; 32], &token(1_000), Some("old"), 10)
        .expect("stored");
    store
        .put_hr_credential(&[2; 32], &token(1_000), Some("new"), 20)
        .expect("stored");
    store
        .put_hr_credential(&[3; 32], &token(30), Some("short"), 25)
        .expect("stored");
    store
        .put_hr_credential(
            &[4; 32],
            &credential(CredentialKind::Session, rut, 1_000),
            None,
            26,
        )
        .expect("stored");
    let listed = store.hr_api_tokens(rut, 40).expect("lists");
    let labels: Vec<Option<&str>> = listed.iter().map(|t| t.label.as_deref()).collect();
    assert_eq!(
        labels,
        [Some("new"), Some("old")],
        "no sessions, nothing expired"
    );
    assert_eq!((listed[0].created_at, listed[0].expires_at), (20, 1_000));
    assert!(store.hr_api_tokens(bo, 40).expect("lists").is_empty());

    let revoked = listed[1].id;
    assert_eq!(
        store
            .change_hr_account(&change(bo, AccountAction::RevokeToken(revoked), 50))
            .expect("reads"),
        AccountChangeOutcome::NoSuchToken,
        "another user's token is not theirs to lose"
    );
    assert_eq!(
        store
            .change_hr_account(&change(rut, AccountAction::RevokeToken(revoked), 50))
            .expect("revokes"),
        AccountChangeOutcome::Done
    );
    assert!(store.hr_credential(&[1; 32], 60).expect("reads").is_none());
    assert!(store.hr_credential(&[2; 32], 60).expect("reads").is_some());
    let left: Vec<u64> = store
        .hr_api_tokens(rut, 60)
        .expect("lists")
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(left, [listed[0].id]);
    assert_eq!(
        store
            .change_hr_account(&change(rut, AccountAction::RevokeToken(revoked), 70))
            .expect("reads"),
        AccountChangeOutcome::NoSuchToken
    );
}

/// The guard rail is checked inside the change's transaction: two admins disabling each
/// other at once cannot both succeed.
pub(crate) fn two_admins_disabling_each_other_at_once_leave_one_enabled(store: &dyn RelayStore) {
    let anna = add_user(store, "anna", vec![Role::Admin], None);
    let bo = add_user(store, "bo", vec![Role::Admin], None);
    let start = std::sync::Barrier::new(2);
    let outcomes: Vec<AccountChangeOutcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = [(anna, bo), (bo, anna)]
            .into_iter()
            .map(|(by, target)| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    store
                        .change_hr_account(&AccountChange {
                            by_user: Some(by),
                            ..change(target, AccountAction::Disable, 5)
                        })
                        .expect("answers")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let mut sorted = outcomes.clone();
    sorted.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(
        sorted,
        [AccountChangeOutcome::Done, AccountChangeOutcome::LastAdmin],
        "{outcomes:?}"
    );
    let enabled = [anna, bo]
        .iter()
        .filter(|id| {
            !store
                .hr_user(**id)
                .expect("reads")
                .expect("found")
                .0
                .disabled
        })
        .count();
    assert_eq!(enabled, 1);
}
